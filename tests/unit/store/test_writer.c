/*
 * Unit tests for app/store/writer.c and its parts (catalog, batch, logstore)
 * with the store's reads, checked through the SQL they
 * leave behind: watch aggregation across batches, distinct viewers and
 * raters, latest-rating-wins, recommendation lines, rejection counters and
 * samples, catalogue ids across reopenings, store_counts, store_seen and
 * the schema migrations.  Each test gets a fresh data dir under /tmp.
 *
 * Expected epoch values come from `date -u -d 2020-03-01T00:00:00Z +%s`
 * (1583020800), not from the parser.
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
#include <unistd.h>

#include <sqlite3.h>

#include "util/fault.h"
#include "ingest/parse.h"
#include "store/store.h"
#include "store/catalog.h"
#include "store/writer.h"
#include "util/clock.h"

#define D0_MS	1583020800000LL		/* 2020-03-01T00:00:00Z */
#define DAY_MS	86400000LL
#define D0_DAY	18322			/* D0_MS / DAY_MS */
#define H(h)	((int64_t)(h) * 3600000LL)
#define M(m)	((int64_t)(m) * 60000LL)

TestSuite(writer, .init = h_scratch_setup, .fini = h_scratch_teardown,
    .timeout = 60);

/* ---- helpers ---------------------------------------------------------- */

/* Events at D0 + ms. */
#define watch(ms, u, slug, n)	h_watch(D0_MS + (ms), (u), (slug), (n))
#define rate(ms, u, slug, r)	h_rate(D0_MS + (ms), (u), (slug), (r))
#define commit()		h_commit()

/* The stream's time of D0 + ms into buf (32 bytes). */
static const char *
ts(int64_t ms, char *buf)
{
	clock_format(D0_MS + ms, buf, 32);
	return (buf);
}

static sqlite3 *
db_open(void)
{
	sqlite3	*db = NULL;

	cr_assert_eq(sqlite3_open_v2(h_db, &db, SQLITE_OPEN_READONLY, NULL),
	    SQLITE_OK, "cannot open %s", h_db);
	cr_assert_eq(store_functions(db), 0);
	return (db);
}

#define qi(...)		h_qi(h_db, __VA_ARGS__)
#define qs(o, n, ...)	h_qs(h_db, o, n, __VA_ARGS__)

/* A counter's value, -1 when the row does not exist. */
static int64_t
ctr(const char *name)
{
	return (qi("SELECT COALESCE((SELECT value FROM counters WHERE "
	    "name = '%s'), -1)", name));
}

static int64_t
movie(const char *slug)
{
	return (qi("SELECT COALESCE((SELECT id FROM movies WHERE slug = '%s'),"
	    " -1)", slug));
}

static void
open_writer(void)
{
	cr_assert_not_null(h_w = writer_open(h_dir), "writer_open(%s)", h_dir);
}

/* ---- watches ------------------------------------------------------------- */

Test(writer, watch_lines_fold_into_one_row_across_batches)
{
	int64_t	id, t0 = H(10);

	open_writer();
	watch(t0, 7, "the+lion+king+1994", 0);
	watch(t0 + M(1), 7, "the+lion+king+1994", 1);
	watch(t0 + M(2), 7, "the+lion+king+1994", 2);
	watch(t0, 8, "the+lion+king+1994", 0);
	cr_assert_eq(writer_pending(h_w), 4);
	commit();
	/* Later batches: a further minute, an earlier one, a repeat. */
	watch(t0 + M(10), 7, "the+lion+king+1994", 9);
	watch(t0 - M(1), 7, "the+lion+king+1994", 3);
	commit();
	watch(t0 + M(5), 7, "the+lion+king+1994", 4);
	watch(t0 + M(6), 7, "the+lion+king+1994", 4);
	h_writer_close();

	id = movie("the+lion+king+1994");
	cr_assert_eq(id, 1);
	cr_assert_eq(qi("SELECT COUNT(*) FROM watches"), 2);
	cr_assert_eq(qi("SELECT minutes FROM watches WHERE user_id = 7 AND "
	    "movie_id = %lld", (long long)id), 7);
	cr_assert_eq(qi("SELECT max_minute FROM watches WHERE user_id = 7"), 9);
	cr_assert_eq(qi("SELECT first_ts FROM watches WHERE user_id = 7"),
	    D0_MS + t0 - M(1));
	cr_assert_eq(qi("SELECT last_ts FROM watches WHERE user_id = 7"),
	    D0_MS + t0 + M(10));
	cr_assert_eq(qi("SELECT minutes FROM watches WHERE user_id = 8"), 1);
	cr_assert_eq(qi("SELECT max_minute FROM watches WHERE user_id = 8"), 0);

	/* Two distinct viewers, however many lines and commits. */
	cr_assert_eq(qi("SELECT viewers FROM movies WHERE id = 1"), 2);
	cr_assert_eq(qi("SELECT SUM(viewers) FROM movie_daily"), 2);
	cr_assert_eq(qi("SELECT SUM(minutes) FROM movie_daily"), 8);
	cr_assert_eq(qi("SELECT COUNT(*) FROM movie_daily"), 1);
	cr_assert_eq(qi("SELECT day FROM movie_daily"), D0_DAY);

	cr_assert_eq(qi("SELECT COUNT(*) FROM users"), 2);
	cr_assert_eq(qi("SELECT watch_lines FROM users WHERE id = 7"), 7);
	cr_assert_eq(qi("SELECT first_ts FROM users WHERE id = 7"),
	    D0_MS + t0 - M(1));
	cr_assert_eq(qi("SELECT last_ts FROM users WHERE id = 7"),
	    D0_MS + t0 + M(10));

	h_counters(h_db, "accepted_watch=8 watches=2 users=2 movies=1");
	cr_assert_eq(ctr("last_event_ms"), D0_MS + t0 + M(10));
}

