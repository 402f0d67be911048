/*
 * tests/unit/test_store_txs.c — the store's record of a batch's transactions
 * when a stuck one is replaced (notary/store/store.h store_tx_list,
 * store_tx_set_sent_block; schema migration 4): every signed transaction is
 * kept, the batch points at the latest, and the block a transaction was
 * (re)sent at is kept so the anchoring state machine can count blocks.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/hash.h"
#include "notary/issuance/batch.h"
#include "notary/store/store.h"
#include "notary/store/store_impl.h"
#include "tests/harness.h"
#include "tests/store_url.h"

/* One closed batch 0 with a root. */
static bool closed_batch(struct store *s)
{
    struct hash32 h = {{0x11}};
    struct store_batch b;
    struct err e = {0};
    return store_submit(s, &h, NULL, 1, NULL, NULL, NULL, &e) == E_OK &&
           batch_close(s, &b, NULL, NULL, &e) == E_OK;
}

TEST(replacements_are_all_kept_and_the_latest_is_current)
{
    char path[512];
    struct store *s = t_store_fresh("txs", path, sizeof path);
    CHECK(s && closed_batch(s));
    struct err e = {0};
    struct hash32 t1 = {{1}}, t2 = {{2}};
    struct store_tx *txs;
    size_t n;
    CHECK_OK(store_tx_list(s, BATCH_ISSUANCE, 0, &txs, &n, &e), &e);
    CHECK(n == 0);
    free(txs);
    CHECK_OK(store_tx_record(s, BATCH_ISSUANCE, 0, 9, &t1, (const uint8_t *)"one", 3, &e), &e);
    CHECK_OK(store_tx_record(s, BATCH_ISSUANCE, 0, 9, &t2, (const uint8_t *)"two", 3, &e), &e);
    struct store_batch b;
    CHECK_OK(store_batch_get(s, BATCH_ISSUANCE, 0, &b, &e), &e);
    CHECK(b.state == BATCH_SENT && hash32_eq(&b.tx_hash, &t2) && b.nonce == 9);
    CHECK_OK(store_tx_list(s, BATCH_ISSUANCE, 0, &txs, &n, &e), &e);
    CHECK(n == 2);
    bool saw1 = false, saw2 = false;
    for (size_t i = 0; i < n; i++) {
        CHECK(txs[i].nonce == 9 && txs[i].has_raw && !txs[i].has_sent_block);
        saw1 |= hash32_eq(&txs[i].hash, &t1);
        saw2 |= hash32_eq(&txs[i].hash, &t2);
    }
    free(txs);
    CHECK(saw1 && saw2);
    /* the earlier one mined after all: it becomes current again, its bytes kept */
    CHECK_OK(store_tx_record(s, BATCH_ISSUANCE, 0, 9, &t1, NULL, 0, &e), &e);
    CHECK_OK(store_batch_get(s, BATCH_ISSUANCE, 0, &b, &e), &e);
    CHECK(hash32_eq(&b.tx_hash, &t1));
    uint8_t *raw;
    size_t len;
    CHECK_OK(store_tx_raw(s, &t1, &raw, &len, &e), &e);
    CHECK(len == 3 && memcmp(raw, "one", 3) == 0);
    free(raw);
    /* other batches' transactions are not listed */
    CHECK_OK(store_tx_list(s, BATCH_ISSUANCE, 1, &txs, &n, &e), &e);
    CHECK(n == 0);
    free(txs);
    CHECK_OK(store_tx_list(s, BATCH_REVOCATION, 0, &txs, &n, &e), &e);
    CHECK(n == 0);
    free(txs);
    store_close(s);
}

TEST(sent_block_set_cleared_and_unknown_refused)
{
    char path[512];
    struct store *s = t_store_fresh("sentblock", path, sizeof path);
    CHECK(s && closed_batch(s));
    struct err e = {0};
    struct hash32 t1 = {{1}}, other = {{0x77}};
    CHECK_OK(store_tx_record(s, BATCH_ISSUANCE, 0, 4, &t1, (const uint8_t *)"x", 1, &e), &e);
    uint64_t blk = 123456789012ull;
    CHECK_OK(store_tx_set_sent_block(s, &t1, &blk, &e), &e);
    struct store_tx *txs;
    size_t n;
    CHECK_OK(store_tx_list(s, BATCH_ISSUANCE, 0, &txs, &n, &e), &e);
    CHECK(n == 1 && txs[0].has_sent_block && txs[0].sent_block == blk);
    free(txs);
    CHECK_OK(store_tx_set_sent_block(s, &t1, NULL, &e), &e); /* rebroadcast: count again */
    CHECK_OK(store_tx_list(s, BATCH_ISSUANCE, 0, &txs, &n, &e), &e);
    CHECK(n == 1 && !txs[0].has_sent_block);
    free(txs);
    CHECK_ERR(store_tx_set_sent_block(s, &other, &blk, &e), &e, E_NOT_FOUND, "not recorded");
    store_close(s);
}

