/* notary/anchoring/ebsi_token.c — see ebsi_token.h. */
#define _GNU_SOURCE
#include "notary/anchoring/ebsi_token.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "anchor/ebsi_auth.h"
#include "anchor/jwt.h"

#define TS_SUFFIX "/timestamp/v4/jsonrpc"

static err_code check_url(const char *u, struct err *e)
{
    if ((strncmp(u, "http://", 7) != 0 && strncmp(u, "https://", 8) != 0) ||
        strlen(u) > EBSI_AUTH_MAX_URL || strpbrk(u, "?# "))
        return err_set(e, E_INVALID, "--authorisation-api must be an http:// or https:// URL "
                                     "without query or fragment, e.g. "
                                     "https://api-pilot.ebsi.eu/authorisation/v4");
    return E_OK;
}

/* The DID checked, then its VP key read from `vp_key` into *k (the caller
 * frees it with jwt_key_free). */
static err_code did_and_key(const char *did, const char *vp_key, struct jwt_key **k,
                            struct err *e)
{
    *k = NULL;
    err_code rc = ebsi_auth_check_did(did, e);
    if (rc)
        return rc;
    if ((rc = jwt_key_read_file(vp_key, k, e)))
        return err_wrap(e, rc, "--vp-key");
    return E_OK;
}

err_code ebsi_token_check_args(const char *did, const char *vp_key, struct err *e)
{
    struct jwt_key *k;
    err_code rc = did_and_key(did, vp_key, &k, e);
    jwt_key_free(k);
    return rc;
}

err_code ebsi_token_configure(struct store *s, const char *did, const char *vp_key,
                              const char *auth_api, const char *ts_api, const char *cache_file,
                              char **kid, struct err *e)
{
    *kid = NULL;
    struct jwt_key *k;
    err_code rc = did_and_key(did, vp_key, &k, e);
    if (rc)
        return rc;
    rc = ebsi_auth_kid(did, k, kid, e);
    jwt_key_free(k);
    if (rc)
        return rc;
    char *derived = NULL, *abs = NULL, *cache_abs = NULL;
    if (!auth_api) {
        size_t n = strlen(ts_api), m = strlen(TS_SUFFIX);
        if (n <= m || strcmp(ts_api + n - m, TS_SUFFIX) != 0) {
            rc = err_set(e, E_INVALID, "cannot derive the Authorisation API from "
                                       "--timestamp-api (it does not end in %s): give "
                                       "--authorisation-api URL",
                         TS_SUFFIX);
            goto out;
        }
        if (asprintf(&derived, "%.*s/authorisation/v4", (int)(n - m), ts_api) < 0) {
            derived = NULL;
            rc = err_set(e, E_NOMEM, "out of memory");
            goto out;
        }
        auth_api = derived;
    }
    if ((rc = check_url(auth_api, e)))
        goto out;
    if (!(abs = realpath(vp_key, NULL))) {
        rc = err_set(e, E_IO, "%s: %s", vp_key, strerror(errno));
        goto out;
    }
    /* the cache's directory made absolute: `serve` may run elsewhere */
    const char *slash = strrchr(cache_file, '/');
    char *cdir = slash ? strndup(cache_file, (size_t)(slash - cache_file)) : strdup(".");
    char *cabs = cdir ? realpath(cdir, NULL) : NULL;
    free(cdir);
    if (!cabs || asprintf(&cache_abs, "%s/%s", cabs, slash ? slash + 1 : cache_file) < 0) {
        cache_abs = NULL;
        free(cabs);
        rc = err_set(e, E_IO, "%s: cannot resolve its directory", cache_file);
        goto out;
    }
    free(cabs);
    size_t al = strlen(auth_api);
    char *trimmed = strndup(auth_api, al && auth_api[al - 1] == '/' ? al - 1 : al);
    if (!trimmed) {
        rc = err_set(e, E_NOMEM, "out of memory");
        goto out;
    }
    if ((rc = store_meta_set(s, "ebsi_did", did, e)) ||
        (rc = store_meta_set(s, "ebsi_vp_key", abs, e)) ||
        (rc = store_meta_set(s, "ebsi_auth_api", trimmed, e)) ||
        (rc = store_meta_set(s, "ebsi_token_cache", cache_abs, e))) {
    }
    free(trimmed);
out:
    free(derived);
    free(abs);
    free(cache_abs);
    if (rc) {
        free(*kid);
        *kid = NULL;
    }
    return rc;
}

err_code ebsi_token_from_did(struct store *s, bool fresh, char **token, struct err *e)
{
    *token = NULL;
    char *did = NULL, *key = NULL, *api = NULL, *cache = NULL;
    err_code rc = store_meta_get(s, "ebsi_did", &did, NULL);
    if (rc == E_NOT_FOUND)
        return E_NOT_FOUND;
    if (rc)
        return err_set(e, rc, "cannot read the setting ebsi_did");
    if ((rc = store_meta_get(s, "ebsi_vp_key", &key, e)) ||
        (rc = store_meta_get(s, "ebsi_auth_api", &api, e))) {
        rc = rc == E_NOT_FOUND ? err_set(e, E_STATE, "setting ebsi_vp_key or ebsi_auth_api is "
                                                     "missing: run notary init --did again")
                               : rc;
        goto out;
    }
    if (store_meta_get(s, "ebsi_token_cache", &cache, NULL) != E_OK)
        cache = NULL;
    struct ebsi_auth_cfg cfg = {.auth_url = api, .did = did, .key_file = key,
                                .cache_file = cache};
    if (fresh && (rc = ebsi_auth_forget(&cfg, e)))
        goto out;
    rc = ebsi_auth_get(&cfg, fresh, token, e);
out:
    free(did);
    free(key);
    free(api);
    free(cache);
    return rc;
}
