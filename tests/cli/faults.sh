#!/usr/bin/env bash
# tests/cli/faults.sh — anchoring under ledger faults (issue 7, item 3).
#
# The notary talks to ganache through tests/faultproxy/proxy.js, which
# injects one fault at a time. After each, the batch must end anchored
# exactly once (Anchored events of the issuer counted on the ledger) or
# pending with a reason in `notary status` and exit 3; the transaction hash
# recorded before the broadcast never changes (outcome unknown is looked up,
# never re-signed: one distinct signed transaction per batch reaches the
# proxy); nothing is lost (every bundle verifies at the end); and a pending
# run polls at a bounded rate (the proxy counts the requests).
#
# Faults: timeout on send (with and without client retries), HTTP 500 then
# success, 429 with Retry-After (honoured; and one asking too long → pending),
# truncated and corrupt JSON (syntax, and a send answered with another hash),
# a slow answer, wrong chain id (refuses to sign, nothing sent), a dropped
# transaction (the stored bytes are rebroadcast), a dropped transaction that
# never gets in (pending, bounded polling), a stopped miner (bounded polling),
# an unreachable ledger (bounded retries), and a reorg under confirmations.
# Ends with "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/lib/notary.sh
notary_test_begin notary-faults
. tests/faultproxy/proxy.sh
notary_on_exit proxy_stop

count_anchors() { anchored_logs "$ISSUER" "$CONTRACT" | count_results; } # read from the ledger directly
nonce_of_issuer() { ledger_rpc eth_getTransactionCount "[\"$ISSUER\",\"latest\"]" | json_field result; }

BATCH_TAG=faults # new_batch: one new batch of one hash (tests/lib/notary.sh)

FAST=(--poll-ms 100 --rpc-timeout-ms 1000 --rpc-attempts 3 --timeout 10)

