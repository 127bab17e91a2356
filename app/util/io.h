/*
 * Small I/O helpers shared by the modules that write files and sockets.
 */
#ifndef CINEREC_IO_H
#define CINEREC_IO_H

#include <sys/types.h>

#include <stddef.h>

/*
 * Write all len bytes of p to fd, retrying short writes and EINTR.
 * Returns 0, or -1 with errno set.
 */
int	io_write_all(int fd, const void *p, size_t len);

/*
 * Create dir and its missing parents (mode 0750, less the umask).  Returns
 * 0 (also when it exists), or -1 with errno set.
 */
int	io_mkdir_p(const char *dir);

/*
 * Write len bytes of buf to path whole: a temporary path.tmp (of mode,
 * less the umask) written, synced and renamed over path.  Returns 0, or -1 with
 * errno set (the temporary file removed).
 */
int	io_put_file(const char *path, const void *buf, size_t len,
	    mode_t mode);

/*
 * The whole of the regular file path (never a symbolic link's target nor
 * a FIFO) in a malloc'ed buffer, NUL after its *len bytes, max bytes at
 * most.  NULL with errno set: EINVAL not a regular file, EFBIG over max,
 * EIO read short.
 */
char	*io_read_file(const char *path, size_t max, size_t *len);

#endif
