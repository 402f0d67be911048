#!/usr/bin/env bash
# tests/cli/keys.sh — the issuer's key history on NotaryRegistry2 (issue 14
# item 1, docs/registry-v2.md) from the notary, on a real ganache:
#   - init --identity-key refuses a missing identity file, one with mode 0644
#     and a wrong password, each before anything is made;
#   - init --identity-key deploys NotaryRegistry2, the identity (a keystore
#     with no funds) authorizes the anchoring key by signature; batches anchor
#     with anchor(identity, …) and bundles name the identity as anchor.issuer;
#   - key rotate: a new key authorized (the C EIP-712 digest is checked
#     against the contract's digest view before signing), the old one
#     retired; the next batch is anchored by the new key for the same identity;
#   - key list (table and JSON, events cross-checked with keyStatus);
#   - key compromised --since TIME, and its refusals decoded from the
#     contract's errors (SinceBeforeAuthorization, NotAuthorized, KeyIsRetired);
#   - key retire of the current key; a TIME in the future is refused;
#   - restore of a backup from before the rotation finds the later batch;
#   - the identity key and its password never appear in argv, logs or the store.
# Ends with one line "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/lib/notary.sh
notary_test_begin keys
require_built "$NOTARY"
notary_ledger_start

ANCHORED2_TOPIC=0x7ccfcd4bbb9e52eda71d56d8c0e375949cf89661b317ad04fc744ad8a01557b3
d=$tmp/n
mkdir -p "$d"
export NOTARY_DATA=$d/data
LOG=$d/all.log # every output of the notary, for the secrets check
notary_key_file "$d/key.hex" "$DEV_KEY_1" # the anchoring key (funded on ganache)
IDPW="identity secret $RANDOM$RANDOM"
notary_key_file "$d/idpw" "$IDPW"

# The identity: a fresh key in a keystore v3 made by ethers (light scrypt), no funds.
notary_identity_keystore "$IDPW" "$d/identity.json" "$d/identity.secret" ||
    { fail "ethers: identity keystore"; finish; }
IDKEY=$(sed -n 1p "$d/identity.secret")
IDADDR=$(sed -n 2p "$d/identity.secret")

run() { # run the notary with its output also kept in $LOG, for the secrets check
    local ef rc
    ef=$(mktemp "$tmp/err.XXXXXX")
    "$NOTARY" "$@" 2>"$ef" | tee -a "$LOG"
    rc=${PIPESTATUS[0]}
    cat "$ef" >>"$LOG"
    cat "$ef" >&2
    rm -f "$ef"
    return "$rc"
}
init() { run init --rpc "$LEDGER_URL" --deploy --import-key "$d/key.hex" --kdf-light "$@"; }

# --- refusals before anything is made ------------------------------------
expect_exit 2 "init: a missing identity key file is refused" \
    init --identity-key "$d/nope.json" --identity-password-file "$d/idpw"
has "names the missing file" "nope.json"
[ ! -e "$d/data/key.json" ] && ok "nothing was made" || fail "a key was written"
cp "$d/identity.json" "$d/open.json" && chmod 644 "$d/open.json"
expect_exit 1 "init: an identity keystore with mode 0644 is refused" \
    init --identity-key "$d/open.json" --identity-password-file "$d/idpw"
has "says the mode is too open" "too open"
notary_key_file "$d/badpw" "not the password"
expect_exit 1 "init: a wrong identity password is refused" \
    init --identity-key "$d/identity.json" --identity-password-file "$d/badpw"
has "says the password is wrong" "wrong password"
expect_exit 2 "init: no identity password at all is refused" \
    env -u NOTARY_IDENTITY_PASSWORD "$NOTARY" init --rpc "$LEDGER_URL" --deploy \
    --import-key "$d/key.hex" --kdf-light --identity-key "$d/identity.json"
has "says where the password comes from" "NOTARY_IDENTITY_PASSWORD"
[ ! -e "$d/data/key.json" ] && [ ! -e "$d/data/notary.db" ] && ok "still nothing was made" ||
    fail "a refused init left files"

# --- init with the identity (password from the environment) ---------------
# The command line of the running notary is sampled while it deploys.
: >"$d/cmdlines"
NOTARY_IDENTITY_PASSWORD=$IDPW init --identity-key "$d/identity.json" --json >"$d/init.json" &
pid=$!
while kill -0 "$pid" 2>/dev/null; do # the running notary's command line
    for p in $(pgrep -f -- "$NOTARY init --rpc"); do
        tr '\0' ' ' <"/proc/$p/cmdline" >>"$d/cmdlines" 2>/dev/null && echo >>"$d/cmdlines"
    done
