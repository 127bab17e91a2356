/*
 * Unit tests for app/telemetry/reclog.c: decimal numbers and id lists both
 * ways, SERVED lines as the writer takes them (clamped fields, at most
 * RECLOG_IDS_MAX ids), lines gathered until a flush or the flush mark,
 * dropped when the buffer is full (the others delivered whole and in
 * order) or when no writer listens, the reconnect delay, a writer that
 * goes away, and close.  The writer's socket is a real Unix socket bound
 * in the test's directory.
 */
#include <criterion/criterion.h>

#include "harness.h"
#include "scratch.h"

#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/writer.h"
#include "telemetry/reclog.h"

static struct reclog	l;		/* 256 KiB: not on the stack */
static char		sock_path[128];
static int		lfd = -1;	/* the "writer's" listening socket */
static int		peer = -1;	/* its accepted connection */

static void
setup(void)
{
	h_scratch_setup();
	snprintf(sock_path, sizeof(sock_path), "%s/control.sock", h_dir);
	reclog_init(&l, sock_path);
}

static void
teardown(void)
{
	reclog_close(&l);
	if (peer != -1)
		close(peer);
	if (lfd != -1)
		close(lfd);
	peer = lfd = -1;
	h_scratch_teardown();
}

TestSuite(reclog, .init = setup, .fini = teardown, .timeout = 60);

static void
listen_now(void)
{
	struct sockaddr_un	sun;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	cr_assert_lt(strlen(sock_path), sizeof(sun.sun_path));
	memcpy(sun.sun_path, sock_path, strlen(sock_path));
	cr_assert_neq(lfd = socket(AF_UNIX, SOCK_STREAM, 0), -1);
	cr_assert_eq(bind(lfd, (struct sockaddr *)&sun, sizeof(sun)), 0,
	    "bind %s: %s", sock_path, strerror(errno));
	cr_assert_eq(listen(lfd, 8), 0);
}

static void
accept_now(void)
{
	struct pollfd	pfd = { .fd = lfd, .events = POLLIN };

	cr_assert_eq(poll(&pfd, 1, 2000), 1, "nobody connected");
	cr_assert_neq(peer = accept(lfd, NULL, NULL), -1);
}

/* Read exactly n bytes from the peer within 2 s. */
static void
readn(char *buf, size_t n)
{
	struct pollfd	pfd = { .fd = peer, .events = POLLIN };
	size_t		got = 0;
	ssize_t		r;

	while (got < n) {
		cr_assert_eq(poll(&pfd, 1, 2000), 1, "%zu of %zu bytes", got,
		    n);
		r = read(peer, buf + got, n - got);
		cr_assert_gt(r, 0, "%zu of %zu bytes", got, n);
		got += (size_t)r;
	}
	buf[n] = '\0';
}

/* Nothing more to read now. */
static void
nothing_waits(void)
{
	char	c;

	cr_assert_eq(recv(peer, &c, 1, MSG_DONTWAIT), -1);
	cr_assert(errno == EAGAIN || errno == EWOULDBLOCK);
}

static int
send_str(const char *s)
{
	return (reclog_send(&l, s, strlen(s)));
}

/* ---- encoding ---------------------------------------------------- */

Test(reclog, numbers_are_written_in_decimal)
{
	char	b[32];

	cr_assert_eq(reclog_int(b, 0), 1);
	cr_assert_eq(memcmp(b, "0", 1), 0);
	cr_assert_eq(reclog_int(b, -1), 2);
	cr_assert_eq(memcmp(b, "-1", 2), 0);
	cr_assert_eq(reclog_int(b, 1000000), 7);
	cr_assert_eq(memcmp(b, "1000000", 7), 0);
	cr_assert_eq(reclog_int(b, INT64_MAX), 19);
	cr_assert_eq(memcmp(b, "9223372036854775807", 19), 0);
	cr_assert_eq(reclog_int(b, INT64_MIN), 20);
	cr_assert_eq(memcmp(b, "-9223372036854775808", 20), 0);
}

