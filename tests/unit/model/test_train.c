/*
 * Unit tests for app/model/train.c: train_run from a real database built
 * through the writer to the model file, the precomputed lists (history
 * excluded, `because` from item-kNN) and the models / training_runs rows;
 * a second training taking over as current; the temporal hold-out figures
 * on a hand-computed case; the failures recorded as failed runs (no
 * interactions, a fit that fails, no database) and the lock (TRAIN_BUSY);
 * train_recover marking running runs interrupted and removing temporary
 * files, and leaving them alone while a training holds the lock; the
 * phases told to the progress callback, in order.
 */
#include <criterion/criterion.h>

#include "harness.h"
#include "scratch.h"

#include <sys/file.h>
#include <sys/stat.h>

#include <dirent.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ingest/parse.h"
#include "model/model.h"
#include "model/train.h"
#include "model/versions.h"
#include "reco/lists.h"
#include "reco/reco.h"
#include "store/store.h"
#include "store/writer.h"
#include "util/clock.h"
#include "util/fault.h"
#include "version.h"

#define D0_MS	1583020800000LL		/* 2020-03-01T00:00:00Z */
#define S(s)	(D0_MS + (int64_t)(s) * 1000)

static struct train_opts	o;
static struct train_result	res;
static char			mdir[300];	/* h_dir/models */

static void
setup(void)
{
	h_scratch_setup();
	train_defaults(&o);
	o.data_dir = h_dir;
	o.trigger = "test";
	o.mp.threads = 2;
	snprintf(mdir, sizeof(mdir), "%s/%s", h_dir, TRAIN_DIR);
	memset(&res, 0, sizeof(res));
}

TestSuite(train, .init = setup, .fini = h_scratch_teardown, .timeout = 60);

#define qi(...)		h_qi(h_db, __VA_ARGS__)
#define qs(o, n, ...)	h_qs(h_db, o, n, __VA_ARGS__)

/* A watch (minute 0) of movie m<n>+2000 by user, sec seconds after D0. */
static void
watch(int sec, int64_t user, int n)
{
	cr_assert_eq(h_line("2020-03-01T%02d:%02d:%02d,%lld,GET "
	    "/data/m/m%d+2000/0.mpg", sec / 3600, sec / 60 % 60, sec % 60,
	    (long long)user, n), PARSE_OK);
}

static void
rate(int sec, int64_t user, int n, int stars)
{
	cr_assert_eq(h_line("2020-03-01T%02d:%02d:%02d,%lld,GET "
	    "/rate/m%d+2000=%d", sec / 3600, sec / 60 % 60, sec % 60,
	    (long long)user, n, stars), PARSE_OK);
}

/* Commit and close the writer: the data is in the database. */
static void
done_writing(void)
{
	cr_assert_eq(writer_commit(h_w), 0);
	h_writer_close();
}

/*
 * 3 users over movies 1..4 (of 6):
 *   user 1: watches 1 (100 s), 2 (200 s); rates 3 = 5 (300 s)
 *   user 2: watches 1 (110 s), 2 (210 s); rates 4 = 1 (310 s, dislike)
 *   user 3: watches 1 (120 s)
 * Popularity counts every interaction: 1: 3, 2: 2, 3: 1, 4: 1.
 */
static void
three_users(void)
{
	h_writer_movies(6);
	watch(100, 1, 1);
	watch(200, 1, 2);
	rate(300, 1, 3, 5);
	watch(110, 2, 1);
	watch(210, 2, 2);
	rate(310, 2, 4, 1);
	watch(120, 3, 1);
	done_writing();
}

/* three_users, to be trained by popularity with no hold-out. */
static void
three_users_pop(void)
{
	three_users();
	o.mp.algo = MODEL_POP;
	o.holdout_pct = 0;
}

/* Files in the models directory; with tmp set, those named *.tmp*. */
static int
models_files(int tmp)
{
	DIR		*d;
	struct dirent	*e;
	int		 n = 0;

	if ((d = opendir(mdir)) == NULL)
		return (-1);
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		if (!tmp || strstr(e->d_name, ".tmp") != NULL)
			n++;
	}
	closedir(d);
	return (n);
}

static int
exists(const char *name)
{
	char		p[600];
	struct stat	st;

	snprintf(p, sizeof(p), "%s/%s", mdir, name);
	return (stat(p, &st) == 0);
}

static struct lists *
lists_of(int64_t id)
{
	struct lists	*l = NULL;
	char		 p[600];

	snprintf(p, sizeof(p), "%s/model-%06lld.lists", mdir, (long long)id);
	cr_assert_eq(lists_load(p, &l), 0, "%s", p);
	return (l);
}

/* Assert user's list: n movies with scores (1e-5) and because. */
static void
list_is(const struct lists *l, int64_t user, int n, const int32_t *ids,
    const double *sc, const int32_t *bc)
{
	const int32_t	*li, *lb;
	const float	*ls;
	int64_t		 r;
	int		 k;

	cr_assert_geq(r = lists_find(l, user), 0, "user %lld: no list",
	    (long long)user);
	li = l->ids + r * LISTS_K;
	ls = l->scores + r * LISTS_K;
	lb = l->because + r * LISTS_K;
	for (k = 0; k < LISTS_K; k++) {
		cr_assert_eq(li[k], k < n ? ids[k] : LISTS_NONE,
		    "user %lld slot %d: movie %d", (long long)user, k, li[k]);
		cr_assert_eq(lb[k], k < n && bc != NULL ? bc[k] : LISTS_NONE,
		    "user %lld slot %d: because %d", (long long)user, k, lb[k]);
		if (k < n)
			cr_assert_float_eq(ls[k], (float)sc[k], 1e-5,
			    "user %lld slot %d", (long long)user, k);
	}
}

