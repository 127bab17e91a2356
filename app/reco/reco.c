/*
 * Popularity-based recommendation lists (see reco.h): the cached ranking,
 * its refresh from the database, and the per-user filter.
 */
#include <stdlib.h>
#include <string.h>

#include "util/vec.h"
#include "util/log.h"
#include "reco/reco.h"
#include "telemetry/why.h"

static const char	*ranking_sql =
    "WITH recent AS (SELECT movie_id, SUM(viewers + raters) AS n "
    "  FROM movie_daily "
    "  WHERE day > (SELECT MAX(day) FROM movie_daily) - ?1 "
    "  GROUP BY movie_id) "
    "SELECT m.id, m.slug, COALESCE(r.n, 0) AS recent, "
    "  m.viewers + m.raters AS total "
    "FROM movies m LEFT JOIN recent r ON r.movie_id = m.id "
    "ORDER BY recent DESC, total DESC, m.id";

int
reco_refresh(struct reco *r, struct store *s, int window_days, int force)
{
	struct reco_item	*items = NULL, *it;
	sqlite3_stmt		*st = NULL;
	char			*slugs = NULL;
	const char		**slug_of;
	uint64_t		*series_of = NULL;
	size_t			 n = 0, cap = 0, slen = 0, scap = 0, len, i;
	size_t			 nslug = 0;
	int64_t			 version, a, b;
	int			 rc, found;
	struct hmap		 byslug = { NULL, 0, 0 };

	/* The recommendation log changes the database all the time: it does
	 * not change the ranking, so only watches, ratings, movies count. */
	if ((version = store_activity(s)) == -1)
		return (-1);
	if (!force && r->built && version == r->version)
		return (0);

	if (sqlite3_prepare_v2(s->db, ranking_sql, -1, &st, NULL) !=
	    SQLITE_OK)
		goto dberr;
	sqlite3_bind_int(st, 1, window_days);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		len = (size_t)sqlite3_column_bytes(st, 1);
		if (vec_grow((void **)&items, &cap, n + 1,
		    sizeof(*items)) == -1 || vec_grow((void **)&slugs, &scap,
		    slen + len + 1, 1) == -1)
			goto nomem;
		it = &items[n++];
		it->movie = sqlite3_column_int(st, 0);
		memcpy(slugs + slen, sqlite3_column_text(st, 1), len + 1);
		it->slug = (const char *)(uintptr_t)slen;	/* fixed below */
		slen += len + 1;
		it->recent = sqlite3_column_int64(st, 2);
		it->total = sqlite3_column_int64(st, 3);
	}
	if (rc != SQLITE_DONE)
		goto dberr;
	sqlite3_finalize(st);
	/* The slug storage may have moved while growing: offsets to pointers. */
	for (i = 0; i < n; i++) {
		items[i].slug = slugs + (uintptr_t)items[i].slug;
		if ((size_t)items[i].movie + 1 > nslug)
			nslug = (size_t)items[i].movie + 1;
	}
	if ((slug_of = calloc(nslug ? nslug : 1, sizeof(*slug_of))) == NULL)
		goto nomem;
	/* Series keys only when a cap reads them (series_full). */
	if (r->series_max > 0 && (series_of = calloc(nslug ? nslug : 1,
	    sizeof(*series_of))) == NULL) {
		free(slug_of);
		goto nomem;
	}
	for (i = 0; i < n; i++)
		if (items[i].movie >= 0) {
			slug_of[items[i].movie] = items[i].slug;
			if (series_of != NULL)
				series_of[items[i].movie] =
				    reco_series(items[i].slug);
		}
	if (hmap_reserve(&byslug, n) == -1) {
		free(slug_of);
		free(series_of);
		goto nomem;
	}
	for (i = 0; i < n; i++) {
		hmap_str_key(items[i].slug, &a, &b);
		if (items[i].movie >= 0)
			(void)hmap_put(&byslug, a, b,
			    (uint32_t)items[i].movie, &found);
	}
	hmap_free(&r->byslug);
	r->byslug = byslug;
	free(r->items);
	free(r->slugs);
	free(r->slug_of);
	free(r->series_of);
	r->slug_of = slug_of;
	r->series_of = series_of;
	r->nslug_of = nslug;
	r->items = items;
	r->slugs = slugs;
	r->n = n;
	r->version = version;
	r->built = 1;
	return (1);

nomem:
	log_warnx("%s: out of memory", __func__);
	goto fail;
