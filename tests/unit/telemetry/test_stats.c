/*
 * Unit tests for app/telemetry/stats.c: the daily click-through report
 * from reco_stats and reco_movie_daily as the writer leaves them: rows by
 * day, source, model and arm with their ratios, the served slots' coverage
 * and top-1% share, since_day, an empty database, a database error.
 *
 * Expected epoch values come from `date -u -d 2020-03-01T00:00:00Z +%s`
 * (1583020800).
 */
#include <criterion/criterion.h>

#include "harness.h"
#include "scratch.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "util/clock.h"
#include "ingest/parse.h"
#include "store/writer.h"
#include "telemetry/stats.h"

#define D0_MS	1583020800000LL		/* 2020-03-01T00:00:00Z */
#define D0_DAY	18322LL			/* D0_MS / DAY_MS */
#define DAY_MS	86400000LL
#define H(h)	((int64_t)(h) * 3600000LL)
#define M(m)	((int64_t)(m) * 60000LL)

TestSuite(stats, .init = h_scratch_setup, .fini = h_scratch_teardown,
    .timeout = 60);

static char	out[16384];

/* stats_ctr_json on db into out, which must return want. */
static const char *
report_of(sqlite3 *db, int64_t since_day, int want)
{
	FILE	*fp;
	char	*text = NULL;
	size_t	 len = 0;

	cr_assert_not_null(fp = open_memstream(&text, &len));
	cr_assert_eq(stats_ctr_json(db, since_day, fp), want);
	cr_assert_eq(fclose(fp), 0);
	cr_assert_lt(len, sizeof(out));
	memcpy(out, text, len + 1);
	free(text);
	return (out);
}

/* stats_ctr_json on a read-only connection to h_db, into out. */
static const char *
report(int64_t since_day)
{
	sqlite3	*db;

	cr_assert_eq(sqlite3_open_v2(h_db, &db, SQLITE_OPEN_READONLY, NULL),
	    SQLITE_OK);
	(void)report_of(db, since_day, 0);
	sqlite3_close(db);
	return (out);
}

static void
watch(int64_t ms, int64_t user, int movie, int minute)
{
	char	b[32];

	clock_format(D0_MS + ms, b, sizeof(b));
	cr_assert_eq(h_line("%s,%lld,GET /data/m/m%d+2000/%d.mpg", b,
	    (long long)user, movie, minute), PARSE_OK);
}

/* Lists, follows and slots over two days (see the expected report). */
static void
two_days(void)
{
	char	b[32];
	int	u;

	h_writer_movies(4);
	h_served(D0_MS + H(10), 1, 3, "a", 1000, 2, "2,1");
	h_served(D0_MS + H(10), 2, 3, "a", 2000, 1, "3,2");
	h_served(D0_MS + H(11), 3, 3, "a", 3000, 0, "4");
	clock_format(D0_MS + H(12), b, sizeof(b));
	cr_assert_eq(h_line("%s,4,recommendation request h:1, status 200, "
	    "result: m1+2000, 4 ms", b), PARSE_OK);
	watch(H(10) + M(1), 1, 1, 0);		/* rank 2 */
	watch(H(10) + M(2), 1, 1, 1);
	watch(H(10) + M(3), 1, 1, 2);
	watch(H(10) + M(1), 2, 3, 0);		/* rank 1 */
	for (u = 10; u <= 12; u++)		/* movie 2: the most viewed */
		watch(H(13), u, 2, 0);
	h_served(D0_MS + DAY_MS + H(10), 5, 4, "b", 500, 1, "1");
	watch(DAY_MS + H(10) + M(1), 5, 1, 0);
	h_writer_close();	/* and the roll-up */
}

Test(stats, an_empty_database_gives_empty_lists)
{
	h_writer_movies(0);
	cr_assert_str_eq(report(0), "{\"ctr\":[],\"served\":[]}\n");
}

Test(stats, rows_by_day_source_model_and_arm_with_their_ratios)
{
	two_days();
	cr_assert_str_eq(report(D0_DAY),
	    "{\"ctr\":["
	    "{\"day\":18322,\"date\":\"2020-03-01\",\"source\":\"external\",\"model_version\":0,"
	    "\"arm\":\"\",\"lists\":1,\"followed\":0,\"ctr\":0.000000,"
	    "\"mean_rank\":0.000,\"minutes_24h\":0,\"personal\":0,"
	    "\"mean_latency_ms\":4.000},"
	    "{\"day\":18322,\"date\":\"2020-03-01\",\"source\":\"served\",\"model_version\":3,"
	    "\"arm\":\"a\",\"lists\":3,\"followed\":2,\"ctr\":0.666667,"
	    "\"mean_rank\":1.500,\"minutes_24h\":4,\"personal\":2,"
	    "\"mean_latency_ms\":2.000},"
	    "{\"day\":18323,\"date\":\"2020-03-02\",\"source\":\"served\",\"model_version\":4,"
	    "\"arm\":\"b\",\"lists\":1,\"followed\":1,\"ctr\":1.000000,"
	    "\"mean_rank\":1.000,\"minutes_24h\":1,\"personal\":1,"
	    "\"mean_latency_ms\":0.500}],"
	    "\"served\":["
	    "{\"day\":18322,\"date\":\"2020-03-01\",\"distinct_movies\":4,\"coverage\":1.000000,"
	    "\"slots\":5,\"top1pct_share\":0.400000},"
	    "{\"day\":18323,\"date\":\"2020-03-02\",\"distinct_movies\":1,\"coverage\":0.250000,"
	    "\"slots\":1,\"top1pct_share\":0.000000}]}\n");
}

