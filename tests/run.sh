#!/usr/bin/env bash
# Run every test program (build/tests/test_*) and every scripted test
# (tests/cli/*.sh), each of which ends with "N passed, N failed"; print each
# program's summary and the grand total as the last line. A program that
# crashes or prints no summary counts as one failure.
#   BUILD=build tests/run.sh [FILTER]
set -uo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
export BUILD
FILTER=${1:-}
total_p=0; total_f=0; total_s=0
log_dir=$(mktemp -d "${TMPDIR:-/tmp}/cn-run.XXXXXX")
trap 'rm -rf "$log_dir"' EXIT

run_one() { # name, command...
    local name=$1; shift
    local log="$log_dir/$(basename "$name").log"
    local start=$SECONDS
    "$@" >"$log" 2>&1
    local rc=$?
    local line
    line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
    local p=0 f=0 s=0
    if [ -n "$line" ]; then
        p=$(sed -E 's/^([0-9]+) passed.*/\1/' <<<"$line")
        f=$(sed -E 's/^[0-9]+ passed, ([0-9]+) failed.*/\1/' <<<"$line")
        if grep -q skipped <<<"$line"; then s=$(sed -E 's/.*failed, ([0-9]+) skipped.*/\1/' <<<"$line"); fi
    fi
    if [ -z "$line" ] || { [ $rc -ne 0 ] && [ "$f" -eq 0 ]; }; then
        f=$((f + 1))
        echo "FAIL $name: exit status $rc without a failure count; its output:"
        tail -n 30 "$log" | sed 's/^/    /'
    elif [ "$f" -gt 0 ]; then
        grep -E '^(FAIL|#)' "$log" | head -n 40 | sed 's/^/    /'
    fi
    printf '%-34s %4d passed, %d failed%s  (%ds)\n' "$name" "$p" "$f" \
        "$([ "$s" -gt 0 ] && echo ", $s skipped")" $((SECONDS - start))
    total_p=$((total_p + p)); total_f=$((total_f + f)); total_s=$((total_s + s))
}

for t in "$BUILD"/tests/test_*; do
    [ -x "$t" ] || continue
    [ -n "$FILTER" ] && [[ "$t" != *"$FILTER"* ]] && continue
    run_one "$(basename "$t")" "$t"
done
for t in tests/cli/*.sh; do
    [ -f "$t" ] || continue
    [ -n "$FILTER" ] && [[ "$t" != *"$FILTER"* ]] && continue
    run_one "$(basename "$t" .sh)" bash "$t"
done

if [ "$total_s" -gt 0 ]; then
    echo "$total_p passed, $total_f failed, $total_s skipped"
else
    echo "$total_p passed, $total_f failed"
fi
[ "$total_f" -eq 0 ]
