/*
 * notary/cli/anchor.c — `notary anchor` (anchor closed batches and
 * checkpoints, re-check anchored ones) and `notary status` (what the store
 * holds; --check re-checks on the ledger).
 * Argument parsing and output (notary/cli/commands.h); the work is done
 * by the notary library.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "notary/anchoring/anchoring.h"
#include "notary/cli/commands.h"
#include "notary/cli/common.h"
#include "notary/issuance/batch_json.h"
#include "notary/issuance/batch.h"

/* ---- anchor -------------------------------------------------------------- */

static const char ANCHOR_USAGE[] =
    "usage: notary anchor [--timeout SEC] [--poll-ms MS] [--confirmations N]\n"
    "                     [--replace-after-blocks K] [--max-fee-gwei G] [--final-depth D]\n"
    "                     [--retry-failed] [--json]\n"
    "\n"
    "Anchor every closed batch, oldest first: one transaction per batch to the\n"
    "registry contract (then every revocation checkpoint cut by `notary checkpoint`\n"
    "and not anchored yet, in its own sequence); each transaction is recorded\n"
    "in the store before it is broadcast, then wait\n"
    "until it is mined with the configured confirmations. Safe to interrupt and\n"
    "to run again: it finds or rebroadcasts its transaction and never anchors a\n"
    "batch twice. Exit 3 if the ledger is unreachable or confirmations are still\n"
    "missing when the timeout ends.\n"
    "\n"
    "Anchored batches are re-checked first, until their block is D deep: a\n"
    "transaction a reorg moved to another block is adopted with that block (export\n"
    "the bundles again); one the reorg dropped is sent again (the same signed bytes,\n"
    "or a new transaction if its nonce went elsewhere) — never anchored twice.\n"
    "The summary counts batches as the store has them afterwards.\n"
    "\n"
    "  --timeout SEC        stop waiting after SEC seconds (default 300)\n"
    "  --poll-ms MS         ledger polling interval (default 1000)\n"
    "  --confirmations N    override the configured confirmations for this run\n"
    "  --rpc-timeout-ms MS  per-request ledger timeout (default 30000)\n"
    "  --rpc-attempts N     attempts per ledger request before giving up (default 5)\n"
    "  --replace-after-blocks K  a transaction still pending K blocks after it was\n"
    "                       sent is replaced at the same nonce with fees 10% higher\n"
    "                       (default 3; fee networks only, never at gas price 0)\n"
    "  --max-fee-gwei G     never offer more than G gwei per gas (default 500)\n"
    "  --final-depth D      re-check anchored batches for reorgs until D blocks\n"
    "                       deep (default 64)\n"
    "  --retry-failed       first move every FAILED batch back to closed, to be\n"
    "                       anchored again (after fixing what `notary status`\n"
    "                       says; an anchor already on the ledger is adopted)\n"
    "  --json               print the result as JSON\n";

const struct cli_opt cli_anchor_run_opts[CLI_ANCHOR_RUN_OPTS] = {
    CLI_OPT("timeout", required_argument, 't'),
    CLI_OPT("poll-ms", required_argument, 'p'),
    CLI_OPT("confirmations", required_argument, 'n'),
    CLI_OPT("rpc-timeout-ms", required_argument, 'T'),
    CLI_OPT("rpc-attempts", required_argument, 'A'),
    CLI_OPT("replace-after-blocks", required_argument, 'R'),
    CLI_OPT("max-fee-gwei", required_argument, 'F')};

int cmd_anchor(int argc, char **argv) { return cli_anchor(argc, argv, NULL); }

