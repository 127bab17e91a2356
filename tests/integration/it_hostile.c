/*
 * Hostile input against the real server, over HTTP and the TCP ingest:
 * request bodies that carry the internal socket's verbs, senders that never
 * read their answers or never authenticate, a token changed while senders
 * are connected, oversized request lines and headers, request bodies in
 * flight beyond the budget.  Each case checks that the server stays within
 * its memory bounds, keeps every good line and answers other clients.
 */
#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "harness.h"
#include "util/clock.h"

static char		dbpath[320];

TestSuite(hostile, .init = h_setup, .fini = h_teardown, .timeout = 180);

static void
start(const char *conf)
{
	const char	*extra[] = { "--config", NULL, NULL };

	if (conf != NULL)
		extra[1] = h_config(&h_srv, conf);
	h_start(&h_srv, conf != NULL ? extra : NULL);
	snprintf(dbpath, sizeof(dbpath), "%s/cinerec.db", h_srv.dir);
}

/* The worker whose title is "[wrk N]", or -1. */
static pid_t
worker(int n)
{
	pid_t	kids[16];
	char	path[64], cmd[256], want[16];
	int	i, k;
	FILE	*fp;
	size_t	len;

	snprintf(want, sizeof(want), "[wrk %d]", n);
	k = h_children(h_srv.pid, kids, 16);
	for (i = 0; i < k; i++) {
		snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)kids[i]);
		if ((fp = fopen(path, "r")) == NULL)
			continue;
		len = fread(cmd, 1, sizeof(cmd) - 1, fp);
		fclose(fp);
		cmd[len] = '\0';
		if (strstr(cmd, want) != NULL)
			return (kids[i]);
	}
	return (-1);
}

/*
 * A POST /events body is data, line by line: the internal socket's verbs
 * (TRAIN, SERVED) and the TCP protocol's (SYNC, STATS, AUTH) are rejected
 * lines like any other text, nothing is trained or forged, and the answer
 * counts exactly the lines committed.
 */
Test(hostile, post_events_bodies_are_data_only)
{
	struct h_reply	 r;
	const char	*body =
	    "2026-01-01T10:00:00,5,GET /data/m/good+movie+2001/1.mpg\n"
	    "TRAIN\n"
	    "SERVED 1767261600000 42 1 - 10 1 1\n"
	    "SYNC\n"
	    "STATS\n"
	    "AUTH guess\n"
	    "2026-01-01T10:00:01,6,GET /rate/good+movie+2001=4\n";

	start(NULL);
	h_http(h_srv.http_port, "POST", "/events", NULL, body, strlen(body), &r);
	cr_assert_eq(r.status, 200, "%d %s", r.status, r.body);
	cr_assert_eq(h_json_int(r.body, "accepted"), 2, "%s", r.body);
	cr_assert_eq(h_json_int(r.body, "rejected"), 5, "%s", r.body);
	/* What the answer says is what the database has, now. */
	cr_assert_eq(h_qi(dbpath, "SELECT value FROM counters WHERE name = "
	    "'accepted_watch'"), 1);
	cr_assert_eq(h_qi(dbpath, "SELECT value FROM counters WHERE name = "
	    "'accepted_rate'"), 1);
	/* A training would have recorded its run at once. */
	usleep(1500000);
	cr_assert_eq(h_qi(dbpath, "SELECT COUNT(*) FROM training_runs"), 0,
	    "TRAIN in a body started a training");
	cr_assert_eq(h_qi(dbpath, "SELECT COUNT(*) FROM reco_log WHERE "
	    "user_id = 42"), 0, "SERVED in a body forged a list");
	/* The same body again: the same answer, nothing double-counted. */
	h_http(h_srv.http_port, "POST", "/events", NULL, body, strlen(body), &r);
	cr_assert_eq(r.status, 200, "%d %s", r.status, r.body);
	cr_assert_eq(h_json_int(r.body, "accepted"), 2);
	cr_assert_eq(h_qi(dbpath, "SELECT value FROM counters WHERE name = "
	    "'accepted_rate'"), 2);
}

