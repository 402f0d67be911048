/* verifier/batch.c — see batch.h. Layout: the entry parser, the inputs (a
 * directory or a list), the workers, the printer and the summary. */
#include "verifier/batch.h"

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "anchor/rpc.h"
#include "anchor/rpc_memo.h"
#include "core/fileio.h"
#include "core/json.h"

#define PROOF_SUFFIX ".proof.json"

/* ---- one entry line --------------------------------------------------------- */

void vbatch_entry_free(struct vbatch_entry *x)
{
    free(x->credential);
    free(x->hash);
    free(x->proof);
    memset(x, 0, sizeof *x);
}

/* A copy of `n` bytes of a path or hash, refused when empty or holding a
 * control character (a NUL included). */
static err_code take(const char *what, const char *s, size_t n, char **out, struct err *e)
{
    if (n == 0)
        return err_set(e, E_INVALID, "%s is empty", what);
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return err_set(e, E_INVALID, "%s holds a control character", what);
    if (!(*out = strndup(s, n)))
        return err_set(e, E_NOMEM, "out of memory");
    return E_OK;
}

static err_code parse_json_line(const char *line, size_t len, struct vbatch_entry *out,
                                struct err *e)
{
    json_t *doc;
    if (jstrict_parse(line, len, VBATCH_MAX_LINE, 0, &doc, e))
        return err_wrap(e, E_INVALID, "not a JSON entry");
    err_code rc = E_OK;
    const char *key;
    json_t *v;
    if (!json_is_object(doc))
        rc = err_set(e, E_INVALID, "a JSON entry must be an object");
    json_object_foreach(doc, key, v) {
        if (rc)
            break;
        char **slot = strcmp(key, "credential") == 0 ? &out->credential
                      : strcmp(key, "hash") == 0     ? &out->hash
                      : strcmp(key, "proof") == 0    ? &out->proof
                                                     : NULL;
        if (!slot)
            rc = err_set(e, E_INVALID,
                         "unknown member \"%.40s\" (an entry has credential or hash, and proof)",
                         key);
        else if (!json_is_string(v))
            rc = err_set(e, E_INVALID, "\"%s\" must be a string", key);
        else
            rc = take(key, json_string_value(v), json_string_length(v), slot, e);
    }
    json_decref(doc);
    return rc;
}

err_code vbatch_parse_line(const char *line, size_t len, struct vbatch_entry *out, struct err *e)
{
    memset(out, 0, sizeof *out);
    if (len > VBATCH_MAX_LINE)
        return err_set(e, E_LIMIT, "line longer than %u bytes", VBATCH_MAX_LINE);
    size_t a = 0, b = len;
    while (a < b && (line[a] == ' ' || line[a] == '\t' || line[a] == '\r'))
        a++;
    while (b > a && (line[b - 1] == ' ' || line[b - 1] == '\t' || line[b - 1] == '\r'))
        b--;
    if (a == b || line[a] == '#')
        return E_NOT_FOUND;
    err_code rc;
    if (line[a] == '{')
        rc = parse_json_line(line + a, b - a, out, e);
    else {
        const char *tab = memchr(line + a, '\t', b - a);
        size_t n1 = tab ? (size_t)(tab - (line + a)) : b - a;
        rc = take("credential path", line + a, n1, &out->credential, e);
        if (!rc && tab) {
            const char *p = tab + 1;
            while (p < line + b && *p == '\t')
                p++;
            rc = take("bundle path", p, (size_t)(line + b - p), &out->proof, e);
        }
    }
    if (!rc && !out->credential == !out->hash)
        rc = err_set(e, E_INVALID, "give either \"credential\" or \"hash\", not %s",
                     out->credential ? "both" : "neither");
    if (!rc && out->hash && !out->proof)
        rc = err_set(e, E_INVALID, "a \"hash\" entry needs its \"proof\" (the bundle file)");
    if (rc)
        vbatch_entry_free(out);
    return rc;
}

/* ---- the inputs ---------------------------------------------------------------- */

struct item {
    struct vbatch_entry in;
    unsigned long line; /* list: line number; directory: 0 */
    char *file;         /* directory: the credential's (or orphan bundle's) name */
    struct err bad;     /* the entry could not be read: reported as ERROR */
    bool is_bad;
    char *out;          /* the output line, when done */
    int status;         /* enum verify_status, when done */
    bool done;
};

struct items {
    struct item *v;
    size_t n, cap;
};

