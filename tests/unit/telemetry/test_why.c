/*
 * Unit tests for app/telemetry/why.c: a user's lists newest first with
 * their source, host, model, arm, latency, followed rank and slugs, the
 * provenance of each model once (offline metrics when known, a missing
 * model marked), `at` and `limit`, lists rolled up or not, the newest
 * WHY_LISTS_MAX only, JSON escaping, an unknown user, a database error;
 * why_text's table of the same lists and its section on the models.
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
#include "store/store.h"
#include "store/writer.h"
#include "telemetry/why.h"

#define D0_MS	1583020800000LL		/* 2020-03-01T00:00:00Z */
#define DAY_MS	86400000LL
#define H(h)	((int64_t)(h) * 3600000LL)
#define M(m)	((int64_t)(m) * 60000LL)

TestSuite(why, .init = h_scratch_setup, .fini = h_scratch_teardown,
    .timeout = 60);

#define qi(...)		h_qi(h_db, __VA_ARGS__)

static char	out[1 << 19];

typedef int	why_fn(sqlite3 *, int64_t, int64_t, int, const struct why_now *,
		    FILE *);

static const struct why_now	*now;	/* the "now" part, or NULL */

/* fn on a read-only store of h_dir into out; its result. */
static int
why_with(why_fn *fn, int64_t user, int64_t at, int limit)
{
	struct store	 s;
	FILE		*fp;
	char		*text = NULL;
	size_t		 len = 0;
	int		 n;

	cr_assert_eq(store_open(&s, h_dir, STORE_RDONLY), 0);
	cr_assert_not_null(fp = open_memstream(&text, &len));
	n = fn(s.db, user, at, limit, now, fp);
	cr_assert_eq(fclose(fp), 0);
	store_close(&s);
	cr_assert_lt(len, sizeof(out));
	memcpy(out, text, len + 1);
	free(text);
	return (n);
}

static int
why(int64_t user, int64_t at, int limit)
{
	return (why_with(why_json, user, at, limit));
}

/* User 7's four lists (and user 8's one), models 3 and 2. */
static void
four_lists(void)
{
	char	b[32];

	h_writer_movies(3);
	h_served(D0_MS + H(10), 7, 3, "arm-b", 2400, 2, "2,1");
	clock_format(D0_MS + H(11), b, sizeof(b));
	cr_assert_eq(h_line("%s,7,recommendation request h:1, status 200, "
	    "result: m3+2000, 5 ms", b), PARSE_OK);
	h_served(D0_MS + H(12), 7, 2, "-", 0, 0, "1");
	h_served(D0_MS + H(13), 7, 3, "-", 600, 1, "3");
	h_served(D0_MS + H(9), 8, 3, "-", 0, 0, "1");
	clock_format(D0_MS + H(13) + M(1), b, sizeof(b));
	cr_assert_eq(h_line("%s,7,GET /data/m/m3+2000/0.mpg", b), PARSE_OK);
	h_writer_close();
	h_models("(3, 'als', '{\"factors\":64,\"reg\":0.1}', 'model-3.bin', "
	    "1583024400000, 12.5, 1000, 50, 40, 1582934400000, 1583020800000, "
	    "'0.1.0', 0.21, 0.13, 0.5, 30, 1), "
	    "(2, 'pop', '{}', 'model-2.bin', 1582938000000, 0.25, 900, 45, 30, "
	    "1582848000000, 1582934400000, '0.0.9', NULL, NULL, NULL, NULL, "
	    "0)");
}

#define LIST_13	"{\"at\":\"2020-03-01T13:00:00.000\",\"source\":\"served\"," \
		"\"model_version\":3,\"personal\":1,\"latency_ms\":1," \
		"\"followed_rank\":1,\"movies\":\"m3+2000\"}"
#define LIST_12	"{\"at\":\"2020-03-01T12:00:00.000\",\"source\":\"served\"," \
		"\"model_version\":2,\"personal\":0,\"latency_ms\":0," \
		"\"movies\":\"m1+2000\"}"
#define LIST_11	"{\"at\":\"2020-03-01T11:00:00.000\",\"source\":" \
		"\"external\",\"host\":\"h:1\",\"model_version\":null," \
		"\"personal\":0,\"latency_ms\":5,\"movies\":\"m3+2000\"}"
