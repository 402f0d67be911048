/*
 * notary/store/store.c — picks the storage engine from the store URL and forwards
 * every store_* call to it (notary/store/store_impl.h): `sqlite:PATH` or a plain
 * path is the embedded SQLite file (notary/store/store_sqlite.c);
 * `postgresql://…` / `postgres://…` is a PostgreSQL database shared by
 * several notary instances (notary/store/store_pg.c).
 */
#include "notary/store/store_impl.h"

#include <postgresql/libpq-fe.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

const char *batch_state_name(enum batch_state s)
{
    switch (s) {
    case BATCH_OPEN: return "open";
    case BATCH_CLOSED: return "closed";
    case BATCH_SENT: return "sent";
    case BATCH_ANCHORED: return "anchored";
    case BATCH_FAILED: return "failed";
    case BATCH_LOST: return "lost";
    }
    return "unknown";
}

static bool pg_uri(const char *url)
{
    return strncmp(url, "postgresql://", 13) == 0 || strncmp(url, "postgres://", 11) == 0;
}

/* A libpq keyword/value string ("host=db dbname=notary password=…"): it
 * starts with a word and '=', and libpq parses all of it. */
static bool looks_conninfo(const char *url)
{
    const char *p = url;
    while (*p == ' ' || *p == '\t')
        p++;
    const char *w = p;
    while ((*p >= 'a' && *p <= 'z') || *p == '_')
        p++;
    if (p == w)
        return false;
    while (*p == ' ' || *p == '\t')
        p++;
    return *p == '=';
}

static bool pg_conninfo(const char *url)
{
    if (!looks_conninfo(url))
        return false;
    PQconninfoOption *opts = PQconninfoParse(url, NULL);
    PQconninfoFree(opts);
    return opts != NULL;
}

bool store_url_is_pg(const char *url)
{
    return pg_uri(url) || pg_conninfo(url);
}

/* Append `n` bytes of `p` to out[*j] (bounded, NUL-terminated). */
static void put(char *out, size_t max, size_t *j, const char *p, size_t n)
{
    while (n-- && *j + 1 < max)
        out[(*j)++] = *p++;
    out[*j] = '\0';
}

const char *store_url_redact(const char *url, char *out, size_t max)
{
    size_t j = 0;
    if (!max)
        return out;
    out[0] = '\0';
    if (pg_uri(url)) {
        /* postgresql://user:PASSWORD@host/db?…&password=PASSWORD&… */
        const char *auth = strstr(url, "://") + 3;
        const char *end = auth + strcspn(auth, "/?#");
        const char *at = NULL;
        for (const char *q = auth; q < end; q++)
            if (*q == '@')
                at = q;
        const char *colon = at ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
        const char *p = url;
        if (colon) {
            put(out, max, &j, p, (size_t)(colon + 1 - p));
            put(out, max, &j, "***", 3);
            p = at;
        }
        const char *query = strchr(p, '?');
        if (!query) {
            put(out, max, &j, p, strlen(p));
            return out;
        }
        put(out, max, &j, p, (size_t)(query + 1 - p));
        for (p = query + 1; *p;) {
            size_t n = strcspn(p, "&");
            if (strncmp(p, "password=", 9) == 0) {
                put(out, max, &j, "password=***", 12);
            } else {
                put(out, max, &j, p, n);
            }
            p += n;
            if (*p == '&')
                put(out, max, &j, p++, 1);
        }
        return out;
    }
    if (pg_conninfo(url)) {
        /* Rebuilt from libpq's own parse, so quoting cannot hide a password. */
        PQconninfoOption *opts = PQconninfoParse(url, NULL);
        for (PQconninfoOption *o = opts; o && o->keyword; o++) {
            if (!o->val)
                continue;
            bool secret = strcmp(o->keyword, "password") == 0 || strstr(o->dispchar, "*");
            if (j)
                put(out, max, &j, " ", 1);
            put(out, max, &j, o->keyword, strlen(o->keyword));
            put(out, max, &j, "=", 1);
            put(out, max, &j, secret ? "***" : o->val, secret ? 3 : strlen(o->val));
        }
        PQconninfoFree(opts);
        return out;
    }
    /* Anything else: a path, or text meant as a connection string that libpq
     * cannot parse; mask every password=VALUE in it all the same. */
    for (const char *p = url; *p;) {
        if (strncmp(p, "password", 8) == 0) {
            const char *q = p + 8;
            while (*q == ' ' || *q == '\t')
                q++;
            if (*q == '=') {
                q++;
                while (*q == ' ' || *q == '\t')
                    q++;
                if (*q == '\'') {
                    for (q++; *q && *q != '\''; q++)
                        if (*q == '\\' && q[1])
                            q++;
                    if (*q)
                        q++;
                } else {
                    q += strcspn(q, " \t");
                }
                put(out, max, &j, "password=***", 12);
                p = q;
                continue;
            }
        }
        put(out, max, &j, p++, 1);
    }
    return out;
}

