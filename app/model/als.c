/*
 * Implicit ALS training (alternating half-iterations: Gram matrix of the
 * fixed side once, then a few conjugate-gradient steps per row of the other
 * side, rows shared among threads) and exact fold-in scoring.
 */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/threads.h"
#include "util/clock.h"
#include "model/als.h"
#include "util/log.h"

/*
 * Eight floats handled as one value.  GCC lowers it to whatever the target
 * has (two SSE registers on baseline x86-64), so no -march is needed; the
 * typedef allows unaligned, aliasing access through float pointers.
 */
typedef float vf __attribute__((vector_size(32), aligned(4), may_alias));

#define VL(p)		(*(const vf *)(const void *)(p))
#define VS(p)		(*(vf *)(void *)(p))

/*
 * Hot loops are compiled twice on x86-64, for the baseline and for
 * x86-64-v3 (AVX2, FMA), and the loader picks one for the CPU (ifunc): the
 * binary still runs on any x86-64.  Results may differ in the last bits
 * between the two (FMA rounding) but not between runs on one machine.
 */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && \
    __GNUC__ >= 11
#define HOT_CLONES	__attribute__((target_clones("arch=x86-64-v3", \
			    "default")))
#else
#define HOT_CLONES
#endif

#define ROWS_CHUNK	64	/* rows a solve thread takes at a time */
#define GRAM_CHUNK	4096	/* rows per partial Gram matrix */
#define GRAM_BLOCK	64	/* rows transposed together inside a chunk */
#define CG_EPS		1e-20f	/* residual norm^2 counted as converged */

static int	serving_prepare(struct als *);
static int	serving_order(struct als *);
static void	als_free(void *);

/* State shared by the threads of one half-iteration. */
struct solve_job {
	const struct csr	*m;		/* rows to solve: their entries */
	float			*x;		/* m->nrows * stride, updated */
	const float		*y;		/* m->ncols * stride, fixed */
	const float		*G;		/* y'y + reg I */
	uint32_t		 stride;	/* floats per row */
	float			 alpha;		/* confidence slope */
	uint32_t		 steps;		/* CG steps per row */
	uint32_t		 next;		/* next chunk of rows (atomic) */
	int			 failed;	/* a thread could not allocate */
};

/* State shared by the threads computing one Gram matrix. */
struct gram_job {
	const float		*f;		/* rows * stride */
	uint32_t		 rows;		/* rows of f */
	uint32_t		 stride;	/* floats per row */
	uint32_t		 nchunks;	/* partial sums */
	float			*part;		/* nchunks * stride * stride */
	uint32_t		 next;		/* next chunk (atomic) */
	int			 failed;	/* a thread could not allocate */
};

/* Always inlined: a vector argument by value is an ABI question otherwise. */
static inline __attribute__((always_inline)) float
hsum(vf v)
{
	return (((v[0] + v[4]) + (v[1] + v[5])) + ((v[2] + v[6]) +
	    (v[3] + v[7])));
}

/* a . b over n floats, n a multiple of 8. */
static inline float
dot(const float *a, const float *b, uint32_t n)
{
	vf		s0 = { 0 }, s1 = { 0 };
	uint32_t	i;

	for (i = 0; i + 16 <= n; i += 16) {
		s0 += VL(a + i) * VL(b + i);
		s1 += VL(a + i + 8) * VL(b + i + 8);
	}
	if (i < n)
		s0 += VL(a + i) * VL(b + i);
	return (hsum(s0 + s1));
}

/*
 * out[r] = y_r . x for the 4 consecutive rows y_0..y_3 of stride n, each
 * summed as dot() sums it, with every load of x shared by the 4.  Inlined
 * into the caller's clone, as dot is, it gives dot's scores bit for bit.
 */
