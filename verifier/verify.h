/*
 * verifier/verify.h — the third party's check of a credential against its
 * proof bundle, as a list of named checks and one overall status.
 *
 * A verification is a sequence of checks, each with a stable machine name
 * ("credential.hash", "inclusion", ...), an outcome and a detail a person
 * can read. The overall status follows from the outcomes alone:
 *   any check FAIL                          → INVALID
 *   otherwise any check UNKNOWN             → UNKNOWN (could not decide:
 *                                             pending bundle, ledger
 *                                             unreachable, status lookup
 *                                             failed — never VALID)
 *   otherwise a check REVOKED               → REVOKED (the credential was
 *                                             issued, and the issuer's
 *                                             anchored revocation log
 *                                             revokes it)
 *   otherwise                               → VALID
 * SKIPPED checks (not attempted by design, e.g. the ledger in offline mode)
 * do not change the status, and result.ledger_checked says whether the
 * anchor was confirmed on a ledger. Online ledger checks ("ledger.chainId",
 * "ledger.receipt", "ledger.contract", "ledger.event", "ledger.block",
 * "ledger.confirmations") and revocation status ("revocation",
 * verifier/revocation.h) are added by later modules through
 * verify_add_check().
 *
 * This part depends on core/ (and later anchor/) only — never on notary/:
 * the verifier's independence from the issuer is the product's promise.
 *
 * Ownership: struct verify_result is a plain value (no pointers); the caller
 * owns it, typically on the stack or static (about 20 KB).
 */
#ifndef VERIFIER_VERIFY_H
#define VERIFIER_VERIFY_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/bundle.h"
#include "core/bytes.h"
#include "core/credential.h"
#include "core/error.h"

enum verify_status {
    VERIFY_VALID,   /* every check passed */
    VERIFY_INVALID, /* a check failed: the proof does not prove this credential */
    VERIFY_UNKNOWN, /* nothing failed, but something could not be decided */
    VERIFY_ERROR,   /* verification did not run: unreadable or malformed input (see error) */
    VERIFY_REVOKED, /* issued and anchored, but revoked in the issuer's anchored revocation log */
};

enum verify_outcome {
    VCHECK_PASS,
    VCHECK_FAIL,
    VCHECK_UNKNOWN, /* attempted, could not decide */
    VCHECK_SKIPPED, /* deliberately not attempted (offline mode) */
    VCHECK_REVOKED, /* decided: the credential is revoked ("revocation" only) */
};

#define VERIFY_MAX_CHECKS 32

struct verify_check {
    char name[40];    /* stable dotted name, e.g. "inclusion" */
    enum verify_outcome outcome;
    char detail[480]; /* one line for a person */
};

/* What is being verified: a credential hash and how it was obtained. */
struct verify_subject {
    struct hash32 hash;
    enum credential_hashing hashing; /* CRED_HASH_GIVEN for a hash typed by the user */
};

struct verify_result {
    enum verify_status status;
    bool ledger_checked;           /* true only if the anchor was confirmed on a ledger */
    bool online;                   /* a ledger was consulted (verify_online ran), even if it
                                      could not confirm: never reported as offline mode */
    bool have_subject;
    struct verify_subject subject; /* the hash that was checked (when have_subject) */
    size_t n_checks;
    struct verify_check checks[VERIFY_MAX_CHECKS];
    struct err error;              /* the input error when status == VERIFY_ERROR */
    char issuer_name[256];         /* the DID that names the issuer ("issuer" check passed
                                      through a did:web document), else "" */
    char issuer_display[128];      /* the name that DID's document gives (did.h), else "" */
    const char *issuer_basis;      /* how the issuer was established when the "issuer"
                                      check passed (a static string: "pinned address",
                                      "trusted list", "DID from --issuer", "DID from the
                                      trusted list", "DID from the credential"), else NULL */
};

/* Reset *r to an empty result: no checks, status VALID, no error. */
void verify_result_init(struct verify_result *r);