Test(train, pop_training_writes_model_lists_and_rows)
{
	struct model	*md;
	struct lists	*l;
	struct store	 s;
	char		 buf[256], p[600];
	float		 sc[5];
	int64_t		 before, after, id;

	three_users_pop();
	before = clock_now_ms();
	cr_assert_eq(train_run(&o, &res), 0);
	after = clock_now_ms();

	cr_assert_eq(res.model_id, 1);
	cr_assert_eq(res.interactions, 7);
	cr_assert_eq(res.users, 3);
	cr_assert_eq(res.items, 4, "movies 1..4 (column 0 is no movie)");
	cr_assert_geq(res.seconds, 0);
	cr_assert_geq(res.lists_seconds, 0);
	cr_assert(res.recall == -1 && res.ndcg == -1 && res.coverage == -1 &&
	    res.eval_users == 0, "no hold-out");

	/* The files, and nothing temporary. */
	cr_assert(exists("model-000001.cnrm"));
	cr_assert(exists("model-000001.lists"));
	cr_assert_eq(models_files(0), 2);

	/* The model file: popularity by movie id. */
	snprintf(p, sizeof(p), "%s/model-000001.cnrm", mdir);
	cr_assert_eq(model_load(p, &md), 0);
	cr_assert(md->algo == MODEL_POP && md->nitems == 5 &&
	    md->nusers == 3 && md->nnz == 7);
	cr_assert_eq(md->item_ids[4], 4);
	cr_assert_eq(model_score(md, NULL, NULL, 0, sc, NULL), 0);
	cr_assert_float_eq(sc[0], 0.0f, 0);
	cr_assert_float_eq(sc[1], 3.0f, 0);
	cr_assert_float_eq(sc[2], 2.0f, 0);
	cr_assert_float_eq(sc[3], 1.0f, 0);
	cr_assert_float_eq(sc[4], 1.0f, 0, "a dislike is an interaction");
	model_free(md);

	/* Every user's list, the history excluded, positive scores only. */
	l = lists_of(1);
	cr_assert(l->nusers == 3 && l->users[0] == 1 && l->users[2] == 3);
	/* The newest change stamp the training saw: no margin before it. */
	cr_assert_eq(l->data_to_ms, qi("SELECT MAX(updated_ms) FROM users"));
	cr_assert_leq(l->data_to_ms, before);
	list_is(l, 1, 1, (int32_t[]){ 4 }, (double[]){ 1 }, NULL);
	list_is(l, 2, 1, (int32_t[]){ 3 }, (double[]){ 1 }, NULL);
	list_is(l, 3, 3, (int32_t[]){ 2, 3, 4 }, (double[]){ 2, 1, 1 }, NULL);
	cr_assert_eq(lists_find(l, 4), -1);
	lists_free(l);

	/* The rows. */
	cr_assert_eq(qi("SELECT COUNT(*) FROM models"), 1);
	cr_assert_str_eq(qs(buf, sizeof(buf), "SELECT algo || ' ' || params "
	    "|| ' ' || file FROM models WHERE id = 1"),
	    "pop {\"half_life\":0} model-000001.cnrm");
	cr_assert_str_eq(qs(buf, sizeof(buf), "SELECT printf('%%d %%d %%d %%d',"
	    " current, interactions, users, items) FROM models"), "1 7 3 4");
	cr_assert_eq(qi("SELECT data_from_ms FROM models"), S(100));
	cr_assert_eq(qi("SELECT data_to_ms FROM models"), S(310));
	cr_assert_str_eq(qs(buf, sizeof(buf), "SELECT binary_version FROM "
	    "models"), CINEREC_VERSION);
	cr_assert_eq(qi("SELECT eval_recall20 IS NULL AND eval_ndcg20 IS NULL "
	    "AND eval_coverage IS NULL AND eval_users IS NULL FROM models"),
	    1);
	cr_assert_eq(qi("SELECT created_ms BETWEEN %lld AND %lld FROM models",
	    (long long)before, (long long)after), 1);
	cr_assert_eq(qi("SELECT train_seconds >= 0 FROM models"), 1);
	cr_assert_eq(qi("SELECT COUNT(*) FROM training_runs"), 1);
	cr_assert_str_eq(qs(buf, sizeof(buf), "SELECT trigger || ' ' || status "
	    "|| ' ' || model_id || ' ' || message FROM training_runs"),
	    "test done 1 ok");
	cr_assert_eq(qi("SELECT started_ms >= %lld AND finished_ms >= "
	    "started_ms AND finished_ms <= %lld FROM training_runs",
	    (long long)before, (long long)after), 1);

	/* What the server reads. */
	cr_assert_eq(store_open(&s, h_dir, STORE_RDONLY), 0);
	cr_assert_eq(store_current_model(&s, &id, buf, sizeof(buf)), 1);
	cr_assert_eq(id, 1);
	cr_assert_str_eq(buf, "model-000001.cnrm");
	store_close(&s);
}

/*
 * Regression (train.c), fixed: the matrix of the fit was built without its
 * times, so popularity with a half-life could never be trained.
 */