done
wait "$pid" && ok "init --identity-key (exit 0)" || { fail "init --identity-key"; cat "$d/init.json"; finish; }
grep -q "init --rpc" "$d/cmdlines" && ok "the command line was sampled" || fail "no command line sampled"
issuer=$(json_field issuer <"$d/init.json")
contract=$(json_field contract <"$d/init.json")
[ "$issuer" = "$IDADDR" ] && ok "the issuer is the identity" || fail "issuer $issuer, identity $IDADDR"
[ "$(json_field anchoringKey <"$d/init.json")" = "$DEV_ADDR_1" ] && ok "the anchoring key is the notary's key" ||
    fail "anchoring key $(json_field anchoringKey <"$d/init.json")"
[ "$(json_field registry <"$d/init.json")" = 2 ] && ok "NotaryRegistry2" || fail "registry version"
ag=$(json_field authorizeGas <"$d/init.json")
[ "${ag:-0}" -gt 50000 ] && ok "the authorization's gas is printed ($ag)" || fail "authorizeGas $ag"
[ "$(json_field deployGas <"$d/init.json")" -gt 1000000 ] && ok "the deployment's gas is printed" || fail "deployGas"
nid=$(ledger_rpc eth_getTransactionCount "[\"$IDADDR\",\"latest\"]" | json_field result)
[ "$nid" = 0x0 ] && ok "the identity sent no transaction" || fail "identity nonce $nid"

# --- anchoring for the identity --------------------------------------------
anchor_batch() { # TAG: submit two credentials, close, anchor
    printf '{"n": "%s-a"}' "$1" >"$d/$1-a.json"
    printf '{"n": "%s-b"}' "$1" >"$d/$1-b.json"
    run submit --credential "$d/$1-a.json" >/dev/null && run submit --credential "$d/$1-b.json" >/dev/null &&
        run close >/dev/null && run anchor --json >"$d/$1-anchor.json"
}
anchor_batch first && ok "first batch anchored" || { fail "first batch"; cat "$d/first-anchor.json"; }
n=$(ledger_logs "$contract" "$ANCHORED2_TOPIC" "$(topic_of_address "$IDADDR")" | count_results)
[ "$n" = 1 ] && ok "one v2 Anchored event for the identity" || fail "$n Anchored events"
run proof --credential "$d/first-a.json" >"$d/first.bundle" 2>/dev/null
bi=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["anchor"]["issuer"])' "$d/first.bundle" 2>/dev/null)
[ "${bi,,}" = "${IDADDR,,}" ] && ok "the bundle's anchor.issuer is the identity" || fail "bundle issuer $bi"

run backup --to "$d/b1.db" >/dev/null 2>&1 || fail "backup after the first batch"

# --- list --------------------------------------------------------------------
expect_exit 0 "key list --json" run key list --json
printf '%s' "$LAST_OUT" >"$d/list1.json"
python3 - "$IDADDR" "$DEV_ADDR_1" "$d/list1.json" <<'EOF' && ok "list: the identity and its authorized key, active" || fail "list: $LAST_OUT"
import json, sys
d = json.load(open(sys.argv[3])); ks = d["keys"]
assert d["identity"] == sys.argv[1] and len(ks) == 2
assert ks[0]["address"] == sys.argv[1] and ks[0]["authorizedFrom"] == 0 and ks[0]["status"] == "active"
assert ks[1]["address"] == sys.argv[2] and ks[1]["authorizedFrom"] > 0 and ks[1]["current"] is True
assert ks[1]["retiredAt"] is None and ks[1]["status"] == "active"
EOF
expect_exit 0 "key list (table)" run key list
has "the table names the current key" "current anchoring key"

# --- rotate ------------------------------------------------------------------
expect_exit 2 "rotate without --identity-key is a usage error" run key rotate
expect_exit 0 "key rotate" run key rotate --identity-key "$d/identity.json" \
    --identity-password-file "$d/idpw" --kdf-light --json
new=$(json_field anchoringKey <<<"$LAST_OUT")
python3 -c 'import json,sys; c=json.load(sys.stdin)["changes"]; assert [x["change"] for x in c]==["authorized","retired"] and all(x["gasUsed"]>20000 for x in c)' <<<"$LAST_OUT" &&
    ok "rotate authorized the new key and retired the old, with the gas of each" || fail "rotate: $LAST_OUT"
[ -e "$d/data/key-$DEV_ADDR_1.json" ] && [ "$(stat -c %a "$d/data/key.json")" = 600 ] &&
    ok "the old keystore is kept; the new one is 0600" || fail "keystore files"
