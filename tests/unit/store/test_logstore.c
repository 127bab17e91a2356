/*
 * Unit tests for app/store/logstore.c, the recommendation log
 * (005_reco_ids.sql):
 * lists stored as catalogue ids and read back as slugs, the roll-ups (the
 * by-user index, coverage slots, the runs' zone map), a crash between two
 * roll-ups, retention by runs, and the migration of slug rows from schema 4.
 * Each test gets a fresh data dir under /tmp.
 */
#include <criterion/criterion.h>

#include "harness.h"
#include "scratch.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "util/assets.h"
#include "util/clock.h"
#include "ingest/parse.h"
#include "store/logstore.h"
#include "store/store.h"
#include "store/writer.h"
#include "telemetry/reclog.h"

#define T0_MS	1780000000000LL		/* 2026-05-28T20:26:40Z */
#define DAY_MS	86400000LL

TestSuite(logstore, .init = h_scratch_setup, .fini = h_scratch_teardown,
    .timeout = 60);

#define qi(...)		h_qi(h_db, __VA_ARGS__)
#define qs(o, n, ...)	h_qs(h_db, o, n, __VA_ARGS__)

/* A served list of model 1, no arm, 100 us, personal. */
static void
served(int64_t ts, int64_t user, const char *ids)
{
	h_served(ts, user, 1, "-", 100, 1, ids);
}

static int
refused(const char *line)
{
	return (writer_served(h_w, line, strlen(line)) == -1);
}

/* expr of the one reco_log row of user, as text. */
static const char *
row_of(int64_t user, const char *expr)
{
	static char	buf[256];

	return (qs(buf, sizeof(buf), "SELECT %s FROM reco_log WHERE "
	    "user_id = %lld", expr, (long long)user));
}

Test(logstore, lists_keep_ids_as_sent_and_read_back_as_slugs)
{
	h_writer_movies(3);
	served(T0_MS, 7, "3,1,2");
	served(T0_MS + 1, 8, "2,9,1");		/* 9: not in the catalogue */
	served(T0_MS + 2, 9, "1,2,");		/* a trailing comma */
	served(T0_MS + 3, 10, "");		/* an empty answer */
	served(T0_MS + 4, 11, "003,1");		/* written anew as 3,1 */
	cr_assert_eq(writer_commit(h_w), 0);

	cr_assert_str_eq(row_of(7, "movies"), "3,1,2");
	cr_assert_str_eq(row_of(7, "movie_slugs(movies)"),
	    "m3+2000,m1+2000,m2+2000");
	cr_assert_str_eq(row_of(8, "movies"), "2,1",
	    "the unknown id is left out");
	cr_assert_str_eq(row_of(9, "movies"), "1,2");
	cr_assert_str_eq(row_of(10, "movies || '|' || movie_slugs(movies)"),
	    "|");
	cr_assert_str_eq(row_of(11, "movies"), "3,1");
	/* Malformed lists are refused whole. */
	cr_assert_eq(refused("SERVED 1 7 1 - 1 0 1,,2"), 1);
	cr_assert_eq(refused("SERVED 1 7 1 - 1 0 1;2"), 1);
	cr_assert_eq(refused("SERVED 1 7 1 - 1 0 1,-2"), 0,
	    "a negative id is left out, the list kept");
}

/*
 * What the roll-ups have filed: by_user reco_log_by_user entries, and
 * coverage slots summing to slots.
 */
static void
rolled_up(int64_t by_user, int64_t slots)
{
	cr_assert_eq(qi("SELECT COUNT(*) FROM reco_log_by_user"), by_user);
	cr_assert_eq(qi("SELECT SUM(slots) FROM reco_movie_daily"), slots);
}

/* How many of the lists of user the by-user view finds. */
static int64_t
lists_of(int64_t user)
{
	return (qi("SELECT COUNT(*) FROM reco_log_user_ids WHERE user_id = "
	    "%lld", (long long)user));
}

