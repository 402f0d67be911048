/*
 * tests/unit/test_ledger.c — the C test kit's local ledger (tests/ledger.h)
 * against a real ganache: it starts in both profiles, answers JSON-RPC,
 * deploys the committed contract artifacts, the deployed NotaryRegistry
 * enforces its sequence from raw calldata, and the ledger is gone after stop.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdlib.h>

#include "tests/harness.h"
#include "tests/ledger.h"

/* Skip (with a visible SKIP line) only when T_ALLOW_SKIP=1 asks for it. */
#define LEDGER_OR_SKIP()                                                                           \
    do {                                                                                           \
        const char *why_ = t_ledger_skip_reason();                                                 \
        if (why_) {                                                                                \
            printf("SKIP %s: %s\n", __func__, why_);                                               \
            return;                                                                                \
        }                                                                                          \
    } while (0)

/* 32-byte ABI word of an address "0x" + 40 hex (lowercased). */
static void abi_addr(char out[65], const char *addr)
{
    snprintf(out, 65, "000000000000000000000000%s", addr + 2);
    for (char *p = out; *p; p++)
        if (*p >= 'A' && *p <= 'F')
            *p = (char)(*p + 32);
}

/* eth_call nextSeq(issuer, kind) → its value, or -1 with l->err. */
static long long next_seq(struct t_ledger *l, const char *reg, const char *issuer, int kind)
{
    char a[65], params[512], out[80];
    abi_addr(a, issuer);
    snprintf(params, sizeof params,
             "[{\"to\":\"%s\",\"data\":\"0x7c4ccc0a%s%064x\"},\"latest\"]", reg, a, kind);
    if (t_ledger_rpc_str(l, "eth_call", params, out, sizeof out) != 0)
        return -1;
    return strlen(out) == 66 ? strtoll(out + 50, NULL, 16) : -1;
}

/* eth_sendTransaction anchor(root, size, seq, kind) from T_DEV_ADDR_0; the
 * receipt's status ("0x1" or "0x0") into status. */
static int send_anchor(struct t_ledger *l, const char *reg, int root_byte, int size, int seq,
                       int kind, char status[8])
{
    char params[1024], hash[80];
    snprintf(params, sizeof params,
             "[{\"from\":\"%s\",\"to\":\"%s\",\"gas\":\"0x30d40\",\"data\":\"0x18523823"
             "%02x%062x%064x%064x%064x\"}]",
             T_DEV_ADDR_0, reg, root_byte, 1, size, seq, kind);
    if (t_ledger_rpc_str(l, "eth_sendTransaction", params, hash, sizeof hash) != 0)
        return -1;
    snprintf(params, sizeof params, "[\"%s\"]", hash);
    json_t *r = t_ledger_rpc(l, "eth_getTransactionReceipt", params);
    if (!r)
        return -1;
    const char *s = json_string_value(json_object_get(r, "status"));
    snprintf(status, 8, "%s", s ? s : "?");
    json_decref(r);
    return 0;
}

TEST(ledger_rejects_unknown_profile)
{
    struct t_ledger l;
    CHECK(t_ledger_start("london", &l) == -1);
    CHECKF(strstr(l.err, "unknown ledger profile \"london\""), "%s", l.err);
    CHECK(l.pid == 0);
}

TEST(ledger_missing_ganache_fails_clearly_and_skips_only_when_asked)
{
    const char *old = getenv("T_ALLOW_SKIP");
    char *saved = old ? strdup(old) : NULL;
    setenv("LEDGER_GANACHE_CLI", "/nonexistent/cli.js", 1);
    struct t_ledger l;
    int rc = t_ledger_start(NULL, &l);
    unsetenv("T_ALLOW_SKIP");
    bool no_skip_by_default = t_ledger_skip_reason() == NULL;
    setenv("T_ALLOW_SKIP", "1", 1);
    const char *why = t_ledger_skip_reason();
    bool skip_when_asked = why && strstr(why, "/nonexistent/cli.js is missing");
    unsetenv("LEDGER_GANACHE_CLI");
    if (saved)
        setenv("T_ALLOW_SKIP", saved, 1);
    else
        unsetenv("T_ALLOW_SKIP");
    free(saved);
    CHECK(rc == -1);
    CHECKF(strstr(l.err, "/nonexistent/cli.js is missing: run scripts/setup.sh --npm ."), "%s",
           l.err);
    CHECK(no_skip_by_default);
    CHECKF(skip_when_asked, "skip reason: %s", why ? why : "(null)");
}

