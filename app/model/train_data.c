/*
 * The interactions as a training reads them (see train_int.h): one merged
 * pass over watches and ratings in key order, then the matrix built row by
 * row from them.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include <sqlite3.h>

#include "model/csr.h"
#include "model/signals.h"
#include "model/train_int.h"
#include "store/store.h"
#include "util/log.h"
#include "util/vec.h"

static int
cmp_ia(const void *a, const void *b)
{
	const struct ia	*x = a, *y = b;

	if (x->user != y->user)
		return (x->user < y->user ? -1 : 1);
	if (x->time != y->time)
		return (x->time < y->time ? -1 : 1);
	return (x->movie < y->movie ? -1 : x->movie > y->movie);
}

/* Each movie's runtime (minutes, 0 unknown), -1 for ids not in movies. */
static int32_t *
runtimes(struct store *s, int32_t *nmovies)
{
	sqlite3_stmt	*st;
	int32_t		*rt = NULL, n = 0, id, i;

	if (sqlite3_prepare_v2(s->db, "SELECT COALESCE(MAX(id), 0) FROM movies",
	    -1, &st, NULL) != SQLITE_OK)
		return (NULL);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int(st, 0) + 1;
	sqlite3_finalize(st);
	if (n <= 0 || (rt = malloc((size_t)n * sizeof(*rt))) == NULL)
		return (NULL);
	for (i = 0; i < n; i++)
		rt[i] = -1;
	if (sqlite3_prepare_v2(s->db, "SELECT id, COALESCE(runtime_min, 0) "
	    "FROM movies", -1, &st, NULL) != SQLITE_OK) {
		free(rt);
		return (NULL);
	}
	while (sqlite3_step(st) == SQLITE_ROW)
		if ((id = sqlite3_column_int(st, 0)) >= 0 && id < n)
			rt[id] = sqlite3_column_int(st, 1);
	sqlite3_finalize(st);
	*nmovies = n;
	return (rt);
}

/*
 * A cursor over watches or ratings in their key order (user, movie): the
 * two are merged in one pass, no lookup of one in the other.
 */
struct scan {
	sqlite3_stmt	*st;
	int		 rc;
	int64_t		 user;
	int32_t		 movie;
};

static void
scan_next(struct scan *c)
{
	if ((c->rc = sqlite3_step(c->st)) == SQLITE_ROW) {
		c->user = sqlite3_column_int64(c->st, 0);
		c->movie = sqlite3_column_int(c->st, 1);
	}
}

/* Which of the two scans comes first: < 0 watches, > 0 ratings, 0 same. */
static int
scan_cmp(const struct scan *w, const struct scan *r)
{
	if (w->rc != SQLITE_ROW)
		return (1);
	if (r->rc != SQLITE_ROW)
		return (-1);
	if (w->user != r->user)
		return (w->user < r->user ? -1 : 1);
	return (w->movie < r->movie ? -1 : w->movie > r->movie);
}

/*
 * Every interaction of the store, mapped to a signal: a watched movie with
 * its rating if any, a rated movie not watched; sorted by user, then time.
 * 0 or -1.
 */
