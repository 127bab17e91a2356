/*
 * The model interface: dispatch to the algorithm modules, top-N selection,
 * and the model file format (header, section table, XXH64 checksum from
 * Debian's libxxhash, atomic write, shared read-only mapping on load).
 */
#include <sys/mman.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <xxhash.h>

#include "model/als.h"
#include "model/itemknn.h"
#include "util/log.h"
#include "util/io.h"
#include "model/model.h"
#include "model/pop.h"

/*
 * Model file, format version 1, host byte order (endian records it):
 *   [0, 512)	struct file_header
 *   sections	each at a 64-byte aligned offset, zero padding between
 * checksum is XXH64 (seed 0) of the whole file with the checksum field
 * zeroed.  file_size is the exact length of the file.
 */
#define FILE_MAGIC	"CNRMODEL"
#define FILE_VERSION	1
#define FILE_ENDIAN	0x01020304u
#define FILE_ALIGN	64
#define SEC_ITEM_IDS	0x100		/* model-level: int64 item_ids[nitems] */
#define SEC_ITEM_W	0x101		/* model-level: float item_w[nitems] */
#define SECS_MAX	(MODEL_SECTIONS_MAX + 2)

/* One entry of the section table. */
struct file_section {
	uint32_t	 id;		/* algorithm tag, or SEC_ITEM_IDS */
	uint32_t	 elemsize;	/* bytes per element */
	uint64_t	 offset;	/* from the start of the file, aligned */
	uint64_t	 count;		/* elements */
};

/* The fixed 512-byte header; all fields in host byte order. */
struct file_header {
	char			magic[8];	/* FILE_MAGIC, no NUL */
	uint32_t		version;	/* FILE_VERSION */
	uint32_t		header_size;	/* sizeof(struct file_header) */
	uint32_t		endian;		/* FILE_ENDIAN as written */
	uint32_t		algo;		/* enum model_algo */
	uint32_t		nitems;		/* items scored */
	uint32_t		nusers;		/* training rows (informational) */
	uint64_t		nnz;		/* training entries (informational) */
	uint64_t		file_size;	/* exact file length */
	uint64_t		checksum;	/* see above */
	uint32_t		nsections;	/* used entries of sec[] */
	uint32_t		threads;	/* hyperparameters: see model.h */
	uint64_t		seed;
	double			half_life;
	int64_t			now;
	uint32_t		k;
	uint32_t		factors;
	float			reg;
	float			alpha;
	uint32_t		iters;
	uint32_t		cg_steps;
	float			recency;	/* 0 in files before it */
	float			pop_bias;	/* 0 in files before it */
	struct file_section	sec[SECS_MAX];	/* section table */
	uint8_t			reserved[512 - 120 - SECS_MAX * 24]; /* zero */
};

typedef char file_header_is_512[sizeof(struct file_header) == 512 ? 1 : -1];

static const struct model_ops *const ops_table[] = {
	&pop_ops,
	&knn_ops,
	&als_ops,
	&random_ops,
};

#define NOPS	(sizeof(ops_table) / sizeof(ops_table[0]))

static const struct model_ops *
ops_find(uint32_t algo)
{
	size_t	i;

	for (i = 0; i < NOPS; i++)
		if (ops_table[i]->algo == algo)
			return (ops_table[i]);
	return (NULL);
}

void
model_params_default(struct model_params *p, uint32_t algo)
{
	*p = (struct model_params){
		.algo = algo,
		.threads = 2,
		.seed = 42,
		.k = 50,
		/* ALS: chosen by "cinerec tune" on ml-latest-small (validation). */
		.factors = 128,
		.reg = 50.0f,
		.alpha = 5.0f,
		.iters = 20,
		.cg_steps = 3,
		/* Chosen on ml-latest-small's validation part (README). */
		.recency = algo == MODEL_ALS ? 5.0f :
		    algo == MODEL_ITEMKNN ? 10.0f : 0.0f,
	};
}

