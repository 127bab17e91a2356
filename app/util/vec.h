/*
 * Growing arrays: the one place that doubles a capacity.  Allocation goes
 * through fault_realloc (fault.h), so the out-of-memory paths of their
 * users can be tested.
 */
#ifndef CINEREC_VEC_H
#define CINEREC_VEC_H

#include <stddef.h>

/*
 * An array of len elements of size bytes, with room for cap.  Invariant:
 * len <= cap; p is NULL while cap is 0.
 */
struct vec {
	void	*p;
	size_t	 len, cap, size;
};

#define VEC_AT(v, type, i)	(&((type *)(v)->p)[i])

/*
 * Make *p (an array of *cap elements of size bytes) hold at least need
 * elements: the capacity doubles from 64, the new elements are zeroed.
 * Returns 0, or -1 when out of memory (*p and *cap unchanged).
 */
int	 vec_grow(void **p, size_t *cap, size_t need, size_t size);

/* Room for extra more elements in v.  Returns 0 or -1 (v unchanged). */
int	 vec_reserve(struct vec *v, size_t extra);

/* A new zeroed element at the end of v, or NULL when out of memory. */
void	*vec_push(struct vec *v);

/* Free v's memory; v is then empty (its element size kept). */
void	 vec_free(struct vec *v);

#endif
