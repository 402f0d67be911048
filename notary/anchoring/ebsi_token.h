/*
 * notary/anchoring/ebsi_token.h — the "ebsi" flow's access token from the
 * issuer's DID (anchor/ebsi_auth.h): the settings `notary init --did
 * --vp-key` stores, and the token they give.
 *
 * Settings (the store's meta table): ebsi_did, ebsi_vp_key (absolute path
 * of the DID's P-256 key, PEM, mode 0600; the key itself is never stored),
 * ebsi_auth_api (the Authorisation API base URL), ebsi_token_cache (the
 * cache file in the notary's directory, mode 0600).
 *
 * Where the token comes from (anchoring_ebsi.c asks in this order):
 * $NOTARY_EBSI_TOKEN, else the token file (--token-file, an override),
 * else the DID (this file). Only a token from the DID can be renewed: a
 * 401 from the Timestamp API in a run drops the cached token and gets a
 * new one, once per run; a second 401 fails with a message.
 */
#ifndef NOTARY_ANCHORING_EBSI_TOKEN_H
#define NOTARY_ANCHORING_EBSI_TOKEN_H

#include <stdbool.h>

#include "core/error.h"
#include "notary/store/store.h"

/*
 * For `notary init --ledger ebsi --did DID --vp-key FILE [--authorisation-api
 * URL]`: check the DID's syntax, read the key (mode 0600, P-256; E_STATE /
 * E_INVALID / E_NOT_FOUND naming the file), derive the Authorisation API
 * from the Timestamp API when `auth_api` is NULL (…/timestamp/v4/jsonrpc →
 * …/authorisation/v4; E_INVALID asking for --authorisation-api when it
 * cannot), and store the settings with `cache_file` (absolute). *kid gets
 * the verification method id the DID must list (malloc'd).
 */
err_code ebsi_token_configure(struct store *s, const char *did, const char *vp_key,
                              const char *auth_api, const char *ts_api, const char *cache_file,
                              char **kid, struct err *e) MUST_CHECK;

/* The checks of ebsi_token_configure() on the arguments alone (the DID's
 * syntax, the key file), for init to run before it writes anything. */
err_code ebsi_token_check_args(const char *did, const char *vp_key, struct err *e) MUST_CHECK;

/*
 * A token from the DID. E_NOT_FOUND (nothing set in `e`) when this notary
 * has no DID configured; `fresh` drops the cached one first. Errors as
 * ebsi_auth_get(). *token: release with ebsi_auth_secret_free().
 */
err_code ebsi_token_from_did(struct store *s, bool fresh, char **token,
                             struct err *e) MUST_CHECK;

#endif
