/*
 * Unit tests for app/reco/reco.c: the popularity ranking (recent window, then
 * all time, then id), the window counted back from the newest day with
 * activity, the per-user filter, the cache refresh on data_version, and
 * the error paths.  Data goes in through the writer, the ranking is read
 * through a separate read-only connection as the HTTP workers do.
 */
#include <criterion/criterion.h>

#include "harness.h"
#include "scratch.h"

#include <sys/stat.h>

#include <ftw.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/parse.h"
#include "reco/reco.h"
#include "store/store.h"
#include "store/writer.h"

static struct store	 s;
static struct reco	 r;

static void
setup(void)
{
	h_scratch_setup();
	memset(&s, 0, sizeof(s));
	memset(&r, 0, sizeof(r));
	cr_assert_not_null(h_w = writer_open(h_dir));
	cr_assert_eq(store_open(&s, h_dir, STORE_RDONLY), 0);
}

static void
teardown(void)
{
	reco_free(&r);
	store_close(&s);
	h_scratch_teardown();
}

TestSuite(reco, .init = setup, .fini = teardown, .timeout = 60);

#define line(...)	cr_assert_eq(h_line(__VA_ARGS__), PARSE_OK)

/* A watch (first minute) by user on 2020-03-<day>. */
static void
watch(int day, int64_t user, const char *slug)
{
	line("2020-03-%02dT12:00:00,%lld,GET /data/m/%s/0.mpg", day,
	    (long long)user, slug);
}

static void
rate(int day, int64_t user, const char *slug, int stars)
{
	line("2020-03-%02dT12:00:00,%lld,GET /rate/%s=%d", day,
	    (long long)user, slug, stars);
}

static void
movie(const char *slug)
{
	cr_assert_eq(writer_movie(h_w, slug, NULL, 0, NULL), 0);
}

/*
 * Ids 1..6 in this order.  The newest day is 2020-03-20; with a 7-day
 * window the recent days are 03-14 .. 03-20.
 *   1 old+burst      5 viewers on 03-01          recent 0, total 5
 *   2 recent+one     1 viewer on 03-18           recent 1, total 1
 *   3 recent+two     2 raters on 03-20           recent 2, total 2
 *   4 zz+quiet       1 viewer on 03-02           recent 0, total 1
 *   5 aa+quiet       1 viewer on 03-02           recent 0, total 1
 *   6 catalog+only   nothing                     recent 0, total 0
 */
static void
world(void)
{
	int	u;

	movie("old+burst");
	movie("recent+one");
	movie("recent+two");
	movie("zz+quiet");
	movie("aa+quiet");
	movie("catalog+only");
	for (u = 1; u <= 5; u++)
		watch(1, u, "old+burst");
	watch(18, 10, "recent+one");
	rate(20, 11, "recent+two", 5);
	rate(20, 12, "recent+two", 2);
	watch(2, 13, "zz+quiet");
	watch(2, 14, "aa+quiet");
	cr_assert_eq(writer_commit(h_w), 0);
}

/*
 * The popularity path of reco_for_user (no model), answered as the ranking
 * entries it picked, so the tests can check their figures.
 */
static int
popular_for(struct reco *rc, struct store *st, int64_t user,
    const struct reco_item **out, size_t max)
{
	static struct reco_list	 l;
	struct signal_params	 sp;
	size_t			 i, k;
	int			 n;

	signal_defaults(&sp);
	if ((n = reco_for_user(rc, st, NULL, NULL, &sp, user, max, &l)) == -1)
		return (-1);
	cr_assert_eq(l.personal, 0, "no model, nothing personal");
	for (i = 0; i < l.n; i++) {
		for (k = 0; k < rc->n && rc->items[k].movie != l.item[i].movie;
		    k++)
			;
		cr_assert(k < rc->n, "movie %d is not in the ranking",
		    l.item[i].movie);
		out[i] = &rc->items[k];
	}
	return (n);
}

static void
expect_order(const struct reco_item **out, int n, const int32_t *ids,
    int nids)
{
	int	i;

	cr_assert_eq(n, nids);
	for (i = 0; i < n; i++)
		cr_assert_eq(out[i]->movie, ids[i], "item %d: movie %d, not %d",
		    i, out[i]->movie, ids[i]);
}

