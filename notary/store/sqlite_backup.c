/*
 * notary/store/sqlite_backup.c — the SQLite engine's part of backup and
 * restore (notary/store/store_backup.c does what both engines share):
 * the snapshot, the integrity check, and the rows of batches lost to an
 * older backup. Calls down to sqlite_db.c only.
 */
#include "notary/store/sqlite_impl.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

/* VACUUM INTO runs in one read transaction: under WAL it sees one commit
 * point and never blocks the writers (notary serve goes on committing);
 * the copy is compact and has no -wal file beside it. */
err_code sq_backup(struct store *s, const char *path, struct err *e)
{
    sqlite3_stmt *st;
    err_code rc = sq_prepare(s, "VACUUM INTO ?", &st, e);
    if (rc)
        return rc;
    sqlite3_bind_text(st, 1, path, -1, SQLITE_TRANSIENT);
    int r = sqlite3_step(st);
    sqlite3_finalize(st);
    if (r != SQLITE_DONE)
        return sq_dberr(s, e, "write the snapshot");
    return E_OK;
}

err_code sq_integrity(struct store *s, struct err *e)
{
    sqlite3_stmt *st;
    err_code rc = sq_prepare(s, "PRAGMA integrity_check(5)", &st, e);
    if (rc)
        return rc;
    char found[600] = "", part[200];
    int r, rows = 0;
    bool ok = false;
    while ((r = sqlite3_step(st)) == SQLITE_ROW) {
        const char *t = (const char *)sqlite3_column_text(st, 0);
        if (rows++ == 0 && t && !strcmp(t, "ok"))
            ok = true;
        else if (strlen(found) < sizeof found - 4)
            snprintf(found + strlen(found), sizeof found - strlen(found), "%s%s",
                     found[0] ? "; " : "", sq_escaped(t, part, sizeof part));
    }
    sqlite3_finalize(st);
    if (r != SQLITE_DONE)
        return sq_dberr(s, e, "integrity check");
    if (!ok || rows != 1)
        return err_set(e, E_STATE, "%s: the integrity check failed: %s", SQ(s)->path, found);
    return E_OK;
}

err_code sq_batches_lost(struct store *s, enum batch_kind kind, const struct store_lost *lost,
                         size_t n, uint64_t open_seq, uint64_t moved_to, struct err *e)
{
    err_code rc;
    int changes = 0;
    if (open_seq != UINT64_MAX) {
        struct bindv mv[] = {BI(moved_to), BI(open_seq)};
        if ((rc = sq_run(s, "UPDATE chunks SET batch_seq = ? WHERE batch_seq = ?", mv, 2, NULL,
                         e)) ||
            (rc = sq_run(s, "UPDATE batches SET seq = ? WHERE kind = 0 AND seq = ? AND state = 0",
                         mv, 2, &changes, e)))
            return rc;
        if (changes != 1)
            return err_set(e, E_STATE, "batch %llu is no longer the open batch",
                           (unsigned long long)open_seq);
    }
    static const char why[] = "anchored on the ledger after the backup this store was restored "
                              "from: its leaves are not in this store";
    int64_t now = (int64_t)time(NULL);
    for (size_t i = 0; i < n; i++) {
        const struct store_lost *l = &lost[i];
        struct bindv v[] = {BI(kind),         BI(l->seq),          BI(l->size),
                            BI(l->size),      BH(&l->root),        BI(l->block_time),
                            BI(l->block_time), BH(&l->tx_hash),    BI(l->block_number),
                            BH(&l->block_hash), BI(l->block_time), BI(now), BT(why)};
        rc = sq_run(s, "INSERT OR IGNORE INTO batches(kind, seq, state, size, indexed, root, "
                       "opened_at, closed_at, tx_hash, block_number, block_hash, block_time, "
                       "anchored_at, last_error) VALUES(?, ?, 5, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    v, 13, &changes, e);
        if (rc)
            return rc;
        if (changes != 1)
            return err_set(e, E_STATE, "%s %llu is already in this store: it cannot be marked lost",
                           kind == BATCH_ISSUANCE ? "batch" : "checkpoint",
                           (unsigned long long)l->seq);
    }
    return E_OK;
}
