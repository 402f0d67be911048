#!/usr/bin/env bash
# tests/cli/crash_trials.sh — the fast variant of scripts/crash-trials.sh for
# the test suite: a few SIGKILL trials during submit, close and anchor of
# batches of 5k-20k hashes, the invariants checked after each restart, and
# the checker's self-test (a lost hash and a store/ledger mismatch are
# caught). The full run is `scripts/crash-trials.sh` (50 trials).
# Ends with "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/lib/check.sh
BUILD=${BUILD:-build}

scripts/setup.sh --npm . >/dev/null || fail "setup: npm ci"
out=$(BUILD=$BUILD scripts/crash-trials.sh --trials "${CRASH_TRIALS:-4}" --min-hashes 5000 --max-hashes 20000 --self-test 2>&1)
rc=$?
printf '%s\n' "$out" | sed 's/^/    /'
grep -q "^trials: ${CRASH_TRIALS:-4}, violations: 0$" <<<"$out" && ok "crash trials: no violations" || fail "crash trials: violations"
grep -q "^self-test: caught 2 of 2$" <<<"$out" && ok "the checker catches a lost hash and a ledger mismatch" || fail "checker self-test"
[ "$rc" -eq 0 ] && ok "crash-trials.sh exit 0" || fail "crash-trials.sh exit $rc"
finish
