/*
 * ALS training benchmark: a synthetic users x items matrix generated
 * deterministically from a seed (Zipf-Mandelbrot item popularity, Pareto
 * user activity, float confidences), trained with cinerec's implicit ALS.
 * Prints seconds per iteration, end-to-end seconds and peak RSS, and a
 * RESULT line for tests/bench/bench_als.sh.  -w writes the matrix (CSR, see
 * below) for tests/bench/als_implicit.py and exits; -l trains on such a file
 * instead of generating.
 *
 * Matrix file, native little-endian: char magic[8] "CRALSMX1", u32 nrows,
 * u32 ncols, u64 nnz, u64 reserved (0), then u64 ptr[nrows + 1],
 * u32 col[nnz], f32 val[nnz] (cinerec's matrix values, all > 0).
 */
#include <sys/resource.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "model/csr.h"
#include "model/model.h"

#define MX_MAGIC	"CRALSMX1"
#define MX_HEADER	32

#define ZIPF_S		1.0	/* item weight of popularity rank k: (k + q)^-s */
#define ZIPF_Q		20.0
#define PARETO_A	1.5	/* user activity tail index (infinite variance) */
#define USER_CAP_DIV	8	/* at most ncols / 8 items per user */
#define MAX_ITERS	1000

static uint64_t	rng_state;

static uint64_t
rng_next(void)
{
	uint64_t	z;

	z = (rng_state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return (z ^ (z >> 31));
}

/* Uniform in [0, 1). */
static double
rng_unif(void)
{
	return ((double)(rng_next() >> 11) * 0x1p-53);
}

static double
now_sec(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((double)ts.tv_sec + ts.tv_nsec / 1e9);
}

static double
peak_rss_mib(void)
{
	struct rusage	ru;

	if (getrusage(RUSAGE_SELF, &ru) == -1)
		return (-1.0);
	return (ru.ru_maxrss / 1024.0);	/* KiB on Linux */
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t	x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x < y ? -1 : x > y);
}

static void
sort_u32(uint32_t *a, size_t n)
{
	size_t		i, j;
	uint32_t	v;

	if (n > 32) {
		qsort(a, n, sizeof(*a), cmp_u32);
		return;
	}
	for (i = 1; i < n; i++) {
		v = a[i];
		for (j = i; j > 0 && a[j - 1] > v; j--)
			a[j] = a[j - 1];
		a[j] = v;
	}
}

static void *
xmalloc(size_t n)
{
	void	*p;

	if ((p = malloc(n ? n : 1)) == NULL) {
		fprintf(stderr, "bench_als: out of memory (%zu bytes)\n", n);
		exit(1);
	}
	return (p);
}

/*
 * Fill m (nrows x ncols, about target entries) from seed.  Items get
 * popularity ranks by a random permutation, rank k drawn with weight
 * (k + q)^-s; user u gets n_u distinct items, n_u Pareto-distributed, scaled
 * so the total is near target and capped at ncols / 8; values 1 - ln(U),
 * U uniform (mean 2, exponential tail).
 */
static void
generate(struct csr *m, uint32_t nrows, uint32_t ncols, uint64_t target,
    uint64_t seed)
{
	double		*cdf, *raw, scale, sum, x;
	uint32_t	*perm, *mark, *col, cap, r, j, k, t, got;
	uint64_t	 nnz, e;
	int		 pass;

	rng_state = seed;
	cdf = xmalloc((size_t)ncols * sizeof(*cdf));
	perm = xmalloc((size_t)ncols * sizeof(*perm));
	mark = calloc(ncols, sizeof(*mark));
	raw = xmalloc((size_t)nrows * sizeof(*raw));
	if (mark == NULL) {
		fprintf(stderr, "bench_als: out of memory\n");
		exit(1);
	}
	for (j = 0; j < ncols; j++)
		perm[j] = j;
	for (j = ncols; j > 1; j--) {
		k = (uint32_t)(rng_next() % j);
		t = perm[j - 1];
		perm[j - 1] = perm[k];
		perm[k] = t;
	}
	for (sum = 0.0, j = 0; j < ncols; j++) {
		sum += pow(j + 1 + ZIPF_Q, -ZIPF_S);
		cdf[j] = sum;
	}

	cap = ncols / USER_CAP_DIV > 0 ? ncols / USER_CAP_DIV : 1;
	for (r = 0; r < nrows; r++)
		raw[r] = pow(1.0 - rng_unif(), -1.0 / PARETO_A);
	for (scale = (double)target / nrows, pass = 0; pass < 20; pass++) {
		for (x = 0.0, r = 0; r < nrows; r++)
			x += fmin(fmax(floor(raw[r] * scale + 0.5), 1.0), cap);
		scale *= (double)target / x;
	}

	memset(m, 0, sizeof(*m));
	m->nrows = nrows;
	m->ncols = ncols;
	m->ptr = xmalloc(((size_t)nrows + 1) * sizeof(*m->ptr));
	for (nnz = 0, r = 0; r < nrows; r++) {
		m->ptr[r] = nnz;
		nnz += (uint64_t)fmin(fmax(floor(raw[r] * scale + 0.5), 1.0),
		    cap);
	}
	m->ptr[nrows] = m->nnz = nnz;
	free(raw);
	m->col = xmalloc(nnz * sizeof(*m->col));
	m->val = xmalloc(nnz * sizeof(*m->val));

	for (r = 0; r < nrows; r++) {
		col = m->col + m->ptr[r];
		got = 0;
		while (got < m->ptr[r + 1] - m->ptr[r]) {
			/* first rank whose cdf exceeds a uniform draw */
			x = rng_unif() * sum;
			j = 0;
			k = ncols - 1;
			while (j < k) {
				t = j + (k - j) / 2;
				if (cdf[t] > x)
					k = t;
				else
					j = t + 1;
			}
			j = perm[j];
			if (mark[j] == r + 1)
				continue;
			mark[j] = r + 1;
			col[got++] = j;
		}
		sort_u32(col, got);
		for (e = m->ptr[r]; e < m->ptr[r + 1]; e++)
			m->val[e] = (float)(1.0 - log(1.0 - rng_unif()));
	}
	free(mark);
	free(perm);
	free(cdf);
}

