#!/usr/bin/env bash
# tests/cli/did_ebsi.sh — the verifier names a did:ebsi issuer (issue 15 item
# 4): EBSI's DID Registry v5 and Trusted Issuers Registry v5, served by the
# gateway double (tests/gateway/registries.js) over REAL HTTPS with a CA made
# here; the verifier trusts it with --ca-file and reaches ebsi.test through
# --resolve. The notary anchors through the gateway's Timestamp API (token
# file, as tests/cli/notary_ebsi.sh); then:
#   VALID naming the legal entity and its accreditation: --issuer did:ebsi,
#     a trusted-issuers file, the VC's own issuer; an address controlling the
#     DID through another controller DID;
#   INVALID with the reason: a DID the registry does not know (404), the
#     address not a controller (another key; a key outside
#     capabilityInvocation), no TIR entry (404), issuerType Revoked, an
#     expired accreditation, an accreditation about another subject;
#   UNKNOWN: the APIs down; usage (exit 2): a malformed did:ebsi, --ebsi-api
#     not https.
# Ends with "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/lib/notary.sh
. tests/lib/ebsi_registries.sh
notary_test_begin did-ebsi
export NOTARY_PASSWORD="did ebsi test"
unset NOTARY_CA_FILE

# --- the registries, over HTTPS with a test CA (tests/lib/ebsi_registries.sh) ------------
ebsi_registries_pki
PUB0=$(eth_public_key "$DEV_KEY_0") && PUB1=$(eth_public_key "$DEV_KEY_1") || { fail "public keys (node, ethers)"; finish; }
UNI=$(did_ebsi_new) PARENT=$(did_ebsi_new) CHILD=$(did_ebsi_new) OTHER=$(did_ebsi_new) NOCAP=$(did_ebsi_new)
NOTIR=$(did_ebsi_new) REVOKED=$(did_ebsi_new) EXPIRED=$(did_ebsi_new) WRONGSUB=$(did_ebsi_new) NOBODY=$(did_ebsi_new)
GHOSTCTL=$(did_ebsi_new)

# The fixture the double serves (tests/gateway/registries.js): DID documents and TIR entries.
ebsi_registries_write <<PY
dids = {
  "$UNI": {"controllers": ["$UNI"], "keys": [key("$PUB0")]},
  "$PARENT": {"controllers": ["$PARENT"], "keys": [key("$PUB0")]},
  "$CHILD": {"controllers": ["$CHILD", "$PARENT"], "keys": [key("$PUB1")]},
  "$GHOSTCTL": {"controllers": ["$NOBODY", "$GHOSTCTL"], "keys": [key("$PUB0")]},
  "$OTHER": {"controllers": ["$OTHER"], "keys": [key("$PUB1")]},
  "$NOCAP": {"controllers": ["$NOCAP"], "keys": [key("$PUB0", ("authentication",))]},
  "$NOTIR": {"controllers": ["$NOTIR"], "keys": [key("$PUB0")]},
  "$REVOKED": {"controllers": ["$REVOKED"], "keys": [key("$PUB0")]},
  "$EXPIRED": {"controllers": ["$EXPIRED"], "keys": [key("$PUB0")]},
  "$WRONGSUB": {"controllers": ["$WRONGSUB"], "keys": [key("$PUB0")]},
}
tir = {
  "$UNI": [accr("$UNI", name="University of Tartu Test")],
  "$CHILD": [accr("$CHILD", typ="TAO")],
  "$GHOSTCTL": [accr("$GHOSTCTL")],
  "$OTHER": [accr("$OTHER")],
  "$NOCAP": [accr("$NOCAP")],
  "$REVOKED": [dict(accr("$REVOKED"), issuerType="Revoked")],
  "$EXPIRED": [accr("$EXPIRED", exp=now - 3600)],
  "$WRONGSUB": [accr("$WRONGSUB", subject="$UNI")],
}
PY
notary_gateway_start
ebsi_registries_ready
ok "gateway started: Timestamp contract $GATEWAY_CONTRACT, registries on HTTPS port $GATEWAY_TLS_PORT"
API=$EBSI_API E=("${EBSI_ARGS[@]}") C=("${EBSI_CURL[@]}")