Test(train, pop_with_a_half_life_decays_from_the_newest_interaction)
{
	struct model	*md;
	char		 p[600];
	float		 sc[5];
	double		 h = 100000.0;		/* 100 s, in ms */

	three_users_pop();
	o.mp.half_life = h;
	cr_assert_eq(train_run(&o, &res), 0);
	snprintf(p, sizeof(p), "%s/model-000001.cnrm", mdir);
	cr_assert_eq(model_load(p, &md), 0);
	cr_assert_eq(model_score(md, NULL, NULL, 0, sc, NULL), 0);
	/* Ages from the newest interaction (310 s), in half-lives. */
	cr_assert_float_eq(sc[1], pow(2, -2.1) + pow(2, -2.0) + pow(2, -1.9),
	    1e-5);
	cr_assert_float_eq(sc[2], pow(2, -1.1) + pow(2, -1.0), 1e-5);
	cr_assert_float_eq(sc[3], pow(2, -0.1), 1e-5);
	cr_assert_float_eq(sc[4], 1.0, 1e-5);
	model_free(md);
}

Test(train, a_forced_second_training_becomes_the_current_model)
{
	char	buf[128];

	three_users_pop();
	cr_assert_eq(train_run(&o, &res), 0);
	cr_assert_eq(res.model_id, 1);
	cr_assert_eq(res.gate, GATE_FIRST);
	model_params_default(&o.mp, MODEL_ITEMKNN);
	o.mp.k = 7;
	o.trigger = "admin";
	o.gate.force = 1;
	cr_assert_eq(train_run(&o, &res), 0);
	cr_assert_eq(res.model_id, 2);
	cr_assert_eq(res.gate, GATE_FORCED);
	cr_assert_eq(res.base_id, 1);
	cr_assert_str_eq(qs(buf, sizeof(buf), "SELECT gate || ' ' || "
	    "baseline_id FROM models WHERE id = 2"), "forced 1");
	cr_assert(exists("model-000001.cnrm"), "the old file stays");
	cr_assert(exists("model-000002.cnrm"));
	cr_assert(exists("model-000002.lists"));
	cr_assert_eq(models_files(1), 0);
	cr_assert_eq(qi("SELECT COUNT(*) FROM models"), 2);
	cr_assert_eq(qi("SELECT id FROM models WHERE current = 1"), 2);
	cr_assert_eq(qi("SELECT current FROM models WHERE id = 1"), 0);
	cr_assert_str_eq(qs(buf, sizeof(buf), "SELECT algo || ' ' || params "
	    "FROM models WHERE id = 2"), "itemknn {\"k\":7,\"recency\":10}");
	cr_assert_str_eq(qs(buf, sizeof(buf), "SELECT group_concat(trigger || "
	    "':' || status || ':' || model_id, ' ') FROM (SELECT * FROM "
	    "training_runs ORDER BY id)"), "test:done:1 admin:done:2");
}

/*
 * Item-kNN (cosine on watches): items 1 {u1, u2, u4}, 2 {u1, u2},
 * 3 {u2, u3}; sim(1,2) = 2/sqrt6, sim(1,3) = 1/sqrt6, sim(2,3) = 1/2.
 */
Test(train, itemknn_lists_say_because)
{
	struct lists	*l;

	h_writer_movies(3);
	watch(100, 1, 1);
	watch(200, 1, 2);
	watch(110, 2, 1);
	watch(210, 2, 2);
	watch(310, 2, 3);
	watch(120, 3, 3);
	watch(130, 4, 1);
	done_writing();
	model_params_default(&o.mp, MODEL_ITEMKNN);
	o.mp.threads = 1;
	o.mp.recency = 0;	/* each entry counts 1: sums of similarities */
	o.holdout_pct = 0;
	cr_assert_eq(train_run(&o, &res), 0);
	cr_assert_eq(res.interactions, 7);
	cr_assert_eq(res.users, 4);
	cr_assert_eq(res.items, 3);
	l = lists_of(res.model_id);
	cr_assert_eq(l->nusers, 4);
	list_is(l, 1, 1, (int32_t[]){ 3 },
	    (double[]){ 1 / sqrt(6) + 0.5 }, (int32_t[]){ 2 });
	list_is(l, 2, 0, NULL, NULL, NULL);	/* has seen everything */
	list_is(l, 3, 2, (int32_t[]){ 2, 1 }, (double[]){ 0.5, 1 / sqrt(6) },
	    (int32_t[]){ 3, 3 });
	list_is(l, 4, 2, (int32_t[]){ 2, 3 },
	    (double[]){ 2 / sqrt(6), 1 / sqrt(6) }, (int32_t[]){ 1, 1 });
	lists_free(l);
}

/* The defaults of `cinerec train`: ALS with a 20% hold-out. */
Test(train, default_als_training_with_a_hold_out)
{
	struct model	*md;
	struct lists	*l;
	char		 p[600];
	uint64_t	 r;
	int64_t		 u, k, j;
	int		 n, i;

	h_writer_movies(30);
	for (u = 1, n = 0; u <= 24; u++)
		for (i = 0; i < 8; i++, n++)
			watch(60 * n, u, 1 + (int)((u * 7 + i * i * 3) % 30));
	rate(40000, 1, 5, 1);		/* a dislike too */
	done_writing();
	cr_assert_eq(train_run(&o, &res), 0);
	cr_assert_eq(res.users, 24);
	cr_assert_gt(res.eval_users, 0);
	cr_assert_leq(res.eval_users, 24);
	cr_assert(res.recall >= 0 && res.recall <= 1, "%g", res.recall);
	cr_assert(res.ndcg >= 0 && res.ndcg <= 1, "%g", res.ndcg);
	cr_assert(res.coverage > 0 && res.coverage <= 1, "%g", res.coverage);
	cr_assert_eq(qi("SELECT eval_users FROM models"), res.eval_users);
	cr_assert_eq(qi("SELECT ABS(eval_recall20 - %.17g) < 1e-9 AND "
	    "ABS(eval_ndcg20 - %.17g) < 1e-9 AND ABS(eval_coverage - %.17g) "
	    "< 1e-9 FROM models", res.recall, res.ndcg, res.coverage), 1);

	snprintf(p, sizeof(p), "%s/model-000001.cnrm", mdir);
	cr_assert_eq(model_load(p, &md), 0);
	cr_assert_eq(md->algo, MODEL_ALS);
	cr_assert_eq(md->params.factors, 128);
	cr_assert_eq(md->nusers, 24);
	model_free(md);

	/* Lists: real movies, never one of the user's, no because. */
	l = lists_of(1);
	cr_assert_eq(l->nusers, 24);
	for (r = 0; r < l->nusers; r++) {
		u = l->users[r];
		for (k = 0; k < LISTS_K; k++) {
			j = l->ids[r * LISTS_K + k];
			cr_assert_eq(l->because[r * LISTS_K + k], LISTS_NONE);
			if (j == LISTS_NONE)
				continue;
			cr_assert(j >= 1 && j <= 30, "movie %lld",
			    (long long)j);
			cr_assert_eq(qi("SELECT COUNT(*) FROM watches WHERE "
			    "user_id = %lld AND movie_id = %lld", (long long)u,
			    (long long)j), 0, "user %lld got seen movie %lld",
			    (long long)u, (long long)j);
			if (u == 1)
				cr_assert_neq(j, 5, "rated movies are seen");
		}
	}
	lists_free(l);
}

