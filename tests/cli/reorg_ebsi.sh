#!/usr/bin/env bash
# tests/cli/reorg_ebsi.sh — reorgs after anchoring for an "ebsi" notary (the
# same re-check as tests/cli/reorg.sh, notary/anchoring/finality.c), on ganache behind
# the local EBSI-style gateway (tests/gateway):
#   - moved: the same signed transaction mined again two blocks later is
#     adopted by `status --check`; the stale bundle is UNKNOWN naming its own
#     block, the re-exported one VALID;
#   - vanished: `anchor` sends the same bytes again through the Timestamp API;
#     one HashTimestamped event for the root.
# Ends with "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/lib/notary.sh
notary_test_begin notary-reorg-ebsi

notary_gateway_start
notary_key_file "$tmp/key.hex" "$DEV_KEY_0"
export NOTARY_DATA=$tmp/data
notary_init_ebsi "$NOTARY_DATA" "$tmp/key.hex" >/dev/null 2>"$tmp/init.err" || { fail "init: $(cat "$tmp/init.err")"; finish; }

count_events() { timestamped_count "$DEV_ADDR_0"; }
verify() { "$VERIFIER" verify --hash "$(hash_of "$1")" --proof "$2" --rpc "$GATEWAY_LEDGER" --issuer "$DEV_ADDR_0" --contract "$GATEWAY_CONTRACT"; }
ANCHOR=("$NOTARY" anchor --poll-ms 100 --timeout 60 --rpc-attempts 2)

# --- moved ------------------------------------------------------------------------
batch e0
snap=$(snapshot)
expect_exit 0 "ebsi moved: batch 0 timestamped" "${ANCHOR[@]}"
b_old=$(st batches.0.blockNumber)
"$NOTARY" proof "$(hash_of e0)" > "$tmp/stale0.json" 2>/dev/null
raw0=$(raw_tx 0)
ledger_rpc evm_revert "[\"$snap\"]" >/dev/null
mine 2
ledger_rpc eth_sendRawTransaction "[\"$raw0\"]" >/dev/null
b_new=$(block_number)
expect_exit 3 "ebsi moved: the stale bundle is UNKNOWN, not INVALID" verify e0 "$tmp/stale0.json"
has "ebsi moved: names the bundle's block $b_old" "bundle's block $b_old .*no longer canonical"
expect_exit 0 "ebsi moved: status --check" "$NOTARY" status --check
has "ebsi moved: adopted" "from block $b_old to block $b_new"
[ "$(st batches.0.blockNumber)" = "$b_new" ] && ok "ebsi moved: status shows block $b_new" || fail "ebsi moved: block $(st batches.0.blockNumber)"
"$NOTARY" proof "$(hash_of e0)" > "$tmp/fresh0.json" 2>/dev/null
expect_exit 0 "ebsi moved: the re-exported bundle verifies VALID" verify e0 "$tmp/fresh0.json"

# --- vanished: re-sent through the Timestamp API ---------------------------------
batch e1
snap=$(snapshot)
expect_exit 0 "ebsi vanished: batch 1 timestamped" "${ANCHOR[@]}"
tx1=$(st batches.1.txHash)
ledger_rpc evm_revert "[\"$snap\"]" >/dev/null
mine 2
[ "$(count_events)" = 1 ] && ok "ebsi vanished: the reorg removed the event" || fail "ebsi vanished: events $(count_events)"
expect_exit 0 "ebsi vanished: anchor sends it again" "${ANCHOR[@]}"
has "ebsi vanished: says why" "reorganised away"
[ "$(st batches.1.txHash)" = "$tx1" ] && ok "ebsi vanished: the same signed transaction" || fail "ebsi vanished: tx changed"
[ "$(count_events)" = 2 ] && ok "ebsi vanished: one event per batch" || fail "ebsi vanished: events $(count_events)"
"$NOTARY" proof "$(hash_of e1)" > "$tmp/fresh1.json" 2>/dev/null
expect_exit 0 "ebsi vanished: the bundle verifies VALID" verify e1 "$tmp/fresh1.json"

gateway_stop
ledger_stop
finish
