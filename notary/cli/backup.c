/*
 * notary/cli/backup.c — `notary backup` and `notary restore`.
 * Argument parsing, the backup's container and the report; the snapshot
 * and its checks are the store's (notary/store/store.h "backup and
 * restore"), the lost batches are found by notary/anchoring/restore.h.
 *
 * A backup is either one SQLite file (the store: it also holds the
 * configuration — ledger, chain, contract, issuer, confirmations, EBSI
 * endpoints — and the API tokens' hashes), or, with --with-key, a
 * directory holding that file as notary.db and the keystore key.json,
 * still encrypted. Both are written under a temporary name, fsynced and
 * then given their name, so a backup that exists is complete.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/fileio.h"
#include "notary/anchoring/anchoring.h"
#include "notary/anchoring/restore.h"
#include "notary/cli/commands.h"
#include "notary/cli/common.h"

#define KEY_MAX (64 * 1024) /* a keystore v3 file is about 500 bytes */

static const char BACKUP_USAGE[] =
    "usage: notary backup --to PATH [--with-key] [--json]\n"
    "\n"
    "Write a consistent snapshot of the store to the new file PATH while\n"
    "`notary serve` keeps running (SQLite: one read transaction, VACUUM INTO;\n"
    "mode 0600, written under a temporary name, fsynced, then renamed). The\n"
    "snapshot holds every credential, batch, transaction, the revocation log,\n"
    "the configuration and the API tokens' hashes. PostgreSQL: use pg_dump\n"
    "(README, \"Backup, restore, check, upgrade\").\n"
    "\n"
    "  --to PATH    where to write it; it must not exist\n"
    "  --with-key   make PATH a directory holding notary.db and the keystore\n"
    "               key.json (still encrypted: keep its password apart)\n"
    "  --json       print the result as JSON\n";

static const char RESTORE_USAGE[] =
    "usage: notary restore BACKUP --data DIR [--json]\n"
    "\n"
    "Restore a backup of `notary backup` (the file, or the --with-key directory)\n"
    "into DIR, which must be new or empty. The copy is checked (SQLite's\n"
    "integrity check, the notary's schema) before it is put in place as\n"
    "DIR/notary.db. The ledger is then asked which batches this issuer\n"
    "anchored after the backup was taken. One whose leaves the backup holds\n"
    "(a batch it had closed, or its open batch closed since with nothing\n"
    "added) is recovered: anchored as on the ledger, listed as `recovered`.\n"
    "The others' leaves are not in the backup: they are listed (seq, root,\n"
    "block, transaction) as `lost`, for the credentials in them to be issued\n"
    "again, and recorded so. None is anchored again; the next batch takes the\n"
    "registry's next sequence number, and credentials of the backup's open\n"
    "batch not recovered move to it.\n"
    "\n"
    "  --data DIR   the new notary directory (also as the global --data)\n"
    "  --json       print the result as JSON\n"
    "\n"
    "exit status: 0 restored (lost batches are listed, not an error), 1 failed,\n"
    "2 bad input (DIR not empty, BACKUP not a notary backup), 3 the ledger could\n"
    "not be asked (nothing was restored; run it again).\n";

/* ---- small file helpers ----------------------------------------------------- */

static err_code fsync_dir(const char *dir, struct err *e)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return err_set(e, E_IO, "%s: cannot open: %s", dir, strerror(errno));
    int r = fsync(fd), saved = errno;
    close(fd);
    return r ? err_set(e, E_IO, "%s: fsync: %s", dir, strerror(saved)) : E_OK;
}

static err_code fsync_parent(const char *path, struct err *e)
{
    char *p = strdup(path);
    if (!p)
        return err_set(e, E_NOMEM, "out of memory");
    err_code rc = fsync_dir(dirname(p), e);
    free(p);
    return rc;
}

