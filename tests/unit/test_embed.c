/*
 * tests/unit/test_embed.c — core/embed: a credential carrying its proof
 * bundle (docs/proof-format.md §7) and the verifier link (§8).
 * - embed → split gives back the bundle and the plain credential's hash, for
 *   no proof, a Data Integrity proof object, and a proof array; the other
 *   proofs are kept in place;
 * - refused: a proof array of 0 or 1 entries, a second embedded entry, our
 *   type inside a type array, an entry that is not a bundle, an entry over
 *   the bundle limit, a credential over the credential limit, a raw or
 *   array credential, a bundle for another credential;
 * - the worked example of §7 (the JCS bytes and the hash) and base64url
 *   (RFC 4648 §10 vectors in the url alphabet).
 */
#include <stdlib.h>
#include <string.h>

#include "core/b64url.h"
#include "core/embed.h"
#include "core/hash.h"
#include "core/jcs.h"
#include "notary/issuance/qrcode.h"
#include "tests/harness.h"

/* The worked example of docs/proof-format.md §7. */
static const char EX_VC[] =
    "{\n"
    "  \"@context\": [\"https://www.w3.org/ns/credentials/v2\"],\n"
    "  \"type\": [\"VerifiableCredential\"],\n"
    "  \"issuer\": \"did:example:university\",\n"
    "  \"validFrom\": \"2025-09-01T00:00:00Z\",\n"
    "  \"credentialSubject\": {\"id\": \"did:example:alice\", \"degree\": \"BSc Physics\"}\n"
    "}\n";
static const char EX_VC_JCS[] =
    "{\"@context\":[\"https://www.w3.org/ns/credentials/v2\"],\"credentialSubject\":{\"degree\":"
    "\"BSc Physics\",\"id\":\"did:example:alice\"},\"issuer\":\"did:example:university\",\"type\":"
    "[\"VerifiableCredential\"],\"validFrom\":\"2025-09-01T00:00:00Z\"}";
static const char EX_VC_HASH[] = "aa7578311a3798d6c30fae2bfc8def168138c8a35f2bff3424777cff87f81abc";

/* A one-leaf batch for `doc`: root = SHA-256(0x00 || hash), empty path. */
static void bundle_for(const char *doc, struct bundle *b)
{
    struct err e = {0};
    memset(b, 0, sizeof *b);
    if (credential_hash((const uint8_t *)doc, strlen(doc), &b->credential.hashing,
                        &b->credential.hash, &e))
        abort();
    uint8_t leaf[33] = {0};
    memcpy(leaf + 1, b->credential.hash.b, 32);
    if (sha256(leaf, 33, &b->batch.root))
        abort();
    b->batch.kind = BUNDLE_KIND_ISSUANCE;
    b->batch.seq = 0;
    b->batch.size = 1;
    b->batch.closed_at = 1763769600;
    b->anchored = true;
    b->anchor.ledger = BUNDLE_LEDGER_EVM;
    b->anchor.chain_id = 1337;
    if (addr20_from_hex("0xe78a0f7e598cc8b0bb87894b0f60dd2a88d6a8ab", &b->anchor.contract, &e) ||
        addr20_from_hex("0x90f8bf6a479f320ead074411a4b0e7944ea8c9c1", &b->anchor.issuer, &e) ||
        hash32_from_hex("0x6f2f6c8a1b1d2c1f2b5e5a0e4c9a8b7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b",
                        &b->anchor.tx_hash, &e) ||
        hash32_from_hex("0x0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9",
                        &b->anchor.block_hash, &e))
        abort();
    b->anchor.block_number = 42;
    b->anchor.block_time = 1763769612;
}

static bool same_bundle(const struct bundle *x, const struct bundle *y)
{
    struct buf a = {0}, c = {0};
    struct err e = {0};
    bool ok = !bundle_write(x, &a, &e) && !bundle_write(y, &c, &e) && a.len == c.len &&
              memcmp(a.p, c.p, a.len) == 0;
    buf_free(&a);
    buf_free(&c);
    return ok;
}