ledger_rpc evm_setAccountBalance "[\"$new\",\"0x56BC75E2D63100000\"]" >/dev/null # fund the new key
sleep 2 # the next blocks carry a later timestamp than the rotation's
anchor_batch second && ok "second batch anchored with the new key" || { fail "second batch"; cat "$d/second-anchor.json"; }
logs=$(ledger_logs "$contract" "$ANCHORED2_TOPIC" "$(topic_of_address "$IDADDR")")
printf '%s' "$logs" >"$d/logs2.json"
python3 - "$DEV_ADDR_1" "$new" "$d/logs2.json" <<'EOF' && ok "the identity's two anchors were sent by the old and the new key" || fail "anchors: $logs"
import json, sys
r = json.load(open(sys.argv[3]))["result"]
keys = ["0x" + l["data"][2 + 64 * 3 + 24:2 + 64 * 4].lower() for l in r]
assert keys == [sys.argv[1].lower(), sys.argv[2].lower()], keys
EOF
blk2=$(python3 -c 'import json,sys; print(int(json.load(sys.stdin)["result"][-1]["blockNumber"],16))' <<<"$logs")

# --- restore of the backup before the rotation finds the second batch --------
expect_exit 0 "restore of the backup taken before the rotation" run restore "$d/b1.db" --data "$d/r1" --json
printf '%s' "$LAST_OUT" >"$d/r1.json"
python3 - "$d/r1.json" <<'EOF' && ok "restore lists the batch anchored for the identity by the new key" || fail "restore: $(head -c 600 "$d/r1.json")"
import json, sys
r = json.load(open(sys.argv[1]))
assert [x["seq"] for x in r["lost"] if x["kind"] == "batch"] == [1], r["lost"]
EOF

# --- refusals decoded from the contract ------------------------------------
ID=(--identity-key "$d/identity.json" --identity-password-file "$d/idpw")
expect_exit 1 "retiring the retired key again is refused" run key retire "${ID[@]}" "$DEV_ADDR_1"
has "with the contract's reason" "KeyIsRetired"
expect_exit 1 "declaring an unknown key compromised is refused" \
    run key compromised "${ID[@]}" 0x000000000000000000000000000000000000dEaD --since 1
has "with the contract's reason" "NotAuthorized"
expect_exit 1 "a compromise before the key's authorization is refused" \
    run key compromised "${ID[@]}" "$new" --since 1
has "with the contract's reason" "SinceBeforeAuthorization"
expect_exit 2 "a TIME in the future is refused" run key compromised "${ID[@]}" "$new" --since 2999-01-01T00:00:00Z
has "says no block is that late" "no block at or after"
expect_exit 2 "a malformed --since is refused" run key compromised "${ID[@]}" "$new" --since yesterday
expect_exit 1 "a wrong identity password is refused" \
    run key retire --identity-key "$d/identity.json" --identity-password-file "$d/badpw" "$new"
expect_exit 2 "a missing identity file is refused" \
    run key retire --identity-key "$d/nope.json" --identity-password-file "$d/idpw" "$new"
expect_exit 0 "after the refusals the list is unchanged" run key list --json
python3 -c 'import json,sys; k=json.load(sys.stdin)["keys"]; assert len(k)==3 and k[2]["status"]=="active" and k[1]["status"]=="retired"' <<<"$LAST_OUT" &&
    ok "old key retired, new key active" || fail "list: $LAST_OUT"

# --- compromised --since TIME ---------------------------------------------------
ts=$(ledger_rpc eth_getBlockByNumber "[\"$(printf '0x%x' "$blk2")\",false]" | python3 -c 'import json,sys,datetime; t=int(json.load(sys.stdin)["result"]["timestamp"],16); print(datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"))')
expect_exit 0 "key compromised --since TIME (the second anchor's time)" \
    run key compromised "${ID[@]}" --since "$ts"
has "prints the gas used" "gas used"
run key list --json >"$d/list3.json"
python3 - "$blk2" "$d/list3.json" <<'EOF' && ok "the new key is compromised since a block at or before the second anchor, after its authorization" || { fail "compromise"; cat "$d/list3.json"; }
import json, sys
k = json.load(open(sys.argv[2]))["keys"][2]
assert k["status"] == "compromised" and k["authorizedFrom"] < k["compromisedSince"] <= int(sys.argv[1]), k
EOF
expect_exit 1 "the same compromise again is refused" run key compromised "${ID[@]}" --since "$ts"
has "with the contract's reason" "AlreadyCompromised"

