#!/usr/bin/env bash
# tests/cli/revocation.sh — revocation and audit end to end on a real local
# ledger (ganache), issue 5:
#   - notary revoke: unknown hash refused, twice is idempotent, bad reason;
#     checkpoint cuts and anchors only when the log grew; export;
#   - verifier verify: never-anchored issuer, pending revocation (UNKNOWN),
#     REVOKED with reason and "no later than checkpoint N", VALID "as of
#     checkpoint N" for a credential revoked after the verifier's copy, no
#     copy (UNKNOWN), copy by URL (http) and refused schemes;
#   - tampered copies (entry removed, two entries swapped, a time changed, a
#     note changed, truncated): verify says the copy is INVALID and the
#     status UNKNOWN (never REVOKED or VALID); audit names each;
#   - a checkpoint anchored by another address does not disturb the audit of
#     our issuer, and is named foreign-checkpoint when a copy lists it; a
#     checkpoint anchored by our key but not from our log is named
#     checkpoint-inconsistent;
#   - audit --json and --html (self-contained page with an SVG timeline).
# Ends with "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/lib/notary.sh
. tests/lib/revocation.sh
notary_test_begin revocation
HTTP_PID=
notary_on_exit '[ -n "$HTTP_PID" ] && kill "$HTTP_PID" 2>/dev/null && wait "$HTTP_PID" 2>/dev/null'
h() { hash_of "$1"; }

# Call NotaryRegistry.anchor(root, size, seq, kind) directly with KEY; prints
# "txhash blocknumber blockhash".
direct_anchor() { # KEY CONTRACT ROOT SIZE SEQ KIND
    node -e '
const { ethers } = require("ethers");
(async () => {
  const p = new ethers.JsonRpcProvider(process.env.LEDGER_URL, undefined, { staticNetwork: true });
  const w = new ethers.Wallet(process.argv[1], p);
  const c = new ethers.Contract(process.argv[2], ["function anchor(bytes32,uint64,uint64,uint8)"], w);
  const tx = await c.anchor(process.argv[3], process.argv[4], process.argv[5], process.argv[6]);
  const r = await tx.wait();
  console.log(tx.hash, r.blockNumber, r.blockHash);
})().catch((e) => { console.error(e.shortMessage || e.message); process.exit(1); });
' "$@"
}

notary_ledger_start default
notary_dir
expect_exit 0 "init" notary_init_evm "$NOTARY_DATA" "$d/key.hex" --json
contract=$(json_field contract <<<"$LAST_OUT")
issuer=$DEV_ADDR_0
for i in 0 1 2 3 4 5 6 7; do "$NOTARY" submit "$(h c$i)" >/dev/null; done
"$NOTARY" close >/dev/null
expect_exit 0 "anchor the batch" "$NOTARY" anchor --poll-ms 100
for i in 0 1 2 3 4 5 6 7; do "$NOTARY" proof "$(h c$i)" > "$d/b$i.json"; done
V() { "$VERIFIER" verify --hash "$(h "$1")" --proof "$d/b${1#c}.json" --rpc "$LEDGER_URL" --issuer "$issuer" "${@:2}"; }

# --- before any checkpoint ------------------------------------------------------
expect_exit 0 "no checkpoint ever: VALID" V c0
has "says the issuer never anchored a checkpoint" "never anchored a revocation checkpoint"
expect_exit 0 "empty log: checkpoint cuts nothing" "$NOTARY" checkpoint --poll-ms 100
has "says the log is empty" "empty"

# --- revoke ---------------------------------------------------------------------
expect_exit 2 "revoking an unknown hash is an error" "$NOTARY" revoke "$(h never-issued)" --reason fraud
has "names the unknown credential" "never notarized"
expect_exit 2 "an unknown reason is refused" "$NOTARY" revoke "$(h c1)" --reason misbehaviour
has "lists the reasons" "holder-request"
expect_exit 2 "a reason is required" "$NOTARY" revoke "$(h c1)"
expect_exit 2 "a note with a control character is refused" "$NOTARY" revoke "$(h c1)" --reason 3 --note "$(printf 'a\tb')"
expect_exit 0 "revoke c1 (fraud, with a note)" "$NOTARY" revoke "$(h c1)" --reason fraud --note "exam misconduct" --json
[ "$(json_field index <<<"$LAST_OUT")" = 0 ] && [ "$(json_field alreadyRevoked <<<"$LAST_OUT")" = False ] \
    && ok "c1 is entry 0" || fail "revoke result $LAST_OUT"
expect_exit 0 "revoking twice is idempotent" "$NOTARY" revoke "$(h c1)" --reason withdrawn --json
[ "$(json_field alreadyRevoked <<<"$LAST_OUT")" = True ] && [ "$(json_field reasonName <<<"$LAST_OUT")" = fraud ] \
    && ok "the second revoke says so and keeps the first entry" || fail "second revoke: $LAST_OUT"
printf c1 > "$tmp/c1.txt"
expect_exit 0 "revoking twice by credential file says so" "$NOTARY" revoke --credential "$tmp/c1.txt" --reason 1
has "text says already revoked" "already revoked"
"$NOTARY" revocations export --out "$d/log0.json" >/dev/null
[ "$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["entries"]))' "$d/log0.json")" = 1 ] \
    && ok "the log has one entry after revoking twice" || fail "log entries"

# Revoked but not yet anchored: a pending revocation is UNKNOWN, never VALID.
expect_exit 3 "pending revocation (no checkpoint yet) is UNKNOWN" V c1 --revocations "$d/log0.json"
has "says pending revocation" "PENDING REVOCATION"