/* Copy the regular file `from` to the new file `to` (mode 0600), fsynced. */
static err_code copy_file(const char *from, const char *to, struct err *e)
{
    int in = open(from, O_RDONLY | O_CLOEXEC | O_NOFOLLOW), out = -1;
    struct stat sb;
    if (in < 0 || fstat(in, &sb) != 0) {
        err_code rc = err_set(e, errno == ENOENT ? E_NOT_FOUND : E_IO, "%s: cannot open: %s",
                              from, strerror(errno));
        if (in >= 0)
            close(in);
        return rc;
    }
    err_code rc = E_OK;
    if (!S_ISREG(sb.st_mode)) {
        rc = err_set(e, E_INVALID, "%s is not a regular file", from);
        goto out;
    }
    if ((out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0) {
        rc = err_set(e, E_IO, "%s: cannot create: %s", to, strerror(errno));
        goto out;
    }
    char buf[1 << 16];
    ssize_t r;
    while ((r = read(in, buf, sizeof buf)) > 0)
        for (ssize_t off = 0; off < r;) {
            ssize_t w = write(out, buf + off, (size_t)(r - off));
            if (w < 0 && errno == EINTR)
                continue;
            if (w < 0) {
                rc = err_set(e, E_IO, "%s: write: %s", to, strerror(errno));
                goto out;
            }
            off += w;
        }
    if (r < 0)
        rc = err_set(e, E_IO, "%s: read: %s", from, strerror(errno));
    else if (fsync(out) != 0)
        rc = err_set(e, E_IO, "%s: fsync: %s", to, strerror(errno));
out:
    if (out >= 0 && close(out) != 0 && !rc)
        rc = err_set(e, E_IO, "%s: close: %s", to, strerror(errno));
    close(in);
    if (rc && out >= 0)
        unlink(to);
    return rc;
}

/* ---- backup ------------------------------------------------------------------ */

/* --with-key: PATH.tmp-PID/{notary.db,key.json}, fsynced, renamed to PATH. */
static err_code backup_dir(struct store *s, const char *path, struct err *e)
{
    struct stat sb;
    if (lstat(path, &sb) == 0)
        return err_set(e, E_INVALID, "%s already exists: a backup never overwrites; name a new one",
                       path);
    char suffix[32];
    snprintf(suffix, sizeof suffix, ".tmp-%ld", (long)getpid());
    size_t n = strlen(path) + sizeof suffix;
    char *tmp = malloc(n), *db = NULL, *key = NULL, *src = cli_data_path("key.json");
    err_code rc = E_OK;
    if (!tmp || !src) {
        rc = err_set(e, E_NOMEM, "out of memory");
        goto out;
    }
    snprintf(tmp, n, "%s%s", path, suffix);
    if (mkdir(tmp, 0700) != 0) {
        rc = err_set(e, E_IO, "%s: cannot create: %s", tmp, strerror(errno));
        goto out;
    }
    if (!(db = file_join(tmp, "notary.db")) || !(key = file_join(tmp, "key.json")))
        rc = err_set(e, E_NOMEM, "out of memory");
    if (!rc && (rc = copy_file(src, key, e)) == E_NOT_FOUND)
        rc = err_set(e, E_NOT_FOUND, "%s: no keystore to back up (--with-key); a notary made "
                                     "with `init` keeps it there", src);
    if (!rc && !(rc = store_backup(s, db, e)) && !(rc = fsync_dir(tmp, e))) {
        if (rename(tmp, path) != 0)
            rc = err_set(e, E_IO, "%s: %s", path, strerror(errno));
        else
            rc = fsync_parent(path, e);
        if (!rc)
            goto out;
    }
    if (db)
        unlink(db);
    if (key)
        unlink(key);
    rmdir(tmp);
out:
    free(tmp);
    free(db);
    free(key);
    free(src);
    return rc;
}

int cmd_backup(int argc, char **argv)
{
    const char *to = NULL;
    bool with_key = false;
    const struct cli_opt opts[] = {CLI_VALUE("to", &to), CLI_FLAG("with-key", &with_key),
                                   CLI_JSON, CLI_HELP, {0}};
    struct cli_args args = {"backup", BACKUP_USAGE, opts, CLI_CONTINUE, NULL};
    int code = cli_parse(&args, argc, argv, 0);
    if (code != CLI_CONTINUE)
        return code;
    if (!to || !*to)
        return cli_usage_error("backup", "--to PATH is needed");
    /* Not cli_open: a backup only reads (it does not finish an interrupted
     * close, which is the serving process's work). */
    struct err e = {0};
    struct store *s = NULL;
    char *url = NULL;
    err_code rc = cli_store_url(&url, &e);
    if (!rc)
        rc = store_open(url, false, &s, &e);
    free(url);
    if (!rc)
        rc = with_key ? backup_dir(s, to, &e) : store_backup(s, to, &e);
    store_close(s);
    if (rc)
        return cli_fail(cli_exit_for(rc), &e);
    if (g_cli.json)
        cli_print_json(json_pack("{s:s, s:b}", "backup", to, "with_key", with_key));
    else
        printf("backup written: %s%s\n", to,
               with_key ? " (notary.db and the encrypted key.json)" : "");
    return EXIT_OK;
}

/* ---- restore ----------------------------------------------------------------- */

/* DIR must be new (made now, 0700) or an empty directory. */
static err_code target_dir(const char *dir, struct err *e)
{
    if (mkdir(dir, 0700) == 0)
        return E_OK;
    if (errno != EEXIST)
        return err_set(e, E_IO, "%s: cannot create: %s", dir, strerror(errno));
    DIR *d = opendir(dir);
    if (!d)
        return err_set(e, E_INVALID, "%s exists and is not a directory one can read: restore "
                                     "into a new or empty directory", dir);
    struct dirent *de;
    bool empty = true;
    while ((de = readdir(d)))
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
            empty = false;
    closedir(d);
    return empty ? E_OK
                 : err_set(e, E_INVALID, "%s is not empty: restore into a new or empty directory "
                                         "(nothing was changed)", dir);
}

/* The batches x[0..n) of `kind` as JSON objects appended to `a`. */
static void batches_json(json_t *a, enum batch_kind kind, const struct store_lost *x, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char root[67] = "0x", tx[67] = "0x";
        hex_encode(x[i].root.b, 32, root + 2);
        hex_encode(x[i].tx_hash.b, 32, tx + 2);
        json_array_append_new(a, json_pack("{s:s, s:I, s:s, s:I, s:I, s:s}", "kind",
                                           anchoring_kind_name(kind), "seq", (json_int_t)x[i].seq,
                                           "root", root, "size", (json_int_t)x[i].size, "block",
                                           (json_int_t)x[i].block_number, "tx", tx));
    }
}

