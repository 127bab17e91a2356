/*
 * Popularity: per-item interaction counts (plain or time-decayed), the
 * baseline every other model must beat.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"
#include "model/pop.h"
#include "util/rng.h"

static int
pop_train(const struct csr *m, const struct model_params *p, void **impl)
{
	struct pop	*pm;
	int64_t		 now;
	uint64_t	 k;
	double		*acc;

	if (p->half_life > 0.0 && m->time == NULL) {
		log_warnx("%s: half-life decay needs interaction times",
		    __func__);
		return (-1);
	}
	if ((pm = calloc(1, sizeof(*pm))) == NULL)
		goto fail;
	pm->nitems = m->ncols;
	if ((pm->owned = calloc((size_t)m->ncols + 1, sizeof(float))) == NULL)
		goto fail_pm;
	if ((acc = calloc((size_t)m->ncols + 1, sizeof(*acc))) == NULL)
		goto fail_owned;
	if (p->half_life > 0.0) {
		now = p->now;
		if (now == 0) {
			now = INT64_MIN;
			for (k = 0; k < m->nnz; k++)
				if (m->time[k] > now)
					now = m->time[k];
		}
		for (k = 0; k < m->nnz; k++)
			acc[m->col[k]] += exp2(-(double)(now - m->time[k]) /
			    p->half_life);
	} else {
		for (k = 0; k < m->nnz; k++)
			acc[m->col[k]] += 1.0;
	}
	for (k = 0; k < m->ncols; k++)
		pm->owned[k] = (float)acc[k];
	free(acc);
	pm->score = pm->owned;
	*impl = pm;
	return (0);

fail_owned:
	free(pm->owned);
fail_pm:
	free(pm);
fail:
	log_warnx("%s: out of memory", __func__);
	return (-1);
}

static int
pop_score(const void *impl, const uint32_t *items, const float *vals,
    size_t n, float *scores, uint32_t *because)
{
	const struct pop	*pm = impl;
	uint32_t		 j;

	(void)items;
	(void)vals;
	(void)n;
	memcpy(scores, pm->score, (size_t)pm->nitems * sizeof(*scores));
	if (because != NULL)
		for (j = 0; j < pm->nitems; j++)
			because[j] = MODEL_NONE;
	return (0);
}

static size_t
pop_sections(const void *impl, struct model_section *sec, size_t max)
{
	const struct pop	*pm = impl;

	if (max < 1)
		return (0);
	sec[0] = (struct model_section){ POP_SEC_SCORE, sizeof(float),
	    pm->nitems, pm->score };
	return (1);
}

static int
pop_attach(const struct model_params *p, uint32_t nitems,
    const struct model_section *sec, size_t nsec, void **impl)
{
	struct pop	*pm;
	size_t		 i;

	(void)p;
	for (i = 0; i < nsec; i++)
		if (sec[i].id == POP_SEC_SCORE)
			break;
	if (i == nsec || sec[i].elemsize != sizeof(float) ||
	    sec[i].count != nitems) {
		log_warnx("%s: score section missing or of the wrong size",
		    __func__);
		return (-1);
	}
	if ((pm = calloc(1, sizeof(*pm))) == NULL) {
		log_warnx("%s: out of memory", __func__);
		return (-1);
	}
	pm->nitems = nitems;
	pm->score = sec[i].data;
	*impl = pm;
	return (0);
}

static void
pop_free(void *impl)
{
	struct pop	*pm = impl;

	if (pm == NULL)
		return;
	free(pm->owned);
	free(pm);
}

const struct model_ops pop_ops = {
	.algo = MODEL_POP,
	.name = "pop",
	.train = pop_train,
	.score = pop_score,
	.sections = pop_sections,
	.attach = pop_attach,
	.free = pop_free,
};

static int
random_train(const struct csr *m, const struct model_params *p, void **impl)
{
	struct pop	*pm;
	uint64_t	 state = p->seed, n;
	uint32_t	 k;

	if ((pm = calloc(1, sizeof(*pm))) == NULL ||
	    (pm->owned = calloc((size_t)m->ncols + 1, sizeof(float))) == NULL) {
		free(pm);
		log_warnx("%s: out of memory", __func__);
		return (-1);
	}
	pm->nitems = m->ncols;
	/* In (0, 1] for every movie with an interaction; 0: never listed. */
	for (k = 0; k < m->ncols; k++)
		pm->owned[k] = (float)(1.0 - rng_unif(&state));
	for (k = 0; k < m->ncols; k++)
		pm->owned[k] = -pm->owned[k];
	for (n = 0; n < m->nnz; n++)
		if (m->col[n] < m->ncols && pm->owned[m->col[n]] < 0)
			pm->owned[m->col[n]] = -pm->owned[m->col[n]];
	for (k = 0; k < m->ncols; k++)
		if (pm->owned[k] < 0)
			pm->owned[k] = 0;
	pm->score = pm->owned;
	*impl = pm;
	return (0);
}

const struct model_ops random_ops = {
	.algo = MODEL_RANDOM,
	.name = "random",
	.train = random_train,
	.score = pop_score,
	.sections = pop_sections,
	.attach = pop_attach,
	.free = pop_free,
};
