/*
 * tests/unit/test_merkle.c — RFC 9162 trees: the fast hashing path against
 * plain SHA-256, built trees against a direct recursive definition, proofs
 * for every (index, size) and (size1, size2) in small trees, and every file
 * of the shared rfc9162 vectors (all wantErr cases must be rejected).
 */
#include <dirent.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <stdlib.h>

#include "core/bytes.h"
#include "core/hash.h"
#include "core/merkle.h"
#include "tests/fixtures.h"
#include "tests/harness.h"

/* MTH by the RFC 9162 §2.1.1 definition, with plain SHA-256. */
static void ref_mth(const struct hash32 *d, uint64_t n, struct hash32 *out)
{
    uint8_t buf[65];
    if (n == 1) {
        buf[0] = 0;
        memcpy(buf + 1, d[0].b, 32);
        if (sha256(buf, 33, out)) abort();
        return;
    }
    uint64_t k = 1;
    while (k * 2 < n)
        k *= 2;
    struct hash32 l, r;
    ref_mth(d, k, &l);
    ref_mth(d + k, n - k, &r);
    buf[0] = 1;
    memcpy(buf + 1, l.b, 32);
    memcpy(buf + 33, r.b, 32);
    if (sha256(buf, 65, out)) abort();
}

TEST(fast_hashing_matches_sha256)
{
    struct hash32 d[64];
    t_det_entries(d, 64, 7);
    for (int i = 0; i + 1 < 64; i++) {
        uint8_t m[65];
        struct hash32 want, got;
        m[0] = 0;
        memcpy(m + 1, d[i].b, 32);
        CHECK(sha256(m, 33, &want) == E_OK);
        merkle_leaf_hash(&d[i], &got);
        CHECK(hash32_eq(&want, &got));
        m[0] = 1;
        memcpy(m + 33, d[i + 1].b, 32);
        CHECK(sha256(m, 65, &want) == E_OK);
        merkle_node_hash(&d[i], &d[i + 1], &got);
        CHECK(hash32_eq(&want, &got));
    }
}

TEST(roots_match_the_recursive_definition)
{
    enum { N = 300 };
    struct hash32 d[N];
    t_det_entries(d, N, 1);
    struct merkle_tree *t = NULL;
    struct err e = {0};
    for (uint64_t n = 1; n <= N; n++) {
        CHECK_OK(merkle_tree_build(d, n, t, &t, &e), &e);
        struct hash32 got, want;
        merkle_tree_root(t, &got);
        ref_mth(d, n, &want);
        CHECKF(hash32_eq(&got, &want), "root differs at n=%llu", (unsigned long long)n);
        /* Every prefix root from the full tree, too. */
        for (uint64_t m = 1; m <= n; m += (n > 40 ? 7 : 1)) {
            CHECK_OK(merkle_tree_root_at(t, m, &got, &e), &e);
            ref_mth(d, m, &want);
            CHECKF(hash32_eq(&got, &want), "root_at(%llu) differs in tree of %llu",
                   (unsigned long long)m, (unsigned long long)n);
        }
    }
    merkle_tree_free(t);
}

TEST(empty_and_oversized_trees_are_refused)
{
    struct err e = {0};
    struct merkle_tree *t;
    struct hash32 d[1] = {{{0}}};
    CHECK_ERR(merkle_tree_build(d, 0, NULL, &t, &e), &e, E_INVALID, "zero entries");
    CHECK_ERR(merkle_tree_build(d, MERKLE_MAX_LEAVES + 1, NULL, &t, &e), &e, E_LIMIT, "limit");
    struct hash32 r;
    merkle_empty_root(&r);
    struct hash32 want;
    CHECK(sha256("", 0, &want) == E_OK);
    CHECK(hash32_eq(&r, &want));
}

TEST(every_inclusion_proof_verifies_in_small_trees)
{
    enum { N = 70 };
    struct hash32 d[N], path[MERKLE_MAX_PATH], root, leaf;
    t_det_entries(d, N, 2);
    struct merkle_tree *t;
    struct err e = {0};
    CHECK_OK(merkle_tree_build(d, N, NULL, &t, &e), &e);
    for (uint64_t size = 1; size <= N; size++) {
        CHECK_OK(merkle_tree_root_at(t, size, &root, &e), &e);
        for (uint64_t i = 0; i < size; i++) {
            size_t len;
            CHECK_OK(merkle_tree_inclusion_proof(t, i, size, path, &len, &e), &e);
            CHECK((int)len == merkle_path_length(i, size));
            merkle_leaf_hash(&d[i], &leaf);
            CHECKF(merkle_verify_inclusion(&leaf, i, size, path, len, &root, &e) == E_OK,
                   "i=%llu size=%llu: %s", (unsigned long long)i, (unsigned long long)size, e.msg);
            /* the leaf of another index must not verify */
            struct hash32 other;
            merkle_leaf_hash(&d[(i + 1) % N], &other);
            CHECK(merkle_verify_inclusion(&other, i, size, path, len, &root, &e) == E_VERIFY);
        }
    }
    merkle_tree_free(t);
}

