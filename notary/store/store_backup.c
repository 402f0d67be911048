/*
 * notary/store/store_backup.c — backup and restore, the part both engines
 * share (contracts in notary/store/store.h): the snapshot's temporary
 * file, its fsync and rename; the checks before batches are marked lost.
 * The engine does the database work through its method table
 * (notary/store/store_impl.h); PostgreSQL has none of it (pg_dump does a
 * database's backup: README "Backup, restore, check, upgrade").
 */
#include "notary/store/store_impl.h"

#include "core/fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static err_code unsupported(struct store *s, const char *what, struct err *e)
{
    return err_set(e, E_UNSUPPORTED,
                   "%s is not done by the notary for a %s store: use pg_dump / pg_restore "
                   "(README, \"Backup, restore, check, upgrade\")",
                   what, s->ops->name);
}

static err_code fsync_path(const char *path, int flags, struct err *e)
{
    bool opened;
    int er = file_sync_path(path, flags, false, &opened);
    if (er)
        return err_set(e, E_IO, opened ? "%s: fsync: %s" : "%s: cannot open: %s", path,
                       strerror(er));
    return E_OK;
}

err_code store_backup(struct store *s, const char *path, struct err *e)
{
    if (!s->ops->backup)
        return unsupported(s, "a backup", e);
    struct stat sb;
    if (lstat(path, &sb) == 0)
        return err_set(e, E_INVALID, "%s already exists: a backup never overwrites a file; name a "
                                   "new one", path);
    size_t n = strlen(path) + 32;
    char *tmp = malloc(n), *dir = strdup(path);
    if (!tmp || !dir) {
        free(tmp);
        free(dir);
        return err_set(e, E_NOMEM, "out of memory");
    }
    snprintf(tmp, n, "%s.tmp-%ld", path, (long)getpid());
    err_code rc = E_OK;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        rc = err_set(e, E_IO, "%s: cannot create: %s", tmp, strerror(errno));
        goto out;
    }
    close(fd);
    if ((rc = s->ops->backup(s, tmp, e)) || (rc = fsync_path(tmp, O_RDONLY, e)))
        goto fail;
    /* link() rather than rename(): a file that appeared at `path` meanwhile
     * is not replaced. */
    if (link(tmp, path) != 0) {
        rc = err_set(e, errno == EEXIST ? E_INVALID : E_IO, "%s: %s", path,
                     errno == EEXIST ? "appeared while the backup was written; name a new file"
                                     : strerror(errno));
        goto fail;
    }
    unlink(tmp);
    rc = fsync_path(dirname(dir), O_RDONLY | O_DIRECTORY, e);
    goto out;
fail:
    unlink(tmp);
out:
    free(tmp);
    free(dir);
    return rc;
}

err_code store_integrity_check(struct store *s, struct err *e)
{
    return s->ops->integrity ? s->ops->integrity(s, e) : unsupported(s, "an integrity check", e);
}

err_code store_batches_lost(struct store *s, enum batch_kind kind, const struct store_lost *lost,
                            size_t n, uint64_t *moved_to, struct err *e)
{
    if (moved_to)
        *moved_to = UINT64_MAX;
    if (!s->ops->batches_lost)
        return unsupported(s, "marking batches lost after a restore", e);
    if (n == 0)
        return E_OK;
    for (size_t i = 1; i < n; i++)
        if (lost[i].seq <= lost[i - 1].seq)
            return err_set(e, E_INVALID, "lost batches out of order");
    err_code rc = s->ops->begin(s, true, e);
    if (rc)
        return rc;
    uint64_t open_seq = UINT64_MAX, to = lost[n - 1].seq + 1;
    struct store_batch open;
    if (kind == BATCH_ISSUANCE) {
        rc = s->ops->batch_open_get(s, BATCH_ISSUANCE, &open, e);
        if (rc == E_NOT_FOUND)
            err_clear(e), rc = E_OK;
        else if (!rc)
            for (size_t i = 0; i < n; i++)
                if (lost[i].seq == open.seq)
                    open_seq = open.seq;
    }
    if (!rc)
        rc = s->ops->batches_lost(s, kind, lost, n, open_seq, to, e);
    if (rc || (rc = s->ops->commit(s, e))) {
        s->ops->rollback(s);
        return rc;
    }
    if (moved_to && open_seq != UINT64_MAX)
        *moved_to = to;
    return E_OK;
}
