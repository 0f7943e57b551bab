#!/usr/bin/env python3
"""Carry mutation outcomes across a change that only moved lines.

    carry.py OLD_COMMIT OLD_LIST NEW_LIST OUT_DIR EXCLUDED_FNS DIR [DIR ...]

A mutant's name holds its line, so a change above it renames it and tally.py counts it
untested. For each mutant of OLD_LIST (`cargo mutants --list` of OLD_COMMIT's tree) in a file
the change touched, this finds its line in the current file (difflib's matching blocks: the
line itself is unchanged) and, if that name is in NEW_LIST and its function (the name's
`in FN`) is not one of EXCLUDED_FNS (comma-separated: functions the change edited, whose
mutants must be tested again; `FILE:FN` names one file's, by the end of its path), writes the newest outcome of DIRs under the new name to
OUT_DIR's caught.txt, missed.txt, timeout.txt or unviable.txt. Nothing else is carried.
"""
import difflib
import os
import re
import subprocess
import sys

old_commit, old_list, new_list, out_dir, excluded = sys.argv[1:6]
dirs = sys.argv[6:]
excluded = {f for f in excluded.split(",") if f}
kinds = ("missed", "timeout", "caught", "unviable")

outcome = {}
for d in dirs:
    found = {}
    for kind in kinds:
        path = os.path.join(d, f"{kind}.txt")
        if os.path.exists(path):
            for name in open(path).read().splitlines():
                found.setdefault(name, kind)
    for name, kind in found.items():
        outcome.setdefault(name, kind)

new_names = set(open(new_list).read().splitlines())
changed = subprocess.run(
    ["git", "diff", "--name-only", old_commit, "--"],
    capture_output=True, text=True, check=True,
).stdout.split()
line_maps = {}
for path in changed:
    old = subprocess.run(["git", "show", f"{old_commit}:{path}"], capture_output=True, text=True)
    if old.returncode != 0 or not os.path.exists(path):
        continue
    a, b = old.stdout.splitlines(), open(path).read().splitlines()
    m = {}
    for block in difflib.SequenceMatcher(None, a, b, autojunk=False).get_matching_blocks():
        for k in range(block.size):
            m[block.a + k + 1] = block.b + k + 1
    line_maps[path] = m

name_re = re.compile(r"^([^:]+):(\d+):(\d+): (.*)$")
carried = {k: [] for k in kinds}
for name in open(old_list).read().splitlines():
    m = name_re.match(name)
    if not m or m.group(1) not in line_maps or name not in outcome:
        continue
    fn = m.group(4).rsplit(" in ", 1)[-1]
    if fn in excluded or any(
        e.endswith(":" + fn) and m.group(1).endswith(e.rsplit(":", 1)[0]) for e in excluded
    ):
        continue
    new_line = line_maps[m.group(1)].get(int(m.group(2)))
    if new_line is None:
        continue
    new_name = f"{m.group(1)}:{new_line}:{m.group(3)}: {m.group(4)}"
    if new_name != name and new_name in new_names:
        carried[outcome[name]].append(new_name)
os.makedirs(out_dir, exist_ok=True)
for kind, names in carried.items():
    with open(os.path.join(out_dir, f"{kind}.txt"), "w") as f:
        f.writelines(n + "\n" for n in sorted(names))
    print(f"{kind}: {len(names)}")
