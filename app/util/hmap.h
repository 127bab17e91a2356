/*
 * A hash map from a pair of 64-bit integers to a 32-bit value, for the
 * writer's per-batch aggregation.  Open addressing, linear probing; it only
 * grows, and hmap_clear empties it without giving memory back.
 */
#ifndef CINEREC_HMAP_H
#define CINEREC_HMAP_H

#include <stddef.h>
#include <stdint.h>

struct hmap_slot {
	int64_t		 a, b;		/* the key */
	uint32_t	 val;		/* the value */
	uint32_t	 used;		/* 0: empty */
};

struct hmap {
	struct hmap_slot	*slot;	/* cap slots */
	size_t			 cap;	/* a power of two, or 0 */
	size_t			 len;	/* used slots, at most cap / 2 */
};

/*
 * Find key (a, b).  If absent, insert it with value val and set *found to 0;
 * else set *found to 1.  Returns a pointer to the value (valid until the
 * next insertion), or NULL when out of memory.
 */
uint32_t	*hmap_put(struct hmap *m, int64_t a, int64_t b, uint32_t val,
		    int *found);

/*
 * Make room for extra more keys, so that as many hmap_put calls cannot fail.
 * Returns 0, or -1 when out of memory (m is unchanged).
 */
int		 hmap_reserve(struct hmap *m, size_t extra);

/* The value of (a, b), or NULL. */
uint32_t	*hmap_get(const struct hmap *m, int64_t a, int64_t b);

/* Remove every key; keeps the memory. */
void		 hmap_clear(struct hmap *m);

/*
 * The key of string s: two 64-bit hashes (FNV-1a, and a multiplicative one
 * with a shift), so that distinct strings of a catalogue do not collide.
 */
void		 hmap_str_key(const char *s, int64_t *a, int64_t *b);

/* Free the memory; m is then empty and reusable. */
void		 hmap_free(struct hmap *m);

#endif