Test(logstore, rollups_file_rows_under_users_and_count_slots_once)
{
	char	buf[64];

	h_writer_movies(4);
	writer_set_rollup(h_w, 3600000);		/* only the first and forced */
	served(T0_MS, 5, "1,2");
	served(T0_MS + 10, 6, "2,3");
	cr_assert_eq(writer_commit(h_w), 0);	/* the first commit rolls up */
	rolled_up(2, 4);

	served(T0_MS + 20, 5, "4,3,2");
	served(T0_MS + 30, 7, "1");
	cr_assert_eq(writer_commit(h_w), 0);
	cr_assert_eq(writer_due(h_w), 0, "the next roll-up is an hour away");
	/* Logged, not rolled up: the view still finds them by user. */
	cr_assert_eq(qi("SELECT COUNT(*) FROM reco_log"), 4);
	rolled_up(2, 4);
	cr_assert_eq(lists_of(5), 2);
	cr_assert_eq(lists_of(7), 1);

	h_writer_close();	/* closing rolls up */
	rolled_up(4, 8);
	cr_assert_eq(qi("SELECT COUNT(*) FROM reco_log_user_ids"), 4,
	    "no row twice");
	cr_assert_str_eq(qs(buf, sizeof(buf), "SELECT group_concat(log_id) "
	    "FROM (SELECT log_id FROM reco_log_user_ids WHERE user_id = 5 "
	    "ORDER BY log_id)"), "1,3");
	cr_assert_str_eq(qs(buf, sizeof(buf), "SELECT group_concat(newest || "
	    "log_ids, ' ') FROM (SELECT * FROM reco_log_by_user ORDER BY "
	    "user_id, newest)"), "1[1] 3[3] 2[2] 4[4]",
	    "one entry per user and run, keyed by its newest row");
	cr_assert_eq(qi("SELECT slots FROM reco_movie_daily WHERE movie_id = "
	    "2"), 3);
	cr_assert_eq(qi("SELECT value FROM counters WHERE name = "
	    "'reco_rolled_last'"), 4);
	/* Two chunks (a batch each): lists 1-2 and 3-4, their time ranges. */
	cr_assert_eq(qi("SELECT COUNT(*) FROM reco_log_chunks"), 2);
	cr_assert_eq(qi("SELECT first_id * 10 + last_id FROM reco_log_chunks "
	    "ORDER BY last_id LIMIT 1"), 12);
	cr_assert_eq(qi("SELECT min_ts - %lld FROM reco_log_chunks WHERE "
	    "last_id = 4", T0_MS), 20);
	cr_assert_eq(qi("SELECT max_ts - %lld FROM reco_log_chunks WHERE "
	    "last_id = 4", T0_MS), 30);
	cr_assert_str_eq(qs(buf, sizeof(buf), "SELECT group_concat(id || ':' || "
	    "user_id || ':' || movies, ' ') FROM (SELECT * FROM reco_log "
	    "ORDER BY id)"), "1:5:1,2 2:6:2,3 3:5:4,3,2 4:7:1");
}

/* Many lists in one batch fill several chunks, read back in order. */
Test(logstore, a_batch_fills_chunks_of_256_lists)
{
	char	ids[16], buf[64];
	int	i;

	h_writer_movies(3);
	for (i = 0; i < 600; i++) {
		snprintf(ids, sizeof(ids), "%d,%d", 1 + i % 3, 1 + (i + 1) % 3);
		served(T0_MS + i, 100 + i % 7, ids);
	}
	cr_assert_eq(writer_commit(h_w), 0);
	cr_assert_eq(qi("SELECT COUNT(*) FROM reco_log_chunks"), 3);
	cr_assert_str_eq(qs(buf, sizeof(buf), "SELECT group_concat(last_id - "
	    "first_id + 1) FROM (SELECT * FROM reco_log_chunks ORDER BY "
	    "last_id)"), "256,256,88");
	cr_assert_eq(qi("SELECT COUNT(*) FROM reco_log WHERE ts - %lld = id - 1 "
	    "AND user_id = 100 + (id - 1) %% 7 AND movies = (1 + (id - 1) %% 3) "
	    "|| ',' || (1 + id %% 3)", T0_MS), 600);
	cr_assert_eq(qi("SELECT COUNT(*) FROM reco_log_of_user WHERE "
	    "user_id = 103 AND id %% 7 = 4"), 86);
}

