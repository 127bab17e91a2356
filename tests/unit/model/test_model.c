/*
 * Tests for app/model/model.c and the algorithm modules through it: top-N order,
 * the XXH64 checksum, model file round trips for every algorithm, and the
 * rejection of corrupt, truncated, foreign and future files.
 */
#include <criterion/criterion.h>

#include "harness.h"
#include "scratch.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "model/csr.h"
#include "model/model.h"

TestSuite(model, .init = h_scratch_setup, .fini = h_scratch_teardown);

/* A small random matrix: 60 users, 30 items, some negative entries. */
static void
small_matrix(struct csr *m)
{
	struct csr_triple	t[600];
	uint64_t		s = 99;
	size_t			i;

	for (i = 0; i < 600; i++) {
		s = s * 6364136223846793005ULL + 1442695040888963407ULL;
		t[i].row = (uint32_t)(i / 10);
		t[i].col = (uint32_t)((s >> 33) % 30);
		t[i].val = (s >> 20) % 7 == 0 ? -2.0f : 1.0f + (s >> 40) % 4;
		t[i].time = (int64_t)i;
	}
	cr_assert_eq(csr_build(m, 60, 30, t, 600, CSR_DUP_LAST | CSR_TIMES),
	    0);
}

static struct model *
train(uint32_t algo, const struct csr *m)
{
	struct model_params	 p;
	struct model		*md;
	int64_t			 ids[30];
	int			 i;

	for (i = 0; i < 30; i++)
		ids[i] = 1000 + i * 3;
	model_params_default(&p, algo);
	p.factors = 10;
	p.k = 7;
	p.iters = 4;
	p.half_life = algo == MODEL_POP ? 100.0 : 0.0;
	p.recency = algo == MODEL_POP ? 0.0f : 2.5f;
	p.pop_bias = algo == MODEL_POP ? 0.0f : 0.4f;
	cr_assert_eq(model_train(m, ids, &p, &md), 0);
	return (md);
}

static void
save(const struct model *md, char *path, size_t len)
{
	snprintf(path, len, "%s/model.bin", h_dir);
	cr_assert_eq(model_save(md, path), 0);
}

static void
round_trip(uint32_t algo)
{
	struct csr	 m;
	struct model	*a, *b;
	uint32_t	 hist[] = { 3, 7, 11, 29 }, bc_a[30], bc_b[30];
	float		 vals[] = { 1.0f, 4.0f, -2.0f, 2.5f };
	float		 sa[30], sb[30];
	char		 path[256];

	small_matrix(&m);
	a = train(algo, &m);
	save(a, path, sizeof(path));
	cr_assert_eq(h_dir_count(h_dir), 1, "no temporary file is left behind");
	save(a, path, sizeof(path));	/* replacing works too */
	cr_assert_eq(model_load(path, &b), 0);
	cr_assert_not_null(b->map);
	cr_assert_eq(b->algo, algo);
	cr_assert_eq(b->nitems, 30);
	cr_assert_eq(b->nusers, 60);
	cr_assert_eq(b->nnz, m.nnz);
	cr_assert_eq(b->params.factors, a->params.factors);
	cr_assert_eq(b->params.k, a->params.k);
	cr_assert_float_eq(b->params.reg, a->params.reg, 0);
	cr_assert_float_eq(b->params.half_life, a->params.half_life, 0);
	cr_assert_float_eq(b->params.recency, a->params.recency, 0);
	cr_assert_float_eq(b->params.pop_bias, a->params.pop_bias, 0);
	cr_assert_eq(b->item_w != NULL, algo != MODEL_POP);
	if (b->item_w != NULL)
		cr_assert_eq(memcmp(b->item_w, a->item_w, 30 * sizeof(float)),
		    0);
	cr_assert_eq(b->item_ids[29], 1000 + 29 * 3);
	cr_assert_eq(model_score(a, hist, vals, 4, sa, bc_a), 0);
	cr_assert_eq(model_score(b, hist, vals, 4, sb, bc_b), 0);
	cr_assert_eq(memcmp(sa, sb, sizeof(sa)), 0, "%s: same scores",
	    model_algo_name(algo));
	cr_assert_eq(memcmp(bc_a, bc_b, sizeof(bc_a)), 0);
	model_free(b);
	model_free(a);
	csr_free(&m);
}

Test(model, round_trip_pop)
{
	round_trip(MODEL_POP);
}

Test(model, round_trip_itemknn)
{
	round_trip(MODEL_ITEMKNN);
}

Test(model, round_trip_als)
{
	round_trip(MODEL_ALS);
}

