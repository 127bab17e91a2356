/*
 * A growing byte buffer of NUL-terminated strings, found again by their
 * offset (offsets stay valid when it grows; pointers do not).
 */
#ifndef CINEREC_ARENA_H
#define CINEREC_ARENA_H

#include <stddef.h>

#define ARENA_NONE	((size_t)-1)	/* no string */

/* Invariant: len <= cap; p[0..len) holds the strings with their NULs. */
struct arena {
	char	*p;
	size_t	 len, cap;
};

/* Room for extra more bytes.  Returns 0, or -1 (a unchanged). */
int	arena_reserve(struct arena *a, size_t extra);

/* Append len bytes of s and a NUL: the offset, or ARENA_NONE. */
size_t	arena_add(struct arena *a, const char *s, size_t len);

/* The string at off (which arena_add returned). */
#define ARENA_AT(a, off)	((a)->p + (off))

void	arena_free(struct arena *a);

#endif