dberr:
	log_warnx("%s: %s", __func__, sqlite3_errmsg(s->db));
fail:
	sqlite3_finalize(st);
	free(items);
	free(slugs);
	return (-1);
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t	x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x < y ? -1 : x > y);
}

static int
seen(const uint32_t *ids, size_t n, uint32_t movie)
{
	return (n > 0 && bsearch(&movie, ids, n, sizeof(*ids), cmp_u32) !=
	    NULL);
}

/* History entries by movie (each movie is there once). */
static int
cmp_hist(const void *a, const void *b)
{
	const struct store_hist	*x = a, *y = b;

	return (x->movie < y->movie ? -1 : x->movie > y->movie);
}

/* Room for need history entries in cols, vals and times.  0 or -1. */
static int
grow_cols(struct reco *r, size_t need)
{
	size_t	vcap = r->colcap, tcap = r->colcap;

	if (vec_grow((void **)&r->vals, &vcap, need, sizeof(*r->vals)) == -1 ||
	    vec_grow((void **)&r->times, &tcap, need, sizeof(*r->times)) == -1)
		return (-1);
	return (vec_grow((void **)&r->cols, &r->colcap, need,
	    sizeof(*r->cols)));
}

/* Room for one score and one "because" per model item.  0 or -1. */
static int
grow_scores(struct reco *r, size_t need)
{
	if (need <= r->scorecap)
		return (0);
	free(r->scores);
	free(r->because);
	r->scorecap = 0;
	r->scores = malloc(need * sizeof(*r->scores));
	r->because = malloc(need * sizeof(*r->because));
	if (r->scores == NULL || r->because == NULL)
		return (-1);
	r->scorecap = need;
	return (0);
}

#define TOPMAX	(RECO_MAX * 4)

/* Model candidates asked for a list of max: more when a series cap skips. */
static size_t
candidates(const struct reco *r, size_t max)
{
	size_t	k = r->series_max > 0 ? max * 4 : max + 8;

	return (k < TOPMAX ? k : TOPMAX);
}

/* Does out hold series_max movies of movie's series already? */
static int
series_full(const struct reco *r, const struct reco_list *out, int32_t movie)
{
	size_t	i;
	int	n = 0;

	if (r->series_max <= 0 || r->series_of == NULL || movie < 0 ||
	    (size_t)movie >= r->nslug_of)
		return (0);
	for (i = 0; i < out->n; i++)
		n += r->series_of[out->item[i].movie] ==
		    r->series_of[movie];
	return (n >= r->series_max);
}

/* Append movie col (if the ranking knows it) to out. */
static void
add_item(const struct reco *r, struct reco_list *out, uint32_t col,
    float score, uint32_t because)
{
	if (col >= r->nslug_of || r->slug_of[col] == NULL ||
	    rules_withdrawn(r->rules, (int32_t)col) ||
	    series_full(r, out, (int32_t)col))
		return;
	out->item[out->n].movie = (int32_t)col;
	out->item[out->n].slug = r->slug_of[col];
	out->item[out->n].score = score;
	out->item[out->n].because = because != MODEL_NONE &&
	    because < r->nslug_of ? r->slug_of[because] : NULL;
	out->item[out->n].because_id = out->item[out->n].because != NULL ?
	    (int32_t)because : -1;
	out->n++;
}

/* Append ranking entry it to out, its score the recent count. */
static void
add_ranked(const struct reco *r, struct reco_list *out,
    const struct reco_item *it)
{
	if (rules_withdrawn(r->rules, it->movie) ||
	    series_full(r, out, it->movie))
		return;
	out->item[out->n].movie = it->movie;
	out->item[out->n].slug = it->slug;
	out->item[out->n].score = (float)it->recent;
	out->item[out->n].because = NULL;
	out->item[out->n].because_id = -1;
	out->n++;
}

int
reco_from_row(const struct reco *r, const int32_t *ids, const float *scores,
    const int32_t *because, size_t n, size_t max, struct reco_list *out)
{
	size_t	k;

	out->n = out->personal = 0;
	for (k = 0; k < n && k < LISTS_K && out->n < max; k++) {
		if (ids[k] == LISTS_NONE)
			break;
		add_item(r, out, (uint32_t)ids[k], scores[k],
		    because[k] == LISTS_NONE ? MODEL_NONE :
		    (uint32_t)because[k]);
	}
	out->personal = out->n;
	return (out->n == max);
}

