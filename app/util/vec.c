/*
 * Growing arrays (see vec.h).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/fault.h"
#include "util/vec.h"

int
vec_grow(void **p, size_t *cap, size_t need, size_t size)
{
	size_t	 ncap;
	void	*np;

	if (need <= *cap)
		return (0);
	ncap = *cap ? *cap : 64;
	while (ncap < need) {
		if (ncap > SIZE_MAX / 2 / size)
			return (-1);
		ncap *= 2;
	}
	if ((np = fault_realloc(*p, ncap * size)) == NULL)
		return (-1);
	memset((char *)np + *cap * size, 0, (ncap - *cap) * size);
	*p = np;
	*cap = ncap;
	return (0);
}

int
vec_reserve(struct vec *v, size_t extra)
{
	return (vec_grow(&v->p, &v->cap, v->len + extra, v->size));
}

void *
vec_push(struct vec *v)
{
	void	*e;

	if (vec_reserve(v, 1) == -1)
		return (NULL);
	e = (char *)v->p + v->len * v->size;
	v->len++;
	memset(e, 0, v->size);
	return (e);
}

void
vec_free(struct vec *v)
{
	free(v->p);
	v->p = NULL;
	v->len = v->cap = 0;
}