/* Every user id the API accepts has its lists logged. */
Test(hostile, lists_served_to_the_largest_user_ids_are_logged)
{
	struct h_reply	r;
	int		i;
	int64_t		n = 0;

	start(NULL);
	h_http(h_srv.http_port, "GET", "/recommend/9223372036854775807", NULL,
	    NULL, 0, &r);
	cr_assert_eq(r.status, 200);
	h_http(h_srv.http_port, "GET", "/recommend/9223372036854775801", NULL,
	    NULL, 0, &r);
	cr_assert_eq(r.status, 200);
	for (i = 0; i < 100 && n < 2; i++) {
		usleep(100000);
		n = h_qi(dbpath, "SELECT COUNT(*) FROM reco_log WHERE user_id "
		    ">= 9223372036854775800");
	}
	cr_assert_eq(n, 2, "lists of the largest ids were not logged");
}

/*
 * Setting the token from the dashboard closes the connections that were
 * let in without one; a sender reconnects with AUTH.
 */
Test(hostile, a_token_set_live_closes_unauthenticated_connections)
{
	struct h_reply	 r;
	char		 cookie[256], csrf[128], line[128];
	const char	*rate = "2026-01-01T00:00:00,7,GET /rate/tok+live+2000=4\n";
	int		 fd, fd2, i, got = 0;

	start(NULL);
	fd = h_connect(h_srv.ingest_port);
	cr_assert_eq(h_send_sync(fd, rate), 1);
	h_admin_login(&h_srv, cookie, sizeof(cookie), csrf, sizeof(csrf));
	h_admin_post(&h_srv, cookie, csrf, "/api/settings",
	    "key=ingest_token&value=rotated-live-token-1", &r);
	cr_assert_eq(r.status, 200, "%d %s", r.status, r.body);
	/* Applied within a second or two: the open connection is closed. */
	for (i = 0; i < 50 && !got; i++) {
		line[0] = '\0';
		if (h_readline(fd, line, sizeof(line), 100) > 0)
			got = strncmp(line, "ERR", 3) == 0;
		else
			got = recv(fd, line, 1, MSG_DONTWAIT) == 0;
	}
	cr_assert(got, "the unauthenticated connection stayed open");
	/* Whatever it sends now is not taken. */
	(void)send(fd, rate, strlen(rate), MSG_NOSIGNAL);
	close(fd);
	fd2 = h_ingest_auth(h_srv.ingest_port, "rotated-live-token-1", line,
	    sizeof(line));
	cr_assert_str_eq(line, "OK");
	cr_assert_eq(h_send_sync(fd2, rate), 1);
	close(fd2);
	cr_assert_eq(h_qi(dbpath, "SELECT value FROM counters WHERE name = "
	    "'accepted_rate'"), 2);
}

/*
 * Regression (seccomp.c), fixed: libuv's loop yields the CPU (sched_yield)
 * when it meets an async send still in flight, which the sandbox did not
 * allow: a token change killed the ingest thread about one time in two,
 * and from then on no event was taken.  Many changes, and it still takes
 * events.
 */
Test(hostile, the_ingest_survives_many_token_changes)
{
	struct h_reply	 r;
	char		 cookie[256], csrf[128], form[128], tok[32], line[128];
	const char	*rate = "2026-01-01T00:00:00,8,GET /rate/many+tok+2000=3\n";
	int		 fd, i;

	start(NULL);
	h_admin_login(&h_srv, cookie, sizeof(cookie), csrf, sizeof(csrf));
	/* Spaced so that worker 1's ingest takes each one. */
	for (i = 0; i < 8; i++) {
		snprintf(tok, sizeof(tok), "rotated-token-%02d", i);
		snprintf(form, sizeof(form), "key=ingest_token&value=%s", tok);
		h_admin_post(&h_srv, cookie, csrf, "/api/settings", form, &r);
		cr_assert_eq(r.status, 200, "%d %s", r.status, r.body);
		(void)poll(NULL, 0, 600);
	}
	/* Applied within a tick or two of every worker. */
	for (i = 0; i < 50; i++) {
		fd = h_ingest_auth(h_srv.ingest_port, tok, line, sizeof(line));
		if (strcmp(line, "OK") == 0)
			break;
		close(fd);
		fd = -1;
		(void)poll(NULL, 0, 100);
	}
	cr_assert_neq(fd, -1, "the last token was never in force");
	cr_assert_eq(h_send_sync(fd, rate), 1, "the ingest no longer answers");
	close(fd);
	h_http(h_srv.http_port, "GET", "/health", NULL, NULL, 0, &r);
	cr_assert_eq(r.status, 200, "%s", r.body);
}

