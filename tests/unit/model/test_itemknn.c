/*
 * Unit tests for app/model/itemknn.c: cosine similarities on a tiny
 * hand-computed matrix (negative entries ignored, values used as 1s), the
 * k neighbours kept per item with ties to the smaller index, scores and
 * `because` (ties, negative and out-of-range history entries), k = 0
 * refused, the same model from 1 and 3 threads, and the model file round
 * trip with its malformed neighbour sections refused.
 */
#include <criterion/criterion.h>

#include "harness.h"
#include "scratch.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/csr.h"
#include "model/itemknn.h"
#include "model/model.h"

static char		 path[256];	/* h_dir/knn.cnrm */
static struct csr	 m;

static void
setup(void)
{
	h_scratch_setup();
	snprintf(path, sizeof(path), "%s/knn.cnrm", h_dir);
	memset(&m, 0, sizeof(m));
}

static void
teardown(void)
{
	csr_free(&m);
	h_scratch_teardown();
}

TestSuite(itemknn, .init = setup, .fini = teardown, .timeout = 60);

/*
 * 5 users x 6 items; values > 0 count as 1, the others not at all:
 *   user 0: 0 1 2       user 1: 0 1        user 2: 1 2 3
 *   user 3: 0 3 (and -1 on 2)              user 4: 4 (alone)
 * Item users: 0 {0,1,3}  1 {0,1,2}  2 {0,2}  3 {2,3}  4 {4}  5 {}.
 * Cosine = common / sqrt(n_i n_j):
 *   (0,1) 2/3   (0,2) 1/sqrt6   (0,3) 1/sqrt6
 *   (1,2) 2/sqrt6   (1,3) 1/sqrt6   (2,3) 1/2;  items 4 and 5: none.
 */
static const struct csr_triple	tiny[] = {
	{ 0, 0, 1.0f, 0 }, { 0, 1, 3.5f, 0 }, { 0, 2, 0.2f, 0 },
	{ 1, 0, 2.0f, 0 }, { 1, 1, 1.0f, 0 },
	{ 2, 1, 1.0f, 0 }, { 2, 2, 5.0f, 0 }, { 2, 3, 1.0f, 0 },
	{ 3, 0, 1.0f, 0 }, { 3, 3, 1.0f, 0 }, { 3, 2, -1.0f, 0 },
	{ 4, 4, 1.0f, 0 },
};

#define NTINY	(sizeof(tiny) / sizeof(tiny[0]))
#define S01	(2.0 / 3.0)
#define S02	(1.0 / sqrt(6.0))
#define S03	(1.0 / sqrt(6.0))
#define S12	(2.0 / sqrt(6.0))
#define S13	(1.0 / sqrt(6.0))
#define S23	0.5

static struct model *
train_k(uint32_t k, uint32_t threads)
{
	struct model_params	 p;
	struct model		*md = NULL;

	if (m.ptr == NULL)
		cr_assert_eq(csr_build(&m, 5, 6, tiny, NTINY, CSR_DUP_LAST),
		    0);
	model_params_default(&p, MODEL_ITEMKNN);
	p.k = k;
	p.threads = threads;
	cr_assert_eq(model_train(&m, NULL, &p, &md), 0);
	cr_assert_eq(md->algo, MODEL_ITEMKNN);
	cr_assert_eq(md->nitems, m.ncols);
	return (md);
}

/* Assert row i of the trained lists: n (item, similarity) pairs. */
static void
row(const struct knn *km, uint32_t i, size_t n, const uint32_t *cols,
    const double *sims)
{
	uint64_t	e;
	size_t		x;

	cr_assert_eq(km->ptr[i + 1] - km->ptr[i], n, "row %u: %llu entries",
	    i, (unsigned long long)(km->ptr[i + 1] - km->ptr[i]));
	for (x = 0, e = km->ptr[i]; x < n; x++, e++) {
		cr_assert_eq(km->col[e], cols[x], "row %u entry %zu: item %u",
		    i, x, km->col[e]);
		cr_assert_float_eq(km->sim[e], (float)sims[x], 1e-6,
		    "row %u entry %zu", i, x);
	}
}

