/*
 * The one interface every recommender model implements: train from an
 * interaction matrix, score one user from that user's current items (fold-in,
 * so a new watch changes the list at once), and save to / load from a
 * self-describing, checksummed, mmap-able model file.
 *
 * Matrix values (struct csr val): v > 0 means preference 1 with confidence
 * v, v < 0 means preference 0 (evidence against) with confidence -v; see
 * signals.h.  Every stored entry is an interaction (popularity counts it);
 * item-kNN uses the entries with v > 0 as a binary matrix; ALS weighs entry
 * (u, i) by c = 1 + alpha * |v| towards its preference.
 */
#ifndef CINEREC_MODEL_H
#define CINEREC_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "model/csr.h"

#define MODEL_NONE	UINT32_MAX	/* "no item" in because[] and top lists */

/* Algorithms; the numbers are stored in model files, never reuse one. */
enum model_algo {
	MODEL_POP = 1,		/* popularity (pop.h) */
	MODEL_ITEMKNN = 2,	/* item-kNN, cosine (itemknn.h) */
	MODEL_ALS = 3,		/* implicit ALS, conjugate gradient (als.h) */
	MODEL_RANDOM = 4	/* a random order of the movies (pop.h): the floor */
};

/* model_load results other than 0; model_strerror names them. */
#define MODEL_EIO	(-1)	/* cannot open, stat, map or read the file */
#define MODEL_EMAGIC	(-2)	/* not a cinerec model file */
#define MODEL_EVERSION	(-3)	/* a format version this build cannot read */
#define MODEL_ETRUNC	(-4)	/* shorter than its header says */
#define MODEL_ECHECKSUM	(-5)	/* contents do not match the checksum */
#define MODEL_EFORMAT	(-6)	/* well-formed file, inconsistent contents */

/*
 * Hyperparameters of all algorithms; each uses its own fields and stores
 * them all in the model file.  model_params_default sets every field.
 */
struct model_params {
	uint32_t	 algo;		/* enum model_algo */
	uint32_t	 threads;	/* worker threads for training, 1..64 (2) */
	uint64_t	 seed;		/* random seed; same seed, same model (42) */
	int		 verbose;	/* 1: per-iteration timings on stderr (0) */
	double		 half_life;	/* pop: decay half-life in time units, 0 = plain count (0) */
	int64_t		 now;		/* pop: decay reference time, 0 = newest entry (0) */
	uint32_t	 k;		/* itemknn: neighbours kept per item (50) */
	uint32_t	 factors;	/* als: latent factors (128) */
	float		 reg;		/* als: L2 regularisation (50, see als.h) */
	float		 alpha;		/* als: confidence slope, c = 1 + alpha |v| (5) */
	uint32_t	 iters;		/* als: alternating iterations (20) */
	uint32_t	 cg_steps;	/* als: conjugate-gradient steps per row (3) */
	float		 recency;	/* all: scoring weighs a history entry by
					   exp(-r / recency), r its newer
					   entries; 0 = off (als 5,
					   itemknn 10, else 0) */
	float		 pop_bias;	/* all: a movie's score is divided by
					   (1 + n)^pop_bias, n its training
					   interactions; 0 = off (0) */
};

/* A trained or loaded model.  Read-only once built: score from any thread. */
struct model {
	uint32_t		 algo;		/* enum model_algo */
	uint32_t		 nitems;	/* items (columns) the model scores */
	uint32_t		 nusers;	/* rows of the training matrix */
	uint64_t		 nnz;		/* entries of the training matrix */
	struct model_params	 params;	/* as trained */
	const int64_t		*item_ids;	/* nitems external ids, or NULL */
	const struct model_ops	*ops;		/* the algorithm's functions */
	void			*impl;		/* the algorithm's state */
	const float		*item_w;	/* nitems score weights (pop_bias), or
						   NULL: all 1 */
	float			*w_owned;	/* item_w when malloc'ed */
	void			*map;		/* file mapping when loaded, else NULL */
	size_t			 maplen;	/* bytes mapped */
	int64_t			*ids_owned;	/* item_ids when malloc'ed */
	uint32_t		*col_of;	/* movie id -> column when item_ids
						   is not the identity (a
						   replica's copy), else NULL */
	size_t			 ncol_of;
};

/*
 * The column of movie id in md (MODEL_NONE, or a column >= nitems: the
 * model does not know the movie), and the movie id of column col.  The
 * trainings' models number their columns by movie id; a serving replica's
 * copy maps them (model/replica.h).
 */
