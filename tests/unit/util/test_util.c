/*
 * Unit tests for the small helpers of app/util: str.c (str_copy: fits,
 * exact fit, cut, empty), clock.c (clock_format of known instants, leap
 * days and centuries, checked against gmtime_r over centuries; the clocks
 * never going backwards), io.c (io_mkdir_p: nested, existing, a file in
 * the way, too long; io_write_all to files and pipes, errors, interrupted
 * writes) and threads.c (threads_run: every index once, n threads at once,
 * the bounds of n).
 */
#include <criterion/criterion.h>

#include "harness.h"
#include "scratch.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util/clock.h"
#include "util/io.h"
#include "util/str.h"
#include "util/threads.h"

TestSuite(util, .init = h_scratch_setup, .fini = h_scratch_teardown,
    .timeout = 60);

/* ---- str.c ------------------------------------------------------------ */

/*
 * str_copy of src into sz bytes returns want_rc and leaves want; the byte
 * after it is untouched.
 */
static void
copy_is(size_t sz, const char *src, int want_rc, const char *want)
{
	char	buf[8];

	cr_assert_lt(strlen(want), sizeof(buf) - 1);
	memset(buf, '#', sizeof(buf));
	cr_assert_eq(str_copy(buf, sz, src), want_rc, "'%s'", src);
	cr_assert_str_eq(buf, want);
	cr_assert_eq(buf[strlen(want) + 1], '#', "wrote past the string");
}

Test(util, str_copy_that_fits_is_whole_and_not_cut)
{
	copy_is(6, "abc", 0, "abc");
}

Test(util, str_copy_of_an_exact_fit_is_not_cut)
{
	copy_is(6, "abcde", 0, "abcde");
}

Test(util, str_copy_one_byte_too_long_is_cut_and_terminated)
{
	copy_is(6, "abcdef", 1, "abcde");
	copy_is(6, "a much longer string", 1, "a muc");
}

Test(util, str_copy_into_one_byte_keeps_only_the_nul)
{
	char	buf[4] = "###";

	cr_assert_eq(str_copy(buf, 1, "x"), 1);
	cr_assert_eq(buf[0], '\0');
	cr_assert_eq(buf[1], '#');
	buf[0] = '#';
	cr_assert_eq(str_copy(buf, 1, ""), 0);
	cr_assert_eq(buf[0], '\0');
}

Test(util, str_copy_of_empty_string_is_empty_and_not_cut)
{
	copy_is(8, "", 0, "");
}

/* ---- clock.c ---------------------------------------------------------- */

/*
 * clock_format of ms into sz bytes leaves want; a byte past sz is
 * untouched.
 */
static void
fmt_in(int64_t ms, size_t sz, const char *want)
{
	char	buf[32];

	cr_assert_leq(sz, sizeof(buf));
	memset(buf, '#', sizeof(buf));
	clock_format(ms, buf, sz);
	cr_assert_str_eq(buf, want, "%lld", (long long)ms);
	if (sz < sizeof(buf))
		cr_assert_eq(buf[sz], '#', "wrote past %zu", sz);
}

struct instant {
	int64_t		 ms;
	const char	*want;
};

/* Each of the n instants formats whole as its want. */
static void
fmt_all(const struct instant *t, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		fmt_in(t[i].ms, 32, t[i].want);
}

/* Expected values from `date -u -d <instant>Z +%s`. */
Test(util, clock_format_of_known_instants)
{
	static const struct instant	t[] = {
		{ 0, "1970-01-01T00:00:00.000" },
		{ 1, "1970-01-01T00:00:00.001" },
		{ 86399999, "1970-01-01T23:59:59.999" },
		{ 86400000, "1970-01-02T00:00:00.000" },
		{ 1583020800000LL, "2020-03-01T00:00:00.000" },
		{ 946684799999LL, "1999-12-31T23:59:59.999" },
		{ 946684800000LL, "2000-01-01T00:00:00.000" },
		{ 2147483647000LL, "2038-01-19T03:14:07.000" },
		{ 2147483648000LL, "2038-01-19T03:14:08.000" },
		{ 253402300799999LL, "9999-12-31T23:59:59.999" },
	};

	fmt_all(t, sizeof(t) / sizeof(t[0]));
}

