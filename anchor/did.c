/* anchor/did.c — see did.h. */
#include "anchor/did.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "anchor/fetch.h"
#include "anchor/signer.h"
#include "core/jfield.h"

bool did_looks_like(const char *s)
{
    return strncmp(s, "did:", 4) == 0;
}

err_code did_check_start(const char *did, const char *prefix, const char *kind, char *shown,
                         size_t shown_size, struct err *e)
{
    size_t len = strnlen(did, DID_MAX_LEN);
    if (len >= DID_MAX_LEN)
        return err_set(e, E_LIMIT, "a DID is at most %d bytes", DID_MAX_LEN - 1);
    jfield_printable(did, shown, shown_size);
    if (strncmp(did, prefix, strlen(prefix)) != 0)
        return err_set(e, E_INVALID, "%s: not a %s", shown, kind);
    return E_OK;
}

err_code did_doc_load(const struct jfield *c, const char *text, size_t len, const char *did,
                      json_t **top)
{
    const char *id;
    char shown[100], want[100];
    err_code rc = jfield_load(c, text, len, DID_DOC_MAX_BYTES, top);
    if (rc)
        return rc;
    if ((rc = jfield_is(c, *top, "the document", JSON_OBJECT)) ||
        (rc = jfield_string(c, *top, "", "id", &id)))
        ;
    else if (strcmp(id, did) != 0)
        rc = jfield_fail(c, E_INVALID, "id is \"%s\", not the DID \"%s\" being resolved",
                         jfield_printable(id, shown, sizeof shown),
                         jfield_printable(did, want, sizeof want));
    if (rc) {
        json_decref(*top);
        *top = NULL;
    }
    return rc;
}

err_code did_https_get(const struct did_web_opts *o, const char *url, size_t max,
                       const char *what, const char *gone, struct buf *body, struct err *e)
{
    long status = 0;
    const struct fetch_opts fo = {.url = url,
                                  .max_bytes = max,
                                  .what = what,
                                  .timeout_ms = o->timeout_ms,
                                  .deadline_ms = o->deadline_ms,
                                  .https_only = true,
                                  .no_redirects = true,
                                  .ca_file = o->ca_file,
                                  .resolve = o->resolve,
                                  .n_resolve = o->n_resolve,
                                  .status = &status};
    err_code rc = fetch_get(&fo, body, e);
    if (rc == E_NETWORK && status == 404 && gone)
        return err_set(e, E_INVALID, "%s (HTTP 404)", gone);
    if (rc == E_PROTOCOL) { /* a redirect: a DID's documents are served where it says */
        if (e)
            e->code = E_INVALID;
        return E_INVALID;
    }
    return rc;
}

static bool is_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* HOST: letters, digits, '-', '.'; labels not empty, not starting or ending
 * with '-'; not all digits and dots (an IPv4 address). */
static bool host_ok(const char *h, size_t n)
{
    if (n == 0 || n > 253)
        return false;
    bool only_digits = true;
    size_t label = 0;
    for (size_t i = 0; i < n; i++) {
        char c = h[i];
        if (c == '.') {
            if (label == 0 || h[i - 1] == '-')
                return false;
            label = 0;
            continue;
        }
        if (!is_alnum(c) && c != '-')
            return false;
        if (c == '-' && label == 0)
            return false;
        if (!(c >= '0' && c <= '9'))
            only_digits = false;
        if (++label > 63)
            return false;
    }
    return label > 0 && h[n - 1] != '-' && !only_digits;
}

