/*
 * Newline framing over a fixed buffer (see lines.h).
 */
#include <string.h>

#include "ingest/lines.h"

char *
lines_space(struct lines *l, size_t *avail)
{
	*avail = sizeof(l->buf) - l->len;
	return (l->buf + l->len);
}

int
lines_commit(struct lines *l, size_t n, lines_cb cb, void *arg)
{
	char	*start = l->buf, *end = l->buf + l->len + n, *nl;
	int	 rc = 0;

	l->len += n;
	while (start < end &&
	    (nl = memchr(start, '\n', (size_t)(end - start))) != NULL) {
		if (l->skipping)
			l->skipping = 0;
		else if (rc == 0)
			rc = cb(arg, start, (size_t)(nl - start));
		start = nl + 1;
	}
	l->len = (size_t)(end - start);
	if (l->len == sizeof(l->buf)) {
		/* No newline in a full buffer: report once, skip the rest. */
		if (!l->skipping && rc == 0)
			rc = cb(arg, l->buf, l->len);
		l->skipping = 1;
		l->len = 0;
	} else if (l->skipping) {
		l->len = 0;
	} else if (start != l->buf && l->len > 0) {
		memmove(l->buf, start, l->len);
	}
	return (rc);
}

int
lines_finish(struct lines *l, lines_cb cb, void *arg)
{
	int	rc = 0;

	if (l->len > 0 && !l->skipping)
		rc = cb(arg, l->buf, l->len);
	l->len = 0;
	l->skipping = 0;
	return (rc);
}