/*
 * Popularity, 20% hold-out (the last interaction of a 2-interaction user):
 *   users 1, 2: watch 1, then 2          users 3, 4: watch 1, then 3
 *   users 5..7: watch 2 only             user 8: watches 1, rates 2 = 1
 *   users 100..121: one each of movies 4..25
 * Fitted on the train parts: 1: 5, 2: 3, 3: 0, 4..25: 1 each.  Users 1
 * and 2 find 2 first (recall 1, NDCG 1); for 3 and 4, movie 3 is behind
 * 23 better ones (0); user 8 held out a dislike, not scored.
 */
Test(train, hold_out_figures_on_a_hand_computed_case)
{
	int	u;

	h_writer_movies(25);
	for (u = 1; u <= 4; u++) {
		watch(100 + u, u, 1);
		watch(1000 + u, u, u <= 2 ? 2 : 3);
	}
	for (u = 5; u <= 7; u++)
		watch(50, u, 2);
	watch(100, 8, 1);
	rate(2000, 8, 2, 1);
	for (u = 0; u < 22; u++)
		watch(10, 100 + u, 4 + u);
	done_writing();
	o.mp.algo = MODEL_POP;
	o.holdout_pct = 20;
	cr_assert_eq(train_run(&o, &res), 0);
	cr_assert_eq(res.eval_users, 4);
	cr_assert_float_eq(res.recall, 0.5, 1e-12);
	cr_assert_float_eq(res.ndcg, 0.5, 1e-12);
	cr_assert(res.coverage > 0 && res.coverage <= 1);
	cr_assert_eq(res.interactions, 35, "then fitted on everything");
	cr_assert_eq(res.users, 30);
	cr_assert_eq(qi("SELECT eval_users FROM models"), 4);
	cr_assert_eq(qi("SELECT eval_recall20 = 0.5 AND eval_ndcg20 = 0.5 "
	    "FROM models"), 1);
}

/* The phases told so far, one a line. */
static char	phases[512];

static void
record_phase(void *arg, const char *what)
{
	cr_assert_eq(arg, &res, "the progress_arg");
	strncat(phases, what, sizeof(phases) - strlen(phases) - 2);
	strcat(phases, "\n");
}

Test(train, each_phase_is_told_as_it_starts)
{
	three_users();
	o.progress = record_phase;
	o.progress_arg = &res;
	phases[0] = '\0';
	cr_assert_eq(train_run(&o, &res), 0);
	cr_assert_str_eq(phases, TRAIN_PHASE_READ "\n" TRAIN_PHASE_TUNE "\n"
	    TRAIN_PHASE_HOLDOUT "\n" TRAIN_PHASE_FIT "\n" TRAIN_PHASE_LISTS
	    "\n");
	/* Not tuning, no tuning phase. */
	o.tune = 0;
	phases[0] = '\0';
	cr_assert_eq(train_run(&o, &res), 0);
	cr_assert_str_eq(phases, TRAIN_PHASE_READ "\n" TRAIN_PHASE_HOLDOUT
	    "\n" TRAIN_PHASE_FIT "\n" TRAIN_PHASE_LISTS "\n");
	/* Without a hold-out, no hold-out phase (nor a tuning one). */
	o.tune = 1;
	o.holdout_pct = 0;
	phases[0] = '\0';
	cr_assert_eq(train_run(&o, &res), 0);
	cr_assert_str_eq(phases, TRAIN_PHASE_READ "\n" TRAIN_PHASE_FIT "\n"
	    TRAIN_PHASE_LISTS "\n");
	o.progress = NULL;
	cr_assert_eq(train_run(&o, &res), 0, "nobody told: fine");
}

Test(train, a_failed_training_tells_the_phases_up_to_its_failure)
{
	h_writer_movies(3);
	done_writing();
	o.progress = record_phase;
	o.progress_arg = &res;
	phases[0] = '\0';
	cr_assert_eq(train_run(&o, &res), -1);
	cr_assert_str_eq(phases, TRAIN_PHASE_READ "\n");
}

