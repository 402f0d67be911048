/*
 * verifier/batch.h — `verifier verify --batch`: many credentials in one
 * process, each verified by verify_run_one() (verifier/run.h) exactly as a
 * single `verifier verify` would, with the ledger's answers shared for the
 * run (anchor/rpc_memo.h) and at most `jobs` verifications (so JSON-RPC
 * requests) at a time.
 *
 * Inputs (SOURCE):
 *   a directory   every file not starting with '.' is a credential, in
 *                 name order (subdirectories are not read; anything else
 *                 that is not a regular file, e.g. a dangling link or a
 *                 FIFO, is an ERROR entry); NAME.proof.json next to NAME is its bundle,
 *                 else the credential must carry its bundle (embedded);
 *   a file, or '-' for standard input: one entry per line (at most
 *                 VBATCH_MAX_LINE bytes), blank lines and '#' comments skipped:
 *                   {"credential": PATH, "proof": PATH}   JSON Lines; "proof"
 *                   {"hash": HEX, "proof": PATH}          optional for an
 *                                                         embedded bundle
 *                   PATH                  a credential carrying its bundle
 *                   PATH<TAB>BUNDLE       a credential and its bundle
 *                 Relative paths are relative to the working directory.
 * Output: per entry, in input order, one line on stdout: the object
 * `verify --json` prints (compact) plus "input": {"line" or "file",
 * "credential", "hash", "proof"}; then a table of counts per status on
 * stderr. A line that cannot be read is an ERROR entry, never skipped.
 * Exit status, the worst over the entries, in this order: any INVALID → 1,
 * else any ERROR → 2, else any UNKNOWN → 3, else any REVOKED → 4, else 0
 * (VALID only when every entry is VALID; no entries → 2).
 */
#ifndef VERIFIER_BATCH_H
#define VERIFIER_BATCH_H

#include <stddef.h>

#include "core/error.h"
#include "verifier/run.h"

#define VBATCH_MAX_LINE 8192u      /* bytes of one entry line */
#define VBATCH_MAX_ENTRIES 1000000u
#define VERIFY_BATCH_MAX_JOBS 64

/* One entry: what verify_run_one() gets, as malloc'd strings (NULL when
 * absent). */
struct vbatch_entry {
    char *credential, *hash, *proof;
};

/*
 * Parse one entry line (`len` bytes, no newline; untrusted). Returns E_OK
 * with *out filled (the caller frees with vbatch_entry_free), or E_NOT_FOUND
 * for a blank or comment line, or E_INVALID / E_LIMIT saying what is wrong
 * (*out then empty). A JSON entry is parsed strictly (core/json.h): members
 * "credential", "hash", "proof" only, non-empty strings; exactly one of
 * credential and hash; a hash needs a proof. Paths may not hold control
 * characters.
 */
err_code vbatch_parse_line(const char *line, size_t len, struct vbatch_entry *out,
                           struct err *e) MUST_CHECK;
void vbatch_entry_free(struct vbatch_entry *x);

/* Run the batch named by `source` with the options `o` (o->memo is set
 * here), `jobs` at a time (1..VERIFY_BATCH_MAX_JOBS; 1 when issuers are
 * trusted by DID). Prints as above and returns the exit status. */
int verify_batch_main(const char *source, const struct verify_run_opts *o, unsigned jobs);

#endif
