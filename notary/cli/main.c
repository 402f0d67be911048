/*
 * notary/cli/main.c — the `notary` command: argument parsing and output only;
 * the work is done by the notary library (store, batch, proof, anchoring,
 * deploy) so that tests can call it directly.
 *
 * Exit codes: 0 success; 1 the operation failed (the ledger refused, a batch
 * FAILED, a store error); 2 usage or input error; 3 not finished yet
 * (ledger unreachable, still waiting for confirmations, or `init --deploy`
 * waiting for its new key to be funded — run again).
 */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "anchor/evm.h"
#include "anchor/keystore.h"
#include "anchor/signer.h"
#include "core/bundle.h"
#include "core/credential.h"
#include "core/fileio.h"
#include "notary/anchoring/anchoring.h"
#include "notary/anchoring/anchoring_ebsi.h"
#include "notary/issuance/batch.h"
#include "notary/anchoring/deploy.h"
#include "notary/issuance/proof.h"
#include "notary/service/serve.h"
#include "notary/issuance/revocation.h"
#include "notary/store/store.h"

enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2, EXIT_PENDING = 3 };

/* Largest file of hex hashes `submit --file` reads (≈ 1.5M lines). */
#define HASH_FILE_MAX (100u * 1024 * 1024)

static const char *g_data = NULL;         /* --data DIR */
static const char *g_password_file = NULL; /* --password-file FILE */
static bool g_json = false;

static const char USAGE[] =
    "usage: notary [--data DIR] [--password-file FILE] COMMAND [options]\n"
    "\n"
    "Batch credential hashes into RFC 9162 Merkle trees, anchor each root on an\n"
    "EVM ledger, and hand out inclusion proofs anyone can verify.\n"
    "\n"
    "commands:\n"
    "  init      create the notary: key, ledger, registry contract\n"
    "  submit    add credential hashes or documents to the open batch\n"
    "  close     close the open batch: build its tree and fix its root\n"
    "  anchor    write closed batch roots to the ledger and wait for confirmations\n"
    "  proof     write the proof bundle of a credential, or of a whole batch\n"
    "  status    show configuration, batches and what is pending\n"
    "  revoke    revoke a credential: append it to the revocation log\n"
    "  checkpoint  cut a checkpoint of the revocation log and anchor it\n"
    "  revocations export  write the revocation log with its anchored checkpoints\n"
    "  serve     run the HTTP API with the batch scheduler (docs/openapi.yaml)\n"
    "  token     add, list or remove issuer tokens for the HTTP API\n"
    "\n"
    "global options:\n"
    "  --data DIR            notary directory (default: $NOTARY_DATA or ./notary-data)\n"
    "  --password-file FILE  key password from FILE (default: $NOTARY_PASSWORD)\n"
    "  -h, --help            this help; `notary COMMAND --help` for a command\n"
    "\n"
    "exit status: 0 ok, 1 failed, 2 usage or input error, 3 not finished yet\n"
    "(ledger unreachable, waiting for confirmations, or `init --deploy` waiting\n"
    "for the new key to be funded: run the command again).\n";

/* ---- output helpers ----------------------------------------------------- */

static int fail(int code, const struct err *e)
{
    if (g_json) {
        json_t *o = json_pack("{s:s, s:s}", "error", err_name(e->code), "message", e->msg);
        json_dumpf(o, stdout, JSON_INDENT(2));
        fputc('\n', stdout);
        json_decref(o);
    }
    fprintf(stderr, "notary: %s\n", e->msg);
    return code;
}

static int exit_for(err_code rc)
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

static int usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "notary %s: ", cmd);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n(see `notary %s --help`)\n", cmd);
    va_end(ap);
    return EXIT_USAGE;
}

static void print_json(json_t *o)
{
    json_dumpf(o, stdout, JSON_INDENT(2));
    fputc('\n', stdout);
    json_decref(o);
}

static bool g_tty;

static void progress(const char *stage, uint64_t done, uint64_t total)
{
    if (!g_tty || total < 10000)
        return;
    fprintf(stderr, "\r%s: %llu/%llu (%.0f%%)", stage, (unsigned long long)done,
            (unsigned long long)total, total ? 100.0 * (double)done / (double)total : 100.0);
    if (done >= total)
        fputc('\n', stderr);
}

static void progress_submit(uint64_t done, uint64_t total, void *arg)
{
    progress("storing", done, total);
}

static void progress_export(uint64_t done, uint64_t total, void *arg)
{
    progress("writing bundles", done, total);
}

static void progress_batch(const char *stage, uint64_t done, uint64_t total, void *arg)
{
    progress(stage, done, total);
}

