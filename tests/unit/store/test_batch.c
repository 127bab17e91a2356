/*
 * Unit tests for app/store/batch.c through the writer, checked through the
 * SQL it leaves behind: what real streams showed (create_account lines,
 * outlier user ids, the rating scale, a sample of every rejection reason,
 * the shapes of unknown lines, lines per hour by outcome).
 */
#include <criterion/criterion.h>

#include "harness.h"
#include "scratch.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "ingest/parse.h"
#include "store/batch.h"
#include "store/writer.h"
#include "util/clock.h"

TestSuite(batch, .init = h_scratch_setup, .fini = h_scratch_teardown,
    .timeout = 60);

#define qi(...)		h_qi(h_db, __VA_ARGS__)
#define qs(b, ...)	h_qs(h_db, (b), sizeof(b), __VA_ARGS__)

static int64_t
counter(const char *name)
{
	return (qi("SELECT COALESCE((SELECT value FROM counters WHERE name = "
	    "'%s'), 0)", name));
}

static void
open_writer(void)
{
	cr_assert_not_null(h_w = writer_open(h_dir), "writer_open(%s)", h_dir);
}

/* ---- create_account --------------------------------------------------- */

Test(batch, create_account_is_a_new_user_counted_and_kept)
{
	open_writer();
	cr_assert_eq(h_line("2026-01-05T10:00:00,270259,GET /create_account"),
	    PARSE_OK);
	cr_assert_eq(h_line("2026-01-05T10:00:01,270260, GET /create_account"),
	    PARSE_OK);
	cr_assert_eq(h_line("2026-01-05T10:05:00,270259,GET /rate/heat+1995=4"),
	    PARSE_OK);
	h_commit();
	/* The same user's second account line, a batch later. */
	cr_assert_eq(h_line("2026-01-05T11:00:00,270259,GET /create_account"),
	    PARSE_OK);
	h_commit();
	h_writer_close();
	cr_assert_eq(counter("accepted_account"), 3);
	cr_assert_eq(counter("accounts"), 3);
	cr_assert_eq(counter("users"), 2, "two users, each new once");
	cr_assert_eq(qi("SELECT account_ts FROM users WHERE id = 270259"),
	    1767607200000LL);	/* date -u -d 2026-01-05T10:00:00Z +%s */
	cr_assert_eq(qi("SELECT accounts FROM users WHERE id = 270259"), 2);
	/* Cold start: an account that has done nothing yet. */
	cr_assert_eq(qi("SELECT COUNT(*) FROM users WHERE account_ts IS NOT "
	    "NULL AND watch_lines + ratings = 0"), 1);
	cr_assert_eq(qi("SELECT COUNT(*) FROM movies"), 1);
}

/* ---- outlier user ids ------------------------------------------------- */

Test(batch, a_user_far_beyond_the_ids_seen_is_counted_and_kept)
{
	int	i;

	open_writer();
	for (i = 1; i <= BATCH_OUTLIER_USERS; i++)
		cr_assert_eq(h_line("2026-01-05T10:00:00,%d,GET /rate/x+1=4",
		    i * 600), PARSE_OK);
	h_commit();
	cr_assert_eq(counter("users_outlier"), 0, "the first ids set the range");
	/* 600,000 seen: 700,000 is growth, 7 digits far beyond. */
	cr_assert_eq(h_line("2026-01-05T10:00:01,700000,GET /rate/x+1=4"),
	    PARSE_OK);
	cr_assert_eq(h_line("2026-01-05T10:00:02,4781234,GET /rate/x+1=4"),
	    PARSE_OK);
	h_commit();
	cr_assert_eq(counter("users_outlier"), 1);
	/* Known now: not counted again; the range did not widen. */
	cr_assert_eq(h_line("2026-01-05T10:00:03,4781234,GET /rate/x+1=5"),
	    PARSE_OK);
	cr_assert_eq(h_line("2026-01-05T10:00:04,4000000,GET /rate/x+1=5"),
	    PARSE_OK);
	h_commit();
	h_writer_close();
	cr_assert_eq(counter("users_outlier"), 2);
	cr_assert_eq(qi("SELECT COUNT(*) FROM users"), BATCH_OUTLIER_USERS + 3,
	    "outliers are kept");

	/* The range is the database's at the next open. */
	open_writer();
	cr_assert_eq(h_line("2026-01-05T10:00:05,9000000,GET /rate/x+1=5"),
	    PARSE_OK);
	h_commit();
	h_writer_close();
	cr_assert_eq(counter("users_outlier"), 3);
}

/* ---- the rating scale ------------------------------------------------- */

Test(batch, the_rating_scale_is_the_writers_setting)
{
	open_writer();
	cr_assert_eq(h_line("2026-01-05T10:00:00,1,GET /rate/x+1=7"),
	    PARSE_ERR_RATING, "1..5 by default");
	writer_set_rating_max(h_w, 10);
	cr_assert_eq(h_line("2026-01-05T10:00:00,1,GET /rate/x+1=7"),
	    PARSE_OK);
	cr_assert_eq(h_line("2026-01-05T10:00:00,1,GET /rate/x+2=10"),
	    PARSE_OK);
	cr_assert_eq(h_line("2026-01-05T10:00:00,1,GET /rate/x+2=11"),
	    PARSE_ERR_RATING);
	h_commit();
	h_writer_close();
	cr_assert_eq(qi("SELECT SUM(rating) FROM ratings"), 17);
	cr_assert_eq(counter("rejected_bad_rating"), 2);
}

