"""openai_uploads against its local server, with the real ``openai`` package."""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import os
import signal
import threading
import time

import openai
import pytest

import openai_uploads
from openai_uploads import ContentRejected, InvalidUpload, LocalServer, UploadError

PART = 64 * 1024
SMALL_PARTS = {"min_part_size": 1, "max_part_size": PART}


def md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


@pytest.fixture
def server():
    with LocalServer(max_part_size=PART) as s:
        yield s


@pytest.fixture
def client(server):
    return server.client()


def write(tmp_path, name: str, data: bytes):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def content(client, file_id: str) -> bytes:
    return client.files.content(file_id).read()


def test_a_path_uploads_in_parallel_parts_md5_exact_as_an_sdk_upload(tmp_path, server, client):
    data = os.urandom(10 * PART + 123)
    path = write(tmp_path, "corpus.txt", data)
    up = openai_uploads.upload(
        path, purpose="assistants", client=client, part_size=PART, _testing=SMALL_PARTS
    )
    assert isinstance(up, openai.types.Upload)
    assert up.status == "completed"
    assert up.bytes == len(data)
    assert up.file is not None and up.file.filename == "corpus.txt"
    assert md5(content(client, up.file.id)) == md5(data)
    stats = server.stats()
    assert stats["parts_stored"] == 11
    assert stats["max_parts_in_flight"] > 1, "parts went in parallel"


def test_bytes_and_file_objects_are_sources(tmp_path, server, client):
    data = os.urandom(3 * PART + 7)
    up = openai_uploads.upload(
        data, filename="b.txt", purpose="assistants", client=client, _testing=SMALL_PARTS
    )
    assert md5(content(client, up.file.id)) == md5(data)
    # An open file: its name and length are its own.
    path = write(tmp_path, "f.txt", data)
    with open(path, "rb") as f:
        up = openai_uploads.upload(f, purpose="assistants", client=client, _testing=SMALL_PARTS)
    assert up.file.filename == "f.txt"
    assert md5(content(client, up.file.id)) == md5(data)

    # A stream with no length of its own: bytes= gives it, and it is read, not held whole.
    class Pipe(io.RawIOBase):
        def __init__(self, data: bytes):
            self.left = memoryview(data)
            self.reads = 0

        def readable(self) -> bool:
            return True

        def read(self, n: int = -1) -> bytes:
            self.reads += 1
            n = len(self.left) if n < 0 else min(n, len(self.left))
            out, self.left = bytes(self.left[:n]), self.left[n:]
            return out

    pipe = Pipe(data)
    up = openai_uploads.upload(
        pipe,
        filename="pipe.txt",
        bytes=len(data),
        purpose="assistants",
        client=client,
        part_size=PART,
        _testing=SMALL_PARTS,
    )
    assert md5(content(client, up.file.id)) == md5(data)
    with pytest.raises(ValueError, match="filename"):
        openai_uploads.upload(Pipe(data), purpose="assistants", client=client)


def test_the_drop_in_matches_the_sdks_own_upload_file_chunked(tmp_path):
    data = os.urandom(2 * 1024 * 1024 + 5)
    path = write(tmp_path, "notes.txt", data)
    with LocalServer() as s:
        drop_in_matches_the_sdk(s.client(), path, data)


def drop_in_matches_the_sdk(client, path, data):
    ours = openai_uploads.upload_file_chunked(
        client, file=path, mime_type="text/plain", purpose="assistants"
    )
    theirs = client.uploads.upload_file_chunked(
        file=path, mime_type="text/plain", purpose="assistants"
    )
    assert type(ours) is type(theirs)
    assert type(ours.file) is type(theirs.file)
    skip = {"id", "created_at", "expires_at"}
    mine = {k: v for k, v in ours.model_dump().items() if k not in skip}
    sdk = {k: v for k, v in theirs.model_dump().items() if k not in skip}
    mine["file"] = {k: v for k, v in mine["file"].items() if k not in skip}
    sdk["file"] = {k: v for k, v in sdk["file"].items() if k not in skip}
    assert mine == sdk
    assert content(client, ours.file.id) == content(client, theirs.file.id) == data
    # The SDK's md5 argument: checked against the bytes.
    with pytest.raises(ValueError, match="md5"):
        openai_uploads.upload_file_chunked(
            client, file=path, mime_type="text/plain", purpose="assistants", md5="0" * 32
        )


