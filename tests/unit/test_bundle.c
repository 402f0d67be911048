/*
 * tests/unit/test_bundle.c — proof bundle version 1 (core/bundle.h) and the
 * offline verifier (verifier/verify.h).
 *
 * - The worked example of docs/proof-format.md: every hash is recomputed
 *   here and must equal the literal below, every literal must appear in the
 *   document, and the document's example bundle must be byte for byte what
 *   bundle_write() produces and must verify. The document cannot drift.
 * - Round trips (anchored, pending, many tree shapes; file write/read).
 * - One counted case per rejection: a good bundle with one mutation each
 *   (missing field, wrong type, bad hex, bad number, bad time, ...), plus
 *   the raw-text cases (duplicate key, depth 65, > 1 MB).
 * - The verifier's checks and status rules, including the DESIGN pitfalls
 *   that an offline verifier can detect (credential B with A's proof,
 *   tampered root, swapped path, other index, interior node as a leaf).
 */
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "core/bundle.h"
#include "core/bytes.h"
#include "core/fileio.h"
#include "core/hash.h"
#include "core/merkle.h"
#include "tests/fixtures.h"
#include "tests/harness.h"
#include "verifier/verify.h"

/* ---- the worked example (docs/proof-format.md) ----------------------------- */

/* SHA-256("credential-0"), ...: the credential hashes ("sha256": raw bytes). */
static const char *const EX_CRED[3] = {
    "d1fafa3685e99dca75ea6952f12903e49c83a6c1c4e6a63895ee316860e26164",
    "25c4cf0ea3186c73f8cfb9ef48ebea06efc504eaf8519fcc07bb7264ebb7c491",
    "2e4caab8d5b9e8f2a4f9df7f6a4e3b26cdebb7c88b8e03481a307c6d09d4beed",
};
/* SHA-256(0x00 || credential hash). */
static const char *const EX_LEAF[3] = {
    "5dbe413bd7136cbf72672a4afdcc708e5371aa61cb15aa351979ab1563830159",
    "bdeca87c227f9c6fee8cb46793e48df6e8a9ce01d9fb4e25f112a9379c4d7751",
    "bd6a6c387cf8246e01a203c98e40c8b1ed2ddfd382799cfee5388e500eebf8f2",
};
/* SHA-256(0x01 || leaf0 || leaf1). */
static const char EX_NODE01[] = "7719fc7dbeffc7da860a94feafbcc30df2c81a2204a94d53861be526b82b838b";
/* SHA-256(0x01 || node01 || leaf2). */
static const char EX_ROOT[] = "93d22e1d13f1ee82f48d3e36eea8343279e47c15c89ff1fabea6e3a9f0a6373a";
/* The anchor values are illustrative (a ganache deterministic account and
 * its first contract); the ledger is never consulted offline. */
static const char EX_CONTRACT[] = "0xe78a0f7e598cc8b0bb87894b0f60dd2a88d6a8ab";
static const char EX_ISSUER[] = "0x90f8bf6a479f320ead074411a4b0e7944ea8c9c1";
static const char EX_TX[] = "0x6f2f6c8a1b1d2c1f2b5e5a0e4c9a8b7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b";
static const char EX_BLOCK[] = "0x0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9";
/* §5 of the document: topic0 of the registry's Anchored event. */
static const char EX_TOPIC0[] = "0x44073773c3302df727dabefe604d8b96c27a2615d89d0f9f7a83f923285ed1f1";

/* The bundle for credential-2 exactly as docs/proof-format.md shows it. */
static const char EX_BUNDLE[] =
    "{\n"
    "  \"type\": \"CredentialNotaryProof\",\n"
    "  \"version\": 1,\n"
    "  \"credential\": {\n"
    "    \"hash\": \"2e4caab8d5b9e8f2a4f9df7f6a4e3b26cdebb7c88b8e03481a307c6d09d4beed\",\n"
    "    \"hashing\": \"sha256\"\n"
    "  },\n"
    "  \"batch\": {\n"
    "    \"kind\": \"issuance\",\n"
    "    \"seq\": 17,\n"
    "    \"size\": 3,\n"
    "    \"root\": \"93d22e1d13f1ee82f48d3e36eea8343279e47c15c89ff1fabea6e3a9f0a6373a\",\n"
    "    \"closedAt\": \"2025-11-22T00:00:00Z\"\n"
    "  },\n"
    "  \"inclusion\": {\n"
    "    \"leafIndex\": 2,\n"
    "    \"path\": [\n"
    "      \"7719fc7dbeffc7da860a94feafbcc30df2c81a2204a94d53861be526b82b838b\"\n"
    "    ]\n"
    "  },\n"
    "  \"anchor\": {\n"
    "    \"ledger\": \"evm\",\n"
    "    \"chainId\": 1337,\n"
    "    \"contract\": \"0xe78a0f7e598cc8b0bb87894b0f60dd2a88d6a8ab\",\n"
    "    \"issuer\": \"0x90f8bf6a479f320ead074411a4b0e7944ea8c9c1\",\n"
    "    \"txHash\": \"0x6f2f6c8a1b1d2c1f2b5e5a0e4c9a8b7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b\",\n"
    "    \"blockNumber\": 42,\n"
    "    \"blockHash\": \"0x0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9\",\n"
    "    \"blockTime\": 1763769612\n"
    "  }\n"
    "}\n";

static struct hash32 H(const char *hex)
{
    struct hash32 h;
    if (hash32_from_hex(hex, &h, NULL))
        abort();
    return h;
}

static struct addr20 A(const char *hex)
{
    struct addr20 a;
    if (addr20_from_hex(hex, &a, NULL))
        abort();
    return a;
}

/* The example bundle built in code. */
static void example_bundle(struct bundle *b)
{
    memset(b, 0, sizeof *b);
    b->credential.hash = H(EX_CRED[2]);
    b->credential.hashing = CRED_HASH_SHA256;
    b->batch.kind = BUNDLE_KIND_ISSUANCE;
    b->batch.seq = 17;
    b->batch.size = 3;
    b->batch.root = H(EX_ROOT);
    b->batch.closed_at = 1763769600; /* 2025-11-22T00:00:00Z */
    b->inclusion.leaf_index = 2;
    b->inclusion.path_len = 1;
    b->inclusion.path[0] = H(EX_NODE01);
    b->anchored = true;
    b->anchor.ledger = BUNDLE_LEDGER_EVM;
    b->anchor.chain_id = 1337;
    b->anchor.contract = A(EX_CONTRACT);
    b->anchor.issuer = A(EX_ISSUER);
    b->anchor.tx_hash = H(EX_TX);
    b->anchor.block_number = 42;
    b->anchor.block_hash = H(EX_BLOCK);
    b->anchor.block_time = 1763769612;
}

static bool bundle_eq(const struct bundle *x, const struct bundle *y)
{
    if (!hash32_eq(&x->credential.hash, &y->credential.hash) ||
        x->credential.hashing != y->credential.hashing || x->batch.kind != y->batch.kind ||
        x->batch.seq != y->batch.seq || x->batch.size != y->batch.size ||
        !hash32_eq(&x->batch.root, &y->batch.root) || x->batch.closed_at != y->batch.closed_at ||
        x->inclusion.leaf_index != y->inclusion.leaf_index ||
        x->inclusion.path_len != y->inclusion.path_len || x->anchored != y->anchored)
        return false;
    for (size_t i = 0; i < x->inclusion.path_len; i++)
        if (!hash32_eq(&x->inclusion.path[i], &y->inclusion.path[i]))
            return false;
    if (!x->anchored)
        return true;
    const struct bundle_anchor *a = &x->anchor, *b = &y->anchor;
    return a->ledger == b->ledger && a->chain_id == b->chain_id &&
           addr20_eq(&a->contract, &b->contract) && addr20_eq(&a->issuer, &b->issuer) &&
           hash32_eq(&a->tx_hash, &b->tx_hash) && a->block_number == b->block_number &&
           hash32_eq(&a->block_hash, &b->block_hash) && a->block_time == b->block_time;
}

