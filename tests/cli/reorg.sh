#!/usr/bin/env bash
# tests/cli/reorg.sh — reorgs after a batch is ANCHORED (issue 19, item 3), on
# a real local ganache (evm_snapshot / evm_revert / evm_mine / miner_stop):
#   - moved: the ledger reverts past the anchoring block and the same signed
#     transaction is mined again two blocks later. `status --check` adopts
#     the new block; the re-exported bundle verifies VALID; the stale one is
#     UNKNOWN (not INVALID) and its message names the bundle's own block;
#   - vanished: the reorg drops the transaction; `anchor` sends the same bytes
#     again (one anchor per seq in the registry) and anchors the next batch,
#     which does not go FAILED; the stale bundle is UNKNOWN meanwhile;
#   - pending again: the verifier says UNKNOWN, `status --check` sends the
#     batch back to `sent`, `anchor` is pending (exit 3) until it is mined;
#   - reorg deeper than --final-depth: the next batch waits (exit 3, not
#     FAILED) and is anchored after its predecessor;
#   - `serve`'s scheduler adopts a moved transaction as `anchor` does;
#   - `anchor --retry-failed` anchors a FAILED batch once the ledger allows;
#   - the anchor summary counts the store's batches (no password, ledger
#     down, unfunded key) and matches the exit code.
# Ends with "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/lib/notary.sh
notary_test_begin notary-reorg
FAST=(--poll-ms 100)

# Anchored events in registry $2 for issuer $1, one line per event: its seq.
anchor_seqs() {
    anchored_logs "$1" "$2" | python3 -c 'import json,sys
for l in json.load(sys.stdin)["result"]: print(int(l["data"][2+64:2+128], 16))'
}

# one_anchor_per_seq NAME ISSUER CONTRACT N: seqs 0..N-1 each exactly once.
one_anchor_per_seq() {
    local got want
    got=$(anchor_seqs "$2" "$3" | sort -n | tr '\n' ' ')
    want=$(seq 0 $(($4 - 1)) | tr '\n' ' ')
    [ "$got" = "$want" ] && ok "$1: one anchor per seq ($got)" || fail "$1: anchors by seq '$got', want '$want'"
}

verify() { "$VERIFIER" verify --hash "$(hash_of "$1")" --proof "$2" --rpc "$LEDGER_URL" --issuer "$issuer"; }

notary_ledger_start default
notary_dir
notary_init_evm "$NOTARY_DATA" "$d/key.hex" --json > "$d/init.json" 2> "$d/init.err" \
    || { fail "init: $(cat "$d/init.err")"; finish; }
issuer=$(json_field issuer < "$d/init.json")
contract=$(json_field contract < "$d/init.json")

# --- moved: the same transaction is mined again in a later block ------------------
batch m0
snap=$(snapshot)
expect_exit 0 "moved: batch 0 anchored" "$NOTARY" anchor "${FAST[@]}"
b_old=$(st batches.0.blockNumber)
"$NOTARY" proof "$(hash_of m0)" > "$d/stale0.json" 2>/dev/null
expect_exit 0 "moved: its bundle verifies before the reorg" verify m0 "$d/stale0.json"
raw0=$(raw_tx 0)
ledger_rpc evm_revert "[\"$snap\"]" >/dev/null
mine 2
ledger_rpc eth_sendRawTransaction "[\"$raw0\"]" >/dev/null
b_new=$(block_number)
[ "$b_new" -gt "$b_old" ] && ok "moved: re-mined in block $b_new (was $b_old)" || fail "moved: blocks $b_old -> $b_new"
expect_exit 3 "moved: the stale bundle is UNKNOWN, not INVALID" verify m0 "$d/stale0.json"
has "moved: the verifier names the bundle's block $b_old" "bundle's block $b_old .*no longer canonical"
has "moved: and where the transaction is now" "mined again in block $b_new"
expect_exit 0 "moved: status --check" "$NOTARY" status --check
has "moved: status --check says it moved" "moved transaction .* from block $b_old to block $b_new"
[ "$(st batches.0.blockNumber)" = "$b_new" ] && ok "moved: status shows block $b_new" || fail "moved: status block $(st batches.0.blockNumber)"
[ "$(st batches.0.state)" = anchored ] && ok "moved: still anchored" || fail "moved: state $(st batches.0.state)"
"$NOTARY" proof "$(hash_of m0)" > "$d/fresh0.json" 2>/dev/null
expect_exit 0 "moved: the re-exported bundle verifies VALID" verify m0 "$d/fresh0.json"
expect_exit 0 "moved: anchor afterwards is a no-op" "$NOTARY" anchor "${FAST[@]}"
has "moved: summary" "0 anchored, 0 pending, 0 failed"
one_anchor_per_seq "moved" "$issuer" "$contract" 1

