/*
 * A training's precomputed lists (see train_int.h): every user's top
 * LISTS_K from the new model, by several threads, into the lists file.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "model/model.h"
#include "model/train_int.h"
#include "reco/lists.h"
#include "util/log.h"
#include "util/threads.h"

/* The users' top lists, computed by several threads. */
struct precompute {
	const struct ia		*v;		/* interactions, by user */
	const size_t		*start;		/* nusers + 1 offsets into v */
	uint64_t		 nusers;
	const struct model	*md;
	int32_t			*ids;		/* nusers * LISTS_K */
	float			*scores;
	int32_t			*because;
	uint64_t		 next;		/* next user to do (atomic) */
	int			 failed;
};

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t	x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x < y ? -1 : x > y);
}

static void *
precompute_run(void *arg)
{
	struct precompute	*pc = arg;
	const struct model	*md = pc->md;
	uint32_t		*items = NULL, *excl = NULL, top[LISTS_K];
	uint32_t		*because = NULL;
	float			*vals = NULL, *all = NULL, sc[LISTS_K];
	size_t			 maxn = 0, n, i, k, got;
	uint64_t		 u;

	for (u = 0; u < pc->nusers; u++)
		if (pc->start[u + 1] - pc->start[u] > maxn)
			maxn = pc->start[u + 1] - pc->start[u];
	items = malloc((maxn + 1) * sizeof(*items));
	excl = malloc((maxn + 1) * sizeof(*excl));
	vals = malloc((maxn + 1) * sizeof(*vals));
	if (md->ops->topn == NULL) {
		all = malloc((size_t)md->nitems * sizeof(*all));
		because = malloc((size_t)md->nitems * sizeof(*because));
	}
	if (items == NULL || excl == NULL || vals == NULL ||
	    (md->ops->topn == NULL && (all == NULL || because == NULL))) {
		pc->failed = 1;
		goto out;
	}
	while ((u = __atomic_fetch_add(&pc->next, 1, __ATOMIC_RELAXED)) <
	    pc->nusers) {
		n = pc->start[u + 1] - pc->start[u];
		for (i = 0; i < n; i++) {
			items[i] = (uint32_t)pc->v[pc->start[u] + i].movie;
			vals[i] = pc->v[pc->start[u] + i].val;
		}
		memcpy(excl, items, n * sizeof(*excl));
		qsort(excl, n, sizeof(*excl), cmp_u32);
		for (k = 0; k < LISTS_K; k++) {
			pc->ids[u * LISTS_K + k] = LISTS_NONE;
			pc->scores[u * LISTS_K + k] = 0;
			pc->because[u * LISTS_K + k] = LISTS_NONE;
		}
		if (md->ops->topn != NULL) {
			got = model_recommend(md, items, vals, n, excl, n, top,
			    sc, LISTS_K);
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
			got = model_topn(all, md->nitems, excl, n, top,
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
	free(items);
	free(excl);
	free(vals);
	free(all);
	free(because);
	return (NULL);
}

int
train_precompute(const struct ia *v, size_t n, const struct model *md,
    uint32_t threads, int64_t read_ms, const char *path)
{
	struct precompute	 pc;
	int64_t			*users = NULL;
	size_t			*start = NULL, i;
	uint64_t		 nu = 0;
	int			 rc = -1;

	memset(&pc, 0, sizeof(pc));
	for (i = 0; i < n; i++)
		nu += i == 0 || v[i].user != v[i - 1].user;
	users = malloc((nu + 1) * sizeof(*users));
	start = malloc((nu + 1) * sizeof(*start));
	pc.ids = malloc((nu + 1) * LISTS_K * sizeof(*pc.ids));
	pc.scores = malloc((nu + 1) * LISTS_K * sizeof(*pc.scores));
	pc.because = malloc((nu + 1) * LISTS_K * sizeof(*pc.because));
	if (!users || !start || !pc.ids || !pc.scores || !pc.because)
		goto out;
	for (i = 0, nu = 0; i < n; i++) {
		if (i == 0 || v[i].user != v[i - 1].user) {
			users[nu] = v[i].user;
			start[nu++] = i;
		}
	}
	start[nu] = n;
	pc.v = v;
	pc.start = start;
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
	free(users);
	free(start);
	free(pc.ids);
	free(pc.scores);
	free(pc.because);
	return (rc);
}

