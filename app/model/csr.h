/*
 * Compressed sparse row (CSR) interaction matrix: rows are users, columns
 * items, one float value and optionally one timestamp per stored entry.
 * Built from unordered (row, col, value, time) triples; the transpose is the
 * same structure with rows and columns swapped.
 */
#ifndef CINEREC_CSR_H
#define CINEREC_CSR_H

#include <stddef.h>
#include <stdint.h>

/* One interaction as it comes in; order in an input array does not matter. */
struct csr_triple {
	uint32_t	 row;		/* user index, < nrows */
	uint32_t	 col;		/* item index, < ncols */
	float		 val;		/* finite value (see model.h for its meaning) */
	int64_t		 time;		/* any monotonic clock, e.g. Unix seconds */
};

/*
 * The matrix.  Invariants: ptr[0] == 0, ptr[nrows] == nnz, ptr is
 * non-decreasing, column indices strictly increase within each row (no
 * duplicates).  All arrays are owned by the struct and released by csr_free.
 */
struct csr {
	uint32_t	 nrows;		/* number of rows (users) */
	uint32_t	 ncols;		/* number of columns (items) */
	uint64_t	 nnz;		/* stored entries */
	uint64_t	*ptr;		/* nrows + 1 offsets: row r is [ptr[r], ptr[r+1]) */
	uint32_t	*col;		/* nnz column indices */
	float		*val;		/* nnz values */
	int64_t		*time;		/* nnz timestamps, or NULL if not kept */
};

/* How csr_build merges several triples with the same (row, col). */
#define CSR_DUP_LAST	0x0	/* keep the latest one (by time, then input order) */
#define CSR_DUP_SUM	0x1	/* sum the values, keep the latest time */
#define CSR_TIMES	0x10	/* keep the time array (else m->time is NULL) */

/*
 * Build m (nrows x ncols) from n triples in any order; flags is one CSR_DUP_*
 * or'ed with CSR_TIMES if wanted.  Time and memory are O(n + nrows + ncols).
 * Returns 0, or -1 (logged) on an out-of-range index, a non-finite value or
 * allocation failure; m is then zeroed.  The caller frees m with csr_free.
 */
int	csr_build(struct csr *m, uint32_t nrows, uint32_t ncols,
	    const struct csr_triple *t, size_t n, int flags);

/*
 * Build t as the transpose of m (times included if m has them); t's rows are
 * m's columns, each with increasing column (= m's row) indices.  Returns 0,
 * or -1 (logged) on allocation failure with t zeroed.
 */
int	csr_transpose(const struct csr *m, struct csr *t);

/*
 * Look up entry (row, col).  Returns its position in col/val (so val[pos]
 * and time[pos] can be read), or -1 if absent or out of range.
 */
int64_t	csr_find(const struct csr *m, uint32_t row, uint32_t col);

/* Number of stored entries in one row (0 for an out-of-range row). */
uint64_t	csr_row_len(const struct csr *m, uint32_t row);

/* Entries of m's longest row (0 for none). */
uint64_t	csr_row_max(const struct csr *m);

/* Release m's arrays and zero it; safe on a zeroed or already freed struct. */
void	csr_free(struct csr *m);

/*
 * Arrays for m (nrows x ncols, room for nnz entries, times if asked), ptr
 * zeroed, for a caller that fills rows in order itself.  0 or -1 (out of
 * memory, m zeroed).
 */
int	csr_alloc(struct csr *m, uint32_t nrows, uint32_t ncols, uint64_t nnz,
	    int times);

#endif
