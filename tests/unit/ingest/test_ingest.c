/*
 * Unit tests for app/ingest/ingest.c: the ingest loop (and its connections,
 * conn.c) started in-process as the server's worker 1 starts it, driven
 * over real loopback TCP and Unix sockets: SYNC and full batches, STATS,
 * rejections, over-long lines, AUTH, token changes and the auth timeout,
 * POST /events bodies, the control socket, the connection limit, failing
 * commits, unread answers, start failures, metrics and the orderly stop.
 */
#include <criterion/criterion.h>

#include "harness.h"
#include "scratch.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <arpa/inet.h>
#include <netinet/in.h>

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

#include "ingest/ingest.h"
#include "ingest/ingest_int.h"
#include "store/store.h"
#include "settings/config.h"
#include "telemetry/metrics.h"

#define TS		"2020-03-01T10:00:00"
#define WATCH(u, m, n)	TS "," #u ",GET /data/m/" m "/" #n ".mpg\n"
#define RATE(u, m, r)	TS "," #u ",GET /rate/" m "=" #r "\n"
#define SERVED_AB	"SERVED 1583056800000 77 3 arm-b 150 2 2,1\n"

static struct ingest		*ing;
static struct ingest_opts	 o;
static char			 evpath[128], ctlpath[128];
static int			 trains;	/* TRAIN callbacks */

static void
on_train(void *arg)
{
	__atomic_add_fetch((int *)arg, 1, __ATOMIC_SEQ_CST);
}

/* The options as kore_worker_configure fills them from the defaults. */
static void
setup(void)
{
	static struct cfg	cfg;

	signal(SIGPIPE, SIG_IGN);
	h_scratch_setup();
	cfg_defaults(&cfg);
	snprintf(evpath, sizeof(evpath), "%s/events.sock", h_dir);
	snprintf(ctlpath, sizeof(ctlpath), "%s/control.sock", h_dir);
	memset(&o, 0, sizeof(o));
	o.data_dir = h_dir;
	o.host = cfg.ingest_host;
	o.port = (uint16_t)h_free_port();
	o.events_path = evpath;
	o.control_path = ctlpath;
	o.batch_events = cfg.batch_events;
	o.batch_ms = cfg.batch_ms;
	o.click_window_ms = (int64_t)cfg.click_window_s * 1000;
	o.reco_log_days = cfg.reco_log_days;
	o.reco_rollup_s = cfg.reco_rollup_s;
	o.token = cfg.ingest_token;
	o.max_conns = cfg.ingest_max_conns;
	o.auth_timeout_ms = (int64_t)cfg.ingest_auth_timeout_s * 1000;
	o.train = on_train;
	o.train_arg = &trains;
	trains = 0;
	ing = NULL;
}

static void
teardown(void)
{
	if (ing != NULL)
		ingest_stop(ing);
	ing = NULL;
	h_scratch_teardown();
}

TestSuite(ingest, .init = setup, .fini = teardown, .timeout = 60);

/* ---- helpers */

#define qi(...)		h_qi(h_db, __VA_ARGS__)

static void
start(void)
{
	cr_assert_not_null(ing = ingest_start(&o), "ingest_start failed");
}

static void
stop(void)
{
	ingest_stop(ing);
	ing = NULL;
}

static void
sleep_ms(int ms)
{
	struct timespec	ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static int
unix_connect(const char *path)
{
	struct sockaddr_un	sa;
	int			fd;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	cr_assert((fd = socket(AF_UNIX, SOCK_STREAM, 0)) != -1);
	cr_assert_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0,
	    "connect %s: %s", path, strerror(errno));
	return (fd);
}

static void
say(int fd, const char *s)
{
	h_send(fd, s, strlen(s));
}

/* The next answer on fd must be want. */
static void
expect(int fd, const char *want)
{
	char	line[512];

	cr_assert(h_readline(fd, line, sizeof(line), 5000) >= 0,
	    "no answer, wanted '%s'", want);
	cr_assert_str_eq(line, want);
}

/* The server closes fd with nothing more to say. */
static void
expect_eof(int fd)
{
	struct pollfd	pfd = { fd, POLLIN, 0 };
	ssize_t		n;
	char		c;

	cr_assert_eq(poll(&pfd, 1, 5000), 1, "the server did not close");
	n = read(fd, &c, 1);
	cr_assert(n == 0 || (n == -1 && errno == ECONNRESET),
	    "more after the end: %zd '%c'", n, n == 1 ? c : ' ');
	close(fd);
}

