/* notary/service/readpool.c — see readpool.h. */
#include "notary/service/readpool.h"

#include <stdlib.h>
#include <string.h>

err_code readpool_open(struct readpool *p, const char *db, size_t n, struct err *e)
{
    memset(p, 0, sizeof *p);
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->cond, NULL);
    p->all = calloc(n, sizeof *p->all);
    p->free_list = calloc(n, sizeof *p->free_list);
    if (!p->all || !p->free_list)
        return err_set(e, E_NOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        err_code rc = store_open(db, false, &p->all[i], e);
        if (rc)
            return rc;
        p->free_list[p->nfree++] = p->all[i];
        p->n++;
    }
    return E_OK;
}

struct store *readpool_get(struct readpool *p)
{
    pthread_mutex_lock(&p->lock);
    while (p->nfree == 0)
        pthread_cond_wait(&p->cond, &p->lock);
    struct store *s = p->free_list[--p->nfree];
    pthread_mutex_unlock(&p->lock);
    return s;
}

void readpool_put(struct readpool *p, struct store *s)
{
    pthread_mutex_lock(&p->lock);
    p->free_list[p->nfree++] = s;
    pthread_cond_signal(&p->cond);
    pthread_mutex_unlock(&p->lock);
}

void readpool_close(struct readpool *p)
{
    for (size_t i = 0; i < p->n; i++)
        store_close(p->all[i]);
    free(p->all);
    free(p->free_list);
    pthread_mutex_destroy(&p->lock);
    pthread_cond_destroy(&p->cond);
}
