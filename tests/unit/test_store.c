/*
 * tests/unit/test_store.c — the notary store and batch closing: durable
 * submissions, deduplication, batch freezing, roots that match a tree built
 * directly, crash repair of a frozen batch without root, anchoring states,
 * the revocation log, tokens, the writer lock, and concurrent submitters
 * racing a closer. The same tests run against SQLite (here) and PostgreSQL
 * (tests/cli/store_pg.sh sets NOTARY_TEST_PG; tests/store_url.h).
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "anchor/rpc.h"
#include "core/hash.h"
#include "core/merkle.h"
#include "core/revlog.h"
#include "notary/issuance/batch.h"
#include "notary/store/store.h"
#include "tests/harness.h"
#include "tests/store_url.h"

static void mk(struct hash32 *h, uint64_t n, uint32_t seed)
{
    for (uint64_t i = 0; i < n; i++) {
        uint64_t in[2] = {seed, i};
        if (sha256(in, sizeof in, &h[i])) abort();
    }
}

/* A new store (tests/store_url.h) whose URL the test does not need. */
static struct store *fresh(const char *name)
{
    char path[512];
    return t_store_fresh(name, path, sizeof path);
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
    CHECK_ERR(store_batch_set_root(s, BATCH_ISSUANCE, 0, &want, NULL, &e), &e, E_STATE, "not closed");
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
    CHECK(t_store_url("meta", path, sizeof path));
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
    CHECK_ERR(store_lock_writer(s2, &e), &e, E_STATE, "one writer per key");
    /* the holder goes away: the other takes over */
    store_close(s);
    CHECK_OK(store_lock_writer(s2, &e), &e);
    CHECK_OK(store_lock_writer(s2, &e), &e); /* held: still ours */
    store_close(s2);
}

TEST(store_urls)
{
    struct store *s = NULL;
    struct err e = {0};
    char url[600];
    snprintf(url, sizeof url, "sqlite:%s/url.db", t_tmpdir());
    CHECK_ERR(store_open(url, false, &s, &e), &e, E_NOT_FOUND, "notary init");
    CHECK_OK(store_open(url, true, &s, &e), &e);
    CHECK_STREQ(store_engine(s), "sqlite");
    CHECK(!store_shared(s));
    store_close(s);
    /* the same file as a plain path */
    CHECK_OK(store_open(url + 7, false, &s, &e), &e);
    store_close(s);
    CHECK_ERR(store_open("sqlite:", true, &s, &e), &e, E_INVALID, "empty store path");
    CHECK(store_url_is_pg("postgresql://u@h/db") && store_url_is_pg("postgres://h/db"));
    CHECK(!store_url_is_pg("sqlite:/x") && !store_url_is_pg("/tmp/postgresql://x"));
    /* Issue 19: keyword/value strings are PostgreSQL too, and no password is echoed. */
    CHECK(store_url_is_pg("host=db dbname=notary") && !store_url_is_pg("notary.db") &&
          !store_url_is_pg("data/x=y.db"));
    char shown[300];
    CHECK_STREQ(store_url_redact("postgresql://notary:s3cret@db:5432/n?sslmode=require&password=s3cret",
                                 shown, sizeof shown),
                "postgresql://notary:***@db:5432/n?sslmode=require&password=***");
    CHECK_STREQ(store_url_redact("postgres://notary@db/n", shown, sizeof shown),
                "postgres://notary@db/n");
    CHECK_STREQ(store_url_redact("host=db password='s3 cret' dbname=n", shown, sizeof shown),
                "password=*** dbname=n host=db");
    CHECK_STREQ(store_url_redact("host=db password = 's3cret' dbname", shown, sizeof shown),
                "host=db password=*** dbname");
    CHECK_STREQ(store_url_redact("/var/lib/notary/notary.db", shown, sizeof shown),
                "/var/lib/notary/notary.db");
    CHECK_ERR(store_open("host=127.0.0.1 password='s3cret x' dbname", false, &s, &e), &e,
              E_INVALID, "libpq cannot parse it");
    CHECK(!strstr(e.msg, "s3cret"));
    CHECK_STREQ(rpc_url_redact("https://node.example/v3/K3Y?apikey=Q", shown, sizeof shown),
                "https://node.example:443/***");
    CHECK_STREQ(rpc_url_redact("http://127.0.0.1:8545", shown, sizeof shown),
                "http://127.0.0.1:8545");
    CHECK_STREQ(rpc_url_redact("http://u:pw@h:1/?k=v", shown, sizeof shown), "http://h:1/***");
    /* nothing listens on port 1: a connection error, not a crash or a file */
    CHECK_ERR(store_open("postgresql://nobody@127.0.0.1:1/none?connect_timeout=2", true, &s,
                         &e), &e, E_IO, "cannot connect to the PostgreSQL store");
    CHECK(s == NULL);
    CHECK_ERR(store_open("postgresql://[bad", true, &s, &e), &e, E_IO, "cannot connect");
}