/*
 * A crash between roll-ups: the database as it was then (the files copied
 * while the writer still runs) is opened by a new writer, which counts the
 * slots of the rows logged since the last roll-up again; none is lost and
 * none counted twice.
 */
Test(logstore, crash_between_rollups_loses_no_slot)
{
	char	copy[64], cmd[256];

	h_writer_movies(3);
	writer_set_rollup(h_w, 3600000);
	served(T0_MS, 1, "1,2,3");
	cr_assert_eq(writer_commit(h_w), 0);	/* rolled up */
	served(T0_MS + 5, 2, "3,2");
	served(T0_MS + 6, 1, "3");
	cr_assert_eq(writer_commit(h_w), 0);	/* logged only */
	cr_assert_eq(qi("SELECT SUM(slots) FROM reco_movie_daily"), 3);

	h_tmpdir(copy, sizeof(copy));
	snprintf(cmd, sizeof(cmd), "cp %s/%s %s/%s-wal %s/", h_dir, STORE_FILE,
	    h_dir, STORE_FILE, copy);
	cr_assert_eq(system(cmd), 0);
	h_writer_close();

	cr_assert_not_null(h_w = writer_open(copy));
	cr_assert_eq(writer_due(h_w), 1, "rows wait for a roll-up");
	h_writer_close();
	snprintf(cmd, sizeof(cmd), "%s/%s", copy, STORE_FILE);
	cr_assert_eq(h_qi(cmd, "SELECT SUM(slots) FROM reco_movie_daily"), 6);
	cr_assert_eq(h_qi(cmd, "SELECT slots FROM reco_movie_daily WHERE "
	    "movie_id = 3"), 3);
	cr_assert_eq(h_qi(cmd, "SELECT COUNT(*) FROM reco_log_by_user"), 3);
	/* The original, closed cleanly, agrees. */
	cr_assert_eq(qi("SELECT SUM(slots) FROM reco_movie_daily"), 6);
	h_rmrf(copy);
}

Test(logstore, retention_deletes_old_chunks_with_user_entries_and_follows)
{
	char	buf[64];
	const char *watch = "2026-05-28T20:27:40,2,GET /data/m/m2+2000/0.mpg";

	h_writer_movies(2);
	writer_set_rollup(h_w, 0);		/* every commit rolls up */
	served(T0_MS, 1, "1");
	served(T0_MS + 1, 2, "2");
	cr_assert_eq(writer_commit(h_w), 0);
	/* User 2 starts m2 a minute after its list: followed, rank 1. */
	cr_assert_eq(writer_line(h_w, watch, strlen(watch)), PARSE_OK);
	served(T0_MS + DAY_MS, 1, "2");
	served(T0_MS + DAY_MS, 3, "1");
	cr_assert_eq(writer_commit(h_w), 0);
	served(T0_MS + 2 * DAY_MS, 1, "1,2");
	cr_assert_eq(writer_commit(h_w), 0);
	cr_assert_eq(qi("SELECT COUNT(*) FROM reco_log_chunks"), 3);
	cr_assert_eq(qi("SELECT followed_rank FROM reco_log WHERE id = 2"), 1);
	cr_assert_eq(qi("SELECT followed_rank FROM reco_log_of_user WHERE "
	    "user_id = 2"), 1);

	/* Whole chunks go: the first two (4 lists) reach the limit of 3. */
	cr_assert_eq(writer_expire(h_w, T0_MS + DAY_MS + 1, 3), 4);
	cr_assert_eq(qi("SELECT COUNT(*) FROM reco_log"), 1);
	cr_assert_eq(qi("SELECT COUNT(*) FROM reco_log_by_user"), 1);
	cr_assert_eq(qi("SELECT COUNT(*) FROM reco_follows"), 0);
	cr_assert_eq(writer_expire(h_w, T0_MS + DAY_MS + 1, 3), 0);
	/* The newest chunk stays, however old: ids are never reused. */
	cr_assert_eq(writer_expire(h_w, T0_MS + 9 * DAY_MS, 100), 0);
	cr_assert_eq(qi("SELECT COUNT(*) FROM reco_log"), 1);
	cr_assert_str_eq(qs(buf, sizeof(buf), "SELECT group_concat(user_id "
	    "|| ':' || log_id) FROM reco_log_user_ids"), "1:5");
	/* The aggregates stay. */
	cr_assert_eq(qi("SELECT SUM(slots) FROM reco_movie_daily"), 6);
	cr_assert_eq(qi("SELECT SUM(lists) FROM reco_stats"), 5);
}

