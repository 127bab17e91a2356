/*
 * Tests for app/model/als.c: the conjugate-gradient row solver against an exact
 * Cholesky solve, the Gram matrix, determinism of training, and fold-in
 * (a user's list follows the user's history).
 */
#include <criterion/criterion.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model/als.h"
#include "model/csr.h"
#include "model/model.h"

/* Deterministic uniform [-1, 1) from a 64-bit state. */
static double
rnd(uint64_t *s)
{
	*s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
	return ((double)(*s >> 11) / 9007199254740992.0 * 2.0 - 1.0);
}

static float *
aligned_floats(size_t n)
{
	void	*p = NULL;

	cr_assert_eq(posix_memalign(&p, 64, n * sizeof(float)), 0);
	memset(p, 0, n * sizeof(float));
	return (p);
}

/* Exact solve of A x = b (n x n SPD) by Cholesky, in double. */
static void
chol_solve(double *A, double *b, int n)
{
	int	i, j, k;
	double	s;

	for (j = 0; j < n; j++) {
		s = A[j * n + j];
		for (k = 0; k < j; k++)
			s -= A[j * n + k] * A[j * n + k];
		cr_assert_gt(s, 0.0);
		A[j * n + j] = sqrt(s);
		for (i = j + 1; i < n; i++) {
			s = A[i * n + j];
			for (k = 0; k < j; k++)
				s -= A[i * n + k] * A[j * n + k];
			A[i * n + j] = s / A[j * n + j];
		}
	}
	for (i = 0; i < n; i++) {
		s = b[i];
		for (k = 0; k < i; k++)
			s -= A[i * n + k] * b[k];
		b[i] = s / A[i * n + i];
	}
	for (i = n - 1; i >= 0; i--) {
		s = b[i];
		for (k = i + 1; k < n; k++)
			s -= A[k * n + i] * b[k];
		b[i] = s / A[i * n + i];
	}
}

/*
 * One random system: factors f (padded to stride), nitems item rows, a
 * history of n items with values in [-3, 5] (never 0).  Checks that CG
 * from x = 0 with enough steps reaches the exact solution, and that a warm
 * start with 3 steps gets closer than where it started.
 */
static void
check_system(uint64_t seed, uint32_t f, uint32_t nitems, size_t n)
{
	uint32_t	 st = als_stride(f), i, j, idx[64];
	float		*Y, *G, *x, *scratch, val[64];
	double		*A, *b, err, err0, reg = 0.5, c1, alpha = 2.0;
	size_t		 k;

	cr_assert_leq(n, 64);
	Y = aligned_floats((size_t)nitems * st);
	G = aligned_floats((size_t)st * st);
	x = aligned_floats(st);
	scratch = aligned_floats(3 * (size_t)st);
	A = calloc((size_t)f * f, sizeof(*A));
	b = calloc(f, sizeof(*b));
	for (i = 0; i < nitems; i++)
		for (j = 0; j < f; j++)
			Y[(size_t)i * st + j] = (float)rnd(&seed);
	for (k = 0; k < n; k++) {
		idx[k] = (uint32_t)(k * 7 % nitems);
		val[k] = (float)(4.0 * rnd(&seed) + 1.0);
		if (val[k] == 0.0f)
			val[k] = 1.0f;
	}
	/* G = Y'Y + reg I; A = G + sum c1 y y'; b = sum (1 + c1) y */
	for (i = 0; i < f; i++) {
		for (j = 0; j < f; j++) {
			double	s = 0;
			uint32_t r;

			for (r = 0; r < nitems; r++)
				s += (double)Y[(size_t)r * st + i] *
				    Y[(size_t)r * st + j];
			G[(size_t)i * st + j] = (float)(s + (i == j ? reg : 0));
			A[i * f + j] = G[(size_t)i * st + j];
		}
	}
	for (k = 0; k < n; k++) {
		const float	*y = Y + (size_t)idx[k] * st;

		c1 = alpha * fabs(val[k]);
		for (i = 0; i < f; i++) {
			for (j = 0; j < f; j++)
				A[i * f + j] += c1 * y[i] * y[j];
			if (val[k] > 0)
				b[i] += (1 + c1) * y[i];
		}
	}
	chol_solve(A, b, (int)f);

	als_solve_row(G, Y, st, idx, val, n, (float)alpha, 4 * f, x, scratch);
	for (i = 0, err = 0; i < f; i++)
		err = fmax(err, fabs(x[i] - b[i]) / (1 + fabs(b[i])));
	for (; i < st; i++)
		cr_assert_eq(x[i], 0.0f, "padding must stay 0");
	cr_assert_lt(err, 2e-3, "CG vs Cholesky: max rel error %g (f %u)",
	    err, f);

	/* Warm start from a perturbed solution: 3 steps improve it. */
	for (i = 0, err0 = 0; i < f; i++) {
		x[i] = (float)(b[i] + 0.5 * rnd(&seed));
		err0 += (x[i] - b[i]) * (x[i] - b[i]);
	}
	als_solve_row(G, Y, st, idx, val, n, (float)alpha, 3, x, scratch);
	for (i = 0, err = 0; i < f; i++)
		err += (x[i] - b[i]) * (x[i] - b[i]);
	cr_assert_lt(err, err0);

	free(A);
	free(b);
	free(scratch);
	free(x);
	free(G);
	free(Y);
}