/* A connection sends SYNC after SYNC and never reads an answer. */
struct flood {
	int	 port;
	int64_t	 sent;		/* bytes */
	int	 seconds;
};

static void *
sync_flood(void *arg)
{
	struct flood	*f = arg;
	static char	 buf[1 << 16];
	int64_t		 end = clock_mono_ms() + f->seconds * 1000LL;
	struct pollfd	 p;
	ssize_t		 n;
	size_t		 i;
	int		 fd;

	for (i = 0; i + 5 <= sizeof(buf); i += 5)
		memcpy(buf + i, "SYNC\n", 5);
	if ((fd = h_connect_try(f->port)) == -1)
		return (NULL);
	fcntl(fd, F_SETFL, O_NONBLOCK);
	p.fd = fd;
	p.events = POLLOUT;
	while (clock_mono_ms() < end && f->sent < (int64_t)(10 << 20) * 5) {
		if (poll(&p, 1, 100) != 1)
			continue;
		if ((n = send(fd, buf, i, MSG_NOSIGNAL)) > 0)
			f->sent += n;
		else if (n == -1 && errno != EAGAIN)
			break;
	}
	close(fd);
	return (NULL);
}

/*
 * The answers to a sender that never reads stay bounded (the server stops
 * reading that connection until its answers are taken), and other
 * senders' SYNCs are still answered.
 */
Test(hostile, answers_to_a_sender_that_never_reads_are_bounded)
{
	struct flood	 f;
	pthread_t	 t;
	pid_t		 w1;
	long		 before, after;
	int		 fd, i;

	start(NULL);
	cr_assert_gt(w1 = worker(1), 0);
	before = h_proc_kb(w1, "VmRSS");
	f = (struct flood){ h_srv.ingest_port, 0, 8 };
	cr_assert_eq(pthread_create(&t, NULL, sync_flood, &f), 0);
	fd = h_connect(h_srv.ingest_port);
	for (i = 0; i < 20; i++) {
		cr_assert_eq(h_sync(fd), 0, "another sender's SYNC");
		usleep(200000);
	}
	pthread_join(t, NULL);
	after = h_proc_kb(w1, "VmHWM");
	close(fd);
	cr_log_info("flood: %lld bytes of SYNC sent; worker 1 RSS %ld KiB "
	    "before, peak %ld KiB", (long long)f.sent, before, after);
	cr_assert_lt(after - before, 64 * 1024,
	    "worker 1 grew by %ld KiB", after - before);
}

/* Beyond ingest_max_conns, a sender is told so and closed. */
Test(hostile, connections_beyond_the_cap_are_refused)
{
	char	line[128];
	int	fd[8], extra, i;

	start("ingest_max_conns = 8\n");
	for (i = 0; i < 8; i++) {
		fd[i] = h_connect(h_srv.ingest_port);
		/* Each is accepted before the next: a SYNC round trip. */
		cr_assert_eq(h_sync(fd[i]), 0);
	}
	extra = h_connect(h_srv.ingest_port);
	cr_assert(h_readline(extra, line, sizeof(line), 5000) > 0,
	    "no answer beyond the cap");
	cr_assert_str_eq(line, "ERR too many connections");
	cr_assert_eq(h_readline(extra, line, sizeof(line), 5000), -1);
	close(extra);
	close(fd[0]);
	/* A place is free again. */
	for (i = 0; i < 50; i++) {
		extra = h_connect(h_srv.ingest_port);
		h_send(extra, "SYNC\n", 5);
		if (h_readline(extra, line, sizeof(line), 5000) > 0 &&
		    strcmp(line, "OK 0") == 0)
			break;
		close(extra);
		extra = -1;
		usleep(100000);
	}
	cr_assert_neq(extra, -1, "the freed place was not given again");
	close(extra);
	for (i = 1; i < 8; i++)
		close(fd[i]);
}

