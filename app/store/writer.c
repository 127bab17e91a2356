/*
 * The single writer.  Lines are parsed and folded into per-batch aggregates
 * (one entry per user and movie watched, per user, per day and movie); a
 * commit writes the aggregates in one transaction with UPSERTs, and derives
 * the "new viewer / new rater / new user" counts from what the database
 * returns.  The catalogue (slug -> id) is kept in memory: the writer is the
 * only one who creates movies, so it hands out ids itself.
 */
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "util/clock.h"
#include "telemetry/ctr.h"
#include "util/fault.h"
#include "util/hmap.h"
#include "util/json.h"
#include "util/log.h"
#include "ingest/parse.h"
#include "telemetry/reclog.h"
#include "store/store.h"
#include "store/writer.h"

#define DAY_MS		86400000LL
#define SAMPLES_KEPT	"200"	/* rows of reject_samples kept */
#define SAMPLES_BATCH	32	/* samples taken per batch at most */
#define SAMPLE_LINE_MAX	300	/* bytes of a sampled line kept */
#define ROLLUP_MS	10000	/* reco_log roll-ups, default period */
#define BY_USER_MAX	256	/* list ids in one reco_log_by_user entry */
#define CHUNK_LISTS	256	/* lists in one reco_log_chunks row */
#define WAL_TRUNCATE	(64 << 20)	/* bytes of WAL that call for a reset */
#define WAL_WAIT_MS	1500	/* for readers to move on (1-s snapshots) */


/* A growing byte buffer: strings of the batch live here, by offset. */
struct arena {
	char	*p;
	size_t	 len, cap;
	int	 oom;		/* chunk_put ran out of memory */
};

struct agg_watch {
	int64_t		user;
	int32_t		movie;
	int32_t		minutes;	/* minute lines in this batch */
	int32_t		max_minute;
	int64_t		first_ts, last_ts;
};

struct agg_rate {
	int64_t		user;
	int32_t		movie;
	int32_t		rating;
	int64_t		ts;
};

struct agg_user {
	int64_t		user;
	int64_t		first_ts, last_ts;
	int64_t		watch_lines, ratings, recos;
};

struct agg_daily {
	int64_t		day;
	int32_t		movie;
	int32_t		minutes;	/* from lines */
	int32_t		viewers;	/* new viewers: derived at commit */
	int32_t		raters;		/* new raters: derived at commit */
};

struct agg_reco {
	int64_t		ts, user;
	int		status;
	int64_t		latency_us;
	size_t		host;		/* arena offset, -1: none */
	size_t		movies;		/* arena offset: "id,id,..." */
	int64_t		id;		/* its reco_log row */
	size_t		arm;		/* arena offset, -1: none */
	int		source;		/* CTR_SERVED, CTR_EXTERNAL */
	int64_t		model_version;	/* 0: none */
	int		personal;	/* served: ids from the model */
};

struct agg_sample {
	int64_t		ts;
	int		reason;
	size_t		line;		/* arena offset */
};

struct agg_meta {
	int32_t		movie;
	size_t		title, genres;	/* arena offsets, (size_t)-1 = none */
	int		year;
};

/* A growing array of fixed-size elements. */
struct vec {
	void	*p;
	size_t	 len, cap, size;
};

struct writer {
	struct store	 store;		/* the read-write connection */
	struct parse_event ev;		/* scratch for parse_line */

	/* The catalogue: slug[id] for 1 <= id <= nmovies. */
	char		**slug;
	size_t		 slugcap;
	int32_t		 nmovies;	/* highest id handed out */
	int32_t		 committed;	/* highest id in the database */
	struct hmap	 byslug;	/* (hash1, hash2) -> id */

	/* The pending batch. */
	struct hmap	 watch_ix, user_ix, daily_ix, delta_ix, first_ix;
	struct vec	 watches, rates, users, daily, recos, samples, metas;
	struct vec	 deltas;	/* per movie: viewers, raters (commit) */
	struct vec	 firsts;	/* per movie: earliest event */
	struct arena	 strs;
	size_t		 pending;	/* lines since the last commit */
	uint64_t	 acc[PARSE_RECO + 1];
	uint64_t	 rej[PARSE_NREASONS];
	int64_t		 last_ts;

	struct writer_stats stats;	/* since open */
	struct ctr	*ctr;		/* click-through, see ctr.h */

	/* reco_log roll-ups (005_reco_ids.sql). */
	int64_t		 last_log_id;	/* newest reco_log row */
	int64_t		 rolled_last;	/* newest row rolled up */
	int64_t		 rolled_at;	/* when (monotonic ms), 0: never */
	int64_t		 roll_ms;	/* period */
	int		 roll_now;	/* roll up with the next commit */
	int64_t		 wal_tried;	/* last WAL reset attempt (monotonic) */
	int64_t		 wal_backoff;	/* ms from one attempt to the next */
	struct vec	 unrolled;	/* struct log_row of the rows after it */
	struct arena	 chunk;		/* a chunk's JSON being built */

	sqlite3_stmt	*st_movie, *st_meta, *st_watch, *st_rate_ins,
			*st_rate_upd, *st_user, *st_daily, *st_delta,
			*st_count, *st_count_max, *st_sample,
			*st_trim, *st_first, *st_by_user, *st_chunk;
};

/* A reco_log row not rolled up yet. */
struct log_row {
	int64_t		user, id, ts;
};

static int	step_done(struct writer *, sqlite3_stmt *);

struct movie_delta {
	int32_t		movie;
	int32_t		viewers, raters;
};

/* The earliest event naming a movie in this batch. */
struct movie_first {
	int32_t		movie;
	int64_t		ts;
};

/* Room for extra more elements.  Returns 0, or -1 (v unchanged). */
static int
vec_reserve(struct vec *v, size_t extra)
{
	void	*p;
	size_t	 ncap;

	if (v->len + extra <= v->cap)
		return (0);
	ncap = v->cap ? v->cap * 2 : 256;
	while (ncap < v->len + extra)
		ncap *= 2;
	if ((p = fault_realloc(v->p, ncap * v->size)) == NULL)
		return (-1);
	v->p = p;
	v->cap = ncap;
	return (0);
}

static void *
vec_push(struct vec *v)
{
	void	*p;

	if (vec_reserve(v, 1) == -1)
		return (NULL);
	p = (char *)v->p + v->len * v->size;
	v->len++;
	memset(p, 0, v->size);
	return (p);
}

#define VEC_AT(v, type, i)	(&((type *)(v)->p)[i])

/* Room for extra more bytes.  Returns 0, or -1 (a unchanged). */
static int
arena_reserve(struct arena *a, size_t extra)
{
	size_t	 ncap;
	char	*p;

	if (a->len + extra <= a->cap)
		return (0);
	ncap = a->cap ? a->cap : 4096;
	while (ncap < a->len + extra)
		ncap *= 2;
	if ((p = fault_realloc(a->p, ncap)) == NULL)
		return (-1);
	a->p = p;
	a->cap = ncap;
	return (0);
}

/* Append len bytes and a NUL; returns the offset or (size_t)-1. */
static size_t
arena_add(struct arena *a, const char *s, size_t len)
{
	size_t	 off = a->len;

	if (arena_reserve(a, len + 1) == -1)
		return ((size_t)-1);
	memcpy(a->p + off, s, len);
	a->p[off + len] = '\0';
	a->len += len + 1;
	return (off);
}

static void
slug_hash(const char *s, int64_t *h1, int64_t *h2)
{
	uint64_t	a = 0xcbf29ce484222325ULL, b = 0x84222325cbf29ce4ULL;

	for (; *s != '\0'; s++) {
		a = (a ^ (unsigned char)*s) * 0x100000001b3ULL;
		b = (b + (unsigned char)*s) * 0xc6a4a7935bd1e995ULL;
		b ^= b >> 29;
	}
	*h1 = (int64_t)a;
	*h2 = (int64_t)b;
}