/* A new SQLite store in the file `name` of the test's directory (its path
 * in path); NULL, with the reason printed, if it cannot be created. */
static struct store *sqlite_fresh(const char *name, char *path, size_t size)
{
    snprintf(path, size, "%s/%s", t_tmpdir(), name);
    struct store *s = NULL;
    struct err e = {0};
    if (store_open(path, true, &s, &e) != E_OK)
        printf("store_open %s: %s\n", path, e.msg);
    return s;
}

/* n distinct hashes, SHA-256 of (seed, i); false if hashing failed. */
static bool hashes(struct hash32 *h, uint32_t n, uint32_t seed)
{
    for (uint32_t i = 0; i < n; i++) {
        uint32_t in[2] = {seed, i};
        if (sha256(in, sizeof in, &h[i]) != E_OK)
            return false;
    }
    return true;
}

/* SQL that undoes migrations 6 (stored subtree roots) and 5 (chunks) on a
 * SQLite store, the latter through its compatibility view: one row per hash,
 * hash UNIQUE, as before. */
#define TO_VERSION_4                                                                               \
    "DROP INDEX batches_unindexed; DROP TABLE runs;"                                               \
    "ALTER TABLE batches DROP COLUMN sub_shift; ALTER TABLE batches DROP COLUMN subroots;"        \
    "CREATE TABLE old AS SELECT * FROM credentials;"                                              \
    "DROP VIEW credentials; DROP TABLE chunks; DROP TABLE credential_index;"                      \
    "CREATE TABLE credentials(id INTEGER PRIMARY KEY,"                                            \
    "  hash BLOB NOT NULL UNIQUE CHECK(length(hash) = 32),"                                       \
    "  hashing INTEGER NOT NULL, batch_seq INTEGER NOT NULL,"                                     \
    "  submitted_at INTEGER NOT NULL);"                                                           \
    "INSERT INTO credentials SELECT * FROM old; DROP TABLE old;"                               \
    "ALTER TABLE batches DROP COLUMN indexed;"

TEST(migration_adds_sent_block_to_an_older_database)
{
    if (t_store_pg())
        return; /* rewrites a SQLite file; tests/cli/pg_cluster.sh checks the PostgreSQL version */
    char path[512];
    snprintf(path, sizeof path, "%s/migrate.db", t_tmpdir());
    struct store *s = NULL;
    struct err e0 = {0};
    CHECK_OK(store_open(path, true, &s, &e0), &e0);
    CHECK(s && closed_batch(s));
    struct err e = {0};
    struct hash32 t1 = {{1}};
    CHECK_OK(store_tx_record(s, BATCH_ISSUANCE, 0, 4, &t1, (const uint8_t *)"x", 1, &e), &e);
    store_close(s);
    /* Make it a version-3 database: the txs table as it was, one row. */
    sqlite3 *db;
    CHECK(sqlite3_open(path, &db) == SQLITE_OK);
    CHECK(sqlite3_exec(db,
                       TO_VERSION_4 "ALTER TABLE txs DROP COLUMN sent_block; PRAGMA user_version = 3;",
                       NULL, NULL, NULL) == SQLITE_OK);
    sqlite3_close(db);
    CHECK_OK(store_open(path, false, &s, &e), &e);
    struct store_tx *txs;
    size_t n;
    CHECK_OK(store_tx_list(s, BATCH_ISSUANCE, 0, &txs, &n, &e), &e);
    CHECK(n == 1 && hash32_eq(&txs[0].hash, &t1) && !txs[0].has_sent_block);
    free(txs);
    uint64_t blk = 5;
    CHECK_OK(store_tx_set_sent_block(s, &t1, &blk, &e), &e);
    store_close(s);
}

