# tests/lib/ebsi_registries.sh — EBSI's DID Registry v5 and Trusted Issuers
# Registry v5, served by the gateway double (tests/gateway/registries.js) over
# real HTTPS with a test CA, for the scripted tests that verify a did:ebsi
# issuer (tests/cli/did_ebsi.sh, tests/cli/ebsi_e2e.sh). Source it after
# tests/lib/notary.sh and call notary_test_begin first ($tmp):
#
#   ebsi_registries_pki            # CA + certificate for ebsi.test; exports
#                                  # GATEWAY_TLS_CERT, GATEWAY_TLS_KEY and
#                                  # GATEWAY_REGISTRIES=$tmp/registries.json
#   UNI=$(did_ebsi_new)            # fresh legal-entity DIDs
#   ebsi_registries_write <<'PY'   # the fixture: Python setting dids and tir
#   dids = {...}; tir = {...}      # (helpers: tests/lib/ebsi_registries.py)
#   PY
#   notary_gateway_start ...       # the gateway then serves the registries,
#                                  # and its token endpoint resolves DIDs there
#   ebsi_registries_ready          # EBSI_API, EBSI_ARGS, EBSI_CURL (below)
#
# Each function fails the test and finishes when it cannot do its part.

. "${BASH_SOURCE[0]%/*}/pki.sh"

# ebsi_registries_pki: a test CA ($tmp/pki/ca.pem) and a server certificate
# for ebsi.test signed by it (pki_make, tests/lib/pki.sh); TAO and ROOT:
# fresh DIDs of the accrediting TAO and its Root TAO (the fixture's
# accreditations name them).
ebsi_registries_pki() {
    command -v openssl >/dev/null || { fail "openssl is not installed"; finish; }
    pki_make "$tmp/pki" ebsi.test "did-ebsi test CA" || { fail "openssl: $(tail -3 "$tmp/pki/openssl.log")"; finish; }
    ok "test CA and a server certificate for ebsi.test made"
    export GATEWAY_TLS_CERT=$tmp/pki/srv.pem GATEWAY_TLS_KEY=$tmp/pki/srv.key GATEWAY_REGISTRIES=$tmp/registries.json
    TAO=$(did_ebsi_new) ROOT=$(did_ebsi_new)
}

# did_ebsi_new: a fresh legal-entity DID, did:ebsi:z + base58btc(0x01 + 16
# random bytes) (hub.ebsi.eu "DID Method for Legal Entities").
did_ebsi_new() {
    python3 -c '
import os
a = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
n = int.from_bytes(b"\x01" + os.urandom(16), "big"); s = ""
while n: n, r = divmod(n, 58); s = a[r] + s
print("did:ebsi:z" + s)'
}

# eth_public_key KEY: the uncompressed secp256k1 public key ("0x04…") of the
# private key KEY (0x-hex), computed by ethers.
eth_public_key() { node -e 'const {SigningKey}=require("ethers"); console.log(new SigningKey(process.argv[1]).publicKey)' "$1"; }

# ebsi_registries_write < PYTHON: write $GATEWAY_REGISTRIES from the Python
# statements on standard input (tests/lib/ebsi_registries.py), with the
# accreditations issued by $TAO under $ROOT, now = $NOW (default: now).
ebsi_registries_write() {
    python3 tests/lib/ebsi_registries.py "$GATEWAY_REGISTRIES" "$TAO" "$ROOT" "${NOW:-$(date +%s)}" ||
        { fail "the registries' fixture"; finish; }
}

# ebsi_registries_ready: after notary_gateway_start, check that the gateway
# serves the registries and set
#   EBSI_API   https://ebsi.test:PORT
#   EBSI_ARGS  the verifier's options to reach it (--ebsi-api, --ca-file, --resolve)
#   EBSI_CURL  a curl command that reaches it
ebsi_registries_ready() {
    [ "${GATEWAY_TLS_PORT:-0}" != 0 ] || { fail "the gateway serves no registries"; finish; }
    EBSI_API=https://ebsi.test:$GATEWAY_TLS_PORT
    EBSI_ARGS=(--ebsi-api "$EBSI_API" --ca-file "$tmp/pki/ca.pem" --resolve "ebsi.test:$GATEWAY_TLS_PORT:127.0.0.1")
    EBSI_CURL=(curl -s --noproxy '*' --max-time 10 --cacert "$tmp/pki/ca.pem" --resolve "ebsi.test:$GATEWAY_TLS_PORT:127.0.0.1")
}