/* One POST /events body, ended: its answer must be want, then EOF. */
static void
post(const char *body, const char *want)
{
	int	fd = unix_connect(evpath);

	say(fd, body);
	cr_assert_eq(shutdown(fd, SHUT_WR), 0);
	expect(fd, want);
	expect_eof(fd);
}

static int
auth(const char *token)
{
	char	line[128];
	int	fd = h_ingest_auth(o.port, token, line, sizeof(line));

	cr_assert_str_eq(line, "OK");
	return (fd);
}

/* Two round trips on z, a sender already in: those made before are in. */
static void
settle(int z)
{
	int	i;

	for (i = 0; i < 2; i++) {
		say(z, "STATS\n");
		expect(z, "STATS 0 0");
	}
}

/* ---- lines, SYNC, STATS */

Test(ingest, lines_wait_for_sync_or_a_full_batch_bad_ones_counted_by_reason)
{
	int	a, b;

	o.batch_ms = 60000;		/* no commit on the timer */
	o.batch_events = 6;
	start();
	a = h_connect(o.port);
	b = h_connect(o.port);
	say(a, WATCH(7, "aa+2000", 0) "garbage\n" WATCH(7, "aa+2000", 1)
	    "\r\n \n" TS ",8,GET /rate/bb+2001=4\r\n"
	    "2020-13-01T00:00:00,1,GET /rate/a=1\n" "STATS\n");
	expect(a, "STATS 3 2 truncated=1 bad_time=1");
	cr_assert_eq(qi("SELECT COUNT(*) FROM watches"), 0,
	    "lines read are not committed before SYNC");
	/* Counts are per connection. */
	say(b, "STATS\n");
	expect(b, "STATS 0 0");
	cr_assert_eq(h_sync(a), 3);
	cr_assert_eq(qi("SELECT minutes FROM watches WHERE user_id = 7"), 2);
	cr_assert_eq(qi("SELECT rating FROM ratings WHERE user_id = 8"), 4);
	cr_assert_eq(qi("SELECT COUNT(*) FROM reject_samples"), 2);
	h_counters(h_db, "accepted_watch=2 accepted_rate=1 movies=2 users=2 "
	    "rejected_truncated=1 rejected_bad_time=1");
	/* Nothing new: the same count; CRLF is fine. */
	say(a, "SYNC\r\n");
	expect(a, "OK 3");
	/* Six pending, rejected ones too: written without SYNC. */
	say(a, WATCH(9, "aa+2000", 0) WATCH(9, "aa+2000", 1)
	    WATCH(9, "aa+2000", 2) WATCH(9, "aa+2000", 3) "nonsense\n"
	    TS ",3,GET /rate/aa+2000=9\n" "STATS\n");
	expect(a, "STATS 7 4 truncated=2 bad_time=1 bad_rating=1");
	cr_assert_eq(qi("SELECT minutes FROM watches WHERE user_id = 9"), 4);
	h_counters(h_db, "accepted_watch=6 rejected_truncated=2 "
	    "rejected_bad_rating=1");
	close(a);
	close(b);
}

Test(ingest, over_long_lines_are_rejected_once_and_the_next_line_kept)
{
	static char	buf[8193 + 8194 + 200001 + 256];
	size_t		n;
	int		fd;

	/*
	 * PARSE_LINE_MAX bytes (not too long, but no fields), one past it,
	 * far past the line buffer (reported once, the rest skipped).
	 */
	memset(buf, 'x', sizeof(buf));
	buf[8192] = buf[8192 + 8194] = buf[8192 + 8194 + 200001] = '\n';
	n = 8192 + 8194 + 200001 + 1;
	n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s", WATCH(5,
	    "aa+2000", 7) "STATS\n");
	start();
	fd = h_connect(o.port);
	h_send(fd, buf, n);
	expect(fd, "STATS 1 3 too_long=2 truncated=1");
	cr_assert_eq(h_sync(fd), 1);
	h_counters(h_db, "rejected_too_long=2 rejected_truncated=1 "
	    "accepted_watch=1");
	cr_assert_eq(qi("SELECT max_minute FROM watches WHERE user_id = 5"), 7);
	close(fd);
}