Test(itemknn, similarities_and_two_neighbours_per_item)
{
	struct model	*md = train_k(2, 1);
	struct knn	*km = md->impl;

	cr_assert_eq(km->nitems, 6);
	cr_assert_eq(km->k, 2);
	/*
	 * Kept (k = 2, ties to the smaller index): 0 -> {1, 2},
	 * 1 -> {2, 0}, 2 -> {1, 3}, 3 -> {2, 0}; 4 and 5 have none.  Row i
	 * lists the items that keep i.
	 */
	cr_assert_eq(km->ptr[0], 0);
	row(km, 0, 2, (uint32_t[]){ 1, 3 }, (double[]){ S01, S03 });
	row(km, 1, 2, (uint32_t[]){ 0, 2 }, (double[]){ S01, S12 });
	row(km, 2, 3, (uint32_t[]){ 0, 1, 3 }, (double[]){ S02, S12, S23 });
	row(km, 3, 1, (uint32_t[]){ 2 }, (double[]){ S23 });
	row(km, 4, 0, NULL, NULL);
	row(km, 5, 0, NULL, NULL);
	cr_assert_eq(km->ptr[6], 8);
	model_free(md);
}

Test(itemknn, one_neighbour_per_item_is_the_most_similar)
{
	struct model	*md = train_k(1, 2);
	struct knn	*km = md->impl;
	uint32_t	 i, j, kept[6] = { 0 };
	uint64_t	 e;

	/* 0 -> 1, 1 -> 2, 2 -> 1, 3 -> 2. */
	row(km, 0, 0, NULL, NULL);
	row(km, 1, 2, (uint32_t[]){ 0, 2 }, (double[]){ S01, S12 });
	row(km, 2, 2, (uint32_t[]){ 1, 3 }, (double[]){ S12, S23 });
	row(km, 3, 0, NULL, NULL);
	for (i = 0; i < 6; i++)
		for (e = km->ptr[i]; e < km->ptr[i + 1]; e++)
			kept[km->col[e]]++;
	for (j = 0; j < 6; j++)
		cr_assert_leq(kept[j], 1, "item %u keeps %u", j, kept[j]);
	model_free(md);
}

Test(itemknn, large_k_keeps_every_co_occurring_item)
{
	struct model	*md = train_k(50, 2);
	struct knn	*km = md->impl;

	row(km, 0, 3, (uint32_t[]){ 1, 2, 3 }, (double[]){ S01, S02, S03 });
	row(km, 1, 3, (uint32_t[]){ 0, 2, 3 }, (double[]){ S01, S12, S13 });
	row(km, 2, 3, (uint32_t[]){ 0, 1, 3 }, (double[]){ S02, S12, S23 });
	row(km, 3, 3, (uint32_t[]){ 0, 1, 2 }, (double[]){ S03, S13, S23 });
	row(km, 4, 0, NULL, NULL);
	cr_assert_eq(km->ptr[6], 12);
	model_free(md);
}

Test(itemknn, zero_neighbours_is_refused)
{
	struct model_params	 p;
	struct model		*md = NULL;

	cr_assert_eq(csr_build(&m, 5, 6, tiny, NTINY, CSR_DUP_LAST), 0);
	model_params_default(&p, MODEL_ITEMKNN);
	p.k = 0;
	cr_assert_eq(model_train(&m, NULL, &p, &md), -1);
	cr_assert_null(md);
}

Test(itemknn, scores_sum_similarities_and_because_is_the_best)
{
	struct model	*md = train_k(2, 1);
	uint32_t	 h1[] = { 0 }, h2[] = { 0, 2 }, bc[6];
	float		 s[6];

	cr_assert_eq(model_score(md, h1, NULL, 1, s, bc), 0);
	cr_assert_float_eq(s[0], 0.0f, 0);
	cr_assert_float_eq(s[1], (float)S01, 1e-6);
	cr_assert_float_eq(s[2], 0.0f, 0);
	cr_assert_float_eq(s[3], (float)S03, 1e-6);
	cr_assert_float_eq(s[4], 0.0f, 0);
	cr_assert_eq(bc[0], MODEL_NONE);
	cr_assert_eq(bc[1], 0);
	cr_assert_eq(bc[2], MODEL_NONE);
	cr_assert_eq(bc[3], 0);

	/* History items are scored too (not excluded here). */
	cr_assert_eq(model_score(md, h2, NULL, 2, s, bc), 0);
	cr_assert_float_eq(s[0], (float)S02, 1e-6);
	cr_assert_float_eq(s[1], (float)(S01 + S12), 1e-6);
	cr_assert_float_eq(s[2], 0.0f, 0);
	cr_assert_float_eq(s[3], (float)(S03 + S23), 1e-6);
	cr_assert_eq(bc[0], 2);
	cr_assert_eq(bc[1], 2, "2/sqrt6 beats 2/3");
	cr_assert_eq(bc[2], MODEL_NONE);
	cr_assert_eq(bc[3], 2, "1/2 beats 1/sqrt6");
	cr_assert_eq(bc[4], MODEL_NONE);
	cr_assert_eq(bc[5], MODEL_NONE);

	/* because NULL: the same scores. */
	{
		float	t[6];

		cr_assert_eq(model_score(md, h2, NULL, 2, t, NULL), 0);
		cr_assert_eq(memcmp(s, t, sizeof(s)), 0);
	}
	model_free(md);
}