static void log_line(void *arg, const char *fmt, va_list ap)
{
    fputs("notary: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

static char *data_path(const char *file)
{
    const char *dir = g_data ? g_data : getenv("NOTARY_DATA");
    if (!dir || !*dir)
        dir = "notary-data";
    size_t n = strlen(dir) + strlen(file) + 2;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s/%s", dir, file);
    return p;
}

/* The store's URL (*out malloc'd): $NOTARY_STORE if set, else the one
 * `notary init --store URL` kept in DIR/store.url, else the SQLite file
 * DIR/notary.db. The URL may hold a database password: store.url is 0600. */
static err_code store_url(char **out, struct err *e)
{
    *out = NULL;
    const char *env = getenv("NOTARY_STORE");
    if (env && *env)
        return (*out = strdup(env)) ? E_OK : err_set(e, E_NOMEM, "out of memory");
    char *file = data_path("store.url");
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
    } else if (!(*out = data_path("notary.db"))) {
        rc = err_set(e, E_NOMEM, "out of memory");
    }
    free(file);
    return rc;
}

static err_code open_store(bool create, struct store **s, struct err *e)
{
    char *db;
    err_code rc = store_url(&db, e);
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

static err_code get_password(char **pw, struct err *e)
{
    if (g_password_file)
        return keystore_password_from_env_or_file(g_password_file, NULL, pw, e);
    err_code rc = keystore_password_from_env_or_file(NULL, "NOTARY_PASSWORD", pw, e);
    if (rc == E_NOT_FOUND)
        return err_set(e, E_INVALID, "the key password is needed: set NOTARY_PASSWORD or pass "
                                     "--password-file FILE");
    return rc;
}

/* Connect to the configured ledger (chain id checked) and load the key. */
static err_code connect_ledger(struct store *s, unsigned timeout_ms, unsigned attempts,
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

static err_code load_signer(struct signer **sg, struct err *e)
{
    char *pw = NULL, *key = data_path("key.json");
    if (!key)
        return err_set(e, E_NOMEM, "out of memory");
    err_code rc = get_password(&pw, e);
    if (!rc)
        rc = keystore_load_signer(key, pw, sg, e);
    keystore_password_free(pw);
    free(key);
    return rc;
}

/* ---- init ---------------------------------------------------------------- */

static const char INIT_USAGE[] =
    "usage: notary init --rpc URL (--deploy | --contract ADDR) [options]\n"
    "       notary init --ledger ebsi --timestamp-api URL --rpc LEDGER_URL\n"
    "                   --timestamp-contract ADDR [--token-file FILE] [options]\n"
    "\n"
    "Create the notary directory: a new or imported issuer key (keystore v3,\n"
    "mode 0600, encrypted with the password from --password-file or\n"
    "$NOTARY_PASSWORD), the ledger it anchors to (the chain id is checked), and\n"
    "the registry contract (deployed now, or an existing one).\n"
    "\n"
    "The key is written first (DIR/key.json) and kept if init stops later. A new\n"
    "key's account holds no funds on a real chain: with --deploy, init then sends\n"
    "nothing, prints the address and about how much to fund it with (estimated\n"
    "gas x fee per gas), and exits 3. Fund it, and run the same command again: it\n"
    "resumes with the kept key (same password) and deploys.\n"
    "\n"
    "  --rpc URL            ledger JSON-RPC endpoint (http or https)\n"
    "  --chain-id N         refuse a ledger whose eth_chainId is not N\n"
    "  --deploy             deploy the NotaryRegistry contract with the issuer key\n"
    "  --contract ADDR      use an existing NotaryRegistry at ADDR\n"
    "  --import-key FILE    issuer key: a file (mode 0600) with the private key in\n"
    "                       hex, or a keystore v3 file with the same password;\n"
    "                       default: generate a new key\n"
    "  --confirmations N    blocks that must include an anchor before it counts (default 1)\n"
    "  --kdf-light          weak keystore encryption, FOR TESTS ONLY\n"
    "  --store URL          where the notary's state lives: sqlite:PATH, or\n"
    "                       postgresql://USER@HOST:PORT/DB (an existing database;\n"
    "                       several `notary serve` may share it). Kept in\n"
    "                       DIR/store.url (mode 0600); $NOTARY_STORE overrides it.\n"
    "                       Default: DIR/notary.db (SQLite)\n"
    "  --replace-unrecognised-store  a SQLite file at the store's path that is not a\n"
    "                       notary database (empty, foreign or damaged) is refused;\n"
    "                       with this, init renames it to PATH.unrecognised-TIME\n"
    "                       (deleting nothing) and creates the notary. A notary's\n"
    "                       database is never replaced\n"
    "  --json               print the result as JSON\n"
    "\n"
    "EBSI (--ledger ebsi): transactions are built by EBSI's Timestamp API, checked,\n"
    "signed here and sent back; --rpc is the (read) ledger API.\n"
    "  --timestamp-api URL        the Timestamp API JSON-RPC endpoint\n"
    "  --timestamp-contract ADDR  the Timestamp contract its transactions must call\n"
    "  --token-file FILE          access token (timestamp_write scope), mode 0600;\n"
    "                             or $NOTARY_EBSI_TOKEN when anchoring\n"
    "  --hash-algorithm-id N      the API's id for SHA-256 (default 0)\n";

static err_code import_key(const char *path, const char *pw, struct signer **out, struct err *e)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return err_set(e, E_NOT_FOUND, "%s: %s", path, strerror(errno));
    if (st.st_mode & 077)
        return err_set(e, E_STATE, "%s: mode %04o is too open for a key; run chmod 600 %s", path,
                       (unsigned)(st.st_mode & 0777), path);
    struct buf b;
    err_code rc = file_read_all(path, 64 * 1024, &b, e);
    if (rc)
        return rc;
    size_t i = 0;
    while (i < b.len && (b.p[i] == ' ' || b.p[i] == '\n' || b.p[i] == '\r' || b.p[i] == '\t'))
        i++;
    if (i < b.len && b.p[i] == '{') {
        rc = keystore_load_signer(path, pw, out, e);
    } else {
        size_t end = b.len;
        while (end > i && (b.p[end - 1] == '\n' || b.p[end - 1] == '\r' || b.p[end - 1] == ' '))
            end--;
        uint8_t key[32];
        rc = hex_decode_exact((const char *)b.p + i, end - i, true, key, 32, NULL);
        if (rc)
            rc = err_set(e, E_INVALID, "%s: not a keystore and not a 32-byte hex private key",
                         path);
        else
            rc = signer_from_privkey(key, out, e);
        OPENSSL_cleanse(key, sizeof key);
    }
    buf_free_wipe(&b);
    return rc;
}

/* Rename the SQLite file `path` that is not a notary database (and any
 * -wal, -shm or -journal beside it) to PATH.unrecognised-TIME, so that init
 * can create a notary there without destroying what the file held. */
static err_code set_aside_store(const char *path, struct err *e)
{
    char stamp[32], to[4300];
    time_t now = time(NULL);
    struct tm tm;
    strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", gmtime_r(&now, &tm));
    snprintf(to, sizeof to, "%s.unrecognised-%s", path, stamp);
    if (access(to, F_OK) == 0)
        return err_set(e, E_STATE, "%s already exists; run init again in a second", to);
    static const char *const suffixes[] = {"-wal", "-shm", "-journal", ""}; /* the file last */
    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
        char a[4300], b[4400];
        snprintf(a, sizeof a, "%s%s", path, suffixes[i]);
        snprintf(b, sizeof b, "%s%s", to, suffixes[i]);
        if (access(a, F_OK) == 0 && rename(a, b) != 0)
            return err_set(e, E_IO, "cannot set %s aside as %s: %s", a, b, strerror(errno));
    }
    fprintf(stderr, "notary: %s was not a notary database: kept as %s\n", path, to);
    return E_OK;
}

/* `init` found DIR/key.json, kept by an earlier init that did not finish
 * (typically: the new account had no funds to deploy). Load it (same
 * password); an --import-key must be that same key. */
static err_code resume_key(const char *key, const char *import, const char *pw,
                           struct signer **sg, struct err *e)
{
    err_code rc = keystore_load_signer(key, pw, sg, e);
    if (rc)
        return err_wrap(e, rc, "%s, the issuer key kept by an earlier `notary init` here", key);
    struct addr20 a, b;
    char ha[43], hb[43];
    signer_address(*sg, &a);
    eth_address_checksum(&a, ha);
    if (import) {
        struct signer *other = NULL;
        if ((rc = import_key(import, pw, &other, e)))
            return rc;
        signer_address(other, &b);
        signer_free(other);
        eth_address_checksum(&b, hb);
        if (!addr20_eq(&a, &b))
            return err_set(e, E_STATE, "%s already holds the issuer key %s (kept by an earlier "
                                       "`notary init` here), not %s from --import-key: use another "
                                       "--data directory, or move %s away",
                           key, ha, hb, key);
    }
    fprintf(stderr, "notary: resuming with the issuer key kept in %s (%s)\n", key, ha);
    return E_OK;
}

static void u128_dec(unsigned __int128 v, char out[48])
{
    char w[48], *p = w + sizeof w;
    *--p = '\0';
    do
        *--p = (char)('0' + (int)(v % 10));
    while ((v /= 10) != 0);
    snprintf(out, 48, "%s", p);
}

/* The new issuer's account cannot pay for the deployment: say what to fund
 * and how to go on; exit 3 (not finished: run again once funded). */
static int unfunded(const char *issuer, const char *key, const struct deploy_cost *c)
{
    char need[64], have[64], need_wei[48], have_wei[48], fee[48];
    deploy_format_ether(c->need, need);
    deploy_format_ether(c->balance, have);
    u128_dec(c->need, need_wei);
    u128_dec(c->balance, have_wei);
    u128_dec(c->fee_per_gas, fee);
    if (g_json) {
        print_json(json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:s, s:s}", "error", "unfunded",
                             "issuer", issuer, "key", key, "needWei", need_wei, "balanceWei",
                             have_wei, "gas", (json_int_t)c->gas, "feePerGasWei", fee, "message",
                             "fund the issuer address, then run the same notary init again"));
    }
    fprintf(stderr,
            "notary: the issuer account %s cannot pay for deploying the registry contract yet:\n"
            "  it holds   %s ETH\n"
            "  deploying  about %s ETH (gas %llu x %s wei per gas)\n"
            "Fund %s with at least that (more leaves room for anchoring: ~70k gas per batch),\n"
            "then run the same `notary init ... --deploy` again: it resumes with the key kept in\n"
            "%s (keystore v3, mode 0600; same password).\n",
            issuer, have, need, (unsigned long long)c->gas, fee, issuer, key);
    return EXIT_PENDING;
}

