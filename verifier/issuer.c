/* verifier/issuer.c — see issuer.h. */
#include "verifier/issuer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "anchor/did_ebsi.h"
#include "anchor/rpc_memo.h"
#include "core/fileio.h"
#include "core/jfield.h"

err_code verify_trusted_add(struct verify_trusted *t, const char *s, struct err *e)
{
    if (did_looks_like(s)) {
        char url[DID_URL_MAX];
        err_code rc = strncmp(s, "did:ebsi:", 9) == 0 ? did_ebsi_check(s, e) : did_web_url(s, url, e);
        if (rc)
            return rc;
        if (t->n_dids >= VERIFY_MAX_DIDS)
            return err_set(e, E_LIMIT, "more than %d trusted DIDs", VERIFY_MAX_DIDS);
        snprintf(t->dids[t->n_dids++], DID_MAX_LEN, "%s", s);
        return E_OK;
    }
    if (t->n_addrs >= VERIFY_MAX_TRUSTED)
        return err_set(e, E_LIMIT, "more than %d trusted issuer addresses", VERIFY_MAX_TRUSTED);
    if (addr20_from_hex(s, &t->addrs[t->n_addrs], e))
        return err_set(e, E_INVALID,
                       "not an address (0x + 40 hex digits), a did:web DID "
                       "(did:web:HOST[%%3APORT][:PATH...]) or a did:ebsi DID (did:ebsi:z...)");
    t->n_addrs++;
    return E_OK;
}

err_code verify_trusted_read(const char *path, struct verify_trusted *t, struct err *e)
{
    struct buf b;
    size_t before = t->n_addrs + t->n_dids;
    err_code rc = file_read_all(path, 64 * 1024, &b, e);
    if (rc)
        return rc;
    /* Split by hand, not with strtok: every line counts, blank and comment
     * lines too, so an error names the line an editor shows. */
    unsigned line = 0;
    char *l = (char *)b.p, *end = (char *)b.p + b.len;
    while (!rc && l < end) {
        char *nl = memchr(l, '\n', (size_t)(end - l));
        char *next = nl ? nl + 1 : end;
        if (nl)
            *nl = '\0';
        line++;
        if (memchr(l, '\0', (size_t)((nl ? nl : end) - l))) {
            rc = err_set(e, E_INVALID, "%s: line %u: contains a NUL byte", path, line);
            break;
        }
        char *hash = strchr(l, '#');
        if (hash)
            *hash = '\0';
        char *p = l, *q = l + strlen(l);
        while (*p == ' ' || *p == '\t')
            p++;
        while (q > p && (q[-1] == ' ' || q[-1] == '\t' || q[-1] == '\r'))
            q--;
        *q = '\0';
        l = next;
        size_t na = t->n_addrs, nd = t->n_dids;
        if (*p && (rc = verify_trusted_add(t, p, e)))
            rc = err_wrap(e, rc, "%s: line %u", path, line);
        if (t->n_addrs > na)
            t->addr_listed[na] = true;
        if (t->n_dids > nd)
            t->did_listed[nd] = true;
    }
    buf_free(&b);
    /* An empty list must never widen trust to "anyone": a list that failed
     * to download or was truncated to nothing is an error, not "no trusted
     * issuer given". */
    if (!rc && t->n_addrs + t->n_dids == before)
        rc = err_set(e, E_INVALID,
                     "no issuers in %s: the trusted-issuers file lists no address or DID (only "
                     "blank or comment lines), so nothing could be trusted; give a list with at "
                     "least one issuer, or omit --trusted-issuers",
                     path);
    return rc;
}

/* ---- resolving a DID, by method ------------------------------------------ */

typedef err_code (*did_resolve_fn)(const char *did, const struct did_web_opts *o,
                                   struct did_doc *out, char url[DID_URL_MAX], struct err *e);

/* The DID methods this verifier knows. A method with a resolver fills a
 * struct did_doc (the accounts its document lists, its name); one without
 * is recognised but not resolved yet, and its DIDs give UNKNOWN with `why`.
 * did:ebsi reads EBSI's DID Registry (its controllers' capabilityInvocation
 * keys become accounts valid on any chain) and the Trusted Issuers Registry
 * (the accreditation, in doc->detail) into the same struct did_doc. */
static const struct did_method {
    const char *prefix;
    did_resolve_fn resolve;
    const char *why;
} g_methods[] = {
    {"did:web:", did_web_resolve, NULL},
    {"did:ebsi:", did_ebsi_resolve, NULL},
};