static inline __attribute__((always_inline)) void
dot4(const float *y, const float *x, uint32_t n, float *out)
{
	vf		a0 = { 0 }, a1 = { 0 }, b0 = { 0 }, b1 = { 0 };
	vf		c0 = { 0 }, c1 = { 0 }, d0 = { 0 }, d1 = { 0 };
	vf		x0, x1;
	uint32_t	i;

	for (i = 0; i + 16 <= n; i += 16) {
		x0 = VL(x + i);
		x1 = VL(x + i + 8);
		a0 += VL(y + i) * x0;
		a1 += VL(y + i + 8) * x1;
		b0 += VL(y + n + i) * x0;
		b1 += VL(y + n + i + 8) * x1;
		c0 += VL(y + 2 * n + i) * x0;
		c1 += VL(y + 2 * n + i + 8) * x1;
		d0 += VL(y + 3 * n + i) * x0;
		d1 += VL(y + 3 * n + i + 8) * x1;
	}
	if (i < n) {
		x0 = VL(x + i);
		a0 += VL(y + i) * x0;
		b0 += VL(y + n + i) * x0;
		c0 += VL(y + 2 * n + i) * x0;
		d0 += VL(y + 3 * n + i) * x0;
	}
	out[0] = hsum(a0 + a1);
	out[1] = hsum(b0 + b1);
	out[2] = hsum(c0 + c1);
	out[3] = hsum(d0 + d1);
}

/* y += a x over n floats, n a multiple of 8. */
static inline void
axpy(float a, const float *x, float *y, uint32_t n)
{
	uint32_t	i;

	for (i = 0; i < n; i += 8)
		VS(y + i) = VL(y + i) + a * VL(x + i);
}

/* out = G v for a symmetric n x n G. */
static inline void
symv(const float *G, const float *v, float *out, uint32_t n)
{
	uint32_t	i;

	for (i = 0; i < n; i++)
		out[i] = dot(G + (size_t)i * n, v, n);
}

uint32_t
als_stride(uint32_t factors)
{
	return ((factors + ALS_ALIGN - 1) / ALS_ALIGN * ALS_ALIGN);
}

HOT_CLONES void
als_solve_row(const float *G, const float *Y, uint32_t stride,
    const uint32_t *idx, const float *val, size_t n, float alpha,
    uint32_t steps, float *x, float *scratch)
{
	float		*r = scratch, *p = scratch + stride;
	float		*ap = scratch + 2 * (size_t)stride;
	const float	*y;
	float		 v, c1, rs, rsn, pap, a;
	uint32_t	 i, s;
	size_t		 k;

	/* r = b - A x */
	symv(G, x, r, stride);
	for (i = 0; i < stride; i += 8)
		VS(r + i) = -VL(r + i);
	for (k = 0; k < n; k++) {
		y = Y + (size_t)idx[k] * stride;
		v = val != NULL ? val[k] : 1.0f;
		c1 = alpha * fabsf(v);
		axpy((v > 0.0f ? 1.0f + c1 : 0.0f) - c1 * dot(y, x, stride),
		    y, r, stride);
	}
	memcpy(p, r, stride * sizeof(*p));
	rs = dot(r, r, stride);
	for (s = 0; s < steps && rs > CG_EPS; s++) {
		symv(G, p, ap, stride);
		for (k = 0; k < n; k++) {
			y = Y + (size_t)idx[k] * stride;
			v = val != NULL ? val[k] : 1.0f;
			c1 = alpha * fabsf(v);
			if (c1 != 0.0f)
				axpy(c1 * dot(y, p, stride), y, ap, stride);
		}
		pap = dot(p, ap, stride);
		if (!(pap > 0.0f))
			break;
		a = rs / pap;
		axpy(a, p, x, stride);
		axpy(-a, ap, r, stride);
		rsn = dot(r, r, stride);
		for (i = 0; i < stride; i += 8)
			VS(p + i) = VL(r + i) + (rsn / rs) * VL(p + i);
		rs = rsn;
	}
}

