/*
 * Unit tests for app/reco/lists.c: write and load round trip (users, ids,
 * scores, because, data_to_ms), the on-disk header and its XXH64 checksum
 * of the body, atomic replacement without a temporary left behind, lookup
 * of present and absent users, no users at all, and the refusal of
 * missing, truncated, extended, corrupted, foreign and future files.
 */
#include <criterion/criterion.h>

#include "harness.h"
#include "scratch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "model/model.h"
#include "reco/lists.h"

#define HDR		64	/* header bytes */
#define NU		3	/* users of the sample */

static char	path[256];

static int64_t	users[NU] = { 5, 17, 1000000000000LL };
static int32_t	ids[NU * LISTS_K];
static float	scores[NU * LISTS_K];
static int32_t	because[NU * LISTS_K];

static void
setup(void)
{
	int	u, k;

	h_scratch_setup();
	snprintf(path, sizeof(path), "%s/model-000001.lists", h_dir);
	for (u = 0; u < NU; u++) {
		for (k = 0; k < LISTS_K; k++) {
			/* User u has 20 - 7u movies, then empty slots. */
			if (k < LISTS_K - 7 * u) {
				ids[u * LISTS_K + k] = 100 * u + k + 1;
				scores[u * LISTS_K + k] = 10.0f - 0.25f * k;
				because[u * LISTS_K + k] = k % 3 == 0 ?
				    LISTS_NONE : 900 + k;
			} else {
				ids[u * LISTS_K + k] = LISTS_NONE;
				scores[u * LISTS_K + k] = 0.0f;
				because[u * LISTS_K + k] = LISTS_NONE;
			}
		}
	}
}

TestSuite(lists, .init = setup, .fini = h_scratch_teardown, .timeout = 60);

static void
write_sample(int64_t data_to_ms)
{
	cr_assert_eq(lists_write(path, users, NU, ids, scores, because,
	    data_to_ms), 0);
}

/* lists_load must refuse path, leaving *out alone. */
static void
refused(const char *why)
{
	struct lists	*l = (struct lists *)&l;

	cr_assert_eq(lists_load(path, &l), -1, "%s: loaded", why);
	cr_assert_eq(l, (struct lists *)&l, "%s: out set", why);
}

Test(lists, write_then_load_round_trips_every_array)
{
	struct lists	*l = NULL;

	write_sample(1583020800123LL);
	cr_assert_eq(h_dir_count(h_dir), 1, "no temporary file left behind");
	cr_assert_eq(h_file_size(path), HDR + NU * 8 + NU * LISTS_K * 12);
	cr_assert_eq(lists_load(path, &l), 0);
	cr_assert_not_null(l);
	cr_assert_eq(l->nusers, NU);
	cr_assert_eq(l->data_to_ms, 1583020800123LL);
	cr_assert_eq(l->len, (size_t)h_file_size(path));
	cr_assert_eq(memcmp(l->users, users, sizeof(users)), 0);
	cr_assert_eq(memcmp(l->ids, ids, sizeof(ids)), 0);
	cr_assert_eq(memcmp(l->scores, scores, sizeof(scores)), 0);
	cr_assert_eq(memcmp(l->because, because, sizeof(because)), 0);
	/* Spot checks, row by row. */
	cr_assert_eq(l->ids[1 * LISTS_K + 12], 113);
	cr_assert_eq(l->ids[1 * LISTS_K + 13], LISTS_NONE);
	cr_assert_eq(l->because[2 * LISTS_K + 1], 901);
	cr_assert_eq(l->because[2 * LISTS_K + 3], LISTS_NONE);
	cr_assert_float_eq(l->scores[2 * LISTS_K + 5], 8.75f, 0);
	/* The arrays are in the mapping, 8-byte aligned. */
	cr_assert_eq((const char *)l->users, (const char *)l->map + HDR);
	cr_assert_eq((uintptr_t)l->ids % 8, 0);
	cr_assert_eq((uintptr_t)l->scores % 8, 0);
	cr_assert_eq((uintptr_t)l->because % 8, 0);
	lists_free(l);
}