/* With a token set, a sender that does not authenticate in time is dropped. */
Test(hostile, a_sender_that_never_authenticates_is_dropped)
{
	char	line[128];
	int	fd;
	int64_t	t0;

	start("ingest_token = drop-test-token\ningest_auth_timeout_s = 1\n");
	fd = h_connect(h_srv.ingest_port);
	t0 = clock_mono_ms();
	cr_assert(h_readline(fd, line, sizeof(line), 10000) > 0,
	    "the silent sender was not dropped");
	cr_assert_str_eq(line, "ERR authentication timeout");
	cr_assert_eq(h_readline(fd, line, sizeof(line), 5000), -1);
	cr_assert_geq(clock_mono_ms() - t0, 900, "dropped before its time");
	close(fd);
}

/* Oversized request lines and headers are answered, not reset. */
Test(hostile, oversized_request_lines_and_headers_get_414_and_431)
{
	char	*req, resp[256];
	size_t	 len;
	ssize_t	 n;
	int	 fd, k;
	struct {
		size_t	 path, header;
		int	 status;
	} cases[] = {
		{ 100000, 0, 414 },	/* the request line alone is too long */
		{ 10, 65536, 431 },	/* one huge header */
		{ 10, 20000, 431 },
	};

	start(NULL);
	req = malloc(200000);
	for (k = 0; k < 3; k++) {
		len = (size_t)sprintf(req, "GET /");
		memset(req + len, 'a', cases[k].path);
		len += cases[k].path;
		len += (size_t)sprintf(req + len, " HTTP/1.1\r\nHost: x\r\n");
		if (cases[k].header > 0) {
			len += (size_t)sprintf(req + len, "X-Big: ");
			memset(req + len, 'b', cases[k].header);
			len += cases[k].header;
			len += (size_t)sprintf(req + len, "\r\n");
		}
		len += (size_t)sprintf(req + len, "\r\n");
		fd = h_connect(h_srv.http_port);
		(void)send(fd, req, len, MSG_NOSIGNAL);
		n = recv(fd, resp, sizeof(resp) - 1, 0);
		close(fd);
		cr_assert_gt(n, 12, "case %d: no answer (%s)", k,
		    n == -1 ? strerror(errno) : "closed");
		resp[n] = '\0';
		cr_assert_eq(atoi(resp + 9), cases[k].status, "case %d: %.40s",
		    k, resp);
	}
	free(req);
	/* The server is fine. */
	h_http(h_srv.http_port, "GET", "/ping", NULL, NULL, 0,
	    &(struct h_reply){ 0 });
}

/* One big POST /events, in its own thread. */
struct poster {
	int		 port;
	size_t		 lines;
	int		 status;
	char		 retry_after[16];
	long long	 accepted;
	int		 user;
};

static void *
post_big(void *arg)
{
	struct poster	*p = arg;
	struct h_reply	*r = malloc(sizeof(*r));
	char		*body, *s;
	size_t		 i, len = 0;

	body = malloc(p->lines * 80);
	for (i = 0; i < p->lines; i++)
		len += (size_t)sprintf(body + len, "2026-01-01T10:00:%02zu,%d,"
		    "GET /data/m/big+body+2001/%zu.mpg\n", i % 60, p->user,
		    i % 200);
	h_http(p->port, "POST", "/events", NULL, body, len, r);
	p->status = r->status;
	if ((s = strstr(r->headers, "retry-after: ")) != NULL)
		snprintf(p->retry_after, sizeof(p->retry_after), "%.*s",
		    (int)strcspn(s + 13, "\r\n"), s + 13);
	if (r->status == 200)
		p->accepted = atoll(strstr(r->body, "\"accepted\":") + 11);
	free(body);
	free(r);
	return (NULL);
}