/* ---- AUTH */

Test(ingest, with_a_token_only_the_right_auth_first_lets_a_sender_in)
{
	static const char *const	bad[] = {
		WATCH(1, "aa+2000", 0),		/* data first */
		"SYNC\n",
		"AUTH wrong\n" WATCH(1, "aa+2000", 0),
		"AUTH s3cre\n", "AUTH s3cretX\n", "AUTH  s3cret\n",
		"auth s3cret\n", "AUTH\n", "\n",
	};
	size_t				i;
	int				fd;

	o.token = "s3cret";
	start();
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		fd = h_connect(o.port);
		say(fd, bad[i]);
		expect(fd, "ERR unauthorized");
		expect_eof(fd);
	}
	fd = auth("s3cret");
	say(fd, WATCH(2, "bb+2001", 0) RATE(2, "bb+2001", 3));
	cr_assert_eq(h_sync(fd), 2);
	/* Nothing of the refused ones was taken. */
	h_counters(h_db, "accepted_watch=1 accepted_rate=1 movies=1 users=1");
	cr_assert_eq(qi("SELECT COALESCE(SUM(value), 0) FROM counters WHERE "
	    "name LIKE 'rejected%%'"), 0);
	close(fd);
	/* CRLF after the token is fine. */
	fd = h_connect(o.port);
	say(fd, "AUTH s3cret\r\n" "STATS\n");
	expect(fd, "OK");
	expect(fd, "STATS 0 0");
	close(fd);
}

Test(ingest, a_token_change_or_no_auth_in_time_closes_the_sender)
{
	int	a, b, d, fd;
	char	line[128];

	o.token = "one";
	o.auth_timeout_ms = 200;
	o.batch_ms = 10;
	start();
	a = auth("one");
	b = auth("one");
	fd = h_connect(o.port);		/* says nothing */
	expect(fd, "ERR authentication timeout");
	expect_eof(fd);
	say(a, WATCH(1, "aa+2000", 0));
	cr_assert_eq(h_sync(a), 1);
	ingest_set_token(ing, "two");
	expect(a, "ERR token changed");
	expect_eof(a);
	expect(b, "ERR token changed");
	expect_eof(b);
	fd = h_ingest_auth(o.port, "one", line, sizeof(line));
	cr_assert_str_eq(line, "ERR unauthorized");
	expect_eof(fd);
	d = auth("two");
	ingest_set_token(ing, "two");	/* no change */
	cr_assert_eq(h_sync(d), 0);
	/* No token: d stays (the 2nd round trip is after the change). */
	ingest_set_token(ing, "");
	cr_assert_eq(h_sync(d), 0);
	cr_assert_eq(h_sync(d), 0);
	fd = h_connect(o.port);
	say(fd, WATCH(2, "aa+2000", 1));
	cr_assert_eq(h_sync(fd), 1);
	h_counters(h_db, "accepted_watch=2");
	close(fd);
	close(d);
}

/* ---- the events and control sockets */

Test(ingest, an_events_body_is_data_only_and_answered_after_its_commit)
{
	o.batch_ms = 60000;
	o.token = "s3cret";		/* not asked of a POST body */
	start();
	post(WATCH(1, "aa+2000", 0) "SYNC\n" "AUTH s3cret\n" "STATS\n"
	    TS ",2,GET /rate/aa+2000=4", "OK 2 3 truncated=3");
	/* Committed when answered, the last line without '\n' too. */
	cr_assert_eq(qi("SELECT COUNT(*) FROM watches"), 1);
	cr_assert_eq(qi("SELECT rating FROM ratings WHERE user_id = 2"), 4);
	h_counters(h_db, "accepted_watch=1 accepted_rate=1 "
	    "rejected_truncated=3");
	post("", "OK 0 0");
	post("\n\r\n", "OK 0 0");
	post(WATCH(3, "bb+2001", 1) "2020-03-01,1,x\n",
	    "OK 1 1 bad_time=1");
	cr_assert_eq(qi("SELECT COUNT(*) FROM watches"), 2);
}

