/*
 * notary/cli/common.h — what every `notary` command shares, written once:
 * the global options, exit statuses, output (errors, usage errors, --json,
 * progress, log lines), where the notary's files are, opening the store
 * with its clear errors, and loading the key's password and the key.
 *
 * Only the `notary` command (notary/cli/) includes this; the library
 * (store, issuance, anchoring, service) never does. Messages go to stderr
 * prefixed "notary: ", results to stdout (JSON with --json).
 */
#ifndef NOTARY_CLI_COMMON_H
#define NOTARY_CLI_COMMON_H

#include <jansson.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

#include "anchor/evm.h"
#include "anchor/signer.h"
#include "core/error.h"
#include "notary/store/store.h"

/* Exit statuses of `notary` (see its --help). */
enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2, EXIT_PENDING = 3 };

/* Returned by the helpers below that either let a command go on or end it
 * with an exit status (help shown, usage error, store not opened). */
#define CLI_CONTINUE (-1)

/* The global options, set by main() before a command runs; `json` is set
 * by a command's --json. Strings point into argv (not owned). */
struct cli_globals {
    const char *data;          /* --data DIR, or NULL: $NOTARY_DATA, else ./notary-data */
    const char *password_file; /* --password-file FILE, or NULL: $NOTARY_PASSWORD */
    bool json;                 /* print results (and errors) as JSON on stdout */
    bool tty;                  /* stderr is a terminal: show progress */
};
extern struct cli_globals g_cli;

/* ---- output ---------------------------------------------------------------- */

/* Report e->msg on stderr ("notary: MSG"), and with --json also as
 * {"error": NAME, "message": MSG} on stdout. Returns `code`. */
int cli_fail(int code, const struct err *e);

/* The exit status for an error code: E_OK 0; E_INVALID, E_LIMIT,
 * E_NOT_FOUND, E_UNSUPPORTED 2 (usage/input); E_NETWORK 3 (not finished);
 * anything else 1. */
int cli_exit_for(err_code rc);

/* "notary CMD: MESSAGE\n(see `notary CMD --help`)" on stderr; returns 2. */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Print o indented on stdout with a newline, and release it (o may be NULL:
 * nothing is printed). */
void cli_print_json(json_t *o);

/* Progress on a terminal's stderr for long runs (10,000 items or more), in
 * the shapes the library's callbacks take; `arg` is unused. */
void cli_progress_submit(uint64_t done, uint64_t total, void *arg);
void cli_progress_export(uint64_t done, uint64_t total, void *arg);
void cli_progress_batch(const char *stage, uint64_t done, uint64_t total, void *arg);

/* A library log line ("notary: LINE" on stderr), for anchoring_cfg.log. */
void cli_log_line(void *arg, const char *fmt, va_list ap);

/* ---- arguments --------------------------------------------------------------- */

/* One option of a command, in a table that ends with {0}. An option with
 * `flag` is set true when given; one with `value` takes an argument and
 * keeps the last one given (a pointer into argv); any other is handed to
 * the command by cli_next with its `val` (a value from `optarg` when
 * has_arg is required_argument). Build entries with the macros below;
 * the table's order is the order getopt_long sees them in. */
struct cli_opt {
    const char *name; /* the long name, without "--" */
    int has_arg;      /* no_argument or required_argument (getopt.h) */
    int val;          /* for the command's switch (neither flag nor value) */
    bool *flag;
    const char **value;
};
#define CLI_FLAG(name, ptr) {(name), 0, 0, (ptr), NULL}
#define CLI_VALUE(name, ptr) {(name), 1, 0, NULL, (ptr)}
#define CLI_OPT(name, has_arg, val) {(name), (has_arg), (val), NULL, NULL}
#define CLI_JSON CLI_FLAG("json", &g_cli.json)
#define CLI_HELP CLI_OPT("help", 0, 'h')

/* Parsing one command's argv with a cli_opt table: what every command does
 * the same way. Fill cmd, usage and opts; code starts as CLI_CONTINUE. */
struct cli_args {
    const char *cmd;             /* "anchor": for "notary anchor: ..." usage errors */
    const char *usage;           /* printed on stdout by --help / -h */
    const struct cli_opt *opts;  /* at most 47 entries before the {0} */
    int code;                    /* CLI_CONTINUE, or the exit status to end with */
    const char *name;            /* the long name of the option cli_next returned */
};