Test(train, no_interactions_is_a_failed_run)
{
	char	buf[128];

	h_writer_movies(3);
	done_writing();
	cr_assert_eq(train_run(&o, &res), -1);
	cr_assert_eq(qi("SELECT COUNT(*) FROM models"), 0);
	cr_assert_str_eq(qs(buf, sizeof(buf), "SELECT status || ': ' || "
	    "message FROM training_runs"),
	    "failed: no interactions to learn from");
	cr_assert_eq(qi("SELECT model_id IS NULL AND finished_ms IS NOT NULL "
	    "FROM training_runs"), 1);
	cr_assert_eq(models_files(0), -1, "no models directory");
}

Test(train, failed_fit_keeps_the_current_model)
{
	char	buf[128];

	three_users_pop();
	cr_assert_eq(train_run(&o, &res), 0);
	/* Item-kNN with no neighbours cannot be fitted. */
	model_params_default(&o.mp, MODEL_ITEMKNN);
	o.mp.k = 0;
	cr_assert_eq(train_run(&o, &res), -1);
	o.holdout_pct = 20;
	cr_assert_eq(train_run(&o, &res), -1);
	o.tune = 0;
	cr_assert_eq(train_run(&o, &res), -1);
	cr_assert_str_eq(qs(buf, sizeof(buf), "SELECT group_concat(status || "
	    "':' || message, ' / ') FROM (SELECT * FROM training_runs ORDER "
	    "BY id)"), "done:ok / failed:the fit failed / "
	    "failed:the validation fit failed / "
	    "failed:the hold-out fit failed");
	cr_assert_eq(qi("SELECT COUNT(*) FROM models"), 1);
	cr_assert_eq(qi("SELECT id FROM models WHERE current = 1"), 1);
	cr_assert_eq(models_files(0), 2, "nothing of the failed runs");
}

/*
 * Out of memory while reading the interactions (the allocations there go
 * through the fault hook): fail the 1st, then the 2nd, ... until a run
 * needs no failing allocation; each failure is a failed run, then one
 * succeeds.
 */
Test(train, out_of_memory_reading_is_a_failed_run)
{
	char	buf[128];
	int	k, rc, fired, failures = 0;

	three_users_pop();
	for (k = 1; k < 50; k++) {
		fault_arm(k, 0);
		rc = train_run(&o, &res);
		fired = fault_arm(0, 0);
		if (!fired) {
			cr_assert_eq(rc, 0, "round %d", k);
			break;
		}
		cr_assert_eq(rc, -1, "round %d: an allocation failed", k);
		failures++;
	}
	cr_assert_gt(failures, 0, "no allocation failed: nothing tested");
	cr_assert_eq(res.model_id, 1);
	cr_assert_eq(qi("SELECT COUNT(*) FROM training_runs WHERE status = "
	    "'failed' AND message = 'cannot read the interactions'"),
	    failures);
	cr_assert_str_eq(qs(buf, sizeof(buf), "SELECT status FROM "
	    "training_runs ORDER BY id DESC LIMIT 1"), "done");
	cr_assert_eq(models_files(0), 2);
}

Test(train, missing_database_fails_without_creating_one)
{
	struct stat	st;

	cr_assert_eq(train_run(&o, &res), -1);
	cr_assert_eq(stat(h_db, &st), -1, "a database was created");
	cr_assert_eq(res.model_id, 0);
}

/* Take the training lock of h_dir as another process would. */
static int
hold_lock(void)
{
	char	p[300];
	int	fd;

	snprintf(p, sizeof(p), "%s/train.lock", h_dir);
	cr_assert_neq(fd = open(p, O_RDWR | O_CREAT, 0600), -1);
	cr_assert_eq(flock(fd, LOCK_EX | LOCK_NB), 0);
	return (fd);
}

Test(train, second_training_at_once_is_busy)
{
	int	fd;

	three_users();
	o.mp.algo = MODEL_POP;
	fd = hold_lock();
	cr_assert_eq(train_run(&o, &res), TRAIN_BUSY);
	cr_assert_eq(qi("SELECT COUNT(*) FROM training_runs"), 0,
	    "a busy attempt records no run");
	cr_assert_eq(models_files(0), -1);
	close(fd);
	cr_assert_eq(train_run(&o, &res), 0);
	cr_assert_eq(res.model_id, 1);
}

/* Create an empty file in the models directory. */
static void
touch(const char *name)
{
	char	p[600];
	int	fd;

	snprintf(p, sizeof(p), "%s/%s", mdir, name);
	cr_assert_neq(fd = open(p, O_WRONLY | O_CREAT, 0600), -1, "%s", p);
	close(fd);
}

/* A crashed training: its run row 'running', its temporary files. */
static void
crashed_training(void)
{
	three_users_pop();
	cr_assert_eq(train_run(&o, &res), 0);
	h_exec("INSERT INTO training_runs (started_ms, trigger, status) "
	    "VALUES (1000, 'schedule', 'running')");
	touch("model-000002.cnrm.tmp.AbC123");
	touch("model-000002.lists.tmp");
	cr_assert_eq(models_files(0), 4);
}

Test(train, recover_marks_running_runs_interrupted_and_removes_tmp)
{
	char	buf[256];

	crashed_training();
	train_recover(h_dir);
	cr_assert_eq(models_files(1), 0, "temporary files removed");
	cr_assert(exists("model-000001.cnrm"));
	cr_assert(exists("model-000001.lists"));
	cr_assert_str_eq(qs(buf, sizeof(buf), "SELECT status || ': ' || "
	    "message FROM training_runs WHERE id = 2"),
	    "interrupted: the process stopped during the training");
	cr_assert_str_eq(qs(buf, sizeof(buf), "SELECT status || ': ' || "
	    "message FROM training_runs WHERE id = 1"), "done: ok");
	cr_assert_eq(qi("SELECT id FROM models WHERE current = 1"), 1);
	/* Again: nothing left to do. */
	train_recover(h_dir);
	cr_assert_eq(qi("SELECT COUNT(*) FROM training_runs WHERE status = "
	    "'interrupted'"), 1);
	cr_assert_eq(models_files(0), 2);
	/* And the next training numbers on. */
	cr_assert_eq(train_run(&o, &res), 0);
	cr_assert_eq(res.model_id, 2);
}