/*
 * Schema 4 kept a row per list with slugs in reco_log.results (ids with
 * gaps, after retention): migrated to chunks of ids, numbered 1.., rolled up.
 */
Test(logstore, schema_4_slug_rows_migrate_to_ids)
{
	struct store	 s;
	sqlite3		*db;
	char		 name[32], buf[256], *err = NULL;
	size_t		 i;
	int		 v;

	cr_assert_eq(sqlite3_open(h_db, &db), SQLITE_OK);
	cr_assert_eq(sqlite3_exec(db, "CREATE TABLE schema_migrations ("
	    "version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_ms "
	    "INTEGER NOT NULL)", NULL, NULL, NULL), SQLITE_OK);
	for (v = 1; v <= 4; v++) {
		snprintf(name, sizeof(name), "sql/%03d_", v);
		for (i = 0; assets[i].name != NULL; i++)
			if (strncmp(assets[i].name, name, strlen(name)) == 0)
				break;
		cr_assert_not_null(assets[i].name);
		cr_assert_eq(sqlite3_exec(db, (const char *)assets[i].data,
		    NULL, NULL, &err), SQLITE_OK, "%s: %s", name, err);
		snprintf(buf, sizeof(buf), "INSERT INTO schema_migrations "
		    "VALUES (%d, '%s', 0)", v, assets[i].name);
		cr_assert_eq(sqlite3_exec(db, buf, NULL, NULL, NULL), SQLITE_OK);
	}
	cr_assert_eq(sqlite3_exec(db, "INSERT INTO movies (id, slug, title) "
	    "VALUES (4, 'heat+1995', 'Heat'), (9, 'up+2009', 'Up');"
	    "INSERT INTO reco_log (id, ts, user_id, source, host, status, "
	    "latency_ms, results, model_version, followed_rank) VALUES "
	    "(4, 100, 42, 'external', 'h:1', 200, 5, "
	    "'up+2009,gone+1999,heat+1995', NULL, 2), "
	    "(9, 200, 43, 'served', NULL, 200, 1, 'heat+1995', 3, NULL), "
	    "(12, 300, 42, 'external', NULL, 0, 0, '', NULL, NULL)", NULL, NULL,
	    &err),
	    SQLITE_OK, "%s", err);
	sqlite3_close(db);

	cr_assert_eq(store_open(&s, h_dir, STORE_CREATE), 0);
	store_close(&s);
	cr_assert_eq(qi("SELECT MAX(version) FROM schema_migrations"),
	    store_schema_latest());
	cr_assert_str_eq(qs(buf, sizeof(buf), "SELECT group_concat(movies, "
	    "'|') FROM (SELECT movies FROM reco_log ORDER BY id)"), "9,4|4|");
	cr_assert_eq(qi("SELECT followed_rank FROM reco_log WHERE id = 1"), 2);
	cr_assert_eq(qi("SELECT model_version FROM reco_log WHERE id = 2"), 3);
	cr_assert_eq(lists_of(42), 2);
	cr_assert_str_eq(qs(buf, sizeof(buf), "SELECT newest || ' ' || "
	    "log_ids FROM reco_log_by_user WHERE user_id = 42"), "3 [1,3]");
	cr_assert_eq(qi("SELECT last_id * 10 + first_id FROM "
	    "reco_log_chunks"), 31);
	cr_assert_eq(qi("SELECT rank FROM reco_follows WHERE log_id = 1"), 2);
	cr_assert_str_eq(qs(buf, sizeof(buf), "SELECT host FROM reco_log_of_user "
	    "WHERE user_id = 42 ORDER BY id LIMIT 1"), "h:1");

	/* A writer carries on after the migrated rows. */
	cr_assert_not_null(h_w = writer_open(h_dir));
	served(T0_MS, 42, "9");
	h_writer_close();
	cr_assert_eq(lists_of(42), 3);
	cr_assert_eq(qi("SELECT COUNT(*) FROM reco_log_chunks"), 2);
}