err_code store_open(const char *url, bool create, struct store **out, struct err *e)
{
    *out = NULL;
    if (store_url_is_pg(url))
        return store_pg_open(url, create, out, e);
    if (looks_conninfo(url)) { /* meant for libpq, but not valid: never echo it whole */
        /* (not libpq's reason: it may quote a stray word, which may be a password) */
        char shown[300];
        return err_set(e, E_INVALID, "the store \"%s\" looks like a PostgreSQL keyword/value "
                                     "connection string, but libpq cannot parse it; give "
                                     "host=... dbname=... (values with spaces in 'quotes'), a "
                                     "postgresql:// URL, or sqlite:PATH",
                       store_url_redact(url, shown, sizeof shown));
    }
    if (strncmp(url, "sqlite:", 7) == 0)
        url += 7;
    if (!*url)
        return err_set(e, E_INVALID, "empty store path (use sqlite:PATH or postgresql://...)");
    return store_sqlite_open(url, create, out, e);
}

void store_close(struct store *s)
{
    if (s)
        s->ops->close(s);
}

bool store_shared(const struct store *s) { return s->ops->shared; }

const char *store_engine(const struct store *s) { return s->ops->name; }

err_code store_lock_writer(struct store *s, struct err *e) { return s->ops->lock_writer(s, e); }

err_code store_meta_get(struct store *s, const char *key, char **value, struct err *e)
{
    return s->ops->meta_get(s, key, value, e);
}

err_code store_meta_set(struct store *s, const char *key, const char *value, struct err *e)
{
    return s->ops->meta_set(s, key, value, e);
}

err_code store_submit(struct store *s, const struct hash32 *hashes,
                      const enum credential_hashing *hashing, size_t n,
                      struct store_submitted *out,
                      void (*progress)(uint64_t done, uint64_t total, void *arg), void *arg,
                      struct err *e)
{
    return s->ops->submit(s, hashes, hashing, n, out, progress, arg, e);
}

err_code store_index_all(struct store *s, struct err *e)
{
    return s->ops->index_all ? s->ops->index_all(s, e) : E_OK;
}

err_code store_wal_background(struct store *s, struct err *e)
{
    return s->ops->wal_background ? s->ops->wal_background(s, e) : E_OK;
}

err_code store_index_frozen(struct store *s, struct err *e)
{
    return s->ops->index_frozen ? s->ops->index_frozen(s, e) : E_OK;
}

err_code store_credential_get(struct store *s, const struct hash32 *hash,
                              struct store_credential *out, struct err *e)
{
    err_code rc = s->ops->credential_get(s, hash, out, e);
    if (rc == E_NOT_FOUND) {
        char hex[65];
        hash32_to_hex(hash, hex);
        err_set(e, E_NOT_FOUND, "credential %s was never submitted to this notary", hex);
    }
    return rc;
}

err_code store_batch_open_get(struct store *s, enum batch_kind kind, struct store_batch *out,
                              struct err *e)
{
    return s->ops->batch_open_get(s, kind, out, e);
}

err_code store_batch_get(struct store *s, enum batch_kind kind, uint64_t seq,
                         struct store_batch *out, struct err *e)
{
    err_code rc = s->ops->batch_get(s, kind, seq, out, e);
    if (rc == E_NOT_FOUND)
        err_set(e, E_NOT_FOUND, "no %s %llu", kind == BATCH_ISSUANCE ? "batch" : "checkpoint",
                (unsigned long long)seq);
    return rc;
}

