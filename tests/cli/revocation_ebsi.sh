#!/usr/bin/env bash
# tests/cli/revocation_ebsi.sh — revocation status and the audit on the EBSI
# path, end to end on the local EBSI-style gateway (tests/gateway/) in front
# of ganache (berlin profile, gasPrice 0), issue 5 "must work on the EBSI
# path too":
#   - an ebsi notary: issue → anchor (Timestamp API) → revoke → checkpoint
#     (timestamped through the API with kind "revocation") → export;
#   - verifier verify from the gateway's read-only ledger API: never-anchored
#     issuer (VALID), pending revocation (UNKNOWN), REVOKED with reason and
#     "no later than checkpoint N" (the first covering checkpoint), VALID "as
#     of checkpoint N", no copy (UNKNOWN);
#   - tampered copies (entry removed, swapped, backdated, truncated, another
#     ledger): the copy is INVALID and the status UNKNOWN, named by verify;
#   - verifier audit --ledger ebsi --contract: clean on the genuine copy,
#     the named finding for each tampered copy, --json/--html, refusals
#     (no --contract, an address without the Timestamp code);
#   - the Timestamp contract does not enforce sequence numbers: records the
#     issuer's key timestamps that are not ours are ignored; another
#     address's checkpoint does not disturb the issuer (and is named
#     foreign-checkpoint when a copy lists it); a skipped number is seq-gap
#     and a repeated number seq-repeat, in the audit and in verify (status
#     UNKNOWN).
# Ends with "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/lib/notary.sh
. tests/lib/revocation.sh
notary_test_begin revocation-ebsi
h() { hash_of "$1"; }

# Call Timestamp.timestampHashes([0], [ROOT], [DATA]) directly on ganache
# with KEY (not through the gateway): what a key holder can always do.
direct_ts() { # KEY ROOT DATA-TEXT
    node -e '
const { ethers } = require("ethers");
(async () => {
  const p = new ethers.JsonRpcProvider(process.env.LEDGER_URL, undefined, { staticNetwork: true });
  const w = new ethers.Wallet(process.argv[1], p);
  const c = new ethers.Contract(process.env.GATEWAY_CONTRACT,
      ["function timestampHashes(uint256[],bytes[],bytes[])"], w);
  const tx = await c.timestampHashes([0], [process.argv[2]], [ethers.toUtf8Bytes(process.argv[3])],
      { type: 0, gasPrice: 0 });
  const r = await tx.wait();
  console.log(tx.hash, r.blockNumber, r.blockHash);
})().catch((e) => { console.error(e.shortMessage || e.message); process.exit(1); });
' "$@"
}

notary_gateway_start
notary_dir
expect_exit 0 "init --ledger ebsi" notary_init_ebsi "$NOTARY_DATA" "$d/key.hex"
issuer=$DEV_ADDR_0
contract=$GATEWAY_CONTRACT
for i in 0 1 2 3 4 5 6 7; do "$NOTARY" submit "$(h e$i)" >/dev/null; done
"$NOTARY" close >/dev/null
expect_exit 0 "anchor the batch through the Timestamp API" "$NOTARY" anchor --poll-ms 100 --timeout 60
for i in 0 1 2 3 4 5 6 7; do "$NOTARY" proof "$(h e$i)" > "$d/b$i.json"; done
[ "$(json_field anchor.ledger < "$d/b0.json")" = ebsi ] && ok "bundles say ledger ebsi" || fail "bundle ledger"
V() { "$VERIFIER" verify --hash "$(h "$1")" --proof "$d/b${1#e}.json" --rpc "$GATEWAY_LEDGER" \
    --issuer "$issuer" --contract "$contract" "${@:2}"; }

# --- before any checkpoint ---------------------------------------------------------
expect_exit 0 "no checkpoint ever: VALID" V e0
has "says the issuer never anchored a checkpoint" "never anchored a revocation checkpoint"
expect_exit 0 "revoke e1 (fraud, with a note)" "$NOTARY" revoke "$(h e1)" --reason fraud --note "exam misconduct"
"$NOTARY" revocations export --out "$d/log0.json" >/dev/null
[ "$(json_field ledger < "$d/log0.json")" = ebsi ] && ok "the export says ledger ebsi" || fail "export ledger"
expect_exit 3 "pending revocation (no checkpoint yet): UNKNOWN" V e1 --revocations "$d/log0.json"
has "says pending revocation" "PENDING REVOCATION"

