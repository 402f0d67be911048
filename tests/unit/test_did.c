/*
 * tests/unit/test_did.c — anchor/did.h without the network: a did:web DID
 * → its document URL (host, %3A port, path segments; everything else
 * refused), a DID document → the accounts it lists (id must be the DID;
 * EcdsaSecp256k1RecoveryMethod2020 entries read strictly, CAIP-10
 * eip155:CHAIN:0xADDRESS with EIP-55 checked; other types ignored; size and
 * count limits), and verifier/issuer.h's trusted list of addresses and DIDs.
 * Over real HTTPS with a test CA: tests/cli/didweb.sh.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "anchor/did.h"
#include "tests/harness.h"
#include "verifier/issuer.h"

TEST(did_web_url_derivation)
{
    struct {
        const char *did, *url;
    } ok[] = {
        {"did:web:uni.example", "https://uni.example/.well-known/did.json"},
        {"did:web:uni.example%3A8443", "https://uni.example:8443/.well-known/did.json"},
        {"did:web:uni.example%3a8443", "https://uni.example:8443/.well-known/did.json"},
        {"did:web:uni.example:issuers:diplomas", "https://uni.example/issuers/diplomas/did.json"},
        {"did:web:localhost%3A1:a_b.c-d", "https://localhost:1/a_b.c-d/did.json"},
        {"did:web:w3c-ccg.github.io:user:alice", "https://w3c-ccg.github.io/user/alice/did.json"},
    };
    char url[DID_URL_MAX];
    struct err e = {0};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        err_code rc = did_web_url(ok[i].did, url, &e);
        t_case(rc == E_OK && strcmp(url, ok[i].url) == 0, ok[i].did, "rc %d url \"%s\" (%s)",
               rc, url, e.msg);
    }
    struct {
        const char *did, *why;
    } bad[] = {
        {"did:key:z6Mk", "not a did:web"},
        {"did:web:", "DNS name"},
        {"did:web:127.0.0.1", "DNS name"},
        {"did:web:uni.example%3A", "%3A and a port"},
        {"did:web:uni.example%3A0", "1..65535"},
        {"did:web:uni.example%3A65536", "1..65535"},
        {"did:web:uni.example%3A08", "1..65535"},
        {"did:web:uni.example%3Ax1", "decimal"},
        {"did:web:uni.example%2F", "%3A and a port"},
        {"did:web:uni.example:..", "path segment"},
        {"did:web:uni.example::x", "path segment"},
        {"did:web:uni.example:a%2Fb", "path segment"},
        {"did:web:uni.example:", "path segment"},
        {"did:web:uni.example/x", "DNS name"},
        {"did:web:uni.example#frag", "DNS name"},
        {"did:web:-uni.example", "DNS name"},
        {"did:web:uni..example", "DNS name"},
        {"did:web:user@uni.example", "DNS name"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err_code rc = did_web_url(bad[i].did, url, &e);
        t_case(rc == E_INVALID && strstr(e.msg, bad[i].why) && !url[0], bad[i].did,
               "rc %d \"%s\"", rc, e.msg);
    }
    char longdid[400];
    snprintf(longdid, sizeof longdid, "did:web:a.example:%0300d", 0);
    CHECK_ERR(did_web_url(longdid, url, &e), &e, E_LIMIT, "at most 255 bytes");
}

/* did_web_from_domain: the issuer's domain → the DID the verifier resolves
 * back to the same URL; what the verifier would refuse is refused here. */
