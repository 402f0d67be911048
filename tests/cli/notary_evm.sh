#!/usr/bin/env bash
# tests/cli/notary_evm.sh — issue, anchor and verify on a real local ledger
# (ganache), in both profiles (default: EIP-1559; berlin: legacy, gasPrice 0):
#   - init with a deployed registry, submit (hashes, JSON and raw credentials),
#     close, anchor, proof bundles, online verification VALID;
#   - the verifier's refusals: tampered credential and bundle, wrong issuer,
#     another chain id, a root never anchored, a pending bundle, insufficient
#     confirmations (UNKNOWN until blocks are mined), ledger unreachable
#     (UNKNOWN, never VALID/INVALID);
#   - the notary's refusals: init against the wrong chain id, anchoring while
#     the ledger does not answer (pending, exit 3; resumes later, one anchor);
#   - crashes: killed right after recording the signed transaction, and right
#     after broadcasting it; the rerun anchors each batch exactly once.
# Ends with "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/lib/notary.sh
notary_test_begin notary-evm

# Count Anchored events of $1 (issuer) in the registry $2 on the current ledger.
count_anchors() { anchored_logs "$1" "$2" | count_results; }

# Fresh notary in $tmp/$1 using development key $2 (ganache's public dev key).
new_notary() {
    local dir=$tmp/$1
    mkdir -p "$dir"
    notary_key_file "$dir/key.hex" "$2"
    notary_init_evm "$dir/data" "$dir/key.hex" --json > "$dir/init.json" 2> "$dir/init.err"
}