err_code did_web_url(const char *did, char url[DID_URL_MAX], struct err *e)
{
    char shown[80];
    url[0] = '\0';
    err_code rc = did_check_start(did, "did:web:",
                                  "did:web DID (only did:web:HOST[%3APORT][:PATH...] is resolved)",
                                  shown, sizeof shown, e);
    if (rc)
        return rc;
    const char *p = did + 8;
    size_t hl = strcspn(p, ":");
    /* the host, with an optional "%3A" + port */
    const char *pct = memchr(p, '%', hl);
    size_t host_len = pct ? (size_t)(pct - p) : hl;
    char port[8] = "";
    if (pct) {
        size_t plen = hl - host_len - 3;
        if (hl - host_len < 4 || (strncmp(pct, "%3A", 3) != 0 && strncmp(pct, "%3a", 3) != 0) ||
            plen > 5)
            return err_set(e, E_INVALID, "%s: after the host only %%3A and a port may follow",
                           shown);
        unsigned long v = 0;
        for (size_t i = 0; i < plen; i++) {
            char c = pct[3 + i];
            if (c < '0' || c > '9')
                return err_set(e, E_INVALID, "%s: the port must be decimal digits", shown);
            v = v * 10 + (unsigned long)(c - '0');
        }
        if (v < 1 || v > 65535 || pct[3] == '0')
            return err_set(e, E_INVALID, "%s: the port must be 1..65535", shown);
        snprintf(port, sizeof port, ":%lu", v);
    }
    if (!host_ok(p, host_len))
        return err_set(e, E_INVALID,
                       "%s: the host must be a DNS name (letters, digits, '-' and '.'; not an IP "
                       "address)",
                       shown);
    int n = snprintf(url, DID_URL_MAX, "https://%.*s%s", (int)host_len, p, port);
    size_t at = (size_t)n;
    const char *s = p + hl;
    if (!*s) {
        snprintf(url + at, DID_URL_MAX - at, "/.well-known/did.json");
        return E_OK;
    }
    while (*s == ':') {
        s++;
        size_t sl = strcspn(s, ":");
        if (sl == 0 || (sl == 1 && s[0] == '.') || (sl == 2 && s[0] == '.' && s[1] == '.'))
            url[0] = '\0';
        for (size_t i = 0; url[0] && i < sl; i++)
            if (!is_alnum(s[i]) && s[i] != '.' && s[i] != '-' && s[i] != '_')
                url[0] = '\0';
        if (!url[0])
            return err_set(e, E_INVALID,
                           "%s: a path segment must be letters, digits, '.', '-' or '_' (not "
                           "empty, '.' or '..')",
                           shown);
        n = snprintf(url + at, DID_URL_MAX - at, "/%.*s", (int)sl, s);
        at += (size_t)n;
        s += sl;
    }
    snprintf(url + at, DID_URL_MAX - at, "/did.json");
    return E_OK;
}

/* "eip155:CHAIN:0xADDRESS" into *a. */
static err_code read_account(const struct jfield *c, const char *where, const char *v,
                             struct did_account *a)
{
    char shown[100];
    jfield_printable(v, shown, sizeof shown);
    if (strncmp(v, "eip155:", 7) != 0)
        return jfield_fail(c, E_INVALID,
                           "%s.blockchainAccountId must be \"eip155:CHAIN:0xADDRESS\" (CAIP-10), "
                           "got \"%s\"",
                           where, shown);
    const char *p = v + 7;
    uint64_t chain = 0;
    size_t digits = 0;
    while (p[digits] >= '0' && p[digits] <= '9' && digits < 17) {
        chain = chain * 10 + (uint64_t)(p[digits] - '0');
        digits++;
    }
    if (digits == 0 || p[digits] != ':' || (p[0] == '0') || chain > JFIELD_MAX_UINT)
        return jfield_fail(c, E_INVALID,
                           "%s.blockchainAccountId: the chain id must be a decimal number "
                           "1..2^53 without leading zeros, got \"%s\"",
                           where, shown);
    struct err ae = {0};
    const char *addr = p + digits + 1;
    if (strlen(addr) != 42 || eth_address_parse(addr, &a->addr, &ae))
        return jfield_fail(c, E_INVALID,
                           "%s.blockchainAccountId: the address must be 0x and 40 hex digits "
                           "(EIP-55 checksum if mixed case), got \"%s\"",
                           where, shown);
    a->chain_id = chain;
    return E_OK;
}

/* A URI as DID Core's alsoKnownAs wants it, checked enough to show it as
 * one: RFC 3986 scheme (ALPHA *(ALPHA / DIGIT / "+" / "-" / ".")), ':',
 * then at least one printable ASCII character and no space. */
static bool is_uri(const char *s)
{
    size_t i = 0;
    if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z')))
        return false;
    while (is_alnum(s[i]) || s[i] == '+' || s[i] == '-' || s[i] == '.')
        i++;
    if (s[i++] != ':' || !s[i])
        return false;
    for (; s[i]; i++)
        if (s[i] <= 0x20 || s[i] >= 0x7f)
            return false;
    return true;
}

