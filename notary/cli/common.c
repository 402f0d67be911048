/*
 * notary/cli/common.c — the helpers every `notary` command shares
 * (contracts in common.h).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "anchor/keystore.h"
#include "core/bundle.h"
#include "core/credential.h"
#include "core/fileio.h"
#include "notary/cli/common.h"
#include "notary/issuance/batch.h"

struct cli_globals g_cli;

/* ---- output ---------------------------------------------------------------- */

int cli_fail(int code, const struct err *e)
{
    if (g_cli.json)
        cli_print_json(json_pack("{s:s, s:s}", "error", err_name(e->code), "message", e->msg));
    fprintf(stderr, "notary: %s\n", e->msg);
    return code;
}

int cli_exit_for(err_code rc)
{
    switch (rc) {
    case E_OK: return EXIT_OK;
    case E_INVALID:
    case E_LIMIT:
    case E_NOT_FOUND:
    case E_UNSUPPORTED: return EXIT_USAGE;
    case E_NETWORK: return EXIT_PENDING;
    default: return EXIT_FAIL;
    }
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "notary %s: ", cmd);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n(see `notary %s --help`)\n", cmd);
    va_end(ap);
    return EXIT_USAGE;
}

void cli_print_json(json_t *o)
{
    if (!o)
        return;
    json_dumpf(o, stdout, JSON_INDENT(2));
    fputc('\n', stdout);
    json_decref(o);
}

static void progress(const char *stage, uint64_t done, uint64_t total)
{
    if (!g_cli.tty || total < 10000)
        return;
    fprintf(stderr, "\r%s: %llu/%llu (%.0f%%)", stage, (unsigned long long)done,
            (unsigned long long)total, total ? 100.0 * (double)done / (double)total : 100.0);
    if (done >= total)
        fputc('\n', stderr);
}

void cli_progress_submit(uint64_t done, uint64_t total, void *arg)
{
    progress("storing", done, total);
}

void cli_progress_export(uint64_t done, uint64_t total, void *arg)
{
    progress("writing bundles", done, total);
}

void cli_progress_batch(const char *stage, uint64_t done, uint64_t total, void *arg)
{
    progress(stage, done, total);
}

