#!/usr/bin/env bash
# tests/cli/notary_ebsi.sh — the "ebsi" ledger flow end to end against the
# local EBSI-style gateway (tests/gateway/gateway.js) in front of ganache
# (berlin profile, gasPrice 0):
#   - init --ledger ebsi (and its refusals), issue → close → anchor through the
#     Timestamp API → proof → verify VALID from the gateway's read-only ledger API;
#   - tokens: expired, without the timestamp_write scope, missing: a clear error,
#     the batch stays pending, nothing is sent;
#   - a gateway that returns a transaction to another `to`, with another root or
#     for another chain: the notary refuses to sign, nothing is sent;
#   - a gateway that mangles the signature check: rejected, reported, the same
#     signed bytes go through on the next run;
#   - the gateway down before building, after building, after submitting: the
#     batch stays pending and resumes later, one anchor only (HashTimestamped
#     events from our address counted on the ledger);
#   - a root already timestamped by us is adopted; by someone else: FAILED;
#   - tampered ebsi bundles are INVALID; an unreachable ledger is UNKNOWN.
# Ends with "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/lib/notary.sh
notary_test_begin notary-ebsi

notary_gateway_start '{"tokens": [
  {"token": "good-token-1", "scopes": ["timestamp_write"], "exp": 4102444800},
  {"token": "no-scope-token", "scopes": ["tir_invite"], "exp": 4102444800},
  {"token": "expired-token", "scopes": ["timestamp_write"], "exp": 1700000000}
]}'
ok "gateway started: Timestamp contract $GATEWAY_CONTRACT"

# HashTimestamped events from $1 on the ledger (asked through the gateway).
count_events() { timestamped_count "$1" "$GATEWAY_LEDGER"; }
# fresh_notary DIR KEY: a new notary in DIR/data with KEY, NOTARY_DATA from now on.
fresh_notary() {
    mkdir -p "$1"
    notary_key_file "$1/key.hex" "$2"
    export NOTARY_DATA=$1/data
    notary_init_ebsi "$NOTARY_DATA" "$1/key.hex" >/dev/null 2>&1
}
tx_count() { # mined transactions sent by $1
    ledger_rpc eth_getTransactionCount "[\"$1\",\"latest\"]" | python3 -c 'import json,sys; print(int(json.load(sys.stdin)["result"],16))'
}
batch_field() { # batch_field SEQ FIELD (of the current notary)
    "$NOTARY" status --json | python3 -c 'import json,sys
b=[x for x in json.load(sys.stdin)["batches"] if x["seq"]==int(sys.argv[1])][0]
print(b.get(sys.argv[2], ""))' "$1" "$2"
}
new_batch() { # new_batch TAG N: submit N credentials, close
    local i
    mkdir -p "$tmp/creds"
    for i in $(seq 1 "$2"); do
        printf '{"credentialSubject": {"name": "Holder %s-%d"}, "type": ["VerifiableCredential"]}\n' "$1" "$i" > "$tmp/creds/$1-$i.json"
        "$NOTARY" submit --credential "$tmp/creds/$1-$i.json" >/dev/null
    done
    "$NOTARY" close --json > "$tmp/close-$1.json"
}
ANCHOR=("$NOTARY" anchor --poll-ms 100 --timeout 60 --rpc-attempts 2)

# --- the ledger API is read-only ----------------------------------------------
out=$(ledger_rpc eth_sendRawTransaction '["0x00"]' "$GATEWAY_LEDGER")
expect_grep "ledger API refuses eth_sendRawTransaction" "not allowed" "$out"
out=$(ledger_rpc eth_chainId '[]' "$GATEWAY_LEDGER")
expect_grep "ledger API answers eth_chainId" '"0x539"' "$out"

# --- init ------------------------------------------------------------------------
notary_dir n0
expect_exit 2 "init --ledger ebsi without --timestamp-api is a usage error" \
    "$NOTARY" init --ledger ebsi --rpc "$GATEWAY_LEDGER" --timestamp-contract "$GATEWAY_CONTRACT" --import-key "$d/key.hex" --kdf-light
expect_exit 2 "init --ledger ebsi with --deploy is a usage error" \
    "$NOTARY" init --ledger ebsi --rpc "$GATEWAY_LEDGER" --timestamp-api "$GATEWAY_API" --timestamp-contract "$GATEWAY_CONTRACT" --deploy --import-key "$d/key.hex" --kdf-light