/* Room in the catalogue for ids below need.  Returns 0 or -1. */
static int
slug_reserve(struct writer *w, size_t need)
{
	char	**p;
	size_t	  ncap;

	if (need <= w->slugcap)
		return (0);
	ncap = w->slugcap ? w->slugcap : 1024;
	while (ncap < need)
		ncap *= 2;
	if ((p = fault_realloc(w->slug, ncap * sizeof(*p))) == NULL)
		return (-1);
	memset(p + w->slugcap, 0, (ncap - w->slugcap) * sizeof(*p));
	w->slug = p;
	w->slugcap = ncap;
	return (0);
}

/* Remember slug as movie id.  Returns 0 or -1 (out of memory). */
static int
catalog_add(struct writer *w, int32_t id, const char *slug)
{
	size_t	 len;
	int64_t	 h1, h2;
	int	 found;

	if (slug_reserve(w, (size_t)id + 1) == -1)
		return (-1);
	len = strlen(slug) + 1;
	if ((w->slug[id] = fault_realloc(NULL, len)) == NULL)
		return (-1);
	memcpy(w->slug[id], slug, len);
	slug_hash(slug, &h1, &h2);
	if (hmap_put(&w->byslug, h1, h2, (uint32_t)id, &found) == NULL)
		return (-1);
	if (id > w->nmovies)
		w->nmovies = id;
	return (0);
}

#define MOVIE_NOMEM	(-2)	/* movie_id: out of memory */

/*
 * The id of slug, creating the movie if new.  Returns the id, -1 for a
 * slug that cannot be told from another (hash collision), or MOVIE_NOMEM.
 */
static int32_t
movie_id(struct writer *w, const char *slug)
{
	uint32_t	*v;
	int64_t		 h1, h2;

	slug_hash(slug, &h1, &h2);
	if ((v = hmap_get(&w->byslug, h1, h2)) != NULL) {
		if (strcmp(w->slug[*v], slug) == 0)
			return ((int32_t)*v);
		log_warnx("%s: hash collision between '%s' and '%s'",
		    __func__, slug, w->slug[*v]);
		return (-1);
	}
	if (catalog_add(w, w->nmovies + 1, slug) == -1)
		return (MOVIE_NOMEM);
	return (w->nmovies);
}

static struct agg_user *
user_agg(struct writer *w, int64_t user, int64_t ts)
{
	struct agg_user	*u;
	uint32_t	*ix;
	int		 found;

	if ((ix = hmap_put(&w->user_ix, user, 0, (uint32_t)w->users.len,
	    &found)) == NULL)
		return (NULL);
	if (found) {
		u = VEC_AT(&w->users, struct agg_user, *ix);
	} else {
		if ((u = vec_push(&w->users)) == NULL)
			return (NULL);
		u->user = user;
		u->first_ts = u->last_ts = ts;
	}
	if (ts < u->first_ts)
		u->first_ts = ts;
	if (ts > u->last_ts)
		u->last_ts = ts;
	return (u);
}

static struct agg_daily *
daily_agg(struct writer *w, int64_t day, int32_t movie)
{
	struct agg_daily	*d;
	uint32_t		*ix;
	int			 found;

	if ((ix = hmap_put(&w->daily_ix, day, movie, (uint32_t)w->daily.len,
	    &found)) == NULL)
		return (NULL);
	if (found)
		return (VEC_AT(&w->daily, struct agg_daily, *ix));
	if ((d = vec_push(&w->daily)) == NULL)
		return (NULL);
	d->day = day;
	d->movie = movie;
	return (d);
}

static int
movie_seen_at(struct writer *w, int32_t movie, int64_t ts)
{
	struct movie_first	*f;
	uint32_t		*ix;
	int			 found;

	if ((ix = hmap_put(&w->first_ix, movie, 0, (uint32_t)w->firsts.len,
	    &found)) == NULL)
		return (-1);
	if (found) {
		f = VEC_AT(&w->firsts, struct movie_first, *ix);
		if (ts < f->ts)
			f->ts = ts;
		return (0);
	}
	if ((f = vec_push(&w->firsts)) == NULL)
		return (-1);
	f->movie = movie;
	f->ts = ts;
	return (0);
}

static int
add_watch(struct writer *w, const struct parse_event *ev, int32_t movie)
{
	struct agg_watch	*a;
	struct agg_daily	*d;
	struct agg_user		*u;
	uint32_t		*ix;
	int			 found;

	if ((ix = hmap_put(&w->watch_ix, ev->user, movie,
	    (uint32_t)w->watches.len, &found)) == NULL)
		return (-1);
	if (found) {
		a = VEC_AT(&w->watches, struct agg_watch, *ix);
	} else {
		if ((a = vec_push(&w->watches)) == NULL)
			return (-1);
		a->user = ev->user;
		a->movie = movie;
		a->first_ts = a->last_ts = ev->ts_ms;
		a->max_minute = ev->minute;
	}
	a->minutes++;
	if (ev->minute > a->max_minute)
		a->max_minute = ev->minute;
	if (ev->ts_ms < a->first_ts)
		a->first_ts = ev->ts_ms;
	if (ev->ts_ms > a->last_ts)
		a->last_ts = ev->ts_ms;
	if ((d = daily_agg(w, ev->ts_ms / DAY_MS, movie)) == NULL ||
	    (u = user_agg(w, ev->user, ev->ts_ms)) == NULL)
		return (-1);
	d->minutes++;
	u->watch_lines++;
	return (0);
}

static int
add_rate(struct writer *w, const struct parse_event *ev, int32_t movie)
{
	struct agg_rate	*r;
	struct agg_user	*u;

	if ((r = vec_push(&w->rates)) == NULL ||
	    (u = user_agg(w, ev->user, ev->ts_ms)) == NULL)
		return (-1);
	r->user = ev->user;
	r->movie = movie;
	r->rating = ev->rating;
	r->ts = ev->ts_ms;
	u->ratings++;
	return (0);
}

/*
 * A list given to a user, as n movie ids (known to the catalogue): kept for
 * reco_log and handed to the click-through tracker.  text is the ids as
 * "id,id,..." when the caller has them so (len bytes), else NULL.  0 or -1
 * (out of memory).
 */
static int
add_list(struct writer *w, int64_t ts, int64_t user, const int32_t *ids,
    size_t n, const char *text, size_t len, struct agg_reco *r)
{
	struct agg_reco	*p;
	char		 buf[PARSE_RESULTS_MAX * 12];

	if (n > PARSE_RESULTS_MAX)
		n = PARSE_RESULTS_MAX;
	if (text == NULL) {
		len = reclog_ids(buf, ids, n);
		text = buf;
	}
	if ((p = vec_push(&w->recos)) == NULL)
		return (-1);
	*p = *r;
	p->ts = ts;
	p->user = user;
	/* The writer alone adds rows: it numbers them itself. */
	p->id = w->last_log_id + (int64_t)w->recos.len;
	if ((p->movies = arena_add(&w->strs, text, len)) == (size_t)-1) {
		w->recos.len--;
		return (-1);
	}
	/* Out of memory there: logged, but not followed.  No reason to fail. */
	if (ctr_list(w->ctr, p->id, user, ts, ids, n < CTR_TRACKED ?
	    n : CTR_TRACKED, p->source, p->model_version, p->arm != (size_t)-1 ?
	    w->strs.p + p->arm : "", p->latency_us, p->personal) == -1)
		w->stats.untracked++;
	return (0);
}