TEST(migration_5_moves_credentials_into_chunks)
{
    if (t_store_pg())
        return; /* SQLite only: PostgreSQL's migration 5 changes nothing */
    char path[512];
    struct store *s = sqlite_fresh("migrate5.db", path, sizeof path);
    CHECK(s);
    if (!s)
        return;
    struct err e = {0};
    struct hash32 h[30];
    enum credential_hashing how[30];
    for (int i = 0; i < 30; i++) {
        memset(h[i].b, 0, 32);
        h[i].b[0] = (uint8_t)(i * 7 + 1);
        h[i].b[31] = (uint8_t)i;
        how[i] = (enum credential_hashing)(i % 3);
    }
    struct store_batch b;
    CHECK_OK(store_submit(s, h, how, 20, NULL, NULL, NULL, &e), &e);
    CHECK_OK(store_batch_freeze(s, 7, &b, &e), &e);
    CHECK_OK(store_submit(s, h + 20, how + 20, 5, NULL, NULL, NULL, &e), &e);
    store_close(s);
    /* Back to version 4 through the compatibility view: one row per hash,
     * hash UNIQUE, as the notary stored them before. */
    sqlite3 *db;
    CHECK(sqlite3_open(path, &db) == SQLITE_OK);
    char *msg = NULL;
    int r = sqlite3_exec(db, TO_VERSION_4 "PRAGMA user_version = 4;", NULL, NULL, &msg);
    CHECKF(r == SQLITE_OK, "%s", msg ? msg : "");
    sqlite3_free(msg);
    sqlite3_stmt *st;
    CHECK(sqlite3_prepare_v2(db, "SELECT count(*), sum(hashing), sum(id) FROM credentials", -1,
                             &st, NULL) == SQLITE_OK);
    CHECK(sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0) == 25 &&
          sqlite3_column_int(st, 1) == 24 && sqlite3_column_int(st, 2) == 300);
    sqlite3_finalize(st);
    sqlite3_close(db);
    CHECK_OK(store_open(path, false, &s, &e), &e);
    if (!s)
        return;
    struct store_credential c;
    CHECK_OK(store_credential_get(s, &h[13], &c, &e), &e);
    CHECK(c.batch_seq == 0 && c.leaf_index == 13 && c.hashing == how[13]);
    CHECK_OK(store_credential_get(s, &h[23], &c, &e), &e);
    CHECK(c.batch_seq == 1 && c.leaf_index == 3 && c.hashing == how[23]);
    struct store_submitted out[10];
    CHECK_OK(store_submit(s, h + 18, NULL, 10, out, NULL, NULL, &e), &e);
    CHECK(out[0].existed && out[0].batch_seq == 0 && out[0].leaf_index == 18);
    CHECK(out[6].existed && out[6].batch_seq == 1 && out[6].leaf_index == 4);
    CHECK(!out[7].existed && out[7].batch_seq == 1 && out[7].leaf_index == 5);
    struct hash32 *leaves;
    uint8_t *lhow;
    uint64_t n;
    CHECK_OK(store_batch_leaves_hashing(s, 0, &leaves, &lhow, &n, &e), &e);
    CHECK(n == 20 && memcmp(leaves, h, 20 * sizeof *h) == 0 && lhow[14] == how[14]);
    free(leaves);
    free(lhow);
    CHECK_OK(store_batch_freeze(s, 8, &b, &e), &e);
    CHECK(b.seq == 1 && b.size == 8);
    store_close(s);
}