/* Start n threads on fn(arg) and wait for them; runs inline if none starts. */
HOT_CLONES static void *
gram_worker(void *arg)
{
	struct gram_job	*job = arg;
	uint32_t	 st = job->stride, c, r0, r1, b, nb, i, j, r;
	float		*bt, *g;

	if (posix_memalign((void **)&bt, 64, (size_t)st * GRAM_BLOCK *
	    sizeof(*bt)) != 0) {
		__atomic_store_n(&job->failed, 1, __ATOMIC_RELAXED);
		return (NULL);
	}
	while ((c = __atomic_fetch_add(&job->next, 1, __ATOMIC_RELAXED)) <
	    job->nchunks) {
		g = job->part + (size_t)c * st * st;
		memset(g, 0, (size_t)st * st * sizeof(*g));
		r0 = c * GRAM_CHUNK;
		r1 = job->rows - r0 < GRAM_CHUNK ? job->rows : r0 + GRAM_CHUNK;
		for (b = r0; b < r1; b += GRAM_BLOCK) {
			nb = r1 - b < GRAM_BLOCK ? r1 - b : GRAM_BLOCK;
			memset(bt, 0, (size_t)st * GRAM_BLOCK * sizeof(*bt));
			for (r = 0; r < nb; r++)
				for (i = 0; i < st; i++)
					bt[(size_t)i * GRAM_BLOCK + r] =
					    job->f[(size_t)(b + r) * st + i];
			for (i = 0; i < st; i++)
				for (j = i; j < st; j++)
					g[(size_t)i * st + j] += dot(bt +
					    (size_t)i * GRAM_BLOCK, bt +
					    (size_t)j * GRAM_BLOCK, GRAM_BLOCK);
		}
	}
	free(bt);
	return (NULL);
}

int
als_gram(const float *f, uint32_t rows, uint32_t stride, uint32_t threads,
    float *out)
{
	struct gram_job	 job;
	double		*acc;
	uint32_t	 c, i, j;

	memset(&job, 0, sizeof(job));
	job.f = f;
	job.rows = rows;
	job.stride = stride;
	job.nchunks = (rows + GRAM_CHUNK - 1) / GRAM_CHUNK;
	if ((acc = calloc((size_t)stride * stride, sizeof(*acc))) == NULL)
		goto fail;
	job.part = malloc(((size_t)job.nchunks * stride * stride + 1) *
	    sizeof(*job.part));
	if (job.part == NULL)
		goto fail_acc;
	threads_run(gram_worker, &job, threads);
	if (job.failed)
		goto fail_part;
	for (c = 0; c < job.nchunks; c++)
		for (i = 0; i < stride; i++)
			for (j = i; j < stride; j++)
				acc[(size_t)i * stride + j] += job.part[(size_t)c *
				    stride * stride + (size_t)i * stride + j];
	for (i = 0; i < stride; i++)
		for (j = i; j < stride; j++)
			out[(size_t)i * stride + j] = out[(size_t)j * stride +
			    i] = (float)acc[(size_t)i * stride + j];
	free(job.part);
	free(acc);
	return (0);

fail_part:
	free(job.part);
fail_acc:
	free(acc);
fail:
	log_warnx("%s: out of memory", __func__);
	return (-1);
}

static void *
solve_worker(void *arg)
{
	struct solve_job	*job = arg;
	const struct csr	*m = job->m;
	uint32_t		 c, r, r1, st = job->stride;
	float			*scratch;

	if (posix_memalign((void **)&scratch, 64, 3 * (size_t)st *
	    sizeof(*scratch)) != 0) {
		__atomic_store_n(&job->failed, 1, __ATOMIC_RELAXED);
		return (NULL);
	}
	while ((c = __atomic_fetch_add(&job->next, ROWS_CHUNK,
	    __ATOMIC_RELAXED)) < m->nrows) {
		r1 = m->nrows - c < ROWS_CHUNK ? m->nrows : c + ROWS_CHUNK;
		for (r = c; r < r1; r++)
			als_solve_row(job->G, job->y, st, m->col + m->ptr[r],
			    m->val + m->ptr[r], m->ptr[r + 1] - m->ptr[r],
			    job->alpha, job->steps, job->x + (size_t)r * st,
			    scratch);
	}
	free(scratch);
	return (NULL);
}