err_code store_batch_list(struct store *s, enum batch_kind kind, struct store_batch **out,
                          size_t *n, struct err *e)
{
    return s->ops->batch_list(s, kind, out, n, e);
}

err_code store_batch_leaves_hashing(struct store *s, uint64_t seq, struct hash32 **hashes,
                                    uint8_t **hashing, uint64_t *n, struct err *e)
{
    *hashes = NULL;
    if (hashing)
        *hashing = NULL;
    *n = 0;
    struct store_batch b;
    err_code rc = store_batch_get(s, BATCH_ISSUANCE, seq, &b, e);
    if (rc)
        return rc;
    if (b.size == 0)
        return E_OK;
    struct hash32 *h = malloc(b.size * sizeof *h);
    uint8_t *how = hashing ? malloc(b.size) : NULL;
    if (!h || (hashing && !how)) {
        free(h);
        free(how);
        return err_set(e, E_NOMEM, "out of memory for %llu leaves", (unsigned long long)b.size);
    }
    if ((rc = s->ops->batch_leaves(s, &b, h, how, e))) {
        free(h);
        free(how);
        return rc;
    }
    *hashes = h;
    if (hashing)
        *hashing = how;
    *n = b.size;
    return E_OK;
}

err_code store_batch_scan(struct store *s, const struct store_batch *b, struct hash32 **hashes,
                          uint64_t *n, struct err *e)
{
    *hashes = NULL;
    *n = 0;
    return s->ops->batch_scan(s, b, hashes, n, e);
}

err_code store_batch_leaves(struct store *s, uint64_t seq, struct hash32 **hashes, uint64_t *n,
                            struct err *e)
{
    return store_batch_leaves_hashing(s, seq, hashes, NULL, n, e);
}

err_code store_batch_freeze(struct store *s, int64_t closed_at, struct store_batch *out,
                            struct err *e)
{
    err_code rc = s->ops->begin(s, true, e);
    if (rc)
        return rc;
    if ((rc = s->ops->batch_open_get(s, BATCH_ISSUANCE, out, e))) {
        s->ops->rollback(s);
        return rc == E_NOT_FOUND ? err_set(e, E_NOT_FOUND, "nothing to close: no credentials "
                                                          "were submitted since the last batch")
                                 : rc;
    }
    if (out->size == 0) {
        s->ops->rollback(s);
        return err_set(e, E_NOT_FOUND, "nothing to close: the open batch %llu is empty",
                       (unsigned long long)out->seq);
    }
    if ((rc = s->ops->batch_mark_closed(s, out->seq, closed_at, e)) ||
        (rc = s->ops->commit(s, e))) {
        s->ops->rollback(s);
        return rc;
    }
    out->state = BATCH_CLOSED;
    out->closed_at = closed_at;
    return E_OK;
}

/* Subroots fit a batch of `size` leaves: shift ≤ 32 and one root per
 * 2^shift leaves, the last one for the remainder. */
static bool subroots_fit(unsigned shift, uint64_t count, uint64_t size)
{
    return shift <= 32 && size > 0 && count == ((size - 1) >> shift) + 1;
}

/* E_INVALID unless `sub` fits issuance batch `b`. */
static err_code check_fit(const struct store_batch *b, const struct store_subroots *sub,
                          struct err *e)
{
    if (b->kind == BATCH_ISSUANCE && subroots_fit(sub->shift, sub->count, b->size))
        return E_OK;
    return err_set(e, E_INVALID, "%llu subtree roots of 2^%u leaves do not fit batch %llu of %llu "
                                 "leaves",
                   (unsigned long long)sub->count, sub->shift, (unsigned long long)b->seq,
                   (unsigned long long)b->size);
}

/* Issuance batch `seq`, which must have its root (E_NOT_FOUND otherwise). */
static err_code rooted_batch(struct store *s, uint64_t seq, struct store_batch *b, struct err *e)
{
    err_code rc = store_batch_get(s, BATCH_ISSUANCE, seq, b, e);
    if (!rc && !b->has_root)
        rc = err_set(e, E_NOT_FOUND, "batch %llu has no root yet", (unsigned long long)seq);
    return rc;
}

