/*
 * Which version serves a user (reco/serving.c): the current one, the arm's
 * while an experiment runs, the current one under no arm's label when the
 * arm's version does not load, and none once the experiment stopped.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "harness.h"
#include "scratch.h"
#include "ingest/parse.h"
#include "model/train.h"
#include "reco/reco.h"
#include "reco/serving.h"
#include "store/store.h"
#include "store/writer.h"

static struct serving	sv;
static struct store	rd;

static void
setup(void)
{
	struct train_opts	o;
	struct train_result	res;
	int			i;

	h_scratch_setup();
	h_writer_movies(6);
	for (i = 0; i < 12; i++)
		cr_assert_eq(h_line("2020-03-01T00:00:%02d,%d,GET "
		    "/data/m/m%d+2000/0.mpg", i, 1 + i % 4, 1 + i % 5),
		    PARSE_OK);
	cr_assert_eq(writer_commit(h_w), 0);
	h_writer_close();
	/* Two versions of popularity; version 2 current. */
	train_defaults(&o);
	o.data_dir = h_dir;
	o.mp.algo = MODEL_POP;
	o.holdout_pct = 0;
	o.gate.force = 1;
	cr_assert_eq(train_run(&o, &res), 0);
	cr_assert_eq(train_run(&o, &res), 0);
	cr_assert_eq(res.model_id, 2);
	memset(&sv, 0, sizeof(sv));
	sv.who = "test";
	cr_assert_eq(store_open(&rd, h_dir, STORE_RDONLY), 0);
}

static void
teardown(void)
{
	serving_free(&sv);
	store_close(&rd);
	h_scratch_teardown();
}

TestSuite(serving, .init = setup, .fini = teardown, .timeout = 60);

/* Start control=current:50 cand=1:50 on a models connection. */
static void
start_experiment(void)
{
	struct store		s;
	struct experiment	e;
	char			err[256];

	memset(&e, 0, sizeof(e));
	snprintf(e.name, sizeof(e.name), "ab");
	e.narms = 2;
	cr_assert_eq(experiment_parse_arm("control=current:50", &e.arm[0]), 0);
	cr_assert_eq(experiment_parse_arm("cand=1:50", &e.arm[1]), 0);
	e.max_hours = 1;
	e.min_lists = 10;
	e.max_p99_ms = 20;
	cr_assert_eq(store_open(&s, h_dir, STORE_ROLE_MODELS), 0);
	cr_assert_eq(experiment_start(s.db, &e, "test", err, sizeof(err)), 0,
	    "%s", err);
	store_close(&s);
}

/* Over users 1..200: how many got (version, label). */
static int
count(int64_t version, const char *label)
{
	struct serving_pick	p;
	int			u, n = 0;

	for (u = 1; u <= 200; u++) {
		serving_pick(&sv, u, &p);
		n += p.id == version && strcmp(p.arm, label) == 0;
	}
	return (n);
}

Test(serving, the_current_version_then_each_arm_its_own)
{
	serving_refresh(&sv, &rd, h_dir);
	cr_assert_eq(count(2, ""), 200);
	start_experiment();
	serving_refresh(&sv, &rd, h_dir);
	cr_assert_eq(count(2, "1/control") + count(1, "1/cand"), 200);
	cr_assert(count(1, "1/cand") > 60 && count(1, "1/cand") < 140);
}

Test(serving, an_arm_that_does_not_load_is_served_current_under_no_label)
{
	char	path[300];
	int	cand;

	start_experiment();
	snprintf(path, sizeof(path), "%s/%s/model-000001.cnrm", h_dir,
	    TRAIN_DIR);
	cr_assert_eq(unlink(path), 0);
	serving_refresh(&sv, &rd, h_dir);
	cand = 200 - count(2, "1/control");
	cr_assert_gt(cand, 0);
	cr_assert_eq(count(2, ""), cand, "current, and not counted as cand");
	cr_assert_eq(count(1, "1/cand"), 0);
	cr_assert_eq(sv.arm_failed[1], 1, "remembered: not tried every second");
}

Test(serving, no_arm_once_the_experiment_stopped)
{
	struct store	s;
	char		err[256];

	start_experiment();
	serving_refresh(&sv, &rd, h_dir);
	cr_assert_lt(count(2, ""), 200);
	cr_assert_eq(store_open(&s, h_dir, STORE_ROLE_MODELS), 0);
	cr_assert_eq(experiment_stop(s.db, h_dir, 1, "stopped", "test", 0,
	    "test", err, sizeof(err)), 0, "%s", err);
	store_close(&s);
	serving_refresh(&sv, &rd, h_dir);
	cr_assert_eq(count(2, ""), 200);
}

/* reco_for_user with what serves user; the path it took. */
static int
path_of(int64_t user)
{
	static struct reco	r;
	struct serving_pick	p;
	struct signal_params	sp;
	struct reco_list	l;

	signal_defaults(&sp);
	serving_pick(&sv, user, &p);
	cr_assert_not_null(p.md);
	cr_assert_geq(reco_refresh(&r, &rd, 7, 1), 0);
	cr_assert_geq(reco_for_user(&r, &rd, p.md, p.ls, &sp, user, 20, &l),
	    0);
	reco_free(&r);
	return (l.path);
}

Test(serving, each_answer_says_how_it_was_made)
{
	serving_refresh(&sv, &rd, h_dir);
	cr_assert_eq(path_of(1), RECO_PATH_LISTS, "unchanged since training");
	cr_assert_eq(path_of(999), RECO_PATH_POPULAR, "no history");
	cr_assert_not_null(h_w = writer_open(h_dir));
	cr_assert_eq(h_line("2020-03-01T00:01:00,1,GET /data/m/m6+2000/0.mpg"),
	    PARSE_OK);
	cr_assert_eq(writer_commit(h_w), 0);
	h_writer_close();
	store_close(&rd);
	cr_assert_eq(store_open(&rd, h_dir, STORE_RDONLY), 0);
	cr_assert_eq(path_of(1), RECO_PATH_FOLDIN, "a watch since: folded in");
	cr_assert_eq(path_of(2), RECO_PATH_LISTS);
}