Test(itemknn, because_ties_go_to_the_smaller_history_item)
{
	struct model	*md = train_k(3, 1);
	uint32_t	 a[] = { 3, 2 }, b[] = { 2, 3 }, bc[6];
	float		 s[6];

	/* Item 0 keeps 2 and 3, both at 1/sqrt6. */
	cr_assert_eq(model_score(md, a, NULL, 2, s, bc), 0);
	cr_assert_float_eq(s[0], (float)(S02 + S03), 1e-6);
	cr_assert_eq(bc[0], 2);
	cr_assert_eq(model_score(md, b, NULL, 2, s, bc), 0);
	cr_assert_eq(bc[0], 2);
	model_free(md);
}

Test(itemknn, non_positive_and_out_of_range_history_entries_are_ignored)
{
	struct model	*md = train_k(2, 1);
	uint32_t	 h[] = { 0, 2, 6, 4000000000u, 1 }, bc[6];
	float		 v[] = { 1.0f, -1.0f, 1.0f, 1.0f, 0.0f };
	float		 s[6], want[6];

	/* Only item 0 counts: 2 is disliked, 1 has value 0. */
	cr_assert_eq(model_score(md, h, v, 5, s, bc), 0);
	cr_assert_eq(model_score(md, h, NULL, 1, want, NULL), 0);
	cr_assert_eq(memcmp(s, want, sizeof(s)), 0);
	cr_assert_eq(bc[1], 0);
	cr_assert_eq(bc[0], MODEL_NONE);
	/* An empty history: all zero, nothing explained. */
	cr_assert_eq(model_score(md, NULL, NULL, 0, s, bc), 0);
	cr_assert_float_eq(s[1] + s[3], 0.0f, 0);
	cr_assert_eq(bc[1], MODEL_NONE);
	model_free(md);
}

/*
 * With recency on (the default, 10), a history entry counts its value
 * (model_weigh_recent's weight times the signal), not 1: history 0 at 0.25
 * and 3 at 1 score item 1 S01/4 + S13 and item 2 S02/4 + S23, and the
 * better contribution explains each.  Off, both count 1 as above.
 */
Test(itemknn, with_recency_each_history_entry_counts_its_value)
{
	struct model_params	 p;
	struct model		*md = NULL;
	uint32_t		 h[] = { 0, 3 }, bc[6];
	float			 v[] = { 0.25f, 1.0f }, s[6];

	cr_assert_eq(csr_build(&m, 5, 6, tiny, NTINY, CSR_DUP_LAST), 0);
	model_params_default(&p, MODEL_ITEMKNN);
	p.k = 3;
	cr_assert_gt(p.recency, 0.0f);
	cr_assert_eq(model_train(&m, NULL, &p, &md), 0);
	cr_assert_eq(model_score(md, h, v, 2, s, bc), 0);
	cr_assert_float_eq(s[1], (float)(S01 / 4 + S13), 1e-6);
	cr_assert_float_eq(s[2], (float)(S02 / 4 + S23), 1e-6);
	cr_assert_eq(bc[1], 3, "1/sqrt6 beats 2/3 at a quarter");
	cr_assert_eq(bc[2], 3);
	/* A history without values (reco_similar's one movie) counts 1s. */
	cr_assert_eq(model_score(md, h, NULL, 2, s, bc), 0);
	cr_assert_float_eq(s[1], (float)(S01 + S13), 1e-6);
	/* Set off after the fit (a tuning trial), it is off. */
	model_set_recency(md, 0.0f);
	cr_assert_eq(model_score(md, h, v, 2, s, bc), 0);
	cr_assert_float_eq(s[1], (float)(S01 + S13), 1e-6);
	model_set_recency(md, 10.0f);
	cr_assert_eq(model_score(md, h, v, 2, s, bc), 0);
	cr_assert_float_eq(s[1], (float)(S01 / 4 + S13), 1e-6);
	model_free(md);
	p.recency = 0.0f;
	cr_assert_eq(model_train(&m, NULL, &p, &md), 0);
	cr_assert_eq(model_score(md, h, v, 2, s, bc), 0);
	cr_assert_float_eq(s[1], (float)(S01 + S13), 1e-6);
	cr_assert_eq(bc[1], 0);
	model_free(md);
}

