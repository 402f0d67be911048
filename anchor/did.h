/*
 * anchor/did.h — an issuer's name: did:web identifiers (W3C CCG did:web
 * method), their DID documents, and the Ethereum accounts a document lists.
 *
 * Three steps, each usable alone:
 *   did_web_url()      the DID → the HTTPS URL of its document (no I/O;
 *                      did_web_from_domain() goes the other way, for the
 *                      issuer publishing its document);
 *   did_doc_parse()    a document's text → the accounts it lists (no I/O;
 *                      strict and bounded: the document is hostile input);
 *   did_web_resolve()  both, with a bounded HTTPS GET (anchor/fetch.h) in
 *                      between: HTTPS only, no redirects at all, at most
 *                      DID_DOC_MAX_BYTES, within the caller's deadline.
 *
 * What is accepted (docs/proof-format.md "Issuer identity"):
 *   DID    "did:web:" HOST ["%3A" PORT] *(":" SEGMENT). HOST is a DNS name
 *          (letters, digits, '-', '.'; not an IPv4 address); PORT 1..65535;
 *          a SEGMENT is letters, digits, '.', '-', '_' (not "." or "..";
 *          percent-escapes other than the port's "%3A" are refused). At most
 *          DID_MAX_LEN - 1 bytes.
 *   URL    https://HOST[:PORT]/.well-known/did.json without segments, else
 *          https://HOST[:PORT]/SEGMENT/.../did.json.
 *   Document  a JSON object (core/json.h rules) whose "id" is exactly the
 *          DID. Of "verificationMethod" (an array, at most DID_MAX_METHODS
 *          entries) only entries of type EcdsaSecp256k1RecoveryMethod2020
 *          count: each must have a string "id" and a "blockchainAccountId"
 *          "eip155:CHAIN:0xADDRESS" (CAIP-10; CHAIN a decimal chain id
 *          1..2^53 without leading zeros; a mixed-case ADDRESS must carry a
 *          valid EIP-55 checksum). A malformed entry of that type makes the
 *          whole document invalid; entries of other types are ignored.
 *          The issuer's display name: the optional "service" (an array, at
 *          most DID_MAX_METHODS entries, each an object) may hold one entry
 *          whose "type" is, or is an array containing, DID_NAME_SERVICE_TYPE;
 *          its "serviceEndpoint" must be an object with a string "name"
 *          (1..DID_NAME_MAX - 1 bytes, no control character), else the
 *          document is invalid; two such entries are invalid too. DID Core
 *          §5.1.3 makes every "alsoKnownAs" item a URI, so it is never read
 *          as a name: its first item that is a URI (RFC 3986 scheme ":" and
 *          printable ASCII without spaces) is kept and shown as a URI; other
 *          items are ignored. Other members are ignored (DID documents are
 *          open).
 */
#ifndef ANCHOR_DID_H
#define ANCHOR_DID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/bytes.h"
#include "core/error.h"
#include "core/jfield.h"

#define DID_MAX_LEN 256                /* bytes of a DID, with its NUL */
#define DID_URL_MAX 320                /* bytes of its document URL, with its NUL */
#define DID_DOC_MAX_BYTES (64 * 1024)  /* a DID document */
#define DID_MAX_METHODS 32             /* verificationMethod entries */
#define DID_ACCOUNT_TYPE "EcdsaSecp256k1RecoveryMethod2020"
#define DID_NAME_SERVICE_TYPE "CredentialNotaryIssuer" /* the service naming the issuer */
#define DID_NAME_MAX 128                               /* bytes of a name, with its NUL */

/* One account a DID document lists. */
struct did_account {
    uint64_t chain_id;   /* eip155 chain id; 0 = the DID registry's own ledger, any chain the
                            verifier reads it through (did:ebsi controllers, anchor/did_ebsi.h) */
    struct addr20 addr;
    char vm_id[128];     /* the verification method's id, printable ASCII, cut with "..." */
};

struct did_doc {
    size_t n_accounts;
    struct did_account accounts[DID_MAX_METHODS];
    char name[DID_NAME_MAX];  /* the DID_NAME_SERVICE_TYPE service's name, "" when absent;
                                 printable ASCII (other bytes shown as '?') */
    char also_known_as[128];  /* the first alsoKnownAs URI, "" when none; cut with "..." */
    char detail[420];         /* what else the method established, shown after the account
                                 (did:ebsi: the Trusted Issuers Registry accreditation); "" none */
};

/* Is `s` spelled like a DID at all ("did:" + method)? Lets a caller choose
 * between an address and a DID before parsing either. */
bool did_looks_like(const char *s);

/* The document URL of did:web `did` into url[0..DID_URL_MAX). Errors:
 * E_INVALID naming what is wrong (not did:web, bad host, port or segment),
 * E_LIMIT longer than DID_MAX_LEN - 1. */
