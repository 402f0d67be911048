/*
 * notary/store/store.h — the notary's durable state, in SQLite (WAL,
 * synchronous=FULL; the embedded default) or PostgreSQL (synchronous_commit
 * on; several notary instances on one database). The engine is chosen by
 * the store URL given to store_open (notary/store/store.c dispatches; the engines
 * are notary/store/store_sqlite.c and notary/store/store_pg.c, same schema and
 * migration numbering).
 *
 * What the store guarantees: when a store_* call that writes returns E_OK, the
 * change is durably committed (a fsynced WAL transaction, or a PostgreSQL
 * COMMIT that returned), so a command or an HTTP 2xx may acknowledge it. Every signed transaction is
 * recorded here *before* it is broadcast, so a crash between send and record
 * can always be recovered by rebroadcasting the same bytes.
 *
 * Model:
 *   credentials  hash → (kind 0 batch seq, leaf index, hashing, submitted_at);
 *                a hash is stored once (resubmission returns the record).
 *                (SQLite keeps them as append-only chunks plus a hash index;
 *                see notary/store/sqlite_index.c.)
 *   batches      (kind, seq) → state open → closed → signed/sent → anchored,
 *                size, root, closed_at, the anchoring transaction and block.
 *                kind 0 = issuance batch, kind 1 = revocation checkpoint.
 *   txs          every transaction we signed: nonce, hash, raw bytes, state.
 *   revocations  the append-only revocation log: position → (hash, reason, note,
 *                time); checkpoints of it are batches of kind 1.
 *   meta         configuration (ledger URL, chain id, contract, issuer...).
 *
 * Ownership: `struct store` from store_open(), freed by store_close();
 * arrays returned through pointers are malloc'd and freed by the caller.
 * One writer per key: the store holds an exclusive lock (SQLite: a lock file
 * beside the database; PostgreSQL: a session advisory lock) for as long as it
 * is open for anchoring (store_lock_writer). With PostgreSQL that lock also
 * elects the one `notary serve` instance that closes and anchors batches.
 */
#ifndef NOTARY_STORE_H
#define NOTARY_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include "core/bytes.h"
#include "core/credential.h"
#include "core/error.h"
#include "core/revlog.h"

struct store;

enum batch_kind { BATCH_ISSUANCE = 0, BATCH_REVOCATION = 1 };

enum batch_state {
    BATCH_OPEN = 0,  /* accepting submissions */
    BATCH_CLOSED,    /* tree built, root fixed, not yet sent */
    BATCH_SENT,      /* a signed transaction is recorded (maybe broadcast) */
    BATCH_ANCHORED,  /* mined, receipt checked, confirmed at the configured depth */
    BATCH_FAILED,    /* fatal ledger answer (revert, no funds); needs an operator */
    BATCH_LOST,      /* anchored on the ledger after the backup this store was restored
                      * from: its seq is taken, its leaves are not here; never anchored
                      * again (store_batches_lost) */
};

const char *batch_state_name(enum batch_state s);

struct store_batch {
    enum batch_kind kind;
    uint64_t seq;
    enum batch_state state;
    uint64_t size;            /* leaves (0 while open and empty) */
    bool has_root;            /* set once the tree is built (after CLOSED) */
    struct hash32 root;
    int64_t opened_at, closed_at; /* unix seconds */
    bool has_tx;
    struct hash32 tx_hash;    /* the current (latest) transaction */
    uint64_t nonce;
    int64_t sent_at;
    uint64_t block_number;    /* valid when ANCHORED */
    struct hash32 block_hash;
    int64_t block_time;
    int64_t anchored_at;
    char last_error[256];     /* why it is pending or failed, for `status` */
    int64_t first_id;         /* store-internal: row id of leaf 0 */
};

struct store_credential {
    struct hash32 hash;
    enum credential_hashing hashing;
    uint64_t batch_seq;
    uint64_t leaf_index;
    int64_t submitted_at;
};

