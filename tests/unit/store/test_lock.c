/*
 * Unit tests for app/store/lock.c: the data dir's writer lock taken with
 * the holder's pid and command recorded, a second taker (another process
 * or another descriptor of this one) refused with a message naming the
 * holder, release and retaking, a stale lock file of a dead process, a
 * holder whose recorded process exited, lock_holder, and the error paths.
 */
#include <criterion/criterion.h>

#include "harness.h"
#include "scratch.h"

#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "store/lock.h"

static char	data[128];	/* h_dir/data, made by lock_take */
static char	lockpath[192];	/* its lock file */
static const char	*errtext = "";	/* stderr of the last capture */

static void
setup(void)
{
	h_scratch_setup();
	snprintf(data, sizeof(data), "%s/data", h_dir);
	snprintf(lockpath, sizeof(lockpath), "%s/%s", data, LOCK_FILE);
}

TestSuite(lock, .init = setup, .fini = h_scratch_teardown, .timeout = 60);

/* ---- helpers */

/* lock_take that must fail: its one line of stderr. */
static const char *
refused(const char *what)
{
	int	fd;

	h_stderr_begin();
	fd = lock_take(data, what);
	errtext = h_stderr_end();
	cr_assert_eq(fd, -1, "taken twice");
	return (errtext);
}