/* Issue 19: an existing file that is not a notary's database (emptied,
 * garbage, another program's SQLite database) is never turned into a new,
 * empty notary: refused with E_NOT_FOUND whether or not `create` is set,
 * and left byte for byte as it was. */
TEST(unrecognised_files_are_refused_and_left_alone)
{
    if (t_store_pg())
        return; /* SQLite files only */
    static const struct { const char *name, *bytes, *why; size_t len; } cases[] = {
        {"zero", "", "empty (0 bytes)", 0},
        {"text", "my notes\nnot a database\n", "not a SQLite database", 25},
        {"garbage", "SQLite format 2\0xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "not a SQLite database",
         50},
    };
    struct err e = {0};
    struct store *s = NULL;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char path[600], probe[700];
        snprintf(path, sizeof path, "%s/unrecognised-%s.db", t_tmpdir(), cases[i].name);
        FILE *f = fopen(path, "wb");
        CHECK(f && fwrite(cases[i].bytes, 1, cases[i].len, f) == cases[i].len);
        CHECK(fclose(f) == 0);
        for (int create = 0; create < 2; create++) {
            CHECK_ERR(store_open(path, create, &s, &e), &e, E_NOT_FOUND, cases[i].why);
            CHECK(s == NULL && strstr(e.msg, "Nothing was changed"));
        }
        struct stat st;
        CHECK(stat(path, &st) == 0 && (size_t)st.st_size == cases[i].len);
        snprintf(probe, sizeof probe, "%s-wal", path);
        CHECK(access(probe, F_OK) != 0);
    }
    /* A SQLite database of another program: its tables are named. */
    char path[600];
    snprintf(path, sizeof path, "%s/unrecognised-foreign.db", t_tmpdir());
    sqlite3 *db;
    CHECK(sqlite3_open(path, &db) == SQLITE_OK);
    CHECK(sqlite3_exec(db, "CREATE TABLE invoices(id INTEGER); CREATE TABLE \"odd\x01name\"(x)",
                       NULL, NULL, NULL) == SQLITE_OK);
    sqlite3_close(db);
    CHECK_ERR(store_open(path, false, &s, &e), &e, E_NOT_FOUND,
              "without the notary's schema (tables: invoices, odd\\x01name)");
    CHECK_ERR(store_open(path, true, &s, &e), &e, E_NOT_FOUND, "notary init");
    CHECK(s == NULL);
}

TEST(revocation_log_append_only_and_ordered)
{
    struct store *s = fresh("revocations");
    CHECK(s);
    struct err e = {0};
    struct hash32 h[4];
    mk(h, 4, 5);
    CHECK_OK(store_submit(s, h, NULL, 3, NULL, NULL, NULL, &e), &e);
    struct store_revocation r;
    bool existed = true;
    uint64_t n = 99;
    CHECK_OK(store_revocation_count(s, &n, &e), &e);
    CHECK(n == 0);
    CHECK_ERR(store_revocation_get(s, &h[0], &r, &e), &e, E_NOT_FOUND, "not revoked");
    /* only submitted hashes can be revoked */
    CHECK_ERR(store_revocation_add(s, &h[3], 1, NULL, 10, &r, &existed, &e), &e, E_NOT_FOUND,
              "never submitted");
    CHECK_OK(store_revocation_add(s, &h[1], 1, "key compromise", 10, &r, &existed, &e), &e);
    CHECK(!existed && r.index == 0 && r.reason == 1 && r.revoked_at == 10);
    CHECK_STREQ(r.note, "key compromise");
    CHECK_OK(store_revocation_add(s, &h[0], 2, NULL, 11, &r, &existed, &e), &e);
    CHECK(!existed && r.index == 1 && r.note[0] == 0);
    /* again: the existing entry, nothing appended */
    CHECK_OK(store_revocation_add(s, &h[1], 3, "other", 12, &r, &existed, &e), &e);
    CHECK(existed && r.index == 0 && r.reason == 1 && r.revoked_at == 10);
    CHECK_OK(store_revocation_count(s, &n, &e), &e);
    CHECK(n == 2);
    struct revlog log = {0};
    CHECK_OK(store_revocation_load(s, &log, &e), &e);
    CHECK(log.n_entries == 2 && hash32_eq(&log.entries[0].credential, &h[1]) &&
          hash32_eq(&log.entries[1].credential, &h[0]));
    revlog_free(&log);
    store_close(s);
}