TEST(ledger_default_profile_deploys_registry_and_enforces_sequence)
{
    LEDGER_OR_SKIP();
    struct t_ledger l;
    CHECKF(t_ledger_start("default", &l) == 0, "%s", l.err);
    pid_t pid = l.pid;
    char v[80], reg[43], status[8];
    bool ok = t_ledger_rpc_str(&l, "eth_chainId", NULL, v, sizeof v) == 0 && !strcmp(v, "0x539");
    if (!ok)
        t_ledger_dump_log(&l, 10);
    CHECKF(ok, "eth_chainId: %s %s", v, l.err);
    CHECKF(t_ledger_rpc_str(&l, "eth_gasPrice", NULL, v, sizeof v) == 0 && strcmp(v, "0x0"),
           "default profile has a non-zero gas price: %s %s", v, l.err);

    CHECKF(t_ledger_deploy(&l, "NotaryRegistry", reg) == 0, "%s", l.err);
    CHECKF(strlen(reg) == 42 && !strncmp(reg, "0x", 2), "%s", reg);
    CHECK(next_seq(&l, reg, T_DEV_ADDR_0, 0) == 0);
    CHECKF(send_anchor(&l, reg, 0xab, 10, 0, 0, status) == 0, "%s", l.err);
    CHECKF(!strcmp(status, "0x1"), "anchor seq 0: status %s", status);
    CHECK(next_seq(&l, reg, T_DEV_ADDR_0, 0) == 1);
    /* A repeat of seq 0 (other root) is mined but reverts and changes nothing. */
    CHECKF(send_anchor(&l, reg, 0xcd, 10, 0, 0, status) == 0, "%s", l.err);
    CHECKF(!strcmp(status, "0x0"), "repeated seq 0: status %s", status);
    CHECK(next_seq(&l, reg, T_DEV_ADDR_0, 0) == 1);
    CHECK(next_seq(&l, reg, T_DEV_ADDR_1, 0) == 0);

    /* An RPC error names the method and carries the ledger's message. */
    CHECK(t_ledger_rpc(&l, "eth_noSuchMethod", NULL) == NULL);
    CHECKF(strstr(l.err, "eth_noSuchMethod: RPC error"), "%s", l.err);
    CHECK(t_ledger_rpc(&l, "eth_chainId", "{\"not\":\"an array\"}") == NULL);
    CHECKF(strstr(l.err, "not a JSON array"), "%s", l.err);
    CHECK(t_ledger_deploy(&l, "NoSuchContract", reg) == -1);
    CHECKF(strstr(l.err, "contracts/build/NoSuchContract.bin"), "%s", l.err);

    t_ledger_stop(&l);
    CHECK(l.pid == 0);
    CHECKF(kill(pid, 0) == -1 && errno == ESRCH, "ganache pid %d still exists after stop", (int)pid);
    t_ledger_stop(&l); /* twice is harmless */
    CHECK(t_ledger_rpc(&l, "eth_chainId", NULL) == NULL);
    CHECKF(strstr(l.err, "not running"), "%s", l.err);
}

TEST(ledger_berlin_profile_has_zero_gas_price_and_runs_timestamp)
{
    LEDGER_OR_SKIP();
    struct t_ledger l;
    CHECKF(t_ledger_start("berlin", &l) == 0, "%s", l.err);
    char v[80], ts[43];
    CHECKF(t_ledger_rpc_str(&l, "eth_gasPrice", NULL, v, sizeof v) == 0 && !strcmp(v, "0x0"),
           "berlin gas price %s %s", v, l.err);
    /* Berlin blocks have no base fee (EIP-1559 is London). */
    json_t *b = t_ledger_rpc(&l, "eth_getBlockByNumber", "[\"latest\", false]");
    CHECKF(b, "%s", l.err);
    bool no_basefee = json_object_get(b, "baseFeePerGas") == NULL;
    json_decref(b);
    CHECK(no_basefee);
    CHECKF(t_ledger_deploy(&l, "Timestamp", ts) == 0, "%s", l.err);
    char params[256];
    snprintf(params, sizeof params, "[\"%s\", \"latest\"]", ts);
    json_t *code = t_ledger_rpc(&l, "eth_getCode", params);
    CHECKF(code, "%s", l.err);
    bool has_code = json_is_string(code) && strlen(json_string_value(code)) > 100;
    json_decref(code);
    CHECK(has_code);
    t_ledger_stop(&l);
}

TEST(ledger_two_at_once_on_distinct_ports)
{
    LEDGER_OR_SKIP();
    struct t_ledger a, b;
    CHECKF(t_ledger_start(NULL, &a) == 0, "%s", a.err);
    int rc = t_ledger_start("berlin", &b);
    bool distinct = rc == 0 && a.port != b.port && a.pid != b.pid;
    char va[80] = "", vb[80] = "";
    if (rc == 0) {
        t_ledger_rpc_str(&a, "eth_gasPrice", NULL, va, sizeof va);
        t_ledger_rpc_str(&b, "eth_gasPrice", NULL, vb, sizeof vb);
        t_ledger_stop(&b);
    }
    t_ledger_stop(&a);
    CHECKF(rc == 0, "%s", b.err);
    CHECK(distinct);
    CHECKF(strcmp(va, "0x0") && !strcmp(vb, "0x0"), "gas prices %s / %s", va, vb);
}
