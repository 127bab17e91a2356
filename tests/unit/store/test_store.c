/*
 * Unit tests for app/store/store.c: migrations of a fresh dir, WAL, a newer
 * schema refused, read-only opens that create nothing, the ownership of
 * the tables (every writing role writes its own tables and no others), and
 * the reads: counts, a user's seen movies, data version, snapshots.
 * Each test gets a fresh data dir under /tmp.
 */
#include <criterion/criterion.h>

#include "harness.h"
#include "scratch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "ingest/parse.h"
#include "store/store.h"
#include "store/writer.h"

TestSuite(store, .init = h_scratch_setup, .fini = h_scratch_teardown,
    .timeout = 60);

#define qi(...)		h_qi(h_db, __VA_ARGS__)
#define qs(o, n, ...)	h_qs(h_db, o, n, __VA_ARGS__)

#define D0_MS	1583020800000LL		/* 2020-03-01T00:00:00Z */
#define H(h)	((int64_t)(h) * 3600000LL)
#define M(m)	((int64_t)(m) * 60000LL)

Test(store, fresh_dir_is_migrated_to_latest)
{
	static const char	*tables[] = { "movies", "users", "watches",
				    "ratings", "movie_daily", "reco_log",
				    "counters", "reject_samples" };
	struct store		 s;
	char			 sub[128];
	size_t			 i;

	cr_assert_geq(store_schema_latest(), 1);
	/* A nested dir that does not exist yet is created. */
	snprintf(sub, sizeof(sub), "%s/a/b", h_dir);
	cr_assert_eq(store_open(&s, sub, STORE_CREATE), 0);
	cr_assert_not_null(s.db);
	store_close(&s);
	snprintf(h_db, sizeof(h_db), "%s/%s", sub, STORE_FILE);
	cr_assert_eq(access(h_db, F_OK), 0);
	cr_assert_eq(qi("SELECT MAX(version) FROM schema_migrations"),
	    store_schema_latest());
	cr_assert_eq(qi("SELECT COUNT(*) FROM schema_migrations"),
	    store_schema_latest());
	for (i = 0; i < sizeof(tables) / sizeof(tables[0]); i++)
		cr_assert_eq(qi("SELECT COUNT(*) FROM sqlite_master WHERE "
		    "type IN ('table', 'view') AND name = '%s'", tables[i]), 1,
		    "table %s", tables[i]);

	/* Opening again applies nothing twice; plain RW open works too. */
	cr_assert_eq(store_open(&s, sub, STORE_CREATE), 0);
	store_close(&s);
	cr_assert_eq(store_open(&s, sub, 0), 0);
	store_close(&s);
	cr_assert_eq(qi("SELECT COUNT(*) FROM schema_migrations"),
	    store_schema_latest());
}

Test(store, journal_mode_is_wal)
{
	struct store	s;
	char		buf[32];

	cr_assert_eq(store_open(&s, h_dir, STORE_CREATE), 0);
	store_close(&s);
	cr_assert_str_eq(qs(buf, sizeof(buf), "PRAGMA journal_mode"), "wal");
}

Test(store, newer_schema_is_refused)
{
	struct store	 s;
	sqlite3		*db;
	char		 sql[256];

	cr_assert_eq(store_open(&s, h_dir, STORE_CREATE), 0);
	store_close(&s);
	cr_assert_eq(sqlite3_open(h_db, &db), SQLITE_OK);
	snprintf(sql, sizeof(sql), "INSERT INTO schema_migrations VALUES "
	    "(%d, 'sql/999_future.sql', 0)", store_schema_latest() + 1);
	cr_assert_eq(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);

	memset(&s, 0x5a, sizeof(s));
	cr_assert_eq(store_open(&s, h_dir, STORE_CREATE), -1);
	cr_assert_null(s.db);
	cr_assert_eq(store_open(&s, h_dir, STORE_RDONLY), -1);
	cr_assert_null(s.db);
	cr_assert_eq(store_open(&s, h_dir, 0), -1);
	cr_assert_null(writer_open(h_dir));
	/* Nothing was applied or removed. */
	cr_assert_eq(qi("SELECT MAX(version) FROM schema_migrations"),
	    store_schema_latest() + 1);
}