/* A random 300 x 80 matrix with a few negative entries. */
static void
random_matrix(void)
{
	struct csr_triple	*t;
	uint64_t		 s = 7;
	size_t			 i, n = 6000;

	cr_assert_not_null(t = malloc(n * sizeof(*t)));
	for (i = 0; i < n; i++) {
		s = s * 6364136223846793005ULL + 1442695040888963407ULL;
		t[i].row = (uint32_t)(i / 20);
		/* Skewed towards small items: many ties and co-occurrences. */
		t[i].col = (uint32_t)((s >> 33) % 80 * ((s >> 20) % 80) / 80);
		t[i].val = (s >> 12) % 9 == 0 ? -1.0f : 1.0f;
		t[i].time = 0;
	}
	cr_assert_eq(csr_build(&m, 300, 80, t, n, CSR_DUP_LAST), 0);
	free(t);
}

Test(itemknn, one_and_three_threads_train_the_same_model)
{
	struct model	*a, *b, *c;
	struct knn	*ka, *kb, *kc;
	uint64_t	 nnz;

	random_matrix();
	a = train_k(10, 1);
	b = train_k(10, 3);
	c = train_k(10, 0);		/* 0 counts as 1 */
	ka = a->impl;
	kb = b->impl;
	kc = c->impl;
	nnz = ka->ptr[80];
	cr_assert_gt(nnz, 80, "a matrix with neighbours");
	cr_assert_leq(nnz, 80 * 10);
	cr_assert_eq(memcmp(ka->ptr, kb->ptr, 81 * sizeof(*ka->ptr)), 0);
	cr_assert_eq(memcmp(ka->col, kb->col, nnz * sizeof(*ka->col)), 0);
	cr_assert_eq(memcmp(ka->sim, kb->sim, nnz * sizeof(*ka->sim)), 0);
	cr_assert_eq(memcmp(ka->ptr, kc->ptr, 81 * sizeof(*ka->ptr)), 0);
	cr_assert_eq(memcmp(ka->sim, kc->sim, nnz * sizeof(*ka->sim)), 0);
	model_free(c);
	model_free(b);
	model_free(a);
}

Test(itemknn, save_and_load_round_trip_the_same_scores)
{
	struct model	*a, *b;
	struct knn	*kb;
	int64_t		 ids[80];
	uint32_t	 hist[] = { 1, 5, 9, 40, 77 }, bca[80], bcb[80];
	float		 vals[] = { 1.0f, 2.0f, -1.0f, 0.5f, 3.0f };
	float		 sa[80], sb[80];
	int		 i;

	random_matrix();
	{
		struct model_params	p;

		for (i = 0; i < 80; i++)
			ids[i] = 500 + i;
		model_params_default(&p, MODEL_ITEMKNN);
		p.k = 7;
		cr_assert_eq(model_train(&m, ids, &p, &a), 0);
	}
	cr_assert_eq(model_save(a, path), 0);
	cr_assert_eq(model_load(path, &b), 0);
	cr_assert_not_null(b->map);
	cr_assert_str_eq(b->ops->name, "itemknn");
	cr_assert_eq(b->params.k, 7);
	cr_assert_eq(b->nitems, 80);
	cr_assert_eq(b->nusers, 300);
	cr_assert_eq(b->item_ids[79], 579);
	kb = b->impl;
	cr_assert_eq(kb->k, 7);
	cr_assert_null(kb->owned.ptr, "a loaded model reads the mapping");
	cr_assert_eq(memcmp(kb->ptr, ((struct knn *)a->impl)->ptr,
	    81 * sizeof(uint64_t)), 0);
	cr_assert_eq(model_score(a, hist, vals, 5, sa, bca), 0);
	cr_assert_eq(model_score(b, hist, vals, 5, sb, bcb), 0);
	cr_assert_eq(memcmp(sa, sb, sizeof(sa)), 0);
	cr_assert_eq(memcmp(bca, bcb, sizeof(bca)), 0);
	for (i = 0; i < 80 && bca[i] == MODEL_NONE; i++)
		;
	cr_assert_lt(i, 80, "something was explained");
	model_free(b);
	model_free(a);
}