/* Resolve `did` by its method into *doc. Errors: those of the resolver;
 * E_UNSUPPORTED for a method not resolved (why in e). */
static err_code resolve_by_method(const char *did, const struct did_web_opts *dw,
                                  struct did_doc *doc, char url[DID_URL_MAX], struct err *e)
{
    url[0] = '\0';
    for (size_t i = 0; i < sizeof g_methods / sizeof g_methods[0]; i++) {
        const struct did_method *m = &g_methods[i];
        if (strncmp(did, m->prefix, strlen(m->prefix)) != 0)
            continue;
        if (!m->resolve)
            return err_set(e, E_UNSUPPORTED, "%s", m->why);
        return m->resolve(did, dw, doc, url, e);
    }
    return err_set(e, E_UNSUPPORTED,
                   "a DID method this verifier does not resolve (did:web, did:ebsi)");
}

/* A resolved document, remembered for the run (did_web_opts.memo). */
struct did_memo_val {
    struct did_doc doc;
    char url[DID_URL_MAX];
};

/* The memo key of resolving `did` with `dw`: the DID and every option that
 * can change the document found (CA file, EBSI API base, DNS overrides),
 * each with its length so no two lists of fields spell the same key.
 * Timeouts only decide whether an answer comes; failures are not kept.
 * NULL when out of memory (then resolve unremembered). */
static char *did_memo_key(const char *did, const struct did_web_opts *dw)
{
    struct buf k = {0};
    const char *f[3] = {did, dw->ca_file ? dw->ca_file : "", dw->ebsi_api ? dw->ebsi_api : ""};
    bool ok = buf_append_str(&k, "did\n") == E_OK;
    for (size_t i = 0; ok && i < 3 + dw->n_resolve; i++) {
        const char *v = i < 3 ? f[i] : dw->resolve[i - 3];
        char len[24];
        snprintf(len, sizeof len, "%zu:", strlen(v));
        ok = buf_append_str(&k, len) == E_OK && buf_append_str(&k, v) == E_OK &&
             buf_append_byte(&k, '\n') == E_OK;
    }
    if (ok)
        ok = buf_append_byte(&k, '\0') == E_OK;
    if (!ok)
        buf_free(&k);
    return ok ? (char *)k.p : NULL;
}

/* resolve_by_method(), once per run for each DID and set of options when
 * dw->memo is given: a batch of bundles from one issuer fetches its
 * document once. Only a successful resolution is remembered. */
static err_code resolve_did(const char *did, const struct did_web_opts *dw, struct did_doc *doc,
                            char url[DID_URL_MAX], struct err *e)
{
    char *key = dw->memo ? did_memo_key(did, dw) : NULL;
    if (!key)
        return resolve_by_method(did, dw, doc, url, e);
    const struct did_memo_val *got = rpc_memo_value_begin(dw->memo, key);
    if (got) {
        *doc = got->doc;
        memcpy(url, got->url, DID_URL_MAX);
        free(key);
        return E_OK;
    }
    err_code rc = resolve_by_method(did, dw, doc, url, e);
    struct did_memo_val *v = rc ? NULL : malloc(sizeof *v);
    if (v) {
        v->doc = *doc;
        memcpy(v->url, url, DID_URL_MAX);
    }
    if (!rpc_memo_value_end(dw->memo, key, v, free))
        free(v);
    free(key);
    return rc;
}

/* Resolution errors that leave the question open (UNKNOWN), as opposed to
 * an answer that the DID does not name this address (FAIL). */
static bool undecided(err_code rc)
{
    return rc == E_NETWORK || rc == E_NOMEM || rc == E_UNSUPPORTED;
}

static _Thread_local struct did_doc g_doc; /* 5 KB, one per thread: verify --batch runs workers */

/* Resolve `did` and find the anchor's account in it: its index in
 * g_doc.accounts, or -1 with *rc the resolution error (E_OK: resolved, the
 * account not listed) and `e` its message. */
static int did_lists(const char *did, const struct bundle_anchor *a, const struct did_web_opts *dw,
                     char url[DID_URL_MAX], err_code *rc, struct err *e)
{
    *rc = resolve_did(did, dw, &g_doc, url, e);
    return *rc ? -1 : did_doc_find(&g_doc, a->chain_id, &a->issuer);
}

