/*
 * Small I/O helpers (see io.h).
 */
#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
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
