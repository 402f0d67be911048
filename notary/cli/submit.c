/*
 * notary/cli/submit.c — `notary submit` (credentials into the open batch)
 * and `notary close` (close it: build its tree, fix its root).
 * Argument parsing and output (notary/cli/commands.h); the work is done
 * by the notary library.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/embed.h"
#include "core/fileio.h"
#include "notary/cli/commands.h"
#include "notary/cli/common.h"
#include "notary/issuance/batch_json.h"
#include "notary/issuance/batch.h"

/* Largest file of hex hashes `submit --file` reads (≈ 1.5M lines). */
#define HASH_FILE_MAX (100u * 1024 * 1024)

/* ---- submit -------------------------------------------------------------- */

static const char SUBMIT_USAGE[] =
    "usage: notary submit [HASH...] [--credential FILE]... [--file FILE | --stdin] [--json]\n"
    "\n"
    "Add credentials to the open batch. Each is stored durably before this\n"
    "command reports success; a hash already notarized is not added again (its\n"
    "existing record is shown).\n"
    "\n"
    "  HASH               a credential's SHA-256 as 64 hex digits (\"given\")\n"
    "  --credential FILE  a credential document (at most 16 MiB): JSON is canonicalized\n"
    "                     with RFC 8785 (JCS) and hashed; any other file is hashed as\n"
    "                     raw bytes\n"
    "  --file FILE        one hex hash per line, '#' comments and blank lines allowed;\n"
    "                     at most 100 MiB (about 1.5M hashes); FILE '-' = standard\n"
    "                     input. One --file or --stdin per command\n"
    "  --stdin            same as --file -\n"
    "  --json             print the result as JSON\n";

struct hashes {
    struct hash32 *h;
    enum credential_hashing *how;
    size_t n, cap;
};

static err_code hashes_add(struct hashes *hs, const struct hash32 *h, enum credential_hashing how,
                           struct err *e)
{
    if (hs->n == hs->cap) {
        size_t cap = hs->cap ? hs->cap * 2 : 64;
        struct hash32 *h2 = realloc(hs->h, cap * sizeof *h2);
        if (!h2)
            return err_set(e, E_NOMEM, "out of memory");
        hs->h = h2;
        enum credential_hashing *w2 = realloc(hs->how, cap * sizeof *w2);
        if (!w2)
            return err_set(e, E_NOMEM, "out of memory");
        hs->how = w2;
        hs->cap = cap;
    }
    hs->h[hs->n] = *h;
    hs->how[hs->n] = how;
    hs->n++;
    return E_OK;
}

static err_code read_hash_file(const char *path, struct hashes *hs, struct err *e)
{
    struct buf b;
    err_code rc = file_read_all(path, HASH_FILE_MAX, &b, e);
    if (rc)
        return rc;
    char *p = (char *)b.p, *end = p + b.len;
    unsigned long line = 0;
    while (p < end && !rc) {
        line++;
        char *nl = memchr(p, '\n', (size_t)(end - p));
        char *le = nl ? nl : end;
        char *q = le;
        while (q > p && (q[-1] == '\r' || q[-1] == ' ' || q[-1] == '\t'))
            q--;
        while (p < q && (*p == ' ' || *p == '\t'))
            p++;
        if (q - p >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0) {
            rc = err_set(e, E_INVALID, "%s:%lu: the line starts with a UTF-8 byte order mark "
                                       "(bytes EF BB BF, invisible in most editors); save the file "
                                       "as UTF-8 without BOM, or as plain ASCII",
                         strcmp(path, "-") ? path : "<stdin>", line);
        } else if (q > p && *p != '#') {
            struct hash32 h;
            if (hex_decode_exact(p, (size_t)(q - p), true, h.b, 32, e))
                rc = err_wrap(e, E_INVALID, "%s:%lu", strcmp(path, "-") ? path : "<stdin>", line);
            else
                rc = hashes_add(hs, &h, CRED_HASH_GIVEN, e);
        }
        p = le + 1;
    }
    buf_free(&b);
    return rc;
}

