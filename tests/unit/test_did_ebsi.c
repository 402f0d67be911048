/*
 * tests/unit/test_did_ebsi.c — anchor/did_ebsi.h without the network: the
 * did:ebsi syntax (EBSI's own published example DIDs accepted; other
 * version bytes, lengths and alphabets refused), a DID Registry v5 document
 * → the controller addresses (a secp256k1 JsonWebKey2020 in
 * capabilityInvocation, its address keccak256(x||y)), a compact JWS → its
 * payload, a TIR v5 answer → the accreditation in force (revoked, expired,
 * not yet valid, another subject refused), and the trusted list taking
 * did:ebsi lines. Over HTTPS through the gateway double: tests/cli/did_ebsi.sh.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "anchor/did_ebsi.h"
#include "anchor/signer.h"
#include "core/b64url.h"
#include "core/embed.h"
#include "tests/harness.h"
#include "verifier/issuer.h"

#define DID "did:ebsi:zbM8cCuoBMFNLeQyLiVFyxw" /* EBSI's DID Registry v4 page example */
/* the public key of tests/lib/ledger.sh's DEV_KEY_0, whose address is DEV_ADDR_0 */
#define JWK0 "{\"kty\":\"EC\",\"crv\":\"secp256k1\",\"x\":\"5orPwCU6EGIN_3BrChsfH1gz6jvrO94iUNXycfNWNgY\",\"y\":\"Zy68ReC36i6BbstwygMTexyUdu7GPUYy6ZACC3tvujk\"}"
#define ADDR0 "0x90F8bf6A479f320ead074411a4B0e7944Ea8c9C1"

TEST(did_ebsi_syntax)
{
    struct err e = {0};
    CHECK_OK(did_ebsi_check(DID, &e), &e);
    CHECK_OK(did_ebsi_check("did:ebsi:z25F87e2MyLKF7DViuHi5b4z", &e), &e); /* DIDR v5 page */
    CHECK_OK(did_ebsi_check("did:ebsi:zZeKyEJfUTGwajhNyNX928z", &e), &e);  /* TIR v5 page */
    CHECK_ERR(did_ebsi_check("did:ebsi:z0OIl", &e), &e, E_INVALID, "base58btc digit");
    CHECK_ERR(did_ebsi_check("did:ebsi:zbM8cCuoBMFNLeQyLiVFyx", &e), &e, E_INVALID, "version byte");
    CHECK_ERR(did_ebsi_check("did:ebsi:zzzzzzzzzzzzzzzzzzzzzzzz", &e), &e, E_INVALID, "version byte");
    CHECK_ERR(did_ebsi_check("did:ebsi:1bM8cCuoBMFNLeQyLiVFyxw", &e), &e, E_INVALID, "did:ebsi:z");
    CHECK_ERR(did_ebsi_check("did:ebsi:z", &e), &e, E_INVALID, "base58btc");
    CHECK_ERR(did_ebsi_check("did:web:uni.example", &e), &e, E_INVALID, "not a did:ebsi");
}

static err_code doc(const char *vm_extra, const char *ci, const char *ctl, struct did_ebsi_doc *d,
                    struct err *e)
{
    char text[4096];
    snprintf(text, sizeof text,
             "{\"@context\":[\"https://www.w3.org/ns/did/v1\"],\"id\":\"" DID "\",\"controller\":%s,"
             "\"verificationMethod\":[{\"id\":\"" DID "#keys-1\",\"type\":\"JsonWebKey2020\","
             "\"controller\":\"" DID "\",\"publicKeyJwk\":" JWK0 "}%s]%s}",
             ctl, vm_extra, ci);
    return did_ebsi_doc_parse(text, strlen(text), DID, d, e);
}

