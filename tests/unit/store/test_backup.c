/*
 * Unit tests for app/store/backup.c: a backup taken while a writer is open
 * (its committed data, not its pending batch), a restore into an empty
 * dir and over an existing database (kept beside it), the data identical
 * after the round trip, the current model kept or dropped, and the files
 * refused: missing, not SQLite, corrupt, not cinerec, a newer schema.
 */
#include <criterion/criterion.h>

#include "harness.h"
#include "scratch.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "ingest/parse.h"
#include "model/train.h"
#include "store/backup.h"
#include "store/store.h"
#include "store/writer.h"

static char	bak[128];		/* h_dir/backup.db */
static char	dst[128], dst_db[192];	/* h_dir/restored, its db */
static const char	*cap_out = "", *cap_err = "";	/* of the last call */

static void
setup(void)
{
	h_scratch_setup();
	snprintf(bak, sizeof(bak), "%s/backup.db", h_dir);
	snprintf(dst, sizeof(dst), "%s/restored", h_dir);
	snprintf(dst_db, sizeof(dst_db), "%s/%s", dst, STORE_FILE);
}

TestSuite(backup, .init = setup, .fini = h_scratch_teardown, .timeout = 60);

/* ---- helpers */

/* fn(dir, file) with its stdout and stderr into cap_out and cap_err. */
static int
captured(int (*fn)(const char *, const char *), const char *dir,
    const char *file)
{
	int	rc;

	h_stdout_begin();
	h_stderr_begin();
	rc = fn(dir, file);
	cap_err = h_stderr_end();
	cap_out = h_stdout_end();
	return (rc);
}

#define save(dir, file)		captured(backup_save, (dir), (file))
#define restore(dir, file)	captured(backup_restore, (dir), (file))

static int
exists(const char *path)
{
	struct stat	sb;

	return (stat(path, &sb) == 0);
}

static void
line(const char *text)
{
	cr_assert_eq(writer_line(h_w, text, strlen(text)), PARSE_OK, "%s",
	    text);
}

/* Movies m1..m3, watches, ratings, a recommendation line: committed. */
static void
some_data(void)
{
	h_writer_movies(3);
	cr_assert_eq(writer_movie(h_w, "heat+1995", "Heat", 1995,
	    "Action|Crime"), 0);
	line("2020-03-01T10:00:00,1,GET /data/m/m1+2000/0.mpg");
	line("2020-03-01T10:01:00,1,GET /data/m/m1+2000/1.mpg");
	line("2020-03-01T10:02:00,2,GET /data/m/caf%C3%A9+2001/5.mpg");
	line("2020-03-01T10:03:00,2,GET /rate/heat+1995=5");
	line("2020-03-01T10:04:00,3,recommendation request h:1, status 200, "
	    "result: m2+2000, heat+1995, 12 ms");
	cr_assert_eq(writer_line(h_w, "junk", 4), PARSE_ERR_FIELDS);
	cr_assert_eq(writer_commit(h_w), 0);
}

/* Every row of every table of the database at path, as one text. */
static char *
dump(const char *path)
{
	sqlite3		*db;
	sqlite3_stmt	*tabs, *st;
	char		*out = NULL, sql[256];
	size_t		 len = 0;
	FILE		*fp;
	int		 i;

	cr_assert_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL),
	    SQLITE_OK, "%s", path);
	cr_assert_not_null(fp = open_memstream(&out, &len));
	cr_assert_eq(sqlite3_prepare_v2(db, "SELECT name FROM sqlite_master "
	    "WHERE type = 'table' ORDER BY name", -1, &tabs, NULL), SQLITE_OK);
	while (sqlite3_step(tabs) == SQLITE_ROW) {
		/* In key order: the same for the same rows. */
		snprintf(sql, sizeof(sql), "SELECT * FROM \"%s\"",
		    (const char *)sqlite3_column_text(tabs, 0));
		cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL),
		    SQLITE_OK, "%s", sql);
		fprintf(fp, "[%s]\n", sqlite3_column_text(tabs, 0));
		while (sqlite3_step(st) == SQLITE_ROW) {
			for (i = 0; i < sqlite3_column_count(st); i++)
				fprintf(fp, "%s|", sqlite3_column_type(st, i) ==
				    SQLITE_NULL ? "NULL" :
				    (const char *)sqlite3_column_text(st, i));
			fputc('\n', fp);
		}
		sqlite3_finalize(st);
	}
	sqlite3_finalize(tabs);
	sqlite3_close(db);
	fclose(fp);
	return (out);
}

