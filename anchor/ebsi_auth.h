/*
 * anchor/ebsi_auth.h — an access token for EBSI's Timestamp API, obtained
 * from the issuer's own DID through EBSI's Authorisation API v4 (the
 * "service-to-service" vp_token grant), cached until shortly before it
 * expires.
 *
 *   POST {auth}/token   application/x-www-form-urlencoded
 *     grant_type=vp_token
 *     scope=openid timestamp_write
 *     vp_token=<a JWT VP: ES256 on P-256, signed with the DID's key>
 *     presentation_submission={"id":<uuid>,"definition_id":
 *                              "timestamp_write_presentation","descriptor_map":[]}
 *   → 200 {"access_token","token_type":"Bearer","expires_in":7200,"scope",
 *          "id_token"}
 *
 * {auth} is the Authorisation API's base, e.g.
 * https://api-pilot.ebsi.eu/authorisation/v4; it is also the VP's "aud"
 * (EBSI checks aud against its own issuer URL, domain + /authorisation/v4).
 * EBSI's published presentation definition "timestamp_write_presentation"
 * asks for format jwt_vp with alg ES256 and no input descriptors: an empty
 * presentation signed by a DID registered in the DID Registry, whose key
 * (the header's "kid", a verification method of the DID) verifies it. The
 * "nonce" is single-use at EBSI (replay protection, kept 5 minutes).
 *
 * The VP JWT (ebsi_auth_vp_jwt):
 *   header  {"alg":"ES256","typ":"JWT","kid":KID}
 *   payload {"iss":DID,"sub":DID,"aud":AUD,"iat":now,"nbf":now-60,
 *            "exp":now+EBSI_AUTH_VP_LIFETIME,"jti":"urn:uuid:U","nonce":N,
 *            "vp":{"@context":["https://www.w3.org/2018/credentials/v1"],
 *                  "id":"urn:uuid:U","type":["VerifiablePresentation"],
 *                  "holder":DID,"verifiableCredential":[]}}
 *
 * Secrets: the access token is never put in a message or argv; the cache
 * file is written atomically with mode 0600 and refused when group or
 * others can read it; buffers that held it are wiped.
 *
 * Ownership: char * outputs are malloc'd; release tokens with
 * ebsi_auth_token_free() (wipes).
 */
#ifndef ANCHOR_EBSI_AUTH_H
#define ANCHOR_EBSI_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "anchor/jwt.h"
#include "core/error.h"

#define EBSI_AUTH_SCOPE "openid timestamp_write"
#define EBSI_AUTH_DEFINITION_ID "timestamp_write_presentation"
/* Seconds the VP JWT is valid (EBSI's own clients use 100). */
#define EBSI_AUTH_VP_LIFETIME 120
/* Largest token endpoint answer read. */
#define EBSI_AUTH_MAX_ANSWER (64u * 1024u)
/* Longest DID / kid / URL accepted. */
#define EBSI_AUTH_MAX_DID 256u
#define EBSI_AUTH_MAX_URL 2048u
/* A cached token is renewed this many seconds before it expires (at most
 * half its lifetime). */
#define EBSI_AUTH_RENEW_MARGIN 300u
/* Longest expires_in accepted (a day): a larger one is a broken server. */
#define EBSI_AUTH_MAX_EXPIRES_IN 86400u

/* Is `did` a did:ebsi (or, for tests and other networks, any "did:" method
 * name and method-specific id of [A-Za-z0-9._:%-], at most
 * EBSI_AUTH_MAX_DID)? E_INVALID saying what is wrong. */
err_code ebsi_auth_check_did(const char *did, struct err *e) MUST_CHECK;

/* The "kid" for `did` and `k`: DID#<RFC 7638 thumbprint of the public JWK>,
 * the verification method id did:ebsi uses for JsonWebKey2020 keys.
 * *out malloc'd. */
err_code ebsi_auth_kid(const char *did, const struct jwt_key *k, char **out,
                       struct err *e) MUST_CHECK;

/* The VP JWT above for `did` with key `k` (private), audience `aud`, at
 * unix time `now`, with fresh random nonce and jti. *out malloc'd. */
err_code ebsi_auth_vp_jwt(const struct jwt_key *k, const char *did, const char *kid,
                          const char *aud, uint64_t now, char **out, struct err *e) MUST_CHECK;

/* The form body of the token request for `vp_jwt` (URL-encoded). *out
 * malloc'd; wipe it after use (it carries a signed presentation). */
err_code ebsi_auth_form(const char *vp_jwt, char **out, struct err *e) MUST_CHECK;

/* A token answer, parsed. */
struct ebsi_auth_token {
    char *access_token;  /* malloc'd */
    uint64_t expires_at; /* unix time: now + expires_in */
    uint64_t expires_in;
};
void ebsi_auth_token_free(struct ebsi_auth_token *t);

/*
 * Parse the token endpoint's 200 answer (`len` bytes, not NUL-terminated):
 * a strict JSON object (core/json.h) of at most EBSI_AUTH_MAX_ANSWER bytes
 * with access_token (1..8192 printable ASCII, no space), token_type
 * "Bearer" (any case, RFC 6749 §7.1), expires_in (integer
 * 1..EBSI_AUTH_MAX_EXPIRES_IN), scope (must be exactly
 * EBSI_AUTH_SCOPE's words, in any order; required); id_token, if present,
 * a string. Other members are ignored (RFC 6749 §5.1). E_PROTOCOL naming
 * the member; the token is never quoted.
 */
err_code ebsi_auth_parse_answer(const char *body, size_t len, uint64_t now,
                                struct ebsi_auth_token *out, struct err *e) MUST_CHECK;

/* Where and as whom to ask. */
struct ebsi_auth_cfg {
    const char *auth_url;   /* the Authorisation API base (http/https), also the aud */
    const char *did;
    const char *key_file;   /* the DID's P-256 key, PEM, mode 0600 */
    const char *cache_file; /* the token cache (mode 0600), NULL: no cache */
    unsigned timeout_ms;    /* 0: 30 s */
};

/*
 * A token with the timestamp_write scope: the cached one if it is for this
 * DID and API and valid for more than the renew margin, else a new one from
 * the token endpoint (then cached). `fresh` skips the cache. *token
 * malloc'd (release with ebsi_auth_secret_free).
 * Errors: E_NOT_FOUND / E_STATE / E_INVALID the key file (ebsi_auth names
 * it); E_NETWORK the API unreachable or HTTP 5xx; E_STATE the API refused
 * the presentation (HTTP 400/401/403: its error_description quoted, e.g.
 * the DID is not registered or the signature does not verify with the
 * DID's key); E_PROTOCOL a malformed answer; E_IO the cache.
 */
err_code ebsi_auth_get(const struct ebsi_auth_cfg *cfg, bool fresh, char **token,
                       struct err *e) MUST_CHECK;

/* Delete the cached token (a 401 said it is no longer good). Missing is
 * fine. */
err_code ebsi_auth_forget(const struct ebsi_auth_cfg *cfg, struct err *e) MUST_CHECK;

/* Wipe and free a token string from ebsi_auth_get. */
void ebsi_auth_secret_free(char *token);

#endif