expect_exit 1 "init refuses a Timestamp contract address without code" \
    "$NOTARY" init --ledger ebsi --rpc "$GATEWAY_LEDGER" --timestamp-api "$GATEWAY_API" --timestamp-contract 0x000000000000000000000000000000000000dEaD --import-key "$d/key.hex" --kdf-light
expect_grep "says there is no contract" "no contract" "$LAST_ERR"
rm -rf "$d/data"
printf 'good-token-1\n' > "$tmp/token-open"; chmod 644 "$tmp/token-open"
expect_exit 1 "init refuses a token file others can read" \
    "$NOTARY" init --ledger ebsi --rpc "$GATEWAY_LEDGER" --timestamp-api "$GATEWAY_API" --timestamp-contract "$GATEWAY_CONTRACT" --token-file "$tmp/token-open" --import-key "$d/key.hex" --kdf-light
expect_grep "says chmod 600" "chmod 600" "$LAST_ERR"
rm -rf "$d/data"
expect_exit 0 "init --ledger ebsi" \
    "$NOTARY" init --ledger ebsi --rpc "$GATEWAY_LEDGER" --timestamp-api "$GATEWAY_API" --timestamp-contract "$GATEWAY_CONTRACT" --token-file "$tmp/token" --import-key "$d/key.hex" --kdf-light --json
issuer=$(json_field issuer <<<"$LAST_OUT")
[ "$issuer" = "$DEV_ADDR_0" ] && ok "issuer is the imported key" || fail "issuer $issuer"
grep -q good-token-1 "$d/data/notary.db" && fail "token stored in the database" || ok "token not stored in the database"
[ "$("$NOTARY" status --json | json_field config.ledger)" = ebsi ] && ok "status says ledger ebsi" || fail "status ledger"

# --- issue, close ---------------------------------------------------------------
new_batch b0 3
root0=$(json_field root < "$tmp/close-b0.json")

# --- tokens: expired, no scope, missing ------------------------------------------
built_before=$(gateway_stat built)
NOTARY_EBSI_TOKEN=expired-token expect_exit 1 "expired token: anchor fails" "${ANCHOR[@]}"
expect_grep "expired token: says missing, expired or lacks timestamp_write" "missing, expired or lacks the timestamp_write scope" "$LAST_ERR"
grep -q expired-token <<<"$LAST_ERR$LAST_OUT" && fail "the token appears in the output" || ok "the token is not in the output"
[ "$(batch_field 0 state)" = closed ] && ok "expired token: batch stays pending (closed)" || fail "state $(batch_field 0 state)"
NOTARY_EBSI_TOKEN=no-scope-token expect_exit 1 "token without timestamp_write: anchor fails" "${ANCHOR[@]}"
expect_grep "no-scope token: clear message" "timestamp_write" "$LAST_ERR"
expect_grep "no-scope token: the reason is in status" "timestamp_write" "$(batch_field 0 reason)"
mv "$tmp/token" "$tmp/token.away"
expect_exit 1 "missing token file: anchor fails" "${ANCHOR[@]}"
expect_grep "missing token: says so" "no EBSI access token" "$LAST_ERR"
mv "$tmp/token.away" "$tmp/token"
[ "$(gateway_stat built)" = "$built_before" ] && ok "no transaction was built for a refused token" || fail "built $(gateway_stat built)"
[ "$(gateway_stat authRefused)" -ge 2 ] && ok "the gateway refused the tokens (401/403)" || fail "authRefused $(gateway_stat authRefused)"

# --- a gateway that offers something else: refuse to sign ------------------------
for f in wrong-to wrong-root wrong-chain; do
    gateway_fault "$f"
    expect_exit 1 "$f: anchor refuses" "${ANCHOR[@]}"
    expect_grep "$f: says it refuses to sign" "refusing to sign" "$LAST_ERR"
done
gateway_fault none
[ "$(gateway_stat sendReceived)" = 0 ] && ok "nothing was sent to the gateway" || fail "sendReceived $(gateway_stat sendReceived)"
[ "$(tx_count "$issuer")" = 0 ] && ok "no transaction from the issuer on the ledger" || fail "tx count $(tx_count "$issuer")"
[ "$(batch_field 0 state)" = closed ] && ok "batch still closed, nothing signed" || fail "state $(batch_field 0 state)"