/* A user's entries hold at most 256 ids: 300 lists make two. */
Test(logstore, many_lists_of_one_user_in_a_run_split_into_entries)
{
	char	buf[64];
	int	i;

	h_writer_movies(1);
	for (i = 0; i < 300; i++)
		served(T0_MS + i, 9, "1");
	h_writer_close();
	cr_assert_eq(qi("SELECT COUNT(*) FROM reco_log_by_user"), 2);
	cr_assert_str_eq(qs(buf, sizeof(buf), "SELECT group_concat(newest) FROM "
	    "(SELECT newest FROM reco_log_by_user ORDER BY newest)"), "256,300");
	cr_assert_eq(lists_of(9), 300);
	cr_assert_eq(qi("SELECT COUNT(DISTINCT log_id) FROM reco_log_user_ids"),
	    300);
}

/*
 * Retention by whole chunks keeps the by-user index exact: a user's entry
 * that spans the expired chunk and the next one loses only the expired
 * ids, so every list still stored is still found by its user.
 */
Test(logstore, retention_trims_user_entries_that_span_chunks)
{
	int	i;

	h_writer_movies(1);
	writer_set_rollup(h_w, 3600000);		/* the first commit rolls up */
	for (i = 1; i <= 300; i++)
		served(T0_MS + i, i % 10 == 0 ? 8 : 7, "1");
	cr_assert_eq(writer_commit(h_w), 0);
	served(T0_MS + 2 * DAY_MS, 9, "1");	/* the newest chunk */
	cr_assert_eq(writer_commit(h_w), 0);
	cr_assert_eq(qi("SELECT COUNT(*) FROM reco_log_chunks"), 3);
	cr_assert_eq(qi("SELECT COUNT(*) FROM reco_log_by_user WHERE "
	    "user_id = 7"), 2, "270 ids: 256 + 14");

	cr_assert_eq(writer_expire(h_w, T0_MS + DAY_MS, 100), 256);
	cr_assert_eq(qi("SELECT COUNT(*) FROM reco_log WHERE user_id = 7"), 39);
	cr_assert_eq(lists_of(7), 39);
	cr_assert_eq(qi("SELECT COUNT(*) FROM reco_log_user_ids u JOIN "
	    "reco_log r ON r.id = u.log_id AND r.user_id = u.user_id"), 45,
	    "every list of users 7 and 8 still stored, found by its user");
	cr_assert_eq(lists_of(8), 5);

	cr_assert_eq(writer_expire(h_w, T0_MS + DAY_MS, 100), 44);
	cr_assert_eq(qi("SELECT COUNT(*) FROM reco_log_by_user"), 0);
	cr_assert_eq(qi("SELECT COUNT(*) FROM reco_log"), 1);
	cr_assert_eq(writer_expire(h_w, T0_MS + 9 * DAY_MS, 100), 0,
	    "the newest chunk stays");
}

/*
 * Every user id the API accepts (0 .. 2^63-1) is logged: ids from
 * 9223372036854775800 up used to fail the writer's number parsing, and
 * their lists were lost without a count.
 */
Test(logstore, lists_of_the_largest_user_ids_are_logged)
{
	h_writer_movies(2);
	served(T0_MS, 9223372036854775807LL, "1,2");
	served(T0_MS + 1, 9223372036854775800LL, "2");
	served(T0_MS + 2, 0, "1");
	cr_assert_eq(refused("SERVED 1 9223372036854775808 1 - 1 0 1"), 1,
	    "2^63 is beyond the API's range");
	cr_assert_eq(refused("SERVED 1 99999999999999999999 1 - 1 0 1"), 1);
	cr_assert_eq(writer_commit(h_w), 0);
	cr_assert_eq(qi("SELECT COUNT(*) FROM reco_log WHERE user_id = "
	    "9223372036854775807"), 1);
	cr_assert_eq(qi("SELECT COUNT(*) FROM reco_log WHERE user_id = "
	    "9223372036854775800"), 1);
	cr_assert_eq(qi("SELECT COUNT(*) FROM reco_log"), 3);
}

/* ---- reading chunks back (logstore_chunk_next) ------------------------- */

