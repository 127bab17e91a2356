/*
 * Open-addressing hash map keyed by two 64-bit integers (see hmap.h).
 */
#include <stdlib.h>
#include <string.h>

#include "util/fault.h"
#include "util/hmap.h"

static uint64_t
mix(int64_t a, int64_t b)
{
	uint64_t	h = (uint64_t)a * 0x9e3779b97f4a7c15ULL;

	h ^= (uint64_t)b + 0x632be59bd9b4e019ULL + (h << 6) + (h >> 2);
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return (h);
}

static int
grow(struct hmap *m)
{
	struct hmap_slot	*old = m->slot, *s;
	size_t			 oldcap = m->cap, i, j, ncap;

	ncap = oldcap ? oldcap * 2 : 64;
	if ((m->slot = fault_calloc(ncap, sizeof(*m->slot))) == NULL) {
		m->slot = old;
		return (-1);
	}
	m->cap = ncap;
	for (i = 0; i < oldcap; i++) {
		if (!old[i].used)
			continue;
		j = mix(old[i].a, old[i].b) & (ncap - 1);
		while (m->slot[j].used)
			j = (j + 1) & (ncap - 1);
		s = &m->slot[j];
		*s = old[i];
	}
	free(old);
	return (0);
}

int
hmap_reserve(struct hmap *m, size_t extra)
{
	while ((m->len + extra) * 2 > m->cap)
		if (grow(m) == -1)
			return (-1);
	return (0);
}

uint32_t *
hmap_get(const struct hmap *m, int64_t a, int64_t b)
{
	size_t	i;

	if (m->cap == 0)
		return (NULL);
	i = mix(a, b) & (m->cap - 1);
	while (m->slot[i].used) {
		if (m->slot[i].a == a && m->slot[i].b == b)
			return (&m->slot[i].val);
		i = (i + 1) & (m->cap - 1);
	}
	return (NULL);
}

uint32_t *
hmap_put(struct hmap *m, int64_t a, int64_t b, uint32_t val, int *found)
{
	struct hmap_slot	*s;
	uint32_t		*v;
	size_t			 i;

	/* An existing key never moves the table. */
	if ((v = hmap_get(m, a, b)) != NULL) {
		*found = 1;
		return (v);
	}
	if ((m->len + 1) * 2 > m->cap && grow(m) == -1)
		return (NULL);
	i = mix(a, b) & (m->cap - 1);
	while (m->slot[i].used) {
		s = &m->slot[i];
		if (s->a == a && s->b == b) {
			*found = 1;
			return (&s->val);
		}
		i = (i + 1) & (m->cap - 1);
	}
	s = &m->slot[i];
	s->a = a;
	s->b = b;
	s->val = val;
	s->used = 1;
	m->len++;
	*found = 0;
	return (&s->val);
}

void
hmap_clear(struct hmap *m)
{
	if (m->len > 0)
		memset(m->slot, 0, m->cap * sizeof(*m->slot));
	m->len = 0;
}

void
hmap_free(struct hmap *m)
{
	free(m->slot);
	memset(m, 0, sizeof(*m));
}

void
hmap_str_key(const char *s, int64_t *a, int64_t *b)
{
	uint64_t	x = 0xcbf29ce484222325ULL, y = 0x84222325cbf29ce4ULL;

	for (; *s != '\0'; s++) {
		x = (x ^ (unsigned char)*s) * 0x100000001b3ULL;
		y = (y + (unsigned char)*s) * 0xc6a4a7935bd1e995ULL;
		y ^= y >> 29;
	}
	*a = (int64_t)x;
	*b = (int64_t)y;
}
