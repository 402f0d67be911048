/* core/fileio.c — see fileio.h. */
#define _GNU_SOURCE /* syncfs */
#include "core/fileio.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <libgen.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

err_code file_read_stream(FILE *f, const char *name, size_t max, struct buf *out, struct err *e)
{
    uint8_t chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (out->len + n > max) {
            buf_free(out);
            return err_set(e, E_LIMIT, "%s: larger than the limit of %zu bytes", name, max);
        }
        if (buf_append(out, chunk, n)) {
            buf_free(out);
            return err_set(e, E_NOMEM, "%s: out of memory", name);
        }
    }
    if (ferror(f)) {
        buf_free(out);
        return err_set(e, E_IO, "%s: read error: %s", name, strerror(errno));
    }
    if (!out->p && buf_reserve(out, 0))
        return err_set(e, E_NOMEM, "%s: out of memory", name);
    out->p[out->len] = 0;
    return E_OK;
}

/* What a non-regular file is, for the message. */
static const char *kind_of(mode_t m)
{
    return S_ISFIFO(m)   ? "a FIFO (named pipe)"
           : S_ISDIR(m)  ? "a directory"
           : S_ISCHR(m)  ? "a character device"
           : S_ISBLK(m)  ? "a block device"
           : S_ISSOCK(m) ? "a socket"
                         : "not a regular file";
}

/* /dev/null is the one device allowed: it reads as an empty file. */
static bool is_dev_null(const struct stat *st)
{
    struct stat dn;
    return S_ISCHR(st->st_mode) && stat("/dev/null", &dn) == 0 && S_ISCHR(dn.st_mode) &&
           dn.st_rdev == st->st_rdev;
}

char *file_join(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s/%s", dir, name);
    return p;
}

err_code file_read_all(const char *path, size_t max, struct buf *out, struct err *e)
{
    *out = (struct buf){0};
    if (strcmp(path, "-") == 0)
        return file_read_stream(stdin, "<stdin>", max, out, e);
    /* O_NONBLOCK: opening a FIFO nobody writes to must not block; the type
     * is checked on the open descriptor (no race with a rename). */
    int fd;
    struct stat st;
    err_code rc = file_open_stat(path, O_NONBLOCK, &fd, &st, e);
    if (rc)
        return rc;
    if (!S_ISREG(st.st_mode) && !is_dev_null(&st)) {
        close(fd);
        return err_set(e, E_INVALID,
                       "%s is %s, not a regular file: give a regular file (to read from a "
                       "pipe, give '-' and send the data to standard input)",
                       path, kind_of(st.st_mode));
    }
    return file_read_fd(fd, path, max, out, e);
}

err_code file_read_private(const char *path, size_t max, struct buf *out, struct err *e)
{
    *out = (struct buf){0};
    int fd;
    struct stat st;
    err_code rc = file_open_stat(path, O_NONBLOCK, &fd, &st, e);
    if (rc)
        return rc;
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return err_set(e, E_INVALID, "%s is %s, not a regular file", path, kind_of(st.st_mode));
    }
    if (st.st_mode & 077) {
        close(fd);
        return err_set(e, E_STATE, "%s: mode %04o is too open (others may read it); run chmod 600 %s", path,
                       (unsigned)(st.st_mode & 07777), path);
    }
    return file_read_fd(fd, path, max, out, e);
}

err_code file_open_stat(const char *path, int flags, int *fd, struct stat *st, struct err *e)
{
    *fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | flags);
    if (*fd < 0)
        return err_set(e, errno == ENOENT ? E_NOT_FOUND : E_IO, "%s: cannot open: %s", path,
                       strerror(errno));
    if (fstat(*fd, st) != 0) {
        int saved = errno;
        close(*fd);
        *fd = -1;
        return err_set(e, E_IO, "%s: cannot stat: %s", path, strerror(saved));
    }
    return E_OK;
}

err_code file_read_fd(int fd, const char *path, size_t max, struct buf *out, struct err *e)
{
    int fl = fcntl(fd, F_GETFL);
    FILE *f = fl >= 0 && fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) == 0 ? fdopen(fd, "rb") : NULL;
    if (!f) {
        int saved = errno;
        close(fd);
        return err_set(e, E_IO, "%s: cannot open: %s", path, strerror(saved));
    }
    err_code rc = file_read_stream(f, path, max, out, e);
    fclose(f);
    return rc;
}

int file_sync_path(const char *path, int flags, bool whole_fs, bool *opened)
{
    int fd = open(path, flags | O_CLOEXEC);
    *opened = fd >= 0;
    if (fd < 0)
        return errno;
    int r = whole_fs ? syncfs(fd) : fsync(fd);
    int saved = errno;
    close(fd);
    return r ? saved : 0;
}

static err_code fsync_dir_of(const char *path, struct err *e)
{
    char *copy = strdup(path);
    if (!copy)
        return err_set(e, E_NOMEM, "out of memory");
    const char *dir = dirname(copy);
    bool opened;
    int er = file_sync_path(dir, O_RDONLY | O_DIRECTORY, false, &opened);
    if (er)
        err_set(e, E_IO,
                opened ? "%s: fsync of directory failed: %s" : "%s: cannot open directory: %s",
                dir, strerror(er));
    free(copy);
    return er ? E_IO : E_OK;
}

static err_code write_atomic(const char *path, const void *data, size_t len, mode_t mode,
                             bool durable, struct err *e)
{
    size_t plen = strlen(path);
    char *tmp = malloc(plen + 16);
    if (!tmp)
        return err_set(e, E_NOMEM, "out of memory");
    snprintf(tmp, plen + 16, "%s.tmpXXXXXX", path);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        err_set(e, E_IO, "%s: cannot create temporary file: %s", path, strerror(errno));
        free(tmp);
        return E_IO;
    }
    const char *what = NULL;
    if (fchmod(fd, mode) != 0)
        what = "chmod";
    const uint8_t *p = data;
    size_t left = len;
    while (!what && left > 0) {
        ssize_t w = write(fd, p, left);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            what = "write";
            break;
        }
        p += w;
        left -= (size_t)w;
    }
    if (!what && durable && fsync(fd) != 0)
        what = "fsync";
    int saved = errno;
    if (close(fd) != 0 && !what) {
        what = "close";
        saved = errno;
    }
    if (!what && rename(tmp, path) != 0) {
        what = "rename";
        saved = errno;
    }
    if (what) {
        unlink(tmp);
        free(tmp);
        return err_set(e, E_IO, "%s: %s failed: %s (the previous file, if any, is unchanged)",
                       path, what, strerror(saved));
    }
    free(tmp);
    return durable ? fsync_dir_of(path, e) : E_OK;
}

err_code file_write_atomic(const char *path, const void *data, size_t len, mode_t mode,
                           struct err *e)
{
    return write_atomic(path, data, len, mode, true, e);
}

err_code file_write_atomic_nosync(const char *path, const void *data, size_t len, mode_t mode,
                                  struct err *e)
{
    return write_atomic(path, data, len, mode, false, e);
}

err_code file_sync_fs(const char *dir, struct err *e)
{
    bool opened;
    int er = file_sync_path(dir, O_RDONLY | O_DIRECTORY, true, &opened);
    if (er)
        return err_set(e, E_IO, opened ? "%s: syncfs failed: %s" : "%s: cannot open directory: %s",
                       dir, strerror(er));
    return E_OK;
}
