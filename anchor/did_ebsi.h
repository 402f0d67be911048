/*
 * anchor/did_ebsi.h — did:ebsi issuers (EBSI's DID method for legal
 * entities): the DID document from EBSI's DID Registry API, the controller
 * keys it gives, and the issuer's accreditation from the Trusted Issuers
 * Registry (TIR) API. What was read from EBSI's published sources, and
 * where, is in docs/ebsi.md "did:ebsi and the TIR in the verifier".
 *
 * Steps, each usable alone:
 *   did_ebsi_check()        the DID's syntax (no I/O);
 *   did_ebsi_doc_parse()    a DID Registry v5 document → its controllers and
 *                           the addresses of its capabilityInvocation
 *                           secp256k1 keys (no I/O; strict and bounded);
 *   did_ebsi_jwt_payload()  a compact JWS → its decoded payload (no I/O; the
 *                           signature is NOT verified);
 *   did_ebsi_tir_parse()    a TIR v5 issuer answer → the accreditation in
 *                           force (no I/O; strict and bounded);
 *   did_ebsi_resolve()      all of them over bounded HTTPS GETs
 *                           (anchor/fetch.h), into the struct did_doc the
 *                           verifier's issuer check reads for every method.
 *
 * What is accepted:
 *   DID     "did:ebsi:z" + base58btc (Bitcoin alphabet) of 17 bytes whose
 *           first is 0x01 (the legal-entity version byte) — EBSI's "DID
 *           Method for Legal Entities". At most DID_MAX_LEN - 1 bytes.
 *   Document  (GET BASE/did-registry/v5/identifiers/DID) a JSON object
 *           (core/json.h rules) whose "id" is exactly the DID; "controller"
 *           a did:ebsi DID or an array of 1..DID_EBSI_MAX_CONTROLLERS of
 *           them; "verificationMethod" an array of at most DID_MAX_METHODS
 *           objects with string "id" and "type"; "capabilityInvocation" an
 *           optional array of at most DID_MAX_METHODS strings. An entry of
 *           type JsonWebKey2020 whose publicKeyJwk has "crv" "secp256k1"
 *           must have "kty" "EC" and "x", "y" of exactly 32 bytes each in
 *           base64url without padding, else the document is invalid; its
 *           Ethereum address is keccak256(x || y)[12..32]. Only such keys
 *           listed in capabilityInvocation count: EBSI's DID Registry
 *           contract (checkController) makes an address a controller of DID
 *           D when a controller DID C of D has a secp256k1 key of that
 *           address in its capabilityInvocation relationship. Other keys and
 *           members are ignored.
 *   TIR     (GET BASE/trusted-issuers-registry/v5/issuers/DID) an object
 *           {"did": DID, "attributes": [1..DID_EBSI_MAX_ATTRS objects
 *           {"hash": 64 lowercase hex, "body": a compact JWS of at most
 *           DID_EBSI_JWT_MAX bytes, "issuerType": "RootTAO"|"TAO"|"TI"|
 *           "Revoked"|"undefined"|"Undefined", "tao": string, "rootTao":
 *           string}]}. A body of a RootTAO/TAO/TI attribute is decoded: its
 *           payload must hold "vc" with "type" an array of strings including
 *           "VerifiableAccreditation", "credentialSubject" with "id" the DID;
 *           validity from the payload's "nbf"/"exp" (positive integers) and
 *           the VC's validFrom/issuanceDate and validUntil/expirationDate
 *           ("YYYY-MM-DDTHH:MM:SSZ" after 1970), the strictest of those
 *           stated (the latest start, the earliest end). The first such attribute valid at
 *           `now` is the accreditation. None: E_INVALID saying why
 *           (expired, not yet valid, revoked, none at all).
 */
#ifndef ANCHOR_DID_EBSI_H
#define ANCHOR_DID_EBSI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "anchor/did.h"
#include "core/bytes.h"
#include "core/error.h"