/*
 * Append a check and recompute r->status (the rules at the top). `name`
 * is truncated to 39 chars, the printf-style detail to 479. Returns E_LIMIT
 * (and marks the result UNKNOWN with a final "internal" check) if all
 * VERIFY_MAX_CHECKS slots are used — a check is never silently dropped.
 */
err_code verify_add_check(struct verify_result *r, const char *name, enum verify_outcome outcome,
                          const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Mark the result as an input error: status VERIFY_ERROR, r->error = *e. */
void verify_result_set_error(struct verify_result *r, const struct err *e);

/* The subject for a credential file: credential_hash_file() (JCS + SHA-256
 * for JSON, SHA-256 of the bytes otherwise; "-" = stdin). Errors as there. */
err_code verify_subject_from_file(const char *path, struct verify_subject *out,
                                  struct err *e) MUST_CHECK;

/* The subject for a hash given as 64 hex digits (optional 0x, any case);
 * hashing = CRED_HASH_GIVEN. E_INVALID naming what is wrong. */
err_code verify_subject_from_hex(const char *hex, struct verify_subject *out,
                                 struct err *e) MUST_CHECK;

/*
 * The offline checks of `subject` against a parsed bundle, appended to *r
 * (which the caller has initialised; online checks may follow):
 *   "credential.hash"    subject hash == credential.hash
 *   "credential.hashing" the subject was hashed the way the bundle says
 *                        (a "given" subject, or a bundle that says "given",
 *                        matches any rule: only the hash counts then)
 *   "inclusion"          RFC 9162 §2.1.3.2: leaf hash + path → batch.root
 *   "anchor"             SKIPPED with the unverified anchor details when the
 *                        bundle is anchored; UNKNOWN when it is pending
 * Sets r->ledger_checked = false. Never fails: every problem is a check.
 */
void verify_offline(const struct bundle *b, const struct verify_subject *subject,
                    struct verify_result *r);

/* Status names "VALID", "INVALID", "UNKNOWN", "ERROR", "REVOKED"; outcome
 * names "pass", "fail", "unknown", "skipped", "revoked". Never NULL. */
const char *verify_status_name(enum verify_status s);
const char *verify_outcome_name(enum verify_outcome o);

/* The command's exit status for a result: 0 VALID, 1 INVALID, 2 ERROR,
 * 3 UNKNOWN, 4 REVOKED. */
int verify_exit_code(enum verify_status s);

/*
 * Reports. Both append to `out` (E_NOMEM if it cannot grow).
 * verify_report_text: one line per check with a mark (✓ ✗ ? - when
 *   `unicode`, else [PASS] [FAIL] [ ?? ] [SKIP] [REVK]), then, unless the ledger was
 *   checked, the notice that the ledger was NOT checked, then "Status: ..."
 *   (when the "issuer" check passed and `b` is given, naming the issuer and
 *   how it was established: "issued by DID — NAME (0x…, DID from the
 *   credential)" or "issued by 0x… (pinned address)"; " - " for the dash
 *   unless `unicode`).
 *   `b` (may be NULL) adds a line about the bundle.
 * verify_report_json: {"status", "ledgerChecked", "credentialHash" (hex or
 *   null), "checks": [{"name", "ok" (true/false/null; false for revoked),
 *   "outcome", "detail"}], "issuerName" (the DID, or null),
 *   "issuerDisplayName" (its document's name, or null), "issuerBasis" (how
 *   the issuer was established, as above, or null when it was not),
 *   "error" (message or null)} and a newline.
 */
err_code verify_report_text(const struct verify_result *r, const struct bundle *b, bool unicode,
                            struct buf *out, struct err *e) MUST_CHECK;
err_code verify_report_json(const struct verify_result *r, struct buf *out,
                            struct err *e) MUST_CHECK;
/* The object verify_report_json prints, as a new reference (the caller
 * json_decref()s it); NULL when out of memory. */
json_t *verify_report_doc(const struct verify_result *r);

#endif