TEST(did_ebsi_document_controllers)
{
    static struct did_ebsi_doc d;
    struct err e = {0};
    struct addr20 want;
    CHECK_OK(eth_address_parse(ADDR0, &want, &e), &e);
    const char *ci = ",\"capabilityInvocation\":[\"" DID "#keys-1\"]";
    CHECK_OK(doc("", ci, "[\"" DID "\"]", &d, &e), &e);
    CHECK(d.n_controllers == 1 && strcmp(d.controllers[0], DID) == 0);
    CHECK(d.n_keys == 1 && addr20_eq(&d.keys[0].addr, &want) && d.keys[0].chain_id == 0);
    CHECK(strcmp(d.keys[0].vm_id, DID "#keys-1") == 0);
    /* a P-256 or RSA key is not ours to judge; a key outside capabilityInvocation controls nothing */
    CHECK_OK(doc(",{\"id\":\"x\",\"type\":\"JsonWebKey2020\",\"publicKeyJwk\":{\"kty\":\"RSA\"}}", ci,
                 "\"" DID "\"", &d, &e), &e);
    CHECK(d.n_keys == 1);
    CHECK_OK(doc("", ",\"authentication\":[\"" DID "#keys-1\"]", "[\"" DID "\"]", &d, &e), &e);
    CHECK(d.n_keys == 0);
    CHECK_ERR(doc("", ci, "[]", &d, &e), &e, E_INVALID, "controller has 0 entries");
    CHECK_ERR(doc("", ci, "[\"did:web:x.example\"]", &d, &e), &e, E_INVALID, "controller[0]");
    CHECK_ERR(doc(",{\"id\":\"k\",\"type\":\"JsonWebKey2020\",\"publicKeyJwk\":{\"kty\":\"EC\","
                  "\"crv\":\"secp256k1\",\"x\":\"AAAA\",\"y\":\"AAAA\"}}", ci, "[\"" DID "\"]", &d, &e),
              &e, E_INVALID, "32 bytes");
    const char *other = "{\"id\":\"did:ebsi:z25F87e2MyLKF7DViuHi5b4z\",\"controller\":[],"
                        "\"verificationMethod\":[]}";
    CHECK_ERR(did_ebsi_doc_parse(other, strlen(other), DID, &d, &e), &e, E_INVALID, "not the DID");
}

/* A TIR answer with one attribute of `type` whose JWT payload is `payload`. */
static err_code tir(const char *type, const char *payload, int64_t now, struct did_ebsi_accr *a,
                    struct err *e)
{
    struct buf b64 = {0};
    char text[8192];
    err_code rc = b64url_encode((const uint8_t *)payload, strlen(payload), &b64, e);
    if (rc)
        return rc;
    snprintf(text, sizeof text,
             "{\"did\":\"" DID "\",\"attributes\":[{\"hash\":\"%064d\",\"body\":\"eyJhbGciOiJFUzI1NksifQ."
             "%.*s.c2ln\",\"issuerType\":\"%s\",\"tao\":\"did:ebsi:zTAO\",\"rootTao\":\"did:ebsi:zRoot\"}]}",
             0, (int)b64.len, (const char *)b64.p, type);
    buf_free(&b64);
    return did_ebsi_tir_parse(text, strlen(text), DID, now, a, e);
}

#define VC(subject, times)                                                                         \
    "{\"iss\":\"did:ebsi:zTAO\"," times ",\"vc\":{\"type\":[\"VerifiableCredential\","              \
    "\"VerifiableAccreditation\",\"VerifiableAccreditationToAttest\"],\"issuer\":\"did:ebsi:zTAO\"," \
    "\"credentialSubject\":{\"id\":\"" subject "\",\"legalName\":\"Uni\",\"accreditedFor\":[{"        \
    "\"schemaId\":\"https://s.example\",\"types\":[\"VerifiableCredential\",\"VerifiableDiploma\"]}]}}}"