static struct item *push(struct items *it, struct err *e)
{
    if (it->n >= VBATCH_MAX_ENTRIES) {
        err_set(e, E_LIMIT, "more than %u entries: split the batch", VBATCH_MAX_ENTRIES);
        return NULL;
    }
    if (it->n == it->cap) {
        size_t nc = it->cap ? it->cap * 2 : 256;
        struct item *nv = realloc(it->v, nc * sizeof *nv);
        if (!nv) {
            err_set(e, E_NOMEM, "out of memory");
            return NULL;
        }
        it->v = nv;
        it->cap = nc;
    }
    struct item *x = &it->v[it->n++];
    memset(x, 0, sizeof *x);
    return x;
}

/* Read one line of at most `max` bytes (without its '\n') into line[],
 * whatever its length: the bytes past `max` are read and dropped, never
 * stored (a list holding one endless line cannot exhaust memory), and *len
 * is then max + 1. False at the end of the input with nothing read, or on a
 * read error (ferror). */
static bool read_line(FILE *f, char *line, size_t max, size_t *len)
{
    size_t n = 0;
    int c;
    bool any = false;
    while ((c = getc(f)) != EOF) {
        any = true;
        if (c == '\n')
            break;
        if (n < max)
            line[n] = (char)c;
        if (n <= max)
            n++;
    }
    *len = n;
    return any && !ferror(f);
}