/* Another system's list, seen on the stream: a user's event too. */
static int
add_reco(struct writer *w, const struct parse_event *ev)
{
	struct agg_reco	 r;
	struct agg_user	*u;
	int32_t		 ids[PARSE_RESULTS_MAX];
	size_t		 i;

	/* Listed movies join the catalogue, like watched ones. */
	for (i = 0; i < ev->nresults; i++)
		if ((ids[i] = movie_id(w, ev->result[i])) < 0)
			return (ids[i] == MOVIE_NOMEM ? -1 : PARSE_ERR_MOVIE);
	memset(&r, 0, sizeof(r));
	r.status = ev->status;
	r.latency_us = (int64_t)ev->latency_ms * 1000;
	r.source = CTR_EXTERNAL;
	r.arm = (size_t)-1;
	/* Room was made (reserve_line): these do not fail. */
	if ((r.host = arena_add(&w->strs, ev->host, strlen(ev->host))) ==
	    (size_t)-1 || (u = user_agg(w, ev->user, ev->ts_ms)) == NULL ||
	    add_list(w, ev->ts_ms, ev->user, ids, ev->nresults, NULL, 0,
	    &r) == -1)
		return (-1);
	u->recos++;
	return (0);
}

static void
add_sample(struct writer *w, const char *line, size_t len, int reason)
{
	struct agg_sample	*s;
	struct timespec		 ts;
	char			 buf[SAMPLE_LINE_MAX * 4 + 4];
	size_t			 i, n = 0;
	unsigned char		 c;

	if (w->samples.len >= SAMPLES_BATCH)
		return;
	/* Keep a printable copy: control and non-ASCII bytes as \xNN. */
	for (i = 0; i < len && i < SAMPLE_LINE_MAX; i++) {
		c = (unsigned char)line[i];
		if (c >= 0x20 && c < 0x7f && c != '\\')
			buf[n++] = (char)c;
		else
			n += (size_t)snprintf(buf + n, sizeof(buf) - n,
			    "\\x%02x", c);
	}
	if (len > SAMPLE_LINE_MAX)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "...");
	clock_gettime(CLOCK_REALTIME, &ts);
	if ((s = vec_push(&w->samples)) == NULL)
		return;
	s->ts = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	s->reason = reason;
	if ((s->line = arena_add(&w->strs, buf, n)) == (size_t)-1)
		w->samples.len--;
}

/*
 * Room for one more line of len bytes in every structure a line can add
 * to, so that adding it cannot fail half-way.  Returns 0 or -1.
 */
static int
reserve_line(struct writer *w, size_t len)
{
	/* A list can name PARSE_RESULTS_MAX new movies. */
	return (slug_reserve(w, (size_t)w->nmovies + PARSE_RESULTS_MAX + 2) ==
	    -1 || vec_reserve(&w->watches, 1) == -1 ||
	    vec_reserve(&w->rates, 1) == -1 ||
	    vec_reserve(&w->users, 1) == -1 ||
	    vec_reserve(&w->daily, 1) == -1 ||
	    vec_reserve(&w->firsts, 1) == -1 ||
	    vec_reserve(&w->recos, 1) == -1 ||
	    vec_reserve(&w->samples, 1) == -1 ||
	    hmap_reserve(&w->watch_ix, 1) == -1 ||
	    hmap_reserve(&w->user_ix, 1) == -1 ||
	    hmap_reserve(&w->daily_ix, 1) == -1 ||
	    hmap_reserve(&w->first_ix, 1) == -1 ||
	    hmap_reserve(&w->byslug, PARSE_RESULTS_MAX + 1) == -1 ||
	    /* The line's strings: host, ids, a sample's escaped copy. */
	    arena_reserve(&w->strs, len + PARSE_RESULTS_MAX * 12 +
	    SAMPLE_LINE_MAX * 4 + 64) == -1 ? -1 : 0);
}

/* A line refused for a reason found after parsing. */
static int
refuse(struct writer *w, int reason)
{
	w->rej[reason]++;
	w->stats.rejected[reason]++;
	return (reason);
}

int
writer_line(struct writer *w, const char *line, size_t len)
{
	struct parse_event	*ev = &w->ev;
	int32_t			 movie = 0;
	size_t			 i;
	int			 rc;

	for (i = 0; i < len; i++)
		if (line[i] != ' ' && line[i] != '\t' && line[i] != '\r')
			break;
	if (i == len)
		return (WRITER_BLANK);

	/*
	 * Out of memory: write the batch (its memory is then reused) and try
	 * once more; else this line is refused and counted, and the writer
	 * goes on.
	 */
	if (reserve_line(w, len) == -1 && (w->pending == 0 ||
	    writer_commit(w) == -1 || reserve_line(w, len) == -1)) {
		if (w->stats.rejected[PARSE_ERR_NOMEM]++ % 1000 == 0)
			log_warnx("%s: out of memory: line refused", __func__);
		w->rej[PARSE_ERR_NOMEM]++;
		w->pending++;
		return (PARSE_ERR_NOMEM);
	}
	w->pending++;
	if ((rc = parse_line(line, len, ev)) != PARSE_OK) {
		w->rej[rc]++;
		w->stats.rejected[rc]++;
		add_sample(w, line, len, rc);
		return (rc);
	}
	if (ev->kind != PARSE_RECO &&
	    (movie = movie_id(w, ev->movie)) < 0)
		return (refuse(w, movie == MOVIE_NOMEM ? PARSE_ERR_NOMEM :
		    PARSE_ERR_MOVIE));
	if (ev->kind == PARSE_WATCH) {
		rc = add_watch(w, ev, movie);
		if (rc == 0)
			ctr_watch(w->ctr, ev->user, movie, ev->ts_ms);
	}
	else if (ev->kind == PARSE_RATE)
		rc = add_rate(w, ev, movie);
	else
		rc = add_reco(w, ev);
	if (rc == 0 && ev->kind != PARSE_RECO)
		rc = movie_seen_at(w, movie, ev->ts_ms);
	if (rc != 0) {
		/* Only a movie id of the list can fail now (see add_reco). */
		if (rc == -1)
			log_warnx("%s: out of memory: line refused", __func__);
		return (refuse(w, rc == -1 ? PARSE_ERR_NOMEM : rc));
	}
	if (ev->ts_ms > w->last_ts)
		w->last_ts = ev->ts_ms;
	w->acc[ev->kind]++;
	w->stats.accepted[ev->kind]++;
	return (PARSE_OK);
}

/* A decimal integer at *p (advanced past it and one separator). */
static int
next_int(const char **p, const char *end, char sep, long long *v)
{
	const char	*q = *p;
	long long	 x = 0;
	int		 neg = 0;

	if (q < end && *q == '-') {
		neg = 1;
		q++;
	}
	if (q == end || *q < '0' || *q > '9')
		return (-1);
	while (q < end && *q >= '0' && *q <= '9') {
		/* Up to INT64_MAX itself (every id the API accepts). */
		if (x > (INT64_MAX - (*q - '0')) / 10)
			return (-1);
		x = x * 10 + (*q++ - '0');
	}
	if (q < end && *q != sep)
		return (-1);
	*v = neg ? -x : x;
	*p = q < end ? q + 1 : q;
	return (0);
}

