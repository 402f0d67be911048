/*
 * notary/cli/key.c — `notary key rotate|retire|compromised|list`: the
 * issuer's key history on NotaryRegistry2 (docs/registry-v2.md). The
 * identity's key (a keystore v3 file, --identity-key FILE) is loaded for one
 * EIP-712 signature and freed; its password comes from
 * --identity-password-file FILE or $NOTARY_IDENTITY_PASSWORD, never argv.
 * The anchoring key DIR/key.json submits the signed change and pays for it
 * (notary/anchoring/keychange.h).
 */
#define _GNU_SOURCE 1 /* strptime, timegm */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "anchor/keystore.h"
#include "anchor/registry2.h"
#include "core/fileio.h"
#include "notary/anchoring/anchoring.h"
#include "notary/anchoring/keychange.h"
#include "notary/cli/commands.h"
#include "notary/cli/common.h"

static const char KEY_USAGE[] =
    "usage: notary key rotate      --identity-key FILE [--kdf-light] [--json]\n"
    "       notary key retire      --identity-key FILE [ADDRESS] [--json]\n"
    "       notary key compromised --identity-key FILE [ADDRESS] --since BLOCK|TIME [--json]\n"
    "       notary key list        [--json]\n"
    "\n"
    "The issuer's anchoring keys on NotaryRegistry2 (a notary made with\n"
    "`notary init --identity-key`). Every change is signed by the identity's key\n"
    "(EIP-712) and sent and paid for by the anchoring key DIR/key.json; the\n"
    "identity needs no funds. Each prints the gas it used.\n"
    "\n"
    "  rotate       a new anchoring key (DIR/key.json, mode 0600, same password; the\n"
    "               old one is kept as DIR/key-ADDRESS.json), authorized by the\n"
    "               identity; the old key is retired, then DIR/key.json switched\n"
    "               (run it again to finish an interrupted one). Refused (exit 3) while a\n"
    "               batch is sent but not anchored: run `notary anchor` first. The\n"
    "               new key must be funded before the next anchor.\n"
    "  retire       retire ADDRESS (default: the current anchoring key): what it\n"
    "               anchored stays valid, it anchors nothing more\n"
    "  compromised  declare ADDRESS (default: the current anchoring key) compromised\n"
    "               since BLOCK, or since TIME (ISO 8601 UTC, YYYY-MM-DDTHH:MM:SSZ:\n"
    "               the first block at or after it); its anchors from then on are void\n"
    "  list         every key: authorizedFrom, retiredAt, compromisedSince, status\n"
    "\n"
    "  --identity-key FILE           the identity's keystore v3 file (mode 0600)\n"
    "  --identity-password-file FILE its password (default: $NOTARY_IDENTITY_PASSWORD)\n"
    "  --since BLOCK|TIME            for compromised\n"
    "  --kdf-light                   weak keystore encryption, FOR TESTS ONLY\n"
    "  --json                        print the result as JSON\n"
    "\n"
    "exit status: 0 ok, 1 failed, 2 usage or input error, 3 not now (batches in flight).\n";

err_code cli_load_identity(const char *path, const char *pw_file, struct signer **out,
                           struct err *e)
{
    *out = NULL;
    char *pw = NULL;
    err_code rc = keystore_password_from_env_or_file(pw_file, pw_file ? NULL
                                                                      : "NOTARY_IDENTITY_PASSWORD",
                                                     &pw, e);
    if (rc == E_NOT_FOUND && !pw_file)
        return err_set(e, E_INVALID, "the identity key's password is needed: set "
                                     "NOTARY_IDENTITY_PASSWORD or pass --identity-password-file "
                                     "FILE");
    if (!rc)
        rc = keystore_load_signer(path, pw, out, e);
    keystore_password_free(pw);
    if (rc)
        err_prefix(e, "--identity-key %s", path);
    return rc;
}

/* What every key command opens: the store (NotaryRegistry2 only), the
 * ledger, the identity, the contract and the anchoring key. */
struct key_ctx {
    struct cli_ctx cx;
    struct evm_ledger l;
    struct signer *anchoring;
    struct signer *identity;
    struct addr20 id, contract, current;
    uint64_t confirmations;
};