Test(writer, viewers_counted_once_per_user_across_days_and_commits)
{
	open_writer();
	/* User 1 starts on day 0 and comes back on day 1 (next commit). */
	watch(H(23) + M(58), 1, "m+2000", 0);
	watch(H(23) + M(59), 1, "m+2000", 1);
	commit();
	watch(DAY_MS + M(1), 1, "m+2000", 2);
	watch(DAY_MS + M(2), 2, "m+2000", 0);	/* a new viewer on day 1 */
	commit();
	watch(DAY_MS + M(3), 1, "m+2000", 3);
	watch(DAY_MS + M(3), 2, "m+2000", 1);
	commit();
	/* Another movie by the same users: its own viewers. */
	watch(DAY_MS + H(1), 1, "n+2001", 0);
	h_writer_close();

	cr_assert_eq(qi("SELECT viewers FROM movies WHERE slug = 'm+2000'"), 2);
	cr_assert_eq(qi("SELECT viewers FROM movies WHERE slug = 'n+2001'"), 1);
	cr_assert_eq(qi("SELECT viewers FROM movie_daily WHERE day = %d AND "
	    "movie_id = 1", D0_DAY), 1);
	cr_assert_eq(qi("SELECT minutes FROM movie_daily WHERE day = %d AND "
	    "movie_id = 1", D0_DAY), 2);
	cr_assert_eq(qi("SELECT viewers FROM movie_daily WHERE day = %d AND "
	    "movie_id = 1", D0_DAY + 1), 1);
	cr_assert_eq(qi("SELECT minutes FROM movie_daily WHERE day = %d AND "
	    "movie_id = 1", D0_DAY + 1), 4);
	cr_assert_eq(qi("SELECT SUM(viewers) FROM movie_daily WHERE "
	    "movie_id = 1"), 2);
	cr_assert_eq(qi("SELECT minutes FROM watches WHERE user_id = 1 AND "
	    "movie_id = 1"), 4);
	h_counters(h_db, "watches=3 users=2 accepted_watch=7");
}

/*
 * Regression (writer.c, commit_movies), fixed: movies.first_ts is documented as the
 * movie's first event but is set to w->last_ts, the newest event the writer
 * has seen so far (here the other movie's later line).
 */
Test(writer, regression_movie_first_ts_is_its_first_event)
{
	open_writer();
	watch(H(1), 1, "early+1990", 0);
	watch(H(5), 1, "late+1991", 0);
	h_writer_close();
	cr_assert_eq(qi("SELECT first_ts FROM movies WHERE slug = "
	    "'late+1991'"), D0_MS + H(5));
	cr_assert_eq(qi("SELECT first_ts FROM movies WHERE slug = "
	    "'early+1990'"), D0_MS + H(1),
	    "first_ts of early+1990 is the batch's newest event");
}

/* ---- ratings ------------------------------------------------------------- */

Test(writer, latest_rating_wins_and_raters_counted_once)
{
	const char	*m = "heat+1995";

	open_writer();
	rate(H(1) + 100000, 1, m, 3);
	commit();
	rate(H(1) + 50000, 1, m, 5);		/* older, arrives later */
	commit();
	cr_assert_eq(qi("SELECT rating FROM ratings WHERE user_id = 1"), 3);
	cr_assert_eq(qi("SELECT ts FROM ratings WHERE user_id = 1"),
	    D0_MS + H(1) + 100000);
	rate(H(1) + 200000, 1, m, 2);		/* newer: replaces */
	commit();
	cr_assert_eq(qi("SELECT rating FROM ratings WHERE user_id = 1"), 2);
	cr_assert_eq(qi("SELECT ts FROM ratings WHERE user_id = 1"),
	    D0_MS + H(1) + 200000);

	/* Within one batch: newer then older, older then newer. */
	rate(H(2) + 300000, 2, m, 4);
	rate(H(2) + 250000, 2, m, 1);
	rate(H(2), 3, m, 1);
	rate(H(2) + 10000, 3, m, 5);
	h_writer_close();

	cr_assert_eq(qi("SELECT rating FROM ratings WHERE user_id = 2"), 4);
	cr_assert_eq(qi("SELECT ts FROM ratings WHERE user_id = 2"),
	    D0_MS + H(2) + 300000);
	cr_assert_eq(qi("SELECT rating FROM ratings WHERE user_id = 3"), 5);
	cr_assert_eq(qi("SELECT COUNT(*) FROM ratings"), 3);
	cr_assert_eq(qi("SELECT raters FROM movies WHERE slug = '%s'", m), 3);
	cr_assert_eq(qi("SELECT viewers FROM movies WHERE slug = '%s'", m), 0);
	cr_assert_eq(qi("SELECT SUM(raters) FROM movie_daily"), 3);
	cr_assert_eq(qi("SELECT ratings FROM users WHERE id = 1"), 3);
	cr_assert_eq(qi("SELECT ratings FROM users WHERE id = 2"), 2);
	h_counters(h_db, "accepted_rate=7 ratings=3 users=3");
	cr_assert_eq(qi("SELECT COUNT(*) FROM watches"), 0);
}