Test(ingest, the_control_socket_takes_served_lists_and_train_requests)
{
	char	buf[128];
	int	t, c;

	o.batch_ms = 60000;
	start();
	t = h_connect(o.port);
	say(t, WATCH(1, "aa+2000", 0) WATCH(1, "bb+2001", 0));
	cr_assert_eq(h_sync(t), 2);
	c = unix_connect(ctlpath);
	/* A served list, a malformed one, an unknown record, a log line. */
	say(c, SERVED_AB "SERVED x 77 3 - 1 0 1\n" "HELLO\n"
	    WATCH(5, "cc+2002", 0) "TRAIN\n");
	expect(c, "OK");
	cr_assert_eq(__atomic_load_n(&trains, __ATOMIC_SEQ_CST), 1);
	cr_assert_eq(h_sync(t), 2);
	cr_assert_eq(qi("SELECT COUNT(*) FROM reco_log"), 1);
	cr_assert_str_eq(h_qs(h_db, buf, sizeof(buf), "SELECT user_id || ' ' "
	    "|| model_version || ' ' || source || ' ' || movie_slugs(movies) "
	    "FROM reco_log"), "77 3 served bb+2001,aa+2000");
	/* A log line is no control record; the users table is unchanged. */
	cr_assert_eq(qi("SELECT COUNT(*) FROM movies"), 2);
	h_counters(h_db, "accepted_watch=2 users=1");
	say(c, "TRAIN\r\n");
	expect(c, "OK");
	cr_assert_eq(__atomic_load_n(&trains, __ATOMIC_SEQ_CST), 2);
	close(c);
	close(t);
	/* Without a trainer. */
	stop();
	o.train = NULL;
	start();
	c = unix_connect(ctlpath);
	say(c, "TRAIN\n");
	expect(c, "ERR no trainer");
	close(c);
}

/* ---- limits and failures */

Test(ingest, beyond_max_conns_one_more_sender_is_refused)
{
	int	a, b, c, d;

	o.max_conns = 2;
	start();
	a = h_connect(o.port);
	cr_assert_eq(h_sync(a), 0);
	b = h_connect(o.port);
	cr_assert_eq(h_sync(b), 0);
	c = h_connect(o.port);
	expect(c, "ERR too many connections");
	expect_eof(c);
	/* The Unix sockets do not count. */
	post(WATCH(1, "aa+2000", 0), "OK 1 0");
	d = unix_connect(ctlpath);
	say(d, "TRAIN\n");
	expect(d, "OK");
	close(d);
	/* One leaves (the server closes its end): a new one gets in. */
	cr_assert_eq(shutdown(a, SHUT_WR), 0);
	expect_eof(a);
	a = h_connect(o.port);
	say(a, WATCH(2, "aa+2000", 0));
	cr_assert_eq(h_sync(a), 1);
	c = h_connect(o.port);
	expect(c, "ERR too many connections");
	expect_eof(c);
	cr_assert_eq(h_sync(b), 0);
	h_counters(h_db, "accepted_watch=2");
	close(a);
	close(b);
}

Test(ingest, failing_commits_pause_reads_and_refuse_bodies_until_they_work)
{
	int	t, e;

	o.batch_ms = 20;
	start();
	t = h_connect(o.port);
	say(t, WATCH(1, "aa+2000", 0));
	cr_assert_eq(h_sync(t), 1);
	h_fail_writes("counters");
	say(t, WATCH(1, "aa+2000", 1) "SYNC\n");
	expect(t, "ERR commit failed");
	/* Paused: a POST body is refused before anything is read. */
	e = unix_connect(evpath);
	expect(e, "BUSY");
	expect_eof(e);
	cr_assert_eq(qi("SELECT minutes FROM watches"), 1);
	/* The SYNC waits in the socket until a retry on the timer works. */
	say(t, "SYNC\n");
	h_fail_writes_off();
	expect(t, "OK 2");
	cr_assert_eq(qi("SELECT minutes FROM watches"), 2);
	post(WATCH(2, "aa+2000", 0), "OK 1 0");
	h_counters(h_db, "accepted_watch=3");
	close(t);
}

/* Lines of 8 reasons: each STATS answer is 17 times as long as STATS. */
#define REASONS		"x\x01,1,x\n" "nothing\n" \
	"2020-13-01T00:00:00,1,GET /rate/a=1\n" TS ",-1,GET /rate/a=1\n" \
	TS ",1,POST /x\n" TS ",1,GET /data/m/a/9999.mpg\n" \
	TS ",1,GET /rate/a=7\n"