Test(store, rdonly_open_of_a_missing_database_fails_cleanly)
{
	struct store	s;
	char		sub[128];

	snprintf(sub, sizeof(sub), "%s/nope", h_dir);
	cr_assert_eq(store_open(&s, sub, STORE_RDONLY), -1);
	cr_assert_null(s.db);
	cr_assert_neq(access(sub, F_OK), 0, "the dir must not be created");
	/* Existing dir, no database file: still refused, nothing created. */
	cr_assert_eq(store_open(&s, h_dir, STORE_RDONLY), -1);
	cr_assert_null(s.db);
	cr_assert_neq(access(h_db, F_OK), 0, "no file must be created");
	store_close(&s);
	/* Read-write without STORE_CREATE: refused as well. */
	cr_assert_eq(store_open(&s, h_dir, 0), -1);
	cr_assert_null(s.db);
}

Test(store, exec_reports_errors)
{
	struct store	s;

	cr_assert_eq(store_open(&s, h_dir, STORE_CREATE), 0);
	cr_assert_eq(store_exec(&s, "CREATE TABLE t (x)"), 0);
	cr_assert_eq(store_exec(&s, "INSERT INTO nosuchtable VALUES (1)"), -1);
	cr_assert_eq(store_exec(&s, "INSERT INTO t VALUES (1)"), 0);
	store_close(&s);
	cr_assert_eq(qi("SELECT COUNT(*) FROM t"), 1);
}


/* One write per role's table, on a connection of each role. */
Test(store, each_role_writes_its_own_tables_and_no_others)
{
	static const struct {
		const char	*sql;
		int		 role;		/* whose table */
	} writes[] = {
		{ "INSERT INTO movies (id, slug) VALUES (1, 'a+2000')",
		    STORE_ROLE_EVENTS },
		{ "INSERT INTO counters VALUES ('x', 1)", STORE_ROLE_EVENTS },
		{ "DELETE FROM reco_follows", STORE_ROLE_EVENTS },
		{ "INSERT INTO training_runs (started_ms, trigger, status) "
		    "VALUES (1, 'cli', 'done')", STORE_ROLE_MODELS },
		{ "UPDATE models SET current = 0", STORE_ROLE_MODELS },
		{ "INSERT INTO audit (ts, who, action) VALUES (1, 'cli', 'x')",
		    STORE_ROLE_ADMIN },
		{ "DELETE FROM sessions", STORE_ROLE_ADMIN },
		{ "INSERT INTO settings VALUES ('reco_log', '0', 1, 'x')",
		    STORE_ROLE_ADMIN },
	};
	static const int roles[] = { STORE_ROLE_EVENTS, STORE_ROLE_MODELS,
	    STORE_ROLE_ADMIN };
	struct store	s;
	size_t		i, r;
	int		rc;

	cr_assert_eq(store_open(&s, h_dir, STORE_CREATE), 0);
	store_close(&s);
	for (r = 0; r < sizeof(roles) / sizeof(roles[0]); r++) {
		cr_assert_eq(store_open(&s, h_dir, roles[r]), 0);
		for (i = 0; i < sizeof(writes) / sizeof(writes[0]); i++) {
			rc = sqlite3_exec(s.db, writes[i].sql, NULL, NULL, NULL);
			if (writes[i].role == roles[r])
				cr_assert_eq(rc, SQLITE_OK, "role %#x: %s: %s",
				    roles[r], writes[i].sql,
				    sqlite3_errmsg(s.db));
			else
				cr_assert_eq(rc, SQLITE_AUTH, "role %#x may not: "
				    "%s (%d)", roles[r], writes[i].sql, rc);
		}
		/* No role changes the schema. */
		cr_assert_eq(sqlite3_exec(s.db, "CREATE TABLE t (x)", NULL,
		    NULL, NULL), SQLITE_AUTH);
		cr_assert_eq(sqlite3_exec(s.db, "DROP TABLE watches", NULL,
		    NULL, NULL), SQLITE_AUTH);
		store_close(&s);
	}
	/* A reader writes nothing at all. */
	cr_assert_eq(store_open(&s, h_dir, STORE_RDONLY), 0);
	cr_assert_eq(sqlite3_exec(s.db, writes[0].sql, NULL, NULL, NULL),
	    SQLITE_READONLY);
	store_close(&s);
	cr_assert_eq(qi("SELECT COUNT(*) FROM sqlite_master WHERE name = 't'"),
	    0);
}