static err_code key_open(struct key_ctx *k, const char *identity_key, const char *pw_file,
                         bool need_signer)
{
    struct err *e = &k->cx.e;
    err_code rc;
    char *id = NULL;
    if ((rc = cli_open_store(false, &k->cx.store, e)))
        return rc;
    if (!anchoring_is_registry2(k->cx.store))
        return err_set(e, E_STATE, "this notary anchors on NotaryRegistry (v1), which keeps no "
                                   "key history: key commands need a notary made with `notary "
                                   "init --identity-key FILE`");
    if ((rc = store_meta_get(k->cx.store, "issuer", &id, e)) ||
        (rc = addr20_from_hex(id, &k->id, e))) {
        free(id);
        return rc;
    }
    free(id);
    /* the identity first: a wrong password or file fails before anything else */
    if (identity_key && (rc = cli_load_identity(identity_key, pw_file, &k->identity, e)))
        return rc;
    if (k->identity) {
        struct addr20 a;
        signer_address(k->identity, &a);
        if (!addr20_eq(&a, &k->id)) {
            char want[43], got[43];
            eth_address_checksum(&k->id, want);
            eth_address_checksum(&a, got);
            return err_set(e, E_INVALID, "--identity-key %s holds the key of %s, not this "
                                         "notary's identity %s", identity_key, got, want);
        }
    }
    if (need_signer) {
        if ((rc = cli_load_signer(NULL, &k->anchoring, e)))
            return rc;
        signer_address(k->anchoring, &k->current);
    }
    if ((rc = cli_connect_ledger(k->cx.store, 0, 0, &k->l, &k->confirmations, &k->contract, e)))
        return rc;
    bool match = false;
    if ((rc = registry2_code_matches(k->l.rpc, &k->contract, &match, e)))
        return rc;
    if (!match)
        return err_set(e, E_STATE, "the contract this notary uses is not NotaryRegistry2");
    return E_OK;
}

static void key_close(struct key_ctx *k)
{
    signer_free(k->anchoring);
    signer_free(k->identity);
    evm_close(&k->l);
    cli_close(&k->cx);
}

static const char *change_name(enum registry2_change_kind kind)
{
    return kind == REGISTRY2_AUTHORIZE ? "authorized" : kind == REGISTRY2_RETIRE ? "retired"
                                                                               : "compromised";
}

/* Submit one change from `sender` and print what it cost. */
static err_code change(struct key_ctx *k, const struct signer *sender,
                       enum registry2_change_kind kind, const struct addr20 *key, uint64_t since,
                       struct keychange_result *res, json_t *out)
{
    struct registry2_change ch = {.kind = kind, .identity = k->id, .key = *key, .since = since};
    err_code rc = keychange_submit(&k->l, sender, k->identity, &k->contract, &ch, k->confirmations,
                                   120, res, &k->cx.e);
    if (rc)
        return rc;
    char hex[43], tx[67];
    eth_address_checksum(key, hex);
    hash32_to_hex0x(&res->tx_hash, tx);
    if (out)
        json_array_append_new(json_object_get(out, "changes"),
                              json_pack("{s:s, s:s, s:I, s:I, s:s}", "change", change_name(kind),
                                        "key", hex, "block", (json_int_t)res->block_number,
                                        "gasUsed", (json_int_t)res->gas_used, "tx", tx));
    else
        printf("key %s %s in block %llu (gas used %llu, tx %s)\n", hex, change_name(kind),
               (unsigned long long)res->block_number, (unsigned long long)res->gas_used, tx);
    return E_OK;
}

/* Batches signed by the current key but not anchored yet (state SENT). */
static err_code in_flight(struct store *s, size_t *n, struct err *e)
{
    *n = 0;
    for (int kind = BATCH_ISSUANCE; kind <= BATCH_REVOCATION; kind++) {
        struct store_batch *list;
        size_t m;
        err_code rc = store_batch_list(s, (enum batch_kind)kind, &list, &m, e);
        if (rc)
            return rc;
        for (size_t i = 0; i < m; i++)
            *n += list[i].state == BATCH_SENT;
        free(list);
    }
    return E_OK;
}

static int finish(struct key_ctx *k, err_code rc, json_t *out)
{
    int code = EXIT_OK;
    if (rc)
        code = cli_fail(cli_exit_for(rc), &k->cx.e);
    else if (out)
        cli_print_json(json_incref(out));
    json_decref(out);
    key_close(k);
    return code;
}

/* DIR/key.json becomes the key in DIR/key-next.json, the old one kept as
 * DIR/key-OLDHEX.json. DIR/key.json exists at every instant (a copy, then one
 * atomic rename over it, then the directory synced): a crash leaves either
 * the old key in place with key-next.json beside it (rotate resumes) or the
 * new key in place. */
