/*
 * notary/store/store_impl.h — the inside of notary/store/store.h: one table of
 * operations per storage engine (notary/store/store_sqlite.c, notary/store/store_pg.c).
 * notary/store/store.c picks the engine from the store URL and forwards every
 * store_* call through `s->ops`; callers only ever see notary/store/store.h.
 * What does not depend on the engine is written once in store.c: closing a
 * batch, appending to the revocation log (each one transaction through
 * begin/commit), reading a batch's leaves and the revocation log, and the
 * wording of "not found". Each engine's inside has its own private header:
 * notary/store/sqlite_impl.h, notary/store/pg_impl.h.
 *
 * Each engine's handle starts with a `struct store` (its `ops` pointer) and
 * casts `struct store *` back to its own type.
 */
#ifndef NOTARY_STORE_IMPL_H
#define NOTARY_STORE_IMPL_H

#include "notary/store/store.h"

/* Schema migrations each engine has (the same numbering in both lists). */
#define STORE_SCHEMA_VERSION 7

/* Unless its comment says otherwise, a method is the store_* function of the
 * same name in notary/store/store.h (same contract), and store.c only
 * forwards to it. */
struct store_ops {
    const char *name; /* "sqlite", "postgresql" */
    bool shared;      /* several notary processes may use one store at once */
    void (*close)(struct store *s);
    /* Where the store is, for messages: the file's path, or "postgresql
     * USER@HOST:PORT/DB" (never a password). Owned by the handle. */
    const char *(*where)(struct store *s);
    /* One transaction for the sequences store.c runs for both engines:
     * begin (with `membership`, after every other transaction that changes
     * which hashes are in which batch, in any process); commit (E_OK only
     * once the commit is durable; on failure the caller still calls
     * rollback); rollback (cannot fail; no-op outside a transaction). */
    err_code (*begin)(struct store *s, bool membership, struct err *e);
    err_code (*commit)(struct store *s, struct err *e);
    void (*rollback)(struct store *s);
    err_code (*lock_writer)(struct store *s, struct err *e);
    err_code (*meta_get)(struct store *s, const char *key, char **value, struct err *e);
    err_code (*meta_set)(struct store *s, const char *key, const char *value, struct err *e);
    err_code (*submit)(struct store *s, const struct hash32 *hashes,
                       const enum credential_hashing *hashing, size_t n,
                       struct store_submitted *out,
                       void (*progress)(uint64_t done, uint64_t total, void *arg), void *arg,
                       struct err *e);
    /* E_NOT_FOUND (any message: store.c words it) if never submitted. */
    err_code (*credential_get)(struct store *s, const struct hash32 *hash,
                               struct store_credential *out, struct err *e);
    /* May be NULL (nothing to do for this engine). */
    err_code (*index_all)(struct store *s, struct err *e);
    err_code (*index_frozen)(struct store *s, struct err *e); /* may be NULL */
    err_code (*wal_background)(struct store *s, struct err *e); /* may be NULL */
    err_code (*batch_open_get)(struct store *s, enum batch_kind kind, struct store_batch *out,
                               struct err *e);
    /* E_NOT_FOUND (any message: store.c words it) if there is none. */
    err_code (*batch_get)(struct store *s, enum batch_kind kind, uint64_t seq,
                          struct store_batch *out, struct err *e);
    err_code (*batch_list)(struct store *s, enum batch_kind kind, struct store_batch **out,
                           size_t *n, struct err *e);
    /* Fill hashes[0 .. b->size) (and hashing[], unless NULL) with the leaves
     * of issuance batch `b` in order; E_STATE if the stored rows are not
     * exactly its leaves 0 .. size-1. */
    err_code (*batch_leaves)(struct store *s, const struct store_batch *b, struct hash32 *hashes,
                             uint8_t *hashing, struct err *e);
    /* store_batch_scan: *hashes malloc'd by the engine (NULL if *n is 0). */
    err_code (*batch_scan)(struct store *s, const struct store_batch *b, struct hash32 **hashes,
                           uint64_t *n, struct err *e);
    /* Inside begin(membership)/commit: the open issuance batch `seq` becomes
     * closed at `closed_at`. */
    err_code (*batch_mark_closed)(struct store *s, uint64_t seq, int64_t closed_at,
                                  struct err *e);
    /* `sub` may be NULL; store.c checked that it fits. */
    err_code (*batch_set_root)(struct store *s, enum batch_kind kind, uint64_t seq,
                               const struct hash32 *root, const struct store_subroots *sub,
                               struct err *e);
    /* The stored subroots of issuance batch `seq` as (shift, blob of 32-byte
     * roots, *blob malloc'd); E_NOT_FOUND (any message) if NULL. store.c
     * checks them against the batch. */
    err_code (*batch_subroots_get)(struct store *s, uint64_t seq, unsigned *shift,
                                   uint8_t **blob, size_t *len, struct err *e);
    /* Set them where the batch has a root and none yet (0 rows changed is
     * not an error: store.c looks again). */
    err_code (*batch_subroots_set)(struct store *s, uint64_t seq, const struct store_subroots *sub,
                                   struct err *e);
    /* Like batch_leaves, for leaves [from, from + count) of `b` (store.c
     * checked the range). */
    err_code (*batch_leaves_range)(struct store *s, const struct store_batch *b, uint64_t from,
                                   uint64_t count, struct hash32 *hashes, uint8_t *hashing,
                                   struct err *e);
    /* Inside begin(membership)/commit: insert the next revocation checkpoint
     * (closed, with its root); *seq gets its number. */
    err_code (*checkpoint_insert)(struct store *s, uint64_t size, const struct hash32 *root,
                                  int64_t closed_at, uint64_t *seq, struct err *e);
    /* Inside begin/commit: store the transaction (raw NULL: adopted, no
     * bytes; one stored without bytes gets them now) and mark batch `seq`
     * sent with it at `now`; *recorded = false (nothing changed in batches)
     * if that batch is neither closed nor sent. */
    err_code (*tx_insert)(struct store *s, enum batch_kind kind, uint64_t seq, uint64_t nonce,
                          const struct hash32 *tx_hash, const uint8_t *raw, size_t raw_len,
                          int64_t now, bool *recorded, struct err *e);
    err_code (*tx_list)(struct store *s, enum batch_kind kind, uint64_t seq,
                        struct store_tx **out, size_t *n, struct err *e);
    err_code (*tx_set_sent_block)(struct store *s, const struct hash32 *tx_hash,
                                  const uint64_t *block, struct err *e);
    err_code (*tx_raw)(struct store *s, const struct hash32 *tx_hash, uint8_t **raw, size_t *len,
                       struct err *e);
    err_code (*batch_anchored)(struct store *s, enum batch_kind kind, uint64_t seq,
                               const struct hash32 *tx_hash, uint64_t block_number,
                               const struct hash32 *block_hash, int64_t block_time,
                               struct err *e);
    err_code (*batch_set_state)(struct store *s, enum batch_kind kind, uint64_t seq,
                                enum batch_state state, const char *why, struct err *e);
    err_code (*batch_note)(struct store *s, enum batch_kind kind, uint64_t seq, const char *why,
                           struct err *e);
    err_code (*counts)(struct store *s, struct store_counts *out, struct err *e);
    /* Inside begin(membership)/commit: append the entry at the next position
     * of the revocation log (`note` not NULL). */
    err_code (*revocation_append)(struct store *s, const struct hash32 *hash, uint8_t reason,
                                  const char *note, int64_t revoked_at, struct err *e);
    err_code (*revocation_get)(struct store *s, const struct hash32 *hash,
                               struct store_revocation *out, struct err *e);
    /* Call `each` for every entry of the revocation log in position order
     * (`r` is the engine's, valid during the call); stops at, and returns,
     * the first failure. */
    err_code (*revocation_each)(struct store *s,
                                err_code (*each)(void *arg, struct store_revocation *r,
                                                 struct err *e),
                                void *arg, struct err *e);
    err_code (*revocation_count)(struct store *s, uint64_t *n, struct err *e);
    err_code (*token_add)(struct store *s, const char *name, const struct hash32 *token_hash,
                          struct err *e);
    err_code (*token_remove)(struct store *s, const char *name, struct err *e);
    err_code (*token_list)(struct store *s, struct store_token **out, size_t *n, struct err *e);
    /* Backup and restore (notary/store/store_backup.c does the rest); NULL
     * where the engine has no such thing (store.c then says what to use).
     * backup: write a consistent snapshot into the existing, empty file
     * `path` (no fsync: the caller does it). integrity: store_integrity_check.
     * batches_lost: inside begin(membership)/commit, store_batches_lost
     * (its checks done by the caller, except that a seq is free). */
    err_code (*backup)(struct store *s, const char *path, struct err *e);
    err_code (*integrity)(struct store *s, struct err *e);
    err_code (*batches_lost)(struct store *s, enum batch_kind kind,
                             const struct store_lost *lost, size_t n, uint64_t open_seq,
                             uint64_t moved_to, struct err *e);
};

struct store {
    const struct store_ops *ops;
};

/* Open an engine's store (see store_open for `create`); the handle's ops
 * are set by the engine. sqlite: `path` is a file name; postgresql: `url`
 * is a libpq connection URI. */
err_code store_sqlite_open(const char *path, bool create, struct store **out,
                           struct err *e) MUST_CHECK;
err_code store_pg_open(const char *url, bool create, struct store **out,
                       struct err *e) MUST_CHECK;

/* Tests only: pretend the SQLite in-memory index holds ids up to `max_id`
 * (0: the real limit, HASHIDX_MAX_ID), to reach its fallback quickly. */
void store_sqlite_set_index_limit(uint64_t max_id);

#endif