Test(reco, ranking_recent_then_total_then_id)
{
	const struct reco_item	*out[RECO_MAX];
	static const int32_t	 want[] = { 3, 2, 1, 4, 5, 6 };
	int			 n;

	world();
	cr_assert_eq(reco_refresh(&r, &s, 7, 0), 1);
	cr_assert_eq(r.n, 6);
	n = popular_for(&r, &s, 999, out, RECO_MAX);
	expect_order(out, n, want, 6);
	cr_assert_str_eq(out[0]->slug, "recent+two");
	cr_assert_eq(out[0]->recent, 2);
	cr_assert_eq(out[0]->total, 2);
	cr_assert_str_eq(out[1]->slug, "recent+one");
	cr_assert_eq(out[1]->recent, 1);
	/* The old burst is outside the window: below recent activity. */
	cr_assert_str_eq(out[2]->slug, "old+burst");
	cr_assert_eq(out[2]->recent, 0);
	cr_assert_eq(out[2]->total, 5);
	/* Equal recent and total: the lower id first (not slug order). */
	cr_assert_str_eq(out[3]->slug, "zz+quiet");
	cr_assert_str_eq(out[4]->slug, "aa+quiet");
	cr_assert_eq(out[5]->total, 0);
}

Test(reco, window_counts_back_from_the_newest_day_with_activity)
{
	const struct reco_item	*out[RECO_MAX];
	int			 n, i;

	/*
	 * All of it is years before the wall clock: a window relative to
	 * "now" would see nothing recent.
	 */
	movie("edge+in");	/* 1: day N-6, inside a 7-day window */
	movie("edge+out");	/* 2: day N-7, outside */
	movie("newest");	/* 3: day N */
	watch(14, 1, "edge+in");
	watch(13, 2, "edge+out");
	watch(13, 3, "edge+out");
	watch(20, 4, "newest");
	cr_assert_eq(writer_commit(h_w), 0);
	cr_assert_eq(reco_refresh(&r, &s, 7, 0), 1);
	n = popular_for(&r, &s, 999, out, RECO_MAX);
	cr_assert_eq(n, 3);
	for (i = 0; i < n; i++) {
		if (strcmp(out[i]->slug, "edge+in") == 0)
			cr_assert_eq(out[i]->recent, 1);
		else if (strcmp(out[i]->slug, "edge+out") == 0) {
			cr_assert_eq(out[i]->recent, 0);
			cr_assert_eq(out[i]->total, 2);
		} else
			cr_assert_eq(out[i]->recent, 1);
	}
	cr_assert_str_eq(out[2]->slug, "edge+out");

	/* A wider window takes the older day in: it now ranks first. */
	cr_assert_eq(reco_refresh(&r, &s, 8, 1), 1);
	n = popular_for(&r, &s, 999, out, RECO_MAX);
	cr_assert_str_eq(out[0]->slug, "edge+out");
	cr_assert_eq(out[0]->recent, 2);

	/* Activity a month later moves the window: nothing old is recent. */
	watch(30, 5, "newest");
	line("2020-04-25T00:00:00,6,GET /data/m/newest/0.mpg");
	cr_assert_eq(writer_commit(h_w), 0);
	cr_assert_eq(reco_refresh(&r, &s, 7, 0), 1);
	n = popular_for(&r, &s, 999, out, RECO_MAX);
	cr_assert_eq(n, 3);
	cr_assert_str_eq(out[0]->slug, "newest");
	cr_assert_eq(out[0]->recent, 1);
	cr_assert_eq(out[0]->total, 3);
	cr_assert_str_eq(out[1]->slug, "edge+out");	/* total 2 */
	cr_assert_eq(out[1]->recent, 0);
	cr_assert_str_eq(out[2]->slug, "edge+in");
	cr_assert_eq(out[2]->recent, 0);
}

Test(reco, excludes_what_the_user_watched_or_rated)
{
	const struct reco_item	*out[RECO_MAX];
	static const int32_t	 u10[] = { 3, 1, 4, 5, 6 };
	static const int32_t	 u11[] = { 2, 1, 4, 5, 6 };
	static const int32_t	 u20[] = { 2, 1, 5 };
	int			 n;

	world();
	/* User 20 watched 3 and 4, rated 6 and 3. */
	watch(3, 20, "recent+two");
	watch(3, 20, "zz+quiet");
	rate(3, 20, "catalog+only", 1);
	rate(3, 20, "recent+two", 4);
	cr_assert_eq(writer_commit(h_w), 0);
	cr_assert_eq(reco_refresh(&r, &s, 7, 0), 1);

	n = popular_for(&r, &s, 10, out, RECO_MAX);	/* watched 2 */
	expect_order(out, n, u10, 5);
	n = popular_for(&r, &s, 11, out, RECO_MAX);	/* rated 3 */
	expect_order(out, n, u11, 5);
	n = popular_for(&r, &s, 20, out, RECO_MAX);
	expect_order(out, n, u20, 3);
	/* Other users are not affected by the scratch of the last call. */
	n = popular_for(&r, &s, 999, out, RECO_MAX);
	cr_assert_eq(n, 6);
}

