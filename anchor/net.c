/* anchor/net.c — see net.h. */
#include "anchor/net.h"

#include <curl/curl.h>
#include <pthread.h>

static pthread_once_t g_once = PTHREAD_ONCE_INIT;
static CURLcode g_rc = CURLE_FAILED_INIT;

static void init_once(void) { g_rc = curl_global_init(CURL_GLOBAL_DEFAULT); }

err_code net_global_init(struct err *e)
{
    pthread_once(&g_once, init_once);
    if (g_rc != CURLE_OK)
        return err_set(e, E_NETWORK, "libcurl cannot start: %s", curl_easy_strerror(g_rc));
    return E_OK;
}