profile_run() {
    local p=$1
    ledger_start "$p" || { fail "$p: ledger start"; return; }
    local d=$tmp/$p
    mkdir -p "$d"
    export NOTARY_DATA=$d/data

    # --- init, with the chain id check ------------------------------------
    notary_key_file "$d/key.hex" "$DEV_KEY_0"
    expect_exit 1 "$p: init refuses a ledger with another chain id" \
        "$NOTARY" init --rpc "$LEDGER_URL" --chain-id 5 --deploy --import-key "$d/key.hex" --kdf-light
    grep -q "refusing to sign" <<<"$LAST_ERR" && ok "$p: says it refuses to sign" || fail "$p: chain id message: $LAST_ERR"
    rm -rf "$d/data"
    expect_exit 0 "$p: init deploys the registry" \
        "$NOTARY" init --rpc "$LEDGER_URL" --chain-id 1337 --deploy --import-key "$d/key.hex" --kdf-light --json
    local contract issuer
    contract=$(json_field contract <<<"$LAST_OUT")
    issuer=$(json_field issuer <<<"$LAST_OUT")
    [ "$issuer" = "$DEV_ADDR_0" ] && ok "$p: imported key is the issuer" || fail "$p: issuer $issuer"
    [ "$(stat -c %a "$d/data/key.json")" = 600 ] && ok "$p: keystore is 0600" || fail "$p: keystore mode"
    grep -q "${DEV_KEY_0#0x}" "$d/data/key.json" "$d/data/notary.db" && fail "$p: private key stored in clear" || ok "$p: private key not stored in clear"

    # --- submit, close, anchor ------------------------------------------------
    mkdir -p "$d/creds"
    for i in 0 1 2 3 4 5 6; do
        printf '{"credentialSubject": {"name": "Holder %d", "ects": %d}, "type": ["VerifiableCredential"]}\n' "$i" "$((i + 3))" > "$d/creds/c$i.json"
    done
    printf 'a diploma as a PDF-like blob \x00\x01\x02' > "$d/creds/raw.bin"
    local given
    given=$(printf 'given' | sha256sum | cut -c1-64)
    expect_exit 0 "$p: submit credentials and a hash" "$NOTARY" submit --json "$given" \
        --credential "$d/creds/c0.json" --credential "$d/creds/c1.json" --credential "$d/creds/raw.bin"
    [ "$(json_field new <<<"$LAST_OUT")" = 4 ] && ok "$p: 4 new" || fail "$p: submit result $LAST_OUT"
    [ "$(json_field items.0.hashing <<<"$LAST_OUT")" = jcs-sha256 ] && ok "$p: JSON hashed with JCS" || fail "$p: hashing"
    [ "$(json_field items.2.hashing <<<"$LAST_OUT")" = sha256 ] && ok "$p: raw file hashed as bytes" || fail "$p: raw hashing"
    [ "$(json_field items.3.hashing <<<"$LAST_OUT")" = given ] && ok "$p: a hash is 'given'" || fail "$p: given hashing"
    expect_exit 0 "$p: resubmission is idempotent" "$NOTARY" submit --json --credential "$d/creds/c1.json"
    [ "$(json_field items.0.existed <<<"$LAST_OUT")" = True ] && ok "$p: resubmission returns the existing record" || fail "$p: resubmission"
    expect_exit 2 "$p: a bad hash is refused" "$NOTARY" submit abcd
    expect_exit 2 "$p: broken JSON credential is refused" "$NOTARY" submit --credential - <<<'{"a":1,"a":2}'
    printf '%s\n' "$(printf x | sha256sum | cut -c1-64)" "# comment" "" "$(printf y | sha256sum | cut -c1-64)" > "$d/hashes.txt"
    expect_exit 0 "$p: submit a file of hashes" "$NOTARY" submit --file "$d/hashes.txt"

    expect_exit 0 "$p: close" "$NOTARY" close --json
    local root size
    root=$(json_field root <<<"$LAST_OUT"); size=$(json_field size <<<"$LAST_OUT")
    [ "$size" = 6 ] && ok "$p: batch of 6" || fail "$p: batch size $size"
    expect_exit 1 "$p: closing again finds nothing" "$NOTARY" close

    # A pending bundle (closed, not anchored) is never VALID.
    "$NOTARY" proof --credential "$d/creds/c0.json" > "$d/pending.json" 2>/dev/null
    expect_exit 3 "$p: pending bundle is UNKNOWN" "$VERIFIER" verify "$d/creds/c0.json" --proof "$d/pending.json" --rpc "$LEDGER_URL"

    expect_exit 0 "$p: anchor" "$NOTARY" anchor --poll-ms 100 --json
    [ "$(json_field anchored <<<"$LAST_OUT")" = 1 ] && ok "$p: one batch anchored" || fail "$p: anchor result $LAST_OUT"
    expect_exit 0 "$p: anchor again is a no-op" "$NOTARY" anchor --poll-ms 100
    [ "$(count_anchors "$issuer" "$contract")" = 1 ] && ok "$p: exactly one Anchored event" || fail "$p: anchor count"

    # --- verification -------------------------------------------------------------
    "$NOTARY" proof --credential "$d/creds/c0.json" > "$d/b0.json"
    "$NOTARY" proof --credential "$d/creds/raw.bin" > "$d/braw.json"
    "$NOTARY" proof "$given" > "$d/bgiven.json"
    # --- the whole batch as JSON Lines: one bundle a line, each verifies --------
    expect_exit 0 "$p: proof --batch --jsonl" "$NOTARY" proof --batch 0 --jsonl "$d/all.jsonl"
    [ "$(wc -l < "$d/all.jsonl")" = 6 ] && ok "$p: 6 lines for 6 credentials" || fail "$p: jsonl lines: $(wc -l < "$d/all.jsonl")"
    local line n=0 bad=0 h
    while IFS= read -r line; do
        n=$((n + 1))
        printf '%s\n' "$line" > "$d/line.json"
        h=$(json_field credential.hash < "$d/line.json")
        "$VERIFIER" verify --hash "$h" --proof "$d/line.json" --offline > /dev/null 2>&1 || bad=$((bad + 1))
    done < "$d/all.jsonl"
    [ "$n" = 6 ] && [ "$bad" = 0 ] && ok "$p: every --jsonl line verifies --offline" || fail "$p: $bad of $n lines do not verify"
    python3 -c 'import json,sys; a=json.load(open(sys.argv[1])); b=[json.loads(l) for l in open(sys.argv[2])]; sys.exit(0 if a in b else 1)' "$d/bgiven.json" "$d/all.jsonl" \
        && ok "$p: a --jsonl line is the single proof's bundle" || fail "$p: the single proof is not among the lines"
    "$NOTARY" proof --batch 0 --jsonl - > "$d/all-stdout.jsonl" 2>/dev/null
    cmp -s "$d/all.jsonl" "$d/all-stdout.jsonl" && ok "$p: --jsonl - writes the same to stdout" || fail "$p: --jsonl - differs"
    echo keep > "$d/keep.jsonl"
    expect_exit 2 "$p: --jsonl of a batch that does not exist fails" "$NOTARY" proof --batch 99 --jsonl "$d/keep.jsonl"
    [ "$(cat "$d/keep.jsonl")" = keep ] && ! ls "$d" | grep -q 'keep.jsonl.tmp' \
        && ok "$p: a failed --jsonl export leaves the file as it was, no temporary file" || fail "$p: failed export touched $d/keep.jsonl"
    expect_exit 2 "$p: --dir and --jsonl together are refused" "$NOTARY" proof --batch 0 --dir "$d/x" --jsonl "$d/y"
    expect_exit 0 "$p: JSON credential VALID online" "$VERIFIER" verify "$d/creds/c0.json" --proof "$d/b0.json" --rpc "$LEDGER_URL" --issuer "$issuer"
    grep -q "ledger.event" <<<"$LAST_OUT" && ok "$p: checks are named" || fail "$p: no named checks in: $LAST_OUT"
    expect_exit 0 "$p: raw credential VALID" "$VERIFIER" verify "$d/creds/raw.bin" --proof "$d/braw.json" --rpc "$LEDGER_URL" --issuer "$issuer"
    expect_exit 0 "$p: given hash VALID" "$VERIFIER" verify --hash "$given" --proof "$d/bgiven.json" --rpc "$LEDGER_URL" --issuer "$issuer"
    expect_exit 0 "$p: --json output" "$VERIFIER" verify "$d/creds/c0.json" --proof "$d/b0.json" --rpc "$LEDGER_URL" --issuer "$issuer" --json
    [ "$(json_field status <<<"$LAST_OUT")" = VALID ] && [ "$(json_field ledgerChecked <<<"$LAST_OUT")" = True ] \
        && ok "$p: JSON says VALID, ledger checked" || fail "$p: json $LAST_OUT"
    # reformatted JSON (other key order, whitespace) is the same credential
    python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(json.dumps(d, indent=4, sort_keys=True))' "$d/creds/c0.json" > "$d/c0-reformatted.json"
    expect_exit 0 "$p: reformatted JSON credential still VALID" "$VERIFIER" verify "$d/c0-reformatted.json" --proof "$d/b0.json" --rpc "$LEDGER_URL" --issuer "$issuer"

    # another credential with a valid proof: A's proof for B
    expect_exit 1 "$p: proof of another credential is INVALID" "$VERIFIER" verify "$d/creds/c1.json" --proof "$d/b0.json" --rpc "$LEDGER_URL" --issuer "$issuer"
    # tampered credential
    sed 's/"ects": 3/"ects": 30/' "$d/creds/c0.json" > "$d/c0-tampered.json"
    expect_exit 1 "$p: tampered credential is INVALID" "$VERIFIER" verify "$d/c0-tampered.json" --proof "$d/b0.json" --rpc "$LEDGER_URL" --issuer "$issuer"
    # wrong issuer
    expect_exit 1 "$p: untrusted issuer is INVALID" "$VERIFIER" verify "$d/creds/c0.json" --proof "$d/b0.json" --rpc "$LEDGER_URL" --issuer "$DEV_ADDR_1"
    printf '# trusted\n%s\n' "$DEV_ADDR_1" > "$d/trusted.txt"
    expect_exit 1 "$p: issuer not in the trusted file is INVALID" "$VERIFIER" verify "$d/creds/c0.json" --proof "$d/b0.json" --rpc "$LEDGER_URL" --trusted-issuers "$d/trusted.txt"
    printf '%s\n' "$issuer" >> "$d/trusted.txt"
    expect_exit 0 "$p: issuer in the trusted file is VALID" "$VERIFIER" verify "$d/creds/c0.json" --proof "$d/b0.json" --rpc "$LEDGER_URL" --trusted-issuers "$d/trusted.txt"
    # a bundle claiming another chain
    sed 's/"chainId": 1337/"chainId": 5/' "$d/b0.json" > "$d/b0-chain.json"
    expect_exit 1 "$p: another chain id is INVALID" "$VERIFIER" verify "$d/creds/c0.json" --proof "$d/b0-chain.json" --rpc "$LEDGER_URL" --issuer "$issuer"
    # a bundle whose anchor claims another issuer (the tx sender is not it)
    python3 - "$d/b0.json" "$d/b0-issuer.json" "$DEV_ADDR_1" <<'PY'
import json, sys
b = json.load(open(sys.argv[1])); b["anchor"]["issuer"] = sys.argv[3].lower()
json.dump(b, open(sys.argv[2], "w"), indent=2)
PY
    expect_exit 1 "$p: a bundle naming another issuer is INVALID" "$VERIFIER" verify "$d/creds/c0.json" --proof "$d/b0-issuer.json" --rpc "$LEDGER_URL" --issuer "$DEV_ADDR_1"
    # a self-consistent proof whose root was never anchored: the pending
    # bundle of a second batch, with the first batch's anchor pasted in
    "$NOTARY" submit --credential "$d/creds/c2.json" >/dev/null
    "$NOTARY" close >/dev/null
    "$NOTARY" proof --credential "$d/creds/c2.json" > "$d/b2-pending.json" 2>/dev/null
    python3 - "$d/b2-pending.json" "$d/b0.json" "$d/b2-fake.json" <<'PY'
import json, sys
b = json.load(open(sys.argv[1])); b["anchor"] = json.load(open(sys.argv[2]))["anchor"]
json.dump(b, open(sys.argv[3], "w"), indent=2)
PY
    expect_exit 0 "$p: the never-anchored bundle is self-consistent offline" "$VERIFIER" verify "$d/creds/c2.json" --proof "$d/b2-fake.json" --offline
    expect_exit 1 "$p: a root never anchored is INVALID online" "$VERIFIER" verify "$d/creds/c2.json" --proof "$d/b2-fake.json" --rpc "$LEDGER_URL" --issuer "$issuer"
    # the bundle's own root differs from the anchored root
    python3 - "$d/b0.json" "$d/b0-root.json" <<'PY'
import json, sys
b = json.load(open(sys.argv[1])); r = b["batch"]["root"]
b["batch"]["root"] = ("0" if r[0] != "0" else "1") + r[1:]
json.dump(b, open(sys.argv[2], "w"), indent=2)
PY
    expect_exit 1 "$p: a bundle root that is not the anchored root is INVALID" "$VERIFIER" verify "$d/creds/c0.json" --proof "$d/b0-root.json" --rpc "$LEDGER_URL" --issuer "$issuer"

    # --- confirmations ------------------------------------------------------------
    expect_exit 3 "$p: under-confirmed is UNKNOWN" "$VERIFIER" verify "$d/creds/c0.json" --proof "$d/b0.json" --rpc "$LEDGER_URL" --issuer "$issuer" --confirmations 6
    for _ in 1 2 3 4 5 6; do ledger_rpc evm_mine >/dev/null; done
    expect_exit 0 "$p: VALID once mined deep enough" "$VERIFIER" verify "$d/creds/c0.json" --proof "$d/b0.json" --rpc "$LEDGER_URL" --issuer "$issuer" --confirmations 6

    # --- the second batch anchors as seq 1 ----------------------------------------
    expect_exit 0 "$p: anchor batch 1" "$NOTARY" anchor --poll-ms 100
    "$NOTARY" proof --credential "$d/creds/c2.json" > "$d/b2.json"
    expect_exit 0 "$p: batch 1 credential VALID" "$VERIFIER" verify "$d/creds/c2.json" --proof "$d/b2.json" --rpc "$LEDGER_URL" --issuer "$issuer"
    [ "$(json_field batch.seq < "$d/b2.json")" = 1 ] && ok "$p: second batch is seq 1" || fail "$p: seq"
    [ "$(count_anchors "$issuer" "$contract")" = 2 ] && ok "$p: two anchors in total" || fail "$p: anchors"

    # --- ledger unreachable -----------------------------------------------------------
    expect_exit 3 "$p: ledger unreachable is UNKNOWN" "$VERIFIER" verify "$d/creds/c0.json" --proof "$d/b0.json" --rpc "http://127.0.0.1:9" --issuer "$issuer"

    ledger_stop
    unset NOTARY_DATA
}

