#!/usr/bin/env bash
# tests/cli/stuck.sh — stuck and underpriced anchoring transactions on a fee
# network (issue 7, docs/design.md "Anchoring faults" "stuck / underpriced"), on a real
# hardhat node with automine off (tests/lib/hardhat.sh): blocks are mined
# only when this script says, each with the base fee it sets first, so a
# transaction can stay pending while blocks pass — which ganache cannot do.
#
#   replace   a transaction pending for K=3 blocks is replaced: same nonce,
#             every fee ≥ 110% and at least 2·baseFee + tip; not before K
#             blocks; the replacement is mined once the base fee falls, the
#             batch is anchored exactly once, the first one is never mined
#   cap       the fee cap (--max-fee-gwei) limits a replacement; at the cap
#             the batch stays pending with the reason (exit 3)
#   original  the original transaction is mined after its replacement was
#             broadcast (the replacement dropped from the pool): adopted
#   underpriced  another transaction of the key holds the nonce in the pool
#             at a higher fee: "replacement transaction underpriced" makes
#             the notary offer more (≥ 10% a step) until it takes the slot
# Nothing here waits on a clock: every step is driven by mined blocks.
# Ends with "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/lib/notary.sh
notary_test_begin notary-stuck
GWEI=1000000000
LOW=$GWEI            # a base fee every transaction here covers
HIGH=$((10 * GWEI))  # a base fee above the first offer (2·1 gwei + 1 gwei tip)