static err_code switch_key(const char *key, const char *next, const char *oldhex, struct err *e)
{
    char oldname[80];
    snprintf(oldname, sizeof oldname, "key-%s.json", oldhex);
    char *oldpath = cli_data_path(oldname), *dir = cli_data_path(".");
    struct buf b = {0};
    err_code rc = oldpath && dir ? file_read_all(key, KEYSTORE_MAX_BYTES, &b, e)
                                 : err_set(e, E_NOMEM, "out of memory");
    if (!rc)
        rc = file_write_atomic(oldpath, b.p, b.len, 0600, e);
    buf_free_wipe(&b);
    if (!rc && rename(next, key) != 0)
        rc = err_set(e, E_IO, "%s: %s", next, strerror(errno));
    bool opened;
    int err;
    if (!rc && (err = file_sync_path(dir, O_RDONLY | O_DIRECTORY, false, &opened)) != 0)
        rc = err_set(e, E_IO, "%s: sync: %s", dir, strerror(err));
    if (rc)
        err_prefix(e, "switching %s to the new key (the old key is still in use; run `notary key "
                      "rotate` again to finish)", key);
    free(oldpath);
    free(dir);
    return rc;
}

static int key_rotate(struct key_ctx *k, bool light, json_t *out)
{
    struct err *e = &k->cx.e;
    size_t n;
    err_code rc;
    char *key = cli_data_path("key.json"), *next = cli_data_path("key-next.json");
    struct signer *fresh = NULL;
    char *pw = NULL;
    if (!key || !next) {
        rc = err_set(e, E_NOMEM, "out of memory");
        goto out;
    }
    if ((rc = store_lock_writer(k->cx.store, e)) || (rc = in_flight(k->cx.store, &n, e)))
        goto out;
    if (n) {
        free(key), free(next);
        err_set(e, E_STATE, "%zu batch(es) were sent with the current anchoring key and are not "
                            "anchored yet: run `notary anchor` until they are, then rotate "
                            "(nothing was changed)", n);
        cli_fail(EXIT_PENDING, e);
        json_decref(out);
        key_close(k);
        return EXIT_PENDING;
    }
    /* The new key is written before it is authorized and kept: an
     * interrupted rotation resumes with it (DIR/key-next.json). */
    if ((rc = cli_get_password(NULL, &pw, e)))
        goto out;
    if (access(next, F_OK) == 0) {
        if ((rc = keystore_load_signer(next, pw, &fresh, e)))
            goto out;
        fprintf(stderr, "notary: resuming the rotation to the key kept in %s\n", next);
    } else if ((rc = signer_generate(&fresh, e)) ||
               (rc = keystore_write(next, fresh, pw, light ? &KEYSTORE_SCRYPT_LIGHT : NULL, e))) {
        goto out;
    }
    struct addr20 new_addr, old = k->current;
    signer_address(fresh, &new_addr);
    struct registry2_key_status st;
    struct keychange_result res;
    if ((rc = registry2_key_status(k->l.rpc, &k->contract, &k->id, &new_addr, NULL, &st, e)))
        goto out;
    if (st.authorized_from == REGISTRY2_NEVER &&
        (rc = change(k, k->anchoring, REGISTRY2_AUTHORIZE, &new_addr, 0, &res, out)))
        goto out;
    /* Retire the old key before DIR/key.json changes: every step is then
     * resumable by running rotate again (the old key stays DIR/key.json and
     * pays until the switch, the new one waits in DIR/key-next.json). A key
     * already retired or declared compromised is not retired on top (the
     * contract refuses it: the compromise is the stronger statement). */
    char oldhex[43];
    eth_address_checksum(&old, oldhex);
    if ((rc = registry2_key_status(k->l.rpc, &k->contract, &k->id, &old, NULL, &st, e)))
        goto out;
    if (st.retired_at == REGISTRY2_NEVER && st.compromised_since == REGISTRY2_NEVER &&
        (rc = change(k, k->anchoring, REGISTRY2_RETIRE, &old, 0, &res, out))) {
        err_prefix(e, "the new key is authorized; retiring the old key %s failed (run `notary "
                      "key rotate` again to finish)", oldhex);
        goto out;
    }
    if ((rc = switch_key(key, next, oldhex, e)))
        goto out;
    char newhex[43];
    eth_address_checksum(&new_addr, newhex);
    if (out) {
        json_object_set_new(out, "anchoringKey", json_string(newhex));
        json_object_set_new(out, "retiredKey", json_string(oldhex));
    } else {
        printf("the anchoring key is now %s (%s); %s is retired\n", newhex, key, oldhex);
        printf("fund %s before the next anchor (a new account holds no ether)\n", newhex);
    }
out:
    keystore_password_free(pw);
    signer_free(fresh);
    free(key);
    free(next);
    return finish(k, rc, out);
}

