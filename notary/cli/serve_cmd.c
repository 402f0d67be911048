/*
 * notary/cli/serve_cmd.c — `notary serve` and `notary token`
 * (notary/cli/commands.h): argument parsing and output only; the service is
 * notary/service/serve.c, the tokens notary/service/tokens.c.
 */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "notary/cli/commands.h"
#include "notary/cli/common.h"
#include "notary/service/serve.h"
#include "notary/service/slog.h"
#include "notary/service/tokens.h"
#include "notary/store/store.h"

static const char SERVE_USAGE[] =
    "usage: notary serve [--listen HOST:PORT] [options]\n"
    "\n"
    "Run the notary as an HTTP service (routes: docs/openapi.yaml, or\n"
    "--print-routes): issuers submit hashes and credentials with a bearer\n"
    "token (`notary token add NAME`), anyone fetches proofs, batches and the\n"
    "revocation log. A scheduler closes the open batch daily at --close-at\n"
    "(UTC) and/or at --batch-cap credentials, anchors it with the issuer key\n"
    "(password from --password-file or $NOTARY_PASSWORD), retries with backoff\n"
    "when the ledger fails, and cuts a revocation checkpoint daily.\n"
    "SIGTERM/SIGINT: stop accepting, answer what was received, stop cleanly.\n"
    "SIGHUP: reload tokens. Logs: one JSON object per line on stderr.\n"
    "\n"
    "  --listen HOST:PORT      address to listen on (default 127.0.0.1:8080;\n"
    "                          port 0 picks a free one, see --port-file)\n"
    "  --port-file FILE        write the bound port to FILE once listening\n"
    "  --threads N             HTTP worker threads (default 4)\n"
    "  --close-at HH:MM|none   daily close time, UTC (default 00:00)\n"
    "  --close-every SEC       also close the open batch and cut a revocation\n"
    "                          checkpoint every SEC seconds\n"
    "  --batch-cap N           a batch holds at most N credentials: it is closed\n"
    "                          in the commit that fills it, or before a request\n"
    "                          that would not fit (a request is stored whole, so\n"
    "                          one of more than N hashes is refused); default\n"
    "                          1000000; 0 = no cap\n"
    "  --no-anchor             close batches but do not anchor (no key needed)\n"
    "  --no-scheduler          neither close nor anchor (API only)\n"
    "  --poll-ms MS            ledger polling while waiting for confirmations\n"
    "  --backoff-max SEC       longest wait between anchoring retries (default 300)\n"
    "  --final-depth D         re-check anchored batches for reorgs until D blocks\n"
    "                          deep (default 64; as `notary anchor`)\n"
    "  --check-every DAYS      run `notary check` against the ledger every DAYS\n"
    "                          days (a fraction is allowed; default 7; 0 = never);\n"
    "                          its result is logged and exported to /metrics\n"
    "  --max-body BYTES        largest submission body (default 16777216)\n"
    "  --timeout SEC           idle connection timeout (default 15)\n"
    "  --head-timeout SEC      a request's line and headers must be complete\n"
    "                          within SEC of the connection (or of the previous\n"
    "                          answer), however slowly they trickle (default 10)\n"
    "  --max-connections N     all clients together (default 1024)\n"
    "  --per-ip-connections N  per client address (default 64; 0 = no limit;\n"
    "                          behind a reverse proxy every client has the\n"
    "                          proxy's address: raise it, or let the proxy limit);\n"
    "                          refused and cut connections are logged as one\n"
    "                          summary line per 10 s\n"
    "  --cache-leaves N        proof cache size in leaves over all batches (default 4194304)\n"
    "  --drain-timeout SEC     on SIGTERM, wait this long for requests (default 30)\n"
    "  --access-log            one log line per request\n"
    "  --print-routes          print the route table and exit\n";

/* The numeric options of `serve`: the range each takes, and what a usage
 * error says ("... not 'ARG'"). */
