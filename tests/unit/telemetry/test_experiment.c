/*
 * Experiments (telemetry/experiment.c): the split of users between arms,
 * the statistics against known values, the stop rules, and an experiment's
 * life in a database (start, figures from reco_stats, the tick's verdict).
 */
#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>

#include "harness.h"
#include "scratch.h"
#include "store/store.h"
#include "telemetry/experiment.h"
#include "util/clock.h"

static struct experiment	e;

/* Two arms: control (current) and cand (version 2), 50/50. */
static void
two_arms(int share0)
{
	memset(&e, 0, sizeof(e));
	snprintf(e.name, sizeof(e.name), "ab");
	snprintf(e.salt, sizeof(e.salt), "00112233445566778899aabbccddeeff");
	e.id = 1;
	e.narms = 2;
	snprintf(e.arm[0].name, EXPERIMENT_ARM_MAX, "control");
	e.arm[0].share = share0;
	snprintf(e.arm[1].name, EXPERIMENT_ARM_MAX, "cand");
	e.arm[1].model_id = 2;
	e.arm[1].share = 1000 - share0;
	e.max_hours = 24;
	e.min_lists = 100;
	e.max_p99_ms = 20;
	e.started_ms = clock_now_ms();
}

TestSuite(experiment, .init = h_scratch_setup, .fini = h_scratch_teardown);

Test(experiment, users_split_in_the_shares_and_stay_where_they_are)
{
	int	i, n[2] = { 0, 0 }, moved = 0, a;

	two_arms(500);
	for (i = 1; i <= 100000; i++)
		n[experiment_arm_of(&e, i)]++;
	cr_assert(n[0] > 49000 && n[0] < 51000, "50/50: %d %d", n[0], n[1]);
	for (i = 1; i <= 1000; i++)
		cr_assert_eq(experiment_arm_of(&e, i), experiment_arm_of(&e, i));
	two_arms(950);
	n[0] = n[1] = 0;
	for (i = 1; i <= 100000; i++)
		n[experiment_arm_of(&e, i)]++;
	cr_assert(n[1] > 4500 && n[1] < 5500, "canary 5%%: %d", n[1]);
	/* Another salt: another split (about half the users move). */
	two_arms(500);
	for (i = 1; i <= 10000; i++) {
		a = experiment_arm_of(&e, i);
		e.salt[0] = 'f';
		moved += experiment_arm_of(&e, i) != a;
		e.salt[0] = '0';
	}
	cr_assert(moved > 4500 && moved < 5500, "moved %d", moved);
}

Test(experiment, arms_parse_and_bad_experiments_are_refused)
{
	struct experiment_arm	arm;
	char			err[128];

	cr_assert_eq(experiment_parse_arm("canary=7:5", &arm), 0);
	cr_assert_str_eq(arm.name, "canary");
	cr_assert_eq(arm.model_id, 7);
	cr_assert_eq(arm.share, 50);
	cr_assert_eq(experiment_parse_arm("c=current:33.3", &arm), 0);
	cr_assert_eq(arm.model_id, 0);
	cr_assert_eq(arm.share, 333);
	cr_assert_eq(experiment_parse_arm("c=7", &arm), -1);
	cr_assert_eq(experiment_parse_arm("=7:5", &arm), -1);
	cr_assert_eq(experiment_parse_arm("c=x:5", &arm), -1);
	cr_assert_eq(experiment_parse_arm("c=7:0", &arm), -1);
	cr_assert_eq(experiment_parse_arm("c=7:101", &arm), -1);
	two_arms(500);
	cr_assert_eq(experiment_check(&e, err, sizeof(err)), 0, "%s", err);
	e.arm[1].share = 400;
	cr_assert_eq(experiment_check(&e, err, sizeof(err)), -1);
	cr_assert_str_eq(err, "the shares add up to 900 per mille, not 1000");
	two_arms(500);
	snprintf(e.arm[1].name, EXPERIMENT_ARM_MAX, "a b");
	cr_assert_eq(experiment_check(&e, err, sizeof(err)), -1,
	    "a space would break the log line");
	two_arms(500);
	snprintf(e.arm[1].name, EXPERIMENT_ARM_MAX, "control");
	cr_assert_eq(experiment_check(&e, err, sizeof(err)), -1);
	two_arms(500);
	e.max_p99_ms = 3;
	cr_assert_eq(experiment_check(&e, err, sizeof(err)), -1);
}