static uint64_t
splitmix64(uint64_t *s)
{
	uint64_t	z;

	z = (*s += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return (z ^ (z >> 31));
}

/* Fill rows x stride factors with U[0, 0.01) from (seed, side, row). */
static void
init_factors(float *f, uint32_t rows, uint32_t factors, uint32_t stride,
    uint64_t seed, uint64_t side)
{
	uint64_t	s;
	uint32_t	r, i;

	for (r = 0; r < rows; r++) {
		s = seed ^ (side << 62) ^ ((uint64_t)r * 0xd1b54a32d192ed03ULL);
		for (i = 0; i < stride; i++)
			f[(size_t)r * stride + i] = i < factors ?
			    (float)(splitmix64(&s) >> 40) / 16777216.0f * 0.01f :
			    0.0f;
	}
}

/* One half-iteration: gram of fixed, then solve the rows of m into x. */
static int
half_step(const struct csr *m, float *x, const float *fixed,
    uint32_t nfixed, const struct model_params *p, uint32_t stride, float *G)
{
	struct solve_job	job;
	uint32_t		i;

	if (als_gram(fixed, nfixed, stride, p->threads, G) == -1)
		return (-1);
	for (i = 0; i < p->factors; i++)
		G[(size_t)i * stride + i] += p->reg;
	memset(&job, 0, sizeof(job));
	job.m = m;
	job.x = x;
	job.y = fixed;
	job.G = G;
	job.stride = stride;
	job.alpha = p->alpha;
	job.steps = p->cg_steps;
	threads_run(solve_worker, &job, p->threads);
	if (job.failed) {
		log_warnx("%s: out of memory", __func__);
		return (-1);
	}
	return (0);
}
static int
als_train(const struct csr *m, const struct model_params *p, void **impl)
{
	struct als	*am;
	struct csr	 iu, mv;
	float		*x, *G;
	uint32_t	 st, it;
	double		 t0;

	if (p->factors < 1 || p->cg_steps < 1 || !(p->reg > 0.0f) ||
	    !(p->alpha >= 0.0f)) {
		log_warnx("%s: need factors >= 1, cg_steps >= 1, reg > 0, "
		    "alpha >= 0", __func__);
		return (-1);
	}
	st = als_stride(p->factors);
	if ((am = calloc(1, sizeof(*am))) == NULL)
		goto fail;
	am->nitems = m->ncols;
	am->factors = p->factors;
	am->stride = st;
	am->reg = p->reg;
	am->alpha = p->alpha;
	if (posix_memalign((void **)&am->y_owned, 64, ((size_t)m->ncols + 1) *
	    st * sizeof(float)) != 0)
		goto fail_am;
	if (posix_memalign((void **)&am->gram_owned, 64, (size_t)st * st *
	    sizeof(float)) != 0)
		goto fail_y;
	if (posix_memalign((void **)&x, 64, ((size_t)m->nrows + 1) * st *
	    sizeof(float)) != 0)
		goto fail_gram;
	if (posix_memalign((void **)&G, 64, (size_t)st * st *
	    sizeof(float)) != 0)
		goto fail_x;
	/* The fit reads no times: a transpose without them (8 B an entry). */
	mv = *m;
	mv.time = NULL;
	if (csr_transpose(&mv, &iu) == -1)
		goto fail_G;

	init_factors(x, m->nrows, p->factors, st, p->seed, 1);
	init_factors(am->y_owned, m->ncols, p->factors, st, p->seed, 2);
	for (it = 0; it < p->iters; it++) {
		t0 = clock_mono_s();
		if (half_step(m, x, am->y_owned, m->ncols, p, st, G) == -1 ||
		    half_step(&iu, am->y_owned, x, m->nrows, p, st, G) == -1)
			goto fail_iu;
		if (p->verbose)
			fprintf(stderr, "als: iteration %u: %.3f s\n", it + 1,
			    clock_mono_s() - t0);
	}
	if (als_gram(am->y_owned, m->ncols, st, p->threads, am->gram_owned) ==
	    -1)
		goto fail_iu;
	csr_free(&iu);
	free(G);
	free(x);
	am->y = am->y_owned;
	am->gram = am->gram_owned;
	if (serving_prepare(am) == -1) {
		log_warnx("%s: out of memory", __func__);
		als_free(am);
		return (-1);
	}
	*impl = am;
	return (0);

fail_iu:
	csr_free(&iu);
fail_G:
	free(G);
fail_x:
	free(x);
fail_gram:
	free(am->gram_owned);
fail_y:
	free(am->y_owned);
fail_am:
	free(am);
fail:
	log_warnx("%s: training failed", __func__);
	return (-1);
}


/*
 * x (stride floats, aligned) = the user's vector folded in from the n
 * history entries, by FOLDIN_STEPS conjugate-gradient steps from 0.  The
 * same for scoring every item and for the pruned top-n.  0 or -1.
 */
static int	foldin(const struct als *, const uint32_t *, const float *,
		    size_t, float *);

HOT_CLONES static int
als_score(const void *impl, const uint32_t *items, const float *vals,
    size_t n, float *scores, uint32_t *because)
{
	const struct als	*am = impl;
	float			*x;
	uint32_t		 j;

	if (posix_memalign((void **)&x, 64, 4 * (size_t)am->stride *
	    sizeof(float)) != 0) {
		log_warnx("%s: out of memory", __func__);
		return (-1);
	}
	if (foldin(am, items, vals, n, x) == -1) {
		free(x);
		log_warnx("%s: out of memory", __func__);
		return (-1);
	}
	/* Weighed, from the rows the top-n reads: the very same products. */
	if (am->w != NULL)
		for (j = 0; j < am->nitems; j++)
			scores[am->order[j]] = dot(am->ysorted +
			    (size_t)j * am->stride, x, am->stride);
	else
		for (j = 0; j < am->nitems; j++)
			scores[j] = dot(am->y + (size_t)j * am->stride, x,
			    am->stride);
	if (because != NULL)
		for (j = 0; j < am->nitems; j++)
			because[j] = MODEL_NONE;
	free(x);
	return (0);
}

static size_t
als_sections(const void *impl, struct model_section *sec, size_t max)
{
	const struct als	*am = impl;

	if (max < 2)
		return (0);
	sec[0] = (struct model_section){ ALS_SEC_Y, sizeof(float),
	    (uint64_t)am->nitems * am->stride, am->y };
	sec[1] = (struct model_section){ ALS_SEC_GRAM, sizeof(float),
	    (uint64_t)am->stride * am->stride, am->gram };
	return (2);
}

static int
als_attach(const struct model_params *p, uint32_t nitems,
    const struct model_section *sec, size_t nsec, void **impl)
{
	struct als	*am;
	const float	*y = NULL, *gram = NULL;
	uint32_t	 st;
	size_t		 s;

	if (p->factors < 1 || p->factors > 4096 || !(p->reg > 0.0f) ||
	    !(p->alpha >= 0.0f)) {
		log_warnx("%s: bad hyperparameters (factors %u, reg %g, "
		    "alpha %g)", __func__, p->factors, p->reg, p->alpha);
		return (-1);
	}
	st = als_stride(p->factors);
	for (s = 0; s < nsec; s++) {
		if (sec[s].elemsize != sizeof(float))
			continue;
		if (sec[s].id == ALS_SEC_Y &&
		    sec[s].count == (uint64_t)nitems * st)
			y = sec[s].data;
		if (sec[s].id == ALS_SEC_GRAM &&
		    sec[s].count == (uint64_t)st * st)
			gram = sec[s].data;
	}
	if (y == NULL || gram == NULL) {
		log_warnx("%s: factor sections missing or of the wrong size",
		    __func__);
		return (-1);
	}
	if ((am = calloc(1, sizeof(*am))) == NULL) {
		log_warnx("%s: out of memory", __func__);
		return (-1);
	}
	am->nitems = nitems;
	am->factors = p->factors;
	am->stride = st;
	am->reg = p->reg;
	am->alpha = p->alpha;
	am->y = y;
	am->gram = gram;
	if (serving_prepare(am) == -1) {
		log_warnx("%s: out of memory", __func__);
		als_free(am);
		return (-1);
	}
	*impl = am;
	return (0);
}

static void
als_free(void *impl)
{
	struct als	*am = impl;

	if (am == NULL)
		return;
	free(am->y_owned);
	free(am->gram_owned);
	free(am->greg);
	free(am->norm);
	free(am->order);
	free(am->ysorted);
	free(am->nsorted);
	free(am);
}

/* For qsort_r: items by decreasing norm, then increasing index. */
static int
by_norm(const void *a, const void *b, void *arg)
{
	const float	*norm = arg;
	uint32_t	 i = *(const uint32_t *)a, j = *(const uint32_t *)b;

	if (norm[i] != norm[j])
		return (norm[i] > norm[j] ? -1 : 1);
	return (i < j ? -1 : i > j);
}

/*
 * What serving needs beyond the factors: gram + reg, norms, their order,
 * and the rows copied in that order, so that a top-n reads them front to
 * back (27k items x 64 factors: 7 MB more, read at memory speed instead
 * of a cache miss a row).
 */
static int
serving_prepare(struct als *am)
{
	uint32_t	st = am->stride, i;

	if (posix_memalign((void **)&am->greg, 64, (size_t)st * st *
	    sizeof(float)) != 0) {
		am->greg = NULL;
		return (-1);
	}
	memcpy(am->greg, am->gram, (size_t)st * st * sizeof(float));
	for (i = 0; i < am->factors; i++)
		am->greg[(size_t)i * st + i] += am->reg;
	/* Padding dimensions: 1 on the diagonal keeps the system definite. */
	for (; i < st; i++)
		am->greg[(size_t)i * st + i] = 1.0f;
	return (serving_order(am));
}

/*
 * The rows a top-n reads, each item's factors times its weight (am->w,
 * NULL: 1), by decreasing norm: the pruning bound holds for the weighed
 * scores as it does for the plain ones.  0 or -1.
 */
static int
serving_order(struct als *am)
{
	uint32_t	st = am->stride, i, k;
	size_t		n4;
	float		w;

	free(am->norm);
	free(am->order);
	free(am->ysorted);
	free(am->nsorted);
	am->ysorted = am->nsorted = NULL;
	am->norm = malloc((size_t)am->nitems * sizeof(*am->norm));
	am->order = malloc((size_t)am->nitems * sizeof(*am->order));
	if (am->norm == NULL || am->order == NULL)
		return (-1);
	for (i = 0; i < am->nitems; i++) {
		w = am->w != NULL ? am->w[i] : 1.0f;
		am->norm[i] = w * sqrtf(dot(am->y + (size_t)i * st,
		    am->y + (size_t)i * st, st));
		am->order[i] = i;
	}
	qsort_r(am->order, am->nitems, sizeof(*am->order), by_norm, am->norm);
	/* Padded to a multiple of 4 rows of zeros: dot4 reads 4 at a time. */
	n4 = ((size_t)am->nitems + 3) / 4 * 4;
	if (posix_memalign((void **)&am->ysorted, 64, n4 * st *
	    sizeof(float)) != 0) {
		am->ysorted = NULL;
		return (-1);
	}
	if ((am->nsorted = malloc(n4 * sizeof(*am->nsorted))) == NULL)
		return (-1);
	memset(am->ysorted, 0, n4 * st * sizeof(float));
	for (i = 0; i < am->nitems; i++) {
		w = am->w != NULL ? am->w[am->order[i]] : 1.0f;
		for (k = 0; k < st; k++)
			am->ysorted[(size_t)i * st + k] = w *
			    am->y[(size_t)am->order[i] * st + k];
		am->nsorted[i] = am->norm[am->order[i]];
	}
	for (; i < n4; i++)
		am->nsorted[i] = 0.0f;
	return (0);
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t	x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x < y ? -1 : x > y);
}