uint32_t
model_algo_parse(const char *name)
{
	size_t	i;

	for (i = 0; i < NOPS; i++)
		if (strcmp(ops_table[i]->name, name) == 0)
			return (ops_table[i]->algo);
	return (0);
}

const char *
model_algo_name(uint32_t algo)
{
	const struct model_ops	*ops = ops_find(algo);

	return (ops != NULL ? ops->name : "unknown");
}

/*
 * md->item_w for md->params.pop_bias: (1 + n_j)^-pop_bias, n_j the entries
 * of column j of m.  0 or -1.
 */
static int
pop_weights(struct model *md, const struct csr *m)
{
	uint64_t	*n, e;
	uint32_t	 j;

	if ((n = calloc((size_t)md->nitems + 1, sizeof(*n))) == NULL ||
	    (md->w_owned = malloc(((size_t)md->nitems + 1) *
	    sizeof(*md->w_owned))) == NULL) {
		free(n);
		return (-1);
	}
	for (e = 0; e < m->nnz; e++)
		n[m->col[e]]++;
	for (j = 0; j < md->nitems; j++)
		md->w_owned[j] = powf(1.0f + (float)n[j], -md->params.pop_bias);
	free(n);
	md->item_w = md->w_owned;
	return (0);
}

int
model_train(const struct csr *m, const int64_t *item_ids,
    const struct model_params *p, struct model **out)
{
	struct model	*md;

	if ((md = calloc(1, sizeof(*md))) == NULL) {
		log_warnx("%s: out of memory", __func__);
		return (-1);
	}
	if ((md->ops = ops_find(p->algo)) == NULL) {
		log_warnx("%s: unknown algorithm %u", __func__, p->algo);
		goto fail_md;
	}
	if (!(p->recency >= 0.0f && p->recency <= MODEL_RECENCY_MAX) ||
	    !(p->pop_bias >= 0.0f && p->pop_bias <= MODEL_POP_BIAS_MAX)) {
		log_warnx("%s: recency %g (0..%g) or pop_bias %g (0..%g) out "
		    "of range", __func__, (double)p->recency,
		    (double)MODEL_RECENCY_MAX, (double)p->pop_bias,
		    (double)MODEL_POP_BIAS_MAX);
		goto fail_md;
	}
	md->algo = p->algo;
	md->nitems = m->ncols;
	md->nusers = m->nrows;
	md->nnz = m->nnz;
	md->params = *p;
	if (item_ids != NULL) {
		md->ids_owned = malloc(((size_t)m->ncols + 1) *
		    sizeof(*md->ids_owned));
		if (md->ids_owned == NULL) {
			log_warnx("%s: out of memory", __func__);
			goto fail_md;
		}
		memcpy(md->ids_owned, item_ids, (size_t)m->ncols *
		    sizeof(*item_ids));
		md->item_ids = md->ids_owned;
	}
	if (md->ops->train(m, p, &md->impl) == -1)
		goto fail_ids;
	if (p->pop_bias > 0.0f && (pop_weights(md, m) == -1 ||
	    (md->ops->weigh != NULL && md->ops->weigh(md->impl,
	    md->item_w) == -1))) {
		log_warnx("%s: out of memory", __func__);
		model_free(md);
		return (-1);
	}
	*out = md;
	return (0);

fail_ids:
	free(md->ids_owned);
fail_md:
	free(md);
	return (-1);
}

int
model_score(const struct model *md, const uint32_t *items, const float *vals,
    size_t n, float *scores, uint32_t *because)
{
	uint32_t	j;

	if (md->ops->score(md->impl, items, vals, n, scores, because) == -1)
		return (-1);
	/* An algorithm that weighs its own scores did (model_ops.weigh). */
	if (md->item_w != NULL && md->ops->weigh == NULL)
		for (j = 0; j < md->nitems; j++)
			scores[j] *= md->item_w[j];
	return (0);
}