/* The next option of argv (getopt_long with short options "h"; optind as
 * getopt leaves it). Flags and values are stored and skipped; --help/-h
 * prints a->usage (a->code = EXIT_OK); an unknown option or a missing value
 * is cli_usage_error(cmd, "unknown option") (a->code = 2). Returns the val
 * of an option for the command to handle (optarg set), or -1 when the
 * options end or a->code says to end. */
int cli_next(struct cli_args *a, int argc, char **argv);

/* After the options: a->code if it is not CLI_CONTINUE; else the usage
 * error "unexpected argument 'ARG'" when more than `nargs` arguments follow
 * the options; else CLI_CONTINUE. */
int cli_args_end(struct cli_args *a, int argc, char **argv, int nargs);

/* For a table of only flags and values (and help): every option, then
 * cli_args_end(nargs). */
int cli_parse(struct cli_args *a, int argc, char **argv, int nargs);

/* For commands whose only option is --json: parse argv; returns
 * CLI_CONTINUE to go on, or the exit status (help shown, usage error). */
int cli_parse_json_only(int argc, char **argv, const char *cmd, const char *usage);

/* --final-depth D: 1..1000000 into *out. Non-zero if arg is not that. */
int cli_parse_final_depth(const char *arg, uint64_t *out);

/* The credential a command names: its document `cred` (hashed as by
 * `submit`) or the 64-hex-digit `hash` (exactly one is non-NULL). On an
 * error, says it (exit 2 on stderr / --json) and returns EXIT_USAGE; else
 * fills *h and returns CLI_CONTINUE. */
int cli_credential_arg(const char *cred, const char *hash, struct hash32 *h);

/* ---- the notary's files ---------------------------------------------------------- */

/* DIR/file (malloc'd; NULL when out of memory), DIR as in g_cli.data. */
char *cli_data_path(const char *file);

/* The store's URL (*out malloc'd): $NOTARY_STORE if set, else the one
 * `notary init --store URL` kept in DIR/store.url, else the SQLite file
 * DIR/notary.db. Errors: E_INVALID (store.url empty), E_IO, E_NOMEM. The
 * URL may hold a database password: store.url is 0600. */
err_code cli_store_url(char **out, struct err *e) MUST_CHECK;

/* Open the store (create: for `init`). An existing store also gets any
 * interrupted batch close finished (batch_finish_pending). On failure *s
 * is NULL and e says why (E_NOT_FOUND: no notary here, run init). */
err_code cli_open_store(bool create, struct store **s, struct err *e) MUST_CHECK;

/* A command's open store and its error: the prelude of most commands.
 *
 *   struct cli_ctx cx;
 *   int code = cli_open(&cx);
 *   if (code != CLI_CONTINUE) return code;   // error already reported
 *   ... cx.store, &cx.e ...
 *   cli_close(&cx);
 */
struct cli_ctx {
    struct store *store;
    struct err e;
};

/* Open the existing store into cx. Returns CLI_CONTINUE, or the exit
 * status after reporting the error (cli_fail). */
int cli_open(struct cli_ctx *cx);

/* Close cx's store (cx.e stays readable). Idempotent. */
void cli_close(struct cli_ctx *cx);

/* ---- secrets and the ledger ---------------------------------------------------------- */

/* The key password (*pw: free with keystore_password_free) from
 * --password-file, else $NOTARY_PASSWORD. When neither is given, E_INVALID
 * with `missing` as the message (NULL: "the key password is needed: set
 * NOTARY_PASSWORD or pass --password-file FILE"). */
err_code cli_get_password(const char *missing, char **pw, struct err *e) MUST_CHECK;

/* The issuer key DIR/key.json, decrypted with cli_get_password(missing).
 * *sg: free with signer_free. */
err_code cli_load_signer(const char *missing, struct signer **sg, struct err *e) MUST_CHECK;

/* Connect to the store's ledger (rpc_url; its chain id is checked against
 * chain_id) with the given request timeout and attempts (0: defaults); also
 * read the configured confirmations and contract. *l: evm_close it (also
 * after an error). */
err_code cli_connect_ledger(struct store *s, unsigned timeout_ms, unsigned attempts,
                            struct evm_ledger *l, uint64_t *confirmations,
                            struct addr20 *contract, struct err *e) MUST_CHECK;

#endif
