#!/usr/bin/env bash
# tests/cli/ebsi_token.sh — tokens from the issuer's DID (issue 15 item 3),
# against the gateway's Authorisation API double (tests/gateway/auth.js, which
# checks our VP JWT with jose):
#   - cross-check: a JWT our C code signs verifies with jose; a tampered one
#     does not (the reverse, a jose JWT parsed by us, is tests/unit/test_jwt.c);
#   - init --did --vp-key: refusals (pairing, mode 0644, a secp256k1 key, the
#     evm ledger), the kid it prints is jose's RFC 7638 thumbprint, and it says
#     how to register the transaction key's address as a controller;
#   - with no token file: anchor obtains a token (one), caches it (0600, not in
#     the store, not in the output), a second run reuses it; a verifier says VALID;
#   - the token expires mid-run: the notary renews once and anchors; tokens
#     refused again after renewal: a clear failure, the batch stays pending;
#   - a world-readable cache is not used; --token-file overrides the DID;
#   - an unknown DID and a bad signature are refused with the API's reason.
# Ends with "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/lib/notary.sh
. tests/lib/ebsi_did.sh
notary_test_begin ebsi-token
TEST_JWT=$BUILD/tests/test_jwt
# (built here for the default build; other builds bring their own, e.g. make asan)
if [ "$BUILD" = build ]; then make -s "$TEST_JWT" >/dev/null || { fail "build test_jwt"; finish; }; fi
[ -x "$TEST_JWT" ] || { fail "no $TEST_JWT"; finish; }

# --- keys and DID documents (tests/lib/ebsi_did.sh) ------------------------------------
DID=did:ebsi:zTestIssuer000000000000001
DID_BADSIG=did:ebsi:zTestIssuer000000000000002
ebsi_did_fixture "$DID" "$DID_BADSIG"

notary_gateway_start '{"tokens": [{"token": "static-token-1", "scopes": ["timestamp_write"], "exp": 4102444800}]}'
AUTH_API=${GATEWAY_API%/timestamp/v4/jsonrpc}/authorisation/v4
ok "gateway started with the token endpoint $AUTH_API/token"

# --- cross-check with jose ------------------------------------------------------------
JWT_CROSS_OUT=$tmp/c.jwt "$TEST_JWT" jwt_cross >/dev/null
jose_verify() { # jose_verify JWT_FILE: verify with the vector's JWK and audience
    node -e '
const fs = require("fs"), jose = require("jose");
(async () => {
  const v = JSON.parse(fs.readFileSync("tests/vectors/jwt/jose.json", "utf8"));
  const key = await jose.importJWK(v.jwk, "ES256");
  const { payload, protectedHeader } = await jose.jwtVerify(fs.readFileSync(process.argv[1], "utf8"), key,
    { algorithms: ["ES256"], issuer: v.did, subject: v.did, audience: "https://api.example/authorisation/v4",
      currentDate: new Date(1800000000 * 1000) });
  if (protectedHeader.kid !== v.kid || payload.vp.holder !== v.did) throw new Error("claims");
  console.log("verified");
})().catch((e) => { console.log(e.code || e.message); process.exit(1); });' "$1"
}
out=$(jose_verify "$tmp/c.jwt")
[ "$out" = verified ] && ok "jose verifies a VP JWT signed by our C code" || fail "jose: $out"
python3 - "$tmp/c.jwt" "$tmp/c-bad.jwt" <<'EOF'
import sys
t = open(sys.argv[1]).read()
h, p, s = t.split('.')
s = ('A' if s[5] != 'A' else 'B').join([s[:5], s[6:]])
open(sys.argv[2], 'w').write('.'.join([h, p, s]))
EOF
out=$(jose_verify "$tmp/c-bad.jwt")
[ "$out" = ERR_JWS_SIGNATURE_VERIFICATION_FAILED ] && ok "jose refuses it with one signature character changed" || fail "jose on a tampered JWT: $out"

