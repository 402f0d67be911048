#!/usr/bin/env bash
# tests/cli/verify_offline.sh — `verifier verify --offline` end to end, on
# bundles built here independently of our C code: hashes come from openssl,
# trees are assembled with the RFC 9162 rules (leaf = SHA-256(0x00 || d),
# node = SHA-256(0x01 || l || r)) in shell, and JSON credentials are hashed
# over their RFC 8785 canonical form written by hand.
# Covers: VALID for a JSON credential (also reformatted / reordered), a raw
# file, --hash, stdin; INVALID (exit 1) for another credential, an edited
# credential, a tampered root, a wrong index, swapped siblings, a hashing
# mismatch; UNKNOWN (exit 3) for a pending bundle; exit 2 with a message for
# malformed bundles, unreadable files and usage errors; --json parsed with jq;
# the "ledger was NOT checked" notice.
# Ends with one line "N passed, N failed"; exits non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/lib/check.sh

require_verifier
for tool in openssl xxd jq; do
    if ! command -v "$tool" >/dev/null; then
        fail "$tool is not installed"
        finish
    fi
done

scratch_dir verify-offline

# --- hashing in shell ------------------------------------------------------------
sha()  { openssl dgst -sha256 -binary | xxd -p -c 256; }          # stdin -> hex
leaf() { { printf '\x00'; printf '%s' "$1" | xxd -r -p; } | sha; } # LEAF(d)
node() { { printf '\x01'; printf '%s%s' "$1" "$2" | xxd -r -p; } | sha; }

# mkbundle FILE HASH HASHING SIZE ROOT INDEX PATH_JSON [pending]
mkbundle() {
    local anchor=',
  "anchor": {
    "ledger": "evm", "chainId": 1337,
    "contract": "0xe78a0f7e598cc8b0bb87894b0f60dd2a88d6a8ab",
    "issuer": "0x90f8bf6a479f320ead074411a4b0e7944ea8c9c1",
    "txHash": "0x1111111111111111111111111111111111111111111111111111111111111111",
    "blockNumber": 7,
    "blockHash": "0x2222222222222222222222222222222222222222222222222222222222222222",
    "blockTime": 1763769612
  }'
    [ "${8:-}" = pending ] && anchor=''
    cat >"$1" <<EOF
{
  "type": "CredentialNotaryProof",
  "version": 1,
  "credential": { "hash": "$2", "hashing": "$3" },
  "batch": { "kind": "issuance", "seq": 0, "size": $4, "root": "$5",
             "closedAt": "2025-11-22T00:00:00Z" },
  "inclusion": { "leafIndex": $6, "path": $7 }$anchor
}
EOF
}

# expect NAME WANT_RC [GREP_PATTERN] -- verifier arguments...
# Runs the verifier; passes if the exit status is WANT_RC and the combined
# output matches the (extended, case-insensitive) pattern.
expect() {
    local name=$1 want=$2 pat=$3
    shift 4
    local out rc
    out=$("$V" "$@" 2>&1)
    rc=$?
    if [ "$rc" -ne "$want" ]; then
        fail "$name: exit $rc, want $want"
        sed 's/^/    /' <<<"$out" | head -n 20
    elif [ -n "$pat" ] && ! grep -qiE -- "$pat" <<<"$out"; then
        fail "$name: output lacks /$pat/"
        sed 's/^/    /' <<<"$out" | head -n 20
    else
        ok "$name"
    fi
}

# voff NAME WANT PATTERN ARGS...: expect NAME WANT PATTERN -- verify ARGS --offline
voff() {
    local name=$1 want=$2 pat=$3
    shift 3
    expect "$name" "$want" "$pat" -- verify "$@" --offline
}