def test_errors_carry_status_request_id_upload_and_report(tmp_path, server, client):
    path = write(tmp_path, "a.txt", b"hello")
    with pytest.raises(InvalidUpload, match="purpose"):
        openai_uploads.upload(path, purpose="finetune", client=client)
    assert server.stats()["uploads_created"] == 0, "refused before any request"
    wrong = openai.OpenAI(base_url=server.base_url, api_key="sk-wrong-key-0000")
    with LocalServer(api_key="sk-right") as guarded:
        wrong = openai.OpenAI(base_url=guarded.base_url, api_key="sk-wrong-key-0000")
        with pytest.raises(UploadError) as refused:
            openai_uploads.upload(path, purpose="assistants", client=wrong)
    assert refused.value.status == 401
    assert refused.value.request_id and refused.value.request_id.startswith("req_")
    assert refused.value.upload_id is None
    # A batch file with two models: the check stops it, the report says where.
    line = '{{"custom_id":"{i}","method":"POST","url":"/v1/chat/completions","body":{{"model":"{m}","messages":[]}}}}\n'
    batch = write(
        tmp_path,
        "batch.jsonl",
        "".join(line.format(i=i, m="gpt-4o" if i else "gpt-4o-mini") for i in range(5)).encode(),
    )
    with pytest.raises(ContentRejected) as rejected:
        openai_uploads.upload(batch, purpose="batch", client=client)
    report = rejected.value.report
    assert report is not None and not report.ok
    assert any(f.kind == "model_mismatch" for f in report.findings)
    assert not rejected.value.resumable


def test_check_reports_as_objects(tmp_path):
    path = write(
        tmp_path,
        "t.jsonl",
        b'{"messages":[{"role":"user","content":"hi"}]}\n{"messages": 3}\n',
    )
    report = openai_uploads.check(path, "fine-tune")
    assert not report.ok
    assert report.errors >= 1
    assert all(isinstance(f, openai_uploads.Finding) for f in report.findings)
    assert report.summary["lines"] == 2
    assert openai_uploads.check(path, "fine-tune", method="reinforcement").errors >= 1
    with pytest.raises(ValueError):
        openai_uploads.check(path, "assistants")


def test_progress_events_and_a_tqdm_bar(tmp_path, client):
    data = os.urandom(4 * PART)
    path = write(tmp_path, "p.txt", data)
    events = []
    openai_uploads.upload(
        path,
        purpose="assistants",
        client=client,
        part_size=PART,
        progress=events.append,
        _testing=SMALL_PARTS,
    )
    kinds = [e["type"] for e in events]
    assert kinds[0] == "started" and kinds[-1] == "completed"
    assert kinds.count("part_done") == 4
    assert sum(e["bytes"] for e in events if e["type"] == "bytes_sent") >= len(data)
    openai_uploads.upload(
        path,
        purpose="assistants",
        client=client,
        part_size=PART,
        progress=True,
        _testing=SMALL_PARTS,
    )


def test_upload_many_shares_one_budget_and_answers_each_file_in_order(tmp_path, server, client):
    paths = [write(tmp_path, f"d{i}.txt", os.urandom(PART + i)) for i in range(5)]
    paths.insert(2, tmp_path / "missing.txt")
    results = list(
        openai_uploads.upload_many(
            paths,
            purpose="assistants",
            client=client,
            concurrency=3,
            max_files=3,
            _testing=SMALL_PARTS,
        )
    )
    assert len(results) == 6
    assert isinstance(results[2], Exception)
    for path, result in zip(paths, results):
        if path.exists():
            assert result.file.filename == path.name
            assert content(client, result.file.id) == path.read_bytes()
    assert server.stats()["max_parts_in_flight"] <= 3


def slow_server():
    return LocalServer(max_part_size=PART, link_bandwidth=400_000)


def test_ctrl_c_stops_within_half_a_second_and_resume_finishes(tmp_path, monkeypatch):
    monkeypatch.setenv("OPENAI_UPLOADS_JOURNAL_DIR", str(tmp_path / "journals"))
    data = os.urandom(40 * PART)
    path = write(tmp_path, "big.txt", data)
    with slow_server() as s:
        client = s.client()
        sent_at = []

        def interrupt():
            time.sleep(1.0)
            sent_at.append(time.monotonic())
            signal.raise_signal(signal.SIGINT)

        threading.Thread(target=interrupt).start()
        with pytest.raises(KeyboardInterrupt):
            openai_uploads.upload(
                path,
                purpose="assistants",
                client=client,
                part_size=PART,
                concurrency=2,
                resume=True,
                _testing=SMALL_PARTS,
            )
        assert time.monotonic() - sent_at[0] < 0.5, "stopped within half a second"
        stored = s.stats()["parts_stored"]
        assert 0 < stored < 40
        assert s.stats()["uploads_cancelled"] == 0, "kept for the resume"
        up = openai_uploads.upload(
            path,
            purpose="assistants",
            client=client,
            part_size=PART,
            resume=True,
            _testing=SMALL_PARTS,
        )
        assert s.stats()["uploads_created"] == 1, "the same upload, resumed"
        # Only the missing parts went again (and the two in flight at Ctrl-C, unacknowledged).
        assert s.stats()["parts_stored"] - stored <= 40 - stored + 2
        assert s.stats()["parts_stored"] < 2 * 40 - stored
        assert md5(content(client, up.file.id)) == md5(data)
        # Without resume, an interrupted upload is cancelled.
        threading.Thread(target=interrupt).start()
        with pytest.raises(KeyboardInterrupt):
            openai_uploads.upload(
                path, purpose="assistants", client=client, part_size=PART, _testing=SMALL_PARTS
            )
        assert s.stats()["uploads_cancelled"] == 1