/* PASS: the DID's document (g_doc, from `url`) lists the address as
 * account k. `note` ends the detail. */
static void pass_did(struct verify_result *r, const char *did, const char *url, int k,
                     const char *basis, const char *ad, const char *note)
{
    const struct did_account *acc = &g_doc.accounts[k];
    snprintf(r->issuer_name, sizeof r->issuer_name, "%s", did);
    snprintf(r->issuer_display, sizeof r->issuer_display, "%s", g_doc.name);
    r->issuer_basis = basis;
    if (acc->chain_id == 0) { /* did:ebsi: a controller key in EBSI's DID Registry, and the TIR */
        verify_add_check(r, "issuer", VCHECK_PASS,
                         "issued by %s%s%s (%s): %s; EBSI's DID Registry %s makes %s a controller "
                         "of it (capabilityInvocation secp256k1 key %s)%s",
                         did, g_doc.name[0] ? " \u2014 " : "", g_doc.name, ad, basis, url, ad,
                         acc->vm_id, note);
        if (g_doc.detail[0])
            verify_add_check(r, "issuer.accreditation", VCHECK_PASS, "%s", g_doc.detail);
        return;
    }
    verify_add_check(r, "issuer", VCHECK_PASS,
                     "issued by %s%s%s (%s)%s%s: %s; its DID document %s lists %s as %s (%s, "
                     "eip155:%llu)%s",
                     did, g_doc.name[0] ? " \u2014 " : "", g_doc.name, ad,
                     g_doc.also_known_as[0] ? ", also known as " : "", g_doc.also_known_as, basis,
                     url, ad, acc->vm_id, DID_ACCOUNT_TYPE, (unsigned long long)acc->chain_id,
                     note);
}

/* Why a resolved DID does not establish address `ad`, into why[0..n). */
static void not_listed(const char *did, const char *url, const char *ad, uint64_t chain,
                       char *why, size_t n)
{
    if (strncmp(did, "did:ebsi:", 9) == 0)
        snprintf(why, n,
                 "%s is not a controller of it in EBSI's DID Registry (no capabilityInvocation "
                 "secp256k1 key of its controllers has that address)",
                 ad);
    else
        snprintf(why, n, "its DID document %.120s lists no %s account %s for chain %llu", url,
                 DID_ACCOUNT_TYPE, ad, (unsigned long long)chain);
}

/* The "issuer not established" UNKNOWN, with `why` (may be "") after it. */
static void not_established(struct verify_result *r, const char *verb, const char *ad,
                            const char *why)
{
    verify_add_check(r, "issuer", VCHECK_UNKNOWN,
                     "issuer not established: the bundle's root was %s %s but nothing names who "
                     "that is; give --issuer ADDRESS|DID or --trusted-issuers FILE%s",
                     verb, ad, why);
}

/* ---- 2. nothing pinned: the issuer the credential names ------------------- */

static void check_claim(const struct bundle_anchor *a, const char *verb,
                        const struct credential_issuer *claim, const struct did_web_opts *dw,
                        struct verify_result *r, const char *ad)
{
    char why[400], shown[100];
    if (!claim) {
        not_established(r, verb, ad, " (a hash was given: no credential names its issuer)");
        return;
    }
    if (claim->kind == CRED_ISSUER_NONE) {
        not_established(r, verb, ad, " (the credential names no issuer: not a JSON "
                                     "credential with an \"issuer\")");
        return;
    }
    if (claim->kind == CRED_ISSUER_UNUSABLE) {
        snprintf(why, sizeof why, " (the credential names no usable issuer: %s)", claim->why);
        not_established(r, verb, ad, why);
        return;
    }
    jfield_printable(claim->id, shown, sizeof shown);
    if (!did_looks_like(claim->id)) {
        snprintf(why, sizeof why, " (the credential's issuer \"%s\" is not a DID)", shown);
        not_established(r, verb, ad, why);
        return;
    }
    char url[DID_URL_MAX];
    struct err e = {0};
    err_code rc;
    /* A did:web DID this verifier cannot even turn into a URL is not an
     * answer about the address: UNKNOWN, as an unresolved one. */
    if ((strncmp(claim->id, "did:web:", 8) == 0 && (rc = did_web_url(claim->id, url, &e))) ||
        (strncmp(claim->id, "did:ebsi:", 9) == 0 && (rc = did_ebsi_check(claim->id, &e))))
        rc = E_UNSUPPORTED;
    else {
        int k = did_lists(claim->id, a, dw, url, &rc, &e);
        if (k >= 0) {
            pass_did(r, claim->id, url, k, "DID from the credential", ad, "");
            return;
        }
    }
    if (undecided(rc))
        verify_add_check(r, "issuer", VCHECK_UNKNOWN,
                         "the credential names its issuer as %s, which could not be resolved: "
                         "%.240s. The issuer is not established (the root was %s %s): try again "
                         "later, or give --issuer ADDRESS|DID",
                         shown, e.msg, verb, ad);
    else if (rc)
        verify_add_check(r, "issuer", VCHECK_FAIL,
                         "the credential names its issuer as %s, but %.240s: the issuer is not "
                         "established as %s %s",
                         shown, e.msg, verb, ad);
    else {
        char nl[300];
        not_listed(claim->id, url, ad, a->chain_id, nl, sizeof nl);
        verify_add_check(r, "issuer", VCHECK_FAIL,
                         "the credential names its issuer as %s, but %s: the root was %s %s, not "
                         "by that issuer",
                         shown, nl, verb, ad);
    }
}