Test(reco, at_most_max_items)
{
	const struct reco_item	*out[RECO_MAX + 1];
	char			 slug[32];
	int			 i, n;

	world();
	cr_assert_eq(reco_refresh(&r, &s, 7, 0), 1);
	n = popular_for(&r, &s, 999, out, 2);
	cr_assert_eq(n, 2);
	cr_assert_eq(out[0]->movie, 3);
	cr_assert_eq(out[1]->movie, 2);
	n = popular_for(&r, &s, 11, out, 1);
	cr_assert_eq(n, 1);
	cr_assert_eq(out[0]->movie, 2);
	cr_assert_eq(popular_for(&r, &s, 999, out, 0), 0);

	/* A catalogue larger than RECO_MAX. */
	for (i = 0; i < 50; i++) {
		snprintf(slug, sizeof(slug), "extra%d", i);
		movie(slug);
	}
	cr_assert_eq(writer_commit(h_w), 0);
	cr_assert_eq(reco_refresh(&r, &s, 7, 0), 1);
	cr_assert_eq(r.n, 56);
	out[RECO_MAX] = NULL;
	n = popular_for(&r, &s, 999, out, RECO_MAX);
	cr_assert_eq(n, RECO_MAX);
	cr_assert_null(out[RECO_MAX], "wrote past max");
}

Test(reco, empty_catalogue_gives_nothing)
{
	const struct reco_item	*out[RECO_MAX];

	/* Before any refresh, and after one on an empty database. */
	cr_assert_eq(popular_for(&r, &s, 1, out, RECO_MAX), 0);
	cr_assert_eq(reco_refresh(&r, &s, 7, 0), 1);
	cr_assert_eq(r.n, 0);
	cr_assert_eq(popular_for(&r, &s, 1, out, RECO_MAX), 0);
	/*
	 * Movies named by another system's list join the catalogue: nobody
	 * watched them, so they rank by id, after any watched movie.
	 */
	line("2020-03-01T00:00:00,1,recommendation request h:1, status 200, "
	    "result: a, b, 3 ms");
	cr_assert_eq(writer_commit(h_w), 0);
	cr_assert_eq(reco_refresh(&r, &s, 7, 0), 1);
	cr_assert_eq(popular_for(&r, &s, 1, out, RECO_MAX), 2);
	cr_assert_str_eq(out[0]->slug, "a");
	cr_assert_eq(out[0]->total, 0);
}

Test(reco, refresh_only_when_another_connection_committed)
{
	const struct reco_item	*out[RECO_MAX];
	int			 n;

	world();
	cr_assert_eq(reco_refresh(&r, &s, 7, 0), 1);
	cr_assert_eq(reco_refresh(&r, &s, 7, 0), 0);
	cr_assert_eq(reco_refresh(&r, &s, 7, 0), 0);
	cr_assert_eq(reco_refresh(&r, &s, 7, 1), 1, "force rebuilds");
	cr_assert_eq(reco_refresh(&r, &s, 7, 0), 0);
	/* A commit with nothing pending changes nothing. */
	cr_assert_eq(writer_commit(h_w), 0);
	cr_assert_eq(reco_refresh(&r, &s, 7, 0), 0);
	/* Lines pending but not committed: not visible yet. */
	rate(20, 30, "catalog+only", 5);
	rate(20, 31, "catalog+only", 5);
	rate(20, 32, "catalog+only", 5);
	cr_assert_eq(reco_refresh(&r, &s, 7, 0), 0);
	n = popular_for(&r, &s, 999, out, 1);
	cr_assert_eq(n, 1);
	cr_assert_eq(out[0]->movie, 3);
	/* Committed by the writer's connection: rebuilt, new order. */
	cr_assert_eq(writer_commit(h_w), 0);
	cr_assert_eq(reco_refresh(&r, &s, 7, 0), 1);
	n = popular_for(&r, &s, 999, out, 1);
	cr_assert_eq(n, 1);
	cr_assert_eq(out[0]->movie, 6);
	cr_assert_eq(out[0]->recent, 3);
	cr_assert_eq(reco_refresh(&r, &s, 7, 0), 0);
}