# --- vanished: the reorg drops it; the next batch is closed meanwhile -------------
batch v1
snap=$(snapshot)
expect_exit 0 "vanished: batch 1 anchored" "$NOTARY" anchor "${FAST[@]}"
tx1=$(st batches.1.txHash)
"$NOTARY" proof "$(hash_of v1)" > "$d/stale1.json" 2>/dev/null
batch v2
ledger_rpc evm_revert "[\"$snap\"]" >/dev/null
mine 2
expect_exit 3 "vanished: the stale bundle is UNKNOWN, not INVALID" verify v1 "$d/stale1.json"
has "vanished: says the transaction is gone with the block" "not on this ledger now"
expect_exit 0 "vanished: anchor re-sends batch 1 and anchors batch 2" "$NOTARY" anchor "${FAST[@]}"
has "vanished: says why" "reorganised away and the ledger no longer has"
[ "$(st batches.1.txHash)" = "$tx1" ] && ok "vanished: the same signed transaction was sent again" || fail "vanished: tx $(st batches.1.txHash) != $tx1"
[ "$(st batches.1.state)/$(st batches.2.state)" = anchored/anchored ] && ok "vanished: batches 1 and 2 anchored (no FAILED)" \
    || fail "vanished: states $(st batches.1.state)/$(st batches.2.state): $(st batches.2.reason 2>/dev/null)"
one_anchor_per_seq "vanished" "$issuer" "$contract" 3
"$NOTARY" proof "$(hash_of v1)" > "$d/fresh1.json" 2>/dev/null
expect_exit 0 "vanished: the re-exported bundle verifies VALID" verify v1 "$d/fresh1.json"

# --- pending again: the verifier waits, status --check reopens, anchor waits ------
batch p3
snap=$(snapshot)
expect_exit 0 "pending: batch 3 anchored" "$NOTARY" anchor "${FAST[@]}"
"$NOTARY" proof "$(hash_of p3)" > "$d/stale3.json" 2>/dev/null
raw3=$(raw_tx 3)
ledger_rpc evm_revert "[\"$snap\"]" >/dev/null
ledger_rpc miner_stop >/dev/null
mine 2
ledger_rpc eth_sendRawTransaction "[\"$raw3\"]" >/dev/null
expect_exit 3 "pending: the stale bundle is UNKNOWN while its transaction is pending" verify p3 "$d/stale3.json"
has "pending: says so" "pending again"
expect_exit 0 "pending: status --check" "$NOTARY" status --check --json
[ "$(json_field batches.3.state <<<"$LAST_OUT")" = sent ] && ok "pending: batch 3 back to sent" || fail "pending: state $(json_field batches.3.state <<<"$LAST_OUT")"
[ "$(json_field check.reopened <<<"$LAST_OUT")" = 1 ] && ok "pending: --check reports it" || fail "pending: check $LAST_OUT"
expect_exit 3 "pending: anchor waits (exit 3)" "$NOTARY" anchor "${FAST[@]}" --timeout 2
has "pending: summary says 1 pending" "0 anchored, 1 pending, 0 failed"
ledger_rpc miner_start >/dev/null
expect_exit 0 "pending: anchored once mined" "$NOTARY" anchor "${FAST[@]}"
one_anchor_per_seq "pending" "$issuer" "$contract" 4

