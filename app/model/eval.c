/*
 * The offline protocol "temporal-20": CSV input, per-user temporal split,
 * indexing, ranking metrics and their report.  Everything a model sees
 * comes from the train parts; the test parts only feed the metrics.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "util/threads.h"
#include "util/vec.h"
#include "util/clock.h"
#include "model/eval.h"
#include "util/csv.h"
#include "util/log.h"

/* The four columns of a ratings file, as field numbers. */
struct columns {
	size_t		 user;		/* userId */
	size_t		 item;		/* movieId */
	size_t		 rating;	/* rating */
	size_t		 time;		/* timestamp */
};

/* State shared by the scoring threads of eval_run. */
struct run_job {
	const struct eval_data	*d;		/* what is scored */
	const struct model	*md;		/* how */
	const uint32_t		*users;		/* scored user indices */
	uint32_t		 nusers;	/* entries in users */
	uint32_t		*top;		/* nusers * EVAL_TOPN lists */
	uint32_t		*ntop;		/* nusers list lengths */
	double			*recall;	/* nusers Recall@20 */
	double			*ndcg;		/* nusers NDCG@20 */
	uint32_t		 next;		/* next entry of users (atomic) */
	int			 failed;	/* a thread failed */
};

/* Find the columns from a header record; 0 or -1 (logged). */
static int
header_columns(const struct csv *c, struct columns *col)
{
	static const char	*names[4] = {
		"userId", "movieId", "rating", "timestamp"
	};
	size_t			*dst[4];
	size_t			 i, f, len;
	const char		*s;

	dst[0] = &col->user;
	dst[1] = &col->item;
	dst[2] = &col->rating;
	dst[3] = &col->time;
	for (i = 0; i < 4; i++) {
		for (f = 0; f < c->nfields; f++) {
			s = csv_field(c, f);
			while (isspace((unsigned char)*s))
				s++;
			len = strlen(s);
			while (len > 0 && isspace((unsigned char)s[len - 1]))
				len--;
			if (len == strlen(names[i]) &&
			    strncasecmp(s, names[i], len) == 0)
				break;
		}
		if (f == c->nfields) {
			log_warnx("eval_read_ratings: %s:%llu: header has no "
			    "%s column", c->name,
			    (unsigned long long)c->line, names[i]);
			return (-1);
		}
		*dst[i] = f;
	}
	return (0);
}

/* Convert the current record to r; 0 or -1 (logged). */
static int
record_rating(const struct csv *c, const struct columns *col,
    struct eval_rating *r)
{
	double	rating;

	if (c->nfields <= col->user || c->nfields <= col->item ||
	    c->nfields <= col->rating || c->nfields <= col->time) {
		log_warnx("eval_read_ratings: %s:%llu: %zu fields, expected 4",
		    c->name, (unsigned long long)c->line, c->nfields);
		return (-1);
	}
	if (csv_int(c, col->user, &r->user) == -1 ||
	    csv_int(c, col->item, &r->item) == -1 ||
	    csv_double(c, col->rating, &rating) == -1 ||
	    rating < 0.0 || csv_int(c, col->time, &r->time) == -1) {
		log_warnx("eval_read_ratings: %s:%llu: not a rating "
		    "(userId,movieId,rating,timestamp)", c->name,
		    (unsigned long long)c->line);
		return (-1);
	}
	r->rating = (float)rating;
	return (0);
}