err_code did_web_url(const char *did, char url[DID_URL_MAX], struct err *e) MUST_CHECK;

/* The inverse of did_web_url(): the did:web DID of a document published
 * under `domain`, "HOST[:PORT][/SEGMENT...]" (no scheme, no trailing '/'),
 * into did[0..DID_MAX_LEN) as "did:web:HOST[%3APORT][:SEGMENT...]", and the
 * URL it must be served at into url[0..DID_URL_MAX) (may be NULL). The
 * result is checked by did_web_url() itself, so every DID made here is one
 * the verifier resolves. Errors: E_INVALID naming what is wrong (a scheme,
 * an empty segment, a port that is not 1..65535, a host that is not a DNS
 * name, a segment with other characters than did_web_url() takes);
 * E_LIMIT the DID would exceed DID_MAX_LEN - 1 bytes. */
err_code did_web_from_domain(const char *domain, char did[DID_MAX_LEN], char url[DID_URL_MAX],
                             struct err *e) MUST_CHECK;

/* Parse `len` bytes of `text`, the document of `did`, into *out. Errors
 * (messages start "DID document: "): E_LIMIT over DID_DOC_MAX_BYTES or too
 * deep; E_INVALID malformed JSON, "id" missing or not exactly `did`, a
 * malformed EcdsaSecp256k1RecoveryMethod2020 entry, more than
 * DID_MAX_METHODS methods. Nothing to free. */
err_code did_doc_parse(const char *text, size_t len, const char *did, struct did_doc *out,
                       struct err *e) MUST_CHECK;

/* The index in d->accounts of (chain_id, addr), or -1. An account whose
 * chain_id is 0 matches `addr` on any chain. */
int did_doc_find(const struct did_doc *d, uint64_t chain_id, const struct addr20 *addr);

/* How a resolution is made. */
struct rpc_memo;

struct did_web_opts {
    unsigned timeout_ms;              /* for the GET (0 = fetch's default) */
    uint64_t deadline_ms;             /* CLOCK_MONOTONIC ms it must end by (0 = none) */
    const char *ca_file;              /* trust these CAs instead of the system's (NULL = system) */
    const char *const *resolve;       /* curl-style "HOST:PORT:ADDRESS" overrides of DNS */
    size_t n_resolve;
    const char *ebsi_api;             /* did:ebsi: EBSI's API base URL, https:// (NULL =
                                         DID_EBSI_DEFAULT_API, anchor/did_ebsi.h) */
    struct rpc_memo *memo;            /* documents resolved once per run (verifier/issuer.c;
                                         anchor/rpc_memo.h), NULL = none */
};

/* Resolve `did`: did_web_url(), an HTTPS GET of it (no redirect followed:
 * a 3xx answer is refused), did_doc_parse(). url (may be NULL) receives the
 * document URL. Errors: E_INVALID a malformed DID or document (as above) or
 * a redirect; E_LIMIT a document over DID_DOC_MAX_BYTES; E_NETWORK it could
 * not be fetched (DNS, connection, TLS, timeout, an HTTP status other than
 * 200 or 3xx): the caller cannot decide, not "invalid"; E_NOMEM. */
err_code did_web_resolve(const char *did, const struct did_web_opts *o, struct did_doc *out,
                         char url[DID_URL_MAX], struct err *e) MUST_CHECK;

/* ---- shared by did:web and did:ebsi (anchor/did_ebsi.c) ------------------ */

/* The checks every DID starts with: under DID_MAX_LEN bytes (E_LIMIT), then
 * `prefix` (E_INVALID "SHOWN: not a `kind`"). `shown` (`shown_size` bytes)
 * receives the printable DID for the caller's further messages. */
err_code did_check_start(const char *did, const char *prefix, const char *kind, char *shown,
                         size_t shown_size, struct err *e) MUST_CHECK;

/* Load `len` bytes of `text` as the DID document of `did` (read with `c`,
 * DID_DOC_MAX_BYTES at most): a JSON object whose "id" is exactly `did`.
 * On success *top is the document (the caller json_decref()s it); on error
 * NULL, with jfield_load's errors or E_INVALID naming what differs. */
err_code did_doc_load(const struct jfield *c, const char *text, size_t len, const char *did,
                      json_t **top) MUST_CHECK;

/* An HTTPS GET of a DID method's `url` (https only, no redirect followed,
 * `o`'s timeouts, CA file and DNS overrides; at most `max` bytes, named
 * `what`) into *body (the caller frees it). A redirect is E_INVALID; when
 * `gone` is not NULL an HTTP 404 is E_INVALID "`gone` (HTTP 404)"; else
 * fetch_get()'s errors. */
err_code did_https_get(const struct did_web_opts *o, const char *url, size_t max,
                       const char *what, const char *gone, struct buf *body,
                       struct err *e) MUST_CHECK;

#endif