Test(als, cg_matches_exact_solve)
{
	check_system(1, 8, 40, 10);
	check_system(2, 16, 50, 30);
	check_system(3, 5, 30, 12);	/* padded: stride 8 */
	check_system(4, 24, 60, 64);
	check_system(5, 13, 20, 1);
}

Test(als, gram_matches_naive_and_threads)
{
	uint32_t	 rows = 9000, st = 16, i, j, r;
	float		*f, *g1, *g3;
	uint64_t	 seed = 7;
	double		 s;

	f = aligned_floats((size_t)rows * st);
	g1 = aligned_floats((size_t)st * st);
	g3 = aligned_floats((size_t)st * st);
	for (r = 0; r < rows; r++)
		for (i = 0; i < 12; i++)
			f[(size_t)r * st + i] = (float)rnd(&seed);
	cr_assert_eq(als_gram(f, rows, st, 1, g1), 0);
	cr_assert_eq(als_gram(f, rows, st, 3, g3), 0);
	cr_assert_eq(memcmp(g1, g3, (size_t)st * st * sizeof(float)), 0,
	    "Gram must not depend on the thread count");
	for (i = 0; i < st; i++) {
		for (j = 0; j < st; j++) {
			for (r = 0, s = 0; r < rows; r++)
				s += (double)f[(size_t)r * st + i] *
				    f[(size_t)r * st + j];
			cr_assert_float_eq(g1[(size_t)i * st + j], s,
			    1e-3 * (1 + fabs(s)));
		}
	}
	free(g3);
	free(g1);
	free(f);
}

/*
 * Two taste clusters: users < nusers / 2 like items < nitems / 2, the
 * others like the rest; every user has 8 distinct items of the own cluster
 * (nitems / 2 must be coprime with 7).
 */
static void
cluster_matrix(struct csr *m, uint32_t nusers, uint32_t nitems)
{
	struct csr_triple	*t;
	uint32_t		 u, k, half = nitems / 2;
	size_t			 n = 0;

	t = calloc((size_t)nusers * 8, sizeof(*t));
	for (u = 0; u < nusers; u++) {
		for (k = 0; k < 8; k++) {
			t[n].row = u;
			t[n].col = (u * 3 + k * 7) % half +
			    (u < nusers / 2 ? 0 : half);
			t[n].val = 1.0f;
			t[n].time = k;
			n++;
		}
	}
	cr_assert_eq(csr_build(m, nusers, nitems, t, n, CSR_DUP_LAST), 0);
	free(t);
}

/* A cluster matrix and the default parameters of algo, to train it. */
static void
cluster_setup(struct csr *m, uint32_t nusers, uint32_t nitems,
    struct model_params *p, uint32_t algo)
{
	cluster_matrix(m, nusers, nitems);
	model_params_default(p, algo);
}

Test(als, training_is_deterministic)
{
	struct csr		 m;
	struct model_params	 p;
	struct model		*a, *b, *c;
	struct model_section	 sa[4], sb[4], sc[4];

	cluster_setup(&m, 200, 40, &p, MODEL_ALS);
	p.factors = 12;
	p.iters = 5;
	p.threads = 1;
	cr_assert_eq(model_train(&m, NULL, &p, &a), 0);
	p.threads = 3;
	cr_assert_eq(model_train(&m, NULL, &p, &b), 0);
	p.seed = 43;
	cr_assert_eq(model_train(&m, NULL, &p, &c), 0);
	cr_assert_eq(a->ops->sections(a->impl, sa, 4), 2);
	cr_assert_eq(b->ops->sections(b->impl, sb, 4), 2);
	cr_assert_eq(c->ops->sections(c->impl, sc, 4), 2);
	cr_assert_eq(memcmp(sa[0].data, sb[0].data, sa[0].count * 4), 0,
	    "same seed, different thread count: same factors");
	cr_assert_neq(memcmp(sa[0].data, sc[0].data, sa[0].count * 4), 0,
	    "another seed gives other factors");
	model_free(c);
	model_free(b);
	model_free(a);
	csr_free(&m);
}