int cli_anchor(int argc, char **argv, json_t *extra)
{
    unsigned timeout = 300, poll = 1000, rpc_timeout = 0, rpc_attempts = 0;
    uint64_t conf_override = 0, replace_after = 0, max_fee_gwei = 0, final_depth = 0;
    bool retry = false;
    struct cli_opt opts[4 + CLI_ANCHOR_RUN_OPTS + 1] = {
        CLI_OPT("final-depth", required_argument, 'D'), CLI_FLAG("retry-failed", &retry), CLI_JSON,
        CLI_HELP};
    memcpy(opts + 4, cli_anchor_run_opts, sizeof cli_anchor_run_opts);
    struct cli_args args = {"anchor", ANCHOR_USAGE, opts, CLI_CONTINUE, NULL};
    int c;
    while ((c = cli_next(&args, argc, argv)) != -1) {
        switch (c) {
        case 't': timeout = (unsigned)strtoul(optarg, NULL, 10); break;
        case 'p': poll = (unsigned)strtoul(optarg, NULL, 10); break;
        case 'n': conf_override = strtoull(optarg, NULL, 10); break;
        case 'T': rpc_timeout = (unsigned)strtoul(optarg, NULL, 10); break;
        case 'A': rpc_attempts = (unsigned)strtoul(optarg, NULL, 10); break;
        case 'R':
            replace_after = strtoull(optarg, NULL, 10);
            if (replace_after < 1 || replace_after > 100000)
                return cli_usage_error("anchor", "--replace-after-blocks must be 1..100000");
            break;
        case 'F':
            /* 10^9 gwei per gas is far beyond any fee; it keeps wei in 64 bits. */
            max_fee_gwei = strtoull(optarg, NULL, 10);
            if (max_fee_gwei < 1 || max_fee_gwei > 1000000000)
                return cli_usage_error("anchor", "--max-fee-gwei must be 1..1000000000");
            break;
        case 'D':
            if (cli_parse_final_depth(optarg, &final_depth))
                return cli_usage_error("anchor", "--final-depth must be 1..1000000");
            break;
        }
    }
    if ((c = cli_args_end(&args, argc, argv, 0)) != CLI_CONTINUE)
        return c;
    struct err e = {0};
    struct store *s = NULL;
    struct signer *sg = NULL;
    struct evm_ledger l = {0};
    struct anchoring_report rep = {0};
    bool counted = false; /* rep holds the store's states */
    unsigned retried = 0;
    err_code rc;
    if ((rc = cli_open_store(false, &s, &e)))
        goto out;
    if (retry) {
        unsigned k = 0;
        if ((rc = store_lock_writer(s, &e)) ||
            (rc = anchoring_retry_failed(s, BATCH_ISSUANCE, &retried, &e)) ||
            (rc = anchoring_retry_failed(s, BATCH_REVOCATION, &k, &e)))
            goto out;
        retried += k;
        if (retried && !g_cli.json)
            printf("%u failed batch(es) back to closed: anchoring them again\n", retried);
    }
    if ((rc = cli_load_signer(NULL, &sg, &e)))
        goto out;
    struct anchoring_cfg cfg = {.signer = sg, .poll_ms = poll, .timeout_s = timeout,
                                .replace_after_blocks = replace_after,
                                .fees.max_fee_cap_wei = max_fee_gwei * 1000000000ull,
                                .log = g_cli.json ? NULL : cli_log_line};
    if ((rc = cli_connect_ledger(s, rpc_timeout, rpc_attempts, &l, &cfg.confirmations,
                                 &cfg.contract, &e)))
        goto out;
    cfg.final_depth = final_depth;
    if (conf_override)
        cfg.confirmations = conf_override;
    cfg.ledger = &l;
    rc = anchoring_run(s, &cfg, BATCH_ISSUANCE, &rep, &e);
    counted = true;
    /* Revocation checkpoints (`notary checkpoint`) go through the same state
     * machine; the registry keeps a separate sequence for them. */
    struct anchoring_report rrep = {0};
    if (!rc && !rep.pending)
        rc = anchoring_run(s, &cfg, BATCH_REVOCATION, &rrep, &e);
    else
        anchoring_count_waiting(s, BATCH_REVOCATION, &rrep);
    rep.anchored += rrep.anchored;
    rep.pending += rrep.pending;
    rep.failed += rrep.failed;
    rep.moved += rrep.moved;
    rep.reopened += rrep.reopened;
out:
    /* Stopped before the run (no password, ledger down): what waits is
     * still counted, so the summary matches the store and the exit code. */
    if (!counted && s) {
        anchoring_count_waiting(s, BATCH_ISSUANCE, &rep);
        anchoring_count_waiting(s, BATCH_REVOCATION, &rep);
        counted = true;
    }
    int code = rc ? cli_exit_for(rc) : rep.pending ? EXIT_PENDING : EXIT_OK;
    if (g_cli.json) {
        /* no counts when the store could not be read: the error says why */
        json_t *o = counted ? json_pack("{s:I, s:I, s:I, s:I, s:I}", "anchored",
                                        (json_int_t)rep.anchored, "pending",
                                        (json_int_t)rep.pending, "failed", (json_int_t)rep.failed,
                                        "reorgMoved", (json_int_t)rep.moved, "retried",
                                        (json_int_t)retried)
                            : json_object();
        if (rc) {
            json_object_set_new(o, "error", json_string(err_name(rc)));
            json_object_set_new(o, "message", json_string(e.msg));
        }
        if (extra)
            json_object_update(o, extra);
        cli_print_json(o);
    } else {
        if (rc)
            fprintf(stderr, "notary: %s\n", e.msg);
        if (counted) /* else the store could not be read: the error says why */
            printf("%u anchored, %u pending, %u failed\n", rep.anchored, rep.pending,
                   rep.failed);
        if (rep.moved)
            printf("%u anchored batch(es) moved to another block by a reorg: export their "
                   "bundles again (`notary proof --batch N --dir DIR`)\n", rep.moved);
        if (rep.pending)
            printf("not finished: run `notary anchor` again (see `notary status` for why)\n");
        if (rep.failed)
            printf("failed: see `notary status`; once the cause is fixed, `notary anchor "
                   "--retry-failed` tries again\n");
    }
    signer_free(sg);
    evm_close(&l);
    store_close(s);
    return code;
}

