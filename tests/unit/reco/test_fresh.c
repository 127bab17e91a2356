/*
 * Fresh lists (reco/fresh.c): the shared table's slots (valid, invalid,
 * another version, another user), and the maker's lists, which are the
 * model part of the fold-in list of the same moment.
 */
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>
#include <sqlite3.h>

#include "harness.h"
#include "scratch.h"
#include "ingest/parse.h"
#include "model/train.h"
#include "reco/fresh.h"
#include "reco/reco.h"
#include "store/store.h"
#include "store/writer.h"

static void
setup(void)
{
	h_scratch_setup();
	cr_assert_eq(fresh_init(), 0);
	cr_assert(fresh_enabled());
}

TestSuite(fresh, .init = setup, .fini = h_scratch_teardown, .timeout = 60);

static void
row_of(struct fresh_row *r, int64_t model, int first)
{
	int	k;

	memset(r, 0, sizeof(*r));
	r->model_id = model;
	r->n = 3;
	for (k = 0; k < LISTS_K; k++)
		r->ids[k] = r->because[k] = LISTS_NONE;
	for (k = 0; k < 3; k++) {
		r->ids[k] = first + k;
		r->scores[k] = 1.0f - 0.1f * (float)k;
	}
}

Test(fresh, a_slot_holds_its_users_list_until_invalidated)
{
	struct fresh_row	in, out;
	int64_t			u = 4242;

	cr_assert_eq(fresh_get(u, 1, &out), 0, "nothing yet");
	row_of(&in, 1, 10);
	fresh_put(u, &in);
	cr_assert_eq(fresh_get(u, 1, &out), 1);
	cr_assert_eq(out.n, 3);
	cr_assert_eq(out.ids[2], 12);
	cr_assert_eq(fresh_get(u, 2, &out), 0, "another version");
	cr_assert_eq(fresh_get(u + 1, 1, &out), 0, "another user");
	/* A commit of the user's events makes it invalid first. */
	fresh_invalidate(&u, 1);
	cr_assert_eq(fresh_get(u, 1, &out), 0);
	/* And the list made after it counts again. */
	row_of(&in, 1, 20);
	fresh_put(u, &in);
	cr_assert_eq(fresh_get(u, 1, &out), 1);
	cr_assert_eq(out.ids[0], 20);
}

Test(fresh, another_user_in_the_slot_evicts_and_invalidation_spares_it)
{
	struct fresh_row	in, out;
	int64_t			a = 1, b, other;

	/* A user that maps to a's slot. */
	for (b = 2; b < 10000000; b++) {
		row_of(&in, 1, 1);
		fresh_put(a, &in);
		fresh_put(b, &in);
		if (fresh_get(a, 1, &out) == 0)
			break;
	}
	cr_assert_lt(b, 10000000, "a colliding user");
	cr_assert_eq(fresh_get(b, 1, &out), 1, "the newer one holds it");
	/* a's commit does not touch b's list; b's does. */
	fresh_invalidate(&a, 1);
	cr_assert_eq(fresh_get(b, 1, &out), 1);
	other = b;
	fresh_invalidate(&other, 1);
	cr_assert_eq(fresh_get(b, 1, &out), 0);
}