/* e's ids as "a,b,c". */
static const char *
ids_text(const struct logstore_entry *e, char *buf, size_t len)
{
	size_t	i, n = 0;

	buf[0] = '\0';
	for (i = 0; i < e->nids && n < len; i++)
		n += (size_t)snprintf(buf + n, len - n, "%s%d", i ? "," : "",
		    e->ids[i]);
	return (buf);
}

/*
 * The writer's chunks, served lists and the stream's (hosts with quotes,
 * backslashes, '<', an apostrophe and UTF-8, all escaped), read in C: the same
 * values SQLite's JSON functions read from them, in full and head-only.
 */
Test(logstore, chunks_read_in_c_give_what_sqlite_json_reads)
{
	static const char *hosts[] = { "a\"b\\c:1", "<x>&y:2", "it's:3",
	    "caf\xc3\xa9:4" };
	struct logstore_entry	 e, h;
	sqlite3			*db;
	sqlite3_stmt		*chunks, *rows;
	const char		*p, *hp;
	char			 b[32], ids[64];
	int			 i, n = 0;

	h_writer_movies(3);
	for (i = 0; i < 300; i++) {
		if (i % 3 == 0) {
			clock_format(T0_MS + i * 1000, b, sizeof(b));
			cr_assert_eq(h_line("%s,%d,recommendation request %s, "
			    "status 200, result: m%d+2000, m1+2000, 5 ms", b,
			    i, hosts[i / 3 % 4], i % 3 + 2), PARSE_OK, "%d", i);
		} else
			h_served(T0_MS + i, i == 1 ? 9223372036854775807LL :
			    i, i % 4, i % 2 ? "12/x_y.z-1" : "-", 10 * i,
			    i % 3, i % 5 ? "3,1,2" : "");
	}
	cr_assert_eq(writer_commit(h_w), 0);
	cr_assert_eq(qi("SELECT COUNT(*) FROM reco_log_chunks WHERE "
	    "instr(lists, 'a\\\"b\\\\c') AND instr(lists, '\\u003cx')"),
	    2, "the hosts are there, escaped, in both chunks");

	cr_assert_eq(sqlite3_open_v2(h_db, &db, SQLITE_OPEN_READONLY, NULL),
	    SQLITE_OK);
	cr_assert_eq(sqlite3_prepare_v2(db, "SELECT lists FROM "
	    "reco_log_chunks ORDER BY last_id", -1, &chunks, NULL), SQLITE_OK);
	cr_assert_eq(sqlite3_prepare_v2(db, "SELECT j.value ->> 0, "
	    "j.value ->> 1, j.value ->> 2, COALESCE(j.value ->> 7, 0), "
	    "COALESCE(j.value ->> 8, ''), COALESCE(j.value ->> 6, ''), "
	    "COALESCE(j.value ->> 9, 0) FROM reco_log_chunks c, "
	    "json_each(c.lists) j ORDER BY c.last_id, j.key", -1, &rows, NULL),
	    SQLITE_OK);
	while (sqlite3_step(chunks) == SQLITE_ROW) {
		p = hp = (const char *)sqlite3_column_text(chunks, 0);
		while (logstore_chunk_next(&p, &e, 1) == 1) {
			cr_assert_eq(logstore_chunk_next(&hp, &h, 0), 1);
			cr_assert_eq(sqlite3_step(rows), SQLITE_ROW);
			cr_assert_eq(e.ts, sqlite3_column_int64(rows, 0));
			cr_assert_eq(e.user, sqlite3_column_int64(rows, 1));
			cr_assert_eq(e.source, sqlite3_column_int(rows, 2));
			cr_assert_eq(e.model_version,
			    sqlite3_column_int64(rows, 3));
			cr_assert_str_eq(e.arm,
			    (const char *)sqlite3_column_text(rows, 4));
			cr_assert_str_eq(ids_text(&e, ids, sizeof(ids)),
			    (const char *)sqlite3_column_text(rows, 5));
			cr_assert_eq(e.personal, sqlite3_column_int64(rows, 6));
			cr_assert_eq(h.ts, e.ts);
			cr_assert_eq(h.user, e.user);
			cr_assert(h.at == e.at && hp == p);
			n++;
		}
		cr_assert_eq(logstore_chunk_next(&p, &e, 1), 0);
		cr_assert_eq(logstore_chunk_next(&p, &e, 1), 0, "the end stays");
	}
	cr_assert_eq(sqlite3_step(rows), SQLITE_DONE);
	cr_assert_eq(n, 300);
	sqlite3_finalize(chunks);
	sqlite3_finalize(rows);
	sqlite3_close(db);
}