Test(reclog, ids_are_written_and_parsed_back)
{
	const int32_t	ids[] = { 17, 4032, 9, INT32_MAX };
	const int32_t	bad[] = { 5, -3, 0 };
	int32_t		back[8];
	char		b[64];
	size_t		n;

	n = reclog_ids(b, ids, 4);
	b[n] = '\0';
	cr_assert_str_eq(b, "17,4032,9,2147483647");
	cr_assert_eq(reclog_parse_ids(b, back, 8), 4);
	cr_assert_arr_eq(back, ids, sizeof(ids));
	cr_assert_eq(reclog_ids(b, ids, 0), 0);
	n = reclog_ids(b, bad, 3);
	b[n] = '\0';
	cr_assert_str_eq(b, "5,0,0", "ids not positive written as 0");

	cr_assert_eq(reclog_parse_ids(NULL, back, 8), 0);
	cr_assert_eq(reclog_parse_ids("", back, 8), 0);
	cr_assert_eq(reclog_parse_ids("0,5,-3,2147483648,2147483647", back,
	    8), 2);
	cr_assert_eq(back[0], 5);
	cr_assert_eq(back[1], INT32_MAX);
	cr_assert_eq(reclog_parse_ids("1,2,3", back, 2), 2, "max respected");
	cr_assert_eq(back[1], 2);
	cr_assert_eq(reclog_parse_ids("4,x,5", back, 8), 1, "stops at x");
	cr_assert_eq(back[0], 4);
}

/* ---- buffering --------------------------------------------------- */

Test(reclog, a_line_waits_until_a_flush)
{
	char	buf[64];

	listen_now();
	cr_assert_eq(send_str("SERVED 1 2 0 - 0 0 1\n"), 0);
	cr_assert_neq(l.fd, -1, "connected on first use");
	cr_assert_eq(l.len, 21);
	accept_now();
	nothing_waits();
	reclog_flush(&l);
	cr_assert_eq(l.len, 0);
	readn(buf, 21);
	cr_assert_str_eq(buf, "SERVED 1 2 0 - 0 0 1\n");
	reclog_flush(&l);			/* nothing to write */
	nothing_waits();
}

Test(reclog, the_flush_mark_writes_at_once)
{
	char	line[101], *got;
	size_t	sent = 0;
	int	i;

	listen_now();
	memset(line, 'x', 99);
	line[99] = '\n';
	line[100] = '\0';
	for (i = 0; sent + 100 < RECLOG_FLUSH; i++, sent += 100) {
		cr_assert_eq(send_str(line), 0);
		cr_assert_eq(l.len, sent + 100, "line %d written early", i);
	}
	cr_assert_eq(send_str(line), 0);	/* crosses the mark */
	sent += 100;
	cr_assert_eq(l.len, 0);
	accept_now();
	cr_assert_not_null(got = malloc(sent + 1));
	readn(got, sent);
	cr_assert_eq(strspn(got, "x\n"), sent);
	nothing_waits();
	free(got);
}

Test(reclog, served_lines_are_what_the_writer_takes)
{
	const char	*first = "SERVED 1583020800123 77 4 - 1500 2 3,1,2\n";
	int32_t		 ids[RECLOG_IDS_MAX + 5];
	char		 buf[RECLOG_LINE_MAX + 1], want[RECLOG_LINE_MAX + 1];
	size_t		 i, n, len;

	listen_now();
	ids[0] = 3;
	ids[1] = 1;
	ids[2] = 2;
	cr_assert_eq(reclog_served(&l, 1583020800123LL, 77, 4, NULL, 1500, 2,
	    ids, 3), 0);
	accept_now();
	reclog_flush(&l);
	n = strlen(first);
	readn(buf, n);
	cr_assert_str_eq(buf, first);
	nothing_waits();

	h_writer_movies(3);
	cr_assert_eq(writer_served(h_w, buf, n - 1), 0, "without its newline");
	h_writer_close();
	cr_assert_eq(h_qi(h_db, "SELECT COUNT(*) FROM reco_log WHERE ts = "
	    "1583020800123 AND user_id = 77 AND model_version = 4 AND "
	    "personal = 2 AND source = 'served' AND movies = '3,1,2' AND "
	    "arm IS NULL"), 1);

	/* Out of range: clamped to 0; ids beyond the maximum left out. */
	for (i = 0; i < RECLOG_IDS_MAX + 5; i++)
		ids[i] = (int32_t)i + 1;
	ids[1] = -5;
	cr_assert_eq(reclog_served(&l, -1, -2, -3, NULL, -4, 0, ids,
	    RECLOG_IDS_MAX + 5), 0);
	reclog_flush(&l);
	len = (size_t)snprintf(want, sizeof(want), "SERVED 0 0 0 - 0 0 1,0");
	for (i = 2; i < RECLOG_IDS_MAX; i++)
		len += (size_t)snprintf(want + len, sizeof(want) - len, ",%zu",
		    i + 1);
	want[len++] = '\n';
	want[len] = '\0';
	readn(buf, len);
	cr_assert_str_eq(buf, want);
	nothing_waits();
	/* No ids at all. */
	cr_assert_eq(reclog_served(&l, 5, 6, 0, "", 0, 0, NULL, 0), 0);
	reclog_flush(&l);
	n = strlen("SERVED 5 6 0 - 0 0 \n");
	readn(buf, n);
	cr_assert_str_eq(buf, "SERVED 5 6 0 - 0 0 \n");
}

