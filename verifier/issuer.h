/*
 * verifier/issuer.h — which issuers the verifier trusts, and the "issuer"
 * check: by address (0x…) or by name (did:web, anchor/did.h).
 *
 * A bundle's anchor names the address that anchored it. The check passes
 * when that address is one the verifier gave (--issuer 0x…, a trusted-issuers
 * file line), or when a did:web DID the verifier gave resolves to a DID
 * document that lists the address, for the bundle's chain, as an
 * EcdsaSecp256k1RecoveryMethod2020 blockchainAccountId. Then the result
 * names the issuer (result.issuer_name = the DID). Addresses are matched
 * first, without any network; DIDs are resolved in the order given, until
 * one lists the address. Outcomes:
 *   nothing given                       SKIPPED ("VALID only means anchored by 0x…")
 *   a match                             PASS
 *   no match, and some DID could not be
 *   fetched (DNS, TLS, timeout, HTTP
 *   status other than 200)              UNKNOWN (the issuer is not established)
 *   otherwise (documents that do not
 *   list the address, malformed ones,
 *   redirects, oversize)                FAIL, with each DID's reason
 */
#ifndef VERIFIER_ISSUER_H
#define VERIFIER_ISSUER_H

#include <stddef.h>

#include "anchor/did.h"
#include "core/bundle.h"
#include "core/bytes.h"
#include "core/error.h"
#include "verifier/verify.h"

#define VERIFY_MAX_TRUSTED 256 /* trusted addresses (and pinned contracts) */
#define VERIFY_MAX_DIDS 16     /* trusted DIDs: each may cost one HTTPS GET */

/* The trusted issuers. Zero-initialise, then add. A plain value (~8 KB). */
struct verify_trusted {
    struct addr20 addrs[VERIFY_MAX_TRUSTED];
    size_t n_addrs;
    char dids[VERIFY_MAX_DIDS][DID_MAX_LEN];
    size_t n_dids;
};

/* Add `s`: "0x" + 40 hex digits, or a did:web DID (checked with
 * did_web_url(), not resolved). Errors: E_INVALID naming what is wrong;
 * E_LIMIT past VERIFY_MAX_TRUSTED addresses or VERIFY_MAX_DIDS DIDs. */
err_code verify_trusted_add(struct verify_trusted *t, const char *s, struct err *e) MUST_CHECK;

/* Read a trusted-issuers file into *t (added to what it holds): one
 * address or did:web DID per line, '#' comments and blank lines ignored.
 * Errors: a malformed line → E_INVALID naming the file and its line number
 * (blank and comment lines counted); more entries than fit → E_LIMIT; a
 * file with no entry at all (empty, only comments, /dev/null) → E_INVALID
 * "no issuers in FILE": an empty list never means "trust everyone"; read
 * errors as file_read_all (at most 64 KiB). */
err_code verify_trusted_read(const char *path, struct verify_trusted *t, struct err *e) MUST_CHECK;

/* The "issuer" check of anchor `a` against `t` (NULL = nothing given), as
 * above, appended to *r; `verb` names what the address did ("anchored by").
 * DIDs are resolved with `dw` (its deadline bounds them all). Never fails:
 * every problem is the check's outcome. */
void verify_issuer_check(const struct bundle_anchor *a, const char *verb,
                         const struct verify_trusted *t, const struct did_web_opts *dw,
                         struct verify_result *r);

#endif