int
eval_read_ratings(const char *path, struct eval_rating **out, size_t *n)
{
	struct csv		 c;
	struct columns		 col = { 0, 1, 2, 3 };
	struct eval_rating	*r = NULL;
	size_t			 len = 0, cap = 0;
	int64_t			 v;
	int			 got, first = 1;

	if (csv_open(&c, path) == -1)
		return (-1);
	while ((got = csv_next(&c)) == 1) {
		if (first) {
			first = 0;
			if (csv_int(&c, 0, &v) == -1) {
				if (header_columns(&c, &col) == -1)
					goto fail_read;
				continue;
			}
		}
		if (vec_grow((void **)&r, &cap, len + 1, sizeof(*r)) == -1) {
			log_warnx("%s: out of memory", __func__);
			goto fail_read;
		}
		if (record_rating(&c, &col, &r[len]) == -1)
			goto fail_read;
		len++;
	}
	if (got == -1)
		goto fail_read;
	csv_close(&c);
	*out = r;
	*n = len;
	return (0);

fail_read:
	free(r);
	csv_close(&c);
	return (-1);
}

/* -1, 0 or 1 as a is below, equal to or above b: for the comparators. */
static int
order_i64(int64_t a, int64_t b)
{
	return (a < b ? -1 : a > b);
}

static int
by_user_time_item(const void *a, const void *b)
{
	const struct eval_rating	*x = a, *y = b;

	if (x->user != y->user)
		return (order_i64(x->user, y->user));
	if (x->time != y->time)
		return (order_i64(x->time, y->time));
	return (order_i64(x->item, y->item));
}

int
eval_split_temporal(const struct eval_rating *r, size_t n, unsigned test_pct,
    struct eval_split *out)
{
	struct eval_rating	*s;
	size_t			 i, j, cnt, ntest;

	memset(out, 0, sizeof(*out));
	if (test_pct > 100) {
		log_warnx("%s: test share %u%% over 100%%", __func__,
		    test_pct);
		return (-1);
	}
	s = malloc((n ? n : 1) * sizeof(*s));
	out->train = malloc((n ? n : 1) * sizeof(*out->train));
	out->test = malloc((n ? n : 1) * sizeof(*out->test));
	if (s == NULL || out->train == NULL || out->test == NULL) {
		log_warnx("%s: out of memory", __func__);
		free(s);
		eval_split_free(out);
		return (-1);
	}
	memcpy(s, r, n * sizeof(*s));
	qsort(s, n, sizeof(*s), by_user_time_item);
	for (i = 0; i < n; i = j) {
		for (j = i; j < n && s[j].user == s[i].user; j++)
			;
		cnt = j - i;
		ntest = (cnt * test_pct + 99) / 100;
		memcpy(out->train + out->ntrain, s + i, (cnt - ntest) *
		    sizeof(*s));
		out->ntrain += cnt - ntest;
		memcpy(out->test + out->ntest, s + i + cnt - ntest, ntest *
		    sizeof(*s));
		out->ntest += ntest;
		out->nusers++;
	}
	free(s);
	return (0);
}

void
eval_split_free(struct eval_split *s)
{
	free(s->train);
	free(s->test);
	memset(s, 0, sizeof(*s));
}

static int
cmp_i64(const void *a, const void *b)
{
	return (order_i64(*(const int64_t *)a, *(const int64_t *)b));
}

/* Sort and deduplicate v[n]; returns the new length. */
static size_t
uniq_i64(int64_t *v, size_t n)
{
	size_t	i, m = 0;

	qsort(v, n, sizeof(*v), cmp_i64);
	for (i = 0; i < n; i++)
		if (m == 0 || v[m - 1] != v[i])
			v[m++] = v[i];
	return (m);
}

/* Index of id in sorted ids[n], or UINT32_MAX. */
static uint32_t
find_id(const int64_t *ids, uint32_t n, int64_t id)
{
	const int64_t	*p;

	p = bsearch(&id, ids, n, sizeof(*ids), cmp_i64);
	return (p != NULL ? (uint32_t)(p - ids) : UINT32_MAX);
}

/* Matrix value of one train rating under sig. */
static int
rating_value(int sig, const struct signal_params *sp, float rating,
    float *v)
{
	struct signal	s;

	switch (sig) {
	case EVAL_SIG_BINARY:
		*v = 1.0f;
		return (0);
	case EVAL_SIG_RATING:
		*v = rating > 0.0f ? rating : 1.0f;
		return (0);
	case EVAL_SIG_MAPPED:
		if (signal_map(sp, 0.0, 0.0, rating, &s) == -1)
			return (-1);
		*v = signal_encode(&s);
		if (*v == 0.0f)
			*v = 1.0f;
		return (0);
	default:
		log_warnx("eval_data_build: unknown signal %d", sig);
		return (-1);
	}
}