int
writer_served(struct writer *w, const char *line, size_t len)
{
	struct agg_reco	 r;
	const char	*p = line + 7, *end = line + len, *arm, *list;
	int32_t		 ids[PARSE_RESULTS_MAX];
	long long	 ts, user, version, latency, personal, id;
	size_t		 n = 0, armlen;
	int		 left_out = 0;

	/* SERVED <ts> <user> <version> <arm|-> <latency_us> <personal> <ids> */
	if (len < 7 || memcmp(line, "SERVED ", 7) != 0 ||
	    next_int(&p, end, ' ', &ts) == -1 ||
	    next_int(&p, end, ' ', &user) == -1 ||
	    next_int(&p, end, ' ', &version) == -1 || ts < 0 || user < 0)
		return (-1);
	arm = p;
	while (p < end && *p != ' ')
		p++;
	armlen = (size_t)(p - arm);
	if (p == end || armlen == 0 || armlen > 31)
		return (-1);
	p++;
	if (next_int(&p, end, ' ', &latency) == -1 ||
	    next_int(&p, end, ' ', &personal) == -1)
		return (-1);
	list = p;
	while (p < end && n < PARSE_RESULTS_MAX) {
		/* "007": kept as 7, the text written anew. */
		if (*p == '0' && p + 1 < end && p[1] != ',')
			left_out = 1;
		if (next_int(&p, end, ',', &id) == -1)
			return (-1);
		/* A movie the writer does not know (yet) is left out. */
		if (id > 0 && id <= w->nmovies && w->slug[id] != NULL)
			ids[n++] = (int32_t)id;
		else
			left_out = 1;
	}
	/* Stored as it came ("id,id,..."), unless an id was left out. */
	left_out |= p < end || (p > list && p[-1] == ',');
	memset(&r, 0, sizeof(r));
	r.status = 200;
	/* The workers' figures, kept in range all the same. */
	r.latency_us = latency < 0 ? 0 : latency > 3600000000LL ? 3600000000LL :
	    latency;
	r.source = CTR_SERVED;
	r.model_version = version;
	r.personal = personal < 0 ? 0 : personal > PARSE_RESULTS_MAX ?
	    PARSE_RESULTS_MAX : (int)personal;
	r.host = (size_t)-1;
	r.arm = armlen == 1 && *arm == '-' ? (size_t)-1 :
	    arena_add(&w->strs, arm, armlen);
	/* A served list is no event of the user's: users stays as it is. */
	if (add_list(w, ts, user, ids, n, left_out ? NULL : list,
	    (size_t)(p - list), &r) == -1) {
		log_warnx("%s: out of memory: list not logged", __func__);
		return (-1);
	}
	w->pending++;
	return (0);
}

int64_t
writer_expire(struct writer *w, int64_t before_ms, int limit)
{
	static const char	*sql[] = {
		"SELECT last_id, first_id, max_ts, last_id = (SELECT "
		"MAX(last_id) FROM reco_log_chunks) FROM reco_log_chunks "
		"ORDER BY last_id LIMIT 1",
		"SELECT DISTINCT j.value ->> 1 FROM reco_log_chunks c, "
		"json_each(c.lists) j WHERE c.last_id = ?1",
		"DELETE FROM reco_log_by_user WHERE user_id = ?1 AND newest <= ?2",
		"UPDATE reco_log_by_user SET log_ids = (SELECT "
		"json_group_array(value) FROM json_each(log_ids) WHERE value > "
		"?2) WHERE user_id = ?1 AND log_ids ->> 0 <= ?2 AND newest = "
		"(SELECT MIN(newest) FROM reco_log_by_user WHERE user_id = ?1 "
		"AND newest > ?2)",
		"DELETE FROM reco_follows WHERE log_id BETWEEN ?1 AND ?2",
		"DELETE FROM reco_log_chunks WHERE last_id = ?1",
	};
	enum { CHUNK, USERS, DEL_USER, CUT_USER, DEL_FOLLOWS, DEL_CHUNK, NSQL };
	sqlite3_stmt	*st[NSQL] = { NULL };
	int64_t		 n = 0, first, last, max_ts, user;
	size_t		 i;
	int		 rc, newest;

	/*
	 * Chunks go oldest first, in id order, while all their lists are
	 * older than before_ms and rolled up, never the newest chunk (so list
	 * ids are never handed out twice).  A user's by-user entries hold
	 * ascending ids: entries up to the chunk's last id go, and the next
	 * one loses the ids it still had up to there.
	 */
	if (store_exec(&w->store, "BEGIN IMMEDIATE") == -1)
		return (-1);
	for (i = 0; i < NSQL; i++)
		if (sqlite3_prepare_v2(w->store.db, sql[i], -1, &st[i], NULL) !=
		    SQLITE_OK)
			goto fail;
	while (n < limit) {
		if ((rc = sqlite3_step(st[CHUNK])) != SQLITE_ROW) {
			sqlite3_reset(st[CHUNK]);
			if (rc != SQLITE_DONE)
				goto fail;
			break;
		}
		last = sqlite3_column_int64(st[CHUNK], 0);
		first = sqlite3_column_int64(st[CHUNK], 1);
		max_ts = sqlite3_column_int64(st[CHUNK], 2);
		newest = sqlite3_column_int(st[CHUNK], 3);
		sqlite3_reset(st[CHUNK]);
		if (max_ts >= before_ms || last > w->rolled_last || newest)
			break;
		sqlite3_bind_int64(st[USERS], 1, last);
		while ((rc = sqlite3_step(st[USERS])) == SQLITE_ROW) {
			user = sqlite3_column_int64(st[USERS], 0);
			sqlite3_bind_int64(st[DEL_USER], 1, user);
			sqlite3_bind_int64(st[DEL_USER], 2, last);
			sqlite3_bind_int64(st[CUT_USER], 1, user);
			sqlite3_bind_int64(st[CUT_USER], 2, last);
			if (step_done(w, st[DEL_USER]) == -1 ||
			    step_done(w, st[CUT_USER]) == -1)
				goto fail;
		}
		sqlite3_reset(st[USERS]);
		if (rc != SQLITE_DONE)
			goto fail;
		sqlite3_bind_int64(st[DEL_FOLLOWS], 1, first);
		sqlite3_bind_int64(st[DEL_FOLLOWS], 2, last);
		sqlite3_bind_int64(st[DEL_CHUNK], 1, last);
		if (step_done(w, st[DEL_FOLLOWS]) == -1 ||
		    step_done(w, st[DEL_CHUNK]) == -1)
			goto fail;
		n += last - first + 1;
	}
	for (i = 0; i < NSQL; i++)
		sqlite3_finalize(st[i]);
	if (store_exec(&w->store, "COMMIT") == -1) {
		(void)store_exec(&w->store, "ROLLBACK");
		return (-1);
	}
	return (n);

fail:
	log_warnx("%s: %s", __func__, sqlite3_errmsg(w->store.db));
	for (i = 0; i < NSQL; i++)
		sqlite3_finalize(st[i]);
	(void)store_exec(&w->store, "ROLLBACK");
	return (-1);
}

void
writer_set_click_window(struct writer *w, int64_t window_ms)
{
	ctr_set_window(w->ctr, window_ms);
}

int
writer_movie(struct writer *w, const char *slug, const char *title,
    int year, const char *genres)
{
	struct agg_meta	*m;
	int32_t		 id;

	if ((id = movie_id(w, slug)) == -1 || (m = vec_push(&w->metas)) ==
	    NULL)
		return (-1);
	m->movie = id;
	m->year = year;
	m->title = title ? arena_add(&w->strs, title, strlen(title)) :
	    (size_t)-1;
	m->genres = genres ? arena_add(&w->strs, genres, strlen(genres)) :
	    (size_t)-1;
	return (0);
}

void
writer_slug_title(const char *slug, char *title, size_t titlesz, int *year)
{
	size_t	len = strlen(slug), i, n;

	*year = 0;
	if (len > 5 && slug[len - 5] == '+' &&
	    strspn(slug + len - 4, "0123456789") == 4) {
		*year = atoi(slug + len - 4);
		len -= 5;
	}
	for (i = 0, n = 0; i < len && n + 1 < titlesz; i++)
		title[n++] = slug[i] == '+' ? ' ' : slug[i];
	title[n] = '\0';
}

static int
step_done(struct writer *w, sqlite3_stmt *st)
{
	int	rc = sqlite3_step(st);

	sqlite3_reset(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		log_warnx("writer: %s", sqlite3_errmsg(w->store.db));
		return (-1);
	}
	return (0);
}