/*
 * Fold the user in with conjugate gradient (FOLDIN_STEPS steps from 0,
 * close to the exact solve at a fraction of its cost), then walk the items
 * by decreasing norm: |x| |y_j| bounds x . y_j (Cauchy-Schwarz), so once
 * the bound falls below the k-th best score (and below 0) no later item
 * can enter the list.  The result is exact for the folded-in vector.
 */
#define FOLDIN_STEPS	16

static int
foldin(const struct als *am, const uint32_t *items, const float *vals,
    size_t n, float *x)
{
	uint32_t	*idx;
	float		*v;
	size_t		 i, m = 0;

	idx = malloc((n ? n : 1) * sizeof(*idx));
	v = malloc((n ? n : 1) * sizeof(*v));
	if (idx == NULL || v == NULL) {
		free(idx);
		free(v);
		return (-1);
	}
	for (i = 0; i < n; i++) {
		if (items[i] >= am->nitems)
			continue;
		idx[m] = items[i];
		v[m++] = vals != NULL ? vals[i] : 1.0f;
	}
	memset(x, 0, am->stride * sizeof(float));
	als_solve_row(am->greg, am->y, am->stride, idx, v, m, am->alpha,
	    FOLDIN_STEPS, x, x + am->stride);
	free(idx);
	free(v);
	return (0);
}

