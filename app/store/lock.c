/*
 * The data dir's writer lock (see lock.h).
 */
#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util/io.h"
#include "store/lock.h"

static int
lock_path(const char *data_dir, char *path, size_t sz)
{
	int	n = snprintf(path, sz, "%s/%s", data_dir, LOCK_FILE);

	return (n < 0 || (size_t)n >= sz ? -1 : 0);
}

/* The pid and command recorded in the lock file at fd. */
static void
recorded(int fd, pid_t *pid, char *what, size_t sz)
{
	char	buf[128];
	ssize_t	n;
	long	p = 0;
	int	off = 0;

	*pid = 0;
	if (sz > 0)
		what[0] = '\0';
	if ((n = pread(fd, buf, sizeof(buf) - 1, 0)) <= 0)
		return;
	buf[n] = '\0';
	if (sscanf(buf, "%ld %n", &p, &off) >= 1 && p > 0) {
		*pid = (pid_t)p;
		buf[strcspn(buf, "\n")] = '\0';
		if (sz > 0)
			snprintf(what, sz, "%s", buf + off);
	}
}

static int
alive(pid_t pid)
{
	return (pid > 0 && (kill(pid, 0) == 0 || errno == EPERM));
}

int
lock_take(const char *data_dir, const char *what)
{
	struct timespec	 pause = { 0, 50 * 1000000L };
	char		 path[PATH_MAX], buf[128], holder[64];
	pid_t		 pid;
	int		 fd, n, waited = 0;

	if (lock_path(data_dir, path, sizeof(path)) == -1) {
		fprintf(stderr, "cinerec: data dir path too long: %s\n",
		    data_dir);
		return (-1);
	}
	if (io_mkdir_p(data_dir) == -1) {
		fprintf(stderr, "cinerec: cannot create %s: %s\n", data_dir,
		    strerror(errno));
		return (-1);
	}
	if ((fd = open(path, O_RDWR | O_CREAT, 0600)) == -1) {
		fprintf(stderr, "cinerec: cannot open %s: %s\n", path,
		    strerror(errno));
		return (-1);
	}
	while (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		if (errno == EINTR)
			continue;
		if (errno != EWOULDBLOCK) {
			fprintf(stderr, "cinerec: cannot lock %s: %s\n", path,
			    strerror(errno));
			close(fd);
			return (-1);
		}
		recorded(fd, &pid, holder, sizeof(holder));
		/* Its recorded process is gone: its children are exiting. */
		if (!alive(pid) && waited < LOCK_WAIT_MS) {
			nanosleep(&pause, NULL);
			waited += 50;
			continue;
		}
		if (alive(pid))
			fprintf(stderr, "cinerec: %s is in use by process %ld "
			    "(cinerec %s): stop it first, or use another "
			    "--data-dir\n", data_dir, (long)pid, holder);
		else
			fprintf(stderr, "cinerec: %s is in use: process %ld "
			    "(cinerec %s) exited, but processes it started "
			    "still hold %s\n", data_dir, (long)pid, holder,
			    path);
		close(fd);
		return (-1);
	}
	n = snprintf(buf, sizeof(buf), "%ld %s\n", (long)getpid(), what);
	if (n < 0 || (size_t)n >= sizeof(buf)) {	/* cut, still a line */
		n = (int)sizeof(buf) - 1;
		buf[n - 1] = '\n';
	}
	if (ftruncate(fd, 0) == -1 || pwrite(fd, buf, (size_t)n, 0) != n) {
		fprintf(stderr, "cinerec: cannot write %s: %s\n", path,
		    strerror(errno));
		close(fd);
		return (-1);
	}
	return (fd);
}

int
lock_holder(const char *data_dir, pid_t *pid, char *what, size_t sz)
{
	char	path[PATH_MAX];
	int	fd, rc;

	if (lock_path(data_dir, path, sizeof(path)) == -1)
		return (-1);
	if ((fd = open(path, O_RDONLY)) == -1)
		return (errno == ENOENT ? 0 : -1);
	if (flock(fd, LOCK_SH | LOCK_NB) == 0) {
		close(fd);
		return (0);
	}
	rc = errno == EWOULDBLOCK ? 1 : -1;
	if (rc == 1)
		recorded(fd, pid, what, sz);
	close(fd);
	return (rc);
}