/* ---- recommendation lines ------------------------------------------- */

Test(writer, reco_lines_land_in_reco_log)
{
	char	buf[256];

	open_writer();
	cr_assert_eq(h_line("2020-03-01T10:00:00.250,42,recommendation request "
	    "team3.example:8082, status 200, result: heat+1995, "
	    "the+lion+king+1994,caf%%C3%%A9+2001 , 93 ms"), PARSE_OK);
	cr_assert_eq(h_line("2020-03-01T10:00:01,43,recommendation request "
	    "team11.example:8082, status 0, result: "
	    "java.net.ConnectException: Connection refused, 0 ms"), PARSE_OK);
	cr_assert_eq(h_line("2020-03-01T10:00:02,42,recommendation request "
	    "team3.example:8082, status 200, result: , 7 ms"), PARSE_OK);
	h_writer_close();

	cr_assert_eq(qi("SELECT COUNT(*) FROM reco_log"), 3);
	cr_assert_str_eq(qs(buf, sizeof(buf), "SELECT movie_slugs(movies) FROM reco_log "
	    "WHERE user_id = 42 ORDER BY ts LIMIT 1"),
	    "heat+1995,the+lion+king+1994,caf%C3%A9+2001");
	cr_assert_eq(qi("SELECT ts FROM reco_log WHERE user_id = 42 ORDER BY "
	    "ts LIMIT 1"), D0_MS + H(10) + 250);
	cr_assert_eq(qi("SELECT latency_ms FROM reco_log WHERE user_id = 42 "
	    "ORDER BY ts LIMIT 1"), 93);
	cr_assert_str_eq(qs(buf, sizeof(buf), "SELECT host FROM reco_log "
	    "WHERE user_id = 43"), "team11.example:8082");
	cr_assert_str_eq(qs(buf, sizeof(buf), "SELECT source FROM reco_log "
	    "WHERE user_id = 43"), "external");
	cr_assert_eq(qi("SELECT status FROM reco_log WHERE user_id = 43"), 0);
	cr_assert_str_eq(qs(buf, sizeof(buf), "SELECT movie_slugs(movies) FROM reco_log "
	    "WHERE user_id = 43"), "");
	cr_assert_str_eq(qs(buf, sizeof(buf), "SELECT movie_slugs(movies) FROM reco_log "
	    "WHERE user_id = 42 ORDER BY ts DESC LIMIT 1"), "");
	/* Listed movies join the catalogue (for the click-through). */
	cr_assert_eq(qi("SELECT COUNT(*) FROM movies"), 3);
	cr_assert_eq(qi("SELECT viewers FROM movies WHERE slug = 'heat+1995'"),
	    0);
	cr_assert_eq(qi("SELECT recos FROM users WHERE id = 42"), 2);
	cr_assert_eq(qi("SELECT recos FROM users WHERE id = 43"), 1);
	h_counters(h_db, "accepted_reco=3 recos=3 users=2");
}

/* ---- rejections ----------------------------------------------------------- */