static struct embed_split g_s; /* large: keep off the stack */

/* Embed a bundle into `doc`, split it back, and check the round trip; the
 * embedded text goes to *out (caller frees). */
static bool round_trip(const char *doc, struct buf *out)
{
    struct bundle b;
    struct err e = {0};
    bundle_for(doc, &b);
    if (embed_insert((const uint8_t *)doc, strlen(doc), &b, out, &e)) {
        t_fail(__FILE__, __LINE__, "embed_insert: %s", e.msg);
        return false;
    }
    if (embed_split(out->p, out->len, "t", &g_s, &e)) {
        t_fail(__FILE__, __LINE__, "embed_split: %s", e.msg);
        return false;
    }
    if (!g_s.found || g_s.hashing != CRED_HASH_JCS_SHA256 ||
        !hash32_eq(&g_s.hash, &b.credential.hash) || !same_bundle(&g_s.bundle, &b)) {
        t_fail(__FILE__, __LINE__, "round trip lost something for %s", doc);
        return false;
    }
    return true;
}

TEST(worked_example)
{
    struct buf canon = {0}, out = {0};
    struct err e = {0};
    CHECK_OK(jcs_canonicalize(EX_VC, strlen(EX_VC), CREDENTIAL_MAX_BYTES, &canon, &e), &e);
    CHECKF(canon.len == strlen(EX_VC_JCS) && memcmp(canon.p, EX_VC_JCS, canon.len) == 0,
           "JCS form: %s", (const char *)canon.p);
    struct hash32 h;
    enum credential_hashing how;
    CHECK_OK(credential_hash((const uint8_t *)EX_VC, strlen(EX_VC), &how, &h, &e), &e);
    char hex[65];
    hash32_to_hex(&h, hex);
    CHECKF(strcmp(hex, EX_VC_HASH) == 0, "hash %s", hex);
    bool ok = round_trip(EX_VC, &out);
    if (ok && getenv("EMBED_PRINT"))
        fwrite(out.p, 1, out.len, stdout);
    buf_free(&canon);
    buf_free(&out);
    CHECK(ok);
}

TEST(plain_credentials_hash_as_before)
{
    const char *docs[] = {"{\"a\": 1, \"proof\": {\"type\": \"DataIntegrityProof\"}}", "[1, 2]",
                          "not json at all", "{\"proof\": \"x\"}"};
    struct err e = {0};
    for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++) {
        struct hash32 h;
        enum credential_hashing how;
        CHECK_OK(credential_hash((const uint8_t *)docs[i], strlen(docs[i]), &how, &h, &e), &e);
        CHECK_OK(embed_split((const uint8_t *)docs[i], strlen(docs[i]), "t", &g_s, &e), &e);
        CHECKF(!g_s.found && g_s.hashing == how && hash32_eq(&g_s.hash, &h), "doc %zu", i);
    }
    /* The usual refusals still apply to the whole file. */
    const char dup[] = "{\"a\": 1, \"a\": 2}";
    CHECK_ERR(embed_split((const uint8_t *)dup, strlen(dup), "t", &g_s, &e), &e, E_INVALID,
              "duplicate");
}

TEST(no_proof_becomes_an_object_and_goes_again)
{
    struct buf out = {0};
    bool ok = round_trip("{\"id\": \"urn:x\", \"n\": 1.5}", &out);
    CHECK(ok);
    CHECKF(strstr((char *)out.p, "\"proof\": {\n    \"anchor\"") != NULL, "%s", (char *)out.p);
    buf_free(&out);
}

