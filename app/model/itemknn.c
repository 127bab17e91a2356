/*
 * Item-kNN training (sparse co-occurrence counts per item, cosine, top-k
 * selection, in parallel over items, then the lists indexed by neighbour)
 * and scoring with explanations.
 */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "model/itemknn.h"
#include "util/threads.h"
#include "util/log.h"

/* Shared by the training threads; each takes items from next. */
struct job {
	const struct csr	*ui;		/* users x items, positives only */
	const struct csr	*iu;		/* its transpose */
	uint32_t		 nitems;	/* items */
	uint32_t		 k;		/* neighbours per item */
	struct csr_triple	*out;		/* nitems * k: (neighbour, item) */
	uint32_t		 next;		/* next item to take (atomic) */
	int			 failed;	/* a thread could not allocate */
};

/* One candidate neighbour during selection. */
struct cand {
	uint32_t	 item;		/* neighbour index */
	float		 sim;		/* its similarity */
};

/* Is a a better neighbour than b: more similar, then smaller index. */
static int
cand_better(const struct cand *a, const struct cand *b)
{
	if (a->sim != b->sim)
		return (a->sim > b->sim);
	return (a->item < b->item);
}

/* Exchange slots a and b of heap h. */
static void
cand_swap(struct cand *h, uint32_t a, uint32_t b)
{
	struct cand	tmp;

	tmp = h[a];
	h[a] = h[b];
	h[b] = tmp;
}

/* Restore the heap (worst candidate at the root) below slot i of n. */
static void
sift_down(struct cand *h, uint32_t n, uint32_t i)
{
	uint32_t	c;

	for (;;) {
		c = 2 * i + 1;
		if (c >= n)
			break;
		if (c + 1 < n && cand_better(&h[c], &h[c + 1]))
			c++;
		if (!cand_better(&h[i], &h[c]))
			break;
		cand_swap(h, i, c);
		i = c;
	}
}

/*
 * Keep the best k of the candidates offered one by one in heap h (k slots,
 * *n used); the root is the worst kept.
 */
static void
heap_offer(struct cand *h, uint32_t k, uint32_t *n, const struct cand *c)
{
	uint32_t	i, parent;

	if (*n < k) {
		i = (*n)++;
		h[i] = *c;
		while (i > 0) {
			parent = (i - 1) / 2;
			if (!cand_better(&h[parent], &h[i]))
				break;
			cand_swap(h, i, parent);
			i = parent;
		}
	} else if (cand_better(c, &h[0])) {
		h[0] = *c;
		sift_down(h, *n, 0);
	}
}

/* Train items taken from job->next until none is left. */
static void *
worker(void *arg)
{
	struct job	*job = arg;
	const struct csr *ui = job->ui, *iu = job->iu;
	uint32_t	*cnt, *touched;
	struct cand	*cand, c;
	uint32_t	 i, j, u, ntouched, s, ncand;
	uint64_t	 a, b;
	double		 ni;

	cnt = calloc((size_t)job->nitems + 1, sizeof(*cnt));
	touched = malloc(((size_t)job->nitems + 1) * sizeof(*touched));
	cand = malloc(((size_t)job->k + 1) * sizeof(*cand));
	if (cnt == NULL || touched == NULL || cand == NULL) {
		__atomic_store_n(&job->failed, 1, __ATOMIC_RELAXED);
		goto done;
	}
	while ((i = __atomic_fetch_add(&job->next, 1, __ATOMIC_RELAXED)) <
	    job->nitems) {
		ntouched = 0;
		for (a = iu->ptr[i]; a < iu->ptr[i + 1]; a++) {
			u = iu->col[a];
			for (b = ui->ptr[u]; b < ui->ptr[u + 1]; b++) {
				j = ui->col[b];
				if (j == i)
					continue;
				if (cnt[j]++ == 0)
					touched[ntouched++] = j;
			}
		}
		ni = (double)(iu->ptr[i + 1] - iu->ptr[i]);
		ncand = 0;
		for (s = 0; s < ntouched; s++) {
			j = touched[s];
			c.item = j;
			c.sim = (float)(cnt[j] / sqrt(ni *
			    (double)(iu->ptr[j + 1] - iu->ptr[j])));
			heap_offer(cand, job->k, &ncand, &c);
			cnt[j] = 0;
		}
		for (s = 0; s < job->k; s++) {
			struct csr_triple	*t = &job->out[(size_t)i *
			    job->k + s];

			t->row = s < ncand ? cand[s].item : 0;
			t->col = i;
			t->val = s < ncand ? cand[s].sim : 0.0f;
			t->time = 0;
		}
	}
done:
	free(cand);
	free(touched);
	free(cnt);
	return (NULL);
}