/*
 * Regression (reco.c, reco_refresh), fixed: "r->items != NULL" stands for "built once",
 * but an empty ranking leaves items NULL, so on an empty catalogue every
 * call rebuilds and returns 1 although nothing changed.
 */
Test(reco, regression_refresh_of_an_unchanged_empty_catalogue_returns_0)
{
	cr_assert_eq(reco_refresh(&r, &s, 7, 0), 1);
	cr_assert_eq(reco_refresh(&r, &s, 7, 0), 0,
	    "rebuilt although the empty database did not change");
}

Test(reco, refresh_error_keeps_the_previous_ranking)
{
	const struct reco_item	*out[RECO_MAX], *items;
	int			 n;

	world();
	cr_assert_eq(reco_refresh(&r, &s, 7, 0), 1);
	items = r.items;
	h_exec("DROP TABLE movie_daily");
	/* No watch, rating or movie changed: nothing to rebuild. */
	cr_assert_eq(reco_refresh(&r, &s, 7, 0), 0);
	cr_assert_eq(reco_refresh(&r, &s, 7, 1), -1);
	cr_assert_eq(r.items, items);
	cr_assert_eq(r.n, 6);
	n = popular_for(&r, &s, 999, out, RECO_MAX);
	cr_assert_eq(n, 6);
	cr_assert_str_eq(out[0]->slug, "recent+two");
}

Test(reco, for_user_database_error)
{
	const struct reco_item	*out[RECO_MAX];

	world();
	cr_assert_eq(reco_refresh(&r, &s, 7, 0), 1);
	cr_assert_eq(popular_for(&r, &s, 11, out, RECO_MAX), 5);
	h_exec("DROP TABLE ratings");
	cr_assert_eq(popular_for(&r, &s, 11, out, RECO_MAX), -1);
}

Test(reco, free_leaves_a_reusable_empty_reco)
{
	const struct reco_item	*out[RECO_MAX];

	world();
	cr_assert_eq(reco_refresh(&r, &s, 7, 0), 1);
	cr_assert_eq(popular_for(&r, &s, 10, out, RECO_MAX), 5);
	reco_free(&r);
	cr_assert_null(r.items);
	cr_assert_null(r.seen);
	cr_assert_eq(r.n, 0);
	cr_assert_eq(popular_for(&r, &s, 10, out, RECO_MAX), 0);
	cr_assert_eq(reco_refresh(&r, &s, 7, 0), 1);
	cr_assert_eq(popular_for(&r, &s, 10, out, RECO_MAX), 5);
}

Test(reco, refresh_inside_a_snapshot_waits_for_the_next_one)
{
	const struct reco_item	*out[RECO_MAX];

	/* As the server does: refresh, then a new snapshot, each tick. */
	world();
	cr_assert_eq(reco_refresh(&r, &s, 7, 0), 1);
	cr_assert_eq(store_snapshot(&s), 0);
	cr_assert_eq(popular_for(&r, &s, 999, out, RECO_MAX), 6);
	rate(20, 40, "catalog+only", 5);
	rate(20, 41, "catalog+only", 5);
	rate(20, 42, "catalog+only", 5);
	line("2020-03-20T13:00:00,40,GET /data/m/recent+one/0.mpg");
	cr_assert_eq(writer_commit(h_w), 0);
	/* Same snapshot: the user's new watch is not seen, no rebuild. */
	cr_assert_eq(reco_refresh(&r, &s, 7, 0), 0);
	cr_assert_eq(popular_for(&r, &s, 40, out, RECO_MAX), 6);
	cr_assert_eq(store_snapshot(&s), 0);
	cr_assert_eq(reco_refresh(&r, &s, 7, 0), 1);
	cr_assert_eq(popular_for(&r, &s, 40, out, RECO_MAX), 4);
	cr_assert_eq(out[0]->movie, 3);
	cr_assert_eq(out[0]->recent, 2);
	cr_assert_eq(out[1]->movie, 1);
}