crash_run() {
    ledger_start default || { fail "crash: ledger start"; return; }
    local d=$tmp/crash
    new_notary crash "$DEV_KEY_1" || { fail "crash: init"; cat "$tmp/crash/init.err"; return; }
    export NOTARY_DATA=$d/data
    local contract issuer
    contract=$(json_field contract < "$d/init.json"); issuer=$(json_field issuer < "$d/init.json")

    # killed after recording the signed transaction, before broadcasting it
    "$NOTARY" submit "$(printf c1 | sha256sum | cut -c1-64)" >/dev/null
    "$NOTARY" close >/dev/null
    NOTARY_FAULT=after-record "$NOTARY" anchor --poll-ms 100 >/dev/null 2>&1
    rc=$?
    [ "$rc" -eq 137 ] && ok "crash: killed after recording (SIGKILL)" || fail "crash: after-record exit $rc"
    "$NOTARY" status --json > "$d/s1.json"
    [ "$(json_field batches.0.state < "$d/s1.json")" = sent ] && ok "crash: batch is SENT with its stored transaction" || fail "crash: state $(cat "$d/s1.json")"
    local tx1
    tx1=$(json_field batches.0.txHash < "$d/s1.json")
    expect_exit 0 "crash: rerun anchors" "$NOTARY" anchor --poll-ms 100
    "$NOTARY" status --json > "$d/s2.json"
    [ "$(json_field batches.0.state < "$d/s2.json")" = anchored ] && [ "$(json_field batches.0.txHash < "$d/s2.json")" = "$tx1" ] \
        && ok "crash: the stored transaction itself was broadcast" || fail "crash: $(cat "$d/s2.json")"

    # killed right after broadcasting
    "$NOTARY" submit "$(printf c2 | sha256sum | cut -c1-64)" >/dev/null
    "$NOTARY" close >/dev/null
    NOTARY_FAULT=after-send "$NOTARY" anchor --poll-ms 100 >/dev/null 2>&1
    rc=$?
    [ "$rc" -eq 137 ] && ok "crash: killed after sending (SIGKILL)" || fail "crash: after-send exit $rc"
    expect_exit 0 "crash: rerun after the send crash" "$NOTARY" anchor --poll-ms 100
    [ "$(count_anchors "$issuer" "$contract")" = 2 ] && ok "crash: each batch anchored exactly once" || fail "crash: anchors $(count_anchors "$issuer" "$contract")"
    "$NOTARY" proof "$(printf c2 | sha256sum | cut -c1-64)" > "$d/b.json"
    expect_exit 0 "crash: proof verifies" "$VERIFIER" verify --hash "$(printf c2 | sha256sum | cut -c1-64)" --proof "$d/b.json" --rpc "$LEDGER_URL" --issuer "$issuer"

    # killed while waiting to be mined (miner stopped), then the ledger comes back
    "$NOTARY" submit "$(printf c3 | sha256sum | cut -c1-64)" >/dev/null
    "$NOTARY" close >/dev/null
    ledger_rpc miner_stop >/dev/null
    "$NOTARY" anchor --poll-ms 100 >/dev/null 2>&1 &
    local apid=$!
    sleep 2
    kill -9 "$apid" 2>/dev/null; wait "$apid" 2>/dev/null
    ledger_rpc miner_start >/dev/null
    expect_exit 0 "crash: killed while pending, rerun finishes" "$NOTARY" anchor --poll-ms 100
    [ "$(count_anchors "$issuer" "$contract")" = 3 ] && ok "crash: still one anchor per batch" || fail "crash: anchors after pending kill"

    # the ledger stops answering mid-way: pending with a reason, exit 3; later it resumes
    "$NOTARY" submit "$(printf c4 | sha256sum | cut -c1-64)" >/dev/null
    "$NOTARY" close >/dev/null
    kill -STOP "$LEDGER_PID"
    expect_exit 3 "crash: ledger not answering -> pending (exit 3)" "$NOTARY" anchor --poll-ms 100 --rpc-timeout-ms 1000 --rpc-attempts 2
    kill -CONT "$LEDGER_PID"
    "$NOTARY" status --json > "$d/s3.json"
    [ "$(json_field batches.3.state < "$d/s3.json")" != anchored ] && ok "crash: batch stays pending while the ledger is away" || fail "crash: state"
    expect_exit 0 "crash: anchoring resumes when the ledger is back" "$NOTARY" anchor --poll-ms 100
    [ "$(count_anchors "$issuer" "$contract")" = 4 ] && ok "crash: no batch lost or doubled" || fail "crash: anchors after outage"
    # a reorg takes the anchoring block away: mined (1 of 3 confirmations), the
    # ledger reverts to before it, the rerun sends the same bytes again
    "$NOTARY" submit "$(printf c5 | sha256sum | cut -c1-64)" >/dev/null
    "$NOTARY" close >/dev/null
    local snap
    snap=$(ledger_rpc evm_snapshot | json_field result)
    expect_exit 3 "reorg: mined but under-confirmed -> pending" "$NOTARY" anchor --poll-ms 100 --timeout 2 --confirmations 3
    "$NOTARY" status --json > "$d/s4.json"
    local tx5
    tx5=$(json_field batches.4.txHash < "$d/s4.json")
    [ "$(count_anchors "$issuer" "$contract")" = 5 ] && ok "reorg: the anchor is on the ledger before the reorg" || fail "reorg: before"
    ledger_rpc evm_revert "[\"$snap\"]" >/dev/null
    [ "$(count_anchors "$issuer" "$contract")" = 4 ] && ok "reorg: the reorg removed it" || fail "reorg: revert did not remove the anchor"
    expect_exit 3 "reorg: rerun resends and waits" "$NOTARY" anchor --poll-ms 100 --timeout 2 --confirmations 3
    for _ in 1 2; do ledger_rpc evm_mine >/dev/null; done
    expect_exit 0 "reorg: anchored once confirmed" "$NOTARY" anchor --poll-ms 100 --confirmations 3
    "$NOTARY" status --json > "$d/s5.json"
    [ "$(json_field batches.4.txHash < "$d/s5.json")" = "$tx5" ] && ok "reorg: the same signed transaction was resent" || fail "reorg: tx changed"
    [ "$(count_anchors "$issuer" "$contract")" = 5 ] && ok "reorg: exactly one anchor after the reorg" || fail "reorg: anchors $(count_anchors "$issuer" "$contract")"

    for h in c1 c2 c3 c4 c5; do
        "$NOTARY" proof "$(printf $h | sha256sum | cut -c1-64)" > "$d/p.json"
        "$VERIFIER" verify --hash "$(printf $h | sha256sum | cut -c1-64)" --proof "$d/p.json" --rpc "$LEDGER_URL" --issuer "$issuer" >/dev/null \
            && ok "crash: bundle $h verifies" || fail "crash: bundle $h"
    done
    ledger_stop
    unset NOTARY_DATA
}