/* Run sql on the database file at path (read-write, no roles). */
static void
exec_on(const char *path, const char *sql)
{
	sqlite3	*db;

	cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
	cr_assert_eq(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK,
	    "%s: %s", sql, sqlite3_errmsg(db));
	sqlite3_close(db);
}

static void
copy_file(const char *from, const char *to)
{
	char	buf[8192];
	ssize_t	n;
	int	in, out;

	cr_assert((in = open(from, O_RDONLY)) != -1);
	cr_assert((out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0600)) != -1);
	while ((n = read(in, buf, sizeof(buf))) > 0)
		cr_assert_eq(write(out, buf, (size_t)n), n);
	close(in);
	close(out);
}

/* ---- backup */

Test(backup, backup_while_a_writer_is_open_holds_what_is_committed)
{
	char	want[512], tmp[160];

	some_data();
	/* Pending, not committed: not in the backup. */
	line("2020-03-01T11:00:00,9,GET /data/m/late+2010/0.mpg");
	cr_assert_eq(save(h_dir, bak), 0, "%s", cap_err);
	snprintf(want, sizeof(want), "backup of %s to %s: ", h_db, bak);
	cr_assert_eq(strncmp(cap_out, want, strlen(want)), 0, "%s", cap_out);
	snprintf(want, sizeof(want), " MB, schema %d\n",
	    store_schema_latest());
	cr_assert_not_null(strstr(cap_out, want), "%s", cap_out);
	cr_assert_str_eq(cap_err, "");
	snprintf(tmp, sizeof(tmp), "%s.tmp", bak);
	cr_assert(!exists(tmp), "the temporary file stays");

	cr_assert_eq(h_qi(bak, "SELECT COUNT(*) FROM movies"), 5);
	cr_assert_eq(h_qi(bak, "SELECT COUNT(*) FROM movies WHERE slug = "
	    "'late+2010'"), 0);
	cr_assert_eq(h_qi(bak, "SELECT COUNT(*) FROM users"), 3);
	cr_assert_eq(h_qi(bak, "SELECT minutes FROM watches WHERE user_id = "
	    "1"), 2);
	h_counters(bak, "accepted_watch=3 accepted_rate=1 accepted_reco=1 "
	    "rejected_truncated=1 movies=5");

	/* The writer goes on; the backup does not change. */
	cr_assert_eq(writer_commit(h_w), 0);
	cr_assert_eq(h_qi(h_db, "SELECT COUNT(*) FROM users"), 4);
	cr_assert_eq(h_qi(bak, "SELECT COUNT(*) FROM users"), 3);
	/* A second backup over the first one replaces it. */
	cr_assert_eq(save(h_dir, bak), 0, "%s", cap_err);
	cr_assert_eq(h_qi(bak, "SELECT COUNT(*) FROM users"), 4);
}

Test(backup, backup_fails_without_a_database_or_a_place_for_the_file)
{
	char	nodir[160];

	snprintf(nodir, sizeof(nodir), "%s/empty", h_dir);
	cr_assert_eq(mkdir(nodir, 0700), 0);
	cr_assert_eq(save(nodir, bak), -1);
	cr_assert_neq(cap_err[0], '\0', "no message");
	cr_assert_str_eq(cap_out, "");
	cr_assert(!exists(bak));

	some_data();
	snprintf(nodir, sizeof(nodir), "%s/no/such/dir/b.db", h_dir);
	cr_assert_eq(save(h_dir, nodir), -1);
	cr_assert_not_null(strstr(cap_err, "no/such/dir/b.db"), "%s", cap_err);
	cr_assert_str_eq(cap_out, "");
	cr_assert(!exists(nodir));
}

/* ---- restore */

