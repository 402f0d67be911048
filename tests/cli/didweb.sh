#!/usr/bin/env bash
# tests/cli/didweb.sh — the verifier names the issuer by did:web (issue 14
# item 2), over REAL HTTPS with a certificate authority made by this test.
#
# openssl makes a throwaway CA and a server certificate for uni.test; a
# Python HTTPS server (tests/lib/didweb_server.py) serves DID documents on a
# free loopback port; the verifier trusts that CA (--ca-file, or
# $NOTARY_CA_FILE) and reaches uni.test at 127.0.0.1 through --resolve: no
# system file is touched. A batch is anchored by the notary on a local
# ganache; then:
#   VALID naming the DID (text and --json issuerName), by --issuer and by a
#     trusted-issuers file, with a port and with a path;
#   INVALID: a document listing another address, or the address for another
#     chain; an id that is not the DID; a malformed document; a redirect
#     (to https or to http); a document over 64 KiB;
#   UNKNOWN (exit 3): 404, connection refused, the --timeout deadline, a
#     server speaking plain HTTP, a CA the verifier does not trust;
#   usage (exit 2): a DID that is not did:web or names an IP address;
#   no pin: a VC whose "issuer" did:web lists the address → VALID naming it
#     ("DID from the credential", with the name of `notary identity did-web
#     --name`); lists another → INVALID; unreachable, did:ebsi, did:key, a
#     URL, none, a raw file, a bare hash → UNKNOWN; a pin beats the VC's claim.
#     (did:ebsi itself: tests/cli/did_ebsi.sh)
# Ends with "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/lib/notary.sh
. tests/lib/pki.sh
notary_test_begin didweb
export NOTARY_DATA=$tmp/data NOTARY_PASSWORD="didweb test"
unset NOTARY_CA_FILE
command -v openssl >/dev/null || { fail "openssl is not installed"; finish; }

# --- a test CA and a certificate for uni.test ----------------------------------------
pki=$tmp/pki
pki_make "$pki" uni.test "didweb test CA" &&
    # a second CA the verifier is never told about
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
        -keyout "$pki/other.key" -out "$pki/other.pem" -subj "/CN=not trusted" >>"$pki/openssl.log" 2>&1 ||
    { fail "openssl: $(tail -3 "$pki/openssl.log")"; finish; }
ok "test CA and a server certificate for uni.test made"

# --- the HTTPS server -----------------------------------------------------------------
www=$tmp/www
mkdir -p "$www"
start_server() { # start_server NAME [CERT KEY]: sets PORT_<NAME>
    python3 tests/lib/didweb_server.py "$www" "$tmp/$1.port" "${@:2}" --lifetime 600 \
        >"$tmp/$1.log" 2>&1 &
    local pid=$!
    notary_on_exit "kill $pid 2>/dev/null"
    for _ in $(seq 1 100); do [ -s "$tmp/$1.port" ] && break; sleep 0.05; done
    [ -s "$tmp/$1.port" ] || { fail "server $1 did not start: $(cat "$tmp/$1.log")"; finish; }
    printf -v "PORT_$1" '%s' "$(cat "$tmp/$1.port")"
}
start_server tls "$pki/srv.pem" "$pki/srv.key"
start_server plain
P=$PORT_tls
HOSTDID="did:web:uni.test%3A$P"
RESOLVE=(--resolve "uni.test:$P:127.0.0.1")

# --- a batch anchored by the notary ------------------------------------------------
notary_ledger_start
notary_key_file "$tmp/key.hex" "$DEV_KEY_0"
notary_init_evm "$NOTARY_DATA" "$tmp/key.hex" --json > "$tmp/init.json" 2>"$tmp/err" ||
    { fail "init: $(cat "$tmp/err")"; finish; }
