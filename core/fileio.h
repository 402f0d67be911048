/*
 * core/fileio.h — bounded reads and durable writes.
 *
 * Everything we read from a file may be untrusted (proof bundles, credentials,
 * revocation logs), so reads take an explicit size limit and fail before
 * allocating more. Everything we write that someone relies on (bundles,
 * exports, keystores) is written temp → fsync → rename → fsync(dir), so a
 * crash leaves either the old file or the new one, never a torn one.
 */
#ifndef CORE_FILEIO_H
#define CORE_FILEIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "core/bytes.h"
#include "core/error.h"

/* Read all of `path` ("-" = stdin) into `out` (caller frees with buf_free).
 * More than `max` bytes → E_LIMIT, naming the file and the limit. Only a
 * regular file (or /dev/null, read as empty) is read: a FIFO, directory,
 * device or socket is E_INVALID saying what it is and to use '-' for a pipe
 * (a FIFO nobody writes to would block forever; the open itself never
 * blocks). Missing → E_NOT_FOUND; other open/read errors → E_IO. */
/* "DIR/NAME" in a fresh string (the caller frees it); NULL when out of
 * memory. */
char *file_join(const char *dir, const char *name);

err_code file_read_all(const char *path, size_t max, struct buf *out, struct err *e) MUST_CHECK;

/* Open `path` for reading with O_CLOEXEC | O_NOCTTY | `flags` (e.g.
 * O_NONBLOCK) and fstat the descriptor into *st, so a check of the file's
 * type or mode is made on what is then read. On success *fd is the
 * caller's to close. Errors (nothing left open): E_NOT_FOUND or E_IO
 * "PATH: cannot open: WHY"; E_IO "PATH: cannot stat: WHY". */
err_code file_open_stat(const char *path, int flags, int *fd, struct stat *st,
                        struct err *e) MUST_CHECK;

/* Read all of the open file `fd` (blocking, whatever its flags were) with
 * file_read_stream's limit rule, and close it (also on an error). `path`
 * names it in messages; E_IO "PATH: cannot open: WHY" when no stream can
 * be made of it. */
err_code file_read_fd(int fd, const char *path, size_t max, struct buf *out,
                      struct err *e) MUST_CHECK;

/* Read all of `path`, a secret (a private key, a token): like
 * file_read_all() but the file must be a regular file whose mode lets no
 * group or other in, both checked with fstat on the descriptor then read
 * (no swap between the check and the read). Errors: those of
 * file_open_stat(); E_INVALID not a regular file; E_STATE "PATH: mode NNNN
 * is too open (...); run chmod 600 PATH"; E_LIMIT over `max`. The caller
 * wipes and frees *out (buf_free_wipe). */
err_code file_read_private(const char *path, size_t max, struct buf *out,
                           struct err *e) MUST_CHECK;

/* fsync (whole_fs: syncfs, the whole file system) what `path` names, opened
 * with O_CLOEXEC | `flags` (O_RDONLY | O_DIRECTORY for a directory).
 * Returns 0, or the errno of the step that failed with *opened saying
 * whether the open succeeded — callers word their own messages. */
int file_sync_path(const char *path, int flags, bool whole_fs, bool *opened);

/* Read all of an open stream (not closed) with the same limit rule. `name` is
 * used in messages only. */
err_code file_read_stream(FILE *f, const char *name, size_t max, struct buf *out,
                          struct err *e) MUST_CHECK;

/* Atomically replace `path` with `len` bytes of `data`, created with `mode`
 * (e.g. 0644, or 0600 for key files): write to a temporary file in the same
 * directory, fsync it, rename over `path`, fsync the directory. */
err_code file_write_atomic(const char *path, const void *data, size_t len, mode_t mode,
                           struct err *e) MUST_CHECK;

/* Like file_write_atomic() but without the fsyncs: for writing many files
 * (a batch's bundles) followed by one file_sync_fs() — a crash may leave
 * some missing, never torn. */
err_code file_write_atomic_nosync(const char *path, const void *data, size_t len, mode_t mode,
                                  struct err *e) MUST_CHECK;

/* Flush everything written to the file system holding `dir` (syncfs). */
err_code file_sync_fs(const char *dir, struct err *e) MUST_CHECK;

#endif