# Two stores with the same key disagree with the ledger: the second must stop
# with FAILED and a reason, not anchor out of sequence or burn a nonce.
conflict_run() {
    ledger_start default || { fail "conflict: ledger start"; return; }
    new_notary conflict "$DEV_KEY_0" || { fail "conflict: init"; return; }
    local d=$tmp/conflict
    cp -a "$d/data" "$d/copy"
    NOTARY_DATA=$d/data "$NOTARY" submit "$(printf a | sha256sum | cut -c1-64)" >/dev/null
    NOTARY_DATA=$d/data "$NOTARY" close >/dev/null
    expect_exit 0 "conflict: the first store anchors batch 0" env NOTARY_DATA="$d/data" "$NOTARY" anchor --poll-ms 100
    NOTARY_DATA=$d/copy "$NOTARY" submit "$(printf b | sha256sum | cut -c1-64)" >/dev/null
    NOTARY_DATA=$d/copy "$NOTARY" close >/dev/null
    expect_exit 1 "conflict: the copy's batch 0 is refused" env NOTARY_DATA="$d/copy" "$NOTARY" anchor --poll-ms 100
    grep -q "expects batch 1 next" <<<"$LAST_ERR$LAST_OUT" && ok "conflict: the reason names the sequence" || fail "conflict: reason: $LAST_ERR"
    NOTARY_DATA=$d/copy "$NOTARY" status --json > "$d/st.json"
    [ "$(json_field batches.0.state < "$d/st.json")" = failed ] && ok "conflict: batch is FAILED in status" || fail "conflict: state"
    expect_exit 1 "conflict: anchoring again reports the failure" env NOTARY_DATA="$d/copy" "$NOTARY" anchor --poll-ms 100
    ledger_stop
}