int
model_explain(const struct model *md, const uint32_t *items,
    const float *vals, size_t n, const uint32_t *targets, size_t nt,
    uint32_t *because)
{
	float		*s;
	uint32_t	*b;
	size_t		 t;

	if (md->ops->explain != NULL)
		return (md->ops->explain(md->impl, items, vals, n, targets, nt,
		    because));
	s = malloc(((size_t)md->nitems + 1) * sizeof(*s));
	b = malloc(((size_t)md->nitems + 1) * sizeof(*b));
	if (s == NULL || b == NULL || model_score(md, items, vals, n, s, b) ==
	    -1) {
		free(s);
		free(b);
		log_warnx("%s: out of memory", __func__);
		return (-1);
	}
	for (t = 0; t < nt; t++)
		because[t] = targets[t] < md->nitems ? b[targets[t]] :
		    MODEL_NONE;
	free(s);
	free(b);
	return (0);
}

size_t
model_recommend(const struct model *md, const uint32_t *items,
    const float *vals, size_t n, const uint32_t *excl, size_t nexcl,
    uint32_t *out, float *score, size_t k)
{
	float	*s;
	size_t	 i, m;

	if (md->ops->topn != NULL)
		return (md->ops->topn(md->impl, items, vals, n, excl, nexcl,
		    out, score, k));
	if ((s = malloc((size_t)md->nitems * sizeof(*s))) == NULL)
		return ((size_t)-1);
	if (model_score(md, items, vals, n, s, NULL) == -1) {
		free(s);
		return ((size_t)-1);
	}
	m = model_topn(s, md->nitems, excl, nexcl, out, k);
	for (i = 0; i < m && s[out[i]] > 0.0f; i++)
		score[i] = s[out[i]];
	free(s);
	return (i);
}

/* Is item a (score sa) ranked before item b (score sb)? */
static int
ranks_before(float sa, uint32_t a, float sb, uint32_t b)
{
	if (sa != sb)
		return (sa > sb);
	return (a < b);
}

/* Restore the worst-at-root heap h (n slots) below slot i. */
static void
top_sift(uint32_t *h, const float *s, size_t n, size_t i)
{
	size_t		c;
	uint32_t	tmp;

	for (;;) {
		c = 2 * i + 1;
		if (c >= n)
			break;
		if (c + 1 < n && ranks_before(s[h[c]], h[c], s[h[c + 1]],
		    h[c + 1]))
			c++;
		if (!ranks_before(s[h[i]], h[i], s[h[c]], h[c]))
			break;
		tmp = h[i];
		h[i] = h[c];
		h[c] = tmp;
		i = c;
	}
}

static int
cmp_i64(const void *a, const void *b)
{
	int64_t	x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x < y ? -1 : x > y);
}

/* Histories up to this long are weighed without an allocation. */
#define WEIGH_STACK	256
/* The least weight: an entry however old keeps its sign (like, dislike). */
#define WEIGH_MIN	1e-6f

void
model_set_recency(struct model *md, float r)
{
	md->params.recency = r;
	if (md->ops->set_recency != NULL)
		md->ops->set_recency(md->impl, r);
}

int
model_weigh_recent(const struct model_params *p, const int64_t *times,
    float *vals, size_t n)
{
	int64_t		 stack[WEIGH_STACK], *t;
	size_t		 i, m, lo, hi, mid;
	float		 w;

	if (p->recency <= 0.0f || n == 0)
		return (0);
	t = stack;
	if (n > WEIGH_STACK && (t = malloc(n * sizeof(*t))) == NULL) {
		log_warnx("%s: out of memory", __func__);
		return (-1);
	}
	for (i = m = 0; i < n; i++)
		if (vals[i] != 0.0f)
			t[m++] = times[i];
	qsort(t, m, sizeof(*t), cmp_i64);
	for (i = 0; i < n; i++) {
		/* Entries newer than times[i]: m less those <= it. */
		for (lo = 0, hi = m; lo < hi; ) {
			mid = lo + (hi - lo) / 2;
			if (t[mid] <= times[i])
				lo = mid + 1;
			else
				hi = mid;
		}
		w = expf(-(float)(m - lo) / p->recency);
		vals[i] *= w > WEIGH_MIN ? w : WEIGH_MIN;
	}
	if (t != stack)
		free(t);
	return (0);
}