#define DID_EBSI_DEFAULT_API "https://api-pilot.ebsi.eu" /* EBSI's pilot network */
#define DID_EBSI_MAX_CONTROLLERS 4   /* controller DIDs of a document (each may cost a GET) */
#define DID_EBSI_MAX_ATTRS 16        /* TIR attributes of an issuer */
#define DID_EBSI_JWT_MAX (16 * 1024) /* bytes of one attribute body */
#define DID_EBSI_TIR_MAX_BYTES (DID_EBSI_MAX_ATTRS * (DID_EBSI_JWT_MAX + 1024))
#define DID_EBSI_API_MAX 200         /* bytes of the API base URL */

/* A DID Registry document, as far as the controller question goes. */
struct did_ebsi_doc {
    size_t n_controllers;
    char controllers[DID_EBSI_MAX_CONTROLLERS][DID_MAX_LEN];
    size_t n_keys; /* capabilityInvocation secp256k1 keys: chain_id 0, addr, vm_id */
    struct did_account keys[DID_MAX_METHODS];
};

/* The accreditation found in the TIR. Strings are printable ASCII, cut with "...". */
struct did_ebsi_accr {
    char issuer_type[16];    /* "RootTAO", "TAO" or "TI" */
    char vc_type[64];        /* the most specific VerifiableAccreditation* type */
    char accredited_for[160];/* credentialSubject.accreditedFor[*].types, ", "-joined; "" none */
    char by[120];            /* who issued the accreditation: vc.issuer (or "iss") */
    char tao[120];           /* the TIR's "tao" */
    char legal_name[DID_NAME_MAX]; /* credentialSubject.legalName, "" when absent */
    int64_t valid_from;      /* Unix seconds; 0 = not stated */
    int64_t valid_until;     /* Unix seconds; 0 = not stated */
};

/* Is `did` a did:ebsi legal-entity DID (above)? E_INVALID naming what is
 * wrong, E_LIMIT longer than DID_MAX_LEN - 1. */
err_code did_ebsi_check(const char *did, struct err *e) MUST_CHECK;

/* Parse `len` bytes of `text`, the DID Registry document of `did`, into
 * *out. Errors (messages start "DID document: "): E_LIMIT over
 * DID_DOC_MAX_BYTES or too deep; E_INVALID as above. Nothing to free; on
 * error *out is zeroed. */
err_code did_ebsi_doc_parse(const char *text, size_t len, const char *did, struct did_ebsi_doc *out,
                            struct err *e) MUST_CHECK;

/* The payload of the compact JWS `jwt` (`len` bytes: three base64url parts
 * without padding, header and payload not empty), decoded into *out (a fresh
 * buffer the caller frees with buf_free). The signature is not verified.
 * Errors: E_INVALID not a compact JWS; E_LIMIT over DID_EBSI_JWT_MAX;
 * E_NOMEM. */
err_code did_ebsi_jwt_payload(const char *jwt, size_t len, struct buf *out,
                              struct err *e) MUST_CHECK;

/* Parse `len` bytes of `text`, the TIR answer for `did`, and choose the
 * accreditation valid at `now` (Unix seconds) into *out. Errors (messages
 * start "TIR: "): E_LIMIT too large; E_INVALID malformed, or no accreditation
 * in force (revoked, expired, not yet valid, none) with the reason. */
err_code did_ebsi_tir_parse(const char *text, size_t len, const char *did, int64_t now,
                            struct did_ebsi_accr *out, struct err *e) MUST_CHECK;

/* Resolve `did` through EBSI's APIs at o->ebsi_api (https:// only; NULL =
 * DID_EBSI_DEFAULT_API): the document, the documents of its other
 * controllers (at most DID_EBSI_MAX_CONTROLLERS), then the TIR entry. Fills
 * *out: accounts = the controller addresses (chain_id 0: EBSI's own ledger),
 * name = the accreditation's legalName if any, detail = the accreditation.
 * url receives the document URL. Errors: E_INVALID a malformed DID, document
 * or TIR answer, a DID the registry does not know (HTTP 404), no TIR entry
 * (HTTP 404) or no accreditation in force; E_NETWORK not reachable, or
 * another HTTP status (the question stays open); E_LIMIT too large; E_NOMEM. */
err_code did_ebsi_resolve(const char *did, const struct did_web_opts *o, struct did_doc *out,
                          char url[DID_URL_MAX], struct err *e) MUST_CHECK;

#endif