TEST(worked_example_hashes)
{
    struct hash32 cred[3], leaf[3], node, root;
    char hex[65];
    for (int i = 0; i < 3; i++) {
        char in[16];
        int n = snprintf(in, sizeof in, "credential-%d", i);
        CHECK(sha256(in, (size_t)n, &cred[i]) == E_OK);
        hash32_to_hex(&cred[i], hex);
        CHECK_STREQ(hex, EX_CRED[i]);
        /* the credential rule gives the same: not JSON → SHA-256 of the bytes */
        enum credential_hashing how;
        struct hash32 viarule;
        struct err e = {0};
        CHECK_OK(credential_hash((const uint8_t *)in, (size_t)n, &how, &viarule, &e), &e);
        CHECK(how == CRED_HASH_SHA256 && hash32_eq(&viarule, &cred[i]));
        merkle_leaf_hash(&cred[i], &leaf[i]);
        hash32_to_hex(&leaf[i], hex);
        CHECK_STREQ(hex, EX_LEAF[i]);
    }
    merkle_node_hash(&leaf[0], &leaf[1], &node);
    hash32_to_hex(&node, hex);
    CHECK_STREQ(hex, EX_NODE01);
    merkle_node_hash(&node, &leaf[2], &root);
    hash32_to_hex(&root, hex);
    CHECK_STREQ(hex, EX_ROOT);

    /* The tree code agrees, and its audit path for index 2 is [node01]. */
    struct merkle_tree *t = NULL;
    struct err e = {0};
    CHECK_OK(merkle_tree_build(cred, 3, NULL, &t, &e), &e);
    struct hash32 troot, path[MERKLE_MAX_PATH];
    size_t n = 0;
    merkle_tree_root(t, &troot);
    err_code rc = merkle_tree_inclusion_proof(t, 2, 3, path, &n, &e);
    merkle_tree_free(t);
    CHECK_OK(rc, &e);
    CHECK(hash32_eq(&troot, &root));
    CHECK(n == 1 && hash32_eq(&path[0], &node));
}

TEST(worked_example_bundle_text)
{
    struct bundle b, p;
    struct buf out = {0};
    struct err e = {0};
    example_bundle(&b);
    CHECK_OK(bundle_write(&b, &out, &e), &e);
    CHECK_STREQ((char *)out.p, EX_BUNDLE);
    buf_free(&out);
    CHECK_OK(bundle_parse(EX_BUNDLE, strlen(EX_BUNDLE), "example", &p, &e), &e);
    CHECK(bundle_eq(&b, &p));
}

/* The document shows the same numbers and the same bundle, so a change to
 * either the code or the document without the other fails here. */
TEST(worked_example_matches_the_document)
{
    struct buf doc = {0};
    struct err e = {0};
    CHECK_OK(file_read_all("docs/proof-format.md", 1 << 20, &doc, &e), &e);
    const char *d = (const char *)doc.p;
    const char *lits[] = {EX_CRED[0], EX_CRED[1], EX_CRED[2], EX_LEAF[0], EX_LEAF[1],
                          EX_LEAF[2], EX_NODE01,  EX_ROOT,    EX_CONTRACT, EX_ISSUER,
                          EX_TX,      EX_BLOCK,   EX_TOPIC0};
    bool ok = true;
    for (size_t i = 0; i < sizeof lits / sizeof lits[0]; i++) {
        bool found = strstr(d, lits[i]) != NULL;
        t_case(found, lits[i], "not in docs/proof-format.md");
        ok &= found;
    }
    /* The example bundle sits between two marker lines inside a ```json fence. */
    const char *begin = strstr(d, "<!-- example-bundle:begin -->\n```json\n");
    const char *end = begin ? strstr(begin, "```\n<!-- example-bundle:end -->") : NULL;
    if (!begin || !end) {
        buf_free(&doc);
        CHECKF(false, "example-bundle markers not found in docs/proof-format.md");
    }
    begin += strlen("<!-- example-bundle:begin -->\n```json\n");
    bool same = (size_t)(end - begin) == strlen(EX_BUNDLE) &&
                memcmp(begin, EX_BUNDLE, strlen(EX_BUNDLE)) == 0;
    /* and it verifies, offline, for the bytes "credential-2" */
    struct bundle b;
    err_code rc = bundle_parse(begin, (size_t)(end - begin), "doc example", &b, &e);
    buf_free(&doc);
    CHECK(ok);
    CHECKF(same, "the example bundle in docs/proof-format.md differs from EX_BUNDLE");
    CHECK_OK(rc, &e);
    struct verify_subject s;
    enum credential_hashing how;
    CHECK_OK(credential_hash((const uint8_t *)"credential-2", 12, &how, &s.hash, &e), &e);
    s.hashing = how;
    static struct verify_result r;
    verify_result_init(&r);
    verify_offline(&b, &s, &r);
    CHECK(r.status == VERIFY_VALID);
}

/* PATHLEN of docs/proof-format.md §3.3, by its recursive definition. */
static int doc_pathlen(uint64_t m, uint64_t n)
{
    if (n == 1)
        return 0;
    uint64_t k = 1;
    while (k * 2 < n)
        k *= 2;
    return 1 + (m < k ? doc_pathlen(m, k) : doc_pathlen(m - k, n - k));
}

TEST(document_pathlen_and_topic)
{
    for (uint64_t n = 1; n <= 300; n++)
        for (uint64_t m = 0; m < n; m++)
            CHECKF(doc_pathlen(m, n) == merkle_path_length(m, n), "PATHLEN(%" PRIu64 ", %" PRIu64
                   ") = %d, merkle_path_length says %d", m, n, doc_pathlen(m, n),
                   merkle_path_length(m, n));
    CHECK(doc_pathlen(2, 3) == 1 && doc_pathlen(0, 3) == 2 && doc_pathlen(12, 1000) == 10);
    static const char sig[] = "Anchored(address,bytes32,uint64,uint64,uint8)";
    struct hash32 t;
    char hex[67];
    keccak256(sig, strlen(sig), &t);
    hash32_to_hex0x(&t, hex);
    CHECK_STREQ(hex, EX_TOPIC0);
}

/* ---- round trips ------------------------------------------------------------ */

/* The bundle as jansson prints it (the writer's former implementation): the
 * oracle that bundle_write's own emitter must match byte for byte, indented
 * (bundle_write) and compact (bundle_write_line). Caller frees. */
static char *jansson_text(const struct bundle *b, size_t flags)
{
    char hash[65], root[65], closed[21], h[65];
    hash32_to_hex(&b->credential.hash, hash);
    hash32_to_hex(&b->batch.root, root);
    if (bundle_time_format(b->batch.closed_at, closed, NULL))
        return NULL;
    json_t *path = json_array();
    for (size_t i = 0; i < b->inclusion.path_len; i++) {
        hash32_to_hex(&b->inclusion.path[i], h);
        json_array_append_new(path, json_string(h));
    }
    json_t *doc = json_pack("{s:s, s:i, s:{s:s, s:s}, s:{s:s, s:I, s:I, s:s, s:s}, s:{s:I, s:o}}",
                            "type", BUNDLE_TYPE, "version", BUNDLE_VERSION, "credential", "hash",
                            hash, "hashing", credential_hashing_name(b->credential.hashing),
                            "batch", "kind", bundle_kind_name(b->batch.kind), "seq",
                            (json_int_t)b->batch.seq, "size", (json_int_t)b->batch.size, "root",
                            root, "closedAt", closed, "inclusion", "leafIndex",
                            (json_int_t)b->inclusion.leaf_index, "path", path);
    if (b->anchored) {
        const struct bundle_anchor *a = &b->anchor;
        char contract[43], issuer[43], tx[67], block[67];
        addr20_to_hex(&a->contract, contract);
        addr20_to_hex(&a->issuer, issuer);
        hash32_to_hex0x(&a->tx_hash, tx);
        hash32_to_hex0x(&a->block_hash, block);
        json_object_set_new(doc, "anchor",
                            json_pack("{s:s, s:I, s:s, s:s, s:s, s:I, s:s, s:I}", "ledger",
                                      bundle_ledger_name(a->ledger), "chainId",
                                      (json_int_t)a->chain_id, "contract", contract, "issuer",
                                      issuer, "txHash", tx, "blockNumber",
                                      (json_int_t)a->block_number, "blockHash", block,
                                      "blockTime", (json_int_t)a->block_time));
    }
    char *text = json_dumps(doc, flags | JSON_PRESERVE_ORDER);
    json_decref(doc);
    return text;
}