int
eval_data_build(const struct eval_split *s, int sig,
    const struct signal_params *sp, struct eval_data *d)
{
	struct csr_triple	*t = NULL;
	int64_t			*ids = NULL;
	size_t			 i, n;
	uint32_t		 u, p;

	memset(d, 0, sizeof(*d));
	if (sig == EVAL_SIG_MAPPED && sp == NULL) {
		log_warnx("%s: mapped signal without parameters", __func__);
		return (-1);
	}
	n = s->ntrain + s->ntest;
	if ((ids = malloc((n ? n : 1) * sizeof(*ids))) == NULL)
		goto fail_oom;
	for (i = 0; i < s->ntrain; i++)
		ids[i] = s->train[i].user;
	for (i = 0; i < s->ntest; i++)
		ids[s->ntrain + i] = s->test[i].user;
	d->nusers = uniq_i64(ids, n);
	if ((d->user_ids = malloc(((size_t)d->nusers + 1) * sizeof(int64_t))) ==
	    NULL)
		goto fail_oom;
	memcpy(d->user_ids, ids, (size_t)d->nusers * sizeof(int64_t));
	for (i = 0; i < s->ntrain; i++)
		ids[i] = s->train[i].item;
	d->nitems = uniq_i64(ids, s->ntrain);
	if ((d->item_ids = malloc(((size_t)d->nitems + 1) * sizeof(int64_t))) ==
	    NULL)
		goto fail_oom;
	memcpy(d->item_ids, ids, (size_t)d->nitems * sizeof(int64_t));
	free(ids);
	ids = NULL;

	d->pop = calloc((size_t)d->nitems + 1, sizeof(*d->pop));
	t = malloc((s->ntrain ? s->ntrain : 1) * sizeof(*t));
	if (d->pop == NULL || t == NULL)
		goto fail_oom;
	for (i = 0; i < s->ntrain; i++) {
		t[i].row = find_id(d->user_ids, d->nusers, s->train[i].user);
		t[i].col = find_id(d->item_ids, d->nitems, s->train[i].item);
		t[i].time = s->train[i].time;
		if (rating_value(sig, sp, s->train[i].rating, &t[i].val) == -1)
			goto fail;
		d->pop[t[i].col]++;
	}
	d->ntrain = s->ntrain;
	if (csr_build(&d->train, d->nusers, d->nitems, t, s->ntrain,
	    CSR_DUP_LAST | CSR_TIMES) == -1)
		goto fail;
	free(t);
	t = NULL;

	d->pos_ptr = calloc((size_t)d->nusers + 1, sizeof(*d->pos_ptr));
	d->pos = malloc((s->ntest ? s->ntest : 1) * sizeof(*d->pos));
	if (d->pos_ptr == NULL || d->pos == NULL)
		goto fail_oom;
	/* test is sorted by user, so positives come out grouped by user. */
	for (i = 0; i < s->ntest; i++) {
		if (!(s->test[i].rating >= EVAL_POSITIVE))
			continue;
		u = find_id(d->user_ids, d->nusers, s->test[i].user);
		d->pos[d->npos++] = find_id(d->item_ids, d->nitems,
		    s->test[i].item);
		d->pos_ptr[u + 1]++;
	}
	for (u = 0; u < d->nusers; u++) {
		p = d->pos_ptr[u + 1];
		d->pos_ptr[u + 1] += d->pos_ptr[u];
		if (p > 0)
			d->nscored++;
	}
	return (0);

fail_oom:
	log_warnx("%s: out of memory", __func__);
fail:
	free(t);
	free(ids);
	eval_data_free(d);
	return (-1);
}