int cmd_submit(int argc, char **argv)
{
    static const struct option opts[] = {{"credential", required_argument, 0, 'c'},
                                         {"file", required_argument, 0, 'f'},
                                         {"stdin", no_argument, 0, 's'},
                                         {"json", no_argument, 0, 'j'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    struct hashes hs = {0};
    struct err e = {0};
    err_code rc = E_OK;
    int c, code = EXIT_OK;
    const char *hash_file = NULL;
    /* Credentials are hashed as they are named, so an error names the file. */
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1 && !rc) {
        switch (c) {
        case 'c': {
            struct hash32 h;
            enum credential_hashing how;
            if (!(rc = embed_notarize_hash_file(optarg, &how, &h, &e)))
                rc = hashes_add(&hs, &h, how, &e);
            break;
        }
        case 'f':
        case 's':
            /* One source of hash lines: a second one would silently replace
             * the first (and stdin cannot be read twice). */
            if (hash_file) {
                code = cli_usage_error("submit",
                                       "give one --file or --stdin, not both '%s' and '%s' "
                                       "(to submit several files: cat A B | notary submit "
                                       "--stdin)",
                                       strcmp(hash_file, "-") ? hash_file : "--stdin",
                                       c == 's' ? "--stdin" : optarg);
                goto done;
            }
            hash_file = c == 's' ? "-" : optarg;
            break;
        case 'j': g_cli.json = true; break;
        case 'h': fputs(SUBMIT_USAGE, stdout); goto done;
        default: code = cli_usage_error("submit", "unknown option"); goto done;
        }
    }
    for (int i = optind; i < argc && !rc; i++) {
        struct hash32 h;
        if (!(rc = hash32_from_hex(argv[i], &h, &e)))
            rc = hashes_add(&hs, &h, CRED_HASH_GIVEN, &e);
        else
            err_prefix(&e, "argument '%.80s' is not a 32-byte hex hash", argv[i]);
    }
    if (!rc && hash_file)
        rc = read_hash_file(hash_file, &hs, &e);
    if (rc) {
        code = cli_fail(EXIT_USAGE, &e);
        goto done;
    }
    if (hs.n == 0) {
        code = cli_usage_error("submit", "nothing to submit: give hashes, --credential or --file");
        goto done;
    }
    struct cli_ctx cx;
    if ((code = cli_open(&cx)) != CLI_CONTINUE)
        goto done;
    code = EXIT_OK;
    struct store_submitted *out = malloc(hs.n * sizeof *out);
    if (!out) {
        cli_close(&cx);
        err_set(&e, E_NOMEM, "out of memory");
        code = cli_fail(EXIT_FAIL, &e);
        goto done;
    }
    if (store_submit(cx.store, hs.h, hs.how, hs.n, out, cli_progress_submit, NULL, &cx.e)) {
        code = cli_fail(EXIT_FAIL, &cx.e);
    } else {
        size_t fresh = 0;
        for (size_t i = 0; i < hs.n; i++)
            fresh += !out[i].existed;
        if (g_cli.json) {
            json_t *items = json_array();
            for (size_t i = 0; i < hs.n && i < 10000; i++) {
                char hex[65];
                hash32_to_hex(&hs.h[i], hex);
                json_array_append_new(
                    items, json_pack("{s:s, s:s, s:I, s:I, s:b}", "hash", hex, "hashing",
                                     credential_hashing_name(hs.how[i]), "batch",
                                     (json_int_t)out[i].batch_seq, "leafIndex",
                                     (json_int_t)out[i].leaf_index, "existed", out[i].existed));
            }
            cli_print_json(json_pack("{s:I, s:I, s:I, s:o, s:b}", "submitted", (json_int_t)hs.n,
                                     "new", (json_int_t)fresh, "existing",
                                     (json_int_t)(hs.n - fresh), "items", items,
                                     "itemsTruncated", hs.n > 10000));
        } else {
            for (size_t i = 0; i < hs.n && i < 20; i++) {
                char hex[65];
                hash32_to_hex(&hs.h[i], hex);
                printf("%s  %-10s batch %llu #%llu%s\n", hex, credential_hashing_name(hs.how[i]),
                       (unsigned long long)out[i].batch_seq,
                       (unsigned long long)out[i].leaf_index,
                       out[i].existed ? "  (already notarized)" : "");
            }
            if (hs.n > 20)
                printf("... and %zu more\n", hs.n - 20);
            printf("%zu submitted: %zu new, %zu already notarized (stored durably)\n", hs.n,
                   fresh, hs.n - fresh);
        }
    }
    free(out);
    cli_close(&cx);
done:
    free(hs.h);
    free(hs.how);
    return code;
}

/* ---- close --------------------------------------------------------------- */

static const char CLOSE_USAGE[] =
    "usage: notary close [--json]\n"
    "\n"
    "Close the open batch: later submissions go to the next batch; the batch's\n"
    "RFC 9162 tree is built and its root stored. Then run `notary anchor`.\n";

int cmd_close(int argc, char **argv)
{
    struct cli_ctx cx;
    int code = cli_parse_json_only(argc, argv, "close", CLOSE_USAGE);
    if (code != CLI_CONTINUE || (code = cli_open(&cx)) != CLI_CONTINUE)
        return code;
    struct store_batch b;
    err_code rc = batch_close(cx.store, &b, cli_progress_batch, NULL, &cx.e);
    cli_close(&cx);
    if (rc)
        return cli_fail(rc == E_NOT_FOUND ? EXIT_FAIL : cli_exit_for(rc), &cx.e);
    if (g_cli.json) {
        json_t *o = json_object();
        batch_info_json_fill(o, &b, BATCH_JSON_CLI);
        cli_print_json(o);
    } else {
        char hex[65];
        hash32_to_hex(&b.root, hex);
        printf("closed batch %llu: %llu credentials, root %s\n", (unsigned long long)b.seq,
               (unsigned long long)b.size, hex);
        printf("next: `notary anchor` writes the root to the ledger\n");
    }
    return EXIT_OK;
}