static int cmd_init(int argc, char **argv)
{
    static const struct option opts[] = {
        {"rpc", required_argument, 0, 'r'},        {"chain-id", required_argument, 0, 'c'},
        {"deploy", no_argument, 0, 'd'},           {"contract", required_argument, 0, 'C'},
        {"import-key", required_argument, 0, 'k'}, {"confirmations", required_argument, 0, 'n'},
        {"kdf-light", no_argument, 0, 'L'},        {"json", no_argument, 0, 'j'},
        {"ledger", required_argument, 0, 'l'},     {"timestamp-api", required_argument, 0, 'a'},
        {"timestamp-contract", required_argument, 0, 'S'},
        {"token-file", required_argument, 0, 'T'}, {"hash-algorithm-id", required_argument, 0, 'H'},
        {"store", required_argument, 0, 'u'},
        {"replace-unrecognised-store", no_argument, 0, 'R'},
        {"help", no_argument, 0, 'h'},             {0, 0, 0, 0}};
    const char *rpc = NULL, *contract = NULL, *import = NULL, *store_arg = NULL;
    const char *ledger_name = "evm", *ts_api = NULL, *ts_contract = NULL, *token_file = NULL,
               *hash_alg = NULL;
    uint64_t chain_id = 0, confirmations = 1;
    bool deploy = false, light = false, replace_store = false, set_aside = false;
    int c;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'r': rpc = optarg; break;
        case 'c': chain_id = strtoull(optarg, NULL, 10); break;
        case 'd': deploy = true; break;
        case 'C': contract = optarg; break;
        case 'k': import = optarg; break;
        case 'n': confirmations = strtoull(optarg, NULL, 10); break;
        case 'L': light = true; break;
        case 'j': g_json = true; break;
        case 'l': ledger_name = optarg; break;
        case 'a': ts_api = optarg; break;
        case 'S': ts_contract = optarg; break;
        case 'T': token_file = optarg; break;
        case 'H': hash_alg = optarg; break;
        case 'u': store_arg = optarg; break;
        case 'R': replace_store = true; break;
        case 'h': fputs(INIT_USAGE, stdout); return EXIT_OK;
        default: return usage_error("init", "unknown option");
        }
    }
    if (optind < argc)
        return usage_error("init", "unexpected argument '%s'", argv[optind]);
    if (!rpc)
        return usage_error("init", "--rpc URL is required");
    bool ebsi = strcmp(ledger_name, "ebsi") == 0;
    if (!ebsi && strcmp(ledger_name, "evm") != 0)
        return usage_error("init", "--ledger is evm (default) or ebsi");
    if (ebsi && (!ts_api || !ts_contract || deploy || contract))
        return usage_error("init", "--ledger ebsi needs --timestamp-api URL and "
                                   "--timestamp-contract ADDR (not --deploy or --contract)");
    if (!ebsi && (ts_api || ts_contract || token_file || hash_alg))
        return usage_error("init", "--timestamp-api, --timestamp-contract, --token-file and "
                                   "--hash-algorithm-id go with --ledger ebsi");
    if (ebsi)
        contract = ts_contract;
    if (deploy == (contract != NULL))
        return usage_error("init", "give exactly one of --deploy and --contract ADDR");
    if (confirmations < 1 || confirmations > 1000)
        return usage_error("init", "--confirmations must be 1..1000");

    struct err e = {0};
    struct addr20 contract_addr;
    if (contract && addr20_from_hex(contract, &contract_addr, &e))
        return fail(EXIT_USAGE, &e);
    char *dir = data_path(""), *db = NULL, *key = data_path("key.json");
    char *url_file = data_path("store.url");
    struct store *s = NULL;
    struct signer *sg = NULL;
    struct evm_ledger l = {0};
    char *pw = NULL;
    err_code rc = E_OK;
    bool created = false, key_kept = false;
    int code = EXIT_FAIL;
    if (!dir || !key || !url_file ||
        (store_arg && !(db = strdup(store_arg)))) {
        rc = err_set(&e, E_NOMEM, "out of memory");
        goto out;
    }
    if (!store_arg && (rc = store_url(&db, &e)))
        goto out;
    dir[strlen(dir) - 1] = '\0';
    bool pg = store_url_is_pg(db);
    const char *db_file = strncmp(db, "sqlite:", 7) == 0 ? db + 7 : db;
    if (!pg && access(db_file, F_OK) == 0) {
        /* A notary is never overwritten; a file that is not one (emptied,
         * foreign, garbage) only with --replace-unrecognised-store, and then
         * it is set aside, not deleted. */
        struct store *old = NULL;
        rc = store_open(db, false, &old, &e);
        store_close(old);
        if (rc == E_OK || rc == E_UNSUPPORTED) {
            rc = err_set(&e, E_STATE, "%s already holds a notary; use another --data directory",
                         dir);
            goto out;
        }
        if (rc != E_NOT_FOUND)
            goto out;
        if (!replace_store) {
            err_prefix(&e, "init will not overwrite %s", db_file);
            goto out;
        }
        err_clear(&e);
        rc = E_OK;
        set_aside = true;
    }
    if (access(url_file, F_OK) == 0) {
        rc = err_set(&e, E_STATE, "%s already names a store (store.url); use another --data "
                                  "directory", dir);
        goto out;
    }
    if (pg) { /* a notary is there once init has written its issuer */
        char *issuer = NULL, shown[300];
        rc = store_open(db, false, &s, &e);
        if (rc == E_OK && store_meta_get(s, "issuer", &issuer, NULL) == E_OK)
            rc = err_set(&e, E_STATE, "the store %s already holds a notary (issuer %s)",
                         store_url_redact(db, shown, sizeof shown), issuer);
        free(issuer);
        store_close(s);
        s = NULL;
        if (rc == E_NOT_FOUND)
            err_clear(&e), rc = E_OK;
        if (rc)
            goto out;
    }
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        rc = err_set(&e, E_IO, "%s: cannot create: %s", dir, strerror(errno));
        goto out;
    }
    if ((rc = get_password(&pw, &e)))
        goto out;
    struct rpc_options opt = {.url = rpc};
    if ((rc = evm_connect(&opt, chain_id, &l, &e)))
        goto out;
    /* The key is written before anything is asked of the ledger with it, and
     * kept whatever happens next: a new issuer's account must be funded
     * before it can deploy, so its address has to survive a refusal. A key
     * kept by an earlier init in this directory is used again (resuming). */
    if (access(key, F_OK) == 0) {
        if ((rc = resume_key(key, import, pw, &sg, &e)))
            goto out;
    } else {
        if ((rc = import ? import_key(import, pw, &sg, &e) : signer_generate(&sg, &e)) ||
            (rc = keystore_write(key, sg, pw, light ? &KEYSTORE_SCRYPT_LIGHT : NULL, &e)))
            goto out;
    }
    key_kept = true;
    struct addr20 issuer;
    signer_address(sg, &issuer);
    char issuer_hex[43];
    eth_address_checksum(&issuer, issuer_hex);
    if (deploy) {
        struct deploy_cost cost;
        if ((rc = deploy_registry_cost(&l, &issuer, &cost, &e)))
            goto out;
        if (!cost.enough) {
            code = unfunded(issuer_hex, key, &cost);
            goto out;
        }
        fprintf(stderr, "notary: deploying the registry contract...\n");
        if ((rc = deploy_registry(&l, sg, confirmations, 120, &contract_addr, &e)))
            goto out;
    } else if (ebsi) {
        bool committed;
        if ((rc = anchoring_ebsi_check_contract(&l, &contract_addr, &committed, &e)))
            goto out;
        if (!committed)
            fprintf(stderr, "notary: note: the code at --timestamp-contract is not the committed "
                            "contracts/Timestamp.sol (expected on EBSI itself)\n");
    } else if ((rc = deploy_check_registry(&l, &contract_addr, &e))) {
        goto out;
    }
    /* From here on a failure removes the store this init wrote (the key
     * stays), so it can simply be run again. */
    created = true;
    if (store_arg && (rc = file_write_atomic(url_file, store_arg, strlen(store_arg), 0600, &e)))
        goto out;
    if (set_aside && (rc = set_aside_store(db_file, &e)))
        goto out;
    if ((rc = store_open(db, true, &s, &e)))
        goto out;
    char chain[24], conf[24], contract_hex[43];
    snprintf(chain, sizeof chain, "%llu", (unsigned long long)l.chain_id);
    snprintf(conf, sizeof conf, "%llu", (unsigned long long)confirmations);
    eth_address_checksum(&contract_addr, contract_hex);
    if ((rc = store_meta_set(s, "ledger", ebsi ? "ebsi" : "evm", &e)) ||
        (ebsi && (rc = anchoring_ebsi_configure(s, ts_api, token_file, hash_alg, &e))) ||
        (rc = store_meta_set(s, "rpc_url", rpc, &e)) ||
        (rc = store_meta_set(s, "chain_id", chain, &e)) ||
        (rc = store_meta_set(s, "confirmations", conf, &e)) ||
        (rc = store_meta_set(s, "contract", contract_hex, &e)) ||
        (rc = store_meta_set(s, "issuer", issuer_hex, &e)))
        goto out;
    if (g_json) {
        print_json(json_pack("{s:s, s:I, s:s, s:s, s:I, s:s}", "data", dir, "chainId",
                             (json_int_t)l.chain_id, "contract", contract_hex, "issuer",
                             issuer_hex, "confirmations", (json_int_t)confirmations, "key", key));
    } else {
        printf("notary initialised in %s\n", dir);
        printf("  issuer address  %s\n", issuer_hex);
        char shown[300];
        printf("  ledger          %s (chain %llu)\n", rpc_url_redact(rpc, shown, sizeof shown),
               (unsigned long long)l.chain_id);
        printf("  registry        %s%s\n", contract_hex, deploy ? " (deployed now)" : "");
        printf("  confirmations   %llu\n", (unsigned long long)confirmations);
        printf("  key             %s (keystore v3, mode 0600)\n", key);
    }
    code = EXIT_OK;
