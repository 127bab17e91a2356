/*
 * Unit tests for app/model/pop.c: exact counts on a tiny matrix (every
 * entry, whatever its sign), time decay with a half-life from an explicit
 * or the newest time, the refusal of decay without times, scores that
 * ignore the history, the top list through model_recommend, and the model
 * file round trip (same scores, mapped, a malformed score section refused).
 */
#include <criterion/criterion.h>

#include "harness.h"
#include "scratch.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/csr.h"
#include "model/model.h"
#include "model/pop.h"

static char		 path[256];	/* h_dir/pop.cnrm */
static struct csr	 m;

static void
setup(void)
{
	h_scratch_setup();
	snprintf(path, sizeof(path), "%s/pop.cnrm", h_dir);
	memset(&m, 0, sizeof(m));
}

static void
teardown(void)
{
	csr_free(&m);
	h_scratch_teardown();
}

TestSuite(pop, .init = setup, .fini = teardown, .timeout = 60);

/*
 * 4 users x 5 items, times in the last field:
 *   item 0: 3 entries (times 100, 90, 80), one of them negative
 *   item 1: 1 entry (time 110, the newest)
 *   item 2: none
 *   item 3: 2 entries (times 60, 100)
 *   item 4: 1 entry (time 70)
 */
static const struct csr_triple	tiny[] = {
	{ 0, 0, 2.0f, 100 }, { 1, 0, -1.5f, 90 }, { 2, 0, 0.5f, 80 },
	{ 3, 1, 4.0f, 110 },
	{ 0, 3, 1.0f, 60 }, { 2, 3, 3.0f, 100 },
	{ 1, 4, -2.0f, 70 },
};

#define NTINY	(sizeof(tiny) / sizeof(tiny[0]))

static void
build(int flags)
{
	cr_assert_eq(csr_build(&m, 4, 5, tiny, NTINY, flags), 0);
}

static struct model *
train(double half_life, int64_t now, const int64_t *ids)
{
	struct model_params	 p;
	struct model		*md = NULL;

	model_params_default(&p, MODEL_POP);
	p.half_life = half_life;
	p.now = now;
	cr_assert_eq(model_train(&m, ids, &p, &md), 0);
	cr_assert_eq(md->algo, MODEL_POP);
	cr_assert_eq(md->nitems, 5);
	return (md);
}

/* Scores of md for an empty history, into s[5]. */
static void
scores(const struct model *md, float *s)
{
	cr_assert_eq(model_score(md, NULL, NULL, 0, s, NULL), 0);
}

Test(pop, plain_count_is_every_entry_of_each_item)
{
	struct model	*md;
	float		 s[5];

	build(CSR_DUP_LAST);		/* no times needed */
	md = train(0, 0, NULL);
	scores(md, s);
	cr_assert_float_eq(s[0], 3.0f, 0, "negative entries count too");
	cr_assert_float_eq(s[1], 1.0f, 0);
	cr_assert_float_eq(s[2], 0.0f, 0);
	cr_assert_float_eq(s[3], 2.0f, 0);
	cr_assert_float_eq(s[4], 1.0f, 0, "a lone negative entry counts");
	cr_assert_null(md->item_ids);
	model_free(md);
}

Test(pop, non_positive_half_life_counts_plainly)
{
	struct model	*md;
	float		 s[5];

	build(CSR_DUP_LAST | CSR_TIMES);
	md = train(-5.0, 1000, NULL);
	scores(md, s);
	cr_assert_float_eq(s[0], 3.0f, 0);
	cr_assert_float_eq(s[3], 2.0f, 0);
	model_free(md);
}

Test(pop, decay_from_an_explicit_now)
{
	struct model	*md;
	float		 s[5];

	build(CSR_DUP_LAST | CSR_TIMES);
	md = train(10.0, 100, NULL);
	scores(md, s);
	/* 0.5^((now - t) / 10): 1 at 100, 1/2 at 90, 1/4 at 80. */
	cr_assert_float_eq(s[0], 1.0f + 0.5f + 0.25f, 1e-6);
	/* An entry after now weighs more than 1. */
	cr_assert_float_eq(s[1], 2.0f, 1e-6);
	cr_assert_float_eq(s[2], 0.0f, 0);
	cr_assert_float_eq(s[3], 1.0f / 16.0f + 1.0f, 1e-6);
	cr_assert_float_eq(s[4], 1.0f / 8.0f, 1e-6);
	cr_assert_float_eq(md->params.half_life, 10.0, 0);
	cr_assert_eq(md->params.now, 100);
	model_free(md);
}

