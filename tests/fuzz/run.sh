#!/usr/bin/env bash
# tests/fuzz/run.sh — run every libFuzzer target in $BUILD/fuzz/ for
# $FUZZ_SECONDS seconds each (make fuzz builds them and calls this).
#
# Each target starts from a scratch copy of its committed seeds
# (tests/fuzz/corpus/<target>/, never grown by a run) plus the shared JSON
# dictionary for the JSON targets. A crash, leak, sanitizer report, timeout
# or out-of-memory is a failure: the reproducer is kept under
# $BUILD/fuzz-artifacts/<target>/ and named in the output. Replay one with
#   $BUILD/fuzz/fuzz_<target> $BUILD/fuzz-artifacts/<target>/crash-...
# Prints one summary line per target and ends with
#   fuzz: N targets, M crashes
set -uo pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build-fuzz}
SECONDS_EACH=${FUZZ_SECONDS:-30}
ONLY=${FUZZ_ONLY:-}   # a target name to run just that one

work=$(mktemp -d "${TMPDIR:-/tmp}/fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT

targets=0
crashes=0
for bin in "$BUILD"/fuzz/fuzz_*; do
    [ -x "$bin" ] || continue
    name=${bin##*/fuzz_}
    [ -z "$ONLY" ] || [ "$ONLY" = "$name" ] || continue
    targets=$((targets + 1))
    corpus=$work/$name
    mkdir -p "$corpus"
    seeds=0
    if [ -d "tests/fuzz/corpus/$name" ]; then
        cp tests/fuzz/corpus/"$name"/* "$corpus"/ 2>/dev/null
        seeds=$(find "tests/fuzz/corpus/$name" -type f | wc -l)
    fi
    art=$BUILD/fuzz-artifacts/$name
    rm -rf "$art"
    mkdir -p "$art"
    opts=(-max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 -max_len=65536
          -print_final_stats=1 -artifact_prefix="$art/")
    [ -f "tests/fuzz/$name.dict" ] && opts+=(-dict="tests/fuzz/$name.dict")
    log=$work/$name.log
    "$bin" "${opts[@]}" "$corpus" >"$log" 2>&1
    rc=$?
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n1)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n1 | cut -d' ' -f2)
    units=$(find "$corpus" -type f | wc -l)
    found=$(find "$art" -type f ! -name fuzz.log | wc -l)
    if [ "$rc" -ne 0 ] || [ "$found" -gt 0 ]; then
        crashes=$((crashes + 1))
        cp "$log" "$art/fuzz.log"
        echo "fuzz_$name: FAILED (exit $rc) after ${runs:-?} runs; log $art/fuzz.log; reproducer(s):"
        find "$art" -type f ! -name fuzz.log | sed 's/^/    /'
        grep -E 'ERROR|SUMMARY|property violated|runtime error' "$log" | head -n 8 | sed 's/^/    /'
    else
        echo "fuzz_$name: ${runs:-0} runs in ${SECONDS_EACH} s (${rate:-0} exec/s), coverage ${cov:-0}, corpus $seeds -> $units, 0 crashes"
    fi
done
echo "fuzz: $targets targets, $crashes crashes"
[ "$targets" -gt 0 ] && [ "$crashes" -eq 0 ]