/* Recovered batches: anchored after the backup, their leaves in it. */
static void print_recovered(enum batch_kind kind, const struct anchoring_lost *l)
{
    for (size_t i = 0; i < l->nrec; i++) {
        char root[65], tx[65];
        hex_encode(l->recovered[i].root.b, 32, root);
        hex_encode(l->recovered[i].tx_hash.b, 32, tx);
        printf("recovered %s %llu: root 0x%s, %llu leaves, block %llu, tx 0x%s\n",
               anchoring_kind_name(kind), (unsigned long long)l->recovered[i].seq, root,
               (unsigned long long)l->recovered[i].size,
               (unsigned long long)l->recovered[i].block_number, tx);
    }
    if (l->nrec)
        fprintf(stderr, "notary: %zu %s%s anchored after this backup was taken with leaves it "
                        "holds: %s anchored as on the ledger, with %s leaves (never anchored "
                        "again)\n",
                l->nrec, anchoring_kind_name(kind), l->nrec == 1 ? " was" : "es were",
                l->nrec == 1 ? "it is" : "they are", l->nrec == 1 ? "its" : "their");
}

static void print_lost(enum batch_kind kind, const struct anchoring_lost *l)
{
    if (!l->n)
        return;
    fprintf(stderr, "notary: %zu %s%s anchored after this backup was taken; %s not in it:\n",
            l->n, anchoring_kind_name(kind), l->n == 1 ? " was" : "es were",
            kind == BATCH_ISSUANCE ? "their credentials are" : "the revocations they cover are");
    for (size_t i = 0; i < l->n; i++) {
        char root[65], tx[65];
        hex_encode(l->lost[i].root.b, 32, root);
        hex_encode(l->lost[i].tx_hash.b, 32, tx);
        printf("lost %s %llu: root 0x%s, %llu leaves, block %llu, tx 0x%s\n",
               anchoring_kind_name(kind), (unsigned long long)l->lost[i].seq, root,
               (unsigned long long)l->lost[i].size, (unsigned long long)l->lost[i].block_number,
               tx);
    }
    if (l->superset_of != UINT64_MAX)
        fprintf(stderr, "notary: the leaves of lost batch %llu are the first of the backup's open "
                        "batch, which holds more: all of them are anchored again in batch %llu "
                        "(no need to issue those again)\n",
                (unsigned long long)l->superset_of, (unsigned long long)l->moved_to);
    fprintf(stderr, "notary: %s\n",
            kind == BATCH_ISSUANCE
                ? "issue the credentials of the lost batches again (their holders' proofs cannot "
                  "be made); the next batch is anchored as the registry's next"
                : "revoke the credentials revoked after the backup again");
}