static inline uint32_t
model_col(const struct model *md, int64_t movie)
{
	if (md->col_of == NULL)
		return (movie >= 0 && movie < (int64_t)MODEL_NONE ?
		    (uint32_t)movie : MODEL_NONE);
	return (movie >= 0 && (uint64_t)movie < md->ncol_of ?
	    md->col_of[movie] : MODEL_NONE);
}

static inline int64_t
model_movie(const struct model *md, uint32_t col)
{
	return (md->col_of != NULL && col < md->nitems ? md->item_ids[col] :
	    (int64_t)col);
}

/* One array of a model file: a typed, counted block of plain data. */
struct model_section {
	uint32_t	 id;		/* algorithm-defined tag, unique in a file */
	uint32_t	 elemsize;	/* bytes per element */
	uint64_t	 count;		/* elements */
	const void	*data;		/* count * elemsize bytes */
};

#define MODEL_RECENCY_MAX	1000.0f	/* largest recency (params) */
#define MODEL_POP_BIAS_MAX	2.0f	/* largest pop_bias (params) */

#define MODEL_SECTIONS_MAX	8	/* sections a file may hold */

/*
 * What an algorithm module provides (pop_ops, knn_ops, als_ops).
 * impl is the module's own state struct.
 */
struct model_ops {
	uint32_t	 algo;			/* enum model_algo */
	const char	*name;			/* "pop", "itemknn", "als" */
	/* Train on m; 0 and *impl set, or -1 (logged). */
	int		(*train)(const struct csr *m,
			    const struct model_params *p, void **impl);
	/* See model_score. */
	int		(*score)(const void *impl, const uint32_t *items,
			    const float *vals, size_t n, float *scores,
			    uint32_t *because);
	/* Describe the arrays to save in sec[max]; returns how many. */
	size_t		(*sections)(const void *impl,
			    struct model_section *sec, size_t max);
	/*
	 * Build *impl over loaded sections (data stays owned by the caller's
	 * mapping); 0, or -1 (logged) when a section is missing or has the
	 * wrong size.
	 */
	int		(*attach)(const struct model_params *p, uint32_t nitems,
			    const struct model_section *sec, size_t nsec,
			    void **impl);
	/* Release impl (not the attached data); NULL is fine. */
	void		(*free)(void *impl);
	/* See model_recommend; NULL: model_score + model_topn do it. */
	size_t		(*topn)(const void *impl, const uint32_t *items,
			    const float *vals, size_t n, const uint32_t *excl,
			    size_t nexcl, uint32_t *out, float *score,
			    size_t k);
	/*
	 * Score item j times w[j] from now on, in score and topn alike (w:
	 * nitems weights in (0, 1], kept by the caller), for an algorithm
	 * whose own top-n orders items (ALS); NULL: model.c weighs the scores
	 * of score.  0 or -1.
	 */
	int		(*weigh)(void *impl, const float *w);
	/* See model_set_recency; NULL: nothing of impl depends on it. */
	void		(*set_recency)(void *impl, float recency);
	/* See model_explain; NULL: model_score's because says it. */
	int		(*explain)(const void *impl, const uint32_t *items,
			    const float *vals, size_t n,
			    const uint32_t *targets, size_t nt,
			    uint32_t *because);
};

/* Defaults for algo (and for all the other fields).  Cannot fail. */
void	model_params_default(struct model_params *p, uint32_t algo);

/* Algorithm by name ("pop", "itemknn", "als"); 0 if unknown. */
uint32_t	model_algo_parse(const char *name);

/* Name of an algorithm; "unknown" if out of range. */
const char	*model_algo_name(uint32_t algo);

/*
 * Train p->algo on m (users x items).  item_ids (m->ncols external ids) is
 * copied into the model and saved with it; it may be NULL.  Returns 0 and
 * *out (free with model_free), or -1 (logged).
 */
int	model_train(const struct csr *m, const int64_t *item_ids,
	    const struct model_params *p, struct model **out);

/*
 * Score every item for one user whose current history is the n items
 * (indices; those >= nitems are ignored) with matrix values vals (NULL means
 * all 1).  Writes nitems scores (higher is better; history items are not
 * excluded here).  If because is not NULL, because[j] is set to the history
 * item that contributed most to item j, or MODEL_NONE where the algorithm
 * cannot tell (pop, als) or nothing contributed.  Thread-safe.
 * Returns 0, or -1 (logged) on allocation failure.
 */