TEST(did_web_from_domain_round_trip)
{
    struct {
        const char *domain, *did, *url;
    } ok[] = {
        {"uni.example", "did:web:uni.example", "https://uni.example/.well-known/did.json"},
        {"uni.example:8443", "did:web:uni.example%3A8443",
         "https://uni.example:8443/.well-known/did.json"},
        {"uni.example/issuers/diplomas", "did:web:uni.example:issuers:diplomas",
         "https://uni.example/issuers/diplomas/did.json"},
        {"localhost:1/a_b.c-d", "did:web:localhost%3A1:a_b.c-d", "https://localhost:1/a_b.c-d/did.json"},
    };
    char did[DID_MAX_LEN], url[DID_URL_MAX], back[DID_URL_MAX];
    struct err e = {0};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        err_code rc = did_web_from_domain(ok[i].domain, did, url, &e);
        t_case(rc == E_OK && !strcmp(did, ok[i].did) && !strcmp(url, ok[i].url) &&
                   did_web_url(did, back, &e) == E_OK && !strcmp(back, url),
               ok[i].domain, "rc %d did \"%s\" url \"%s\" (%s)", rc, did, url, e.msg);
    }
    struct {
        const char *domain, *why;
    } bad[] = {
        {"https://uni.example", "without a scheme"},
        {"", "DNS name"},
        {"127.0.0.1", "DNS name"},
        {"uni.example:", "a port"},
        {"uni.example:0", "1..65535"},
        {"uni.example:65536", "1..65535"},
        {"uni.example:123456", "a port"},
        {"uni.example:80x", "a port"},
        {"uni.example/", "empty segment"},
        {"uni.example//a", "empty segment"},
        {"uni.example/a:b", "no ':'"},
        {"uni.example/..", "path segment"},
        {"uni.example/a%2Fb", "path segment"},
        {"user@uni.example", "DNS name"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err_code rc = did_web_from_domain(bad[i].domain, did, url, &e);
        t_case(rc == E_INVALID && strstr(e.msg, bad[i].why) && !did[0] && !url[0],
               bad[i].domain, "rc %d \"%s\"", rc, e.msg);
    }
    char longd[400];
    snprintf(longd, sizeof longd, "a.example/%0240d", 0); /* 250 bytes: the DID 258 */
    CHECK_ERR(did_web_from_domain(longd, did, NULL, &e), &e, E_LIMIT, "over 255 bytes");
    snprintf(longd, sizeof longd, "a.example/%0300d", 0);
    CHECK_ERR(did_web_from_domain(longd, did, NULL, &e), &e, E_LIMIT, "at most 247 bytes");
}

#define DID "did:web:uni.example"
#define ADDR "0x90f8bf6a479f320ead074411a4b0e7944ea8c9c1"

static err_code parse(const char *text, struct did_doc *d, struct err *e)
{
    return did_doc_parse(text, strlen(text), DID, d, e);
}

TEST(did_doc_lists_accounts)
{
    struct did_doc d;
    struct err e = {0};
    CHECK_OK(parse("{\"@context\":[\"https://www.w3.org/ns/did/v1\"],\"id\":\"" DID "\","
                   "\"alsoKnownAs\":[\"https://uni.example\"],"
                   "\"verificationMethod\":["
                   "{\"id\":\"" DID "#ed\",\"type\":\"Ed25519VerificationKey2020\",\"x\":1},"
                   "{\"id\":\"" DID "#key-1\",\"type\":\"EcdsaSecp256k1RecoveryMethod2020\","
                   "\"controller\":\"" DID "\","
                   "\"blockchainAccountId\":\"eip155:1337:0x90F8bf6A479f320ead074411a4B0e7944Ea8c9C1\"}"
                   "],\"assertionMethod\":[\"" DID "#key-1\"]}",
                   &d, &e),
             &e);
    CHECK(d.n_accounts == 1);
    CHECK(d.accounts[0].chain_id == 1337);
    CHECK_STREQ(d.accounts[0].vm_id, DID "#key-1");
    CHECK_STREQ(d.also_known_as, "https://uni.example");
    struct addr20 a;
    CHECK_OK(addr20_from_hex(ADDR, &a, &e), &e);
    CHECK(did_doc_find(&d, 1337, &a) == 0);
    CHECK(did_doc_find(&d, 1, &a) == -1); /* another chain */
    a.b[19] ^= 1;
    CHECK(did_doc_find(&d, 1337, &a) == -1);
    /* no verificationMethod at all: a document, with no account */
    CHECK_OK(parse("{\"id\":\"" DID "\"}", &d, &e), &e);
    CHECK(d.n_accounts == 0 && d.also_known_as[0] == '\0');
}

/* The display name: a CredentialNotaryIssuer service, never alsoKnownAs
 * (DID Core: its items are URIs; the first URI is kept as a URI). */