size_t
model_topn(float *scores, uint32_t nitems, const uint32_t *excl,
    size_t nexcl, uint32_t *out, size_t n)
{
	size_t		i, used = 0, c, p;
	uint32_t	j, tmp;

	for (i = 0; i < nexcl; i++)
		if (excl[i] < nitems)
			scores[excl[i]] = NAN;
	if (n == 0)
		return (0);
	for (j = 0; j < nitems; j++) {
		if (isnan(scores[j]))
			continue;
		if (used < n) {
			c = used++;
			out[c] = j;
			while (c > 0) {
				p = (c - 1) / 2;
				if (!ranks_before(scores[out[p]], out[p],
				    scores[out[c]], out[c]))
					break;
				tmp = out[p];
				out[p] = out[c];
				out[c] = tmp;
				c = p;
			}
		} else if (ranks_before(scores[j], j, scores[out[0]],
		    out[0])) {
			out[0] = j;
			top_sift(out, scores, used, 0);
		}
	}
	for (i = used; i > 1; i--) {
		tmp = out[0];
		out[0] = out[i - 1];
		out[i - 1] = tmp;
		top_sift(out, scores, i - 1, 0);
	}
	return (used);
}

uint64_t
model_hash(const void *buf, size_t len, uint64_t seed)
{
	return (XXH64(buf, len, seed));
}

/* Write len bytes at the current offset, hashing them; 0 or -1. */
static int
write_all(int fd, const void *buf, size_t len, XXH64_state_t *x)
{
	if (x != NULL)
		(void)XXH64_update(x, buf, len);
	return (io_write_all(fd, buf, len));
}

static uint64_t
align_up(uint64_t v)
{
	return ((v + FILE_ALIGN - 1) / FILE_ALIGN * FILE_ALIGN);
}

/* Fill the header of md (checksum 0) and the section table from sec[]. */
static void
header_fill(const struct model *md, const struct model_section *sec,
    size_t nsec, struct file_header *h)
{
	const struct model_params	*p = &md->params;
	uint64_t			 off;
	size_t				 i;

	memset(h, 0, sizeof(*h));
	memcpy(h->magic, FILE_MAGIC, sizeof(h->magic));
	h->version = FILE_VERSION;
	h->header_size = sizeof(*h);
	h->endian = FILE_ENDIAN;
	h->algo = md->algo;
	h->nitems = md->nitems;
	h->nusers = md->nusers;
	h->nnz = md->nnz;
	h->nsections = nsec;
	h->threads = p->threads;
	h->seed = p->seed;
	h->half_life = p->half_life;
	h->now = p->now;
	h->k = p->k;
	h->factors = p->factors;
	h->reg = p->reg;
	h->alpha = p->alpha;
	h->iters = p->iters;
	h->cg_steps = p->cg_steps;
	h->recency = p->recency;
	h->pop_bias = p->pop_bias;
	off = sizeof(*h);
	for (i = 0; i < nsec; i++) {
		off = align_up(off);
		h->sec[i].id = sec[i].id;
		h->sec[i].elemsize = sec[i].elemsize;
		h->sec[i].offset = off;
		h->sec[i].count = sec[i].count;
		off += sec[i].count * sec[i].elemsize;
	}
	h->file_size = off;
}