int	model_score(const struct model *md, const uint32_t *items,
	    const float *vals, size_t n, float *scores, uint32_t *because);

/*
 * Score md with recency r from now on (as if trained with it: a scoring
 * parameter, so a model fitted once serves every trial of a search).  Not
 * while other threads score md.  r within 0..MODEL_RECENCY_MAX.
 */
void	model_set_recency(struct model *md, float r);

/*
 * Weigh a history's n values vals (as for model_score) by how recent each
 * entry is, for a model with parameters p: vals[i] becomes vals[i] *
 * exp(-r / p->recency) (never below 1e-6, so each keeps its sign), r the
 * number of entries with a nonzero value and a later time than times[i]
 * (equal times weigh alike; times on any clock).  The newest weighs 1; the temporal order of what a user did is the
 * evidence of what they want next.  Nothing when p->recency is 0.  Callers
 * do it before model_score or model_recommend, so the precomputed lists,
 * the hold-out, eval and the fold-in at request time agree.  Returns 0, or
 * -1 (logged) on allocation failure with vals unchanged.
 */
int	model_weigh_recent(const struct model_params *p, const int64_t *times,
	    float *vals, size_t n);

/*
 * The k best items with a positive score for a user whose history is the n
 * items with vals (as for model_score), none of the nexcl items in excl
 * (sorted ascending), best first (ties to the smaller index), into out and
 * their scores into score.  The same list as model_score then model_topn
 * keeping scores > 0, but an algorithm may get it without scoring every
 * item (ALS does).  Returns the count, or (size_t)-1 on allocation failure.
 */
size_t	model_recommend(const struct model *md, const uint32_t *items,
	    const float *vals, size_t n, const uint32_t *excl, size_t nexcl,
	    uint32_t *out, float *score, size_t k);

/*
 * Why the nt items targets[] would be recommended to a user whose history
 * is the n items with vals (as for model_score, weighed the same way):
 * because[t] is the history item that contributes most to target t's
 * score, or MODEL_NONE where none adds to it (pop, random).  For ALS the
 * contributions are exact shares of the fold-in score (als.c); item-kNN
 * says what model_score's because says.  Slower than scoring one user for
 * ALS: ask for it where an explanation is shown, not on every answer.
 * Returns 0, or -1 (logged) on allocation failure.
 */
int	model_explain(const struct model *md, const uint32_t *items,
	    const float *vals, size_t n, const uint32_t *targets, size_t nt,
	    uint32_t *because);

/*
 * Best n items by score (higher first, ties to the smaller index) into out,
 * skipping the nexcl indices in excl and NaN scores.  scores is clobbered
 * (excluded entries become NaN).  Returns the number written (< n when
 * fewer items qualify).  Cannot fail.
 */
size_t	model_topn(float *scores, uint32_t nitems, const uint32_t *excl,
	    size_t nexcl, uint32_t *out, size_t n);

/*
 * Write md to path atomically (a temporary file in the same directory, fsync,
 * rename).  Returns 0, or -1 (logged) with path untouched.
 */
int	model_save(const struct model *md, const char *path);

/*
 * Map path read-only (shared between processes), check magic, version,
 * size, checksum and layout, and return the model in *out (free with
 * model_free, which unmaps).  Returns 0, or a MODEL_E* code (< 0) with a
 * message naming the file and the problem logged.
 */
int	model_load(const char *path, struct model **out);

/*
 * Make the len-byte model file image at buf self-consistent where a file
 * on disk would be checked first: its recorded size and its checksum.  For
 * tests and fuzzing, which build odd files that must get past the checksum
 * to reach the checks behind it.  Does nothing below a header's size.
 */
void	model_reseal(void *buf, size_t len);

/* Text for a MODEL_E* code. */
/*
 * In a model file's image buf (len bytes, malloc'ed: aligned), checked as
 * model_load checks a file (what names it in messages): every item id
 * replaced by map(arg, id), the checksum made anew.  Returns 0, a
 * MODEL_E* code, or MODEL_EFORMAT when map gives < 0 for an id.
 */
int	model_remap_ids(void *buf, size_t len, const char *what,
	    int64_t (*map)(void *arg, int64_t id), void *arg);

const char	*model_strerror(int code);

/* Release md (unmapping a loaded file); NULL is fine. */
void	model_free(struct model *md);

/*
 * XXH64 of len bytes with seed (the model file checksum).  Cannot fail.
 */
uint64_t	model_hash(const void *buf, size_t len, uint64_t seed);

#endif