/* Save an ALS model to path, return its size. */
static off_t
saved(char *path, size_t len)
{
	struct csr	 m;
	struct model	*md;

	small_matrix(&m);
	md = train(MODEL_ALS, &m);
	save(md, path, len);
	model_free(md);
	csr_free(&m);
	return (h_file_size(path));
}

Test(model, flipped_byte_is_a_checksum_error)
{
	struct model	*md;
	char		 path[256];
	off_t		 size, offs[3];
	uint8_t		 b;
	int		 i;

	size = saved(path, sizeof(path));
	offs[0] = size - 1;	/* payload */
	offs[1] = 600;		/* first section */
	offs[2] = 100;		/* a hyperparameter in the header */
	for (i = 0; i < 3; i++) {
		b = h_byte_at(path, offs[i]) ^ 0x10;
		h_patch(path, offs[i], &b, 1);
		cr_assert_eq(model_load(path, &md), MODEL_ECHECKSUM,
		    "flip at %lld", (long long)offs[i]);
		b ^= 0x10;
		h_patch(path, offs[i], &b, 1);
		cr_assert_eq(model_load(path, &md), 0);
		model_free(md);
	}
}

Test(model, truncated_file)
{
	struct model	*md;
	char		 path[256];
	off_t		 size;

	size = saved(path, sizeof(path));
	cr_assert_eq(truncate(path, size - 4), 0);
	cr_assert_eq(model_load(path, &md), MODEL_ETRUNC);
	cr_assert_eq(truncate(path, 300), 0);
	cr_assert_eq(model_load(path, &md), MODEL_ETRUNC);
	cr_assert_eq(truncate(path, 10), 0);
	cr_assert_eq(model_load(path, &md), MODEL_ETRUNC);
	cr_assert_eq(truncate(path, 0), 0);
	cr_assert_eq(model_load(path, &md), MODEL_ETRUNC);
	cr_assert_str_eq(model_strerror(MODEL_ETRUNC), "truncated model file");
}

Test(model, wrong_magic_version_and_garbage)
{
	struct model	*md;
	char		 path[256], other[256];
	uint32_t	 version = 2;
	FILE		*fp;
	int		 i;

	saved(path, sizeof(path));
	h_patch(path, 8, &version, sizeof(version));
	cr_assert_eq(model_load(path, &md), MODEL_EVERSION);
	version = 1;
	h_patch(path, 8, &version, sizeof(version));
	cr_assert_eq(model_load(path, &md), 0);
	model_free(md);
	h_patch(path, 0, "GGUF", 4);
	cr_assert_eq(model_load(path, &md), MODEL_EMAGIC);

	/* A foreign file: text. */
	snprintf(other, sizeof(other), "%s/ratings.csv", h_dir);
	cr_assert_not_null(fp = fopen(other, "w"));
	for (i = 0; i < 100; i++)
		fprintf(fp, "userId,movieId,rating,timestamp\n");
	fclose(fp);
	cr_assert_eq(model_load(other, &md), MODEL_EMAGIC);
	cr_assert_eq(model_load("/nonexistent/model.bin", &md), MODEL_EIO);
}

/* The file at path with the header's float at off set to r, resealed. */
static void
set_float(const char *path, size_t off, float r)
{
	FILE	*fp;
	char	*buf;
	off_t	 size = h_file_size(path);

	cr_assert_not_null(buf = malloc((size_t)size));
	cr_assert_not_null(fp = fopen(path, "r+"));
	cr_assert_eq(fread(buf, 1, (size_t)size, fp), (size_t)size);
	memcpy(buf + off, &r, sizeof(r));
	model_reseal(buf, (size_t)size);
	rewind(fp);
	cr_assert_eq(fwrite(buf, 1, (size_t)size, fp), (size_t)size);
	fclose(fp);
	free(buf);
}

/* A file before recency has 0 there: off.  Out of range: refused. */
Test(model, recency_in_the_file_is_checked)
{
	struct model	*md;
	char		 path[256];

	saved(path, sizeof(path));
	cr_assert_eq(model_load(path, &md), 0);
	cr_assert_float_eq(md->params.recency, 2.5f, 0);
	model_free(md);
	set_float(path, 112, 0.0f);
	cr_assert_eq(model_load(path, &md), 0);
	cr_assert_float_eq(md->params.recency, 0.0f, 0);
	model_free(md);
	set_float(path, 112, -1.0f);
	cr_assert_eq(model_load(path, &md), MODEL_EFORMAT);
	set_float(path, 112, NAN);
	cr_assert_eq(model_load(path, &md), MODEL_EFORMAT);
	set_float(path, 112, 5000.0f);
	cr_assert_eq(model_load(path, &md), MODEL_EFORMAT);
}

