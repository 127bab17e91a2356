/*
 * Integration tests of `cinerec serve`: the real binary on free loopback
 * ports with a temporary SQLite file, driven over TCP ingest and HTTP.
 */
#include <sys/socket.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <sqlite3.h>

#include "harness.h"


TestSuite(server, .init = h_setup, .fini = h_teardown, .timeout = 120);

/* A counter from the server's database (0 when it has no row). */
static long long
db_counter(const char *dir, const char *name)
{
	char	path[512];

	snprintf(path, sizeof(path), "%s/cinerec.db", dir);
	return (h_qi(path, "SELECT COALESCE((SELECT value FROM counters "
	    "WHERE name = '%s'), 0)", name));
}

static void
watch(char *buf, size_t sz, int user, const char *movie, int minute)
{
	snprintf(buf, sz, "2026-01-0%dT10:%02d:00.123,%d,GET /data/m/%s/%d.mpg\n",
	    1 + minute / 60 % 9, minute % 60, user, movie, minute);
}

Test(server, health_on_a_fresh_database)
{
	struct h_reply	r;

	h_start(&h_srv, NULL);
	h_http(h_srv.http_port, "GET", "/health", NULL, NULL, 0, &r);
	cr_assert_eq(r.status, 200);
	cr_assert(strstr(r.headers, "content-type: application/json"));
	cr_assert(strstr(r.body, "\"status\":\"ok\""), "%s", r.body);
	cr_assert_eq(h_json_int(r.body, "schema"),
	    h_json_int(r.body, "schema_latest"));
	cr_assert_geq(h_json_int(r.body, "schema"), 2);
	cr_assert_eq(h_json_int(r.body, "movies"), 0);
	cr_assert_eq(h_json_int(r.body, "lines_accepted"), 0);
	cr_assert_eq(h_stop(&h_srv), 0, "exit status");
}

Test(server, empty_catalogue_answers_an_empty_line)
{
	struct h_reply	r;

	h_start(&h_srv, NULL);
	h_http(h_srv.http_port, "GET", "/recommend/42", NULL, NULL, 0, &r);
	cr_assert_eq(r.status, 200);
	cr_assert(strstr(r.headers, "content-type: text/plain"));
	cr_assert_str_eq(r.body, "\n");
}

Test(server, invalid_user_ids_get_400_with_a_reason)
{
	static const char	*bad[] = { "/recommend/abc", "/recommend/-5",
				    "/recommend/99999999999999999999",
				    "/recommend/", "/recommend/12a",
				    "/recommend/1.5" };
	struct h_reply		 r;
	size_t			 i;

	h_start(&h_srv, NULL);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		h_http(h_srv.http_port, "GET", bad[i], NULL, NULL, 0, &r);
		cr_assert_eq(r.status, 400, "%s gave %d", bad[i], r.status);
		cr_assert(r.len > 1 && r.body[r.len - 1] == '\n' &&
		    strchr(r.body, '\n') == r.body + r.len - 1,
		    "%s: not one line: '%s'", bad[i], r.body);
	}
	h_http(h_srv.http_port, "POST", "/recommend/1", NULL, "", 0, &r);
	cr_assert_eq(r.status, 405);
}

