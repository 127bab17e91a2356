/*
 * Unit tests for app/store/sql.c: sql_row binding each type letter (i n I
 * t s b) from ?1 on, NULL for n's 0 and t's NULL, sql_row_value's integer
 * (or -1 without a row), the statement reset for reuse, -1 and a logged
 * message on a constraint violation, sql_exec once with its statement
 * gone, and sql_prepare_all / sql_finalize_all.
 */
#include <criterion/criterion.h>

#include "harness.h"
#include "scratch.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "store/sql.h"

static sqlite3		*db;
static sqlite3_stmt	*ins;	/* INSERT INTO t VALUES (?1 .. ?6) */

static void
setup(void)
{
	h_scratch_setup();
	cr_assert_eq(sqlite3_open(":memory:", &db), SQLITE_OK);
	cr_assert_eq(sqlite3_exec(db, "CREATE TABLE t (id INTEGER PRIMARY "
	    "KEY, n INTEGER, big INTEGER, txt TEXT, s TEXT, b BLOB, "
	    "CHECK (n IS NULL OR n > -100))", NULL, NULL, NULL), SQLITE_OK);
	cr_assert_eq(sqlite3_prepare_v2(db, "INSERT INTO t (id, n, big, txt, "
	    "s, b) VALUES (?1, ?2, ?3, ?4, ?5, ?6)", -1, &ins, NULL),
	    SQLITE_OK);
}

static void
teardown(void)
{
	sqlite3_finalize(ins);
	cr_assert_eq(sqlite3_close(db), SQLITE_OK, "a statement was left");
	h_scratch_teardown();
}

TestSuite(sql, .init = setup, .fini = teardown, .timeout = 60);

/* ---- helpers */