Test(model, trailing_garbage_is_rejected)
{
	struct model	*md;
	char		 path[256];
	off_t		 size;

	size = saved(path, sizeof(path));
	h_patch(path, size, "xx", 2);
	cr_assert_eq(model_load(path, &md), MODEL_EFORMAT);
}

Test(model, save_to_missing_dir_fails_cleanly)
{
	struct csr	 m;
	struct model	*md;

	small_matrix(&m);
	md = train(MODEL_POP, &m);
	cr_assert_eq(model_save(md, "/nonexistent/dir/model.bin"), -1);
	model_free(md);
	csr_free(&m);
}

Test(model, topn_order_ties_exclusions)
{
	float		s[8] = { 1, 3, 3, NAN, 0.5f, 3, 2, -1 };
	uint32_t	excl[] = { 5, 100 }, out[8];

	cr_assert_eq(model_topn(s, 8, excl, 2, out, 4), 4);
	cr_assert_eq(out[0], 1);	/* ties: smaller index first */
	cr_assert_eq(out[1], 2);
	cr_assert_eq(out[2], 6);
	cr_assert_eq(out[3], 0);
	/* asking for more than there is: NaN and excluded skipped */
	cr_assert_eq(model_topn(s, 8, NULL, 0, out, 8), 6);
	cr_assert_eq(out[4], 4);
	cr_assert_eq(out[5], 7);
	cr_assert_eq(model_topn(s, 8, NULL, 0, out, 0), 0);
}

Test(model, xxh64_known_values)
{
	const char	*abc = "abc";
	uint8_t		 buf[771];
	int		 i;

	cr_assert_eq(model_hash("", 0, 0), 0xef46db3751d8e999ULL);
	cr_assert_eq(model_hash("a", 1, 0), 0xd24ec4f1a98c6e5bULL);
	cr_assert_eq(model_hash(abc, 3, 0), 0x44bc2cf5ad770999ULL);
	cr_assert_eq(model_hash(abc, 3, 12345), 0x01700e64f6f23509ULL);
	for (i = 0; i < 768; i++)
		buf[i] = (uint8_t)i;
	memcpy(buf + 768, "xyz", 3);
	cr_assert_eq(model_hash(buf, sizeof(buf), 0), 0xe921a1b45bd779f8ULL);
}

Test(model, names_and_params)
{
	struct model_params	p;

	cr_assert_eq(model_algo_parse("als"), MODEL_ALS);
	cr_assert_eq(model_algo_parse("itemknn"), MODEL_ITEMKNN);
	cr_assert_eq(model_algo_parse("pop"), MODEL_POP);
	cr_assert_eq(model_algo_parse("svd"), 0);
	cr_assert_str_eq(model_algo_name(MODEL_ALS), "als");
	cr_assert_str_eq(model_algo_name(99), "unknown");
	model_params_default(&p, MODEL_ITEMKNN);
	cr_assert_eq(p.k, 50);
	cr_assert_eq(p.threads, 2);
	cr_assert_float_eq(p.recency, 10.0f, 0);
	model_params_default(&p, MODEL_ALS);
	cr_assert_float_eq(p.recency, 5.0f, 0);
	model_params_default(&p, MODEL_POP);
	cr_assert_float_eq(p.recency, 0.0f, 0);
}

/*
 * Times 10, 30, 20, 30, 5 with values 1, 2, -1, 1, 0: the zero counts for
 * no one, so the newer entries of each are 3, 0, 2, 0 (and 4 for the zero,
 * which stays 0).  Recency 2: 1 e^-1.5, 2, -e^-1, 1, 0.
 */