# A store adopts an anchoring transaction it finds on the ledger (its own
# record of sending was lost: here, a copy of the store from before), then
# a reorg takes that transaction away. The store has no bytes of it to send
# again: it must go back to CLOSED and sign anew, not wait forever.
adopt_reorg_run() {
    ledger_start default || { fail "adopt+reorg: ledger start"; return; }
    new_notary adopt "$DEV_KEY_0" || { fail "adopt+reorg: init"; return; }
    local d=$tmp/adopt h
    h=$(printf adopted | sha256sum | cut -c1-64)
    NOTARY_DATA=$d/data "$NOTARY" submit "$h" >/dev/null
    NOTARY_DATA=$d/data "$NOTARY" close >/dev/null
    cp -a "$d/data" "$d/copy"
    local snap issuer contract
    issuer=$(json_field issuer < "$d/init.json")
    contract=$(json_field contract < "$d/init.json")
    snap=$(ledger_rpc evm_snapshot | json_field result)
    expect_exit 0 "adopt+reorg: the first store anchors" env NOTARY_DATA="$d/data" "$NOTARY" anchor --poll-ms 100
    local tx1
    tx1=$(NOTARY_DATA=$d/data "$NOTARY" status --json | json_field batches.0.txHash)
    expect_exit 3 "adopt+reorg: the copy adopts it (under-confirmed: pending)" \
        env NOTARY_DATA="$d/copy" "$NOTARY" anchor --poll-ms 100 --timeout 2 --confirmations 3
    grep -q "adopting it" <<<"$LAST_OUT$LAST_ERR" && ok "adopt+reorg: says it adopts $tx1" || fail "adopt+reorg: no adoption: $LAST_ERR"
    [ "$(NOTARY_DATA=$d/copy "$NOTARY" status --json | json_field batches.0.txHash)" = "$tx1" ] \
        && ok "adopt+reorg: the copy follows the adopted transaction" || fail "adopt+reorg: copy's tx"
    ledger_rpc evm_revert "[\"$snap\"]" >/dev/null
    [ "$(count_anchors "$issuer" "$contract")" = 0 ] && ok "adopt+reorg: the reorg removed the anchor" || fail "adopt+reorg: revert"
    expect_exit 3 "adopt+reorg: the copy signs anew and waits for confirmations" \
        env NOTARY_DATA="$d/copy" "$NOTARY" anchor --poll-ms 100 --timeout 2 --confirmations 3
    grep -q "no longer there (reorg); re-signing" <<<"$LAST_OUT$LAST_ERR" && ok "adopt+reorg: the reason is given" \
        || fail "adopt+reorg: reason: $LAST_OUT $LAST_ERR"
    # Signed here this time. At the same nonce and fees the deterministic
    # signature may give the very same transaction: its bytes are kept now.
    grep -q "root recorded in transaction" <<<"$LAST_OUT$LAST_ERR" && ok "adopt+reorg: signed and sent by the copy" \
        || fail "adopt+reorg: not signed: $LAST_OUT $LAST_ERR"
    for _ in 1 2; do ledger_rpc evm_mine >/dev/null; done
    expect_exit 0 "adopt+reorg: anchored once confirmed" env NOTARY_DATA="$d/copy" "$NOTARY" anchor --poll-ms 100 --confirmations 3
    [ "$(NOTARY_DATA=$d/copy "$NOTARY" status --json | json_field batches.0.state)" = anchored ] \
        && ok "adopt+reorg: the copy's batch is anchored" || fail "adopt+reorg: state"
    [ "$(count_anchors "$issuer" "$contract")" = 1 ] && ok "adopt+reorg: exactly one anchor" || fail "adopt+reorg: anchors $(count_anchors "$issuer" "$contract")"
    NOTARY_DATA=$d/copy "$NOTARY" proof "$h" > "$d/p.json"
    expect_exit 0 "adopt+reorg: the bundle verifies on the ledger" \
        "$VERIFIER" verify --hash "$h" --proof "$d/p.json" --rpc "$LEDGER_URL" --issuer "$issuer"
    ledger_stop
}

profile_run default
profile_run berlin
crash_run
conflict_run
adopt_reorg_run
finish