int
model_save(const struct model *md, const char *path)
{
	struct model_section	 sec[SECS_MAX];
	struct file_header	 h;
	XXH64_state_t		*x;
	static const uint8_t	 zero[FILE_ALIGN];
	char			 tmp[PATH_MAX], dir[PATH_MAX];
	uint64_t		 off;
	size_t			 nsec, i;
	int			 fd, dfd;

	nsec = md->ops->sections(md->impl, sec, MODEL_SECTIONS_MAX);
	if (md->item_ids != NULL) {
		sec[nsec].id = SEC_ITEM_IDS;
		sec[nsec].elemsize = sizeof(int64_t);
		sec[nsec].count = md->nitems;
		sec[nsec].data = md->item_ids;
		nsec++;
	}
	if (md->item_w != NULL) {
		sec[nsec].id = SEC_ITEM_W;
		sec[nsec].elemsize = sizeof(float);
		sec[nsec].count = md->nitems;
		sec[nsec].data = md->item_w;
		nsec++;
	}
	header_fill(md, sec, nsec, &h);

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp.XXXXXX", path) >=
	    sizeof(tmp)) {
		log_warnx("%s: %s: path too long", __func__, path);
		return (-1);
	}
	if ((x = XXH64_createState()) == NULL) {
		log_warnx("%s: out of memory", __func__);
		return (-1);
	}
	if ((fd = mkstemp(tmp)) == -1) {
		log_warnx("%s: %s: %s", __func__, tmp, strerror(errno));
		XXH64_freeState(x);
		return (-1);
	}
	(void)XXH64_reset(x, 0);
	/* The service's own: mkstemp's 0600 stays. */
	if (write_all(fd, &h, sizeof(h), x) == -1)
		goto fail_write;
	off = sizeof(h);
	for (i = 0; i < nsec; i++) {
		if (write_all(fd, zero, h.sec[i].offset - off, x) == -1 ||
		    write_all(fd, sec[i].data, sec[i].count *
		    sec[i].elemsize, x) == -1)
			goto fail_write;
		off = h.sec[i].offset + sec[i].count * sec[i].elemsize;
	}
	h.checksum = XXH64_digest(x);
	if (pwrite(fd, &h, sizeof(h), 0) != (ssize_t)sizeof(h) ||
	    fsync(fd) == -1)
		goto fail_write;
	if (close(fd) == -1) {
		fd = -1;
		goto fail_write;
	}
	fd = -1;
	if (rename(tmp, path) == -1)
		goto fail_write;

	/* Make the rename itself durable. */
	if ((size_t)snprintf(dir, sizeof(dir), "%s", path) < sizeof(dir) &&
	    (dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY)) != -1) {
		(void)fsync(dfd);
		close(dfd);
	}
	XXH64_freeState(x);
	return (0);

fail_write:
	log_warnx("%s: %s: %s", __func__, tmp, strerror(errno));
	if (fd != -1)
		close(fd);
	unlink(tmp);
	XXH64_freeState(x);
	return (-1);
}

/* What each result of model_load means, for model_strerror. */
static const struct {
	int		 code;
	const char	*text;
} model_errors[] = {
	{ 0, "ok" },
	{ MODEL_EIO, "cannot read the file" },
	{ MODEL_EMAGIC, "not a cinerec model file (bad magic)" },
	{ MODEL_EVERSION, "unsupported model format version" },
	{ MODEL_ETRUNC, "truncated model file" },
	{ MODEL_ECHECKSUM, "checksum mismatch (corrupt model file)" },
	{ MODEL_EFORMAT, "inconsistent model file" },
};

const char *
model_strerror(int code)
{
	size_t	i;

	for (i = 0; i < sizeof(model_errors) / sizeof(model_errors[0]); i++)
		if (model_errors[i].code == code)
			return (model_errors[i].text);
	return ("unknown error");
}

/*
 * The checksum of a file image: XXH64 (seed 0) of the header with its
 * checksum field zero, then of the rest.  0 when out of memory.
 */
