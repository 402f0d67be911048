#!/usr/bin/env bash
# tests/cli/keys_verify.sh — the verifier on NotaryRegistry2 (issue 14 items 1
# and 3, docs/registry-v2.md §2 and §6, docs/proof-format.md §5.2), on a real
# ganache, with the history built by the notary's own commands (as keys.sh):
#   - rotation: bundles of the old and the new key are VALID (a retired key's
#     earlier anchors keep counting);
#   - compromise of a key since block C: its anchor at C is INVALID with the
#     reason, its anchor before C VALID;
#   - forgeries naming the identity: an anchor the attacker's key made for
#     itself, and the attacker's anchor(identity, …) the contract reverted:
#     INVALID;
#   - the identity declared compromised: its later anchors INVALID, earlier
#     ones VALID;
#   - a NotaryRegistry (v1) bundle still VALID;
#   - verify --batch gives the same verdicts as verify, one by one;
#   - revocation checkpoints: one by a key later declared compromised stops
#     counting; the next key's checkpoint counts;
#   - verifier audit lists the key history (table, JSON, HTML) and flags the
#     anchors whose key does not count (key-not-counting).
# Ends with one line "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/lib/notary.sh
notary_test_begin keys_verify
require_built "$NOTARY" "$VERIFIER"
notary_ledger_start

d=$tmp/n
mkdir -p "$d"
export NOTARY_DATA=$d/data
notary_key_file "$d/key.hex" "$DEV_KEY_1"
IDPW="identity secret $RANDOM$RANDOM"
notary_key_file "$d/idpw" "$IDPW"
notary_identity_keystore "$IDPW" "$d/identity.json" "$d/identity.secret" ||
    { fail "ethers: identity keystore"; finish; }
IDADDR=$(sed -n 2p "$d/identity.secret")
ID=(--identity-key "$d/identity.json" --identity-password-file "$d/idpw")

anchor_batch() { # TAG: two credentials in one batch, anchored; bundles TAG-a/TAG-b
    local t=$1
    printf '{"n": "%s-a"}' "$t" >"$d/$t-a.json"
    printf '{"n": "%s-b"}' "$t" >"$d/$t-b.json"
    "$NOTARY" submit --credential "$d/$t-a.json" >/dev/null && "$NOTARY" submit --credential "$d/$t-b.json" >/dev/null &&
        "$NOTARY" close >/dev/null && "$NOTARY" anchor >/dev/null &&
        "$NOTARY" proof --credential "$d/$t-a.json" >"$d/$t-a.bundle" &&
        "$NOTARY" proof --credential "$d/$t-b.json" >"$d/$t-b.bundle"
}
bfield() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["anchor"][sys.argv[2]])' "$1" "$2"; }
fund() { ledger_rpc evm_setAccountBalance "[\"$1\",\"0x56BC75E2D63100000\"]" >/dev/null; }
V() { "$VERIFIER" verify "$d/$1.json" --proof "$d/$1.bundle" --rpc "$LEDGER_URL" --issuer "$IDADDR" "${@:2}"; }
VERDICTS=() # "TAG STATUS" for the --batch comparison
verdict() { # WANT-EXIT WANT-STATUS TAG DESCRIPTION: verify TAG, expect the status
    expect_exit "$1" "$4: $2" V "$3" --json
    VERDICTS+=("$3 $2")
}
key_detail() { # the issuer.key check's outcome and detail from the last --json output
    python3 -c 'import json,sys
c = [c for c in json.load(sys.stdin)["checks"] if c["name"] == "issuer.key"]
print((c[0]["outcome"] + " " + c[0]["detail"]).lower() if c else "none")' <<<"$LAST_OUT" 2>/dev/null
}

# --- a NotaryRegistry (v1) issuer, on the same ledger ------------------------
(
    export NOTARY_DATA=$d/v1
    "$NOTARY" init --rpc "$LEDGER_URL" --deploy --import-key "$d/key.hex" --kdf-light >/dev/null &&
        printf '{"n": "v1"}' >"$d/v1-a.json" && "$NOTARY" submit --credential "$d/v1-a.json" >/dev/null &&
        "$NOTARY" close >/dev/null && "$NOTARY" anchor >/dev/null &&
        "$NOTARY" proof --credential "$d/v1-a.json" >"$d/v1-a.bundle"
) && ok "a v1 issuer anchored a batch" || fail "v1 issuer"
expect_exit 0 "v1 bundle VALID (NotaryRegistry as before)" \
    "$VERIFIER" verify "$d/v1-a.json" --proof "$d/v1-a.bundle" --rpc "$LEDGER_URL" --issuer "$DEV_ADDR_1" --json