void cli_log_line(void *arg, const char *fmt, va_list ap)
{
    fputs("notary: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

/* ---- arguments --------------------------------------------------------------- */

int cli_next(struct cli_args *a, int argc, char **argv)
{
    struct option lo[48];
    size_t n = 0;
    for (; a->opts[n].name && n < sizeof lo / sizeof lo[0] - 1; n++) {
        const struct cli_opt *o = &a->opts[n];
        bool mine = o->flag || o->value; /* handled here: told apart by its index */
        lo[n] = (struct option){o->name, o->value ? required_argument : o->has_arg, NULL,
                                mine ? 256 + (int)n : o->val};
    }
    lo[n] = (struct option){0, 0, 0, 0};
    int c;
    while (a->code == CLI_CONTINUE && (c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
        if (c >= 256 && c < 256 + (int)n) {
            const struct cli_opt *o = &a->opts[c - 256];
            if (o->flag)
                *o->flag = true;
            else
                *o->value = optarg;
        } else if (c == 'h') {
            fputs(a->usage, stdout);
            a->code = EXIT_OK;
        } else if (c == '?' || c == ':') {
            a->code = cli_usage_error(a->cmd, "unknown option");
        } else {
            a->name = NULL;
            for (size_t k = 0; k < n; k++)
                if (lo[k].val == c)
                    a->name = lo[k].name;
            return c;
        }
    }
    return -1;
}

int cli_args_end(struct cli_args *a, int argc, char **argv, int nargs)
{
    if (a->code != CLI_CONTINUE)
        return a->code;
    if (argc - optind > nargs)
        return cli_usage_error(a->cmd, "unexpected argument '%s'", argv[optind + nargs]);
    return CLI_CONTINUE;
}

int cli_parse(struct cli_args *a, int argc, char **argv, int nargs)
{
    while (cli_next(a, argc, argv) != -1)
        ; /* a table of flags and values only: nothing is handed back */
    return cli_args_end(a, argc, argv, nargs);
}

int cli_parse_json_only(int argc, char **argv, const char *cmd, const char *usage)
{
    const struct cli_opt opts[] = {CLI_JSON, CLI_HELP, {0}};
    struct cli_args a = {cmd, usage, opts, CLI_CONTINUE, NULL};
    return cli_parse(&a, argc, argv, 0);
}

int cli_parse_final_depth(const char *arg, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(arg, &end, 10);
    if (errno || *end || end == arg || arg[0] == '-' || v < 1 || v > 1000000)
        return -1;
    *out = v;
    return 0;
}

int cli_credential_arg(const char *cred, const char *hash, struct hash32 *h)
{
    struct err e = {0};
    enum credential_hashing how;
    if (cred ? credential_hash_file(cred, &how, h, &e) : hash32_from_hex(hash, h, &e))
        return cli_fail(EXIT_USAGE, &e);
    return CLI_CONTINUE;
}

/* ---- the notary's files ---------------------------------------------------------- */

char *cli_data_path(const char *file)
{
    const char *dir = g_cli.data ? g_cli.data : getenv("NOTARY_DATA");
    if (!dir || !*dir)
        dir = "notary-data";
    return file_join(dir, file);
}

err_code cli_store_url(char **out, struct err *e)
{
    *out = NULL;
    const char *env = getenv("NOTARY_STORE");
    if (env && *env)
        return (*out = strdup(env)) ? E_OK : err_set(e, E_NOMEM, "out of memory");
    char *file = cli_data_path("store.url");
    if (!file)
        return err_set(e, E_NOMEM, "out of memory");
    err_code rc = E_OK;
    if (access(file, F_OK) == 0) {
        struct buf b = {0};
        if (!(rc = file_read_all(file, 4096, &b, e)) && buf_append(&b, "", 1))
            rc = err_set(e, E_NOMEM, "out of memory");
        if (!rc) {
            char *u = (char *)b.p;
            u[strcspn(u, "\r\n")] = '\0';
            if (!*u)
                rc = err_set(e, E_INVALID, "%s is empty (it should hold the store URL)", file);
            else if (!(*out = strdup(u)))
                rc = err_set(e, E_NOMEM, "out of memory");
        }
        buf_free_wipe(&b);
    } else if (!(*out = cli_data_path("notary.db"))) {
        rc = err_set(e, E_NOMEM, "out of memory");
    }
    free(file);
    return rc;
}

err_code cli_open_store(bool create, struct store **s, struct err *e)
{
    char *db;
    *s = NULL;
    err_code rc = cli_store_url(&db, e);
    if (rc)
        return rc;
    rc = store_open(db, create, s, e);
    free(db);
    if (rc)
        return rc;
    if (!create && (rc = batch_finish_pending(*s, e))) {
        store_close(*s);
        *s = NULL;
    }
    return rc;
}

int cli_open(struct cli_ctx *cx)
{
    *cx = (struct cli_ctx){0};
    err_code rc = cli_open_store(false, &cx->store, &cx->e);
    return rc ? cli_fail(cli_exit_for(rc), &cx->e) : CLI_CONTINUE;
}

void cli_close(struct cli_ctx *cx)
{
    store_close(cx->store);
    cx->store = NULL;
}

/* ---- secrets and the ledger ---------------------------------------------------------- */

err_code cli_get_password(const char *missing, char **pw, struct err *e)
{
    if (g_cli.password_file)
        return keystore_password_from_env_or_file(g_cli.password_file, NULL, pw, e);
    err_code rc = keystore_password_from_env_or_file(NULL, "NOTARY_PASSWORD", pw, e);
    if (rc == E_NOT_FOUND)
        return err_set(e, E_INVALID, "%s",
                       missing ? missing
                               : "the key password is needed: set NOTARY_PASSWORD or pass "
                                 "--password-file FILE");
    return rc;
}

err_code cli_load_signer(const char *missing, struct signer **sg, struct err *e)
{
    char *pw = NULL, *key = cli_data_path("key.json");
    if (!key)
        return err_set(e, E_NOMEM, "out of memory");
    err_code rc = cli_get_password(missing, &pw, e);
    if (!rc)
        rc = keystore_load_signer(key, pw, sg, e);
    keystore_password_free(pw);
    free(key);
    return rc;
}

err_code cli_connect_ledger(struct store *s, unsigned timeout_ms, unsigned attempts,
                            struct evm_ledger *l, uint64_t *confirmations,
                            struct addr20 *contract, struct err *e)
{
    char *url = NULL, *chain = NULL, *conf = NULL, *addr = NULL;
    err_code rc;
    if ((rc = store_meta_get(s, "rpc_url", &url, e)) ||
        (rc = store_meta_get(s, "chain_id", &chain, e)) ||
        (rc = store_meta_get(s, "confirmations", &conf, e)) ||
        (rc = store_meta_get(s, "contract", &addr, e)))
        goto out;
    *confirmations = strtoull(conf, NULL, 10);
    if ((rc = addr20_from_hex(addr, contract, e)))
        goto out;
    struct rpc_options opt = {.url = url, .timeout_ms = timeout_ms, .max_attempts = attempts};
    rc = evm_connect(&opt, strtoull(chain, NULL, 10), l, e);
out:
    free(url);
    free(chain);
    free(conf);
    free(addr);
    return rc;
}