/* Is (sa, ja) worse than (sb, jb): a lower score, or a tie on a higher id. */
static inline int
worse(float sa, uint32_t ja, float sb, uint32_t jb)
{
	return (sa < sb || (sa == sb && ja > jb));
}

/* Slot c of the heap out/score holds (j, s). */
static inline void
slot_set(uint32_t *out, float *score, size_t c, uint32_t j, float s)
{
	out[c] = j;
	score[c] = s;
}

/*
 * Put (j, s) in slot c of the worst-at-root heap out/score of n slots,
 * sifting it down: the one copy of that loop for both phases of als_topn.
 */
static inline void
heap_down(uint32_t *out, float *score, size_t n, size_t c, uint32_t j,
    float s)
{
	for (;;) {
		size_t		l = 2 * c + 1, r = l + 1, w = c;
		float		sw = s;
		uint32_t	jw = j;

		if (l < n && worse(score[l], out[l], sw, jw)) {
			w = l;
			sw = score[l];
			jw = out[l];
		}
		if (r < n && worse(score[r], out[r], sw, jw))
			w = r;
		if (w == c)
			break;
		slot_set(out, score, c, out[w], score[w]);
		c = w;
	}
	slot_set(out, score, c, j, s);
}

HOT_CLONES static size_t
als_topn(const void *impl, const uint32_t *items, const float *vals,
    size_t n, const uint32_t *excl, size_t nexcl, uint32_t *out,
    float *score, size_t k)
{
	const struct als	*am = impl;
	uint32_t		 st = am->stride, j, tmp;
	float			*x, xn, s, worst, t, s4[4];
	size_t			 i, used = 0, c, p;

	if (k == 0)
		return (0);
	if (posix_memalign((void **)&x, 64, 4 * (size_t)st * sizeof(float))
	    != 0)
		return ((size_t)-1);
	if (foldin(am, items, vals, n, x) == -1) {
		free(x);
		return ((size_t)-1);
	}
	xn = sqrtf(dot(x, x, st));

	/*
	 * out[0..used) is a heap with the worst kept item at the root.  The
	 * rows come 4 at a time; each is still checked against the bound.
	 */
	for (i = 0; i < am->nitems; i++) {
		if (i % 4 == 0)
			dot4(am->ysorted + i * st, x, st, s4);
		j = am->order[i];
		worst = used == k ? score[0] : 0.0f;
		if (xn * am->nsorted[i] <= worst)
			break;
		s = s4[i % 4];
		if (!(s > worst) && !(s == worst && used == k && s > 0.0f &&
		    j < out[0]))
			continue;
		/* Only a candidate is looked up among the exclusions. */
		if (nexcl > 0 && bsearch(&j, excl, nexcl, sizeof(*excl),
		    cmp_u32) != NULL)
			continue;
		if (used < k) {
			c = used++;
		} else {
			/* Replace the root, sift it down. */
			heap_down(out, score, used, 0, j, s);
			continue;
		}
		/* Sift up: the worst goes to the root. */
		while (c > 0) {
			p = (c - 1) / 2;
			if (worse(score[p], out[p], s, j))
				break;
			slot_set(out, score, c, out[p], score[p]);
			c = p;
		}
		slot_set(out, score, c, j, s);
	}
	/* Heap to a list, best first. */
	for (c = used; c > 1; c--) {
		/* Root to slot c - 1; the leaf that was there sifts down. */
		tmp = out[0];
		t = score[0];
		heap_down(out, score, c - 1, 0, out[c - 1], score[c - 1]);
		slot_set(out, score, c - 1, tmp, t);
	}
	free(x);
	return (used);
}

