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
	if (size == 0 || need > SIZE_MAX / size)
		return (-1);
	ncap = *cap ? *cap : 64;
	while (ncap < need)
		ncap = ncap > SIZE_MAX / 2 / size ? need : ncap * 2;
	if (ncap > SIZE_MAX / size)
		ncap = need;
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
	if (extra > SIZE_MAX - v->len)
		return (-1);
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