/* ---- samples of rejected lines ---------------------------------------- */

Test(batch, every_reason_keeps_samples_however_frequent_another_is)
{
	int	b, i;

	open_writer();
	for (b = 0; b < 12; b++) {
		for (i = 0; i < 1000; i++)
			cr_assert_eq(h_line("2020-03-01T00:00:00,u%d-%d,GET "
			    "/rate/a=1", b, i), PARSE_ERR_USER);
		if (b == 0)
			for (i = 0; i < 3; i++)
				cr_assert_eq(h_line("2020-03-01T00:00,%d,GET "
				    "/rate/a=9", i), PARSE_ERR_RATING);
		h_commit();
	}
	h_writer_close();
	/* Before: the first 32 lines of a batch, all of them bad_user. */
	cr_assert_eq(qi("SELECT COUNT(*) FROM reject_samples WHERE reason = "
	    "'bad_rating'"), 3);
	cr_assert_eq(qi("SELECT COUNT(*) FROM reject_samples WHERE reason = "
	    "'bad_user'"), 20);
	/* A reservoir: not just a batch's first lines. */
	cr_assert_gt(qi("WITH r AS (SELECT substr(line, instr(line, ',u') + "
	    "2) AS rest FROM reject_samples WHERE reason = 'bad_user') "
	    "SELECT COUNT(*) FROM r WHERE CAST(substr(rest, instr(rest, '-') "
	    "+ 1) AS INTEGER) >= 4"), 0);
}

/* ---- unknown kinds of lines (schema drift) ---------------------------- */

Test(batch, unknown_lines_are_counted_by_shape)
{
	char	buf[128];
	int64_t	before = clock_now_ms();

	open_writer();
	cr_assert_eq(h_line("2026-01-05T10:00:00,1,GET /search/q=lion"),
	    PARSE_ERR_REQUEST);
	cr_assert_eq(h_line("2026-01-05T10:00:00,2,GET /search/q=heat"),
	    PARSE_ERR_REQUEST);
	cr_assert_eq(h_line("2026-01-05T10:00:00,3,POST /rate/x=4"),
	    PARSE_ERR_REQUEST);
	cr_assert_eq(h_line("2026-01-05T10:00:00,x,GET /search/q=x"),
	    PARSE_ERR_USER, "not a request problem: no shape");
	h_commit();
	cr_assert_eq(h_line("2026-01-05T10:00:00,1,GET /search/q=up"),
	    PARSE_ERR_REQUEST);
	h_commit();
	h_writer_close();
	cr_assert_str_eq(qs(buf, "SELECT group_concat(shape || '=' || lines, "
	    "' ') FROM (SELECT * FROM line_shapes ORDER BY shape)"),
	    "GET /search/=3 POST /rate/=1");
	cr_assert_geq(qi("SELECT MIN(first_ts) FROM line_shapes"), before);
	cr_assert_geq(qi("SELECT MIN(last_ts - first_ts) FROM line_shapes"),
	    0);
}

Test(batch, a_batch_names_a_bounded_number_of_shapes)
{
	int	i;

	open_writer();
	for (i = 0; i < BATCH_SHAPES + 10; i++)
		cr_assert_eq(h_line("2026-01-05T10:00:00,1,GET /s%d/", i),
		    PARSE_ERR_REQUEST);
	h_commit();
	h_writer_close();
	cr_assert_eq(qi("SELECT COUNT(*) FROM line_shapes"), BATCH_SHAPES + 1);
	cr_assert_eq(qi("SELECT lines FROM line_shapes WHERE shape = '?'"), 10);
}

/* ---- lines per hour by outcome ---------------------------------------- */

Test(batch, lines_per_hour_by_outcome)
{
	char	buf[128];
	int64_t	hour = clock_now_ms() / 3600000;

	open_writer();
	cr_assert_eq(h_line("2026-01-05T10:00,1,GET /rate/x+1=4"), PARSE_OK);
	cr_assert_eq(h_line("2026-01-05T10:00:00,1,GET /data/m/x+1/1.mpg"),
	    PARSE_OK);
	cr_assert_eq(h_line("2026-01-05T10:00:00,1,GET /rate/x+1=z"),
	    PARSE_ERR_RATING);
	h_commit();
	cr_assert_eq(h_line("yesterday,1,GET /rate/x+1=4"), PARSE_ERR_TIME);
	h_commit();
	h_writer_close();
	/* The hour may turn between the two: sum over the last two. */
	cr_assert_str_eq(qs(buf, "SELECT group_concat(reason || '=' || n, ' ') "
	    "FROM (SELECT reason, SUM(lines) AS n FROM ingest_hourly WHERE "
	    "hour >= %lld GROUP BY reason ORDER BY reason)", (long long)hour),
	    "bad_rating=1 bad_time=1 ok=2");
}
