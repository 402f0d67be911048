/*
 * notary/cli/revoke.c — the revocation log: `notary revoke`, `notary
 * checkpoint` and `notary revocations export`.
 * Argument parsing and output (notary/cli/commands.h); the work is done
 * by the notary library.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/bundle.h"
#include "core/fileio.h"
#include "notary/cli/commands.h"
#include "notary/cli/common.h"
#include "notary/issuance/batch_json.h"
#include "notary/issuance/revocation.h"

/* ---- revoke ---------------------------------------------------------------- */

static const char REVOKE_USAGE[] =
    "usage: notary revoke (HASH | --credential FILE) --reason CODE|NAME [--note TEXT] [--json]\n"
    "\n"
    "Revoke a credential this notary notarized: append (hash, reason, time, note)\n"
    "to the issuer's append-only RFC 9162 revocation log, durably. Verifiers see it\n"
    "once a checkpoint covering it is anchored: run `notary checkpoint` (daily).\n"
    "Revoking an unknown hash is an error (exit 2); revoking twice changes nothing\n"
    "and says so.\n"
    "\n"
    "  HASH               the credential's SHA-256 (64 hex digits)\n"
    "  --credential FILE  the credential document (hashed as by `submit`)\n"
    "  --reason R         0 unspecified, 1 superseded, 2 issued-in-error, 3 fraud,\n"
    "                     4 holder-request, 5 withdrawn (code or name)\n"
    "  --note TEXT        a short public note (at most 200 bytes of UTF-8); it is part\n"
    "                     of the log that verifiers download\n"
    "  --json             print the result as JSON\n";

static json_t *revocation_json(const struct store_revocation *r, bool existed)
{
    char hex[65], t[21];
    hash32_to_hex(&r->hash, hex);
    bundle_time_format(r->revoked_at, t, NULL);
    json_t *o = json_pack("{s:s, s:I, s:i, s:s, s:s, s:b}", "hash", hex, "index",
                          (json_int_t)r->index, "reason", r->reason, "reasonName",
                          revlog_reason_name(r->reason), "revokedAt", t, "alreadyRevoked",
                          existed);
    if (o && r->note[0])
        json_object_set_new(o, "note", json_string(r->note));
    return o;
}

int cmd_revoke(int argc, char **argv)
{
    const char *cred = NULL, *reason = NULL, *note = NULL;
    const struct cli_opt opts[] = {CLI_VALUE("credential", &cred), CLI_VALUE("reason", &reason),
                                   CLI_VALUE("note", &note), CLI_JSON, CLI_HELP, {0}};
    struct cli_args args = {"revoke", REVOKE_USAGE, opts, CLI_CONTINUE, NULL};
    int code = cli_parse(&args, argc, argv, 1);
    if (code != CLI_CONTINUE)
        return code;
    const char *hash_arg = optind < argc ? argv[optind] : NULL;
    if ((cred != NULL) == (hash_arg != NULL))
        return cli_usage_error("revoke", "give a HASH or --credential FILE");
    if (!reason)
        return cli_usage_error("revoke", "--reason is required (e.g. --reason fraud)");
    struct err e = {0};
    enum revlog_reason reason_code;
    struct hash32 h;
    struct cli_ctx cx;
    if (revlog_reason_parse(reason, &reason_code, &e))
        return cli_fail(EXIT_USAGE, &e);
    if ((code = cli_credential_arg(cred, hash_arg, &h)) != CLI_CONTINUE ||
        (code = cli_open(&cx)) != CLI_CONTINUE)
        return code;
    struct store_revocation r;
    bool existed;
    err_code rc = revocation_revoke(cx.store, &h, reason_code, note, (int64_t)time(NULL), &r,
                                    &existed, &cx.e);
    cli_close(&cx);
    if (rc)
        return cli_fail(cli_exit_for(rc), &cx.e);
    if (g_cli.json) {
        cli_print_json(revocation_json(&r, existed));
    } else {
        char hex[65], t[21];
        hash32_to_hex(&r.hash, hex);
        bundle_time_format(r.revoked_at, t, NULL);
        if (existed)
            printf("%s was already revoked (entry %llu, %s, %s): nothing changed\n", hex,
                   (unsigned long long)r.index, revlog_reason_name(r.reason), t);
        else
            printf("revoked %s: entry %llu of the revocation log, reason %s, at %s\n"
                   "next: `notary checkpoint` anchors it so verifiers can see it\n",
                   hex, (unsigned long long)r.index, revlog_reason_name(r.reason), t);
    }
    return EXIT_OK;
}

/* ---- checkpoint ------------------------------------------------------------ */

static const char CHECKPOINT_USAGE[] =
    "usage: notary checkpoint [--no-anchor] [anchor options] [--json]\n"
    "\n"
    "If the revocation log grew since the last checkpoint, cut a new checkpoint\n"
    "(its size and RFC 9162 root); then anchor every checkpoint not yet anchored\n"
    "(this runs `notary anchor`, which anchors closed issuance batches first).\n"
    "Run it at least daily. Nothing is cut when the log has not grown.\n"
    "\n"
    "  --no-anchor          only cut the checkpoint; `notary anchor` anchors it later\n"
    "  --timeout SEC, --poll-ms MS, --confirmations N, --rpc-timeout-ms MS,\n"
    "  --rpc-attempts N, --replace-after-blocks K, --max-fee-gwei G\n"
    "                       as for `notary anchor`\n"
    "  --json               print the result as JSON\n";