/* bundle_write and bundle_write_line against the jansson oracle; the line
 * parses back to the same bundle. */
static bool writers_match_oracle(const struct bundle *b)
{
    struct buf pretty = {0}, line = {0};
    struct err e = {0};
    char *want = jansson_text(b, JSON_INDENT(2)), *want_line = jansson_text(b, JSON_COMPACT);
    struct bundle back;
    bool ok = want && want_line && !bundle_write(b, &pretty, &e) &&
              !bundle_write_line(b, &line, &e) && pretty.len == strlen(want) + 1 &&
              memcmp(pretty.p, want, pretty.len - 1) == 0 && line.len == strlen(want_line) + 1 &&
              memcmp(line.p, want_line, line.len - 1) == 0 && line.p[line.len - 1] == '\n' &&
              !memchr(line.p, '\n', line.len - 1) &&
              !bundle_parse((char *)line.p, line.len, "line", &back, &e) && bundle_eq(b, &back);
    free(want);
    free(want_line);
    buf_free(&pretty);
    buf_free(&line);
    return ok;
}

TEST(roundtrip_every_shape)
{
    enum { N = 70 };
    struct hash32 d[N];
    t_det_entries(d, N, 3);
    struct err e = {0};
    for (uint64_t size = 1; size <= N; size++) {
        struct merkle_tree *t = NULL;
        CHECK_OK(merkle_tree_build(d, size, NULL, &t, &e), &e);
        for (uint64_t i = 0; i < size; i++) {
            struct bundle b, p, q;
            memset(&b, 0, sizeof b);
            b.credential.hash = d[i];
            b.credential.hashing = (enum credential_hashing)(i % 3);
            b.batch.seq = size * 1000 + i;
            b.batch.size = size;
            merkle_tree_root(t, &b.batch.root);
            b.batch.closed_at = (int64_t)(size * 86399 + i * 7);
            b.inclusion.leaf_index = i;
            if (merkle_tree_inclusion_proof(t, i, size, b.inclusion.path, &b.inclusion.path_len,
                                            &e)) {
                merkle_tree_free(t);
                CHECKF(false, "proof: %s", e.msg);
            }
            b.anchored = i % 2;
            if (b.anchored) {
                b.anchor.ledger = (enum bundle_ledger)(i % 4 == 1);
                b.anchor.chain_id = 1 + i;
                b.anchor.contract.b[0] = (uint8_t)i;
                b.anchor.issuer.b[19] = (uint8_t)size;
                b.anchor.tx_hash = d[(i + 1) % size];
                b.anchor.block_number = i * size;
                b.anchor.block_hash = d[(i + 2) % size];
                b.anchor.block_time = (uint64_t)b.batch.closed_at + 5;
            }
            struct buf t1 = {0}, t2 = {0};
            err_code rc = bundle_write(&b, &t1, &e);
            if (!rc)
                rc = bundle_parse((char *)t1.p, t1.len, "rt", &p, &e);
            if (!rc)
                rc = bundle_write(&p, &t2, &e);
            if (!rc)
                rc = bundle_parse((char *)t2.p, t2.len, "rt", &q, &e);
            bool same = !rc && bundle_eq(&b, &p) && bundle_eq(&b, &q) && t1.len == t2.len &&
                        memcmp(t1.p, t2.p, t1.len) == 0 && writers_match_oracle(&b);
            /* and the verifier accepts every one of them */
            static struct verify_result r;
            verify_result_init(&r);
            struct verify_subject s = {d[i], b.credential.hashing};
            if (!rc)
                verify_offline(&p, &s, &r);
            bool valid = !rc && r.status == (b.anchored ? VERIFY_VALID : VERIFY_UNKNOWN);
            buf_free(&t1);
            buf_free(&t2);
            if (rc || !same || !valid) {
                merkle_tree_free(t);
                CHECKF(false, "index %" PRIu64 " size %" PRIu64 ": rc %s (%s) same %d valid %d",
                       i, size, err_name(rc), e.msg, same, valid);
            }
        }
        merkle_tree_free(t);
    }
}

TEST(pending_bundle_roundtrip_has_no_anchor)
{
    struct bundle b, p;
    struct buf out = {0};
    struct err e = {0};
    example_bundle(&b);
    b.anchored = false;
    memset(&b.anchor, 0, sizeof b.anchor);
    CHECK_OK(bundle_write(&b, &out, &e), &e);
    bool no_anchor = strstr((char *)out.p, "anchor") == NULL;
    err_code rc = bundle_parse((char *)out.p, out.len, "pending", &p, &e);
    buf_free(&out);
    CHECK(no_anchor);
    CHECK_OK(rc, &e);
    CHECK(!p.anchored && bundle_eq(&b, &p));
}

TEST(file_write_and_read)
{
    struct bundle b, p;
    struct err e = {0};
    char path[512];
    example_bundle(&b);
    snprintf(path, sizeof path, "%s/bundle.json", t_tmpdir());
    CHECK_OK(bundle_write_file(&b, path, &e), &e);
    CHECK_OK(bundle_read_file(path, &p, &e), &e);
    CHECK(bundle_eq(&b, &p));
    snprintf(path, sizeof path, "%s/does-not-exist.json", t_tmpdir());
    CHECK_ERR(bundle_read_file(path, &p, &e), &e, E_NOT_FOUND, "does-not-exist.json");
}

TEST(writer_refuses_what_the_parser_rejects)
{
    struct bundle b;
    struct buf out = {0};
    struct err e = {0};
    example_bundle(&b);
    b.inclusion.leaf_index = 3;
    CHECK_ERR(bundle_write(&b, &out, &e), &e, E_INVALID, "not below batch.size 3");
    example_bundle(&b);
    b.inclusion.path_len = 2;
    CHECK_ERR(bundle_write(&b, &out, &e), &e, E_INVALID,
              "inclusion.path has 2 hashes but index 2 in a tree of 3 needs 1");
    example_bundle(&b);
    b.batch.size = 0;
    CHECK_ERR(bundle_write(&b, &out, &e), &e, E_INVALID, "batch.size");
    example_bundle(&b);
    b.batch.seq = BUNDLE_MAX_UINT + 1;
    CHECK_ERR(bundle_write(&b, &out, &e), &e, E_INVALID, "batch.seq");
    example_bundle(&b);
    b.anchor.chain_id = 0;
    CHECK_ERR(bundle_write(&b, &out, &e), &e, E_INVALID, "anchor.chainId");
    example_bundle(&b);
    b.batch.closed_at = -1;
    CHECK_ERR(bundle_write(&b, &out, &e), &e, E_INVALID, "closedAt");
    example_bundle(&b);
    b.credential.hashing = (enum credential_hashing)7;
    CHECK_ERR(bundle_write(&b, &out, &e), &e, E_INVALID, "credential.hashing");
    example_bundle(&b);
    b.anchor.block_time = BUNDLE_MAX_UINT + 1;
    CHECK_ERR(bundle_write(&b, &out, &e), &e, E_INVALID, "anchor.blockTime");
    CHECK(out.len == 0);
}

