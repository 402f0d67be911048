/* core/error.c — see error.h. */
#include "core/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

err_code err_set(struct err *e, err_code code, const char *fmt, ...)
{
    if (e) {
        va_list ap;
        va_start(ap, fmt);
        e->code = code;
        vsnprintf(e->msg, sizeof e->msg, fmt, ap);
        va_end(ap);
    }
    return code;
}

static void vprefix(struct err *e, const char *fmt, va_list ap)
{
    char prefix[256], old[sizeof e->msg];
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    memcpy(old, e->msg, sizeof old);
    if (snprintf(e->msg, sizeof e->msg, "%s: %s", prefix, old) >= (int)sizeof e->msg)
        e->msg[sizeof e->msg - 1] = '\0'; /* truncated: the message stays readable */
}

void err_prefix(struct err *e, const char *fmt, ...)
{
    if (!e)
        return;
    va_list ap;
    va_start(ap, fmt);
    vprefix(e, fmt, ap);
    va_end(ap);
}

err_code err_wrap(struct err *e, err_code code, const char *fmt, ...)
{
    if (e) {
        va_list ap;
        va_start(ap, fmt);
        vprefix(e, fmt, ap);
        va_end(ap);
        e->code = code;
    }
    return code;
}

void err_clear(struct err *e)
{
    if (e) {
        e->code = E_OK;
        e->msg[0] = '\0';
    }
}

const char *err_name(err_code code)
{
    static const char *const names[E__COUNT] = {
        [E_OK] = "ok",           [E_INVALID] = "invalid",   [E_LIMIT] = "limit",
        [E_VERIFY] = "verify",   [E_IO] = "io",             [E_NOMEM] = "nomem",
        [E_NETWORK] = "network", [E_PROTOCOL] = "protocol", [E_CRYPTO] = "crypto",
        [E_STATE] = "state",     [E_NOT_FOUND] = "not-found",
        [E_UNSUPPORTED] = "unsupported",
    };
    return (code >= 0 && code < E__COUNT) ? names[code] : "unknown";
}
