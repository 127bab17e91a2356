/*
 * The writer's pending batch (see batch.h).
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "store/batch.h"
#include "store/sql.h"
#include "util/clock.h"
#include "util/log.h"

#define DAY_MS		86400000LL
#define SAMPLES_KEPT	"20"	/* rows of reject_samples kept a reason */
#define HOURLY_DAYS	90	/* days of ingest_hourly kept */

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
	int64_t		watch_lines, ratings, recos, accounts;
	int64_t		account_ts;	/* first create_account, 0: none */
};

/* A kind of line the parser does not know, and its lines this batch. */
struct agg_shape {
	size_t		shape;		/* arena offset */
	int64_t		lines;
	int64_t		first_ts;	/* ms, our clock */
};

struct agg_daily {
	int64_t		day;
	int32_t		movie;
	int32_t		minutes;	/* from lines */
	int32_t		viewers;	/* new viewers: derived at commit */
	int32_t		raters;		/* new raters: derived at commit */
};

/* A movie's new viewers and raters in this batch (derived at commit). */
struct agg_delta {
	int32_t		movie;
	int32_t		viewers, raters;
};

struct agg_sample {
	int64_t		ts;
	int		reason;
	size_t		line;		/* arena offset */
};

int
batch_reserve(struct batch *b, size_t len)
{
	return (vec_reserve(&b->watches, 1) == -1 ||
	    vec_reserve(&b->rates, 1) == -1 ||
	    vec_reserve(&b->users, 1) == -1 ||
	    vec_reserve(&b->daily, 1) == -1 ||
	    vec_reserve(&b->samples, 1) == -1 ||
	    vec_reserve(&b->shapes, 1) == -1 ||
	    hmap_reserve(&b->shape_ix, 1) == -1 ||
	    hmap_reserve(&b->watch_ix, 1) == -1 ||
	    hmap_reserve(&b->user_ix, 1) == -1 ||
	    hmap_reserve(&b->daily_ix, 1) == -1 ||
	    /* A sample: an escaped copy of the line. */
	    arena_reserve(&b->strs, (len < BATCH_SAMPLE_MAX ? len :
	    BATCH_SAMPLE_MAX) * 4 + 8 + BATCH_SHAPE_MAX + 1) == -1 ? -1 : 0);
}

/*
 * The entry of key (a, k2) in v through ix, appended (zeroed) when new;
 * *found says whether it was there.  NULL when out of memory.
 */
static void *
entry(struct hmap *ix, struct vec *v, int64_t a, int64_t k2, int *found)
{
	uint32_t	*i;

	if (vec_reserve(v, 1) == -1 ||
	    (i = hmap_put(ix, a, k2, (uint32_t)v->len, found)) == NULL)
		return (NULL);
	if (!*found)
		return (vec_push(v));
	return ((char *)v->p + (size_t)*i * v->size);
}