/* ---- rejections: one mutation of a good bundle per case ----------------------- */

/* Set (or with v == NULL delete) the member at dotted `path` of the example
 * bundle; "inclusion.path" with `idx` ≥ 0 addresses an element. Returns
 * compact JSON text (free()) or NULL. Takes the reference to `v`. */
static char *mutate(const char *path, int idx, json_t *v)
{
    json_t *doc = json_loads(EX_BUNDLE, 0, NULL);
    char p[64];
    snprintf(p, sizeof p, "%s", path);
    json_t *obj = doc;
    char *key = p, *dot;
    while ((dot = strchr(key, '.'))) {
        *dot = '\0';
        obj = json_object_get(obj, key);
        key = dot + 1;
    }
    if (idx >= 0) {
        json_t *arr = json_object_get(obj, key);
        if (v && (size_t)idx >= json_array_size(arr))
            json_array_append_new(arr, v);
        else if (v)
            json_array_set_new(arr, (size_t)idx, v);
        else
            json_array_remove(arr, (size_t)idx);
    } else if (v)
        json_object_set_new(obj, key, v);
    else
        json_object_del(obj, key);
    char *text = json_dumps(doc, JSON_PRESERVE_ORDER);
    json_decref(doc);
    return text;
}

static void expect_reject(const char *name, const char *text, size_t len, err_code code,
                          const char *substr)
{
    struct bundle b;
    struct err e = {0};
    if (!text) {
        t_case(false, name, "could not build the input");
        return;
    }
    err_code rc = bundle_parse(text, len, "bundle.json", &b, &e);
    bool zeroed = true;
    for (size_t i = 0; i < sizeof b; i++)
        zeroed &= ((const uint8_t *)&b)[i] == 0;
    t_case(rc == code && strstr(e.msg, substr) && zeroed, name,
           "got %s \"%s\", want %s containing \"%s\"%s", err_name(rc), e.msg, err_name(code),
           substr, zeroed ? "" : " (output not zeroed)");
}

static void reject_mut(const char *name, const char *path, int idx, json_t *v, err_code code,
                       const char *substr)
{
    char *text = mutate(path, idx, v);
    expect_reject(name, text, text ? strlen(text) : 0, code, substr);
    free(text);
}

#define HEX64(c) c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c \
                 c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c

/* A JSON string of `prefix` + `n` copies of `c`, with `put` at digit
 * position `pos` (pos < 0: none). */
static json_t *jhex(const char *prefix, char c, size_t n, int pos, char put)
{
    char s[160];
    size_t p = strlen(prefix);
    memcpy(s, prefix, p);
    memset(s + p, c, n);
    if (pos >= 0)
        s[p + (size_t)pos] = put;
    s[p + n] = '\0';
    return json_string(s);
}

TEST(rejects_missing_fields)
{
    static const char *const fields[] = {
        "type",          "version",          "credential",        "batch",
        "inclusion",     "credential.hash",  "credential.hashing", "batch.kind",
        "batch.seq",     "batch.size",       "batch.root",        "batch.closedAt",
        "inclusion.leafIndex", "inclusion.path", "anchor.ledger",  "anchor.chainId",
        "anchor.contract", "anchor.issuer",  "anchor.txHash",     "anchor.blockNumber",
        "anchor.blockHash", "anchor.blockTime",
    };
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        char want[64], name[80];
        snprintf(want, sizeof want, "%s is missing", fields[i]);
        snprintf(name, sizeof name, "missing %s", fields[i]);
        reject_mut(name, fields[i], -1, NULL, E_INVALID, want);
    }
}

TEST(rejects_unknown_fields)
{
    reject_mut("unknown top-level field", "signature", -1, json_string("x"), E_INVALID,
               "unknown field \"signature\" at the top level");
    reject_mut("unknown credential field", "credential.salt", -1, json_string("x"), E_INVALID,
               "unknown field \"salt\" in credential");
    reject_mut("unknown batch field", "batch.issuer", -1, json_string("x"), E_INVALID,
               "unknown field \"issuer\" in batch");
    reject_mut("unknown inclusion field", "inclusion.treeSize", -1, json_integer(3), E_INVALID,
               "unknown field \"treeSize\" in inclusion");
    reject_mut("unknown anchor field", "anchor.confirmations", -1, json_integer(12), E_INVALID,
               "unknown field \"confirmations\" in anchor");
    reject_mut("unknown field, case differs", "batch.Seq", -1, json_integer(17), E_INVALID,
               "unknown field \"Seq\"");
    reject_mut("unknown field with control chars", "x\x1b[2J", -1, json_true(), E_INVALID,
               "unknown field \"x?[2J\"");
}

TEST(rejects_type_and_version)
{
    reject_mut("wrong type string", "type", -1, json_string("CredentialNotaryProofX"), E_INVALID,
               "type is \"CredentialNotaryProofX\", expected \"CredentialNotaryProof\"");
    reject_mut("type not a string", "type", -1, json_integer(1), E_INVALID,
               "type must be a string");
    reject_mut("version 2", "version", -1, json_integer(2), E_UNSUPPORTED,
               "bundle version 2 is not supported");
    reject_mut("version 0", "version", -1, json_integer(0), E_UNSUPPORTED, "version 0");
    reject_mut("version as string", "version", -1, json_string("1"), E_INVALID,
               "version must be a JSON integer, got a string");
    reject_mut("version as real", "version", -1, json_real(1.0), E_INVALID,
               "version must be a JSON integer");
    /* A version 2 bundle with fields we do not know is "unsupported", not "unknown field". */
    char *text = mutate("version", -1, json_integer(2));
    json_t *doc = text ? json_loads(text, 0, NULL) : NULL;
    free(text);
    if (doc)
        json_object_set_new(doc, "newThing", json_true());
    text = doc ? json_dumps(doc, 0) : NULL;
    json_decref(doc);
    expect_reject("version 2 with new fields", text, text ? strlen(text) : 0, E_UNSUPPORTED,
                  "version 2");
    free(text);
}