TEST(tokens_named_unique_removable)
{
    struct store *s = fresh("tokens");
    CHECK(s);
    struct err e = {0};
    struct hash32 t1 = {{1}}, t2 = {{2}};
    struct store_token *list;
    size_t n = 9;
    CHECK_OK(store_token_list(s, &list, &n, &e), &e);
    CHECK(n == 0 && list == NULL);
    CHECK_OK(store_token_add(s, "b-reader", &t1, &e), &e);
    CHECK_OK(store_token_add(s, "a-writer", &t2, &e), &e);
    CHECK_ERR(store_token_add(s, "b-reader", &t2, &e), &e, E_STATE, "exists already");
    CHECK_OK(store_token_list(s, &list, &n, &e), &e);
    CHECK(n == 2 && strcmp(list[0].name, "a-writer") == 0 && hash32_eq(&list[1].hash, &t1));
    free(list);
    CHECK_OK(store_token_remove(s, "a-writer", &e), &e);
    CHECK_ERR(store_token_remove(s, "a-writer", &e), &e, E_NOT_FOUND, "no token named");
    CHECK_OK(store_token_list(s, &list, &n, &e), &e);
    CHECK(n == 1);
    free(list);
    store_close(s);
}

/* Several connections submit while another freezes batches: every hash gets
 * exactly one (batch, leaf), every batch's leaves are 0..size-1, nothing is
 * lost. With PostgreSQL these are separate server sessions, as several
 * `notary serve` processes would be. */
#define RACE_WRITERS 4
#define RACE_PER 600
#define RACE_CHUNK 40

struct race {
    char url[600];
    int id;
    struct hash32 *h;
    struct store_submitted *out;
    err_code rc;
    char msg[sizeof(struct err){0}.msg];
};

static void *race_writer(void *arg)
{
    struct race *r = arg;
    struct store *s = NULL;
    struct err e = {0};
    if ((r->rc = store_open(r->url, false, &s, &e)) == E_OK) {
        for (int i = 0; i < RACE_PER && !r->rc; i += RACE_CHUNK)
            r->rc = store_submit(s, r->h + i, NULL, RACE_CHUNK, r->out + i, NULL, NULL, &e);
    }
    if (r->rc)
        snprintf(r->msg, sizeof r->msg, "%s", e.msg);
    store_close(s);
    return NULL;
}

static void *race_closer(void *arg)
{
    struct race *r = arg;
    struct store *s = NULL;
    struct err e = {0};
    if ((r->rc = store_open(r->url, false, &s, &e)) == E_OK) {
        for (int i = 0; i < 15 && !r->rc; i++) {
            struct store_batch b;
            err_code rc = batch_close(s, &b, NULL, NULL, &e);
            if (rc && rc != E_NOT_FOUND)
                r->rc = rc;
            usleep(2000);
        }
    }
    if (r->rc)
        snprintf(r->msg, sizeof r->msg, "%s", e.msg);
    store_close(s);
    return NULL;
}

