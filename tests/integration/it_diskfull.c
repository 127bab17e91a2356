/*
 * A full disk: the data dir on a small tmpfs (mounted by the test, as
 * root; skipped with a message otherwise) is filled up while a sender
 * streams.  The ingest pushes back (SYNC answers ERR, reading stops, POST
 * /events gets 503 with Retry-After, /health says why), loses nothing it
 * acknowledged, and recovers by itself once space returns.
 */
#include <sys/mount.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "harness.h"

static char		mnt[64], dbpath[320], filler[320];
static int		mounted;

static void
setup(void)
{
	h_setup();
	mounted = 0;
}

static void
teardown(void)
{
	h_cleanup(&h_srv);
	if (mounted) {
		(void)umount2(mnt, MNT_DETACH);
		(void)rmdir(mnt);
	}
}

TestSuite(diskfull, .init = setup, .fini = teardown, .timeout = 300);

/* Fill the file system of path up; returns the bytes written. */
static long long
fill(const char *path)
{
	static char	buf[1 << 16];
	long long	n = 0;
	ssize_t		w;
	int		fd;

	cr_assert((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) != -1);
	memset(buf, 'x', sizeof(buf));
	while ((w = write(fd, buf, sizeof(buf))) > 0)
		n += w;
	/* The last partial block too. */
	while ((w = write(fd, buf, 512)) > 0)
		n += w;
	close(fd);
	return (n);
}

/* Send count new users' ratings, then SYNC: the answer line. */
static void
batch(int fd, int first, int count, char *answer, size_t sz)
{
	static char	buf[1 << 20];
	size_t		len = 0;
	int		i;

	for (i = 0; i < count; i++)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len,
		    "2026-01-01T10:00:00,%d,GET /rate/full+disk+%d=4\n",
		    first + i, (first + i) % 300);
	memcpy(buf + len, "SYNC\n", 5);
	h_send(fd, buf, len + 5);
	if (h_readline(fd, answer, sz, 30000) <= 0)
		snprintf(answer, sz, "(none)");
}

Test(diskfull, ingest_pushes_back_loses_nothing_and_recovers)
{
	struct h_reply	 r;
	char		 answer[128];
	const char	*post = "2026-01-01T10:00:00,999999,GET /rate/x+1=4\n";
	long long	 filled;
	long		 acked = 0;
	int		 fd, sent = 0, i;

	if (geteuid() != 0)
		cr_skip_test("needs root to mount a small tmpfs");
	snprintf(mnt, sizeof(mnt), "/tmp/cinerec-full-XXXXXX");
	cr_assert_not_null(mkdtemp(mnt));
	if (mount("tmpfs", mnt, "tmpfs", 0, "size=24m,mode=0700") == -1) {
		(void)rmdir(mnt);
		cr_skip_test("cannot mount a tmpfs here: %s", strerror(errno));
	}
	mounted = 1;
	snprintf(h_srv.dir, sizeof(h_srv.dir), "%s/data", mnt);
	cr_assert_eq(mkdir(h_srv.dir, 0700), 0);
	h_start(&h_srv, (const char *const[]){ "--config",
	    h_config(&h_srv, "train_interval_min = 0\n"), NULL });
	snprintf(dbpath, sizeof(dbpath), "%s/cinerec.db", h_srv.dir);
	snprintf(filler, sizeof(filler), "%s/filler", mnt);

	fd = h_connect(h_srv.ingest_port);
	batch(fd, 0, 2000, answer, sizeof(answer));
	cr_assert_str_eq(answer, "OK 2000");
	sent = acked = 2000;
	filled = fill(filler);
	cr_log_info("filled the disk with %lld bytes", filled);
	/* New users grow the database until a commit cannot. */
	for (i = 0; i < 200; i++) {
		batch(fd, sent, 5000, answer, sizeof(answer));
		sent += 5000;
		if (strncmp(answer, "OK ", 3) != 0)
			break;
		acked = strtol(answer + 3, NULL, 10);
	}
	cr_assert_str_eq(answer, "ERR commit failed", "after %d lines", sent);
	cr_log_info("a commit failed after %d lines (%ld acknowledged)", sent,
	    acked);

	/* Pushed back: POST is refused for now, /health says why. */
	h_http(h_srv.http_port, "POST", "/events", NULL, post, strlen(post), &r);
	cr_assert(r.status == 503 || r.status == 202, "POST: %d %s", r.status,
	    r.body);
	if (r.status == 503)
		cr_assert(strstr(r.headers, "retry-after: ") != NULL);
	h_http(h_srv.http_port, "GET", "/health", NULL, NULL, 0, &r);
	cr_assert_eq(r.status, 503, "%s", r.body);
	cr_assert(strstr(r.body, "commits fail") != NULL, "%s", r.body);

	/* Space again: it recovers alone, with every line sent. */
	cr_assert_eq(unlink(filler), 0);
	h_send(fd, "SYNC\n", 5);
	cr_assert(h_readline(fd, answer, sizeof(answer), 30000) > 0,
	    "no answer after the space came back");
	cr_assert_eq(strtol(answer + 3, NULL, 10), sent, "%s", answer);
	close(fd);
	cr_assert_eq(h_qi(dbpath, "SELECT COUNT(*) FROM ratings"), sent,
	    "every line, the acknowledged ones among them");
	for (i = 0; i < 50; i++) {
		h_http(h_srv.http_port, "GET", "/health", NULL, NULL, 0, &r);
		if (r.status == 200)
			break;
		usleep(100000);
	}
	cr_assert_eq(r.status, 200, "%s", r.body);
	h_http(h_srv.http_port, "POST", "/events", NULL, post, strlen(post), &r);
	cr_assert_eq(r.status, 200, "%d %s", r.status, r.body);
	cr_assert_str_eq(h_qs(dbpath, answer, sizeof(answer), "PRAGMA "
	    "integrity_check"), "ok");
	cr_assert_eq(h_stop(&h_srv), 0);
}
