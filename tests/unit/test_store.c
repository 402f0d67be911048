/*
 * tests/unit/test_store.c — the notary store and batch closing: durable
 * submissions, deduplication, batch freezing, roots that match a tree built
 * directly, crash repair of a frozen batch without root, anchoring states.
 */
#include <stdlib.h>

#include "core/hash.h"
#include "core/merkle.h"
#include "notary/batch.h"
#include "notary/store.h"
#include "tests/harness.h"

static void mk(struct hash32 *h, uint64_t n, uint32_t seed)
{
    for (uint64_t i = 0; i < n; i++) {
        uint64_t in[2] = {seed, i};
        if (sha256(in, sizeof in, &h[i])) abort();
    }
}

static struct store *fresh(const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s.db", t_tmpdir(), name);
    struct store *s = NULL;
    struct err e = {0};
    if (store_open(path, true, &s, &e) != E_OK)
        printf("store_open: %s\n", e.msg);
    return s;
}

TEST(submit_dedups_and_keeps_order)
{
    struct store *s = fresh("dedup");
    CHECK(s);
    struct err e = {0};
    struct hash32 h[10];
    mk(h, 10, 1);
    struct store_submitted out[10];
    CHECK_OK(store_submit(s, h, NULL, 6, out, NULL, NULL, &e), &e);
    CHECK(out[0].batch_seq == 0 && out[5].leaf_index == 5 && !out[5].existed);
    /* resubmission of 3..9: 3..5 exist, 6..9 are new at 6..9 */
    CHECK_OK(store_submit(s, h + 3, NULL, 7, out, NULL, NULL, &e), &e);
    CHECK(out[0].existed && out[0].leaf_index == 3);
    CHECK(!out[3].existed && out[3].leaf_index == 6);
    struct store_credential c;
    CHECK_OK(store_credential_get(s, &h[9], &c, &e), &e);
    CHECK(c.leaf_index == 9 && c.hashing == CRED_HASH_GIVEN);
    struct hash32 unknown = {{0}};
    CHECK_ERR(store_credential_get(s, &unknown, &c, &e), &e, E_NOT_FOUND, "never submitted");
    store_close(s);
}

TEST(close_builds_the_right_root_and_opens_the_next_batch)
{
    struct store *s = fresh("close");
    CHECK(s);
    struct err e = {0};
    struct store_batch b;
    CHECK_ERR(batch_close(s, &b, NULL, NULL, &e), &e, E_NOT_FOUND, "nothing to close");
    struct hash32 h[100];
    mk(h, 100, 2);
    CHECK_OK(store_submit(s, h, NULL, 37, NULL, NULL, NULL, &e), &e);
    CHECK_OK(batch_close(s, &b, NULL, NULL, &e), &e);
    CHECK(b.seq == 0 && b.size == 37 && b.has_root && b.state == BATCH_CLOSED);
    struct merkle_tree *t;
    CHECK_OK(merkle_tree_build(h, 37, NULL, &t, &e), &e);
    struct hash32 want;
    merkle_tree_root(t, &want);
    merkle_tree_free(t);
    CHECK(hash32_eq(&want, &b.root));
    /* next submissions go to batch 1; an old hash stays in batch 0 */
    struct store_submitted out[2];
    CHECK_OK(store_submit(s, h + 36, NULL, 2, out, NULL, NULL, &e), &e);
    CHECK(out[0].existed && out[0].batch_seq == 0);
    CHECK(!out[1].existed && out[1].batch_seq == 1 && out[1].leaf_index == 0);
    CHECK_ERR(store_batch_set_root(s, BATCH_ISSUANCE, 0, &want, &e), &e, E_STATE, "not closed");
    struct store_batch b1;
    CHECK_OK(batch_close(s, &b1, NULL, NULL, &e), &e);
    CHECK(b1.seq == 1 && b1.size == 1);
    store_close(s);
}