# --- init -------------------------------------------------------------------------------
INIT=("$NOTARY" init --ledger ebsi --rpc "$GATEWAY_LEDGER" --timestamp-api "$GATEWAY_API"
      --timestamp-contract "$GATEWAY_CONTRACT" --kdf-light)
notary_dir n
expect_exit 2 "--did without --vp-key is a usage error" "${INIT[@]}" --import-key "$d/key.hex" --did "$DID"
expect_exit 2 "--did with --ledger evm is a usage error" \
    "$NOTARY" init --rpc "$GATEWAY_LEDGER" --contract "$GATEWAY_CONTRACT" --import-key "$d/key.hex" --did "$DID" --vp-key "$tmp/vp.pem" --kdf-light
cp "$tmp/vp.pem" "$tmp/vp-open.pem"; chmod 644 "$tmp/vp-open.pem"
expect_exit 1 "a --vp-key others can read is refused" "${INIT[@]}" --import-key "$d/key.hex" --did "$DID" --vp-key "$tmp/vp-open.pem"
expect_grep "... saying chmod 600" "chmod 600" "$LAST_ERR"
rm -rf "$d/data"
expect_exit 2 "a secp256k1 --vp-key is refused (before anything is written)" "${INIT[@]}" --import-key "$d/key.hex" --did "$DID" --vp-key "$tmp/k1.pem"
expect_grep "... saying P-256" "P-256" "$LAST_ERR"
[ -e "$d/data/key.json" ] && fail "init wrote a key before refusing --vp-key" || ok "nothing written"
expect_exit 2 "a malformed DID is refused" "${INIT[@]}" --import-key "$d/key.hex" --did "did:ebsi:a b" --vp-key "$tmp/vp.pem"
rm -rf "$d/data"
expect_exit 0 "init --did --vp-key (no token file)" "${INIT[@]}" --import-key "$d/key.hex" --did "$DID" --vp-key "$tmp/vp.pem"
expect_grep "init prints the kid (jose's thumbprint)" "$KID" "$LAST_OUT"
expect_grep "init names the address to register as a controller" "$DEV_ADDR_0 as a controller" "$LAST_OUT"
issuer=$DEV_ADDR_0

# --- anchoring with the DID's token --------------------------------------------------------
ANCHOR=("$NOTARY" anchor --poll-ms 100 --timeout 60 --rpc-attempts 2)
batch() { # batch TAG: one credential, closed
    printf '{"credentialSubject": {"name": "Holder %s"}, "type": ["VerifiableCredential"]}\n' "$1" > "$tmp/$1.json"
    "$NOTARY" submit --credential "$tmp/$1.json" >/dev/null && "$NOTARY" close >/dev/null
}
state_of() { "$NOTARY" status --json | python3 -c 'import json,sys
b=[x for x in json.load(sys.stdin)["batches"] if x["seq"]==int(sys.argv[1])][0]; print(b["state"])' "$1"; }
cache=$d/data/ebsi-token.json
batch b0
expect_exit 0 "anchor obtains a token from the DID and anchors" "${ANCHOR[@]}"
[ "$(gateway_stat tokensIssued)" = 1 ] && ok "one token issued" || fail "tokensIssued $(gateway_stat tokensIssued)"
[ "$(stat -c %a "$cache" 2>/dev/null)" = 600 ] && ok "the token cache is mode 0600" || fail "cache mode $(stat -c %a "$cache" 2>&1)"
tok=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["access_token"])' "$cache")
grep -qF "$tok" "$d/data/notary.db" && fail "the token is in the store" || ok "the token is not in the store"
grep -qF "$tok" <<<"$LAST_OUT$LAST_ERR" && fail "the token is in the output" || ok "the token is not in the output"
[ "$(state_of 0)" = anchored ] && ok "batch 0 anchored" || fail "batch 0 $(state_of 0)"
"$NOTARY" proof --credential "$tmp/b0.json" > "$tmp/p0.json"
expect_exit 0 "the verifier says VALID" "$VERIFIER" verify "$tmp/b0.json" --proof "$tmp/p0.json" --rpc "$GATEWAY_LEDGER" --issuer "$issuer"
batch b1
expect_exit 0 "a second run anchors with the cached token" "${ANCHOR[@]}"
[ "$(gateway_stat tokensIssued)" = 1 ] && ok "no new token while the cached one is good" || fail "tokensIssued $(gateway_stat tokensIssued)"