/*
 * Regression (stats.c), fixed: the arm (any word the SERVED line carries)
 * was pasted into the JSON unquoted, so a quote or a backslash broke it.
 */
Test(stats, an_arm_with_json_specials_is_quoted)
{
	const char	*r;

	h_writer_movies(2);
	h_served(D0_MS + H(10), 1, 3, "a\"b\\", 1000, 1, "1");
	h_writer_close();
	r = report(D0_DAY);
	cr_assert_not_null(strstr(r, "\"arm\":\"a\\\"b\\\\\","), "%s", r);
}

Test(stats, since_day_leaves_the_days_before_out)
{
	static char	all[sizeof(out)];

	two_days();
	snprintf(all, sizeof(all), "%s", report(D0_DAY));
	cr_assert_str_eq(report(D0_DAY + 1),
	    "{\"ctr\":["
	    "{\"day\":18323,\"date\":\"2020-03-02\",\"source\":\"served\",\"model_version\":4,"
	    "\"arm\":\"b\",\"lists\":1,\"followed\":1,\"ctr\":1.000000,"
	    "\"mean_rank\":1.000,\"minutes_24h\":1,\"personal\":1,"
	    "\"mean_latency_ms\":0.500}],"
	    "\"served\":["
	    "{\"day\":18323,\"date\":\"2020-03-02\",\"distinct_movies\":1,\"coverage\":0.250000,"
	    "\"slots\":1,\"top1pct_share\":0.000000}]}\n");
	cr_assert_str_eq(report(D0_DAY + 2), "{\"ctr\":[],\"served\":[]}\n");
	/* Far back (and negative): every day. */
	cr_assert_str_eq(report(-5), all);
}

Test(stats, a_day_of_empty_lists_has_no_served_entry)
{
	h_writer_movies(2);
	h_served(D0_MS + H(1), 1, 0, "-", 0, 0, "");
	h_served(D0_MS + H(2), 2, 0, "-", 0, 0, "");
	h_writer_close();
	cr_assert_str_eq(report(D0_DAY),
	    "{\"ctr\":["
	    "{\"day\":18322,\"date\":\"2020-03-01\",\"source\":\"served\",\"model_version\":0,"
	    "\"arm\":\"\",\"lists\":2,\"followed\":0,\"ctr\":0.000000,"
	    "\"mean_rank\":0.000,\"minutes_24h\":0,\"personal\":0,"
	    "\"mean_latency_ms\":0.000}],"
	    "\"served\":[]}\n");
}

/*
 * 250 movies: the top 1% is the 3 most viewed (ties by id); slots of 10,
 * 20, 30 are theirs, of 40 and 50 not.
 */
Test(stats, the_top_share_counts_the_most_popular_percent)
{
	const char	*p;
	int		 u;

	h_writer_movies(250);
	for (u = 1; u <= 5; u++) {
		watch(H(1), u, 30, 0);
		watch(H(1), u, 20, 0);
		if (u <= 4)
			watch(H(1), u, 10, 0);
		if (u <= 3)
			watch(H(1), u, 40, 0);	/* fourth: not in the top */
	}
	h_served(D0_MS + H(2), 100, 1, "-", 0, 0, "10,40,50");
	h_served(D0_MS + H(2), 101, 1, "-", 0, 0, "10,20,30");
	h_served(D0_MS + H(2), 102, 1, "-", 0, 0, "250");
	h_writer_close();
	p = strstr(report(D0_DAY), "\"served\":[");
	cr_assert_not_null(p);
	cr_assert_str_eq(p, "\"served\":[{\"day\":18322,\"date\":\"2020-03-01\",\"distinct_movies\":6,"
	    "\"coverage\":0.024000,\"slots\":7,\"top1pct_share\":0.571429}"
	    "]}\n");
}

Test(stats, a_database_without_the_tables_is_an_error)
{
	sqlite3	*db;

	cr_assert_eq(sqlite3_open(":memory:", &db), SQLITE_OK);
	(void)report_of(db, 0, -1);
	/* reco_stats alone: the second query fails. */
	cr_assert_eq(sqlite3_exec(db, "CREATE TABLE reco_stats (hour, source, "
	    "model_version, arm, lists, nonempty, personal, followed, "
	    "rank_sum, minutes_24h, latency_us_sum)", NULL, NULL, NULL),
	    SQLITE_OK);
	(void)report_of(db, 0, -1);
	sqlite3_close(db);
}