/* The writer, in the events role, writes what it always wrote. */
Test(store, the_writer_holds_the_events_role)
{
	const char	*line = "2026-01-01T00:00:00,1,GET /rate/a+2000=4";

	cr_assert_not_null(h_w = writer_open(h_dir));
	cr_assert_eq(writer_line(h_w, line, strlen(line)), 0);
	cr_assert_eq(writer_commit(h_w), 0);
	cr_assert_eq(qi("SELECT COUNT(*) FROM ratings"), 1);
}

/* ---- reads ---------------------------------------------------------- */

Test(store, counts_match_what_was_written)
{
	/* Each count by name (the first five, of a table) and its value. */
	static const char *const	name[] = { "movies", "users",
	    "watches", "ratings", "reco_log", "accepted", "rejected",
	    "last_event_ms" };
	const int64_t			want[] = { 4, 4, 2, 2, 1, 7, 2,
	    D0_MS + H(6) };
	struct store			s;
	struct store_counts		c;
	const int64_t			*got[] = { &c.movies, &c.users,
	    &c.watches, &c.ratings, &c.recos, &c.accepted, &c.rejected,
	    &c.last_event_ms };
	size_t				i;

	h_writer_movies(0);
	h_watch(D0_MS + H(1), 1, "a+2000", 0);
	h_watch(D0_MS + H(1) + M(1), 1, "a+2000", 1);
	h_watch(D0_MS + H(2), 2, "b+2001", 0);
	h_rate(D0_MS + H(3), 1, "a+2000", 5);
	h_rate(D0_MS + H(4), 3, "c+2002", 2);
	h_rate(D0_MS + H(5), 3, "c+2002", 3);
	cr_assert_eq(h_line("2020-03-01T06:00:00,4,recommendation request h:1, "
	    "status 200, result: a+2000, 5 ms"), PARSE_OK);
	cr_assert_eq(h_line("garbage"), PARSE_ERR_FIELDS);
	cr_assert_eq(h_line("2020-03-01T07:00:00,x,GET /rate/a=1"), PARSE_ERR_USER);
	cr_assert_eq(writer_movie(h_w, "d+2003", "D", 2003, NULL), 0);
	h_writer_close();

	cr_assert_eq(store_open(&s, h_dir, STORE_RDONLY), 0);
	cr_assert_eq(store_counts(&s, &c), 0);
	cr_assert_eq(c.schema, store_schema_latest());
	for (i = 0; i < sizeof(got) / sizeof(got[0]); i++)
		cr_assert_eq(*got[i], want[i], "%s", name[i]);
	store_close(&s);
	store_close(&s);	/* safe twice */
	cr_assert_null(s.db);

	/* The counters agree with the tables. */
	for (i = 0; i < 5; i++)
		cr_assert_eq(qi("SELECT COUNT(*) FROM %s", name[i]), *got[i],
		    "%s", name[i]);
}

Test(store, counts_of_an_empty_database)
{
	struct store		s;
	struct store_counts	c;

	memset(&c, 0x55, sizeof(c));
	cr_assert_eq(store_open(&s, h_dir, STORE_CREATE), 0);
	cr_assert_eq(store_counts(&s, &c), 0);
	cr_assert_eq(c.schema, store_schema_latest());
	cr_assert_eq(c.movies + c.users + c.watches + c.ratings + c.recos, 0);
	cr_assert_eq(c.accepted + c.rejected + c.last_event_ms, 0);
	store_close(&s);
}

Test(store, seen_is_sorted_unique_watched_and_rated)
{
	struct store	 s;
	int32_t		*ids = NULL;
	size_t		 cap = 0;
	char		 slug[32];
	int		 i, n;

	h_writer_movies(0);
	for (i = 1; i <= 120; i++) {
		snprintf(slug, sizeof(slug), "m%d+2000", i);
		cr_assert_eq(writer_movie(h_w, slug, NULL, 0, NULL), 0);
	}
	h_watch(D0_MS + H(1), 5, "m9+2000", 0);
	h_watch(D0_MS + H(1), 5, "m3+2000", 0);
	h_rate(D0_MS + H(2), 5, "m3+2000", 4);
	h_rate(D0_MS + H(2), 5, "m1+2000", 2);
	h_watch(D0_MS + H(1), 5, "m9+2000", 1);
	h_rate(D0_MS + H(2), 6, "m2+2000", 1);	/* someone else */
	/* User 7 saw 100 movies, in descending order. */
	for (i = 100; i >= 1; i--) {
		snprintf(slug, sizeof(slug), "m%d+2000", i);
		if (i % 2)
			h_watch(D0_MS + H(3), 7, slug, 0);
		else
			h_rate(D0_MS + H(3), 7, slug, 3);
	}
	h_writer_close();
	cr_assert_eq(qi("SELECT id FROM movies WHERE slug = 'm9+2000'"), 9);

	cr_assert_eq(store_open(&s, h_dir, STORE_RDONLY), 0);
	n = store_seen(&s, 5, &ids, &cap);
	cr_assert_eq(n, 3);
	cr_assert_geq(cap, 3);
	cr_assert_eq(ids[0], 1);
	cr_assert_eq(ids[1], 3);
	cr_assert_eq(ids[2], 9);
	cr_assert_eq(store_seen(&s, 99, &ids, &cap), 0);
	n = store_seen(&s, 7, &ids, &cap);
	cr_assert_eq(n, 100);
	cr_assert_geq(cap, 100);
	for (i = 0; i < n; i++)
		cr_assert_eq(ids[i], i + 1);
	/* The statement is reusable after a call. */
	cr_assert_eq(store_seen(&s, 6, &ids, &cap), 1);
	cr_assert_eq(ids[0], 2);
	free(ids);
	store_close(&s);
}