TEST(concurrent_submitters_and_closer_lose_nothing)
{
    char url[600];
    CHECK(t_store_url("race", url, sizeof url));
    struct store *s = NULL;
    struct err e = {0};
    CHECK_OK(store_open(url, true, &s, &e), &e);
    enum { N = RACE_WRITERS * RACE_PER };
    struct hash32 *h = malloc(N * sizeof *h);
    struct store_submitted *out = calloc(N, sizeof *out);
    CHECK(h && out);
    mk(h, N, 6);
    /* writers 0 and 1 submit the same hashes: each must end up stored once */
    memcpy(h + RACE_PER, h, RACE_PER * sizeof *h);
    struct race r[RACE_WRITERS + 1];
    pthread_t th[RACE_WRITERS + 1];
    for (int i = 0; i <= RACE_WRITERS; i++) {
        r[i] = (struct race){.id = i, .h = h + (size_t)i * RACE_PER,
                             .out = out + (size_t)i * RACE_PER};
        snprintf(r[i].url, sizeof r[i].url, "%s", url);
        CHECK(pthread_create(&th[i], NULL, i < RACE_WRITERS ? race_writer : race_closer,
                             &r[i]) == 0);
    }
    for (int i = 0; i <= RACE_WRITERS; i++) {
        pthread_join(th[i], NULL);
        CHECKF(r[i].rc == E_OK, "thread %d: %s", i, r[i].msg);
    }
    struct store_batch b;
    err_code rc = batch_close(s, &b, NULL, NULL, &e);
    CHECK(rc == E_OK || rc == E_NOT_FOUND);
    /* each batch's leaves; every distinct hash exactly once over all batches */
    struct store_batch *list;
    size_t nb;
    CHECK_OK(store_batch_list(s, BATCH_ISSUANCE, &list, &nb, &e), &e);
    uint64_t total = 0;
    bool ok = true;
    for (size_t i = 0; i < nb; i++) {
        if (list[i].state == BATCH_OPEN && list[i].size == 0)
            continue; /* opened by a submission of hashes that all existed */
        struct hash32 *leaves;
        uint64_t n;
        CHECK_OK(store_batch_leaves(s, list[i].seq, &leaves, &n, &e), &e);
        CHECK(n == list[i].size && list[i].state == BATCH_CLOSED && list[i].has_root);
        for (uint64_t j = 0; j < n; j++) {
            struct store_credential c;
            ok = ok && store_credential_get(s, &leaves[j], &c, &e) == E_OK &&
                 c.batch_seq == list[i].seq && c.leaf_index == j;
        }
        total += n;
        free(leaves);
    }
    CHECK(ok);
    CHECKF(total == N - RACE_PER, "%llu leaves for %d distinct hashes", (unsigned long long)total,
           N - RACE_PER);
    /* every acknowledgement names the hash's one place */
    for (size_t i = 0; i < N && ok; i++) {
        struct store_credential c;
        ok = store_credential_get(s, &h[i], &c, &e) == E_OK &&
             c.batch_seq == out[i].batch_seq && c.leaf_index == out[i].leaf_index;
    }
    CHECK(ok);
    /* of each duplicated pair exactly one was new */
    int both_new = 0;
    for (size_t i = 0; i < RACE_PER; i++)
        both_new += !out[i].existed && !out[RACE_PER + i].existed;
    CHECK(both_new == 0);
    free(list);
    free(h);
    free(out);
    store_close(s);
}

/* Submissions that straddle a frozen batch and the open one, with repeats
 * inside one call: each hash is stored once and every repeat answers with
 * the first record — whether the in-memory index covers only the open
 * batch (SQLite's default) or every row (store_index_all, as notary serve
 * asks). */