void
eval_data_free(struct eval_data *d)
{
	free(d->user_ids);
	free(d->item_ids);
	csr_free(&d->train);
	free(d->pos_ptr);
	free(d->pos);
	free(d->pop);
	free(d->series);
	memset(d, 0, sizeof(*d));
}

/* Is item among the npos positives? */
static int
is_pos(uint32_t item, const uint32_t *pos, size_t npos)
{
	size_t	i;

	for (i = 0; i < npos; i++)
		if (pos[i] == item)
			return (1);
	return (0);
}

double
eval_recall(const uint32_t *top, size_t ntop, const uint32_t *pos,
    size_t npos, size_t k)
{
	size_t	i, hits = 0;

	if (npos == 0 || k == 0)
		return (0.0);
	for (i = 0; i < ntop && i < k; i++)
		hits += is_pos(top[i], pos, npos);
	return ((double)hits / (double)(npos < k ? npos : k));
}

double
eval_ndcg(const uint32_t *top, size_t ntop, const uint32_t *pos,
    size_t npos, size_t k)
{
	double	dcg = 0.0, idcg = 0.0;
	size_t	i;

	if (npos == 0 || k == 0)
		return (0.0);
	for (i = 0; i < ntop && i < k; i++)
		if (is_pos(top[i], pos, npos))
			dcg += 1.0 / log2((double)i + 2.0);
	for (i = 0; i < npos && i < k; i++)
		idcg += 1.0 / log2((double)i + 2.0);
	return (dcg / idcg);
}

#define CAP_CANDIDATES	(EVAL_TOPN * 8)

/*
 * The top EVAL_TOPN into top with at most d->series_max items of a series,
 * the best of the first CAP_CANDIDATES by score, as the server's lists cap
 * them.  The count.
 */
static size_t
capped_top(const struct eval_data *d, float *scores, const uint32_t *excl,
    size_t nexcl, uint32_t *top)
{
	uint32_t	cand[CAP_CANDIDATES];
	size_t		n, i, k, got = 0;
	uint32_t	same;

	n = model_topn(scores, d->nitems, excl, nexcl, cand, CAP_CANDIDATES);
	for (i = 0; i < n && got < EVAL_TOPN; i++) {
		for (k = 0, same = 0; k < got; k++)
			same += d->series[top[k]] == d->series[cand[i]];
		if (same < d->series_max)
			top[got++] = cand[i];
	}
	return (got);
}

static void *
run_worker(void *arg)
{
	struct run_job		*job = arg;
	const struct eval_data	*d = job->d;
	const struct csr	*m = &d->train;
	float			*scores, *vals = NULL;
	uint32_t		 e, u, *top;
	uint64_t		 a, b;

	if ((scores = malloc(((size_t)d->nitems + 1) * sizeof(*scores))) ==
	    NULL || (vals = malloc((csr_row_max(m) + 1) * sizeof(*vals))) ==
	    NULL ||
	    (job->md->params.recency > 0.0f && m->time == NULL)) {
		__atomic_store_n(&job->failed, 1, __ATOMIC_RELAXED);
		free(scores);
		free(vals);
		return (NULL);
	}
	while ((e = __atomic_fetch_add(&job->next, 1, __ATOMIC_RELAXED)) <
	    job->nusers) {
		u = job->users[e];
		a = m->ptr[u];
		b = m->ptr[u + 1];
		/* The user's history weighed as the server weighs it. */
		memcpy(vals, m->val + a, (b - a) * sizeof(*vals));
		if (model_weigh_recent(&job->md->params, m->time != NULL ?
		    m->time + a : NULL, vals, b - a) == -1 ||
		    model_score(job->md, m->col + a, vals, b - a, scores,
		    NULL) == -1) {
			__atomic_store_n(&job->failed, 1, __ATOMIC_RELAXED);
			break;
		}
		top = job->top + (size_t)e * EVAL_TOPN;
		if (d->series != NULL && d->series_max > 0)
			job->ntop[e] = capped_top(d, scores, m->col + a, b - a,
			    top);
		else
			job->ntop[e] = model_topn(scores, d->nitems, m->col + a,
			    b - a, top, EVAL_TOPN);
		a = d->pos_ptr[u];
		b = d->pos_ptr[u + 1];
		job->recall[e] = eval_recall(top, job->ntop[e], d->pos + a,
		    b - a, EVAL_TOPN);
		job->ndcg[e] = eval_ndcg(top, job->ntop[e], d->pos + a, b - a,
		    EVAL_TOPN);
	}
	free(scores);
	free(vals);
	return (NULL);
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t	x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x < y ? -1 : x > y);
}