# Check that batch `cur` ended anchored exactly once, with the transaction it
# recorded first, and only one signed transaction for it reached the ledger.
anchored_once() { # anchored_once NAME WANT_ANCHORS
    local name=$1 want=$2
    [ "$(batch_field "$(cur)" state)" = anchored ] && ok "$name: batch anchored" || fail "$name: state $(batch_field "$(cur)" state)"
    [ "$(count_anchors)" = "$want" ] && ok "$name: exactly one Anchored event for it ($want in all)" || fail "$name: $(count_anchors) anchors, want $want"
    [ "$(proxy_stat sent)" = 1 ] && ok "$name: one signed transaction, never re-signed" || fail "$name: $(proxy_stat sent) distinct transactions sent"
}
# anchored_now NAME RUN_NAME: `anchor` finishes batch `cur` (exit 0, the check
# RUN_NAME), which ends anchored exactly once (anchored_once NAME).
anchored_now() {
    expect_exit 0 "$2" "$NOTARY" anchor "${FAST[@]}"
    anchors=$((anchors + 1)); anchored_once "$1" $anchors
}
# fault_anchored NAME RUN_NAME FAULT: a new batch, anchored in one run with
# FAULT set in the proxy (anchored_now NAME RUN_NAME).
fault_anchored() {
    new_batch
    proxy_reset
    proxy_fault "$3"
    anchored_now "$1" "$2"
}
# fault_pending NAME RUN_NAME REASON FAULT [ANCHOR-OPTIONS...]: a new batch;
# with FAULT set in the proxy, `anchor` (FAST unless options are given) ends
# pending (exit 3, the check RUN_NAME) and `status` gives a reason matching
# REASON (the check "NAME: status gives the reason").
fault_pending() {
    local name=$1 run=$2 reason=$3 fault=$4; shift 4
    [ $# -gt 0 ] || set -- "${FAST[@]}"
    new_batch
    proxy_reset
    proxy_fault "$fault"
    expect_exit 3 "$run" "$NOTARY" anchor "$@"
    batch_field "$(cur)" reason | grep -q "$reason" && ok "$name: status gives the reason" || fail "$name: reason '$(batch_field "$(cur)" reason)'"
}

notary_ledger_start default
proxy_start || { fail "proxy start"; finish; }
notary_key_file "$tmp/key.hex" "$DEV_KEY_0"
export NOTARY_DATA=$tmp/data
expect_exit 0 "init through the proxy" "$NOTARY" init --rpc "$PROXY_URL" --chain-id 1337 --deploy --import-key "$tmp/key.hex" --kdf-light --json
CONTRACT=$(json_field contract <<<"$LAST_OUT")
ISSUER=$(json_field issuer <<<"$LAST_OUT")
anchors=0

# --- wrong chain id: refuse to sign, nothing sent -------------------------------
new_batch
proxy_reset
proxy_fault '{"method":"eth_chainId","action":"wrongChainId","chainId":5,"count":-1}'
expect_exit 1 "wrong chain id: anchor refuses" "$NOTARY" anchor "${FAST[@]}"
grep -q "refusing to sign" <<<"$LAST_ERR" && ok "wrong chain id: says it refuses to sign" || fail "wrong chain id: message $LAST_ERR"
[ "$(proxy_stat methods.eth_sendRawTransaction)" = 0 ] && ok "wrong chain id: nothing sent" || fail "wrong chain id: a transaction was sent"
[ "$(batch_field "$(cur)" state)" = closed ] && ok "wrong chain id: batch still closed, nothing signed" || fail "wrong chain id: state"
proxy_clear
anchored_now "wrong chain id" "wrong chain id: the right chain anchors it"

# --- timeout on send, the client retries: the retry finds it used -------------
nonce0=$(nonce_of_issuer)
fault_anchored "timeout on send (retried)" "timeout on send (retried): anchored" \
    '{"method":"eth_sendRawTransaction","action":"timeout","count":1}'
[ "$(proxy_stat methods.eth_sendRawTransaction)" -ge 2 ] && ok "timeout on send: the same bytes were sent again" || fail "timeout on send: sends $(proxy_stat methods.eth_sendRawTransaction)"
[ $(( $(nonce_of_issuer) - nonce0 )) = 1 ] && ok "timeout on send: one nonce used" || fail "timeout on send: nonces used $(( $(nonce_of_issuer) - nonce0 ))"

# --- timeout on send, no client retry: outcome unknown → pending, looked up ----
fault_pending "timeout on send" "timeout on send (one attempt): pending" unreachable \
    '{"method":"eth_sendRawTransaction","action":"timeout","count":1}' --poll-ms 100 --rpc-timeout-ms 1000 --rpc-attempts 1 --timeout 10
tx_before=$(batch_field "$(cur)" txHash)
[ "$(batch_field "$(cur)" state)" = sent ] && ok "timeout on send: batch SENT with its transaction stored" || fail "timeout on send: state"
anchored_now "timeout on send (one attempt)" "timeout on send: the rerun looks it up and finishes"
[ "$(batch_field "$(cur)" txHash)" = "$tx_before" ] && ok "timeout on send: same transaction hash" || fail "timeout on send: hash changed"

# --- HTTP 500 twice, then success ----------------------------------------------
fault_anchored "5xx then success" "5xx then success: anchored" '{"method":"eth_sendRawTransaction","action":"http500","count":2}'

# --- 429 with Retry-After: 2 s, honoured -------------------------------------------
fault_anchored "429 Retry-After" "429 Retry-After 2: anchored" \
    '{"method":"eth_getTransactionReceipt","action":"http429","retryAfter":2,"count":1}'
# The next request must come no sooner than the server asked (a lower bound
# that only a client ignoring Retry-After can break).
gap=$(curl -s --noproxy '*' "$PROXY_URL/__stats" | python3 -c 'import json,sys
ev=json.load(sys.stdin)["events"]
i=next(k for k,e in enumerate(ev) if e[2]=="http429")
print(ev[i+1][0]-ev[i][0])')
[ "$gap" -ge 1990 ] && ok "429: the client waited the Retry-After (${gap} ms)" || fail "429: retried after only ${gap} ms"

# --- 429 asking for longer than the client accepts: pending with a reason ---------
fault_pending "429 too long" "429 Retry-After 600: pending" "retry after 600" \
    '{"method":"eth_getTransactionReceipt","action":"http429","retryAfter":600,"count":-1}'
[ "$(proxy_stat methods.eth_getTransactionReceipt)" -le 2 ] && ok "429 too long: not hammered ($(proxy_stat methods.eth_getTransactionReceipt) receipt requests)" || fail "429 too long: $(proxy_stat methods.eth_getTransactionReceipt) receipt requests"
proxy_clear
anchored_now "429 too long" "429 too long: later run anchors"

# --- truncated JSON: once (retried), then always (pending) ------------------------
fault_anchored "truncated send answer" "truncated send answer: anchored" \
    '{"method":"eth_sendRawTransaction","action":"truncate","count":1}'
fault_pending "truncated receipts" "truncated receipts: pending" "not valid JSON" \
    '{"method":"eth_getTransactionReceipt","action":"truncate","count":-1}'
proxy_clear
anchored_now "truncated receipts" "truncated receipts: later run anchors"

# --- corrupt JSON ---------------------------------------------------------------------
fault_anchored "corrupt receipts" "corrupt receipts twice: anchored" \
    '{"method":"eth_getTransactionReceipt","action":"corrupt","count":2}'
fault_pending "wrong hash" "send answered with another hash: pending" "not keccak256" \
    '{"method":"eth_sendRawTransaction","action":"corrupt","how":"result","count":1}'
anchored_now "send answered with another hash" "wrong hash: rerun looks it up"

# --- a slow answer (longer than the per-request timeout once) ----------------------
fault_anchored "slow receipt" "slow receipt: anchored" \
    '{"method":"eth_getTransactionReceipt","action":"delay","delayMs":1500,"count":1}'

# --- dropped transaction: the stored bytes are rebroadcast --------------------------
fault_anchored "dropped transaction" "dropped transaction: anchored" '{"method":"eth_sendRawTransaction","action":"drop","count":1}'
[ "$(proxy_stat dropped)" = 1 ] && [ "$(proxy_stat methods.eth_sendRawTransaction)" -ge 2 ] \
    && ok "dropped transaction: rebroadcast after the drop" || fail "dropped transaction: sends $(proxy_stat methods.eth_sendRawTransaction)"

# --- dropped every time: pending, bounded polling ----------------------------------
new_batch
proxy_reset
proxy_fault '{"method":"eth_sendRawTransaction","action":"drop","count":-1}'
expect_exit 3 "always dropped: pending" "$NOTARY" anchor --poll-ms 250 --timeout 3
batch_field "$(cur)" reason | grep -q "waiting to be mined" && ok "always dropped: status says waiting" || fail "always dropped: reason '$(batch_field "$(cur)" reason)'"
# 3 s at one poll per 250 ms is 12 polls of at most 3 requests, plus set-up.
total=$(proxy_stat total)
[ "$total" -le 60 ] && ok "always dropped: no busy loop ($total requests in 3 s)" || fail "always dropped: $total requests in 3 s"
expect_exit 3 "always dropped: a second run is still pending" "$NOTARY" anchor --poll-ms 250 --timeout 1
proxy_clear
anchored_now "always dropped" "always dropped: anchored once the node keeps it"

# --- miner stopped: pending, bounded polling -------------------------------------------
new_batch
proxy_reset
ledger_rpc miner_stop >/dev/null
expect_exit 3 "miner stopped: pending" "$NOTARY" anchor --poll-ms 250 --timeout 3
total=$(proxy_stat total)
[ "$total" -le 60 ] && ok "miner stopped: no busy loop ($total requests in 3 s)" || fail "miner stopped: $total requests in 3 s"
ledger_rpc miner_start >/dev/null
anchored_now "miner stopped" "miner started: anchored"

# --- ledger failing every request: bounded retries, pending ------------------------
new_batch
proxy_reset
proxy_fault '{"method":"*","action":"http500","count":-1}'
expect_exit 3 "ledger failing: pending" "$NOTARY" anchor --poll-ms 100 --rpc-timeout-ms 1000 --rpc-attempts 3 --timeout 5
total=$(proxy_stat total)
[ "$total" -le 3 ] && ok "ledger failing: gives up after the attempts ($total requests)" || fail "ledger failing: $total requests"
proxy_clear
anchored_now "ledger failing" "ledger failing: back, anchored"

# --- reorg: mined, the block disappears, the same bytes are sent again ------------
new_batch
proxy_reset
proxy_fault '[{"method":"eth_sendRawTransaction","action":"reorg","afterReceipts":1,"count":1},
              {"method":"eth_blockNumber","action":"mine","count":-1}]'
expect_exit 0 "reorg: anchored at 3 confirmations" "$NOTARY" anchor "${FAST[@]}" --confirmations 3
[ "$(proxy_stat reorgs)" = 1 ] && ok "reorg: the anchoring block was reverted once" || fail "reorg: reorgs $(proxy_stat reorgs)"
[ "$(proxy_stat methods.eth_sendRawTransaction)" -ge 2 ] && ok "reorg: resent after the reorg" || fail "reorg: sends $(proxy_stat methods.eth_sendRawTransaction)"
anchors=$((anchors + 1)); anchored_once "reorg" $anchors
proxy_clear

# --- nothing lost: every hash has a bundle that verifies against the ledger ------
bad=0
for h in "${HASHES[@]}"; do
    "$NOTARY" proof "$h" > "$tmp/p.json" 2>/dev/null &&
        "$VERIFIER" verify --hash "$h" --proof "$tmp/p.json" --rpc "$LEDGER_URL" --issuer "$ISSUER" >/dev/null 2>&1 || bad=$((bad + 1))
done
[ "$bad" = 0 ] && ok "every bundle (${#HASHES[@]}) verifies online" || fail "$bad of ${#HASHES[@]} bundles do not verify"
[ "$(count_anchors)" = "${#HASHES[@]}" ] && ok "one anchor per batch in all (${#HASHES[@]})" || fail "anchors $(count_anchors), batches ${#HASHES[@]}"

proxy_stop
ledger_stop
finish