# --- the double answers as EBSI's pages say -------------------------------------------
out=$("${C[@]}" -i "$API/did-registry/v5/identifiers/$NOBODY")
expect_grep "an unknown DID is 404 problem+json" "application/problem+json" "$out"
expect_grep "... titled Identifier Not Found" '"title":"Identifier Not Found"' "$out"
out=$("${C[@]}" "$API/did-registry/v5/identifiers/$UNI")
check "a DID document: JsonWebKey2020 secp256k1, controller, capabilityInvocation" python3 -c '
import json, sys
d = json.loads(sys.argv[1]); vm = d["verificationMethod"][0]
assert d["id"] == sys.argv[2] and d["controller"] == [sys.argv[2]]
assert vm["type"] == "JsonWebKey2020" and vm["publicKeyJwk"]["crv"] == "secp256k1"
assert d["capabilityInvocation"] == [vm["id"]]' "$out" "$UNI"
out=$("${C[@]}" -i "$API/trusted-issuers-registry/v5/issuers/$NOTIR")
expect_grep "no TIR entry is 404 Issuer Not Found" '"title":"Issuer Not Found"' "$out"

# --- a batch anchored through the gateway ----------------------------------------------
notary_key_file "$tmp/key.hex" "$DEV_KEY_0"
export NOTARY_DATA=$tmp/data
notary_init_ebsi "$NOTARY_DATA" "$tmp/key.hex" >/dev/null 2>"$tmp/err" || { fail "init: $(cat "$tmp/err")"; finish; }
vc() { # vc NAME ISSUER: $tmp/vc-NAME.json
    printf '{"@context":["https://www.w3.org/ns/credentials/v2"],"type":["VerifiableCredential"],"issuer":"%s","credentialSubject":{"id":"did:example:student","degree":"MSc %s"}}\n' \
        "$2" "$1" >"$tmp/vc-$1.json"
}
vc uni "$UNI"; vc other "$OTHER"; vc nobody "$NOBODY"; vc bad "did:ebsi:z0OIl"
SUBMIT=()
for n in uni other nobody bad; do SUBMIT+=(--credential "$tmp/vc-$n.json"); done
"$NOTARY" submit "${SUBMIT[@]}" >/dev/null && "$NOTARY" close >/dev/null &&
    "$NOTARY" anchor --poll-ms 100 --timeout 60 >/dev/null 2>"$tmp/err" ||
    { fail "issue and anchor a batch: $(cat "$tmp/err")"; finish; }
for n in uni other nobody bad; do
    "$NOTARY" proof --credential "$tmp/vc-$n.json" >"$tmp/vc-$n.bundle" || { fail "proof of vc-$n"; finish; }
done
ISSUER=$(json_field anchor.issuer <"$tmp/vc-uni.bundle")
check "anchored by the notary's key" test "${ISSUER,,}" = "${DEV_ADDR_0,,}"
ok "batch anchored through the gateway by $ISSUER"
AD=$(tr A-F a-f <<<"$ISSUER")

V() { # V NAME ARGS...: verify vc-NAME against the gateway's ledger API
    "$VERIFIER" verify "$tmp/vc-$1.json" --proof "$tmp/vc-$1.bundle" --rpc "$GATEWAY_LEDGER" \
        --contract "$GATEWAY_CONTRACT" --timeout 10 "${@:2}"
}

# --- VALID, naming the legal entity and its accreditation -------------------------------
expect_exit 0 "--issuer did:ebsi: VALID" V uni --issuer "$UNI" "${E[@]}"
has "the verdict names the DID and the legal entity" "Status: VALID: .*issued by $UNI — University of Tartu Test ($AD"
has "says the address is a controller in EBSI's DID Registry" "EBSI's DID Registry $API/did-registry/v5/identifiers/$UNI makes $AD a controller of it (capabilityInvocation secp256k1 key $UNI#keys-1)"
has "names the accreditation: type, for what, by whom, validity" "issuer.accreditation .*Trusted Issuers Registry: TI, VerifiableAccreditationToAttest for VerifiableDiploma by $TAO, valid .* to "
has "says the accreditation's signature is not verified" "signature is not verified"
expect_exit 0 "--json: VALID" V uni --json --issuer "$UNI" "${E[@]}"
check "--json issuerName is the DID" test "$(json_field issuerName <<<"$LAST_OUT")" = "$UNI"
check "--json issuerDisplayName is the legal name" test "$(json_field issuerDisplayName <<<"$LAST_OUT")" = "University of Tartu Test"
expect_exit 0 "the VC's own did:ebsi issuer (nothing pinned): VALID" V uni "${E[@]}"
has "established by the credential's DID" "issued by $UNI .*DID from the credential"
printf '# EBSI issuers\n%s\n' "$UNI" >"$tmp/trusted.txt"
expect_exit 0 "a trusted-issuers file with a did:ebsi line: VALID" V uni --trusted-issuers "$tmp/trusted.txt" "${E[@]}"
has "established by the trusted list" "DID from the trusted list"
expect_exit 0 "controller through another controller DID (the child lists the parent): VALID" \
    V uni --issuer "$CHILD" "${E[@]}"