Test(util, clock_format_of_leap_days_and_centuries)
{
	static const struct instant	t[] = {
		{ 68169600000LL, "1972-02-29T00:00:00.000" },
		{ 94694399000LL, "1972-12-31T23:59:59.000" },
		{ 94694400000LL, "1973-01-01T00:00:00.000" },
		{ 951825600123LL, "2000-02-29T12:00:00.123" },
		{ 1709164800000LL, "2024-02-29T00:00:00.000" },
		{ 1709251199999LL, "2024-02-29T23:59:59.999" },
		{ 1709251200000LL, "2024-03-01T00:00:00.000" },
		/* 2100 is not a leap year. */
		{ 4107542399000LL, "2100-02-28T23:59:59.000" },
		{ 4107542400000LL, "2100-03-01T00:00:00.000" },
	};

	fmt_all(t, sizeof(t) / sizeof(t[0]));
}

Test(util, clock_format_agrees_with_gmtime_for_every_day_to_2400)
{
	char		buf[32], want[32];
	struct tm	tm;
	time_t		t;
	int64_t		day, ms;

	/* 2400-12-31 is day 157067; a time of day that changes daily. */
	for (day = 0; day <= 157067; day++) {
		ms = day * 86400000 + (day * 7919 % 86400) * 1000 + day % 1000;
		t = (time_t)(ms / 1000);
		cr_assert_not_null(gmtime_r(&t, &tm));
		strftime(want, sizeof(want), "%Y-%m-%dT%H:%M:%S", &tm);
		snprintf(want + 19, sizeof(want) - 19, ".%03d",
		    (int)(ms % 1000));
		clock_format(ms, buf, sizeof(buf));
		if (strcmp(buf, want) != 0)
			cr_assert_str_eq(buf, want, "day %lld",
			    (long long)day);
	}
}

Test(util, clock_format_cuts_to_the_buffer_and_terminates)
{
	fmt_in(1709251199999LL, 24, "2024-02-29T23:59:59.999");
	fmt_in(1709251199999LL, 11, "2024-02-29");
}

Test(util, monotonic_clocks_never_go_backwards)
{
	int64_t	ms, us, prev_ms = clock_mono_ms(), prev_us = clock_mono_us();
	double	s, prev_s = clock_mono_s();
	int	i;

	for (i = 0; i < 100000; i++) {
		ms = clock_mono_ms();
		us = clock_mono_us();
		s = clock_mono_s();
		if (ms < prev_ms || us < prev_us || s < prev_s)
			cr_assert_fail("went back at %d: %lld/%lld us, %f/%f",
			    i, (long long)us, (long long)prev_us, s, prev_s);
		/* One clock: the microseconds read later are not behind. */
		if (us / 1000 < ms)
			cr_assert_fail("us %lld behind ms %lld", (long long)us,
			    (long long)ms);
		if (s * 1e6 < (double)us - 1)
			cr_assert_fail("s %f behind us %lld", s,
			    (long long)us);
		prev_ms = ms;
		prev_us = us;
		prev_s = s;
	}
}

Test(util, wall_clock_is_in_milliseconds_since_the_epoch)
{
	time_t	before, after;
	int64_t	now;

	before = time(NULL);
	now = clock_now_ms();
	after = time(NULL);
	cr_assert_geq(now, (int64_t)before * 1000);
	cr_assert_lt(now, ((int64_t)after + 1) * 1000);
}

/* ---- io.c ------------------------------------------------------------- */

static const char *
path_in(char *buf, size_t sz, const char *rel)
{
	snprintf(buf, sz, "%s/%s", h_dir, rel);
	return (buf);
}

static int
is_dir(const char *path, mode_t *mode)
{
	struct stat	sb;

	if (stat(path, &sb) == -1 || !S_ISDIR(sb.st_mode))
		return (0);
	if (mode != NULL)
		*mode = sb.st_mode & 07777;
	return (1);
}

/* rel, under h_dir, is a directory of mode want. */
static void
dir_mode_is(const char *rel, mode_t want)
{
	char	p[PATH_MAX];
	mode_t	mode;

	cr_assert(is_dir(path_in(p, sizeof(p), rel), &mode), "%s", rel);
	cr_assert_eq(mode, want, "%s: mode %o", rel, (unsigned)mode);
}