Test(writer, rejections_counted_per_reason_with_printable_samples)
{
	struct writer_stats	 st;
	char			 buf[2048], lng[9001];
	sqlite3			*db;
	sqlite3_stmt		*q;
	const unsigned char	*p;
	int			 rows = 0;

	open_writer();
	memset(lng, 'x', sizeof(lng) - 1);
	lng[sizeof(lng) - 1] = '\0';
	cr_assert_eq(h_line("2020-13-01T00:00:00,1,GET /rate/a=1"), PARSE_ERR_TIME);
	cr_assert_eq(h_line("2020-03-01T00:00:00,-1,GET /rate/a=1"),
	    PARSE_ERR_USER);
	cr_assert_eq(h_line("2020-03-01T00:00:00,u2,GET /rate/a=1"),
	    PARSE_ERR_USER);
	cr_assert_eq(h_line("2020-03-01T00:00:00,1,GET /data/m/a\x01" "b/1.mpg"),
	    PARSE_ERR_BINARY);
	cr_assert_eq(h_line("2020-03-01T00:00:00,1,GET /rate/a=7"),
	    PARSE_ERR_RATING);
	cr_assert_eq(h_line("2020-03-01T00:00:00,1,GET /data/m/a/9999.mpg"),
	    PARSE_ERR_MINUTE);
	cr_assert_eq(h_line("2020-03-01T00:00:00,1,POST /x\\y"),
	    PARSE_ERR_REQUEST);
	cr_assert_eq(h_line("caf\xc3\xa9,1,x"), PARSE_ERR_TIME);
	cr_assert_eq(h_line("%s", lng), PARSE_ERR_TOO_LONG);
	cr_assert_eq(h_line("nothing"), PARSE_ERR_FIELDS);
	cr_assert_eq(h_line("2020-03-01T00:00:00,1,GET /rate/ok+2000=4"), PARSE_OK);
	cr_assert_eq(writer_pending(h_w), 11);
	writer_stats(h_w, &st);
	cr_assert_eq(st.rejected[PARSE_ERR_USER], 2);
	cr_assert_eq(st.rejected[PARSE_ERR_TOO_LONG], 1);
	cr_assert_eq(st.accepted[PARSE_RATE], 1);
	cr_assert_eq(st.accepted[PARSE_WATCH], 0);
	commit();
	writer_stats(h_w, &st);
	cr_assert_eq(st.commits, 1);
	cr_assert_eq(st.committed, 11);
	h_writer_close();

	h_counters(h_db, "rejected_bad_time=2 rejected_bad_user=2 "
	    "rejected_binary=1 rejected_bad_rating=1 rejected_bad_minute=1 "
	    "rejected_bad_request=1 rejected_too_long=1 rejected_truncated=1");
	cr_assert_leq(ctr("rejected_bad_movie"), 0);
	cr_assert_eq(ctr("accepted_rate"), 1);
	cr_assert_leq(ctr("accepted_watch"), 0);
	cr_assert_eq(qi("SELECT COALESCE(SUM(value), 0) FROM counters WHERE "
	    "name LIKE 'rejected%%'"), 10);
	/* Rejected lines touch neither users nor the catalogue. */
	cr_assert_eq(qi("SELECT COUNT(*) FROM users"), 1);
	cr_assert_eq(qi("SELECT COUNT(*) FROM movies"), 1);

	cr_assert_eq(qi("SELECT COUNT(*) FROM reject_samples"), 10);
	cr_assert_str_eq(qs(buf, sizeof(buf), "SELECT line FROM reject_samples "
	    "WHERE reason = 'binary'"),
	    "2020-03-01T00:00:00,1,GET /data/m/a\\x01b/1.mpg");
	cr_assert_str_eq(qs(buf, sizeof(buf), "SELECT line FROM reject_samples "
	    "WHERE reason = 'bad_request'"),
	    "2020-03-01T00:00:00,1,POST /x\\x5cy");
	cr_assert_str_eq(qs(buf, sizeof(buf), "SELECT line FROM reject_samples "
	    "WHERE reason = 'bad_time' AND line LIKE 'caf%%'"),
	    "caf\\xc3\\xa9,1,x");
	cr_assert_eq(qi("SELECT LENGTH(line) FROM reject_samples WHERE "
	    "reason = 'too_long'"), 303);
	cr_assert_eq(qi("SELECT line LIKE 'xxx%%...' FROM reject_samples WHERE "
	    "reason = 'too_long'"), 1);
	cr_assert_eq(qi("SELECT MIN(ts) > %lld FROM reject_samples",
	    1700000000000LL), 1, "sample ts is the wall-clock rejection time");

	/* Every stored byte is printable ASCII. */
	db = db_open();
	cr_assert_eq(sqlite3_prepare_v2(db, "SELECT line FROM reject_samples",
	    -1, &q, NULL), SQLITE_OK);
	while (sqlite3_step(q) == SQLITE_ROW) {
		rows++;
		for (p = sqlite3_column_text(q, 0); *p != '\0'; p++)
			cr_assert(*p >= 0x20 && *p < 0x7f,
			    "byte 0x%02x in a sample", *p);
	}
	sqlite3_finalize(q);
	sqlite3_close(db);
	cr_assert_eq(rows, 10);
}

Test(writer, reject_samples_stay_bounded)
{
	int	b, i;
	char	buf[256];

	open_writer();
	for (b = 0; b < 12; b++) {
		for (i = 0; i < 40; i++)
			cr_assert_eq(h_line("2020-03-01T00:00:00,b%d-%d,GET /rate/a=1",
			    b, i), PARSE_ERR_USER);
		commit();
	}
	h_writer_close();
	cr_assert_eq(ctr("rejected_bad_user"), 480);
	/* BATCH_SAMPLES a batch, the newest 20 of the reason kept. */
	cr_assert_eq(qi("SELECT COUNT(*) FROM reject_samples"), 20);
	cr_assert_eq(qi("SELECT MAX(id) - MIN(id) FROM reject_samples"), 19);
	/* The newest samples are kept, not the oldest. */
	qs(buf, sizeof(buf), "SELECT line FROM reject_samples ORDER BY id DESC "
	    "LIMIT 1");
	cr_assert_not_null(strstr(buf, ",b11-"), "newest sample: %s", buf);
	cr_assert_eq(qi("SELECT COUNT(*) FROM reject_samples WHERE line LIKE "
	    "'%%,b0-%%'"), 0);
}

Test(writer, blank_lines_are_ignored_and_not_counted)
{
	struct writer_stats	 st;
	static const char	*blank[] = { "", " ", "\t", "\r", "  \t \r" };
	size_t			 i;

	open_writer();
	for (i = 0; i < sizeof(blank) / sizeof(blank[0]); i++)
		cr_assert_eq(writer_line(h_w, blank[i], strlen(blank[i])),
		    WRITER_BLANK);
	cr_assert_eq(writer_pending(h_w), 0);
	writer_stats(h_w, &st);
	for (i = 0; i <= PARSE_RECO; i++)
		cr_assert_eq(st.accepted[i], 0);
	for (i = 0; i < PARSE_NREASONS; i++)
		cr_assert_eq(st.rejected[i], 0);
	commit();
	cr_assert_eq(qi("SELECT COUNT(*) FROM counters"), 0);
	cr_assert_eq(qi("SELECT COUNT(*) FROM reject_samples"), 0);
	cr_assert_eq(qi("SELECT COUNT(*) FROM users"), 0);
	/* A line of spaces around text is not blank. */
	cr_assert_eq(writer_line(h_w, " x ", 3), PARSE_ERR_FIELDS);
	cr_assert_eq(writer_pending(h_w), 1);
}