Test(server, tcp_ingest_then_recommend_excludes_what_was_watched)
{
	struct h_reply	 r;
	char		 line[256], buf[8192];
	int		 fd, u, m;
	size_t		 n = 0;
	static const char *movies[] = { "the+lion+king+1994",
	    "am%C3%A9lie+2001", "monsters_+inc.+2001",
	    "cheech++chong+get+out+of+my+room+1985" };

	h_start(&h_srv, NULL);
	fd = h_connect(h_srv.ingest_port);
	/* Popularity: movie m is watched by 10 - 2m users (m = 0..3). */
	for (m = 0; m < 4; m++) {
		for (u = 1; u <= 10 - 2 * m; u++) {
			watch(line, sizeof(line), u, movies[m], 1);
			memcpy(buf + n, line, strlen(line));
			n += strlen(line);
		}
	}
	h_send(fd, buf, n);
	cr_assert_eq(h_sync(fd), 10 + 8 + 6 + 4);
	close(fd);

	/* Committed before OK; each worker's ranking follows within 5 s. */
	cr_assert(h_wait_body(h_srv.http_port, "/recommend/999",
	    "the+lion+king+1994,am%C3%A9lie+2001,monsters_+inc.+2001,"
	    "cheech++chong+get+out+of+my+room+1985\n", 15, &r),
	    "popularity not followed: %s", r.body);
	/* User 7 watched the first two. */
	h_http(h_srv.http_port, "GET", "/recommend/7", NULL, NULL, 0, &r);
	cr_assert_str_eq(r.body, "monsters_+inc.+2001,"
	    "cheech++chong+get+out+of+my+room+1985\n");
	/* User 1 watched everything. */
	h_http(h_srv.http_port, "GET", "/recommend/1", NULL, NULL, 0, &r);
	cr_assert_str_eq(r.body, "\n");

	h_http(h_srv.http_port, "GET", "/health", NULL, NULL, 0, &r);
	cr_assert_eq(h_json_int(r.body, "movies"), 4);
	cr_assert_eq(h_json_int(r.body, "users"), 10);
	cr_assert_eq(h_json_int(r.body, "watches"), 28);
}

Test(server, a_list_right_after_a_committed_watch_reflects_it)
{
	struct h_reply	 r;
	char		 line[256], buf[16384], top[128];
	int		 fd, u, m, round;
	size_t		 n = 0, len;

	h_start(&h_srv, NULL);
	fd = h_connect(h_srv.ingest_port);
	for (m = 0; m < 8; m++)
		for (u = 1; u <= 20 - 2 * m; u++) {
			snprintf(top, sizeof(top), "m%d+2000", m);
			watch(line, sizeof(line), u, top, 1);
			memcpy(buf + n, line, strlen(line));
			n += strlen(line);
		}
	h_send(fd, buf, n);
	cr_assert_gt(h_sync(fd), 0);
	cr_assert(h_wait_body(h_srv.http_port, "/recommend/500", "m0+2000,"
	    "m1+2000,m2+2000,m3+2000,m4+2000,m5+2000,m6+2000,m7+2000\n", 15,
	    &r), "%s", r.body);
	/*
	 * Watch the first movie of the list, and once the watch is committed
	 * ("OK"), ask at once: it is gone, on whichever worker answers.
	 * Before, a worker answered from a snapshot up to a second old.
	 */
	for (round = 0; round < 6; round++) {
		h_http(h_srv.http_port, "GET", "/recommend/500", NULL, NULL, 0,
		    &r);
		len = strcspn(r.body, ",\n");
		cr_assert(len > 0 && len < sizeof(top), "%s", r.body);
		memcpy(top, r.body, len);
		top[len] = '\0';
		watch(line, sizeof(line), 500, top, round);
		h_send(fd, line, strlen(line));
		cr_assert_gt(h_sync(fd), 0);
		for (u = 0; u < 4; u++) {
			h_http(h_srv.http_port, "GET", "/recommend/500", NULL,
			    NULL, 0, &r);
			cr_assert_null(strstr(r.body, top), "round %d: %s still "
			    "listed after its watch was committed: %s", round,
			    top, r.body);
		}
	}
	close(fd);
}

/*
 * Between requests the workers hold no read snapshot, so the WAL can be
 * reset at once after any commit.  Before, each worker kept one open
 * from tick to tick: the writer's reset waited for them, failed under a
 * stream ("WAL of N MB not reset yet") and the WAL grew by hundreds of MB.
 */