static const char *
file_text(const char *path, char *buf, size_t sz)
{
	ssize_t	n;
	int	fd;

	cr_assert((fd = open(path, O_RDONLY)) != -1, "%s", path);
	n = read(fd, buf, sz - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return (buf);
}

static void
write_file(const char *path, const char *text)
{
	h_write_file(path, text, strlen(text));
}

/* A pid that was a process a moment ago and is none now. */
static pid_t
dead_pid(void)
{
	pid_t	pid = fork();

	cr_assert(pid != -1);
	if (pid == 0)
		_exit(0);
	cr_assert_eq(waitpid(pid, NULL, 0), pid);
	return (pid);
}

static void
sleep_ms(int ms)
{
	struct timespec	ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/*
 * A child that takes the lock with lock_take(what) and holds it until the
 * parent closes *ctl.  Returns its pid once it holds the lock.
 */
static pid_t
holder(const char *what, int *ctl)
{
	int	up[2], down[2];
	pid_t	pid;
	char	c = 0;

	cr_assert(pipe(up) == 0 && pipe(down) == 0);
	cr_assert((pid = fork()) != -1);
	if (pid == 0) {
		close(up[0]);
		close(down[1]);
		c = lock_take(data, what) == -1 ? 'n' : 'y';
		(void)write(up[1], &c, 1);
		(void)read(down[0], &c, 1);	/* until the parent closes */
		_exit(0);
	}
	close(up[1]);
	close(down[0]);
	cr_assert_eq(read(up[0], &c, 1), 1);
	close(up[0]);
	cr_assert_eq(c, 'y', "the child could not take the lock");
	*ctl = down[1];
	return (pid);
}

/* ---- tests */

Test(lock, take_makes_the_dir_and_records_pid_and_command)
{
	char	buf[256], want[64], what[64];
	pid_t	pid = 0;
	int	fd, other;

	cr_assert_eq(lock_holder(data, &pid, what, sizeof(what)), 0,
	    "nobody holds a lock that was never taken");
	fd = lock_take(data, "serve");
	cr_assert_geq(fd, 0);
	snprintf(want, sizeof(want), "%ld serve\n", (long)getpid());
	cr_assert_str_eq(file_text(lockpath, buf, sizeof(buf)), want);
	/* Kept across exec: Kore's workers inherit it. */
	cr_assert_eq(fcntl(fd, F_GETFD) & FD_CLOEXEC, 0);
	/* The kernel holds it: flock on another descriptor fails. */
	cr_assert((other = open(lockpath, O_RDONLY)) != -1);
	cr_assert_eq(flock(other, LOCK_EX | LOCK_NB), -1);
	cr_assert_eq(errno, EWOULDBLOCK);
	close(other);
	cr_assert_eq(lock_holder(data, &pid, what, sizeof(what)), 1);
	cr_assert_eq(pid, getpid());
	cr_assert_str_eq(what, "serve");
	/* A small buffer cuts the command. */
	cr_assert_eq(lock_holder(data, &pid, what, 3), 1);
	cr_assert_str_eq(what, "se");
	close(fd);
	cr_assert_eq(lock_holder(data, &pid, what, sizeof(what)), 0);
}

/*
 * Regression (lock.c), fixed: a command too long for the record wrote the
 * untruncated length, stack bytes after the cut included.
 */
Test(lock, a_long_command_is_cut_to_a_record_of_one_line)
{
	char	what[201], buf[512], got[256];
	pid_t	pid = 0;
	int	fd;

	memset(what, 'w', sizeof(what) - 1);
	what[sizeof(what) - 1] = '\0';
	cr_assert_geq(fd = lock_take(data, what), 0);
	file_text(lockpath, buf, sizeof(buf));
	cr_assert_lt(strlen(buf), 128, "%zu bytes", strlen(buf));
	cr_assert_eq(buf[strlen(buf) - 1], '\n');
	cr_assert_eq(strspn(strchr(buf, ' ') + 1, "w"), strlen(buf) -
	    (size_t)(strchr(buf, ' ') - buf) - 2, "only the command's bytes");
	cr_assert_eq(lock_holder(data, &pid, got, sizeof(got)), 1);
	cr_assert_eq(pid, getpid());
	close(fd);
}

Test(lock, second_taker_in_this_process_is_refused_until_release)
{
	char	want[256];
	int	fd, fd2;

	cr_assert_geq(fd = lock_take(data, "import"), 0);
	snprintf(want, sizeof(want), "cinerec: %s is in use by process %ld "
	    "(cinerec import): stop it first, or use another --data-dir\n",
	    data, (long)getpid());
	cr_assert_str_eq(refused("serve"), want);
	/* The refused taker did not overwrite the record. */
	cr_assert_str_eq(refused("demo"), want);
	close(fd);
	cr_assert_geq(fd2 = lock_take(data, "serve"), 0, "released: retaken");
	close(fd2);
}

Test(lock, second_taker_is_refused_naming_the_holder_in_another_process)
{
	char	want[256], what[64];
	pid_t	child, pid;
	int	ctl, fd, status;

	child = holder("serve", &ctl);
	snprintf(want, sizeof(want), "cinerec: %s is in use by process %ld "
	    "(cinerec serve): stop it first, or use another --data-dir\n",
	    data, (long)child);
	cr_assert_str_eq(refused("restore"), want);
	cr_assert_eq(lock_holder(data, &pid, what, sizeof(what)), 1);
	cr_assert_eq(pid, child);
	cr_assert_str_eq(what, "serve");
	/* It exits: the kernel releases the lock, anyone may take it. */
	close(ctl);
	cr_assert_eq(waitpid(child, &status, 0), child);
	cr_assert_eq(lock_holder(data, &pid, what, sizeof(what)), 0);
	cr_assert_geq(fd = lock_take(data, "restore"), 0);
	cr_assert_eq(lock_holder(data, &pid, what, sizeof(what)), 1);
	cr_assert_eq(pid, getpid());
	cr_assert_str_eq(what, "restore");
	close(fd);
}

Test(lock, a_child_inheriting_the_descriptor_keeps_it_held)
{
	char	what[64];
	pid_t	child, pid;
	int	fd, p[2], status;
	char	c;

	cr_assert_geq(fd = lock_take(data, "serve"), 0);
	cr_assert_eq(pipe(p), 0);
	cr_assert((child = fork()) != -1);
	if (child == 0) {
		close(p[1]);
		(void)read(p[0], &c, 1);
		_exit(0);
	}
	close(p[0]);
	close(fd);	/* the parent lets go; the worker still has it */
	cr_assert_eq(lock_holder(data, &pid, what, sizeof(what)), 1);
	cr_assert_eq(pid, getpid());
	close(p[1]);
	cr_assert_eq(waitpid(child, &status, 0), child);
	cr_assert_eq(lock_holder(data, &pid, what, sizeof(what)), 0);
}

Test(lock, stale_lock_file_of_a_dead_process_is_taken)
{
	char	buf[256], want[64], what[64];
	pid_t	pid;
	int	fd;

	cr_assert_eq(mkdir(data, 0700), 0);
	snprintf(buf, sizeof(buf), "%ld serve\n", (long)dead_pid());
	write_file(lockpath, buf);
	/* A record, but no flock: nobody holds it. */
	cr_assert_eq(lock_holder(data, &pid, what, sizeof(what)), 0);
	cr_assert_geq(fd = lock_take(data, "import-movielens"), 0);
	snprintf(want, sizeof(want), "%ld import-movielens\n",
	    (long)getpid());
	cr_assert_str_eq(file_text(lockpath, buf, sizeof(buf)), want,
	    "the old record is replaced, not appended to");
	close(fd);
	/* A longer old record than the new one: cut to the new one. */
	write_file(lockpath, "99999999 a-very-long-command-name-indeed\n");
	cr_assert_geq(fd = lock_take(data, "x"), 0);
	snprintf(want, sizeof(want), "%ld x\n", (long)getpid());
	cr_assert_str_eq(file_text(lockpath, buf, sizeof(buf)), want);
	close(fd);
}

Test(lock, a_holder_whose_recorded_process_exited_is_waited_for)
{
	char	buf[64], want[64];
	pid_t	child;
	int	up[2], fd, status;
	char	c;

	/* The real holder (a worker) outlives the recorded pid (its parent). */
	cr_assert_eq(mkdir(data, 0700), 0);
	snprintf(buf, sizeof(buf), "%ld serve\n", (long)dead_pid());
	write_file(lockpath, buf);
	cr_assert_eq(pipe(up), 0);
	cr_assert((child = fork()) != -1);
	if (child == 0) {
		close(up[0]);
		fd = open(lockpath, O_RDONLY);
		c = flock(fd, LOCK_EX) == 0 ? 'y' : 'n';
		(void)write(up[1], &c, 1);
		sleep_ms(300);	/* then exits, as a worker going down */
		_exit(0);
	}
	close(up[1]);
	cr_assert_eq(read(up[0], &c, 1), 1);
	cr_assert_eq(c, 'y');
	close(up[0]);
	/* Within LOCK_WAIT_MS it lets go: taken, no message. */
	h_stderr_begin();
	fd = lock_take(data, "serve");
	cr_assert_str_eq(h_stderr_end(), "");
	cr_assert_geq(fd, 0);
	snprintf(want, sizeof(want), "%ld serve\n", (long)getpid());
	cr_assert_str_eq(file_text(lockpath, buf, sizeof(buf)), want);
	cr_assert_eq(waitpid(child, &status, 0), child);
	close(fd);
}

Test(lock, holder_of_an_unreadable_record_has_pid_zero)
{
	char	what[64] = "x";
	pid_t	pid = 42;
	int	fd;

	cr_assert_eq(mkdir(data, 0700), 0);
	write_file(lockpath, "not a pid\n");
	cr_assert((fd = open(lockpath, O_RDONLY)) != -1);
	cr_assert_eq(flock(fd, LOCK_EX), 0);
	cr_assert_eq(lock_holder(data, &pid, what, sizeof(what)), 1);
	cr_assert_eq(pid, 0);
	cr_assert_str_eq(what, "");
	close(fd);
}

Test(lock, take_fails_with_a_message_when_the_dir_cannot_be_used)
{
	char	 longdir[PATH_MAX + 16];
	pid_t	 pid;
	char	 what[16];
	int	 fd;

	/* A file where the data dir should be. */
	write_file(data, "x");
	h_stderr_begin();
	fd = lock_take(data, "serve");
	errtext = h_stderr_end();
	cr_assert_eq(fd, -1);
	/* ("cannot open <lock file>": io_mkdir_p takes the file for a dir.) */
	cr_assert_eq(strncmp(errtext, "cinerec: cannot ", 16), 0, "%s",
	    errtext);
	cr_assert_not_null(strstr(errtext, data), "%s", errtext);
	cr_assert_eq(errtext[strlen(errtext) - 1], '\n');
	/* A path too long for the lock file. */
	memset(longdir, 'a', sizeof(longdir) - 1);
	longdir[0] = '/';
	longdir[sizeof(longdir) - 1] = '\0';
	h_stderr_begin();
	fd = lock_take(longdir, "serve");
	errtext = h_stderr_end();
	cr_assert_eq(fd, -1);
	cr_assert_eq(strncmp(errtext, "cinerec: data dir path too long: ", 33),
	    0, "%s", errtext);
	cr_assert_eq(lock_holder(longdir, &pid, what, sizeof(what)), -1);
}