Test(experiment, the_tests_against_known_values)
{
	double	lr1, lr2;

	/* 50/100 against 70/100: pooled 0.6, z = 2.8868, p = 0.003892. */
	cr_assert_float_eq(experiment_ztest(50, 100, 70, 100), 0.0038924,
	    1e-6);
	cr_assert_float_eq(experiment_ztest(50, 100, 50, 100), 1.0, 1e-12);
	/* No difference: the mixture ratio is below 1 (p stays 1). */
	cr_assert_lt(experiment_msprt_lr(300, 1000, 300, 1000), 1.0);
	/* A real difference: the evidence grows with the sample. */
	lr1 = experiment_msprt_lr(30, 100, 40, 100);
	lr2 = experiment_msprt_lr(300, 1000, 400, 1000);
	cr_assert_gt(lr2, lr1);
	cr_assert_gt(lr2, 20.0, "p < 0.05 at 1000 lists each: %g", lr2);
	/* None against all of six lists: no evidence yet (was p 6e-9). */
	cr_assert_gt(1.0 / experiment_msprt_lr(0, 6, 6, 6), 0.05);
	cr_assert_float_eq(experiment_msprt_lr(0, 6, 0, 6), 1.0, 0);
	/* More conservative than the z-test at the same data. */
	cr_assert_gt(1.0 / lr1, experiment_ztest(30, 100, 40, 100));
}

static struct experiment_stats	st[2];

static void
figures(int64_t n0, int64_t x0, int64_t n1, int64_t x1)
{
	memset(st, 0, sizeof(st));
	st[0].lists = n0;
	st[0].followed = x0;
	st[0].ctr = (double)x0 / (double)n0;
	st[1].lists = n1;
	st[1].followed = x1;
	st[1].ctr = (double)x1 / (double)n1;
	st[1].diff = st[1].ctr - st[0].ctr;
	st[1].p_msprt = 1.0 / experiment_msprt_lr(x0, n0, x1, n1);
	st[1].p_z = experiment_ztest(x0, n0, x1, n1);
}

Test(experiment, the_stop_rules)
{
	char	why[256];
	int	arm;

	two_arms(500);
	figures(1000, 400, 1000, 300);
	cr_assert_eq(experiment_decide(&e, st, e.started_ms, &arm, why,
	    sizeof(why)), EXPERIMENT_ABORT);
	cr_assert_eq(arm, 1);
	cr_assert(strstr(why, "arm cand is worse than control: "
	    "click-through 0.3000 against 0.4000 (1000 and 1000 lists), "
	    "always-valid p ") == why, "%s", why);
	/* Too few lists: no decision yet. */
	figures(90, 40, 90, 10);
	cr_assert_eq(experiment_decide(&e, st, e.started_ms, &arm, why,
	    sizeof(why)), EXPERIMENT_GO_ON);
	/* Better: promoted only when asked. */
	figures(1000, 300, 1000, 400);
	cr_assert_eq(experiment_decide(&e, st, e.started_ms, &arm, why,
	    sizeof(why)), EXPERIMENT_GO_ON);
	e.auto_promote = 1;
	cr_assert_eq(experiment_decide(&e, st, e.started_ms, &arm, why,
	    sizeof(why)), EXPERIMENT_PROMOTE);
	cr_assert_eq(arm, 1);
	/* Failing: 3% empty lists against none. */
	figures(1000, 300, 1000, 300);
	st[1].error_rate = 0.03;
	cr_assert_eq(experiment_decide(&e, st, e.started_ms, &arm, why,
	    sizeof(why)), EXPERIMENT_ABORT);
	cr_assert(strstr(why, "fails too often: 3.0% of its lists empty"), "%s",
	    why);
	st[1].error_rate = 0.005;
	cr_assert_eq(experiment_decide(&e, st, e.started_ms, &arm, why,
	    sizeof(why)), EXPERIMENT_GO_ON, "within a point of control");
	/* Slow: over the p99 limit. */
	figures(1000, 300, 1000, 300);
	st[1].p99_over_ms = 20;
	cr_assert_eq(experiment_decide(&e, st, e.started_ms, &arm, why,
	    sizeof(why)), EXPERIMENT_ABORT);
	cr_assert(strstr(why, "too slow"), "%s", why);
	st[1].p99_over_ms = 5;
	cr_assert_eq(experiment_decide(&e, st, e.started_ms, &arm, why,
	    sizeof(why)), EXPERIMENT_GO_ON);
	/* The maximum duration. */
	cr_assert_eq(experiment_decide(&e, st, e.started_ms + 25 * 3600000LL,
	    &arm, why, sizeof(why)), EXPERIMENT_EXPIRE);
}

