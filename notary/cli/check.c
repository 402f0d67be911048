/*
 * notary/cli/check.c — `notary check`: the scrub of the store against the
 * ledger (notary/issuance/scrub.h does the work; notary/anchoring/ledger_root.h
 * answers for the ledger).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "notary/anchoring/anchoring.h"
#include "notary/anchoring/ledger_root.h"
#include "notary/cli/commands.h"
#include "notary/cli/common.h"
#include "notary/issuance/scrub.h"

static const char CHECK_USAGE[] =
    "usage: notary check [--offline] [--json]\n"
    "\n"
    "Re-read every closed batch from the store, rebuild its root from the stored\n"
    "leaves and compare it with the root stored and the root anchored on the\n"
    "ledger; check the revocation log against its checkpoints and that no hash\n"
    "is stored twice. Nothing is changed. Findings, each with the batch seq:\n"
    "  leaf-changed, leaf-missing, leaf-added, order-changed, root-mismatch,\n"
    "  not-anchored, revlog-mismatch, duplicate-hash (see `man notary`).\n"
    "\n"
    "options:\n"
    "  --offline  do not ask the ledger: compare with the store's own roots only\n"
    "  --json     the result as JSON on stdout\n"
    "\n"
    "exit status: 0 clean, 1 findings, 2 usage, 3 the ledger could not be asked\n"
    "about every anchored batch (no findings in what was checked: run again).\n";

static bool check_progress(uint64_t done, uint64_t total, void *arg)
{
    cli_progress_batch("re-hashing leaves", done, total, arg);
    return true;
}

static void print_table(const struct scrub_result *r)
{
    if (r->n)
        printf("%-16s %-10s %8s %8s  %s\n", "FINDING", "KIND", "SEQ", "LEAF", "DETAIL");
    for (size_t i = 0; i < r->n; i++) {
        const struct scrub_finding *f = &r->f[i];
        char leaf[24] = "-";
        if (f->leaf >= 0)
            snprintf(leaf, sizeof leaf, "%lld", (long long)f->leaf);
        printf("%-16s %-10s %8llu %8s  %s\n", scrub_kind_name(f->kind),
               f->batch_kind == BATCH_ISSUANCE ? "batch" : "checkpoint",
               (unsigned long long)f->seq, leaf, f->detail);
    }
    printf("checked %llu batches (%llu leaves) and %llu checkpoints in %.2f s; %llu compared "
           "with the ledger%s\n",
           (unsigned long long)r->batches, (unsigned long long)r->leaves,
           (unsigned long long)r->checkpoints, r->seconds, (unsigned long long)r->anchored_checked,
           r->ledger ? "" : " (offline)");
    if (r->incomplete)
        printf("incomplete: %s\n", r->incomplete_why);
    printf("%s\n", r->n ? "FINDINGS: the store no longer matches what was anchored (see above)"
                        : r->incomplete ? "no findings in what could be checked; run again"
                                        : "clean");
}

int cmd_check(int argc, char **argv)
{
    bool offline = false;
    const struct cli_opt opts[] = {CLI_FLAG("offline", &offline), CLI_JSON, CLI_HELP, {0}};
    struct cli_args args = {"check", CHECK_USAGE, opts, CLI_CONTINUE, NULL};
    struct cli_ctx cx;
    int code;
    if ((code = cli_parse(&args, argc, argv, 0)) != CLI_CONTINUE ||
        (code = cli_open(&cx)) != CLI_CONTINUE)
        return code;
    struct evm_ledger l = {0};
    struct anchoring_root_ctx rctx = {.ledger = &l, .ebsi = anchoring_is_ebsi(cx.store),
                                      .registry2 = anchoring_is_registry2(cx.store)};
    struct scrub_ledger ledger = {anchoring_root_of, &rctx};
    bool use_ledger = !offline;
    char why[sizeof ((struct scrub_result *)0)->incomplete_why] = ""; /* as it is kept */
    if (use_ledger) {
        char *issuer = NULL;
        uint64_t conf;
        struct err le = {0};
        err_code rc;
        if ((rc = store_meta_get(cx.store, "issuer", &issuer, &le)) ||
            (rc = addr20_from_hex(issuer, &rctx.issuer, &le)) ||
            (rc = cli_connect_ledger(cx.store, 0, 0, &l, &conf, &rctx.contract, &le))) {
            /* The store is still checked; the result says it is incomplete. */
            snprintf(why, sizeof why, "the ledger: %.243s", le.msg);
            use_ledger = false;
        }
        free(issuer);
    }
    struct scrub_result r;
    err_code rc = scrub_run(cx.store, use_ledger ? &ledger : NULL, check_progress, NULL, &r, &cx.e);
    evm_close(&l);
    cli_close(&cx);
    if (rc)
        return cli_fail(cli_exit_for(rc), &cx.e);
    if (why[0]) {
        r.ledger = true;
        r.incomplete = true;
        snprintf(r.incomplete_why, sizeof r.incomplete_why, "%s", why);
    }
    code = scrub_exit_status(&r);
    if (g_cli.json)
        cli_print_json(scrub_result_json(&r));
    else
        print_table(&r);
    if (r.incomplete)
        fprintf(stderr, "notary check: incomplete: %s\n", r.incomplete_why);
    scrub_result_free(&r);
    return code;
}