/*
 * Bodies in flight are bounded in total: beyond events_inflight_mb the
 * server answers 503 with Retry-After at once, without reading the body;
 * every body it took is committed in full; the workers' memory stays
 * within the budget.
 */
Test(hostile, request_bodies_in_flight_are_bounded_in_total)
{
	struct poster	 p[10];
	pthread_t	 t[10];
	pid_t		 w[2];
	long		 base[2], peak;
	int		 i, ok = 0, busy = 0;
	long long	 committed = 0;

	start("events_inflight_mb = 12\n");
	for (i = 0; i < 2; i++) {
		cr_assert_gt(w[i] = worker(i + 1), 0);
		base[i] = h_proc_kb(w[i], "VmRSS");
	}
	for (i = 0; i < 10; i++) {
		/* About 5.4 MB each: two fit the budget at once. */
		p[i] = (struct poster){ h_srv.http_port, 100000, 0, "", 0,
		    1000 + i };
		cr_assert_eq(pthread_create(&t[i], NULL, post_big, &p[i]), 0);
	}
	for (i = 0; i < 10; i++) {
		pthread_join(t[i], NULL);
		if (p[i].status == 200) {
			ok++;
			cr_assert_eq(p[i].accepted, 100000);
			committed += p[i].accepted;
		} else {
			cr_assert_eq(p[i].status, 503, "post %d: %d", i,
			    p[i].status);
			cr_assert_neq(p[i].retry_after[0], '\0',
			    "503 without Retry-After");
			busy++;
		}
	}
	cr_log_info("bodies: %d committed, %d refused for now", ok, busy);
	cr_assert_gt(busy, 0, "ten bodies at once all fit a 12 MiB budget?");
	cr_assert_gt(ok, 0);
	cr_assert_eq(h_qi(dbpath, "SELECT value FROM counters WHERE name = "
	    "'accepted_watch'"), committed);
	for (i = 0; i < 2; i++) {
		peak = h_proc_kb(w[i], "VmHWM");
		cr_assert_lt(peak - base[i], 48 * 1024, "worker %d grew by "
		    "%ld KiB", i + 1, peak - base[i]);
	}
}

/* The database and its journal are the service's alone. */
Test(hostile, the_database_files_are_private)
{
	struct stat	sb;
	char		path[400];
	const char	*files[] = { "cinerec.db", "cinerec.db-wal",
			    "cinerec.db-shm" };
	int		i;

	start(NULL);
	for (i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/%s", h_srv.dir, files[i]);
		cr_assert_eq(stat(path, &sb), 0, "%s", path);
		cr_assert_eq(sb.st_mode & 077, 0, "%s is mode %o", files[i],
		    sb.st_mode & 0777);
	}
}

/* /health says the ingest is down when POST /events cannot reach it. */
Test(hostile, health_reports_an_unreachable_ingest)
{
	struct h_reply	 r;
	char		 path[400];
	const char	*body = "2026-01-01T10:00:00,5,GET /rate/x+2001=4\n";
	int		 i;

	start(NULL);
	snprintf(path, sizeof(path), "%s/events.sock", h_srv.dir);
	(void)unlink(path);
	for (i = 0; i < 50; i++) {
		h_http(h_srv.http_port, "GET", "/health", NULL, NULL, 0, &r);
		if (r.status == 503)
			break;
		usleep(100000);
	}
	cr_assert_eq(r.status, 503, "/health: %d %s", r.status, r.body);
	cr_assert(strstr(r.body, "\"ingest\":{\"ok\":false") != NULL, "%s",
	    r.body);
	h_http(h_srv.http_port, "POST", "/events", NULL, body, strlen(body), &r);
	cr_assert_eq(r.status, 503);
}
