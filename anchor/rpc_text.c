/* anchor/rpc_text.c — the text helpers of rpc.h that need no client:
 * rpc_sanitize() and rpc_url_redact() (split from rpc.c). */
#include "anchor/rpc.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* as in rpc.c: curl.h's own declaration of curl_url_get differs between
 * versions; anchor/net.c holds the one definition */
#include <curl/curl.h>

void rpc_sanitize(const char *in, size_t inlen, char *out, size_t max)
{
    size_t j = 0;
    for (size_t i = 0; i < inlen && j + 1 < max; i++) {
        unsigned char ch = (unsigned char)in[i];
        out[j++] = (ch >= 0x20 && ch < 0x7f) ? (char)ch : '?';
    }
    if (inlen > 0 && j + 1 >= max && j >= 3)
        memcpy(out + j - 3, "...", 3);
    out[j] = '\0';
}

const char *rpc_url_redact(const char *url, char *out, size_t max)
{
    if (!max)
        return out;
    snprintf(out, max, "(not a valid http(s) URL)");
    CURLU *u = curl_url();
    char *scheme = NULL, *host = NULL, *port = NULL, *path = NULL, *query = NULL;
    if (u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) == CURLUE_OK) {
        bool secret = (curl_url_get(u, CURLUPART_PATH, &path, 0) == CURLUE_OK && strlen(path) > 1) ||
                      curl_url_get(u, CURLUPART_QUERY, &query, 0) == CURLUE_OK;
        snprintf(out, max, "%s://%s:%s%s", scheme, host, port, secret ? "/***" : "");
    }
    curl_free(scheme);
    curl_free(host);
    curl_free(port);
    curl_free(path);
    curl_free(query);
    curl_url_cleanup(u);
    return out;
}
