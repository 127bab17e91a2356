/*
 * Compressed sparse row matrix construction: two stable counting sorts (by
 * column, then by row) turn unordered triples into rows with increasing
 * column indices in linear time, then duplicates are merged.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model/csr.h"
#include "util/log.h"

/* Allocate the arrays of an nrows x ncols matrix with room for nnz entries. */
int
csr_alloc(struct csr *m, uint32_t nrows, uint32_t ncols, uint64_t nnz,
    int times)
{
	memset(m, 0, sizeof(*m));
	m->nrows = nrows;
	m->ncols = ncols;
	m->ptr = calloc((size_t)nrows + 1, sizeof(*m->ptr));
	m->col = malloc((nnz ? nnz : 1) * sizeof(*m->col));
	m->val = malloc((nnz ? nnz : 1) * sizeof(*m->val));
	if (times)
		m->time = malloc((nnz ? nnz : 1) * sizeof(*m->time));
	if (m->ptr == NULL || m->col == NULL || m->val == NULL ||
	    (times && m->time == NULL)) {
		csr_free(m);
		return (-1);
	}
	return (0);
}

int
csr_build(struct csr *m, uint32_t nrows, uint32_t ncols,
    const struct csr_triple *t, size_t n, int flags)
{
	uint64_t	*cnt = NULL, *bycol = NULL, *byrow = NULL;
	uint64_t	 i, pos, out;
	size_t		 ncnt;
	int		 times = (flags & CSR_TIMES) != 0;
	int		 sum = (flags & CSR_DUP_SUM) != 0;

	memset(m, 0, sizeof(*m));
	for (i = 0; i < n; i++) {
		if (t[i].row >= nrows || t[i].col >= ncols ||
		    !isfinite(t[i].val)) {
			log_warnx("%s: triple %llu out of range or not finite "
			    "(row %u of %u, col %u of %u)", __func__,
			    (unsigned long long)i, t[i].row, nrows, t[i].col,
			    ncols);
			return (-1);
		}
	}

	ncnt = (nrows > ncols ? nrows : ncols) + (size_t)1;
	if ((cnt = calloc(ncnt, sizeof(*cnt))) == NULL ||
	    (bycol = malloc((n ? n : 1) * sizeof(*bycol))) == NULL ||
	    (byrow = malloc((n ? n : 1) * sizeof(*byrow))) == NULL) {
		log_warnx("%s: out of memory for %zu triples", __func__, n);
		goto fail_sort;
	}

	/* Stable counting sort by column, then by row. */
	for (i = 0; i < n; i++)
		cnt[t[i].col + 1]++;
	for (i = 1; i <= ncols; i++)
		cnt[i] += cnt[i - 1];
	for (i = 0; i < n; i++)
		bycol[cnt[t[i].col]++] = i;
	memset(cnt, 0, ncnt * sizeof(*cnt));
	for (i = 0; i < n; i++)
		cnt[t[i].row + 1]++;
	for (i = 1; i <= nrows; i++)
		cnt[i] += cnt[i - 1];
	for (i = 0; i < n; i++)
		byrow[cnt[t[bycol[i]].row]++] = bycol[i];
	free(bycol);
	bycol = NULL;

	/* Count distinct (row, col) to size the arrays exactly. */
	out = 0;
	for (i = 0; i < n; i++) {
		if (i == 0 || t[byrow[i]].row != t[byrow[i - 1]].row ||
		    t[byrow[i]].col != t[byrow[i - 1]].col)
			out++;
	}
	if (csr_alloc(m, nrows, ncols, out, times) == -1) {
		log_warnx("%s: out of memory for %llu entries", __func__,
		    (unsigned long long)out);
		goto fail_sort;
	}

	out = 0;
	for (i = 0; i < n; i++) {
		const struct csr_triple	*e = &t[byrow[i]];

		if (i > 0 && e->row == t[byrow[i - 1]].row &&
		    e->col == t[byrow[i - 1]].col) {
			pos = out - 1;
			if (sum)
				m->val[pos] += e->val;
			else if (!times || e->time >= m->time[pos])
				m->val[pos] = e->val;
			if (times && e->time >= m->time[pos])
				m->time[pos] = e->time;
			continue;
		}
		m->col[out] = e->col;
		m->val[out] = e->val;
		if (times)
			m->time[out] = e->time;
		m->ptr[e->row + 1]++;
		out++;
	}
	for (i = 1; i <= nrows; i++)
		m->ptr[i] += m->ptr[i - 1];
	m->nnz = out;

	free(byrow);
	free(cnt);
	return (0);

fail_sort:
	free(byrow);
	free(bycol);
	free(cnt);
	memset(m, 0, sizeof(*m));
	return (-1);
}

int
csr_transpose(const struct csr *m, struct csr *t)
{
	uint64_t	*next;
	uint64_t	 i, k, dst;
	uint32_t	 r;

	if (csr_alloc(t, m->ncols, m->nrows, m->nnz, m->time != NULL) ==
	    -1) {
		log_warnx("%s: out of memory for %llu entries", __func__,
		    (unsigned long long)m->nnz);
		return (-1);
	}
	if ((next = malloc(((size_t)m->ncols + 1) * sizeof(*next))) == NULL) {
		log_warnx("%s: out of memory", __func__);
		csr_free(t);
		return (-1);
	}
	for (k = 0; k < m->nnz; k++)
		t->ptr[m->col[k] + 1]++;
	for (i = 1; i <= m->ncols; i++)
		t->ptr[i] += t->ptr[i - 1];
	memcpy(next, t->ptr, ((size_t)m->ncols + 1) * sizeof(*next));
	for (r = 0; r < m->nrows; r++) {
		for (k = m->ptr[r]; k < m->ptr[r + 1]; k++) {
			dst = next[m->col[k]]++;
			t->col[dst] = r;
			t->val[dst] = m->val[k];
			if (m->time != NULL)
				t->time[dst] = m->time[k];
		}
	}
	t->nnz = m->nnz;
	free(next);
	return (0);
}

int64_t
csr_find(const struct csr *m, uint32_t row, uint32_t col)
{
	uint64_t	lo, hi, mid;

	if (row >= m->nrows)
		return (-1);
	lo = m->ptr[row];
	hi = m->ptr[row + 1];
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (m->col[mid] < col)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < m->ptr[row + 1] && m->col[lo] == col)
		return ((int64_t)lo);
	return (-1);
}

uint64_t
csr_row_len(const struct csr *m, uint32_t row)
{
	if (row >= m->nrows)
		return (0);
	return (m->ptr[row + 1] - m->ptr[row]);
}

uint64_t
csr_row_max(const struct csr *m)
{
	uint64_t	most = 0;
	uint32_t	r;

	for (r = 0; r < m->nrows; r++)
		if (m->ptr[r + 1] - m->ptr[r] > most)
			most = m->ptr[r + 1] - m->ptr[r];
	return (most);
}

void
csr_free(struct csr *m)
{
	free(m->ptr);
	free(m->col);
	free(m->val);
	free(m->time);
	memset(m, 0, sizeof(*m));
}