TEST(rejects_bad_hex)
{
    reject_mut("non-hex in root", "batch.root", -1, jhex("", 'a', 64, 0, 'g'), E_INVALID,
               "batch.root: non-hex character at position 0 of hex string");
    reject_mut("odd-length root", "batch.root", -1, jhex("", 'a', 63, -1, 0), E_INVALID,
               "batch.root: hex string has odd length 63");
    reject_mut("33-byte credential hash", "credential.hash", -1,
               jhex("", 'a', 66, -1, 0), E_INVALID,
               "credential.hash: expected 32 bytes (64 hex digits), got 33 bytes");
    reject_mut("31-byte credential hash", "credential.hash", -1, jhex("", 'a', 62, -1, 0),
               E_INVALID, "got 31 bytes");
    reject_mut("empty hash", "credential.hash", -1, json_string(""), E_INVALID, "got 0 bytes");
    reject_mut("uppercase hex", "batch.root", -1, jhex("", 'a', 64, 5, 'A'), E_INVALID,
               "batch.root must be lowercase hex (uppercase digit at position 5)");
    reject_mut("0x on a plain hash", "batch.root", -1, jhex("0x", 'a', 64, -1, 0), E_INVALID,
               "batch.root must be 64 hex digits without a \"0x\" prefix");
    reject_mut("space in hash", "credential.hash", -1, jhex("", 'a', 64, 10, ' '),
               E_INVALID, "credential.hash: non-hex character at position 10");
    reject_mut("33-byte path hash", "inclusion.path", 0, jhex("", '0', 66, -1, 0), E_INVALID,
               "inclusion.path[0]: expected 32 bytes");
    reject_mut("path hash not a string", "inclusion.path", 0, json_integer(7), E_INVALID,
               "inclusion.path[0] must be a string, got an integer");
    reject_mut("address without 0x", "anchor.contract", -1,
               json_string("e78a0f7e598cc8b0bb87894b0f60dd2a88d6a8ab"), E_INVALID,
               "anchor.contract must be \"0x\" followed by 40 hex digits");
    reject_mut("address with 0X", "anchor.issuer", -1,
               json_string("0X90f8bf6a479f320ead074411a4b0e7944ea8c9c1"), E_INVALID,
               "anchor.issuer must be \"0x\"");
    reject_mut("21-byte address", "anchor.issuer", -1,
               json_string("0x90f8bf6a479f320ead074411a4b0e7944ea8c9c100"), E_INVALID,
               "anchor.issuer: expected 20 bytes (40 hex digits), got 21 bytes");
    reject_mut("checksummed (mixed-case) address", "anchor.issuer", -1,
               json_string("0x90F8bf6A479f320ead074411a4B0e7944Ea8c9C1"), E_INVALID,
               "anchor.issuer must be lowercase hex (uppercase digit at position 4)");
    reject_mut("33-byte txHash", "anchor.txHash", -1, jhex("0x", '1', 66, -1, 0),
               E_INVALID, "anchor.txHash: expected 32 bytes");
    reject_mut("txHash without 0x", "anchor.txHash", -1, jhex("", '1', 64, -1, 0), E_INVALID,
               "anchor.txHash must be \"0x\" followed by 64 hex digits");
    reject_mut("odd blockHash", "anchor.blockHash", -1, jhex("0x", '1', 63, -1, 0),
               E_INVALID, "anchor.blockHash: hex string has odd length");
    reject_mut("hash as number", "batch.root", -1, json_integer(5), E_INVALID,
               "batch.root must be a string, got an integer");
}

TEST(rejects_bad_numbers)
{
    reject_mut("string number", "batch.size", -1, json_string("3"), E_INVALID,
               "batch.size must be a JSON integer, got a string");
    reject_mut("negative number", "batch.seq", -1, json_integer(-1), E_INVALID,
               "batch.seq must not be negative, got -1");
    reject_mut("real number", "anchor.blockNumber", -1, json_real(42.5), E_INVALID,
               "anchor.blockNumber must be a JSON integer (no fraction or exponent), got 42.5");
    reject_mut("integral real", "inclusion.leafIndex", -1, json_real(2.0), E_INVALID,
               "inclusion.leafIndex must be a JSON integer (no fraction");
    reject_mut("above 2^53", "batch.seq", -1, json_integer((json_int_t)BUNDLE_MAX_UINT + 1),
               E_INVALID, "batch.seq must be in 0..2^53, got 9007199254740993");
    reject_mut("size 0", "batch.size", -1, json_integer(0), E_INVALID,
               "batch.size must be in 1..2^53, got 0");
    reject_mut("chainId 0", "anchor.chainId", -1, json_integer(0), E_INVALID,
               "anchor.chainId must be in 1..2^53");
    reject_mut("boolean number", "anchor.blockTime", -1, json_true(), E_INVALID,
               "anchor.blockTime must be a JSON integer, got a boolean");
    reject_mut("null number", "batch.seq", -1, json_null(), E_INVALID,
               "batch.seq must be a JSON integer, got null");
    /* 2^53 itself is allowed */
    char *text = mutate("batch.seq", -1, json_integer((json_int_t)BUNDLE_MAX_UINT));
    struct bundle b;
    struct err e = {0};
    err_code rc = text ? bundle_parse(text, strlen(text), "t", &b, &e) : E_NOMEM;
    free(text);
    CHECK_OK(rc, &e);
    CHECK(b.batch.seq == BUNDLE_MAX_UINT);
    /* an exponent form is a real for JSON parsers: rejected */
    static const char exp_text[] = "{\"type\":\"CredentialNotaryProof\",\"version\":1e0}";
    expect_reject("exponent version", exp_text, strlen(exp_text), E_INVALID,
                  "version must be a JSON integer, got a non-integer number");
}

/* jansson reads "-0" as 0: the bundle parser must still refuse the sign
 * (issue 19; one spelling per number, docs/proof-format.md §1). */
TEST(rejects_signed_zero)
{
    static const char *const fields[][2] = {
        {"batch.seq", "batch.seq"},
        {"inclusion.leafIndex", "inclusion.leafIndex"},
        {"anchor.blockNumber", "anchor.blockNumber"},
    };
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        /* a marker value, then its digits replaced by -0 in the text */
        char *text = mutate(fields[i][0], -1, json_integer(987654321));
        char *at = text ? strstr(text, "987654321") : NULL;
        if (!at) {
            t_case(false, fields[i][0], "could not build the input");
            free(text);
            continue;
        }
        memmove(at + 2, at + 9, strlen(at + 9) + 1);
        memcpy(at, "-0", 2);
        char want[128];
        snprintf(want, sizeof want, "%s must be an unsigned integer written without a sign, got -0",
                 fields[i][1]);
        expect_reject(fields[i][0], text, strlen(text), E_INVALID, want);
        free(text);
    }
    static const char top[] = "{\"type\":\"CredentialNotaryProof\",\"version\":-0}";
    expect_reject("version -0", top, strlen(top), E_INVALID,
                  "version must be an unsigned integer written without a sign, got -0");
}

TEST(rejects_bad_structure)
{
    reject_mut("credential not an object", "credential", -1, json_string("x"), E_INVALID,
               "credential must be an object, got a string");
    reject_mut("batch is an array", "batch", -1, json_array(), E_INVALID,
               "batch must be an object, got an array");
    reject_mut("path not an array", "inclusion.path", -1, json_string(EX_NODE01), E_INVALID,
               "inclusion.path must be an array, got a string");
    reject_mut("anchor null", "anchor", -1, json_null(), E_INVALID,
               "anchor must be an object (omit it in a pending bundle), got null");
    reject_mut("anchor empty", "anchor", -1, json_object(), E_INVALID, "anchor.ledger is missing");
    reject_mut("unknown hashing", "credential.hashing", -1, json_string("sha512"), E_INVALID,
               "credential.hashing: unknown credential hashing \"sha512\"");
    reject_mut("revocation kind", "batch.kind", -1, json_string("revocation"), E_INVALID,
               "batch.kind is \"revocation\"");
    reject_mut("unknown ledger", "anchor.ledger", -1, json_string("btc"), E_INVALID,
               "anchor.ledger is \"btc\"; expected \"evm\" or \"ebsi\"");
    static const char *const tops[][2] = {
        {"[]", "a proof bundle is a JSON object, got an array"},
        {"{}", "type is missing"},
        {"", "bundle.json"},
        {"{\"type\":\"CredentialNotaryProof\",\"version\":1", "bundle.json"},
        {"{\"type\":\"CredentialNotaryProof\"} x", "bundle.json"},
    };
    for (size_t i = 0; i < sizeof tops / sizeof tops[0]; i++) {
        char name[64];
        snprintf(name, sizeof name, "top-level text %zu", i);
        expect_reject(name, tops[i][0], strlen(tops[i][0]), E_INVALID, tops[i][1]);
    }
    /* an "anchor" must be complete: any one field missing is named (see
     * rejects_missing_fields); a pending bundle omits the whole object. */
}