static int
write_all(FILE *f, const void *buf, size_t size, size_t n)
{
	return (fwrite(buf, size, n, f) == n ? 0 : -1);
}

static int
matrix_write(const struct csr *m, const char *path)
{
	unsigned char	 h[MX_HEADER];
	FILE		*f;

	memset(h, 0, sizeof(h));
	memcpy(h, MX_MAGIC, 8);
	memcpy(h + 8, &m->nrows, 4);
	memcpy(h + 12, &m->ncols, 4);
	memcpy(h + 16, &m->nnz, 8);
	if ((f = fopen(path, "wb")) == NULL)
		goto fail;
	if (write_all(f, h, 1, sizeof(h)) == -1 ||
	    write_all(f, m->ptr, sizeof(*m->ptr), (size_t)m->nrows + 1) == -1 ||
	    write_all(f, m->col, sizeof(*m->col), m->nnz) == -1 ||
	    write_all(f, m->val, sizeof(*m->val), m->nnz) == -1) {
		fclose(f);
		goto fail;
	}
	if (fclose(f) == EOF)
		goto fail;
	return (0);
fail:
	fprintf(stderr, "bench_als: %s: %s\n", path, strerror(errno));
	return (-1);
}

static int
matrix_read(struct csr *m, const char *path)
{
	unsigned char	 h[MX_HEADER];
	FILE		*f;
	uint64_t	 r;

	memset(m, 0, sizeof(*m));
	if ((f = fopen(path, "rb")) == NULL) {
		fprintf(stderr, "bench_als: %s: %s\n", path, strerror(errno));
		return (-1);
	}
	if (fread(h, 1, sizeof(h), f) != sizeof(h) ||
	    memcmp(h, MX_MAGIC, 8) != 0)
		goto bad;
	memcpy(&m->nrows, h + 8, 4);
	memcpy(&m->ncols, h + 12, 4);
	memcpy(&m->nnz, h + 16, 8);
	m->ptr = xmalloc(((size_t)m->nrows + 1) * sizeof(*m->ptr));
	m->col = xmalloc(m->nnz * sizeof(*m->col));
	m->val = xmalloc(m->nnz * sizeof(*m->val));
	if (fread(m->ptr, sizeof(*m->ptr), (size_t)m->nrows + 1, f) !=
	    (size_t)m->nrows + 1 ||
	    fread(m->col, sizeof(*m->col), m->nnz, f) != m->nnz ||
	    fread(m->val, sizeof(*m->val), m->nnz, f) != m->nnz)
		goto bad;
	if (m->ptr[0] != 0 || m->ptr[m->nrows] != m->nnz)
		goto bad;
	for (r = 0; r < m->nrows; r++)
		if (m->ptr[r] > m->ptr[r + 1])
			goto bad;
	for (r = 0; r < m->nnz; r++)
		if (m->col[r] >= m->ncols || !(m->val[r] > 0.0f))
			goto bad;
	fclose(f);
	return (0);
bad:
	fprintf(stderr, "bench_als: %s: not a valid matrix file\n", path);
	fclose(f);
	csr_free(m);
	return (-1);
}

static void
usage(void)
{
	fprintf(stderr, "usage: bench_als [-u users] [-m items] [-n nnz] "
	    "[-s seed] [-w file | -l file]\n"
	    "                 [-t threads] [-f factors] [-i iters] "
	    "[-c cg_steps] [-r reg] [-a alpha]\n");
	exit(2);
}

static unsigned long long
num(const char *s, unsigned long long lo, unsigned long long hi)
{
	unsigned long long	 v;
	char			*end;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *s == '\0' || *end != '\0' || v < lo || v > hi)
		usage();
	return (v);
}