Test(model, weigh_recent_by_the_count_of_newer_entries)
{
	struct model_params	p;
	int64_t			t[] = { 10, 30, 20, 30, 5 }, lt[300];
	float			v[] = { 1.0f, 2.0f, -1.0f, 1.0f, 0.0f }, lv[300];
	int			i;

	model_params_default(&p, MODEL_ALS);
	p.recency = 0.0f;
	cr_assert_eq(model_weigh_recent(&p, t, v, 5), 0);
	cr_assert_float_eq(v[0], 1.0f, 0, "recency 0: untouched");
	cr_assert_float_eq(v[2], -1.0f, 0);
	p.recency = 2.0f;
	cr_assert_eq(model_weigh_recent(&p, t, v, 5), 0);
	cr_assert_float_eq(v[0], expf(-1.5f), 1e-6);
	cr_assert_float_eq(v[1], 2.0f, 0, "the newest weighs 1");
	cr_assert_float_eq(v[2], -expf(-1.0f), 1e-6);
	cr_assert_float_eq(v[3], 1.0f, 0, "ties weigh alike");
	cr_assert_float_eq(v[4], 0.0f, 0);
	/* However old, an entry keeps its sign. */
	v[0] = 1.0f;
	v[2] = -1.0f;
	p.recency = 0.01f;
	cr_assert_eq(model_weigh_recent(&p, t, v, 5), 0);
	cr_assert_gt(v[0], 0.0f);
	cr_assert_lt(v[2], 0.0f);
	/* Longer than the stack buffer: the same rule. */
	for (i = 0; i < 300; i++) {
		lt[i] = 1000 - i;		/* the first is the newest */
		lv[i] = 1.0f;
	}
	p.recency = 50.0f;
	cr_assert_eq(model_weigh_recent(&p, lt, lv, 300), 0);
	for (i = 0; i < 300; i++)
		cr_assert_float_eq(lv[i], expf(-(float)i / 50.0f), 1e-6,
		    "entry %d", i);
}

Test(model, train_refuses_a_recency_out_of_range)
{
	struct model_params	 p;
	struct model		*md = NULL;
	struct csr		 m;
	const float		 bad[] = { -1.0f, NAN, INFINITY, 1001.0f };
	size_t			 i;

	small_matrix(&m);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		model_params_default(&p, MODEL_POP);
		p.recency = bad[i];
		cr_assert_eq(model_train(&m, NULL, &p, &md), -1, "%g",
		    (double)bad[i]);
		cr_assert_null(md);
	}
	csr_free(&m);
}

Test(model, popularity_counts_and_decay)
{
	struct csr_triple	 t[] = {
		{ 0, 0, 1, 0 }, { 1, 0, 1, 100 }, { 2, 0, -1, 100 },
		{ 0, 1, 1, 200 }, { 1, 1, 1, 200 },
	};
	struct csr		 m;
	struct model_params	 p;
	struct model		*md;
	float			 s[2];

	cr_assert_eq(csr_build(&m, 3, 2, t, 5, CSR_TIMES), 0);
	model_params_default(&p, MODEL_POP);
	cr_assert_eq(model_train(&m, NULL, &p, &md), 0);
	cr_assert_eq(model_score(md, NULL, NULL, 0, s, NULL), 0);
	cr_assert_float_eq(s[0], 3.0f, 0);	/* every entry counts */
	cr_assert_float_eq(s[1], 2.0f, 0);
	model_free(md);
	p.half_life = 100.0;	/* now = 200 */
	cr_assert_eq(model_train(&m, NULL, &p, &md), 0);
	cr_assert_eq(model_score(md, NULL, NULL, 0, s, NULL), 0);
	cr_assert_float_eq(s[0], 0.25f + 0.5f + 0.5f, 1e-6);
	cr_assert_float_eq(s[1], 2.0f, 1e-6);
	model_free(md);
	csr_free(&m);
}

/*
 * pop_bias: each score is the plain one times (1 + n_j)^-pop_bias, n_j the
 * entries of column j of the training matrix, and a file whose pop_bias
 * and weights disagree is refused.
 */
Test(model, popularity_weights_divide_each_score)
{
	struct model_params	 p;
	struct model		*a, *b;
	struct csr		 m;
	uint32_t		 hist[] = { 3, 7, 11 }, n[30] = { 0 }, j;
	uint64_t		 e;
	float			 sa[30], sb[30];
	char			 path[256];
	float			 bias = 0.0f;

	small_matrix(&m);
	for (e = 0; e < m.nnz; e++)
		n[m.col[e]]++;
	model_params_default(&p, MODEL_ITEMKNN);
	p.k = 7;
	p.recency = 0.0f;
	cr_assert_eq(model_train(&m, NULL, &p, &a), 0);
	p.pop_bias = 0.5f;
	cr_assert_eq(model_train(&m, NULL, &p, &b), 0);
	cr_assert_eq(model_score(a, hist, NULL, 3, sa, NULL), 0);
	cr_assert_eq(model_score(b, hist, NULL, 3, sb, NULL), 0);
	for (j = 0; j < 30; j++)
		cr_assert_float_eq(sb[j], sa[j] / sqrtf(1.0f + (float)n[j]),
		    1e-6, "item %u (%u entries)", j, n[j]);
	save(b, path, sizeof(path));
	model_free(a);
	model_free(b);
	/* The weights without their pop_bias, then none with one. */
	set_float(path, 116, bias);
	cr_assert_eq(model_load(path, &a), MODEL_EFORMAT);
	csr_free(&m);
	p.pop_bias = 0.0f;
	small_matrix(&m);
	cr_assert_eq(model_train(&m, NULL, &p, &a), 0);
	save(a, path, sizeof(path));
	model_free(a);
	set_float(path, 116, 0.5f);
	cr_assert_eq(model_load(path, &a), MODEL_EFORMAT);
	set_float(path, 116, 3.0f);
	cr_assert_eq(model_load(path, &a), MODEL_EFORMAT, "out of range");
	csr_free(&m);
}