Test(backup, restore_into_an_empty_dir_gives_identical_data)
{
	char	*a, *b, want[512];

	some_data();
	cr_assert_eq(save(h_dir, bak), 0, "%s", cap_err);
	h_writer_close();
	cr_assert_eq(mkdir(dst, 0700), 0);
	cr_assert_eq(restore(dst, bak), 0, "%s", cap_err);
	snprintf(want, sizeof(want), "restored %s into %s (schema %d)\n", bak,
	    dst_db, store_schema_latest());
	cr_assert_str_eq(cap_out, want);
	cr_assert_str_eq(cap_err, "");

	a = dump(h_db);
	b = dump(dst_db);
	cr_assert_gt(strlen(a), 200);
	cr_assert_str_eq(a, b);
	free(a);
	free(b);
	snprintf(want, sizeof(want), "%s/%s", dst, BACKUP_PREVIOUS);
	cr_assert(!exists(want), "nothing was replaced");
	snprintf(want, sizeof(want), "%s.restore", dst_db);
	cr_assert(!exists(want));

	/* The restored dir is a working data dir: ids go on from there. */
	cr_assert_not_null(h_w = writer_open(dst));
	line("2020-03-02T10:00:00,5,GET /data/m/new+2020/0.mpg");
	cr_assert_eq(writer_commit(h_w), 0);
	cr_assert_eq(h_qi(dst_db, "SELECT id FROM movies WHERE slug = "
	    "'new+2020'"), 6);
	/* Spelled as the stream spelled it. */
	cr_assert_eq(h_qi(dst_db, "SELECT slug = 'caf%%C3%%A9+2001' FROM "
	    "movies WHERE id = 5"), 1);
	h_counters(dst_db, "accepted_watch=4 movies=6 users=4");
}

Test(backup, restore_over_a_database_keeps_the_one_it_replaces)
{
	char	prev[192], *old, *now, *b;

	some_data();
	cr_assert_eq(save(h_dir, bak), 0, "%s", cap_err);
	/* More data after the backup. */
	line("2020-03-02T10:00:00,5,GET /data/m/after+2020/0.mpg");
	h_writer_close();
	old = dump(h_db);
	cr_assert_eq(restore(h_dir, bak), 0, "%s", cap_err);
	snprintf(prev, sizeof(prev), "%s/%s", h_dir, BACKUP_PREVIOUS);
	cr_assert_not_null(strstr(cap_out, prev), "%s", cap_out);
	cr_assert(exists(prev));
	now = dump(h_db);
	b = dump(bak);
	cr_assert_str_eq(now, b, "the data dir holds the backup's data");
	cr_assert_eq(h_qi(h_db, "SELECT COUNT(*) FROM movies WHERE slug = "
	    "'after+2020'"), 0);
	free(now);
	now = dump(prev);
	cr_assert_str_eq(now, old, "the replaced database is kept whole");
	cr_assert_eq(h_qi(prev, "SELECT COUNT(*) FROM movies WHERE slug = "
	    "'after+2020'"), 1);
	free(now);
	free(old);
	free(b);
}

Test(backup, restore_refuses_what_is_not_a_sound_cinerec_database)
{
	char	bad[192], want[512];
	int	fd;

	some_data();
	cr_assert_eq(save(h_dir, bak), 0, "%s", cap_err);
	cr_assert_eq(mkdir(dst, 0700), 0);
	snprintf(bad, sizeof(bad), "%s/bad.db", h_dir);

	/* Missing. */
	cr_assert_eq(restore(dst, bad), -1);
	cr_assert_not_null(strstr(cap_err, bad), "%s", cap_err);
	/* Text. */
	cr_assert((fd = open(bad, O_WRONLY | O_CREAT, 0600)) != -1);
	h_send(fd, "hello, not SQLite\n", 18);
	close(fd);
	cr_assert_eq(restore(dst, bad), -1);
	snprintf(want, sizeof(want), "cinerec: %s is not a sound SQLite "
	    "database (", bad);
	cr_assert_eq(strncmp(cap_err, want, strlen(want)), 0, "%s", cap_err);
	/* SQLite, but not cinerec's. */
	(void)unlink(bad);
	exec_on(bad, "CREATE TABLE t (x); INSERT INTO t VALUES (1)");
	cr_assert_eq(restore(dst, bad), -1);
	snprintf(want, sizeof(want), "cinerec: %s is not a cinerec database\n",
	    bad);
	cr_assert_str_eq(cap_err, want);
	/* A schema newer than this binary. */
	copy_file(bak, bad);
	exec_on(bad, "INSERT INTO schema_migrations VALUES (9999, 'x', 0)");
	cr_assert_eq(restore(dst, bad), -1);
	snprintf(want, sizeof(want), "cinerec: %s has schema version 9999; "
	    "this cinerec reads 1..%d\n", bad, store_schema_latest());
	cr_assert_str_eq(cap_err, want);
	/* Corrupt: the magic kept, an impossible page size. */
	copy_file(bak, bad);
	cr_assert((fd = open(bad, O_WRONLY)) != -1);
	cr_assert_eq(pwrite(fd, "\x00\x03", 2, 16), 2);
	close(fd);
	cr_assert_eq(restore(dst, bad), -1);
	snprintf(want, sizeof(want), "cinerec: %s is not a sound SQLite "
	    "database (file is not a database)\n", bad);
	cr_assert_str_eq(cap_err, want);

	/* Nothing was made in the data dir, and it still works. */
	cr_assert(!exists(dst_db));
	snprintf(want, sizeof(want), "%s.restore", dst_db);
	cr_assert(!exists(want));
	cr_assert_eq(restore(dst, bak), 0, "%s", cap_err);
}

