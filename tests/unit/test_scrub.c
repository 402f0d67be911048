/*
 * tests/unit/test_scrub.c — `notary check` (notary/issuance/scrub.h): the
 * classification of one batch's evidence into named findings, and
 * scrub_run over a real store (tests/store_url.h: SQLite, or PostgreSQL
 * with NOTARY_TEST_PG) — clean batches of many sizes (the streaming root
 * must equal the root batch_close stored), the ledger's answers (same root,
 * another root, no anchor, unreachable) and a stop request; scrub_root (the
 * chunked, threaded re-hash) equal to a one-thread merkle_tree_build at
 * and around the chunk boundaries, with and without SHA-NI; duplicates found
 * among more leaves than the uniqueness check's buckets (a copied leaf is a
 * duplicate-hash, a leaf sharing only the 64-bit prefix is not); many hashes
 * sharing their 64-bit prefix cost one re-read per batch, not one per pair
 * (dup_reads). Corruptions of
 * the store itself are in tests/cli/scrub.sh.
 */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "core/hash.h"
#include "core/merkle.h"
#include "notary/issuance/batch.h"
#include "notary/issuance/scrub.h"
#include "notary/store/store.h"
#include "tests/harness.h"
#include "tests/store_url.h"

static struct hash32 H(uint8_t b)
{
    struct hash32 h;
    memset(h.b, b, 32);
    return h;
}

/* The findings of `ev` (index filled) as a string "a,b". */
static const char *classify(struct scrub_evidence ev)
{
    static char out[128];
    enum scrub_kind k[3];
    bool need = false;
    size_t n = scrub_classify(&ev, false, &need, k);
    if (need)
        n = scrub_classify(&ev, true, NULL, k);
    out[0] = 0;
    for (size_t i = 0; i < n; i++) {
        if (i)
            strcat(out, ",");
        strcat(out, scrub_kind_name(k[i]));
    }
    return out;
}

TEST(classify_table)
{
    struct scrub_evidence base = {.kind = BATCH_ISSUANCE, .size = 8, .count = 8, .rebuilt = H(1),
                                  .has_stored = true, .stored = H(1), .first_moved = -1,
                                  .first_unknown = -1};
    CHECK_STREQ(classify(base), "");
    struct scrub_evidence ev = base;
    ev.ledger_asked = ev.ledger_found = true;
    ev.ledger = H(1);
    CHECK_STREQ(classify(ev), ""); /* all three agree */
    ev.stored = H(2);
    CHECK_STREQ(classify(ev), "root-mismatch"); /* leaves give the ledger's root */
    ev = base;
    ev.ledger_asked = true; /* asked, not found */
    CHECK_STREQ(classify(ev), "not-anchored");
    /* the leaves do not give the reference root */
    ev = base;
    ev.rebuilt = H(3);
    ev.count = 7;
    CHECK_STREQ(classify(ev), "leaf-missing");
    ev.count = 9;
    CHECK_STREQ(classify(ev), "leaf-added");
    ev.count = 8;
    ev.moved = 2;
    CHECK_STREQ(classify(ev), "order-changed");
    ev.unknown = 1;
    CHECK_STREQ(classify(ev), "leaf-changed"); /* a hash the batch never had wins */
    ev.moved = ev.unknown = 0;
    CHECK_STREQ(classify(ev), "root-mismatch"); /* offline, index agrees: the root changed */
    ev.ledger_asked = ev.ledger_found = true;
    ev.ledger = H(1);
    CHECK_STREQ(classify(ev), "leaf-changed"); /* the ledger proves the leaves wrong */
    ev.stored = H(3);
    CHECK_STREQ(classify(ev), "root-mismatch,leaf-changed"); /* both rewritten */
    /* the index is only asked when it decides */
    enum scrub_kind k[3];
    bool need = false;
    ev = base;
    ev.rebuilt = H(3);
    CHECK(scrub_classify(&ev, false, &need, k) == 0 && need);
    ev.count = 7;
    CHECK(scrub_classify(&ev, false, &need, k) == 1 && !need && k[0] == SCRUB_LEAF_MISSING);
    /* checkpoints */
    ev = base;
    ev.kind = BATCH_REVOCATION;
    ev.rebuilt = H(4);
    CHECK_STREQ(classify(ev), "revlog-mismatch");
    ev.count = 3;
    CHECK_STREQ(classify(ev), "revlog-mismatch");
    CHECK_STREQ(scrub_kind_name(SCRUB__COUNT), "?");
}