/* ---- status -------------------------------------------------------------- */

static const char STATUS_USAGE[] =
    "usage: notary status [--check [--final-depth D]] [--json]\n"
    "\n"
    "Show the configuration, the credentials stored, every batch with its state\n"
    "(open, closed, sent, anchored, failed) and why anything is pending.\n"
    "\n"
    "  --check          first ask the ledger about anchored batches less than D\n"
    "                   blocks deep (default 64): a transaction a reorg moved to\n"
    "                   another block is adopted with it; one that is gone or\n"
    "                   pending again sends its batch back to `sent` for `notary\n"
    "                   anchor`. Needs no key. Exit 3 if the ledger is unreachable.\n"
    "  --final-depth D  the reorg depth policy for --check (as `notary anchor`)\n";

/* `status --check`: re-check anchored batches on the ledger (no key). */
static err_code status_check(struct store *s, uint64_t final_depth, struct anchoring_report *rep,
                             struct err *e)
{
    struct evm_ledger l = {0};
    struct anchoring_cfg cfg = {.final_depth = final_depth,
                                .log = g_cli.json ? NULL : cli_log_line};
    char *issuer_hex = NULL;
    struct addr20 issuer;
    err_code rc;
    if ((rc = store_lock_writer(s, e)))
        return err_wrap(e, rc, "cannot re-check now (`notary serve` or `notary anchor` "
                               "re-checks itself while it runs)");
    if ((rc = store_meta_get(s, "issuer", &issuer_hex, e)) ||
        (rc = addr20_from_hex(issuer_hex, &issuer, e)) ||
        (rc = cli_connect_ledger(s, 0, 0, &l, &cfg.confirmations, &cfg.contract, e)))
        goto out;
    cfg.ledger = &l;
    if (!(rc = anchoring_recheck(s, &cfg, BATCH_ISSUANCE, &issuer, rep, e)))
        rc = anchoring_recheck(s, &cfg, BATCH_REVOCATION, &issuer, rep, e);
out:
    free(issuer_hex);
    evm_close(&l);
    return rc;
}

/* The configuration `status` shows: the ledger's settings from the store
 * (the RPC URL as its origin only). A new object. */
static json_t *status_config(struct store *s)
{
    static const char *const keys[] = {"ledger", "rpc_url", "chain_id", "contract", "issuer",
                                       "confirmations"};
    json_t *cfg = json_object();
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        char *v;
        if (store_meta_get(s, keys[i], &v, NULL) == E_OK) {
            /* The URL's path and query often hold an API key: the origin only. */
            char shown[300];
            json_object_set_new(cfg, keys[i],
                                json_string(strcmp(keys[i], "rpc_url") == 0
                                                ? rpc_url_redact(v, shown, sizeof shown)
                                                : v));
            free(v);
        }
    }
    return cfg;
}