Test(writer, writer_close_commits_pending_lines)
{
	open_writer();
	watch(H(3), 5, "pending+1999", 0);
	rate(H(3), 5, "pending+1999", 4);
	cr_assert_eq(writer_movie(h_w, "catalogue+only+2003", "Catalogue Only",
	    2003, "Drama"), 0);
	cr_assert_eq(writer_pending(h_w), 2);
	/* Nothing is visible before the commit. */
	cr_assert_eq(qi("SELECT COUNT(*) FROM movies"), 0);
	h_writer_close();
	cr_assert_eq(qi("SELECT COUNT(*) FROM movies"), 2);
	cr_assert_eq(qi("SELECT COUNT(*) FROM watches"), 1);
	cr_assert_eq(qi("SELECT COUNT(*) FROM ratings"), 1);
	h_counters(h_db, "accepted_watch=1 accepted_rate=1 movies=2");
}

Test(writer, reopening_keeps_movie_ids_and_continues_numbering)
{
	open_writer();
	watch(H(1), 1, "b+2000", 0);
	watch(H(1), 1, "a+2001", 0);
	cr_assert_eq(writer_movie(h_w, "z+1990", NULL, 0, NULL), 0);
	h_writer_close();
	cr_assert_eq(movie("b+2000"), 1);
	cr_assert_eq(movie("a+2001"), 2);
	cr_assert_eq(movie("z+1990"), 3);

	open_writer();
	watch(H(2), 2, "a+2001", 0);
	watch(H(2), 2, "c+2002", 0);
	cr_assert_eq(writer_movie(h_w, "b+2000", "B", 2000, NULL), 0);
	h_writer_close();
	cr_assert_eq(movie("b+2000"), 1);
	cr_assert_eq(movie("a+2001"), 2);
	cr_assert_eq(movie("c+2002"), 4);
	cr_assert_eq(qi("SELECT COUNT(*) FROM movies"), 4);
	cr_assert_eq(qi("SELECT viewers FROM movies WHERE id = 2"), 2);
	cr_assert_eq(qi("SELECT COUNT(*) FROM watches WHERE movie_id = 2"), 2);
	cr_assert_eq(ctr("movies"), 4);

	/* A third opening with nothing to do writes nothing. */
	open_writer();
	h_writer_close();
	cr_assert_eq(ctr("movies"), 4);
	cr_assert_eq(qi("SELECT COUNT(*) FROM movies"), 4);
}

Test(writer, writer_movie_sets_title_year_genres)
{
	char	buf[256];

	open_writer();
	/* First known from a line: title and year guessed from the slug. */
	watch(H(1), 1, "the+lion+king+1994", 0);
	watch(H(1), 1, "noyear", 0);
	commit();
	cr_assert_str_eq(qs(buf, sizeof(buf), "SELECT title FROM movies WHERE "
	    "slug = 'the+lion+king+1994'"), "the lion king");
	cr_assert_eq(qi("SELECT year FROM movies WHERE slug = "
	    "'the+lion+king+1994'"), 1994);
	cr_assert_eq(qi("SELECT year IS NULL FROM movies WHERE slug = "
	    "'noyear'"), 1);

	cr_assert_eq(writer_movie(h_w, "the+lion+king+1994", "The Lion King",
	    1994, "Animation|Children"), 0);
	cr_assert_eq(writer_movie(h_w, "heat+1995", "Heat", 1995,
	    "Action|Crime"), 0);
	commit();
	cr_assert_str_eq(qs(buf, sizeof(buf), "SELECT title FROM movies WHERE "
	    "id = 1"), "The Lion King");
	cr_assert_str_eq(qs(buf, sizeof(buf), "SELECT genres FROM movies WHERE "
	    "id = 1"), "Animation|Children");
	cr_assert_eq(movie("heat+1995"), 3);
	cr_assert_str_eq(qs(buf, sizeof(buf), "SELECT title FROM movies WHERE "
	    "id = 3"), "Heat");
	cr_assert_eq(qi("SELECT year FROM movies WHERE id = 3"), 1995);
	cr_assert_eq(qi("SELECT viewers + raters FROM movies WHERE id = 3"), 0);

	/* Unknown fields (NULL / 0) leave what is known. */
	cr_assert_eq(writer_movie(h_w, "heat+1995", NULL, 0, NULL), 0);
	cr_assert_eq(writer_movie(h_w, "noyear", NULL, 2010, "Drama"), 0);
	h_writer_close();
	cr_assert_str_eq(qs(buf, sizeof(buf), "SELECT title FROM movies WHERE "
	    "id = 3"), "Heat");
	cr_assert_str_eq(qs(buf, sizeof(buf), "SELECT genres FROM movies WHERE "
	    "id = 3"), "Action|Crime");
	cr_assert_eq(qi("SELECT year FROM movies WHERE id = 3"), 1995);
	cr_assert_eq(qi("SELECT year FROM movies WHERE slug = 'noyear'"), 2010);
	cr_assert_str_eq(qs(buf, sizeof(buf), "SELECT title FROM movies WHERE "
	    "slug = 'noyear'"), "noyear");
	cr_assert_eq(ctr("movies"), 3);
}

Test(writer, slug_title_guess)
{
	char	t[64];
	int	y;

	catalog_slug_title("the+lion+king+1994", t, sizeof(t), &y);
	cr_assert_str_eq(t, "the lion king");
	cr_assert_eq(y, 1994);
	catalog_slug_title("se7en", t, sizeof(t), &y);
	cr_assert_str_eq(t, "se7en");
	cr_assert_eq(y, 0);
	catalog_slug_title("1917+2019", t, sizeof(t), &y);
	cr_assert_str_eq(t, "1917");
	cr_assert_eq(y, 2019);
	catalog_slug_title("2019", t, sizeof(t), &y);	/* no '+' before it */
	cr_assert_str_eq(t, "2019");
	cr_assert_eq(y, 0);
	catalog_slug_title("a+very+long+title+2001", t, 7, &y);
	cr_assert_str_eq(t, "a very");
	cr_assert_eq(y, 2001);
}