Test(server, an_idle_server_holds_no_snapshot_that_keeps_the_wal)
{
	struct h_reply	 r;
	sqlite3		*db;
	char		 line[256], path[512];
	int		 fd, i, rc, frames = -1, reset = 0;

	h_start(&h_srv, NULL);
	fd = h_connect(h_srv.ingest_port);
	snprintf(path, sizeof(path), "%s/cinerec.db", h_srv.dir);
	/* A read first: a checkpoint before it does nothing (WAL unopened). */
	cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
	cr_assert_eq(sqlite3_exec(db, "SELECT count(*) FROM sqlite_master",
	    NULL, NULL, NULL), SQLITE_OK);
	for (i = 0; i < 5; i++) {
		watch(line, sizeof(line), 1 + i, "m1+2000", i);
		h_send(fd, line, strlen(line));
		cr_assert_gt(h_sync(fd), 0);
		/* Both workers read (fold-in), then tick at least once. */
		h_http(h_srv.http_port, "GET", "/recommend/7", NULL, NULL, 0,
		    &r);
		h_http(h_srv.http_port, "GET", "/recommend/8", NULL, NULL, 0,
		    &r);
		usleep(1300 * 1000);
		rc = sqlite3_wal_checkpoint_v2(db, NULL,
		    SQLITE_CHECKPOINT_TRUNCATE, &frames, NULL);
		cr_assert(rc == SQLITE_OK || rc == SQLITE_BUSY, "%s",
		    sqlite3_errmsg(db));
		cr_assert_geq(frames, 0, "not the WAL's checkpoint (none open)");
		reset += rc == SQLITE_OK;
	}
	sqlite3_close(db);
	close(fd);
	cr_assert_geq(reset, 4, "the WAL was reset after %d of 5 commits",
	    reset);
}

Test(server, at_most_twenty_ids_and_ratings_exclude_too)
{
	struct h_reply	 r;
	char		 line[256], movie[64];
	int		 fd, m, commas = 0, i, streak;
	char		*p;

	h_start(&h_srv, NULL);
	fd = h_connect(h_srv.ingest_port);
	for (m = 0; m < 30; m++) {
		snprintf(movie, sizeof(movie), "movie+%d+2000", m);
		watch(line, sizeof(line), 100 + m, movie, 0);
		h_send(fd, line, strlen(line));
	}
	h_send(fd, "2026-01-02T00:00:00,5,GET /rate/movie+0+2000=5\n", 47);
	cr_assert_eq(h_sync(fd), 31);
	close(fd);
	/* Until both workers' rankings hold the 30 movies. */
	for (i = 0, streak = 0; i < 150 && streak < 6; i++) {
		h_http(h_srv.http_port, "GET", "/recommend/6", NULL, NULL, 0, &r);
		for (p = r.body, commas = 0; *p != '\0'; p++)
			commas += *p == ',';
		streak = commas == 19 ? streak + 1 : 0;
		if (streak == 0)
			usleep(100000);
	}
	h_http(h_srv.http_port, "GET", "/recommend/5", NULL, NULL, 0, &r);
	for (p = r.body, commas = 0; *p != '\0'; p++)
		commas += *p == ',';
	cr_assert_eq(commas, 19, "20 ids expected: %s", r.body);
	cr_assert_null(strstr(r.body, "movie+0+2000,"), "%s", r.body);
	cr_assert(strncmp(r.body, "movie+0+2000", 12) != 0, "%s", r.body);
	cr_assert_null(strchr(r.body, ' '));
}

