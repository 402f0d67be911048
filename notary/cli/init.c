/*
 * notary/cli/init.c — `notary init`: create the notary (issuer key, ledger,
 * registry contract, store), or resume one whose key was kept.
 * Argument parsing and output (notary/cli/commands.h); the work is done
 * by the notary library.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "anchor/keystore.h"
#include "anchor/registry2.h"
#include "core/fileio.h"
#include "notary/anchoring/anchoring_ebsi.h"
#include "notary/anchoring/deploy.h"
#include "notary/anchoring/ebsi_token.h"
#include "notary/anchoring/keychange.h"
#include "notary/cli/commands.h"
#include "notary/cli/common.h"

static const char INIT_USAGE[] =
    "usage: notary init --rpc URL (--deploy | --contract ADDR) [options]\n"
    "       notary init --ledger ebsi --timestamp-api URL --rpc LEDGER_URL\n"
    "                   --timestamp-contract ADDR (--did DID --vp-key FILE |\n"
    "                   --token-file FILE) [options]\n"
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
    "  --identity-key FILE  split the issuer in two (NotaryRegistry2, docs/registry-v2.md):\n"
    "                       FILE is the identity's keystore v3 (mode 0600; kept offline,\n"
    "                       needs no funds); its password from --identity-password-file\n"
    "                       or $NOTARY_IDENTITY_PASSWORD. The notary's key becomes its\n"
    "                       anchoring key, authorized by the identity's signature now;\n"
    "                       bundles name the identity as anchor.issuer. --deploy then\n"
    "                       deploys NotaryRegistry2, --contract must be one. Without it:\n"
    "                       NotaryRegistry, the notary's key is the issuer (as before)\n"
    "  --identity-password-file FILE  the identity key's password\n"
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
    "  --hash-algorithm-id N      the API's id for SHA-256 (default 0); init checks\n"
    "                             GET .../timestamp/v4/hash-algorithms/N says\n"
    "                             multihash sha2-256, status active\n"
    "  --did DID                  the issuer's did:ebsi: anchoring obtains its own\n"
    "                             timestamp_write token from EBSI's Authorisation API\n"
    "                             with a presentation signed by --vp-key (cached in\n"
    "                             DIR/ebsi-token.json, mode 0600, renewed before expiry)\n"
    "  --vp-key FILE              the DID's P-256 private key, PEM (PKCS#8 or SEC1,\n"
    "                             unencrypted), mode 0600; stays where it is\n"
    "  --authorisation-api URL    the Authorisation API (default: --timestamp-api with\n"
    "                             /timestamp/v4/jsonrpc replaced by /authorisation/v4)\n"
    "A token file or $NOTARY_EBSI_TOKEN overrides the DID's token.\n";

static err_code import_key(const char *path, const char *pw, struct signer **out, struct err *e)
{
    struct buf b;
    err_code rc = file_read_private(path, 64 * 1024, &b, e);
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
    if (g_cli.json) {
        cli_print_json(json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:s, s:s}", "error", "unfunded",
                                 "issuer", issuer, "key", key, "needWei", need_wei,
                                 "balanceWei", have_wei, "gas", (json_int_t)c->gas,
                                 "feePerGasWei", fee, "message",
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

/* Where init would create the notary (store URL db, directory dir, its
 * store.url file), refuse when a notary is there: a SQLite file at db that
 * opens as one (E_STATE), store.url already present (E_STATE), a
 * PostgreSQL store that has its issuer (E_STATE). A SQLite file that is not
 * a notary database is refused (E_NOT_FOUND) unless replace: then
 * *set_aside is set and init renames it before it creates the store. */
static err_code init_check_store(const char *db, const char *dir, const char *url_file,
                                 bool replace, bool *set_aside, struct err *e)
{
    bool pg = store_url_is_pg(db);
    const char *db_file = strncmp(db, "sqlite:", 7) == 0 ? db + 7 : db;
    err_code rc;
    if (!pg && access(db_file, F_OK) == 0) {
        /* A notary is never overwritten; a file that is not one (emptied,
         * foreign, garbage) only with --replace-unrecognised-store, and then
         * it is set aside, not deleted. */
        struct store *old = NULL;
        rc = store_open(db, false, &old, e);
        store_close(old);
        if (rc == E_OK || rc == E_UNSUPPORTED)
            return err_set(e, E_STATE, "%s already holds a notary; use another --data directory",
                           dir);
        if (rc != E_NOT_FOUND)
            return rc;
        if (!replace) {
            err_prefix(e, "init will not overwrite %s", db_file);
            return rc;
        }
        err_clear(e);
        *set_aside = true;
    }
    if (access(url_file, F_OK) == 0)
        return err_set(e, E_STATE, "%s already names a store (store.url); use another --data "
                                   "directory", dir);
    if (pg) { /* a notary is there once init has written its issuer */
        struct store *s = NULL;
        char *issuer = NULL, shown[300];
        rc = store_open(db, false, &s, e);
        if (rc == E_OK && store_meta_get(s, "issuer", &issuer, NULL) == E_OK)
            rc = err_set(e, E_STATE, "the store %s already holds a notary (issuer %s)",
                         store_url_redact(db, shown, sizeof shown), issuer);
        free(issuer);
        store_close(s);
        if (rc == E_NOT_FOUND)
            err_clear(e), rc = E_OK;
        return rc;
    }
    return E_OK;
}

