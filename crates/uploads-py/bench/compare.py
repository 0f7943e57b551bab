"""openai_uploads.upload against the SDK's client.uploads.upload_file_chunked: the same file,
the same local server, one fresh process per run so peak RSS is each one's own.

    python bench/compare.py --size-mib 512 [--latency 40ms --bandwidth 25MB]

Starts `openai-uploads serve` (the CLI binary, built with `cargo build --release -p
uploads-cli`), then for each tool a child process that uploads the file while a counter thread
counts; prints time, peak RSS and the counter's rate relative to an idle second.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import threading
import time

CHILD = r"""
import json, os, resource, sys, threading, time
import openai, openai_uploads
tool, path, url = sys.argv[1:4]
client = openai.OpenAI(base_url=url, api_key="sk-local", max_retries=5)
count = [0]; stop = threading.Event()
def counter():
    while not stop.is_set():
        count[0] += 1
threading.Thread(target=counter, daemon=True).start()
time.sleep(1.0); idle = count[0]; count[0] = 0
t0 = time.monotonic()
if tool == "ours":
    up = openai_uploads.upload(path, purpose="assistants", client=client)
else:
    up = client.uploads.upload_file_chunked(file=path, mime_type="text/plain", purpose="assistants")
secs = time.monotonic() - t0
stop.set()
assert up.status == "completed", up
print(json.dumps({"tool": tool, "seconds": secs, "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "counter_vs_idle": (count[0] / secs) / max(idle, 1)}))
"""


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size-mib", type=int, default=512)
    ap.add_argument("--latency", default="0s")
    ap.add_argument("--bandwidth", default=None)
    ap.add_argument("--bin", default=os.path.join(os.path.dirname(__file__), "../../../target/release/openai-uploads"))
    ap.add_argument("--file", default="/tmp/openai-uploads-bench.txt")
    args = ap.parse_args()
    size = args.size_mib << 20
    if not os.path.exists(args.file) or os.path.getsize(args.file) != size:
        with open(args.file, "wb") as f:
            block = os.urandom(1 << 20)
            for _ in range(args.size_mib):
                f.write(block)
    serve = [args.bin, "serve", "--addr", "127.0.0.1:0", "--latency", args.latency]
    if args.bandwidth:
        serve += ["--bandwidth", args.bandwidth]
    server = subprocess.Popen(serve, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        url = server.stdout.readline().strip()
        for tool in ["ours", "sdk"]:
            out = subprocess.run(
                [sys.executable, "-c", CHILD, tool, args.file, url],
                check=True, capture_output=True, text=True,
            )
            row = json.loads(out.stdout.strip().splitlines()[-1])
            row["MB_per_s"] = size / 1e6 / row["seconds"]
            print(json.dumps(row))
    finally:
        server.terminate()


if __name__ == "__main__":
    main()
