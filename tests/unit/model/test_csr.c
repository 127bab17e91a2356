/*
 * Tests for app/model/csr.c: construction from unordered triples, duplicate
 * merging, timestamps, transpose and the rejection of bad input.
 */
#include <criterion/criterion.h>

#include <math.h>
#include <stdlib.h>

#include "model/csr.h"

static const struct csr_triple tri[] = {
	{ 2, 1, 5.0f, 50 },
	{ 0, 3, 1.0f, 10 },
	{ 0, 0, 2.0f, 20 },
	{ 2, 0, 3.0f, 30 },
	{ 0, 3, 4.0f, 5 },	/* duplicate of (0, 3), older */
	{ 3, 2, 7.0f, 70 },
};

#define NTRI	(sizeof(tri) / sizeof(tri[0]))

Test(csr, build_sorts_rows_and_keeps_latest)
{
	struct csr	m;

	cr_assert_eq(csr_build(&m, 4, 4, tri, NTRI, CSR_DUP_LAST | CSR_TIMES),
	    0);
	cr_assert_eq(m.nnz, 5);
	cr_assert_eq(m.ptr[0], 0);
	cr_assert_eq(m.ptr[1], 2);
	cr_assert_eq(m.ptr[2], 2);	/* row 1 empty */
	cr_assert_eq(m.ptr[3], 4);
	cr_assert_eq(m.ptr[4], 5);
	cr_assert_eq(m.col[0], 0);
	cr_assert_eq(m.col[1], 3);
	cr_assert_float_eq(m.val[1], 1.0f, 1e-6);	/* time 10 beats 5 */
	cr_assert_eq(m.time[1], 10);
	cr_assert_eq(m.col[2], 0);
	cr_assert_eq(m.col[3], 1);
	cr_assert_eq(m.time[4], 70);
	cr_assert_eq(csr_row_len(&m, 1), 0);
	cr_assert_eq(csr_row_len(&m, 2), 2);
	cr_assert_eq(csr_row_len(&m, 9), 0);
	cr_assert_eq(csr_find(&m, 2, 1), 3);
	cr_assert_eq(csr_find(&m, 2, 2), -1);
	cr_assert_eq(csr_find(&m, 7, 0), -1);
	csr_free(&m);
	csr_free(&m);	/* safe twice */
}

Test(csr, build_sums_duplicates_without_times)
{
	struct csr	m;

	cr_assert_eq(csr_build(&m, 4, 4, tri, NTRI, CSR_DUP_SUM), 0);
	cr_assert_null(m.time);
	cr_assert_eq(m.nnz, 5);
	cr_assert_float_eq(m.val[csr_find(&m, 0, 3)], 5.0f, 1e-6);
	csr_free(&m);
}

Test(csr, transpose_matches)
{
	struct csr	m, t;
	uint32_t	r;
	uint64_t	k;
	int64_t		pos;

	cr_assert_eq(csr_build(&m, 4, 5, tri, NTRI, CSR_DUP_LAST | CSR_TIMES),
	    0);
	cr_assert_eq(csr_transpose(&m, &t), 0);
	cr_assert_eq(t.nrows, 5);
	cr_assert_eq(t.ncols, 4);
	cr_assert_eq(t.nnz, m.nnz);
	for (r = 0; r < t.nrows; r++) {
		for (k = t.ptr[r]; k < t.ptr[r + 1]; k++) {
			if (k > t.ptr[r])
				cr_assert_gt(t.col[k], t.col[k - 1]);
			pos = csr_find(&m, t.col[k], r);
			cr_assert_geq(pos, 0);
			cr_assert_float_eq(t.val[k], m.val[pos], 1e-9);
			cr_assert_eq(t.time[k], m.time[pos]);
		}
	}
	csr_free(&t);
	csr_free(&m);
}

Test(csr, rejects_bad_triples)
{
	struct csr		m;
	struct csr_triple	bad = { 0, 4, 1.0f, 0 };

	cr_assert_eq(csr_build(&m, 4, 4, &bad, 1, 0), -1);
	cr_assert_null(m.ptr);
	bad.col = 0;
	bad.val = NAN;
	cr_assert_eq(csr_build(&m, 4, 4, &bad, 1, 0), -1);
}

Test(csr, empty_matrix)
{
	struct csr	m, t;

	cr_assert_eq(csr_build(&m, 3, 2, NULL, 0, CSR_TIMES), 0);
	cr_assert_eq(m.nnz, 0);
	cr_assert_eq(m.ptr[3], 0);
	cr_assert_eq(csr_transpose(&m, &t), 0);
	cr_assert_eq(t.nrows, 2);
	cr_assert_eq(t.ptr[2], 0);
	csr_free(&t);
	csr_free(&m);
}