Test(lists, header_records_the_layout_and_the_body_checksum)
{
	uint8_t		*buf;
	uint64_t	 v, sum;
	uint32_t	 u;
	size_t		 len;

	write_sample(-42);
	buf = h_slurp(path, &len);
	cr_assert_eq(memcmp(buf, "CNRLISTS", 8), 0);
	memcpy(&u, buf + 8, 4);
	cr_assert_eq(u, 1, "version");
	memcpy(&u, buf + 12, 4);
	cr_assert_eq(u, LISTS_K);
	memcpy(&v, buf + 16, 8);
	cr_assert_eq(v, NU);
	memcpy(&v, buf + 24, 8);
	cr_assert_eq((int64_t)v, -42);
	memcpy(&sum, buf + 32, 8);
	cr_assert_eq(sum, model_hash(buf + HDR, len - HDR, 0));
	for (v = 40; v < HDR; v++)
		cr_assert_eq(buf[v], 0, "padding byte %llu",
		    (unsigned long long)v);
	/* The body: users, then ids, scores, because. */
	cr_assert_eq(memcmp(buf + HDR, users, sizeof(users)), 0);
	cr_assert_eq(memcmp(buf + HDR + sizeof(users), ids, sizeof(ids)), 0);
	cr_assert_eq(memcmp(buf + len - sizeof(because), because,
	    sizeof(because)), 0);
	free(buf);
}

Test(lists, find_returns_the_row_or_minus_one)
{
	struct lists	*l;

	write_sample(0);
	cr_assert_eq(lists_load(path, &l), 0);
	cr_assert_eq(lists_find(l, 5), 0);
	cr_assert_eq(lists_find(l, 17), 1);
	cr_assert_eq(lists_find(l, 1000000000000LL), 2);
	cr_assert_eq(lists_find(l, 4), -1);		/* before the first */
	cr_assert_eq(lists_find(l, 6), -1);		/* between */
	cr_assert_eq(lists_find(l, 999999999999LL), -1);
	cr_assert_eq(lists_find(l, INT64_MAX), -1);	/* after the last */
	cr_assert_eq(lists_find(l, INT64_MIN), -1);
	cr_assert_eq(lists_find(l, 0), -1);
	lists_free(l);
}

Test(lists, find_in_many_users)
{
	struct lists	*l;
	int64_t		*u;
	int32_t		*a;
	float		*s;
	int64_t		 i, n = 5001;

	cr_assert_not_null(u = malloc(n * sizeof(*u)));
	cr_assert_not_null(a = calloc(n * LISTS_K, sizeof(*a)));
	cr_assert_not_null(s = calloc(n * LISTS_K, sizeof(*s)));
	for (i = 0; i < n; i++) {
		u[i] = 2 * i - 5000;		/* even, negatives too */
		a[i * LISTS_K] = (int32_t)i;
	}
	cr_assert_eq(lists_write(path, u, (uint64_t)n, a, s, a, 7), 0);
	cr_assert_eq(lists_load(path, &l), 0);
	cr_assert_eq(l->nusers, (uint64_t)n);
	for (i = 0; i < n; i++) {
		cr_assert_eq(lists_find(l, u[i]), i, "user %lld",
		    (long long)u[i]);
		cr_assert_eq(l->ids[lists_find(l, u[i]) * LISTS_K], i);
		cr_assert_eq(lists_find(l, u[i] + 1), -1);
	}
	cr_assert_eq(lists_find(l, -5001), -1);
	lists_free(l);
	free(u);
	free(a);
	free(s);
}

Test(lists, no_users_is_a_valid_file)
{
	struct lists	*l;

	cr_assert_eq(lists_write(path, NULL, 0, NULL, NULL, NULL, 99), 0);
	cr_assert_eq(h_file_size(path), HDR);
	cr_assert_eq(lists_load(path, &l), 0);
	cr_assert_eq(l->nusers, 0);
	cr_assert_eq(l->data_to_ms, 99);
	cr_assert_eq(lists_find(l, 5), -1);
	lists_free(l);
	lists_free(NULL);
}