TEST(every_consistency_proof_verifies_in_small_trees)
{
    enum { N = 70 };
    struct hash32 d[N], proof[MERKLE_MAX_PATH], r1, r2;
    t_det_entries(d, N, 3);
    struct merkle_tree *t;
    struct err e = {0};
    CHECK_OK(merkle_tree_build(d, N, NULL, &t, &e), &e);
    for (uint64_t n = 1; n <= N; n++)
        for (uint64_t m = 1; m <= n; m++) {
            size_t len;
            CHECK_OK(merkle_tree_consistency_proof(t, m, n, proof, &len, &e), &e);
            CHECK_OK(merkle_tree_root_at(t, m, &r1, &e), &e);
            CHECK_OK(merkle_tree_root_at(t, n, &r2, &e), &e);
            CHECKF(merkle_verify_consistency(m, n, &r1, &r2, proof, len, &e) == E_OK,
                   "m=%llu n=%llu: %s", (unsigned long long)m, (unsigned long long)n, e.msg);
            if (m < n) { /* a different first root must not verify */
                struct hash32 bad = r1;
                bad.b[0] ^= 1;
                CHECK(merkle_verify_consistency(m, n, &bad, &r2, proof, len, &e) == E_VERIFY);
            }
        }
    merkle_tree_free(t);
}

/* Every thread count (and either hashing path) builds the same tree: root, prefix roots and audit
 * paths equal to the 1-thread build's, for a few indices in every 2^k-leaf
 * share and at every share edge. */
static void same_tree_on_threads(const struct hash32 *d, uint64_t n, unsigned threads,
                                 const struct merkle_tree *one)
{
    struct merkle_tree *t = NULL;
    struct err e = {0};
    CHECK_OK(merkle_tree_build_threads(d, n, threads, NULL, &t, &e), &e);
    if (!t)
        return;
    struct hash32 a, b, pa[MERKLE_MAX_PATH], pb[MERKLE_MAX_PATH];
    merkle_tree_root(one, &a);
    merkle_tree_root(t, &b);
    CHECKF(hash32_eq(&a, &b), "root differs: n=%llu threads=%u", (unsigned long long)n, threads);
    uint64_t step = n < 600 ? 1 : n / 97 + 1;
    for (uint64_t m = 1; m <= n; m = m + step > n && m != n ? n : m + step) {
        CHECK_OK(merkle_tree_root_at(one, m, &a, &e), &e);
        CHECK_OK(merkle_tree_root_at(t, m, &b, &e), &e);
        CHECKF(hash32_eq(&a, &b), "root_at(%llu) differs: n=%llu threads=%u",
               (unsigned long long)m, (unsigned long long)n, threads);
    }
    for (uint64_t i = 0; i < n; i = i + step > n - 1 && i != n - 1 ? n - 1 : i + step) {
        /* i and its neighbours: share edges are multiples of a power of two */
        for (uint64_t j = i ? i - 1 : 0; j <= i + 1 && j < n; j++) {
            size_t la, lb;
            CHECK_OK(merkle_tree_inclusion_proof(one, j, n, pa, &la, &e), &e);
            CHECK_OK(merkle_tree_inclusion_proof(t, j, n, pb, &lb, &e), &e);
            CHECKF(la == lb && memcmp(pa, pb, la * sizeof *pa) == 0,
                   "audit path of %llu differs: n=%llu threads=%u", (unsigned long long)j,
                   (unsigned long long)n, threads);
        }
        for (uint64_t j = 1; j <= 16 && i + j < n; j <<= 1) {
            uint64_t edge = (i + j) & ~(j - 1);
            size_t la, lb;
            CHECK_OK(merkle_tree_inclusion_proof(one, edge, n, pa, &la, &e), &e);
            CHECK_OK(merkle_tree_inclusion_proof(t, edge, n, pb, &lb, &e), &e);
            CHECK(la == lb && memcmp(pa, pb, la * sizeof *pa) == 0);
        }
    }
    merkle_tree_free(t);
}