/* Ask the ledger what this store lost (evm registry only). */
static err_code find_lost(struct store *s, struct anchoring_lost lost[2], bool *checked,
                          struct err *e)
{
    *checked = false;
    if (anchoring_is_ebsi(s))
        return E_OK;
    struct evm_ledger l = {0};
    uint64_t conf;
    struct addr20 contract, issuer;
    char *issuer_hex = NULL;
    err_code rc = store_meta_get(s, "issuer", &issuer_hex, e);
    if (!rc)
        rc = addr20_from_hex(issuer_hex, &issuer, e);
    free(issuer_hex);
    if (!rc && !(rc = cli_connect_ledger(s, 0, 0, &l, &conf, &contract, e)) &&
        !(rc = anchoring_find_lost(s, &l, &contract, &issuer, BATCH_ISSUANCE, &lost[0], e)))
        rc = anchoring_find_lost(s, &l, &contract, &issuer, BATCH_REVOCATION, &lost[1], e);
    evm_close(&l);
    *checked = rc == E_OK;
    return rc;
}

/* Copy, check, reconcile with the ledger, then name it DIR/notary.db. */
static err_code restore(const char *from, const char *dir, struct anchoring_lost lost[2],
                        bool *checked, bool *key, struct err *e)
{
    struct stat sb;
    if (stat(from, &sb) != 0)
        return err_set(e, E_NOT_FOUND, "%s: %s", from, strerror(errno));
    char *src_db = S_ISDIR(sb.st_mode) ? file_join(from, "notary.db") : strdup(from);
    char *src_key = S_ISDIR(sb.st_mode) ? file_join(from, "key.json") : NULL;
    char *tmp = file_join(dir, "notary.db.restoring"), *db = file_join(dir, "notary.db");
    char *key_to = file_join(dir, "key.json");
    struct store *s = NULL;
    err_code rc = E_OK;
    if (!src_db || !tmp || !db || !key_to || (S_ISDIR(sb.st_mode) && !src_key)) {
        rc = err_set(e, E_NOMEM, "out of memory");
        goto out;
    }
    if ((rc = copy_file(src_db, tmp, e)))
        goto out;
    if ((rc = store_open(tmp, false, &s, e))) {
        /* store_open's words name the copy; say what was refused. */
        char msg[sizeof e->msg];
        snprintf(msg, sizeof msg, "%s", e->msg);
        rc = err_set(e, rc == E_NOT_FOUND ? E_INVALID : rc,
                     "%s is not a backup of a notary (%s); nothing was restored", from, msg);
        goto fail;
    }
    if ((rc = store_integrity_check(s, e))) {
        rc = err_wrap(e, E_INVALID, "%s is damaged; nothing was restored", from);
        goto fail;
    }
    if ((rc = find_lost(s, lost, checked, e)))
        goto fail;
    store_close(s);
    s = NULL;
    if (src_key && access(src_key, F_OK) == 0) {
        if ((rc = copy_file(src_key, key_to, e)))
            goto fail;
        *key = true;
    }
    int fd = open(tmp, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || fsync(fd) != 0)
        rc = err_set(e, E_IO, "%s: fsync: %s", tmp, strerror(errno));
    if (fd >= 0)
        close(fd);
    if (!rc && rename(tmp, db) != 0)
        rc = err_set(e, E_IO, "%s: %s", db, strerror(errno));
    if (rc || (rc = fsync_dir(dir, e)))
        goto fail;
    goto out;
fail:
    store_close(s);
    unlink(tmp);
    if (*key)
        unlink(key_to), *key = false;
out:
    if (rc) {
        /* also the files SQLite made beside the copy */
        char side[4200];
        snprintf(side, sizeof side, "%s-wal", tmp ? tmp : "");
        unlink(side);
        snprintf(side, sizeof side, "%s-shm", tmp ? tmp : "");
        unlink(side);
    }
    free(src_db);
    free(src_key);
    free(tmp);
    free(db);
    free(key_to);
    return rc;
}