/* Read a whole file into a malloc'ed buffer. */
static void *
slurp(const char *path, size_t *len)
{
	FILE	*fp = fopen(path, "rb");
	void	*buf;
	long	 n;

	cr_assert_not_null(fp);
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	rewind(fp);
	cr_assert_not_null(buf = malloc((size_t)n));
	cr_assert_eq(fread(buf, 1, (size_t)n, fp), (size_t)n);
	fclose(fp);
	*len = (size_t)n;
	return (buf);
}

static void
spill(const char *path, const void *buf, size_t len)
{
	FILE	*fp = fopen(path, "wb");

	cr_assert_not_null(fp);
	cr_assert_eq(fwrite(buf, 1, len, fp), len);
	fclose(fp);
}

static int64_t
reverse_ids(void *arg, int64_t id)
{
	(void)arg;
	return (id >= 1000 && id < 1090 ? 5000 - id : -1);
}

static int64_t
all_to_seven(void *arg, int64_t id)
{
	(void)arg;
	(void)id;
	return (7);
}

/*
 * A replica's copy (model/replica.h): the item ids of a file mapped to
 * other movie ids, the checksum made anew; the columns, and so the scores,
 * stay; movie ids and columns map both ways; a map that misses an id, a
 * corrupt image and ids that repeat are refused.
 */
Test(model, remapped_item_ids_keep_the_scores_and_map_both_ways)
{
	struct csr	 m;
	struct model	*a, *b;
	uint32_t	 hist[] = { 3, 7, 11, 29 }, bc_a[30], bc_b[30];
	float		 vals[] = { 1.0f, 4.0f, -2.0f, 2.5f };
	float		 sa[30], sb[30];
	char		 path[256];
	uint8_t		*img;
	size_t		 len;
	uint32_t	 i;

	small_matrix(&m);
	a = train(MODEL_ALS, &m);
	save(a, path, sizeof(path));
	img = slurp(path, &len);
	cr_assert_eq(model_remap_ids(img, len, path, reverse_ids, NULL), 0);
	spill(path, img, len);
	cr_assert_eq(model_load(path, &b), 0, "the checksum was made anew");
	for (i = 0; i < 30; i++) {
		cr_assert_eq(model_movie(b, i), 5000 - (1000 + 3 * (int64_t)i));
		cr_assert_eq(model_col(b, 5000 - (1000 + 3 * (int64_t)i)), i);
	}
	cr_assert_eq(model_col(b, 1000), MODEL_NONE, "not a movie of b");
	cr_assert_eq(model_col(b, -1), MODEL_NONE);
	cr_assert_eq(model_col(b, 1 << 30), MODEL_NONE);
	cr_assert_eq(model_score(a, hist, vals, 4, sa, bc_a), 0);
	cr_assert_eq(model_score(b, hist, vals, 4, sb, bc_b), 0);
	cr_assert_eq(memcmp(sa, sb, sizeof(sa)), 0, "same columns, same scores");
	model_free(b);
	free(img);

	/* A map without an answer for every id: refused, file untouched. */
	save(a, path, sizeof(path));
	img = slurp(path, &len);
	img[len / 2] ^= 1;
	cr_assert_eq(model_remap_ids(img, len, path, reverse_ids, NULL),
	    MODEL_ECHECKSUM);
	img[len / 2] ^= 1;
	cr_assert_eq(model_remap_ids(img, len, path, reverse_ids, NULL), 0);
	cr_assert_eq(model_remap_ids(img, len, path, reverse_ids, NULL),
	    MODEL_EFORMAT, "ids 3090..4000 have no match");
	free(img);

	/* Two columns, one movie: no model can be served from that. */
	img = slurp(path, &len);
	cr_assert_eq(model_remap_ids(img, len, path, all_to_seven, NULL), 0);
	spill(path, img, len);
	cr_assert_eq(model_load(path, &b), MODEL_EFORMAT);
	free(img);

	/* A training's model numbers columns by movie id: no map at all. */
	cr_assert_null(a->col_of);
	cr_assert_eq(model_col(a, 12), 12);
	cr_assert_eq(model_movie(a, 12), 12);
	model_free(a);
	csr_free(&m);
}