#define LONG_STATS	"STATS 0 8 too_long=1 binary=1 truncated=1 " \
	"bad_time=1 bad_user=1 bad_request=1 bad_minute=1 bad_rating=1"

struct flood {
	int	fd, n, err;
};

/* f->n STATS requests, then SYNC, written blocking (another thread). */
static void *
flood_send(void *arg)
{
	struct flood	*f = arg;
	char		 chunk[6 * 500];
	const char	*p;
	size_t		 left;
	ssize_t		 w;
	int		 i;

	for (i = 0; i < 500; i++)
		memcpy(chunk + 6 * i, "STATS\n", 6);
	for (i = 0; i <= f->n / 500 && f->err == 0; i++) {
		p = i < f->n / 500 ? chunk : "SYNC\n";
		left = i < f->n / 500 ? sizeof(chunk) : 5;
		for (; left > 0; p += w, left -= (size_t)w)
			if ((w = write(f->fd, p, left)) <= 0) {
				f->err = errno;
				break;
			}
	}
	return (NULL);
}

/* How often a sender was held back so far, as /metrics shows it. */
static unsigned long long
held(struct store *s)
{
	const char		*key = "reason=\"held_unread_answers\"} ";
	char			*out, *p;
	size_t			 len;
	unsigned long long	 v;

	cr_assert_eq(metrics_render(s, 300000, &out, &len), 0);
	cr_assert_not_null(p = strstr(out, key));
	v = strtoull(p + strlen(key), NULL, 10);
	free(out);
	return (v);
}

/* The byte at off of n LONG_STATS answers and SYNC's "OK 0". */
static char
answer_byte(size_t off, size_t n)
{
	size_t	line = sizeof(LONG_STATS);	/* with its '\n' */

	if (off >= n * line)
		return (off - n * line < 5 ? "OK 0\n"[off - n * line] : 0);
	off %= line;
	return (off + 1 < line ? LONG_STATS[off] : '\n');
}