HASH=$(printf 'didweb credential' | sha256sum | cut -c1-64)
# VCs that name their issuer (W3C VC "issuer": a string or an object's "id");
# the DIDs' documents are written below
FREE=$(ledger_free_port)
vc() { # vc NAME ISSUER-JSON: $tmp/vc-NAME.json
    printf '{"@context":["https://www.w3.org/ns/credentials/v2"],"type":["VerifiableCredential"],"issuer":%s,"credentialSubject":{"id":"did:example:student","degree":"MSc %s"}}\n' \
        "$2" "$1" >"$tmp/vc-$1.json"
}
vc listed "{\"id\":\"$HOSTDID\",\"name\":\"Uni\"}"
vc named "\"$HOSTDID:gen\""
vc other "\"$HOSTDID:other\""
vc down "\"did:web:uni.test%3A$FREE\""
vc url '"https://uni.test"'
vc ebsi '"did:ebsi:zvHWX359A3CvfJnCYaAiAde"'
vc key '"did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"'
vc none '"" '
printf 'not JSON: a raw diploma scan\n' >"$tmp/vc-raw.json"
SUBMIT=()
for f in "$tmp"/vc-*.json; do SUBMIT+=(--credential "$f"); done
"$NOTARY" submit "$HASH" "${SUBMIT[@]}" >/dev/null && "$NOTARY" close >/dev/null &&
    "$NOTARY" anchor --poll-ms 100 >/dev/null 2>&1 && "$NOTARY" proof "$HASH" > "$tmp/b.json" ||
    { fail "issue and anchor a batch"; finish; }
for n in listed named other down url ebsi key none raw; do
    "$NOTARY" proof --credential "$tmp/vc-$n.json" > "$tmp/vc-$n.bundle" ||
        { fail "proof of vc-$n"; finish; }
done
CHAIN=$(json_field anchor.chainId < "$tmp/b.json")
ISSUER=$(json_field anchor.issuer < "$tmp/b.json")
OTHER=0xFFcf8FDEE72ac11b5c542428B35EEF5769C409f0
ok "batch anchored by $ISSUER on chain $CHAIN"

# did_doc DIR ID ADDRESS [CHAIN]: write $www/DIR/did.json
did_doc() {
    mkdir -p "$www/$1"
    cat >"$www/$1/did.json" <<JSON
{"@context":["https://www.w3.org/ns/did/v1"],"id":"$2","alsoKnownAs":["https://uni.test"],
 "verificationMethod":[
  {"id":"$2#ed","type":"Ed25519VerificationKey2020","controller":"$2","publicKeyMultibase":"z6Mk"},
  {"id":"$2#key-1","type":"EcdsaSecp256k1RecoveryMethod2020","controller":"$2",
   "blockchainAccountId":"eip155:${4:-$CHAIN}:$3"}],
 "assertionMethod":["$2#key-1"]}
JSON
}
did_doc .well-known "$HOSTDID" "$ISSUER"
did_doc registrar "$HOSTDID:registrar" "$ISSUER"
did_doc other "$HOSTDID:other" "$OTHER"
did_doc otherchain "$HOSTDID:otherchain" "$ISSUER" 1
did_doc mismatch "did:web:evil.test" "$ISSUER"
mkdir -p "$www/malformed"
printf '{"id":"%s","verificationMethod":[{"id":"#k","type":"EcdsaSecp256k1RecoveryMethod2020","blockchainAccountId":"%s"}]}' \
    "$HOSTDID:malformed" "$ISSUER" >"$www/malformed/did.json"

V=("$VERIFIER" verify --hash "$HASH" --proof "$tmp/b.json" --rpc "$LEDGER_URL" --timeout 5)
CA=(--ca-file "$pki/ca.pem")

# --- VALID, naming the DID ----------------------------------------------------------
expect_exit 0 "did:web on a port: VALID" "${V[@]}" --issuer "$HOSTDID" "${CA[@]}" "${RESOLVE[@]}"
has "the verdict names the DID, the address and how" "Status: VALID: .*issued by $HOSTDID ($(tr A-F a-f <<<"$ISSUER"), DID from --issuer)"
has "the issuer check says how: the document URL and the method" \
    "issued by $HOSTDID .*https://uni.test:$P/.well-known/did.json lists .*#key-1"
