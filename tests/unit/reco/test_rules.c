/*
 * Unit tests for app/reco/rules.c and its use in reco.c: withdrawing and
 * restoring a movie (by its exact spelling, refused twice, logged with who
 * and why), the set reloaded only when the lifecycle log moved, and a
 * withdrawn movie in no list of any kind (precomputed, folded in, popular,
 * similar) while the lists keep their length.
 */
#include <criterion/criterion.h>

#include "harness.h"
#include "scratch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/parse.h"
#include "model/model.h"
#include "model/train.h"
#include "reco/lists.h"
#include "reco/reco.h"
#include "reco/rules.h"
#include "store/store.h"
#include "store/writer.h"

static struct store	 rd, wr;	/* a worker's and the CLI's */
static struct rules	 ru;
static char		 err[512];

#define qi(...)		h_qi(h_db, __VA_ARGS__)

/* 30 users watch 4 of 12 movies each, overlapping; m1 the most. */
static void
world(void)
{
	int	u, i;

	h_writer_movies(12);
	for (u = 1; u <= 30; u++) {
		cr_assert_eq(h_line("2020-03-01T00:00:%02d,%d,GET "
		    "/data/m/m1+2000/0.mpg", u, u), PARSE_OK);
		for (i = 0; i < 3; i++)
			cr_assert_eq(h_line("2020-03-01T00:%02d:%02d,%d,GET "
			    "/data/m/m%d+2000/0.mpg", 1 + i, u, u,
			    2 + (u * 5 + i * 3) % 11), PARSE_OK);
	}
	cr_assert_eq(writer_commit(h_w), 0);
	h_writer_close();
}

static void
setup(void)
{
	h_scratch_setup();
	memset(&ru, 0, sizeof(ru));
	world();
	cr_assert_eq(store_open(&rd, h_dir, STORE_RDONLY), 0);
	cr_assert_eq(store_open(&wr, h_dir, STORE_ROLE_MODELS), 0);
}

static void
teardown(void)
{
	rules_free(&ru);
	store_close(&wr);
	store_close(&rd);
	h_scratch_teardown();
}

TestSuite(rules, .init = setup, .fini = teardown, .timeout = 60);

