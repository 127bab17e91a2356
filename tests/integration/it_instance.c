/*
 * One data dir, one writer: a second server (or import, or demo) on a data
 * dir in use is refused and harms nothing of the first; the workers die
 * with their parent, so a restart never meets an old writer; a database
 * that is locked by another program or is not a database at all stops the
 * start with a clear message.
 */
#include <sys/stat.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <sqlite3.h>

#include "harness.h"


TestSuite(instance, .init = h_setup, .fini = h_teardown, .timeout = 180);

static const char	*rate = "2026-01-01T10:00:00,5,GET /rate/one+writer+2001=4\n";

/* `cinerec serve` on h_srv.dir with ports of its own, for at most 60 s. */
static int
serve_again(char *out, size_t outsz)
{
	char		 http[32], ingest[32], admin[32];
	const char	*argv[] = { h_bin(), "serve", "--data-dir", h_srv.dir,
			    "--http", http, "--ingest", ingest, "--admin", admin,
			    NULL };

	snprintf(http, sizeof(http), "127.0.0.1:%d", h_free_port());
	snprintf(ingest, sizeof(ingest), "127.0.0.1:%d", h_free_port());
	snprintf(admin, sizeof(admin), "127.0.0.1:%d", h_free_port());
	return (h_run_timeout(argv, 60, out, outsz));
}

/* POST one line: the status. */
static int
post_one(void)
{
	struct h_reply	r;

	h_http(h_srv.http_port, "POST", "/events", NULL, rate, strlen(rate), &r);
	return (r.status);
}

Test(instance, a_second_writer_is_refused_and_harms_nothing)
{
	struct h_reply	 r;
	struct stat	 sb;
	char		 out[4096], pid[32], path[400], file[400];
	const char	*import[] = { h_bin(), "import", "--data-dir", h_srv.dir,
			    file, NULL };
	const char	*demo[] = { h_bin(), "demo", "--data-dir", h_srv.dir,
			    "--users", "10", "--movies", "10", NULL };
	FILE		*fp;
	int		 rc;

	h_start(&h_srv, NULL);
	cr_assert_eq(post_one(), 200);
	snprintf(pid, sizeof(pid), "process %d ", (int)h_srv.pid);

	rc = serve_again(out, sizeof(out));
	cr_assert_eq(rc, 1, "a second serve: exit %d: %s", rc, out);
	cr_assert(strstr(out, "is in use by") != NULL, "%s", out);
	cr_assert(strstr(out, pid) != NULL, "the holder's pid: %s", out);
	cr_assert_eq(strchr(out, '\n'), out + strlen(out) - 1,
	    "one line: %s", out);

	snprintf(file, sizeof(file), "%s.lines", h_srv.dir);
	cr_assert_not_null(fp = fopen(file, "w"));
	fputs(rate, fp);
	fclose(fp);
	rc = h_run_timeout(import, 30, out, sizeof(out));
	unlink(file);
	cr_assert_eq(rc, 1, "import: exit %d: %s", rc, out);
	cr_assert(strstr(out, pid) != NULL, "%s", out);
	rc = h_run_timeout(demo, 30, out, sizeof(out));
	cr_assert_eq(rc, 1, "demo: exit %d: %s", rc, out);
	cr_assert(strstr(out, pid) != NULL, "%s", out);

	/* The first one's files are all there, and it works on. */
	snprintf(path, sizeof(path), "%s/events.sock", h_srv.dir);
	cr_assert_eq(stat(path, &sb), 0, "events.sock was deleted");
	snprintf(path, sizeof(path), "%s/cinerec.pid", h_srv.dir);
	cr_assert_eq(stat(path, &sb), 0, "the pid file was deleted");
	cr_assert_eq(post_one(), 200);
	h_http(h_srv.http_port, "GET", "/health", NULL, NULL, 0, &r);
	cr_assert_eq(r.status, 200, "%s", r.body);
	cr_assert_eq(h_json_int(r.body, "ratings"), 1);
	cr_assert_eq(h_stop(&h_srv), 0);
	/* Free again once it stopped. */
	rc = h_run_timeout(demo, 60, out, sizeof(out));
	cr_assert_eq(rc, 0, "demo after the stop: %s", out);
}

Test(instance, workers_die_with_the_parent)
{
	pid_t	kids[16];
	int	n, i, j, left = 0;

	h_start(&h_srv, NULL);
	cr_assert_eq(post_one(), 200);
	n = h_children(h_srv.pid, kids, 16);
	cr_assert_geq(n, 2, "workers: %d", n);
	kill(h_srv.pid, SIGKILL);
	(void)h_stop(&h_srv);
	for (i = 0; i < 100; i++) {
		for (j = 0, left = 0; j < n; j++)
			left += h_alive(kids[j]);
		if (left == 0)
			break;
		usleep(50000);
	}
	cr_assert_eq(left, 0, "%d workers outlived their parent", left);
	/* A restart finds the data dir free and everything in it. */
	h_start(&h_srv, NULL);
	cr_assert_eq(post_one(), 200);
	cr_assert_eq(h_stop(&h_srv), 0);
}

/* Another program holds the database's write lock at start. */
Test(instance, a_locked_database_stops_the_start_with_a_clear_error)
{
	sqlite3		*db;
	char		 out[4096], path[400];
	int		 rc;

	h_start(&h_srv, NULL);
	cr_assert_eq(h_stop(&h_srv), 0);
	snprintf(path, sizeof(path), "%s/cinerec.db", h_srv.dir);
	cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
	cr_assert_eq(sqlite3_exec(db, "BEGIN EXCLUSIVE", NULL, NULL, NULL),
	    SQLITE_OK);
	rc = serve_again(out, sizeof(out));
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(db);
	cr_assert_eq(rc, 1, "exit %d: %s", rc, out);
	cr_assert(strstr(out, "is locked by another program") != NULL, "%s",
	    out);
}

Test(instance, a_file_that_is_no_database_stops_the_start)
{
	char		 out[4096], path[400];
	FILE		*fp;
	int		 rc, i;

	h_tmpdir(h_srv.dir, sizeof(h_srv.dir));
	snprintf(path, sizeof(path), "%s/cinerec.db", h_srv.dir);
	cr_assert_not_null(fp = fopen(path, "w"));
	for (i = 0; i < 4096; i++)
		fputs("not a database, just bytes ", fp);
	fclose(fp);
	rc = serve_again(out, sizeof(out));
	cr_assert_eq(rc, 1, "exit %d: %s", rc, out);
	cr_assert(strstr(out, "not a database") != NULL, "%s", out);
}