/*
 * Step an UPSERT ... RETURNING statement once: *val is its one value, or -1
 * when it returned no row.  Resets st.  Returns 0 or -1 (logged).
 */
static int
step_returning(struct writer *w, sqlite3_stmt *st, const char *what,
    int64_t *val)
{
	int	rc = sqlite3_step(st);

	*val = -1;
	if (rc == SQLITE_ROW) {
		*val = sqlite3_column_int64(st, 0);
		rc = sqlite3_step(st);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		log_warnx("writer: %s: %s", what, sqlite3_errmsg(w->store.db));
		return (-1);
	}
	return (0);
}

static int
count(struct writer *w, const char *name, int64_t delta, int max)
{
	sqlite3_stmt	*st = max ? w->st_count_max : w->st_count;

	if (delta == 0 && !max)
		return (0);
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, delta);
	return (step_done(w, st));
}

static int
movie_delta(struct writer *w, int32_t movie, int viewers, int raters)
{
	struct movie_delta	*d;
	uint32_t		*ix;
	int			 found;

	if ((ix = hmap_put(&w->delta_ix, movie, 0, (uint32_t)w->deltas.len,
	    &found)) == NULL)
		return (-1);
	if (found) {
		d = VEC_AT(&w->deltas, struct movie_delta, *ix);
	} else {
		if ((d = vec_push(&w->deltas)) == NULL)
			return (-1);
		d->movie = movie;
	}
	d->viewers += viewers;
	d->raters += raters;
	return (0);
}

static int
commit_movies(struct writer *w, int64_t *newmovies)
{
	struct agg_meta	*m;
	char		 title[PARSE_SLUG_MAX + 1];
	size_t		 i;
	int32_t		 id;
	int		 year;

	for (id = w->committed + 1; id <= w->nmovies; id++) {
		writer_slug_title(w->slug[id], title, sizeof(title), &year);
		sqlite3_bind_int(w->st_movie, 1, id);
		sqlite3_bind_text(w->st_movie, 2, w->slug[id], -1,
		    SQLITE_STATIC);
		sqlite3_bind_text(w->st_movie, 3, title, -1, SQLITE_STATIC);
		if (year)
			sqlite3_bind_int(w->st_movie, 4, year);
		else
			sqlite3_bind_null(w->st_movie, 4);
		if (step_done(w, w->st_movie) == -1)
			return (-1);
		(*newmovies)++;
	}
	for (i = 0; i < w->firsts.len; i++) {
		struct movie_first	*f = VEC_AT(&w->firsts,
					    struct movie_first, i);

		sqlite3_bind_int(w->st_first, 1, f->movie);
		sqlite3_bind_int64(w->st_first, 2, f->ts);
		if (step_done(w, w->st_first) == -1)
			return (-1);
	}
	for (i = 0; i < w->metas.len; i++) {
		m = VEC_AT(&w->metas, struct agg_meta, i);
		sqlite3_bind_int(w->st_meta, 1, m->movie);
		if (m->title != (size_t)-1)
			sqlite3_bind_text(w->st_meta, 2, w->strs.p + m->title,
			    -1, SQLITE_STATIC);
		else
			sqlite3_bind_null(w->st_meta, 2);
		if (m->year)
			sqlite3_bind_int(w->st_meta, 3, m->year);
		else
			sqlite3_bind_null(w->st_meta, 3);
		if (m->genres != (size_t)-1)
			sqlite3_bind_text(w->st_meta, 4, w->strs.p + m->genres,
			    -1, SQLITE_STATIC);
		else
			sqlite3_bind_null(w->st_meta, 4);
		if (step_done(w, w->st_meta) == -1)
			return (-1);
	}
	return (0);
}

static int
commit_watches(struct writer *w, int64_t *newwatches)
{
	struct agg_watch	*a;
	struct agg_daily	*d;
	sqlite3_stmt		*st = w->st_watch;
	int64_t			 total;
	size_t			 i;

	for (i = 0; i < w->watches.len; i++) {
		a = VEC_AT(&w->watches, struct agg_watch, i);
		sqlite3_bind_int64(st, 1, a->user);
		sqlite3_bind_int(st, 2, a->movie);
		sqlite3_bind_int(st, 3, a->minutes);
		sqlite3_bind_int(st, 4, a->max_minute);
		sqlite3_bind_int64(st, 5, a->first_ts);
		sqlite3_bind_int64(st, 6, a->last_ts);
		if (step_returning(w, st, "watches", &total) == -1)
			return (-1);
		/* The row is new iff its total is this batch's count. */
		if (total == a->minutes) {
			if ((d = daily_agg(w, a->first_ts / DAY_MS,
			    a->movie)) == NULL ||
			    movie_delta(w, a->movie, 1, 0) == -1)
				return (-1);
			d->viewers++;
			(*newwatches)++;
		}
	}
	return (0);
}

static int
commit_rates(struct writer *w, int64_t *newratings)
{
	struct agg_rate		*r;
	struct agg_daily	*d;
	sqlite3_stmt		*st;
	size_t			 i;

	for (i = 0; i < w->rates.len; i++) {
		r = VEC_AT(&w->rates, struct agg_rate, i);
		st = w->st_rate_ins;
		sqlite3_bind_int64(st, 1, r->user);
		sqlite3_bind_int(st, 2, r->movie);
		sqlite3_bind_int(st, 3, r->rating);
		sqlite3_bind_int64(st, 4, r->ts);
		if (step_done(w, st) == -1)
			return (-1);
		if (sqlite3_changes(w->store.db) == 1) {
			if ((d = daily_agg(w, r->ts / DAY_MS, r->movie)) ==
			    NULL || movie_delta(w, r->movie, 0, 1) == -1)
				return (-1);
			d->raters++;
			(*newratings)++;
			continue;
		}
		/* Known pair: the latest rating wins. */
		st = w->st_rate_upd;
		sqlite3_bind_int64(st, 1, r->user);
		sqlite3_bind_int(st, 2, r->movie);
		sqlite3_bind_int(st, 3, r->rating);
		sqlite3_bind_int64(st, 4, r->ts);
		if (step_done(w, st) == -1)
			return (-1);
	}
	return (0);
}

static int
commit_users(struct writer *w, int64_t *newusers)
{
	struct agg_user	*u;
	sqlite3_stmt	*st = w->st_user;
	int64_t		 now = clock_now_ms(), total;
	size_t		 i;

	for (i = 0; i < w->users.len; i++) {
		u = VEC_AT(&w->users, struct agg_user, i);
		sqlite3_bind_int64(st, 1, u->user);
		sqlite3_bind_int64(st, 2, u->first_ts);
		sqlite3_bind_int64(st, 3, u->last_ts);
		sqlite3_bind_int64(st, 4, u->watch_lines);
		sqlite3_bind_int64(st, 5, u->ratings);
		sqlite3_bind_int64(st, 6, u->recos);
		sqlite3_bind_int64(st, 7, now);
		if (step_returning(w, st, "users", &total) == -1)
			return (-1);
		/* New iff its totals are this batch's. */
		if (total == u->watch_lines + u->ratings + u->recos)
			(*newusers)++;
	}
	return (0);
}

static int
commit_daily(struct writer *w)
{
	struct agg_daily	*d;
	struct movie_delta	*m;
	size_t			 i;

	for (i = 0; i < w->daily.len; i++) {
		d = VEC_AT(&w->daily, struct agg_daily, i);
		sqlite3_bind_int64(w->st_daily, 1, d->day);
		sqlite3_bind_int(w->st_daily, 2, d->movie);
		sqlite3_bind_int(w->st_daily, 3, d->viewers);
		sqlite3_bind_int(w->st_daily, 4, d->minutes);
		sqlite3_bind_int(w->st_daily, 5, d->raters);
		if (step_done(w, w->st_daily) == -1)
			return (-1);
	}
	for (i = 0; i < w->deltas.len; i++) {
		m = VEC_AT(&w->deltas, struct movie_delta, i);
		sqlite3_bind_int(w->st_delta, 1, m->movie);
		sqlite3_bind_int(w->st_delta, 2, m->viewers);
		sqlite3_bind_int(w->st_delta, 3, m->raters);
		if (step_done(w, w->st_delta) == -1)
			return (-1);
	}
	return (0);
}