TEST(thread_counts_build_the_same_tree)
{
    printf("SHA-NI path (core/sha256_x2.c): %s\n",
           merkle_use_sha_ni(true) ? "in use, compared with SHA256_Transform"
                                   : "not available on this CPU");
    /* Every size to 600, then sizes around powers of two and around the
     * points where the share size (about n / 8 per thread) doubles, up past
     * MERKLE_PARALLEL_MIN so merkle_tree_build's own choice is covered. */
    enum { SMALL = 600 };
    static const uint64_t big[] = {1023, 1024, 1025, 4095, 4096, 4097, 8191, 8192, 8193,
                                   16383, 16384, 16385, 24575, 24576, 24577, 65535, 65536,
                                   65537, 98304, 98305, 100003, 131071, 131072, 131073};
    const uint64_t maxn = 131073;
    struct hash32 *d = malloc(maxn * sizeof *d);
    CHECK(d != NULL);
    if (!d)
        return;
    t_det_entries(d, maxn, 11);
    static const unsigned threads[] = {2, 3, 4, 8, 64};
    struct merkle_tree *one = NULL;
    struct err e = {0};
    for (size_t s = 0; s < SMALL + sizeof big / sizeof *big; s++) {
        uint64_t n = s < SMALL ? s + 1 : big[s - SMALL];
        /* The reference: 1 thread, OpenSSL's SHA256_Transform one message
         * at a time; the others use SHA-NI two at a time where the CPU can. */
        merkle_use_sha_ni(false);
        CHECK_OK(merkle_tree_build_threads(d, n, 1, one, &one, &e), &e);
        merkle_use_sha_ni(true);
        if (!one)
            break;
        same_tree_on_threads(d, n, 1, one);
        if (n <= 64) { /* and against the RFC's definition */
            struct hash32 got, want;
            merkle_tree_root(one, &got);
            ref_mth(d, n, &want);
            CHECK(hash32_eq(&got, &want));
        }
        for (size_t k = 0; k < sizeof threads / sizeof *threads; k++)
            if (n < 8192 || threads[k] <= 4)
                same_tree_on_threads(d, n, threads[k], one);
        if (n >= MERKLE_PARALLEL_MIN) { /* the default path, on the default threads */
            struct merkle_tree *t = NULL;
            struct hash32 a, b;
            CHECK_OK(merkle_tree_build(d, n, NULL, &t, &e), &e);
            merkle_tree_root(one, &a);
            merkle_tree_root(t, &b);
            CHECK(hash32_eq(&a, &b));
            merkle_tree_free(t);
        }
    }
    merkle_tree_free(one);
    free(d);
}

TEST(freed_memory_is_recycled_by_the_next_build)
{
    /* A large tree's nodes go to the one-slot spare on free; the next build
     * of any size that fits takes them, and its root is still right. */
    enum { N = 70000 };
    struct hash32 *d = malloc(N * sizeof *d);
    CHECK(d != NULL);
    if (!d)
        return;
    t_det_entries(d, N, 12);
    struct merkle_tree *t = NULL, *u = NULL;
    struct err e = {0};
    struct hash32 a, b;
    CHECK_OK(merkle_tree_build_threads(d, N, 2, NULL, &t, &e), &e);
    merkle_tree_root(t, &a);
    merkle_tree_free(t);
    CHECK_OK(merkle_tree_build_threads(d, N, 1, NULL, &u, &e), &e);
    merkle_tree_root(u, &b);
    CHECK(hash32_eq(&a, &b));
    merkle_tree_free(u);
    CHECK_OK(merkle_tree_build(d, N - 1, NULL, &u, &e), &e);
    merkle_tree_root(u, &b);
    CHECK(!hash32_eq(&a, &b));
    struct hash32 want;
    ref_mth(d, 1000, &want);
    CHECK_OK(merkle_tree_root_at(u, 1000, &b, &e), &e);
    CHECK(hash32_eq(&want, &b));
    merkle_tree_free(u);
    merkle_drop_spare(); /* the next build maps fresh memory */
    CHECK_OK(merkle_tree_build_threads(d, N, 2, NULL, &u, &e), &e);
    merkle_tree_root(u, &b);
    CHECK(hash32_eq(&a, &b));
    merkle_tree_free(u);
    merkle_drop_spare();
    free(d);
}

TEST(path_length_errors_are_precise)
{
    struct err e = {0};
    struct hash32 leaf = {{1}}, path[MERKLE_MAX_PATH] = {{{0}}}, root;
    CHECK(merkle_path_length(12, 1000) == 10);
    CHECK(merkle_path_length(999, 1000) == 8); /* 5 right turns, then 3 levels in the last 8 */
    CHECK(merkle_path_length(0, 1) == 0);
    CHECK(merkle_path_length(5, 5) == -1);
    CHECK_ERR(merkle_root_from_path(&leaf, 12, 1000, path, 9, &root, &e), &e, E_VERIFY,
              "audit path has 9 hashes but index 12 in a tree of 1000 needs 10");
    CHECK_ERR(merkle_root_from_path(&leaf, 1000, 1000, path, 10, &root, &e), &e, E_VERIFY,
              "not below tree size");
}