/* Copy the entries of m with value > 0 as 1s into out. */
static int
positives(const struct csr *m, struct csr *out)
{
	struct csr_triple	*t;
	uint64_t		 k, n = 0;
	uint32_t		 r;
	int			 rc;

	if ((t = malloc((m->nnz ? m->nnz : 1) * sizeof(*t))) == NULL)
		return (-1);
	for (r = 0; r < m->nrows; r++) {
		for (k = m->ptr[r]; k < m->ptr[r + 1]; k++) {
			if (m->val[k] <= 0.0f)
				continue;
			t[n].row = r;
			t[n].col = m->col[k];
			t[n].val = 1.0f;
			t[n].time = 0;
			n++;
		}
	}
	rc = csr_build(out, m->nrows, m->ncols, t, n, CSR_DUP_LAST);
	free(t);
	return (rc);
}

static int
knn_train(const struct csr *m, const struct model_params *p, void **impl)
{
	struct knn	*km;
	struct csr	 ui, iu;
	struct job	 job;
	uint32_t	 nthreads;
	size_t		 slots, s, n;

	if (p->k < 1) {
		log_warnx("%s: k must be at least 1", __func__);
		return (-1);
	}
	nthreads = p->threads ? p->threads : 1;
	memset(&job, 0, sizeof(job));
	job.nitems = m->ncols;
	job.k = p->k;
	slots = (size_t)m->ncols * p->k;
	if ((km = calloc(1, sizeof(*km))) == NULL)
		goto fail;
	if ((job.out = malloc((slots ? slots : 1) * sizeof(*job.out))) == NULL)
		goto fail_km;
	if (positives(m, &ui) == -1)
		goto fail_out;
	if (csr_transpose(&ui, &iu) == -1)
		goto fail_ui;
	job.ui = &ui;
	job.iu = &iu;
	threads_run(worker, &job, nthreads);
	if (job.failed)
		goto fail_iu;

	/* Drop empty slots, then index by neighbour: row i lists its j. */
	for (s = n = 0; s < slots; s++)
		if (job.out[s].val > 0.0f)
			job.out[n++] = job.out[s];
	if (csr_build(&km->owned, m->ncols, m->ncols, job.out, n,
	    CSR_DUP_LAST) == -1)
		goto fail_iu;
	csr_free(&iu);
	csr_free(&ui);
	free(job.out);
	km->nitems = m->ncols;
	km->k = p->k;
	km->weighed = p->recency > 0.0f;
	km->ptr = km->owned.ptr;
	km->col = km->owned.col;
	km->sim = km->owned.val;
	*impl = km;
	return (0);

fail_iu:
	csr_free(&iu);
fail_ui:
	csr_free(&ui);
fail_out:
	free(job.out);
fail_km:
	free(km);
fail:
	log_warnx("%s: out of memory", __func__);
	return (-1);
}