Test(lists, rewrite_replaces_the_file_atomically)
{
	struct lists	*old, *l;
	int64_t		 one = 17;

	write_sample(1);
	cr_assert_eq(lists_load(path, &old), 0);
	/* A new file over it: the old mapping stays valid. */
	cr_assert_eq(lists_write(path, &one, 1, ids + LISTS_K,
	    scores + LISTS_K, because + LISTS_K, 2), 0);
	cr_assert_eq(h_dir_count(h_dir), 1);
	cr_assert_eq(lists_load(path, &l), 0);
	cr_assert_eq(l->nusers, 1);
	cr_assert_eq(l->data_to_ms, 2);
	cr_assert_eq(lists_find(l, 17), 0);
	cr_assert_eq(lists_find(l, 5), -1);
	cr_assert_eq(l->ids[0], 101);
	cr_assert_eq(old->nusers, NU);
	cr_assert_eq(lists_find(old, 5), 0);
	cr_assert_eq(old->ids[LISTS_K], 101);
	lists_free(old);
	lists_free(l);
}

Test(lists, write_into_a_missing_directory_fails)
{
	char	bad[300];

	snprintf(bad, sizeof(bad), "%s/no/such/dir/x.lists", h_dir);
	cr_assert_eq(lists_write(bad, users, NU, ids, scores, because, 0), -1);
	cr_assert_eq(h_dir_count(h_dir), 0);
	snprintf(path, sizeof(path), "%s/missing.lists", h_dir);
	refused("missing file");
}

Test(lists, every_flipped_byte_is_refused)
{
	struct lists	*l;
	off_t		 size, off;
	uint8_t		 b;
	char		 why[64];

	write_sample(1);
	size = h_file_size(path);
	/*
	 * Header fields (magic, version, k, nusers, checksum; not
	 * data_to_ms nor the padding, which the checksum does not cover),
	 * then the body.
	 */
	for (off = 0; off < size; off = off == 39 ? HDR : off < 40 ? off + 1 :
	    off + 37) {
		if (off >= 24 && off < 32)
			continue;
		b = h_byte_at(path, off) ^ 0x04;
		h_patch(path, off, &b, 1);
		snprintf(why, sizeof(why), "flip at %lld", (long long)off);
		refused(why);
		b ^= 0x04;
		h_patch(path, off, &b, 1);
	}
	b = h_byte_at(path, size - 1) ^ 0x80;
	h_patch(path, size - 1, &b, 1);
	refused("last byte");
	b ^= 0x80;
	h_patch(path, size - 1, &b, 1);
	cr_assert_eq(lists_load(path, &l), 0, "the restored file loads");
	lists_free(l);
}

Test(lists, truncated_or_extended_file_is_refused)
{
	off_t	size;

	write_sample(1);
	size = h_file_size(path);
	cr_assert_eq(truncate(path, size + 1), 0);
	refused("one byte more");
	cr_assert_eq(truncate(path, size - 1), 0);
	refused("one byte short");
	cr_assert_eq(truncate(path, size - 4 * LISTS_K), 0);
	refused("one array row short");
	cr_assert_eq(truncate(path, HDR), 0);
	refused("header alone");
	cr_assert_eq(truncate(path, HDR - 1), 0);
	refused("short header");
	cr_assert_eq(truncate(path, 0), 0);
	refused("empty");
}

Test(lists, wrong_magic_version_k_or_count_is_refused)
{
	uint32_t	u;
	uint64_t	n;

	write_sample(1);
	h_patch(path, 0, "CNRMODEL", 8);
	refused("model file magic");
	h_patch(path, 0, "CNRLISTS", 8);
	u = 2;
	h_patch(path, 8, &u, 4);
	refused("version 2");
	u = 1;
	h_patch(path, 8, &u, 4);
	u = LISTS_K + 1;
	h_patch(path, 12, &u, 4);
	refused("another k");
	u = LISTS_K;
	h_patch(path, 12, &u, 4);
	n = NU - 1;
	h_patch(path, 16, &n, 8);
	refused("fewer users than the size");
	n = (uint64_t)1 << 41;
	h_patch(path, 16, &n, 8);
	refused("absurd user count");
	n = UINT64_MAX;
	h_patch(path, 16, &n, 8);
	refused("overflowing user count");
	n = NU;
	h_patch(path, 16, &n, 8);
	{
		struct lists	*l;

		cr_assert_eq(lists_load(path, &l), 0);
		lists_free(l);
	}
}