static void dedup_across_batches(bool index_all)
{
    struct store *s = fresh(index_all ? "dedup_all" : "dedup_open");
    CHECK(s);
    struct err e = {0};
    if (index_all)
        CHECK_OK(store_index_all(s, &e), &e);
    enum { OLD = 1000, NEW = 300 };
    struct hash32 old[OLD], fresh_h[NEW], in[OLD + NEW + 50];
    mk(old, OLD, 11);
    mk(fresh_h, NEW, 12);
    CHECK_OK(store_submit(s, old, NULL, OLD, NULL, NULL, NULL, &e), &e);
    struct store_batch b;
    CHECK_OK(store_batch_freeze(s, 1, &b, &e), &e);
    CHECK(b.seq == 0 && b.size == OLD);
    /* new, old, new again: interleaved */
    size_t n = 0;
    for (int i = 0; i < NEW; i++) {
        in[n++] = fresh_h[i];
        if (i < 200)
            in[n++] = old[i * 5];
        if (i % 6 == 5)
            in[n++] = fresh_h[i - 5];
    }
    struct store_submitted out[OLD + NEW + 50];
    CHECK_OK(store_submit(s, in, NULL, n, out, NULL, NULL, &e), &e);
    size_t bad = 0, k = 0;
    for (int i = 0; i < NEW; i++) {
        bad += out[k].existed || out[k].batch_seq != 1 || out[k].leaf_index != (uint64_t)i;
        k++;
        if (i < 200) {
            bad += !out[k].existed || out[k].batch_seq != 0 || out[k].leaf_index != (uint64_t)i * 5;
            k++;
        }
        if (i % 6 == 5) {
            bad += !out[k].existed || out[k].batch_seq != 1 || out[k].leaf_index != (uint64_t)i - 5;
            k++;
        }
    }
    CHECKF(bad == 0 && k == n, "%zu wrong answers of %zu", bad, n);
    struct store_batch open;
    CHECK_OK(store_batch_open_get(s, BATCH_ISSUANCE, &open, &e), &e);
    CHECK(open.seq == 1 && open.size == NEW);
    /* the same call again: everything exists, nothing is added */
    CHECK_OK(store_submit(s, in, NULL, n, out, NULL, NULL, &e), &e);
    bad = 0;
    for (size_t i = 0; i < n; i++)
        bad += !out[i].existed;
    CHECK(bad == 0);
    struct store_credential c;
    CHECK_OK(store_credential_get(s, &old[999], &c, &e), &e);
    CHECK(c.batch_seq == 0 && c.leaf_index == 999);
    CHECK_OK(store_credential_get(s, &fresh_h[299], &c, &e), &e);
    CHECK(c.batch_seq == 1 && c.leaf_index == 299 && c.hashing == CRED_HASH_GIVEN);
    struct store_counts counts;
    CHECK_OK(store_counts(s, &counts, &e), &e);
    CHECK(counts.credentials == OLD + NEW && counts.open_size == NEW);
    /* the frozen batch's leaves come back in order */
    struct hash32 *leaves;
    uint64_t nl;
    CHECK_OK(store_batch_leaves(s, 0, &leaves, &nl, &e), &e);
    CHECK(nl == OLD && memcmp(leaves, old, sizeof old) == 0);
    free(leaves);
    store_close(s);
}

TEST(dedup_across_frozen_and_open_batches) { dedup_across_batches(false); }
TEST(dedup_across_frozen_and_open_batches_index_all) { dedup_across_batches(true); }

/* Another process writes to the store this process has open (the CLI
 * beside notary serve): its rows, its freeze and its new batch are seen by
 * lookups and by the duplicate check here, through every handle. */
static void other_process(bool index_all)
{
    char url[512];
    CHECK(t_store_url(index_all ? "proc_all" : "proc_open", url, sizeof url));
    struct store *a = NULL, *b = NULL;
    struct err e = {0};
    CHECK_OK(store_open(url, true, &a, &e), &e);
    CHECK_OK(store_open(url, false, &b, &e), &e);
    if (!a || !b)
        return;
    if (index_all)
        CHECK_OK(store_index_all(a, &e), &e);
    struct hash32 h[400];
    mk(h, 400, 21);
    CHECK_OK(store_submit(a, h, NULL, 100, NULL, NULL, NULL, &e), &e); /* batch 0: 0..99 */
    struct store_credential c;
    CHECK_OK(store_credential_get(b, &h[42], &c, &e), &e); /* the other handle sees the open batch */
    CHECK(c.batch_seq == 0 && c.leaf_index == 42);
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        struct store *s = NULL;
        struct err ce = {0};
        struct store_batch fb;
        int bad = store_open(url, false, &s, &ce) ||
                  store_submit(s, h + 100, NULL, 100, NULL, NULL, NULL, &ce) || /* 0: 100..199 */
                  store_batch_freeze(s, 1, &fb, &ce) ||
                  store_submit(s, h + 200, NULL, 100, NULL, NULL, NULL, &ce); /* 1: 200..299 */
        if (bad)
            fprintf(stderr, "child: %s\n", ce.msg);
        store_close(s);
        _exit(bad);
    }
    int status = -1;
    CHECK(pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
          WEXITSTATUS(status) == 0);
    CHECK_OK(store_credential_get(b, &h[150], &c, &e), &e);
    CHECK(c.batch_seq == 0 && c.leaf_index == 150);
    CHECK_OK(store_credential_get(a, &h[250], &c, &e), &e);
    CHECK(c.batch_seq == 1 && c.leaf_index == 50);
    /* 50 of each kind (frozen here, frozen there, open there) plus 100 new */
    struct hash32 in[250];
    memcpy(in, h + 50, 50 * sizeof *h);
    memcpy(in + 50, h + 150, 50 * sizeof *h);
    memcpy(in + 100, h + 250, 50 * sizeof *h);
    memcpy(in + 150, h + 300, 100 * sizeof *h);
    struct store_submitted out[250];
    CHECK_OK(store_submit(b, in, NULL, 250, out, NULL, NULL, &e), &e);
    CHECK(out[0].existed && out[0].batch_seq == 0 && out[0].leaf_index == 50);
    CHECK(out[50].existed && out[50].batch_seq == 0 && out[50].leaf_index == 150);
    CHECK(out[100].existed && out[100].batch_seq == 1 && out[100].leaf_index == 50);
    CHECK(!out[150].existed && out[150].batch_seq == 1 && out[150].leaf_index == 100);
    CHECK(!out[249].existed && out[249].leaf_index == 199);
    CHECK_OK(store_submit(a, h + 300, NULL, 100, out, NULL, NULL, &e), &e);
    CHECK(out[0].existed && out[99].existed && out[99].leaf_index == 199);
    store_close(a);
    store_close(b);
}