# --- mangled signature check: rejected, reported; same bytes later ----------------
gateway_fault mangle-signature
expect_exit 1 "mangled signature: anchor reports the rejection" "${ANCHOR[@]}"
expect_grep "mangled signature: says the API rejected it" "rejected the signed transaction" "$LAST_ERR"
[ "$(gateway_stat sendRejected)" -ge 1 ] && ok "the gateway rejected the signature" || fail "sendRejected"
txh=$(batch_field 0 txHash)
[ "$(batch_field 0 state)" = sent ] && [ -n "$txh" ] && ok "the signed transaction is stored (sent, $txh)" || fail "state $(batch_field 0 state)"
[ "$(count_events "$issuer")" = 0 ] && ok "nothing timestamped yet" || fail "events"
gateway_fault none
expect_exit 0 "after the fault: anchor" "${ANCHOR[@]}" --json
[ "$(json_field anchored <<<"$LAST_OUT")" = 1 ] && ok "batch 0 anchored" || fail "anchor result $LAST_OUT"
[ "$(batch_field 0 txHash)" = "$txh" ] && ok "the same signed bytes were resent (same hash)" || fail "tx hash changed"
[ "$(count_events "$issuer")" = 1 ] && ok "exactly one HashTimestamped event" || fail "events $(count_events "$issuer")"
expect_exit 0 "anchor again is a no-op" "${ANCHOR[@]}"
[ "$(count_events "$issuer")" = 1 ] && ok "still one event" || fail "events"

# --- proofs and verification -------------------------------------------------------
"$NOTARY" proof --credential "$tmp/creds/b0-1.json" > "$tmp/p0.json"
[ "$(json_field anchor.ledger < "$tmp/p0.json")" = ebsi ] && ok "bundle says ledger ebsi" || fail "bundle ledger"
bc=$(json_field anchor.contract < "$tmp/p0.json")
[ "${bc,,}" = "${GATEWAY_CONTRACT,,}" ] && ok "bundle names the Timestamp contract" || fail "bundle contract $bc"
V=("$VERIFIER" verify "$tmp/creds/b0-1.json" --rpc "$GATEWAY_LEDGER" --issuer "$issuer")
expect_exit 0 "VALID from the gateway's ledger API, pinned contract and code" \
    "${V[@]}" --proof "$tmp/p0.json" --contract "$GATEWAY_CONTRACT" --timestamp-code --json
[ "$(json_field status <<<"$LAST_OUT")" = VALID ] && [ "$(json_field ledgerChecked <<<"$LAST_OUT")" = True ] \
    && ok "JSON: VALID, ledger checked" || fail "json $LAST_OUT"
for c in ledger.chainId ledger.contract ledger.transaction ledger.event ledger.record ledger.block ledger.confirmations; do
    expect_grep "check $c passes" "\"name\": \"$c\",[^}]*\"outcome\": \"pass\"" "$(tr -d '\n' <<<"$LAST_OUT" | sed 's/},/}\n/g')"
done
expect_exit 0 "VALID directly from ganache too" "$VERIFIER" verify "$tmp/creds/b0-1.json" --proof "$tmp/p0.json" --rpc "$LEDGER_URL" --issuer "$issuer" --contract "$GATEWAY_CONTRACT"
expect_exit 0 "VALID without a pinned contract (skipped, with a warning)" "${V[@]}" --proof "$tmp/p0.json"
expect_grep "warns the contract was not pinned" "not pinned" "$LAST_OUT"
expect_exit 1 "another pinned contract: INVALID" "${V[@]}" --proof "$tmp/p0.json" --contract 0x000000000000000000000000000000000000dEaD
expect_exit 1 "another trusted issuer: INVALID" "$VERIFIER" verify "$tmp/creds/b0-1.json" --proof "$tmp/p0.json" --rpc "$GATEWAY_LEDGER" --issuer "$DEV_ADDR_1"
expect_exit 1 "proof of credential 1 for credential 2: INVALID" "$VERIFIER" verify "$tmp/creds/b0-2.json" --proof "$tmp/p0.json" --rpc "$GATEWAY_LEDGER" --issuer "$issuer"

tamper() { # tamper NAME PYTHON-EXPR-ON-d  → writes $tmp/t.json
    python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); exec(sys.argv[2]); json.dump(d, open(sys.argv[3],"w"), indent=2)' "$tmp/p0.json" "$2" "$tmp/t-$1.json"
}
tamper seq 'd["batch"]["seq"] = 1'
tamper issuer 'd["anchor"]["issuer"] = "0xffcf8fdee72ac11b5c542428b35eef5769c409f0"'
tamper contract 'd["anchor"]["contract"] = "0x000000000000000000000000000000000000dead"'
tamper block 'd["anchor"]["blockNumber"] += 1'
tamper time 'd["anchor"]["blockTime"] += 1'
tamper chain 'd["anchor"]["chainId"] = 5'
tamper txhash 'd["anchor"]["txHash"] = "0x" + "11"*32'
tamper evm 'd["anchor"]["ledger"] = "evm"'
for t in seq issuer contract block time chain txhash evm; do
    expect_exit 1 "tampered ebsi bundle ($t): INVALID" "$VERIFIER" verify "$tmp/creds/b0-1.json" --proof "$tmp/t-$t.json" --rpc "$GATEWAY_LEDGER"
