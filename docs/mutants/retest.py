#!/usr/bin/env python3
"""Print cargo-mutants -F arguments that select exactly the mutants listed in a missed.txt,
ignoring line and column numbers (which move as tests are added)."""
import re, sys
args = []
for line in open(sys.argv[1]):
    line = re.sub(r" in \d+(\.\d+)?s build.*$", "", line.strip())
    m = re.match(r"^(\S+?):\d+:\d+: (.*)$", line)
    if not m:
        continue
    path, what = m.groups()
    args += ["-F", "^" + re.escape(path) + r":\d+:\d+: " + re.escape(what) + "$"]
print("\0".join(args), end="")
