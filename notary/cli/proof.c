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
#include "core/embed.h"
#include "core/fileio.h"
#include "notary/cli/commands.h"
#include "notary/cli/common.h"
#include "notary/issuance/proof.h"
#include "notary/issuance/qrcode.h"

static const char PROOF_USAGE[] =
    "usage: notary proof (HASH | --credential FILE) [--out FILE]\n"
    "       notary proof --credential FILE --embed [--out FILE]\n"
    "       notary proof (HASH | --credential FILE) --link BASE_URL [--qr FILE.png|FILE.svg]\n"
    "                    [--out FILE]\n"
    "       notary proof --batch N (--dir DIR | --jsonl FILE)\n"
    "\n"
    "Write the proof bundle (docs/proof-format.md) of one credential to standard\n"
    "output or FILE, or the bundles of every credential of batch N into DIR as\n"
    "<hash>.json, or into FILE as JSON Lines (one compact bundle per line, in leaf\n"
    "order; FILE - is standard output). A batch that is closed but not yet anchored\n"
    "gives *pending* bundles, which verifiers reject until the batch is anchored.\n"
    "\n"
    "  --embed           write the JSON credential FILE with its bundle embedded as a\n"
    "                    \"CredentialNotaryProof\" entry of its proof: one file for the\n"
    "                    holder, which `verifier verify FILE` checks without --proof\n"
    "  --link BASE_URL   print the verifier page link BASE_URL#bundle=<base64url of the\n"
    "                    bundle>: the bundle rides in the fragment, which browsers never\n"
    "                    send to a server (with --out, the bundle is written there too)\n"
    "  --qr FILE         with --link: also write a QR code of the link, PNG or SVG by\n"
    "                    the name's ending (error correction M, or L for a long link)\n";

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

/* Write the bundle, or the credential with it embedded, to `outp` (NULL:
 * standard output). */
static int write_result(const struct bundle *b, const char *embed_src, const char *outp,
                        struct err *e)
{
    struct buf out = {0}, cred = {0};
    err_code rc = E_OK;
    if (embed_src) {
        if (!(rc = file_read_all(embed_src, CREDENTIAL_MAX_BYTES, &cred, e)) &&
            (rc = embed_insert(cred.p, cred.len, b, &out, e)))
            err_prefix(e, "%s: cannot embed the bundle", embed_src);
    } else {
        rc = bundle_write(b, &out, e);
    }
    if (!rc && outp)
        rc = file_write_atomic(outp, out.p, out.len, 0644, e);
    else if (!rc)
        fwrite(out.p, 1, out.len, stdout);
    buf_free(&out);
    buf_free(&cred);
    if (rc)
        return cli_fail(rc == E_INVALID || rc == E_LIMIT ? EXIT_USAGE : EXIT_FAIL, e);
    return EXIT_OK;
}

/* --link (and --qr): print the link, write its QR code. */
static int write_link(const struct bundle *b, const char *base, const char *qr, struct err *e)
{
    struct buf url = {0};
    err_code rc = embed_link(base, b, &url, e);
    if (rc) {
        err_prefix(e, "--link");
        return cli_fail(EXIT_USAGE, e);
    }
    struct qr_info qi;
    if (qr && (rc = qr_write_file((const char *)url.p, qr, &qi, e))) {
        buf_free(&url);
        return cli_fail(rc == E_INVALID || rc == E_LIMIT ? EXIT_USAGE : EXIT_FAIL, e);
    }
    printf("%s\n", (const char *)url.p);
    if (qr)
        fprintf(stderr, "notary: wrote %s: QR code version %d, error correction %c, for a link "
                        "of %zu bytes\n",
                qr, qi.version, qi.level, url.len);
    buf_free(&url);
    return EXIT_OK;
}

int cmd_proof(int argc, char **argv)
{
    static const struct option opts[] = {{"credential", required_argument, 0, 'c'},
                                         {"out", required_argument, 0, 'o'},
                                         {"batch", required_argument, 0, 'b'},
                                         {"dir", required_argument, 0, 'd'},
                                         {"embed", no_argument, 0, 'E'},
                                         {"link", required_argument, 0, 'L'},
                                         {"qr", required_argument, 0, 'Q'},
                                         {"jsonl", required_argument, 0, 'j'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *cred = NULL, *outp = NULL, *dir = NULL, *batch = NULL, *link = NULL, *qr = NULL,
               *jsonl = NULL;
    bool embed = false;
    int c;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'c': cred = optarg; break;
        case 'o': outp = optarg; break;
        case 'b': batch = optarg; break;
        case 'd': dir = optarg; break;
        case 'j': jsonl = optarg; break;
        case 'E': embed = true; break;
        case 'L': link = optarg; break;
        case 'Q': qr = optarg; break;
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
        if (!dir == !jsonl || cred || hash_arg || outp || embed || link || qr)
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
    if (embed && !cred)
        return cli_usage_error("proof", "--embed needs the credential itself: --credential FILE");
    if (embed && cred && strcmp(cred, "-") == 0)
        return cli_usage_error("proof", "--embed reads the credential twice: give a file, not '-'");
    if (qr && !link)
        return cli_usage_error("proof", "--qr FILE goes with --link BASE_URL");
    if (embed && link && !outp)
        return cli_usage_error("proof", "--embed with --link needs --out FILE (standard output "
                                        "gets the link)");
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
    if ((!link || outp) && (code = write_result(&b, embed ? cred : NULL, outp, &cx.e)) != EXIT_OK)
        return code;
    return link ? write_link(&b, link, qr, &cx.e) : EXIT_OK;
}