TEST(rejects_duplicate_keys)
{
    static const char dup_top[] = "{\"type\":\"CredentialNotaryProof\",\"version\":1,\"version\":1}";
    expect_reject("duplicate top-level key", dup_top, strlen(dup_top), E_INVALID, "duplicate");
    /* A duplicate inside an object: the second root would win in a lax parser. */
    char text[4096];
    const char *at = strstr(EX_BUNDLE, "\"root\"");
    CHECK(at);
    int n = snprintf(text, sizeof text, "%.*s\"root\": \"%s\",\n    %s", (int)(at - EX_BUNDLE),
                     EX_BUNDLE, HEX64("0"), at);
    CHECK(n > 0 && (size_t)n < sizeof text);
    expect_reject("duplicate batch.root", text, (size_t)n, E_INVALID, "duplicate");
}

TEST(rejects_deep_nesting)
{
    /* The top-level object is depth 1, so 63 arrays inside make 64 (parsed,
     * then refused as an unknown field) and 64 arrays make 65 (refused by
     * the JSON layer before any schema check). */
    for (int arrays = 63; arrays <= 64; arrays++) {
        char text[512];
        int n = snprintf(text, sizeof text, "{\"type\":\"CredentialNotaryProof\",\"version\":1,"
                                            "\"x\":");
        for (int i = 0; i < arrays; i++)
            text[n++] = '[';
        for (int i = 0; i < arrays; i++)
            text[n++] = ']';
        text[n++] = '}';
        text[n] = '\0';
        if (arrays == 63)
            expect_reject("depth 64", text, (size_t)n, E_INVALID, "unknown field \"x\"");
        else
            expect_reject("depth 65", text, (size_t)n, E_LIMIT, "bundle.json");
    }
}

TEST(rejects_more_than_1mb)
{
    /* The example padded with trailing whitespace to exactly the limit
     * parses; one byte more is refused before parsing. */
    size_t len = BUNDLE_MAX_BYTES + 1;
    char *text = malloc(len);
    CHECK(text);
    memset(text, ' ', len);
    memcpy(text, EX_BUNDLE, strlen(EX_BUNDLE));
    struct bundle b;
    struct err e = {0};
    err_code rc = bundle_parse(text, BUNDLE_MAX_BYTES, "bundle.json", &b, &e);
    t_case(rc == E_OK, "exactly 1 MB", "got %s: %s", err_name(rc), e.msg);
    expect_reject("1 MB + 1 byte", text, len, E_LIMIT, "larger than the bundle limit");
    /* the same through a file */
    char path[512];
    snprintf(path, sizeof path, "%s/big.json", t_tmpdir());
    FILE *f = fopen(path, "wb");
    bool wrote = f && fwrite(text, 1, len, f) == len;
    if (f)
        fclose(f);
    free(text);
    CHECK(wrote);
    CHECK_ERR(bundle_read_file(path, &b, &e), &e, E_LIMIT, "larger than the bundle limit");
}

TEST(rejects_bad_index_and_path_length)
{
    reject_mut("index == size", "inclusion.leafIndex", -1, json_integer(3), E_INVALID,
               "inclusion.leafIndex 3 is not below batch.size 3");
    reject_mut("index > size", "inclusion.leafIndex", -1, json_integer(1000), E_INVALID,
               "is not below batch.size");
    reject_mut("extra path hash", "inclusion.path", 1, json_string(EX_LEAF[0]), E_INVALID,
               "inclusion.path has 2 hashes but index 2 in a tree of 3 needs 1");
    reject_mut("missing path hash", "inclusion.path", 0, NULL, E_INVALID,
               "inclusion.path has 0 hashes but index 2 in a tree of 3 needs 1");
    reject_mut("size shrunk to hide a path hash", "batch.size", -1, json_integer(1000),
               E_INVALID, "index 2 in a tree of 1000 needs 10");
    /* a missing path hash in a 1000-leaf tree, named exactly (the design's example) */
    json_t *path = json_array();
    for (int i = 0; i < 9; i++)
        json_array_append_new(path, json_string(EX_NODE01));
    char *text = mutate("inclusion.path", -1, path);
    json_t *doc = text ? json_loads(text, 0, NULL) : NULL;
    free(text);
    if (doc) {
        json_object_set_new(json_object_get(doc, "batch"), "size", json_integer(1000));
        json_object_set_new(json_object_get(doc, "inclusion"), "leafIndex", json_integer(12));
    }
    text = doc ? json_dumps(doc, 0) : NULL;
    json_decref(doc);
    expect_reject("9 of 10 path hashes", text, text ? strlen(text) : 0, E_INVALID,
                  "bundle.json: inclusion.path has 9 hashes but index 12 in a tree of 1000 "
                  "needs 10");
    free(text);
    /* a huge path array is refused by its count, before any decoding */
    json_t *huge = json_array();
    for (int i = 0; i < 20000; i++)
        json_array_append_new(huge, json_string("zz"));
    reject_mut("20000 path entries", "inclusion.path", -1, huge, E_INVALID,
               "inclusion.path has 20000 hashes but index 2 in a tree of 3 needs 1");
}