has "v1: runs the NotaryRegistry code" "runs the NotaryRegistry code"
grep -q '"issuer.key"' <<<"$LAST_OUT" && fail "v1 has an issuer.key check" || ok "v1: no key-history check"

# --- the history ---------------------------------------------------------------
NOTARY_IDENTITY_PASSWORD=$IDPW "$NOTARY" init --rpc "$LEDGER_URL" --deploy --import-key "$d/key.hex" \
    --kdf-light --identity-key "$d/identity.json" --json >"$d/init.json" &&
    ok "init --identity-key" || { fail "init --identity-key"; finish; }
contract=$(json_field contract <"$d/init.json")
anchor_batch k1 && ok "batch k1 anchored by key 1" || fail "batch k1"
"$NOTARY" key rotate "${ID[@]}" --kdf-light --json >"$d/rot1.json" && ok "key rotate (key 1 retired)" || fail "rotate 1"
key2=$(json_field anchoringKey <"$d/rot1.json")
fund "$key2"
anchor_batch k2 && ok "batch k2 anchored by key 2" || fail "batch k2"
anchor_batch k2x && ok "batch k2x anchored by key 2" || fail "batch k2x"
C=$(bfield "$d/k2x-a.bundle" blockNumber)
# a revocation checkpoint by key 2 at a block the coming compromise covers
chash() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["credential"]["hash"])' "$d/$1.bundle"; }
"$NOTARY" revoke "$(chash k1-b)" --reason fraud >/dev/null && "$NOTARY" checkpoint --poll-ms 100 >/dev/null &&
    "$NOTARY" revocations export --out "$d/log1.json" >/dev/null && ok "k1-b revoked, checkpoint 0 by key 2" ||
    fail "revoke and checkpoint by key 2"
expect_exit 4 "k1-b REVOKED by key 2's checkpoint while key 2 counts" V k1-b --revocations "$d/log1.json"
"$NOTARY" key compromised "${ID[@]}" --since "$C" >/dev/null && ok "key 2 declared compromised since block $C" ||
    fail "key compromised --since $C"
"$NOTARY" key rotate "${ID[@]}" --kdf-light --json >"$d/rot2.json" && ok "key rotate (to key 3)" || fail "rotate 2"
key3=$(json_field anchoringKey <"$d/rot2.json")
fund "$key3"
anchor_batch k3 && ok "batch k3 anchored by key 3" || fail "batch k3"
anchor_batch k3x && ok "batch k3x anchored by key 3" || fail "batch k3x"
X=$(bfield "$d/k3x-a.bundle" blockNumber)

# --- rotation and compromise of a key ----------------------------------------------
verdict 0 VALID k1-a "key 1's anchor, before its retirement"
has "names the key and the identity" "anchored by key ${DEV_ADDR_1,,}, authorized by identity ${IDADDR,,}"
has "recognises NotaryRegistry2" "runs the NotaryRegistry2 code"
has "the transaction was sent by key 1" "sent by key ${DEV_ADDR_1,,}"
verdict 0 VALID k2-a "key 2's anchor before its compromise"
verdict 1 INVALID k2x-a "key 2's anchor at the compromise block"
expect_grep "issuer.key names the compromise" "fail key ${key2,,} was declared compromised since block $C" "$(key_detail)"
verdict 1 INVALID k2x-b "the other credential of that batch"
verdict 0 VALID k3-a "key 3's anchor"

# --- revocation checkpoints follow the key history ---------------------------------
expect_exit 3 "k1-b: key 2's checkpoint no longer counts (the revocation is not proven: UNKNOWN)" \
    V k1-b --revocations "$d/log1.json"
has "says the identity has no counting checkpoint" "never anchored a revocation checkpoint"
"$NOTARY" revoke "$(chash k2x-b)" --reason withdrawn >/dev/null &&
    "$NOTARY" checkpoint --poll-ms 100 >/dev/null && "$NOTARY" revocations export --out "$d/log2.json" >/dev/null &&
    ok "k2x-b revoked, checkpoint 1 by key 3" || fail "checkpoint by key 3"
expect_exit 4 "k1-b REVOKED by key 3's checkpoint" V k1-b --revocations "$d/log2.json"
expect_exit 0 "k3-a VALID as of key 3's checkpoint" V k3-a --revocations "$d/log2.json"
has "as of checkpoint 1" "not revoked as of checkpoint 1"

