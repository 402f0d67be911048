/*
 * verifier/verify.c — offline verification of a credential against its
 * proof bundle, and the text/JSON reports; see verify.h and
 * docs/proof-format.md ("Verifying").
 *
 * Offline means: everything the bundle says about itself is checked — the
 * credential hashes to the bundle's hash and that hash is a leaf of a tree
 * with the bundle's root — but not that the root is on a ledger. The report
 * says so every time, because a self-consistent bundle is trivial to forge:
 * anyone can build a tree over a hash and write a bundle for it.
 */
#include "verifier/verify.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/merkle.h"
#include "verifier/report.h"

/* ---- results -------------------------------------------------------------- */

void verify_result_init(struct verify_result *r)
{
    memset(r, 0, sizeof *r);
    r->status = VERIFY_VALID;
}

static void recompute_status(struct verify_result *r)
{
    if (r->status == VERIFY_ERROR)
        return;
    bool fail = false, unknown = false, revoked = false;
    for (size_t i = 0; i < r->n_checks; i++) {
        fail |= r->checks[i].outcome == VCHECK_FAIL;
        unknown |= r->checks[i].outcome == VCHECK_UNKNOWN;
        revoked |= r->checks[i].outcome == VCHECK_REVOKED;
    }
    r->status = fail      ? VERIFY_INVALID
                : unknown ? VERIFY_UNKNOWN
                : revoked ? VERIFY_REVOKED
                          : VERIFY_VALID;
}

static void set_check(struct verify_check *c, const char *name, enum verify_outcome o,
                      const char *fmt, va_list ap)
{
    snprintf(c->name, sizeof c->name, "%s", name);
    c->outcome = o;
    vsnprintf(c->detail, sizeof c->detail, fmt, ap);
}

