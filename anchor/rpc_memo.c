/* anchor/rpc_memo.c — see rpc_memo.h. A chained hash table under one mutex;
 * an answer is parsed once and handed out as a shared, read-only reference
 * (jansson counts references atomically, and reading a value never writes
 * it: no copy per hit). */
#define _GNU_SOURCE
#include "anchor/rpc_memo.h"

#include <stdio.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct memo_entry {
    struct memo_entry *next;
    char *key;
    void *value;              /* NULL while its owner fetches it */
    void (*free_fn)(void *);  /* releases value */
};

struct rpc_memo {
    pthread_mutex_t lock;
    pthread_cond_t done;
    struct memo_entry **slot;
    size_t nslot, n;
    uint64_t hits, misses;
};

err_code rpc_memo_new(struct rpc_memo **out, struct err *e)
{
    *out = NULL;
    struct rpc_memo *m = calloc(1, sizeof *m);
    if (m)
        m->slot = calloc(m->nslot = 1024, sizeof *m->slot);
    if (!m || !m->slot) {
        free(m);
        return err_set(e, E_NOMEM, "out of memory for the ledger answers' memo");
    }
    pthread_mutex_init(&m->lock, NULL);
    pthread_cond_init(&m->done, NULL);
    *out = m;
    return E_OK;
}

void rpc_memo_free(struct rpc_memo *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->nslot; i++)
        for (struct memo_entry *x = m->slot[i], *nx; x; x = nx) {
            nx = x->next;
            if (x->value)
                x->free_fn(x->value);
            free(x->key);
            free(x);
        }
    free(m->slot);
    pthread_mutex_destroy(&m->lock);
    pthread_cond_destroy(&m->done);
    free(m);
}

void rpc_memo_stats(struct rpc_memo *m, uint64_t *hits, uint64_t *misses)
{
    pthread_mutex_lock(&m->lock);
    *hits = m->hits;
    *misses = m->misses;
    pthread_mutex_unlock(&m->lock);
}

bool rpc_memo_cacheable(const char *method)
{
    static const char *const ro[] = {"eth_chainId", "eth_getCode", "eth_call",
                                     "eth_getTransactionByHash", "eth_getTransactionReceipt",
                                     "eth_getBlockByNumber", "eth_getBlockByHash",
                                     "eth_blockNumber", "eth_getLogs"};
    for (size_t i = 0; i < sizeof ro / sizeof ro[0]; i++)
        if (strcmp(method, ro[i]) == 0)
            return true;
    return false;
}

char *rpc_memo_key(const char *url, size_t max_response, const char *method,
                   const json_t *params)
{
    char *p = json_dumps(params, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
    char *k = NULL;
    /* '\n' cannot occur in a URL we accept, a method name, or compact JSON */
    if (p && asprintf(&k, "%s\n%zu\n%s\n%s", url, max_response, method, p) < 0)
        k = NULL;
    free(p);
    return k;
}

/* FNV-1a */
static size_t slot_of(const struct rpc_memo *m, const char *key)
{
    uint64_t h = 1469598103934665603ull;
    for (const unsigned char *s = (const unsigned char *)key; *s; s++)
        h = (h ^ *s) * 1099511628211ull;
    return (size_t)(h % m->nslot);
}

static struct memo_entry **find(struct rpc_memo *m, const char *key)
{
    struct memo_entry **pp = &m->slot[slot_of(m, key)];
    while (*pp && strcmp((*pp)->key, key) != 0)
        pp = &(*pp)->next;
    return pp;
}

/* Double the table when it is full on average (under the lock). */
static void grow(struct rpc_memo *m)
{
    if (m->n < m->nslot || m->nslot > (SIZE_MAX / sizeof *m->slot) / 2)
        return;
    size_t old = m->nslot;
    struct memo_entry **ns = calloc(old * 2, sizeof *ns);
    if (!ns)
        return; /* longer chains, still correct */
    struct memo_entry **os = m->slot;
    m->slot = ns;
    m->nslot = old * 2;
    for (size_t i = 0; i < old; i++)
        for (struct memo_entry *x = os[i], *nx; x; x = nx) {
            nx = x->next;
            struct memo_entry **pp = &m->slot[slot_of(m, x->key)];
            x->next = *pp;
            *pp = x;
        }
    free(os);
}

/* Look `key` up (see rpc_memo_begin): the remembered value, or NULL when the
 * caller now owns the question. `json` says which counters count it. */
static void *begin(struct rpc_memo *m, const char *key, bool json)
{
    pthread_mutex_lock(&m->lock);
    for (;;) {
        struct memo_entry **pp = find(m, key);
        if (*pp && (*pp)->value) {
            void *v = (*pp)->value;
            if (json) {
                json_incref(v);
                m->hits++;
            }
            pthread_mutex_unlock(&m->lock);
            return v;
        }
        if (*pp) { /* someone fetches it now */
            pthread_cond_wait(&m->done, &m->lock);
            continue;
        }
        struct memo_entry *x = calloc(1, sizeof *x);
        if (x && !(x->key = strdup(key))) {
            free(x);
            x = NULL;
        }
        if (x) {
            x->next = m->slot[slot_of(m, key)];
            m->slot[slot_of(m, key)] = x;
            m->n++;
            grow(m);
        }
        /* without memory the question is asked unremembered: end() then
         * finds no entry and only wakes the others */
        if (json)
            m->misses++;
        pthread_mutex_unlock(&m->lock);
        return NULL;
    }
}

/* End an owned question with `value` (NULL: the fetch failed), released by
 * free_fn with the memo. True when the memo took it; false: the caller keeps
 * it. */
static bool end(struct rpc_memo *m, const char *key, void *value, void (*free_fn)(void *))
{
    bool kept = false;
    pthread_mutex_lock(&m->lock);
    struct memo_entry **pp = find(m, key);
    if (*pp && !(*pp)->value && value) {
        (*pp)->value = value;
        (*pp)->free_fn = free_fn;
        kept = true;
    } else if (*pp && !(*pp)->value) { /* failed: forget the question, the next asks again */
        struct memo_entry *x = *pp;
        *pp = x->next;
        free(x->key);
        free(x);
        m->n--;
    }
    pthread_cond_broadcast(&m->done);
    pthread_mutex_unlock(&m->lock);
    return kept;
}

static void free_json(void *v) { json_decref(v); }

bool rpc_memo_begin(struct rpc_memo *m, const char *key, json_t **result)
{
    *result = begin(m, key, true);
    return *result != NULL;
}

void rpc_memo_end(struct rpc_memo *m, const char *key, json_t *answer)
{
    if (answer && !end(m, key, json_incref(answer), free_json))
        json_decref(answer);
    else if (!answer)
        end(m, key, NULL, free_json);
}

const void *rpc_memo_value_begin(struct rpc_memo *m, const char *key)
{
    return begin(m, key, false);
}

bool rpc_memo_value_end(struct rpc_memo *m, const char *key, void *value,
                        void (*free_fn)(void *))
{
    return end(m, key, value, free_fn);
}