/* A history entry's column and value, to sort them by column. */
struct colval {
	uint32_t	col;
	float		val;
};

static int
cmp_colval(const void *a, const void *b)
{
	const struct colval	*x = a, *y = b;

	return (x->col < y->col ? -1 : x->col > y->col);
}

/*
 * A replica's copy of a model numbers its columns in the trainer's movie
 * order: the entries in that order, as the trainer folds them in (the
 * same sums, to the last bit).  0 or -1.
 */
static int
sort_by_column(uint32_t *items, float *vals, size_t nh)
{
	struct colval	*cv;
	size_t		 i;

	for (i = 1; i < nh && items[i - 1] <= items[i]; i++)
		;
	if (nh < 2 || i == nh)
		return (0);
	if ((cv = malloc(nh * sizeof(*cv))) == NULL)
		return (-1);
	for (i = 0; i < nh; i++) {
		cv[i].col = items[i];
		cv[i].val = vals[i];
	}
	qsort(cv, nh, sizeof(*cv), cmp_colval);
	for (i = 0; i < nh; i++) {
		items[i] = cv[i].col;
		vals[i] = cv[i].val;
	}
	free(cv);
	return (0);
}

/*
 * The model's view of the nh entries of r->hist: their columns (returned,
 * malloc'd, increasing; MODEL_NONE for movies the model does not know)
 * and values (into r->vals), mapped by sp and weighed by recency as in
 * training.  NULL when out of memory.
 */
static uint32_t *
history_values(struct reco *r, const struct model *md,
    const struct signal_params *sp, size_t nh)
{
	struct signal	 sig;
	uint32_t	*items;
	size_t		 i;

	if ((items = malloc((nh ? nh : 1) * sizeof(*items))) == NULL)
		return (NULL);
	for (i = 0; i < nh; i++) {
		items[i] = model_col(md, r->hist[i].movie);
		if (signal_map(sp, r->hist[i].minutes, r->hist[i].runtime,
		    r->hist[i].rating, &sig) == -1)
			sig.conf = 0;
		r->vals[i] = signal_encode(&sig);
		r->times[i] = r->hist[i].ts;
	}
	/* A training's model: movie order is column order already. */
	if (model_weigh_recent(&md->params, r->times, r->vals, nh) == -1 ||
	    (md->col_of != NULL && sort_by_column(items, r->vals, nh) == -1)) {
		free(items);
		return (NULL);
	}
	return (items);
}

/*
 * The user's history, in movie order as a training's matrix row (the same
 * history folds in to the same list, to the last bit, on either path), into
 * r->hist and its movies into r->cols.  The count, or -1.
 */
static int
read_history(struct reco *r, struct store *s, int64_t user)
{
	size_t	i, nh;
	int	n;

	if ((n = store_history(s, user, &r->hist, &r->histcap)) == -1)
		return (-1);
	nh = (size_t)n;
	if (grow_cols(r, nh ? nh : 1) == -1)
		return (-1);
	if (nh > 1)
		qsort(r->hist, nh, sizeof(*r->hist), cmp_hist);
	for (i = 0; i < nh; i++)
		r->cols[i] = (uint32_t)r->hist[i].movie;
	return (n);
}

/*
 * The model's part of the list, scored from the nh history entries (whose
 * ids are in r->cols, sorted).  At most max entries into out.  0 or -1.
 */
static int
from_model(struct reco *r, const struct model *md,
    const struct signal_params *sp, size_t nh, size_t max,
    struct reco_list *out)
{
	uint32_t	 top[TOPMAX], col, *items;
	float		 topscore[TOPMAX];
	size_t		 k, ntop;
	int		 rc;