#define LIST_10	"{\"at\":\"2020-03-01T10:00:00.000\",\"source\":\"served\"," \
		"\"model_version\":3,\"arm\":\"arm-b\",\"personal\":2," \
		"\"latency_ms\":2,\"movies\":\"m2+2000,m1+2000\"}"
#define MODEL_3	"{\"version\":3,\"algo\":\"als\",\"params\":{\"factors\":64," \
		"\"reg\":0.1},\"trained_at\":\"2020-03-01T01:00:00.000\"," \
		"\"train_seconds\":12.500,\"data\":{\"interactions\":1000," \
		"\"users\":50,\"items\":40,\"from\":" \
		"\"2020-02-29T00:00:00.000\",\"to\":" \
		"\"2020-03-01T00:00:00.000\"},\"binary_version\":\"0.1.0\"," \
		"\"offline\":{\"recall20\":0.2100,\"ndcg20\":0.1300," \
		"\"coverage\":0.5000},\"current\":true}"
#define MODEL_2	"{\"version\":2,\"algo\":\"pop\",\"params\":{}," \
		"\"trained_at\":\"2020-02-29T01:00:00.000\"," \
		"\"train_seconds\":0.250,\"data\":{\"interactions\":900," \
		"\"users\":45,\"items\":30,\"from\":" \
		"\"2020-02-28T00:00:00.000\",\"to\":" \
		"\"2020-02-29T00:00:00.000\"},\"binary_version\":\"0.0.9\"," \
		"\"current\":false}"

Test(why, an_unknown_user_has_no_lists)
{
	four_lists();
	cr_assert_eq(why(42, INT64_MAX, 20), 0);
	cr_assert_str_eq(out, "{\"user\":42,\"lists\":[],\"models\":[]}\n");
}

Test(why, lists_newest_first_with_the_provenance_of_each_model_once)
{
	four_lists();
	cr_assert_eq(why(7, INT64_MAX, 20), 4);
	cr_assert_str_eq(out, "{\"user\":7,\"lists\":[" LIST_13 "," LIST_12 ","
	    LIST_11 "," LIST_10 "],\"models\":[" MODEL_3 "," MODEL_2 "]}\n");
}

Test(why, at_includes_its_millisecond_and_limit_keeps_the_newest)
{
	four_lists();
	cr_assert_eq(why(7, D0_MS + H(12), 20), 3);
	cr_assert_str_eq(out, "{\"user\":7,\"lists\":[" LIST_12 "," LIST_11 ","
	    LIST_10 "],\"models\":[" MODEL_2 "," MODEL_3 "]}\n");
	cr_assert_eq(why(7, D0_MS + H(12) - 1, 2), 2);
	cr_assert_str_eq(out, "{\"user\":7,\"lists\":[" LIST_11 "," LIST_10
	    "],\"models\":[" MODEL_3 "]}\n");
	cr_assert_eq(why(7, D0_MS + H(10) - 1, 20), 0);
	cr_assert_str_eq(out, "{\"user\":7,\"lists\":[],\"models\":[]}\n");
	cr_assert_eq(why(7, INT64_MAX, 0), 0);
	cr_assert_str_eq(out, "{\"user\":7,\"lists\":[],\"models\":[]}\n");
}

/*
 * why of user 5 gives one list served at 01:00, whose JSON goes on from
 * its model_version with rest.
 */
static void
user5_one_list_is(const char *rest)
{
	char	want[1024];

	cr_assert_eq(why(5, INT64_MAX, 20), 1);
	cr_assert_lt(snprintf(want, sizeof(want), "{\"user\":5,\"lists\":["
	    "{\"at\":\"2020-03-01T01:00:00.000\",\"source\":\"served\","
	    "\"model_version\":%s", rest), (int)sizeof(want));
	cr_assert_str_eq(out, want);
}

Test(why, a_model_without_a_row_is_marked_missing)
{
	h_writer_movies(1);
	h_served(D0_MS + H(1), 5, 9, "-", 0, 0, "1");
	h_writer_close();
	user5_one_list_is("9,\"personal\":0,\"latency_ms\":0,"
	    "\"movies\":\"m1+2000\"}],\"models\":[{\"version\":9,"
	    "\"missing\":true}]}\n");
}