/* Movies by slug, spelled exactly as the stream spells them. */
Test(reco, movie_by_its_exact_spelling)
{
	static struct reco_list	 l;
	static const char	*slugs[] = { "old+burst", "recent+one",
	    "recent+two", "zz+quiet", "aa+quiet", "catalog+only" };
	int			 i;

	cr_assert_eq(reco_movie(&r, "old+burst"), -1, "nothing built yet");
	world();
	cr_assert_eq(reco_refresh(&r, &s, 7, 0), 1);
	for (i = 0; i < 6; i++)
		cr_assert_eq(reco_movie(&r, slugs[i]), i + 1, "%s", slugs[i]);
	cr_assert_eq(reco_movie(&r, "Old+burst"), -1);
	cr_assert_eq(reco_movie(&r, "old+burs"), -1);
	cr_assert_eq(reco_movie(&r, "old burst"), -1);
	cr_assert_eq(reco_movie(&r, ""), -1);
	movie("new+one");
	cr_assert_eq(writer_commit(h_w), 0);
	cr_assert_eq(reco_refresh(&r, &s, 7, 0), 1);
	cr_assert_eq(reco_movie(&r, "new+one"), 7, "found after a refresh");
	cr_assert_eq(reco_movie(&r, "aa+quiet"), 5);
	/* No model: nothing is similar. */
	cr_assert_eq(reco_similar(&r, NULL, 1, RECO_MAX, &l), 0);
	cr_assert_eq(l.n, 0);
}

/* A title and its sequels are one series; another title is not. */
Test(reco, series_drop_the_year_and_a_sequel_number)
{
	uint64_t	toy = reco_series("toy+story+1995");

	cr_assert_eq(reco_series("toy+story+2+1999"), toy);
	cr_assert_eq(reco_series("toy+story+iii+2010"), toy);
	cr_assert_eq(reco_series("toy+story"), toy, "no year");
	cr_assert_neq(reco_series("toy+soldiers+1991"), toy);
	cr_assert_neq(reco_series("toy+story+of+terror+2013"), toy);
	cr_assert_eq(reco_series("rocky+ii+1979"), reco_series("rocky+1976"));
	cr_assert_neq(reco_series("2001+a+space+odyssey+1968"),
	    reco_series("2010+1984"), "a title that is a number stays");
	cr_assert_neq(reco_series("1917+2019"), reco_series("1984+1984"));
	cr_assert_eq(reco_series("the+dark+river+2+1976"),
	    reco_series("the+dark+river+1976"));
	cr_assert_neq(reco_series("the+dark+river+1976"),
	    reco_series("the+lost+river+1976"));
}

/*
 * series_max: at most that many movies of a series in a list, the next
 * best in their place (a popular list here: saga 1..3 lead, then other).
 */
Test(reco, a_list_holds_at_most_series_max_of_a_series)
{
	struct reco_list	l;
	const char		*slugs[] = { "saga+2001", "saga+2+2003",
				    "saga+iii+2005", "other+2002", "more+2004" };
	int			u, i, m;

	for (i = 0; i < 5; i++)
		movie(slugs[i]);
	for (i = 0; i < 5; i++)
		for (u = 0; u < 10 - 2 * i; u++)
			watch(20, 100 + u, slugs[i]);
	cr_assert_eq(writer_commit(h_w), 0);
	cr_assert_eq(reco_refresh(&r, &s, 7, 1), 1);
	reco_ranking(&r, 10, 0, &l);
	cr_assert_eq(l.n, 5);
	cr_assert_str_eq(l.item[2].slug, "saga+iii+2005");
	/* The cap is set before a refresh: it makes the series keys. */
	r.series_max = 1;
	cr_assert_eq(reco_refresh(&r, &s, 7, 1), 1);
	reco_ranking(&r, 10, 0, &l);
	cr_assert_eq(l.n, 3);
	cr_assert_str_eq(l.item[0].slug, "saga+2001");
	cr_assert_str_eq(l.item[1].slug, "other+2002");
	cr_assert_str_eq(l.item[2].slug, "more+2004");
	r.series_max = 2;
	reco_ranking(&r, 3, 0, &l);
	for (i = 0, m = 0; i < (int)l.n; i++)
		m += strncmp(l.item[i].slug, "saga+", 5) == 0;
	cr_assert_eq(m, 2);
	cr_assert_str_eq(l.item[2].slug, "other+2002");
}