int
train_load(struct store *s, const struct signal_params *sp, struct ia **out,
    size_t *n, int32_t *maxmovie)
{
	struct scan	 w = { NULL, 0, 0, 0 }, r = { NULL, 0, 0, 0 };
	struct signal	 sig;
	struct ia	*v = NULL, *p;
	size_t		 len = 0, cap = 0, i, j;
	int32_t		*rt, nmovies = 0, movie;
	int64_t		 user, time;
	double		 minutes, runtime, rating;
	int		 c, rc = -1;

	*maxmovie = 0;
	if ((rt = runtimes(s, &nmovies)) == NULL ||
	    sqlite3_prepare_v2(s->db, "SELECT user_id, movie_id, MAX(minutes, "
	    "max_minute + 1), last_ts FROM watches ORDER BY user_id, movie_id",
	    -1, &w.st, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(s->db, "SELECT user_id, movie_id, rating, ts "
	    "FROM ratings ORDER BY user_id, movie_id", -1, &r.st, NULL) !=
	    SQLITE_OK) {
		log_warnx("%s: %s", __func__, sqlite3_errmsg(s->db));
		goto done;
	}
	scan_next(&w);
	scan_next(&r);
	while (w.rc == SQLITE_ROW || r.rc == SQLITE_ROW) {
		c = scan_cmp(&w, &r);
		minutes = runtime = rating = 0;
		time = 0;
		user = c <= 0 ? w.user : r.user;
		movie = c <= 0 ? w.movie : r.movie;
		if (c <= 0) {
			minutes = sqlite3_column_double(w.st, 2);
			time = sqlite3_column_int64(w.st, 3);
			/* A watch of a movie the catalogue lacks counts not. */
			runtime = movie >= 0 && movie < nmovies ? rt[movie] :
			    -1;
		}
		if (c >= 0) {
			rating = sqlite3_column_double(r.st, 2);
			if (sqlite3_column_int64(r.st, 3) > time)
				time = sqlite3_column_int64(r.st, 3);
			scan_next(&r);
		}
		if (c <= 0)
			scan_next(&w);
		if (runtime < 0 || signal_map(sp, minutes, runtime, rating,
		    &sig) == -1 || sig.conf <= 0)
			continue;
		if (vec_grow((void **)&v, &cap, len + 1, sizeof(*v)) == -1) {
			log_warnx("%s: out of memory", __func__);
			goto done;
		}
		p = &v[len++];
		p->user = user;
		p->movie = movie;
		p->val = signal_encode(&sig);
		p->time = time;
		if (movie > *maxmovie)
			*maxmovie = movie;
	}
	if (w.rc != SQLITE_DONE || r.rc != SQLITE_DONE) {
		log_warnx("%s: %s", __func__, sqlite3_errmsg(s->db));
		goto done;
	}
	/* In key order already: each user's own by time. */
	for (i = 0; i < len; i = j) {
		for (j = i + 1; j < len && v[j].user == v[i].user; j++)
			;
		if (j - i > 1)
			qsort(v + i, j - i, sizeof(*v), cmp_ia);
	}
	*out = v;
	*n = len;
	v = NULL;
	rc = 0;
done:
	sqlite3_finalize(w.st);
	sqlite3_finalize(r.st);
	free(rt);
	free(v);
	return (rc);
}

/* Of a user's m interactions, how many train (the rest are held out). */
size_t
train_kept(size_t m, int holdout_pct)
{
	if (holdout_pct & TRAIN_NESTED)
		return (train_kept(train_kept(m, holdout_pct & ~TRAIN_NESTED),
		    holdout_pct & ~TRAIN_NESTED));
	if (holdout_pct > 0 && m >= 2)
		return (m - (m * (size_t)holdout_pct + 99) / 100);
	return (m);
}

/* An entry of the row being put in column order: its column, its place. */
struct rowent {
	uint32_t	col;
	uint32_t	k;
};

static int
cmp_rowent(const void *a, const void *b)
{
	const struct rowent	*x = a, *y = b;

	if (x->col != y->col)
		return (x->col < y->col ? -1 : 1);
	return (x->k < y->k ? -1 : x->k > y->k);
}

/*
 * The matrix of the interactions v[0..n) (sorted by user, then time): all
 * of them or, with holdout, each user's train part only; rows numbered in
 * user order, a (user, movie) twice keeps its latest.  Built straight from
 * v, row by row: no triples, no sort of the whole.  0 or -1.
 */
int
train_matrix(const struct ia *v, size_t n, int holdout_pct, uint32_t ncols,
    int times, struct csr *m)
{
	struct rowent	*e;
	const struct ia	*a;
	size_t		 i, j, k, keep, nnz = 0, most = 0, out = 0;
	uint32_t	 nrows = 0, row = 0;

	for (i = 0; i < n; i = j) {
		for (j = i; j < n && v[j].user == v[i].user; j++)
			;
		keep = train_kept(j - i, holdout_pct);
		nnz += keep;
		most = keep > most ? keep : most;
		nrows++;
	}
	if ((e = malloc((most + 1) * sizeof(*e))) == NULL)
		return (-1);
	if (csr_alloc(m, nrows ? nrows : 1, ncols, nnz, times) == -1) {
		free(e);
		return (-1);
	}
	for (i = 0; i < n; i = j) {
		for (j = i; j < n && v[j].user == v[i].user; j++)
			;
		keep = train_kept(j - i, holdout_pct);
		for (k = 0; k < keep; k++) {
			e[k].col = (uint32_t)v[i + k].movie;
			e[k].k = (uint32_t)k;
		}
		qsort(e, keep, sizeof(*e), cmp_rowent);
		for (k = 0; k < keep; k++) {
			if (k + 1 < keep && e[k + 1].col == e[k].col)
				continue;	/* a later one wins */
			a = &v[i + e[k].k];
			if (e[k].col >= ncols || !isfinite(a->val)) {
				log_warnx("%s: interaction out of range",
				    __func__);
				free(e);
				csr_free(m);
				return (-1);
			}
			m->col[out] = e[k].col;
			m->val[out] = a->val;
			if (times)
				m->time[out] = a->time;
			out++;
		}
		m->ptr[++row] = out;
	}
	m->nnz = out;
	free(e);
	return (0);
}

/* The user id of each row of the matrix of v[0..n); NULL or an array. */
int64_t *
train_row_users(const struct ia *v, size_t n, uint32_t nrows)
{
	int64_t		*u;
	size_t		 i;
	uint32_t	 r = 0;

	if ((u = malloc(((size_t)nrows + 1) * sizeof(*u))) == NULL)
		return (NULL);
	for (i = 0; i < n && r < nrows; i++)
		if (i == 0 || v[i].user != v[i - 1].user)
			u[r++] = v[i].user;
	return (u);
}