TEST(another_process_writing_is_seen) { other_process(false); }
TEST(another_process_writing_is_seen_index_all) { other_process(true); }

static long file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

/* store_wal_background (notary serve's writer): the log is copied into the
 * database file by a checkpointer thread, not by the committing handle;
 * every commit stays durable and readable, from this handle, from another
 * one and after a reopen, and store_close stops the thread. PostgreSQL: a
 * no-op that changes nothing. */
TEST(wal_checkpoints_run_off_the_committing_handle)
{
    char path[512];
    CHECK(t_store_url("walbg", path, sizeof path));
    struct store *s, *r;
    struct err e = {0};
    CHECK_OK(store_open(path, true, &s, &e), &e);
    CHECK_OK(store_wal_background(s, &e), &e);
    CHECK_OK(store_wal_background(s, &e), &e); /* once is enough: a second call keeps it */
    bool pg = store_url_is_pg(path);
    const char *file = strncmp(path, "sqlite:", 7) == 0 ? path + 7 : path;
    long before = pg ? 0 : file_size(file);
    CHECK(pg || before > 0);
    enum { COMMITS = 60, PER = 4000 }; /* ~2,000 pages of log: past the 1,000-page mark twice */
    struct hash32 *h = malloc(PER * sizeof *h);
    CHECK(h != NULL);
    for (int c = 0; c < COMMITS; c++) {
        mk(h, PER, 0x3a1000u + (uint32_t)c);
        CHECK_OK(store_submit(s, h, NULL, PER, NULL, NULL, NULL, &e), &e);
    }
    /* Another handle sees every row while the checkpointer may be copying. */
    CHECK_OK(store_open(path, false, &r, &e), &e);
    struct store_counts n;
    CHECK_OK(store_counts(r, &n, &e), &e);
    CHECK(n.credentials == (uint64_t)COMMITS * PER);
    if (!pg) {
        /* The copies reach the database file while the handle is open (all
         * of it sat in the log before): ~8 MB of rows, more than 4 MB. */
        long after = file_size(file);
        for (int i = 0; i < 100 && after - before < (4L << 20); i++) {
            usleep(50000);
            after = file_size(file);
        }
        CHECKF(after - before >= (4L << 20), "database file grew by %ld bytes only", after - before);
    }
    store_close(r);
    store_close(s); /* joins the checkpointer */
    CHECK_OK(store_open(path, false, &s, &e), &e);
    struct store_credential cr;
    mk(h, PER, 0x3a1000u + COMMITS - 1);
    CHECK_OK(store_credential_get(s, &h[PER - 1], &cr, &e), &e);
    CHECK_OK(store_counts(s, &n, &e), &e);
    CHECK(n.credentials == (uint64_t)COMMITS * PER);
    store_close(s);
    free(h);
}