TEST(frozen_batch_without_root_is_repaired)
{
    struct store *s = fresh("repair");
    CHECK(s);
    struct err e = {0};
    struct hash32 h[5];
    mk(h, 5, 3);
    CHECK_OK(store_submit(s, h, NULL, 5, NULL, NULL, NULL, &e), &e);
    struct store_batch b;
    CHECK_OK(store_batch_freeze(s, 1, &b, &e), &e); /* as if we crashed right after */
    CHECK(!b.has_root);
    CHECK_OK(batch_finish_pending(s, &e), &e);
    CHECK_OK(store_batch_get(s, BATCH_ISSUANCE, 0, &b, &e), &e);
    CHECK(b.has_root && b.size == 5);
    store_close(s);
}

TEST(anchoring_states_and_tx_record)
{
    struct store *s = fresh("anchor");
    CHECK(s);
    struct err e = {0};
    struct hash32 h[3], tx = {{7}}, blk = {{8}};
    mk(h, 3, 4);
    CHECK_OK(store_submit(s, h, NULL, 3, NULL, NULL, NULL, &e), &e);
    struct store_batch b;
    CHECK_ERR(store_tx_record(s, BATCH_ISSUANCE, 0, 5, &tx, (const uint8_t *)"raw", 3, &e), &e,
              E_STATE, "not closed");
    CHECK_OK(batch_close(s, &b, NULL, NULL, &e), &e);
    CHECK_OK(store_tx_record(s, BATCH_ISSUANCE, 0, 5, &tx, (const uint8_t *)"raw", 3, &e), &e);
    uint8_t *raw;
    size_t len;
    CHECK_OK(store_tx_raw(s, &tx, &raw, &len, &e), &e);
    CHECK(len == 3 && memcmp(raw, "raw", 3) == 0);
    free(raw);
    CHECK_OK(store_batch_get(s, BATCH_ISSUANCE, 0, &b, &e), &e);
    CHECK(b.state == BATCH_SENT && b.nonce == 5 && hash32_eq(&b.tx_hash, &tx));
    CHECK_OK(store_batch_anchored(s, BATCH_ISSUANCE, 0, &tx, 42, &blk, 1700000000, &e), &e);
    CHECK_OK(store_batch_get(s, BATCH_ISSUANCE, 0, &b, &e), &e);
    CHECK(b.state == BATCH_ANCHORED && b.block_number == 42 && b.block_time == 1700000000);
    CHECK_ERR(store_batch_anchored(s, BATCH_ISSUANCE, 0, &tx, 42, &blk, 1, &e), &e, E_STATE,
              "not waiting");
    store_close(s);
}

TEST(meta_and_reopen)
{
    char path[512];
    snprintf(path, sizeof path, "%s/meta.db", t_tmpdir());
    struct store *s;
    struct err e = {0};
    CHECK_ERR(store_open(path, false, &s, &e), &e, E_NOT_FOUND, "notary init");
    CHECK_OK(store_open(path, true, &s, &e), &e);
    CHECK_OK(store_meta_set(s, "rpc_url", "http://127.0.0.1:8545", &e), &e);
    CHECK_OK(store_lock_writer(s, &e), &e);
    store_close(s);
    CHECK_OK(store_open(path, false, &s, &e), &e);
    char *v;
    CHECK_OK(store_meta_get(s, "rpc_url", &v, &e), &e);
    CHECK_STREQ(v, "http://127.0.0.1:8545");
    free(v);
    CHECK_ERR(store_meta_get(s, "nope", &v, &e), &e, E_NOT_FOUND, "nope");
    /* a second writer on the same database is refused */
    struct store *s2;
    CHECK_OK(store_open(path, false, &s2, &e), &e);
    CHECK_OK(store_lock_writer(s, &e), &e);
    CHECK_ERR(store_lock_writer(s2, &e), &e, E_STATE, "one writer per key");
    store_close(s2);
    store_close(s);
}