TEST(indexing_a_frozen_batch_resumes_after_a_crash)
{
    if (t_store_pg())
        return; /* SQLite's on-disk hash index is filled after a freeze, in slices */
    char path[512];
    struct store *s = sqlite_fresh("slices.db", path, sizeof path);
    CHECK(s);
    if (!s)
        return;
    struct err e = {0};
    enum { N = 100000 }; /* 4 slices */
    struct hash32 *h = malloc(N * sizeof *h);
    CHECK(hashes(h, N, 77));
    struct store_batch b;
    CHECK_OK(store_submit(s, h, NULL, N, NULL, NULL, NULL, &e), &e);
    CHECK_OK(batch_close(s, &b, NULL, NULL, &e), &e);
    store_close(s);
    /* As if the process died after the first slice: the smallest 32768
     * hashes indexed, the rest not. */
    sqlite3 *db;
    CHECK(sqlite3_open(path, &db) == SQLITE_OK);
    CHECK(sqlite3_exec(db,
                       "DELETE FROM credential_index WHERE hash > (SELECT hash FROM "
                       "credential_index ORDER BY hash LIMIT 1 OFFSET 32767);"
                       "UPDATE batches SET indexed = 32768 WHERE seq = 0;",
                       NULL, NULL, NULL) == SQLITE_OK);
    sqlite3_close(db);
    CHECK_OK(store_open(path, false, &s, &e), &e);
    if (!s) {
        free(h);
        return;
    }
    /* Every hash is still found and still a duplicate. */
    size_t lost = 0;
    struct store_credential c;
    for (uint32_t i = 0; i < N; i += 97)
        lost += store_credential_get(s, &h[i], &c, &e) != E_OK || c.batch_seq != 0 ||
                c.leaf_index != i;
    CHECKF(lost == 0, "%zu hashes not found", lost);
    struct store_submitted out[3];
    struct hash32 in[3] = {h[5], h[N - 1], {{0x42}}};
    CHECK_OK(store_submit(s, in, NULL, 3, out, NULL, NULL, &e), &e);
    CHECK(out[0].existed && out[0].batch_seq == 0 && out[0].leaf_index == 5);
    CHECK(out[1].existed && out[1].batch_seq == 0 && out[1].leaf_index == N - 1);
    CHECK(!out[2].existed && out[2].batch_seq == 1 && out[2].leaf_index == 0);
    /* The next close finishes batch 0's indexing, then indexes batch 1. */
    CHECK_OK(batch_close(s, &b, NULL, NULL, &e), &e);
    CHECK(b.seq == 1 && b.has_root);
    store_close(s);
    CHECK(sqlite3_open(path, &db) == SQLITE_OK);
    sqlite3_stmt *st;
    /* Batch 0 had its sorted run (it is larger than SQ_RUN_MIN) and a merge
     * under way: the merge finished and took the run away. */
    CHECK(sqlite3_prepare_v2(db, "SELECT (SELECT count(*) FROM runs), (SELECT "
                                 "group_concat(indexed) FROM batches WHERE kind = 0)", -1, &st,
                             NULL) == SQLITE_OK);
    CHECK(sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0) == 0);
    CHECK_STREQ((const char *)sqlite3_column_text(st, 1), "100000,1");
    sqlite3_finalize(st);
    sqlite3_close(db);
    free(h);
}

/* A batch larger than SQ_RUN_MIN is made findable at its close by its
 * sorted run alone (credential_index stays empty): a new handle, with no
 * in-memory index, finds every hash and refuses it as a duplicate. */
TEST(a_closed_batch_is_found_through_its_sorted_run)
{
    if (t_store_pg())
        return; /* SQLite's runs */
    char path[512];
    struct store *s = sqlite_fresh("runs.db", path, sizeof path);
    CHECK(s);
    if (!s)
        return;
    enum { N = 40000 };
    struct hash32 *h = malloc(N * sizeof *h);
    struct err e = {0};
    for (uint32_t i = 0; i < N; i++) {
        uint64_t in[2] = {0x52554e, i};
        CHECK(sha256(in, sizeof in, &h[i]) == E_OK);
    }
    struct store_batch b;
    CHECK_OK(store_submit(s, h, NULL, N, NULL, NULL, NULL, &e), &e);
    CHECK_OK(batch_close(s, &b, NULL, NULL, &e), &e);
    store_close(s);
    sqlite3 *db;
    sqlite3_stmt *st;
    CHECK(sqlite3_open(path, &db) == SQLITE_OK);
    CHECK(sqlite3_prepare_v2(db, "SELECT (SELECT count(*) FROM credential_index), "
                                 "(SELECT sum(n) FROM runs)", -1, &st, NULL) == SQLITE_OK);
    CHECK(sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0) == 0 &&
          sqlite3_column_int(st, 1) == N);
    sqlite3_finalize(st);
    sqlite3_close(db);
    CHECK_OK(store_open(path, false, &s, &e), &e);
    size_t lost = 0;
    struct store_credential c;
    for (uint32_t i = 0; i < N; i += 7)
        lost += store_credential_get(s, &h[i], &c, &e) != E_OK || c.batch_seq != 0 ||
                c.leaf_index != i || !hash32_eq(&c.hash, &h[i]);
    CHECKF(lost == 0, "%zu hashes of the closed batch not found", lost);
    struct hash32 absent = {{0x77}};
    CHECK_ERR(store_credential_get(s, &absent, &c, &e), &e, E_NOT_FOUND, "never submitted");
    struct store_submitted out[3];
    struct hash32 in[3] = {h[0], h[N - 1], absent};
    CHECK_OK(store_submit(s, in, NULL, 3, out, NULL, NULL, &e), &e);
    CHECK(out[0].existed && out[0].batch_seq == 0 && out[0].leaf_index == 0);
    CHECK(out[1].existed && out[1].batch_seq == 0 && out[1].leaf_index == N - 1);
    CHECK(!out[2].existed && out[2].batch_seq == 1 && out[2].leaf_index == 0);
    store_close(s);
    free(h);
}