TEST(data_integrity_proof_object_is_kept)
{
    const char doc[] = "{\"id\": \"urn:x\", \"proof\": {\"type\": \"DataIntegrityProof\", "
                       "\"cryptosuite\": \"eddsa-rdfc-2022\", \"proofValue\": \"z58\"}}";
    struct buf out = {0};
    bool ok = round_trip(doc, &out);
    CHECK(ok);
    /* [DI, ours]: the DI proof first, untouched. */
    const char *p = strstr((char *)out.p, "\"proof\": [");
    const char *di = strstr((char *)out.p, "DataIntegrityProof");
    const char *ours = strstr((char *)out.p, "\"CredentialNotaryProof\"");
    CHECKF(p && di && ours && p < di && di < ours, "%s", (char *)out.p);
    buf_free(&out);
}

TEST(proof_array_keeps_order)
{
    const char doc[] = "{\"proof\": [{\"type\": \"DataIntegrityProof\", \"id\": \"urn:p1\"}, "
                       "{\"type\": \"DataIntegrityProof\", \"id\": \"urn:p2\"}]}";
    struct buf out = {0};
    bool ok = round_trip(doc, &out);
    CHECK(ok);
    const char *a = strstr((char *)out.p, "urn:p1"), *b = strstr((char *)out.p, "urn:p2");
    CHECK(a && b && a < b);
    /* The same entry in the middle of the array is found and stripped too. */
    struct err e = {0};
    struct bundle bb;
    bundle_for(doc, &bb);
    struct buf bt = {0};
    CHECK_OK(bundle_write(&bb, &bt, &e), &e);
    struct buf mid = {0};
    CHECK_OK(buf_printf(&mid, "{\"proof\": [{\"type\": \"DataIntegrityProof\", \"id\": "
                              "\"urn:p1\"}, %s, {\"type\": \"DataIntegrityProof\", \"id\": "
                              "\"urn:p2\"}]}",
                        (char *)bt.p),
             &e);
    CHECK_OK(embed_split(mid.p, mid.len, "t", &g_s, &e), &e);
    CHECK(g_s.found && hash32_eq(&g_s.hash, &bb.credential.hash));
    buf_free(&out);
    buf_free(&bt);
    buf_free(&mid);
}

TEST(refused_embeddings)
{
    struct err e = {0};
    struct buf out = {0};
    struct bundle b;
    const char *one = "{\"proof\": [{\"type\": \"DataIntegrityProof\"}]}";
    bundle_for(one, &b);
    CHECK_ERR(embed_insert((const uint8_t *)one, strlen(one), &b, &out, &e), &e, E_INVALID,
              "array of 1 entry");
    const char *none = "{\"proof\": []}";
    bundle_for(none, &b);
    CHECK_ERR(embed_insert((const uint8_t *)none, strlen(none), &b, &out, &e), &e, E_INVALID,
              "array of 0 entries");
    const char *str = "{\"proof\": \"jws\"}";
    bundle_for(str, &b);
    CHECK_ERR(embed_insert((const uint8_t *)str, strlen(str), &b, &out, &e), &e, E_INVALID,
              "a string");
    const char *raw = "a PDF, say";
    bundle_for(raw, &b);
    CHECK_ERR(embed_insert((const uint8_t *)raw, strlen(raw), &b, &out, &e), &e, E_INVALID,
              "only a JSON credential");
    const char *arr = "[{\"a\": 1}]";
    bundle_for(arr, &b);
    CHECK_ERR(embed_insert((const uint8_t *)arr, strlen(arr), &b, &out, &e), &e, E_INVALID,
              "JSON array");
    const char *other = "{\"a\": 2}";
    bundle_for("{\"a\": 1}", &b);
    CHECK_ERR(embed_insert((const uint8_t *)other, strlen(other), &b, &out, &e), &e, E_INVALID,
              "another credential");
    CHECK(out.len == 0);
    /* Embedding twice: the second time the document already carries one. */
    struct buf once = {0};
    CHECK(round_trip("{\"a\": 1}", &once));
    bundle_for("{\"a\": 1}", &b);
    /* its hash is not the plain one, so make a bundle for the embedded text */
    struct hash32 h;
    enum credential_hashing how;
    CHECK_OK(credential_hash(once.p, once.len, &how, &h, &e), &e);
    b.credential.hash = h;
    CHECK_ERR(embed_insert(once.p, once.len, &b, &out, &e), &e, E_INVALID, "already carries");
    buf_free(&once);
    buf_free(&out);
}

