/*
 * tests/unit/test_store_txs.c — the store's record of a batch's transactions
 * when a stuck one is replaced (notary/store.h store_tx_list,
 * store_tx_set_sent_block; schema migration 4): every signed transaction is
 * kept, the batch points at the latest, and the block a transaction was
 * (re)sent at is kept so the anchoring state machine can count blocks.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "notary/batch.h"
#include "notary/store.h"
#include "tests/harness.h"
#include "tests/store_url.h"

/* A new store (SQLite, or PostgreSQL under tests/cli/store_pg.sh). */
static struct store *fresh(const char *name, char *path, size_t n)
{
    if (!t_store_url(name, path, n))
        return NULL;
    struct store *s = NULL;
    struct err e = {0};
    if (store_open(path, true, &s, &e) != E_OK)
        printf("store_open: %s\n", e.msg);
    return s;
}

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
    struct store *s = fresh("txs", path, sizeof path);
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
    struct store *s = fresh("sentblock", path, sizeof path);
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
                       "ALTER TABLE txs DROP COLUMN sent_block; PRAGMA user_version = 3;",
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