gateway_fault expire-tokens
refused=$(gateway_stat authRefused)
batch b2
expect_exit 0 "the token expired mid-run: renewed once, anchored" "${ANCHOR[@]}"
[ "$(gateway_stat tokensIssued)" = 2 ] && ok "exactly one new token" || fail "tokensIssued $(gateway_stat tokensIssued)"
[ "$(gateway_stat authRefused)" -gt "$refused" ] && ok "the expired token was refused (401) first" || fail "authRefused $(gateway_stat authRefused)"
[ "$(state_of 2)" = anchored ] && ok "batch 2 anchored" || fail "batch 2 $(state_of 2)"

gateway_fault reject-tokens
batch b3
expect_exit 1 "tokens refused even after renewal: anchor fails" "${ANCHOR[@]}"
expect_grep "... clearly" "refused a token just renewed from the DID" "$LAST_ERR"
[ "$(gateway_stat tokensIssued)" = 3 ] && ok "renewed once only" || fail "tokensIssued $(gateway_stat tokensIssued)"
[ "$(state_of 3)" = closed ] && ok "batch 3 stays pending" || fail "batch 3 $(state_of 3)"
gateway_fault none
chmod 644 "$cache"
expect_exit 0 "fault cleared: anchor goes on" "${ANCHOR[@]}"
[ "$(gateway_stat tokensIssued)" = 4 ] && ok "a world-readable cache is not used (new token)" || fail "tokensIssued $(gateway_stat tokensIssued)"
[ "$(stat -c %a "$cache")" = 600 ] && ok "the cache is 0600 again" || fail "cache mode $(stat -c %a "$cache")"
[ "$(state_of 3)" = anchored ] && ok "batch 3 anchored" || fail "batch 3 $(state_of 3)"

# --- --token-file overrides the DID ---------------------------------------------------------
notary_dir t
notary_key_file "$tmp/static" static-token-1
expect_exit 0 "init --did --vp-key --token-file" "${INIT[@]}" --import-key "$d/key.hex" --did "$DID" --vp-key "$tmp/vp.pem" --token-file "$tmp/static" --authorisation-api "$AUTH_API"
issued=$(gateway_stat tokensIssued)
batch t0
expect_exit 0 "anchor with the token file" "${ANCHOR[@]}"
[ "$(gateway_stat tokensIssued)" = "$issued" ] && ok "the token file overrides the DID (no token asked)" || fail "tokensIssued $(gateway_stat tokensIssued)"

# --- refusals by the Authorisation API ----------------------------------------------------------
for case in "unknown:did:ebsi:zNobodyKnowsMe0000000001:vp.pem:not found in the DID Registry" \
            "badsig:$DID_BADSIG:other.pem:signature verification failed"; do
    IFS=: read -r name m1 m2 m3 key why <<<"$case"
    did_="$m1:$m2:$m3"
    notary_dir "$name"
    NOTARY_DATA=$d/data "${INIT[@]}" --import-key "$d/key.hex" --did "$did_" --vp-key "$tmp/$key" >/dev/null 2>&1 \
        || fail "init $name"
    batch "$name-0"
    expect_exit 1 "$name: anchor fails" "${ANCHOR[@]}"
    expect_grep "$name: the API's reason is quoted" "$why" "$LAST_ERR"
    expect_grep "$name: says to check the DID Registry" "check that the DID is registered" "$LAST_ERR"
    [ "$(state_of 0)" = closed ] && ok "$name: the batch stays pending" || fail "$name: $(state_of 0)"
done

finish