/* `doc` with %s replaced by the bundle of {"a": 1} (its JSON text). */
static bool split_fails(const char *fmt, err_code want, const char *substr)
{
    struct bundle b;
    struct err e = {0};
    struct buf bt = {0}, doc = {0};
    bundle_for("{\"a\": 1}", &b);
    bool ok = !bundle_write(&b, &bt, &e) && !buf_printf(&doc, fmt, (char *)bt.p, (char *)bt.p);
    err_code rc = ok ? embed_split(doc.p, doc.len, "t", &g_s, &e) : E_NOMEM;
    ok = ok && rc == want && strstr(e.msg, substr) && !g_s.found;
    if (!ok)
        t_fail(__FILE__, __LINE__, "%s: got %s \"%s\"", fmt, err_name(rc), e.msg);
    buf_free(&bt);
    buf_free(&doc);
    return ok;
}

TEST(refused_splits)
{
    CHECK(split_fails("{\"a\": 1, \"proof\": [%s, %s]}", E_INVALID, "more than one"));
    CHECK(split_fails("{\"a\": 1, \"proof\": [{\"type\": \"X\"}, %s, %s]}", E_INVALID,
                      "entries 1 and 2"));
    CHECK(split_fails("{\"a\": 1, \"proof\": {\"type\": [\"CredentialNotaryProof\"]}}", E_INVALID,
                      "type array"));
    CHECK(split_fails("{\"a\": 1, \"proof\": {\"type\": \"CredentialNotaryProof\", "
                      "\"version\": 1}}",
                      E_INVALID, "embedded proof"));
    CHECK(split_fails("{\"a\": 1, \"proof\": {\"type\": \"CredentialNotaryProof\", "
                      "\"version\": 2}}",
                      E_UNSUPPORTED, "not supported"));
}

TEST(size_limits)
{
    struct err e = {0};
    /* An entry over the bundle limit, inside a credential under its own. */
    size_t n = BUNDLE_MAX_BYTES + 10;
    char *big = malloc(n + 100);
    CHECK(big);
    int k = snprintf(big, 100, "{\"proof\": {\"type\": \"CredentialNotaryProof\", \"x\": \"");
    memset(big + k, 'a', n);
    strcpy(big + k + n, "\"}}");
    err_code rc = embed_split((const uint8_t *)big, strlen(big), "t", &g_s, &e);
    free(big);
    CHECKF(rc == E_LIMIT && strstr(e.msg, "bundle limit"), "%s: %s", err_name(rc), e.msg);
    /* A credential over the credential limit. */
    n = CREDENTIAL_MAX_BYTES + 1;
    uint8_t *huge = calloc(1, n);
    CHECK(huge);
    huge[0] = '{';
    rc = embed_split(huge, n, "t", &g_s, &e);
    free(huge);
    CHECK(rc == E_LIMIT);
}

TEST(tampered_embedded_credential_hashes_differently)
{
    struct buf out = {0};
    CHECK(round_trip(EX_VC, &out));
    char *p = strstr((char *)out.p, "BSc Physics");
    CHECK(p);
    p[4] = 'M'; /* BSc -> BSc Mhysics */
    struct err e = {0};
    CHECK_OK(embed_split(out.p, out.len, "t", &g_s, &e), &e);
    CHECK(g_s.found && !hash32_eq(&g_s.hash, &g_s.bundle.credential.hash));
    buf_free(&out);
}