/* --since BLOCK (digits) or TIME (YYYY-MM-DDTHH:MM:SSZ) → a block. */
static err_code parse_since(struct key_ctx *k, const char *s, uint64_t *block, struct err *e)
{
    size_t len = strlen(s);
    if (len > 0 && len <= 19 && strspn(s, "0123456789") == len) {
        errno = 0;
        *block = strtoull(s, NULL, 10);
        if (errno)
            return err_set(e, E_INVALID, "--since %s: not a block number", s);
        return E_OK;
    }
    struct tm tm = {0};
    const char *end = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm);
    if (!end || *end)
        return err_set(e, E_INVALID, "--since %s: give a block number or a UTC time as "
                                     "YYYY-MM-DDTHH:MM:SSZ", s);
    time_t t = timegm(&tm);
    if (t < 0)
        return err_set(e, E_INVALID, "--since %s: before 1970", s);
    err_code rc = keychange_block_at_time(&k->l, (uint64_t)t, block, e);
    if (rc == E_NOT_FOUND) {
        err_prefix(e, "--since %s", s);
        return E_INVALID;
    }
    return rc;
}

/* The key's status for its next anchor: the rule (registry2_key_counts) at
 * the block after the latest — a key retired in the latest block counts for
 * that block's earlier anchors but for no new one. */
static const char *status_word(const struct registry2_key_entry *en, uint64_t latest)
{
    enum registry2_reason why;
    if (registry2_key_counts(&en->status, latest + 1, &why))
        return "active";
    switch (why) {
    case REGISTRY2_RETIRED: return "retired";
    case REGISTRY2_KEY_COMPROMISED: return "compromised";
    case REGISTRY2_IDENTITY_COMPROMISED: return "identity compromised";
    default: return "not authorized";
    }
}

static json_t *block_json(uint64_t v)
{
    return v == REGISTRY2_NEVER ? json_null() : json_integer((json_int_t)v);
}

static void block_text(uint64_t v, char out[24])
{
    if (v == REGISTRY2_NEVER)
        snprintf(out, 24, "-");
    else
        snprintf(out, 24, "%llu", (unsigned long long)v);
}

static int key_list(struct key_ctx *k, json_t *out)
{
    struct err *e = &k->cx.e;
    struct registry2_key_entry *keys = NULL;
    size_t n = 0;
    uint64_t latest;
    char *cur = NULL;
    struct addr20 current = {{0}};
    err_code rc = rpc_block_number(k->l.rpc, &latest, e);
    if (!rc)
        rc = registry2_key_history(k->l.rpc, &k->contract, &k->id, 0, latest, 0, &keys, &n, e);
    /* the events and the contract's own view must agree (docs/registry-v2.md §2) */
    for (size_t i = 0; i < n && !rc; i++) {
        struct registry2_key_status st;
        if ((rc = registry2_key_status(k->l.rpc, &k->contract, &k->id, &keys[i].key, NULL, &st,
                                       e)))
            break;
        if (memcmp(&st, &keys[i].status, sizeof st) != 0)
            rc = err_set(e, E_PROTOCOL, "the registry's events and its keyStatus view disagree "
                                        "about key index %u", keys[i].index);
    }
    if (rc)
        goto done;
    char *keyfile = cli_data_path("key.json");
    struct buf kb = {0};
    struct err ignore;
    /* the current anchoring key's address, from the keystore's "address" field */
    if (keyfile && file_read_all(keyfile, KEYSTORE_MAX_BYTES, &kb, &ignore) == E_OK) {
        json_t *j = json_loadb((const char *)kb.p, kb.len, 0, NULL);
        const char *a = json_string_value(json_object_get(j, "address"));
        if (a && strlen(a) == 40 && (cur = malloc(43))) {
            snprintf(cur, 43, "0x%s", a);
            if (addr20_from_hex(cur, &current, &ignore) != E_OK)
                memset(&current, 0, sizeof current);
        }
        json_decref(j);
    }
    buf_free(&kb);
    free(keyfile);
    char idhex[43];
    eth_address_checksum(&k->id, idhex);
    if (out) {
        json_object_set_new(out, "identity", json_string(idhex));
        json_object_set_new(out, "latestBlock", json_integer((json_int_t)latest));
        json_t *arr = json_array();
        for (size_t i = 0; i < n; i++) {
            char hex[43];
            eth_address_checksum(&keys[i].key, hex);
            json_array_append_new(
                arr, json_pack("{s:I, s:s, s:o, s:o, s:o, s:o, s:s, s:b}", "index",
                               (json_int_t)keys[i].index, "address", hex, "authorizedFrom",
                               block_json(keys[i].status.authorized_from), "retiredAt",
                               block_json(keys[i].status.retired_at), "compromisedSince",
                               block_json(keys[i].status.compromised_since),
                               "identityCompromisedSince",
                               block_json(keys[i].status.identity_compromised_since), "status",
                               status_word(&keys[i], latest), "current",
                               addr20_eq(&keys[i].key, &current)));
        }
        json_object_set_new(out, "keys", arr);
    } else {
        printf("identity %s (latest block %llu)\n", idhex, (unsigned long long)latest);
        printf("%-5s %-42s %-15s %-10s %-17s %s\n", "INDEX", "ADDRESS", "AUTHORIZED_FROM",
               "RETIRED_AT", "COMPROMISED_SINCE", "STATUS");
        for (size_t i = 0; i < n; i++) {
            char hex[43], a[24], r[24], c[24];
            eth_address_checksum(&keys[i].key, hex);
            block_text(keys[i].status.authorized_from, a);
            block_text(keys[i].status.retired_at, r);
            block_text(keys[i].status.compromised_since, c);
            printf("%-5u %-42s %-15s %-10s %-17s %s%s%s\n", keys[i].index, hex, a, r, c,
                   status_word(&keys[i], latest), i == 0 ? " (identity)" : "",
                   addr20_eq(&keys[i].key, &current) ? " (current anchoring key)" : "");
        }
    }
done:
    free(cur);
    free(keys);
    return finish(k, rc, out);
}

