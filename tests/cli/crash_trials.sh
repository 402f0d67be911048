#!/usr/bin/env bash
# tests/cli/crash_trials.sh — the CI-sized variant of scripts/crash-trials.sh:
# SIGKILL trials during submit, close and anchor of batches of 5k-20k hashes
# against a local ganache, the invariants (every acknowledged hash stored in
# its batch, one anchor per batch with the recorded root, contiguous
# sequence, `notary check` clean) checked after each restart, and the
# checker's self-test (a lost hash, a store/ledger mismatch and a sequence
# gap are caught) — on a SQLite store (CRASH_TRIALS, default 4) and on a
# PostgreSQL store of a throwaway server (CRASH_TRIALS_PG, default 8: random
# kills of the notary, and of the database backend serving it, which makes
# the server crash-recover). About 10 s + 20 s on two cores. The long run is
# `scripts/crash-trials.sh [--store pg] --trials 50`.
# Ends with "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/lib/check.sh
BUILD=${BUILD:-build}

scripts/setup.sh --npm . >/dev/null || fail "setup: npm ci"
for engine in sqlite pg; do
    if [ "$engine" = pg ]; then n=${CRASH_TRIALS_PG:-8}; else n=${CRASH_TRIALS:-4}; fi
    t0=$(date +%s)
    out=$(BUILD=$BUILD scripts/crash-trials.sh --store "$engine" --trials "$n" --min-hashes 5000 \
        --max-hashes 20000 --self-test 2>&1)
    rc=$?
    printf '%s\n' "$out" | sed 's/^/    /'
    echo "    ($engine: $(( $(date +%s) - t0 )) s)"
    grep -q "^trials: $n, violations: 0$" <<<"$out" && ok "$engine: $n crash trials, no violations" \
        || fail "$engine: crash trials: violations"
    grep -q "^self-test: caught 3 of 3$" <<<"$out" \
        && ok "$engine: the checker catches a lost hash, a ledger mismatch and a sequence gap" \
        || fail "$engine: checker self-test"
    [ "$rc" -eq 0 ] && ok "$engine: crash-trials.sh exit 0" || fail "$engine: crash-trials.sh exit $rc"
done
finish