	if ((items = history_values(r, md, sp, nh)) == NULL)
		return (-1);
	if (md->ops->topn != NULL) {
		/* A fast exact top-n (ALS); no explanations. */
		/* The history's columns are the ones left out. */
		ntop = model_recommend(md, items, r->vals, nh, items, nh, top,
		    topscore, candidates(r, max));
		free(items);
		if (ntop == (size_t)-1)
			return (-1);
		for (k = 0; k < ntop && out->n < max; k++)
			add_item(r, out, (uint32_t)model_movie(md, top[k]),
			    topscore[k], MODEL_NONE);
		out->personal = out->n;
		return (0);
	}
	if (grow_scores(r, md->nitems) == -1) {
		free(items);
		return (-1);
	}
	rc = model_score(md, items, r->vals, nh, r->scores, r->because);
	if (rc == -1) {
		free(items);
		return (-1);
	}
	/* A few more than max: columns of movies not in the ranking go. */
	ntop = model_topn(r->scores, md->nitems, items, nh, top,
	    candidates(r, max));
	free(items);
	for (k = 0; k < ntop && out->n < max; k++) {
		col = top[k];
		/* No evidence for it (or against it): popularity decides. */
		if (!(r->scores[col] > 0.0f))
			break;
		add_item(r, out, (uint32_t)model_movie(md, col),
		    r->scores[col], r->because[col] == MODEL_NONE ?
		    MODEL_NONE : (uint32_t)model_movie(md, r->because[col]));
	}
	out->personal = out->n;
	return (0);
}

/*
 * The precomputed list, when it still holds: the user has no event newer
 * than the model's data.  Returns 1 if out was filled (max entries), 0 if
 * not (out may hold a shorter list to complete), -1 on error.
 */
static int
from_lists(struct reco *r, struct store *s, const struct lists *ls,
    int64_t user, size_t max, struct reco_list *out)
{
	int64_t		 row, changed;
	int		 rc;

	/*
	 * A user this node has no event of has the list the training made,
	 * if any: on a serving replica, a user of another node's partitions
	 * (or of its own, not caught up with yet).
	 */
	if ((rc = store_user_last(s, user, &changed)) == -1)
		return (-1);
	if ((rc == 1 && changed > ls->data_to_ms) ||
	    (row = lists_find(ls, user)) == -1)
		return (0);
	return (reco_from_row(r, ls->ids + row * LISTS_K, ls->scores + row *
	    LISTS_K, ls->because + row * LISTS_K, LISTS_K, max, out));
}

int
reco_for_user(struct reco *r, struct store *s, const struct model *md,
    const struct lists *ls, const struct signal_params *sp, int64_t user,
    size_t max, struct reco_list *out)
{
	size_t	i, k, nh;
	int	n, dup, rc;

	out->n = out->personal = 0;
	out->path = RECO_PATH_POPULAR;
	if (max > RECO_MAX)
		max = RECO_MAX;
	rc = 0;
	if (md != NULL && ls != NULL &&
	    (rc = from_lists(r, s, ls, user, max, out)) != 0) {
		out->path = RECO_PATH_LISTS;
		return (rc == 1 ? (int)out->n : -1);
	}
	/* A short precomputed list, completed below, came from the lists. */
	if (out->n > 0)
		out->path = RECO_PATH_LISTS;
	if ((n = read_history(r, s, user)) == -1)
		return (-1);
	nh = (size_t)n;
	/* A short precomputed list is completed from popularity only. */
	if (md != NULL && nh > 0 && out->n == 0) {
		if (from_model(r, md, sp, nh, max, out) == -1)
			return (-1);
		out->path = RECO_PATH_FOLDIN;
	}
	for (i = 0; i < r->n && out->n < max; i++) {
		if (seen(r->cols, nh, (uint32_t)r->items[i].movie))
			continue;
		for (k = 0, dup = 0; k < out->personal; k++)
			dup |= out->item[k].movie == r->items[i].movie;
		if (dup)
			continue;
		add_ranked(r, out, &r->items[i]);
	}
	return ((int)out->n);
}

int
reco_explain(struct reco *r, struct store *s, const struct model *md,
    const struct signal_params *sp, int64_t user, struct reco_list *l)
{
	uint32_t	 targets[RECO_MAX], because[RECO_MAX], *items;
	size_t		 slot[RECO_MAX], i, nt = 0, nh;
	int		 n, rc;

	for (i = 0; md != NULL && i < l->personal && i < RECO_MAX; i++)
		if (l->item[i].because == NULL) {
			slot[nt] = i;
			targets[nt++] = model_col(md, l->item[i].movie);
		}
	if (nt == 0)
		return (0);
	if ((n = read_history(r, s, user)) == -1)
		return (-1);
	nh = (size_t)n;
	if ((items = history_values(r, md, sp, nh)) == NULL)
		return (-1);
	rc = model_explain(md, items, r->vals, nh, targets, nt, because);
	free(items);
	if (rc == -1)
		return (-1);
	for (i = 0; i < nt; i++) {
		if (because[i] != MODEL_NONE)
			because[i] = (uint32_t)model_movie(md, because[i]);
		if (because[i] == MODEL_NONE || because[i] >= r->nslug_of ||
		    r->slug_of[because[i]] == NULL)
			continue;
		l->item[slot[i]].because = r->slug_of[because[i]];
		l->item[slot[i]].because_id = (int32_t)because[i];
	}
	return (0);
}

