#!/usr/bin/env python3
"""Tally one crate's mutants from cargo-mutants' outcome lists, whole crate.

    tally.py CURRENT_LIST DIR [DIR ...]

CURRENT_LIST is `cargo mutants -p CRATE --list` of the tree measured. Each DIR holds
cargo-mutants' caught.txt, missed.txt, timeout.txt, unviable.txt (and previously_caught.txt
for an --iterate run); the newest DIR comes first. A mutant's outcome is the one of the newest
run that tested it by its exact name (file, line, column, mutation): a mutant whose line moved
has a new name and counts only once it is tested again. A mutant no run tested is untested.
"""
import os
import sys

current = [l for l in open(sys.argv[1]).read().splitlines() if l.strip()]
lists = ("missed", "timeout", "caught", "unviable")
dirs = sys.argv[2:]


def read(d, kind):
    path = os.path.join(d, f"{kind}.txt")
    return open(path).read().splitlines() if os.path.exists(path) else []


unviable = {name for d in dirs for name in read(d, "unviable")}
outcome = {}
for d in dirs:
    found = {}
    for kind in lists:
        for name in read(d, kind):
            found.setdefault(name, kind)
    # An --iterate run's previously_caught.txt: what earlier runs caught, or found unviable.
    for name in read(d, "previously_caught"):
        found.setdefault(name, "unviable" if name in unviable else "caught")
    for name, kind in found.items():
        outcome.setdefault(name, kind)
counts = {}
missed, untested = [], []
for name in current:
    kind = outcome.get(name, "untested")
    counts[kind] = counts.get(kind, 0) + 1
    if kind == "missed":
        missed.append(name)
    if kind == "untested":
        untested.append(name)
caught = counts.get("caught", 0) + counts.get("timeout", 0)
viable = caught + counts.get("missed", 0)
print(f"mutants {len(current)}: {counts}")
if viable:
    print(f"caught {caught} of {viable} viable = {100 * caught / viable:.1f}%")
for name in missed:
    print("  MISSED", name)
for name in untested:
    print("  UNTESTED", name)