/* The pop set: 1 for the npopular items with most train ratings. */
static uint8_t *
popular_set(const struct eval_data *d, uint32_t npopular)
{
	uint8_t		*set;
	uint64_t	*key;
	uint32_t	 j;

	set = calloc((size_t)d->nitems + 1, 1);
	key = malloc(((size_t)d->nitems + 1) * sizeof(*key));
	if (set == NULL || key == NULL) {
		free(set);
		free(key);
		return (NULL);
	}
	/* Most ratings first, then the smaller index. */
	for (j = 0; j < d->nitems; j++)
		key[j] = ((uint64_t)(UINT32_MAX - d->pop[j]) << 32) | j;
	qsort(key, d->nitems, sizeof(*key), cmp_u64);
	for (j = 0; j < npopular && j < d->nitems; j++)
		set[key[j] & UINT32_MAX] = 1;
	free(key);
	return (set);
}
int
eval_run(const struct eval_data *d, const struct model *md,
    uint32_t threads, struct eval_result *res)
{
	struct run_job	 job;
	uint8_t		*popular = NULL, *seen[4] = { NULL };
	uint64_t	*sizes = NULL, sz;
	uint32_t	*users = NULL;
	uint32_t	 u, e, t, g, tercile, nseen[4] = { 0 }, item;
	uint64_t	 slots[4] = { 0 }, popslots[4] = { 0 };
	double		 t0;
	struct eval_group *grp[4];
	int		 rc = -1;

	memset(res, 0, sizeof(*res));
	memset(&job, 0, sizeof(job));
	if (md->nitems != d->nitems) {
		log_warnx("%s: model scores %u items, data has %u", __func__,
		    md->nitems, d->nitems);
		return (-1);
	}
	t0 = clock_mono_s();
	job.d = d;
	job.md = md;
	users = malloc(((size_t)d->nscored + 1) * sizeof(*users));
	job.users = users;
	job.top = malloc(((size_t)d->nscored + 1) * EVAL_TOPN *
	    sizeof(uint32_t));
	job.ntop = malloc(((size_t)d->nscored + 1) * sizeof(uint32_t));
	job.recall = malloc(((size_t)d->nscored + 1) * sizeof(double));
	job.ndcg = malloc(((size_t)d->nscored + 1) * sizeof(double));
	sizes = malloc(((size_t)d->nscored + 1) * sizeof(*sizes));
	if (users == NULL || job.top == NULL || job.ntop == NULL ||
	    job.recall == NULL || job.ndcg == NULL || sizes == NULL)
		goto fail_oom;
	for (u = 0; u < d->nusers; u++)
		if (d->pos_ptr[u + 1] > d->pos_ptr[u])
			users[job.nusers++] = u;

	threads_run(run_worker, &job, threads);
	if (job.failed) {
		log_warnx("%s: scoring failed", __func__);
		goto done;
	}

	/* Terciles of the train-part size of scored users. */
	for (e = 0; e < job.nusers; e++)
		sizes[e] = csr_row_len(&d->train, job.users[e]);
	qsort(sizes, job.nusers, sizeof(*sizes), cmp_u64);
	if (job.nusers > 0) {
		res->cut[0] = sizes[(job.nusers + 2) / 3 - 1];
		res->cut[1] = sizes[(2 * job.nusers + 2) / 3 - 1];
	}
	res->npopular = (d->nitems + 99) / 100;
	if ((popular = popular_set(d, res->npopular)) == NULL)
		goto fail_oom;
	for (g = 0; g < 4; g++)
		if ((seen[g] = calloc((size_t)d->nitems + 1, 1)) == NULL)
			goto fail_oom;

	/* Groups 0-2 are the terciles, group 3 is everyone. */
	grp[0] = &res->group[0];
	grp[1] = &res->group[1];
	grp[2] = &res->group[2];
	grp[3] = &res->all;
	for (e = 0; e < job.nusers; e++) {
		sz = csr_row_len(&d->train, job.users[e]);
		tercile = sz <= res->cut[0] ? 0 : sz <= res->cut[1] ? 1 : 2;
		for (g = 0; g < 4; g++) {
			if (g != tercile && g != 3)
				continue;
			grp[g]->users++;
			grp[g]->recall += job.recall[e];
			grp[g]->ndcg += job.ndcg[e];
			for (t = 0; t < job.ntop[e]; t++) {
				item = job.top[(size_t)e * EVAL_TOPN + t];
				slots[g]++;
				popslots[g] += popular[item];
				if (!seen[g][item]) {
					seen[g][item] = 1;
					nseen[g]++;
				}
			}
		}
	}
	for (g = 0; g < 4; g++) {
		if (grp[g]->users > 0) {
			grp[g]->recall /= grp[g]->users;
			grp[g]->ndcg /= grp[g]->users;
		}
		grp[g]->coverage = d->nitems ? (double)nseen[g] / d->nitems : 0;
		grp[g]->popshare = slots[g] ? (double)popslots[g] / slots[g] :
		    0;
	}
	res->seconds = clock_mono_s() - t0;
	rc = 0;
	goto done;

fail_oom:
	log_warnx("%s: out of memory", __func__);
done:
	for (g = 0; g < 4; g++)
		free(seen[g]);
	free(popular);
	free(sizes);
	free(users);
	free(job.top);
	free(job.ntop);
	free(job.recall);
	free(job.ndcg);
	return (rc);
}