Test(store, data_version_changes_after_a_writer_commit)
{
	struct store	s;
	int64_t		v1, v2;

	h_writer_movies(0);
	cr_assert_eq(store_open(&s, h_dir, STORE_RDONLY), 0);
	v1 = store_data_version(&s);
	cr_assert_geq(v1, 0);
	cr_assert_eq(store_data_version(&s), v1);
	h_watch(D0_MS + H(1), 1, "a+2000", 0);
	h_commit();
	v2 = store_data_version(&s);
	cr_assert_neq(v2, v1);
	cr_assert_eq(store_data_version(&s), v2);
	store_close(&s);
}

Test(store, snapshot_holds_one_view_until_the_next)
{
	struct store		s;
	struct store_counts	c;

	h_writer_movies(0);
	cr_assert_eq(store_open(&s, h_dir, STORE_RDONLY), 0);
	cr_assert_eq(store_snapshot(&s), 0);
	cr_assert_eq(store_counts(&s, &c), 0);
	cr_assert_eq(c.movies, 0);
	h_watch(D0_MS + H(1), 1, "a+2000", 0);
	h_commit();
	/* The reader's snapshot predates the commit. */
	cr_assert_eq(store_counts(&s, &c), 0);
	cr_assert_eq(c.movies, 0, "a snapshot must not move");
	cr_assert_eq(store_snapshot(&s), 0);
	cr_assert_eq(store_counts(&s, &c), 0);
	cr_assert_eq(c.movies, 1);
	cr_assert_eq(c.watches, 1);
	/* Twice in a row, and with no read in between, is fine. */
	cr_assert_eq(store_snapshot(&s), 0);
	cr_assert_eq(store_snapshot(&s), 0);
	h_watch(D0_MS + H(2), 2, "b+2001", 0);
	h_commit();
	cr_assert_eq(store_counts(&s, &c), 0);
	cr_assert_eq(c.movies, 2, "BEGIN is deferred: the first read sees it");
	store_close(&s);
}

Test(store, movie_titles_and_slugs_of_a_list_of_ids)
{
	struct store	 s;
	sqlite3_stmt	*st;

	cr_assert_eq(store_open(&s, h_dir, STORE_CREATE | STORE_ROLE_EVENTS),
	    0);
	cr_assert_eq(store_exec(&s, "INSERT INTO movies (id, slug, title, "
	    "year) VALUES (1, 'heat+1995', 'Heat', 1995), (2, 'x%2Cy', "
	    "'x, y', 0), (3, 'no+title', NULL, NULL)"), 0);
	cr_assert_eq(sqlite3_prepare_v2(s.db, "SELECT movie_titles('3,1,9,2'),"
	    " movie_slugs('3,1,9,2'), movie_titles(NULL)", -1, &st, NULL),
	    SQLITE_OK);
	cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
	/* In order, the unknown 9 left out, titles apart by 0x1f. */
	cr_assert_str_eq((const char *)sqlite3_column_text(st, 0),
	    "no+title\x1fHeat (1995)\x1fx, y");
	cr_assert_str_eq((const char *)sqlite3_column_text(st, 1),
	    "no+title,heat+1995,x%2Cy");
	cr_assert_eq(sqlite3_column_type(st, 2), SQLITE_NULL);
	sqlite3_finalize(st);
	store_close(&s);
}