static void set_check_f(struct verify_check *c, const char *name, enum verify_outcome o,
                        const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void set_check_f(struct verify_check *c, const char *name, enum verify_outcome o,
                        const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    set_check(c, name, o, fmt, ap);
    va_end(ap);
}

err_code verify_add_check(struct verify_result *r, const char *name, enum verify_outcome outcome,
                          const char *fmt, ...)
{
    /* The last slot is reserved for saying that checks were lost, so a full
     * list can never read as a clean VALID. */
    if (r->n_checks >= VERIFY_MAX_CHECKS)
        return E_LIMIT;
    if (r->n_checks == VERIFY_MAX_CHECKS - 1) {
        set_check_f(&r->checks[r->n_checks++], "internal", VCHECK_UNKNOWN,
                    "more than %d checks: \"%s\" and any later check were not recorded",
                    VERIFY_MAX_CHECKS - 1, name);
        recompute_status(r);
        return E_LIMIT;
    }
    va_list ap;
    va_start(ap, fmt);
    set_check(&r->checks[r->n_checks++], name, outcome, fmt, ap);
    va_end(ap);
    recompute_status(r);
    return E_OK;
}

void verify_result_set_error(struct verify_result *r, const struct err *e)
{
    r->status = VERIFY_ERROR;
    if (e)
        r->error = *e;
    if (r->error.code == E_OK)
        r->error.code = E_INVALID;
}

const char *verify_status_name(enum verify_status s)
{
    static const char *const names[] = {[VERIFY_VALID] = "VALID", [VERIFY_INVALID] = "INVALID",
                                        [VERIFY_UNKNOWN] = "UNKNOWN", [VERIFY_ERROR] = "ERROR",
                                        [VERIFY_REVOKED] = "REVOKED"};
    return (unsigned)s < sizeof names / sizeof names[0] ? names[s] : "ERROR";
}

const char *verify_outcome_name(enum verify_outcome o)
{
    static const char *const names[] = {[VCHECK_PASS] = "pass", [VCHECK_FAIL] = "fail",
                                        [VCHECK_UNKNOWN] = "unknown", [VCHECK_SKIPPED] = "skipped",
                                        [VCHECK_REVOKED] = "revoked"};
    return (unsigned)o < sizeof names / sizeof names[0] ? names[o] : "unknown";
}

int verify_exit_code(enum verify_status s)
{
    switch (s) {
    case VERIFY_VALID:
        return 0;
    case VERIFY_INVALID:
        return 1;
    case VERIFY_ERROR:
        return 2;
    case VERIFY_UNKNOWN:
        return 3;
    case VERIFY_REVOKED:
        return 4;
    }
    return 2;
}

/* ---- subjects ------------------------------------------------------------- */

err_code verify_subject_from_file(const char *path, struct verify_subject *out, struct err *e)
{
    memset(out, 0, sizeof *out);
    return credential_hash_file(path, &out->hashing, &out->hash, e);
}

err_code verify_subject_from_hex(const char *hex, struct verify_subject *out, struct err *e)
{
    memset(out, 0, sizeof *out);
    out->hashing = CRED_HASH_GIVEN;
    if (!hex)
        return err_set(e, E_INVALID, "missing hash");
    err_code rc = hex_decode_exact(hex, strlen(hex), true, out->hash.b, 32, e);
    if (rc)
        return err_wrap(e, rc, "credential hash must be 64 hex digits (SHA-256)");
    return E_OK;
}

/* ---- the offline checks --------------------------------------------------- */

static const char *hashing_words(enum credential_hashing h)
{
    switch (h) {
    case CRED_HASH_JCS_SHA256:
        return "jcs-sha256 (JSON: RFC 8785 JCS, then SHA-256)";
    case CRED_HASH_SHA256:
        return "sha256 (not JSON: SHA-256 of the raw bytes)";
    case CRED_HASH_GIVEN:
        return "given (the hash itself was supplied)";
    }
    return "unknown";
}

void verify_offline(const struct bundle *b, const struct verify_subject *s,
                    struct verify_result *r)
{
    char have[65], want[65];
    r->ledger_checked = false;
    r->have_subject = true;
    r->subject = *s;
    hash32_to_hex(&s->hash, have);
    hash32_to_hex(&b->credential.hash, want);

    /* 1. Is this the credential the bundle is about? (DESIGN pitfall: a valid
     *    proof for credential A presented with credential B.) */
    if (hash32_eq(&s->hash, &b->credential.hash))
        (void)verify_add_check(r, "credential.hash", VCHECK_PASS,
                               "credential hash %s equals the bundle's credential.hash", have);
    else
        (void)verify_add_check(r, "credential.hash", VCHECK_FAIL,
                               "credential hash %s differs from the bundle's credential.hash %s: "
                               "this proof is for another credential",
                               have, want);

    /* 2. Was it hashed the way the issuer's notary hashed it? A hash given by
     *    the user, or a bundle for a hash the issuer submitted directly, says
     *    nothing about the rule: then only the hash comparison counts. */
    if (s->hashing == CRED_HASH_GIVEN)
        (void)verify_add_check(r, "credential.hashing", VCHECK_PASS,
                               "hash given directly; the bundle says it was made as %s",
                               hashing_words(b->credential.hashing));
    else if (b->credential.hashing == CRED_HASH_GIVEN)
        (void)verify_add_check(r, "credential.hashing", VCHECK_PASS,
                               "the issuer submitted the hash directly; the file was hashed as %s",
                               hashing_words(s->hashing));
    else if (s->hashing == b->credential.hashing)
        (void)verify_add_check(r, "credential.hashing", VCHECK_PASS, "hashed as %s, as the bundle says",
                               hashing_words(s->hashing));
    else
        (void)verify_add_check(r, "credential.hashing", VCHECK_FAIL,
                               "the file was hashed as %s but the bundle says %s",
                               hashing_words(s->hashing), hashing_words(b->credential.hashing));

    /* 3. RFC 9162 §2.1.3.2: the leaf of *this* credential, walked up the
     *    audit path, must give the batch root. */
    struct hash32 leaf, root;
    struct err me = {0};
    char leafx[65], rootx[65], batchx[65];
    merkle_leaf_hash(&s->hash, &leaf);
    hash32_to_hex(&leaf, leafx);
    hash32_to_hex(&b->batch.root, batchx);
    const struct bundle_inclusion *in = &b->inclusion;
    if (merkle_root_from_path(&leaf, in->leaf_index, b->batch.size, in->path, in->path_len, &root,
                              &me))
        (void)verify_add_check(r, "inclusion", VCHECK_FAIL, "leaf %" PRIu64 " of %" PRIu64 ": %s",
                               in->leaf_index, b->batch.size, me.msg);
    else if (hash32_eq(&root, &b->batch.root))
        (void)verify_add_check(r, "inclusion", VCHECK_PASS,
                               "leaf %" PRIu64 " of %" PRIu64 " (leaf hash %s) and %zu path "
                               "hash%s lead to batch.root %s",
                               in->leaf_index, b->batch.size, leafx, in->path_len,
                               in->path_len == 1 ? "" : "es", batchx);
    else {
        hash32_to_hex(&root, rootx);
        (void)verify_add_check(r, "inclusion", VCHECK_FAIL,
                               "leaf %" PRIu64 " of %" PRIu64 " (leaf hash %s) and its path lead "
                               "to %s, not to batch.root %s",
                               in->leaf_index, b->batch.size, leafx, rootx, batchx);
    }

    /* 4. The anchor: offline, shown but not checked; pending, undecidable. */
    char closed[21];
    bundle_time_format(b->batch.closed_at, closed, NULL);
    if (!b->anchored) {
        (void)verify_add_check(r, "anchor", VCHECK_UNKNOWN,
                               "pending bundle: issuance batch %" PRIu64 " (closed %s) has no "
                               "anchor yet, so nothing ties its root to the issuer; ask for the "
                               "bundle again once the batch is anchored",
                               b->batch.seq, closed);
        return;
    }
    const struct bundle_anchor *a = &b->anchor;
    char contract[43], issuer[43], tx[67], block[67], when[21];
    addr20_to_hex(&a->contract, contract);
    addr20_to_hex(&a->issuer, issuer);
    hash32_to_hex0x(&a->tx_hash, tx);
    hash32_to_hex0x(&a->block_hash, block);
    bundle_time_format(a->block_time <= BUNDLE_MAX_UINT ? (int64_t)a->block_time : -1, when,
                       NULL);
    (void)verify_add_check(r, "anchor", VCHECK_SKIPPED,
                           "NOT CHECKED (offline): the bundle claims %s chain %" PRIu64
                           ", contract %s, issuer %s, tx %s, block %" PRIu64 " %s at %s",
                           bundle_ledger_name(a->ledger), a->chain_id, contract, issuer, tx,
                           a->block_number, block, when);
}

/* ---- reports -------------------------------------------------------------- */

static const char *mark(enum verify_outcome o, bool unicode)
{
    switch (o) {
    case VCHECK_PASS:
        return unicode ? "\u2713" : "[PASS]";
    case VCHECK_FAIL:
        return unicode ? "\u2717" : "[FAIL]";
    case VCHECK_UNKNOWN:
        return unicode ? "?" : "[ ?? ]";
    case VCHECK_SKIPPED:
        return unicode ? "-" : "[SKIP]";
    case VCHECK_REVOKED:
        return unicode ? "\u2717" : "[REVK]";
    }
    return "?";
}

static const char *status_words(const struct verify_result *r)
{
    switch (r->status) {
    case VERIFY_VALID:
        return r->ledger_checked ? "the credential is in a batch anchored on the ledger"
                                 : "the credential is in the bundle's batch (offline: ledger "
                                   "not checked)";
    case VERIFY_INVALID:
        return "the proof does not prove this credential";
    case VERIFY_UNKNOWN:
        return "could not decide; do not treat the credential as verified";
    case VERIFY_ERROR:
        return "verification did not run";
    case VERIFY_REVOKED:
        return "the credential was issued and anchored, but the issuer has REVOKED it (see "
               "\"revocation\")";
    }
    return "";
}

err_code verify_report_text(const struct verify_result *r, const struct bundle *b, bool unicode,
                            struct buf *out, struct err *e)
{
    err_code rc = E_OK;
#define P(...) REPORT_PRINTF(rc, out, __VA_ARGS__)
    if (b) {
        char closed[21], root[65];
        bundle_time_format(b->batch.closed_at, closed, NULL);
        hash32_to_hex(&b->batch.root, root);
        P("Bundle:     %s batch seq %" PRIu64 " (%" PRIu64 " credential%s), closed %s, %s\n",
          bundle_kind_name(b->batch.kind), b->batch.seq, b->batch.size,
          b->batch.size == 1 ? "" : "s", closed, b->anchored ? "anchored" : "PENDING (not anchored)");
        P("            root %s\n", root);
    }
    if (r->have_subject) {
        char h[65];
        hash32_to_hex(&r->subject.hash, h);
        P("Credential: %s (%s)\n", h, credential_hashing_name(r->subject.hashing));
    }
    for (size_t i = 0; i < r->n_checks; i++)
        P("%s %-20s %s\n", mark(r->checks[i].outcome, unicode), r->checks[i].name,
          r->checks[i].detail);
    if (r->status == VERIFY_ERROR)
        P("Error: %s\n", r->error.msg);
    if (!r->ledger_checked && !r->online)
        P("NOTE: the ledger was NOT checked (offline mode). The batch root is only as trustworthy "
          "as the bundle itself; the anchor details above are unverified. Verify online "
          "(--rpc URL) to confirm that the issuer anchored this root.\n");
    if (r->issuer_basis && b && (r->status == VERIFY_VALID || r->status == VERIFY_REVOKED)) {
        char ad[43];
        addr20_to_hex(&b->anchor.issuer, ad);
        if (r->issuer_name[0])
            P("Status: %s: %s, issued by %s%s%s (%s, %s)\n", verify_status_name(r->status),
              status_words(r), r->issuer_name,
              !r->issuer_display[0] ? "" : unicode ? " \u2014 " : " - ", r->issuer_display, ad,
              r->issuer_basis);
        else
            P("Status: %s: %s, issued by %s (%s)\n", verify_status_name(r->status),
              status_words(r), ad, r->issuer_basis);
    } else {
        P("Status: %s: %s\n", verify_status_name(r->status), status_words(r));
    }
#undef P
    if (rc)
        return err_set(e, E_NOMEM, "out of memory formatting the report");
    return E_OK;
}

json_t *verify_report_doc(const struct verify_result *r)
{
    json_t *checks = json_array();
    for (size_t i = 0; checks && i < r->n_checks; i++) {
        const struct verify_check *c = &r->checks[i];
        json_t *ok = c->outcome == VCHECK_PASS                                  ? json_true()
                     : c->outcome == VCHECK_FAIL || c->outcome == VCHECK_REVOKED ? json_false()
                                                                                 : json_null();
        if (json_array_append_new(checks, json_pack("{s:s, s:o, s:s, s:s}", "name", c->name, "ok",
                                                    ok, "outcome",
                                                    verify_outcome_name(c->outcome), "detail",
                                                    c->detail))) {
            json_decref(checks);
            checks = NULL;
        }
    }
    char h[65];
    if (r->have_subject)
        hash32_to_hex(&r->subject.hash, h);
    json_t *doc = checks ? json_pack("{s:s, s:b, s:s?, s:s?, s:o, s:s?, s:s?, s:s?, s:s?}",
                                     "status",
                                     verify_status_name(r->status), "ledgerChecked",
                                     r->ledger_checked, "credentialHash",
                                     r->have_subject ? h : NULL, "hashing",
                                     r->have_subject ? credential_hashing_name(r->subject.hashing)
                                                     : NULL,
                                     "checks", checks, "issuerName",
                                     r->issuer_name[0] ? r->issuer_name : NULL,
                                     "issuerDisplayName",
                                     r->issuer_display[0] ? r->issuer_display : NULL,
                                     "issuerBasis", r->issuer_basis, "error",
                                     r->status == VERIFY_ERROR ? r->error.msg : NULL)
                         : NULL;
    return doc;
}

err_code verify_report_json(const struct verify_result *r, struct buf *out, struct err *e)
{
    return report_json(verify_report_doc(r), out, e);
}

err_code report_json(json_t *doc, struct buf *out, struct err *e)
{
    char *text = doc ? json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
    json_decref(doc);
    err_code rc = text ? buf_append_str(out, text) : E_NOMEM;
    if (!rc)
        rc = buf_append_byte(out, '\n');
    free(text);
    if (rc)
        return err_set(e, E_NOMEM, "out of memory formatting the report");
    return E_OK;
}