/* A reco_stats row for arm label of experiment 1 in hour h. */
static void
stat_row(int64_t h, const char *arm, int lists, int followed, int slow)
{
	char	sql[512];

	snprintf(sql, sizeof(sql), "INSERT INTO reco_stats (hour, source, "
	    "model_version, arm, lists, nonempty, users, followed, rank_sum, "
	    "latency_us_sum, over_1ms, over_20ms) VALUES (%lld, 'served', 1, "
	    "'%s', %d, %d, %d, %d, %d, %d, %d, %d)", (long long)h, arm, lists,
	    lists - slow, lists / 2, followed, followed * 2, lists * 800, slow,
	    slow);
	h_exec(sql);
}

Test(experiment, a_life_in_the_database)
{
	struct store		 s;
	struct experiment	 got;
	struct experiment_stats	 fig[2];
	struct experiment_series ser;
	char			 err[256], buf[256];
	int64_t			 h = clock_now_ms() / 3600000;

	h_writer_movies(3);
	h_writer_close();
	h_models("(2, 'als', '{}', 'model-000002.cnrm', 0, 0, 0, 0, 0, 0, 0, "
	    "'t', 0.1, 0.1, 0.1, 10, 0)");
	cr_assert_eq(store_open(&s, h_dir, STORE_ROLE_MODELS), 0);
	two_arms(500);
	e.arm[1].model_id = 9;
	cr_assert_eq(experiment_start(s.db, &e, "test", err, sizeof(err)), -1);
	cr_assert_str_eq(err, "arm cand: no version 9 with its files");
	e.arm[1].model_id = 2;
	cr_assert_eq(experiment_start(s.db, &e, "test", err, sizeof(err)), 0,
	    "%s", err);
	cr_assert_eq(e.id, 1);
	cr_assert_eq(strlen(e.salt), 32);
	cr_assert_eq(experiment_start(s.db, &e, "test", err, sizeof(err)), -1);
	cr_assert_str_eq(err, "another experiment is running");
	cr_assert_eq(experiment_running(s.db, &got), 1);
	cr_assert_str_eq(got.salt, e.salt, "the salt is kept: a restart "
	    "splits the same way");
	cr_assert_eq(got.arm[1].model_id, 2);

	/* Hour 1: even; hour 2: cand falls behind; other labels ignored. */
	stat_row(h - 1, "1/control", 200, 80, 0);
	stat_row(h - 1, "1/cand", 200, 80, 0);
	stat_row(h, "1/control", 800, 320, 0);
	stat_row(h, "1/cand", 800, 160, 3);
	stat_row(h, "2/cand", 5000, 0, 0);
	stat_row(h, "", 5000, 0, 0);
	cr_assert_eq(experiment_stats(s.db, &got, fig, &ser), 0);
	cr_assert_eq(fig[0].lists, 1000);
	cr_assert_eq(fig[0].followed, 400);
	cr_assert_eq(fig[1].lists, 1000);
	cr_assert_eq(fig[1].followed, 240);
	cr_assert_float_eq(fig[1].diff, -0.16, 1e-9);
	cr_assert_float_eq(fig[0].mean_rank, 2.0, 1e-9);
	cr_assert_float_eq(fig[0].latency_ms, 0.8, 1e-9);
	cr_assert_eq(fig[1].p99_over_ms, 0, "3 of 1000 slow: under 1%%");
	cr_assert_eq(fig[1].users, 500);
	cr_assert_eq(fig[1].empty, 3);
	cr_assert_float_eq(fig[1].error_rate, 0.003, 1e-12);
	cr_assert_float_eq(fig[1].p_z, experiment_ztest(400, 1000, 240,
	    1000), 1e-12);
	cr_assert_lt(fig[1].p_msprt, 0.05);
	cr_assert(fig[0].lo < 0.4 && fig[0].hi > 0.4);
	cr_assert_eq(ser.nhours, 2);
	cr_assert_eq(ser.lists[1][1], 1000, "cumulative");

	cr_assert_eq(experiment_tick(s.db, h_dir), EXPERIMENT_ABORT);
	cr_assert_eq(experiment_running(s.db, &got), 0);
	cr_assert_eq(experiment_get(s.db, 1, &got), 1);
	cr_assert_str_eq(got.status, "aborted");
	cr_assert(strstr(got.decision, "arm cand is worse"), "%s",
	    got.decision);
	cr_assert_str_eq(h_qs(h_db, buf, sizeof(buf), "SELECT who || ' ' || "
	    "action FROM lifecycle_log WHERE experiment_id = 1 ORDER BY id "
	    "DESC LIMIT 1"), "system experiment aborted");
	cr_assert_eq(experiment_tick(s.db, h_dir), EXPERIMENT_GO_ON,
	    "nothing runs");
	store_close(&s);
}