Test(pop, decay_from_the_newest_entry_when_now_is_zero)
{
	struct model	*md;
	float		 s[5];

	build(CSR_DUP_LAST | CSR_TIMES);
	md = train(10.0, 0, NULL);		/* now = 110 */
	scores(md, s);
	cr_assert_float_eq(s[0], 0.5f + 0.25f + 0.125f, 1e-6);
	cr_assert_float_eq(s[1], 1.0f, 1e-6);
	cr_assert_float_eq(s[3], 1.0f / 32.0f + 0.5f, 1e-6);
	cr_assert_float_eq(s[4], 1.0f / 16.0f, 1e-6);
	model_free(md);
	/* A long half-life tends to the plain count. */
	md = train(1e12, 0, NULL);
	scores(md, s);
	cr_assert_float_eq(s[0], 3.0f, 1e-6);
	cr_assert_float_eq(s[3], 2.0f, 1e-6);
	model_free(md);
}

Test(pop, decay_without_times_is_refused)
{
	struct model_params	 p;
	struct model		*md = NULL;

	build(CSR_DUP_LAST);
	model_params_default(&p, MODEL_POP);
	p.half_life = 10.0;
	cr_assert_eq(model_train(&m, NULL, &p, &md), -1);
	cr_assert_null(md);
}

Test(pop, scores_ignore_the_history_and_explain_nothing)
{
	struct model	*md;
	uint32_t	 hist[] = { 0, 3, 99 }, bc[5];
	float		 vals[] = { 1.0f, -2.0f, 1.0f }, a[5], b[5];
	int		 j;

	build(CSR_DUP_LAST);
	md = train(0, 0, NULL);
	scores(md, a);
	memset(bc, 0, sizeof(bc));
	cr_assert_eq(model_score(md, hist, vals, 3, b, bc), 0);
	cr_assert_eq(memcmp(a, b, sizeof(a)), 0);
	for (j = 0; j < 5; j++)
		cr_assert_eq(bc[j], MODEL_NONE, "because[%d]", j);
	cr_assert_eq(model_score(md, hist, NULL, 1, b, NULL), 0);
	cr_assert_eq(memcmp(a, b, sizeof(a)), 0);
	model_free(md);
}

Test(pop, recommend_keeps_positive_scores_outside_the_exclusions)
{
	struct model	*md;
	uint32_t	 excl[] = { 0 }, out[5];
	float		 sc[5];

	build(CSR_DUP_LAST);
	md = train(0, 0, NULL);
	/* 3, then the ties 1 and 4 by index; item 2 (score 0) never. */
	cr_assert_eq(model_recommend(md, NULL, NULL, 0, excl, 1, out, sc, 5),
	    3);
	cr_assert_eq(out[0], 3);
	cr_assert_eq(out[1], 1);
	cr_assert_eq(out[2], 4);
	cr_assert_float_eq(sc[0], 2.0f, 0);
	cr_assert_float_eq(sc[2], 1.0f, 0);
	cr_assert_eq(model_recommend(md, NULL, NULL, 0, NULL, 0, out, sc, 2),
	    2);
	cr_assert_eq(out[0], 0);
	cr_assert_eq(out[1], 3);
	model_free(md);
}

Test(pop, empty_matrix_scores_zero)
{
	struct model	*md;
	float		 s[5];
	int		 j;

	cr_assert_eq(csr_build(&m, 2, 5, NULL, 0, CSR_DUP_LAST | CSR_TIMES),
	    0);
	md = train(10.0, 0, NULL);
	scores(md, s);
	for (j = 0; j < 5; j++)
		cr_assert_float_eq(s[j], 0.0f, 0);
	model_free(md);
}

Test(pop, save_and_load_round_trip_the_same_scores)
{
	struct model	*a, *b;
	struct pop	*pb;
	int64_t		 ids[5] = { 11, 12, 13, 14, 15 };
	float		 sa[5], sb[5];
	uint32_t	 bc[5];

	build(CSR_DUP_LAST | CSR_TIMES);
	a = train(10.0, 100, ids);
	cr_assert_eq(model_save(a, path), 0);
	cr_assert_eq(model_load(path, &b), 0);
	cr_assert_not_null(b->map);
	cr_assert_eq(b->algo, MODEL_POP);
	cr_assert_eq(b->nitems, 5);
	cr_assert_eq(b->nusers, 4);
	cr_assert_eq(b->nnz, NTINY);
	cr_assert_float_eq(b->params.half_life, 10.0, 0);
	cr_assert_eq(b->params.now, 100);
	cr_assert_str_eq(b->ops->name, "pop");
	cr_assert_eq(b->item_ids[0], 11);
	cr_assert_eq(b->item_ids[4], 15);
	pb = b->impl;
	cr_assert_null(pb->owned, "a loaded model reads the mapping");
	cr_assert_eq(pb->nitems, 5);
	cr_assert((const char *)pb->score > (const char *)b->map &&
	    (const char *)pb->score < (const char *)b->map + b->maplen);
	scores(a, sa);
	cr_assert_eq(model_score(b, NULL, NULL, 0, sb, bc), 0);
	cr_assert_eq(memcmp(sa, sb, sizeof(sa)), 0);
	cr_assert_eq(bc[2], MODEL_NONE);
	model_free(b);
	model_free(a);
}

