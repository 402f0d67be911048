#!/usr/bin/env bash
# bench/verify_batch.sh — issue 16's figure "verify 10,000 bundles from 10
# batches online, local ganache" (target ≤ 3 s in one run): starts its own
# ganache (tests/lib/ledger.sh: free loopback port, stopped by PID), issues
# BATCHES batches of PER hashes, anchors them, writes every bundle, then runs
# `verifier verify --batch LIST --rpc URL` RUNS times and prints best-of-N.
# Usage: BUILD=build bench/verify_batch.sh   (BATCHES=10 PER=1000 RUNS=3 JOBS=8)
set -uo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
BATCHES=${BATCHES:-10} PER=${PER:-1000} RUNS=${RUNS:-3} JOBS=${JOBS:-8}
NOTARY=$BUILD/bin/notary VERIFIER=$BUILD/bin/verifier
. tests/lib/ledger.sh
tmp=$(mktemp -d "${TMPDIR:-/tmp}/bench-vbatch.XXXXXX")
export LEDGER_LOG_DIR=$tmp
trap 'ledger_stop >/dev/null 2>&1; rm -rf "$tmp"' EXIT
ledger_start >/dev/null || { echo "bench: ganache did not start" >&2; exit 1; }
export NOTARY_DATA=$tmp/data NOTARY_PASSWORD="bench password"
(umask 077; printf '%s\n' "$DEV_KEY_0" > "$tmp/key.hex")
"$NOTARY" init --rpc "$LEDGER_URL" --deploy --import-key "$tmp/key.hex" --kdf-light >/dev/null || exit 1
for b in $(seq 0 $((BATCHES - 1))); do
    python3 -c 'import hashlib,sys; b,n=map(int,sys.argv[1:]); [print(hashlib.sha256(f"bench {b} {i}".encode()).hexdigest()) for i in range(n)]' "$b" "$PER" > "$tmp/h$b.txt"
    "$NOTARY" submit --file "$tmp/h$b.txt" >/dev/null && "$NOTARY" close >/dev/null || exit 1
done
"$NOTARY" anchor --poll-ms 100 >/dev/null || exit 1
mkdir -p "$tmp/b"
for b in $(seq 0 $((BATCHES - 1))); do "$NOTARY" proof --batch "$b" --jsonl "$tmp/b$b.jsonl" >/dev/null || exit 1; done
python3 - "$tmp" "$BATCHES" > "$tmp/list.jsonl" <<'PY'
import json, sys
tmp, n = sys.argv[1], int(sys.argv[2])
for b in range(n):
    for i, line in enumerate(open(f"{tmp}/b{b}.jsonl")):
        p = f"{tmp}/b/{b}-{i}.json"
        open(p, "w").write(line)
        print(json.dumps({"hash": json.loads(line)["credential"]["hash"], "proof": p}))
PY
total=$(wc -l < "$tmp/list.jsonl")
best=
for r in $(seq 1 "$RUNS"); do
    t0=$(date +%s.%N)
    "$VERIFIER" verify --batch "$tmp/list.jsonl" --rpc "$LEDGER_URL" --issuer "$DEV_ADDR_0" --jobs "$JOBS" > "$tmp/out.jsonl" 2> "$tmp/err.txt"
    rc=$?
    t=$(awk -v a="$(date +%s.%N)" -v b="$t0" 'BEGIN { printf "%.3f", a - b }')
    valid=$(grep -c '"status":"VALID"' "$tmp/out.jsonl")
    echo "run $r: $total bundles in ${t} s, exit $rc, $valid VALID, load $(cut -d' ' -f1 /proc/loadavg); $(grep 'ledger:' "$tmp/err.txt" | sed 's/^ *//')"
    [ "$rc" = 0 ] && [ "$valid" = "$total" ] || { echo "bench: not every bundle VALID" >&2; cat "$tmp/err.txt" >&2; exit 1; }
    if [ -z "$best" ] || awk -v t="$t" -v b="$best" 'BEGIN { exit !(t < b) }'; then best=$t; fi
done
printf 'verify %d bundles from %d batches online (ganache), one process, %d jobs: best of %d = %.2f s (target <= 3 s)\n' \
    "$total" "$BATCHES" "$JOBS" "$RUNS" "$best"
verdict=MISS
awk -v b="$best" 'BEGIN { exit !(b <= 3) }' && [ "$total" -ge 10000 ] && verdict=PASS
printf '#target|verify_batch|%.2f s for %d bundles (best of %d)|%s\n' "$best" "$total" "$RUNS" "$verdict"