def test_the_gil_is_released_while_bytes_move(tmp_path):
    data = os.urandom(24 * PART)
    path = write(tmp_path, "g.txt", data)
    count = [0]
    stop = threading.Event()

    def counter():
        while not stop.is_set():
            count[0] += 1

    def counted(seconds: float) -> float:
        start, t0 = count[0], time.monotonic()
        time.sleep(seconds)
        return (count[0] - start) / (time.monotonic() - t0)

    threading.Thread(target=counter, daemon=True).start()
    idle_rate = counted(0.5)
    with slow_server() as s:
        t0, before = time.monotonic(), count[0]
        openai_uploads.upload(
            path, purpose="assistants", client=s.client(), part_size=PART, _testing=SMALL_PARTS
        )
        busy_rate = (count[0] - before) / (time.monotonic() - t0)
    stop.set()
    assert busy_rate > 0.5 * idle_rate, (busy_rate, idle_rate)


def test_async_upload_and_cancellation(tmp_path):
    data = os.urandom(40 * PART)
    path = write(tmp_path, "a.txt", data)

    async def main(s):
        client = openai.AsyncOpenAI(base_url=s.base_url, api_key=s.api_key)
        up = await openai_uploads.upload_async(
            path, purpose="assistants", client=client, part_size=PART, _testing=SMALL_PARTS
        )
        assert up.status == "completed"
        task = asyncio.ensure_future(
            openai_uploads.upload_async(
                path, purpose="assistants", client=client, part_size=PART, _testing=SMALL_PARTS
            )
        )
        await asyncio.sleep(0.5)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return up

    with slow_server() as s:
        up = asyncio.run(main(s))
        assert md5(content(s.client(), up.file.id)) == md5(data)
        assert s.stats()["uploads_cancelled"] == 1


def test_a_faulty_server_still_gets_every_byte(tmp_path):
    data = os.urandom(12 * PART)
    path = write(tmp_path, "f.txt", data)
    with LocalServer(max_part_size=PART, error_rate=0.2, seed=3) as s:
        up = openai_uploads.upload(
            path, purpose="assistants", client=s.client(), part_size=PART, _testing=SMALL_PARTS
        )
        assert s.stats()["faults_injected"] > 0
        assert md5(content(s.client(), up.file.id)) == md5(data)


def test_the_clients_default_headers_are_sent(tmp_path):
    import http.server

    seen = {}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            seen.update({k.lower(): v for k, v in self.headers.items()})
            body = b'{"error":{"message":"no","type":"invalid_request_error","param":null,"code":null}}'
            self.send_response(400)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    httpd = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        client = openai.OpenAI(
            base_url=f"http://127.0.0.1:{httpd.server_address[1]}/v1",
            api_key="sk-header-test",
            default_headers={"X-Team": "search"},
        )
        with pytest.raises(UploadError) as failed:
            openai_uploads.upload(write(tmp_path, "h.txt", b"hi"), purpose="assistants", client=client)
        assert failed.value.status == 400
    finally:
        httpd.shutdown()
    assert seen.get("x-team") == "search", seen
    assert seen.get("authorization") == "Bearer sk-header-test"


def test_check_takes_the_method_and_whether_the_file_is_validation_data(tmp_path):
    example = '{"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"hello"}]}\n'
    one = write(tmp_path, "one.jsonl", example.encode())
    training = openai_uploads.check(one, "fine-tune")
    assert [(f.kind, f.severity) for f in training.findings] == [("too_few_examples", "error")]
    # Validation data has no documented minimum: the same finding is a warning.
    validation = openai_uploads.check(one, "fine-tune", validation=True)
    assert validation.ok
    assert [(f.kind, f.severity) for f in validation.findings] == [("too_few_examples", "warning")]
    ten = write(tmp_path, "ten.jsonl", (example * 10).encode())
    assert openai_uploads.check(ten, "fine-tune").ok
    # Supervised examples are not preference examples: the method given is checked.
    preference = openai_uploads.check(ten, "fine-tune", method="preference")
    assert not preference.ok and preference.errors == 10
    with pytest.raises(ValueError, match="method"):
        openai_uploads.check(ten, "fine-tune", method="dpo-ish")