int cmd_restore(int argc, char **argv)
{
    const struct cli_opt opts[] = {CLI_VALUE("data", &g_cli.data), CLI_JSON, CLI_HELP, {0}};
    struct cli_args args = {"restore", RESTORE_USAGE, opts, CLI_CONTINUE, NULL};
    while (cli_next(&args, argc, argv) != -1)
        ;
    if (args.code != CLI_CONTINUE)
        return args.code;
    if (optind >= argc)
        return cli_usage_error("restore", "which backup? (notary restore BACKUP --data DIR)");
    int code = cli_args_end(&args, argc, argv, 1);
    if (code != CLI_CONTINUE)
        return code;
    const char *from = argv[optind];
    struct err e = {0};
    char *dir = cli_data_path(".");
    if (!dir)
        return err_set(&e, E_NOMEM, "out of memory"), cli_fail(EXIT_FAIL, &e);
    dir[strlen(dir) - 2] = '\0'; /* DIR, without the "/." */
    struct anchoring_lost lost[2] = {{.moved_to = UINT64_MAX, .superset_of = UINT64_MAX},
                                     {.moved_to = UINT64_MAX, .superset_of = UINT64_MAX}};
    bool checked = false, key = false, made = access(dir, F_OK) != 0;
    err_code rc = target_dir(dir, &e);
    if (!rc && (rc = restore(from, dir, lost, &checked, &key, &e)) && made)
        rmdir(dir); /* leave nothing behind but what was there */
    code = EXIT_OK;
    if (rc) {
        code = cli_fail(cli_exit_for(rc), &e);
    } else if (g_cli.json) {
        json_t *o = json_pack("{s:s, s:s, s:b, s:b}", "restored", dir, "from", from, "key", key,
                              "ledger_checked", checked);
        json_t *all = json_array(), *rec = json_array();
        for (int k = 0; k < 2; k++) {
            batches_json(all, (enum batch_kind)k, lost[k].lost, lost[k].n);
            batches_json(rec, (enum batch_kind)k, lost[k].recovered, lost[k].nrec);
        }
        json_object_set_new(o, "lost", all);
        json_object_set_new(o, "recovered", rec);
        if (lost[0].moved_to != UINT64_MAX)
            json_object_set_new(o, "open_batch_moved_to", json_integer((json_int_t)lost[0].moved_to));
        if (lost[0].superset_of != UINT64_MAX)
            json_object_set_new(o, "open_batch_holds_lost", json_integer((json_int_t)lost[0].superset_of));
        cli_print_json(o);
    } else {
        printf("restored: %s/notary.db from %s%s\n", dir, from, key ? " (with key.json)" : "");
        print_recovered(BATCH_ISSUANCE, &lost[0]);
        print_recovered(BATCH_REVOCATION, &lost[1]);
        print_lost(BATCH_ISSUANCE, &lost[0]);
        print_lost(BATCH_REVOCATION, &lost[1]);
        if (lost[0].moved_to != UINT64_MAX)
            printf("the backup's open batch is now batch %llu\n",
                   (unsigned long long)lost[0].moved_to);
        if (!checked)
            fprintf(stderr, "notary: the ledger was not asked for batches anchored after the "
                            "backup (EBSI timestamps carry no sequence numbers)\n");
    }
    anchoring_lost_free(&lost[0]);
    anchoring_lost_free(&lost[1]);
    free(dir);
    return code;
}
