/*
 * Unit tests for app/sim/sim.c with the world's part played by the test:
 * the same seeds give the same stream, a clean stream parses without a
 * rejection, a dirty one with exactly the rejections announced, lists of
 * the best movies are followed far more often than lists of the worst,
 * lists of unknown ids are counted and never followed, and each day is
 * told as it ends.
 */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/parse.h"
#include "sim/sim.h"
#include "sim/world.h"

static struct sim_world		w;
static struct sim_world_opts	wo;
static struct sim_opts		so;
static struct sim_report	r;

/* What the test's io saw. */
static struct {
	uint64_t	hash;		/* of every line, in order */
	int64_t		lines;
	int64_t		reason[PARSE_NREASONS];
	int		list;		/* 0 best, 1 worst, 2 unknown ids */
} seen;

static void
setup(void)
{
	sim_world_defaults(&wo);
	wo.users = 200;
	wo.movies = 150;
	cr_assert_eq(sim_world_new(&w, &wo), 0);
	sim_defaults(&so);
	so.days = 3;
	so.sessions = 200;
	memset(&seen, 0, sizeof(seen));
}

static void
teardown(void)
{
	sim_world_free(&w);
}

TestSuite(sim, .init = setup, .fini = teardown, .timeout = 60);

static int
line(void *arg, int64_t user, const char *l, size_t len)
{
	struct parse_event	*ev = arg;
	size_t			 i;

	cr_assert_gt(user, 0);
	for (i = 0; i < len; i++)
		seen.hash = (seen.hash ^ (unsigned char)l[i]) *
		    0x100000001b3ULL;
	seen.hash = (seen.hash ^ '\n') * 0x100000001b3ULL;
	seen.lines++;
	seen.reason[parse_line(l, len, ev)]++;
	return (0);
}

/* The user's best (0) or worst (1) movies by true affinity, or junk. */
static int
ask(void *arg, int64_t user, char ids[][PARSE_SPELLING_MAX + 1], int max)
{
	int	 m, k, n = 0, used[1024] = { 0 }, pick;
	double	 a, best;

	(void)arg;
	for (k = 0; k < max && k < wo.movies; k++) {
		if (seen.list == 2) {
			snprintf(ids[n++], PARSE_SPELLING_MAX, "junk+%d", k);
			continue;
		}
		for (m = 0, pick = -1, best = -1.0; m < wo.movies; m++) {
			a = sim_affinity(&w, (int)user - 1, m);
			if (seen.list == 1)
				a = 1.0 - a;
			if (!used[m] && a > best) {
				best = a;
				pick = m;
			}
		}
		used[pick] = 1;
		snprintf(ids[n++], PARSE_SPELLING_MAX, "%s", w.movie[pick].slug);
	}
	return (n);
}

static uint64_t
run(struct sim_io *io)
{
	static struct parse_event	ev;

	memset(&seen.hash, 0, sizeof(seen.hash));
	seen.lines = 0;
	memset(seen.reason, 0, sizeof(seen.reason));
	io->arg = &ev;
	cr_assert_eq(sim_run(&w, &so, io, &r), 0);
	cr_assert_eq(r.lines, seen.lines);
	return (seen.hash);
}

Test(sim, the_same_seeds_are_the_same_stream)
{
	struct sim_io	io = { NULL, NULL, line, NULL };
	uint64_t	h1, h2, h3;

	h1 = run(&io);
	sim_world_free(&w);
	cr_assert_eq(sim_world_new(&w, &wo), 0);
	h2 = run(&io);
	cr_assert_eq(h1, h2, "same seeds, same lines");
	cr_assert_gt(seen.lines, 1000);
	so.seed = 77;
	h3 = run(&io);
	cr_assert_neq(h1, h3, "another run seed, another stream");
}