static err_code read_list(FILE *f, const char *name, struct items *it, struct err *e)
{
    char *line = malloc(VBATCH_MAX_LINE + 1);
    size_t len;
    unsigned long no = 0;
    err_code rc = line ? E_OK : err_set(e, E_NOMEM, "out of memory");
    while (!rc && read_line(f, line, VBATCH_MAX_LINE, &len)) {
        no++;
        struct vbatch_entry x;
        struct err pe = {0};
        /* an over-long line (len == max + 1) is refused by the parser */
        err_code prc = vbatch_parse_line(line, len, &x, &pe);
        if (prc == E_NOT_FOUND)
            continue;
        struct item *t = push(it, e);
        if (!t) {
            vbatch_entry_free(&x);
            rc = e->code;
            break;
        }
        t->line = no;
        t->in = x;
        if (prc) {
            t->is_bad = true;
            t->bad = pe;
            err_prefix(&t->bad, "%s line %lu", name, no);
        }
    }
    /* A read error ends the list early: an error for the whole batch, never
     * a shorter list whose entries could all be VALID. */
    if (!rc && ferror(f))
        rc = err_set(e, E_IO, "%s: read error after line %lu: %s", name, no, strerror(errno));
    free(line);
    return rc;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool is_regular(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

static err_code read_dir(const char *dir, struct items *it, struct err *e)
{
    DIR *d = opendir(dir);
    if (!d)
        return err_set(e, E_IO, "%s: cannot open the directory: %s", dir, strerror(errno));
    char **names = NULL;
    size_t n = 0, cap = 0;
    err_code rc = E_OK;
    struct dirent *de;
    while (!rc && (de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        if (n == cap) {
            char **nn = cap < VBATCH_MAX_ENTRIES * 2 ? realloc(names, (cap = cap ? cap * 2 : 256) * sizeof *nn) : NULL;
            if (!nn) {
                rc = err_set(e, E_LIMIT, "%s: too many files (or out of memory)", dir);
                break;
            }
            names = nn;
        }
        if (!(names[n] = strdup(de->d_name)))
            rc = err_set(e, E_NOMEM, "out of memory");
        else
            n++;
    }
    closedir(d);
    if (!rc)
        qsort(names, n, sizeof *names, by_name);
    for (size_t i = 0; !rc && i < n; i++) {
        char *path = file_join(dir, names[i]);
        if (!path) {
            rc = err_set(e, E_NOMEM, "out of memory");
            break;
        }
        struct stat st;
        bool dir_entry = stat(path, &st) == 0 && S_ISDIR(st.st_mode);
        if (dir_entry) { /* a subdirectory holds no credential of this batch */
            free(path);
            continue;
        }
        struct item *t = push(it, e);
        if (!t) {
            free(path);
            rc = e->code;
            break;
        }
        t->file = strdup(names[i]);
        if (!is_regular(path)) {
            /* a dangling link, a FIFO, a device: an entry that cannot be
             * read is an ERROR, never silently left out of the batch */
            t->is_bad = true;
            err_set(&t->bad, E_INVALID,
                    "%s is not a regular file (a dangling link, a FIFO or a device): a batch "
                    "directory holds credentials and their bundles only",
                    path);
            free(path);
            if (!t->file)
                rc = err_set(e, E_NOMEM, "out of memory");
            continue;
        }
        if (ends_with(names[i], PROOF_SUFFIX)) {
            /* a bundle: its credential's entry names it; alone, it is an error */
            size_t cl = strlen(names[i]) - strlen(PROOF_SUFFIX);
            char *cred = strndup(names[i], cl);
            char *cpath = cred ? file_join(dir, cred) : NULL;
            bool paired = cl > 0 && cpath && is_regular(cpath);
            free(cred);
            free(cpath);
            if (paired) {
                it->n--;
                free(t->file);
                free(path);
                continue;
            }
            t->is_bad = true;
            err_set(&t->bad, E_INVALID,
                    "%s: a bundle without its credential (%.*s next to it): give the "
                    "credential, or verify the bundle with --hash",
                    path, (int)cl, names[i]);
            free(path);
            continue;
        }
        t->in.credential = path;
        char *bname = malloc(strlen(names[i]) + sizeof PROOF_SUFFIX);
        if (bname) {
            strcpy(bname, names[i]);
            strcat(bname, PROOF_SUFFIX);
            char *bpath = file_join(dir, bname);
            if (bpath && is_regular(bpath))
                t->in.proof = bpath;
            else
                free(bpath);
            free(bname);
        }
        if (!t->file || !bname)
            rc = err_set(e, E_NOMEM, "out of memory");
    }
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    return rc;
}

/* ---- the workers ----------------------------------------------------------- */

struct run {
    const struct verify_run_opts *o;
    struct items *it;
    pthread_mutex_t lock;
    pthread_cond_t more;
    size_t next; /* the next entry to take */
};

/* The output line of a finished entry: the --json object (built once, never
 * printed and parsed back), compact, plus "input". NULL when out of memory. */
static char *render(const struct item *t, const struct verify_result *r)
{
    json_t *doc = verify_report_doc(r);
    json_t *in = json_object();
    char *line = NULL;
    if (doc && in) {
        if (t->line)
            json_object_set_new(in, "line", json_integer((json_int_t)t->line));
        if (t->file)
            json_object_set_new(in, "file", json_string(t->file));
        if (t->in.credential)
            json_object_set_new(in, "credential", json_string(t->in.credential));
        if (t->in.hash)
            json_object_set_new(in, "hash", json_string(t->in.hash));
        if (t->in.proof)
            json_object_set_new(in, "proof", json_string(t->in.proof));
        json_object_set(doc, "input", in);
        line = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII);
    }
    json_decref(in);
    json_decref(doc);
    return line;
}

static void *worker(void *arg)
{
    struct run *R = arg;
    struct verify_work *w = malloc(sizeof *w);
    for (;;) {
        pthread_mutex_lock(&R->lock);
        size_t i = R->next < R->it->n ? R->next++ : SIZE_MAX;
        pthread_mutex_unlock(&R->lock);
        if (i == SIZE_MAX)
            break;
        struct item *t = &R->it->v[i];
        char *line = NULL;
        int status = VERIFY_ERROR;
        if (w) {
            if (t->is_bad) {
                verify_result_init(&w->r);
                verify_result_set_error(&w->r, &t->bad);
            }
            else {
                const struct verify_input in = {.credential = t->in.credential,
                                                .hash = t->in.hash,
                                                .proof = t->in.proof};
                (void)verify_run_one(R->o, &in, w);
            }
            status = (int)w->r.status;
            line = render(t, &w->r);
        }
        if (!line)
            status = VERIFY_ERROR; /* printed as an out-of-memory ERROR line */
        pthread_mutex_lock(&R->lock);
        t->out = line;
        t->status = status;
        t->done = true;
        pthread_cond_broadcast(&R->more);
        pthread_mutex_unlock(&R->lock);
    }
    free(w);
    return NULL;
}

/* ---- the driver ------------------------------------------------------------ */

static const enum verify_status ORDER[] = {VERIFY_VALID, VERIFY_INVALID, VERIFY_ERROR,
                                           VERIFY_UNKNOWN, VERIFY_REVOKED};

static int worst_exit(const size_t count[5])
{
    if (count[VERIFY_INVALID])
        return 1;
    if (count[VERIFY_ERROR])
        return 2;
    if (count[VERIFY_UNKNOWN])
        return 3;
    if (count[VERIFY_REVOKED])
        return 4;
    return 0;
}

static void print_line(const struct item *t)
{
    if (t->out) {
        fputs(t->out, stdout);
        fputc('\n', stdout);
    }
    else
        printf("{\"status\":\"ERROR\",\"error\":\"out of memory\",\"input\":{\"line\":%lu}}\n",
               t->line);
}

int verify_batch_main(const char *source, const struct verify_run_opts *opts, unsigned jobs)
{
    struct items it = {0};
    struct err e = {0};
    err_code rc;
    struct stat st;
    if (strcmp(source, "-") == 0)
        rc = read_list(stdin, "standard input", &it, &e);
    else if (stat(source, &st) != 0)
        rc = err_set(&e, E_IO, "--batch %s: %s", source, strerror(errno));
    else if (S_ISDIR(st.st_mode))
        rc = read_dir(source, &it, &e);
    else {
        FILE *f = fopen(source, "r");
        rc = f ? read_list(f, source, &it, &e)
               : err_set(&e, E_IO, "--batch %s: %s", source, strerror(errno));
        if (f)
            fclose(f);
    }
    if (!rc && it.n == 0)
        rc = err_set(&e, E_INVALID, "--batch %s: no entries to verify (never VALID for nothing)",
                     source);
    struct verify_run_opts o = *opts;
    if (!rc && o.rpc_url && rpc_memo_new(&o.memo, &e))
        rc = E_NOMEM;
    int code = 2;
    if (rc) {
        fprintf(stderr, "verifier: %s\n", e.msg);
        goto out;
    }
    if (jobs > it.n)
        jobs = (unsigned)it.n;
    struct run R = {.o = &o, .it = &it};
    pthread_mutex_init(&R.lock, NULL);
    pthread_cond_init(&R.more, NULL);
    pthread_t tid[VERIFY_BATCH_MAX_JOBS];
    unsigned started = 0;
    for (; started < jobs; started++)
        if (pthread_create(&tid[started], NULL, worker, &R) != 0)
            break;
    if (started == 0)
        worker(&R); /* no thread could start: this one does the work */
    bool tty = isatty(STDERR_FILENO);
    size_t printed = 0, count[5] = {0};
    uint64_t last = 0, t0 = rpc_now_ms();
    pthread_mutex_lock(&R.lock);
    while (printed < it.n) {
        struct item *t = &it.v[printed];
        if (!t->done) { /* entries finish out of order; they are printed in order */
            pthread_cond_wait(&R.more, &R.lock);
            continue;
        }
        pthread_mutex_unlock(&R.lock);
        print_line(t);
        count[t->status]++;
        free(t->out);
        t->out = NULL;
        printed++;
        uint64_t now = rpc_now_ms();
        if (tty && (now - last >= 200 || printed == it.n)) {
            fprintf(stderr, "\rverifier: %zu of %zu verified", printed, it.n);
            last = now;
        }
        pthread_mutex_lock(&R.lock);
    }
    pthread_mutex_unlock(&R.lock);
    for (unsigned i = 0; i < started; i++)
        pthread_join(tid[i], NULL);
    pthread_mutex_destroy(&R.lock);
    pthread_cond_destroy(&R.more);
    if (tty)
        fputc('\n', stderr);
    code = worst_exit(count);
    if (fflush(stdout) != 0) {
        perror("verifier: stdout");
        code = 2;
    }
    fprintf(stderr, "verifier: batch of %zu in %.2f s\n  %-8s %8s\n", it.n,
            (double)(rpc_now_ms() - t0) / 1000.0, "status", "count");
    for (size_t i = 0; i < sizeof ORDER / sizeof ORDER[0]; i++)
        fprintf(stderr, "  %-8s %8zu\n", verify_status_name(ORDER[i]), count[ORDER[i]]);
    if (o.memo) {
        uint64_t hits, misses;
        rpc_memo_stats(o.memo, &hits, &misses);
        fprintf(stderr, "  ledger: %llu questions asked, %llu answered from this run's memo\n",
                (unsigned long long)misses, (unsigned long long)hits);
    }
    fprintf(stderr, "  exit %d (%s)\n", code,
            code == 0 ? "every entry VALID" : "the worst status: INVALID > ERROR > UNKNOWN > REVOKED");
out:
    for (size_t i = 0; i < it.n; i++) {
        vbatch_entry_free(&it.v[i].in);
        free(it.v[i].file);
        free(it.v[i].out);
    }
    free(it.v);
    rpc_memo_free(o.memo);
    return code;
}