/* Open (creating if `create`) the store at `url` and apply the schema
 * migrations. `url` is `sqlite:PATH` or a plain PATH (SQLite: WAL +
 * synchronous=FULL + a busy timeout), or `postgresql://…` / `postgres://…`
 * (a libpq URI; the database must exist; `create` creates the schema in it),
 * or a libpq keyword/value string ("host=… dbname=…").
 * E_NOT_FOUND if !create and there is no notary store there, and (SQLite)
 * whether or not `create` is set, if the file that is there is not a
 * notary's database — empty (0 bytes), not SQLite, or a SQLite database
 * without the notary's schema: nothing is written to it, and the message
 * says which (issue 19: it must never become a new, empty notary). Messages
 * escape the non-printable bytes SQLite quotes from a damaged file, and a
 * read-only file, directory or file system is named as such (E_IO). */
err_code store_open(const char *url, bool create, struct store **out, struct err *e) MUST_CHECK;
void store_close(struct store *s);

/* True if `url` names a PostgreSQL store: a postgresql:// or postgres://
 * URI, or a libpq keyword/value string ("host=db dbname=notary …"). */
bool store_url_is_pg(const char *url);
/* `url` fit for a message or a log line: a PostgreSQL password (in the
 * URI's user:password@, a password= query parameter, or a keyword/value
 * password=, quoted or not) becomes "***"; a SQLite path is unchanged.
 * Writes at most `max` bytes (NUL included) to out and returns out. */
const char *store_url_redact(const char *url, char *out, size_t max);
/* True if several notary processes may share this store at once
 * (PostgreSQL): only the holder of store_lock_writer closes batches. */
bool store_shared(const struct store *s);
/* "sqlite" or "postgresql". */
const char *store_engine(const struct store *s);

/* Take the exclusive writer lock: one process anchors with a key at a time.
 * SQLite: a lock file `path`.lock via flock. PostgreSQL: a session-level
 * pg_try_advisory_lock on a dedicated connection, released when that
 * session ends (the process exits or dies); a call while holding it checks
 * the session is still alive and fails with E_STATE if it was lost.
 * E_STATE if another holds it. */
err_code store_lock_writer(struct store *s, struct err *e) MUST_CHECK;

/* Configuration values. get: *value malloc'd (caller frees), E_NOT_FOUND if unset. */
err_code store_meta_get(struct store *s, const char *key, char **value, struct err *e) MUST_CHECK;
err_code store_meta_set(struct store *s, const char *key, const char *value,
                        struct err *e) MUST_CHECK;

/* Result of submitting one hash. */
struct store_submitted {
    uint64_t batch_seq;
    uint64_t leaf_index;
    bool existed; /* already notarized: this is the existing record */
};

/*
 * Submit `n` credential hashes in one durable transaction, appended to the
 * open issuance batch in order (a batch is opened if none is). Hashes
 * already stored are not added again; their existing record is returned.
 * `hashing` may be NULL (all "given"); `out` may be NULL, else n entries.
 * `progress(done, total, arg)` may be NULL; it is called now and then.
 */
err_code store_submit(struct store *s, const struct hash32 *hashes,
                      const enum credential_hashing *hashing, size_t n,
                      struct store_submitted *out,
                      void (*progress)(uint64_t done, uint64_t total, void *arg), void *arg,
                      struct err *e) MUST_CHECK;

/* A hint for a long-running process that submits a lot (notary serve):
 * keep every stored hash in an in-memory index, so a new hash is known to
 * be new without a disk lookup. SQLite: the index is built now (about 24
 * bytes per stored hash, shared by every handle of this process on the
 * same file); PostgreSQL: nothing to do. */
err_code store_index_all(struct store *s, struct err *e) MUST_CHECK;

/* A hint for a handle that commits often and wants flat commit latency
 * (notary serve's writer): the engine's log is copied into its main file
 * off this handle's committing thread. SQLite: a checkpointer thread with
 * its own connection runs PASSIVE checkpoints (which never block a
 * commit) once ~4 MB of log wait; a commit copies itself only when more
 * than ~64 MB wait. Every commit stays fsynced before it returns. Stopped
 * by store_close. PostgreSQL: nothing to do. Errors: E_IO (the second
 * connection cannot be opened), E_NOMEM; the handle stays usable as
 * before either way. Call at most from the thread that owns the handle. */
err_code store_wal_background(struct store *s, struct err *e) MUST_CHECK;

/* Look up one credential; E_NOT_FOUND if never submitted. */
err_code store_credential_get(struct store *s, const struct hash32 *hash,
                              struct store_credential *out, struct err *e) MUST_CHECK;

