/*
 * Small I/O helpers shared by the modules that write files and sockets.
 */
#ifndef CINEREC_IO_H
#define CINEREC_IO_H

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

#endif