Test(writer, failed_commit_keeps_the_batch_and_a_retry_counts_it_once)
{
	struct writer_stats	st;

	open_writer();
	watch(H(1), 1, "m+2000", 0);
	rate(H(1), 2, "m+2000", 3);
	commit();
	/* Make the last statements of a commit (the counters) fail. */
	h_fail_writes("counters");

	watch(H(2), 1, "m+2000", 1);		/* known viewer */
	watch(H(2), 3, "m+2000", 0);		/* new viewer */
	rate(H(2), 2, "m+2000", 5);		/* newer rating, known rater */
	rate(H(2), 4, "m+2000", 1);		/* new rater */
	rate(H(2), 4, "new+2010", 2);		/* new movie */
	cr_assert_eq(h_line("2020-03-01T02:00:00,5,recommendation request h:1, "
	    "status 200, result: m+2000, 4 ms"), PARSE_OK);
	cr_assert_eq(h_line("bad line"), PARSE_ERR_FIELDS);
	cr_assert_eq(writer_pending(h_w), 7);
	cr_assert_eq(writer_commit(h_w), -1);
	cr_assert_eq(writer_pending(h_w), 7, "the batch stays pending");
	cr_assert_eq(writer_commit(h_w), -1);
	cr_assert_eq(writer_pending(h_w), 7);
	/* Nothing of it is visible. */
	cr_assert_eq(qi("SELECT COUNT(*) FROM movies"), 1);
	cr_assert_eq(qi("SELECT viewers FROM movies WHERE id = 1"), 1);
	cr_assert_eq(qi("SELECT COUNT(*) FROM reco_log"), 0);

	h_fail_writes_off();
	commit();
	writer_stats(h_w, &st);
	cr_assert_eq(st.commits, 2);
	cr_assert_eq(st.committed, 9);
	h_writer_close();

	cr_assert_eq(qi("SELECT COUNT(*) FROM movies"), 2);
	cr_assert_eq(movie("new+2010"), 2);
	cr_assert_eq(qi("SELECT viewers FROM movies WHERE id = 1"), 2);
	cr_assert_eq(qi("SELECT raters FROM movies WHERE id = 1"), 2);
	cr_assert_eq(qi("SELECT raters FROM movies WHERE id = 2"), 1);
	cr_assert_eq(qi("SELECT SUM(viewers) FROM movie_daily WHERE "
	    "movie_id = 1"), 2);
	cr_assert_eq(qi("SELECT SUM(raters) FROM movie_daily WHERE "
	    "movie_id = 1"), 2);
	cr_assert_eq(qi("SELECT SUM(minutes) FROM movie_daily"), 3);
	cr_assert_eq(qi("SELECT minutes FROM watches WHERE user_id = 1"), 2);
	cr_assert_eq(qi("SELECT rating FROM ratings WHERE user_id = 2"), 5);
	cr_assert_eq(qi("SELECT watch_lines FROM users WHERE id = 1"), 2);
	cr_assert_eq(qi("SELECT ratings FROM users WHERE id = 4"), 2);
	cr_assert_eq(qi("SELECT COUNT(*) FROM reco_log"), 1);
	cr_assert_eq(qi("SELECT COUNT(*) FROM reject_samples"), 1);
	h_counters(h_db, "accepted_watch=3 accepted_rate=4 accepted_reco=1 "
	    "rejected_truncated=1 movies=2 users=5 watches=2 ratings=3 recos=1");
}

Test(writer, sample_of_a_long_binary_line_is_bounded)
{
	char	line[400], buf[2048];

	open_writer();
	memset(line, 0x01, sizeof(line));
	cr_assert_eq(writer_line(h_w, line, sizeof(line)), PARSE_ERR_BINARY);
	memset(line, 0xff, sizeof(line));
	cr_assert_eq(writer_line(h_w, line, sizeof(line)), PARSE_ERR_BINARY);
	h_writer_close();
	cr_assert_eq(qi("SELECT COUNT(*) FROM reject_samples"), 2);
	cr_assert_eq(qi("SELECT MAX(LENGTH(line)) FROM reject_samples"),
	    300 * 4 + 3);
	qs(buf, sizeof(buf), "SELECT line FROM reject_samples ORDER BY id "
	    "LIMIT 1");
	cr_assert_eq(strncmp(buf, "\\x01\\x01", 8), 0, "%.20s", buf);
	cr_assert_str_eq(buf + 1200, "...");
	qs(buf, sizeof(buf), "SELECT line FROM reject_samples ORDER BY id "
	    "DESC LIMIT 1");
	cr_assert_eq(strncmp(buf, "\\xff\\xff", 8), 0, "%.20s", buf);
}

/*
 * A served list (the HTTP workers' SERVED line, movie ids): logged with its
 * slugs, model and arm, no users row; malformed lines refused; a start of a
 * listed movie within the click window marks the row followed, with its rank.
 */