/* ---- 1. pinned by the verifier --------------------------------------------- */

/* What the detail says about the credential's own claim when a pin decided:
 * into note[0..n). */
static void claim_note(const struct credential_issuer *claim, const char *matched_did, char *note,
                       size_t n)
{
    char shown[100];
    note[0] = '\0';
    if (!claim || claim->kind != CRED_ISSUER_ID)
        return;
    jfield_printable(claim->id, shown, sizeof shown);
    if (matched_did && strcmp(claim->id, matched_did) == 0)
        snprintf(note, n, "; the credential names the same issuer");
    else
        snprintf(note, n, "; the credential names its issuer as %s, not checked: the pinned "
                          "issuer decides", shown);
}

void verify_issuer_check(const struct bundle_anchor *a, const char *verb,
                         const struct verify_trusted *t, const struct credential_issuer *claim,
                         const struct did_web_opts *dw, struct verify_result *r)
{
    char ad[43], note[200];
    addr20_to_hex(&a->issuer, ad);
    r->issuer_basis = NULL;
    if (!t || t->n_addrs + t->n_dids == 0) {
        check_claim(a, verb, claim, dw, r, ad);
        return;
    }
    for (size_t i = 0; i < t->n_addrs; i++)
        if (addr20_eq(&t->addrs[i], &a->issuer)) {
            claim_note(claim, NULL, note, sizeof note);
            r->issuer_basis = t->addr_listed[i] ? "trusted list" : "pinned address";
            verify_add_check(r, "issuer", VCHECK_PASS, "%s %s, a trusted issuer: %s%s", verb, ad,
                             r->issuer_basis, note);
            return;
        }
    /* Each DID in turn; the first reason of each kind is kept for the detail. */
    bool unknown = false;
    char why_unknown[420] = "", why_fail[420] = "";
    for (size_t i = 0; i < t->n_dids; i++) {
        const char *did = t->dids[i];
        char url[DID_URL_MAX];
        struct err e = {0};
        err_code rc;
        int k = did_lists(did, a, dw, url, &rc, &e);
        if (k >= 0) {
            claim_note(claim, did, note, sizeof note);
            pass_did(r, did, url, k, t->did_listed[i] ? "DID from the trusted list"
                                                      : "DID from --issuer",
                     ad, note);
            return;
        }
        if (undecided(rc)) {
            unknown = true;
            if (!why_unknown[0])
                snprintf(why_unknown, sizeof why_unknown, "%.90s could not be resolved: %.300s", did,
                         e.msg);
        } else if (!why_fail[0]) {
            if (rc)
                snprintf(why_fail, sizeof why_fail, "%.90s: %.300s", did, e.msg);
            else {
                char why[300];
                not_listed(did, url, ad, a->chain_id, why, sizeof why);
                snprintf(why_fail, sizeof why_fail, "%.90s: %s", did, why);
            }
        }
    }
    if (unknown)
        verify_add_check(r, "issuer", VCHECK_UNKNOWN,
                         "%s %s, not a trusted address; %s. The issuer is not established: try "
                         "again later",
                         verb, ad, why_unknown);
    else
        verify_add_check(r, "issuer", VCHECK_FAIL,
                         "%s %s, which is not among the trusted issuers%s%s", verb, ad,
                         why_fail[0] ? "; " : "", why_fail);
}