/* json_quote's output into the chunk being built. */
static void
chunk_put(void *arg, const void *p, size_t len)
{
	struct arena	*a = arg;

	if (a->oom)
		return;
	if (arena_add(a, p, len) == (size_t)-1) {
		/* The chunk is incomplete: commit_recos fails the commit. */
		a->oom = 1;
		return;
	}
	a->len--;		/* no NUL between pieces */
}

/* Append list r to the chunk: [ts,user,source,host,status,...]. */
static void
chunk_list(struct writer *w, const struct agg_reco *r, int first)
{
	struct arena	*a = &w->chunk;
	char		 buf[256];
	size_t		 n = 0;

	/* The numbers by hand: snprintf was most of the writer's time. */
	buf[n++] = first ? '[' : ',';
	buf[n++] = '[';
	n += reclog_int(buf + n, r->ts);
	buf[n++] = ',';
	n += reclog_int(buf + n, r->user);
	buf[n++] = ',';
	n += reclog_int(buf + n, r->source);
	buf[n++] = ',';
	chunk_put(a, buf, n);
	if (r->host != (size_t)-1)
		json_quote(w->strs.p + r->host, chunk_put, a);
	else
		chunk_put(a, "null", 4);
	n = 0;
	buf[n++] = ',';
	n += reclog_int(buf + n, r->status);
	buf[n++] = ',';
	n += reclog_int(buf + n, (r->latency_us + 500) / 1000);
	buf[n++] = ',';
	buf[n++] = '"';
	chunk_put(a, buf, n);
	chunk_put(a, w->strs.p + r->movies, strlen(w->strs.p + r->movies));
	n = 0;
	buf[n++] = '"';
	buf[n++] = ',';
	if (r->model_version > 0)
		n += reclog_int(buf + n, r->model_version);
	else {
		memcpy(buf + n, "null", 4);
		n += 4;
	}
	buf[n++] = ',';
	chunk_put(a, buf, n);
	if (r->arm != (size_t)-1)
		json_quote(w->strs.p + r->arm, chunk_put, a);
	else
		chunk_put(a, "null", 4);
	n = 0;
	buf[n++] = ',';
	n += reclog_int(buf + n, r->personal);
	buf[n++] = ']';
	chunk_put(a, buf, n);
}

/*
 * The batch's lists into reco_log_chunks, CHUNK_LISTS to a row (see
 * 005_reco_ids.sql); *last is the newest list's id.
 */
static int
commit_recos(struct writer *w, int64_t *last)
{
	struct log_row	*lr;
	struct agg_reco	*r;
	int64_t		 min_ts = 0, max_ts = 0, first_id = 0;
	size_t		 i, k = 0;

	for (i = 0; i < w->recos.len; i++) {
		r = VEC_AT(&w->recos, struct agg_reco, i);
		if (k == 0) {
			w->chunk.len = 0;
			w->chunk.oom = 0;
			first_id = r->id;
			min_ts = max_ts = r->ts;
		}
		chunk_list(w, r, k == 0);
		if (r->ts < min_ts)
			min_ts = r->ts;
		if (r->ts > max_ts)
			max_ts = r->ts;
		if ((lr = vec_push(&w->unrolled)) == NULL)
			return (-1);
		lr->user = r->user;
		lr->id = r->id;
		lr->ts = r->ts;
		*last = r->id;
		if (++k < CHUNK_LISTS && i + 1 < w->recos.len)
			continue;
		chunk_put(&w->chunk, "]", 1);
		if (w->chunk.oom) {
			log_warnx("%s: out of memory", __func__);
			return (-1);
		}
		sqlite3_bind_int64(w->st_chunk, 1, r->id);
		sqlite3_bind_int64(w->st_chunk, 2, first_id);
		sqlite3_bind_int64(w->st_chunk, 3, min_ts);
		sqlite3_bind_int64(w->st_chunk, 4, max_ts);
		sqlite3_bind_text(w->st_chunk, 5, w->chunk.p, (int)w->chunk.len,
		    SQLITE_STATIC);
		if (step_done(w, w->st_chunk) == -1)
			return (-1);
		k = 0;
	}
	return (0);
}

static int
commit_counters(struct writer *w, int64_t newmovies, int64_t newwatches,
    int64_t newratings, int64_t newusers)
{
	struct agg_sample	*s;
	char			 name[64];
	size_t			 i;
	int			 k;
	static const char	*kinds[] = { NULL, "watch", "rate", "reco" };

	for (k = PARSE_WATCH; k <= PARSE_RECO; k++) {
		snprintf(name, sizeof(name), "accepted_%s", kinds[k]);
		if (count(w, name, (int64_t)w->acc[k], 0) == -1)
			return (-1);
	}
	for (k = 1; k < PARSE_NREASONS; k++) {
		snprintf(name, sizeof(name), "rejected_%s",
		    parse_reason_name(k));
		if (count(w, name, (int64_t)w->rej[k], 0) == -1)
			return (-1);
	}
	if (count(w, "movies", newmovies, 0) == -1 ||
	    count(w, "watches", newwatches, 0) == -1 ||
	    count(w, "ratings", newratings, 0) == -1 ||
	    count(w, "users", newusers, 0) == -1 ||
	    count(w, "recos", (int64_t)w->recos.len, 0) == -1 ||
	    (w->last_ts > 0 && count(w, "last_event_ms", w->last_ts, 1) == -1))
		return (-1);
	for (i = 0; i < w->samples.len; i++) {
		s = VEC_AT(&w->samples, struct agg_sample, i);
		sqlite3_bind_int64(w->st_sample, 1, s->ts);
		sqlite3_bind_text(w->st_sample, 2, parse_reason_name(s->reason),
		    -1, SQLITE_STATIC);
		sqlite3_bind_text(w->st_sample, 3, w->strs.p + s->line, -1,
		    SQLITE_STATIC);
		if (step_done(w, w->st_sample) == -1)
			return (-1);
	}
	if (w->samples.len > 0 && step_done(w, w->st_trim) == -1)
		return (-1);
	return (0);
}

static void
batch_clear(struct writer *w)
{
	hmap_clear(&w->watch_ix);
	hmap_clear(&w->user_ix);
	hmap_clear(&w->daily_ix);
	hmap_clear(&w->first_ix);
	w->firsts.len = 0;
	w->watches.len = w->rates.len = w->users.len = w->daily.len = 0;
	w->recos.len = w->samples.len = w->metas.len = 0;
	w->strs.len = 0;
	w->pending = 0;
	memset(w->acc, 0, sizeof(w->acc));
	memset(w->rej, 0, sizeof(w->rej));
}

/*
 * Roll reco_log up (see 005_reco_ids.sql) every roll_ms, and when asked to
 * (closing).  The rows since the last run go into reco_log_by_user sorted,
 * so each page of that index is rewritten once per run, not once per row.
 */
static int
roll_due(const struct writer *w, int64_t now)
{
	return ((w->unrolled.len > 0 || w->recos.len > 0) && (w->roll_now ||
	    w->rolled_at == 0 || now - w->rolled_at >= w->roll_ms));
}

static int
log_row_cmp(const void *a, const void *b)
{
	const struct log_row	*x = a, *y = b;

	if (x->user != y->user)
		return (x->user < y->user ? -1 : 1);
	return (x->id < y->id ? -1 : x->id > y->id);
}