Test(server, partial_lines_across_writes_and_many_connections)
{
	char	 line[256];
	int	 fds[16], i, k;
	long	 total = 0;

	h_start(&h_srv, NULL);
	for (i = 0; i < 16; i++)
		fds[i] = h_connect(h_srv.ingest_port);
	/* Interleave: every connection sends its lines in two halves. */
	for (k = 0; k < 50; k++) {
		for (i = 0; i < 16; i++) {
			watch(line, sizeof(line), 1000 + i, "split+movie+1999",
			    k);
			h_send(fds[i], line, 10);
		}
		usleep(1000);
		for (i = 0; i < 16; i++) {
			watch(line, sizeof(line), 1000 + i, "split+movie+1999",
			    k);
			h_send(fds[i], line + 10, strlen(line) - 10);
		}
	}
	for (i = 0; i < 16; i++) {
		total += h_sync(fds[i]);
		close(fds[i]);
	}
	cr_assert_eq(total, 16 * 50);
	cr_assert_eq(db_counter(h_srv.dir, "accepted_watch"), 16 * 50);
	cr_assert_eq(db_counter(h_srv.dir, "watches"), 16);
	cr_assert_eq(db_counter(h_srv.dir, "rejected_truncated"), 0);
}

Test(server, dirty_lines_are_counted_per_reason_and_good_ones_kept)
{
	struct h_reply	 r;
	const char	*dirty =
	    "2026-01-01T00:00:00,1,GET /rate/good+movie+2000=4\r\n"
	    "2026-01-01T00:00:00,1,GET /rate/good+movie+2000=9\n"
	    "2026-13-01T00:00:00,1,GET /data/m/good+movie+2000/1.mpg\n"
	    "2026-01-01T00:00:00,abc,GET /data/m/good+movie+2000/1.mpg\n"
	    "2026-01-01T00:00:00,2,GET /data/m/good+movie+2000/-1.mpg\n"
	    "2026-01-01T00:00:00,2,GET /data/m/bad%ZZmovie/1.mpg\n"
	    "\x01\x02\xff junk\n"
	    "2026-01-01T00:00:00,3,GET /data/m/good+mo\n"
	    "\n"
	    "2026-01-01T00:00:00.123456789,3,GET /data/m/good+movie+2000/7.mpg\n";
	int		 fd;

	h_start(&h_srv, NULL);
	fd = h_connect(h_srv.ingest_port);
	h_send(fd, dirty, strlen(dirty));
	cr_assert_eq(h_sync(fd), 2);
	h_send(fd, "STATS\n", 6);
	{
		char	line[512];

		cr_assert(h_readline(fd, line, sizeof(line), 5000) > 0);
		cr_assert_str_eq(line, "STATS 2 7 binary=1 truncated=1 "
		    "bad_time=1 bad_user=1 bad_movie=1 bad_minute=1 "
		    "bad_rating=1");
	}
	close(fd);
	h_http(h_srv.http_port, "GET", "/health", NULL, NULL, 0, &r);
	cr_assert_eq(h_json_int(r.body, "lines_accepted"), 2);
	cr_assert_eq(h_json_int(r.body, "lines_rejected"), 7);
	cr_assert_eq(db_counter(h_srv.dir, "rejected_bad_rating"), 1);
	cr_assert_eq(db_counter(h_srv.dir, "rejected_binary"), 1);
}

Test(server, post_events_answers_counts_after_commit)
{
	struct h_reply	 r;
	const char	*body =
	    "2026-01-01T00:00:00,1,GET /data/m/posted+movie+2000/1.mpg\n"
	    "2026-01-01T00:00:00,1,GET /rate/posted+movie+2000=0\n"
	    "2026-01-01T00:00:01,2,recommendation request 10.0.0.1:8082, "
	    "status 200, result: a+1, b+2, 12 ms\n"
	    "nonsense\n"
	    "2026-01-01T00:00:02,2,GET /data/m/posted+movie+2000/2.mpg";

	h_start(&h_srv, NULL);
	h_http(h_srv.http_port, "POST", "/events",
	    "Content-Type: text/plain\r\n", body, strlen(body), &r);
	cr_assert_eq(r.status, 200, "%d %s", r.status, r.body);
	cr_assert_str_eq(r.body, "{\"accepted\":3,\"rejected\":2,"
	    "\"reasons\":{\"truncated\":1,\"bad_rating\":1}}\n");
	/* Committed before the answer: the database has it now. */
	cr_assert_eq(db_counter(h_srv.dir, "accepted_watch"), 2);
	cr_assert_eq(db_counter(h_srv.dir, "recos"), 1);
	h_http(h_srv.http_port, "GET", "/events", NULL, NULL, 0, &r);
	cr_assert_eq(r.status, 405);
}

