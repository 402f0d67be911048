/* verifier/issuer.c — see issuer.h. */
#include "verifier/issuer.h"

#include <stdio.h>
#include <string.h>

#include "core/fileio.h"

err_code verify_trusted_add(struct verify_trusted *t, const char *s, struct err *e)
{
    if (did_looks_like(s)) {
        char url[DID_URL_MAX];
        err_code rc = did_web_url(s, url, e);
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
                       "not an address (0x + 40 hex digits) or a did:web DID "
                       "(did:web:HOST[%%3APORT][:PATH...])");
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
        if (*p && (rc = verify_trusted_add(t, p, e)))
            rc = err_wrap(e, rc, "%s: line %u", path, line);
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

void verify_issuer_check(const struct bundle_anchor *a, const char *verb,
                         const struct verify_trusted *t, const struct did_web_opts *dw,
                         struct verify_result *r)
{
    char ad[43];
    addr20_to_hex(&a->issuer, ad);
    if (!t || t->n_addrs + t->n_dids == 0) {
        verify_add_check(r, "issuer", VCHECK_SKIPPED,
                         "no trusted issuer given (--issuer/--trusted-issuers): VALID only means "
                         "the root was %s %s",
                         verb, ad);
        return;
    }
    for (size_t i = 0; i < t->n_addrs; i++)
        if (addr20_eq(&t->addrs[i], &a->issuer)) {
            verify_add_check(r, "issuer", VCHECK_PASS, "%s %s, a trusted issuer", verb, ad);
            return;
        }
    /* Each DID in turn; the first reason of each kind is kept for the detail. */
    bool unknown = false;
    char why_unknown[420] = "", why_fail[420] = "";
    for (size_t i = 0; i < t->n_dids; i++) {
        const char *did = t->dids[i];
        static struct did_doc doc; /* 5 KB; the verifier is single-threaded */
        char url[DID_URL_MAX];
        struct err e = {0};
        err_code rc = did_web_resolve(did, dw, &doc, url, &e);
        int k = rc ? -1 : did_doc_find(&doc, a->chain_id, &a->issuer);
        if (k >= 0) {
            const struct did_account *acc = &doc.accounts[k];
            snprintf(r->issuer_name, sizeof r->issuer_name, "%s", did);
            verify_add_check(r, "issuer", VCHECK_PASS,
                             "issued by %s (%s)%s%s: its DID document %s lists %s as %s "
                             "(%s, eip155:%llu)",
                             did, ad, doc.also_known_as[0] ? ", also known as " : "",
                             doc.also_known_as, url, ad, acc->vm_id, DID_ACCOUNT_TYPE,
                             (unsigned long long)acc->chain_id);
            return;
        }
        if (rc == E_NETWORK || rc == E_NOMEM) {
            unknown = true;
            if (!why_unknown[0])
                snprintf(why_unknown, sizeof why_unknown, "%.90s could not be resolved: %.300s", did,
                         e.msg);
        } else if (!why_fail[0]) {
            if (rc)
                snprintf(why_fail, sizeof why_fail, "%.90s: %.300s", did, e.msg);
            else
                snprintf(why_fail, sizeof why_fail,
                         "%s: its DID document lists no %s account %s for chain %llu", did,
                         DID_ACCOUNT_TYPE, ad, (unsigned long long)a->chain_id);
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