static uint64_t
file_hash(const struct file_header *h, const uint8_t *rest, size_t len)
{
	struct file_header	 z = *h;
	XXH64_state_t		*x;
	uint64_t		 v = 0;

	z.checksum = 0;
	if ((x = XXH64_createState()) == NULL)
		return (0);
	if (XXH64_reset(x, 0) == XXH_OK &&
	    XXH64_update(x, &z, sizeof(z)) == XXH_OK &&
	    XXH64_update(x, rest, len) == XXH_OK)
		v = XXH64_digest(x);
	XXH64_freeState(x);
	return (v);
}

void
model_reseal(void *buf, size_t len)
{
	struct file_header	h;

	if (len < sizeof(h))
		return;
	memcpy(&h, buf, sizeof(h));
	h.file_size = len;
	h.checksum = file_hash(&h, (const uint8_t *)buf + sizeof(h),
	    len - sizeof(h));
	memcpy(buf, &h, sizeof(h));
}

/* Check the header of a size-byte file at base; 0 or a MODEL_E* code. */
static int
header_check(const char *path, const uint8_t *base, uint64_t size,
    struct file_header *h)
{
	uint32_t		 i;

	if (size < sizeof(h->magic) ||
	    memcmp(base, FILE_MAGIC, sizeof(h->magic)) != 0) {
		log_warnx("model_load: %s: not a cinerec model file "
		    "(bad magic)", path);
		return (MODEL_EMAGIC);
	}
	if (size < sizeof(h->magic) + sizeof(h->version)) {
		log_warnx("model_load: %s: truncated (%llu bytes)", path,
		    (unsigned long long)size);
		return (MODEL_ETRUNC);
	}
	memcpy(&h->version, base + sizeof(h->magic), sizeof(h->version));
	if (h->version != FILE_VERSION) {
		log_warnx("model_load: %s: format version %u, this build "
		    "reads version %u", path, h->version, FILE_VERSION);
		return (MODEL_EVERSION);
	}
	if (size < sizeof(*h)) {
		log_warnx("model_load: %s: truncated (%llu bytes, header "
		    "alone is %zu)", path, (unsigned long long)size,
		    sizeof(*h));
		return (MODEL_ETRUNC);
	}
	memcpy(h, base, sizeof(*h));
	if (h->endian != FILE_ENDIAN || h->header_size != sizeof(*h)) {
		log_warnx("model_load: %s: written with another byte order "
		    "or header layout", path);
		return (MODEL_EFORMAT);
	}
	if (size < h->file_size) {
		log_warnx("model_load: %s: truncated (%llu of %llu bytes)",
		    path, (unsigned long long)size,
		    (unsigned long long)h->file_size);
		return (MODEL_ETRUNC);
	}
	if (size > h->file_size) {
		log_warnx("model_load: %s: %llu bytes of trailing garbage",
		    path, (unsigned long long)(size - h->file_size));
		return (MODEL_EFORMAT);
	}
	if (file_hash(h, base + sizeof(*h), size - sizeof(*h)) != h->checksum) {
		log_warnx("model_load: %s: checksum mismatch (corrupt file)",
		    path);
		return (MODEL_ECHECKSUM);
	}
	if (!(h->recency >= 0.0f && h->recency <= MODEL_RECENCY_MAX) ||
	    !(h->pop_bias >= 0.0f && h->pop_bias <= MODEL_POP_BIAS_MAX)) {
		log_warnx("model_load: %s: recency %g or pop_bias %g out of "
		    "range", path, (double)h->recency, (double)h->pop_bias);
		return (MODEL_EFORMAT);
	}
	if (h->nsections > SECS_MAX || ops_find(h->algo) == NULL) {
		log_warnx("model_load: %s: unknown algorithm %u or %u "
		    "sections", path, h->algo, h->nsections);
		return (MODEL_EFORMAT);
	}
	for (i = 0; i < h->nsections; i++) {
		const struct file_section	*s = &h->sec[i];

		if (s->elemsize == 0 || s->offset < sizeof(*h) ||
		    s->offset % FILE_ALIGN != 0 || s->offset > size ||
		    s->count > (size - s->offset) / s->elemsize) {
			log_warnx("model_load: %s: section %u out of bounds",
			    path, i);
			return (MODEL_EFORMAT);
		}
	}
	return (0);
}