Test(train, recover_leaves_a_training_under_way_alone)
{
	int	fd;

	crashed_training();
	fd = hold_lock();
	train_recover(h_dir);
	cr_assert_eq(models_files(1), 2, "a live training's files stay");
	cr_assert_eq(qi("SELECT status = 'running' FROM training_runs WHERE "
	    "id = 2"), 1);
	close(fd);
	train_recover(h_dir);
	cr_assert_eq(models_files(1), 0);
	cr_assert_eq(qi("SELECT status = 'interrupted' FROM training_runs "
	    "WHERE id = 2"), 1);
}

Test(train, recover_on_an_empty_data_dir_does_nothing)
{
	struct stat	st;

	train_recover(h_dir);
	cr_assert_eq(stat(h_db, &st), -1, "a database was created");
	cr_assert_eq(models_files(0), -1);
	/* A data dir that does not exist at all. */
	train_recover("/nonexistent/cinerec-data");
}

/* ---- the quality gate and the versions --------------------------------- */

/* versions_pin / versions_use on a connection of the models role. */
static int
pin(int64_t id, char *err, size_t sz)
{
	struct store	s;
	int		rc;

	cr_assert_eq(store_open(&s, h_dir, STORE_ROLE_MODELS), 0);
	rc = versions_pin(s.db, id, 1, "test", err, sz);
	store_close(&s);
	return (rc);
}

static int
use(int64_t id, const char *why, char *err, size_t sz)
{
	struct store	s;
	int		rc;

	cr_assert_eq(store_open(&s, h_dir, STORE_ROLE_MODELS), 0);
	rc = versions_use(s.db, h_dir, id, "test", why, err, sz);
	store_close(&s);
	return (rc);
}

Test(train, without_a_hold_out_a_second_candidate_is_kept_not_promoted)
{
	char	buf[256];

	three_users_pop();
	cr_assert_eq(train_run(&o, &res), 0);
	cr_assert_eq(res.gate, GATE_FIRST);
	cr_assert_eq(train_run(&o, &res), 0, "refused is no failure");
	cr_assert_eq(res.model_id, 2);
	cr_assert_eq(res.gate, GATE_REFUSED);
	cr_assert(strstr(res.gate_reason, "not scored on a hold-out"), "%s",
	    res.gate_reason);
	cr_assert_eq(qi("SELECT id FROM models WHERE current = 1"), 1);
	cr_assert(exists("model-000002.cnrm"), "kept as a version");
	cr_assert(exists("model-000002.lists"));
	cr_assert_str_eq(qs(buf, sizeof(buf), "SELECT group_concat(model_id || "
	    "':' || action || ':' || substr(detail, 1, 8), ' ') FROM (SELECT * "
	    "FROM lifecycle_log ORDER BY id)"), "1:gate:first: t 2:gate:refused:");
	cr_assert_str_eq(qs(buf, sizeof(buf), "SELECT status || ' ' || message "
	    "FROM training_runs WHERE model_id = 2"), "done kept, not promoted");
}

Test(train, the_same_configuration_faces_itself_and_is_promoted)
{
	three_users();
	cr_assert_eq(train_run(&o, &res), 0);
	cr_assert_eq(res.gate, GATE_FIRST);
	cr_assert_gt(res.eval_users, 0);
	cr_assert_eq(train_run(&o, &res), 0);
	cr_assert_eq(res.gate, GATE_PROMOTED, "%s", res.gate_reason);
	cr_assert_eq(res.base_id, 1);
	cr_assert_float_eq(res.base_recall, res.recall, 1e-12);
	cr_assert_eq(qi("SELECT id FROM models WHERE current = 1"), 2);
	cr_assert_eq(qi("SELECT baseline_id FROM models WHERE id = 2"), 1);
}

Test(train, a_pinned_current_version_stays_unless_forced)
{
	char	err[128];

	three_users();
	cr_assert_eq(train_run(&o, &res), 0);
	cr_assert_eq(pin(1, err, sizeof(err)), 0,
	    "%s", err);
	cr_assert_eq(train_run(&o, &res), 0);
	cr_assert_eq(res.gate, GATE_REFUSED);
	cr_assert_str_eq(res.gate_reason, "the current version 1 is pinned");
	cr_assert_eq(qi("SELECT id FROM models WHERE current = 1"), 1);
	o.gate.force = 1;
	cr_assert_eq(train_run(&o, &res), 0);
	cr_assert_eq(res.gate, GATE_FORCED);
	cr_assert_eq(qi("SELECT id FROM models WHERE current = 1"), 3);
}