/* The open batch of `kind` (E_NOT_FOUND if none is open). */
err_code store_batch_open_get(struct store *s, enum batch_kind kind, struct store_batch *out,
                              struct err *e) MUST_CHECK;
err_code store_batch_get(struct store *s, enum batch_kind kind, uint64_t seq,
                         struct store_batch *out, struct err *e) MUST_CHECK;
/* All batches of `kind` in seq order (*out malloc'd, caller frees). */
err_code store_batch_list(struct store *s, enum batch_kind kind, struct store_batch **out,
                          size_t *n, struct err *e) MUST_CHECK;

/* The credential hashes of issuance batch `seq` in leaf order (*hashes
 * malloc'd, caller frees). */
err_code store_batch_leaves(struct store *s, uint64_t seq, struct hash32 **hashes, uint64_t *n,
                            struct err *e) MUST_CHECK;

/* The same, with each leaf's hashing mode (enum credential_hashing, one
 * byte per leaf) in *hashing (malloc'd, caller frees). */
err_code store_batch_leaves_hashing(struct store *s, uint64_t seq, struct hash32 **hashes,
                                    uint8_t **hashing, uint64_t *n, struct err *e) MUST_CHECK;

/* For `notary check` (notary/issuance/scrub.h): the leaves stored in the
 * place of issuance batch `b` (rows first_id .. first_id + size - 1 that
 * say they belong to it), in stored order, as they are: unlike
 * store_batch_leaves nothing is required of their number or positions, so
 * a damaged store is read rather than refused (*n may differ from
 * b->size). *hashes malloc'd, caller frees (NULL when *n is 0). E_IO /
 * E_NOMEM only. */
err_code store_batch_scan(struct store *s, const struct store_batch *b, struct hash32 **hashes,
                          uint64_t *n, struct err *e) MUST_CHECK;

/* Freeze the open issuance batch: OPEN → CLOSED with its current size and
 * no root yet; later submissions open the next batch. E_NOT_FOUND if there
 * is no open batch with at least one credential. */
err_code store_batch_freeze(struct store *s, int64_t closed_at, struct store_batch *out,
                            struct err *e) MUST_CHECK;

/* SQLite: add the hashes of frozen batches to the on-disk hash index, in
 * hash order, in short transactions (other writers take turns between
 * them); until then they are found through the in-memory index. Resumes
 * where a crash stopped it; nothing to do when all are indexed.
 * PostgreSQL: nothing to do (its rows are indexed as they are stored). */
err_code store_index_frozen(struct store *s, struct err *e) MUST_CHECK;

/* The roots of an issuance batch's subtrees of 2^shift leaves: roots[i] is
 * the RFC 9162 root of leaves [i << shift, min((i + 1) << shift, size)), and
 * count = ceil(size / 2^shift). Each is a node of the batch's tree, so one
 * audit path is the path inside one subtree (its leaves read with
 * store_batch_leaves_range) followed by the path of that subtree among the
 * roots (notary/issuance/levels.h). */
struct store_subroots {
    unsigned shift;
    uint64_t count;
    struct hash32 *roots; /* malloc'd when returned by the store */
};

/* Set the root of a frozen batch (once: E_STATE if it already has one),
 * with its subtree roots `sub` (NULL: none) in the same durable write: a
 * batch with a root has its subroots, or (closed before migration 6) none. */
err_code store_batch_set_root(struct store *s, enum batch_kind kind, uint64_t seq,
                              const struct hash32 *root, const struct store_subroots *sub,
                              struct err *e) MUST_CHECK;

/* The subtree roots of issuance batch `seq` (out->roots malloc'd, caller
 * frees). E_NOT_FOUND if none are stored (a batch closed before migration
 * 6, or without a root yet); E_STATE if the stored ones do not fit the
 * batch's size. */
err_code store_batch_subroots(struct store *s, uint64_t seq, struct store_subroots *out,
                              struct err *e) MUST_CHECK;

/* Store the subtree roots of issuance batch `seq`, which has its root but
 * none (computed once for a batch closed before migration 6). E_OK too if
 * another process stored them first; E_INVALID if `sub` does not fit the
 * batch's size; E_NOT_FOUND if the batch has no root. */