Test(rules, withdraw_and_restore_by_exact_spelling_logged_and_reloaded)
{
	int32_t	m3 = (int32_t)qi("SELECT id FROM movies WHERE slug = "
		    "'m3+2000'");

	cr_assert_eq(rules_refresh(&ru, rd.db), 1, "the first load");
	cr_assert_eq(ru.count, 0);
	cr_assert_eq(rules_refresh(&ru, rd.db), 0, "nothing moved");
	cr_assert_eq(rules_withdraw(wr.db, "m3+2000", 1, "cli",
	    "licence ended", err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(rules_withdraw(wr.db, "m3+2000", 1, "cli", NULL, err,
	    sizeof(err)), -1);
	cr_assert_str_eq(err, "m3+2000 is withdrawn already");
	cr_assert_eq(rules_withdraw(wr.db, "M3+2000", 1, "cli", NULL, err,
	    sizeof(err)), -1, "the spelling is exact");
	cr_assert(strstr(err, "no movie is spelled 'M3+2000'"), "%s", err);
	cr_assert_eq(rules_refresh(&ru, rd.db), 1);
	cr_assert_eq(ru.count, 1);
	cr_assert(rules_withdrawn(&ru, m3));
	cr_assert_not(rules_withdrawn(&ru, m3 + 1));
	cr_assert_not(rules_withdrawn(&ru, -1));
	cr_assert_not(rules_withdrawn(NULL, m3));
	cr_assert_eq(qi("SELECT COUNT(*) FROM lifecycle_log WHERE action = "
	    "'withdraw' AND who = 'cli' AND detail = 'm3+2000: licence "
	    "ended'"), 1);
	cr_assert_eq(rules_withdraw(wr.db, "m3+2000", 0, "ann", NULL, err,
	    sizeof(err)), 0, "%s", err);
	cr_assert_eq(rules_withdraw(wr.db, "m3+2000", 0, "ann", NULL, err,
	    sizeof(err)), -1);
	cr_assert_str_eq(err, "m3+2000 is not withdrawn");
	cr_assert_eq(rules_refresh(&ru, rd.db), 1);
	cr_assert_eq(ru.count, 0);
	cr_assert_not(rules_withdrawn(&ru, m3));
	cr_assert_eq(qi("SELECT COUNT(*) FROM lifecycle_log WHERE action = "
	    "'restore' AND who = 'ann'"), 1);
	/* A reason is text: at most 300 bytes of UTF-8; so is what is said. */
	memset(err, 'x', 301);
	err[301] = '\0';
	{
		char	why[302];

		memcpy(why, err, sizeof(why));
		cr_assert_eq(rules_withdraw(wr.db, "m3+2000", 1, "cli", why,
		    err, sizeof(err)), -1);
		cr_assert(strstr(err, "at most 300 bytes"), "%s", err);
	}
	cr_assert_eq(rules_withdraw(wr.db, "m3+2000", 1, "cli", "caf\xc3",
	    err, sizeof(err)), -1);
	cr_assert(strstr(err, "UTF-8"), "%s", err);
	cr_assert_eq(rules_withdraw(wr.db, "m\xff+2000", 1, "cli", NULL, err,
	    sizeof(err)), -1);
	cr_assert_str_eq(err, "no movie is spelled so (spell it as the stream "
	    "does)");
	cr_assert_eq(qi("SELECT COUNT(*) FROM withdrawn"), 0);
	/* Only the lifecycle role writes it. */
	cr_assert_eq(rules_withdraw(rd.db, "m3+2000", 1, "x", NULL, err,
	    sizeof(err)), -1);
}

/* Does l hold movie? */
static int
holds(const struct reco_list *l, int32_t movie)
{
	size_t	i;

	for (i = 0; i < l->n; i++)
		if (l->item[i].movie == movie)
			return (1);
	return (0);
}

/*
 * Every kind of list, for every user, before and after m1 (the most
 * watched, so in the popular fill-up of every list it can be in) is
 * withdrawn: in before, out after, with the same length.
 */
static void
every_list(uint32_t algo)
{
	struct train_opts	 o;
	struct train_result	 res;
	struct signal_params	 sp;
	struct reco		 r;
	struct reco_list	 l;
	struct lists		*ls;
	struct model		*md;
	char			 path[600];
	size_t			 before[3] = { 0, 0, 0 }, len[31];
	int32_t			 m1, m2;
	int64_t			 u;
	int			 pass, k;

	train_defaults(&o);
	o.data_dir = h_dir;
	o.mp.algo = algo;
	model_params_default(&o.mp, algo);
	o.mp.factors = 8;
	o.mp.reg = 1.0f;
	o.holdout_pct = 0;
	cr_assert_eq(train_run(&o, &res), 0);
	snprintf(path, sizeof(path), "%s/%s/model-000001.cnrm", h_dir,
	    TRAIN_DIR);
	cr_assert_eq(model_load(path, &md), 0);
	snprintf(path, sizeof(path), "%s/%s/model-000001.lists", h_dir,
	    TRAIN_DIR);
	cr_assert_eq(lists_load(path, &ls), 0);
	m1 = (int32_t)qi("SELECT id FROM movies WHERE slug = 'm1+2000'");
	m2 = (int32_t)qi("SELECT id FROM movies WHERE slug = 'm2+2000'");
	signal_defaults(&sp);
	memset(&r, 0, sizeof(r));
	cr_assert_geq(reco_refresh(&r, &rd, 7, 1), 0);
	r.rules = &ru;
	cr_assert_eq(rules_refresh(&ru, rd.db), 1);
	for (pass = 0; pass < 2; pass++) {
		if (pass == 1) {
			cr_assert_eq(rules_withdraw(wr.db, "m1+2000", 1, "cli",
			    NULL, err, sizeof(err)), 0, "%s", err);
			cr_assert_eq(rules_refresh(&ru, rd.db), 1);
		}
		/* Users 31..40 have no history: popular lists. */
		for (u = 1; u <= 40; u++) {
			cr_assert_geq(reco_for_user(&r, &rd, md, ls, &sp, u,
			    10, &l), 0);
			if (u <= 30 && pass == 0)
				len[u] = l.n;
			else if (u <= 30)
				cr_assert_eq(l.n, len[u], "user %lld: %zu "
				    "movies, %zu before", (long long)u, l.n,
				    len[u]);
			if (pass == 0)
				before[0] += holds(&l, m1);
			else
				cr_assert_not(holds(&l, m1), "user %lld",
				    (long long)u);
			cr_assert_geq(reco_for_user(&r, &rd, md, NULL, &sp, u,
			    10, &l), 0);
			if (pass == 1)
				cr_assert_not(holds(&l, m1), "user %lld "
				    "folded in", (long long)u);
		}
		reco_ranking(&r, 10, 0, &l);
		if (pass == 0)
			before[1] += holds(&l, m1);
		else
			cr_assert_not(holds(&l, m1));
		cr_assert_geq(reco_similar(&r, md, m2, 10, &l), 0);
		if (pass == 0)
			before[2] += holds(&l, m1);
		else
			cr_assert_not(holds(&l, m1));
	}
	for (k = 0; k < 3; k++)
		cr_assert_gt(before[k], 0, "list kind %d never held m1", k);
	reco_free(&r);
	lists_free(ls);
	model_free(md);
}

Test(rules, a_withdrawn_movie_is_in_no_als_list)
{
	every_list(MODEL_ALS);
}

Test(rules, a_withdrawn_movie_is_in_no_itemknn_list)
{
	every_list(MODEL_ITEMKNN);
}
