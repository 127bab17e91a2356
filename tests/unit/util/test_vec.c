/*
 * Unit tests for app/util/vec.c and app/util/arena.c: the capacity doubling
 * from 64 (vec) and 4096 (arena) bytes, contents kept and new room zeroed
 * across growth, no reallocation when there is room, size computations
 * that would overflow refused, out of memory (fault.h) leaving the array
 * unchanged, vec_push, arena offsets and strings, and free then reuse.
 */
#include <criterion/criterion.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/arena.h"
#include "util/fault.h"
#include "util/vec.h"

static struct vec	v;
static struct arena	a;

static void
setup(void)
{
	memset(&v, 0, sizeof(v));
	memset(&a, 0, sizeof(a));
	(void)fault_arm(0, 0);
}

static void
teardown(void)
{
	(void)fault_arm(0, 0);
	vec_free(&v);
	arena_free(&a);
}

TestSuite(vec, .init = setup, .fini = teardown, .timeout = 60);

struct rec {
	uint64_t	a;
	uint32_t	b;
	char		c[20];
};

/* ---- vec_grow --------------------------------------------------------- */

Test(vec, grow_starts_at_64_and_doubles_to_cover_the_need)
{
	uint32_t	*p = NULL;
	size_t		 cap = 0, i;

	cr_assert_eq(vec_grow((void **)&p, &cap, 0, sizeof(*p)), 0);
	cr_assert_null(p, "nothing needed, nothing allocated");
	cr_assert_eq(cap, 0);
	cr_assert_eq(vec_grow((void **)&p, &cap, 1, sizeof(*p)), 0);
	cr_assert_not_null(p);
	cr_assert_eq(cap, 64);
	cr_assert_eq(vec_grow((void **)&p, &cap, 64, sizeof(*p)), 0);
	cr_assert_eq(cap, 64, "64 fit in 64");
	cr_assert_eq(vec_grow((void **)&p, &cap, 65, sizeof(*p)), 0);
	cr_assert_eq(cap, 128);
	cr_assert_eq(vec_grow((void **)&p, &cap, 1000, sizeof(*p)), 0);
	cr_assert_eq(cap, 1024, "doubled as often as needed at once");
	cr_assert_eq(vec_grow((void **)&p, &cap, 1025, sizeof(*p)), 0);
	cr_assert_eq(cap, 2048);
	/* Every element is usable (valgrind checks the bounds). */
	for (i = 0; i < cap; i++)
		p[i] = (uint32_t)i;
	cr_assert_eq(p[2047], 2047);
	free(p);
}

Test(vec, grow_keeps_contents_and_zeroes_the_new_room)
{
	struct rec	*p = NULL;
	size_t		 cap = 0, i, j;
	const char	*b;

	cr_assert_eq(vec_grow((void **)&p, &cap, 10, sizeof(*p)), 0);
	for (i = 0; i < cap; i++) {
		p[i].a = i * 1000003;
		p[i].b = (uint32_t)~i;
		memset(p[i].c, (int)(i & 0x7f) | 1, sizeof(p[i].c));
	}
	cr_assert_eq(vec_grow((void **)&p, &cap, 5000, sizeof(*p)), 0);
	cr_assert_eq(cap, 8192);
	for (i = 0; i < 64; i++) {
		cr_assert_eq(p[i].a, i * 1000003, "element %zu lost", i);
		cr_assert_eq(p[i].b, (uint32_t)~i);
		cr_assert_eq(p[i].c[19], (char)((i & 0x7f) | 1));
	}
	b = (const char *)&p[64];
	for (j = 0; j < (cap - 64) * sizeof(*p) && b[j] == 0; j++)
		continue;
	cr_assert_eq(j, (cap - 64) * sizeof(*p), "new byte %zu not zero", j);
	free(p);
}

Test(vec, grow_with_room_does_not_move_the_array)
{
	char	*p = NULL, *first;
	size_t	 cap = 0;

	cr_assert_eq(vec_grow((void **)&p, &cap, 100, 1), 0);
	first = p;
	cr_assert_eq(cap, 128);
	cr_assert_eq(vec_grow((void **)&p, &cap, 128, 1), 0);
	cr_assert_eq(vec_grow((void **)&p, &cap, 3, 1), 0);
	cr_assert_eq(p, first);
	cr_assert_eq(cap, 128, "never shrinks");
	/* With room, even an armed fault is not reached. */
	(void)fault_arm(1, 1);
	cr_assert_eq(vec_grow((void **)&p, &cap, 128, 1), 0);
	cr_assert_eq(fault_arm(0, 0), 0, "no allocation was tried");
	free(p);
}