Test(pop, model_without_items_round_trips)
{
	struct model	*a, *b;
	float		 s[1];

	cr_assert_eq(csr_build(&m, 3, 0, NULL, 0, CSR_DUP_LAST), 0);
	{
		struct model_params	p;

		model_params_default(&p, MODEL_POP);
		cr_assert_eq(model_train(&m, NULL, &p, &a), 0);
	}
	cr_assert_eq(a->nitems, 0);
	cr_assert_eq(model_score(a, NULL, NULL, 0, s, NULL), 0);
	cr_assert_eq(model_save(a, path), 0);
	cr_assert_eq(model_load(path, &b), 0);
	cr_assert_eq(b->nitems, 0);
	cr_assert_eq(b->nusers, 3);
	cr_assert_eq(model_score(b, NULL, NULL, 0, s, NULL), 0);
	model_free(b);
	model_free(a);
}

/* Write buf back to path, sealed (size and checksum right). */
static void
spit(uint8_t *buf, size_t len)
{
	model_reseal(buf, len);
	h_write_file(path, buf, len);
}

/*
 * Offsets in the 512-byte header of a model file (model.c): nitems at 24,
 * the section table at 120, 24 bytes an entry (id, elemsize, offset,
 * count).
 */
#define OFF_NITEMS	24
#define OFF_SEC(i)	(120 + 24 * (i))

/* Set the 4 or 8 bytes at off of a model file to v (native order). */
static void
put_u32(uint8_t *buf, size_t off, uint32_t v)
{
	memcpy(buf + off, &v, sizeof(v));
}

static void
put_u64(uint8_t *buf, size_t off, uint64_t v)
{
	memcpy(buf + off, &v, sizeof(v));
}

/* model_load of buf, written back sealed. */
static int
spit_load(uint8_t *buf, size_t len, struct model **md)
{
	spit(buf, len);
	return (model_load(path, md));
}

Test(pop, malformed_score_section_is_refused)
{
	struct model	*a, *b = NULL;
	uint8_t		*buf;
	size_t		 len;
	uint32_t	 u32;
	uint64_t	 u64;

	build(CSR_DUP_LAST);
	a = train(0, 0, NULL);		/* no item ids: one section */
	cr_assert_eq(model_save(a, path), 0);
	model_free(a);
	buf = h_slurp(path, &len);
	memcpy(&u32, buf + OFF_SEC(0), 4);
	cr_assert_eq(u32, POP_SEC_SCORE);
	memcpy(&u64, buf + OFF_SEC(0) + 16, 8);
	cr_assert_eq(u64, 5);

	/* One score short of nitems. */
	put_u64(buf, OFF_SEC(0) + 16, 4);
	cr_assert_eq(spit_load(buf, len, &b), MODEL_EFORMAT);
	put_u64(buf, OFF_SEC(0) + 16, 5);
	cr_assert_eq(spit_load(buf, len, &b), 0,
	    "the resealed original loads");
	model_free(b);

	/* Scores of 8 bytes each. */
	put_u32(buf, OFF_SEC(0) + 4, 8);
	put_u64(buf, OFF_SEC(0) + 16, 2);
	cr_assert_eq(spit_load(buf, len, &b), MODEL_EFORMAT);
	put_u32(buf, OFF_SEC(0) + 4, 4);
	put_u64(buf, OFF_SEC(0) + 16, 5);

	/* No score section: its tag changed. */
	put_u32(buf, OFF_SEC(0), POP_SEC_SCORE + 1);
	cr_assert_eq(spit_load(buf, len, &b), MODEL_EFORMAT);
	put_u32(buf, OFF_SEC(0), POP_SEC_SCORE);

	/* More items than scores. */
	put_u32(buf, OFF_NITEMS, 6);
	cr_assert_eq(spit_load(buf, len, &b), MODEL_EFORMAT);
	free(buf);
}

Test(pop, the_random_floor_lists_only_movies_with_interactions)
{
	struct model_params	 p;
	struct model		*md = NULL, *again = NULL;
	float			 s[5], t[5];
	int			 i;

	build(CSR_DUP_LAST);
	model_params_default(&p, MODEL_RANDOM);
	cr_assert_eq(model_train(&m, NULL, &p, &md), 0);
	cr_assert_str_eq(model_algo_name(md->algo), "random");
	scores(md, s);
	cr_assert_float_eq(s[2], 0.0f, 0, "no interaction: never listed");
	for (i = 0; i < 5; i++)
		if (i != 2)
			cr_assert(s[i] > 0.0f && s[i] <= 1.0f, "item %d: %g", i,
			    (double)s[i]);
	cr_assert_eq(model_train(&m, NULL, &p, &again), 0);
	scores(again, t);
	cr_assert_arr_eq(s, t, sizeof(s), "the seed decides");
	model_free(md);
	model_free(again);
}