done
# size: a different size changes how the path is read; the proof or the record must fail
tamper size 'd["batch"]["size"] = 4'
expect_exit 1 "tampered ebsi bundle (size): INVALID" "$VERIFIER" verify "$tmp/creds/b0-1.json" --proof "$tmp/t-size.json" --rpc "$GATEWAY_LEDGER"

# --- the gateway down: before building, after building, after submitting ------------
gateway_fault down
new_batch b1 2
expect_exit 3 "gateway down: anchor is pending (exit 3)" "${ANCHOR[@]}"
[ "$(batch_field 1 state)" = closed ] && ok "gateway down: batch 1 still closed" || fail "state $(batch_field 1 state)"
expect_exit 3 "ledger API down: verifier says UNKNOWN" "${V[@]}" --proof "$tmp/p0.json"
gateway_fault down-after-build
expect_exit 3 "gateway down after building: pending" "${ANCHOR[@]}"
tx1=$(batch_field 1 txHash)
[ "$(batch_field 1 state)" = sent ] && [ -n "$tx1" ] && ok "down after building: signed transaction stored" || fail "state $(batch_field 1 state)"
expect_exit 3 "still down: anchor stays pending" "${ANCHOR[@]}"
gateway_fault none
NOTARY_EBSI_TOKEN=expired-token expect_exit 1 "gateway back, token expired meanwhile: clear error" "${ANCHOR[@]}"
expect_grep "expired at resend: says so" "missing, expired or lacks" "$LAST_ERR"
[ "$(batch_field 1 state)" = sent ] && [ "$(batch_field 1 txHash)" = "$tx1" ] && ok "expired at resend: the stored transaction is kept" || fail "state $(batch_field 1 state)"
expect_exit 0 "gateway back: anchor resumes" "${ANCHOR[@]}"
[ "$(batch_field 1 state)" = anchored ] && [ "$(batch_field 1 txHash)" = "$tx1" ] && ok "batch 1 anchored with the stored transaction" || fail "batch 1 $(batch_field 1 state)"
echo "# $(grep -o 'timestamped in block.*' <<<"$LAST_ERR" | head -n 1)"
[ "$(count_events "$issuer")" = 2 ] && ok "two events: one per batch" || fail "events $(count_events "$issuer")"

new_batch b2 1
accepted=$(gateway_stat sendAccepted)
gateway_fault down-after-send
expect_exit 3 "gateway down after submitting: pending" "${ANCHOR[@]}"
[ "$(batch_field 2 state)" = sent ] && ok "down after submitting: batch 2 sent" || fail "state $(batch_field 2 state)"
gateway_fault none
expect_exit 0 "gateway back: the submitted transaction is found" "${ANCHOR[@]}"
[ "$(count_events "$issuer")" = 3 ] && ok "three events: one per batch" || fail "events $(count_events "$issuer")"
[ "$(gateway_stat sendAccepted)" = $((accepted + 1)) ] && ok "batch 2 was submitted once" || fail "sendAccepted $(gateway_stat sendAccepted), before $accepted"
"$NOTARY" proof --credential "$tmp/creds/b2-1.json" > "$tmp/p2.json"
expect_exit 0 "batch 2 bundle VALID" "$VERIFIER" verify "$tmp/creds/b2-1.json" --proof "$tmp/p2.json" --rpc "$GATEWAY_LEDGER" --issuer "$issuer" --contract "$GATEWAY_CONTRACT" --timestamp-code

# --- a crash right after recording the signed transaction ---------------------------
new_batch b3 1
NOTARY_FAULT=after-record "${ANCHOR[@]}" >/dev/null 2>&1
[ "$(batch_field 3 state)" = sent ] && ok "killed after recording: batch 3 sent" || fail "state $(batch_field 3 state)"
expect_exit 0 "rerun after the crash anchors it" "${ANCHOR[@]}"
[ "$(count_events "$issuer")" = 4 ] && ok "four events: one per batch" || fail "events $(count_events "$issuer")"