out:
    if (rc)
        code = fail(exit_for(rc), &e);
    keystore_password_free(pw);
    signer_free(sg);
    evm_close(&l);
    store_close(s);
    if (rc && created) {
        static const char *const suffixes[] = {"", "-wal", "-shm", ".lock"};
        for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0] && !store_url_is_pg(db); i++) {
            char p[4200];
            snprintf(p, sizeof p, "%s%s", strncmp(db, "sqlite:", 7) == 0 ? db + 7 : db,
                     suffixes[i]);
            unlink(p);
        }
        if (store_arg)
            unlink(url_file);
    }
    if (rc && key_kept)
        fprintf(stderr, "notary: init did not complete; the issuer key stays in %s for the next "
                        "`notary init` in %s (same password), which resumes with it\n",
                key, dir);
    free(dir);
    free(db);
    free(key);
    free(url_file);
    return code;
}

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

static int cmd_submit(int argc, char **argv)
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
            if (!(rc = credential_hash_file(optarg, &how, &h, &e)))
                rc = hashes_add(&hs, &h, how, &e);
            break;
        }
        case 'f':
        case 's':
            /* One source of hash lines: a second one would silently replace
             * the first (and stdin cannot be read twice). */
            if (hash_file) {
                code = usage_error("submit", "give one --file or --stdin, not both '%s' and '%s' "
                                             "(to submit several files: cat A B | notary submit "
                                             "--stdin)",
                                   strcmp(hash_file, "-") ? hash_file : "--stdin",
                                   c == 's' ? "--stdin" : optarg);
                goto done;
            }
            hash_file = c == 's' ? "-" : optarg;
            break;
        case 'j': g_json = true; break;
        case 'h': fputs(SUBMIT_USAGE, stdout); goto done;
        default: code = usage_error("submit", "unknown option"); goto done;
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
        code = fail(EXIT_USAGE, &e);
        goto done;
    }
    if (hs.n == 0) {
        code = usage_error("submit", "nothing to submit: give hashes, --credential or --file");
        goto done;
    }
    struct store *s;
    if ((rc = open_store(false, &s, &e))) {
        code = fail(exit_for(rc), &e);
        goto done;
    }
    struct store_submitted *out = malloc(hs.n * sizeof *out);
    if (!out) {
        store_close(s);
        err_set(&e, E_NOMEM, "out of memory");
        code = fail(EXIT_FAIL, &e);
        goto done;
    }
    if ((rc = store_submit(s, hs.h, hs.how, hs.n, out, progress_submit, NULL, &e))) {
        code = fail(EXIT_FAIL, &e);
    } else {
        size_t fresh = 0;
        for (size_t i = 0; i < hs.n; i++)
            fresh += !out[i].existed;
        if (g_json) {
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
            print_json(json_pack("{s:I, s:I, s:I, s:o, s:b}", "submitted", (json_int_t)hs.n,
                                 "new", (json_int_t)fresh, "existing",
                                 (json_int_t)(hs.n - fresh), "items", items, "itemsTruncated",
                                 hs.n > 10000));
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
    store_close(s);
done:
    free(hs.h);
    free(hs.how);
    return code;
}

/* Commands whose only option is --json: parse it; returns -1 to go on, or
 * the exit status (help shown, usage error). */
static int parse_json_only(int argc, char **argv, const char *cmd, const char *usage)
{
    static const struct option opts[] = {
        {"json", no_argument, 0, 'j'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (c == 'j')
            g_json = true;
        else if (c == 'h')
            return fputs(usage, stdout), EXIT_OK;
        else
            return usage_error(cmd, "unknown option");
    }
    if (optind < argc)
        return usage_error(cmd, "unexpected argument '%s'", argv[optind]);
    return -1;
}

/* ---- close --------------------------------------------------------------- */

static void batch_json_fill(json_t *o, const struct store_batch *b)
{
    char hex[67], t[21];
    struct err ignore;
    json_object_set_new(o, "seq", json_integer((json_int_t)b->seq));
    json_object_set_new(o, "state", json_string(batch_state_name(b->state)));
    json_object_set_new(o, "size", json_integer((json_int_t)b->size));
    if (b->has_root) {
        hash32_to_hex(&b->root, hex);
        json_object_set_new(o, "root", json_string(hex));
    }
    if (b->closed_at && bundle_time_format(b->closed_at, t, &ignore) == E_OK)
        json_object_set_new(o, "closedAt", json_string(t));
    if (b->has_tx) {
        hash32_to_hex0x(&b->tx_hash, hex);
        json_object_set_new(o, "txHash", json_string(hex));
        json_object_set_new(o, "nonce", json_integer((json_int_t)b->nonce));
    }
    if (b->state == BATCH_ANCHORED) {
        json_object_set_new(o, "blockNumber", json_integer((json_int_t)b->block_number));
        hash32_to_hex0x(&b->block_hash, hex);
        json_object_set_new(o, "blockHash", json_string(hex));
        json_object_set_new(o, "blockTime", json_integer((json_int_t)b->block_time));
    }
    if (b->last_error[0])
        json_object_set_new(o, "reason", json_string(b->last_error));
}

static const char CLOSE_USAGE[] =
    "usage: notary close [--json]\n"
    "\n"
    "Close the open batch: later submissions go to the next batch; the batch's\n"
    "RFC 9162 tree is built and its root stored. Then run `notary anchor`.\n";

static int cmd_close(int argc, char **argv)
{
    int code = parse_json_only(argc, argv, "close", CLOSE_USAGE);
    if (code >= 0)
        return code;
    struct err e = {0};
    struct store *s;
    err_code rc = open_store(false, &s, &e);
    if (rc)
        return fail(exit_for(rc), &e);
    struct store_batch b;
    rc = batch_close(s, &b, progress_batch, NULL, &e);
    store_close(s);
    if (rc)
        return fail(rc == E_NOT_FOUND ? EXIT_FAIL : exit_for(rc), &e);
    if (g_json) {
        json_t *o = json_object();
        batch_json_fill(o, &b);
        print_json(o);
    } else {
        char hex[65];
        hash32_to_hex(&b.root, hex);
        printf("closed batch %llu: %llu credentials, root %s\n", (unsigned long long)b.seq,
               (unsigned long long)b.size, hex);
        printf("next: `notary anchor` writes the root to the ledger\n");
    }
    return EXIT_OK;
}

/* ---- anchor -------------------------------------------------------------- */

/* --final-depth D: 1..1000000. Non-zero if it is not. */
static int parse_final_depth(const char *arg, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(arg, &end, 10);
    if (errno || *end || end == arg || arg[0] == '-' || v < 1 || v > 1000000)
        return -1;
    *out = v;
    return 0;
}


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

/* Members `notary checkpoint` adds to the JSON result of the anchoring it runs. */
static json_t *g_anchor_extra;

static int cmd_anchor(int argc, char **argv)
{
    static const struct option opts[] = {{"timeout", required_argument, 0, 't'},
                                         {"poll-ms", required_argument, 0, 'p'},
                                         {"confirmations", required_argument, 0, 'n'},
                                         {"rpc-timeout-ms", required_argument, 0, 'T'},
                                         {"rpc-attempts", required_argument, 0, 'A'},
                                         {"replace-after-blocks", required_argument, 0, 'R'},
                                         {"max-fee-gwei", required_argument, 0, 'F'},
                                         {"final-depth", required_argument, 0, 'D'},
                                         {"retry-failed", no_argument, 0, 'r'},
                                         {"json", no_argument, 0, 'j'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    unsigned timeout = 300, poll = 1000, rpc_timeout = 0, rpc_attempts = 0;
    uint64_t conf_override = 0, replace_after = 0, max_fee_gwei = 0, final_depth = 0;
    bool retry = false;
    int c;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 't': timeout = (unsigned)strtoul(optarg, NULL, 10); break;
        case 'p': poll = (unsigned)strtoul(optarg, NULL, 10); break;
        case 'n': conf_override = strtoull(optarg, NULL, 10); break;
        case 'T': rpc_timeout = (unsigned)strtoul(optarg, NULL, 10); break;
        case 'A': rpc_attempts = (unsigned)strtoul(optarg, NULL, 10); break;
        case 'R':
            replace_after = strtoull(optarg, NULL, 10);
            if (replace_after < 1 || replace_after > 100000)
                return usage_error("anchor", "--replace-after-blocks must be 1..100000");
            break;
        case 'F':
            /* 10^9 gwei per gas is far beyond any fee; it keeps wei in 64 bits. */
            max_fee_gwei = strtoull(optarg, NULL, 10);
            if (max_fee_gwei < 1 || max_fee_gwei > 1000000000)
                return usage_error("anchor", "--max-fee-gwei must be 1..1000000000");
            break;
        case 'D':
            if (parse_final_depth(optarg, &final_depth))
                return usage_error("anchor", "--final-depth must be 1..1000000");
            break;
        case 'r': retry = true; break;
        case 'j': g_json = true; break;
        case 'h': fputs(ANCHOR_USAGE, stdout); return EXIT_OK;
        default: return usage_error("anchor", "unknown option");
        }
    }
    if (optind < argc)
        return usage_error("anchor", "unexpected argument '%s'", argv[optind]);
    struct err e = {0};
    struct store *s = NULL;
    struct signer *sg = NULL;
    struct evm_ledger l = {0};
    struct anchoring_report rep = {0};
    bool counted = false; /* rep holds the store's states */
    unsigned retried = 0;
    err_code rc;
    if ((rc = open_store(false, &s, &e)))
        goto out;
    if (retry) {
        unsigned k = 0;
        if ((rc = store_lock_writer(s, &e)) ||
            (rc = anchoring_retry_failed(s, BATCH_ISSUANCE, &retried, &e)) ||
            (rc = anchoring_retry_failed(s, BATCH_REVOCATION, &k, &e)))
            goto out;
        retried += k;
        if (retried && !g_json)
            printf("%u failed batch(es) back to closed: anchoring them again\n", retried);
    }
    if ((rc = load_signer(&sg, &e)))
        goto out;
    struct anchoring_cfg cfg = {.signer = sg, .poll_ms = poll, .timeout_s = timeout,
                                .replace_after_blocks = replace_after,
                                .fees.max_fee_cap_wei = max_fee_gwei * 1000000000ull,
                                .log = g_json ? NULL : log_line};
    if ((rc = connect_ledger(s, rpc_timeout, rpc_attempts, &l, &cfg.confirmations, &cfg.contract,
                             &e)))
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
    int code = rc ? exit_for(rc) : rep.pending ? EXIT_PENDING : EXIT_OK;
    if (g_json) {
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
        if (g_anchor_extra)
            json_object_update(o, g_anchor_extra);
        print_json(o);
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

/* ---- proof --------------------------------------------------------------- */

static const char PROOF_USAGE[] =
    "usage: notary proof (HASH | --credential FILE) [--out FILE]\n"
    "       notary proof --batch N --dir DIR\n"
    "\n"
    "Write the proof bundle (docs/proof-format.md) of one credential to standard\n"
    "output or FILE, or the bundles of every credential of batch N into DIR as\n"
    "<hash>.json. A batch that is closed but not yet anchored gives *pending*\n"
    "bundles, which verifiers reject until the batch is anchored.\n";

static int cmd_proof(int argc, char **argv)
{
    static const struct option opts[] = {{"credential", required_argument, 0, 'c'},
                                         {"out", required_argument, 0, 'o'},
                                         {"batch", required_argument, 0, 'b'},
                                         {"dir", required_argument, 0, 'd'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *cred = NULL, *outp = NULL, *dir = NULL, *batch = NULL;
    int c;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'c': cred = optarg; break;
        case 'o': outp = optarg; break;
        case 'b': batch = optarg; break;
        case 'd': dir = optarg; break;
        case 'h': fputs(PROOF_USAGE, stdout); return EXIT_OK;
        default: return usage_error("proof", "unknown option");
        }
    }
    const char *hash_arg = optind < argc ? argv[optind] : NULL;
    if (optind + 1 < argc)
        return usage_error("proof", "unexpected argument '%s'", argv[optind + 1]);
    struct err e = {0};
    struct store *s;
    err_code rc;
    if (batch) {
        if (!dir || cred || hash_arg || outp)
            return usage_error("proof", "--batch N goes with --dir DIR only");
        char *end;
        uint64_t seq = strtoull(batch, &end, 10);
        if (*end || end == batch)
            return usage_error("proof", "--batch needs a batch number");
        if ((rc = open_store(false, &s, &e)))
            return fail(exit_for(rc), &e);
        uint64_t written;
        rc = proof_export_batch(s, seq, dir, &written, progress_export, NULL, &e);
        store_close(s);
        if (rc)
            return fail(rc == E_STATE ? EXIT_FAIL : exit_for(rc), &e);
        printf("wrote %llu bundles to %s\n", (unsigned long long)written, dir);
        return EXIT_OK;
    }
    if ((cred != NULL) == (hash_arg != NULL))
        return usage_error("proof", "give a HASH or --credential FILE");
    struct hash32 h;
    if (cred) {
        enum credential_hashing how;
        if ((rc = credential_hash_file(cred, &how, &h, &e)))
            return fail(EXIT_USAGE, &e);
    } else if ((rc = hash32_from_hex(hash_arg, &h, &e))) {
        return fail(EXIT_USAGE, &e);
    }
    if ((rc = open_store(false, &s, &e)))
        return fail(exit_for(rc), &e);
    struct bundle b;
    rc = proof_for_credential(s, &h, &b, &e);
    store_close(s);
    if (rc)
        return fail(rc == E_NOT_FOUND ? EXIT_USAGE : EXIT_FAIL, &e);
    if (!b.anchored)
        fprintf(stderr, "notary: batch %llu is not anchored yet: this bundle is pending and "
                        "will not verify until it is (run `notary anchor`)\n",
                (unsigned long long)b.batch.seq);
    if (outp) {
        if ((rc = bundle_write_file(&b, outp, &e)))
            return fail(EXIT_FAIL, &e);
    } else {
        struct buf out = {0};
        if ((rc = bundle_write(&b, &out, &e)))
            return fail(EXIT_FAIL, &e);
        fwrite(out.p, 1, out.len, stdout);
        buf_free(&out);
    }
    return EXIT_OK;
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
    struct anchoring_cfg cfg = {.final_depth = final_depth, .log = g_json ? NULL : log_line};
    char *issuer_hex = NULL;
    struct addr20 issuer;
    err_code rc;
    if ((rc = store_lock_writer(s, e)))
        return err_wrap(e, rc, "cannot re-check now (`notary serve` or `notary anchor` "
                               "re-checks itself while it runs)");
    if ((rc = store_meta_get(s, "issuer", &issuer_hex, e)) ||
        (rc = addr20_from_hex(issuer_hex, &issuer, e)) ||
        (rc = connect_ledger(s, 0, 0, &l, &cfg.confirmations, &cfg.contract, e)))
        goto out;
    cfg.ledger = &l;
    if (!(rc = anchoring_recheck(s, &cfg, BATCH_ISSUANCE, &issuer, rep, e)))
        rc = anchoring_recheck(s, &cfg, BATCH_REVOCATION, &issuer, rep, e);
out:
    free(issuer_hex);
    evm_close(&l);
    return rc;
}

static int cmd_status(int argc, char **argv)
{
    static const struct option opts[] = {{"json", no_argument, 0, 'j'},
                                         {"check", no_argument, 0, 'c'},
                                         {"final-depth", required_argument, 0, 'D'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    bool check = false;
    uint64_t final_depth = 0;
    int c;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'j': g_json = true; break;
        case 'c': check = true; break;
        case 'D':
            if (parse_final_depth(optarg, &final_depth))
                return usage_error("status", "--final-depth must be 1..1000000");
            break;
        case 'h': fputs(STATUS_USAGE, stdout); return EXIT_OK;
        default: return usage_error("status", "unknown option");
        }
    }
    if (optind < argc)
        return usage_error("status", "unexpected argument '%s'", argv[optind]);
    if (final_depth && !check)
        return usage_error("status", "--final-depth goes with --check");
    struct err e = {0};
    struct store *s;
    err_code rc = open_store(false, &s, &e);
    if (rc)
        return fail(exit_for(rc), &e);
    int code = EXIT_OK;
    struct anchoring_report rep = {0};
    json_t *checked = NULL;
    if (check) {
        struct err ce = {0};
        err_code crc = status_check(s, final_depth, &rep, &ce);
        if (crc) {
            fprintf(stderr, "notary status --check: %s\n", ce.msg);
            code = exit_for(crc);
        }
        checked = json_pack("{s:b, s:I, s:I}", "done", crc == E_OK, "moved",
                            (json_int_t)rep.moved, "reopened", (json_int_t)rep.reopened);
        if (crc)
            json_object_set_new(checked, "message", json_string(ce.msg));
    }
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
    struct store_counts counts;
    struct store_batch *list = NULL;
    size_t n = 0;
    if ((rc = store_counts(s, &counts, &e)) ||
        (rc = store_batch_list(s, BATCH_ISSUANCE, &list, &n, &e))) {
        json_decref(cfg);
        json_decref(checked);
        store_close(s);
        return fail(exit_for(rc), &e);
    }
    store_close(s);
    if (g_json) {
        json_t *batches = json_array();
        for (size_t i = 0; i < n; i++) {
            json_t *o = json_object();
            batch_json_fill(o, &list[i]);
            json_array_append_new(batches, o);
        }
        json_t *o = json_pack("{s:o, s:I, s:I, s:o}", "config", cfg, "credentials",
                              (json_int_t)counts.credentials, "openBatchSize",
                              (json_int_t)counts.open_size, "batches", batches);
        if (checked)
            json_object_set_new(o, "check", checked);
        checked = NULL;
        print_json(o);
    } else {
        const char *k;
        json_t *v;
        json_object_foreach(cfg, k, v)
            printf("%-14s %s\n", k, json_string_value(v));
        printf("%-14s %llu (%llu in the open batch)\n", "credentials",
               (unsigned long long)counts.credentials, (unsigned long long)counts.open_size);
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

/* ---- revoke, checkpoint, revocations (issue 5) ---------------------------- */

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

static int cmd_revoke(int argc, char **argv)
{
    static const struct option opts[] = {{"credential", required_argument, 0, 'c'},
                                         {"reason", required_argument, 0, 'r'},
                                         {"note", required_argument, 0, 'N'},
                                         {"json", no_argument, 0, 'j'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *cred = NULL, *reason = NULL, *note = NULL;
    int c;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'c': cred = optarg; break;
        case 'r': reason = optarg; break;
        case 'N': note = optarg; break;
        case 'j': g_json = true; break;
        case 'h': fputs(REVOKE_USAGE, stdout); return EXIT_OK;
        default: return usage_error("revoke", "unknown option");
        }
    }
    const char *hash_arg = optind < argc ? argv[optind] : NULL;
    if (optind + 1 < argc)
        return usage_error("revoke", "unexpected argument '%s'", argv[optind + 1]);
    if ((cred != NULL) == (hash_arg != NULL))
        return usage_error("revoke", "give a HASH or --credential FILE");
    if (!reason)
        return usage_error("revoke", "--reason is required (e.g. --reason fraud)");
    struct err e = {0};
    enum revlog_reason code;
    struct hash32 h;
    err_code rc;
    if (revlog_reason_parse(reason, &code, &e))
        return fail(EXIT_USAGE, &e);
    if (cred) {
        enum credential_hashing how;
        if ((rc = credential_hash_file(cred, &how, &h, &e)))
            return fail(EXIT_USAGE, &e);
    } else if ((rc = hash32_from_hex(hash_arg, &h, &e))) {
        return fail(EXIT_USAGE, &e);
    }
    struct store *s;
    if ((rc = open_store(false, &s, &e)))
        return fail(exit_for(rc), &e);
    struct store_revocation r;
    bool existed;
    rc = revocation_revoke(s, &h, code, note, (int64_t)time(NULL), &r, &existed, &e);
    store_close(s);
    if (rc)
        return fail(exit_for(rc), &e);
    if (g_json) {
        print_json(revocation_json(&r, existed));
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

static int cmd_checkpoint(int argc, char **argv)
{
    static const struct option opts[] = {{"no-anchor", no_argument, 0, 'x'},
                                         {"timeout", required_argument, 0, 'a'},
                                         {"poll-ms", required_argument, 0, 'a'},
                                         {"confirmations", required_argument, 0, 'a'},
                                         {"rpc-timeout-ms", required_argument, 0, 'a'},
                                         {"rpc-attempts", required_argument, 0, 'a'},
                                         {"replace-after-blocks", required_argument, 0, 'a'},
                                         {"max-fee-gwei", required_argument, 0, 'a'},
                                         {"json", no_argument, 0, 'j'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    bool no_anchor = false;
    /* Anchor options are passed on to `notary anchor` unchanged. */
    char *fwd[16] = {"anchor"};
    int nfwd = 1, c, idx;
    while ((c = getopt_long(argc, argv, "h", opts, &idx)) != -1) {
        switch (c) {
        case 'x': no_anchor = true; break;
        case 'j': g_json = true; break;
        case 'a':
            if (nfwd + 2 < (int)(sizeof fwd / sizeof fwd[0])) {
                static char names[8][32];
                char *name = names[nfwd / 2];
                snprintf(name, sizeof names[0], "--%s", opts[idx].name);
                fwd[nfwd++] = name;
                fwd[nfwd++] = optarg;
            }
            break;
        case 'h': fputs(CHECKPOINT_USAGE, stdout); return EXIT_OK;
        default: return usage_error("checkpoint", "unknown option");
        }
    }
    if (optind < argc)
        return usage_error("checkpoint", "unexpected argument '%s'", argv[optind]);
    struct err e = {0};
    struct store *s;
    err_code rc = open_store(false, &s, &e);
    if (rc)
        return fail(exit_for(rc), &e);
    struct store_batch b;
    bool created;
    rc = revocation_checkpoint(s, (int64_t)time(NULL), &created, &b, &e);
    store_close(s);
    if (rc)
        return fail(exit_for(rc), &e);
    json_t *cp = json_object();
    json_object_set_new(cp, "created", json_boolean(created));
    if (b.size)
        batch_json_fill(cp, &b);
    if (!g_json) {
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
        if (g_json)
            print_json(json_pack("{s:o}", "checkpoint", cp));
        else
            json_decref(cp);
        return EXIT_OK;
    }
    g_anchor_extra = json_pack("{s:o}", "checkpoint", cp);
    optind = 1;
    int code = cmd_anchor(nfwd, fwd);
    json_decref(g_anchor_extra);
    g_anchor_extra = NULL;
    return code;
}

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

static int cmd_revocations(int argc, char **argv)
{
    static const struct option opts[] = {{"out", required_argument, 0, 'o'},
                                         {"json", no_argument, 0, 'j'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *outp = NULL;
    int c;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'o': outp = outp ? outp : optarg; break;
        case 'j': g_json = true; break;
        case 'h': fputs(REVOCATIONS_USAGE, stdout); return EXIT_OK;
        default: return usage_error("revocations", "unknown option");
        }
    }
    if (optind >= argc || strcmp(argv[optind], "export") != 0)
        return usage_error("revocations", "give a subcommand: export");
    if (optind + 1 < argc)
        return usage_error("revocations", "unexpected argument '%s'", argv[optind + 1]);
    struct err e = {0};
    struct store *s;
    err_code rc = open_store(false, &s, &e);
    if (rc)
        return fail(exit_for(rc), &e);
    struct buf out = {0};
    uint64_t n = 0;
    size_t ncp = 0;
    rc = revocation_export(s, (int64_t)time(NULL), &out, &n, &ncp, &e);
    store_close(s);
    if (!rc && outp)
        rc = file_write_atomic(outp, out.p, out.len, 0644, &e);
    if (rc) {
        buf_free(&out);
        return fail(exit_for(rc), &e);
    }
    if (!outp) {
        fwrite(out.p, 1, out.len, stdout);
    } else if (g_json) {
        print_json(json_pack("{s:s, s:I, s:I}", "out", outp, "entries", (json_int_t)n,
                             "checkpoints", (json_int_t)ncp));
    } else {
        printf("wrote %s: %llu revocations, %zu anchored checkpoints\n", outp,
               (unsigned long long)n, ncp);
    }
    buf_free(&out);
    return EXIT_OK;
}

/* ---- serve, token (notary/cli/serve_cmd.c) ---------------------------------- */

static int with_paths(int (*fn)(int, char **, const struct serve_paths *), int argc, char **argv)
{
    char *db = NULL, *key = data_path("key.json");
    int code = 1;
    struct err e = {0};
    err_code rc = store_url(&db, &e);
    if (rc) {
        code = fail(exit_for(rc), &e);
    } else if (db && key) {
        struct serve_paths p = {.db_path = db, .key_path = key, .password_file = g_password_file};
        code = fn(argc, argv, &p);
    }
    free(db);
    free(key);
    return code;
}

static int cmd_serve(int argc, char **argv) { return with_paths(serve_command, argc, argv); }
static int cmd_token(int argc, char **argv) { return with_paths(token_command, argc, argv); }

/* ---- main ---------------------------------------------------------------- */

int main(int argc, char **argv)
{
    /* Non-dumpable from the first instruction, whatever the command: the
     * password is in the environment ($NOTARY_PASSWORD) or read from a file,
     * the store URL may carry a database password, and `serve` holds API
     * token hashes and, when anchoring, the key. No core file, and no
     * same-user process may ptrace us or read /proc/PID/environ or mem.
     * (anchor/signer.c also does this while a key is loaded; it restores
     * the state it found, which is this one.) */
    (void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    g_tty = isatty(2);
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            fputs(USAGE, stdout);
            return EXIT_OK;
        } else if (!strcmp(argv[i], "--data") && i + 1 < argc) {
            g_data = argv[++i];
        } else if (!strncmp(argv[i], "--data=", 7)) {
            g_data = argv[i] + 7;
        } else if (!strcmp(argv[i], "--password-file") && i + 1 < argc) {
            g_password_file = argv[++i];
        } else if (!strncmp(argv[i], "--password-file=", 16)) {
            g_password_file = argv[i] + 16;
        } else {
            fprintf(stderr, "notary: unknown option '%s'\n\n%s", argv[i], USAGE);
            return EXIT_USAGE;
        }
    }
    if (i >= argc) {
        fputs(USAGE, stderr);
        return EXIT_USAGE;
    }
    static const struct { const char *name; int (*fn)(int, char **); } cmds[] = {
        {"init", cmd_init},   {"submit", cmd_submit}, {"close", cmd_close},
        {"anchor", cmd_anchor}, {"proof", cmd_proof},   {"status", cmd_status},
        {"revoke", cmd_revoke}, {"checkpoint", cmd_checkpoint},
        {"revocations", cmd_revocations},
        {"serve", cmd_serve}, {"token", cmd_token},
    };
    for (size_t k = 0; k < sizeof cmds / sizeof cmds[0]; k++)
        if (!strcmp(argv[i], cmds[k].name)) {
            optind = 1;
            return cmds[k].fn(argc - i, argv + i);
        }
    fprintf(stderr, "notary: unknown command '%s'\n\n%s", argv[i], USAGE);
    return EXIT_USAGE;
}