static float
fnum(const char *s)
{
	char	*end;
	float	 v;

	v = strtof(s, &end);
	if (*s == '\0' || *end != '\0' || !isfinite(v))
		usage();
	return (v);
}

int
main(int argc, char *argv[])
{
	struct model_params	 p;
	struct model		*md;
	struct csr		 m;
	const char		*wpath = NULL, *lpath = NULL;
	uint32_t		 users = 1000000, items = 27000, it, n;
	uint64_t		 target = 30000000, seed = 42;
	double			 t0, t1, e2e, sec, sum, best, its[MAX_ITERS];
	char			 line[512];
	FILE			*cap;
	int			 ch, saved, rc;

	model_params_default(&p, MODEL_ALS);
	p.factors = 64;
	p.iters = 3;
	while ((ch = getopt(argc, argv, "a:c:f:i:l:m:n:r:s:t:u:w:")) != -1) {
		switch (ch) {
		case 'a': p.alpha = fnum(optarg); break;
		case 'c': p.cg_steps = num(optarg, 1, 1000); break;
		case 'f': p.factors = num(optarg, 1, 4096); break;
		case 'i': p.iters = num(optarg, 1, MAX_ITERS); break;
		case 'l': lpath = optarg; break;
		case 'm': items = num(optarg, 1, UINT32_MAX - 1); break;
		case 'n': target = num(optarg, 1, 1ULL << 40); break;
		case 'r': p.reg = fnum(optarg); break;
		case 's': seed = num(optarg, 0, UINT64_MAX); break;
		case 't': p.threads = num(optarg, 1, 64); break;
		case 'u': users = num(optarg, 1, UINT32_MAX - 1); break;
		case 'w': wpath = optarg; break;
		default: usage();
		}
	}
	if (optind != argc || (wpath != NULL && lpath != NULL))
		usage();
	p.seed = seed;

	t0 = now_sec();
	if (lpath != NULL) {
		if (matrix_read(&m, lpath) == -1)
			return (1);
		printf("matrix: %s: ", lpath);
	} else {
		generate(&m, users, items, target, seed);
		printf("matrix: generated (seed %llu): ",
		    (unsigned long long)seed);
	}
	printf("%u users x %u items, %llu entries (%.1f MiB CSR), %.1f s\n",
	    m.nrows, m.ncols, (unsigned long long)m.nnz,
	    ((m.nrows + 1.0) * 8 + m.nnz * 8.0) / 1048576.0, now_sec() - t0);
	if (wpath != NULL) {
		rc = matrix_write(&m, wpath);
		csr_free(&m);
		return (rc == 0 ? 0 : 1);
	}

	/* model_train's verbose lines on stderr carry the iteration times. */
	p.verbose = 1;
	fflush(stdout);
	fflush(stderr);
	if ((cap = tmpfile()) == NULL || (saved = dup(2)) == -1 ||
	    dup2(fileno(cap), 2) == -1) {
		perror("bench_als: capturing stderr");
		return (1);
	}
	t0 = now_sec();
	rc = model_train(&m, NULL, &p, &md);
	t1 = now_sec();
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	e2e = t1 - t0;

	rewind(cap);
	n = 0;
	while (fgets(line, sizeof(line), cap) != NULL) {
		if (sscanf(line, "als: iteration %u: %lf s", &it, &sec) == 2 &&
		    n < MAX_ITERS)
			its[n++] = sec;
		else
			fputs(line, stderr);
	}
	fclose(cap);
	if (rc == -1) {
		fprintf(stderr, "bench_als: training failed\n");
		return (1);
	}
	if (n != p.iters) {
		/* no per-iteration lines: fall back to the average */
		fprintf(stderr, "bench_als: %u iteration lines for %u "
		    "iterations; using end-to-end / iterations\n", n, p.iters);
		for (n = 0; n < p.iters; n++)
			its[n] = e2e / p.iters;
	}
	for (sum = 0.0, best = its[0], it = 0; it < n; it++) {
		printf("iteration %u: %.3f s\n", it + 1, its[it]);
		sum += its[it];
		if (its[it] < best)
			best = its[it];
	}
	printf("cinerec ALS, %u thread(s), %u factors, %u iterations, "
	    "%u CG steps, reg %g, alpha %g: %.3f s/iter (best %.3f), "
	    "end to end %.3f s, peak RSS %.0f MiB\n", p.threads, p.factors,
	    p.iters, p.cg_steps, p.reg, p.alpha, sum / n, best, e2e,
	    peak_rss_mib());
	printf("RESULT name=cinerec threads=%u factors=%u iters=%u "
	    "cg_steps=%u users=%u items=%u nnz=%llu s_per_iter=%.3f "
	    "s_best=%.3f end_to_end=%.3f peak_rss_mib=%.0f\n", p.threads,
	    p.factors, p.iters, p.cg_steps, m.nrows, m.ncols,
	    (unsigned long long)m.nnz, sum / n, best, e2e, peak_rss_mib());
	model_free(md);
	csr_free(&m);
	return (0);
}