/*
 * Regression (backup.c, check_db), fixed: quick_check's answer was printed
 * after its statement was finalized (freed memory; ASan stops there).
 */
Test(backup, restore_names_what_quick_check_found_in_corrupt_pages)
{
	char	bad[192], want[512];
	int	fd, k;

	some_data();
	cr_assert_eq(save(h_dir, bak), 0, "%s", cap_err);
	cr_assert_eq(mkdir(dst, 0700), 0);
	snprintf(bad, sizeof(bad), "%s/bad.db", h_dir);
	copy_file(bak, bad);
	cr_assert((fd = open(bad, O_WRONLY)) != -1);
	for (k = 1; k <= 5; k++)
		cr_assert_eq(pwrite(fd, "\xde\xad\xbe\xef\xde\xad\xbe\xef", 8,
		    4096 * k), 8);
	close(fd);
	cr_assert_eq(restore(dst, bad), -1);
	snprintf(want, sizeof(want), "cinerec: %s is not a sound SQLite "
	    "database (", bad);
	cr_assert_eq(strncmp(cap_err, want, strlen(want)), 0, "%s", cap_err);
	/* quick_check's own words, not a generic error. */
	cr_assert_not_null(strstr(cap_err, "in database main") != NULL ?
	    cap_err : strstr(cap_err, "page"), "%s", cap_err);
	cr_assert(!exists(dst_db));
}

Test(backup, restore_into_a_missing_dir_fails_and_leaves_nothing)
{
	some_data();
	cr_assert_eq(save(h_dir, bak), 0, "%s", cap_err);
	cr_assert_eq(restore(dst, bak), -1);
	cr_assert_not_null(strstr(cap_err, dst), "%s", cap_err);
	cr_assert(!exists(dst));
}

Test(backup, restore_keeps_the_current_model_only_if_its_file_is_there)
{
	char	path[256];
	int	fd;

	some_data();
	h_writer_close();
	exec_on(h_db, "INSERT INTO models (id, algo, params, file, "
	    "created_ms, train_seconds, interactions, users, items, "
	    "binary_version, current) VALUES (1, 'pop', '{}', 'm1.bin', 0, 0, "
	    "0, 0, 0, 'test', 0), (2, 'als', '{}', 'm2.bin', 0, 0, 0, 0, 0, "
	    "'test', 1)");
	cr_assert_eq(save(h_dir, bak), 0, "%s", cap_err);

	/* No models directory there: no current model. */
	cr_assert_eq(mkdir(dst, 0700), 0);
	cr_assert_eq(restore(dst, bak), 0, "%s", cap_err);
	cr_assert_not_null(strstr(cap_out, "will train a model at start"),
	    "%s", cap_out);
	cr_assert_eq(h_qi(dst_db, "SELECT COUNT(*) FROM models WHERE "
	    "current = 1"), 0);
	cr_assert_eq(h_qi(dst_db, "SELECT COUNT(*) FROM models"), 2);
	cr_assert_eq(h_qi(bak, "SELECT id FROM models WHERE current = 1"), 2,
	    "the backup itself is not changed");

	/* Its file in <dir>/models: it stays the current one. */
	snprintf(path, sizeof(path), "%s/%s", dst, TRAIN_DIR);
	cr_assert_eq(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/%s/m2.bin", dst, TRAIN_DIR);
	cr_assert((fd = creat(path, 0600)) != -1);
	close(fd);
	cr_assert_eq(restore(dst, bak), 0, "%s", cap_err);
	cr_assert_null(strstr(cap_out, "will train"), "%s", cap_out);
	cr_assert_eq(h_qi(dst_db, "SELECT id FROM models WHERE current = 1"),
	    2);
}