TEST(rejects_bad_timestamps)
{
    static const char *const bad[][2] = {
        {"2025-11-22 00:00:00Z", "YYYY-MM-DDTHH:MM:SSZ"},
        {"2025-11-22T00:00:00+01:00", "YYYY-MM-DDTHH:MM:SSZ"},
        {"2025-11-22T00:00:00.5Z", "YYYY-MM-DDTHH:MM:SSZ"},
        {"2025-11-22T00:00:00z", "YYYY-MM-DDTHH:MM:SSZ"},
        {"2025-11-22", "YYYY-MM-DDTHH:MM:SSZ"},
        {"2026-02-29T00:00:00Z", "day 29, but that month has 28 days"},
        {"2025-04-31T00:00:00Z", "day 31, but that month has 30 days"},
        {"2025-13-01T00:00:00Z", "month 13"},
        {"2025-00-01T00:00:00Z", "month 00"},
        {"2025-11-00T00:00:00Z", "day 00"},
        {"2025-11-22T24:00:00Z", "outside 00:00:00..23:59:59"},
        {"2025-11-22T00:60:00Z", "outside"},
        {"2016-12-31T23:59:60Z", "leap seconds"},
        {"1969-12-31T23:59:59Z", "before 1970"},
        {"+025-11-22T00:00:00Z", "YYYY"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char name[80];
        snprintf(name, sizeof name, "closedAt %s", bad[i][0]);
        reject_mut(name, "batch.closedAt", -1, json_string(bad[i][0]), E_INVALID, bad[i][1]);
    }
    reject_mut("closedAt as a number", "batch.closedAt", -1, json_integer(1763769600), E_INVALID,
               "batch.closedAt must be a string, got an integer");
}

TEST(timestamps_agree_with_timegm)
{
    struct err e = {0};
    int64_t t;
    CHECK_OK(bundle_time_parse("1970-01-01T00:00:00Z", &t, &e), &e);
    CHECK(t == 0);
    CHECK_OK(bundle_time_parse("2000-02-29T12:34:56Z", &t, &e), &e);
    CHECK(t == 951827696);
    CHECK_OK(bundle_time_parse("9999-12-31T23:59:59Z", &t, &e), &e);
    CHECK(t == 253402300799);
    char s[21];
    CHECK_OK(bundle_time_format(253402300799, s, &e), &e);
    CHECK_STREQ(s, "9999-12-31T23:59:59Z");
    CHECK_ERR(bundle_time_format(253402300800, s, &e), &e, E_INVALID, "1970..9999");
    CHECK_ERR(bundle_time_format(-1, s, &e), &e, E_INVALID, "1970..9999");
    /* a sweep over 400 years (one Gregorian cycle) in odd steps */
    for (int64_t x = 0; x < 12622780800; x += 86400 * 37 + 3671) {
        struct tm tm;
        time_t tt = (time_t)x;
        char want[32];
        gmtime_r(&tt, &tm);
        strftime(want, sizeof want, "%Y-%m-%dT%H:%M:%SZ", &tm);
        CHECK_OK(bundle_time_format(x, s, &e), &e);
        CHECKF(strcmp(s, want) == 0, "%" PRId64 ": %s != %s", x, s, want);
        CHECK_OK(bundle_time_parse(want, &t, &e), &e);
        CHECKF(t == x, "%s: %" PRId64 " != %" PRId64, want, t, x);
    }
}

/* ---- the offline verifier ----------------------------------------------------- */

static const struct verify_check *find_check(const struct verify_result *r, const char *name)
{
    for (size_t i = 0; i < r->n_checks; i++)
        if (strcmp(r->checks[i].name, name) == 0)
            return &r->checks[i];
    return NULL;
}

/* Verify the example (or a modified copy) for credential hash `cred`. */
static enum verify_status run(const struct bundle *b, const char *cred_hex,
                              enum credential_hashing how, struct verify_result *r)
{
    struct verify_subject s = {H(cred_hex), how};
    verify_result_init(r);
    verify_offline(b, &s, r);
    return r->status;
}

TEST(verify_example_valid)
{
    struct bundle b;
    static struct verify_result r;
    example_bundle(&b);
    CHECK(run(&b, EX_CRED[2], CRED_HASH_SHA256, &r) == VERIFY_VALID);
    CHECK(r.n_checks == 4 && !r.ledger_checked);
    CHECK(find_check(&r, "credential.hash")->outcome == VCHECK_PASS);
    CHECK(find_check(&r, "credential.hashing")->outcome == VCHECK_PASS);
    CHECK(find_check(&r, "inclusion")->outcome == VCHECK_PASS);
    const struct verify_check *a = find_check(&r, "anchor");
    CHECK(a->outcome == VCHECK_SKIPPED && strstr(a->detail, "NOT CHECKED") &&
          strstr(a->detail, EX_CONTRACT) && strstr(a->detail, EX_TX));
    CHECK(verify_exit_code(r.status) == 0);
    /* a hash given directly verifies against any hashing mode */
    CHECK(run(&b, EX_CRED[2], CRED_HASH_GIVEN, &r) == VERIFY_VALID);
    b.credential.hashing = CRED_HASH_JCS_SHA256;
    CHECK(run(&b, EX_CRED[2], CRED_HASH_GIVEN, &r) == VERIFY_VALID);
    /* a bundle for a given hash accepts a file hashed by either rule */
    b.credential.hashing = CRED_HASH_GIVEN;
    CHECK(run(&b, EX_CRED[2], CRED_HASH_SHA256, &r) == VERIFY_VALID);
}

TEST(verify_other_credential_invalid)
{
    struct bundle b;
    static struct verify_result r;
    example_bundle(&b);
    /* credential-1's hash with credential-2's proof */
    CHECK(run(&b, EX_CRED[1], CRED_HASH_SHA256, &r) == VERIFY_INVALID);
    CHECK(find_check(&r, "credential.hash")->outcome == VCHECK_FAIL);
    CHECK(strstr(find_check(&r, "credential.hash")->detail, "another credential"));
    CHECK(find_check(&r, "inclusion")->outcome == VCHECK_FAIL);
    CHECK(verify_exit_code(r.status) == 1);
    /* ...even when the bundle's own hash is swapped to match: the path fails */
    b.credential.hash = H(EX_CRED[1]);
    CHECK(run(&b, EX_CRED[1], CRED_HASH_SHA256, &r) == VERIFY_INVALID);
    CHECK(find_check(&r, "credential.hash")->outcome == VCHECK_PASS);
    CHECK(find_check(&r, "inclusion")->outcome == VCHECK_FAIL);
}

TEST(verify_hashing_mismatch_invalid)
{
    struct bundle b;
    static struct verify_result r;
    example_bundle(&b);
    b.credential.hashing = CRED_HASH_JCS_SHA256;
    CHECK(run(&b, EX_CRED[2], CRED_HASH_SHA256, &r) == VERIFY_INVALID);
    CHECK(find_check(&r, "credential.hashing")->outcome == VCHECK_FAIL);
    CHECK(find_check(&r, "inclusion")->outcome == VCHECK_PASS);
}

TEST(verify_tampered_root_invalid)
{
    struct bundle b;
    static struct verify_result r;
    example_bundle(&b);
    b.batch.root.b[31] ^= 1;
    CHECK(run(&b, EX_CRED[2], CRED_HASH_SHA256, &r) == VERIFY_INVALID);
    const struct verify_check *c = find_check(&r, "inclusion");
    CHECK(c->outcome == VCHECK_FAIL && strstr(c->detail, EX_ROOT) && strstr(c->detail, "not to"));
    example_bundle(&b);
    b.inclusion.path[0].b[0] ^= 0x80;
    CHECK(run(&b, EX_CRED[2], CRED_HASH_SHA256, &r) == VERIFY_INVALID);
}

TEST(verify_swapped_path_and_other_index_invalid)
{
    /* credential-0 at index 0 has path [leaf1, leaf2] */
    struct bundle b;
    static struct verify_result r;
    example_bundle(&b);
    b.credential.hash = H(EX_CRED[0]);
    b.inclusion.leaf_index = 0;
    b.inclusion.path_len = 2;
    b.inclusion.path[0] = H(EX_LEAF[1]);
    b.inclusion.path[1] = H(EX_LEAF[2]);
    CHECK(run(&b, EX_CRED[0], CRED_HASH_SHA256, &r) == VERIFY_VALID);
    /* swapped siblings */
    b.inclusion.path[0] = H(EX_LEAF[2]);
    b.inclusion.path[1] = H(EX_LEAF[1]);
    CHECK(run(&b, EX_CRED[0], CRED_HASH_SHA256, &r) == VERIFY_INVALID);
    /* the right path, another claimed index (1 needs the same path length) */
    b.inclusion.path[0] = H(EX_LEAF[1]);
    b.inclusion.path[1] = H(EX_LEAF[2]);
    b.inclusion.leaf_index = 1;
    CHECK(run(&b, EX_CRED[0], CRED_HASH_SHA256, &r) == VERIFY_INVALID);
    /* credential-1 claiming index 0 with credential-0's path */
    b.credential.hash = H(EX_CRED[1]);
    b.inclusion.leaf_index = 0;
    CHECK(run(&b, EX_CRED[1], CRED_HASH_SHA256, &r) == VERIFY_INVALID);
}

TEST(verify_interior_node_as_leaf_invalid)
{
    /* node01 presented as a credential at index 0 of a tree of 2 whose
     * other leaf is leaf2: without the 0x00/0x01 prefixes this would give
     * the real root; with them it must not. */
    struct bundle b;
    static struct verify_result r;
    example_bundle(&b);
    b.credential.hash = H(EX_NODE01);
    b.batch.size = 2;
    b.inclusion.leaf_index = 0;
    b.inclusion.path_len = 1;
    b.inclusion.path[0] = H(EX_LEAF[2]);
    struct err e = {0};
    CHECK_OK(bundle_validate(&b, &e), &e); /* well-formed, so only the verifier can catch it */
    CHECK(run(&b, EX_NODE01, CRED_HASH_GIVEN, &r) == VERIFY_INVALID);
    CHECK(find_check(&r, "inclusion")->outcome == VCHECK_FAIL);
}

TEST(verify_pending_is_unknown)
{
    struct bundle b;
    static struct verify_result r;
    example_bundle(&b);
    b.anchored = false;
    CHECK(run(&b, EX_CRED[2], CRED_HASH_SHA256, &r) == VERIFY_UNKNOWN);
    const struct verify_check *a = find_check(&r, "anchor");
    CHECK(a->outcome == VCHECK_UNKNOWN && strstr(a->detail, "pending"));
    CHECK(verify_exit_code(r.status) == 3);
    /* a failure still wins over unknown */
    CHECK(run(&b, EX_CRED[1], CRED_HASH_SHA256, &r) == VERIFY_INVALID);
}

TEST(verify_status_rules_and_overflow)
{
    static struct verify_result r;
    verify_result_init(&r);
    CHECK(r.status == VERIFY_VALID);
    CHECK(verify_add_check(&r, "a", VCHECK_SKIPPED, "x") == E_OK && r.status == VERIFY_VALID);
    CHECK(verify_add_check(&r, "b", VCHECK_UNKNOWN, "x") == E_OK && r.status == VERIFY_UNKNOWN);
    CHECK(verify_add_check(&r, "c", VCHECK_FAIL, "x") == E_OK && r.status == VERIFY_INVALID);
    /* a full list never reads as VALID */
    verify_result_init(&r);
    err_code rc = E_OK;
    for (int i = 0; i < VERIFY_MAX_CHECKS + 3 && !rc; i++)
        rc = verify_add_check(&r, "p", VCHECK_PASS, "check %d", i);
    CHECK(rc == E_LIMIT);
    CHECK(r.n_checks == VERIFY_MAX_CHECKS);
    CHECK(r.status == VERIFY_UNKNOWN);
    CHECK_STREQ(r.checks[VERIFY_MAX_CHECKS - 1].name, "internal");
    CHECK(verify_add_check(&r, "q", VCHECK_PASS, "late") == E_LIMIT);
    CHECK(r.n_checks == VERIFY_MAX_CHECKS);
    /* an input error overrides everything */
    struct err e = {0};
    err_set(&e, E_INVALID, "bad bundle");
    verify_result_set_error(&r, &e);
    CHECK(r.status == VERIFY_ERROR && verify_exit_code(r.status) == 2);
    CHECK_STREQ(verify_status_name(VERIFY_UNKNOWN), "UNKNOWN");
}

TEST(verify_subject_from_hex_rules)
{
    struct verify_subject s;
    struct err e = {0};
    const struct hash32 want = H(EX_CRED[2]);
    CHECK_OK(verify_subject_from_hex(EX_CRED[2], &s, &e), &e);
    CHECK(s.hashing == CRED_HASH_GIVEN && hash32_eq(&s.hash, &want));
    CHECK_OK(verify_subject_from_hex("0x2E4CAAB8D5B9E8F2A4F9DF7F6A4E3B26CDEBB7C88B8E03481A307C6D09D4BEED",
                                     &s, &e),
             &e);
    CHECK(hash32_eq(&s.hash, &want));
    CHECK_ERR(verify_subject_from_hex(EX_CRED[2] + 1, &s, &e), &e, E_INVALID, "odd length");
    CHECK_ERR(verify_subject_from_hex(HEX64("a") "aa", &s, &e), &e, E_INVALID, "got 33 bytes");
    CHECK_ERR(verify_subject_from_hex("xyz", &s, &e), &e, E_INVALID, "64 hex digits");
}

TEST(verify_subject_from_file_uses_jcs)
{
    /* The same JSON credential, reformatted and reordered, hashes the same. */
    char p1[512], p2[512];
    snprintf(p1, sizeof p1, "%s/c1.json", t_tmpdir());
    snprintf(p2, sizeof p2, "%s/c2.json", t_tmpdir());
    static const char c1[] = "{\"b\":[1,2],\"a\":\"x\"}";
    static const char c2[] = "{\n  \"a\" : \"x\",\n  \"b\" : [ 1, 2 ]\n}\n";
    struct err e = {0};
    CHECK_OK(file_write_atomic(p1, c1, strlen(c1), 0644, &e), &e);
    CHECK_OK(file_write_atomic(p2, c2, strlen(c2), 0644, &e), &e);
    struct verify_subject s1, s2;
    CHECK_OK(verify_subject_from_file(p1, &s1, &e), &e);
    CHECK_OK(verify_subject_from_file(p2, &s2, &e), &e);
    CHECK(s1.hashing == CRED_HASH_JCS_SHA256 && hash32_eq(&s1.hash, &s2.hash));
    struct hash32 want;
    CHECK(sha256("{\"a\":\"x\",\"b\":[1,2]}", 19, &want) == E_OK);
    CHECK(hash32_eq(&s1.hash, &want));
}

TEST(verify_reports)
{
    struct bundle b;
    static struct verify_result r;
    struct err e = {0};
    example_bundle(&b);
    run(&b, EX_CRED[2], CRED_HASH_SHA256, &r);
    struct buf t = {0};
    CHECK_OK(verify_report_text(&r, &b, false, &t, &e), &e);
    const char *s = (const char *)t.p;
    bool ok = strstr(s, "[PASS] inclusion") && strstr(s, "[SKIP] anchor") &&
              strstr(s, "the ledger was NOT checked") && strstr(s, "Status: VALID") &&
              strstr(s, EX_CRED[2]);
    buf_free(&t);
    CHECK(ok);
    CHECK_OK(verify_report_text(&r, &b, true, &t, &e), &e);
    ok = strstr((char *)t.p, "\u2713 inclusion") != NULL;
    buf_free(&t);
    CHECK(ok);

    /* JSON: parse it back */
    run(&b, EX_CRED[1], CRED_HASH_SHA256, &r);
    CHECK_OK(verify_report_json(&r, &t, &e), &e);
    json_t *j = json_loads((char *)t.p, JSON_REJECT_DUPLICATES, NULL);
    buf_free(&t);
    CHECK(j);
    json_t *checks = json_object_get(j, "checks");
    ok = json_is_string(json_object_get(j, "status")) &&
         strcmp(json_string_value(json_object_get(j, "status")), "INVALID") == 0 &&
         json_is_false(json_object_get(j, "ledgerChecked")) &&
         strcmp(json_string_value(json_object_get(j, "credentialHash")), EX_CRED[1]) == 0 &&
         json_is_null(json_object_get(j, "error")) && json_array_size(checks) == 4 &&
         json_is_false(json_object_get(json_array_get(checks, 0), "ok")) &&
         json_is_null(json_object_get(json_array_get(checks, 3), "ok")) &&
         strcmp(json_string_value(json_object_get(json_array_get(checks, 3), "outcome")),
                "skipped") == 0;
    json_decref(j);
    CHECK(ok);

    /* an input error */
    verify_result_init(&r);
    err_set(&e, E_INVALID, "bundle.json: batch.root is missing");
    verify_result_set_error(&r, &e);
    CHECK_OK(verify_report_json(&r, &t, &e), &e);
    j = json_loads((char *)t.p, 0, NULL);
    buf_free(&t);
    CHECK(j);
    ok = strcmp(json_string_value(json_object_get(j, "status")), "ERROR") == 0 &&
         strcmp(json_string_value(json_object_get(j, "error")),
                "bundle.json: batch.root is missing") == 0 &&
         json_is_null(json_object_get(j, "credentialHash"));
    json_decref(j);
    CHECK(ok);
}

/* bundle_ledger_parse() reads exactly the names bundle_ledger_name() writes. */
TEST(ledger_names_round_trip)
{
    enum bundle_ledger l = BUNDLE_LEDGER_EBSI;
    CHECK(bundle_ledger_parse("evm", &l) && l == BUNDLE_LEDGER_EVM);
    CHECK(bundle_ledger_parse(bundle_ledger_name(BUNDLE_LEDGER_EBSI), &l) &&
          l == BUNDLE_LEDGER_EBSI);
    CHECK(!bundle_ledger_parse("EVM", &l) && !bundle_ledger_parse("evm ", &l) &&
          !bundle_ledger_parse("", &l) && !bundle_ledger_parse("unknown", &l));
    CHECK(l == BUNDLE_LEDGER_EBSI);
}