# --- fixture 1: one JSON credential, a tree of size 1 (root = leaf) ---------------
printf '%s' '{"name":"Ada Lovelace","degree":"MSc","credits":120,"tags":["a","b"]}' >"$tmp/cred.json"
cat >"$tmp/cred-reformatted.json" <<'EOF'
{
    "tags" : [ "a", "b" ],
    "credits" : 1.2e2,
    "degree" : "MSc",
    "name" : "Ada Lovelace"
}
EOF
# RFC 8785: members sorted, no whitespace, 1.2e2 -> 120
canon='{"credits":120,"degree":"MSc","name":"Ada Lovelace","tags":["a","b"]}'
hj=$(printf '%s' "$canon" | sha)
lj=$(leaf "$hj")
mkbundle "$tmp/json.proof" "$hj" jcs-sha256 1 "$lj" 0 '[]'

voff "JSON credential is VALID" 0 'Status: VALID' "$tmp/cred.json" --proof "$tmp/json.proof"
voff "output says the ledger was not checked" 0 'ledger was not checked' \
    "$tmp/cred.json" --proof "$tmp/json.proof"
voff "anchor details are printed, marked unverified" 0 'NOT CHECKED.*0xe78a0f7e598cc8b0bb87894b0f60dd2a88d6a8ab' \
    "$tmp/cred.json" --proof "$tmp/json.proof"
voff "reformatted, reordered JSON credential is VALID" 0 'Status: VALID' \
    "$tmp/cred-reformatted.json" --proof "$tmp/json.proof"
expect "credential from stdin" 0 'Status: VALID' \
    -- verify - --proof "$tmp/json.proof" --offline <"$tmp/cred-reformatted.json"
sed 's/MSc/PhD/' "$tmp/cred.json" >"$tmp/cred-edited.json"
voff "edited JSON credential is INVALID" 1 'credential.hash.*differs' \
    "$tmp/cred-edited.json" --proof "$tmp/json.proof"
voff "INVALID output also says the ledger was not checked" 1 'ledger was not checked' \
    "$tmp/cred-edited.json" --proof "$tmp/json.proof"
mkbundle "$tmp/json-as-raw.proof" "$hj" sha256 1 "$lj" 0 '[]'
voff "JSON credential under a bundle that says sha256 is INVALID" 1 'credential.hashing' \
    "$tmp/cred.json" --proof "$tmp/json-as-raw.proof"
printf '{"a":1,"a":2}' >"$tmp/dup.json"
voff "JSON credential with a duplicate key is an input error" 2 'duplicate' \
    "$tmp/dup.json" --proof "$tmp/json.proof"

# --- fixture 2: a raw file and another hash, a tree of size 2 -----------------------
printf 'not json: a PDF, say\n\x00\xff' >"$tmp/diploma.bin"
h1=$(sha <"$tmp/diploma.bin")
h0=$(printf 'someone else' | sha)
l0=$(leaf "$h0")
l1=$(leaf "$h1")
r2=$(node "$l0" "$l1")
mkbundle "$tmp/raw.proof" "$h1" sha256 2 "$r2" 1 "[\"$l0\"]"
mkbundle "$tmp/given.proof" "$h0" given 2 "$r2" 0 "[\"$l1\"]"

voff "raw file is VALID" 0 'Status: VALID' "$tmp/diploma.bin" --proof "$tmp/raw.proof"
voff "--hash is VALID" 0 'Status: VALID' --hash "$h0" --proof "$tmp/given.proof"
voff "--hash with 0x and upper case is VALID" 0 'Status: VALID' \
    --hash "0x${h1^^}" -p "$tmp/raw.proof"
voff "--hash of another credential is INVALID" 1 'Status: INVALID' \
    --hash "$h0" --proof "$tmp/raw.proof"
voff "a different credential is INVALID" 1 'Status: INVALID' \
    "$tmp/cred.json" --proof "$tmp/raw.proof"
mkbundle "$tmp/tampered.proof" "$h1" sha256 2 "$(leaf "$h0")" 1 "[\"$l0\"]"
voff "tampered root is INVALID" 1 'inclusion.*not to batch.root' \
    "$tmp/diploma.bin" --proof "$tmp/tampered.proof"
mkbundle "$tmp/wrong-index.proof" "$h1" sha256 2 "$r2" 0 "[\"$l0\"]"
voff "wrong leaf index is INVALID" 1 'Status: INVALID' \
    "$tmp/diploma.bin" --proof "$tmp/wrong-index.proof"