Test(sim, a_clean_stream_parses_without_a_rejection)
{
	struct sim_io	io = { NULL, NULL, line, NULL };
	int		i;

	(void)run(&io);
	for (i = 1; i < PARSE_NREASONS; i++)
		cr_assert_eq(seen.reason[i], 0, "%s", parse_reason_name(i));
	cr_assert_eq(seen.reason[PARSE_OK], seen.lines);
	for (i = 0; i < PARSE_NREASONS; i++)
		cr_assert_eq(r.injected[i], 0);
}

Test(sim, a_dirty_stream_has_exactly_the_rejections_announced)
{
	struct sim_io	io = { NULL, NULL, line, NULL };
	int64_t		dirty = 0;
	int		i;

	so.dirt = 0.1;
	(void)run(&io);
	for (i = 1; i < PARSE_NREASONS; i++) {
		cr_assert_eq(seen.reason[i], r.injected[i], "%s: %lld, "
		    "announced %lld", parse_reason_name(i),
		    (long long)seen.reason[i], (long long)r.injected[i]);
		dirty += r.injected[i];
	}
	dirty += r.injected[PARSE_OK];
	/* About a tenth of the lines. */
	cr_assert(dirty > seen.lines / 20 && dirty < seen.lines / 5,
	    "%lld of %lld", (long long)dirty, (long long)seen.lines);
}

Test(sim, the_best_lists_are_followed_far_more_than_the_worst)
{
	struct sim_io	io = { NULL, ask, line, NULL };
	int64_t		best_f, worst_f, lists;
	double		best_a, worst_a;

	seen.list = 0;
	(void)run(&io);
	best_f = r.day[0].followed + r.day[1].followed + r.day[2].followed;
	lists = r.day[0].lists + r.day[1].lists + r.day[2].lists;
	best_a = r.day[0].affinity / r.day[0].lists;
	cr_assert_eq(lists, r.day[0].sessions + r.day[1].sessions +
	    r.day[2].sessions, "every session asked");
	/* The oracle's lists are about the best possible (it does not
	   leave out what was watched or not yet released). */
	cr_assert_geq(r.day[0].affinity, 0.9 * r.day[0].best, "%g of %g",
	    r.day[0].affinity, r.day[0].best);
	sim_world_free(&w);
	cr_assert_eq(sim_world_new(&w, &wo), 0);
	seen.list = 1;
	(void)run(&io);
	worst_f = r.day[0].followed + r.day[1].followed + r.day[2].followed;
	worst_a = r.day[0].affinity / r.day[0].lists;
	cr_assert_gt(best_f, 3 * worst_f, "best %lld, worst %lld followed",
	    (long long)best_f, (long long)worst_f);
	cr_assert_gt(best_a, 3 * worst_a);
}

Test(sim, lists_of_unknown_ids_are_counted_and_never_followed)
{
	struct sim_io	io = { NULL, ask, line, NULL };

	seen.list = 2;
	(void)run(&io);
	cr_assert_eq(r.day[0].lists, r.day[0].sessions);
	cr_assert_eq(r.day[0].followed, 0);
	cr_assert_gt(r.day[0].own, 0, "they watch on their own instead");
}

/* The days told, as the report has them when told. */
static int		told;
static struct sim_day	told_day[8];

static void
day_done(void *arg, int day, const struct sim_day *d)
{
	(void)arg;
	cr_assert_eq(day, told, "in order, from 0");
	cr_assert_eq(d, &r.day[day], "the report's own day");
	cr_assert_eq(r.ndays, day + 1, "counted when told");
	told_day[told++] = *d;
}

Test(sim, each_day_is_told_when_it_ends)
{
	struct sim_io	io = { NULL, NULL, line, day_done };
	int		i;

	told = 0;
	(void)run(&io);
	cr_assert_eq(told, so.days);
	for (i = 0; i < told; i++) {
		cr_assert_eq(told_day[i].sessions, so.sessions);
		cr_assert_eq(told_day[i].lines, r.day[i].lines);
	}
}