Test(util, mkdir_p_creates_every_missing_parent_as_0750)
{
	char	p[PATH_MAX];

	(void)umask(022);
	cr_assert_eq(io_mkdir_p(path_in(p, sizeof(p), "a/b/c/d")), 0);
	dir_mode_is("a", 0750);
	dir_mode_is("a/b/c", 0750);
	dir_mode_is("a/b/c/d", 0750);
	/* Less the umask. */
	(void)umask(077);
	cr_assert_eq(io_mkdir_p(path_in(p, sizeof(p), "a/e")), 0);
	dir_mode_is("a/e", 0700);
}

Test(util, mkdir_p_of_an_existing_dir_succeeds_and_changes_nothing)
{
	char	p[PATH_MAX];

	cr_assert_eq(io_mkdir_p(h_dir), 0);
	cr_assert_eq(mkdir(path_in(p, sizeof(p), "x"), 0700), 0);
	cr_assert_eq(io_mkdir_p(p), 0);
	dir_mode_is("x", 0700);
	/* Part of it existing: the rest is made. */
	cr_assert_eq(io_mkdir_p(path_in(p, sizeof(p), "x/y/z")), 0);
	cr_assert(is_dir(p, NULL));
	cr_assert_eq(io_mkdir_p(p), 0);
}

Test(util, mkdir_p_takes_trailing_and_doubled_slashes_and_relative_paths)
{
	char	p[PATH_MAX];

	cr_assert_eq(io_mkdir_p(path_in(p, sizeof(p), "s//t/")), 0);
	cr_assert(is_dir(path_in(p, sizeof(p), "s/t"), NULL));
	cr_assert_eq(chdir(h_dir), 0);
	cr_assert_eq(io_mkdir_p("rel/sub"), 0);
	cr_assert(is_dir(path_in(p, sizeof(p), "rel/sub"), NULL));
}

/* An empty regular file "f" under h_dir, in the way of io_mkdir_p. */
static void
make_file_f(void)
{
	char	p[PATH_MAX];
	int	fd;

	cr_assert_geq(fd = open(path_in(p, sizeof(p), "f"), O_CREAT |
	    O_WRONLY, 0600), 0);
	close(fd);
}

/* io_mkdir_p of rel, under h_dir, fails with ENOTDIR. */
static void
mkdir_not_dir(const char *rel)
{
	char	p[PATH_MAX];

	errno = 0;
	cr_assert_eq(io_mkdir_p(path_in(p, sizeof(p), rel)), -1, "%s", rel);
	cr_assert_eq(errno, ENOTDIR, "%s: errno %d", rel, errno);
}

Test(util, mkdir_p_fails_when_a_parent_is_a_file)
{
	make_file_f();
	mkdir_not_dir("f/sub");
	mkdir_not_dir("f/sub/deeper");
}

/*
 * Regression (io.c), fixed: a file where the directory should be was 0;
 * a regular file is not a directory.
 */
Test(util, mkdir_p_fails_when_the_path_itself_is_a_file)
{
	make_file_f();
	mkdir_not_dir("f");
}

Test(util, mkdir_p_refuses_a_path_longer_than_path_max)
{
	char	*p;

	cr_assert_not_null(p = malloc(PATH_MAX + 10));
	memset(p, 'a', PATH_MAX + 9);
	p[0] = '/';
	p[PATH_MAX + 9] = '\0';
	errno = 0;
	cr_assert_eq(io_mkdir_p(p), -1);
	cr_assert_eq(errno, ENAMETOOLONG);
	free(p);
}

Test(util, write_all_writes_every_byte_to_a_file)
{
	char		 p[PATH_MAX], *buf, *back;
	const size_t	 n = 3 << 20;
	size_t		 i;
	int		 fd;

	cr_assert_not_null(buf = malloc(n));
	cr_assert_not_null(back = malloc(n));
	for (i = 0; i < n; i++)
		buf[i] = (char)(i * 31 + i / 4096);
	cr_assert_geq(fd = open(path_in(p, sizeof(p), "w"), O_CREAT |
	    O_RDWR | O_TRUNC, 0600), 0);
	cr_assert_eq(io_write_all(fd, buf, n), 0);
	cr_assert_eq(io_write_all(fd, "tail", 4), 0);
	cr_assert_eq(io_write_all(fd, NULL, 0), 0, "nothing to write");
	cr_assert_eq(lseek(fd, 0, SEEK_END), (off_t)n + 4);
	cr_assert_eq(pread(fd, back, n, 0), (ssize_t)n);
	cr_assert_eq(memcmp(buf, back, n), 0);
	cr_assert_eq(pread(fd, back, 4, (off_t)n), 4);
	cr_assert_eq(memcmp(back, "tail", 4), 0);
	close(fd);
	free(buf);
	free(back);
}