# --- forgeries naming the identity -----------------------------------------------
ATT=$(ledger_rpc eth_accounts | python3 -c 'import json,sys; print(json.load(sys.stdin)["result"][5])')
sendtx() { # FROM DATA: eth_sendTransaction to the contract, prints the hash
    ledger_rpc eth_sendTransaction "[{\"from\":\"$1\",\"to\":\"$contract\",\"gas\":\"0x40000\",\"data\":\"$2\"}]" |
        python3 -c 'import json,sys; r=json.load(sys.stdin); print(r.get("result") or r["error"]["data"]["hash"])'
}
calldata() { # IDENTITY ROOT SIZE SEQ: anchor(identity, root, size, seq, 0)
    python3 -c 'import sys
w = lambda x: "%064x" % x
print("0x355a20fd" + w(int(sys.argv[1], 16)) + sys.argv[2][2:].rjust(64, "0") + w(int(sys.argv[3])) + w(int(sys.argv[4])) + w(0))' "$@"
}
forge() { # SRC OUT TX [SEQ]: SRC's bundle moved onto transaction TX (its block and time), seq SEQ
    python3 - "$1" "$2" "$3" "${4:-}" "$LEDGER_URL" <<'EOF'
import json, sys, urllib.request
src, out, tx, seq, url = sys.argv[1:6]
def rpc(m, p):
    q = urllib.request.Request(url, json.dumps({"jsonrpc": "2.0", "id": 1, "method": m, "params": p}).encode(),
                               {"Content-Type": "application/json"})
    return json.load(urllib.request.urlopen(q))["result"]
r = rpc("eth_getTransactionReceipt", [tx])
b = rpc("eth_getBlockByNumber", [r["blockNumber"], False])
d = json.load(open(src))
d["anchor"].update(txHash=tx, blockNumber=int(r["blockNumber"], 16), blockHash=r["blockHash"],
                   blockTime=int(b["timestamp"], 16))
if seq:
    d["batch"]["seq"] = int(seq)
json.dump(d, open(out, "w"))
EOF
}
root=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["batch"]["root"])' "$d/k3-a.bundle")
size=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["batch"]["size"])' "$d/k3-a.bundle")
seq=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["batch"]["seq"])' "$d/k3-a.bundle")
# (a) the attacker's key anchors the root for itself (its own identity, seq 0)
txa=$(sendtx "$ATT" "$(calldata "$ATT" "$root" "$size" 0)")
forge "$d/k3-a.bundle" "$d/fa.bundle" "$txa" 0 && cp "$d/k3-a.json" "$d/fa.json" &&
    ok "forged bundle: identity named, anchored by the attacker for itself" || fail "forge a"
verdict 1 INVALID fa "an anchor by an unauthorized key, for itself"
has "no Anchored event for the identity" "no Anchored event"
# (b) the attacker's key calls anchor(identity, …): the contract reverts it
txb=$(sendtx "$ATT" "$(calldata "$IDADDR" "$root" "$size" "$((seq + 2))")")
st=$(ledger_rpc eth_getTransactionReceipt "[\"$txb\"]" | python3 -c 'import json,sys; print(json.load(sys.stdin)["result"]["status"])')
[ "$st" = 0x0 ] && ok "the contract refused anchor(identity, …) from an unauthorized key" || fail "status $st"
forge "$d/k3-a.bundle" "$d/fb.bundle" "$txb" && cp "$d/k3-a.json" "$d/fb.json" || fail "forge b"
verdict 1 INVALID fb "the unauthorized key's reverted anchor(identity, …)"
has "the transaction did not succeed" "did not succeed"

# --- the identity declared compromised ------------------------------------------
"$NOTARY" key compromised "${ID[@]}" "$IDADDR" --since "$X" >/dev/null &&
    ok "the identity declared itself compromised since block $X" || fail "identity compromised"
verdict 1 INVALID k3x-a "key 3's anchor at the identity's compromise"
expect_grep "issuer.key names the identity's compromise" \
    "fail the identity ${IDADDR,,} declared itself compromised since block $X" "$(key_detail)"
verdict 0 VALID k3-a "key 3's anchor before it (again)"
verdict 0 VALID k1-a "key 1's anchor (again)"
verdict 0 VALID k2-b "key 2's earlier anchor (again)"

# --- verify --batch: the same verdicts -----------------------------------------------
: >"$d/list.txt"
for v in "${VERDICTS[@]}"; do
    t=${v%% *}
    printf '{"credential": "%s", "proof": "%s"}\n' "$d/$t.json" "$d/$t.bundle" >>"$d/list.txt"
