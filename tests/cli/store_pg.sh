#!/usr/bin/env bash
# tests/cli/store_pg.sh — the store-level test suite (tests/unit/test_store.c)
# against PostgreSQL: a server of our own from Debian's postgresql package in a
# temporary directory on a free loopback port (tests/lib/pg.sh), stopped by PID.
# Every test gets a new database on it (tests/store_url.h). Prints the test
# program's "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
. tests/lib/pg.sh
trap pg_stop EXIT
if ! pg_start; then
    echo "FAIL: cannot start a PostgreSQL server"
    echo "0 passed, 1 failed"
    exit 1
fi
NOTARY_TEST_PG=$PG_URL "$BUILD/tests/test_store"