void
eval_print_counts(FILE *fp, const struct eval_data *d)
{
	fprintf(fp, "data: users %u, train movies %u, train ratings %llu, "
	    "scored users %u, test positives %llu\n", d->nusers, d->nitems,
	    (unsigned long long)d->ntrain, d->nscored,
	    (unsigned long long)d->npos);
}

void
eval_print(FILE *fp, const struct eval_result *res)
{
	const struct eval_group	*g;
	char			 label[64];
	int			 i;

	fprintf(fp, "%-26s %6s %10s %9s %9s %11s\n", "users", "n",
	    "Recall@20", "NDCG@20", "coverage", "top1%share");
	for (i = -1; i < 3; i++) {
		g = i < 0 ? &res->all : &res->group[i];
		if (i < 0)
			snprintf(label, sizeof(label), "all");
		else if (i == 0)
			snprintf(label, sizeof(label), "light (train <= %llu)",
			    (unsigned long long)res->cut[0]);
		else if (i == 1)
			snprintf(label, sizeof(label), "medium (%llu..%llu)",
			    (unsigned long long)res->cut[0] + 1,
			    (unsigned long long)res->cut[1]);
		else
			snprintf(label, sizeof(label), "heavy (train > %llu)",
			    (unsigned long long)res->cut[1]);
		fprintf(fp, "%-26s %6u %10.4f %9.4f %9.4f %11.4f\n", label,
		    g->users, g->recall, g->ndcg, g->coverage, g->popshare);
	}
	fprintf(fp, "(coverage: share of the train movies in any top-20 "
	    "list; top1%%share: share of top-20 slots going to the %u most "
	    "rated train movies)\n", res->npopular);
}