Test(vec, grow_refuses_sizes_that_overflow_and_changes_nothing)
{
	uint64_t	*p = NULL, *first;
	size_t		 cap = 0;

	cr_assert_eq(vec_grow((void **)&p, &cap, SIZE_MAX, 1), -1);
	cr_assert_eq(vec_grow((void **)&p, &cap, SIZE_MAX / 8 + 1, 8), -1);
	cr_assert_eq(vec_grow((void **)&p, &cap, SIZE_MAX / 2, 4), -1);
	cr_assert_null(p);
	cr_assert_eq(cap, 0);

	/* From a real array: it stays as it was. */
	cr_assert_eq(vec_grow((void **)&p, &cap, 64, sizeof(*p)), 0);
	p[63] = 77;
	first = p;
	cr_assert_eq(vec_grow((void **)&p, &cap, SIZE_MAX / 4, sizeof(*p)),
	    -1);
	cr_assert_eq(vec_grow((void **)&p, &cap, SIZE_MAX, sizeof(*p)), -1);
	cr_assert_eq(p, first);
	cr_assert_eq(cap, 64);
	cr_assert_eq(p[63], 77);
	free(p);
}

Test(vec, grow_out_of_memory_leaves_array_and_capacity_unchanged)
{
	int	*p = NULL, *first;
	size_t	 cap = 0, i;

	(void)fault_arm(1, 0);
	cr_assert_eq(vec_grow((void **)&p, &cap, 1, sizeof(*p)), -1);
	cr_assert_eq(fault_arm(0, 0), 1);
	cr_assert_null(p);
	cr_assert_eq(cap, 0);

	cr_assert_eq(vec_grow((void **)&p, &cap, 64, sizeof(*p)), 0);
	for (i = 0; i < 64; i++)
		p[i] = (int)i + 1;
	first = p;
	(void)fault_arm(1, 0);
	cr_assert_eq(vec_grow((void **)&p, &cap, 65, sizeof(*p)), -1);
	cr_assert_eq(fault_arm(0, 0), 1);
	cr_assert_eq(p, first);
	cr_assert_eq(cap, 64);
	for (i = 0; i < 64; i++)
		cr_assert_eq(p[i], (int)i + 1);
	/* Disarmed, the same growth works. */
	cr_assert_eq(vec_grow((void **)&p, &cap, 65, sizeof(*p)), 0);
	cr_assert_eq(cap, 128);
	cr_assert_eq(p[0], 1);
	cr_assert_eq(p[63], 64);
	cr_assert_eq(p[64], 0);
	free(p);
}

/* ---- struct vec ------------------------------------------------------- */

Test(vec, push_appends_zeroed_elements_and_keeps_the_old_ones)
{
	struct rec	*r;
	size_t		 i;

	v.size = sizeof(struct rec);
	for (i = 0; i < 10000; i++) {
		cr_assert_not_null(r = vec_push(&v));
		cr_assert_eq(v.len, i + 1);
		cr_assert_eq(r, VEC_AT(&v, struct rec, i));
		cr_assert_eq(r->a, 0);
		cr_assert_eq(r->b, 0);
		cr_assert_eq(r->c[0], 0);
		r->a = i;
		r->b = (uint32_t)(i * 7);
		memset(r->c, 'q', sizeof(r->c));
		cr_assert_leq(v.len, v.cap);
	}
	cr_assert_eq(v.cap, 16384);
	for (i = 0; i < 10000; i++) {
		r = VEC_AT(&v, struct rec, i);
		cr_assert_eq(r->a, i, "element %zu lost", i);
		cr_assert_eq(r->b, (uint32_t)(i * 7));
		cr_assert_eq(r->c[19], 'q');
	}
}

Test(vec, push_zeroes_an_element_reused_after_len_was_cut)
{
	int	*e;

	v.size = sizeof(int);
	*(int *)vec_push(&v) = 5;
	*(int *)vec_push(&v) = 6;
	v.len = 1;		/* callers truncate by hand */
	cr_assert_not_null(e = vec_push(&v));
	cr_assert_eq(*e, 0, "the old value shows through");
	cr_assert_eq(*VEC_AT(&v, int, 0), 5);
}