Test(train, old_versions_lose_their_files_and_keep_their_rows)
{
	char	err[128];
	int	i;

	three_users_pop();
	o.gate.keep = 2;
	o.gate.force = 1;
	cr_assert_eq(train_run(&o, &res), 0);
	cr_assert_eq(pin(1, err, sizeof(err)), 0);
	for (i = 0; i < 4; i++)
		cr_assert_eq(train_run(&o, &res), 0);
	/* 5 versions: 5 current, 4 among the newest 2, 1 pinned. */
	cr_assert_eq(qi("SELECT COUNT(*) FROM models"), 5);
	cr_assert_eq(qi("SELECT group_concat(id, '') FROM (SELECT id FROM models "
	    "WHERE collected_ms IS NOT NULL ORDER BY id)"), 23);
	cr_assert(exists("model-000001.cnrm"), "pinned");
	cr_assert(!exists("model-000002.cnrm"));
	cr_assert(!exists("model-000002.lists"));
	cr_assert(!exists("model-000003.cnrm"));
	cr_assert(exists("model-000004.cnrm"));
	cr_assert(exists("model-000005.lists"));
	cr_assert_eq(use(2, NULL, err, sizeof(err)), -1, "collected: cannot be used");
	cr_assert(strstr(err, "collected"), "%s", err);
	cr_assert_eq(use(1, "back", err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(qi("SELECT id FROM models WHERE current = 1"), 1);
	cr_assert_eq(qi("SELECT COUNT(*) FROM lifecycle_log WHERE action = "
	    "'use' AND who = 'test' AND detail = 'back'"), 1);
}

/* At the lists phase of a training, version 1 is pinned by someone. */
static void
pin_meanwhile(void *arg, const char *phase)
{
	char	err[128];

	(void)arg;
	if (strcmp(phase, TRAIN_PHASE_LISTS) == 0)
		cr_assert_eq(pin(1, err, sizeof(err)), 0, "%s", err);
}

Test(train, a_pin_during_the_training_stands)
{
	three_users();
	cr_assert_eq(train_run(&o, &res), 0);
	o.progress = pin_meanwhile;
	cr_assert_eq(train_run(&o, &res), 0);
	cr_assert_eq(res.gate, GATE_REFUSED, "%s", res.gate_reason);
	cr_assert_str_eq(res.gate_reason, "the current version 1 was pinned "
	    "during the training");
	cr_assert_eq(qi("SELECT id FROM models WHERE current = 1"), 1);
	cr_assert_eq(qi("SELECT COUNT(*) FROM models WHERE id = 2 AND gate = "
	    "'refused'"), 1);
}

/*
 * A training right after the data came in (make run: a demo world, then
 * the server trains at start): every user is in the lists, none folded
 * in; a change committed after the training's snapshot is newer.
 */
Test(train, users_written_just_before_the_training_are_in_its_lists)
{
	struct lists	*l;
	int64_t		 stamp;

	three_users_pop();
	cr_assert_eq(train_run(&o, &res), 0);
	l = lists_of(1);
	stamp = qi("SELECT MAX(updated_ms) FROM users");
	cr_assert_geq(l->data_to_ms, stamp, "the users of a moment ago are "
	    "in: %lld < %lld", (long long)l->data_to_ms, (long long)stamp);
	lists_free(l);
	/* One more watch after it: stamped later, so folded in. */
	cr_assert_not_null(h_w = writer_open(h_dir));
	watch(400, 3, 2);
	done_writing();
	cr_assert_gt(qi("SELECT updated_ms FROM users WHERE id = 3"), stamp);
}

/*
 * The lists of a training are what the fold-in at request time gives the
 * same history (reco_for_user without lists), to the last bit, recency
 * included: each path weighs the entries by their own times (train_load's,
 * store_history's), so a difference in either shows here.  Users watch their movies in an
 * order unlike the movie ids, and rate some of them later again.
 */
static void
lists_are_the_fold_in(uint32_t algo)
{
	struct signal_params	 sp;
	struct store		 st;
	struct reco		 r;
	struct reco_list	 rl;
	struct model		*md;
	struct lists		*l;
	char			 p[600];
	uint64_t		 row;
	int64_t			 u;
	size_t			 k, compared = 0;
	int			 i, n;

	h_writer_movies(40);
	for (u = 1, n = 0; u <= 30; u++)
		for (i = 0; i < 12; i++, n++) {
			watch(n * 7, u, 1 + (int)((u * 13 + i * 5) % 40));
			if (i % 5 == 4)
				rate(40000 + n, u, 1 + (int)((u * 13 + i *
				    (i - 3)) % 40), 1 + (int)(u % 5));
		}
	done_writing();
	o.mp.algo = algo;
	model_params_default(&o.mp, algo);
	o.mp.factors = 16;
	o.mp.reg = 1.0f;	/* scores well away from 0 on so few users */
	o.holdout_pct = 0;
	cr_assert_gt(o.mp.recency, 0.0f, "on by default");
	cr_assert_eq(train_run(&o, &res), 0);
	l = lists_of(1);
	snprintf(p, sizeof(p), "%s/model-000001.cnrm", mdir);
	cr_assert_eq(model_load(p, &md), 0);
	cr_assert_float_eq(md->params.recency, o.mp.recency, 0);
	signal_defaults(&sp);
	cr_assert_eq(store_open(&st, h_dir, STORE_RDONLY), 0);
	memset(&r, 0, sizeof(r));
	cr_assert_geq(reco_refresh(&r, &st, 7, 1), 0);
	for (row = 0; row < l->nusers; row++) {
		u = l->users[row];
		cr_assert_geq(reco_for_user(&r, &st, md, NULL, &sp, u,
		    LISTS_K, &rl), 0);
		cr_assert_eq(rl.path, RECO_PATH_FOLDIN);
		for (k = 0; k < rl.personal; k++, compared++) {
			cr_assert_eq(rl.item[k].movie,
			    l->ids[row * LISTS_K + k], "user %lld slot %zu: "
			    "%d folded in, %d in the lists", (long long)u, k,
			    rl.item[k].movie, l->ids[row * LISTS_K + k]);
			/* Bit for bit: the same history in the same order. */
			cr_assert(rl.item[k].score ==
			    l->scores[row * LISTS_K + k], "user %lld slot "
			    "%zu: %g folded in, %g in the lists", (long long)u,
			    k, (double)rl.item[k].score,
			    (double)l->scores[row * LISTS_K + k]);
			cr_assert(k > 0 || rl.item[k].score > 1e-3,
			    "a model that scores all but nothing");
		}
	}
	cr_assert_gt(compared, 100);
	/* And each is explained by a movie of the user's history. */
	for (row = 0; row < l->nusers; row += 7) {
		u = l->users[row];
		cr_assert_geq(reco_for_user(&r, &st, md, NULL, &sp, u,
		    LISTS_K, &rl), 0);
		cr_assert_eq(reco_explain(&r, &st, md, &sp, u, &rl), 0);
		for (k = 0; k < rl.personal; k++) {
			cr_assert_not_null(rl.item[k].because, "user %lld "
			    "slot %zu unexplained", (long long)u, k);
			cr_assert_eq(qi("SELECT (SELECT COUNT(*) FROM watches "
			    "WHERE user_id = %lld AND movie_id = %d) + (SELECT "
			    "COUNT(*) FROM ratings WHERE user_id = %lld AND "
			    "movie_id = %d) > 0", (long long)u,
			    rl.item[k].because_id, (long long)u,
			    rl.item[k].because_id), 1, "user %lld slot %zu: "
			    "because %d", (long long)u, k,
			    rl.item[k].because_id);
		}
	}
	reco_free(&r);
	store_close(&st);
	model_free(md);
	lists_free(l);
}

Test(train, als_lists_are_the_fold_in_of_the_same_history)
{
	lists_are_the_fold_in(MODEL_ALS);
}

Test(train, itemknn_lists_are_the_fold_in_of_the_same_history)
{
	lists_are_the_fold_in(MODEL_ITEMKNN);
}

/*
 * The recency is chosen on a validation part: 30 users switch from one
 * cluster of movies (1..20, 8 watches) to the other (21..40, 8 watches),
 * among users who keep to one; their validation part (the end of their
 * train part) and their test part are of the second cluster, so weighing
 * the newest entries more wins there.  The trials (reg 1, 0.25 and 4,
 * each at every recency) are recorded with the version; a recency given
 * by hand is not tuned.
 */
Test(train, the_recency_is_chosen_on_a_validation_part_and_recorded)
{
	char	buf[512], want[64];
	int64_t	u;
	int	i, n = 0;

	h_writer_movies(40);
	for (u = 1; u <= 40; u++)
		for (i = 0; i < 8; i++, n++)
			watch(n, u, (u <= 20 ? 1 : 21) + (int)((u * 3 + i * 7) %
			    20));
	for (u = 41; u <= 70; u++)
		for (i = 0; i < 16; i++, n++)
			watch(n, u, (i < 8 ? 1 : 21) + (int)((u * 3 + i * 7) %
			    20));
	done_writing();
	o.mp.factors = 8;
	o.mp.reg = 1.0f;
	cr_assert_eq(train_run(&o, &res), 0);
	cr_assert(strstr(res.tuned, "validation Recall@20 (70 users): reg 1: "
	    "recency 5 "), "the configured values first: %s", res.tuned);
	cr_assert(strstr(res.tuned, "; reg 0.25: recency 5 ") &&
	    strstr(res.tuned, "; reg 4: recency 5 "), "%s", res.tuned);
	cr_assert_gt(res.recency, 0.0f, "%s", res.tuned);
	cr_assert_leq(res.recency, 7.0f, "the newest matter most: %s",
	    res.tuned);
	snprintf(want, sizeof(want), " recency %g", (double)res.recency);
	cr_assert(strstr(strstr(res.tuned, "; chosen reg "), want), "%s",
	    res.tuned);
	cr_assert_str_eq(qs(buf, sizeof(buf), "SELECT detail FROM "
	    "lifecycle_log WHERE action = 'tune' AND model_id = 1"), res.tuned);
	snprintf(want, sizeof(want), "\"recency\":%g}", (double)res.recency);
	cr_assert(strstr(qs(buf, sizeof(buf), "SELECT params FROM models "
	    "WHERE id = 1"), want), "%s", buf);
	/* Given by hand (tune off), it is what the model gets. */
	o.tune = 0;
	o.mp.recency = 40.0f;
	cr_assert_eq(train_run(&o, &res), 0);
	cr_assert_str_eq(res.tuned, "");
	cr_assert_float_eq(res.recency, 40.0f, 0);
	/* The current one trains alike: the candidate's fit, rescored. */
	cr_assert_eq(qi("SELECT baseline_id = 1 AND baseline_recall20 = "
	    "(SELECT eval_recall20 FROM models WHERE id = 1) FROM models "
	    "WHERE id = 2"), 1);
	cr_assert_eq(qi("SELECT COUNT(*) FROM lifecycle_log WHERE action = "
	    "'tune'"), 1);
}

/*
 * A tuning fit sees at most 100,000 users, an even sample: of 100,002
 * users every second one (50,001), told in the trials.
 */
Test(train, the_tuning_fit_samples_a_large_store)
{
	char	slug[32];
	int64_t	u;

	h_writer_movies(20);
	for (u = 1; u <= 100002; u++) {
		snprintf(slug, sizeof(slug), "m%d+2000", 1 + (int)(u % 20));
		h_watch(S(u % 50000), u, slug, 0);
		snprintf(slug, sizeof(slug), "m%d+2000", 1 + (int)(u * 7 % 20));
		h_watch(S(u % 50000 + 1), u, slug, 0);
	}
	done_writing();
	o.mp.factors = 4;
	o.mp.iters = 2;
	cr_assert_eq(train_run(&o, &res), 0);
	cr_assert(strstr(res.tuned, "(50001 users)"), "%s", res.tuned);
}