/*
 * Which history entry contributes most to each target's score.  The fold-in
 * solves A x = sum_k (1 + c1_k) y_k over the liked entries k, A = G + reg I
 * + sum_k c1_k y_k y_k' (als_solve_row), so the score y_j' x is the sum over
 * k of (1 + c1_k) y_k' A^-1 y_j: entry k's share of it, exactly (disliked
 * entries act only through A).  A Cholesky factor of A in double, one solve
 * a target, a dot product a (target, entry): a few hundred microseconds at
 * 128 factors, so only the paths that show explanations ask for them.
 */
static int
als_explain(const void *impl, const uint32_t *items, const float *vals,
    size_t n, const uint32_t *targets, size_t nt, uint32_t *because)
{
	const struct als	*am = impl;
	const float		*yk, *yj;
	uint32_t		 st = am->stride, a, b, c;
	double			*L, *u, sum, best, w;
	size_t			 k, t;
	float			 c1;

	for (t = 0; t < nt; t++)
		because[t] = MODEL_NONE;
	L = malloc((size_t)st * st * sizeof(*L));
	u = malloc((size_t)st * sizeof(*u));
	if (L == NULL || u == NULL) {
		free(L);
		free(u);
		log_warnx("%s: out of memory", __func__);
		return (-1);
	}
	for (a = 0; a < st * st; a++)
		L[a] = am->greg[a];
	for (k = 0; k < n; k++) {
		if (items[k] >= am->nitems)
			continue;
		c1 = am->alpha * fabsf(vals != NULL ? vals[k] : 1.0f);
		yk = am->y + (size_t)items[k] * st;
		for (a = 0; a < am->factors; a++)
			for (b = 0; b <= a; b++)
				L[(size_t)a * st + b] += (double)c1 * yk[a] *
				    yk[b];
	}
	/* Lower Cholesky factor in place (the lower triangle is A's). */
	for (a = 0; a < st; a++) {
		for (b = 0; b <= a; b++) {
			sum = L[(size_t)a * st + b];
			for (c = 0; c < b; c++)
				sum -= L[(size_t)a * st + c] *
				    L[(size_t)b * st + c];
			if (a == b) {
				if (!(sum > 0.0))
					goto done;	/* not definite: none */
				L[(size_t)a * st + a] = sqrt(sum);
			} else
				L[(size_t)a * st + b] = sum /
				    L[(size_t)b * st + b];
		}
	}
	for (t = 0; t < nt; t++) {
		if (targets[t] >= am->nitems)
			continue;
		yj = am->y + (size_t)targets[t] * st;
		/* u = A^-1 y_j: L z = y_j, then L' u = z. */
		for (a = 0; a < st; a++) {
			sum = yj[a];
			for (c = 0; c < a; c++)
				sum -= L[(size_t)a * st + c] * u[c];
			u[a] = sum / L[(size_t)a * st + a];
		}
		for (a = st; a-- > 0; ) {
			sum = u[a];
			for (c = a + 1; c < st; c++)
				sum -= L[(size_t)c * st + a] * u[c];
			u[a] = sum / L[(size_t)a * st + a];
		}
		best = 0.0;
		for (k = 0; k < n; k++) {
			if (items[k] >= am->nitems || (vals != NULL &&
			    !(vals[k] > 0.0f)))
				continue;
			c1 = am->alpha * (vals != NULL ? vals[k] : 1.0f);
			yk = am->y + (size_t)items[k] * st;
			for (a = 0, sum = 0.0; a < am->factors; a++)
				sum += (double)yk[a] * u[a];
			w = (1.0 + c1) * sum;
			/* Ties to the smaller item, as item-kNN's. */
			if (w > best || (w == best && w > 0.0 &&
			    items[k] < because[t])) {
				best = w;
				because[t] = items[k];
			}
		}
	}
done:
	free(L);
	free(u);
	return (0);
}

/* Score with the item weights w from now on (see model_ops.weigh). */
static int
als_weigh(void *impl, const float *w)
{
	struct als	*am = impl;

	am->w = w;
	return (serving_order(am));
}

const struct model_ops als_ops = {
	.algo = MODEL_ALS,
	.name = "als",
	.train = als_train,
	.score = als_score,
	.sections = als_sections,
	.attach = als_attach,
	.free = als_free,
	.topn = als_topn,
	.explain = als_explain,
	.weigh = als_weigh,
};
