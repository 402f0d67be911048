/* notary/anchoring/flow.c — the leaf helpers of flow.h (they call nothing
 * of the driver or the flows). */
#include "notary/anchoring/flow.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void anchoring_say(const struct anchoring_cfg *cfg, const char *fmt, ...)
{
    if (!cfg->log)
        return;
    va_list ap;
    va_start(ap, fmt);
    cfg->log(cfg->log_arg, fmt, ap);
    va_end(ap);
}

void anchoring_fault_point(const char *name)
{
    const char *f = getenv("NOTARY_FAULT");
    if (f && strcmp(f, name) == 0)
        raise(SIGKILL);
}

const char *anchoring_kind_name(enum batch_kind k)
{
    return k == BATCH_ISSUANCE ? "batch" : "checkpoint";
}

void anchoring_out_note(struct anchoring_out *out, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(out->note, sizeof out->note, fmt, ap);
    va_end(ap);
}

err_code anchoring_find_log(const struct anchoring_ctx *c, const struct anchoring_flow *f,
                            const struct rpc_log_filter *filter, const struct store_batch *b,
                            bool *found, struct hash32 *tx, struct err *e)
{
    *found = false;
    struct rpc_log *logs;
    size_t n;
    err_code rc = rpc_get_logs(c->cfg->ledger->rpc, filter, &logs, &n, e);
    if (rc)
        return rc;
    for (size_t i = 0; i < n && !*found; i++)
        if (f->log_ours(c->cfg, &c->issuer, b, &logs[i])) {
            *tx = logs[i].tx_hash;
            *found = true;
        }
    rpc_logs_free(logs, n);
    return E_OK;
}

bool anchoring_flow_receipt_ok(const struct anchoring_flow *f, const struct anchoring_cfg *cfg,
                       const struct addr20 *issuer, const struct store_batch *b,
                       const struct rpc_receipt *rc, struct err *e)
{
    for (size_t i = 0; i < rc->nlogs; i++)
        if (f->log_ours(cfg, issuer, b, &rc->logs[i]))
            return true;
    err_set(e, E_STATE, "the mined transaction carries no %s event for %s %llu", f->event,
            anchoring_kind_name(b->kind), (unsigned long long)b->seq);
    return false;
}

bool anchoring_is_registry2(struct store *s)
{
    char *v = NULL;
    struct err ignore;
    bool yes = store_meta_get(s, "registry", &v, &ignore) == E_OK && strcmp(v, "2") == 0;
    free(v);
    return yes;
}