/* The batch table of `status` (the newest 30). */
static void status_print_batches(const struct store_batch *list, size_t n)
{
    printf("\n%6s  %-9s %9s  %-16s %s\n", "batch", "state", "size", "root", "ledger / reason");
    size_t first = n > 30 ? n - 30 : 0;
    if (first)
        printf("  ... %zu older batches\n", first);
    for (size_t i = first; i < n; i++) {
        const struct store_batch *b = &list[i];
        char root[65] = "-", extra[300] = "";
        if (b->has_root) {
            hash32_to_hex(&b->root, root);
            root[16] = '\0';
        }
        if (b->state == BATCH_ANCHORED)
            snprintf(extra, sizeof extra, "block %llu", (unsigned long long)b->block_number);
        else if (b->last_error[0])
            snprintf(extra, sizeof extra, "%s", b->last_error);
        printf("%6llu  %-9s %9llu  %-16s %s\n", (unsigned long long)b->seq,
               batch_state_name(b->state), (unsigned long long)b->size, root, extra);
    }
}

int cmd_status(int argc, char **argv)
{
    bool check = false;
    uint64_t final_depth = 0;
    const struct cli_opt opts[] = {CLI_JSON, CLI_FLAG("check", &check),
                                   CLI_OPT("final-depth", required_argument, 'D'), CLI_HELP, {0}};
    struct cli_args args = {"status", STATUS_USAGE, opts, CLI_CONTINUE, NULL};
    int c;
    while (cli_next(&args, argc, argv) != -1) /* --final-depth */
        if (cli_parse_final_depth(optarg, &final_depth))
            return cli_usage_error("status", "--final-depth must be 1..1000000");
    if ((c = cli_args_end(&args, argc, argv, 0)) != CLI_CONTINUE)
        return c;
    if (final_depth && !check)
        return cli_usage_error("status", "--final-depth goes with --check");
    struct cli_ctx cx;
    int code = cli_open(&cx);
    if (code != CLI_CONTINUE)
        return code;
    code = EXIT_OK;
    struct store *s = cx.store;
    struct anchoring_report rep = {0};
    json_t *checked = NULL;
    if (check) {
        struct err ce = {0};
        err_code crc = status_check(s, final_depth, &rep, &ce);
        if (crc) {
            fprintf(stderr, "notary status --check: %s\n", ce.msg);
            code = cli_exit_for(crc);
        }
        checked = json_pack("{s:b, s:I, s:I}", "done", crc == E_OK, "moved",
                            (json_int_t)rep.moved, "reopened", (json_int_t)rep.reopened);
        if (crc)
            json_object_set_new(checked, "message", json_string(ce.msg));
    }
    json_t *cfg = status_config(s);
    struct store_counts counts;
    struct store_batch *list = NULL;
    size_t n = 0;
    err_code rc;
    if ((rc = store_counts(s, &counts, &cx.e)) ||
        (rc = store_batch_list(s, BATCH_ISSUANCE, &list, &n, &cx.e))) {
        json_decref(cfg);
        json_decref(checked);
        cli_close(&cx);
        return cli_fail(cli_exit_for(rc), &cx.e);
    }
    cli_close(&cx);
    if (g_cli.json) {
        json_t *batches = json_array();
        for (size_t i = 0; i < n; i++) {
            json_t *o = json_object();
            batch_info_json_fill(o, &list[i], BATCH_JSON_CLI);
            json_array_append_new(batches, o);
        }
        json_t *o = json_pack("{s:o, s:I, s:I, s:o}", "config", cfg, "credentials",
                              (json_int_t)counts.credentials, "openBatchSize",
                              (json_int_t)counts.open_size, "batches", batches);
        if (checked)
            json_object_set_new(o, "check", checked);
        checked = NULL;
        cli_print_json(o);
    } else {
        const char *k;
        json_t *v;
        json_object_foreach(cfg, k, v)
            printf("%-14s %s\n", k, json_string_value(v));
        printf("%-14s %llu (%llu in the open batch)\n", "credentials",
               (unsigned long long)counts.credentials, (unsigned long long)counts.open_size);
        status_print_batches(list, n);
        json_decref(cfg);
        if (rep.moved)
            printf("\n%u anchored batch(es) moved to another block by a reorg: export their "
                   "bundles again (`notary proof --batch N --dir DIR`)\n", rep.moved);
        if (rep.reopened)
            printf("\n%u anchored batch(es) lost their block in a reorg: run `notary anchor` to "
                   "anchor them again\n", rep.reopened);
    }
    json_decref(checked);
    free(list);
    return code;
}