Test(server, post_events_over_the_limit_gets_413)
{
	struct h_reply	 r;
	char		 conf[512], *big;
	const char	*extra[] = { "--config", conf, NULL };
	FILE		*fp;

	h_tmpdir(h_srv.dir, sizeof(h_srv.dir));
	snprintf(conf, sizeof(conf), "%s/test.conf", h_srv.dir);
	cr_assert_not_null(fp = fopen(conf, "w"));
	fprintf(fp, "# a 1 KiB body limit\nevents_body_max_kb = 1\n");
	fclose(fp);
	h_start(&h_srv, extra);
	big = malloc(4096);
	memset(big, 'x', 4096);
	h_http(h_srv.http_port, "POST", "/events", NULL, big, 4096, &r);
	free(big);
	cr_assert_eq(r.status, 413);
	cr_assert_eq(db_counter(h_srv.dir, "rejected_too_long"), 0);
}

Test(server, sigterm_commits_everything_already_sent)
{
	char	 buf[1 << 16], line[256];
	size_t	 n = 0;
	int	 fd, k;

	h_start(&h_srv, NULL);
	fd = h_connect(h_srv.ingest_port);
	for (k = 0; k < 500; k++) {
		watch(line, sizeof(line), k, "last+movie+2020", k % 100);
		memcpy(buf + n, line, strlen(line));
		n += strlen(line);
	}
	/* No SYNC: stop right after sending. */
	h_send(fd, buf, n);
	usleep(50000);
	cr_assert_eq(h_stop(&h_srv), 0);
	close(fd);
	cr_assert_eq(db_counter(h_srv.dir, "accepted_watch"), 500);
	cr_assert_eq(db_counter(h_srv.dir, "users"), 500);
}

Test(server, data_survives_a_restart)
{
	struct h_reply	 r;
	char		 line[256];
	int		 fd;

	h_start(&h_srv, NULL);
	fd = h_connect(h_srv.ingest_port);
	watch(line, sizeof(line), 77, "kept+movie+2000", 3);
	h_send(fd, line, strlen(line));
	cr_assert_eq(h_sync(fd), 1);
	close(fd);
	cr_assert_eq(h_stop(&h_srv), 0);
	h_start(&h_srv, NULL);
	h_http(h_srv.http_port, "GET", "/health", NULL, NULL, 0, &r);
	cr_assert_eq(h_json_int(r.body, "movies"), 1);
	cr_assert_eq(h_json_int(r.body, "lines_accepted"), 1);
	h_http(h_srv.http_port, "GET", "/recommend/78", NULL, NULL, 0, &r);
	cr_assert_str_eq(r.body, "kept+movie+2000\n");
}

Test(server, a_newer_database_is_refused)
{
	sqlite3		*db;
	char		 path[512], out[4096];
	const char	*argv[] = { h_bin(), "serve", "--data-dir", h_srv.dir,
			    "--http", "127.0.0.1:1", NULL };
	int		 rc;

	h_tmpdir(h_srv.dir, sizeof(h_srv.dir));
	argv[3] = h_srv.dir;
	snprintf(path, sizeof(path), "%s/cinerec.db", h_srv.dir);
	cr_assert(sqlite3_open(path, &db) == SQLITE_OK);
	cr_assert(sqlite3_exec(db, "CREATE TABLE schema_migrations (version "
	    "INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_ms INTEGER NOT "
	    "NULL); INSERT INTO schema_migrations VALUES (999, 'future', 0);",
	    NULL, NULL, NULL) == SQLITE_OK);
	sqlite3_close(db);
	rc = h_run(argv, NULL, out, sizeof(out));
	cr_assert_neq(rc, 0);
	cr_assert(strstr(out, "newer than this cinerec"), "%s", out);
}