Test(reclog, an_experiment_arm_reaches_the_log_and_a_bad_one_does_not)
{
	const char	*want = "SERVED 9 7 3 12/cand 800 1 2\n"
	    "SERVED 9 8 3 - 800 1 2\n" "SERVED 9 8 3 - 800 1 2\n";
	int32_t		 ids[1] = { 2 };
	char		 buf[128];
	size_t		 n = strlen(want);

	listen_now();
	cr_assert_eq(reclog_served(&l, 9, 7, 3, "12/cand", 800, 1, ids, 1), 0);
	/* A space would shift every field after it: logged as none. */
	cr_assert_eq(reclog_served(&l, 9, 8, 3, "12/a b", 800, 1, ids, 1), 0);
	cr_assert_eq(reclog_served(&l, 9, 8, 3, "12/a\nTRAIN", 800, 1, ids, 1),
	    0);
	accept_now();
	reclog_flush(&l);
	readn(buf, n);
	cr_assert_str_eq(buf, want);

	h_writer_movies(3);
	cr_assert_eq(writer_served(h_w, buf, strcspn(buf, "\n")), 0);
	h_writer_close();
	cr_assert_eq(h_qi(h_db, "SELECT COUNT(*) FROM reco_log WHERE user_id = "
	    "7 AND arm = '12/cand'"), 1);
	cr_assert_eq(h_qi(h_db, "SELECT COUNT(*) FROM reco_stats WHERE arm = "
	    "'12/cand' AND lists = 1"), 1);
}

/* ---- dropping ---------------------------------------------------- */

Test(reclog, without_a_writer_lines_are_dropped_and_reconnects_wait)
{
	char	buf[16], longp[200];

	cr_assert_eq(send_str("a\n"), -1);
	cr_assert_eq(l.fd, -1);
	cr_assert_eq(l.len, 0, "a dropped line is not kept");
	reclog_flush(&l);
	cr_assert_eq(l.len, 0);

	/* The writer is back, but the next try is a second away. */
	listen_now();
	cr_assert_eq(send_str("b\n"), -1);
	cr_assert_eq(l.fd, -1);
	l.retry_ms = 0;				/* ... a second later */
	cr_assert_eq(send_str("c\n"), 0);
	accept_now();
	reclog_flush(&l);
	readn(buf, 2);
	cr_assert_str_eq(buf, "c\n");

	/* A path longer than sun_path: cut, never a crash. */
	memset(longp, 'p', sizeof(longp) - 1);
	longp[sizeof(longp) - 1] = '\0';
	reclog_close(&l);
	reclog_init(&l, longp);
	cr_assert_eq(strlen(l.path), sizeof(l.path) - 1);
	cr_assert_eq(send_str("d\n"), -1);
}

Test(reclog, a_full_buffer_drops_lines_and_delivers_the_others_whole)
{
	struct pollfd	 pfd;
	char		 line[1001], *got;
	size_t		 accepted = 0, total, have = 0, i;
	ssize_t		 r;

	listen_now();
	cr_assert_eq(send_str("\n"), 0);	/* connect */
	accept_now();
	/* The peer does not read: the socket fills, then the buffer. */
	for (;;) {
		snprintf(line, sizeof(line), "%08zu", accepted);
		memset(line + 8, 'y', 991);
		line[999] = '\n';
		line[1000] = '\0';
		if (send_str(line) == -1)
			break;
		accepted++;
		cr_assert_lt(accepted, 100000, "never full");
	}
	cr_assert_leq(l.len, RECLOG_BUF);
	cr_assert_gt(l.len + 1000, RECLOG_BUF, "dropped with room left");
	cr_assert_neq(l.fd, -1, "a full buffer keeps the connection");
	cr_assert_eq(send_str(line), -1);

	/* The writer catches up: everything taken arrives, in order. */
	total = 1 + accepted * 1000;
	cr_assert_not_null(got = malloc(total + 1));
	pfd.fd = peer;
	pfd.events = POLLIN;
	while (have < total) {
		reclog_flush(&l);
		cr_assert_eq(poll(&pfd, 1, 2000), 1, "%zu of %zu", have, total);
		r = read(peer, got + have, total - have);
		cr_assert_gt(r, 0);
		have += (size_t)r;
	}
	cr_assert_eq(l.len, 0);
	cr_assert_eq(got[0], '\n');
	for (i = 0; i < accepted; i++) {
		snprintf(line, sizeof(line), "%08zu", i);
		cr_assert_eq(memcmp(got + 1 + i * 1000, line, 8), 0,
		    "line %zu", i);
		cr_assert_eq(got[1 + i * 1000 + 999], '\n', "line %zu", i);
	}
	nothing_waits();
	free(got);
	cr_assert_eq(send_str("again\n"), 0, "room again");
}

