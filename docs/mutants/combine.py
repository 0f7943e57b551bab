#!/usr/bin/env python3
"""Combine cargo-mutants outcome dirs: first runs, then retests (by name, line numbers aside)."""
import json, re, sys
def load(d):
    out = {}
    try:
        data = json.load(open(f"mutants/{d}/mutants.out/outcomes.json"))
    except FileNotFoundError:
        return out
    for o in data["outcomes"]:
        sc = o.get("scenario")
        if not isinstance(sc, dict) or "Mutant" not in sc:
            continue
        m = sc["Mutant"]
        name = f'{m["file"]}: {m.get("name") or ""}'
        # the summary field is what cargo-mutants calls the outcome
        summ = o["summary"]
        key = re.sub(r":\d+:\d+", "", m["file"] + ":" + str(m.get("span",{}).get("start",{}).get("line","")) ) 
        out.setdefault(name_of(m), []).append(summ)
    return out
def name_of(m):
    return re.sub(r"^(\S+?):\d+:\d+:", r"\1:", m["name"])
current = set(open(sys.argv[3]).read().splitlines()) if len(sys.argv) > 3 else None
firsts, retests = sys.argv[1].split(","), sys.argv[2].split(",") if len(sys.argv) > 2 and sys.argv[2] else []
final = {}
for d in firsts:
    for k, v in load(d).items():
        final.setdefault(k, []).extend(v)
for d in retests:
    for k, v in load(d).items():
        if k in final:
            final[k] = v
counts = {}
missed = []
stale = [k for k in final if current is not None and k not in current]
for k in stale:
    del final[k]
print(f"{len(stale)} mutants of code since rewritten left out: {stale}")
for k, v in final.items():
    for s in v:
        counts[s] = counts.get(s, 0) + 1
        if s == "MissedMutant":
            missed.append(k)
print(counts)
caught = counts.get("CaughtMutant", 0) + counts.get("Timeout", 0)
viable = caught + counts.get("MissedMutant", 0)
print(f"caught {caught} of {viable} viable = {100*caught/viable:.1f}%  (unviable {counts.get('Unviable',0)})")
for k in sorted(missed):
    print("  MISSED", k)