/* The experiment of a_life_in_the_database, started on s. */
static void
started(struct store *s)
{
	char	err[256];

	h_writer_movies(3);
	h_writer_close();
	h_models("(2, 'als', '{}', 'model-000002.cnrm', 0, 0, 0, 0, 0, 0, 0, "
	    "'t', 0.1, 0.1, 0.1, 10, 0)");
	cr_assert_eq(store_open(s, h_dir, STORE_ROLE_MODELS), 0);
	two_arms(500);
	e.min_lists = 50;
	cr_assert_eq(experiment_start(s->db, &e, "test", err, sizeof(err)), 0,
	    "%s", err);
}

Test(experiment, an_early_lead_lost_is_not_evidence_of_worse)
{
	struct store		 s;
	struct experiment_stats	 fig[2];
	char			 why[256];
	int			 arm;
	int64_t			 h = clock_now_ms() / 3600000;

	started(&s);
	/* Hour 1: the candidate far ahead; now: level, a hair behind. */
	stat_row(h - 1, "1/control", 1000, 400, 0);
	stat_row(h - 1, "1/cand", 1000, 600, 0);
	stat_row(h, "1/control", 10, 4, 0);
	stat_row(h, "1/cand", 1000, 190, 0);
	cr_assert_eq(experiment_stats(s.db, &e, fig, NULL), 0);
	cr_assert_lt(fig[1].diff, 0);
	cr_assert_lt(fig[1].p_better, 0.05, "the lead was evidence of better");
	cr_assert_gt(fig[1].p_worse, 0.05, "but none of worse");
	cr_assert_eq(experiment_decide(&e, fig, clock_now_ms(), &arm, why,
	    sizeof(why)), EXPERIMENT_GO_ON, "%s", why);
	store_close(&s);
}

Test(experiment, totals_count_every_hour_beyond_the_series)
{
	struct store			 s;
	struct experiment_stats		 fig[2];
	static struct experiment_series	 ser;
	int64_t				 h = clock_now_ms() / 3600000;
	int				 i;

	started(&s);
	for (i = 0; i < EXPERIMENT_HOURS_MAX + 4; i++) {
		stat_row(h - 400 + i, "1/control", 1, 0, 0);
		stat_row(h - 400 + i, "1/cand", 1, 1, 0);
	}
	cr_assert_eq(experiment_stats(s.db, &e, fig, &ser), 0);
	cr_assert_eq(ser.nhours, EXPERIMENT_HOURS_MAX);
	cr_assert_eq(fig[0].lists, EXPERIMENT_HOURS_MAX + 4);
	cr_assert_eq(fig[1].followed, EXPERIMENT_HOURS_MAX + 4);
	store_close(&s);
}

Test(experiment, a_promotion_that_cannot_happen_leaves_it_running)
{
	struct store	 s;
	struct experiment got;
	char		 err[256], *text = NULL;
	size_t		 len = 0;
	FILE		*fp;

	started(&s);
	/* Version 2's file does not exist in h_dir/models. */
	cr_assert_eq(experiment_stop(s.db, h_dir, e.id, "promoted", "test",
	    2, "test", err, sizeof(err)), -1);
	cr_assert(strstr(err, "is missing"), "%s", err);
	cr_assert_eq(experiment_running(s.db, &got), 1, "still running");
	cr_assert_eq(h_qi(h_db, "SELECT COUNT(*) FROM lifecycle_log WHERE "
	    "action LIKE 'experiment promoted'"), 0, "nothing recorded");
	/* An id that is not there: a well-formed, empty answer. */
	cr_assert_not_null(fp = open_memstream(&text, &len));
	cr_assert_eq(experiment_json(s.db, 99, 1, fp), 0);
	fclose(fp);
	cr_assert(strstr(text, "{\"experiments\":[],\"log\":[") == text,
	    "%s", text);
	cr_assert_eq(text[len - 2], '}');
	free(text);
	store_close(&s);
}