/* Does a service's "type" (a string or an array of strings) name ours? */
static bool is_name_service(const json_t *type)
{
    if (json_is_string(type))
        return strcmp(json_string_value(type), DID_NAME_SERVICE_TYPE) == 0;
    return jfield_lists(type, DID_NAME_SERVICE_TYPE);
}

/* The display name from the document's DID_NAME_SERVICE_TYPE service, if
 * any (did.h). */
static err_code read_name(const struct jfield *c, json_t *top, struct did_doc *out)
{
    json_t *svcs = json_object_get(top, "service"), *svc;
    if (!svcs)
        return E_OK;
    err_code rc = jfield_is(c, svcs, "service", JSON_ARRAY);
    if (rc)
        return rc;
    if (json_array_size(svcs) > DID_MAX_METHODS)
        return jfield_fail(c, E_INVALID, "service has %zu entries, at most %d are read",
                           json_array_size(svcs), DID_MAX_METHODS);
    bool seen = false;
    size_t i;
    json_array_foreach(svcs, i, svc)
    {
        char where[40];
        json_t *ep;
        const char *name;
        snprintf(where, sizeof where, "service[%zu]", i);
        if ((rc = jfield_is(c, svc, where, JSON_OBJECT)))
            return rc;
        if (!is_name_service(json_object_get(svc, "type")))
            continue;
        if (seen)
            return jfield_fail(c, E_INVALID, "%s: a second %s service (one name only)", where,
                               DID_NAME_SERVICE_TYPE);
        seen = true;
        if ((rc = jfield_get(c, svc, where, "serviceEndpoint", JSON_OBJECT, &ep)))
            return rc;
        snprintf(where + strlen(where), sizeof where - strlen(where), ".serviceEndpoint");
        if ((rc = jfield_string(c, ep, where, "name", &name)))
            return rc;
        size_t n = strlen(name);
        bool ok = n > 0 && n < DID_NAME_MAX && n == json_string_length(json_object_get(ep, "name"));
        for (size_t k = 0; ok && k < n; k++)
            ok = (unsigned char)name[k] >= 0x20 && name[k] != 0x7f;
        if (!ok)
            return jfield_fail(c, E_INVALID,
                               "%s.name must be 1..%d bytes of text without control characters",
                               where, DID_NAME_MAX - 1);
        jfield_printable(name, out->name, sizeof out->name);
    }
    return E_OK;
}

err_code did_doc_parse(const char *text, size_t len, const char *did, struct did_doc *out,
                       struct err *e)
{
    memset(out, 0, sizeof *out);
    const struct jfield c = {.name = "DID document", .closed = "", .terse = false, .e = e};
    json_t *top = NULL;
    err_code rc = did_doc_load(&c, text, len, did, &top);
    if (rc)
        return rc;
    json_t *vms = NULL, *aka;
    if ((aka = json_object_get(top, "alsoKnownAs"))) {
        if ((rc = jfield_is(&c, aka, "alsoKnownAs", JSON_ARRAY)))
            goto done;
        size_t k;
        json_t *item;
        json_array_foreach(aka, k, item)
        {
            if (json_is_string(item) && is_uri(json_string_value(item))) {
                jfield_printable(json_string_value(item), out->also_known_as,
                                 sizeof out->also_known_as);
                break;
            }
        }
    }
    if ((rc = read_name(&c, top, out)))
        goto done;
    if (!json_object_get(top, "verificationMethod"))
        goto done; /* no accounts: the caller says what is missing */
    if ((rc = jfield_get(&c, top, "", "verificationMethod", JSON_ARRAY, &vms)))
        goto done;
    if (json_array_size(vms) > DID_MAX_METHODS) {
        rc = jfield_fail(&c, E_INVALID, "verificationMethod has %zu entries, at most %d are read",
                         json_array_size(vms), DID_MAX_METHODS);
        goto done;
    }
    size_t i;
    json_t *vm;
    json_array_foreach(vms, i, vm)
    {
        char where[48];
        const char *type, *vid, *acct;
        snprintf(where, sizeof where, "verificationMethod[%zu]", i);
        if ((rc = jfield_is(&c, vm, where, JSON_OBJECT)) ||
            (rc = jfield_string(&c, vm, where, "type", &type)))
            goto done;
        if (strcmp(type, DID_ACCOUNT_TYPE) != 0)
            continue; /* another kind of key: not ours to judge */
        struct did_account *a = &out->accounts[out->n_accounts];
        if ((rc = jfield_string(&c, vm, where, "id", &vid)) ||
            (rc = jfield_string(&c, vm, where, "blockchainAccountId", &acct)) ||
            (rc = read_account(&c, where, acct, a)))
            goto done;
        jfield_printable(vid, a->vm_id, sizeof a->vm_id);
        out->n_accounts++;
    }
done:
    json_decref(top);
    if (rc)
        memset(out, 0, sizeof *out);
    return rc;
}