Test(writer, served_lists_are_logged_and_followed)
{
	char		 buf[512], line[256];
	int64_t		 t = H(10);	/* after D0, as watch() counts */
	int32_t		 a, b;
	int		 n;

	open_writer();
	watch(t, 1, "aa+2000", 0);
	watch(t, 1, "bb+2001", 0);
	commit();
	a = (int32_t)qi("SELECT id FROM movies WHERE slug = 'aa+2000'");
	b = (int32_t)qi("SELECT id FROM movies WHERE slug = 'bb+2001'");
	n = snprintf(line, sizeof(line), "SERVED %lld 77 3 arm-b 150 2 "
	    "%d,999,%d", (long long)(D0_MS + t + 1000), b, a);
	cr_assert_eq(writer_served(h_w, line, (size_t)n), 0);
	cr_assert_eq(writer_served(h_w, "SERVED x 77 3 - 1 0 1", 21), -1);
	cr_assert_eq(writer_served(h_w, "SERVED 1 77 3", 13), -1);
	cr_assert_eq(writer_served(h_w, "SERVED 1 77 3 - 1 0 1,x", 23), -1);
	/* User 77 starts the second listed movie 2 minutes later. */
	watch(t + M(2), 77, "aa+2000", 0);
	commit();

	cr_assert_str_eq(qs(buf, sizeof(buf), "SELECT movie_slugs(movies) FROM reco_log "
	    "WHERE user_id = 77"), "bb+2001,aa+2000", "unknown id 999 left out");
	cr_assert_str_eq(qs(buf, sizeof(buf), "SELECT source || ' ' || "
	    "model_version || ' ' || arm || ' ' || personal || ' ' || "
	    "followed_rank FROM reco_log WHERE user_id = 77"),
	    "served 3 arm-b 2 2");
	cr_assert_eq(qi("SELECT recos FROM users WHERE id = 77"), 0,
	    "a served list is no event of the user's");
	cr_assert_eq(qi("SELECT lists || followed || rank_sum FROM reco_stats "
	    "WHERE source = 'served' AND model_version = 3 AND arm = "
	    "'arm-b'"), 112);
	cr_assert_eq(qi("SELECT SUM(slots) FROM reco_movie_daily"), 2);
}

/*
 * Out of memory at any allocation the writer makes while taking a line:
 * the line is either taken whole or refused as no_memory (counted), the
 * writer goes on, and what is committed matches what was taken (SQLite's
 * fault-test loop: fail the 1st allocation, then the 2nd, ... until a run
 * needs no allocation that fails).
 */
Test(writer, every_allocation_failure_refuses_a_line_or_none)
{
	char	 b[32];
	int	 k, i, rc, fired, taken[PARSE_RECO + 1] = { 0 }, nomem = 0;
	int	 lines = 0;

	open_writer();
	for (k = 1; k < 400; k++) {
		fault_arm(k, 0);
		/* New users and movies each round: every structure grows. */
		for (i = 0; i < 6; i++, lines++) {
			switch (i % 3) {
			case 0:
				rc = h_line("%s,%d,GET /data/m/f%d+m%d+2001/%d.mpg",
				    ts(H(1) + k, b), 1000 * k + i, k, i, i);
				break;
			case 1:
				rc = h_line("%s,%d,GET /rate/f%d+m%d+2001=4",
				    ts(H(1) + k, b), 1000 * k + i, k, i);
				break;
			default:
				rc = h_line("%s,%d,recommendation request h:1, "
				    "status 200, result: r%d+a+1, r%d+b+2, "
				    "r%d+c+3, 9 ms", ts(H(1) + k, b),
				    1000 * k + i, k, k, k);
			}
			cr_assert(rc == PARSE_OK || rc == PARSE_ERR_NOMEM,
			    "round %d line %d: %d", k, i, rc);
			if (rc == PARSE_OK)
				taken[i % 3 + 1]++;
			else
				nomem++;
		}
		fired = fault_arm(0, 0);
		if (k % 50 == 0)
			commit();
		if (!fired && k > 100)
			break;
	}
	commit();
	cr_assert_gt(nomem, 0, "no allocation failed: the loop tests nothing");
	cr_assert_gt(taken[1], 0);
	cr_assert_eq(qi("SELECT value FROM counters WHERE name = "
	    "'accepted_watch'"), taken[PARSE_WATCH]);
	cr_assert_eq(qi("SELECT COUNT(*) FROM watches"), taken[PARSE_WATCH]);
	cr_assert_eq(qi("SELECT COUNT(*) FROM ratings"), taken[PARSE_RATE]);
	cr_assert_eq(qi("SELECT COUNT(*) FROM reco_log"), taken[PARSE_RECO]);
	cr_assert_eq(qi("SELECT value FROM counters WHERE name = "
	    "'rejected_no_memory'"), nomem);
	cr_log_info("%d lines: %d refused for memory", lines, nomem);

	/* Every allocation failing: refused, never a crash; then it works. */
	fault_arm(1, 1);
	for (i = 0; i < 100; i++) {
		rc = h_line("%s,%d,GET /data/m/late+m%d+2001/1.mpg", ts(H(2), b),
		    900000 + i, i);
		cr_assert(rc == PARSE_OK || rc == PARSE_ERR_NOMEM);
	}
	fault_arm(0, 0);
	watch(H(3), 1, "after+2001", 1);
	commit();
	cr_assert_eq(qi("SELECT COUNT(*) FROM movies WHERE slug = "
	    "'after+2001'"), 1);
}

/* ---- the commit hook (fresh lists) --------------------------------------- */

static char	hook_log[256];

