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