# --- deeper than --final-depth: the next batch waits instead of failing ----------
batch w4
snap=$(snapshot)
expect_exit 0 "wedge: batch 4 anchored" "$NOTARY" anchor "${FAST[@]}"
batch w5
ledger_rpc evm_revert "[\"$snap\"]" >/dev/null
mine 3
expect_exit 3 "wedge: batch 5 waits for its reorged-out predecessor (exit 3)" \
    "$NOTARY" anchor "${FAST[@]}" --final-depth 1 --timeout 5
has "wedge: says it waits" "waiting: the registry expects batch 4 next"
[ "$(st batches.5.state)" = closed ] && ok "wedge: batch 5 is closed, not failed" || fail "wedge: batch 5 $(st batches.5.state)"
[ "$(st batches.4.state)" = sent ] && ok "wedge: batch 4 back to sent" || fail "wedge: batch 4 $(st batches.4.state)"
expect_exit 0 "wedge: the next run anchors both" "$NOTARY" anchor "${FAST[@]}" --final-depth 1
[ "$(st batches.4.state)/$(st batches.5.state)" = anchored/anchored ] && ok "wedge: 4 and 5 anchored" || fail "wedge: $(st batches.4.state)/$(st batches.5.state)"
one_anchor_per_seq "wedge" "$issuer" "$contract" 6
expect_exit 2 "wedge: --final-depth 0 is refused" "$NOTARY" anchor --final-depth 0

# --- the anchor summary matches the store and the exit code ----------------------
batch s6
expect_exit 2 "summary: no password -> exit 2" env -u NOTARY_PASSWORD "$NOTARY" anchor "${FAST[@]}"
has "summary: no password still counts the closed batch" "0 anchored, 1 pending, 0 failed"
kill -STOP "$LEDGER_PID"
expect_exit 3 "summary: ledger down -> exit 3" "$NOTARY" anchor "${FAST[@]}" --rpc-timeout-ms 500 --rpc-attempts 1
kill -CONT "$LEDGER_PID"
has "summary: ledger down counts it pending" "0 anchored, 1 pending, 0 failed"
expect_exit 2 "summary: no store -> exit 2" env NOTARY_DATA="$tmp/none" "$NOTARY" anchor
[[ "$LAST_OUT" != *"0 pending"* ]] && ok "summary: no store prints no made-up counts" || fail "summary: $LAST_OUT"
expect_exit 2 "summary: no store, --json" env NOTARY_DATA="$tmp/none" "$NOTARY" anchor --json
[[ "$LAST_OUT" != *pending* && "$LAST_OUT" == *message* ]] && ok "summary: --json has the error, no counts" || fail "summary: json $LAST_OUT"
expect_exit 0 "summary: anchored" "$NOTARY" anchor "${FAST[@]}" --json
[ "$(json_field anchored <<<"$LAST_OUT")/$(json_field pending <<<"$LAST_OUT")" = 1/0 ] && ok "summary: 1 anchored, 0 pending" || fail "summary: $LAST_OUT"

# an unfunded key: the batch waits (not FAILED), anchored once funded
u=$tmp/u
mkdir -p "$u"
NOTARY_DATA=$u/data "$NOTARY" init --rpc "$LEDGER_URL" --contract "$contract" --kdf-light --json > "$u/init.json" 2>"$u/init.err" \
    || fail "unfunded: init: $(cat "$u/init.err")"
uaddr=$(json_field issuer < "$u/init.json")
NOTARY_DATA=$u/data "$NOTARY" submit "$(hash_of unfunded)" >/dev/null
NOTARY_DATA=$u/data "$NOTARY" close >/dev/null
expect_exit 1 "unfunded: anchor fails (exit 1)" env NOTARY_DATA="$u/data" "$NOTARY" anchor "${FAST[@]}"
has "unfunded: says to fund it" "fund it"
has "unfunded: summary counts the batch pending, not failed" "0 anchored, 1 pending, 0 failed"
[ "$(NOTARY_DATA=$u/data "$NOTARY" status --json | json_field batches.0.state)" != failed ] && ok "unfunded: the batch is not FAILED" || fail "unfunded: FAILED"
ledger_rpc eth_sendTransaction "[{\"from\":\"$DEV_ADDR_0\",\"to\":\"$uaddr\",\"value\":\"0xde0b6b3a7640000\"}]" >/dev/null
expect_exit 0 "unfunded: anchored once funded" env NOTARY_DATA="$u/data" "$NOTARY" anchor "${FAST[@]}"
has "unfunded: summary" "1 anchored, 0 pending, 0 failed"