has "alsoKnownAs is shown as a URI" "also known as https://uni.test"
check "--json issuerBasis says the DID came from --issuer" grep -q 'DID from --issuer' <<<"$LAST_OUT"
expect_exit 0 "--json: VALID" "${V[@]}" --json --issuer "$HOSTDID" "${CA[@]}" "${RESOLVE[@]}"
check "--json issuerName is the DID" test "$(json_field issuerName <<<"$LAST_OUT")" = "$HOSTDID"
check "--json issuerBasis" test "$(json_field issuerBasis <<<"$LAST_OUT")" = "DID from --issuer"
expect_exit 0 "did:web with a path: VALID" "${V[@]}" --issuer "$HOSTDID:registrar" "${CA[@]}" "${RESOLVE[@]}"
has "the path's document was read" "uni.test:$P/registrar/did.json"
printf '# trusted\n%s\n%s   # ours\n' "$OTHER" "$HOSTDID:registrar" >"$tmp/trusted.txt"
expect_exit 0 "a trusted-issuers file listing a DID: VALID" \
    "${V[@]}" --trusted-issuers "$tmp/trusted.txt" "${CA[@]}" "${RESOLVE[@]}"
has "named by the file's DID" "issued by $HOSTDID:registrar"
has "established by the trusted list" "DID from the trusted list"
expect_exit 0 "\$NOTARY_CA_FILE instead of --ca-file: VALID" \
    env NOTARY_CA_FILE="$pki/ca.pem" "${V[@]}" --issuer "$HOSTDID" "${RESOLVE[@]}"
expect_exit 0 "an address still works and names no DID" "${V[@]}" --json --issuer "$ISSUER"
check "--json issuerName is null for an address" test "$(json_field issuerName <<<"$LAST_OUT")" = None
check "--json issuerBasis: pinned address" test "$(json_field issuerBasis <<<"$LAST_OUT")" = "pinned address"

# --- the notary's own document (`notary identity did-web`) -------------------------
mkdir -p "$www/gen"
expect_exit 0 "notary identity did-web writes the document" "$NOTARY" identity did-web \
    --domain "uni.test:$P/gen" --name "University of Test" --out "$www/gen/did.json"
has "says where to publish it" "at https://uni.test:$P/gen/did.json"
has "and the DID verifiers pass" "--issuer $HOSTDID:gen"
check "its id is the DID" test "$(json_field id < "$www/gen/did.json")" = "$HOSTDID:gen"
expect_exit 0 "the generated document makes the bundle VALID" \
    "${V[@]}" --issuer "$HOSTDID:gen" "${CA[@]}" "${RESOLVE[@]}"
has "named by the generated DID and its name" "issued by $HOSTDID:gen — University of Test"
check "the name is a CredentialNotaryIssuer service, not alsoKnownAs (DID Core: URIs only)" \
    test "$(json_field service.0.type < "$www/gen/did.json")/$(json_field service.0.serviceEndpoint.name < "$www/gen/did.json")/$(grep -c alsoKnownAs "$www/gen/did.json")" = "CredentialNotaryIssuer/University of Test/0"
check "the Status line names it too" grep -q "Status: VALID: .*issued by $HOSTDID:gen .*University of Test" <<<"$LAST_OUT"
expect_exit 0 "to stdout without --out" "$NOTARY" identity did-web --domain "uni.test:$P"
ACCT=$(json_field verificationMethod.0.blockchainAccountId <<<"$LAST_OUT")
check "the account is eip155:CHAIN:the issuer" test "${ACCT,,}" = "eip155:$CHAIN:${ISSUER,,}"
check "the address is EIP-55 mixed case" grep -q '[A-F]' <<<"$ACCT"
expect_exit 2 "a domain with a scheme is refused" "$NOTARY" identity did-web --domain https://uni.test
has "says without a scheme" "without a scheme"
expect_exit 2 "an IP address is refused" "$NOTARY" identity did-web --domain 127.0.0.1
expect_exit 2 "a '..' segment is refused" "$NOTARY" identity did-web --domain uni.test/a/../b  # path-scan: test input
expect_exit 2 "--domain is required" "$NOTARY" identity did-web