int cmd_init(int argc, char **argv)
{
    const char *rpc = NULL, *contract = NULL, *import = NULL, *store_arg = NULL;
    const char *ledger_name = "evm", *ts_api = NULL, *ts_contract = NULL, *token_file = NULL,
               *hash_alg = NULL, *did = NULL, *vp_key = NULL, *auth_api = NULL,
               *identity_key = NULL, *identity_pw = NULL;
    uint64_t chain_id = 0, confirmations = 1;
    bool deploy = false, light = false, replace_store = false, set_aside = false;
    const struct cli_opt opts[] = {CLI_VALUE("rpc", &rpc),
                                   CLI_OPT("chain-id", required_argument, 'c'),
                                   CLI_FLAG("deploy", &deploy),
                                   CLI_VALUE("contract", &contract),
                                   CLI_VALUE("import-key", &import),
                                   CLI_VALUE("identity-key", &identity_key),
                                   CLI_VALUE("identity-password-file", &identity_pw),
                                   CLI_OPT("confirmations", required_argument, 'n'),
                                   CLI_FLAG("kdf-light", &light),
                                   CLI_JSON,
                                   CLI_VALUE("ledger", &ledger_name),
                                   CLI_VALUE("timestamp-api", &ts_api),
                                   CLI_VALUE("timestamp-contract", &ts_contract),
                                   CLI_VALUE("token-file", &token_file),
                                   CLI_VALUE("hash-algorithm-id", &hash_alg),
                                   CLI_VALUE("did", &did),
                                   CLI_VALUE("vp-key", &vp_key),
                                   CLI_VALUE("authorisation-api", &auth_api),
                                   CLI_VALUE("store", &store_arg),
                                   CLI_FLAG("replace-unrecognised-store", &replace_store),
                                   CLI_HELP,
                                   {0}};
    struct cli_args args = {"init", INIT_USAGE, opts, CLI_CONTINUE, NULL};
    int c, code;
    while ((c = cli_next(&args, argc, argv)) != -1)
        *(c == 'c' ? &chain_id : &confirmations) = strtoull(optarg, NULL, 10);
    if ((code = cli_args_end(&args, argc, argv, 0)) != CLI_CONTINUE)
        return code;
    if (!rpc)
        return cli_usage_error("init", "--rpc URL is required");
    bool ebsi = strcmp(ledger_name, "ebsi") == 0;
    if (!ebsi && strcmp(ledger_name, "evm") != 0)
        return cli_usage_error("init", "--ledger is evm (default) or ebsi");
    if (ebsi && (!ts_api || !ts_contract || deploy || contract))
        return cli_usage_error("init", "--ledger ebsi needs --timestamp-api URL and "
                                   "--timestamp-contract ADDR (not --deploy or --contract)");
    if (!ebsi && (ts_api || ts_contract || token_file || hash_alg))
        return cli_usage_error("init", "--timestamp-api, --timestamp-contract, --token-file and "
                                   "--hash-algorithm-id go with --ledger ebsi");
    if (!ebsi && (did || vp_key || auth_api))
        return cli_usage_error("init", "--did, --vp-key and --authorisation-api go with --ledger "
                                   "ebsi");
    if ((did != NULL) != (vp_key != NULL) || (auth_api && !did))
        return cli_usage_error("init", "--did and --vp-key go together (the DID and its P-256 "
                                   "key); --authorisation-api needs them");
    if (ebsi && identity_key)
        return cli_usage_error("init", "--identity-key is for the evm ledger (NotaryRegistry2)");
    if (identity_pw && !identity_key)
        return cli_usage_error("init", "--identity-password-file goes with --identity-key");
    if (ebsi)
        contract = ts_contract;
    if (deploy == (contract != NULL))
        return cli_usage_error("init", "give exactly one of --deploy and --contract ADDR");
    if (confirmations < 1 || confirmations > 1000)
        return cli_usage_error("init", "--confirmations must be 1..1000");

    struct err e = {0};
    err_code early = did ? ebsi_token_check_args(did, vp_key, &e) : E_OK;
    if (early)
        return cli_fail(cli_exit_for(early), &e);
    struct addr20 contract_addr;
    if (contract && addr20_from_hex(contract, &contract_addr, &e))
        return cli_fail(EXIT_USAGE, &e);
    char *dir = cli_data_path(""), *db = NULL, *key = cli_data_path("key.json");
    char *url_file = cli_data_path("store.url"), *token_cache = cli_data_path("ebsi-token.json");
    char *kid = NULL;
    struct store *s = NULL;
    struct signer *sg = NULL, *identity = NULL;
    struct evm_ledger l = {0};
    uint64_t deploy_gas = 0, authorize_gas = 0;
    char *pw = NULL;
    err_code rc = E_OK;
    bool created = false, key_kept = false;
    code = EXIT_FAIL;
    if (!dir || !key || !url_file || !token_cache ||
        (store_arg && !(db = strdup(store_arg)))) {
        rc = err_set(&e, E_NOMEM, "out of memory");
        goto out;
    }
    if (!store_arg && (rc = cli_store_url(&db, &e)))
        goto out;
    dir[strlen(dir) - 1] = '\0';
    const char *db_file = strncmp(db, "sqlite:", 7) == 0 ? db + 7 : db;
    if ((rc = init_check_store(db, dir, url_file, replace_store, &set_aside, &e)))
        goto out;
    /* EBSI: the hash algorithm id is SHA-256 and active, before anything is written */
    uint64_t alg_id = 0;
    struct ebsi_alg alg;
    if (ebsi && (rc = anchoring_ebsi_confirm_hash_algorithm(ts_api, hash_alg, &alg_id, &alg, &e)))
        goto out;
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        rc = err_set(&e, E_IO, "%s: cannot create: %s", dir, strerror(errno));
        goto out;
    }
    /* the identity first: a wrong password or file fails before anything is made */
    if (identity_key && (rc = cli_load_identity(identity_key, identity_pw, &identity, &e)))
        goto out;
    if ((rc = cli_get_password(NULL, &pw, &e)))
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
    char issuer_hex[43], key_hex[43];
    eth_address_checksum(&issuer, issuer_hex);
    memcpy(key_hex, issuer_hex, sizeof key_hex);
    struct addr20 id_addr;
    if (identity) {
        signer_address(identity, &id_addr);
        if (addr20_eq(&id_addr, &issuer)) {
            rc = err_set(&e, E_INVALID, "--identity-key holds the same key as the notary's "
                                        "anchoring key: the identity's key must be another one");
            goto out;
        }
        eth_address_checksum(&id_addr, issuer_hex); /* the issuer is the identity */
    }
    if (deploy) {
        struct deploy_cost cost;
        if ((rc = deploy_registry_version_cost(&l, &issuer, identity ? 2 : 1, &cost, &e)))
            goto out;
        if (!cost.enough) {
            code = unfunded(key_hex, key, &cost);
            goto out;
        }
        fprintf(stderr, "notary: deploying the %s contract...\n",
                identity ? "NotaryRegistry2" : "registry");
        if ((rc = identity ? deploy_registry2(&l, sg, confirmations, 120, &contract_addr,
                                              &deploy_gas, &e)
                           : deploy_registry(&l, sg, confirmations, 120, &contract_addr, &e)))
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
    } else if (identity) {
        bool v2 = false;
        if ((rc = registry2_code_matches(l.rpc, &contract_addr, &v2, &e)))
            goto out;
        if (!v2) {
            rc = err_set(&e, E_STATE, "--identity-key needs a NotaryRegistry2 contract; the code "
                                      "at --contract is not (deploy one with --deploy)");
            goto out;
        }
    }
    if (identity) { /* the identity authorizes the anchoring key (once) */
        struct registry2_key_status st;
        if ((rc = registry2_key_status(l.rpc, &contract_addr, &id_addr, &issuer, NULL, &st, &e)))
            goto out;
        if (st.authorized_from == REGISTRY2_NEVER) {
            struct registry2_change ch = {.kind = REGISTRY2_AUTHORIZE, .identity = id_addr,
                                          .key = issuer};
            struct keychange_result res;
            rc = keychange_submit(&l, sg, identity, &contract_addr, &ch, confirmations, 120, &res,
                                  &e);
            if (rc) {
                char c_hex[43];
                eth_address_checksum(&contract_addr, c_hex);
                err_prefix(&e, "authorizing the anchoring key on NotaryRegistry2 %s (run init "
                               "again with --contract %s)", c_hex, c_hex);
                goto out;
            }
            authorize_gas = res.gas_used;
        }
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
        (did && (rc = ebsi_token_configure(s, did, vp_key, auth_api, ts_api, token_cache, &kid,
                                           &e))) ||
        (rc = store_meta_set(s, "rpc_url", rpc, &e)) ||
        (rc = store_meta_set(s, "chain_id", chain, &e)) ||
        (rc = store_meta_set(s, "confirmations", conf, &e)) ||
        (rc = store_meta_set(s, "contract", contract_hex, &e)) ||
        (rc = store_meta_set(s, "issuer", issuer_hex, &e)) ||
        (identity && (rc = store_meta_set(s, "registry", "2", &e))))
        goto out;
    if (g_cli.json) {
        json_t *o = json_pack("{s:s, s:I, s:s, s:s, s:I, s:s}", "data", dir, "chainId",
                              (json_int_t)l.chain_id, "contract", contract_hex, "issuer",
                              issuer_hex, "confirmations", (json_int_t)confirmations, "key", key);
        if (ebsi && o)
            json_object_set_new(o, "hashAlgorithm",
                                json_pack("{s:I, s:s, s:s}", "id", (json_int_t)alg_id,
                                          "multihash", alg.multihash, "status", alg.status));
        if (identity && o) {
            json_object_set_new(o, "registry", json_integer(2));
            json_object_set_new(o, "anchoringKey", json_string(key_hex));
            json_object_set_new(o, "deployGas", json_integer((json_int_t)deploy_gas));
            json_object_set_new(o, "authorizeGas", json_integer((json_int_t)authorize_gas));
        }
        cli_print_json(o);
    } else {
        printf("notary initialised in %s\n", dir);
        printf("  issuer address  %s%s\n", issuer_hex, identity ? " (identity)" : "");
        if (identity)
            printf("  anchoring key   %s (authorized by the identity; gas used %llu)\n", key_hex,
                   (unsigned long long)authorize_gas);
        char shown[300];
        printf("  ledger          %s (chain %llu)\n", rpc_url_redact(rpc, shown, sizeof shown),
               (unsigned long long)l.chain_id);
        printf("  registry        %s%s%s\n", contract_hex, identity ? " NotaryRegistry2" : "",
               deploy ? " (deployed now)" : "");
        if (identity && deploy)
            printf("  deploy gas      %llu\n", (unsigned long long)deploy_gas);
        if (ebsi)
            printf("  hash algorithm  %llu = %s (%s, confirmed by the Timestamp API)\n",
                   (unsigned long long)alg_id, alg.multihash, alg.status);
        printf("  confirmations   %llu\n", (unsigned long long)confirmations);
        printf("  key             %s (keystore v3, mode 0600)\n", key);
    }
    if (did) {
        /* EBSI's checkController: the address must be a capabilityInvocation
         * secp256k1 key of the DID or of a controller DID; registering it needs
         * the public key, not the address. */
        uint8_t pub[64];
        char pub_hex[129];
        signer_pubkey64(sg, pub);
        hex_encode(pub, sizeof pub, pub_hex);
        fprintf(g_cli.json ? stderr : stdout,
                "\nEBSI: tokens come from %s, signed with its key %s.\n"
                "Before anchoring, the DID document in EBSI's DID Registry must list\n"
                "  - that key (JsonWebKey2020, P-256) as a verification method with the\n"
                "    authentication relationship (the Authorisation API checks the VP with it);\n"
                "  - the transaction key's address %s as a controller (EBSI's checkController,\n"
                "    applied by sendSignedTransaction and by `verifier verify --issuer DID`):\n"
                "    its public key 0x04%s\n"
                "    as a secp256k1 verification method with the capabilityInvocation\n"
                "    relationship, of the DID itself or of a DID listed as its controller.\n"
                "    With EBSI's DID Registry API: insertDidDocument with that publicKey, or\n"
                "    addVerificationMethod (isSecp256k1) and addVerificationMethodRelationship\n"
                "    capabilityInvocation, signed by a key that already controls the DID\n"
                "    (docs/ebsi.md).\n",
                did, kid ? kid : "?", issuer_hex, pub_hex);
    }
    code = EXIT_OK;
out:
    if (rc)
        code = cli_fail(cli_exit_for(rc), &e);
    keystore_password_free(pw);
    signer_free(sg);
    signer_free(identity);
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
    free(token_cache);
    free(kid);
    return code;
}

