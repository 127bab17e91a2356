/*
 * Small I/O helpers (see io.h).
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/io.h"

int
io_write_all(int fd, const void *p, size_t len)
{
	const char	*b = p;
	ssize_t		 n;

	while (len > 0) {
		/* At most 1 GiB per call: some kernels cap a write there. */
		n = write(fd, b, len > (1U << 30) ? (1U << 30) : len);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			return (-1);
		}
		b += n;
		len -= (size_t)n;
	}
	return (0);
}

int
io_mkdir_p(const char *dir)
{
	struct stat	 sb;
	char		 tmp[PATH_MAX], *p;

	if (stat(dir, &sb) == 0 && S_ISDIR(sb.st_mode))
		return (0);
	if (strlen(dir) >= sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return (-1);
	}
	strcpy(tmp, dir);
	for (p = tmp + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0750) == -1 && errno != EEXIST)
			return (-1);
		*p = '/';
	}
	if (mkdir(tmp, 0750) == -1 && errno != EEXIST)
		return (-1);
	/* It exists now: as a directory, or something else is in the way. */
	if (stat(dir, &sb) == -1)
		return (-1);
	if (!S_ISDIR(sb.st_mode)) {
		errno = ENOTDIR;
		return (-1);
	}
	return (0);
}

int
io_put_file(const char *path, const void *buf, size_t len, mode_t mode)
{
	char	tmp[PATH_MAX];
	int	fd, e;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >=
	    sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return (-1);
	}
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)) ==
	    -1)
		return (-1);
	if (io_write_all(fd, buf, len) == -1 || fsync(fd) == -1 ||
	    close(fd) == -1 || rename(tmp, path) == -1) {
		e = errno;
		(void)close(fd);	/* EBADF when closed already */
		(void)unlink(tmp);
		errno = e;
		return (-1);
	}
	return (0);
}

char *
io_read_file(const char *path, size_t max, size_t *len)
{
	struct stat	 sb;
	char		*buf;
	ssize_t		 n;
	size_t		 got = 0;
	int		 fd, e;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)) ==
	    -1)
		return (NULL);
	if (fstat(fd, &sb) == -1) {
		e = errno;
		close(fd);
		errno = e;
		return (NULL);
	}
	if (!S_ISREG(sb.st_mode) || (uint64_t)sb.st_size > max) {
		close(fd);
		errno = !S_ISREG(sb.st_mode) ? EINVAL : EFBIG;
		return (NULL);
	}
	if ((buf = malloc((size_t)sb.st_size + 1)) == NULL) {
		close(fd);
		errno = ENOMEM;
		return (NULL);
	}
	while (got < (size_t)sb.st_size && (n = read(fd, buf + got,
	    (size_t)sb.st_size - got)) != 0) {
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			break;
		got += (size_t)n;
	}
	close(fd);
	if (got != (size_t)sb.st_size) {
		free(buf);
		errno = EIO;
		return (NULL);
	}
	buf[got] = '\0';
	*len = got;
	return (buf);
}