TEST(base64url_vectors)
{
    static const char *const in[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar", "\xfb\xff"};
    static const char *const want[] = {"", "Zg", "Zm8", "Zm9v", "Zm9vYg", "Zm9vYmE", "Zm9vYmFy",
                                       "-_8"};
    for (size_t i = 0; i < sizeof in / sizeof in[0]; i++) {
        struct buf b = {0};
        struct err e = {0};
        CHECK_OK(buf_append_str(&b, "x"), &e);
        CHECK_OK(b64url_encode((const uint8_t *)in[i], strlen(in[i]), &b, &e), &e);
        CHECKF(strcmp((char *)b.p + 1, want[i]) == 0, "%s -> %s", in[i], (char *)b.p + 1);
        buf_free(&b);
    }
}

TEST(link)
{
    struct bundle b;
    struct err e = {0};
    struct buf out = {0};
    bundle_for(EX_VC, &b);
    const char *bad[] = {"", "ftp://x/", "https://x/#y", "https://x y/", "https://x/\xc3\xa9",
                         "javascript:alert(1)"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err_code rc = embed_link(bad[i], &b, &out, &e);
        CHECKF(rc == E_INVALID && out.len == 0, "accepted base %s", bad[i]);
    }
    CHECK_OK(embed_link("https://verify.example/v/", &b, &out, &e), &e);
    const char *pre = "https://verify.example/v/#bundle=";
    CHECK(strncmp((char *)out.p, pre, strlen(pre)) == 0);
    CHECK(strlen((char *)out.p) == out.len);
    /* The fragment is the base64url of the bundle's JCS form. */
    struct buf text = {0}, canon = {0}, enc = {0};
    CHECK_OK(bundle_write(&b, &text, &e), &e);
    CHECK_OK(jcs_canonicalize((char *)text.p, text.len, BUNDLE_MAX_BYTES, &canon, &e), &e);
    CHECK_OK(b64url_encode(canon.p, canon.len, &enc, &e), &e);
    CHECK(strcmp((char *)out.p + strlen(pre), (char *)enc.p) == 0);
    buf_free(&out);
    buf_free(&text);
    buf_free(&canon);
    buf_free(&enc);
}

/* The link of a bundle from a batch of 2^20 credentials (20 path hashes)
 * behind a typical page URL fits a QR code (docs/proof-format.md §8). */
TEST(link_of_a_million_batch_fits_a_qr_code)
{
    struct bundle b;
    struct err e = {0};
    bundle_for(EX_VC, &b);
    b.batch.size = (uint64_t)1 << 20;
    b.batch.seq = 123456;
    b.inclusion.leaf_index = 987654;
    b.inclusion.path_len = 20;
    for (size_t i = 0; i < 20; i++)
        memset(b.inclusion.path[i].b, (int)(0x11 * (i + 1)), 32);
    b.anchor.block_number = 45000000;
    b.anchor.chain_id = 11155111;
    struct buf url = {0};
    CHECK_OK(embed_link("https://verify.example-university.org/verify", &b, &url, &e), &e);
    CHECKF(url.len < QR_MAX_BYTES, "link of %zu bytes", url.len);
    char path[512];
    snprintf(path, sizeof path, "%s/million.png", t_tmpdir());
    struct qr_info qi;
    CHECK_OK(qr_write_file((const char *)url.p, path, &qi, &e), &e);
    if (getenv("EMBED_PRINT"))
        printf("link %zu bytes: QR version %d level %c\n", url.len, qi.version, qi.level);
    CHECK(qi.level == 'M' || qi.level == 'L');
    /* Over the limit: refused, nothing written. */
    char big[QR_MAX_BYTES + 2];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = 0;
    snprintf(path, sizeof path, "%s/big.svg", t_tmpdir());
    CHECK_ERR(qr_write_file(big, path, &qi, &e), &e, E_LIMIT, "more than a QR code holds");
    CHECK_ERR(qr_write_file("x", "code.gif", &qi, &e), &e, E_INVALID, ".png or .svg");
    buf_free(&url);
}