err_code store_batch_set_subroots(struct store *s, uint64_t seq, const struct store_subroots *sub,
                                  struct err *e) MUST_CHECK;

/* Leaves [from, from + count) of closed issuance batch `seq` into hashes[]
 * (and hashing[], one byte per leaf, unless NULL), caller buffers of
 * `count`. E_INVALID if the range is not inside the batch; E_STATE if the
 * stored rows are not those leaves. */
err_code store_batch_leaves_range(struct store *s, uint64_t seq, uint64_t from, uint64_t count,
                                  struct hash32 *hashes, uint8_t *hashing,
                                  struct err *e) MUST_CHECK;

/* Create a CLOSED revocation checkpoint batch directly (size, root of the
 * revocation log); its seq is the next of kind 1. */
err_code store_checkpoint_create(struct store *s, uint64_t size, const struct hash32 *root,
                                 int64_t closed_at, uint64_t *seq, struct err *e) MUST_CHECK;

/* ---- anchoring state -------------------------------------------------- */

/* Record a signed transaction for batch (kind, seq) BEFORE broadcasting it:
 * raw bytes, hash, nonce; the batch moves to SENT and points at this tx.
 * raw NULL (raw_len 0): a transaction found on the ledger and adopted, not
 * signed here (store_tx_raw then gives 0 bytes). */
err_code store_tx_record(struct store *s, enum batch_kind kind, uint64_t seq, uint64_t nonce,
                         const struct hash32 *tx_hash, const uint8_t *raw, size_t raw_len,
                         struct err *e) MUST_CHECK;

/* One recorded transaction of a batch. A batch may have several at the same
 * nonce (fee replacements of a stuck transaction): any one of them may be
 * the one mined, so the anchoring state machine watches them all. */
struct store_tx {
    struct hash32 hash;
    uint64_t nonce;
    bool has_raw;          /* false: adopted from the ledger, not signed by this store */
    bool has_sent_block;
    uint64_t sent_block;   /* the ledger's latest block when it was last (re)sent */
};

/* Every transaction recorded for batch (kind, seq), oldest first (*out
 * malloc'd, caller frees; *n may be 0). */
err_code store_tx_list(struct store *s, enum batch_kind kind, uint64_t seq, struct store_tx **out,
                       size_t *n, struct err *e) MUST_CHECK;

/* Note that transaction `tx_hash` was (re)sent when the ledger's latest
 * block was *block (NULL: forget it; the next look at the pool sets it).
 * E_NOT_FOUND if it is not recorded. */
err_code store_tx_set_sent_block(struct store *s, const struct hash32 *tx_hash,
                                 const uint64_t *block, struct err *e) MUST_CHECK;

/* The raw bytes of a recorded transaction (*raw malloc'd). */
err_code store_tx_raw(struct store *s, const struct hash32 *tx_hash, uint8_t **raw, size_t *len,
                      struct err *e) MUST_CHECK;

/* Batch reached the required confirmations in block (number, hash, time). */
err_code store_batch_anchored(struct store *s, enum batch_kind kind, uint64_t seq,
                              const struct hash32 *tx_hash, uint64_t block_number,
                              const struct hash32 *block_hash, int64_t block_time,
                              struct err *e) MUST_CHECK;

/* Back to CLOSED (the transaction was dropped or reorged out and must be
 * rebuilt), or to FAILED; `why` is kept for `status`. */
err_code store_batch_set_state(struct store *s, enum batch_kind kind, uint64_t seq,
                               enum batch_state state, const char *why,
                               struct err *e) MUST_CHECK;
/* Only update the pending reason. */
err_code store_batch_note(struct store *s, enum batch_kind kind, uint64_t seq, const char *why,
                          struct err *e) MUST_CHECK;

/* Counts for `status`: credentials stored, batches per state. */
struct store_counts {
    uint64_t credentials;
    uint64_t open_size;
    uint64_t batches[BATCH_LOST + 1];
};
err_code store_counts(struct store *s, struct store_counts *out, struct err *e) MUST_CHECK;

/* ---- revocation log (core/revlog.h; notary/issuance/revocation.h uses these) ---- */

/* One entry of the append-only revocation log (table `revocations`, whose
 * triggers refuse UPDATE and DELETE). */
