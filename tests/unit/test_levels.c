/*
 * tests/unit/test_levels.c — one proof from a batch's stored subtree roots
 * (notary/issuance/levels.h): byte-identical to the audit path of the whole
 * tree rebuilt, for many sizes (below, at and around multiples of the
 * subtree size, and not powers of two); a batch closed before migration 6
 * (the columns dropped, the schema version set back) still gives proofs and
 * gets its subroots stored once; a stored subroot that does not match the
 * leaves is refused. Runs on SQLite, and on PostgreSQL with NOTARY_TEST_PG
 * (tests/cli/store_pg.sh).
 */
#include <postgresql/libpq-fe.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "core/hash.h"
#include "core/merkle.h"
#include "notary/issuance/batch.h"
#include "notary/issuance/levels.h"
#include "notary/issuance/proof.h"
#include "notary/store/store.h"
#include "tests/harness.h"
#include "tests/store_url.h"

static void mk(struct hash32 *h, uint64_t n, uint32_t seed)
{
    for (uint64_t i = 0; i < n; i++) {
        uint64_t in[2] = {seed, i};
        if (sha256(in, sizeof in, &h[i]))
            abort();
    }
}

/* Every leaf's proof through the store (proof_for_credential) against the
 * path of the tree built directly; `every` > 1 samples (always the first,
 * the last and those around subtree edges). */
static bool same_proofs(struct store *s, const struct hash32 *h, uint64_t n, uint64_t every,
                        const char *what)
{
    struct merkle_tree *t;
    struct err e = {0};
    if (merkle_tree_build(h, n, NULL, &t, &e)) {
        t_fail(__FILE__, __LINE__, "%s: build: %s", what, e.msg);
        return false;
    }
    bool ok = true;
    for (uint64_t i = 0; i < n && ok; i++) {
        uint64_t r = i & ((1u << LEVELS_SHIFT) - 1);
        if (every > 1 && i % every && i + 1 != n && r > 1 && r < (1u << LEVELS_SHIFT) - 2)
            continue;
        struct hash32 want[MERKLE_MAX_PATH];
        size_t wlen;
        struct bundle b;
        if (merkle_tree_inclusion_proof(t, i, n, want, &wlen, &e) ||
            proof_for_credential(s, &h[i], &b, &e)) {
            t_fail(__FILE__, __LINE__, "%s: leaf %llu: %s", what, (unsigned long long)i, e.msg);
            ok = false;
        } else if (b.inclusion.leaf_index != i || b.inclusion.path_len != wlen ||
                   memcmp(b.inclusion.path, want, wlen * sizeof want[0]) != 0) {
            t_fail(__FILE__, __LINE__, "%s: leaf %llu of %llu: the path differs from the "
                   "rebuilt tree's", what, (unsigned long long)i, (unsigned long long)n);
            ok = false;
        }
    }
    merkle_tree_free(t);
    return ok;
}

TEST(stored_subroots_give_the_rebuilt_paths)
{
    static const uint64_t sizes[] = {1, 2, 3, 5, 7, 100, 1023, 1024, 1025, 1536, 2047,
                                     2048, 2049, 3000, 4097, 5000, 9999};
    uint64_t total = 0;
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++)
        total += sizes[k];
    struct hash32 *h = malloc(total * sizeof *h);
    CHECK(h);
    mk(h, total, 16);
    struct store *s = t_store_fresh("sizes", (char[512]){0}, 512);
    CHECK(s);
    struct err e = {0};
    uint64_t at = 0;
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        uint64_t n = sizes[k];
        struct store_batch b;
        CHECK_OK(store_submit(s, h + at, NULL, n, NULL, NULL, NULL, &e), &e);
        CHECK_OK(batch_close(s, &b, NULL, NULL, &e), &e);
        struct store_subroots sub;
        CHECK_OK(store_batch_subroots(s, b.seq, &sub, &e), &e); /* written at close */
        CHECK(sub.shift == LEVELS_SHIFT && sub.count == ((n - 1) >> LEVELS_SHIFT) + 1);
        free(sub.roots);
        char what[32];
        snprintf(what, sizeof what, "size %llu", (unsigned long long)n);
        if (!same_proofs(s, h + at, n, n > 3000 ? 97 : 1, what))
            break;
        at += n;
    }
    store_close(s);
    free(h);
}

/* Take the store back to schema 5: the subroot columns gone. */
static bool downgrade(const char *url)
{
    if (t_store_pg()) {
        PGconn *c = PQconnectdb(url);
        PGresult *r = PQexec(c, "ALTER TABLE batches DROP COLUMN subroots, DROP COLUMN sub_shift;"
                                "DELETE FROM schema_version WHERE version >= 6;"
                                "INSERT INTO schema_version SELECT 5 WHERE NOT EXISTS "
                                "(SELECT 1 FROM schema_version)");
        bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
        if (!ok)
            printf("downgrade: %s\n", PQerrorMessage(c));
        PQclear(r);
        PQfinish(c);
        return ok;
    }
    sqlite3 *db;
    bool ok = sqlite3_open(url + strlen("sqlite:"), &db) == SQLITE_OK &&
              sqlite3_exec(db, "DROP INDEX batches_unindexed; DROP TABLE runs;"
                               "ALTER TABLE batches DROP COLUMN subroots;"
                               "ALTER TABLE batches DROP COLUMN sub_shift;"
                               "PRAGMA user_version = 5", NULL, NULL, NULL) == SQLITE_OK;
    if (!ok)
        printf("downgrade: %s\n", sqlite3_errmsg(db));
    sqlite3_close(db);
    return ok;
}

