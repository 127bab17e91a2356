/*
 * Unit tests for app/model/train_data.c: train_load merging watches and
 * ratings (a rated watch once, with the later time; a rating alone; each
 * user's interactions by time), from a real database built through the
 * writer; train_kept's hold-out counts; train_matrix building rows in user
 * order with increasing columns, the latest of a pair twice, the hold-out
 * train parts, times when asked, and refusing a column out of range.
 */
#include <criterion/criterion.h>

#include "harness.h"
#include "scratch.h"

#include <stdlib.h>
#include <string.h>

#include "ingest/parse.h"
#include "model/csr.h"
#include "model/signals.h"
#include "model/train_int.h"
#include "store/store.h"
#include "store/writer.h"

TestSuite(train_data, .init = h_scratch_setup, .fini = h_scratch_teardown,
    .timeout = 30);

#define qi(...)		h_qi(h_db, __VA_ARGS__)

static int32_t
movie(int n)
{
	return ((int32_t)qi("SELECT id FROM movies WHERE slug = 'm%d+2000'",
	    n));
}

Test(train_data, load_merges_watches_and_ratings_by_user_then_time)
{
	struct signal_params	 sp;
	struct store		 s;
	struct ia		*v = NULL;
	size_t			 n = 0;
	int32_t			 maxmovie = 0;

	h_writer_movies(6);
	/* User 7: m2 watched at 100 s, rated 5 at 300 s; m1 watched at 200 s. */
	cr_assert_eq(h_line("2020-03-01T00:01:40,7,GET /data/m/m2+2000/3.mpg"),
	    PARSE_OK);
	cr_assert_eq(h_line("2020-03-01T00:03:20,7,GET /data/m/m1+2000/0.mpg"),
	    PARSE_OK);
	cr_assert_eq(h_line("2020-03-01T00:05:00,7,GET /rate/m2+2000=5"),
	    PARSE_OK);
	/* User 7 rates m5 (never watched) first of all; user 3 rates m4 = 1. */
	cr_assert_eq(h_line("2020-03-01T00:00:10,7,GET /rate/m5+2000=4"),
	    PARSE_OK);
	cr_assert_eq(h_line("2020-03-01T00:00:20,3,GET /rate/m4+2000=1"),
	    PARSE_OK);
	cr_assert_eq(writer_commit(h_w), 0);
	h_writer_close();

	signal_defaults(&sp);
	cr_assert_eq(store_open(&s, h_dir, 0), 0);
	cr_assert_eq(train_load(&s, &sp, &v, &n, &maxmovie), 0);
	store_close(&s);
	cr_assert_eq(n, 4);
	/* User 3 first (ids in order), a dislike. */
	cr_assert_eq(v[0].user, 3);
	cr_assert_eq(v[0].movie, movie(4));
	cr_assert_lt(v[0].val, 0.0f);
	/* User 7 by time: m5 (10 s), m1 (200 s), m2 (its rating, 300 s). */
	cr_assert_eq(v[1].user, 7);
	cr_assert_eq(v[1].movie, movie(5));
	cr_assert_eq(v[2].movie, movie(1));
	cr_assert_eq(v[3].movie, movie(2));
	cr_assert_lt(v[1].time, v[2].time);
	cr_assert_eq(v[3].time - v[2].time, 100000, "the rating's time");
	cr_assert_gt(v[3].val, 0.0f);
	cr_assert_gt(v[3].val, v[2].val, "rated 5 weighs more than a watch");
	cr_assert_eq(maxmovie, movie(5) > movie(4) ? movie(5) : movie(4));
	free(v);
}

Test(train_data, kept_holds_out_the_last_fifth_rounded_up)
{
	cr_assert_eq(train_kept(1, 20), 1, "one interaction: none held out");
	cr_assert_eq(train_kept(2, 20), 1);
	cr_assert_eq(train_kept(5, 20), 4);
	cr_assert_eq(train_kept(6, 20), 4);
	cr_assert_eq(train_kept(10, 20), 8);
	cr_assert_eq(train_kept(10, 0), 10);
}

static const struct ia	vs[] = {
	/* user 4: columns out of order, column 3 twice (the later wins) */
	{ 4, 10, 3, 1.0f },
	{ 4, 20, 1, 2.0f },
	{ 4, 30, 3, -5.0f },
	{ 4, 40, 2, 4.0f },
	{ 4, 50, 0, 8.0f },
	/* user 9: one interaction */
	{ 9, 15, 2, 3.0f },
};

Test(train_data, matrix_rows_in_user_order_columns_increasing)
{
	struct csr	m;

	cr_assert_eq(train_matrix(vs, 6, 0, 4, 1, &m), 0);
	cr_assert_eq(m.nrows, 2);
	cr_assert_eq(m.ncols, 4);
	cr_assert_eq(m.nnz, 5);
	cr_assert_eq(m.ptr[0], 0);
	cr_assert_eq(m.ptr[1], 4);
	cr_assert_eq(m.ptr[2], 5);
	cr_assert_eq(m.col[0], 0);
	cr_assert_eq(m.col[1], 1);
	cr_assert_eq(m.col[2], 2);
	cr_assert_eq(m.col[3], 3);
	cr_assert_eq(m.val[3], -5.0f, "the later of column 3 wins");
	cr_assert_eq(m.time[3], 30);
	cr_assert_eq(m.val[0], 8.0f);
	cr_assert_eq(m.col[4], 2);
	cr_assert_eq(m.val[4], 3.0f);
	csr_free(&m);
}

Test(train_data, matrix_with_a_hold_out_keeps_each_users_train_part)
{
	struct csr	m;
	int64_t		*u;

	/* User 4: 5 interactions, 4 kept (times 10..40); user 9's one. */
	cr_assert_eq(train_matrix(vs, 6, 20, 4, 0, &m), 0);
	cr_assert_null(m.time);
	cr_assert_eq(m.nrows, 2);
	cr_assert_eq(m.ptr[1], 3, "columns 1, 2, 3 (the 50 ms one held out)");
	cr_assert_eq(m.col[0], 1);
	cr_assert_eq(m.col[2], 3);
	cr_assert_eq(m.val[2], -5.0f);
	cr_assert_eq(m.ptr[2], 4);
	cr_assert_not_null(u = train_row_users(vs, 6, m.nrows));
	cr_assert_eq(u[0], 4);
	cr_assert_eq(u[1], 9);
	free(u);
	csr_free(&m);
}

Test(train_data, matrix_refuses_a_column_out_of_range)
{
	struct csr	m;

	h_stderr_begin();
	cr_assert_eq(train_matrix(vs, 6, 0, 3, 0, &m), -1, "column 3 of 3");
	cr_assert(strstr(h_stderr_end(), "out of range") != NULL);
	cr_assert_null(m.ptr);
}