static void
hook_record(void *arg, const int64_t *users, size_t n, int before)
{
	size_t	i, o = strlen(hook_log);

	(void)arg;
	o += (size_t)snprintf(hook_log + o, sizeof(hook_log) - o, "%s:",
	    before ? "before" : "after");
	for (i = 0; i < n; i++)
		o += (size_t)snprintf(hook_log + o, sizeof(hook_log) - o,
		    "%lld%s", (long long)users[i], i + 1 < n ? "," : "");
	snprintf(hook_log + o, sizeof(hook_log) - o, " ");
}

Test(writer, the_hook_hears_before_the_commit_and_after_it_when_told)
{
	h_writer_movies(2);
	writer_set_hook(h_w, hook_record, NULL);
	hook_log[0] = '\0';
	cr_assert_eq(h_line("2020-03-01T00:00:00,5,GET /data/m/m1+2000/0.mpg"),
	    PARSE_OK);
	cr_assert_eq(h_line("2020-03-01T00:00:01,6,GET /rate/m2+2000=4"),
	    PARSE_OK);
	/* A list served is no change of a history. */
	h_served(clock_now_ms(), 7, 0, "-", 10, 0, "1");
	cr_assert_eq(writer_commit(h_w), 0);
	cr_assert_str_eq(hook_log, "before:5,6 ", "after waits for the "
	    "readers to know of the commit");
	writer_done(h_w);
	cr_assert_str_eq(hook_log, "before:5,6 after:5,6 ");
	writer_done(h_w);
	cr_assert_str_eq(hook_log, "before:5,6 after:5,6 ", "told once");
}

Test(writer, change_stamps_go_on_from_the_newest_after_a_restart)
{
	int64_t	future = clock_now_ms() + 86400000;
	char	sql[128];

	h_writer_movies(2);
	cr_assert_eq(h_line("2020-03-01T00:00:00,5,GET /data/m/m1+2000/0.mpg"),
	    PARSE_OK);
	h_writer_close();
	/* The clock stepped back a day since that stamp. */
	snprintf(sql, sizeof(sql), "UPDATE users SET updated_ms = %lld",
	    (long long)future);
	h_exec(sql);
	cr_assert_not_null(h_w = writer_open(h_dir));
	cr_assert_eq(h_line("2020-03-01T00:00:02,8,GET /data/m/m2+2000/0.mpg"),
	    PARSE_OK);
	h_writer_close();
	cr_assert_gt(h_qi(h_db, "SELECT updated_ms FROM users WHERE id = 8"),
	    future, "a later change has a later stamp");
}

/* ---- input positions (the Kafka input's offsets) ---------------------- */

Test(writer, positions_commit_with_their_lines_or_not_at_all)
{
	int64_t	next = -7;

	open_writer();
	cr_assert_eq(writer_offset_get(h_w, "movielog1", 0, &next), 0,
	    "never taken from");
	cr_assert_eq(writer_offset(h_w, "movielog1", 0, 1), -1,
	    "no room was made");
	cr_assert_eq(writer_offset_reserve(h_w, 2), 0);
	watch(H(1), 1, "m+2000", 0);
	cr_assert_eq(writer_offset(h_w, "movielog1", 0, 1), 0);
	cr_assert_eq(writer_offset(h_w, "movielog1", 2, 40), 0);
	cr_assert_eq(writer_offset_get(h_w, "movielog1", 2, &next), 1);
	cr_assert_eq(next, 40, "pending is ahead of the database");
	commit();
	cr_assert_eq(qi("SELECT next_offset FROM kafka_offsets WHERE topic = "
	    "'movielog1' AND partition = 2"), 40);

	/* A failed commit writes neither the lines nor the positions. */
	h_fail_writes("counters");
	watch(H(2), 1, "m+2000", 1);
	cr_assert_eq(writer_offset(h_w, "movielog1", 2, 41), 0);
	cr_assert_eq(writer_commit(h_w), -1);
	cr_assert_eq(qi("SELECT next_offset FROM kafka_offsets WHERE "
	    "partition = 2"), 40);
	cr_assert_eq(qi("SELECT minutes FROM watches"), 1);
	h_fail_writes_off();
	/* ... nor when the positions themselves cannot be written. */
	h_fail_writes("kafka_offsets");
	cr_assert_eq(writer_commit(h_w), -1);
	cr_assert_eq(qi("SELECT minutes FROM watches"), 1, "the lines wait "
	    "for their positions");
	h_fail_writes_off();
	/* Forgetting keeps what is not written yet. */
	writer_offset_forget(h_w);
	cr_assert_eq(writer_offset_get(h_w, "movielog1", 2, &next), 1);
	cr_assert_eq(next, 41);
	commit();
	cr_assert_eq(qi("SELECT next_offset FROM kafka_offsets WHERE "
	    "partition = 2"), 41);
	cr_assert_eq(qi("SELECT minutes FROM watches"), 2);
	/* Written ones are read back from the database once forgotten. */
	writer_offset_forget(h_w);
	cr_assert_eq(writer_offset_get(h_w, "movielog1", 0, &next), 1);
	cr_assert_eq(next, 1);
	cr_assert_eq(writer_offset_get(h_w, "movielog2", 0, &next), 0);
	/* A position alone (a message of blank lines) is a commit too. */
	cr_assert_eq(writer_offset(h_w, "movielog1", 0, 5), 0);
	cr_assert(writer_due(h_w));
	commit();
	h_writer_close();
	cr_assert_eq(qi("SELECT next_offset FROM kafka_offsets WHERE "
	    "partition = 0"), 5);
}