void
reco_ranking(const struct reco *r, size_t max, int recent_only,
    struct reco_list *out)
{
	size_t	i;

	out->n = out->personal = 0;
	out->path = RECO_PATH_POPULAR;
	if (max > RECO_MAX)
		max = RECO_MAX;
	for (i = 0; i < r->n && out->n < max; i++) {
		if (recent_only && r->items[i].recent <= 0)
			break;
		add_ranked(r, out, &r->items[i]);
	}
}

/* Is the n-byte word w a sequel number: digits, or i..xx in roman? */
static int
sequel_number(const char *w, size_t n)
{
	static const char *const roman[] = { "ii", "iii", "iv", "v", "vi",
	    "vii", "viii", "ix", "x", "xi", "xii", "xiii", "xiv", "xv", "xvi",
	    "xvii", "xviii", "xix", "xx" };
	size_t	i;

	if (n > 0 && strspn(w, "0123456789") >= n)
		return (1);
	for (i = 0; i < sizeof(roman) / sizeof(roman[0]); i++)
		if (strlen(roman[i]) == n && strncmp(w, roman[i], n) == 0)
			return (1);
	return (0);
}

uint64_t
reco_series(const char *slug)
{
	uint64_t	 h = 1469598103934665603ULL;	/* FNV-1a */
	size_t		 len = strlen(slug), w;
	int		 year = 1;

	/* Words off the end: the year (once), then sequel numbers. */
	while (len > 0) {
		for (w = len; w > 0 && slug[w - 1] != '+'; w--)
			;
		if (w == 0)
			break;		/* the first word always stays */
		if (year && len - w == 4 && strspn(slug + w, "0123456789") >= 4)
			year = 0;
		else if (!sequel_number(slug + w, len - w))
			break;
		len = w - 1;
	}
	for (w = 0; w < len; w++) {
		h ^= (unsigned char)slug[w];
		h *= 1099511628211ULL;
	}
	return (h);
}

int32_t
reco_movie(const struct reco *r, const char *slug)
{
	const uint32_t	*id;
	int64_t		 a, b;

	hmap_str_key(slug, &a, &b);
	if ((id = hmap_get(&r->byslug, a, b)) == NULL || *id >= r->nslug_of ||
	    r->slug_of[*id] == NULL || strcmp(r->slug_of[*id], slug) != 0)
		return (-1);
	return ((int32_t)*id);
}

int
reco_similar(struct reco *r, const struct model *md, int32_t movie,
    size_t max, struct reco_list *out)
{
	uint32_t	top[TOPMAX], col;
	float		score[TOPMAX];
	size_t		ntop, k;

	out->n = out->personal = 0;
	out->path = RECO_PATH_FOLDIN;
	if (max > RECO_MAX)
		max = RECO_MAX;
	if (md == NULL || (col = model_col(md, movie)) >= md->nitems)
		return (0);
	/* A few more than max: columns of movies not in the ranking go. */
	if ((ntop = model_recommend(md, &col, NULL, 1, &col, 1, top, score,
	    candidates(r, max))) == (size_t)-1)
		return (-1);
	for (k = 0; k < ntop && out->n < max; k++)
		add_item(r, out, (uint32_t)model_movie(md, top[k]), score[k],
		    MODEL_NONE);
	out->personal = out->n;
	return ((int)out->n);
}

void
reco_why_now(const struct reco_list *l, int64_t model, struct why_now *now)
{
	size_t	i;

	now->model = l->personal > 0 ? model : 0;
	now->personal = l->personal;
	for (i = 0; i < l->n && i < WHY_NOW_MAX; i++) {
		now->item[i].movie = l->item[i].slug;
		now->item[i].because = l->item[i].because;
	}
	now->n = i;
}

void
reco_free(struct reco *r)
{
	free(r->items);
	free(r->slugs);
	free(r->slug_of);
	free(r->series_of);
	free(r->hist);
	free(r->cols);
	free(r->vals);
	free(r->times);
	free(r->scores);
	free(r->because);
	hmap_free(&r->byslug);
	memset(r, 0, sizeof(*r));
}