# --- checkpoint 0 -------------------------------------------------------------------
expect_exit 0 "checkpoint 0 through the Timestamp API" "$NOTARY" checkpoint --poll-ms 100 --timeout 60 --json
[ "$(json_field anchored <<<"$LAST_OUT")" = 1 ] && ok "checkpoint 0 timestamped" || fail "checkpoint: $LAST_OUT"
"$NOTARY" revocations export --out "$d/log1.json" >/dev/null
[ "$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["checkpoints"]))' "$d/log1.json")" = 1 ] \
    && ok "the export lists the anchored checkpoint" || fail "export checkpoints"
rev_after_checkpoint0 e

# --- more checkpoints (distinct seconds so time order is visible) ----------------------
rev_checkpoint_series e --timeout 60
expect_exit 4 "e2's bound is checkpoint 1" V e2 --revocations "$d/log.json"
has "bound is checkpoint 1" "no later than checkpoint 1"
expect_exit 3 "an older copy against checkpoint 2: UNKNOWN, log-truncated" V e7 --revocations "$d/log2.json"
has "names log-truncated" "log-truncated"
expect_exit 4 "directly from ganache too" "$VERIFIER" verify --hash "$(h e1)" --proof "$d/b1.json" \
    --rpc "$LEDGER_URL" --issuer "$issuer" --contract "$contract" --timestamp-code --revocations "$d/log.json"
expect_exit 1 "another pinned contract: INVALID, revocation not checked" "$VERIFIER" verify --hash "$(h e1)" \
    --proof "$d/b1.json" --rpc "$GATEWAY_LEDGER" --issuer "$issuer" --contract 0x000000000000000000000000000000000000dEaD \
    --revocations "$d/log.json"
has "the revocation check is skipped" "not checked: the credential's issuance did not verify"

# --- tampered copies --------------------------------------------------------------------
rev_make_tampered
revlog_mutate "$d/log.json" "$d/otherledger.json" 'd["ledger"] = "evm"'
rev_tampered_copies e removed swapped backdated renoted truncated
rev_verify_names e swapped removed backdated
expect_exit 3 "a copy that claims another ledger: UNKNOWN" V e1 --revocations "$d/otherledger.json"
has "says the copy is of another ledger" "not of $(tr 'A-F' 'a-f' <<<"$issuer")"

# --- audit --ledger ebsi ------------------------------------------------------------------
A() { "$VERIFIER" audit --issuer "$issuer" --rpc "$GATEWAY_LEDGER" --ledger ebsi --contract "$contract" "$@"; }
rev_audit_clean "audit counts 1 batch, 3 checkpoints from the HashTimestamped records"
[ "$(json_field ledger <<<"$LAST_OUT")" = ebsi ] && ok "JSON says ledger ebsi" || fail "json ledger"
expect_exit 0 "audit text, committed code required" A --revocations "$d/log.json" --timestamp-code
has "text names the Timestamp contract" "Timestamp: "
has "text result clean" "Result: clean"
expect_exit 0 "audit: the ledger taken from the copy" "$VERIFIER" audit --issuer "$issuer" --rpc "$GATEWAY_LEDGER" \
    --contract "$contract" --revocations "$d/log.json" --json
[ "$(json_field ledger <<<"$LAST_OUT")" = ebsi ] && ok "copy's ledger used" || fail "ledger from copy"
expect_exit 2 "audit --ledger ebsi without --contract: usage error" \
    "$VERIFIER" audit --issuer "$issuer" --rpc "$GATEWAY_LEDGER" --ledger ebsi --revocations "$d/log.json"
has "says to pin the Timestamp contract" "needs --contract"
expect_exit 2 "audit --ledger other: usage error" \
    "$VERIFIER" audit --issuer "$issuer" --rpc "$GATEWAY_LEDGER" --ledger besu --contract "$contract"
expect_exit 1 "audit of an address without a contract" \
    "$VERIFIER" audit --issuer "$issuer" --rpc "$GATEWAY_LEDGER" --ledger ebsi --contract 0x000000000000000000000000000000000000dEaD --json