/* Does list (n items) hold an item of the second half (>= half)? */
static int
has_second_half(const uint32_t *list, size_t n, uint32_t half)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (list[i] >= half)
			return (1);
	return (0);
}

/*
 * The top 10 of the 40 items of md for the first n of hist (excluded),
 * their scores into scores and, unless NULL, the reasons into because.
 */
static size_t
top10(const struct model *md, const uint32_t *hist, size_t n, float *scores,
    uint32_t *because, uint32_t *top)
{
	cr_assert_eq(model_score(md, hist, NULL, n, scores, because), 0);
	return (model_topn(scores, 40, hist, n, top, 10));
}

/* Fold-in: adding one item of the other cluster changes the list. */
static void
check_fold_in(uint32_t algo)
{
	struct csr		 m;
	struct model_params	 p;
	struct model		*md;
	float			 scores[40];
	uint32_t		 hist[3] = { 0, 5, 20 }, top1[10], top2[10];
	uint32_t		 because[40];
	size_t			 n1, n2;

	cluster_setup(&m, 200, 40, &p, algo);
	p.factors = 8;
	p.reg = 1.0f;
	p.alpha = 5.0f;
	cr_assert_eq(model_train(&m, NULL, &p, &md), 0);
	n1 = top10(md, hist, 1, scores, NULL, top1);
	cr_assert_eq(n1, 10);
	cr_assert_not(has_second_half(top1, n1, 20),
	    "%s: a first-cluster history gets first-cluster items",
	    model_algo_name(algo));
	n2 = top10(md, hist, 3, scores, because, top2);
	cr_assert_eq(n2, 10);
	cr_assert(has_second_half(top2, n2, 20),
	    "%s: after watching item 20 the list has its cluster",
	    model_algo_name(algo));
	cr_assert_neq(memcmp(top1, top2, sizeof(top1)), 0);
	if (algo == MODEL_ITEMKNN) {
		size_t	i;

		for (i = 0; i < n2; i++) {
			if (top2[i] >= 20)
				cr_assert_eq(because[top2[i]], 20,
				    "item %u is there because of item 20",
				    top2[i]);
			else if (scores[top2[i]] > 0)
				cr_assert(because[top2[i]] == 0 ||
				    because[top2[i]] == 5);
		}
	}
	model_free(md);
	csr_free(&m);
}

Test(als, fold_in_changes_the_list)
{
	check_fold_in(MODEL_ALS);
}

Test(als, itemknn_fold_in_and_because)
{
	check_fold_in(MODEL_ITEMKNN);
}

Test(als, rejects_bad_params)
{
	struct csr		 m;
	struct model_params	 p;
	struct model		*md;

	cluster_setup(&m, 20, 10, &p, MODEL_ALS);
	p.reg = 0.0f;
	cr_assert_eq(model_train(&m, NULL, &p, &md), -1);
	p.reg = 1.0f;
	p.factors = 0;
	cr_assert_eq(model_train(&m, NULL, &p, &md), -1);
	csr_free(&m);
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t	x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x < y ? -1 : x > y);
}

/*
 * The pruned top-n of serving (model_recommend) gives exactly the list of
 * scoring every item then model_topn, keeping positive scores, for every
 * user of a trained model, with exclusions; with a number of items that
 * is a multiple of 4 and one that is not (the scan reads rows by 4); and
 * the same with the popularity weights of pop_bias.
 */
static void
pruned_topn_check(uint32_t nitems, float bias)
{
	struct csr		 m;
	struct model_params	 p;
	struct model		*md;
	float			 scores[303], got_s[20];
	uint32_t		 hist[8], excl[8], want[20], got[20];
	size_t			 u, k, n, nw, ng, compared = 0;

	cluster_setup(&m, 400, nitems, &p, MODEL_ALS);
	p.factors = 16;
	p.reg = 1.0f;
	p.iters = 8;
	p.pop_bias = bias;
	cr_assert_eq(model_train(&m, NULL, &p, &md), 0);
	cr_assert_eq(md->item_w != NULL, bias > 0.0f);
	for (u = 0; u < 400; u += 7) {
		n = 0;
		for (k = m.ptr[u]; k < m.ptr[u + 1] && n < 8; k++)
			hist[n++] = m.col[k];
		memcpy(excl, hist, n * sizeof(*excl));
		qsort(excl, n, sizeof(*excl), cmp_u32);
		cr_assert_eq(model_score(md, hist, NULL, n, scores, NULL), 0);
		nw = model_topn(scores, nitems, excl, n, want, 20);
		while (nw > 0 && !(scores[want[nw - 1]] > 0.0f))
			nw--;
		ng = model_recommend(md, hist, NULL, n, excl, n, got, got_s,
		    20);
		cr_assert_eq(ng, nw, "user %zu: %zu items, not %zu", u, ng, nw);
		for (k = 0; k < nw; k++) {
			cr_assert_eq(got[k], want[k], "user %zu, rank %zu: %u "
			    "(%.9g), want %u (%.9g)", u, k, got[k],
			    (double)got_s[k], want[k],
			    (double)scores[want[k]]);
			cr_assert_float_eq(got_s[k], scores[want[k]], 1e-6 +
			    1e-5 * fabsf(scores[want[k]]));
		}
		compared += nw;
	}
	cr_assert_gt(compared, 100);
	model_free(md);
	csr_free(&m);
}