/*
 * Inside the batch's transaction, after its lists were logged: a user's
 * lists of the run go into one reco_log_by_user entry (or several of
 * BY_USER_MAX ids), keyed by the newest of them.
 */
static int
roll_up(struct writer *w, int64_t last_log_id)
{
	struct log_row	*lr = w->unrolled.p;
	size_t		 i, k, n = w->unrolled.len, len;
	char		 ids[BY_USER_MAX * 21 + 2];

	qsort(lr, n, sizeof(*lr), log_row_cmp);
	for (i = 0; i < n; i = k) {
		len = 0;
		ids[len++] = '[';
		for (k = i; k < n && lr[k].user == lr[i].user &&
		    k - i < BY_USER_MAX; k++) {
			if (k > i)
				ids[len++] = ',';
			len += reclog_int(ids + len, lr[k].id);
		}
		ids[len++] = ']';
		sqlite3_bind_int64(w->st_by_user, 1, lr[i].user);
		sqlite3_bind_int64(w->st_by_user, 2, lr[k - 1].id);
		sqlite3_bind_text(w->st_by_user, 3, ids, (int)len,
		    SQLITE_STATIC);
		if (step_done(w, w->st_by_user) == -1)
			return (-1);
	}
	return (count(w, "reco_rolled_last", last_log_id, 1));
}

/* A failed transaction: forget its rows (they were sorted, maybe). */
static void
unrolled_undo(struct writer *w)
{
	struct log_row	*lr = w->unrolled.p;
	size_t		 i, k = 0;

	for (i = 0; i < w->unrolled.len; i++)
		if (lr[i].id <= w->last_log_id)
			lr[k++] = lr[i];
	w->unrolled.len = k;
}

/*
 * Readers (the HTTP workers hold a snapshot for a second at a time) keep
 * SQLite's automatic checkpoints from ever finishing under a steady stream
 * of commits, and the WAL then grows without bound, slowing every read.
 * Past WAL_TRUNCATE bytes, checkpoint and truncate it, waiting a little
 * for the readers to move to the new state; if they do not (a training
 * run reading for minutes), try again later.
 */
static void
wal_tidy(struct writer *w)
{
	struct stat	sb;
	char		path[PATH_MAX + 8];
	int64_t		now = clock_mono_ms();
	int		rc;

	/* A look at the WAL's size, not with every commit. */
	if (now - w->wal_tried < w->wal_backoff)
		return;
	w->wal_tried = now;
	snprintf(path, sizeof(path), "%s-wal", w->store.path);
	if (stat(path, &sb) == -1 || sb.st_size < WAL_TRUNCATE)
		return;
	sqlite3_busy_timeout(w->store.db, WAL_WAIT_MS);
	rc = sqlite3_wal_checkpoint_v2(w->store.db, NULL,
	    SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
	sqlite3_busy_timeout(w->store.db, STORE_BUSY_MS);
	/* A long reader (a training run): wait longer and longer, to 5 min. */
	if (rc == SQLITE_OK)
		w->wal_backoff = 2 * WAL_WAIT_MS;
	else {
		w->wal_backoff = w->wal_backoff * 2 > 300000 ? 300000 :
		    w->wal_backoff * 2;
		log_info("writer: WAL of %lld MB not reset yet (%s), next try "
		    "in %lld s", (long long)(sb.st_size >> 20),
		    sqlite3_errmsg(w->store.db),
		    (long long)(w->wal_backoff / 1000));
	}
}

int
writer_due(const struct writer *w)
{
	return (w->pending > 0 || roll_due(w, clock_mono_ms()));
}

void
writer_set_rollup(struct writer *w, int64_t period_ms)
{
	w->roll_ms = period_ms >= 0 ? period_ms : ROLLUP_MS;
}

int
writer_commit(struct writer *w)
{
	struct agg_daily	*d;
	int64_t			 nm = 0, nw = 0, nr = 0, nu = 0;
	int64_t			 last_log_id, now = clock_mono_ms();
	size_t			 i;
	int			 roll;

	last_log_id = w->last_log_id;
	roll = roll_due(w, now);
	if (w->pending == 0 && w->metas.len == 0 &&
	    w->committed == w->nmovies && !roll)
		return (0);

	/* Derived counts are recomputed by every attempt. */
	hmap_clear(&w->delta_ix);
	w->deltas.len = 0;
	for (i = 0; i < w->daily.len; i++) {
		d = VEC_AT(&w->daily, struct agg_daily, i);
		d->viewers = d->raters = 0;
	}

	if (store_exec(&w->store, "BEGIN IMMEDIATE") == -1)
		goto fail;
	if (commit_movies(w, &nm) == -1 || commit_watches(w, &nw) == -1 ||
	    commit_rates(w, &nr) == -1 || commit_users(w, &nu) == -1 ||
	    commit_daily(w) == -1 || commit_recos(w, &last_log_id) == -1 ||
	    ctr_write(w->ctr, w->store.db, roll) == -1 ||
	    commit_counters(w, nm, nw, nr, nu) == -1 ||
	    (roll && roll_up(w, last_log_id) == -1))
		goto rollback;
	if (store_exec(&w->store, "COMMIT") == -1)
		goto rollback;
	ctr_committed(w->ctr, clock_now_ms());
	w->last_log_id = last_log_id;
	if (roll) {
		w->rolled_last = last_log_id;
		w->rolled_at = now;
		w->roll_now = 0;
		w->unrolled.len = 0;
	}

	w->committed = w->nmovies;
	w->stats.commits++;
	w->stats.committed += w->pending;
	batch_clear(w);
	wal_tidy(w);
	return (0);

rollback:
	(void)store_exec(&w->store, "ROLLBACK");
	unrolled_undo(w);
fail:
	log_warnx("%s: batch of %zu lines kept for a retry", __func__,
	    w->pending);
	return (-1);
}

size_t
writer_pending(const struct writer *w)
{
	return (w->pending);
}

void
writer_stats(const struct writer *w, struct writer_stats *st)
{
	*st = w->stats;
}

static const struct {
	size_t		 off;
	const char	*sql;
} statements[] = {
	{ offsetof(struct writer, st_movie),
	    "INSERT INTO movies (id, slug, title, year) "
	    "VALUES (?1, ?2, ?3, ?4)" },
	{ offsetof(struct writer, st_first),
	    "UPDATE movies SET first_ts = MIN(COALESCE(first_ts, ?2), ?2) "
	    "WHERE id = ?1" },
	{ offsetof(struct writer, st_meta),
	    "UPDATE movies SET title = COALESCE(?2, title), "
	    "year = COALESCE(?3, year), genres = COALESCE(?4, genres) "
	    "WHERE id = ?1" },
	{ offsetof(struct writer, st_watch),
	    "INSERT INTO watches VALUES (?1, ?2, ?3, ?4, ?5, ?6) "
	    "ON CONFLICT DO UPDATE SET minutes = minutes + excluded.minutes, "
	    "max_minute = MAX(max_minute, excluded.max_minute), "
	    "first_ts = MIN(first_ts, excluded.first_ts), "
	    "last_ts = MAX(last_ts, excluded.last_ts) RETURNING minutes" },
	{ offsetof(struct writer, st_rate_ins),
	    "INSERT INTO ratings VALUES (?1, ?2, ?3, ?4) "
	    "ON CONFLICT DO NOTHING" },
	{ offsetof(struct writer, st_rate_upd),
	    "UPDATE ratings SET rating = ?3, ts = ?4 "
	    "WHERE user_id = ?1 AND movie_id = ?2 AND ts <= ?4" },
	{ offsetof(struct writer, st_user),
	    "INSERT INTO users (id, first_ts, last_ts, watch_lines, ratings, "
	    "recos, updated_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, "
	    "CASE WHEN ?4 + ?5 > 0 THEN ?7 ELSE 0 END) "
	    "ON CONFLICT DO UPDATE SET first_ts = MIN(first_ts, "
	    "excluded.first_ts), last_ts = MAX(last_ts, excluded.last_ts), "
	    "watch_lines = watch_lines + excluded.watch_lines, "
	    "ratings = ratings + excluded.ratings, "
	    "recos = recos + excluded.recos, "
	    "updated_ms = MAX(updated_ms, excluded.updated_ms) "
	    "RETURNING watch_lines + ratings + recos" },
	{ offsetof(struct writer, st_daily),
	    "INSERT INTO movie_daily VALUES (?1, ?2, ?3, ?4, ?5) "
	    "ON CONFLICT DO UPDATE SET viewers = viewers + excluded.viewers, "
	    "minutes = minutes + excluded.minutes, "
	    "raters = raters + excluded.raters" },
	{ offsetof(struct writer, st_delta),
	    "UPDATE movies SET viewers = viewers + ?2, raters = raters + ?3 "
	    "WHERE id = ?1" },
	{ offsetof(struct writer, st_count),
	    "INSERT INTO counters VALUES (?1, ?2) "
	    "ON CONFLICT DO UPDATE SET value = value + excluded.value" },
	{ offsetof(struct writer, st_count_max),
	    "INSERT INTO counters VALUES (?1, ?2) "
	    "ON CONFLICT DO UPDATE SET value = MAX(value, excluded.value)" },
	{ offsetof(struct writer, st_sample),
	    "INSERT INTO reject_samples (ts, reason, line) VALUES (?1, ?2, ?3)" },
	{ offsetof(struct writer, st_by_user),
	    "INSERT INTO reco_log_by_user VALUES (?1, ?2, ?3)" },
	{ offsetof(struct writer, st_chunk),
	    "INSERT INTO reco_log_chunks VALUES (?1, ?2, ?3, ?4, ?5)" },
	{ offsetof(struct writer, st_trim),
	    "DELETE FROM reject_samples WHERE id <= "
	    "(SELECT MAX(id) FROM reject_samples) - " SAMPLES_KEPT },
};

static int
load_catalog(struct writer *w)
{
	sqlite3_stmt	*st;
	int		 rc;

	if (sqlite3_prepare_v2(w->store.db, "SELECT id, slug FROM movies",
	    -1, &st, NULL) != SQLITE_OK)
		return (-1);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (catalog_add(w, sqlite3_column_int(st, 0),
		    (const char *)sqlite3_column_text(st, 1)) == -1) {
			rc = SQLITE_NOMEM;
			break;
		}
	}
	sqlite3_finalize(st);
	w->committed = w->nmovies;
	return (rc == SQLITE_DONE ? 0 : -1);
}