done
"$VERIFIER" verify --batch "$d/list.txt" --rpc "$LEDGER_URL" --issuer "$IDADDR" --jobs 3 >"$d/batch.out" 2>/dev/null
python3 - "$d/batch.out" "$d" "${VERDICTS[@]}" <<'EOF' && ok "verify --batch: the same ${#VERDICTS[@]} verdicts" || fail "verify --batch differs"
import json, sys
got = {}
for line in open(sys.argv[1]):
    o = json.loads(line)
    got.setdefault(o["input"]["proof"] if isinstance(o["input"], dict) else o["input"], []).append(o["status"])
bad = 0
for v in sys.argv[3:]:
    t, want = v.split()
    p = "%s/%s.bundle" % (sys.argv[2], t)
    ss = [s for k, s in got.items() if p in k]
    if not ss or any(s != want for s in ss[0]):
        print("  %s: want %s, got %s" % (t, want, ss), file=sys.stderr); bad += 1
sys.exit(1 if bad else 0)
EOF

# --- the audit: key history and the anchors that do not count ---------------------
A() { "$VERIFIER" audit --issuer "$IDADDR" --rpc "$LEDGER_URL" --contract "$contract" "$@"; }
expect_exit 1 "audit of the identity: anomalies (exit 1)" A --json --html "$d/audit.html"
printf '%s' "$LAST_OUT" >"$d/audit.json"
python3 - "$d/audit.json" "$IDADDR" "$DEV_ADDR_1" "$key2" "$key3" "$C" "$X" <<'EOF2' && ok "audit JSON: registry 2, the keys' statuses, 6 key events in order" || fail "audit JSON keys: $(head -c 1500 "$d/audit.json")"
import json, sys
r = json.load(open(sys.argv[1])); I, k1, k2, k3 = [a.lower() for a in sys.argv[2:6]]; C, X = int(sys.argv[6]), int(sys.argv[7])
assert r["registryVersion"] == 2 and r["registry"] is True
ks = r["keys"]["keys"]
assert [k["address"] for k in ks] == [I, k1, k2, k3], ks
assert ks[0]["identityCompromisedSince"] == X and ks[1]["retiredAt"] and ks[2]["compromisedSince"] == C
assert ks[3]["retiredAt"] is None and ks[3]["compromisedSince"] is None
ev = [(e["change"], e["key"]) for e in r["keys"]["events"]]
assert ev == [("authorized", k1), ("authorized", k2), ("retired", k1), ("compromised", k2),
              ("authorized", k3), ("compromised", I)], ev
assert all(e["time"].endswith("Z") and e["blockNumber"] > 0 for e in r["keys"]["events"])
EOF2
python3 - "$d/audit.json" "$key2" "$key3" "$C" "$X" <<'EOF2' && ok "audit flags exactly the anchors whose key does not count (key-not-counting)" || fail "audit flags: $(head -c 3000 "$d/audit.json")"
import json, sys
r = json.load(open(sys.argv[1])); k2, k3 = sys.argv[2].lower(), sys.argv[3].lower(); C, X = int(sys.argv[4]), int(sys.argv[5])
void = [(a["kind"], a["key"], a["blockNumber"], a["reason"]) for a in r["anchors"] if not a["counts"]]
want = [a for a in void if a[1] == k2 and a[2] >= C and a[3] == "key-compromised"] + \
       [a for a in void if a[2] >= X and a[3] == "identity-compromised"]
assert void and sorted(void) == sorted(want), void
assert all(a["counts"] for a in r["anchors"] if a["blockNumber"] < C), r["anchors"]
f = [x for x in r["findings"] if x["name"] == "key-not-counting"]
assert len(f) == len(void) and all(x["anomaly"] for x in f), f
assert any("declared compromised since block %d" % C in x["detail"] for x in f), f
assert any("declared itself compromised since block %d" % X in x["detail"] for x in f), f
EOF2
grep -q "<h2>Key history</h2>" "$d/audit.html" && grep -q "does not count" "$d/audit.html" &&
    grep -q "declared compromised since block $C" "$d/audit.html" &&
    ok "the HTML report has the key-history timeline and the flags" || fail "audit HTML"
expect_exit 1 "audit (table)" A
has "the table lists the key history" "Key history (NotaryRegistry2"
has "the table marks the anchors that do not count" "DOES NOT COUNT"
has "the table names the rotation" "retired: its anchors count no more"

finish