/* A fresh store (its URL into url[512]) holding one batch of n hashes made
 * with `seed` (*h, malloc'd), frozen; closed (root and subroots) if `close`.
 * NULL, with the failure reported, if any step fails. */
static struct store *one_batch(const char *name, char *url, uint64_t n, uint32_t seed, bool close,
                               struct hash32 **h, struct store_batch *b)
{
    struct err e = {0};
    struct store *s = t_store_fresh(name, url, 512);
    *h = malloc(n * sizeof **h);
    if (!s || !*h) {
        t_fail(__FILE__, __LINE__, "%s: no store or memory", name);
        store_close(s);
        return NULL;
    }
    mk(*h, n, seed);
    if (store_submit(s, *h, NULL, n, NULL, NULL, NULL, &e) ||
        (close ? batch_close(s, b, NULL, NULL, &e) : store_batch_freeze(s, 1700000000, b, &e))) {
        t_fail(__FILE__, __LINE__, "%s: %s", name, e.msg);
        store_close(s);
        return NULL;
    }
    return s;
}

TEST(batch_closed_before_the_migration_still_gives_proofs)
{
    char url[512];
    struct err e = {0};
    enum { N = 2500 };
    struct hash32 *h = NULL;
    struct store_batch b;
    struct store *s = one_batch("premigration", url, N, 17, true, &h, &b);
    if (!s) {
        free(h);
        return;
    }
    store_close(s);
    CHECK(downgrade(url));
    CHECK_OK(store_open(url, false, &s, &e), &e); /* migration 6 again: NULL subroots */
    struct store_subroots sub;
    CHECK_ERR(store_batch_subroots(s, b.seq, &sub, &e), &e, E_NOT_FOUND, "no stored subtree");
    CHECK(same_proofs(s, h, N, 1, "pre-migration batch"));
    CHECK_OK(store_batch_subroots(s, b.seq, &sub, &e), &e); /* computed once, kept */
    CHECK(sub.count == 3);
    free(sub.roots);
    store_close(s);
    free(h);
}

TEST(a_wrong_stored_subroot_is_refused)
{
    char url[512];
    struct err e = {0};
    enum { N = 3000 };
    struct hash32 *h = NULL;
    struct store_batch b;
    struct store *s = one_batch("wrongsub", url, N, 18, false, &h, &b);
    if (!s) {
        free(h);
        return;
    }
    struct merkle_tree *t;
    CHECK_OK(merkle_tree_build(h, N, NULL, &t, &e), &e);
    struct hash32 root;
    merkle_tree_root(t, &root);
    struct store_subroots sub;
    CHECK_OK(levels_from_tree(t, &sub, &e), &e);
    merkle_tree_free(t);
    CHECK(sub.count == 3);
    /* subroots that do not fit the size are refused before anything is written */
    sub.count = 2;
    CHECK_ERR(store_batch_set_root(s, BATCH_ISSUANCE, b.seq, &root, &sub, &e), &e, E_INVALID,
              "do not fit");
    sub.count = 3;
    sub.roots[1].b[0] ^= 1; /* a store that lies about subtree 1 */
    CHECK_OK(store_batch_set_root(s, BATCH_ISSUANCE, b.seq, &root, &sub, &e), &e);
    free(sub.roots);
    struct bundle bun;
    /* its own leaves do not give it; another subtree's path leads to another root */
    CHECK_ERR(proof_for_credential(s, &h[1500], &bun, &e), &e, E_STATE, "subtree 1");
    CHECK_ERR(proof_for_credential(s, &h[5], &bun, &e), &e, E_STATE, "no longer yields its root");
    store_close(s);
    free(h);
}

TEST(leaves_range_reads_across_chunks)
{
    struct store *s = t_store_fresh("range", (char[512]){0}, 512);
    CHECK(s);
    struct err e = {0};
    enum { N = 20000 };
    struct hash32 *h = malloc(N * sizeof *h), *got = malloc(N * sizeof *got);
    CHECK(h && got);
    mk(h, N, 19);
    /* several commits: chunks of different sizes */
    CHECK_OK(store_submit(s, h, NULL, 7, NULL, NULL, NULL, &e), &e);
    CHECK_OK(store_submit(s, h + 7, NULL, 9000, NULL, NULL, NULL, &e), &e);
    CHECK_OK(store_submit(s, h + 9007, NULL, N - 9007, NULL, NULL, NULL, &e), &e);
    struct store_batch b;
    CHECK_OK(batch_close(s, &b, NULL, NULL, &e), &e);
    static const uint64_t from[] = {0, 5, 7, 6, 8190, 8192, 9006, 12000, N - 1};
    for (size_t k = 0; k < sizeof from / sizeof from[0]; k++) {
        uint64_t cnt = N - from[k] < 3000 ? N - from[k] : 3000;
        CHECK_OK(store_batch_leaves_range(s, b.seq, from[k], cnt, got, NULL, &e), &e);
        CHECKF(memcmp(got, h + from[k], cnt * sizeof *got) == 0, "range from %llu differs",
               (unsigned long long)from[k]);
    }
    CHECK_ERR(store_batch_leaves_range(s, b.seq, N - 1, 2, got, NULL, &e), &e, E_INVALID,
              "not in closed batch");
    store_close(s);
    free(h);
    free(got);
}
