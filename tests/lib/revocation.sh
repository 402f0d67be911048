# tests/lib/revocation.sh — the revocation scenario that tests/cli/revocation.sh
# (EVM registry) and tests/cli/revocation_ebsi.sh (Timestamp API) both run,
# written once. Source it after tests/lib/notary.sh. The calling script
# provides:
#   $d        the folder of the bundles (b0.json ... b7.json) and log copies
#   h TEXT    the credential hash of TEXT (hash_of)
#   V NAME [ARGS...]   verifier verify of credential NAME (its bundle) online
#   A [ARGS...]        verifier audit of the issuer on that ledger
# Credentials are named PREFIX0 ... PREFIX7 (c0 ... on EVM, e0 ... on EBSI):
# PREFIX1 was revoked (fraud) and checkpoint 0 anchored before these run.

# rev_checkpoint_series PREFIX [CHECKPOINT-OPTIONS...]: revoke PREFIX2 and
# PREFIX3, checkpoint 1, the copy log2.json; revoke PREFIX4, log3.json
# (PREFIX4 pending: UNKNOWN; VALID against log2); revoke PREFIX5,
# checkpoint 2, log.json: PREFIX4 REVOKED bound by checkpoint 2, PREFIX1
# still by checkpoint 0, PREFIX7 VALID as of checkpoint 2. Revocations one
# second apart, so that the log's time order is visible.
rev_checkpoint_series() {
    local p=$1; shift
    sleep 1.1; "$NOTARY" revoke "$(h "${p}2")" --reason holder-request >/dev/null
    sleep 1.1; "$NOTARY" revoke "$(h "${p}3")" --reason superseded >/dev/null
    expect_exit 0 "checkpoint 1" "$NOTARY" checkpoint --poll-ms 100 "$@"
    "$NOTARY" revocations export --out "$d/log2.json" >/dev/null # the verifier's copy at checkpoint 1
    sleep 1.1; "$NOTARY" revoke "$(h "${p}4")" --reason issued-in-error --note "wrong grade" >/dev/null
    "$NOTARY" revocations export --out "$d/log3.json" >/dev/null
    expect_exit 3 "revoked after the newest checkpoint: UNKNOWN (pending)" V "${p}4" --revocations "$d/log3.json"
    has "pending, and not revoked as of checkpoint 1" "not revoked as of checkpoint 1"
    expect_exit 0 "revoked after the verifier's checkpoint: VALID as of checkpoint 1" V "${p}4" --revocations "$d/log2.json"
    has "as of checkpoint 1" "not revoked as of checkpoint 1"
    sleep 1.1; "$NOTARY" revoke "$(h "${p}5")" --reason withdrawn >/dev/null
    expect_exit 0 "checkpoint 2" "$NOTARY" checkpoint --poll-ms 100 "$@"
    "$NOTARY" revocations export --out "$d/log.json" >/dev/null
    expect_exit 4 "${p}4 is REVOKED once checkpoint 2 covers it" V "${p}4" --revocations "$d/log.json"
    has "bound is checkpoint 2" "no later than checkpoint 2"
    expect_exit 4 "${p}1's bound is still its first checkpoint" V "${p}1" --revocations "$d/log.json"
    has "bound is checkpoint 0" "no later than checkpoint 0"
    expect_exit 0 "an unrevoked credential: VALID as of checkpoint 2" V "${p}7" --revocations "$d/log.json"
    has "as of checkpoint 2" "not revoked as of checkpoint 2"
}

# rev_make_tampered: the tampered copies of $d/log.json (5 entries) that both
# ledgers check: $d/removed.json (entry 1 deleted), swapped.json (entries 1
# and 2 swapped), backdated.json (entry 3's time), renoted.json (entry 3's
# note), truncated.json (entries 3 and 4 deleted).
rev_make_tampered() {
    revlog_mutate "$d/log.json" "$d/removed.json" 'del e[1]'
    revlog_mutate "$d/log.json" "$d/swapped.json" 'e[1], e[2] = e[2], e[1]'
    revlog_mutate "$d/log.json" "$d/backdated.json" 'e[3]["revokedAt"] = "2020-01-01T00:00:00Z"'
    revlog_mutate "$d/log.json" "$d/renoted.json" 'e[3]["note"] = "a better grade"'
    revlog_mutate "$d/log.json" "$d/truncated.json" 'del e[3:]'
}

# rev_tampered_copies PREFIX TAMPER...: the copies $d/TAMPER.json (made with
# revlog_mutate) are each INVALID: revoked PREFIX1 is UNKNOWN, never REVOKED, and
# PREFIX7 UNKNOWN, never VALID.
rev_tampered_copies() {
    local p=$1 t; shift
    for t in "$@"; do
        expect_exit 3 "$t copy: revoked ${p}1 is UNKNOWN, never REVOKED" V "${p}1" --revocations "$d/$t.json"
        has "$t copy: said INVALID" "INVALID"
        expect_exit 3 "$t copy: ${p}7 is UNKNOWN, never VALID" V "${p}7" --revocations "$d/$t.json"
    done
}

# rev_verify_names PREFIX TAMPER...: verify of PREFIX0 against each tampered
# copy (truncated, swapped, removed, backdated) names what was done to it.
rev_verify_names() {
    local p=$1 t what name; shift
    for t in "$@"; do
        case $t in
            truncated) what="a truncated copy" name=log-truncated ;;
            swapped) what="swapped entries" name=entries-reordered ;;
            removed) what="a removed entry" name=entry-removed ;;
            backdated) what="a changed time" name=entry-time-changed ;;
            *) fail "rev_verify_names: no name known for '$t'"; continue ;;
        esac
        expect_exit 3 "verify names $what" V "${p}0" --revocations "$d/$t.json"
        has "$name named by verify" "$name"
    done
}