static const struct serve_num_opt {
    int val;
    unsigned long long min, max;
    const char *msg;
} SERVE_NUM_OPTS[] = {
    {'t', 1, 256, "--threads must be 1..256, not"},
    {'e', 1, 86400 * 366, "--close-every takes seconds > 0, not"},
    {'c', 0, 1ull << 32, "--batch-cap takes a number of credentials, not"},
    {'p', 1, 600000, "--poll-ms takes milliseconds > 0, not"},
    {'F', 1, 1000000, "--final-depth takes blocks 1..1000000, not"},
    {'B', 1, 86400, "--backoff-max takes seconds > 0, not"},
    {'b', 100, 1ull << 30, "--max-body takes 100..1073741824 bytes, not"},
    {'T', 1, 3600, "--timeout takes seconds 1..3600, not"},
    {'H', 1, 3600, "--head-timeout takes seconds 1..3600, not"},
    {'m', 1, 1000000, "--max-connections takes a number > 0, not"},
    {'i', 0, 1000000, "--per-ip-connections takes a number, not"},
    {'C', 1, 1ull << 34, "--cache-leaves takes a number > 0, not"},
    {'d', 1, 3600, "--drain-timeout takes seconds 1..3600, not"},
};

/* If c is a numeric option: parse arg (decimal digits only, in its range)
 * into *v. Returns CLI_CONTINUE, or the exit status of a usage error. */
static int serve_num_arg(int c, const char *arg, unsigned long long *v)
{
    for (size_t i = 0; i < sizeof SERVE_NUM_OPTS / sizeof SERVE_NUM_OPTS[0]; i++) {
        const struct serve_num_opt *o = &SERVE_NUM_OPTS[i];
        if (o->val != c)
            continue;
        char *end;
        if (arg && *arg && *arg != '-') {
            *v = strtoull(arg, &end, 10);
            if (!*end && *v >= o->min && *v <= o->max)
                return CLI_CONTINUE;
        }
        return cli_usage_error("serve", "%s '%s'", o->msg, arg ? arg : "");
    }
    return CLI_CONTINUE;
}

