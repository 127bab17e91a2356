/*
 * String arena (see arena.h).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/arena.h"
#include "util/fault.h"

int
arena_reserve(struct arena *a, size_t extra)
{
	size_t	 ncap;
	char	*p;

	if (extra > SIZE_MAX - a->len)
		return (-1);
	if (a->len + extra <= a->cap)
		return (0);
	ncap = a->cap ? a->cap : 4096;
	while (ncap < a->len + extra)
		ncap = ncap > SIZE_MAX / 2 ? a->len + extra : ncap * 2;
	if ((p = fault_realloc(a->p, ncap)) == NULL)
		return (-1);
	a->p = p;
	a->cap = ncap;
	return (0);
}

size_t
arena_add(struct arena *a, const char *s, size_t len)
{
	size_t	off = a->len;

	if (len == SIZE_MAX || arena_reserve(a, len + 1) == -1)
		return (ARENA_NONE);
	memcpy(a->p + off, s, len);
	a->p[off + len] = '\0';
	a->len += len + 1;
	return (off);
}

void
arena_free(struct arena *a)
{
	free(a->p);
	memset(a, 0, sizeof(*a));
}