# --- a revocation checkpoint goes through the same flow, with kind "revocation" -------
expect_exit 0 "revoke a credential" "$NOTARY" revoke --credential "$tmp/creds/b0-2.json" --reason superseded
expect_exit 0 "checkpoint: cut and timestamped through the API" "$NOTARY" checkpoint --poll-ms 100 --timeout 60
[ "$(count_events "$issuer")" = 5 ] && ok "five events: four batches and one checkpoint" || fail "events $(count_events "$issuer")"
last_data=$(ledger_rpc eth_getLogs "[{\"address\":\"$GATEWAY_CONTRACT\",\"fromBlock\":\"latest\",\"toBlock\":\"latest\",\"topics\":[\"$HASHTIMESTAMPED_TOPIC\"]}]" "$GATEWAY_LEDGER")
expect_grep "the checkpoint's record says kind revocation" "$(printf '"kind":"revocation","seq":0' | od -An -tx1 | tr -d ' \n')" "$last_data"

# --- adoption: a notary that lost its record finds its timestamp on the ledger -------
fresh_notary "$tmp/n1" "$DEV_KEY_0"
for i in 1 2 3; do "$NOTARY" submit --credential "$tmp/creds/b0-$i.json" >/dev/null; done
"$NOTARY" close >/dev/null
built=$(gateway_stat built)
expect_exit 0 "same key, same batch: anchor adopts the ledger's timestamp" "${ANCHOR[@]}"
expect_grep "says it adopts" "adopting" "$LAST_ERR"
[ "$(gateway_stat built)" = "$built" ] && ok "no new transaction was asked for" || fail "built $(gateway_stat built)"
[ "$(count_events "$issuer")" = 5 ] && ok "still five events" || fail "events"

# --- first write wins: another issuer cannot take our root ---------------------------
fresh_notary "$tmp/n2" "$DEV_KEY_1"
for i in 1 2 3; do "$NOTARY" submit --credential "$tmp/creds/b0-$i.json" >/dev/null; done
"$NOTARY" close >/dev/null
expect_exit 1 "a root timestamped by another address: FAILED" "${ANCHOR[@]}"
expect_grep "says first write wins" "first write wins" "$LAST_ERR"
[ "$(batch_field 0 state)" = failed ] && ok "batch failed with a reason" || fail "state $(batch_field 0 state)"
[ "$(count_events "$DEV_ADDR_1")" = 0 ] && ok "nothing timestamped by the other issuer" || fail "events"

# --- adopted, then a reorg takes the adopted transaction away --------------------------
# A copy of the store from before the anchor adopts the timestamp it finds;
# the ledger then reverts past it. With no bytes of that transaction to send
# again, the copy must sign anew, not wait forever.
fresh_notary "$tmp/n3" "$DEV_KEY_0"
new_batch r0 2
cp -a "$tmp/n3/data" "$tmp/n3/copy"
before=$(count_events "$issuer")
snap=$(ledger_rpc evm_snapshot | json_field result)
expect_exit 0 "adopt+reorg: the store anchors" "${ANCHOR[@]}"
export NOTARY_DATA=$tmp/n3/copy
expect_exit 3 "adopt+reorg: the copy adopts it (under-confirmed: pending)" "$NOTARY" anchor --poll-ms 100 --timeout 2 --confirmations 3
expect_grep "adopt+reorg: says it adopts" "adopting" "$LAST_ERR"
ledger_rpc evm_revert "[\"$snap\"]" >/dev/null
[ "$(count_events "$issuer")" = "$before" ] && ok "adopt+reorg: the reorg removed the timestamp" || fail "adopt+reorg: revert"
expect_exit 3 "adopt+reorg: the copy signs anew and waits for confirmations" "$NOTARY" anchor --poll-ms 100 --timeout 2 --confirmations 3
expect_grep "adopt+reorg: the reason is given" "no longer there (reorg); re-signing" "$LAST_ERR"
for _ in 1 2; do ledger_rpc evm_mine >/dev/null; done
expect_exit 0 "adopt+reorg: anchored once confirmed" "$NOTARY" anchor --poll-ms 100 --confirmations 3
[ "$(batch_field 0 state)" = anchored ] && ok "adopt+reorg: the copy's batch is anchored" || fail "adopt+reorg: state $(batch_field 0 state)"
[ "$(count_events "$issuer")" = $((before + 1)) ] && ok "adopt+reorg: exactly one timestamp" || fail "adopt+reorg: events $(count_events "$issuer")"

finish
