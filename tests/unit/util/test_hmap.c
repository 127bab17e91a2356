/*
 * Unit tests for app/util/hmap.c: insert and find, the found flag, keys that
 * differ in one half, growth to many thousands of keys, clear and free.
 */
#include <criterion/criterion.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/hmap.h"

static struct hmap	m;

static void
setup(void)
{
	memset(&m, 0, sizeof(m));
}

static void
teardown(void)
{
	hmap_free(&m);
}

TestSuite(hmap, .init = setup, .fini = teardown, .timeout = 60);

static uint32_t *
put(int64_t a, int64_t b, uint32_t val, int *found)
{
	uint32_t	*v;

	*found = -1;
	cr_assert_not_null(v = hmap_put(&m, a, b, val, found));
	cr_assert(*found == 0 || *found == 1);
	return (v);
}

Test(hmap, empty_map_finds_nothing)
{
	cr_assert_null(hmap_get(&m, 0, 0));
	cr_assert_null(hmap_get(&m, 1, 2));
	hmap_clear(&m);		/* on a map that never allocated */
	cr_assert_null(hmap_get(&m, 0, 0));
	cr_assert_eq(m.len, 0);
}

Test(hmap, put_get_and_found_flag)
{
	uint32_t	*v;
	int		 found;

	v = put(7, 9, 100, &found);
	cr_assert_eq(found, 0);
	cr_assert_eq(*v, 100);
	/* Again: found, and the value is not overwritten. */
	v = put(7, 9, 555, &found);
	cr_assert_eq(found, 1);
	cr_assert_eq(*v, 100);
	/* Through the pointer the value can be updated in place. */
	*v = 101;
	cr_assert_not_null(v = hmap_get(&m, 7, 9));
	cr_assert_eq(*v, 101);
	cr_assert_eq(m.len, 1);

	/* Pairs differing in one half, or swapped, are other keys. */
	cr_assert_null(hmap_get(&m, 9, 7));
	cr_assert_null(hmap_get(&m, 7, 8));
	cr_assert_null(hmap_get(&m, 6, 9));
	v = put(9, 7, 1, &found);
	cr_assert_eq(found, 0);
	v = put(7, 0, 2, &found);
	cr_assert_eq(found, 0);
	v = put(0, 0, 3, &found);
	cr_assert_eq(found, 0);
	v = put(-1, INT64_MIN, 4, &found);
	cr_assert_eq(found, 0);
	v = put(INT64_MAX, -1, 5, &found);
	cr_assert_eq(found, 0);
	cr_assert_eq(m.len, 6);
	cr_assert_eq(*hmap_get(&m, 7, 9), 101);
	cr_assert_eq(*hmap_get(&m, 9, 7), 1);
	cr_assert_eq(*hmap_get(&m, 7, 0), 2);
	cr_assert_eq(*hmap_get(&m, 0, 0), 3);
	cr_assert_eq(*hmap_get(&m, -1, INT64_MIN), 4);
	cr_assert_eq(*hmap_get(&m, INT64_MAX, -1), 5);
	/* Value 0 is a value like any other. */
	v = put(42, 42, 0, &found);
	cr_assert_eq(found, 0);
	cr_assert_not_null(v = hmap_get(&m, 42, 42));
	cr_assert_eq(*v, 0);
}

Test(hmap, grows_past_many_thousands_of_keys)
{
	const int64_t	 n = 200000;
	uint32_t	*v;
	int64_t		 i;
	int		 found;

	for (i = 0; i < n; i++) {
		/* Keys shaped like the writer's: (user, movie) pairs. */
		v = put(i / 100, i % 100 + (i & 1 ? 1000000 : 0),
		    (uint32_t)i, &found);
		cr_assert_eq(found, 0, "key %lld", (long long)i);
		cr_assert_eq(*v, (uint32_t)i);
	}
	cr_assert_eq(m.len, (size_t)n);
	cr_assert_geq(m.cap, 2 * (size_t)n, "at most half full");
	cr_assert_eq(m.cap & (m.cap - 1), 0, "a power of two");
	for (i = 0; i < n; i++) {
		v = hmap_get(&m, i / 100, i % 100 + (i & 1 ? 1000000 : 0));
		cr_assert_not_null(v, "key %lld lost", (long long)i);
		cr_assert_eq(*v, (uint32_t)i);
	}
	for (i = 0; i < n; i += 997) {
		v = put(i / 100, i % 100 + (i & 1 ? 1000000 : 0), 0, &found);
		cr_assert_eq(found, 1);
		cr_assert_eq(*v, (uint32_t)i);
	}
	cr_assert_null(hmap_get(&m, n, 0));
	cr_assert_null(hmap_get(&m, 0, 1000050));	/* 50 is even */
	cr_assert_eq(m.len, (size_t)n);
}

Test(hmap, clear_empties_and_keeps_memory)
{
	struct hmap_slot	*slots;
	size_t			 cap;
	int64_t			 i;
	int			 found;

	for (i = 0; i < 5000; i++)
		put(i, -i, (uint32_t)i, &found);
	slots = m.slot;
	cap = m.cap;
	hmap_clear(&m);
	cr_assert_eq(m.len, 0);
	cr_assert_eq(m.cap, cap);
	cr_assert_eq(m.slot, slots);
	for (i = 0; i < 5000; i++)
		cr_assert_null(hmap_get(&m, i, -i));
	/* Reused: new values, found 0 again. */
	for (i = 0; i < 5000; i += 7) {
		cr_assert_eq(*put(i, -i, 7, &found), 7);
		cr_assert_eq(found, 0);
	}
	cr_assert_eq(m.len, (5000 + 6) / 7);
	cr_assert_eq(m.cap, cap, "no growth for fewer keys than before");
	cr_assert_eq(*hmap_get(&m, 14, -14), 7);
	cr_assert_null(hmap_get(&m, 15, -15));
}

Test(hmap, free_leaves_an_empty_reusable_map)
{
	int	found;

	put(1, 2, 3, &found);
	hmap_free(&m);
	cr_assert_null(m.slot);
	cr_assert_eq(m.cap, 0);
	cr_assert_eq(m.len, 0);
	cr_assert_null(hmap_get(&m, 1, 2));
	cr_assert_eq(*put(1, 2, 4, &found), 4);
	cr_assert_eq(found, 0);
	hmap_free(&m);
	hmap_free(&m);		/* twice is fine */
}

/*
 * Regression (hmap.c, hmap_put), fixed: the table grows before the key is looked up, so
 * a put of a key already present can move every slot, invalidating a
 * pointer that hmap.h promises stays "valid until the next insertion"
 * (and doubling the memory without inserting anything).
 */
Test(hmap, regression_put_of_an_existing_key_does_not_move_values)
{
	uint32_t	*first, *again;
	size_t		 cap;
	int64_t		 i;
	int		 found;

	put(1, 1, 11, &found);
	for (i = 2; m.len * 2 < m.cap; i++)
		put(i, i, (uint32_t)i, &found);
	/* Exactly half full: the next insertion would grow the table. */
	cap = m.cap;
	first = hmap_get(&m, 1, 1);
	again = put(1, 1, 99, &found);
	cr_assert_eq(found, 1);
	cr_assert_eq(*again, 11);
	cr_assert_eq(m.cap, cap, "grew on a put that inserted nothing");
	cr_assert_eq(again, first,
	    "the existing value moved on a put that inserted nothing");
}
