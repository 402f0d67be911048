#!/usr/bin/env bash
# tests/cli/store_pg.sh — the store-level test programs (tests/unit/test_store.c,
# test_store_txs.c) against PostgreSQL: a server of our own from Debian's
# postgresql package in a temporary directory on a free loopback port
# (tests/lib/pg.sh), stopped by PID. Every test gets a new database on it
# (tests/store_url.h). Prints the programs' summed "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/lib/check.sh
BUILD=${BUILD:-build}
. tests/lib/pg.sh
trap pg_stop EXIT
if ! pg_start; then
    fail "cannot start a PostgreSQL server"
    finish
fi
for t in test_store test_store_txs test_levels; do
    out=$(NOTARY_TEST_PG=$PG_URL "$BUILD/tests/$t" 2>&1); rc=$?
    printf '%s\n' "$out" | grep -v -E '^[0-9]+ passed, [0-9]+ failed'
    line=$(printf '%s\n' "$out" | grep -E '^[0-9]+ passed, [0-9]+ failed' | tail -n 1)
    if [ -z "$line" ]; then
        fail "$t: exit status $rc without a summary"; continue
    fi
    p=${line%% passed*}; f=${line#*passed, }; f=${f%% failed*}
    echo "$t on PostgreSQL: $p passed, $f failed"
    passed=$((passed + p)); failed=$((failed + f))
    [ "$rc" -ne 0 ] && [ "$f" -eq 0 ] && failed=$((failed + 1))
done
finish
