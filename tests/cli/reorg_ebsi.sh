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
. tests/lib/check.sh
BUILD=${BUILD:-build}
NOTARY="$BUILD/bin/notary"
VERIFIER="$BUILD/bin/verifier"

scripts/setup.sh --npm . >/dev/null || { fail "setup: npm ci"; finish; }
. tests/lib/ledger.sh
. tests/gateway/gateway.sh
tmp=$(mktemp -d "${TMPDIR:-/tmp}/notary-reorg-ebsi.XXXXXX")
export LEDGER_LOG_DIR=$tmp
trap 'gateway_stop >/dev/null 2>&1; ledger_stop >/dev/null 2>&1; rm -rf "$tmp"' EXIT
export NOTARY_PASSWORD="test password"
unset NOTARY_EBSI_TOKEN

ledger_start berlin || { fail "ledger start"; finish; }
printf '{"tokens": [{"token": "good-token-1", "scopes": ["timestamp_write"], "exp": 4102444800}]}\n' > "$tmp/tokens.json"
gateway_start "$tmp/tokens.json" || { fail "gateway start"; finish; }
(umask 077; printf 'good-token-1\n' > "$tmp/token"; printf '%s\n' "$DEV_KEY_0" > "$tmp/key.hex")
export NOTARY_DATA=$tmp/data
"$NOTARY" init --ledger ebsi --rpc "$GATEWAY_LEDGER" --timestamp-api "$GATEWAY_API" --timestamp-contract "$GATEWAY_CONTRACT" \
    --token-file "$tmp/token" --import-key "$tmp/key.hex" --kdf-light >/dev/null 2>"$tmp/init.err" || { fail "init: $(cat "$tmp/init.err")"; finish; }

TOPIC=$(node -e 'const {ethers}=require("ethers"); console.log(ethers.id("HashTimestamped(bytes,uint256,address,uint256,bytes)"))')
count_events() {
    local from_topic=0x000000000000000000000000$(tr 'A-F' 'a-f' <<<"${DEV_ADDR_0#0x}")
    ledger_rpc eth_getLogs "[{\"address\":\"$GATEWAY_CONTRACT\",\"fromBlock\":\"0x0\",\"toBlock\":\"latest\",\"topics\":[\"$TOPIC\",\"$from_topic\"]}]" |
        python3 -c 'import json,sys; print(len(json.load(sys.stdin)["result"]))'
}
raw_tx() {
    python3 - "$NOTARY_DATA/notary.db" "$1" <<'EOF'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
(raw,) = db.execute("SELECT t.raw FROM txs t JOIN batches b ON b.tx_hash = t.tx_hash "
                    "WHERE b.kind = 0 AND b.seq = ?", (int(sys.argv[2]),)).fetchone()
print("0x" + raw.hex())
EOF
}
hash_of() { printf '%s' "$1" | sha256sum | cut -c1-64; }
st() { "$NOTARY" status --json | json_field "$1"; }
snapshot() { ledger_rpc evm_snapshot | json_field result; }
mine() { for _ in $(seq 1 "$1"); do ledger_rpc evm_mine >/dev/null; done; }
block_number() { ledger_rpc eth_blockNumber | python3 -c 'import json,sys; print(int(json.load(sys.stdin)["result"], 16))'; }
batch() { "$NOTARY" submit "$(hash_of "$1")" >/dev/null && "$NOTARY" close >/dev/null; }
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