int
model_remap_ids(void *buf, size_t len, const char *what,
    int64_t (*map)(void *arg, int64_t id), void *arg)
{
	struct file_header	 h;
	int64_t			*ids, to;
	uint32_t		 i;
	uint64_t		 j;
	int			 rc;

	if ((rc = header_check(what, buf, len, &h)) != 0)
		return (rc);
	for (i = 0; i < h.nsections; i++) {
		if (h.sec[i].id != SEC_ITEM_IDS)
			continue;
		if (h.sec[i].elemsize != sizeof(int64_t) ||
		    h.sec[i].count != h.nitems)
			return (MODEL_EFORMAT);
		/* Aligned to FILE_ALIGN in a buffer malloc aligns. */
		ids = (int64_t *)(void *)((uint8_t *)buf + h.sec[i].offset);
		for (j = 0; j < h.sec[i].count; j++) {
			if ((to = map(arg, ids[j])) < 0) {
				log_warnx("%s: %s: item id %lld has no match",
				    __func__, what, (long long)ids[j]);
				return (MODEL_EFORMAT);
			}
			ids[j] = to;
		}
		model_reseal(buf, len);
		return (0);
	}
	log_warnx("%s: %s: no item ids to map", __func__, what);
	return (MODEL_EFORMAT);
}

/* Is one of the n weights w outside (0, 1]? */
static int
weights_bad(const float *w, uint32_t n)
{
	uint32_t	j;

	for (j = 0; j < n; j++)
		if (!(w[j] > 0.0f && w[j] <= 1.0f))
			return (1);
	return (0);
}

/*
 * md->col_of when md->item_ids is not the identity (a replica's copy, see
 * model_col): every id in 0..MODEL_ITEM_ID_MAX, none twice.  0 or -1.
 */
#define MODEL_ITEM_ID_MAX	(1 << 26)
static int
col_map(struct model *md)
{
	uint32_t	i;
	int64_t		max = -1;

	for (i = 0; i < md->nitems && md->item_ids[i] == (int64_t)i; i++)
		;
	if (i == md->nitems)
		return (0);
	for (i = 0; i < md->nitems; i++) {
		if (md->item_ids[i] < 0 || md->item_ids[i] > MODEL_ITEM_ID_MAX)
			return (-1);
		if (md->item_ids[i] > max)
			max = md->item_ids[i];
	}
	md->ncol_of = (size_t)max + 1;
	if ((md->col_of = malloc(md->ncol_of * sizeof(*md->col_of))) == NULL)
		return (-1);
	for (i = 0; i < md->ncol_of; i++)
		md->col_of[i] = MODEL_NONE;
	for (i = 0; i < md->nitems; i++) {
		if (md->col_of[md->item_ids[i]] != MODEL_NONE) {
			free(md->col_of);
			md->col_of = NULL;
			return (-1);
		}
		md->col_of[md->item_ids[i]] = i;
	}
	return (0);
}

