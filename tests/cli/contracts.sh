#!/usr/bin/env bash
# tests/cli/contracts.sh — the contracts and their committed artifacts:
#  1. contracts/build/ matches a fresh compile with the pinned solc
#     (scripts/compile-contracts.js --check);
#  2. on a local ganache in both profiles (default, and berlin with gasPrice 0,
#     as on EBSI/Besu), tests/js/contracts.test.js (NotaryRegistry, Timestamp)
#     and tests/js/registry2.test.js (NotaryRegistry2: identity and anchoring
#     keys) deploy the committed bytecode and check every rule with ethers.
# Ends with one line "N passed, N failed"; exits non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/lib/check.sh


# The pinned Node tools (ganache, solc, ethers): installs only when missing.
require_node_tools

if out=$(node scripts/compile-contracts.js --check 2>&1); then
    ok "committed artifacts match a fresh compile"
else
    fail "committed artifacts differ from a fresh compile:"
    sed 's/^/    /' <<<"$out"
fi

. tests/lib/ledger.sh
ledger_trap

for profile in default berlin; do
    if ! ledger_start "$profile"; then
        fail "$profile: the local ledger did not start"
        continue
    fi
    for js in contracts registry2; do
        log=$(mktemp "${TMPDIR:-/tmp}/$js-js.XXXXXX")
        LEDGER_PROFILE=$profile node "tests/js/$js.test.js" >"$log" 2>&1
        rc=$?
        # Re-print the Node test's lines indented, so that this script's own
        # summary stays the only "N passed, N failed" line.
        sed 's/^/  /' "$log"
        line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log" | tail -n 1)
        if [ -n "$line" ]; then
            p=${line%% passed*}
            f=${line#* passed, }; f=${f%% failed*}
            passed=$((passed + p)); failed=$((failed + f))
            if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then fail "$profile: $js.test.js exited $rc"; fi
        else
            fail "$profile: $js.test.js exited $rc without a summary"
        fi
        if [ "$rc" -ne 0 ]; then
            echo "  last lines of the ledger log ($profile):"
            tail -n 15 "$LEDGER_LOG" | sed 's/^/    /'
        fi
        rm -f "$log"
    done
    ledger_stop
done

finish
