#!/usr/bin/env python3
"""bench/targets.py LOG — the closing table of `make bench` (bench/run.sh).

Every benchmark prints, beside its human lines, machine lines
"#target|KEY|MEASURED|PASS or MISS". This table puts each issue target's
measured value (the last one printed for its key) next to the figure the
issue measured before and the target, so one run shows where we stand.
A key no benchmark printed (a section skipped or broken) says so.
"""
import sys

# (key, figure, before — as the issue measured it, target)
ROWS = [
    ("16", "verify_batch", "verify 10,000 bundles from 10 batches online, ganache",
     "327 s (8 processes)", "<= 3 s, one run"),
    ("16", "close_1m", "close 1M incl. hash index, SQLite", "3.13 s", "<= 1 s"),
    ("16", "bulk_p99", "bulk submission p99 (bench/http.sh)", "832 ms",
     "<= 50 ms at >= 1M hashes/s"),
    ("16", "tree_build", "tree build 1M, warm / cold", "138 / 290-450 ms",
     "<= 70 / <= 100 ms (2 threads)"),
    ("16", "proof_1m", "one proof from the CLI, 1M batch", "0.80 s, 135 MB", "<= 20 ms"),
    ("16", "export_1m", "export 1M bundles", "4-9k/s (111-256 s)", ">= 50k/s (<= 20 s)"),
    ("16", "offline_verify", "offline verifier verify, whole process", "~20 ms", "<= 5 ms"),
    ("16", "speedup", "speed-up vs merkletreejs, cold vs cold", "15.6-31.5x", ">= 50x"),
    ("16", "pg_submit", "PostgreSQL 1M submit", "8.9 s", "<= 3 s"),
    ("17", "check_rehash", "notary check, leaves re-hashed", "2.37M/s", ">= 5M/s"),
    ("13", "web_verify", "one credential verified in the page, loopback ledger", "-",
     "< 300 ms after load"),
    ("13", "web_assets", "page assets in all", "-", "< 1.5 MB"),
]


def main(path):
    seen = {}
    with open(path, errors="replace") as f:
        for line in f:
            if line.startswith("#target|"):
                parts = line.rstrip("\n").split("|")
                if len(parts) == 4:
                    seen[parts[1]] = (parts[2], parts[3])
    head = ("issue", "figure", "before", "target", "measured now", "")
    table = []
    for issue, key, figure, before, target in ROWS:
        measured, verdict = seen.get(key, ("not measured (its section did not run)", "-"))
        table.append((issue, figure, before, target, measured, verdict))
    w = [max(len(r[i]) for r in table + [head]) for i in range(len(head))]
    print()
    print("== Targets: the issues' figures, before and now (this run, this machine) ==")
    for r in [head] + table:
        print("  " + "  ".join(c.ljust(w[i]) for i, c in enumerate(r)).rstrip())
    npass = sum(1 for r in table if r[5] == "PASS")
    nmiss = sum(1 for r in table if r[5] == "MISS")
    print(f"  {npass} PASS, {nmiss} MISS, {len(table) - npass - nmiss} not measured "
          "(targets are reported, never enforced: a busy machine misses them)")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: bench/targets.py LOG")
    main(sys.argv[1])