err_code store_batch_set_root(struct store *s, enum batch_kind kind, uint64_t seq,
                              const struct hash32 *root, const struct store_subroots *sub,
                              struct err *e)
{
    if (sub) {
        struct store_batch b;
        err_code rc = store_batch_get(s, kind, seq, &b, e);
        if (rc || (rc = check_fit(&b, sub, e)))
            return rc;
    }
    return s->ops->batch_set_root(s, kind, seq, root, sub, e);
}

err_code store_batch_subroots(struct store *s, uint64_t seq, struct store_subroots *out,
                              struct err *e)
{
    memset(out, 0, sizeof *out);
    struct store_batch b;
    err_code rc = rooted_batch(s, seq, &b, e);
    if (rc)
        return rc;
    unsigned shift;
    uint8_t *blob;
    size_t len;
    if ((rc = s->ops->batch_subroots_get(s, seq, &shift, &blob, &len, e)))
        return rc == E_NOT_FOUND ? err_set(e, E_NOT_FOUND, "batch %llu has no stored subtree roots",
                                           (unsigned long long)seq)
                                 : rc;
    if (len % 32 || !subroots_fit(shift, len / 32, b.size)) {
        free(blob);
        return err_set(e, E_STATE, "store is inconsistent: the subtree roots of batch %llu "
                                   "(%zu bytes, 2^%u leaves each) do not fit its %llu leaves",
                       (unsigned long long)seq, len, shift, (unsigned long long)b.size);
    }
    out->shift = shift;
    out->count = len / 32;
    out->roots = (struct hash32 *)blob; /* struct hash32 is 32 bytes, byte-aligned */
    return E_OK;
}

err_code store_batch_set_subroots(struct store *s, uint64_t seq, const struct store_subroots *sub,
                                  struct err *e)
{
    struct store_batch b;
    err_code rc = rooted_batch(s, seq, &b, e);
    if (rc || (rc = check_fit(&b, sub, e)))
        return rc;
    return s->ops->batch_subroots_set(s, seq, sub, e);
}

err_code store_batch_leaves_range(struct store *s, uint64_t seq, uint64_t from, uint64_t count,
                                  struct hash32 *hashes, uint8_t *hashing, struct err *e)
{
    struct store_batch b;
    err_code rc = store_batch_get(s, BATCH_ISSUANCE, seq, &b, e);
    if (rc)
        return rc;
    if (b.state == BATCH_OPEN || count == 0 || from >= b.size || count > b.size - from)
        return err_set(e, E_INVALID, "leaves %llu..%llu are not in closed batch %llu of %llu",
                       (unsigned long long)from, (unsigned long long)(from + count),
                       (unsigned long long)seq, (unsigned long long)b.size);
    return s->ops->batch_leaves_range(s, &b, from, count, hashes, hashing, e);
}

err_code store_checkpoint_create(struct store *s, uint64_t size, const struct hash32 *root,
                                 int64_t closed_at, uint64_t *seq, struct err *e)
{
    err_code rc = s->ops->begin(s, true, e);
    if (rc)
        return rc;
    if ((rc = s->ops->checkpoint_insert(s, size, root, closed_at, seq, e)) ||
        (rc = s->ops->commit(s, e))) {
        s->ops->rollback(s);
        return rc;
    }
    return E_OK;
}

err_code store_tx_record(struct store *s, enum batch_kind kind, uint64_t seq, uint64_t nonce,
                         const struct hash32 *tx_hash, const uint8_t *raw, size_t raw_len,
                         struct err *e)
{
    int64_t now = (int64_t)time(NULL);
    err_code rc = s->ops->begin(s, false, e);
    if (rc)
        return rc;
    bool recorded = false;
    if ((rc = s->ops->tx_insert(s, kind, seq, nonce, tx_hash, raw, raw_len, now, &recorded, e)))
        goto fail;
    if (!recorded) {
        rc = err_set(e, E_STATE, "batch %llu is not closed or sent; cannot record a transaction",
                     (unsigned long long)seq);
        goto fail;
    }
    if ((rc = s->ops->commit(s, e)))
        goto fail;
    return E_OK;
fail:
    s->ops->rollback(s);
    return rc;
}

err_code store_tx_list(struct store *s, enum batch_kind kind, uint64_t seq, struct store_tx **out,
                       size_t *n, struct err *e)
{
    return s->ops->tx_list(s, kind, seq, out, n, e);
}