static int
knn_score(const void *impl, const uint32_t *items, const float *vals,
    size_t n, float *scores, uint32_t *because)
{
	const struct knn	*km = impl;
	float			*best = NULL;
	uint32_t		 i, j;
	uint64_t		 e;
	size_t			 h;
	float			 w;

	if (because != NULL) {
		if ((best = calloc((size_t)km->nitems + 1, sizeof(*best))) ==
		    NULL) {
			log_warnx("%s: out of memory", __func__);
			return (-1);
		}
		for (j = 0; j < km->nitems; j++)
			because[j] = MODEL_NONE;
	}
	memset(scores, 0, (size_t)km->nitems * sizeof(*scores));
	for (h = 0; h < n; h++) {
		i = items[h];
		if (i >= km->nitems || (vals != NULL && !(vals[h] > 0.0f)))
			continue;
		for (e = km->ptr[i]; e < km->ptr[i + 1]; e++) {
			j = km->col[e];
			w = km->weighed && vals != NULL ? km->sim[e] * vals[h] :
			    km->sim[e];
			scores[j] += w;
			if (best != NULL && (w > best[j] ||
			    (w == best[j] && i < because[j]))) {
				best[j] = w;
				because[j] = i;
			}
		}
	}
	free(best);
	return (0);
}

/* With recency on, an entry counts its (weighed) value, not 1. */
static void
knn_set_recency(void *impl, float recency)
{
	struct knn	*km = impl;

	km->weighed = recency > 0.0f;
}

static size_t
knn_sections(const void *impl, struct model_section *sec, size_t max)
{
	const struct knn	*km = impl;

	if (max < 3)
		return (0);
	sec[0] = (struct model_section){ KNN_SEC_PTR, sizeof(uint64_t),
	    (uint64_t)km->nitems + 1, km->ptr };
	sec[1] = (struct model_section){ KNN_SEC_COL, sizeof(uint32_t),
	    km->ptr[km->nitems], km->col };
	sec[2] = (struct model_section){ KNN_SEC_SIM, sizeof(float),
	    km->ptr[km->nitems], km->sim };
	return (3);
}

static int
knn_attach(const struct model_params *p, uint32_t nitems,
    const struct model_section *sec, size_t nsec, void **impl)
{
	struct knn	*km;
	const uint64_t	*ptr = NULL;
	const uint32_t	*col = NULL;
	const float	*sim = NULL;
	uint64_t	 ncol = 0, nsim = 0, e;
	uint32_t	 i;
	size_t		 s;

	for (s = 0; s < nsec; s++) {
		if (sec[s].id == KNN_SEC_PTR && sec[s].elemsize == 8 &&
		    sec[s].count == (uint64_t)nitems + 1)
			ptr = sec[s].data;
		if (sec[s].id == KNN_SEC_COL && sec[s].elemsize == 4) {
			col = sec[s].data;
			ncol = sec[s].count;
		}
		if (sec[s].id == KNN_SEC_SIM && sec[s].elemsize == 4) {
			sim = sec[s].data;
			nsim = sec[s].count;
		}
	}
	if (p->k < 1 || ptr == NULL || col == NULL || sim == NULL ||
	    ptr[0] != 0 || ptr[nitems] != ncol || ncol != nsim ||
	    ncol > (uint64_t)nitems * p->k) {
		log_warnx("%s: neighbour sections missing or of the wrong "
		    "size", __func__);
		return (-1);
	}
	for (i = 0; i < nitems; i++) {
		if (ptr[i] > ptr[i + 1]) {
			log_warnx("%s: row offsets decrease at %u", __func__,
			    i);
			return (-1);
		}
	}
	for (e = 0; e < ncol; e++) {
		if (col[e] >= nitems) {
			log_warnx("%s: item index %u out of range", __func__,
			    col[e]);
			return (-1);
		}
	}
	if ((km = calloc(1, sizeof(*km))) == NULL) {
		log_warnx("%s: out of memory", __func__);
		return (-1);
	}
	km->nitems = nitems;
	km->k = p->k;
	km->weighed = p->recency > 0.0f;
	km->ptr = ptr;
	km->col = col;
	km->sim = sim;
	*impl = km;
	return (0);
}

static void
knn_free(void *impl)
{
	struct knn	*km = impl;

	if (km == NULL)
		return;
	csr_free(&km->owned);
	free(km);
}

const struct model_ops knn_ops = {
	.algo = MODEL_ITEMKNN,
	.name = "itemknn",
	.train = knn_train,
	.score = knn_score,
	.sections = knn_sections,
	.attach = knn_attach,
	.free = knn_free,
	.set_recency = knn_set_recency,
};
