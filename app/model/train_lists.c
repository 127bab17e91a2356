/*
 * A training's precomputed lists (see train_int.h): every user's top
 * LISTS_K from the new model, by several threads, into the lists file.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "model/csr.h"
#include "model/model.h"
#include "model/train_int.h"
#include "reco/lists.h"
#include "util/log.h"
#include "util/threads.h"

/* The users' top lists, computed by several threads. */
struct precompute {
	const struct csr	*m;		/* a row a user */
	uint64_t		 nusers;
	const struct model	*md;
	int32_t			*ids;		/* nusers * LISTS_K */
	float			*scores;
	int32_t			*because;
	uint64_t		 next;		/* next user to do (atomic) */
	int			 failed;
};

static void *
precompute_run(void *arg)
{
	struct precompute	*pc = arg;
	const struct model	*md = pc->md;
	const struct csr	*m = pc->m;
	const uint32_t		*items;
	uint32_t		 top[LISTS_K], *because = NULL;
	float			*all = NULL, *vals, sc[LISTS_K];
	size_t			 n, k, got;
	uint64_t		 u;

	if ((vals = malloc((csr_row_max(m) + 1) * sizeof(*vals))) == NULL ||
	    (md->params.recency > 0.0f && m->time == NULL)) {
		pc->failed = 1;
		goto out;
	}
	if (md->ops->topn == NULL) {
		all = malloc((size_t)md->nitems * sizeof(*all));
		because = malloc((size_t)md->nitems * sizeof(*because));
		if (all == NULL || because == NULL) {
			pc->failed = 1;
			goto out;
		}
	}
	while ((u = __atomic_fetch_add(&pc->next, 1, __ATOMIC_RELAXED)) <
	    pc->nusers) {
		/* The row's columns increase: the exclusions, sorted. */
		n = m->ptr[u + 1] - m->ptr[u];
		items = m->col + m->ptr[u];
		/* Weighed as the fold-in at request time weighs them. */
		memcpy(vals, m->val + m->ptr[u], n * sizeof(*vals));
		if (model_weigh_recent(&md->params, m->time != NULL ?
		    m->time + m->ptr[u] : NULL, vals, n) == -1) {
			pc->failed = 1;
			break;
		}
		for (k = 0; k < LISTS_K; k++) {
			pc->ids[u * LISTS_K + k] = LISTS_NONE;
			pc->scores[u * LISTS_K + k] = 0;
			pc->because[u * LISTS_K + k] = LISTS_NONE;
		}
		if (md->ops->topn != NULL) {
			got = model_recommend(md, items, vals, n, items, n,
			    top, sc, LISTS_K);
			if (got == (size_t)-1) {
				pc->failed = 1;
				break;
			}
		} else {
			/* Scored in full: item-kNN also says why. */
			if (model_score(md, items, vals, n, all, because) ==
			    -1) {
				pc->failed = 1;
				break;
			}
			got = model_topn(all, md->nitems, items, n, top,
			    LISTS_K);
			for (k = 0; k < got && all[top[k]] > 0.0f; k++) {
				sc[k] = all[top[k]];
				pc->because[u * LISTS_K + k] =
				    because[top[k]] == MODEL_NONE ? LISTS_NONE :
				    (int32_t)because[top[k]];
			}
			got = k;
		}
		for (k = 0; k < got; k++) {
			pc->ids[u * LISTS_K + k] = (int32_t)top[k];
			pc->scores[u * LISTS_K + k] = sc[k];
		}
	}
out:
	free(vals);
	free(all);
	free(because);
	return (NULL);
}

int
train_precompute(const struct csr *m, const int64_t *users,
    const struct model *md, uint32_t threads, int64_t read_ms,
    const char *path)
{
	struct precompute	 pc;
	uint64_t		 nu = m->nrows;
	int			 rc = -1;

	memset(&pc, 0, sizeof(pc));
	pc.ids = malloc((nu + 1) * LISTS_K * sizeof(*pc.ids));
	pc.scores = malloc((nu + 1) * LISTS_K * sizeof(*pc.scores));
	pc.because = malloc((nu + 1) * LISTS_K * sizeof(*pc.because));
	if (!pc.ids || !pc.scores || !pc.because)
		goto out;
	pc.m = m;
	pc.nusers = nu;
	pc.md = md;
	threads_run(precompute_run, &pc, threads);
	if (pc.failed) {
		log_warnx("%s: out of memory", __func__);
		goto out;
	}
	rc = lists_write(path, users, nu, pc.ids, pc.scores, pc.because,
	    read_ms);
out:
	free(pc.ids);
	free(pc.scores);
	free(pc.because);
	return (rc);
}

