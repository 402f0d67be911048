/*
 * verifier/issuer.h — who issued it: the "issuer" check (docs/proof-format.md
 * §5 "The issuer"), by address (0x…) or by name (a DID, anchor/did.h).
 *
 * A bundle's anchor names the address that anchored it; anyone can anchor
 * with his own key on the same registry, so "anchored" alone proves nothing
 * about who issued. The issuer is established in one of two ways:
 *
 * 1. The verifier pins it (--issuer ADDR|DID, --trusted-issuers FILE): the
 *    check passes when the address is a pinned one, or a pinned did:web
 *    DID resolves to a DID document that lists the address, for the
 *    bundle's chain, as an EcdsaSecp256k1RecoveryMethod2020
 *    blockchainAccountId, or a pinned did:ebsi DID has the address as a
 *    controller in EBSI's DID Registry and an accreditation in force in its
 *    Trusted Issuers Registry (anchor/did_ebsi.h; the accreditation is a
 *    second check, "issuer.accreditation"). Addresses are matched first, without any
 *    network; DIDs are resolved in the order given, until one lists the
 *    address. The credential's own "issuer" never widens a pin: the pin
 *    decides, and the detail mentions what the credential claimed.
 *      a match                                   PASS
 *      no match, some DID could not be fetched   UNKNOWN
 *      otherwise                                 FAIL, with each DID's reason
 * 2. Nothing pinned: the credential names it. A JSON credential whose
 *    "issuer" (a string, or an object's "id"; core/credential.h) is a DID
 *    is resolved as a pinned DID would be, and its document must list the
 *    address:
 *      listed                                    PASS ("issued by DID — NAME")
 *      the document does not list it, or is
 *      malformed, a redirect, oversize           FAIL
 *      not fetched (DNS, TLS, timeout, HTTP
 *      status), a malformed did:web/did:ebsi
 *      DID, or a DID method this verifier
 *      does not resolve (not web, not ebsi)      UNKNOWN
 *    No DID issuer at all (a hash given with --hash, a raw file, a JSON
 *    credential without "issuer" or whose issuer is not a DID) → UNKNOWN
 *    "issuer not established: …": never a bare VALID.
 * On PASS the result says how (result.issuer_basis) and, for a DID, names
 * it (result.issuer_name, result.issuer_display).
 */
#ifndef VERIFIER_ISSUER_H
#define VERIFIER_ISSUER_H

#include <stddef.h>

#include "anchor/did.h"
#include "core/bundle.h"
#include "core/bytes.h"
#include "core/credential.h"
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
    bool addr_listed[VERIFY_MAX_TRUSTED]; /* came from a trusted-issuers file, */
    bool did_listed[VERIFY_MAX_DIDS];     /* not from --issuer */
};

/* Add `s`: "0x" + 40 hex digits, a did:web DID (checked with
 * did_web_url(), not resolved) or a did:ebsi DID (did_ebsi_check()). Errors: E_INVALID naming what is wrong;
 * E_LIMIT past VERIFY_MAX_TRUSTED addresses or VERIFY_MAX_DIDS DIDs. */
err_code verify_trusted_add(struct verify_trusted *t, const char *s, struct err *e) MUST_CHECK;

/* Read a trusted-issuers file into *t (added to what it holds): one
 * address, did:web or did:ebsi DID per line, '#' comments and blank lines
 * ignored.
 * Errors: a malformed line → E_INVALID naming the file and its line number
 * (blank and comment lines counted); more entries than fit → E_LIMIT; a
 * file with no entry at all (empty, only comments, /dev/null) → E_INVALID
 * "no issuers in FILE": an empty list never means "trust everyone"; read
 * errors as file_read_all (at most 64 KiB). */
err_code verify_trusted_read(const char *path, struct verify_trusted *t, struct err *e) MUST_CHECK;

/* The "issuer" check of anchor `a`, as above, appended to *r. `t` is what
 * the verifier pinned (NULL or empty = nothing); `claim` the issuer the
 * credential names (NULL = none: a hash was given); `verb` names what the
 * address did ("anchored by"). DIDs are resolved with `dw` (its deadline
 * bounds them all). Never fails: every problem is the check's outcome. */
void verify_issuer_check(const struct bundle_anchor *a, const char *verb,
                         const struct verify_trusted *t, const struct credential_issuer *claim,
                         const struct did_web_opts *dw, struct verify_result *r);

#endif