Test(vec, push_out_of_memory_returns_null_and_keeps_the_vector)
{
	int	*first;
	size_t	 i;

	v.size = sizeof(int);
	(void)fault_arm(1, 0);
	cr_assert_null(vec_push(&v));
	cr_assert_eq(fault_arm(0, 0), 1);
	cr_assert_eq(v.len, 0);
	cr_assert_eq(v.cap, 0);
	cr_assert_null(v.p);

	for (i = 0; i < 64; i++)
		*(int *)vec_push(&v) = (int)i;
	first = v.p;
	(void)fault_arm(1, 0);
	cr_assert_null(vec_push(&v));
	cr_assert_eq(fault_arm(0, 0), 1);
	cr_assert_eq(v.len, 64);
	cr_assert_eq(v.cap, 64);
	cr_assert_eq(v.p, (void *)first);
	cr_assert_eq(*VEC_AT(&v, int, 63), 63);
}

Test(vec, reserve_makes_room_without_changing_len)
{
	void	*p;

	v.size = 16;
	cr_assert_eq(vec_reserve(&v, 0), 0);
	cr_assert_null(v.p);
	cr_assert_eq(vec_reserve(&v, 100), 0);
	cr_assert_eq(v.len, 0);
	cr_assert_eq(v.cap, 128);
	p = v.p;
	v.len = 100;
	cr_assert_eq(vec_reserve(&v, 28), 0);
	cr_assert_eq(v.cap, 128);
	cr_assert_eq(v.p, p);
	cr_assert_eq(vec_reserve(&v, 29), 0);
	cr_assert_eq(v.cap, 256);
	cr_assert_eq(v.len, 100);
	/* Too much for the address space: refused, v unchanged. */
	p = v.p;
	cr_assert_eq(vec_reserve(&v, SIZE_MAX / 16), -1);
	cr_assert_eq(v.p, p);
	cr_assert_eq(v.cap, 256);
	cr_assert_eq(v.len, 100);
}

Test(vec, free_empties_keeps_the_size_and_can_be_reused)
{
	v.size = sizeof(double);
	*(double *)vec_push(&v) = 1.5;
	vec_free(&v);
	cr_assert_null(v.p);
	cr_assert_eq(v.len, 0);
	cr_assert_eq(v.cap, 0);
	cr_assert_eq(v.size, sizeof(double));
	vec_free(&v);		/* twice is fine */
	cr_assert_not_null(vec_push(&v));
	cr_assert_eq(*VEC_AT(&v, double, 0), 0.0);
	cr_assert_eq(v.len, 1);
	cr_assert_eq(v.cap, 64);
}

/* ---- arena ------------------------------------------------------------ */

Test(vec, arena_add_returns_offsets_of_nul_terminated_copies)
{
	size_t	o1, o2, o3, o4;

	cr_assert_eq(o1 = arena_add(&a, "toy+story+1995", 14), 0);
	cr_assert_eq(o2 = arena_add(&a, "heat+1995xxx", 9), 15);
	cr_assert_eq(o3 = arena_add(&a, "", 0), 25);
	cr_assert_eq(o4 = arena_add(&a, "a\0b", 3), 26);
	cr_assert_eq(a.len, 30);
	cr_assert_eq(a.cap, 4096);
	cr_assert_str_eq(ARENA_AT(&a, o1), "toy+story+1995");
	cr_assert_str_eq(ARENA_AT(&a, o2), "heat+1995", "cut at len");
	cr_assert_str_eq(ARENA_AT(&a, o3), "");
	/* len bytes copied as they are, NULs included. */
	cr_assert_eq(memcmp(ARENA_AT(&a, o4), "a\0b\0", 4), 0);
}

Test(vec, arena_offsets_stay_valid_across_growth)
{
	char	buf[32];
	size_t	off[20000], i, n;

	for (i = 0; i < 20000; i++) {
		n = (size_t)snprintf(buf, sizeof(buf), "movie+%zu+%zu", i,
		    i * i);
		cr_assert_neq(off[i] = arena_add(&a, buf, n), ARENA_NONE);
		cr_assert_leq(a.len, a.cap);
	}
	cr_assert_gt(a.cap, 4096, "it grew");
	cr_assert_eq(a.cap & (a.cap - 1), 0, "by doubling from 4096");
	for (i = 0; i < 20000; i++) {
		snprintf(buf, sizeof(buf), "movie+%zu+%zu", i, i * i);
		cr_assert_str_eq(ARENA_AT(&a, off[i]), buf, "string %zu", i);
	}
}

