/*
 * notary/cli/proof.c — `notary proof`: the proof bundle of a credential, or
 * of every credential of a batch.
 * Argument parsing and output (notary/cli/commands.h); the work is done
 * by the notary library.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/bundle.h"
#include "notary/cli/commands.h"
#include "notary/cli/common.h"
#include "notary/issuance/proof.h"

static const char PROOF_USAGE[] =
    "usage: notary proof (HASH | --credential FILE) [--out FILE]\n"
    "       notary proof --batch N (--dir DIR | --jsonl FILE)\n"
    "\n"
    "Write the proof bundle (docs/proof-format.md) of one credential to standard\n"
    "output or FILE, or the bundles of every credential of batch N into DIR as\n"
    "<hash>.json, or into FILE as JSON Lines (one compact bundle per line, in leaf\n"
    "order; FILE - is standard output). A batch that is closed but not yet anchored\n"
    "gives *pending* bundles, which verifiers reject until the batch is anchored.\n";

/* `--jsonl FILE`: the lines go to FILE.tmp.PID, which becomes FILE (fsynced,
 * renamed) only when every bundle is written: a failed export leaves an
 * earlier FILE as it was. `-`: standard output. */
static err_code export_jsonl(struct store *s, uint64_t seq, const char *file, uint64_t *written,
                             struct err *e)
{
    if (strcmp(file, "-") == 0)
        return proof_export_jsonl(s, seq, stdout, written, NULL, NULL, e);
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s.tmp.%d", file, (int)getpid()) >= (int)sizeof tmp)
        return err_set(e, E_INVALID, "--jsonl: the file name is too long");
    FILE *f = fopen(tmp, "wx");
    if (!f)
        return err_set(e, E_IO, "%s: cannot create: %s", tmp, strerror(errno));
    err_code rc = proof_export_jsonl(s, seq, f, written, cli_progress_export, NULL, e);
    if (!rc && fsync(fileno(f)) != 0)
        rc = err_set(e, E_IO, "%s: %s", tmp, strerror(errno));
    if (fclose(f) != 0 && !rc)
        rc = err_set(e, E_IO, "%s: %s", tmp, strerror(errno));
    if (!rc && rename(tmp, file) != 0)
        rc = err_set(e, E_IO, "%s: cannot rename to %s: %s", tmp, file, strerror(errno));
    if (rc)
        unlink(tmp);
    return rc;
}

int cmd_proof(int argc, char **argv)
{
    static const struct option opts[] = {{"credential", required_argument, 0, 'c'},
                                         {"out", required_argument, 0, 'o'},
                                         {"batch", required_argument, 0, 'b'},
                                         {"dir", required_argument, 0, 'd'},
                                         {"jsonl", required_argument, 0, 'j'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *cred = NULL, *outp = NULL, *dir = NULL, *batch = NULL, *jsonl = NULL;
    int c;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'c': cred = optarg; break;
        case 'o': outp = optarg; break;
        case 'b': batch = optarg; break;
        case 'd': dir = optarg; break;
        case 'j': jsonl = optarg; break;
        case 'h': fputs(PROOF_USAGE, stdout); return EXIT_OK;
        default: return cli_usage_error("proof", "unknown option");
        }
    }
    const char *hash_arg = optind < argc ? argv[optind] : NULL;
    if (optind + 1 < argc)
        return cli_usage_error("proof", "unexpected argument '%s'", argv[optind + 1]);
    struct cli_ctx cx;
    int code;
    err_code rc;
    if (batch) {
        if (!dir == !jsonl || cred || hash_arg || outp)
            return cli_usage_error("proof", "--batch N goes with one of --dir DIR or --jsonl FILE");
        char *end;
        uint64_t seq = strtoull(batch, &end, 10);
        if (*end || end == batch)
            return cli_usage_error("proof", "--batch needs a batch number");
        if ((code = cli_open(&cx)) != CLI_CONTINUE)
            return code;
        uint64_t written;
        if (dir) {
            rc = proof_export_batch(cx.store, seq, dir, &written, cli_progress_export, NULL,
                                    &cx.e);
        } else {
            rc = export_jsonl(cx.store, seq, jsonl, &written, &cx.e);
        }
        cli_close(&cx);
        if (rc)
            return cli_fail(rc == E_STATE ? EXIT_FAIL : cli_exit_for(rc), &cx.e);
        if (dir)
            printf("wrote %llu bundles to %s\n", (unsigned long long)written, dir);
        else
            fprintf(stderr, "notary: wrote %llu bundles to %s\n", (unsigned long long)written,
                    strcmp(jsonl, "-") == 0 ? "standard output" : jsonl);
        return EXIT_OK;
    }
    if ((cred != NULL) == (hash_arg != NULL))
        return cli_usage_error("proof", "give a HASH or --credential FILE");
    struct hash32 h;
    if ((code = cli_credential_arg(cred, hash_arg, &h)) != CLI_CONTINUE ||
        (code = cli_open(&cx)) != CLI_CONTINUE)
        return code;
    struct bundle b;
    rc = proof_for_credential(cx.store, &h, &b, &cx.e);
    cli_close(&cx);
    if (rc)
        return cli_fail(rc == E_NOT_FOUND ? EXIT_USAGE : EXIT_FAIL, &cx.e);
    if (!b.anchored)
        fprintf(stderr, "notary: batch %llu is not anchored yet: this bundle is pending and "
                        "will not verify until it is (run `notary anchor`)\n",
                (unsigned long long)b.batch.seq);
    if (outp) {
        if (bundle_write_file(&b, outp, &cx.e))
            return cli_fail(EXIT_FAIL, &cx.e);
    } else {
        struct buf out = {0};
        if (bundle_write(&b, &out, &cx.e))
            return cli_fail(EXIT_FAIL, &cx.e);
        fwrite(out.p, 1, out.len, stdout);
        buf_free(&out);
    }
    return EXIT_OK;
}