/* Where the recommendation log and its roll-ups stand; the lists after. */
static int
load_rollup(struct writer *w)
{
	sqlite3_stmt	*st;
	struct log_row	*lr;
	int		 rc;

	if (sqlite3_prepare_v2(w->store.db, "SELECT COALESCE((SELECT "
	    "MAX(last_id) FROM reco_log_chunks), 0), COALESCE((SELECT value "
	    "FROM counters WHERE name = 'reco_rolled_last'), 0)", -1, &st,
	    NULL) != SQLITE_OK)
		return (-1);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		w->last_log_id = sqlite3_column_int64(st, 0);
		w->rolled_last = sqlite3_column_int64(st, 1);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW || sqlite3_prepare_v2(w->store.db, "SELECT "
	    "j.value ->> 1, c.first_id + j.key, j.value ->> 0 FROM "
	    "reco_log_chunks c, json_each(c.lists) j WHERE c.last_id > ?1 AND "
	    "c.first_id + j.key > ?1 ORDER BY 2", -1, &st, NULL) != SQLITE_OK)
		return (-1);
	sqlite3_bind_int64(st, 1, w->rolled_last);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((lr = vec_push(&w->unrolled)) == NULL) {
			rc = SQLITE_NOMEM;
			break;
		}
		lr->user = sqlite3_column_int64(st, 0);
		lr->id = sqlite3_column_int64(st, 1);
		lr->ts = sqlite3_column_int64(st, 2);
	}
	sqlite3_finalize(st);
	return (rc == SQLITE_DONE ? 0 : -1);
}

struct writer *
writer_open(const char *data_dir)
{
	struct writer	*w;
	sqlite3_stmt	**st;
	size_t		 i;

	if ((w = calloc(1, sizeof(*w))) == NULL)
		return (NULL);
	w->watches.size = sizeof(struct agg_watch);
	w->rates.size = sizeof(struct agg_rate);
	w->users.size = sizeof(struct agg_user);
	w->daily.size = sizeof(struct agg_daily);
	w->recos.size = sizeof(struct agg_reco);
	w->samples.size = sizeof(struct agg_sample);
	w->unrolled.size = sizeof(struct log_row);
	w->roll_ms = ROLLUP_MS;
	w->wal_backoff = 2 * WAL_WAIT_MS;
	w->metas.size = sizeof(struct agg_meta);
	w->deltas.size = sizeof(struct movie_delta);
	w->firsts.size = sizeof(struct movie_first);
	if (store_open(&w->store, data_dir, STORE_CREATE) == -1) {
		free(w);
		return (NULL);
	}
	/* A commit is durable once it returns: SYNC promises that. */
	if (store_exec(&w->store, "PRAGMA synchronous=FULL") == -1)
		goto fail;
	for (i = 0; i < sizeof(statements) / sizeof(statements[0]); i++) {
		st = (sqlite3_stmt **)(void *)((char *)w + statements[i].off);
		if (sqlite3_prepare_v3(w->store.db, statements[i].sql, -1,
		    SQLITE_PREPARE_PERSISTENT, st, NULL) != SQLITE_OK) {
			fprintf(stderr, "cinerec: %s: %s\n", __func__,
			    sqlite3_errmsg(w->store.db));
			goto fail;
		}
	}
	if (load_catalog(w) == -1) {
		fprintf(stderr, "cinerec: %s: cannot load the catalogue: %s\n",
		    __func__, sqlite3_errmsg(w->store.db));
		goto fail;
	}
	if ((w->ctr = ctr_new(300000)) == NULL ||
	    load_rollup(w) == -1 ||
	    ctr_load(w->ctr, w->store.db, clock_now_ms(), w->rolled_last) ==
	    -1) {
		fprintf(stderr, "cinerec: %s: cannot load the recent lists\n",
		    __func__);
		goto fail;
	}
	return (w);

fail:
	(void)writer_close(w);
	return (NULL);
}

int
writer_close(struct writer *w)
{
	sqlite3_stmt	**st;
	size_t		 i;
	int32_t		 id;
	int		 rc = 0;

	if (w == NULL)
		return (0);
	if (w->store.db != NULL && w->st_trim != NULL) {
		w->roll_now = 1;
		rc = writer_commit(w);
	}
	for (i = 0; i < sizeof(statements) / sizeof(statements[0]); i++) {
		st = (sqlite3_stmt **)(void *)((char *)w + statements[i].off);
		sqlite3_finalize(*st);
	}
	store_close(&w->store);
	for (id = 0; (size_t)id < w->slugcap; id++)
		free(w->slug[id]);
	free(w->slug);
	hmap_free(&w->byslug);
	hmap_free(&w->watch_ix);
	hmap_free(&w->user_ix);
	hmap_free(&w->daily_ix);
	hmap_free(&w->delta_ix);
	hmap_free(&w->first_ix);
	free(w->firsts.p);
	ctr_free(w->ctr);
	free(w->watches.p);
	free(w->rates.p);
	free(w->users.p);
	free(w->daily.p);
	free(w->recos.p);
	free(w->samples.p);
	free(w->unrolled.p);
	free(w->chunk.p);
	free(w->metas.p);
	free(w->deltas.p);
	free(w->strs.p);
	free(w);
	return (rc);
}