struct store_revocation {
    uint64_t index;    /* position in the log, from 0 */
    struct hash32 hash;
    uint8_t reason;    /* enum revlog_reason */
    int64_t revoked_at;
    char note[REVLOG_MAX_NOTE + 1]; /* "" = none */
};

/* Append a revocation of `hash` (which must have been submitted here:
 * E_NOT_FOUND otherwise) in one durable transaction. A hash already revoked
 * is not appended again: *existed = true and *out is the existing entry. */
err_code store_revocation_add(struct store *s, const struct hash32 *hash, uint8_t reason,
                              const char *note, int64_t revoked_at, struct store_revocation *out,
                              bool *existed, struct err *e) MUST_CHECK;
/* The revocation of `hash`; E_NOT_FOUND if it is not revoked. */
err_code store_revocation_get(struct store *s, const struct hash32 *hash,
                              struct store_revocation *out, struct err *e) MUST_CHECK;
/* Append every entry of the log, in order, to `log` (E_STATE if the stored
 * positions are not 0..n-1). */
err_code store_revocation_load(struct store *s, struct revlog *log, struct err *e) MUST_CHECK;
/* Entries in the log. */
err_code store_revocation_count(struct store *s, uint64_t *n, struct err *e) MUST_CHECK;

/* ---- API tokens (notary serve) ------------------------------------------ */

/* A named bearer token; only its SHA-256 is stored. */
struct store_token {
    char name[65];
    struct hash32 hash; /* SHA-256 of the token string */
    int64_t created_at;
};

/* Store a new token hash under `name` (1..64 characters, checked by the
 * caller). E_STATE if the name is taken. */
err_code store_token_add(struct store *s, const char *name, const struct hash32 *token_hash,
                         struct err *e) MUST_CHECK;
/* Remove the token `name`; E_NOT_FOUND if there is none. */
err_code store_token_remove(struct store *s, const char *name, struct err *e) MUST_CHECK;
/* Every token, by name (*out malloc'd, caller frees). */
err_code store_token_list(struct store *s, struct store_token **out, size_t *n,
                          struct err *e) MUST_CHECK;

/* ---- backup and restore (notary/store/store_backup.c) ------------------------ */

/* Write a consistent snapshot of the store to the new file `path`, while
 * other processes (notary serve) keep writing: SQLite `VACUUM INTO` in one
 * read transaction, into PATH.tmp-PID created 0600, fsynced, renamed over
 * `path`, directory fsynced; on failure nothing is left at `path` (an
 * existing file there is kept unchanged). E_INVALID if `path` exists
 * (nothing overwritten), E_IO, E_UNSUPPORTED for PostgreSQL (the message
 * points to pg_dump, README "Backup, restore, check, upgrade"). */
err_code store_backup(struct store *s, const char *path, struct err *e) MUST_CHECK;

/* Check the store's file: SQLite `PRAGMA integrity_check` (E_STATE with
 * SQLite's first findings if it is not "ok"). E_UNSUPPORTED for PostgreSQL. */
err_code store_integrity_check(struct store *s, struct err *e) MUST_CHECK;

/* A batch of the issuer's that the ledger holds and this store does not
 * (restored from an older backup): what the ledger says of it. */
struct store_lost {
    uint64_t seq;
    uint64_t size;
    struct hash32 root;
    struct hash32 tx_hash;
    uint64_t block_number;
    struct hash32 block_hash;
    int64_t block_time;
};

/* Record, in one durable transaction, that the seqs of `lost` (n ≥ 1, in
 * increasing order, each above every batch of `kind` this store holds
 * with a root) are taken on the ledger: a BATCH_LOST row each, with its
 * root, size, transaction and block, no leaves, never anchored again. The
 * open issuance batch, if its seq is among them (its leaves are a prefix
 * of the lost batch, whose rest came after the backup), moves to the seq
 * after the last lost one with its leaves, so they are anchored in a new
 * batch; *moved_to gets that seq (UINT64_MAX: nothing moved; may be NULL).
 * E_STATE if a seq of `lost` belongs to a batch of this store other than
 * the open one; E_UNSUPPORTED for PostgreSQL. */
err_code store_batches_lost(struct store *s, enum batch_kind kind, const struct store_lost *lost,
                            size_t n, uint64_t *moved_to, struct err *e) MUST_CHECK;

#endif