Test(why, lists_are_found_rolled_up_or_not)
{
	static char	first[sizeof(out)];

	h_writer_movies(2);
	h_served(D0_MS + H(1), 5, 0, "-", 0, 0, "1");
	cr_assert_eq(writer_commit(h_w), 0);	/* the first: rolled up */
	h_served(D0_MS + H(2), 5, 0, "-", 0, 0, "2");
	cr_assert_eq(writer_commit(h_w), 0);	/* logged only */
	cr_assert_eq(qi("SELECT COUNT(*) FROM reco_log_by_user"), 1);
	cr_assert_eq(why(5, INT64_MAX, 20), 2);
	cr_assert_not_null(strstr(out, "\"movies\":\"m2+2000\"}," "{\"at\":"
	    "\"2020-03-01T01:00:00.000\""), "%s", out);
	snprintf(first, sizeof(first), "%s", out);
	h_writer_close();			/* rolls the second up */
	cr_assert_eq(qi("SELECT COUNT(*) FROM reco_log_by_user"), 2);
	cr_assert_eq(why(5, INT64_MAX, 20), 2, "no list twice");
	cr_assert_str_eq(out, first);
}

Test(why, only_the_newest_lists_of_a_user_are_looked_at)
{
	int	max = atoi(WHY_LISTS_MAX), i;
	char	ids[16];

	h_writer_movies(3);
	for (i = 0; i < max + 3; i++) {
		snprintf(ids, sizeof(ids), "%d", 1 + i % 3);
		h_served(D0_MS + i * 1000, 5, 0, "-", 0, 0, ids);
	}
	h_served(D0_MS, 6, 0, "-", 0, 0, "1");	/* someone else's, older */
	h_writer_close();
	/* The three oldest are beyond the newest max. */
	cr_assert_eq(why(5, D0_MS + 2000, 20), 0);
	cr_assert_eq(why(5, D0_MS + 3000, 20), 1);
	cr_assert_not_null(strstr(out, "\"at\":\"2020-03-01T00:00:03.000\""));
	cr_assert_eq(why(5, INT64_MAX, max + 3), max);
	cr_assert_eq(why(5, INT64_MAX, 2), 2);
	cr_assert_not_null(strstr(out, "{\"at\":\"2020-03-01T00:16:42.000\""),
	    "the newest first: %.80s", out);
	cr_assert_eq(why(6, INT64_MAX, 20), 1);
}

Test(why, strings_are_json_escaped)
{
	h_writer_movies(0);
	cr_assert_eq(writer_movie(h_w, "q\"<&>\\+2000", NULL, 0, NULL), 0);
	cr_assert_eq(writer_commit(h_w), 0);
	h_served(D0_MS + H(1), 5, 0, "a\"b\\", 0, 0, "1");
	h_writer_close();
	user5_one_list_is("null,\"arm\":\"a\\\"b\\\\\",\"personal\":0,"
	    "\"latency_ms\":0,\"movies\":"
	    "\"q\\\"\\u003c\\u0026\\u003e\\\\+2000\"}"
	    "],\"models\":[]}\n");
}

Test(why, text_is_a_table_of_the_lists_then_the_models_named)
{
	four_lists();
	cr_assert_eq(why_with(why_text, 7, INT64_MAX, 20), 4);
	cr_assert_str_eq(out,
	    "TIME                SOURCE   BY           ARM    FOLLOWED "
	    "LATENCY  MOVIES\n"
	    "2020-03-01 13:00:00 served   model 3      -      #1          "
	    "1 ms  m3+2000\n"
	    "2020-03-01 12:00:00 served   model 2      -      -           "
	    "0 ms  m1+2000\n"
	    "2020-03-01 11:00:00 external h:1          -      -           "
	    "5 ms  m3+2000\n"
	    "2020-03-01 10:00:00 served   model 3      arm-b  -           "
	    "2 ms  m2+2000, m1+2000\n"
	    "\n"
	    "models:\n"
	    "  3  als, current, trained 2020-03-01 01:00:00 in 12.50 s "
	    "(cinerec 0.1.0)\n"
	    "     params {\"factors\":64,\"reg\":0.1}\n"
	    "     data 1000 interactions, 50 users, 40 items\n"
	    "     from 2020-02-29 00:00:00 to 2020-03-01 00:00:00\n"
	    "     hold-out Recall@20 0.2100, NDCG@20 0.1300, coverage 0.5000\n"
	    "  2  pop, trained 2020-02-29 01:00:00 in 0.25 s (cinerec 0.0.9)\n"
	    "     params {}\n"
	    "     data 900 interactions, 45 users, 30 items\n"
	    "     from 2020-02-28 00:00:00 to 2020-02-29 00:00:00\n");
}