int cmd_serve(int argc, char **argv)
{
    struct serve_config cfg = {.listen = "127.0.0.1:8080", .per_ip_connections = 64};
    cfg.sched.close_at_minute = 0;
    cfg.sched.size_cap = 1000000;
    cfg.sched.check_every_s = 7 * 86400;
    bool no_anchor = false;
    const struct cli_opt opts[] = {CLI_VALUE("listen", &cfg.listen),
                                   CLI_VALUE("port-file", &cfg.port_file),
                                   CLI_OPT("threads", required_argument, 't'),
                                   CLI_OPT("close-at", required_argument, 'a'),
                                   CLI_OPT("close-every", required_argument, 'e'),
                                   CLI_OPT("batch-cap", required_argument, 'c'),
                                   CLI_FLAG("no-anchor", &no_anchor),
                                   CLI_FLAG("no-scheduler", &cfg.no_scheduler),
                                   CLI_OPT("poll-ms", required_argument, 'p'),
                                   CLI_OPT("backoff-max", required_argument, 'B'),
                                   CLI_OPT("max-body", required_argument, 'b'),
                                   CLI_OPT("timeout", required_argument, 'T'),
                                   CLI_OPT("max-connections", required_argument, 'm'),
                                   CLI_OPT("head-timeout", required_argument, 'H'),
                                   CLI_OPT("per-ip-connections", required_argument, 'i'),
                                   CLI_OPT("cache-leaves", required_argument, 'C'),
                                   CLI_OPT("drain-timeout", required_argument, 'd'),
                                   CLI_FLAG("access-log", &cfg.access_log),
                                   CLI_OPT("print-routes", no_argument, 'R'),
                                   CLI_OPT("debug", no_argument, 'D'),
                                   CLI_HELP,
                                   CLI_OPT("final-depth", required_argument, 'F'),
                                   CLI_OPT("check-every", required_argument, 'K'),
                                   {0}};
    struct cli_args args = {"serve", SERVE_USAGE, opts, CLI_CONTINUE, NULL};
    unsigned long long v = 0;
    int c, code;
    while ((c = cli_next(&args, argc, argv)) != -1) {
        if ((code = serve_num_arg(c, optarg, &v)) != CLI_CONTINUE)
            return code;
        switch (c) {
        case 't': cfg.threads = (unsigned)v; break;
        case 'a':
            if (strcmp(optarg, "none") == 0) {
                cfg.sched.close_at_minute = -1;
            } else {
                unsigned hh, mm;
                char extra;
                if (sscanf(optarg, "%2u:%2u%c", &hh, &mm, &extra) != 2 || hh > 23 || mm > 59 ||
                    strlen(optarg) != 5)
                    return cli_usage_error(
                        "serve", "--close-at takes HH:MM (UTC) or none, not '%s'", optarg);
                cfg.sched.close_at_minute = (int)(hh * 60 + mm);
            }
            break;
        case 'e': cfg.sched.close_every_s = (unsigned)v; break;
        case 'c': cfg.sched.size_cap = v; break;
        case 'p': cfg.sched.poll_ms = (unsigned)v; break;
        case 'F': cfg.sched.final_depth = v; break;
        case 'K': {
            char *end;
            double days = strtod(optarg, &end);
            if (end == optarg || *end || !(days >= 0 && days <= 3650))
                return cli_usage_error("serve", "--check-every takes days 0..3650 (0 = never), "
                                                "not '%s'", optarg);
            cfg.sched.check_every_s = days > 0 ? (uint64_t)(days * 86400 + 0.5) : 0;
            if (days > 0 && !cfg.sched.check_every_s)
                cfg.sched.check_every_s = 1;
            break;
        }
        case 'B': cfg.sched.backoff_max_s = (unsigned)v; break;
        case 'b': cfg.max_body = (size_t)v; break;
        case 'T': cfg.timeout_s = (unsigned)v; break;
        case 'H': cfg.head_timeout_s = (unsigned)v; break;
        case 'm': cfg.max_connections = (unsigned)v; break;
        case 'i': cfg.per_ip_connections = (unsigned)v; break;
        case 'C': cfg.cache_leaves = v; break;
        case 'd': cfg.drain_timeout_s = (unsigned)v; break;
        case 'R': serve_print_routes(stdout, false); return EXIT_OK;
        case 'D': slog_set_debug(true); break;
        }
    }
    if ((code = cli_args_end(&args, argc, argv, 0)) != CLI_CONTINUE)
        return code;

    struct err e = {0};
    struct signer *sg = NULL;
    char *db = NULL;
    err_code rc = cli_store_url(&db, &e);
    if (rc)
        return cli_fail(cli_exit_for(rc), &e);
    cfg.db_path = db;
    if (!cfg.no_scheduler && !no_anchor) {
        if ((rc = cli_load_signer("anchoring needs the key password: set NOTARY_PASSWORD or "
                                  "pass --password-file FILE (or run with --no-anchor)",
                                  &sg, &e))) {
            slog("error", "start_failed", "{s:s}", "error", e.msg);
            free(db);
            return EXIT_USAGE;
        }
        cfg.sched.signer = sg;
    }
    rc = serve_run(&cfg, &e);
    signer_free(sg);
    free(db);
    if (rc) {
        slog("error", "start_failed", "{s:s}", "error", e.msg);
        return rc == E_INVALID || rc == E_NOT_FOUND ? EXIT_USAGE : EXIT_FAIL;
    }
    return EXIT_OK;
}

/* ---- notary token ------------------------------------------------------------ */