[ "$(findings <<<"$LAST_OUT")" = contract-not-timestamp ] && ok "named contract-not-timestamp" || fail "findings: $(findings <<<"$LAST_OUT")"
expect_exit 1 "audit --ledger evm of the Timestamp contract: not a registry" \
    "$VERIFIER" audit --issuer "$issuer" --rpc "$GATEWAY_LEDGER" --ledger evm --contract "$contract" --json
[ "$(findings <<<"$LAST_OUT")" = contract-not-registry ] && ok "named contract-not-registry" || fail "findings: $(findings <<<"$LAST_OUT")"
audit_names removed log-mismatch entry-removed
audit_names swapped log-mismatch entries-reordered
audit_names backdated log-mismatch entry-time-changed
audit_names renoted log-mismatch entry-altered
audit_names truncated log-truncated
audit_names otherledger log-other-issuer
expect_exit 0 "audit without a copy: lists, notes it" A --json
[ "$(findings <<<"$LAST_OUT")" = "no-log-copy" ] && ok "note no-log-copy" || fail "findings: $(findings <<<"$LAST_OUT")"
expect_exit 1 "audit --html" A --revocations "$d/swapped.json" --html "$d/audit.html"
rev_html_ok "$d/audit.html" "HTML: self-contained, the chart, the finding, the Timestamp contract" \
    entries-reordered 'Timestamp contract'
expect_exit 3 "audit of an unreachable ledger: exit 3" \
    "$VERIFIER" audit --issuer "$issuer" --rpc http://127.0.0.1:9 --ledger ebsi --contract "$contract"

# --- what the Timestamp contract does not enforce ----------------------------------------
# The issuer's key timestamps something that is not one of our records: ignored.
direct_ts "$DEV_KEY_0" "0x$(h 'another application')" 'hello' >/dev/null \
    && ok "the issuer's key timestamps a foreign record" || fail "direct timestamp"
expect_exit 0 "audit ignores records that are not ours" A --revocations "$d/log.json" --json
[ "$(findings <<<"$LAST_OUT")" = "" ] && [ "$(json_field counts.checkpoints <<<"$LAST_OUT")" = 3 ] \
    && ok "still clean, 3 checkpoints" || fail "foreign record disturbed: $(findings <<<"$LAST_OUT")"
# Another address timestamps a "checkpoint" record: not the issuer's.
foreign_root=0x$(h "forged ebsi log root")
read -r ftx fblock fbhash < <(direct_ts "$DEV_KEY_1" "$foreign_root" '{"kind":"revocation","seq":3,"size":9,"v":1}') \
    && ok "another address timestamps a checkpoint record" || fail "foreign checkpoint"
rev_foreign_checkpoint e 9 "$foreign_root" "$ftx" "$fblock" "$fbhash"
# Our key skips a number: checkpoint 4 without 3.
direct_ts "$DEV_KEY_0" "0x$(h 'skipped to four')" '{"kind":"revocation","seq":4,"size":5,"v":1}' >/dev/null \
    && ok "our key timestamps checkpoint 4 (3 skipped)" || fail "gap timestamp"
audit_names log seq-gap
expect_exit 3 "verify: a gap in the checkpoints is UNKNOWN, never REVOKED" V e1 --revocations "$d/log.json"
has "verify names seq-gap" "seq-gap"
expect_exit 3 "verify: a gap is UNKNOWN, never VALID" V e7 --revocations "$d/log.json"
# Our key repeats a number: a second checkpoint 1.
direct_ts "$DEV_KEY_0" "0x$(h 'second checkpoint one')" '{"kind":"revocation","seq":1,"size":3,"v":1}' >/dev/null \
    && ok "our key timestamps a second checkpoint 1" || fail "repeat timestamp"
audit_names log seq-repeat seq-gap
expect_exit 3 "verify: a repeated checkpoint number is UNKNOWN" V e7 --revocations "$d/log.json"
has "verify names seq-repeat" "seq-repeat"
expect_exit 3 "verify: a repeat is UNKNOWN, never REVOKED" V e1 --revocations "$d/log.json"

finish