# rev_audit_clean COUNTS-CHECK-NAME: the audit of the genuine copy
# ($d/log.json) is clean, without findings, and counts 1 batch and 3
# checkpoints. Leaves the audit's JSON in LAST_OUT.
rev_audit_clean() {
    expect_exit 0 "audit of the genuine copy is clean" A --revocations "$d/log.json" --json
    [ "$(json_field result <<<"$LAST_OUT")" = clean ] && [ "$(findings <<<"$LAST_OUT")" = "" ] \
        && ok "no findings" || fail "audit genuine: $(findings <<<"$LAST_OUT")"
    [ "$(json_field counts.checkpoints <<<"$LAST_OUT")" = 3 ] && [ "$(json_field counts.batches <<<"$LAST_OUT")" = 1 ] \
        && ok "$1" || fail "counts"
}

# audit_names TAMPER WANT-NAME...: the audit of $d/TAMPER.json finds
# anomalies (exit 1), among them every WANT-NAME.
audit_names() {
    local t=$1 names n; shift
    expect_exit 1 "audit of the $t copy finds anomalies" A --revocations "$d/$t.json" --json
    names=$(findings <<<"$LAST_OUT")
    for n in "$@"; do
        [[ " $names " == *" $n "* ]] && ok "audit $t: $n" || fail "audit $t: want $n, got: $names"
    done
}

# rev_foreign_copy SIZE ROOT TX BLOCK BLOCKHASH: $d/foreign.json, the copy
# $d/log.json with a checkpoint 3 (of SIZE entries) appended that another
# address anchored (ROOT with 0x, in transaction TX of block BLOCK).
rev_foreign_copy() {
    python3 - "$d/log.json" "$d/foreign.json" "$1" "${2#0x}" "$3" "$4" "$5" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["checkpoints"].append({"seq": 3, "size": int(sys.argv[3]), "root": sys.argv[4], "txHash": sys.argv[5],
    "blockNumber": int(sys.argv[6]), "blockHash": sys.argv[7], "blockTime": 0, "consistency": []})
json.dump(d, open(sys.argv[2], "w"), indent=1)
PY
}

# rev_after_checkpoint0 PREFIX: against the copy $d/log1.json (checkpoint 0
# anchored, PREFIX1 revoked for fraud with the note "exam misconduct"):
# PREFIX1 is REVOKED with its reason, note and time bound (text and JSON),
# PREFIX0 VALID as of checkpoint 0; without a copy, PREFIX1 is UNKNOWN.
rev_after_checkpoint0() {
    local p=$1
    expect_exit 4 "revoked credential: REVOKED (exit 4)" V "${p}1" --revocations "$d/log1.json"
    has "reason in the detail" "reason fraud (3)"
    has "the note in the detail" "exam misconduct"
    has "time bound: no later than checkpoint 0" "no later than checkpoint 0 at block time"
    expect_exit 4 "REVOKED in JSON" V "${p}1" --revocations "$d/log1.json" --json
    [ "$(json_field status <<<"$LAST_OUT")" = REVOKED ] && ok "JSON status REVOKED" || fail "json status"
    expect_exit 0 "a credential not revoked: VALID as of checkpoint 0" V "${p}0" --revocations "$d/log1.json"
    has "says as of checkpoint 0" "not revoked as of checkpoint 0"
    expect_exit 3 "no copy while checkpoints exist: UNKNOWN" V "${p}1"
    has "asks for a copy" "revocations FILE|URL"
}

# rev_foreign_checkpoint PREFIX SIZE ROOT TX BLOCK BLOCKHASH: another address
# has anchored a checkpoint record (ROOT, in transaction TX of block BLOCK);
# it does not disturb the audit of our issuer (clean, still 3 checkpoints)
# nor verify (PREFIX1 still REVOKED); a copy that lists it as checkpoint 3
# (rev_foreign_copy) is named foreign-checkpoint by the audit.
rev_foreign_checkpoint() {
    local p=$1; shift
    expect_exit 0 "audit of our issuer is not disturbed by it" A --revocations "$d/log.json" --json
    [ "$(findings <<<"$LAST_OUT")" = "" ] && [ "$(json_field counts.checkpoints <<<"$LAST_OUT")" = 3 ] \
        && ok "still 3 checkpoints, no findings" || fail "foreign disturbed: $(findings <<<"$LAST_OUT")"
    expect_exit 4 "verify is not disturbed by it" V "${p}1" --revocations "$d/log.json"
    rev_foreign_copy "$@"
    audit_names foreign foreign-checkpoint
}

# rev_html_ok FILE OKMSG TEXT...: the audit's HTML report FILE is one
# self-contained page (nothing loaded: no src= or href=) with the chart
# (<svg) and every TEXT: ok OKMSG, else fail "HTML report".
rev_html_ok() {
    local f=$1 msg=$2 t good=1; shift 2
    [ -s "$f" ] && grep -q '<svg' "$f" && ! grep -Eq '(src|href)=' "$f" || good=
    for t in "$@"; do grep -q "$t" "$f" 2>/dev/null || good=; done
    if [ -n "$good" ]; then ok "$msg"; else fail "HTML report"; fi
}