/* ---- shared vectors ------------------------------------------------------ */

struct bytes_list { uint8_t data[16][64]; struct merkle_bytes v[16]; size_t n; };

static bool b64(const char *s, uint8_t *out, size_t cap, struct merkle_bytes *mb)
{
    size_t len = strlen(s);
    if (len % 4 || len / 4 * 3 > cap)
        return false;
    int n = len ? EVP_DecodeBlock(out, (const unsigned char *)s, (int)len) : 0;
    if (n < 0)
        return false;
    if (len && s[len - 1] == '=') n--;
    if (len > 1 && s[len - 2] == '=') n--;
    mb->p = out;
    mb->len = (size_t)n;
    return true;
}

static bool b64_list(json_t *arr, struct bytes_list *l)
{
    l->n = 0;
    if (json_is_null(arr))
        return true;
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v) {
        if (i >= 16 || !b64(json_string_value(v), l->data[i], 64, &l->v[i]))
            return false;
        l->n = i + 1;
    }
    return true;
}

static uint64_t num(json_t *v)
{
    double d = json_number_value(v);
    return d >= 18446744073709551615.0 ? UINT64_MAX : (uint64_t)d;
}

typedef void (*vec_fn)(const char *path, json_t *v);

static void for_each_vector(const char *rel, vec_fn fn)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", t_vector_path(rel));
    DIR *d = opendir(dir);
    if (!d) {
        t_case(false, rel, "cannot open %s", dir);
        return;
    }
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        char path[8192];
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        if (de->d_type == DT_DIR) {
            char sub[4096];
            snprintf(sub, sizeof sub, "%s/%s", rel, de->d_name);
            for_each_vector(sub, fn);
            continue;
        }
        json_error_t je;
        /* Some vectors hold 2^64-1 (index 0 minus 1), beyond jansson's
         * int64: read numbers as doubles, which is exact below 2^53. */
        json_t *v = json_load_file(path, JSON_DECODE_INT_AS_REAL, &je);
        if (!v) {
            t_case(false, path, "cannot parse: %s", je.text);
            continue;
        }
        fn(path + strlen(t_vector_path("")), v);
        json_decref(v);
    }
    closedir(d);
}

static int g_inclusion_cases, g_consistency_cases;

static void inclusion_vector(const char *name, json_t *v)
{
    struct bytes_list path;
    uint8_t rootb[64], leafb[64];
    struct merkle_bytes root, leaf;
    bool want_err = json_is_true(json_object_get(v, "wantErr"));
    g_inclusion_cases++;
    if (!b64(json_string_value(json_object_get(v, "root")), rootb, 64, &root) ||
        !b64(json_string_value(json_object_get(v, "leafHash")), leafb, 64, &leaf) ||
        !b64_list(json_object_get(v, "proof"), &path)) {
        t_case(false, name, "vector not decodable");
        return;
    }
    struct err e = {0};
    err_code rc = merkle_verify_inclusion_bytes(
        leaf, num(json_object_get(v, "leafIdx")),
        num(json_object_get(v, "treeSize")), path.v, path.n, root, &e);
    t_case(want_err ? rc == E_VERIFY : rc == E_OK, name, "wantErr=%d but got %s (%s)",
           want_err, err_name(rc), e.msg);
}

static void consistency_vector(const char *name, json_t *v)
{
    struct bytes_list proof;
    uint8_t r1b[64], r2b[64];
    struct merkle_bytes r1, r2;
    bool want_err = json_is_true(json_object_get(v, "wantErr"));
    g_consistency_cases++;
    if (!b64(json_string_value(json_object_get(v, "root1")), r1b, 64, &r1) ||
        !b64(json_string_value(json_object_get(v, "root2")), r2b, 64, &r2) ||
        !b64_list(json_object_get(v, "proof"), &proof)) {
        t_case(false, name, "vector not decodable");
        return;
    }
    struct err e = {0};
    err_code rc = merkle_verify_consistency_bytes(
        num(json_object_get(v, "size1")),
        num(json_object_get(v, "size2")), r1, r2, proof.v, proof.n, &e);
    t_case(want_err ? rc == E_VERIFY : rc == E_OK, name, "wantErr=%d but got %s (%s)",
           want_err, err_name(rc), e.msg);
}

TEST(rfc9162_inclusion_vectors)
{
    for_each_vector("rfc9162/inclusion", inclusion_vector);
    CHECKF(g_inclusion_cases > 50, "only %d inclusion vectors found", g_inclusion_cases);
}

TEST(rfc9162_consistency_vectors)
{
    for_each_vector("rfc9162/consistency", consistency_vector);
    CHECKF(g_consistency_cases > 50, "only %d consistency vectors found", g_consistency_cases);
}
