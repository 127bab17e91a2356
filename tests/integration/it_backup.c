/*
 * `cinerec backup` while the server runs and writes, and `cinerec restore`
 * (refused while it runs): a round trip gives back exactly the counts the
 * backup holds, and a file that is not a cinerec database is refused with
 * nothing changed.
 */
#include <sys/stat.h>

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <sqlite3.h>

#include "harness.h"

static char		backup[400], dbpath[400];

static void
setup(void)
{
	h_setup();
	backup[0] = '\0';
}

static void
teardown(void)
{
	if (backup[0] != '\0')
		(void)unlink(backup);
	h_cleanup(&h_srv);
}

TestSuite(backup, .init = setup, .fini = teardown, .timeout = 180);

/* A sender that keeps streaming watch lines until told to stop. */
struct stream {
	int		port;
	volatile int	stop;
	long		acked;		/* lines acknowledged by SYNC */
};

static void *
keep_streaming(void *arg)
{
	struct stream	*st = arg;
	char		 line[160];
	int		 fd, i, n = 0;

	if ((fd = h_connect_try(st->port)) == -1)
		return (NULL);
	while (!st->stop) {
		for (i = 0; i < 200; i++, n++) {
			int len = snprintf(line, sizeof(line), "2026-01-02T10:%02d:"
			    "%02d,%d,GET /data/m/stream+movie+%d/%d.mpg\n",
			    n / 60 % 60, n % 60, 5000 + n % 700, n % 30, n % 90);

			h_send(fd, line, (size_t)len);
		}
		st->acked = h_sync(fd);
	}
	close(fd);
	return (NULL);
}

static int64_t
count(const char *db, const char *what)
{
	return (h_qi(db, "SELECT COALESCE((SELECT value FROM counters WHERE "
	    "name = '%s'), 0)", what));
}

Test(backup, a_backup_while_serving_restores_to_exactly_its_counts)
{
	struct stream	 st = { 0, 0, 0 };
	struct h_reply	 r;
	pthread_t	 t;
	char		 out[4096], prev[400], line[128], buf[64];
	const char	*save[] = { h_bin(), "backup", "--data-dir", h_srv.dir,
			    backup, NULL };
	const char	*restore[] = { h_bin(), "restore", "--data-dir",
			    h_srv.dir, backup, NULL };
	int64_t		 rates, watches, users;
	int		 fd, i, rc, n;

	h_start(&h_srv, NULL);
	snprintf(dbpath, sizeof(dbpath), "%s/cinerec.db", h_srv.dir);
	snprintf(backup, sizeof(backup), "%s.backup.db", h_srv.dir);
	fd = h_connect(h_srv.ingest_port);
	for (i = 0; i < 300; i++) {
		n = snprintf(line, sizeof(line), "2026-01-01T10:00:00,%d,GET "
		    "/rate/kept+movie+%d=4\n", i, i % 40);
		h_send(fd, line, (size_t)n);
	}
	cr_assert_eq(h_sync(fd), 300);
	close(fd);
	st.port = h_srv.ingest_port;
	cr_assert_eq(pthread_create(&t, NULL, keep_streaming, &st), 0);
	usleep(300000);
	rc = h_run(save, NULL, out, sizeof(out));
	cr_assert_eq(rc, 0, "backup: %s", out);
	/* A restore under the running server is refused. */
	rc = h_run(restore, NULL, out, sizeof(out));
	cr_assert_eq(rc, 1, "restore while serving: %s", out);
	cr_assert(strstr(out, "in use by process") != NULL, "%s", out);
	st.stop = 1;
	pthread_join(t, NULL);
	cr_assert_gt(st.acked, 0);

	cr_assert_str_eq(h_qs(backup, buf, sizeof(buf), "PRAGMA "
	    "integrity_check"), "ok");
	rates = count(backup, "accepted_rate");
	watches = count(backup, "accepted_watch");
	users = h_qi(backup, "SELECT COUNT(*) FROM users");
	cr_assert_eq(rates, 300, "every acknowledged rating is in it");
	cr_assert_eq(h_qi(backup, "SELECT COUNT(*) FROM ratings"), 300);
	cr_log_info("backup taken mid-stream: %lld watch lines of %ld "
	    "acknowledged by the end", (long long)watches, st.acked);
	cr_assert_eq(h_stop(&h_srv), 0);
	cr_assert_geq(count(dbpath, "accepted_watch"), watches);

	rc = h_run(restore, NULL, out, sizeof(out));
	cr_assert_eq(rc, 0, "restore: %s", out);
	cr_assert_eq(count(dbpath, "accepted_rate"), rates);
	cr_assert_eq(count(dbpath, "accepted_watch"), watches);
	cr_assert_eq(h_qi(dbpath, "SELECT COUNT(*) FROM users"), users);
	snprintf(prev, sizeof(prev), "%s/cinerec.db.before-restore", h_srv.dir);
	cr_assert_eq(count(prev, "accepted_watch"), st.acked,
	    "the replaced database is kept beside it");

	/* The server runs on the restored database. */
	h_start(&h_srv, NULL);
	h_http(h_srv.http_port, "GET", "/health", NULL, NULL, 0, &r);
	cr_assert_eq(r.status, 200, "%s", r.body);
	cr_assert_eq(h_json_int(r.body, "ratings"), 300);
	cr_assert_eq(h_stop(&h_srv), 0);
}

Test(backup, restore_refuses_what_is_no_cinerec_database)
{
	sqlite3		*db;
	char		 out[4096];
	const char	*restore[] = { h_bin(), "restore", "--data-dir",
			    h_srv.dir, backup, NULL };
	FILE		*fp;
	int		 rc;

	h_start(&h_srv, NULL);
	cr_assert_eq(h_stop(&h_srv), 0);
	snprintf(dbpath, sizeof(dbpath), "%s/cinerec.db", h_srv.dir);
	snprintf(backup, sizeof(backup), "%s.backup.db", h_srv.dir);

	cr_assert_not_null(fp = fopen(backup, "w"));
	fputs("these bytes are no database at all, not even a header\n", fp);
	fclose(fp);
	rc = h_run(restore, NULL, out, sizeof(out));
	cr_assert_eq(rc, 1, "%s", out);
	cr_assert(strstr(out, "not a sound SQLite database") != NULL, "%s",
	    out);

	unlink(backup);
	cr_assert_eq(sqlite3_open(backup, &db), SQLITE_OK);
	cr_assert_eq(sqlite3_exec(db, "CREATE TABLE t (x); INSERT INTO t "
	    "VALUES (1)", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	rc = h_run(restore, NULL, out, sizeof(out));
	cr_assert_eq(rc, 1, "%s", out);
	cr_assert(strstr(out, "not a cinerec database") != NULL, "%s", out);
	/* Nothing changed. */
	cr_assert_geq(h_qi(dbpath, "SELECT COUNT(*) FROM schema_migrations"),
	    5);
	snprintf(out, sizeof(out), "%s/cinerec.db.before-restore", h_srv.dir);
	cr_assert_eq(access(out, F_OK), -1);
}