err_code store_tx_set_sent_block(struct store *s, const struct hash32 *tx_hash,
                                 const uint64_t *block, struct err *e)
{
    return s->ops->tx_set_sent_block(s, tx_hash, block, e);
}

err_code store_tx_raw(struct store *s, const struct hash32 *tx_hash, uint8_t **raw, size_t *len,
                      struct err *e)
{
    return s->ops->tx_raw(s, tx_hash, raw, len, e);
}

err_code store_batch_anchored(struct store *s, enum batch_kind kind, uint64_t seq,
                              const struct hash32 *tx_hash, uint64_t block_number,
                              const struct hash32 *block_hash, int64_t block_time, struct err *e)
{
    return s->ops->batch_anchored(s, kind, seq, tx_hash, block_number, block_hash, block_time, e);
}

err_code store_batch_set_state(struct store *s, enum batch_kind kind, uint64_t seq,
                               enum batch_state state, const char *why, struct err *e)
{
    return s->ops->batch_set_state(s, kind, seq, state, why, e);
}

err_code store_batch_note(struct store *s, enum batch_kind kind, uint64_t seq, const char *why,
                          struct err *e)
{
    return s->ops->batch_note(s, kind, seq, why, e);
}

err_code store_counts(struct store *s, struct store_counts *out, struct err *e)
{
    return s->ops->counts(s, out, e);
}

err_code store_revocation_add(struct store *s, const struct hash32 *hash, uint8_t reason,
                              const char *note, int64_t revoked_at, struct store_revocation *out,
                              bool *existed, struct err *e)
{
    *existed = false;
    /* The next position must not be handed out twice: the membership lock. */
    err_code rc = s->ops->begin(s, true, e);
    if (rc)
        return rc;
    struct store_credential cred;
    if ((rc = store_credential_get(s, hash, &cred, e)))
        goto fail;
    rc = s->ops->revocation_get(s, hash, out, e);
    if (rc == E_OK) {
        *existed = true;
        s->ops->rollback(s);
        return E_OK;
    }
    if (rc != E_NOT_FOUND)
        goto fail;
    err_clear(e);
    if ((rc = s->ops->revocation_append(s, hash, reason, note ? note : "", revoked_at, e)) ||
        (rc = s->ops->revocation_get(s, hash, out, e)) || (rc = s->ops->commit(s, e)))
        goto fail;
    return E_OK;
fail:
    s->ops->rollback(s);
    return rc;
}

err_code store_revocation_get(struct store *s, const struct hash32 *hash,
                              struct store_revocation *out, struct err *e)
{
    return s->ops->revocation_get(s, hash, out, e);
}

struct revocation_load {
    struct store *s;
    struct revlog *log;
    uint64_t next; /* the position the next entry must have */
};

static err_code revocation_load_one(void *arg, struct store_revocation *r, struct err *e)
{
    struct revocation_load *l = arg;
    /* Positions must be exactly 0..n-1: anything else is a corrupt store. */
    if (r->index != l->next)
        return err_set(e, E_STATE, "%s: the revocation log has no entry %llu",
                       l->s->ops->where(l->s), (unsigned long long)l->next);
    l->next++;
    struct revlog_entry en = {.credential = r->hash, .reason = r->reason,
                              .time = r->revoked_at, .note = r->note[0] ? r->note : NULL};
    return revlog_add_entry(l->log, &en, e);
}

err_code store_revocation_load(struct store *s, struct revlog *log, struct err *e)
{
    struct revocation_load l = {s, log, 0};
    return s->ops->revocation_each(s, revocation_load_one, &l, e);
}

err_code store_revocation_count(struct store *s, uint64_t *n, struct err *e)
{
    return s->ops->revocation_count(s, n, e);
}

err_code store_token_add(struct store *s, const char *name, const struct hash32 *token_hash,
                         struct err *e)
{
    return s->ops->token_add(s, name, token_hash, e);
}

err_code store_token_remove(struct store *s, const char *name, struct err *e)
{
    return s->ops->token_remove(s, name, e);
}

err_code store_token_list(struct store *s, struct store_token **out, size_t *n, struct err *e)
{
    return s->ops->token_list(s, out, n, e);
}