def test_an_unknown_purpose_is_the_services_to_judge_when_allowed_and_in_the_drop_in(
    tmp_path, server, client
):
    path = write(tmp_path, "a.txt", b"hello")
    with pytest.raises(InvalidUpload, match="purpose"):
        openai_uploads.upload(path, purpose="finetune", client=client)
    assert server.stats()["uploads_created"] == 0
    with pytest.raises(UploadError) as sent:
        openai_uploads.upload(path, purpose="finetune", client=client, allow_unknown_purpose=True)
    assert not isinstance(sent.value, InvalidUpload)
    assert sent.value.status == 400 and "'finetune' is not one of" in str(sent.value)
    # The SDK's helper sends any purpose; so does the drop-in.
    with pytest.raises(UploadError) as dropped:
        openai_uploads.upload_file_chunked(
            client, file=path, mime_type="text/plain", purpose="finetune"
        )
    assert dropped.value.status == 400
    # A purpose the service takes goes through with the option on.
    up = openai_uploads.upload(
        path, purpose="assistants", client=client, allow_unknown_purpose=True
    )
    assert content(client, up.file.id) == b"hello"


def test_the_clients_timeout_bounds_each_request_and_a_zero_or_infinite_one_is_the_default(
    tmp_path,
):
    path = write(tmp_path, "t.txt", b"slow")
    with LocalServer(latency=0.5) as slow:
        for unset in (0, float("inf")):
            sdk = openai.OpenAI(base_url=slow.base_url, api_key="sk-local", timeout=unset)
            up = openai_uploads.upload(path, purpose="assistants", client=sdk)
            assert up.status == "completed"
        # A short one: the first request times out, and the retry it schedules says so
        # (the upload is stopped there; its retries would go on for minutes).
        sdk = openai.OpenAI(base_url=slow.base_url, api_key="sk-local", timeout=0.1)
        reasons = []

        def stop_at_the_first_retry(event):
            if event["type"] == "retry":
                reasons.append(event["reason"])
                raise KeyboardInterrupt

        with pytest.raises(KeyboardInterrupt):
            openai_uploads.upload(
                path, purpose="assistants", client=sdk, progress=stop_at_the_first_retry
            )
        assert reasons == ["timeout"]
        assert slow.stats()["uploads_completed"] == 2, "only the two with the default timeout"


def test_a_stopped_upload_reports_interrupted_and_a_changed_file_refuses_its_resume(
    tmp_path, monkeypatch
):
    from openai_uploads import _client, _upload

    monkeypatch.setenv("OPENAI_UPLOADS_JOURNAL_DIR", str(tmp_path / "journals"))
    data = os.urandom(40 * PART)
    path = write(tmp_path, "big.txt", data)
    with slow_server() as s:
        client = s.client()
        options = _client.client_options(client, concurrency=2, resume=True, extra=SMALL_PARTS)
        upload = dict(
            mime_type=None, filename=None, part_size=PART, check=True, md5=True, expires_after=None
        )
        handle = _upload._begin(path, "assistants", options, upload)
        deadline = time.monotonic() + 30
        while s.stats()["parts_stored"] == 0:
            assert time.monotonic() < deadline, "no part stored"
            time.sleep(0.01)
        handle.cancel()
        while not handle.wait(0.05):
            pass
        ok, text = handle.outcome()
        info = json.loads(text)
        assert not ok
        assert info["kind"] == "interrupted"
        assert info["resumable"] and info["upload_id"].startswith("upload_")
        # The file changes before the resume: refused, saying why, nothing sent. (A part
        # whose body was already out when the upload stopped may still land: let it.)
        with open(path, "ab") as f:
            f.write(b"one more line")
        time.sleep(0.5)
        stored = s.stats()["parts_stored"]
        with pytest.raises(UploadError) as refused:
            openai_uploads.upload(
                path,
                purpose="assistants",
                client=client,
                part_size=PART,
                resume=True,
                _testing=SMALL_PARTS,
            )
        assert refused.value.kind == "resume"
        assert "changed since upload" in str(refused.value)
        assert s.stats()["parts_stored"] == stored
        assert s.stats()["uploads_created"] == 1


def test_a_file_object_is_never_read_again_after_its_read_raised(client):
    class Failing(io.RawIOBase):
        reads = 0

        def readable(self):
            return True

        def read(self, n=-1):
            self.reads += 1
            if self.reads == 2:
                raise OSError("the disk went away")
            return b"x" * 1000

    f = Failing()
    with pytest.raises(UploadError, match="the disk went away"):
        openai_uploads.upload(
            f,
            purpose="assistants",
            client=client,
            filename="f.txt",
            bytes=1_000_000,
            _testing=SMALL_PARTS,
        )
    time.sleep(0.3)
    assert f.reads == 2