/* The first column of sql's first row as text ("NULL" for NULL). */
static const char *
q(const char *sql, char *buf, size_t sz)
{
	sqlite3_stmt	*st;

	cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK,
	    "%s: %s", sql, sqlite3_errmsg(db));
	cr_assert_eq(sqlite3_step(st), SQLITE_ROW, "%s", sql);
	snprintf(buf, sz, "%s", sqlite3_column_type(st, 0) == SQLITE_NULL ?
	    "NULL" : (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return (buf);
}

static int64_t
qi(const char *sql)
{
	char	buf[64];

	return (strtoll(q(sql, buf, sizeof(buf)), NULL, 10));
}

#define QS(sql)	q((sql), buf, sizeof(buf))

/* No statement of db is left but the suite's own. */
static void
only_ins(void)
{
	cr_assert_eq(sqlite3_next_stmt(db, NULL), ins, "a statement is left");
	cr_assert_null(sqlite3_next_stmt(db, ins), "a statement is left");
}

/* ---- sql_row */

Test(sql, row_binds_every_type_letter_in_order)
{
	static const unsigned char	blob[] = { 0, 1, 0xfe, 0 };
	char				buf[128];

	cr_assert_eq(sql_row(ins, "t", "inItsb", 7, 42, INT64_MAX,
	    "caf\xc3\xa9", "abcdef", 3, blob, (int)sizeof(blob)), 0);
	cr_assert_str_eq(QS("SELECT typeof(id) || typeof(n) || typeof(big) || "
	    "typeof(txt) || typeof(s) || typeof(b) FROM t"),
	    "integerintegerintegertexttextblob");
	cr_assert_eq(qi("SELECT id FROM t"), 7);
	cr_assert_eq(qi("SELECT n FROM t"), 42);
	cr_assert_eq(qi("SELECT big FROM t"), INT64_MAX);
	cr_assert_str_eq(QS("SELECT txt FROM t"), "caf\xc3\xa9");
	/* s takes exactly its length; b its bytes, NULs included. */
	cr_assert_str_eq(QS("SELECT s FROM t"), "abc");
	cr_assert_str_eq(QS("SELECT hex(b) FROM t"), "0001FE00");
}

Test(sql, n_zero_and_t_null_bind_null_but_i_zero_is_zero)
{
	char	buf[128];

	cr_assert_eq(sql_row(ins, "t", "inItsb", 0, 0, (int64_t)0, NULL, "",
	    0, "", 0), 0);
	cr_assert_str_eq(QS("SELECT typeof(id) || ' ' || typeof(n) || ' ' || "
	    "typeof(big) || ' ' || typeof(txt) FROM t"),
	    "integer null integer null");
	cr_assert_eq(qi("SELECT COUNT(*) FROM t WHERE id = 0 AND big = 0"), 1);
	/* A zero-length s is empty text; a zero-length b a NULL or empty. */
	cr_assert_str_eq(QS("SELECT quote(s) FROM t"), "''");
	cr_assert_str_eq(QS("SELECT length(b) IS NULL OR length(b) = 0 FROM "
	    "t"), "1");
	/* Negative n is a value; a NULL t after a value rebinds NULL. */
	cr_assert_eq(sql_row(ins, "t", "inIt", 1, -5, INT64_MIN, "x"), 0);
	cr_assert_eq(sql_row(ins, "t", "inIt", 2, 5, (int64_t)-1, NULL), 0);
	cr_assert_eq(qi("SELECT n FROM t WHERE id = 1"), -5);
	cr_assert_eq(qi("SELECT big FROM t WHERE id = 1"), INT64_MIN);
	cr_assert_str_eq(QS("SELECT typeof(txt) FROM t WHERE id = 2"), "null");
	cr_assert_eq(qi("SELECT big FROM t WHERE id = 2"), -1);
}

Test(sql, row_resets_the_statement_for_the_next_row)
{
	int	i;

	for (i = 1; i <= 100; i++)
		cr_assert_eq(sql_row(ins, "t", "inIt", i, i, (int64_t)i * i,
		    i % 2 ? "odd" : NULL), 0);
	cr_assert_eq(qi("SELECT COUNT(*) FROM t"), 100);
	cr_assert_eq(qi("SELECT SUM(big) FROM t"), 338350);
	cr_assert_eq(qi("SELECT COUNT(txt) FROM t"), 50);
	/* No letters: the statement as prepared (a DELETE here). */
	{
		sqlite3_stmt	*del;

		cr_assert_eq(sqlite3_prepare_v2(db, "DELETE FROM t WHERE "
		    "id > 10", -1, &del, NULL), SQLITE_OK);
		cr_assert_eq(sql_row(del, "del", ""), 0);
		cr_assert_eq(sql_row(del, "del", ""), 0);
		sqlite3_finalize(del);
	}
	cr_assert_eq(qi("SELECT COUNT(*) FROM t"), 10);
}

Test(sql, a_constraint_violation_returns_minus_one_and_logs_what)
{
	const char	*e;

	cr_assert_eq(sql_row(ins, "t", "i", 1), 0);
	h_stderr_begin();
	cr_assert_eq(sql_row(ins, "the rows", "i", 1), -1);
	e = h_stderr_end();
	cr_assert_not_null(strstr(e, " cinerec warn: the rows: UNIQUE "
	    "constraint failed: t.id\n"), "%s", e);
	h_stderr_begin();
	cr_assert_eq(sql_row(ins, "checked", "in", 2, -100), -1);
	e = h_stderr_end();
	cr_assert_not_null(strstr(e, "checked: CHECK constraint failed"), "%s",
	    e);
	/* The statement was reset: it works again. */
	cr_assert_eq(sql_row(ins, "t", "in", 2, 3), 0);
	cr_assert_eq(qi("SELECT COUNT(*) FROM t"), 2);
	cr_assert_eq(qi("SELECT n FROM t WHERE id = 2"), 3);
}

/* ---- sql_row_value */

Test(sql, row_value_gives_the_first_column_or_minus_one)
{
	sqlite3_stmt	*up, *cnt, *none;
	const char	*e;
	int64_t		 v = 99;

	cr_assert_eq(sqlite3_prepare_v2(db, "INSERT INTO t (id, n) VALUES "
	    "(?1, ?2) ON CONFLICT (id) DO UPDATE SET n = n + excluded.n "
	    "RETURNING n", -1, &up, NULL), SQLITE_OK);
	cr_assert_eq(sqlite3_prepare_v2(db, "SELECT COUNT(*), 5 FROM t WHERE "
	    "n >= ?1", -1, &cnt, NULL), SQLITE_OK);
	cr_assert_eq(sqlite3_prepare_v2(db, "SELECT id FROM t WHERE id = ?1",
	    -1, &none, NULL), SQLITE_OK);
	cr_assert_eq(sql_row_value(up, "up", &v, "ii", 1, 10), 0);
	cr_assert_eq(v, 10);
	cr_assert_eq(sql_row_value(up, "up", &v, "ii", 1, 5), 0);
	cr_assert_eq(v, 15);
	cr_assert_eq(sql_row_value(up, "up", NULL, "ii", 2, 1), 0);
	cr_assert_eq(sql_row_value(cnt, "count", &v, "i", 1), 0);
	cr_assert_eq(v, 2);
	cr_assert_eq(sql_row_value(cnt, "count", &v, "i", 100), 0);
	cr_assert_eq(v, 0);
	v = 99;
	cr_assert_eq(sql_row_value(none, "none", &v, "i", 3), 0);
	cr_assert_eq(v, -1, "no row: -1");
	/* Many rows: the first; the statement is reset all the same. */
	cr_assert_eq(sqlite3_finalize(none), SQLITE_OK);
	cr_assert_eq(sqlite3_prepare_v2(db, "SELECT id FROM t ORDER BY id",
	    -1, &none, NULL), SQLITE_OK);
	cr_assert_eq(sql_row_value(none, "many", &v, ""), 0);
	cr_assert_eq(v, 1);
	cr_assert_eq(sqlite3_stmt_busy(none), 0);
	/* A failure: -1, and *val is -1. */
	cr_assert_eq(sqlite3_exec(db, "CREATE TRIGGER no_big BEFORE UPDATE ON "
	    "t WHEN NEW.n > 100 BEGIN SELECT RAISE(ABORT, 'too big'); END",
	    NULL, NULL, NULL), SQLITE_OK);
	v = 99;
	h_stderr_begin();
	cr_assert_eq(sql_row_value(up, "up", &v, "ii", 1, 1000), -1);
	e = h_stderr_end();
	cr_assert_not_null(strstr(e, "up: too big"), "%s", e);
	cr_assert_eq(v, -1);
	cr_assert_eq(qi("SELECT n FROM t WHERE id = 1"), 15);
	sqlite3_finalize(up);
	sqlite3_finalize(cnt);
	sqlite3_finalize(none);
}

/* ---- sql_exec */

Test(sql, exec_runs_once_and_leaves_no_statement)
{
	const char	*e;

	cr_assert_eq(sql_exec(db, "x", "INSERT INTO t (id, n, txt, b) VALUES "
	    "(?1, ?2, ?3, ?4)", "intb", 5, 0, "five", "\x01\x02", 2), 0);
	cr_assert_eq(qi("SELECT COUNT(*) FROM t WHERE id = 5 AND n IS NULL AND "
	    "txt = 'five' AND hex(b) = '0102'"), 1);
	only_ins();
	/* Without parameters. */
	cr_assert_eq(sql_exec(db, "x", "UPDATE t SET n = 1", ""), 0);
	cr_assert_eq(qi("SELECT n FROM t WHERE id = 5"), 1);
	/* A violation and a bad statement: -1, logged, nothing left. */
	h_stderr_begin();
	cr_assert_eq(sql_exec(db, "again", "INSERT INTO t (id) VALUES (?1)",
	    "i", 5), -1);
	cr_assert_eq(sql_exec(db, "syntax", "INSERT INTO nowhere VALUES (1)",
	    ""), -1);
	e = h_stderr_end();
	cr_assert_not_null(strstr(e, "again: UNIQUE constraint failed: t.id"),
	    "%s", e);
	cr_assert_not_null(strstr(e, "syntax: no such table: nowhere"), "%s",
	    e);
	only_ins();
	cr_assert_eq(qi("SELECT COUNT(*) FROM t"), 1);
}

/* ---- sql_prepare_all, sql_finalize_all */

Test(sql, prepare_all_prepares_each_and_stops_at_the_first_bad_one)
{
	sqlite3_stmt	*a = NULL, *b = NULL, *c = NULL;
	struct sql_stmt	 good[] = {
		{ &a, "SELECT 1" }, { &b, "SELECT ?1 + 1" },
		{ &c, "INSERT INTO t (id) VALUES (?1)" },
	};
	struct sql_stmt	 bad[] = {
		{ &a, "SELECT 1" }, { &b, "SELEKT 2" }, { &c, "SELECT 3" },
	};
	int64_t		 v;
	const char	*e;

	cr_assert_eq(sql_prepare_all(db, good, 3), 0);
	cr_assert(a != NULL && b != NULL && c != NULL);
	cr_assert_eq(sql_row_value(b, "b", &v, "i", 41), 0);
	cr_assert_eq(v, 42);
	cr_assert_eq(sql_row(c, "c", "i", 9), 0);
	cr_assert_eq(qi("SELECT id FROM t"), 9);
	sql_finalize_all(good, 3);
	cr_assert(a == NULL && b == NULL && c == NULL, "handles cleared");
	sql_finalize_all(good, 3);	/* NULL handles are fine */

	h_stderr_begin();
	cr_assert_eq(sql_prepare_all(db, bad, 3), -1);
	e = h_stderr_end();
	cr_assert_not_null(strstr(e, "cinerec: SELEKT 2: near \"SELEKT\": "
	    "syntax error\n"), "%s", e);
	cr_assert_not_null(a, "the ones before stay prepared");
	cr_assert_null(b);
	cr_assert_null(c, "none after the bad one");
	sql_finalize_all(bad, 3);
	cr_assert_null(a);
	cr_assert_eq(sql_prepare_all(db, bad, 0), 0);
}
