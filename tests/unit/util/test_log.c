/*
 * Unit tests for app/util/log.c's progress line: written over the last one
 * on a terminal (a pseudo-terminal here), cut to 79 columns, cleared by
 * log_progress_end and before a log line; nothing at all when stderr is a
 * pipe.
 */
#include <criterion/criterion.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "util/log.h"

TestSuite(log, .timeout = 30);

static int	saved = -1;	/* the real stderr while one is lent */

/* Point stderr at fd (a terminal or a pipe's end). */
static void
stderr_to(int fd)
{
	fflush(stderr);
	cr_assert_neq(saved = dup(STDERR_FILENO), -1);
	cr_assert_neq(dup2(fd, STDERR_FILENO), -1);
}

static void
stderr_back(void)
{
	fflush(stderr);
	cr_assert_neq(dup2(saved, STDERR_FILENO), -1);
	close(saved);
}

/* What is readable on fd now, into buf (NUL-terminated). */
static void
drain(int fd, char *buf, size_t sz)
{
	size_t	len = 0;
	ssize_t	n;

	cr_assert_neq(fcntl(fd, F_SETFL, O_NONBLOCK), -1);
	while (len + 1 < sz && (n = read(fd, buf + len, sz - 1 - len)) > 0)
		len += (size_t)n;
	buf[len] = '\0';
}

/* A pseudo-terminal without output processing: its master, its slave. */
static void
pty(int *master, int *slave)
{
	struct termios	t;

	cr_assert_neq(*master = posix_openpt(O_RDWR | O_NOCTTY), -1);
	cr_assert_eq(grantpt(*master), 0);
	cr_assert_eq(unlockpt(*master), 0);
	cr_assert_neq(*slave = open(ptsname(*master), O_RDWR | O_NOCTTY), -1);
	cr_assert_eq(tcgetattr(*slave, &t), 0);
	t.c_oflag &= ~(tcflag_t)OPOST;
	cr_assert_eq(tcsetattr(*slave, TCSANOW, &t), 0);
}

Test(log, progress_on_a_terminal_overwrites_and_is_cleared)
{
	char	buf[1024], wide[200];
	int	m, s;

	pty(&m, &s);
	memset(wide, 'x', sizeof(wide) - 1);
	wide[sizeof(wide) - 1] = '\0';
	stderr_to(s);
	log_progress("day %d of %d", 1, 7);
	log_progress("day %d of %d", 2, 7);
	log_progress_end();
	log_progress_end();		/* nothing shown: nothing to clear */
	log_progress("%s", wide);
	stderr_back();
	drain(m, buf, sizeof(buf));
	cr_assert_str_eq(buf, "\rday 1 of 7\033[K\rday 2 of 7\033[K\r\033[K"
	    "\r" "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "xxxxxxxxxxxxxxxxxxxxxxxx\033[K");
	/* A log line starts on a clean line. */
	stderr_to(s);
	log_warnx("a warning");
	stderr_back();
	drain(m, buf, sizeof(buf));
	cr_assert_eq(strncmp(buf, "\r\033[K", 4), 0, "%s", buf);
	cr_assert_not_null(strstr(buf, "cinerec warn: a warning\n"), "%s",
	    buf);
	close(s);
	close(m);
}

Test(log, no_progress_when_stderr_is_not_a_terminal)
{
	char	buf[256];
	int	p[2];

	cr_assert_eq(pipe(p), 0);
	stderr_to(p[1]);
	log_progress("day %d of %d", 1, 7);
	log_progress_end();
	log_info("done");
	stderr_back();
	close(p[1]);
	drain(p[0], buf, sizeof(buf));
	cr_assert_null(strchr(buf, '\r'), "%s", buf);
	cr_assert_null(strstr(buf, "day 1"), "%s", buf);
	cr_assert_not_null(strstr(buf, "cinerec info: done\n"), "%s", buf);
	close(p[0]);
}