# --- checkpoint -----------------------------------------------------------------
expect_exit 0 "checkpoint 0" "$NOTARY" checkpoint --poll-ms 100 --json
[ "$(json_field checkpoint.created <<<"$LAST_OUT")" = True ] && [ "$(json_field anchored <<<"$LAST_OUT")" = 1 ] \
    && ok "checkpoint 0 cut and anchored" || fail "checkpoint: $LAST_OUT"
expect_exit 0 "checkpoint again: nothing new" "$NOTARY" checkpoint --poll-ms 100 --json
[ "$(json_field checkpoint.created <<<"$LAST_OUT")" = False ] && [ "$(json_field anchored <<<"$LAST_OUT")" = 0 ] \
    && ok "no checkpoint when the log has not grown" || fail "second checkpoint: $LAST_OUT"
"$NOTARY" revocations export --out "$d/log1.json" >/dev/null
rev_after_checkpoint0 c
expect_exit 2 "--revocations needs the ledger" "$VERIFIER" verify --hash "$(h c1)" --proof "$d/b1.json" --offline --revocations "$d/log1.json"

# --- more revocations, distinct seconds so the log's time order is visible -------
rev_checkpoint_series c
python3 - "$d/log.json" <<'PY' && ok "export: 5 entries, 3 checkpoints, consistency proofs" || fail "export shape"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["type"] == "CredentialNotaryRevocationLog" and d["version"] == 1
assert len(d["entries"]) == 5 and [c["size"] for c in d["checkpoints"]] == [1, 3, 5]
assert d["checkpoints"][0]["consistency"] == [] and all(c["consistency"] for c in d["checkpoints"][1:])
PY

# --- the copy by URL -------------------------------------------------------------------
port=$(ledger_free_port)
python3 -m http.server "$port" --bind 127.0.0.1 --directory "$d" >/dev/null 2>&1 &
HTTP_PID=$!
for _ in $(seq 1 50); do python3 -c 'import socket,sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 0.2)' "$port" 2>/dev/null && break; sleep 0.1; done
expect_exit 4 "copy fetched over http: REVOKED" V c1 --revocations "http://127.0.0.1:$port/log.json"
expect_exit 3 "a missing URL: UNKNOWN" V c1 --revocations "http://127.0.0.1:$port/nope.json"
has "says the copy is unusable" "unusable"
expect_exit 3 "file:// is not fetched: UNKNOWN" V c1 --revocations "file://$d/log.json"
has "names the allowed schemes" "http(s)"
head -c $((64 * 1024 * 1024 + 10)) /dev/zero > "$d/huge.json"
expect_exit 3 "a copy over 64 MiB is refused (URL)" V c1 --revocations "http://127.0.0.1:$port/huge.json"
has "says it is too large" "limit"
rm -f "$d/huge.json"
printf '{"type":"CredentialNotaryRevocationLog","version":1,"version":1}' > "$d/dup.json"
expect_exit 3 "a copy with duplicate keys is refused" V c1 --revocations "$d/dup.json"
has "duplicate key named" "duplicate"

# --- tampered copies --------------------------------------------------------------
rev_make_tampered
revlog_mutate "$d/log.json" "$d/reasoned.json" 'e[0]["reason"] = 1'
rev_tampered_copies c removed swapped backdated renoted truncated reasoned
rev_verify_names c truncated swapped removed backdated
A() { "$VERIFIER" audit --issuer "$issuer" --rpc "$LEDGER_URL" "$@"; }
rev_audit_clean "audit counts 1 batch, 3 checkpoints"
audit_names removed log-mismatch entry-removed
audit_names swapped log-mismatch entries-reordered
audit_names backdated log-mismatch entry-time-changed
audit_names renoted log-mismatch entry-altered
audit_names truncated log-truncated
audit_names reasoned log-mismatch entry-altered
expect_exit 1 "audit text names the swapped entries" A --revocations "$d/swapped.json"
has "entries 1 and 2" "entries 1 and 2"
expect_exit 0 "audit without a copy: lists, notes it" A --contract "$contract" --json
[ "$(findings <<<"$LAST_OUT")" = "no-log-copy" ] && ok "note no-log-copy" || fail "findings: $(findings <<<"$LAST_OUT")"
expect_exit 2 "audit needs a contract or a copy" A
expect_exit 3 "audit of an unreachable ledger: exit 3" "$VERIFIER" audit --issuer "$issuer" --rpc http://127.0.0.1:9 --contract "$contract"

# --- a checkpoint by another address --------------------------------------------------
foreign_root=0x$(h "forged log root")
read -r ftx fblock fbhash < <(direct_anchor "$DEV_KEY_1" "$contract" "$foreign_root" 5 0 1) \
    && ok "another address anchors a checkpoint" || fail "foreign anchor"
rev_foreign_checkpoint c 5 "$foreign_root" "$ftx" "$fblock" "$fbhash"

# --- a checkpoint by our own key that is not from our log ----------------------------
rogue_root=0x$(h "rogue checkpoint")
direct_anchor "$DEV_KEY_0" "$contract" "$rogue_root" 5 3 1 >/dev/null && ok "our key anchors a rogue checkpoint 3" || fail "rogue anchor"
audit_names log checkpoint-inconsistent
expect_exit 3 "verify: the copy does not match the newest (rogue) checkpoint: UNKNOWN" V c1 --revocations "$d/log.json"
has "verify says the copy is INVALID against checkpoint 3" "INVALID against checkpoint 3"

# --- HTML report -------------------------------------------------------------------------
expect_exit 1 "audit --html" A --revocations "$d/log.json" --html "$d/audit.html"
rev_html_ok "$d/audit.html" "HTML is one self-contained page with the chart and the findings" \
    checkpoint-inconsistent '</html>'
grep -q 'exam misconduct' "$d/audit.html" && ok "HTML lists the revocations" || fail "HTML revocations"

ledger_stop
finish