Test(why, text_says_when_there_are_no_lists_and_marks_a_missing_model)
{
	h_writer_movies(1);
	h_served(D0_MS + H(1), 5, 9, "-", 0, 0, "1");
	h_served(D0_MS + H(2), 5, 0, "-", 0, 0, "1");
	h_writer_close();
	cr_assert_eq(why_with(why_text, 42, INT64_MAX, 20), 0);
	cr_assert_str_eq(out, "user 42 got no lists\n");
	cr_assert_eq(why_with(why_text, 5, INT64_MAX, 20), 2);
	cr_assert_not_null(strstr(out, "\n2020-03-01 02:00:00 served   "
	    "no model "), "%s", out);
	cr_assert_not_null(strstr(out, "\nmodels:\n  9  missing: no record "
	    "of this version\n"), "%s", out);
	/* The JSON of the same lists is the route's, unchanged. */
	cr_assert_eq(why(5, INT64_MAX, 20), 2);
	cr_assert_eq(strncmp(out, "{\"user\":5,\"lists\":[", 19), 0, "%s",
	    out);
}

Test(why, a_database_without_the_log_is_an_error)
{
	sqlite3	*db;
	FILE	*fp;
	char	*text = NULL;
	size_t	 len = 0;

	cr_assert_eq(sqlite3_open(":memory:", &db), SQLITE_OK);
	cr_assert_not_null(fp = open_memstream(&text, &len));
	cr_assert_eq(why_json(db, 1, INT64_MAX, 20, NULL, fp), -1);
	cr_assert_eq(why_text(db, 1, INT64_MAX, 20, NULL, fp), -1);
	fclose(fp);
	free(text);
	sqlite3_close(db);
}

/*
 * The list of now, with its reasons, after the logged lists: in JSON as
 * "now" (still one object, a closing for every opening), in text as its
 * section; the model's movies say why, the popular ones that they are.
 */
Test(why, the_list_of_now_says_why)
{
	struct why_now	n;

	memset(&n, 0, sizeof(n));
	n.model = 4;
	n.n = 3;
	n.personal = 2;
	n.item[0].movie = "saga+2001";
	n.item[0].because = "other+2002";
	n.item[1].movie = "more+2004";
	n.item[2].movie = "top+1999";
	h_writer_movies(1);
	h_served(D0_MS + H(1), 5, 4, "-", 0, 0, "1");
	h_writer_close();
	now = &n;
	cr_assert_eq(why(5, INT64_MAX, 20), 1);
	cr_assert(strstr(out, "],\"now\":{\"model_version\":4,\"items\":["
	    "{\"id\":\"saga+2001\",\"source\":\"model\",\"because\":"
	    "\"other+2002\"},{\"id\":\"more+2004\",\"source\":\"model\"},"
	    "{\"id\":\"top+1999\",\"source\":\"popular\"}]}}\n"), "%s", out);
	cr_assert_eq(why_with(why_text, 5, INT64_MAX, 20), 1);
	cr_assert(strstr(out, "\nnow, from model 4:\n   1  saga+2001"), "%s",
	    out);
	cr_assert(strstr(out, "because of other+2002\n"), "%s", out);
	cr_assert(strstr(out, "   3  top+1999"), "%s", out);
	now = NULL;
	cr_assert_eq(why(5, INT64_MAX, 20), 1);
	cr_assert_null(strstr(out, "\"now\""), "only when asked: %s", out);
}