Test(fresh, the_maker_gives_the_fold_in_list_of_the_moment)
{
	struct train_opts	 o;
	struct train_result	 res;
	struct signal_params	 sp;
	struct fresh_maker	*fm;
	struct fresh_row	 row;
	struct store		 s;
	struct reco		 r;
	struct reco_list	 l;
	struct model		*md;
	sqlite3			*db;
	char			 path[300];
	int64_t			 users[2] = { 1, 2 };
	int			 i, k, frames = -1;

	/* 10 users, 3 of 12 movies each, overlapping. */
	h_writer_movies(12);
	for (i = 0; i < 30; i++)
		cr_assert_eq(h_line("2020-03-01T00:%02d:%02d,%d,GET "
		    "/data/m/m%d+2000/0.mpg", i / 60, i % 60, 1 + i % 10,
		    1 + (i * 7) % 12), PARSE_OK);
	cr_assert_eq(writer_commit(h_w), 0);
	h_writer_close();
	train_defaults(&o);
	o.data_dir = h_dir;
	o.mp.algo = MODEL_ITEMKNN;
	o.holdout_pct = 0;
	cr_assert_eq(train_run(&o, &res), 0);
	signal_defaults(&sp);
	cr_assert_not_null(fm = fresh_maker_open(h_dir, &sp));
	cr_assert_eq(fresh_maker_make(fm, users, 2, 0), 0, "no time: none");
	cr_assert_eq(fresh_get(1, 1, &row), 0);
	/* Those left without time are made by the next make, after its own. */
	users[0] = 4;
	cr_assert_eq(fresh_maker_make(fm, users, 1, 1000), 3, "4, then 1, 2");
	cr_assert_eq(fresh_get(1, 1, &row), 1, "left for later, made");
	cr_assert_eq(fresh_get(2, 1, &row), 1, "left for later, made");
	cr_assert_eq(fresh_maker_make(fm, NULL, 0, 1000), 0, "none left");
	users[0] = 1;
	cr_assert_eq(fresh_maker_make(fm, users, 2, 1000), 2);
	/*
	 * Between makes the maker holds no snapshot: the writer's reset of
	 * the WAL (a TRUNCATE checkpoint) does not wait for it.
	 */
	h_writer_movies(12);
	h_watch(1583020800000LL, 3, "m5+2000", 1);
	h_commit();
	users[0] = 3;
	cr_assert_eq(fresh_maker_make(fm, users, 1, 1000), 1);
	cr_assert_eq(sqlite3_open(h_db, &db), SQLITE_OK);
	cr_assert_eq(sqlite3_exec(db, "SELECT count(*) FROM sqlite_master",
	    NULL, NULL, NULL), SQLITE_OK);
	cr_assert_eq(sqlite3_wal_checkpoint_v2(db, NULL,
	    SQLITE_CHECKPOINT_TRUNCATE, &frames, NULL), SQLITE_OK,
	    "the WAL reset waits for the maker: %s", sqlite3_errmsg(db));
	cr_assert_eq(frames, 0, "the WAL not reset to empty");
	sqlite3_close(db);
	h_writer_close();
	fresh_maker_close(fm);

	/* What reco_for_user folds in for user 1 now, with the model. */
	cr_assert_eq(store_open(&s, h_dir, STORE_RDONLY), 0);
	memset(&r, 0, sizeof(r));
	cr_assert_geq(reco_refresh(&r, &s, 7, 1), 0);
	snprintf(path, sizeof(path), "%s/%s/model-000001.cnrm", h_dir,
	    TRAIN_DIR);
	cr_assert_eq(model_load(path, &md), 0);
	cr_assert_geq(reco_for_user(&r, &s, md, NULL, &sp, 1, LISTS_K, &l), 0);
	cr_assert_eq(fresh_get(1, 1, &row), 1);
	cr_assert_eq((size_t)row.n, l.personal);
	cr_assert_gt(row.n, 0);
	for (k = 0; k < row.n; k++) {
		cr_assert_eq(row.ids[k], l.item[k].movie);
		cr_assert_float_eq(row.scores[k], l.item[k].score, 0);
		cr_assert_eq(row.because[k], l.item[k].because_id >= 0 ?
		    l.item[k].because_id : LISTS_NONE);
	}
	model_free(md);
	reco_free(&r);
	store_close(&s);
}

Test(fresh, users_in_a_row_spread_over_the_slots)
{
	struct fresh_row	in, out;
	int64_t			u;
	int			kept = 0;

	/* A stream's ids are dense: 20,000 of them keep their own slots. */
	row_of(&in, 1, 1);
	for (u = 1; u <= 20000; u++)
		fresh_put(u, &in);
	for (u = 1; u <= 20000; u++)
		kept += fresh_get(u, 1, &out);
	cr_assert_eq(kept, 20000, "%d of 20000 kept their list", kept);
}