TEST(did_doc_name_service)
{
    struct did_doc d;
    struct err e = {0};
    CHECK_OK(parse("{\"id\":\"" DID "\",\"alsoKnownAs\":[\"University of Test\",\"https://uni.example\"],"
                   "\"service\":[{\"id\":\"" DID "#lk\",\"type\":\"LinkedDomains\","
                   "\"serviceEndpoint\":\"https://uni.example\"},"
                   "{\"id\":\"" DID "#name\",\"type\":[\"X\",\"CredentialNotaryIssuer\"],"
                   "\"serviceEndpoint\":{\"name\":\"University of Test\"}}]}",
                   &d, &e),
             &e);
    CHECK_STREQ(d.name, "University of Test");
    CHECK_STREQ(d.also_known_as, "https://uni.example"); /* the plain name is no URI */
    CHECK_OK(parse("{\"id\":\"" DID "\",\"alsoKnownAs\":[\"University of Test\"]}", &d, &e), &e);
    CHECK(d.name[0] == '\0' && d.also_known_as[0] == '\0');
    /* our service, malformed: the document is invalid */
    const char *bad_endpoint = "{\"id\":\"" DID "\",\"service\":[{\"type\":\"CredentialNotaryIssuer\","
                               "\"serviceEndpoint\":\"University\"}]}";
    CHECK(parse(bad_endpoint, &d, &e) == E_INVALID && strstr(e.msg, "serviceEndpoint"));
    const char *no_name = "{\"id\":\"" DID "\",\"service\":[{\"type\":\"CredentialNotaryIssuer\","
                          "\"serviceEndpoint\":{}}]}";
    CHECK(parse(no_name, &d, &e) == E_INVALID && strstr(e.msg, "name is missing"));
    const char *ctl = "{\"id\":\"" DID "\",\"service\":[{\"type\":\"CredentialNotaryIssuer\","
                      "\"serviceEndpoint\":{\"name\":\"a\\nb\"}}]}";
    CHECK(parse(ctl, &d, &e) == E_INVALID && strstr(e.msg, "control"));
    const char *two = "{\"id\":\"" DID "\",\"service\":[{\"type\":\"CredentialNotaryIssuer\","
                      "\"serviceEndpoint\":{\"name\":\"A\"}},{\"type\":\"CredentialNotaryIssuer\","
                      "\"serviceEndpoint\":{\"name\":\"B\"}}]}";
    CHECK(parse(two, &d, &e) == E_INVALID && strstr(e.msg, "second"));
    const char *not_array = "{\"id\":\"" DID "\",\"service\":{}}";
    CHECK(parse(not_array, &d, &e) == E_INVALID && strstr(e.msg, "must be an array"));
}