int
model_load(const char *path, struct model **out)
{
	struct model_section	 sec[SECS_MAX];
	struct file_header	 h;
	struct model		*md;
	struct stat		 st;
	void			*map;
	size_t			 nsec = 0, i;
	int			 fd, rc;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1 ||
	    fstat(fd, &st) == -1) {
		log_warnx("%s: %s: %s", __func__, path, strerror(errno));
		if (fd != -1)
			close(fd);
		return (MODEL_EIO);
	}
	if (st.st_size == 0) {
		close(fd);
		log_warnx("%s: %s: empty file", __func__, path);
		return (MODEL_ETRUNC);
	}
	map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (map == MAP_FAILED) {
		log_warnx("%s: %s: mmap: %s", __func__, path,
		    strerror(errno));
		return (MODEL_EIO);
	}
	if ((rc = header_check(path, map, (uint64_t)st.st_size, &h)) != 0)
		goto fail_map;

	rc = MODEL_EFORMAT;
	if ((md = calloc(1, sizeof(*md))) == NULL) {
		log_warnx("%s: out of memory", __func__);
		goto fail_map;
	}
	md->map = map;
	md->maplen = (size_t)st.st_size;
	md->ops = ops_find(h.algo);
	md->algo = h.algo;
	md->nitems = h.nitems;
	md->nusers = h.nusers;
	md->nnz = h.nnz;
	model_params_default(&md->params, h.algo);
	md->params.threads = h.threads;
	md->params.seed = h.seed;
	md->params.half_life = h.half_life;
	md->params.now = h.now;
	md->params.k = h.k;
	md->params.factors = h.factors;
	md->params.reg = h.reg;
	md->params.alpha = h.alpha;
	md->params.iters = h.iters;
	md->params.cg_steps = h.cg_steps;
	md->params.recency = h.recency;
	md->params.pop_bias = h.pop_bias;
	for (i = 0; i < h.nsections; i++) {
		if (h.sec[i].id == SEC_ITEM_IDS) {
			if (h.sec[i].elemsize != sizeof(int64_t) ||
			    h.sec[i].count != h.nitems) {
				log_warnx("%s: %s: item id section of the "
				    "wrong size", __func__, path);
				goto fail_md;
			}
			md->item_ids = (const int64_t *)((const uint8_t *)map +
			    h.sec[i].offset);
			continue;
		}
		if (h.sec[i].id == SEC_ITEM_W) {
			if (h.sec[i].elemsize != sizeof(float) ||
			    h.sec[i].count != h.nitems || weights_bad((const
			    float *)((const uint8_t *)map + h.sec[i].offset),
			    h.nitems)) {
				log_warnx("%s: %s: item weight section of the "
				    "wrong size or out of (0, 1]", __func__,
				    path);
				goto fail_md;
			}
			md->item_w = (const float *)((const uint8_t *)map +
			    h.sec[i].offset);
			continue;
		}
		sec[nsec].id = h.sec[i].id;
		sec[nsec].elemsize = h.sec[i].elemsize;
		sec[nsec].count = h.sec[i].count;
		sec[nsec].data = (const uint8_t *)map + h.sec[i].offset;
		nsec++;
	}
	if ((md->item_w == NULL) != (md->params.pop_bias == 0.0f)) {
		log_warnx("%s: %s: pop_bias %g %s item weights", __func__, path,
		    (double)md->params.pop_bias, md->item_w != NULL ? "but" :
		    "without");
		goto fail_md;
	}
	if (md->item_ids != NULL && col_map(md) == -1) {
		log_warnx("%s: %s: item ids out of range, repeated, or no "
		    "memory", __func__, path);
		goto fail_md;
	}
	if (md->ops->attach(&md->params, md->nitems, sec, nsec, &md->impl) ==
	    -1) {
		log_warnx("%s: %s: inconsistent %s model", __func__, path,
		    md->ops->name);
		goto fail_md;
	}
	if (md->item_w != NULL && md->ops->weigh != NULL &&
	    md->ops->weigh(md->impl, md->item_w) == -1) {
		log_warnx("%s: %s: out of memory", __func__, path);
		md->ops->free(md->impl);
		goto fail_md;
	}
	*out = md;
	return (0);

fail_md:
	free(md->col_of);
	free(md);
fail_map:
	munmap(map, (size_t)st.st_size);
	return (rc);
}

void
model_free(struct model *md)
{
	if (md == NULL)
		return;
	md->ops->free(md->impl);
	free(md->col_of);
	free(md->ids_owned);
	free(md->w_owned);
	if (md->map != NULL)
		munmap(md->map, md->maplen);
	free(md);
}