# --- no pin: the issuer named by the credential (VC "issuer") -------------------------
VC() { "$VERIFIER" verify "$tmp/vc-$1.json" --proof "$tmp/vc-$1.bundle" --rpc "$LEDGER_URL" --timeout 5 \
    "${CA[@]}" "${RESOLVE[@]}" --resolve "uni.test:$FREE:127.0.0.1" "${@:2}"; }
expect_exit 0 "a VC whose issuer object's id is a did:web listing the address: VALID" VC listed
has "named, and how: DID from the credential" "issued by $HOSTDID ($(tr A-F a-f <<<"$ISSUER"), DID from the credential)"
expect_exit 0 "a VC whose issuer string is the generated DID: VALID naming it" VC named --json
check "--json issuerName is the VC's DID" test "$(json_field issuerName <<<"$LAST_OUT")" = "$HOSTDID:gen"
check "--json issuerDisplayName is the document's name" test "$(json_field issuerDisplayName <<<"$LAST_OUT")" = "University of Test"
check "--json issuerBasis: DID from the credential" test "$(json_field issuerBasis <<<"$LAST_OUT")" = "DID from the credential"
expect_exit 1 "a VC whose issuer's document lists another address: INVALID" VC other
has "says the credential's issuer does not list the address" "the credential names its issuer as $HOSTDID:other, but its DID document .* lists no EcdsaSecp256k1RecoveryMethod2020 account"
expect_exit 3 "a VC whose issuer's host is unreachable: UNKNOWN" VC down
has "says it could not be resolved" "the credential names its issuer as did:web:uni.test%3A$FREE, which could not be resolved"
expect_exit 3 "a VC whose issuer is a URL, not a DID: UNKNOWN" VC url
has "issuer not established, and why" "issuer not established: the bundle's root was anchored by .* give --issuer ADDRESS|DID or --trusted-issuers FILE (the credential's issuer \"https://uni.test\" is not a DID)"
expect_exit 3 "a VC whose issuer is did:ebsi, EBSI's API unreachable: UNKNOWN" \
    VC ebsi --ebsi-api "https://uni.test:$FREE"
has "says the did:ebsi could not be resolved" "the credential names its issuer as did:ebsi:zvHWX359A3CvfJnCYaAiAde, which could not be resolved: .*cannot fetch"
expect_exit 3 "a VC whose issuer is did:key: UNKNOWN" VC key
has "says the method is not resolved" "a DID method this verifier does not resolve"
expect_exit 3 "a VC with an empty issuer: UNKNOWN" VC none
has "says the issuer is unusable" "names no usable issuer"
expect_exit 3 "a raw (non-JSON) credential: UNKNOWN" VC raw
has "says nothing names the issuer" "issuer not established"
check "UNKNOWN never prints VALID" bash -c '! grep -q "Status: VALID" <<<"$1"' _ "$LAST_OUT"
expect_exit 3 "a hash (no credential) with no pin: UNKNOWN" "${V[@]}"
has "says a hash names no issuer" "issuer not established: .*a hash was given"
# a pin decides, whatever the credential claims
expect_exit 1 "the VC names a DID listing the address, but the pin is another address: INVALID" \
    VC listed --issuer "$OTHER"
expect_exit 0 "the VC names another DID, the pin is the anchoring address: VALID" VC other --issuer "$ISSUER"
has "the detail mentions the credential's claim, not checked" "the credential names its issuer as $HOSTDID:other, not checked: the pinned issuer decides"
has "established by the pinned address" "issued by $(tr A-F a-f <<<"$ISSUER") (pinned address)"
expect_exit 0 "the pinned DID is the VC's own: VALID, says it is the same" VC listed --issuer "$HOSTDID"
has "says the same issuer" "the credential names the same issuer"

# --- INVALID: the document does not establish the issuer ------------------------------
expect_exit 1 "a document listing another address: INVALID" \
    "${V[@]}" --issuer "$HOSTDID:other" "${CA[@]}" "${RESOLVE[@]}"
has "says the address is not listed" "lists no EcdsaSecp256k1RecoveryMethod2020 account"
expect_exit 1 "the address listed for another chain: INVALID" \
    "${V[@]}" --issuer "$HOSTDID:otherchain" "${CA[@]}" "${RESOLVE[@]}"