mkbundle "$tmp/own-sibling.proof" "$h1" sha256 2 "$r2" 1 "[\"$l1\"]"
voff "own leaf as sibling is INVALID" 1 'Status: INVALID' \
    "$tmp/diploma.bin" --proof "$tmp/own-sibling.proof"
mkbundle "$tmp/pending.proof" "$h1" sha256 2 "$r2" 1 "[\"$l0\"]" pending
voff "pending bundle is UNKNOWN (exit 3)" 3 'Status: UNKNOWN' \
    "$tmp/diploma.bin" --proof "$tmp/pending.proof"

# --- fixture 3: a tree of size 3, index 0 (path of two) -----------------------------
h2=$(printf 'third' | sha)
l2=$(leaf "$h2")
r3=$(node "$(node "$l0" "$l1")" "$l2")
mkbundle "$tmp/three.proof" "$h0" given 3 "$r3" 0 "[\"$l1\", \"$l2\"]"
mkbundle "$tmp/swapped.proof" "$h0" given 3 "$r3" 0 "[\"$l2\", \"$l1\"]"
voff "3-leaf tree, index 0 is VALID" 0 'Status: VALID' --hash "$h0" --proof "$tmp/three.proof"
voff "swapped siblings are INVALID" 1 'Status: INVALID' \
    --hash "$h0" --proof "$tmp/swapped.proof"

# --- malformed bundles: exit 2 with a message naming the problem ------------------
mkbundle "$tmp/short-path.proof" "$h0" given 3 "$r3" 0 "[\"$l1\"]"
voff "missing path hash is exit 2" 2 'inclusion.path has 1 hash but index 0 in a tree of 3 needs 2' \
    --hash "$h0" --proof "$tmp/short-path.proof"
mkbundle "$tmp/long-path.proof" "$h1" sha256 2 "$r2" 1 "[\"$l0\", \"$l0\"]"
voff "extra path hash is exit 2" 2 'has 2 hashes but index 1 in a tree of 2 needs 1' \
    "$tmp/diploma.bin" --proof "$tmp/long-path.proof"
mkbundle "$tmp/index-size.proof" "$h1" sha256 2 "$r2" 2 "[\"$l0\"]"
voff "index >= size is exit 2" 2 'leafIndex 2 is not below batch.size 2' \
    "$tmp/diploma.bin" --proof "$tmp/index-size.proof"
sed 's/"version": 1/"version": 1, "version": 1/' "$tmp/raw.proof" >"$tmp/dup.proof"
voff "duplicate key is exit 2" 2 'duplicate' "$tmp/diploma.bin" --proof "$tmp/dup.proof"
sed 's/"version": 1/"version": 2/' "$tmp/raw.proof" >"$tmp/v2.proof"
voff "version 2 is exit 2, unsupported" 2 'version 2 is not supported' \
    "$tmp/diploma.bin" --proof "$tmp/v2.proof"
sed "s/$r2/${r2}00/" "$tmp/raw.proof" >"$tmp/33.proof"
voff "33-byte root is exit 2" 2 'batch.root: expected 32 bytes' \
    "$tmp/diploma.bin" --proof "$tmp/33.proof"
sed 's/"size": 2/"size": "2"/' "$tmp/raw.proof" >"$tmp/strnum.proof"
voff "size as a string is exit 2" 2 'batch.size must be a JSON integer, got a string' \
    "$tmp/diploma.bin" --proof "$tmp/strnum.proof"
sed 's/"kind": "issuance",/"kind": "issuance", "extra": true,/' "$tmp/raw.proof" >"$tmp/unknown.proof"
voff "unknown field is exit 2" 2 'unknown field "extra" in batch' \
    "$tmp/diploma.bin" --proof "$tmp/unknown.proof"
printf 'this is not json' >"$tmp/garbage.proof"
voff "garbage bundle is exit 2" 2 'garbage.proof' "$tmp/diploma.bin" --proof "$tmp/garbage.proof"
head -c 1048577 /dev/zero | tr '\0' ' ' >"$tmp/big.proof"
voff "bundle over 1 MB is exit 2" 2 'larger than the bundle limit' \
    "$tmp/diploma.bin" --proof "$tmp/big.proof"