Test(server, a_taken_port_is_a_clear_error)
{
	char		 out[4096], http[32], other[64];
	const char	*argv[] = { h_bin(), "serve", "--data-dir", other,
			    "--http", http, "--ingest", "127.0.0.1:0", NULL };
	int		 rc, fd;

	/* Its own data dir: the port is what is in the way. */
	h_tmpdir(other, sizeof(other));
	h_start(&h_srv, NULL);
	snprintf(http, sizeof(http), "127.0.0.1:%d", h_srv.http_port);
	rc = h_run(argv, NULL, out, sizeof(out));
	h_rmrf(other);
	cr_assert_neq(rc, 0);
	cr_assert(strstr(out, "cannot listen for HTTP"), "%s", out);
	/* The first server is unharmed. */
	fd = h_connect(h_srv.http_port);
	close(fd);
}

Test(server, an_ingest_token_is_required_once_set)
{
	struct h_reply	 r;
	char		 conf[512], line[256];
	const char	*extra[] = { "--config", conf, NULL };
	const char	*body = "2026-01-01T00:00:00,1,GET /rate/tok+2000=4\n";
	const char	*auth = "Authorization: Bearer s3cret-test-token\r\n";
	FILE		*fp;
	int		 fd;

	h_tmpdir(h_srv.dir, sizeof(h_srv.dir));
	snprintf(conf, sizeof(conf), "%s/test.conf", h_srv.dir);
	cr_assert_not_null(fp = fopen(conf, "w"));
	fprintf(fp, "ingest_token = s3cret-test-token\n");
	fclose(fp);
	h_start(&h_srv, extra);

	/* No AUTH first: refused, closed, nothing taken. */
	fd = h_connect(h_srv.ingest_port);
	h_send(fd, body, strlen(body));
	cr_assert(h_readline(fd, line, sizeof(line), 5000) > 0);
	cr_assert_str_eq(line, "ERR unauthorized");
	cr_assert_eq(h_readline(fd, line, sizeof(line), 5000), -1,
	    "the connection stays open");
	close(fd);
	/* A wrong token: the same. */
	fd = h_ingest_auth(h_srv.ingest_port, "s3cret-test-tokeX", line,
	    sizeof(line));
	cr_assert_str_eq(line, "ERR unauthorized");
	close(fd);
	/* The right one. */
	fd = h_ingest_auth(h_srv.ingest_port, "s3cret-test-token", line,
	    sizeof(line));
	cr_assert_str_eq(line, "OK");
	h_send(fd, body, strlen(body));
	cr_assert_eq(h_sync(fd), 1);
	close(fd);

	h_http(h_srv.http_port, "POST", "/events", NULL, body, strlen(body), &r);
	cr_assert_eq(r.status, 401, "%d %s", r.status, r.body);
	h_http(h_srv.http_port, "POST", "/events", auth, body, strlen(body), &r);
	cr_assert_eq(r.status, 200, "%d %s", r.status, r.body);
	cr_assert_eq(db_counter(h_srv.dir, "accepted_rate"), 2);
}

Test(server, ingest_beyond_loopback_needs_a_token)
{
	char		 out[4096], ingest[32];
	const char	*argv[] = { h_bin(), "serve", "--data-dir", h_srv.dir,
			    "--ingest", ingest, NULL };

	h_tmpdir(h_srv.dir, sizeof(h_srv.dir));
	argv[3] = h_srv.dir;
	snprintf(ingest, sizeof(ingest), "0.0.0.0:%d", h_free_port());
	cr_assert_eq(h_run(argv, NULL, out, sizeof(out)), 1, "%s", out);
	cr_assert(strstr(out, "set ingest_token"), "%s", out);
}