has "names the chain" "for chain $CHAIN"
expect_exit 1 "a document whose id is not the DID: INVALID" \
    "${V[@]}" --issuer "$HOSTDID:mismatch" "${CA[@]}" "${RESOLVE[@]}"
has "says the id differs" 'id is "did:web:evil.test", not the DID'
expect_exit 1 "a malformed account (bad EIP-55 checksum): INVALID" \
    "${V[@]}" --issuer "$HOSTDID:malformed" "${CA[@]}" "${RESOLVE[@]}"
has "names the field" "blockchainAccountId"
expect_exit 1 "a redirect is not followed: INVALID" \
    "${V[@]}" --issuer "$HOSTDID:redirect" "${CA[@]}" "${RESOLVE[@]}"
has "says redirect" "a redirect to https://uni.test:$P/.well-known/did.json; it is not followed"
expect_exit 1 "a redirect to plain http: INVALID" \
    "${V[@]}" --issuer "$HOSTDID:redirect-http" "${CA[@]}" "${RESOLVE[@]}"
has "says redirect" "a redirect to http://uni.test:$P/.well-known/did.json; it is not followed"
expect_exit 1 "a document over 64 KiB: INVALID" \
    "${V[@]}" --issuer "$HOSTDID:big" "${CA[@]}" "${RESOLVE[@]}"
has "names the limit" "larger than the DID document limit of 65536 bytes"
expect_exit 1 "--json INVALID has no issuerName" \
    "${V[@]}" --json --issuer "$HOSTDID:other" "${CA[@]}" "${RESOLVE[@]}"
check "issuerName null" test "$(json_field issuerName <<<"$LAST_OUT")" = None

# --- UNKNOWN: the DID could not be resolved ------------------------------------------
expect_exit 3 "404: UNKNOWN" "${V[@]}" --issuer "$HOSTDID:nobody" "${CA[@]}" "${RESOLVE[@]}"
has "says HTTP 404" "could not be resolved: .*HTTP 404"
expect_exit 3 "connection refused: UNKNOWN" \
    "${V[@]}" --issuer "did:web:uni.test%3A$FREE" "${CA[@]}" --resolve "uni.test:$FREE:127.0.0.1"
has "says it could not be fetched" "could not be resolved: .*cannot fetch"
start=$(date +%s)
expect_exit 3 "a server slower than --timeout: UNKNOWN" \
    "${V[@]}" --timeout 3 --issuer "$HOSTDID:slow" "${CA[@]}" "${RESOLVE[@]}"
took=$(( $(date +%s) - start ))
check "the deadline held (${took}s for --timeout 3)" test "$took" -le 6
expect_exit 3 "a server speaking plain HTTP: UNKNOWN (no TLS, nothing read)" \
    "${V[@]}" --issuer "did:web:uni.test%3A$PORT_plain" "${CA[@]}" --resolve "uni.test:$PORT_plain:127.0.0.1"
expect_exit 3 "a certificate from a CA the verifier does not trust: UNKNOWN" \
    "${V[@]}" --issuer "$HOSTDID" --ca-file "$pki/other.pem" "${RESOLVE[@]}"
has "says the certificate" "could not be resolved: .*[Cc]ertificate"
expect_exit 3 "the system CAs do not know the test CA: UNKNOWN" \
    "${V[@]}" --issuer "$HOSTDID" "${RESOLVE[@]}"

# --- usage ------------------------------------------------------------------------
expect_exit 2 "did:key is refused as --issuer" "${V[@]}" --issuer did:key:z6Mkabc
has "says which DIDs are taken" "not a did:web DID"
expect_exit 2 "a did:web naming an IP address is refused" "${V[@]}" --issuer did:web:127.0.0.1
printf 'did:web:uni.test:..\n' >"$tmp/bad.txt"
expect_exit 2 "a trusted-issuers file with a bad DID is refused, naming the line" \
    "${V[@]}" --trusted-issuers "$tmp/bad.txt"
has "names the line" "bad.txt: line 1"
finish