/* Runs beyond SQ_RUNS_KEEP are merged into credential_index, oldest
 * first, and each merged run is gone; every hash stays findable. */
TEST(runs_beyond_four_are_merged_oldest_first)
{
    if (t_store_pg())
        return;
    char path[512];
    struct store *s = sqlite_fresh("runs6.db", path, sizeof path);
    CHECK(s);
    if (!s)
        return;
    enum { B = 6, N = 33000 };
    struct hash32 *h = malloc((size_t)B * N * sizeof *h);
    struct err e = {0};
    for (uint32_t i = 0; i < B * N; i++) {
        uint64_t in[2] = {0x4d52, i};
        CHECK(sha256(in, sizeof in, &h[i]) == E_OK);
    }
    for (int b = 0; b < B; b++) {
        struct store_batch bt;
        CHECK_OK(store_submit(s, h + (size_t)b * N, NULL, N, NULL, NULL, NULL, &e), &e);
        CHECK_OK(batch_close(s, &bt, NULL, NULL, &e), &e);
    }
    store_close(s);
    sqlite3 *db;
    sqlite3_stmt *st;
    CHECK(sqlite3_open(path, &db) == SQLITE_OK);
    CHECK(sqlite3_prepare_v2(db, "SELECT (SELECT group_concat(s) FROM (SELECT DISTINCT batch_seq "
                                 "AS s FROM runs ORDER BY s)), (SELECT count(*) FROM "
                                 "credential_index), (SELECT group_concat(indexed) FROM batches "
                                 "WHERE kind = 0)", -1, &st, NULL) == SQLITE_OK);
    CHECK(sqlite3_step(st) == SQLITE_ROW);
    CHECK_STREQ((const char *)sqlite3_column_text(st, 0), "2,3,4,5");
    CHECK(sqlite3_column_int(st, 1) == 2 * N);
    CHECK_STREQ((const char *)sqlite3_column_text(st, 2), "33000,33000,0,0,0,0");
    sqlite3_finalize(st);
    sqlite3_close(db);
    CHECK_OK(store_open(path, false, &s, &e), &e);
    size_t lost = 0;
    struct store_credential c;
    for (uint32_t i = 0; i < B * N; i += 11)
        lost += store_credential_get(s, &h[i], &c, &e) != E_OK || c.batch_seq != i / N ||
                c.leaf_index != i % N;
    CHECKF(lost == 0, "%zu hashes not found", lost);
    store_close(s);
    free(h);
}

/* A run of chosen hashes: all share their first 24 bytes (one bucket of
 * the sort, ties on its 8-byte prefix), or only their first 2: every one
 * is still found through the run. */
TEST(a_run_of_hashes_sharing_a_prefix_is_sorted_and_found)
{
    if (t_store_pg())
        return;
    char path[512];
    struct store *s = sqlite_fresh("runs_prefix.db", path, sizeof path);
    CHECK(s);
    if (!s)
        return;
    enum { N = 40000 };
    struct hash32 *h = malloc(N * sizeof *h);
    struct err e = {0};
    for (uint32_t i = 0; i < N; i++) {
        uint64_t in[2] = {0x5052, i};
        CHECK(sha256(in, sizeof in, &h[i]) == E_OK);
        memset(h[i].b, 0xab, i % 2 ? 24 : 2); /* odd: 24 shared bytes; even: 2 */
    }
    struct store_batch b;
    CHECK_OK(store_submit(s, h, NULL, N, NULL, NULL, NULL, &e), &e);
    CHECK_OK(batch_close(s, &b, NULL, NULL, &e), &e);
    store_close(s);
    CHECK_OK(store_open(path, false, &s, &e), &e);
    size_t lost = 0;
    struct store_credential c;
    for (uint32_t i = 0; i < N; i++)
        lost += store_credential_get(s, &h[i], &c, &e) != E_OK || c.leaf_index != i;
    CHECKF(lost == 0, "%zu of %d hashes with a shared prefix not found", lost, N);
    store_close(s);
    free(h);
}