/* Write buf, resealed (size and checksum right), as path; load it. */
static int
load_patched(uint8_t *buf, size_t len)
{
	struct model	*md = NULL;
	int		 rc;

	model_reseal(buf, len);
	h_write_file(path, buf, len);
	if ((rc = model_load(path, &md)) == 0)
		model_free(md);
	return (rc);
}

/*
 * Offsets in the 512-byte header of a model file (model.c): k at 88, the
 * section table at 120, 24 bytes an entry (id, elemsize, offset, count).
 */
#define OFF_K		88
#define OFF_SEC(i)	(120 + 24 * (i))

/* Where section id's data starts in buf. */
static uint8_t *
section(uint8_t *buf, uint32_t id)
{
	uint64_t	off;
	uint32_t	v;
	int		i;

	for (i = 0; i < 3; i++) {
		memcpy(&v, buf + OFF_SEC(i), 4);
		if (v == id) {
			memcpy(&off, buf + OFF_SEC(i) + 8, 8);
			return (buf + off);
		}
	}
	cr_assert_fail("no section %u", id);
	return (NULL);
}

Test(itemknn, malformed_neighbour_sections_are_refused)
{
	struct model	*md;
	uint8_t		*buf, *p;
	size_t		 len;
	uint64_t	 ptr[7], u64;
	uint32_t	 u32, col0;
	int		 i;

	md = train_k(2, 1);		/* 8 entries over 6 items */
	cr_assert_eq(model_save(md, path), 0);
	model_free(md);
	buf = h_slurp(path, &len);
	cr_assert_eq(load_patched(buf, len), 0);

	/* An item index out of range. */
	p = section(buf, KNN_SEC_COL);
	memcpy(&col0, p, 4);
	u32 = 6;
	memcpy(p, &u32, 4);
	cr_assert_eq(load_patched(buf, len), MODEL_EFORMAT);
	memcpy(p, &col0, 4);

	/* Row offsets that decrease (and come back). */
	p = section(buf, KNN_SEC_PTR);
	memcpy(ptr, p, sizeof(ptr));
	cr_assert_eq(ptr[6], 8);
	u64 = 5;
	memcpy(p + 8 * 1, &u64, 8);	/* ptr[1] = 5 > ptr[2] = 4 */
	cr_assert_eq(load_patched(buf, len), MODEL_EFORMAT);
	memcpy(p, ptr, sizeof(ptr));

	/* The last offset is not the number of entries. */
	u64 = 7;
	memcpy(p + 8 * 6, &u64, 8);
	cr_assert_eq(load_patched(buf, len), MODEL_EFORMAT);
	memcpy(p, ptr, sizeof(ptr));

	/* More entries than nitems * k (k = 1: 6 < 8), and k = 0. */
	u32 = 1;
	memcpy(buf + OFF_K, &u32, 4);
	cr_assert_eq(load_patched(buf, len), MODEL_EFORMAT);
	u32 = 0;
	memcpy(buf + OFF_K, &u32, 4);
	cr_assert_eq(load_patched(buf, len), MODEL_EFORMAT);
	u32 = 2;
	memcpy(buf + OFF_K, &u32, 4);

	/* A similarity section of another element size (same bytes). */
	for (i = 0; i < 3; i++) {
		memcpy(&u32, buf + OFF_SEC(i), 4);
		if (u32 == KNN_SEC_SIM)
			break;
	}
	cr_assert_lt(i, 3);
	u32 = 8;
	memcpy(buf + OFF_SEC(i) + 4, &u32, 4);
	u64 = 4;
	memcpy(buf + OFF_SEC(i) + 16, &u64, 8);
	cr_assert_eq(load_patched(buf, len), MODEL_EFORMAT);

	free(buf);
}