Test(reclog, lines_of_a_writer_gone_away_go_to_the_next)
{
	char	buf[32];

	listen_now();
	cr_assert_eq(send_str("one\n"), 0);
	accept_now();
	reclog_flush(&l);
	readn(buf, 4);
	cr_assert_str_eq(buf, "one\n");
	close(peer);				/* worker 1 restarts */
	peer = -1;
	cr_assert_eq(send_str("two\n"), 0);
	reclog_flush(&l);
	cr_assert_eq(l.fd, -1, "the broken connection is closed");
	cr_assert_eq(l.len, 4, "the line waits for the next writer");
	cr_assert_eq(send_str("three\n"), -1, "no reconnect within a second");
	l.retry_ms = 0;
	cr_assert_eq(send_str("four\n"), 0);
	accept_now();
	reclog_flush(&l);
	readn(buf, 9);
	cr_assert_str_eq(buf, "two\nfour\n");
}

Test(reclog, close_writes_what_waits)
{
	char	buf[16];

	listen_now();
	cr_assert_eq(send_str("last\n"), 0);
	accept_now();
	reclog_close(&l);
	cr_assert_eq(l.fd, -1);
	readn(buf, 5);
	cr_assert_str_eq(buf, "last\n");
	cr_assert_eq(read(peer, buf, 1), 0, "closed after it");
	reclog_close(&l);			/* twice is fine */
	cr_assert_eq(l.fd, -1);
}

/*
 * Regression (reclog.c), fixed: when the writer went away after a line was
 * sent in part, the rest of it went to the next writer as a line of its
 * own (refused there as malformed) and the loss was counted nowhere.
 */
Test(reclog, a_line_cut_by_a_writer_gone_away_is_dropped_and_counted)
{
	static char	got[RECLOG_BUF + 1];
	char		line[97];
	size_t		queued = 0, sent, i, n;
	ssize_t		r;
	int		small = 4096;

	memset(line, 'x', sizeof(line));
	line[0] = 'L';
	line[sizeof(line) - 1] = '\n';
	listen_now();
	cr_assert_eq(reclog_send(&l, line, sizeof(line)), 0);
	queued++;
	accept_now();
	/* A small socket: the flush mark's write goes out in part. */
	cr_assert_eq(setsockopt(l.fd, SOL_SOCKET, SO_SNDBUF, &small,
	    sizeof(small)), 0);
	cr_assert_eq(setsockopt(peer, SOL_SOCKET, SO_RCVBUF, &small,
	    sizeof(small)), 0);
	while (l.len < RECLOG_FLUSH * 2) {
		cr_assert_eq(reclog_send(&l, line, sizeof(line)), 0);
		queued++;
	}
	/* What reached the old writer: whole lines and the head of one. */
	for (sent = 0; (r = recv(peer, got + sent, sizeof(got) - 1 - sent,
	    MSG_DONTWAIT)) > 0; sent += (size_t)r)
		;
	cr_assert_gt(sent % sizeof(line), 0, "%zu bytes: no line was cut",
	    sent);
	close(peer);				/* worker 1 restarts */
	peer = -1;
	reclog_flush(&l);
	cr_assert_eq(l.fd, -1);
	cr_assert_eq(l.lost, 1, "the cut line is counted");
	n = (queued - sent / sizeof(line) - 1) * sizeof(line);
	cr_assert_eq(l.len, n, "only whole lines wait: %zu, not %zu", l.len,
	    n);
	l.retry_ms = 0;
	reclog_flush(&l);
	accept_now();
	/* The next writer gets every one of them, whole. */
	for (i = 0; i < n; ) {
		reclog_flush(&l);
		r = recv(peer, got + i, n - i, MSG_DONTWAIT);
		if (r > 0)
			i += (size_t)r;
		else
			(void)poll(NULL, 0, 10);
	}
	for (i = 0; i < n; i += sizeof(line))
		cr_assert_eq(memcmp(got + i, line, sizeof(line)), 0,
		    "line at byte %zu is not whole", i);
	nothing_waits();
}
