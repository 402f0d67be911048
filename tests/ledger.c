/*
 * tests/ledger.c — see ledger.h. Starts ganache as a child process on a free
 * loopback port, probes it with libcurl, and stops it by PID.
 *
 * Why fork/exec rather than system("... &"): the test must know the exact PID
 * to stop (never a process it did not start), and the child must not outlive
 * the test even if the test crashes (PR_SET_PDEATHSIG).
 */
#define _GNU_SOURCE
#include "tests/ledger.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "tests/harness.h"

#define GANACHE_CLI_DEFAULT "node_modules/ganache/dist/node/cli.js"
#define START_ATTEMPTS 3
#define READY_TIMEOUT_MS 20000
#define STOP_TIMEOUT_MS 5000
#define RPC_REPLY_MAX (8u << 20) /* answers larger than 8 MiB are refused */

/* Ledgers started and not yet stopped, stopped at exit as a safety net. */
#define MAX_LIVE 8
static pid_t g_live[MAX_LIVE];
static bool g_atexit_set;

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
        ;
}

static long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static void set_err(struct t_ledger *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_err(struct t_ledger *l, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(l->err, sizeof l->err, fmt, ap);
    va_end(ap);
}

static const char *ganache_cli(void)
{
    const char *p = getenv("LEDGER_GANACHE_CLI");
    return p && *p ? p : GANACHE_CLI_DEFAULT;
}

static bool node_on_path(void)
{
    const char *path = getenv("PATH");
    if (!path)
        return false;
    char *copy = strdup(path);
    if (!copy)
        return false;
    bool found = false;
    for (char *save = NULL, *dir = strtok_r(copy, ":", &save); dir && !found;
         dir = strtok_r(NULL, ":", &save)) {
        char p[4096];
        snprintf(p, sizeof p, "%s/node", *dir ? dir : ".");
        found = access(p, X_OK) == 0;
    }
    free(copy);
    return found;
}

const char *t_ledger_skip_reason(void)
{
    static char why[256];
    /* `make test` installs the Node tools first, so a missing ganache is a
     * failure, not a skip — unless a developer asks for skipping explicitly. */
    const char *allow = getenv("T_ALLOW_SKIP");
    if (!allow || strcmp(allow, "1") != 0)
        return NULL;
    if (!node_on_path())
        return "node is not installed (run: scripts/setup.sh --npm .)";
    if (access(ganache_cli(), R_OK) != 0) {
        snprintf(why, sizeof why, "%s is missing (run: scripts/setup.sh --npm .)", ganache_cli());
        return why;
    }
    return NULL;
}

static void live_add(pid_t pid)
{
    for (int i = 0; i < MAX_LIVE; i++)
        if (g_live[i] == 0) {
            g_live[i] = pid;
            return;
        }
}

static void live_remove(pid_t pid)
{
    for (int i = 0; i < MAX_LIVE; i++)
        if (g_live[i] == pid)
            g_live[i] = 0;
}

/* SIGTERM, wait up to STOP_TIMEOUT_MS, then SIGKILL; always reaps `pid`. */
static void stop_pid(pid_t pid)
{
    if (pid <= 0)
        return;
    if (kill(pid, SIGTERM) != 0 && errno == ESRCH) {
        waitpid(pid, NULL, WNOHANG);
        return;
    }
    long deadline = now_ms() + STOP_TIMEOUT_MS;
    while (now_ms() < deadline) {
        pid_t r = waitpid(pid, NULL, WNOHANG);
        if (r == pid || (r == -1 && errno == ECHILD))
            return;
        sleep_ms(50);
    }
    kill(pid, SIGKILL);
    while (waitpid(pid, NULL, 0) == -1 && errno == EINTR)
        ;
}

static void stop_all_at_exit(void)
{
    for (int i = 0; i < MAX_LIVE; i++)
        if (g_live[i] > 0) {
            stop_pid(g_live[i]);
            g_live[i] = 0;
        }
}

/* A free TCP port on 127.0.0.1, chosen by the kernel; 0 on failure. */
static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return 0;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    int port = 0;
    if (bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    close(fd);
    return port;
}

/* Fork and exec ganache; the child's stdout/stderr go to `log`. */
static pid_t spawn(const char *profile, int port, const char *log, struct t_ledger *l)
{
    char port_s[16];
    snprintf(port_s, sizeof port_s, "%d", port);
    const char *argv[24];
    int n = 0;
    argv[n++] = "node";
    argv[n++] = ganache_cli();
    argv[n++] = "--chain.chainId";
    argv[n++] = "1337";
    argv[n++] = "--wallet.deterministic";
    argv[n++] = "--server.host";
    argv[n++] = "127.0.0.1";
    argv[n++] = "--server.port";
    argv[n++] = port_s;
    if (strcmp(profile, "berlin") == 0) {
        argv[n++] = "--chain.hardfork";
        argv[n++] = "berlin";
        argv[n++] = "--miner.defaultGasPrice";
        argv[n++] = "0";
    }
    argv[n] = NULL;

    int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        set_err(l, "cannot create ledger log %s: %s", log, strerror(errno));
        return -1;
    }
    pid_t parent = getpid();
    fflush(NULL); /* the child must not repeat our buffered output */
    pid_t pid = fork();
    if (pid < 0) {
        set_err(l, "fork: %s", strerror(errno));
        close(fd);
        return -1;
    }
    if (pid == 0) {
        /* Die with the test process, even if it crashes. */
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (getppid() != parent)
            _exit(127);
        int in = open("/dev/null", O_RDONLY);
        if (in < 0 || dup2(in, 0) < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
            _exit(127);
        execvp("node", (char *const *)argv);
        dprintf(2, "exec node: %s\n", strerror(errno));
        _exit(127);
    }
    close(fd);
    return pid;
}

struct reply {
    char *buf;
    size_t len;
    bool too_big;
};

static size_t on_data(char *p, size_t size, size_t nmemb, void *ud)
{
    struct reply *r = ud;
    size_t n = size * nmemb;
    if (r->len + n > RPC_REPLY_MAX) {
        r->too_big = true;
        return 0;
    }
    char *nb = realloc(r->buf, r->len + n + 1);
    if (!nb)
        return 0;
    memcpy(nb + r->len, p, n);
    r->buf = nb;
    r->len += n;
    r->buf[r->len] = '\0';
    return n;
}

/* POST one JSON-RPC request; returns the result or NULL with l->err set. */
static json_t *rpc(struct t_ledger *l, const char *method, const char *params_json, long timeout_ms)
{
    json_error_t jerr;
    json_t *params = json_loads(params_json ? params_json : "[]", 0, &jerr);
    if (!params || !json_is_array(params)) {
        set_err(l, "%s: params are not a JSON array: %s", method, params ? "not an array" : jerr.text);
        json_decref(params);
        return NULL;
    }
    json_t *req = json_pack("{s:s, s:i, s:s, s:o}", "jsonrpc", "2.0", "id", 1, "method", method,
                            "params", params);
    char *body = req ? json_dumps(req, JSON_COMPACT) : NULL;
    json_decref(req);
    if (!body) {
        set_err(l, "%s: cannot build the request", method);
        return NULL;
    }

    struct reply r = {0};
    CURL *c = curl_easy_init();
    struct curl_slist *hdr = curl_slist_append(NULL, "Content-Type: application/json");
    CURLcode cc = CURLE_FAILED_INIT;
    long status = 0;
    if (c && hdr) {
        curl_easy_setopt(c, CURLOPT_URL, l->url);
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, &r);
        curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
        curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(c, CURLOPT_PROXY, ""); /* loopback only, whatever the environment says */
        cc = curl_easy_perform(c);
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    }
    curl_slist_free_all(hdr);
    if (c)
        curl_easy_cleanup(c);
    free(body);

    json_t *result = NULL;
    if (cc != CURLE_OK) {
        set_err(l, "%s to %s: %s", method, l->url,
                r.too_big ? "answer over 8 MiB" : curl_easy_strerror(cc));
        goto out;
    }
    json_t *ans = json_loadb(r.buf ? r.buf : "", r.len, 0, &jerr);
    if (!ans || !json_is_object(ans)) {
        set_err(l, "%s: HTTP %ld, not a JSON-RPC answer: %.200s", method, status, r.buf ? r.buf : "");
        json_decref(ans);
        goto out;
    }
    json_t *e = json_object_get(ans, "error");
    if (e) {
        json_t *msg = json_object_get(e, "message");
        json_t *data = json_object_get(e, "data");
        char *data_s = data ? json_dumps(data, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
        set_err(l, "%s: RPC error %lld: %s%s%.200s", method,
                (long long)json_integer_value(json_object_get(e, "code")),
                json_is_string(msg) ? json_string_value(msg) : "(no message)", data_s ? " data " : "",
                data_s ? data_s : "");
        free(data_s);
    } else if (!json_object_get(ans, "result")) {
        set_err(l, "%s: answer has neither result nor error", method);
    } else {
        result = json_incref(json_object_get(ans, "result"));
    }
    json_decref(ans);
out:
    free(r.buf);
    return result;
}

json_t *t_ledger_rpc(struct t_ledger *l, const char *method, const char *params_json)
{
    if (l->pid <= 0) {
        set_err(l, "%s: the ledger is not running", method);
        return NULL;
    }
    return rpc(l, method, params_json, 30000);
}

int t_ledger_rpc_str(struct t_ledger *l, const char *method, const char *params_json, char *out,
                     size_t cap)
{
    json_t *res = t_ledger_rpc(l, method, params_json);
    if (!res)
        return -1;
    int rc = -1;
    if (!json_is_string(res))
        set_err(l, "%s: result is not a string", method);
    else if (strlen(json_string_value(res)) >= cap)
        set_err(l, "%s: result longer than %zu bytes", method, cap - 1);
    else {
        strcpy(out, json_string_value(res));
        rc = 0;
    }
    json_decref(res);
    return rc;
}

/* Wait until the child answers eth_chainId 0x539. 0 ready, -1 exited early
 * (err set; retryable), -2 no answer in time or a wrong chain (err set). */
static int wait_ready(struct t_ledger *l)
{
    long deadline = now_ms() + READY_TIMEOUT_MS;
    while (now_ms() < deadline) {
        int st;
        pid_t r = waitpid(l->pid, &st, WNOHANG);
        if (r == l->pid) {
            set_err(l, "ganache exited during start (status %d); log %s", st, l->log_path);
            live_remove(l->pid); /* reaped: its PID may be reused, never signal it again */
            l->pid = 0;
            return -1;
        }
        json_t *res = rpc(l, "eth_chainId", NULL, 1000);
        if (res) {
            bool ok = json_is_string(res) && strcmp(json_string_value(res), "0x539") == 0;
            if (!ok)
                set_err(l, "the ledger on port %d answers a chain id other than 1337", l->port);
            json_decref(res);
            return ok ? 0 : -2;
        }
        sleep_ms(100);
    }
    set_err(l, "ganache did not answer on port %d within %d s; log %s", l->port,
            READY_TIMEOUT_MS / 1000, l->log_path);
    return -2;
}

int t_ledger_start(const char *profile, struct t_ledger *out)
{
    memset(out, 0, sizeof *out);
    if (!profile)
        profile = "default";
    if (strcmp(profile, "default") != 0 && strcmp(profile, "berlin") != 0) {
        set_err(out, "unknown ledger profile \"%s\" (default|berlin)", profile);
        return -1;
    }
    if (access(ganache_cli(), R_OK) != 0) {
        set_err(out, "%s is missing: run scripts/setup.sh --npm . (from the project root)",
                ganache_cli());
        return -1;
    }
    if (!g_atexit_set) {
        atexit(stop_all_at_exit);
        g_atexit_set = true;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    snprintf(out->profile, sizeof out->profile, "%s", profile);
    static int seq;
    for (int attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
        out->port = free_port();
        if (out->port == 0) {
            set_err(out, "no free port on 127.0.0.1: %s", strerror(errno));
            break;
        }
        snprintf(out->url, sizeof out->url, "http://127.0.0.1:%d", out->port);
        snprintf(out->log_path, sizeof out->log_path, "%s/ledger-%s-%d.log", t_tmpdir(), profile,
                 ++seq);
        out->pid = spawn(profile, out->port, out->log_path, out);
        if (out->pid < 0) {
            out->pid = 0;
            break;
        }
        live_add(out->pid);
        int r = wait_ready(out);
        if (r == 0)
            return 0;
        if (out->pid > 0) {
            live_remove(out->pid);
            stop_pid(out->pid);
            out->pid = 0;
        }
        if (r == -2)
            break; /* a slow or wrong ledger: another port will not help */
    }
    curl_global_cleanup();
    return -1;
}

void t_ledger_stop(struct t_ledger *l)
{
    if (!l || l->pid <= 0)
        return;
    live_remove(l->pid);
    stop_pid(l->pid);
    l->pid = 0;
    curl_global_cleanup();
}

/* Read contracts/build/<name>.bin: one line of hex without 0x. */
static char *read_bin(struct t_ledger *l, const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "contracts/build/%s.bin", name);
    FILE *f = fopen(path, "r");
    if (!f) {
        set_err(l, "%s: %s (run node scripts/compile-contracts.js from the project root)", path,
                strerror(errno));
        return NULL;
    }
    char *buf = malloc(3 + 256 * 1024);
    size_t n = buf ? fread(buf + 2, 1, 256 * 1024, f) : 0;
    fclose(f);
    if (!buf)
        return NULL;
    while (n > 0 && (buf[2 + n - 1] == '\n' || buf[2 + n - 1] == '\r'))
        n--;
    buf[0] = '0';
    buf[1] = 'x';
    buf[2 + n] = '\0';
    if (n == 0 || n % 2 || strspn(buf + 2, "0123456789abcdef") != n) {
        set_err(l, "%s is not one line of lowercase hex", path);
        free(buf);
        return NULL;
    }
    return buf;
}

int t_ledger_deploy(struct t_ledger *l, const char *name, char addr_out[43])
{
    char *code = read_bin(l, name);
    if (!code)
        return -1;
    json_t *tx = json_pack("[{s:s, s:s, s:s}]", "from", T_DEV_ADDR_0, "data", code, "gas", "0x2dc6c0");
    free(code);
    char *params = tx ? json_dumps(tx, JSON_COMPACT) : NULL;
    json_decref(tx);
    if (!params) {
        set_err(l, "deploy %s: cannot build the transaction", name);
        return -1;
    }
    char hash[67];
    int rc = t_ledger_rpc_str(l, "eth_sendTransaction", params, hash, sizeof hash);
    free(params);
    if (rc != 0)
        return -1;

    char q[128];
    snprintf(q, sizeof q, "[\"%s\"]", hash);
    /* ganache mines instantly; a few polls cover a slow machine. */
    for (int i = 0; i < 100; i++) {
        json_t *rcpt = t_ledger_rpc(l, "eth_getTransactionReceipt", q);
        if (!rcpt)
            return -1;
        if (json_is_object(rcpt)) {
            const char *status = json_string_value(json_object_get(rcpt, "status"));
            const char *addr = json_string_value(json_object_get(rcpt, "contractAddress"));
            rc = -1;
            if (!status || strcmp(status, "0x1") != 0)
                set_err(l, "deploy %s: transaction %s failed (status %s)", name, hash,
                        status ? status : "missing");
            else if (!addr || strlen(addr) != 42)
                set_err(l, "deploy %s: receipt has no contract address", name);
            else {
                for (int k = 0; k < 42; k++)
                    addr_out[k] = (char)(addr[k] >= 'A' && addr[k] <= 'F' ? addr[k] + 32 : addr[k]);
                addr_out[42] = '\0';
                rc = 0;
            }
            json_decref(rcpt);
            return rc;
        }
        json_decref(rcpt);
        sleep_ms(50);
    }
    set_err(l, "deploy %s: no receipt for %s after 5 s", name, hash);
    return -1;
}

void t_ledger_dump_log(const struct t_ledger *l, int lines)
{
    FILE *f = fopen(l->log_path, "r");
    if (!f) {
        printf("# (no ledger log at %s)\n", l->log_path);
        return;
    }
    /* Keep the last `lines` lines in a ring of bounded lines. */
    enum { W = 256, MAXL = 64 };
    static char ring[MAXL][W];
    if (lines > MAXL)
        lines = MAXL;
    int count = 0;
    char line[W];
    while (fgets(line, sizeof line, f)) {
        snprintf(ring[count % MAXL], W, "%s", line);
        count++;
    }
    fclose(f);
    int start = count > lines ? count - lines : 0;
    for (int i = start; i < count; i++) {
        const char *s = ring[i % MAXL];
        printf("# %s%s", s, s[strlen(s) - 1] == '\n' ? "" : "\n");
    }
}