voff "missing bundle file is exit 2" 2 'cannot open' \
    "$tmp/diploma.bin" --proof "$tmp/nope.proof"
voff "missing credential file is exit 2" 2 'cannot open' \
    "$tmp/nope.bin" --proof "$tmp/raw.proof"
voff "bad --hash is exit 2" 2 '--hash.*64 hex digits' --hash abc --proof "$tmp/raw.proof"

# --- --json ------------------------------------------------------------------------
out=$("$V" verify "$tmp/cred-reformatted.json" --proof "$tmp/json.proof" --offline --json)
rc=$?
if [ $rc -eq 0 ] && jq -e --arg h "$hj" '
        .status == "VALID" and .ledgerChecked == false and .credentialHash == $h and
        .hashing == "jcs-sha256" and .error == null and
        ([.checks[].name] == ["credential.hash", "credential.hashing", "inclusion", "anchor"]) and
        ([.checks[].ok] == [true, true, true, null]) and .checks[3].outcome == "skipped"' \
        <<<"$out" >/dev/null; then
    ok "--json VALID document"
else
    fail "--json VALID document (exit $rc): $out"
fi
out=$("$V" verify "$tmp/diploma.bin" --proof "$tmp/tampered.proof" --offline --json)
rc=$?
if [ $rc -eq 1 ] && jq -e '.status == "INVALID" and .ledgerChecked == false and
        (.checks[] | select(.name == "inclusion") | .ok == false)' <<<"$out" >/dev/null; then
    ok "--json INVALID document, exit 1"
else
    fail "--json INVALID document (exit $rc): $out"
fi
out=$("$V" verify "$tmp/diploma.bin" --proof "$tmp/short-path.proof" --offline --json 2>/dev/null)
rc=$?
if [ $rc -eq 2 ] && jq -e '.status == "ERROR" and (.error | test("inclusion.path has 1 hash")) and
        .checks == []' <<<"$out" >/dev/null; then
    ok "--json malformed bundle: status ERROR with the message, exit 2"
else
    fail "--json malformed bundle (exit $rc): $out"
fi
out=$("$V" verify "$tmp/diploma.bin" --proof "$tmp/pending.proof" --offline --json)
rc=$?
if [ $rc -eq 3 ] && jq -e '.status == "UNKNOWN" and .checks[3].outcome == "unknown"' <<<"$out" >/dev/null; then
    ok "--json pending bundle: UNKNOWN, exit 3"
else
    fail "--json pending bundle (exit $rc): $out"
fi

# --- usage -------------------------------------------------------------------------
expect "without --offline: needs --rpc, exit 2" 2 'online verification needs --rpc URL' \
    -- verify "$tmp/diploma.bin" --proof "$tmp/raw.proof"
voff "--rpc and --offline exclude each other, exit 2" 2 'exclude each other' \
    "$tmp/diploma.bin" --proof "$tmp/raw.proof" --rpc http://127.0.0.1:1
voff "no --proof is exit 2" 2 '--proof BUNDLE is required' "$tmp/diploma.bin"
voff "credential and --hash together is exit 2" 2 'not both' \
    "$tmp/diploma.bin" --hash "$h1" --proof "$tmp/raw.proof"
voff "neither credential nor --hash is exit 2" 2 'CREDENTIAL file or --hash' --proof "$tmp/raw.proof"
voff "two credentials is exit 2" 2 'unexpected argument' \
    "$tmp/diploma.bin" "$tmp/cred.json" --proof "$tmp/raw.proof"
expect "unknown option is exit 2" 2 'unrecognized option' -- verify --frobnicate
expect "unknown command is exit 2" 2 "unknown command 'frob'" -- frob
expect "no command is exit 2" 2 'Usage: verifier COMMAND' --
expect "verifier --help" 0 'Exit status: 0 VALID, 1 INVALID, 2 usage or input error, 3 UNKNOWN' -- --help
expect "verifier verify --help" 0 'verifier verify .*--hash HEX.* --proof BUNDLE --offline' -- verify --help

finish