int cmd_checkpoint(int argc, char **argv)
{
    bool no_anchor = false;
    struct cli_opt opts[3 + CLI_ANCHOR_RUN_OPTS + 1] = {CLI_FLAG("no-anchor", &no_anchor),
                                                        CLI_JSON, CLI_HELP};
    memcpy(opts + 3, cli_anchor_run_opts, sizeof cli_anchor_run_opts);
    struct cli_args args = {"checkpoint", CHECKPOINT_USAGE, opts, CLI_CONTINUE, NULL};
    /* Anchor options are passed on to `notary anchor` unchanged. */
    char *fwd[16] = {"anchor"}, names[8][32];
    int nfwd = 1;
    while (cli_next(&args, argc, argv) != -1) { /* one of cli_anchor_run_opts */
        if (nfwd + 2 < (int)(sizeof fwd / sizeof fwd[0])) {
            char *name = names[nfwd / 2];
            snprintf(name, sizeof names[0], "--%s", args.name);
            fwd[nfwd++] = name;
            fwd[nfwd++] = optarg;
        }
    }
    struct cli_ctx cx;
    int code;
    if ((code = cli_args_end(&args, argc, argv, 0)) != CLI_CONTINUE ||
        (code = cli_open(&cx)) != CLI_CONTINUE)
        return code;
    struct store_batch b;
    bool created;
    err_code rc = revocation_checkpoint(cx.store, (int64_t)time(NULL), &created, &b, &cx.e);
    cli_close(&cx);
    if (rc)
        return cli_fail(cli_exit_for(rc), &cx.e);
    json_t *cp = json_object();
    json_object_set_new(cp, "created", json_boolean(created));
    if (b.size)
        batch_info_json_fill(cp, &b, BATCH_JSON_CLI);
    if (!g_cli.json) {
        char root[65] = "";
        if (b.has_root)
            hash32_to_hex(&b.root, root);
        if (created)
            printf("checkpoint %llu: %llu revocations, root %s\n", (unsigned long long)b.seq,
                   (unsigned long long)b.size, root);
        else if (b.size)
            printf("the revocation log has not grown since checkpoint %llu (%llu revocations)\n",
                   (unsigned long long)b.seq, (unsigned long long)b.size);
        else
            printf("the revocation log is empty: no checkpoint to cut\n");
    }
    if (no_anchor) {
        if (g_cli.json)
            cli_print_json(json_pack("{s:o}", "checkpoint", cp));
        else
            json_decref(cp);
        return EXIT_OK;
    }
    json_t *extra = json_pack("{s:o}", "checkpoint", cp);
    optind = 1;
    code = cli_anchor(nfwd, fwd, extra);
    json_decref(extra);
    return code;
}

/* ---- revocations export ---------------------------------------------------- */

static const char REVOCATIONS_USAGE[] =
    "usage: notary revocations export [--out FILE] [--json]\n"
    "\n"
    "Write the revocation log as the documented JSON file (docs/revocation-format.md):\n"
    "every entry, every anchored checkpoint (seq, size, root, transaction, block and\n"
    "block time) and the RFC 9162 consistency proofs between consecutive checkpoints.\n"
    "Verifiers and auditors check any copy of it against the ledger, so it can be\n"
    "published anywhere (web server, mirror, e-mail). Default: standard output.\n"
    "\n"
    "  --out FILE   write FILE atomically instead (temp, fsync, rename)\n"
    "  --json       with --out: print a JSON summary\n";

int cmd_revocations(int argc, char **argv)
{
    const struct cli_opt opts[] = {CLI_OPT("out", required_argument, 'o'), CLI_JSON, CLI_HELP,
                                   {0}};
    struct cli_args args = {"revocations", REVOCATIONS_USAGE, opts, CLI_CONTINUE, NULL};
    const char *outp = NULL;
    while (cli_next(&args, argc, argv) != -1)
        outp = outp ? outp : optarg; /* the first --out counts */
    if (args.code != CLI_CONTINUE)
        return args.code;
    if (optind >= argc || strcmp(argv[optind], "export") != 0)
        return cli_usage_error("revocations", "give a subcommand: export");
    struct cli_ctx cx;
    int code;
    if ((code = cli_args_end(&args, argc, argv, 1)) != CLI_CONTINUE ||
        (code = cli_open(&cx)) != CLI_CONTINUE)
        return code;
    struct buf out = {0};
    uint64_t n = 0;
    size_t ncp = 0;
    err_code rc = revocation_export(cx.store, (int64_t)time(NULL), &out, &n, &ncp, &cx.e);
    cli_close(&cx);
    if (!rc && outp)
        rc = file_write_atomic(outp, out.p, out.len, 0644, &cx.e);
    if (rc) {
        buf_free(&out);
        return cli_fail(cli_exit_for(rc), &cx.e);
    }
    if (!outp) {
        fwrite(out.p, 1, out.len, stdout);
    } else if (g_cli.json) {
        cli_print_json(json_pack("{s:s, s:I, s:I}", "out", outp, "entries", (json_int_t)n,
                                 "checkpoints", (json_int_t)ncp));
    } else {
        printf("wrote %s: %llu revocations, %zu anchored checkpoints\n", outp,
               (unsigned long long)n, ncp);
    }
    buf_free(&out);
    return EXIT_OK;
}