int cmd_key(int argc, char **argv)
{
    const char *identity_key = NULL, *pw_file = NULL, *since = NULL;
    bool light = false;
    const struct cli_opt opts[] = {CLI_VALUE("identity-key", &identity_key),
                                   CLI_VALUE("identity-password-file", &pw_file),
                                   CLI_VALUE("since", &since),
                                   CLI_FLAG("kdf-light", &light),
                                   CLI_JSON,
                                   CLI_HELP,
                                   {0}};
    struct cli_args args = {"key", KEY_USAGE, opts, CLI_CONTINUE, NULL};
    int code = cli_parse(&args, argc, argv, 2);
    if (code != CLI_CONTINUE)
        return code;
    const char *sub = optind < argc ? argv[optind] : NULL;
    const char *addr_arg = optind + 1 < argc ? argv[optind + 1] : NULL;
    if (!sub)
        return cli_usage_error("key", "name a subcommand: rotate, retire, compromised or list");
    bool list = !strcmp(sub, "list"), rotate = !strcmp(sub, "rotate"),
         retire = !strcmp(sub, "retire"), comp = !strcmp(sub, "compromised");
    if (!list && !rotate && !retire && !comp)
        return cli_usage_error("key", "unknown subcommand '%s' (rotate, retire, compromised, "
                                      "list)", sub);
    if ((list || rotate) && addr_arg)
        return cli_usage_error("key", "unexpected argument '%s'", addr_arg);
    if (!list && !identity_key)
        return cli_usage_error("key", "%s needs --identity-key FILE (the identity's keystore)",
                               sub);
    if (comp != (since != NULL))
        return cli_usage_error("key", comp ? "compromised needs --since BLOCK|TIME"
                                           : "--since goes with compromised");
    struct addr20 target;
    struct err ue = {0};
    if (addr_arg && eth_address_parse(addr_arg, &target, &ue))
        return cli_usage_error("key", "%s: %s", addr_arg, ue.msg);
    struct key_ctx k = {0};
    json_t *out = g_cli.json ? json_pack("{s:[]}", "changes") : NULL;
    err_code rc = key_open(&k, list ? NULL : identity_key, pw_file, !list);
    if (rc)
        return finish(&k, rc, out);
    if (list)
        return key_list(&k, out);
    if (rotate)
        return key_rotate(&k, light, out);
    if (!addr_arg)
        target = k.current;
    uint64_t block = 0;
    if (comp && (rc = parse_since(&k, since, &block, &k.cx.e)))
        return finish(&k, rc, out);
    struct keychange_result res;
    rc = change(&k, k.anchoring, comp ? REGISTRY2_COMPROMISED : REGISTRY2_RETIRE, &target, block,
                &res, out);
    if (!rc && !out && addr20_eq(&target, &k.current))
        printf("this was the current anchoring key: it anchors nothing more; run `notary key "
               "rotate` for a new one\n");
    return finish(&k, rc, out);
}
