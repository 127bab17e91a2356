/*
 * Newline framing for byte streams (TCP connections, files): bytes are read
 * straight into the buffer, complete lines are handed to a callback, a
 * partial line waits for the next read.  A line longer than the buffer is
 * handed over cut (longer than PARSE_LINE_MAX, so the parser rejects it as
 * too_long) and the rest of it is skipped: memory stays bounded.
 */
#ifndef CINEREC_LINES_H
#define CINEREC_LINES_H

#include <stddef.h>

#include "ingest/parse.h"

#define LINES_BUF	(PARSE_LINE_MAX + 1 + 65536)

struct lines {
	char	buf[LINES_BUF];	/* [0, len) holds an incomplete line */
	size_t	len;
	int	skipping;	/* inside an over-long line already reported */
};

/* Called with each line, without its '\n'.  Returns 0, or -1 to stop. */
typedef int	(*lines_cb)(void *arg, const char *line, size_t len);

/* Where the next read may write, and how much (always > 0). */
char	*lines_space(struct lines *l, size_t *avail);

/*
 * n bytes were written at lines_space(): hand every complete line to cb.
 * Returns 0, or -1 if cb stopped (the remaining complete lines are then
 * dropped).
 */
int	 lines_commit(struct lines *l, size_t n, lines_cb cb, void *arg);

/* End of stream: a last line without '\n' goes to cb.  Returns cb's result. */
int	 lines_finish(struct lines *l, lines_cb cb, void *arg);

#endif