/* A ledger answer chosen by the test: the stored root, another one, none,
 * or unreachable. */
struct fake_ledger {
    enum { SAME, OTHER, NONE, DOWN } mode;
    unsigned calls;
};

static err_code fake_root(void *arg, const struct store_batch *b, bool *found, struct hash32 *root,
                          struct err *e)
{
    struct fake_ledger *f = arg;
    f->calls++;
    *found = f->mode == SAME || f->mode == OTHER;
    *root = f->mode == OTHER ? H(0xee) : b->root;
    return f->mode == DOWN ? err_set(e, E_NETWORK, "connection refused") : E_OK;
}

static bool stop_at_once(uint64_t done, uint64_t total, void *arg)
{
    (void)done, (void)total, (void)arg;
    return false;
}

TEST(run_on_a_store)
{
    char path[512];
    struct store *s = t_store_fresh("scrub", path, sizeof path);
    CHECK(s);
    struct err e = {0};
    static const uint64_t sizes[] = {1, 2, 3, 5, 8, 13, 33, 70};
    uint64_t total = 0, k = 0;
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        struct hash32 h[70];
        for (uint64_t j = 0; j < sizes[i]; j++) {
            uint64_t in[2] = {0x5c0b, k++};
            CHECK(sha256(in, sizeof in, &h[j]) == E_OK);
        }
        CHECK_OK(store_submit(s, h, NULL, sizes[i], NULL, NULL, NULL, &e), &e);
        struct store_batch b;
        CHECK_OK(batch_close(s, &b, NULL, NULL, &e), &e);
        total += sizes[i];
    }
    struct scrub_result r;
    CHECK_OK(scrub_run(s, NULL, NULL, NULL, &r, &e), &e);
    CHECKF(r.n == 0, "%zu findings, first %s", r.n, r.n ? r.f[0].detail : "");
    CHECK(r.batches == 8 && r.leaves == total && !r.ledger && scrub_exit_status(&r) == 0);
    scrub_result_free(&r);

    /* batch 2 anchored (as the store says): the ledger is asked about it only */
    struct hash32 tx = H(0x77), blk = H(0x78);
    CHECK_OK(store_tx_record(s, BATCH_ISSUANCE, 2, 0, &tx, (const uint8_t *)"x", 1, &e), &e);
    CHECK_OK(store_batch_anchored(s, BATCH_ISSUANCE, 2, &tx, 5, &blk, 1000, &e), &e);
    struct fake_ledger f = {SAME, 0};
    struct scrub_ledger l = {fake_root, &f};
    CHECK_OK(scrub_run(s, &l, NULL, NULL, &r, &e), &e);
    CHECK(r.n == 0 && f.calls == 1 && r.anchored_checked == 1 && scrub_exit_status(&r) == 0);
    scrub_result_free(&r);
    f = (struct fake_ledger){OTHER, 0};
    CHECK_OK(scrub_run(s, &l, NULL, NULL, &r, &e), &e);
    /* stored root != ledger root, and the leaves do not give the ledger's either */
    CHECK(r.n == 2 && r.f[0].kind == SCRUB_ROOT_MISMATCH && r.f[0].seq == 2 &&
          r.f[1].kind == SCRUB_LEAF_CHANGED && scrub_exit_status(&r) == 1);
    json_t *j = scrub_result_json(&r);
    CHECK(j && !strcmp(json_string_value(json_object_get(j, "status")), "findings"));
    json_decref(j);
    scrub_result_free(&r);
    f = (struct fake_ledger){NONE, 0};
    CHECK_OK(scrub_run(s, &l, NULL, NULL, &r, &e), &e);
    CHECK(r.n == 1 && r.f[0].kind == SCRUB_NOT_ANCHORED && r.f[0].seq == 2);
    scrub_result_free(&r);
    f = (struct fake_ledger){DOWN, 0};
    CHECK_OK(scrub_run(s, &l, NULL, NULL, &r, &e), &e);
    CHECK(r.n == 0 && r.incomplete && strstr(r.incomplete_why, "connection refused") &&
          scrub_exit_status(&r) == 3);
    scrub_result_free(&r);

    CHECK_ERR(scrub_run(s, NULL, stop_at_once, NULL, &r, &e), &e, E_STATE, "stopped");
    store_close(s);
}