static const char TOKEN_USAGE[] =
    "usage: notary token add NAME [--json]\n"
    "       notary token list [--json]\n"
    "       notary token remove NAME\n"
    "\n"
    "Bearer tokens for the issuer endpoints of `notary serve`. `add` prints a\n"
    "new random token ONCE; only its SHA-256 is stored, so it cannot be shown\n"
    "again (add another and remove the lost one). A running server picks up\n"
    "changes within 5 seconds, or at once on SIGHUP. NAME: 1 to 64 letters,\n"
    "digits, '.', '_' or '-' (it appears in logs; the token never does).\n";

int cmd_token(int argc, char **argv)
{
    bool json = false;
    const char *args[3] = {0};
    int nargs = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--json"))
            json = true;
        else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
            return fputs(TOKEN_USAGE, stdout), EXIT_OK;
        else if (argv[i][0] == '-' || nargs == 2)
            return cli_usage_error("token", "unexpected argument '%s'", argv[i]);
        else
            args[nargs++] = argv[i];
    }
    if (nargs == 0)
        return cli_usage_error("token", "give add NAME, list or remove NAME");
    const char *sub = args[0], *name = args[1];
    bool add = !strcmp(sub, "add"), list = !strcmp(sub, "list"), rm = !strcmp(sub, "remove");
    if (!add && !list && !rm)
        return cli_usage_error("token", "unknown subcommand '%s'", sub);
    if ((add || rm) != (nargs == 2))
        return cli_usage_error("token", "%s",
                               list ? "list takes no NAME" : "this subcommand needs a NAME");
    struct err e = {0};
    struct store *s = NULL;
    char *db = NULL;
    err_code rc = cli_store_url(&db, &e);
    if (rc)
        return cli_fail(cli_exit_for(rc), &e);
    rc = store_open(db, false, &s, &e);
    free(db);
    if (rc) {
        fprintf(stderr, "notary: %s\n", e.msg);
        return rc == E_NOT_FOUND ? EXIT_USAGE : EXIT_FAIL;
    }
    int code = EXIT_OK;
    if (add) {
        char tok[TOKENS_LEN + 1];
        if ((rc = tokens_add(s, name, tok, &e))) {
            fprintf(stderr, "notary: %s\n", e.msg);
            code = rc == E_INVALID || rc == E_STATE ? EXIT_USAGE : EXIT_FAIL;
        } else if (json) {
            printf("{\"name\": \"%s\", \"token\": \"%s\"}\n", name, tok);
        } else {
            printf("%s\n", tok);
            fprintf(stderr, "notary: token '%s' created; it is shown only this once: keep it "
                            "secret, send it as 'Authorization: Bearer <token>'\n", name);
        }
        OPENSSL_cleanse(tok, sizeof tok);
    } else if (rm) {
        if ((rc = store_token_remove(s, name, &e))) {
            fprintf(stderr, "notary: %s\n", e.msg);
            code = rc == E_NOT_FOUND ? EXIT_USAGE : EXIT_FAIL;
        } else if (!json) {
            printf("token '%s' removed\n", name);
        }
    } else {
        struct store_token *v;
        size_t n;
        if ((rc = store_token_list(s, &v, &n, &e))) {
            fprintf(stderr, "notary: %s\n", e.msg);
            code = EXIT_FAIL;
        } else {
            json_t *arr = json_array();
            for (size_t i = 0; i < n; i++) {
                if (json) {
                    json_array_append_new(arr, json_pack("{s:s, s:I}", "name", v[i].name,
                                                         "createdAt", (json_int_t)v[i].created_at));
                } else {
                    char t[32];
                    time_t ct = (time_t)v[i].created_at;
                    struct tm tm;
                    gmtime_r(&ct, &tm);
                    strftime(t, sizeof t, "%Y-%m-%dT%H:%M:%SZ", &tm);
                    printf("%-24s created %s\n", v[i].name, t);
                }
            }
            if (json)
                cli_print_json(arr);
            else
                json_decref(arr);
            free(v);
        }
    }
    store_close(s);
    return code;
}