# --- rotate away from the compromised key, then retire the current key -------
expect_exit 0 "rotate away from a compromised key" run key rotate "${ID[@]}" --kdf-light --json
k3=$(json_field anchoringKey <<<"$LAST_OUT")
python3 -c 'import json,sys; c=json.load(sys.stdin)["changes"]; assert [x["change"] for x in c]==["authorized"]' <<<"$LAST_OUT" &&
    ok "a compromised key is not retired on top" || fail "rotate: $LAST_OUT"
ledger_rpc evm_setAccountBalance "[\"$k3\",\"0x56BC75E2D63100000\"]" >/dev/null # it pays for the next change
expect_exit 0 "key retire (the current key)" run key retire "${ID[@]}"
has "prints the gas used" "gas used"
run key list --json >"$d/list4.json"
python3 - "$k3" "$d/list4.json" <<'EOF' && ok "4 keys: identity active, retired, compromised, retired" || { fail "final list"; cat "$d/list4.json"; }
import json, sys
ks = json.load(open(sys.argv[2]))["keys"]
assert [k["status"] for k in ks] == ["active", "retired", "compromised", "retired"], ks
assert ks[3]["address"] == sys.argv[1] and ks[3]["current"] is True
EOF

# --- a rotation stopped at the switch of DIR/key.json resumes -------------------
# strace makes the 3rd rename fail (inject needs the call traced): the new keystore's, the old key's copy,
# then the switch of DIR/key.json itself (a crash there, deterministically).
if command -v strace >/dev/null; then
cur=$(python3 -c 'import json,sys; print("0x"+json.load(open(sys.argv[1]))["address"])' "$d/data/key.json")
expect_exit 1 "rotate with the switch of key.json failing" \
    strace -f -o /dev/null -e trace=rename -e inject=rename:error=EIO:when=3 \
    "$NOTARY" key rotate "${ID[@]}" --kdf-light --json
next=$(python3 -c 'import json,sys; print("0x"+json.load(open(sys.argv[1]))["address"])' "$d/data/key-next.json" 2>/dev/null)
[ -n "$next" ] && [ "$(python3 -c 'import json,sys; print("0x"+json.load(open(sys.argv[1]))["address"])' "$d/data/key.json" 2>/dev/null)" = "$cur" ] &&
    ok "DIR/key.json is still the old key, the new one waits in key-next.json" || fail "key files after the failed switch: $(ls "$d/data")"
expect_exit 0 "key list works after the failed switch" run key list --json
expect_exit 0 "rotate again finishes the rotation" run key rotate "${ID[@]}" --kdf-light --json
[ "$(json_field anchoringKey <<<"$LAST_OUT" | tr A-F a-f)" = "$(tr A-F a-f <<<"$next")" ] && [ ! -e "$d/data/key-next.json" ] &&
    ok "the resumed rotation switched to the key kept in key-next.json" || fail "resume: $LAST_OUT"
run key list --json >"$d/list5.json"
python3 - "$next" "$d/list5.json" <<'PY' && ok "5 keys, the last active and current" || { fail "list after resume"; cat "$d/list5.json"; }
import json, sys
ks = json.load(open(sys.argv[2]))["keys"]
assert [k["status"] for k in ks] == ["active", "retired", "compromised", "retired", "active"], ks
assert ks[4]["address"].lower() == sys.argv[1].lower() and ks[4]["current"] is True
PY
else
    echo "skip: the interrupted rotation needs strace (apt-get install strace)"
fi

# --- v1 stays as it was -----------------------------------------------------------
expect_exit 0 "init without --identity-key still deploys NotaryRegistry (v1)" \
    env NOTARY_DATA="$d/v1" "$NOTARY" init --rpc "$LEDGER_URL" --deploy --import-key "$d/key.hex" --kdf-light --json
[ "$(json_field issuer <<<"$LAST_OUT")" = "$DEV_ADDR_1" ] && ok "v1: the key is the issuer" || fail "v1 issuer"
expect_exit 1 "key list on a v1 notary says why not" env NOTARY_DATA="$d/v1" "$NOTARY" key list
has "names the missing identity" "identity-key"

# --- secrets ----------------------------------------------------------------------
for f in "$d/data/notary.db" "$LOG" "$d/cmdlines"; do
    if grep -qaF -e "$IDPW" -e "${IDKEY#0x}" "$f"; then fail "a secret is in $f"; else ok "no identity secret in ${f##*/}"; fi
done
grep -qaF "$IDADDR" "$d/data/notary.db" && ok "the store names the identity (its address only)" || fail "identity not in the store"
finish