Test(vec, arena_reserve_rounds_up_by_doubling_and_keeps_len)
{
	char	*p;

	cr_assert_eq(arena_reserve(&a, 0), 0);
	cr_assert_null(a.p);
	cr_assert_eq(arena_reserve(&a, 4096), 0);
	cr_assert_eq(a.cap, 4096);
	p = a.p;
	cr_assert_eq(arena_add(&a, "abc", 3), 0);
	cr_assert_eq(arena_reserve(&a, 4092), 0);
	cr_assert_eq(a.p, p, "4 + 4092 fit");
	cr_assert_eq(a.cap, 4096);
	cr_assert_eq(arena_reserve(&a, 4093), 0);
	cr_assert_eq(a.cap, 8192);
	cr_assert_eq(arena_reserve(&a, 40000), 0);
	cr_assert_eq(a.cap, 65536);
	cr_assert_eq(a.len, 4);
	cr_assert_str_eq(ARENA_AT(&a, 0), "abc");
}

Test(vec, arena_out_of_memory_returns_none_and_leaves_the_arena)
{
	char	 big[5000];
	char	*p;

	(void)fault_arm(1, 0);
	cr_assert_eq(arena_add(&a, "x", 1), ARENA_NONE);
	cr_assert_eq(fault_arm(0, 0), 1);
	cr_assert_null(a.p);
	cr_assert_eq(a.len, 0);
	cr_assert_eq(a.cap, 0);

	cr_assert_eq(arena_add(&a, "first", 5), 0);
	p = a.p;
	memset(big, 'b', sizeof(big));
	(void)fault_arm(1, 0);
	cr_assert_eq(arena_add(&a, big, sizeof(big)), ARENA_NONE);
	cr_assert_eq(arena_reserve(&a, 1), 0, "room left: no allocation");
	cr_assert_eq(fault_arm(0, 0), 1);
	cr_assert_eq(a.p, p);
	cr_assert_eq(a.len, 6);
	cr_assert_eq(a.cap, 4096);
	cr_assert_str_eq(ARENA_AT(&a, 0), "first");
	cr_assert_eq(arena_add(&a, big, sizeof(big)), 6);
	cr_assert_eq(ARENA_AT(&a, 6)[4999], 'b');
	cr_assert_eq(ARENA_AT(&a, 6)[5000], '\0');
}

Test(vec, arena_free_empties_and_can_be_reused)
{
	cr_assert_eq(arena_add(&a, "one", 3), 0);
	arena_free(&a);
	cr_assert_null(a.p);
	cr_assert_eq(a.len, 0);
	cr_assert_eq(a.cap, 0);
	arena_free(&a);		/* twice is fine */
	cr_assert_eq(arena_add(&a, "two", 3), 0);
	cr_assert_str_eq(ARENA_AT(&a, 0), "two");
}

/*
 * Regressions (vec.c, arena.c), fixed: the first capacity (64) was not
 * checked against the element size, vec_reserve's len + extra and
 * arena_reserve's sums wrapped around (arena_reserve looped for ever).
 */
Test(vec, sizes_that_wrap_are_refused_before_anything_is_allocated)
{
	void		*p = NULL;
	size_t		 cap = 0;

	cr_assert_eq(vec_grow(&p, &cap, 1, ((size_t)1 << 58) + 1), -1,
	    "64 elements of 2^58 + 1 bytes do not fit in a size_t");
	cr_assert_null(p);
	cr_assert_eq(cap, 0);

	v.size = 8;
	cr_assert_not_null(vec_push(&v));
	cr_assert_eq(vec_reserve(&v, SIZE_MAX), -1);
	cr_assert_eq(vec_reserve(&v, SIZE_MAX - 1), -1);
	cr_assert_eq(v.len, 1);

	cr_assert_neq(arena_add(&a, "x", 1), ARENA_NONE);
	cr_assert_eq(arena_reserve(&a, ((size_t)1 << 63) + 1), -1);
	cr_assert_eq(arena_reserve(&a, SIZE_MAX), -1);
	cr_assert_eq(a.len, 2);
	cr_assert_str_eq(a.p, "x");
}
