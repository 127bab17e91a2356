/*
 * Small I/O helpers (see io.h).
 */
#include <errno.h>
#include <unistd.h>

#include "io.h"

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
