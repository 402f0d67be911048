/*
 * core/credential.h — how a credential becomes the 32-byte hash we notarize
 * (docs/design.md "Hashing and proofs"), shared by notary and verifier so both
 * sides hash identically:
 *   - a JSON credential (the document is a JSON object or array) is
 *     canonicalized with RFC 8785 (JCS), then SHA-256     → "jcs-sha256"
 *   - any other file is hashed as raw bytes with SHA-256  → "sha256"
 *   - a caller may give the 32-byte hash directly          → "given"
 * A document that starts like JSON ('{' or '[' after whitespace) but is not
 * valid strict JSON is an error, not silently hashed as raw bytes: a
 * credential with a duplicate key must not get two meanings.
 */
#ifndef CORE_CREDENTIAL_H
#define CORE_CREDENTIAL_H

#include <stddef.h>

#include "core/bytes.h"
#include "core/error.h"

/* Largest credential file we hash (bounds memory on untrusted input). */
#define CREDENTIAL_MAX_BYTES (16u * 1024 * 1024)

enum credential_hashing {
    CRED_HASH_JCS_SHA256, /* "jcs-sha256" */
    CRED_HASH_SHA256,     /* "sha256" */
    CRED_HASH_GIVEN,      /* "given" */
};

/* The bundle's name for a hashing mode; never NULL. */
const char *credential_hashing_name(enum credential_hashing h);
/* Parse a bundle's hashing name; E_INVALID (listing the valid names) if unknown. */
err_code credential_hashing_parse(const char *name, enum credential_hashing *out,
                                  struct err *e) MUST_CHECK;

/* Hash a credential document of `len` bytes (JSON → JCS + SHA-256, other →
 * SHA-256). *how tells which rule applied. The rule looks at the first byte
 * after JSON whitespace: '{' or '[' → JSON, which must then be strict JSON
 * (E_INVALID / E_LIMIT with the parse error, line and column in the message);
 * such a document behind a UTF-8 BOM is E_INVALID too (RFC 8259 §8.1), so a
 * re-saved copy cannot silently switch to raw hashing; a JSON number that
 * RFC 8785 would round to a different value is E_INVALID naming the member
 * (jcs_check_numbers); an empty document (len 0) is E_INVALID. More than
 * CREDENTIAL_MAX_BYTES → E_LIMIT. */
err_code credential_hash(const uint8_t *data, size_t len, enum credential_hashing *how,
                         struct hash32 *out, struct err *e) MUST_CHECK;

/* The issuer a JSON credential names (W3C VC Data Model 1.1 and 2.0: the
 * top-level member "issuer", a URL string or an object whose "id" is one).
 * Only read, never trusted: the verifier resolves it (verifier/issuer.h). */
#define CREDENTIAL_ISSUER_MAX 256 /* bytes of an issuer id, with its NUL */

enum credential_issuer_kind {
    CRED_ISSUER_NONE,     /* not a JSON object, or no "issuer" member */
    CRED_ISSUER_ID,       /* id holds the issuer's id, as the document spells it */
    CRED_ISSUER_UNUSABLE, /* an "issuer" member that gives no id: not a string nor an
                             object with a string "id", empty, longer than
                             CREDENTIAL_ISSUER_MAX - 1 bytes, or with a control
                             character; why says which */
};

struct credential_issuer {
    enum credential_issuer_kind kind;
    char id[CREDENTIAL_ISSUER_MAX]; /* CRED_ISSUER_ID: the id (printable, no NUL inside) */
    char why[96];                   /* CRED_ISSUER_UNUSABLE: what is wrong, for a person */
};

/* Read the issuer of the credential document `data` (`len` bytes) into
 * *out. Bounded like credential_hash() (at most CREDENTIAL_MAX_BYTES, strict
 * JSON, depth-limited); a document that is not a strict JSON object (a raw
 * file, an array, malformed JSON) has no issuer: kind NONE. Never fails and
 * allocates nothing the caller frees. */
void credential_issuer_read(const uint8_t *data, size_t len, struct credential_issuer *out);

/* Read and hash a credential file ("-" = stdin), at most CREDENTIAL_MAX_BYTES;
 * errors are prefixed with the path. */
err_code credential_hash_file(const char *path, enum credential_hashing *how, struct hash32 *out,
                              struct err *e) MUST_CHECK;

#endif