Test(als, pruned_topn_equals_full_scoring)
{
	pruned_topn_check(300, 0.0f);
	pruned_topn_check(303, 0.0f);
}

Test(als, pruned_topn_equals_full_scoring_with_popularity_weights)
{
	pruned_topn_check(300, 0.3f);
	pruned_topn_check(303, 1.0f);
}

/*
 * ALS explanations: the fold-in score of item j is the sum over the liked
 * history entries k of (1 + c1_k) y_k' A^-1 y_j (A the fold-in's matrix);
 * because is the entry with the largest share.  Computed here by a direct
 * solve from the model's own factors: the shares add up to model_score's
 * score, and model_explain names their largest.  A disliked entry is never
 * the reason; an item of the second cluster is there because of item 20.
 */
Test(als, explanations_are_the_largest_share_of_the_fold_in_score)
{
	struct csr		 m;
	struct model_params	 p;
	struct model		*md;
	struct model_section	 sec[4];
	const float		*Y, *G;
	uint32_t		 hist[] = { 0, 5, 20, 30 }, top[10], bc[10];
	float			 vals[] = { 1.0f, 2.5f, 1.5f, -2.0f }, sc[40];
	double			 A[64], u[8], share, sum, best, c1;
	uint32_t		 f = 8, st, want, i, j;
	size_t			 k, t, ntop;

	cluster_setup(&m, 200, 40, &p, MODEL_ALS);
	p.factors = f;
	p.reg = 1.0f;
	cr_assert_eq(model_train(&m, NULL, &p, &md), 0);
	st = als_stride(f);
	cr_assert_eq(st, f);
	cr_assert_eq(md->ops->sections(md->impl, sec, 4), 2);
	Y = sec[0].data;
	G = sec[1].data;
	cr_assert_eq(model_score(md, hist, vals, 4, sc, NULL), 0);
	ntop = model_topn(sc, 40, (uint32_t[]){ 0, 5, 20, 30 }, 4, top, 10);
	cr_assert_eq(ntop, 10);
	cr_assert_eq(model_explain(md, hist, vals, 4, top, ntop, bc), 0);
	for (t = 0; t < ntop; t++) {
		j = top[t];
		for (i = 0; i < f * f; i++)
			A[i] = G[i / f * st + i % f] + (i / f == i % f ?
			    p.reg : 0.0);
		for (k = 0; k < 4; k++) {
			c1 = p.alpha * fabs(vals[k]);
			for (i = 0; i < f * f; i++)
				A[i] += c1 * Y[hist[k] * st + i / f] *
				    Y[hist[k] * st + i % f];
		}
		for (i = 0; i < f; i++)
			u[i] = Y[j * st + i];
		chol_solve(A, u, (int)f);
		sum = best = 0.0;
		want = MODEL_NONE;
		for (k = 0; k < 4; k++) {
			if (vals[k] <= 0)
				continue;
			c1 = p.alpha * vals[k];
			for (i = 0, share = 0.0; i < f; i++)
				share += Y[hist[k] * st + i] * u[i];
			share *= 1.0 + c1;
			sum += share;
			if (share > best) {
				best = share;
				want = hist[k];
			}
		}
		cr_assert_float_eq(sum, sc[j], 1e-3 * fabs(sc[j]) + 1e-5,
		    "item %u: shares add to %g, the score is %g", j, sum,
		    (double)sc[j]);
		cr_assert_eq(bc[t], want, "item %u: because %u, the largest "
		    "share is %u's", j, bc[t], want);
		cr_assert_neq(bc[t], 30, "a disliked movie is no reason");
		if (j >= 20 && sc[j] > 0)
			cr_assert_eq(bc[t], 20, "item %u of the second "
			    "cluster, because of item 20", j);
	}
	model_free(md);
	csr_free(&m);
}