static struct agg_user *
user_of(struct batch *b, int64_t user, int64_t ts)
{
	struct agg_user	*u;
	int		 found;

	if ((u = entry(&b->user_ix, &b->users, user, 0, &found)) == NULL)
		return (NULL);
	if (!found) {
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
daily_of(struct batch *b, int64_t day, int32_t movie)
{
	struct agg_daily	*d;
	int			 found;

	if ((d = entry(&b->daily_ix, &b->daily, day, movie, &found)) != NULL &&
	    !found) {
		d->day = day;
		d->movie = movie;
	}
	return (d);
}

static void
taken(struct batch *b, int kind, int64_t ts)
{
	if (ts > b->last_ts)
		b->last_ts = ts;
	b->acc[kind]++;
	b->pending++;
}

void
batch_watch(struct batch *b, const struct parse_event *ev, int32_t movie)
{
	struct agg_watch	*a;
	int			 found;

	if ((a = entry(&b->watch_ix, &b->watches, ev->user, movie,
	    &found)) == NULL)
		return;
	if (!found) {
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
	daily_of(b, ev->ts_ms / DAY_MS, movie)->minutes++;
	user_of(b, ev->user, ev->ts_ms)->watch_lines++;
	taken(b, PARSE_WATCH, ev->ts_ms);
}

void
batch_rate(struct batch *b, const struct parse_event *ev, int32_t movie)
{
	struct agg_rate	*r;

	r = vec_push(&b->rates);
	r->user = ev->user;
	r->movie = movie;
	r->rating = ev->rating;
	r->ts = ev->ts_ms;
	user_of(b, ev->user, ev->ts_ms)->ratings++;
	taken(b, PARSE_RATE, ev->ts_ms);
}

void
batch_reco(struct batch *b, const struct parse_event *ev)
{
	user_of(b, ev->user, ev->ts_ms)->recos++;
	taken(b, PARSE_RECO, ev->ts_ms);
}

void
batch_account(struct batch *b, const struct parse_event *ev)
{
	struct agg_user	*u;

	if ((u = user_of(b, ev->user, ev->ts_ms)) != NULL) {
		u->accounts++;
		if (u->account_ts == 0 || ev->ts_ms < u->account_ts)
			u->account_ts = ev->ts_ms;
	}
	taken(b, PARSE_ACCOUNT, ev->ts_ms);
}

void
batch_count_line(struct batch *b)
{
	b->pending++;
}

/* A uniform draw in 0..n-1 (n > 0): xorshift64*, good enough to sample. */
static uint64_t
draw(struct batch *b, uint64_t n)
{
	b->rng ^= b->rng >> 12;
	b->rng ^= b->rng << 25;
	b->rng ^= b->rng >> 27;
	return ((b->rng * 0x2545f4914f6cdd1dULL >> 11) % n);
}

/* The n-th line of reason (1-based) enters its reservoir or not. */
static void
sample(struct batch *b, int reason, const char *line, size_t len,
    uint64_t n, int64_t now)
{
	struct agg_sample	*s;
	char			 buf[BATCH_SAMPLE_MAX * 4 + 4];
	size_t			 i, o = 0;
	uint64_t		 slot;
	unsigned char		 c;

	/* Algorithm R: the first BATCH_SAMPLES, then each with k/n. */
	if (n <= BATCH_SAMPLES)
		slot = n - 1;
	else if ((slot = draw(b, n)) >= BATCH_SAMPLES)
		return;
	/* Keep a printable copy: control and non-ASCII bytes as \xNN. */
	for (i = 0; i < len && i < BATCH_SAMPLE_MAX; i++) {
		c = (unsigned char)line[i];
		if (c >= 0x20 && c < 0x7f && c != '\\')
			buf[o++] = (char)c;
		else
			o += (size_t)snprintf(buf + o, sizeof(buf) - o,
			    "\\x%02x", c);
	}
	if (len > BATCH_SAMPLE_MAX)
		o += (size_t)snprintf(buf + o, sizeof(buf) - o, "...");
	if (n <= BATCH_SAMPLES) {
		if ((s = vec_push(&b->samples)) == NULL)
			return;
		b->sample_ix[reason][slot] = (uint32_t)(b->samples.len - 1);
	} else
		s = VEC_AT(&b->samples, struct agg_sample,
		    b->sample_ix[reason][slot]);
	s->ts = now;
	s->reason = reason;
	/* Reserved by batch_reserve; a replaced copy stays till the clear. */
	s->line = arena_add(&b->strs, buf, o);
}

/* Count a bad_request line by its shape (parse_shape). */
static void
count_shape(struct batch *b, const char *line, size_t len, int64_t now)
{
	struct agg_shape	*a;
	char			 shape[BATCH_SHAPE_MAX + 1];
	int64_t			 h1, h2;
	uint32_t		*ix;
	int			 found;

	parse_shape(line, len, shape, sizeof(shape));
	if (b->shapes.len >= BATCH_SHAPES)
		snprintf(shape, sizeof(shape), "?");
	hmap_str_key(shape, &h1, &h2);
	if ((ix = hmap_put(&b->shape_ix, h1, h2, (uint32_t)b->shapes.len,
	    &found)) == NULL)
		return;
	if (found) {
		VEC_AT(&b->shapes, struct agg_shape, *ix)->lines++;
		return;
	}
	a = vec_push(&b->shapes);
	a->shape = arena_add(&b->strs, shape, strlen(shape));
	a->lines = 1;
	a->first_ts = now;
}

void
batch_refuse(struct batch *b, int reason, const char *line, size_t len)
{
	struct timespec	ts;
	int64_t		now;

	b->rej[reason]++;
	b->pending++;
	if (line == NULL)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	now = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	sample(b, reason, line, len, ++b->sampled[reason], now);
	if (reason == PARSE_ERR_REQUEST)
		count_shape(b, line, len, now);
}

static int
delta(struct batch *b, int32_t movie, int viewers, int raters)
{
	struct agg_delta	*d;
	int			 found;

	if ((d = entry(&b->delta_ix, &b->deltas, movie, 0, &found)) == NULL)
		return (-1);
	d->movie = movie;
	d->viewers += viewers;
	d->raters += raters;
	return (0);
}

/* A new viewer or rater of movie on day: counted per day and per movie. */
static int
newcomer(struct batch *b, int64_t day, int32_t movie, int viewer)
{
	struct agg_daily	*d;

	if ((d = daily_of(b, day, movie)) == NULL ||
	    delta(b, movie, viewer, !viewer) == -1)
		return (-1);
	if (viewer)
		d->viewers++;
	else
		d->raters++;
	return (0);
}

static int
write_watches(struct batch *b, int64_t *newwatches)
{
	struct agg_watch	*a;
	size_t			 i;

	for (i = 0; i < b->watches.len; i++) {
		a = VEC_AT(&b->watches, struct agg_watch, i);
		/*
		 * Insert, else add to the row: two plain statements cost half
		 * an upsert with RETURNING (a bulk import's rows are new).
		 */
		if (sql_row(b->st_watch_ins, "watches", "IiiiII", a->user,
		    a->movie, a->minutes, a->max_minute, a->first_ts,
		    a->last_ts) == -1)
			return (-1);
		if (sqlite3_changes(sqlite3_db_handle(b->st_watch_ins)) == 0) {
			if (sql_row(b->st_watch_upd, "watches", "IiiiII",
			    a->user, a->movie, a->minutes, a->max_minute,
			    a->first_ts, a->last_ts) == -1)
				return (-1);
		} else {
			if (newcomer(b, a->first_ts / DAY_MS, a->movie, 1) == -1)
				return (-1);
			(*newwatches)++;
		}
	}
	return (0);
}

static int
write_rates(struct batch *b, int64_t *newratings)
{
	struct agg_rate	*r;
	size_t		 i;

	for (i = 0; i < b->rates.len; i++) {
		r = VEC_AT(&b->rates, struct agg_rate, i);
		if (sql_row(b->st_rate_ins, "ratings", "IiiI", r->user,
		    r->movie, r->rating, r->ts) == -1)
			return (-1);
		if (sqlite3_changes(sqlite3_db_handle(b->st_rate_ins)) == 1) {
			if (newcomer(b, r->ts / DAY_MS, r->movie, 0) == -1)
				return (-1);
			(*newratings)++;
			continue;
		}
		/* Known pair: the latest rating wins. */
		if (sql_row(b->st_rate_upd, "ratings", "IiiI", r->user,
		    r->movie, r->rating, r->ts) == -1)
			return (-1);
	}
	return (0);
}

/* Is the new user id an outlier of the ids known (see batch.h)? */
static int
outlier(struct batch *b, int64_t id)
{
	if (b->nusers >= BATCH_OUTLIER_USERS &&
	    (double)id > (double)b->user_max * BATCH_OUTLIER_FACTOR)
		return (1);
	if (id > b->user_max)
		b->user_max = id;
	return (0);
}

static int
write_users(struct batch *b, int64_t *newusers)
{
	struct agg_user	*u;
	int64_t		 now = clock_now_ms(), total, max = b->user_max;
	int64_t		 known = b->nusers;
	size_t		 i;

	/*
	 * Increasing from batch to batch, whatever the wall clock does: a
	 * training that sees stamp T has every change stamped up to T.
	 */
	if (now <= b->stamp)
		now = b->stamp + 1;
	b->stamp = now;

	b->outliers = 0;
	for (i = 0; i < b->users.len; i++) {
		u = VEC_AT(&b->users, struct agg_user, i);
		if (sql_row_value(b->st_user, "users", &total, "IIIIIIII",
		    u->user, u->first_ts, u->last_ts, u->watch_lines,
		    u->ratings, u->recos, now, u->accounts) == -1 ||
		    (u->account_ts > 0 && sql_row(b->st_account, "users", "II",
		    u->user, u->account_ts) == -1)) {
			/* A retry starts from the range it had. */
			b->user_max = max;
			b->nusers = known;
			return (-1);
		}
		/* New iff its totals are this batch's. */
		if (total == u->watch_lines + u->ratings + u->recos +
		    u->accounts) {
			(*newusers)++;
			b->outliers += outlier(b, u->user);
			b->nusers++;
		}
	}
	return (0);
}

static int
write_daily(struct batch *b)
{
	struct agg_daily	*d;
	struct agg_delta	*m;
	size_t			 i;

	for (i = 0; i < b->daily.len; i++) {
		d = VEC_AT(&b->daily, struct agg_daily, i);
		if (sql_row(b->st_daily, "movie_daily", "Iiiii", d->day,
		    d->movie, d->viewers, d->minutes, d->raters) == -1)
			return (-1);
	}
	for (i = 0; i < b->deltas.len; i++) {
		m = VEC_AT(&b->deltas, struct agg_delta, i);
		if (sql_row(b->st_delta, "movies", "iii", m->movie,
		    m->viewers, m->raters) == -1)
			return (-1);
	}
	return (0);
}

int
batch_write_events(struct batch *b, int64_t *newwatches, int64_t *newratings,
    int64_t *newusers)
{
	struct agg_daily	*d;
	size_t			 i;

	/* Derived counts are computed anew by every attempt. */
	*newwatches = *newratings = *newusers = 0;
	hmap_clear(&b->delta_ix);
	b->deltas.len = 0;
	for (i = 0; i < b->daily.len; i++) {
		d = VEC_AT(&b->daily, struct agg_daily, i);
		d->viewers = d->raters = 0;
	}
	return (write_watches(b, newwatches) == -1 ||
	    write_rates(b, newratings) == -1 || write_users(b, newusers) == -1 ||
	    write_daily(b) == -1 ? -1 : 0);
}

static int
count(struct batch *b, const char *name, int64_t delta_v, int max)
{
	if (delta_v == 0 && !max)
		return (0);
	return (sql_row(max ? b->st_count_max : b->st_count, "counters", "tI",
	    name, delta_v));
}

static int
write_shapes(struct batch *b)
{
	struct agg_shape	*a;
	size_t			 i;

	for (i = 0; i < b->shapes.len; i++) {
		a = VEC_AT(&b->shapes, struct agg_shape, i);
		if (a->shape != ARENA_NONE && sql_row(b->st_shape,
		    "line_shapes", "tII", ARENA_AT(&b->strs, a->shape),
		    a->first_ts, a->lines) == -1)
			return (-1);
	}
	return (0);
}

/* This batch's lines in the hour of now, by outcome; old hours pruned. */
static int
write_hourly(struct batch *b)
{
	int64_t	hour = clock_now_ms() / 3600000, ok = 0;
	int	k;

	for (k = PARSE_WATCH; k < PARSE_NKINDS; k++)
		ok += (int64_t)b->acc[k];
	if (ok > 0 && sql_row(b->st_hourly, "ingest_hourly", "ItI", hour,
	    "ok", ok) == -1)
		return (-1);
	for (k = 1; k < PARSE_NREASONS; k++)
		if (b->rej[k] > 0 && sql_row(b->st_hourly, "ingest_hourly",
		    "ItI", hour, parse_reason_name(k), (int64_t)b->rej[k]) ==
		    -1)
			return (-1);
	if (hour != b->pruned_hour) {
		if (sql_row(b->st_prune, "ingest_hourly", "I",
		    hour - HOURLY_DAYS * 24) == -1)
			return (-1);
		b->pruned_hour = hour;
	}
	return (0);
}

int
batch_write_counters(struct batch *b, int64_t newmovies, int64_t newwatches,
    int64_t newratings, int64_t newusers, int64_t lists)
{
	struct agg_sample	*s;
	char			 name[64];
	size_t			 i;
	int			 k;

	for (k = PARSE_WATCH; k < PARSE_NKINDS; k++) {
		snprintf(name, sizeof(name), "accepted_%s",
		    parse_kind_name(k));
		if (count(b, name, (int64_t)b->acc[k], 0) == -1)
			return (-1);
	}
	for (k = 1; k < PARSE_NREASONS; k++) {
		snprintf(name, sizeof(name), "rejected_%s",
		    parse_reason_name(k));
		if (count(b, name, (int64_t)b->rej[k], 0) == -1)
			return (-1);
	}
	if (count(b, "movies", newmovies, 0) == -1 ||
	    count(b, "watches", newwatches, 0) == -1 ||
	    count(b, "ratings", newratings, 0) == -1 ||
	    count(b, "users", newusers, 0) == -1 ||
	    count(b, "recos", lists, 0) == -1 ||
	    count(b, "accounts", (int64_t)b->acc[PARSE_ACCOUNT], 0) == -1 ||
	    count(b, "users_outlier", b->outliers, 0) == -1 ||
	    (b->last_ts > 0 && count(b, "last_event_ms", b->last_ts, 1) == -1))
		return (-1);
	for (i = 0; i < b->samples.len; i++) {
		s = VEC_AT(&b->samples, struct agg_sample, i);
		if (s->line != ARENA_NONE && sql_row(b->st_sample,
		    "reject_samples", "Itt", s->ts, parse_reason_name(s->reason),
		    ARENA_AT(&b->strs, s->line)) == -1)
			return (-1);
	}
	for (k = 1; k < PARSE_NREASONS; k++)
		if (b->sampled[k] > 0 && sql_row(b->st_trim, "reject_samples",
		    "t", parse_reason_name(k)) == -1)
			return (-1);
	return (write_shapes(b) == -1 || write_hourly(b) == -1 ? -1 : 0);
}

void
batch_clear(struct batch *b)
{
	hmap_clear(&b->watch_ix);
	hmap_clear(&b->user_ix);
	hmap_clear(&b->daily_ix);
	b->watches.len = b->rates.len = b->users.len = b->daily.len = 0;
	b->samples.len = 0;
	b->shapes.len = 0;
	hmap_clear(&b->shape_ix);
	memset(b->sampled, 0, sizeof(b->sampled));
	b->strs.len = 0;
	b->pending = 0;
	memset(b->acc, 0, sizeof(b->acc));
	memset(b->rej, 0, sizeof(b->rej));
}

static int
statements(struct batch *b, struct sql_stmt *s)
{
	const struct sql_stmt	 all[] = {
	    { &b->st_watch_ins,
		"INSERT INTO watches VALUES (?1, ?2, ?3, ?4, ?5, ?6) "
		"ON CONFLICT DO NOTHING" },
	    { &b->st_watch_upd,
		"UPDATE watches SET minutes = minutes + ?3, max_minute = "
		"MAX(max_minute, ?4), first_ts = MIN(first_ts, ?5), last_ts = "
		"MAX(last_ts, ?6) WHERE user_id = ?1 AND movie_id = ?2" },
	    { &b->st_rate_ins,
		"INSERT INTO ratings VALUES (?1, ?2, ?3, ?4) "
		"ON CONFLICT DO NOTHING" },
	    { &b->st_rate_upd,
		"UPDATE ratings SET rating = ?3, ts = ?4 "
		"WHERE user_id = ?1 AND movie_id = ?2 AND ts <= ?4" },
	    { &b->st_user,
		"INSERT INTO users (id, first_ts, last_ts, watch_lines, "
		"ratings, recos, updated_ms, accounts) VALUES (?1, ?2, ?3, ?4, "
		"?5, ?6, CASE WHEN ?4 + ?5 > 0 THEN ?7 ELSE 0 END, ?8) "
		"ON CONFLICT DO UPDATE SET first_ts = MIN(first_ts, "
		"excluded.first_ts), last_ts = MAX(last_ts, excluded.last_ts), "
		"watch_lines = watch_lines + excluded.watch_lines, "
		"ratings = ratings + excluded.ratings, "
		"recos = recos + excluded.recos, "
		"accounts = accounts + excluded.accounts, "
		"updated_ms = MAX(updated_ms, excluded.updated_ms) "
		"RETURNING watch_lines + ratings + recos + accounts" },
	    { &b->st_account,
		"UPDATE users SET account_ts = MIN(COALESCE(account_ts, ?2), "
		"?2) WHERE id = ?1" },
	    { &b->st_daily,
		"INSERT INTO movie_daily VALUES (?1, ?2, ?3, ?4, ?5) "
		"ON CONFLICT DO UPDATE SET viewers = viewers + "
		"excluded.viewers, minutes = minutes + excluded.minutes, "
		"raters = raters + excluded.raters" },
	    { &b->st_delta,
		"UPDATE movies SET viewers = viewers + ?2, raters = raters + "
		"?3 WHERE id = ?1" },
	    { &b->st_count,
		"INSERT INTO counters VALUES (?1, ?2) "
		"ON CONFLICT DO UPDATE SET value = value + excluded.value" },
	    { &b->st_count_max,
		"INSERT INTO counters VALUES (?1, ?2) "
		"ON CONFLICT DO UPDATE SET value = MAX(value, excluded.value)" },
	    { &b->st_sample,
		"INSERT INTO reject_samples (ts, reason, line) "
		"VALUES (?1, ?2, ?3)" },
	    { &b->st_trim,
		"DELETE FROM reject_samples WHERE reason = ?1 AND id <= "
		"(SELECT MAX(id) FROM reject_samples WHERE reason = ?1) - "
		SAMPLES_KEPT },
	    { &b->st_shape,
		"INSERT INTO line_shapes VALUES (?1, ?2, ?2, ?3) "
		"ON CONFLICT DO UPDATE SET last_ts = MAX(last_ts, "
		"excluded.last_ts), lines = lines + excluded.lines" },
	    { &b->st_hourly,
		"INSERT INTO ingest_hourly VALUES (?1, ?2, ?3) "
		"ON CONFLICT DO UPDATE SET lines = lines + excluded.lines" },
	    { &b->st_prune,
		"DELETE FROM ingest_hourly WHERE hour < ?1" },
	};

	memcpy(s, all, sizeof(all));
	return ((int)(sizeof(all) / sizeof(all[0])));
}

int
batch_open(struct batch *b, sqlite3 *db)
{
	struct sql_stmt	s[20];
	sqlite3_stmt	*st = NULL;
	int		n;

	memset(b, 0, sizeof(*b));
	b->watches.size = sizeof(struct agg_watch);
	b->rates.size = sizeof(struct agg_rate);
	b->users.size = sizeof(struct agg_user);
	b->daily.size = sizeof(struct agg_daily);
	b->deltas.size = sizeof(struct agg_delta);
	b->samples.size = sizeof(struct agg_sample);
	b->shapes.size = sizeof(struct agg_shape);
	b->rng = 0x9e3779b97f4a7c15ULL ^ (uint64_t)clock_now_ms();
	n = statements(b, s);
	if (sql_prepare_all(db, s, (size_t)n) == -1) {
		batch_close(b);
		return (-1);
	}
	/* The stamps go on from the newest, whatever the clock did since. */
	if (sqlite3_prepare_v2(db, "SELECT COUNT(*), COALESCE(MAX(id), 0), "
	    "COALESCE(MAX(updated_ms), 0) FROM users", -1, &st, NULL) !=
	    SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW) {
		fprintf(stderr, "cinerec: cannot read the users: %s\n",
		    sqlite3_errmsg(db));
		sqlite3_finalize(st);
		batch_close(b);
		return (-1);
	}
	b->nusers = sqlite3_column_int64(st, 0);
	b->user_max = sqlite3_column_int64(st, 1);
	b->stamp = sqlite3_column_int64(st, 2);
	sqlite3_finalize(st);
	return (0);
}

void
batch_close(struct batch *b)
{
	struct sql_stmt	s[20];
	int		n = statements(b, s);

	sql_finalize_all(s, (size_t)n);
	hmap_free(&b->watch_ix);
	hmap_free(&b->user_ix);
	hmap_free(&b->daily_ix);
	hmap_free(&b->delta_ix);
	hmap_free(&b->shape_ix);
	vec_free(&b->shapes);
	vec_free(&b->watches);
	vec_free(&b->rates);
	vec_free(&b->users);
	vec_free(&b->daily);
	vec_free(&b->deltas);
	vec_free(&b->samples);
	arena_free(&b->strs);
}

size_t
batch_nusers(const struct batch *b)
{
	return (b->users.len);
}

size_t
batch_changed(const struct batch *b, int64_t *out, size_t max)
{
	const struct agg_user	*u;
	size_t			 i, n = 0;

	for (i = 0; i < b->users.len && n < max; i++) {
		u = VEC_AT(&b->users, const struct agg_user, i);
		if (u->watch_lines + u->ratings > 0)
			out[n++] = u->user;
	}
	return (n);
}
