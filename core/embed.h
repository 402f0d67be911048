/*
 * core/embed.h — a credential that carries its own proof bundle, and the
 * verifier link (docs/proof-format.md §7 and §8).
 *
 * A holder's single file: a JSON credential (a top-level object, e.g. a W3C
 * VC 2.0 credential) whose `proof` holds one entry that is our bundle — an
 * object with "type": "CredentialNotaryProof" (BUNDLE_TYPE) — next to any
 * Data Integrity proofs it already had. The credential hash is the hash of
 * the document WITHOUT that entry, so embedding changes nothing that was
 * anchored. The rules, both ways:
 *
 *   before embedding           after embedding            stripping gives back
 *   no `proof`                 "proof": ENTRY             no `proof`
 *   "proof": P (an object)     "proof": [P, ENTRY]        "proof": P
 *   "proof": [P1, P2, ...]     "proof": [P1, P2, ..., ENTRY]   the same array
 *   "proof": [] or [P]         refused (stripping could not give it back)
 *
 * One function strips and extracts for everyone (notary self-check, verifier,
 * tests): embed_split(). It also hashes documents without an entry exactly
 * as credential_hash() does, so a caller needs no second path.
 */
#ifndef CORE_EMBED_H
#define CORE_EMBED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/bundle.h"
#include "core/bytes.h"
#include "core/credential.h"
#include "core/error.h"

/* The fragment key of a verifier link: BASE_URL#bundle=<base64url>. */
#define EMBED_LINK_KEY "bundle="
/* Longest base URL accepted by embed_link(). */
#define EMBED_LINK_MAX_BASE 2048u

/* What embed_split() found. */
struct embed_split {
    bool found;                     /* the document carries an embedded bundle */
    struct bundle bundle;           /* the embedded bundle (when found), parsed strictly */
    enum credential_hashing hashing; /* how `hash` was made */
    struct hash32 hash;             /* the credential hash: of the document without
                                       the entry when found, else credential_hash() */
    struct credential_issuer issuer; /* the issuer the document names
                                        (credential_issuer_read); embed_split_file only */
};

/*
 * Look for an embedded bundle in the credential document `data` (`len`
 * bytes, at most CREDENTIAL_MAX_BYTES) and compute its credential hash.
 * Not a JSON object, no `proof`, or no entry of our type → found = false and
 * the hash is exactly credential_hash(data). Otherwise found = true, the
 * hash is jcs-sha256 of the document with the entry stripped (the table
 * above, read right to left), and the bundle is the entry's RFC 8785 form
 * parsed by bundle_parse() (so every bundle rule applies; `name` starts
 * its messages, NULL → "credential").
 * Errors: those of credential_hash() (not strict JSON, inexact numbers,
 * E_LIMIT beyond CREDENTIAL_MAX_BYTES); E_INVALID for two or more entries
 * of our type, an entry whose `type` is not exactly the string
 * "CredentialNotaryProof" while naming it (e.g. in an array), or an entry
 * that is not a valid bundle; E_LIMIT for an entry larger than
 * BUNDLE_MAX_BYTES. *out is zeroed on error.
 */
err_code embed_split(const uint8_t *data, size_t len, const char *name, struct embed_split *out,
                     struct err *e) MUST_CHECK;

/* The hash the notary notarizes for a credential document (both `notary
 * submit --credential` and POST /v1/credentials call this): credential_hash()
 * with all its rules and errors, except that a JSON object whose `proof`
 * already holds an entry naming BUNDLE_TYPE (an object or an array entry of
 * that type, as embed_split() finds it, valid bundle or not) is refused:
 * E_INVALID "...already carries an embedded notary proof..." and *embedded
 * set true (embedded may be NULL; false on every other outcome). Such a
 * document can never verify: verifiers strip that entry before hashing.
 * Documents without "CredentialNotaryProof" in their text and without a
 * \u escape are not parsed a second time. */
err_code embed_notarize_hash(const uint8_t *data, size_t len, enum credential_hashing *how,
                             struct hash32 *out, bool *embedded, struct err *e) MUST_CHECK;

/* Read the file at `path` ("-" = stdin, at most CREDENTIAL_MAX_BYTES) and
 * embed_notarize_hash() it; errors are prefixed with the path. */
err_code embed_notarize_hash_file(const char *path, enum credential_hashing *how,
                                  struct hash32 *out, struct err *e) MUST_CHECK;

/* Read the file at `path` ("-" = stdin, at most CREDENTIAL_MAX_BYTES) and
 * embed_split() it; errors are prefixed with the path. */
err_code embed_split_file(const char *path, struct embed_split *out, struct err *e) MUST_CHECK;

/*
 * Append to `out` the credential `data` (`len` bytes) with the bundle `b`
 * embedded (the table above), in RFC 8785 canonical form indented with two
 * spaces and a final newline (member order is the canonical one; the hash
 * does not depend on it). The result is checked before returning: its
 * embed_split() must give back `b` and the hash of `data` itself.
 * Errors: E_INVALID if `data` is not a JSON object credential (a raw file
 * or a top-level array cannot carry an entry: give the bundle separately),
 * already carries an entry, or has a `proof` the table refuses (saying
 * why); E_INVALID if `b` is not for this credential (its hash differs);
 * errors of credential_hash() and bundle_write(); E_LIMIT if the result
 * would exceed CREDENTIAL_MAX_BYTES; E_NOMEM. `out` is unchanged on error.
 */
err_code embed_insert(const uint8_t *data, size_t len, const struct bundle *b, struct buf *out,
                      struct err *e) MUST_CHECK;

/*
 * The verifier link of a bundle: `base` + "#bundle=" + base64url (RFC 4648
 * §5, no padding) of the bundle's RFC 8785 canonical JSON, appended to
 * `out` with a terminating NUL (not counted in out->len). The bundle is in
 * the fragment, which browsers never send to a server.
 * Errors: E_INVALID if `base` is not an http:// or https:// URL of printable
 * ASCII without spaces, or already has a fragment ('#'), or is longer than
 * EMBED_LINK_MAX_BASE; errors of bundle_write(); E_NOMEM.
 */
err_code embed_link(const char *base, const struct bundle *b, struct buf *out,
                    struct err *e) MUST_CHECK;

#endif