TEST(in_memory_index_full_falls_back_to_the_rows_not_on_disk)
{
    if (t_store_pg())
        return; /* SQLite's in-memory index */
    char path[512];
    struct store *s = sqlite_fresh("idxlimit.db", path, sizeof path);
    CHECK(s);
    if (!s)
        return;
    struct err e = {0};
    store_sqlite_set_index_limit(1000); /* as if 1000 were 2^32 */
    CHECK_OK(store_index_all(s, &e), &e);
    struct hash32 h[2000];
    CHECK(hashes(h, 2000, 99));
    struct store_batch b;
    struct store_submitted out[1100];
    CHECK_OK(store_submit(s, h, NULL, 800, NULL, NULL, NULL, &e), &e);
    CHECK_OK(batch_close(s, &b, NULL, NULL, &e), &e); /* batch 0: 0..799, on disk */
    /* 300 more would not fit beside all 800: the index drops to the rows not
     * on disk, and duplicates of batch 0 are still found (on disk). */
    CHECK_OK(store_submit(s, h + 600, NULL, 500, out, NULL, NULL, &e), &e);
    CHECK(out[0].existed && out[0].batch_seq == 0 && out[0].leaf_index == 600);
    CHECK(out[199].existed && out[199].leaf_index == 799);
    CHECK(!out[200].existed && out[200].batch_seq == 1 && out[200].leaf_index == 0);
    CHECK_OK(store_submit(s, h + 1000, NULL, 100, out, NULL, NULL, &e), &e);
    CHECK(out[0].existed && out[0].batch_seq == 1 && out[0].leaf_index == 200);
    struct store_credential c;
    CHECK_OK(store_credential_get(s, &h[5], &c, &e), &e);
    CHECK(c.batch_seq == 0 && c.leaf_index == 5);
    CHECK_OK(store_credential_get(s, &h[1099], &c, &e), &e);
    CHECK(c.batch_seq == 1 && c.leaf_index == 299);
    /* An open batch larger than the index can hold is refused, nothing stored. */
    CHECK_ERR(store_submit(s, h + 1100, NULL, 900, out, NULL, NULL, &e), &e, E_LIMIT,
              "close the batch");
    struct store_counts counts;
    CHECK_OK(store_counts(s, &counts, &e), &e);
    CHECK(counts.credentials == 1100 && counts.open_size == 300);
    /* After a close there is room again. */
    CHECK_OK(batch_close(s, &b, NULL, NULL, &e), &e);
    CHECK_OK(store_submit(s, h + 1100, NULL, 900, out, NULL, NULL, &e), &e);
    CHECK(!out[899].existed && out[899].batch_seq == 2 && out[899].leaf_index == 899);
    store_sqlite_set_index_limit(0);
    store_close(s);
}

TEST(a_missing_chunk_is_reported_not_skipped)
{
    if (t_store_pg())
        return; /* SQLite chunks */
    char path[512];
    struct store *s = sqlite_fresh("holes.db", path, sizeof path);
    CHECK(s);
    if (!s)
        return;
    struct err e = {0};
    struct hash32 h[30];
    CHECK(hashes(h, 30, 5));
    for (int k = 0; k < 3; k++) /* three commits: three chunks of 10 */
        CHECK_OK(store_submit(s, h + 10 * k, NULL, 10, NULL, NULL, NULL, &e), &e);
    struct store_batch b;
    CHECK_OK(store_batch_freeze(s, 1, &b, &e), &e);
    store_close(s);
    sqlite3 *db;
    CHECK(sqlite3_open(path, &db) == SQLITE_OK);
    CHECK(sqlite3_exec(db, "DELETE FROM chunks WHERE id = 10", NULL, NULL, NULL) == SQLITE_OK);
    sqlite3_close(db);
    CHECK_OK(store_open(path, false, &s, &e), &e);
    if (!s)
        return;
    struct hash32 *leaves = NULL;
    uint64_t n;
    CHECK_ERR(store_batch_leaves(s, 0, &leaves, &n, &e), &e, E_STATE, "inconsistent at leaf 10");
    CHECK(leaves == NULL);
    CHECK_ERR(store_index_frozen(s, &e), &e, E_STATE, "inconsistent at leaf 10");
    store_close(s);
}