# --- serve's scheduler re-checks too: a moved transaction is adopted ------------
batch sv
snap=$(snapshot)
expect_exit 0 "serve: batch 7 anchored" "$NOTARY" anchor "${FAST[@]}"
b_old=$(st batches.7.blockNumber)
raw7=$(raw_tx 7)
ledger_rpc evm_revert "[\"$snap\"]" >/dev/null
mine 2
ledger_rpc eth_sendRawTransaction "[\"$raw7\"]" >/dev/null
b_new=$(block_number)
rm -f "$tmp/port"
"$NOTARY" serve --listen 127.0.0.1:0 --port-file "$tmp/port" --close-at none --poll-ms 100 2>"$tmp/serve.log" &
serve_pid=$!
for _ in $(seq 1 300); do # up to 30 s
    [ "$(st batches.7.blockNumber 2>/dev/null)" = "$b_new" ] && break
    kill -0 "$serve_pid" 2>/dev/null || break
    sleep 0.1
done
[ "$(st batches.7.blockNumber)" = "$b_new" ] && ok "serve: the scheduler adopted block $b_new (was $b_old)" \
    || fail "serve: block $(st batches.7.blockNumber), want $b_new: $(tail -n 3 "$tmp/serve.log")"
grep -q "a reorg moved transaction" "$tmp/serve.log" && ok "serve: logged the move" || fail "serve: no log line"
kill -TERM "$serve_pid" 2>/dev/null; wait "$serve_pid" 2>/dev/null

# --- a FAILED batch retried: two stores of one key disagree, the ledger changes ---
r=$tmp/r
mkdir -p "$r"
notary_key_file "$r/key.hex" "$DEV_KEY_1"
NOTARY_DATA=$r/a "$NOTARY" init --rpc "$LEDGER_URL" --contract "$contract" --import-key "$r/key.hex" --kdf-light >/dev/null 2>&1 \
    || fail "retry: init"
cp -a "$r/a" "$r/b"
snap=$(snapshot)
NOTARY_DATA=$r/a "$NOTARY" submit "$(hash_of ra)" >/dev/null && NOTARY_DATA=$r/a "$NOTARY" close >/dev/null
expect_exit 0 "retry: store A anchors batch 0" env NOTARY_DATA="$r/a" "$NOTARY" anchor "${FAST[@]}"
NOTARY_DATA=$r/b "$NOTARY" submit "$(hash_of rb)" >/dev/null && NOTARY_DATA=$r/b "$NOTARY" close >/dev/null
expect_exit 1 "retry: store B's batch 0 FAILS (the registry expects 1)" env NOTARY_DATA="$r/b" "$NOTARY" anchor "${FAST[@]}"
has "retry: summary counts it failed" "0 anchored, 0 pending, 1 failed"
has "retry: names the retry command" "retry-failed"
ledger_rpc evm_revert "[\"$snap\"]" >/dev/null
expect_exit 1 "retry: without --retry-failed it stays FAILED" env NOTARY_DATA="$r/b" "$NOTARY" anchor "${FAST[@]}"
expect_exit 0 "retry: --retry-failed anchors it" env NOTARY_DATA="$r/b" "$NOTARY" anchor "${FAST[@]}" --retry-failed
has "retry: says so" "1 failed batch(es) back to closed"
[ "$(NOTARY_DATA=$r/b "$NOTARY" status --json | json_field batches.0.state)" = anchored ] && ok "retry: anchored" || fail "retry: state"
one_anchor_per_seq "retry" "$DEV_ADDR_1" "$contract" 1
NOTARY_DATA=$r/b "$NOTARY" proof "$(hash_of rb)" > "$r/p.json" 2>/dev/null
expect_exit 0 "retry: its bundle verifies" "$VERIFIER" verify --hash "$(hash_of rb)" --proof "$r/p.json" --rpc "$LEDGER_URL" --issuer "$DEV_ADDR_1"

ledger_stop
finish