TEST(did_doc_refuses)
{
    struct did_doc d;
    struct err e = {0};
#define VM(acct) "{\"id\":\"" DID "\",\"verificationMethod\":[{\"id\":\"" DID "#k\",\"type\":" \
                 "\"EcdsaSecp256k1RecoveryMethod2020\",\"blockchainAccountId\":\"" acct "\"}]}"
    struct {
        const char *doc, *why;
    } bad[] = {
        {"{\"id\":\"did:web:evil.example\"}", "not the DID"},
        {"{\"id\":\"did:web:uni.example \"}", "not the DID"},
        {"{}", "id is missing"},
        {"[1]", "must be an object"},
        {"{\"id\":\"" DID "\",\"id\":\"" DID "\"}", "duplicate"},
        {"{\"id\":\"" DID "\",\"verificationMethod\":{}}", "must be an array"},
        {"{\"id\":\"" DID "\",\"verificationMethod\":[1]}", "must be an object"},
        {"{\"id\":\"" DID "\",\"verificationMethod\":[{\"id\":\"x\"}]}", "type is missing"},
        {"{\"id\":\"" DID "\",\"alsoKnownAs\":\"x\"}", "must be an array"},
        {VM("eip155:1337:0x90F8bf6A479f320ead074411a4B0e7944Ea8c9c1"), "EIP-55"},
        {VM("eip155:1337:0x90f8bf6a479f320ead074411a4b0e7944ea8c9"), "40 hex"},
        {VM("eip155:1337:0x90f8bf6a479f320ead074411a4b0e7944ea8c9c1ff"), "40 hex"},
        {VM("eip155:01337:" ADDR), "leading zeros"},
        {VM("eip155:0:" ADDR), "leading zeros"},
        {VM("eip155::" ADDR), "chain id"},
        {VM("eip155:99999999999999999:" ADDR), "chain id"},
        {VM("bip122:000000000019d6689c085ae165831e93:" ADDR), "CAIP-10"},
        {VM(ADDR), "CAIP-10"},
        {"{\"id\":\"" DID "\",\"verificationMethod\":[{\"id\":\"" DID "#k\",\"type\":"
         "\"EcdsaSecp256k1RecoveryMethod2020\"}]}",
         "blockchainAccountId is missing"},
        {"{\"id\":\"" DID "\",\"x\":-0}", "without a sign"},
        {"{\"id\":\"" DID "\"", "DID document"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err_code rc = parse(bad[i].doc, &d, &e);
        t_case(rc == E_INVALID && strstr(e.msg, bad[i].why) && d.n_accounts == 0, bad[i].doc,
               "rc %d \"%s\"", rc, e.msg);
    }
    /* more than DID_MAX_METHODS entries */
    char big[8192] = "{\"id\":\"" DID "\",\"verificationMethod\":[";
    for (int i = 0; i <= DID_MAX_METHODS; i++)
        strcat(big, i ? ",{\"type\":\"x\"}" : "{\"type\":\"x\"}");
    strcat(big, "]}");
    CHECK_ERR(parse(big, &d, &e), &e, E_INVALID, "at most 32");
    /* over the size limit, before parsing */
    size_t n = DID_DOC_MAX_BYTES + 10;
    char *huge = malloc(n + 1);
    CHECK(huge);
    memset(huge, ' ', n);
    memcpy(huge, "{\"id\":\"" DID "\"}", strlen("{\"id\":\"" DID "\"}"));
    huge[n] = '\0';
    err_code rc = parse(huge, &d, &e);
    free(huge);
    CHECKF(rc == E_LIMIT, "oversize: %d %s", rc, e.msg);
}

TEST(trusted_list_takes_addresses_and_dids)
{
    static struct verify_trusted t;
    memset(&t, 0, sizeof t);
    struct err e = {0};
    CHECK_OK(verify_trusted_add(&t, ADDR, &e), &e);
    CHECK_OK(verify_trusted_add(&t, "did:web:uni.example%3A8443:x", &e), &e);
    CHECK(t.n_addrs == 1 && t.n_dids == 1);
    CHECK_ERR(verify_trusted_add(&t, "did:web:127.0.0.1", &e), &e, E_INVALID, "DNS name");
    CHECK_ERR(verify_trusted_add(&t, "did:key:zabc", &e), &e, E_INVALID, "not a did:web");
    CHECK_ERR(verify_trusted_add(&t, "did:ebsi:zabc", &e), &e, E_INVALID, "version byte 0x01");
    CHECK_ERR(verify_trusted_add(&t, "uni.example", &e), &e, E_INVALID, "or a did:ebsi DID");
    char path[512];
    snprintf(path, sizeof path, "%s/trusted.txt", t_tmpdir());
    FILE *f = fopen(path, "w");
    CHECK(f);
    fputs("# issuers\n" ADDR "\n  did:web:uni.example  # the university\n\ndid:web:x\n", f);
    fclose(f);
    memset(&t, 0, sizeof t);
    CHECK_OK(verify_trusted_read(path, &t, &e), &e);
    CHECK(t.n_addrs == 1 && t.n_dids == 2);
    CHECK_STREQ(t.dids[0], "did:web:uni.example");
    f = fopen(path, "w");
    CHECK(f);
    fputs(ADDR "\ndid:web:uni.example:..\n", f);
    fclose(f);
    memset(&t, 0, sizeof t);
    CHECK_ERR(verify_trusted_read(path, &t, &e), &e, E_INVALID, "line 2");
    f = fopen(path, "w");
    CHECK(f);
    fputs("# nothing\n", f);
    fclose(f);
    memset(&t, 0, sizeof t);
    CHECK_ERR(verify_trusted_read(path, &t, &e), &e, E_INVALID, "no issuers in");
    memset(&t, 0, sizeof t);
    for (int i = 0; i < VERIFY_MAX_DIDS; i++)
        CHECK_OK(verify_trusted_add(&t, "did:web:uni.example", &e), &e);
    CHECK_ERR(verify_trusted_add(&t, "did:web:uni.example", &e), &e, E_LIMIT, "trusted DIDs");
}