has "names the child and the parent's key" "issued by $CHILD .*key $PARENT#keys-1"
has "and the child's TAO accreditation" "issuer.accreditation .*Trusted Issuers Registry: TAO"

expect_exit 0 "a controller DID the registry does not know controls nothing, the DID's own key still does: VALID" \
    V uni --issuer "$GHOSTCTL" "${E[@]}"
has "named by its own key" "issued by $GHOSTCTL .*key $GHOSTCTL#keys-1"

# --- INVALID, with the reason ---------------------------------------------------------
expect_exit 1 "a DID EBSI's registry does not know: INVALID" V uni --issuer "$NOBODY" "${E[@]}"
has "says it is not in the DID Registry" "$NOBODY is not in EBSI's DID Registry (HTTP 404)"
expect_exit 1 "the VC's issuer unknown to the registry: INVALID" V nobody "${E[@]}"
has "says so for the credential's issuer" "the credential names its issuer as $NOBODY, but $NOBODY is not in EBSI's DID Registry"
expect_exit 1 "a DID controlled by another key: INVALID" V uni --issuer "$OTHER" "${E[@]}"
has "says the address is not a controller" "$AD is not a controller of it in EBSI's DID Registry"
expect_exit 1 "the VC's issuer controlled by another key: INVALID" V other "${E[@]}"
has "says so" "the credential names its issuer as $OTHER, but $AD is not a controller"
expect_exit 1 "a key outside capabilityInvocation controls nothing: INVALID" V uni --issuer "$NOCAP" "${E[@]}"
has "says not a controller" "is not a controller of it"
expect_exit 1 "no TIR entry: INVALID" V uni --issuer "$NOTIR" "${E[@]}"
has "says not in the TIR" "$NOTIR is not in EBSI's Trusted Issuers Registry (HTTP 404)"
expect_exit 1 "issuerType Revoked: INVALID" V uni --issuer "$REVOKED" "${E[@]}"
has "says revoked" "$REVOKED is revoked in the Trusted Issuers Registry (issuerType Revoked)"
expect_exit 1 "an expired accreditation: INVALID" V uni --issuer "$EXPIRED" "${E[@]}"
has "says expired, and when" "$EXPIRED's accreditation expired at 20"
expect_exit 1 "an accreditation about another subject: INVALID" V uni --issuer "$WRONGSUB" "${E[@]}"
has "says the subject differs" "the accreditation's subject is not $WRONGSUB"
check "INVALID never prints VALID" bash -c '! grep -q "Status: VALID" <<<"$1"' _ "$LAST_OUT"

# --- UNKNOWN: unreachable -------------------------------------------------------------
gateway_fault down
expect_exit 3 "EBSI's APIs down: UNKNOWN" V uni --issuer "$UNI" "${E[@]}"
has "says it could not be resolved" "$UNI could not be resolved: .*cannot fetch"
gateway_fault none
expect_exit 3 "a CA the verifier does not trust: UNKNOWN" \
    V uni --issuer "$UNI" --ebsi-api "$API" --resolve "ebsi.test:$GATEWAY_TLS_PORT:127.0.0.1"
expect_exit 3 "a malformed did:ebsi in the VC: UNKNOWN (not resolvable)" V bad "${E[@]}"
has "says why" "could not be resolved: .*not a base58btc digit"

# --- usage ------------------------------------------------------------------------------
expect_exit 2 "a malformed did:ebsi --issuer is refused" V uni --issuer did:ebsi:z0OIl "${E[@]}"
has "says base58btc" "base58btc"
expect_exit 2 "a did:ebsi of another version byte is refused" V uni --issuer did:ebsi:zzzzzzzzzzzzzzzzzzzzzzzz "${E[@]}"
expect_exit 2 "--ebsi-api over plain http is refused" V uni --issuer "$UNI" --ebsi-api "http://ebsi.test:1"
has "says https" "give an https:// URL"
finish
