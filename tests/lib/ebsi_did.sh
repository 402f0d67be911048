# tests/lib/ebsi_did.sh — the issuer's DID for the gateway's Authorisation API
# double (tests/gateway/auth.js), shared by the scripted tests that obtain
# their timestamp_write token from a DID (tests/cli/ebsi_token.sh,
# tests/cli/ebsi_e2e.sh). Source it after tests/lib/notary.sh and call
# notary_test_begin first ($tmp).
#
#   ebsi_did_fixture DID [DID_BADSIG]
#   notary_gateway_start ...     # picks up GATEWAY_DIDS
#
# ebsi_did_fixture writes, with mode 0600:
#   $tmp/vp.pem     the DID's P-256 key (--vp-key)
#   $tmp/other.pem  another P-256 key
#   $tmp/k1.pem     a secp256k1 key (not what the presentation definition asks for)
#   $tmp/vp.jwk     vp.pem's public key as a JWK (for the registries' fixture:
#                   jwk_key in tests/lib/ebsi_registries.py)
#   $tmp/kid        KID (below)
# and sets
#   GATEWAY_DIDS (exported)  the DID documents the double resolves: DID with
#                            vp.pem's public key as a JsonWebKey2020 method
#                            under authentication, and the notary's
#                            transaction key ($DEV_KEY_0, secp256k1) as
#                            DID#keys-1 under capabilityInvocation, DID its
#                            own controller (EBSI's controller rule: the
#                            gateway's sendSignedTransaction checks it for a
#                            token issued to DID); DID_BADSIG, when given,
#                            with other.pem's kid but vp.pem's public key (a
#                            presentation signed with other.pem fails)
#   KID                      DID's kid: DID#<RFC 7638 thumbprint>, computed
#                            by jose (independently of our C code)
# It fails the test and finishes when openssl or node fail.
ebsi_did_fixture() {
    local did=$1 bad=${2:-}
    (umask 077
     openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$tmp/vp.pem" 2>/dev/null &&
     openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$tmp/other.pem" 2>/dev/null &&
     openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:secp256k1 -out "$tmp/k1.pem" 2>/dev/null) ||
        { fail "DID keys (openssl)"; finish; }
    node -e '
const fs = require("fs"), crypto = require("crypto"), jose = require("jose");
(async () => {
  const [vp, other, did, bad, out] = process.argv.slice(1);
  const jwkOf = (f) => jose.exportJWK(crypto.createPublicKey(fs.readFileSync(f)));
  const a = await jwkOf(vp), b = await jwkOf(other);
  const ta = await jose.calculateJwkThumbprint(a), tb = await jose.calculateJwkThumbprint(b);
  const pub = Buffer.from(new (require("ethers").SigningKey)(process.env.DEV_KEY_0).publicKey.slice(2), "hex");
  const k1 = { kty: "EC", crv: "secp256k1", x: pub.subarray(1, 33).toString("base64url"), y: pub.subarray(33).toString("base64url") };
  const doc = (id, kid, jwk) => ({ id, controller: [id],
    verificationMethod: [{ id: kid, type: "JsonWebKey2020", controller: id, publicKeyJwk: jwk },
                         { id: `${id}#keys-1`, type: "JsonWebKey2020", controller: id, publicKeyJwk: k1 }],
    authentication: [kid], capabilityInvocation: [`${id}#keys-1`] });
  const docs = [doc(did, `${did}#${ta}`, a)];
  if (bad) docs.push(doc(bad, `${bad}#${tb}`, a));
  fs.writeFileSync(out, JSON.stringify({ documents: docs }));
  fs.writeFileSync(require("path").join(require("path").dirname(out), "vp.jwk"), JSON.stringify(a));
  console.log(`${did}#${ta}`);
})();' "$tmp/vp.pem" "$tmp/other.pem" "$did" "$bad" "$tmp/dids.json" >"$tmp/kid" ||
        { fail "DID documents (node, jose)"; finish; }
    KID=$(cat "$tmp/kid")
    export GATEWAY_DIDS
    GATEWAY_DIDS=$(cat "$tmp/dids.json")
}