/* The next list of *p read in full: its result. */
static int
next(const char **p, struct logstore_entry *e)
{
	return (logstore_chunk_next(p, e, 1));
}

Test(logstore, chunk_text_of_other_writers_and_damaged_text)
{
	struct logstore_entry	 e;
	const char		*p;
	int32_t			 want[8];
	size_t			 n, i;

	/* As 005_reco_ids.sql wrote them, with nulls, and spaced out. */
	p = "[[1,2,0,null,200,1.5,\"3,1\",7,\"a\\\"b\\u00e9\\ud83d\\ude00"
	    "\\n\\/\",2] , [ 4 , 5 , 1 , \"h\\\\\" , 200 , 3 , null , null , "
	    "null , null ]]";
	cr_assert_eq(next(&p, &e), 1);
	cr_assert(e.ts == 1 && e.user == 2 && e.source == 0 &&
	    e.model_version == 7 && e.personal == 2);
	cr_assert(e.nids == 2 && e.ids[0] == 3 && e.ids[1] == 1);
	cr_assert_str_eq(e.arm, "a\"b\xc3\xa9\xf0\x9f\x98\x80\n/");
	cr_assert_eq(next(&p, &e), 1);
	cr_assert(e.ts == 4 && e.user == 5 && e.source == 1 && e.nids == 0 &&
	    e.model_version == 0 && e.personal == 0 && e.arm[0] == '\0');
	cr_assert_eq(next(&p, &e), 0);

	p = "[]";
	cr_assert_eq(next(&p, &e), 0);
	p = " [ ] ";
	cr_assert_eq(next(&p, &e), 0);

	/* Ids as reclog_parse_ids reads them; an arm longer than fits, cut. */
	p = "[[1,2,0,null,200,1,\"1,0,-3,2x,5\",1,\"aaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\",1]]";
	cr_assert_eq(next(&p, &e), 1);
	n = reclog_parse_ids("1,0,-3,2x,5", want, 8);
	cr_assert_eq(e.nids, n);
	for (i = 0; i < n; i++)
		cr_assert_eq(e.ids[i], want[i]);
	cr_assert_eq(strlen(e.arm), LOGSTORE_ARM_MAX - 1);

	/* Damage: what came before it is read, then -1, in both modes. */
	p = "[[1,2,0,null,200,1,\"1\",1,null,1],[3,4,0,nu";
	cr_assert_eq(next(&p, &e), 1);
	cr_assert_eq(next(&p, &e), -1);
	p = "[[1,2,0,\"abc";
	cr_assert_eq(logstore_chunk_next(&p, &e, 0), -1);
	cr_assert_eq(next(&p, &e), -1);
	p = "[[1,2,0,null,200,1,\"1\",1,{\"x\":1},1]]";
	cr_assert_eq(next(&p, &e), -1);
	p = "[[1,2,0,null,200,1,\"1\",1,[1],1]]";
	cr_assert_eq(logstore_chunk_next(&p, &e, 0), -1);
	p = "[[1,2,0,\"\\x\",200,1,\"1\",1,null,1]]";
	cr_assert_eq(next(&p, &e), -1, "a bad escape");
	p = "[[1,2,0,\"\\u12\",200,1,\"1\",1,null,1]]";
	cr_assert_eq(next(&p, &e), -1, "a short \\u");
	p = "[[1,2]]";
	cr_assert_eq(next(&p, &e), -1, "too few fields");
	p = "[[1,2,0,nope,200,1,\"1\",1,null,1]]";
	cr_assert_eq(next(&p, &e), -1);
	p = "{}";
	cr_assert_eq(next(&p, &e), -1);
	p = "";
	cr_assert_eq(next(&p, &e), -1);
}