/* scrub_root cuts a batch into SCRUB_CHUNK-leaf trees built on every CPU and
 * folds their roots: the result must be the RFC 9162 root of the whole, for
 * sizes below, at and across chunk boundaries (1, 2, 3 and 4 chunks, an odd
 * partial last chunk), with the scratch tree reused from size to size. */
TEST(scrub_root_equals_whole_tree)
{
    const uint64_t C = SCRUB_CHUNK;
    const uint64_t sizes[] = {1, 2, 3, 7, C - 1, C, C + 1, 2 * C, 2 * C + 3, 3 * C, 3 * C + 1,
                              4 * C, 4 * C + 12345};
    uint64_t max = 4 * C + 12345;
    struct hash32 *h = malloc(max * sizeof *h);
    CHECK(h != NULL);
    for (uint64_t i = 0; i < max; i++) {
        uint64_t in[2] = {0x5c4b, i};
        CHECK(sha256(in, sizeof in, &h[i]) == E_OK);
    }
    struct err e = {0};
    struct merkle_tree *scratch = NULL;
    bool sha_ni = merkle_use_sha_ni(true);
    for (int pass = 0; pass < 2; pass++) {
        merkle_use_sha_ni(pass == 0 && sha_ni);
        for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
            struct merkle_tree *t;
            struct hash32 want, got;
            CHECK_OK(merkle_tree_build_threads(h, sizes[k], 1, NULL, &t, &e), &e);
            merkle_tree_root(t, &want);
            merkle_tree_free(t);
            CHECK_OK(scrub_root(h, sizes[k], &scratch, &got, &e), &e);
            CHECK(hash32_eq(&want, &got));
        }
    }
    merkle_use_sha_ni(sha_ni);
    struct hash32 empty, got;
    merkle_empty_root(&empty);
    CHECK_OK(scrub_root(h, 0, &scratch, &got, &e), &e);
    CHECK(hash32_eq(&empty, &got));
    merkle_tree_free(scratch);
    free(h);
}