Test(util, write_all_reports_errors_with_errno)
{
	int	fds[2];

	errno = 0;
	cr_assert_eq(io_write_all(-1, "x", 1), -1);
	cr_assert_eq(errno, EBADF);
	/* A pipe whose reader is gone. */
	(void)signal(SIGPIPE, SIG_IGN);
	cr_assert_eq(pipe(fds), 0);
	close(fds[0]);
	errno = 0;
	cr_assert_eq(io_write_all(fds[1], "abc", 3), -1);
	cr_assert_eq(errno, EPIPE);
	close(fds[1]);
}

struct drain {
	int		 fd;
	pthread_t	 writer;
	char		*buf;
	size_t		 len, cap;
	atomic_int	 signals;
};

static void
on_usr1(int sig)
{
	(void)sig;
}

/* Read the pipe to its end, interrupting the writer as it goes. */
static void *
drain(void *arg)
{
	struct drain	*d = arg;
	ssize_t		 n;

	for (;;) {
		if (d->signals < 2000) {
			(void)pthread_kill(d->writer, SIGUSR1);
			d->signals++;
		}
		n = read(d->fd, d->buf + d->len, d->cap - d->len > 1000 ?
		    1000 : d->cap - d->len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		d->len += (size_t)n;
	}
	return (NULL);
}

/*
 * A pipe holds 64 KiB: a large write blocks, and a signal (no SA_RESTART)
 * cuts it short or fails it with EINTR.  Every byte arrives once, in order.
 */
Test(util, write_all_survives_short_and_interrupted_writes)
{
	struct sigaction	 sa;
	struct drain		 d;
	pthread_t		 t;
	char			*buf;
	const size_t		 n = 8 << 20;
	size_t			 i;
	int			 fds[2];

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0;
	cr_assert_eq(sigaction(SIGUSR1, &sa, NULL), 0);
	cr_assert_not_null(buf = malloc(n));
	for (i = 0; i < n; i++)
		buf[i] = (char)(i ^ (i >> 9));
	cr_assert_eq(pipe(fds), 0);
	memset(&d, 0, sizeof(d));
	d.fd = fds[0];
	d.writer = pthread_self();
	d.cap = n + 1;
	cr_assert_not_null(d.buf = malloc(d.cap));
	cr_assert_eq(pthread_create(&t, NULL, drain, &d), 0);
	cr_assert_eq(io_write_all(fds[1], buf, n), 0);
	close(fds[1]);
	cr_assert_eq(pthread_join(t, NULL), 0);
	close(fds[0]);
	cr_assert_gt(d.signals, 0);
	cr_assert_eq(d.len, n, "%zu bytes of %zu arrived", d.len, n);
	cr_assert_eq(memcmp(d.buf, buf, n), 0, "bytes lost or repeated");
	free(d.buf);
	free(buf);
}

/* ---- threads.c -------------------------------------------------------- */

#define WORK	100000

struct work {
	atomic_uint		 next;		/* the next index to take */
	atomic_uint		 calls;		/* fn calls */
	atomic_uchar		 done[WORK];	/* times each index was run */
	pthread_t		 who[THREADS_MAX + 1];
	pthread_barrier_t	*all;		/* NULL, or wait for n calls */
};

static void *
work_fn(void *arg)
{
	struct work	*w = arg;
	unsigned	 i, me;

	me = atomic_fetch_add(&w->calls, 1);
	if (me <= THREADS_MAX)
		w->who[me] = pthread_self();
	if (w->all != NULL)
		(void)pthread_barrier_wait(w->all);
	while ((i = atomic_fetch_add(&w->next, 1)) < WORK)
		atomic_fetch_add(&w->done[i], 1);
	return (NULL);
}

/* threads_run with n; how many calls of fn there were. */
static unsigned
run(struct work *w, uint32_t n)
{
	unsigned	i;

	memset(w, 0, sizeof(*w));
	threads_run(work_fn, w, n);
	for (i = 0; i < WORK; i++)
		if (w->done[i] != 1)
			cr_assert_fail("n %u: index %u ran %u times", n, i,
			    (unsigned)w->done[i]);
	return (w->calls);
}

Test(util, threads_run_runs_every_index_once_on_one_thread)
{
	static struct work	w;

	cr_assert_eq(run(&w, 1), 1);
}

Test(util, threads_run_runs_every_index_once_on_four_threads)
{
	static struct work	w;
	unsigned		i, j;

	cr_assert_eq(run(&w, 4), 4);
	/* Four threads, alive together: four different ids. */
	for (i = 0; i < 4; i++)
		for (j = i + 1; j < 4; j++)
			cr_assert(!pthread_equal(w.who[i], w.who[j]),
			    "calls %u and %u on one thread", i, j);
}

Test(util, threads_run_runs_its_threads_at_once)
{
	static struct work	w;
	pthread_barrier_t	b;

	/* Each call waits for the other three: only concurrency ends it. */
	cr_assert_eq(pthread_barrier_init(&b, NULL, 4), 0);
	memset(&w, 0, sizeof(w));
	w.all = &b;
	threads_run(work_fn, &w, 4);
	cr_assert_eq(w.calls, 4);
	cr_assert_eq(w.next >= WORK, 1);
	pthread_barrier_destroy(&b);
}

Test(util, threads_run_counts_zero_as_one_and_caps_at_the_maximum)
{
	static struct work	w;

	cr_assert_eq(run(&w, 0), 1);
	cr_assert_eq(run(&w, THREADS_MAX), THREADS_MAX);
	cr_assert_eq(run(&w, THREADS_MAX + 1), THREADS_MAX);
	cr_assert_eq(run(&w, 100000), THREADS_MAX);
}

Test(util, utf8_well_formed_or_not)
{
	cr_assert(str_utf8(""));
	cr_assert(str_utf8("licence ended"));
	cr_assert(str_utf8("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x8e\xac"));
	cr_assert_not(str_utf8("caf\xc3"), "cut short at the end");
	cr_assert_not(str_utf8("\xa9 stray"), "a continuation alone");
	cr_assert_not(str_utf8("\xc0\xaf"), "overlong");
	cr_assert_not(str_utf8("\xe0\x80\xaf"), "overlong, three bytes");
	cr_assert_not(str_utf8("\xed\xa0\x80"), "a surrogate");
	cr_assert_not(str_utf8("\xf4\x90\x80\x80"), "above U+10FFFF");
	cr_assert_not(str_utf8("\xff"));
}

/*
 * io_put_file replaces a file whole (no temporary left behind, the new
 * file of the mode given, less the umask); io_read_file gives it back NUL-terminated, and refuses what
 * is not a regular file (a directory, a FIFO, a symbolic link) or is
 * larger than asked.
 */
Test(util, io_put_file_and_io_read_file)
{
	char		 path[PATH_MAX], other[PATH_MAX];
	struct stat	 sb;
	char		*buf;
	size_t		 len;

	snprintf(path, sizeof(path), "%s/f", h_dir);
	cr_assert_eq(io_put_file(path, "first", 5, 0640), 0);
	cr_assert_eq(io_put_file(path, "second", 6, 0600), 0);
	cr_assert_eq(stat(path, &sb), 0);
	cr_assert_eq(sb.st_mode & 0777, 0600, "a new file, of the mode given");
	cr_assert_eq(h_dir_count(h_dir), 1, "no temporary file is left");
	cr_assert_not_null(buf = io_read_file(path, 100, &len));
	cr_assert_eq(len, 6);
	cr_assert_str_eq(buf, "second");
	free(buf);
	cr_assert_null(io_read_file(path, 5, &len));
	cr_assert_eq(errno, EFBIG);
	cr_assert_null(io_read_file(h_dir, 100, &len));
	cr_assert_eq(errno, EINVAL);
	snprintf(other, sizeof(other), "%s/fifo", h_dir);
	cr_assert_eq(mkfifo(other, 0600), 0);
	cr_assert_null(io_read_file(other, 100, &len), "a FIFO never blocks");
	cr_assert_eq(errno, EINVAL);
	snprintf(other, sizeof(other), "%s/link", h_dir);
	cr_assert_eq(symlink(path, other), 0);
	cr_assert_null(io_read_file(other, 100, &len));
	cr_assert_eq(errno, ELOOP);
	snprintf(other, sizeof(other), "%s/none/f", h_dir);
	cr_assert_eq(io_put_file(other, "x", 1, 0600), -1);
	cr_assert_eq(errno, ENOENT);
}