# tx_field HASH FIELD: a field of eth_getTransactionByHash, quantities in
# decimal; "none" when the node does not know the transaction.
tx_field() {
    ledger_rpc eth_getTransactionByHash "[\"$1\"]" | python3 -c 'import json,sys
r = json.load(sys.stdin)["result"]
if r is None: print("none"); sys.exit()
v = r.get(sys.argv[1])
print("" if v is None else int(v, 16) if isinstance(v, str) and v.startswith("0x") and sys.argv[1] != "hash" else v)' "$2"
}
mined_in() { ledger_rpc eth_getTransactionReceipt "[\"$1\"]" | python3 -c 'import json,sys
r = json.load(sys.stdin)["result"]; print("none" if r is None else int(r["blockNumber"], 16))'; }
count_anchors() { anchored_logs "$ISSUER" "$CONTRACT" | count_results; } # read from the ledger directly
stored_txs() { # stored_txs SEQ: transactions the store holds for issuance batch SEQ
    sqlite3 "$NOTARY_DATA/notary.db" "SELECT count(*) FROM txs WHERE kind = 0 AND seq = $1"
}
stored_raw() { # stored_raw TXHASH: the signed bytes, 0x-hex
    echo "0x$(sqlite3 "$NOTARY_DATA/notary.db" "SELECT lower(hex(raw)) FROM txs WHERE tx_hash = x'${1#0x}'")"
}
ge110() { # ge110 NEW OLD: NEW ≥ 1.1·OLD
    [ $((10 * $1)) -ge $((11 * $2)) ]
}
latest_base_fee() {
    ledger_rpc eth_getBlockByNumber '["latest",false]' | python3 -c 'import json,sys
print(int(json.load(sys.stdin)["result"]["baseFeePerGas"], 16))'
}
BATCH_TAG=stuck # new_batch: one new batch of one hash (tests/lib/notary.sh)
# Each run ends within --timeout: no block is mined while it waits, so what
# it does depends only on the blocks mined before it started (every step
# checked here happens in a run's first look at the batch, before its
# deadline is consulted).
RUN=(--poll-ms 100 --timeout 1 --replace-after-blocks 3)
# send_pending NAME [OPTIONS]: sign and send a closed batch; nothing is mined.
# The K-block count starts when a run first sees the transaction pending, a
# poll after the send; a second run sees it pending at once, so the count
# starts at the current block however slow the first run was.
send_pending() {
    local name=$1; shift
    expect_exit 3 "$name" "$NOTARY" anchor "${RUN[@]}" "$@"
    expect_exit 3 "$name, seen pending" "$NOTARY" anchor "${RUN[@]}" "$@"
}

ledger_start hardhat || { fail "hardhat start"; finish; }
ok "hardhat started ($LEDGER_URL)"
notary_key_file "$tmp/key.hex" "$DEV_KEY_0"
export NOTARY_DATA=$tmp/data
# The deployment is mined at once (automine on for it), then automine off.
ledger_rpc evm_setAutomine '[true]' >/dev/null
expect_exit 0 "init: registry deployed" "$NOTARY" init --rpc "$LEDGER_URL" --chain-id 1337 --deploy --import-key "$tmp/key.hex" --kdf-light --json
CONTRACT=$(json_field contract <<<"$LAST_OUT")
ISSUER=$(json_field issuer <<<"$LAST_OUT")
ledger_rpc evm_setAutomine '[false]' >/dev/null
anchors=0

# --- replace: pending for K blocks → same nonce, fees ≥ 110% ---------------------
new_batch
hardhat_mine 1 $LOW
send_pending "replace: sent, pending (nothing mined)"
tx1=$(batch_field "$(cur)" txHash)
nonce1=$(tx_field "$tx1" nonce); fee1=$(tx_field "$tx1" maxFeePerGas); tip1=$(tx_field "$tx1" maxPriorityFeePerGas)
check "replace: first transaction in the pool, not mined (maxFee $fee1, tip $tip1)" [ "$(tx_field "$tx1" blockNumber)" = "" ]
check "replace: priced at 2·baseFee + tip" [ "$fee1" = $((2 * LOW + tip1)) ]
hardhat_mine 2 $HIGH
expect_exit 3 "replace: 2 blocks pending, still pending" "$NOTARY" anchor "${RUN[@]}"
check "replace: not replaced before K blocks" [ "$(batch_field "$(cur)" txHash)" = "$tx1" ]
check "replace: the reason says when it is replaced" grep -q "higher fee replaces it from block" <<<"$(batch_field "$(cur)" reason)"
hardhat_mine 1 $HIGH
expect_exit 3 "replace: 3 blocks pending, replaced, pending" "$NOTARY" anchor "${RUN[@]}"
tx2=$(batch_field "$(cur)" txHash)
fee2=$(tx_field "$tx2" maxFeePerGas); tip2=$(tx_field "$tx2" maxPriorityFeePerGas)
check "replace: a new transaction ($tx2)" [ -n "$tx2" ] --and [ "$tx2" != "$tx1" ]
check "replace: same nonce ($nonce1)" [ "$(tx_field "$tx2" nonce)" = "$nonce1" ]
check "replace: maxFee $fee1 → $fee2 (≥ 110%)" ge110 "$fee2" "$fee1"
check "replace: tip $tip1 → $tip2 (≥ 110%)" ge110 "$tip2" "$tip1"
check "replace: maxFee covers 2·baseFee + tip" [ "$fee2" -ge $((2 * $(latest_base_fee) + tip2)) ]
check "replace: the log says why" grep -q "pending for 3 blocks" <<<"$LAST_ERR"
check "replace: the first transaction left the pool" [ "$(tx_field "$tx1" nonce)" = none ]
check "replace: both transactions stored" [ "$(stored_txs "$(cur)")" = 2 ]
hardhat_mine 1 $LOW
expect_exit 0 "replace: base fee down, anchored" "$NOTARY" anchor "${RUN[@]}"
anchors=$((anchors + 1))
check "replace: anchored with the replacement" [ "$(batch_field "$(cur)" txHash)" = "$tx2" ] --and [ "$(batch_field "$(cur)" state)" = anchored ]
check "replace: exactly one Anchored event" [ "$(count_anchors)" = $anchors ]
check "replace: the first transaction never mined" [ "$(mined_in "$tx1")" = none ]
check "replace: one nonce used" [ "$(ledger_rpc eth_getTransactionCount "[\"$ISSUER\",\"latest\"]" | json_field result)" = "$(printf '0x%x' $((nonce1 + 1)))" ]
echo "# replace: maxFee $fee1 → $fee2 wei, tip $tip1 → $tip2 wei"

# --- cap: a replacement up to the cap, then pending with the reason -----------------
new_batch
hardhat_mine 1 $LOW
CAP=(--max-fee-gwei 5)
send_pending "cap: sent under a 5 gwei cap" "${CAP[@]}"
txa=$(batch_field "$(cur)" txHash); feea=$(tx_field "$txa" maxFeePerGas)
hardhat_mine 3 $HIGH
expect_exit 3 "cap: replaced, at most the cap" "$NOTARY" anchor "${RUN[@]}" "${CAP[@]}"
txb=$(batch_field "$(cur)" txHash); feeb=$(tx_field "$txb" maxFeePerGas)
check "cap: replaced ($feea → $feeb), at the cap though the network asks more" [ "$txb" != "$txa" ] --and [ "$feeb" = $((5 * GWEI)) ]
hardhat_mine 3 $HIGH
expect_exit 3 "cap: at the cap, pending" "$NOTARY" anchor "${RUN[@]}" "${CAP[@]}"
check "cap: not replaced again" [ "$(batch_field "$(cur)" txHash)" = "$txb" ] --and [ "$(stored_txs "$(cur)")" = 2 ]
reason=$(batch_field "$(cur)" reason)
check "cap: the reason names the cap ($reason)" grep -q "fee cap of 5000000000 wei per gas is reached" <<<"$reason"
check "cap: still in the pool" [ "$(tx_field "$txb" blockNumber)" = "" ]
hardhat_mine 1 $LOW
expect_exit 0 "cap: base fee down, anchored" "$NOTARY" anchor "${RUN[@]}" "${CAP[@]}"
anchors=$((anchors + 1))
echo "# cap: maxFee $feea → $feeb wei (cap 5 gwei, network 2·10 gwei + tip)"
check "cap: anchored once, with the capped replacement" [ "$(count_anchors)" = $anchors ] --and [ "$(batch_field "$(cur)" txHash)" = "$txb" ]

# --- original: mined after its replacement was broadcast → adopted -------------------
new_batch
hardhat_mine 1 $LOW
send_pending "original: sent, pending"
txo=$(batch_field "$(cur)" txHash)
hardhat_mine 3 $HIGH
expect_exit 3 "original: replaced" "$NOTARY" anchor "${RUN[@]}"
txr=$(batch_field "$(cur)" txHash)
check "original: a replacement is current" [ "$txr" != "$txo" ] --and [ "$(tx_field "$txr" blockNumber)" = "" ]
# The node loses the replacement and hears the original again (a node
# that never saw the replacement would mine the original).
check "original: replacement dropped from the pool" grep -q '"result":true' <<<"$(ledger_rpc hardhat_dropTransaction "[\"$txr\"]")"
out=$(ledger_rpc eth_sendRawTransaction "[\"$(stored_raw "$txo")\"]")
check "original: original back in the pool" grep -q "\"result\":\"$txo\"" <<<"$out"
hardhat_mine 1 $LOW
check "original: the original is mined" [ "$(mined_in "$txo")" != none ]
expect_exit 0 "original: anchored" "$NOTARY" anchor "${RUN[@]}"
anchors=$((anchors + 1))
check "original: adopted the original transaction" [ "$(batch_field "$(cur)" txHash)" = "$txo" ]
check "original: the log says it follows the earlier fee level" grep -q "earlier fee level" <<<"$LAST_ERR"
check "original: exactly one Anchored event" [ "$(count_anchors)" = $anchors ]
check "original: the replacement never mined" [ "$(mined_in "$txr")" = none ]

# --- underpriced: the node wants more → bump again, within the cap ------------------
new_batch
hardhat_mine 1 $LOW
send_pending "underpriced: sent, pending"
txu=$(batch_field "$(cur)" txHash); nonceu=$(tx_field "$txu" nonce)
# Another transaction of the same key (an operator's wallet) takes the
# nonce's pool slot at a much higher fee: 8 gwei, tip 2 gwei.
cfee=$((8 * GWEI)); ctip=$((2 * GWEI))
out=$(ledger_rpc eth_sendTransaction "[{\"from\":\"$ISSUER\",\"to\":\"$ISSUER\",\"nonce\":\"$(printf '0x%x' "$nonceu")\",\"gas\":\"0x5208\",\"maxFeePerGas\":\"$(printf '0x%x' $cfee)\",\"maxPriorityFeePerGas\":\"$(printf '0x%x' $ctip)\"}]")
txc=$(json_field result <<<"$out" 2>/dev/null)
check "underpriced: the other transaction holds the nonce" [ "$(tx_field "$txu" nonce)" = none ] --and [ "$(tx_field "$txc" nonce)" = "$nonceu" ]
expect_exit 3 "underpriced: offers more until accepted, pending" "$NOTARY" anchor "${RUN[@]}"
grep "underpriced\|replaced by" <<<"$LAST_ERR" | head -n 3 | sed 's/^/# /'
txv=$(batch_field "$(cur)" txHash)
feev=$(tx_field "$txv" maxFeePerGas); tipv=$(tx_field "$txv" maxPriorityFeePerGas)
check "underpriced: the log shows refusals" grep -q "refused as underpriced; offering more" <<<"$LAST_ERR"
check "underpriced: ours took the slot (maxFee $feev, tip $tipv)" [ "$(tx_field "$txv" nonce)" = "$nonceu" ] --and [ "$(tx_field "$txc" nonce)" = none ]
check "underpriced: ≥ 110% of the other's fees" ge110 "$feev" $cfee
check "underpriced: ≥ 110% of the other's tip" ge110 "$tipv" $ctip
n=$(stored_txs "$(cur)")
check "underpriced: every refused offer recorded before it was sent ($n)" [ "$n" -ge 3 ]
hardhat_mine 1 $LOW
expect_exit 0 "underpriced: anchored" "$NOTARY" anchor "${RUN[@]}"
anchors=$((anchors + 1))
check "underpriced: exactly one Anchored event" [ "$(count_anchors)" = $anchors ] --and [ "$(batch_field "$(cur)" txHash)" = "$txv" ]
check "underpriced: the other transaction never mined" [ "$(mined_in "$txc")" = none ]
echo "# underpriced: other 8 gwei / tip 2 gwei; ours $feev / tip $tipv wei after $((n - 1)) replacements"

# --- nothing lost: every bundle verifies against the ledger -------------------------
bad=0
for h in "${HASHES[@]}"; do
    "$NOTARY" proof "$h" > "$tmp/p.json" 2>/dev/null &&
        "$VERIFIER" verify --hash "$h" --proof "$tmp/p.json" --rpc "$LEDGER_URL" --issuer "$ISSUER" >/dev/null 2>&1 || bad=$((bad + 1))
done
check "every bundle (${#HASHES[@]}) verifies online" [ "$bad" = 0 ]

ledger_stop
finish