/* Overwrite leaf `leaf` of batch `seq` in its chunk (SQLite file at path). */
static bool poke_leaf(const char *path, uint64_t seq, uint64_t leaf, const struct hash32 *h)
{
    sqlite3 *db;
    sqlite3_stmt *st = NULL;
    bool ok = sqlite3_open(path, &db) == SQLITE_OK &&
              sqlite3_prepare_v2(db, "SELECT id, hashes FROM chunks WHERE batch_seq = ?1 ORDER BY id",
                                 -1, &st, NULL) == SQLITE_OK;
    int64_t id = -1, first = -1;
    uint8_t *blob = NULL;
    int len = 0;
    if (ok) {
        sqlite3_bind_int64(st, 1, (int64_t)seq);
        while (sqlite3_step(st) == SQLITE_ROW && id < 0) {
            int64_t cid = sqlite3_column_int64(st, 0);
            if (first < 0)
                first = cid;
            len = sqlite3_column_bytes(st, 1);
            if ((uint64_t)(cid - first) <= leaf && leaf < (uint64_t)(cid - first) + (uint64_t)len / 32) {
                id = cid;
                blob = malloc((size_t)len);
                memcpy(blob, sqlite3_column_blob(st, 1), (size_t)len);
                memcpy(blob + 32 * (leaf - (uint64_t)(cid - first)), h->b, 32);
            }
        }
    }
    sqlite3_finalize(st);
    st = NULL;
    ok = ok && blob && sqlite3_prepare_v2(db, "UPDATE chunks SET hashes = ?1 WHERE id = ?2", -1, &st,
                                          NULL) == SQLITE_OK;
    if (ok) {
        sqlite3_bind_blob(st, 1, blob, len, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 2, id);
        ok = sqlite3_step(st) == SQLITE_DONE;
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    free(blob);
    return ok;
}

TEST(duplicates_among_many_leaves)
{
    if (t_store_pg())
        return; /* PostgreSQL's UNIQUE(hash) refuses a copied leaf */
    char url[512];
    struct store *s = t_store_fresh("scrub_dups", url, sizeof url);
    CHECK(s);
    if (!s)
        return;
    struct err e = {0};
    enum { PER = 3000 }; /* 3 batches: 9000 leaves, past the 2^12 buckets */
    static struct hash32 h[3][PER];
    for (uint64_t b = 0; b < 3; b++) {
        for (uint64_t j = 0; j < PER; j++) {
            uint64_t in[2] = {0xd0b5, b * PER + j};
            CHECK(sha256(in, sizeof in, &h[b][j]) == E_OK);
        }
        CHECK_OK(store_submit(s, h[b], NULL, PER, NULL, NULL, NULL, &e), &e);
        struct store_batch bt;
        CHECK_OK(batch_close(s, &bt, NULL, NULL, &e), &e);
    }
    struct scrub_result r;
    CHECK_OK(scrub_run(s, NULL, NULL, NULL, &r, &e), &e);
    CHECK(r.n == 0 && r.leaves == 3 * PER);
    scrub_result_free(&r);
    store_close(s);
    const char *path = url + strlen("sqlite:");
    struct hash32 near = h[0][9];
    near.b[31] ^= 1; /* the same 64-bit prefix as batch 0 leaf 9, another hash */
    CHECK(poke_leaf(path, 2, 7, &h[0][5]));
    CHECK(poke_leaf(path, 1, 3, &near));
    CHECK_OK(store_open(url, false, &s, &e), &e);
    if (!s)
        return;
    CHECK_OK(scrub_run(s, NULL, NULL, NULL, &r, &e), &e);
    size_t dup = 0, changed = 0;
    for (size_t i = 0; i < r.n; i++) {
        const struct scrub_finding *f = &r.f[i];
        if (f->kind == SCRUB_DUPLICATE_HASH) {
            dup++;
            CHECKF(f->seq == 2 && f->leaf == 7 && strstr(f->detail, "also batch 0 leaf 5"), "%s",
                   f->detail);
        } else if (f->kind == SCRUB_LEAF_CHANGED) {
            changed++;
            CHECK((f->seq == 2 && f->leaf == 7) || (f->seq == 1 && f->leaf == 3));
        }
    }
    CHECKF(r.n == 3 && dup == 1 && changed == 2, "%zu findings: %zu duplicate, %zu changed", r.n,
           dup, changed);
    scrub_result_free(&r);
    store_close(s);
}

/* Anyone who may submit can submit hashes that share their first 8 bytes
 * (they are arbitrary 32-byte values): the uniqueness check compares such
 * hashes in full, and must read each batch again at most once for all of
 * them, not once per pair (a full batch read per pair made `notary check`
 * as slow as a submitter liked). No finding: the hashes differ. */
TEST(prefix_collisions_cost_one_read_per_batch)
{
    char url[512];
    struct store *s = t_store_fresh("scrub_prefix", url, sizeof url);
    CHECK(s);
    if (!s)
        return;
    struct err e = {0};
    enum { PAIRS = 1500, BATCHES = 3 };
    static struct hash32 h[BATCHES][PAIRS];
    for (uint64_t b = 0; b < BATCHES; b++) {
        for (uint64_t j = 0; j < PAIRS; j++) {
            uint64_t in[2] = {0x9e5f, j}; /* the same prefix for leaf j of every batch */
            CHECK(sha256(in, sizeof in, &h[b][j]) == E_OK);
            memset(h[b][j].b + 8, (int)(0x11 * (b + 1)), 24);
        }
        CHECK_OK(store_submit(s, h[b], NULL, PAIRS, NULL, NULL, NULL, &e), &e);
        struct store_batch bt;
        CHECK_OK(batch_close(s, &bt, NULL, NULL, &e), &e);
    }
    struct scrub_result r;
    CHECK_OK(scrub_run(s, NULL, NULL, NULL, &r, &e), &e);
    CHECKF(r.n == 0 && r.leaves == (uint64_t)BATCHES * PAIRS, "%zu findings, %llu leaves", r.n,
           (unsigned long long)r.leaves);
    CHECKF(r.dup_reads <= BATCHES, "%llu batch reads for %d prefix-colliding hashes in %d batches",
           (unsigned long long)r.dup_reads, BATCHES * PAIRS, BATCHES);
    scrub_result_free(&r);
    store_close(s);
}