int did_doc_find(const struct did_doc *d, uint64_t chain_id, const struct addr20 *addr)
{
    for (size_t i = 0; i < d->n_accounts; i++)
        if ((d->accounts[i].chain_id == chain_id || d->accounts[i].chain_id == 0) &&
            addr20_eq(&d->accounts[i].addr, addr))
            return (int)i;
    return -1;
}

err_code did_web_resolve(const char *did, const struct did_web_opts *o, struct did_doc *out,
                         char url[DID_URL_MAX], struct err *e)
{
    char u[DID_URL_MAX];
    memset(out, 0, sizeof *out);
    if (url)
        url[0] = '\0';
    err_code rc = did_web_url(did, u, e);
    if (rc)
        return rc == E_LIMIT ? E_INVALID : rc;
    if (url)
        memcpy(url, u, DID_URL_MAX);
    struct buf body;
    if ((rc = did_https_get(o, u, DID_DOC_MAX_BYTES, "DID document", NULL, &body, e)))
        return rc;
    rc = did_doc_parse((const char *)body.p, body.len, did, out, e);
    buf_free(&body);
    return rc;
}

err_code did_web_from_domain(const char *domain, char did[DID_MAX_LEN], char url[DID_URL_MAX],
                             struct err *e)
{
    char shown[80], u[DID_URL_MAX];
    did[0] = '\0';
    if (url)
        url[0] = '\0';
    size_t len = strnlen(domain, DID_MAX_LEN);
    jfield_printable(domain, shown, sizeof shown);
    if (len >= DID_MAX_LEN)
        return err_set(e, E_LIMIT, "a did:web domain is at most %d bytes", DID_MAX_LEN - 9);
    if (strstr(domain, "://"))
        return err_set(e, E_INVALID, "%s: give the domain without a scheme (uni.example, "
                       "uni.example:8443 or uni.example/issuers)", shown);
    size_t hl = strcspn(domain, "/");
    const char *colon = memchr(domain, ':', hl);
    size_t host_len = colon ? (size_t)(colon - domain) : hl;
    char out[DID_MAX_LEN + 16];
    size_t at = (size_t)snprintf(out, sizeof out, "did:web:%.*s", (int)host_len, domain);
    if (colon) {
        size_t pl = hl - host_len - 1;
        if (pl == 0 || pl > 5 || strspn(colon + 1, "0123456789") < pl)
            return err_set(e, E_INVALID, "%s: after HOST: only a port (1..65535) may follow",
                           shown);
        at += (size_t)snprintf(out + at, sizeof out - at, "%%3A%.*s", (int)pl, colon + 1);
    }
    for (const char *s = domain + hl; *s == '/';) {
        s++;
        size_t sl = strcspn(s, "/:");
        if (sl == 0 || s[sl] == ':')
            return err_set(e, E_INVALID, "%s: the path must be /SEGMENT/... with no empty "
                           "segment, no trailing '/' and no ':'", shown);
        if (at + 1 + sl >= DID_MAX_LEN)
            return err_set(e, E_LIMIT, "%s: the DID would be over %d bytes", shown,
                           DID_MAX_LEN - 1);
        at += (size_t)snprintf(out + at, sizeof out - at, ":%.*s", (int)sl, s);
        s += sl;
    }
    if (at >= DID_MAX_LEN)
        return err_set(e, E_LIMIT, "%s: the DID would be over %d bytes", shown, DID_MAX_LEN - 1);
    err_code rc = did_web_url(out, u, e); /* the verifier's own rules decide */
    if (rc)
        return rc;
    memcpy(did, out, at + 1);
    if (url)
        memcpy(url, u, DID_URL_MAX);
    return E_OK;
}