Test(ingest, a_sender_reading_its_answers_late_is_held_and_loses_none)
{
	static char		big[8194];
	struct sockaddr_in	sin;
	struct flood		f = { -1, 80000, 0 };
	struct store		s;
	struct pollfd		pfd;
	pthread_t		th;
	char			buf[65536];
	ssize_t			n, i;
	size_t			got, want;
	int			rcv = 4096, bad = 0;

	cr_assert_eq(metrics_init(), 0);
	start();
	cr_assert_eq(store_open(&s, h_dir, STORE_RDONLY), 0);
	/* A small window: the answers pile up at the server. */
	cr_assert((f.fd = socket(AF_INET, SOCK_STREAM, 0)) != -1);
	cr_assert_eq(setsockopt(f.fd, SOL_SOCKET, SO_RCVBUF, &rcv,
	    sizeof(rcv)), 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(o.port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert_eq(connect(f.fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	memset(big, 'x', 8193);
	big[8193] = '\n';
	h_send(f.fd, big, sizeof(big));
	say(f.fd, REASONS "STATS\n");
	expect(f.fd, LONG_STATS);
	/* 8 MB of answers: nothing is read until the sender is held. */
	cr_assert_eq(pthread_create(&th, NULL, flood_send, &f), 0);
	for (i = 0; i < 500 && held(&s) == 0; i++)
		sleep_ms(20);
	cr_assert_gt(held(&s), 0, "the sender was never held back");
	/* Every answer, in order, byte for byte; then SYNC's. */
	pfd.fd = f.fd;
	pfd.events = POLLIN;
	want = (size_t)f.n * sizeof(LONG_STATS);
	for (got = 0; got < want + 5 && poll(&pfd, 1, 10000) == 1 &&
	    (n = read(f.fd, buf, sizeof(buf))) > 0; )
		for (i = 0; i < n; i++, got++)
			bad += buf[i] != answer_byte(got, (size_t)f.n);
	pthread_join(th, NULL);
	cr_assert_eq(f.err, 0, "send: %s", strerror(f.err));
	cr_assert_eq(got, want + 5, "%zu bytes of %zu", got, want + 5);
	cr_assert_eq(bad, 0);
	close(f.fd);
	store_close(&s);
}

/* ---- start and stop */

Test(ingest, start_fails_cleanly_a_stale_socket_is_replaced_metrics_show_it)
{
	struct metrics_ingest_health	h;
	struct ingest_opts		o2;
	struct stat			sb, cb;
	int				fd;

	cr_assert_eq(metrics_ingest_health(&h), -1, "no shared block yet");
	cr_assert_eq(metrics_init(), 0);
	/* A bad address, a data dir that cannot be made. */
	o.host = "999.1.1.1";
	cr_assert_null(ingest_start(&o));
	o.host = "127.0.0.1";
	o.data_dir = "/proc/cinerec-no-such-dir";
	cr_assert_null(ingest_start(&o));
	o.data_dir = h_dir;
	/* The control socket cannot be bound: the events one is removed. */
	o.control_path = "/nonexistent-dir/control.sock";
	cr_assert_null(ingest_start(&o));
	cr_assert_eq(stat(evpath, &sb), -1, "events socket left behind");
	o.control_path = ctlpath;

	/* A stale file where the events socket goes is replaced. */
	cr_assert_geq(fd = creat(evpath, 0644), 0);
	close(fd);
	start();
	cr_assert_eq(stat(evpath, &sb), 0);
	cr_assert(S_ISSOCK(sb.st_mode));
	cr_assert_eq(sb.st_mode & 0777, 0600);
	cr_assert_eq(stat(ctlpath, &cb), 0);
	cr_assert_eq(metrics_ingest_health(&h), 0);
	cr_assert(h.up && !h.paused);
	cr_assert_eq(h.events_ino, (uint64_t)sb.st_ino);
	cr_assert_eq(h.control_ino, (uint64_t)cb.st_ino);
	/* A taken port: the running one is not disturbed. */
	o2 = o;
	o2.events_path = o2.control_path = NULL;
	cr_assert_null(ingest_start(&o2));
	post(WATCH(1, "aa+2000", 0), "OK 1 0");
	stop();
	cr_assert_eq(metrics_ingest_health(&h), 0);
	cr_assert_eq(h.up, 0);
}

Test(ingest, stop_commits_what_open_connections_sent_and_closes_them)
{
	struct stat	sb;
	int		a, b, c, e, z;

	o.batch_ms = 60000;
	start();
	z = h_connect(o.port);
	settle(z);
	a = h_connect(o.port);
	say(a, WATCH(1, "aa+2000", 0) WATCH(1, "bb+2001", 0));
	cr_assert_eq(h_sync(a), 2);
	/* Sent, never confirmed; the last line has no '\n'. */
	say(a, WATCH(1, "aa+2000", 1) TS ",9,GET /rate/bb+2001=2");
	b = h_connect(o.port);
	say(b, RATE(3, "aa+2000", 5) "SYNC\n");
	c = unix_connect(ctlpath);
	say(c, SERVED_AB);
	/* A POST body that never ends: read, then STOP_WAIT_MS runs out. */
	e = unix_connect(evpath);
	say(e, WATCH(4, "aa+2000", 0) "STATS\n");
	settle(z);
	stop();
	expect_eof(e);		/* no answer: it never ended */
	expect(b, "OK 1");
	expect_eof(b);
	expect_eof(a);
	expect_eof(c);
	expect_eof(z);
	cr_assert_eq(qi("SELECT minutes FROM watches WHERE user_id = 1 AND "
	    "movie_id = 1"), 2);
	cr_assert_eq(qi("SELECT rating FROM ratings WHERE user_id = 9"), 2);
	cr_assert_eq(qi("SELECT rating FROM ratings WHERE user_id = 3"), 5);
	cr_assert_eq(qi("SELECT COUNT(*) FROM reco_log WHERE user_id = 77"), 1);
	h_counters(h_db, "accepted_watch=4 accepted_rate=2 "
	    "rejected_truncated=1");
	/* Nothing listens, its sockets are gone. */
	cr_assert_eq(h_connect_try(o.port), -1);
	cr_assert_eq(stat(evpath, &sb), -1);
	cr_assert_eq(stat(ctlpath, &sb), -1);
}

/*
 * Regression (ingest.c, on_stop), fixed: the listeners were closed at
 * once, so a sender still in the accept queue was reset and the lines it
 * had written were lost (8 rounds of 40).
 */
Test(ingest, a_stop_reads_senders_still_in_the_accept_queue)
{
	char	line[128];
	int	fd[40], i, n;

	for (i = 0; i < 40; i++) {
		start();
		fd[i] = h_connect(o.port);
		n = snprintf(line, sizeof(line), TS ",%d,GET /data/m/"
		    "q+2000/0.mpg\n", 100 + i);
		h_send(fd[i], line, (size_t)n);
		stop();
		close(fd[i]);
	}
	cr_assert_eq(qi("SELECT COUNT(*) FROM watches"), 40);
}

/*
 * Regression (conn.c), fixed: with no token set, AUTH was taken as a data
 * line (counted as rejected) and never answered, so a sender that always
 * authenticates waited for ever; the same for AUTH again once in.
 */
Test(ingest, auth_is_answered_with_no_token_and_again_once_in)
{
	char	line[128];
	int	fd;

	start();
	fd = h_ingest_auth(o.port, "anything", line, sizeof(line));
	cr_assert_str_eq(line, "OK");
	say(fd, WATCH(1, "aa+2000", 0) "AUTH again\n");
	expect(fd, "OK");
	cr_assert_eq(h_sync(fd), 1);
	close(fd);
	stop();
	h_counters(h_db, "accepted_watch=1");
	cr_assert_eq(qi("SELECT COALESCE(SUM(value), 0) FROM counters WHERE "
	    "name LIKE 'rejected%%'"), 0, "AUTH is not a rejected line");
	/* With a token: again with the right one is OK, a wrong one ends. */
	o.token = "s3cret";
	start();
	fd = auth("s3cret");
	say(fd, "AUTH s3cret\n");
	expect(fd, "OK");
	say(fd, "AUTH guess\n");
	expect(fd, "ERR unauthorized");
	expect_eof(fd);
	close(fd);
}

static void *
stopper(void *arg)
{
	ingest_stop(arg);
	return (NULL);
}

Test(ingest, stop_answers_a_body_that_ends_while_it_waits)
{
	pthread_t	th;
	int		fd, z;

	o.batch_ms = 60000;
	start();
	z = h_connect(o.port);
	fd = unix_connect(evpath);
	say(fd, WATCH(1, "aa+2000", 0));
	settle(z);
	cr_assert_eq(pthread_create(&th, NULL, stopper, ing), 0);
	ing = NULL;
	sleep_ms(100);		/* the stop has begun, most likely */
	say(fd, RATE(1, "aa+2000", 4));
	cr_assert_eq(shutdown(fd, SHUT_WR), 0);
	expect(fd, "OK 2 0");
	expect_eof(fd);
	pthread_join(th, NULL);
	expect_eof(z);
	h_counters(h_db, "accepted_watch=1 accepted_rate=1");
}

/*
 * Group commit: with the writer behind (lines coming at INGEST_LAG_RATE a
 * second or more), after a quick commit the next batch is due at the next
 * tick (batch_ms); after a slow one, twice its duration later, at most
 * INGEST_LAG_MAX_MS.  A stream's lines wait for no slow commit.
 */
Test(ingest, a_slow_commit_makes_the_next_batch_wait_twice_as_long)
{
	/* Bulk: 5,400 lines read within 5 ms of a 300 ms commit. */
	cr_assert_not(ingest_commit_due(10305, 10000, 10300, 5400));
	cr_assert_not(ingest_commit_due(10899, 10000, 10300, 300000));
	cr_assert(ingest_commit_due(10900, 10000, 10300, 300000));
	cr_assert(ingest_commit_due(10103, 10000, 10003, 5400), "quick");
	cr_assert_not(ingest_commit_due(16999, 10000, 15000, 100000));
	cr_assert(ingest_commit_due(15000 + INGEST_LAG_MAX_MS, 10000, 15000,
	    100000), "the wait is bounded");
	/* A stream of 1,000 lines a second after a 1 s roll-up commit. */
	cr_assert(ingest_commit_due(11005, 10000, 11000, 1000),
	    "a stream's lines wait for no slow commit");
	cr_assert(ingest_commit_due(10100, 10000, 10002, 100));
}