TEST(did_ebsi_tir_accreditation)
{
    struct did_ebsi_accr a;
    struct err e = {0};
    const int64_t now = 1750000000;
    CHECK_OK(tir("TI", VC(DID, "\"nbf\":1700000000,\"exp\":1800000000"), now, &a, &e), &e);
    CHECK(strcmp(a.issuer_type, "TI") == 0 && strcmp(a.vc_type, "VerifiableAccreditationToAttest") == 0);
    CHECK(strcmp(a.accredited_for, "VerifiableDiploma") == 0 && strcmp(a.by, "did:ebsi:zTAO") == 0);
    CHECK(strcmp(a.legal_name, "Uni") == 0 && a.valid_from == 1700000000 && a.valid_until == 1800000000);
    CHECK_OK(tir("TAO", VC(DID, "\"sub\":\"x\""), now, &a, &e), &e);
    CHECK(a.valid_from == 0 && a.valid_until == 0);
    CHECK_ERR(tir("Revoked", VC(DID, "\"exp\":1800000000"), now, &a, &e), &e, E_INVALID,
              "revoked in the Trusted Issuers Registry");
    CHECK_ERR(tir("TI", VC(DID, "\"exp\":1740000000"), now, &a, &e), &e, E_INVALID,
              "accreditation expired at 2025-02-19T21:20:00Z");
    CHECK_ERR(tir("TI", VC(DID, "\"nbf\":1760000000"), now, &a, &e), &e, E_INVALID, "not valid yet");
    CHECK_ERR(tir("undefined", VC(DID, "\"sub\":\"x\""), now, &a, &e), &e, E_INVALID,
              "has no accreditation");
    CHECK_ERR(tir("TI", VC("did:ebsi:zOther", "\"sub\":\"x\""), now, &a, &e), &e, E_INVALID,
              "subject is not");
    CHECK_ERR(tir("Boss", VC(DID, "\"sub\":\"x\""), now, &a, &e), &e, E_INVALID, "issuerType must be");
    CHECK_ERR(tir("TI", "{\"vc\":{\"type\":[\"VerifiableCredential\"],\"credentialSubject\":{\"id\":\"" DID
                        "\"}}}", now, &a, &e), &e, E_INVALID, "does not include VerifiableAccreditation");
    CHECK_ERR(tir("TI", VC(DID, "\"exp\":-1"), now, &a, &e), &e, E_INVALID, "positive integer");
    /* a JWT VC states its validity twice: the strictest of the claims and the VC's dates counts */
#define VCT(claims, dates)                                                                         \
    "{" claims "\"vc\":{\"type\":[\"VerifiableAccreditation\"]," dates                        \
    "\"credentialSubject\":{\"id\":\"" DID "\"}}}"
    CHECK_ERR(tir("TI", VCT("\"exp\":1800000000,", "\"expirationDate\":\"2025-01-01T00:00:00Z\","),
                  now, &a, &e), &e, E_INVALID, "expired at 2025-01-01T00:00:00Z");
    CHECK_ERR(tir("TI", VCT("", "\"validUntil\":\"2030-01-01T00:00:00Z\",\"expirationDate\":"
                                "\"2025-01-01T00:00:00Z\","), now, &a, &e), &e, E_INVALID, "expired");
    CHECK_ERR(tir("TI", VCT("\"nbf\":1700000000,", "\"validFrom\":\"2026-01-01T00:00:00Z\","),
                  now, &a, &e), &e, E_INVALID, "not valid yet");
    CHECK_OK(tir("TI", VCT("\"nbf\":1700000000,\"exp\":1800000000,",
                           "\"issuanceDate\":\"2024-01-01T00:00:00Z\",\"validUntil\":"
                           "\"2026-01-01T00:00:00Z\","), now, &a, &e), &e);
    CHECK(a.valid_from == 1704067200 && a.valid_until == 1767225600);
    /* an end at the epoch is an end, not "none stated" */
    CHECK_ERR(tir("TI", VCT("\"exp\":0,", ""), now, &a, &e), &e, E_INVALID, "positive");
    CHECK_ERR(tir("TI", VCT("", "\"expirationDate\":\"1970-01-01T00:00:00Z\","), now, &a, &e), &e,
              E_INVALID, "after 1970");
#undef VCT
    const char *empty = "{\"did\":\"" DID "\",\"attributes\":[]}";
    CHECK_ERR(did_ebsi_tir_parse(empty, strlen(empty), DID, now, &a, &e), &e, E_INVALID, "0 attributes");
}

TEST(did_ebsi_jwt_payload_strict)
{
    struct buf b;
    struct err e = {0};
    CHECK_OK(did_ebsi_jwt_payload("eyJ9.eyJhIjoxfQ.c2ln", 20, &b, &e), &e);
    CHECK(b.len == 7 && memcmp(b.p, "{\"a\":1}", 7) == 0 && b.p[7] == '\0');
    buf_free(&b);
    CHECK_ERR(did_ebsi_jwt_payload("eyJ9.eyJhIjoxfQ", 15, &b, &e), &e, E_INVALID, "compact JWS");
    CHECK_ERR(did_ebsi_jwt_payload("eyJ9.eyJhIjoxfQ.c2ln.x", 22, &b, &e), &e, E_INVALID, "compact JWS");
    CHECK_ERR(did_ebsi_jwt_payload(".eyJhIjoxfQ.c2ln", 16, &b, &e), &e, E_INVALID, "compact JWS");
    CHECK_ERR(did_ebsi_jwt_payload("eyJ9.eyJhIjox=Q.c2ln", 20, &b, &e), &e, E_INVALID, "base64url");
    CHECK_ERR(did_ebsi_jwt_payload("eyJ9.eyJhIjoxfR.c2ln", 20, &b, &e), &e, E_INVALID, "base64url");
}

TEST(trusted_list_takes_did_ebsi)
{
    static struct verify_trusted t;
    struct err e = {0};
    memset(&t, 0, sizeof t);
    CHECK_OK(verify_trusted_add(&t, DID, &e), &e);
    CHECK(t.n_dids == 1 && strcmp(t.dids[0], DID) == 0);
    CHECK_ERR(verify_trusted_add(&t, "did:ebsi:z0OIl", &e), &e, E_INVALID, "base58btc");
}
