/*
 * Incremental click-through (see ctr.h).  Lists live in a vector indexed by
 * a per-user hash; a handle is a list's position in that vector plus a
 * generation, so a handle of a replaced or aged-out list is recognised.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "telemetry/ctr.h"
#include "util/vec.h"
#include "util/hmap.h"
#include "util/log.h"
#include "store/logstore.h"
#include "telemetry/reclog.h"

#define DAY_MS		86400000LL
#define HOUR_MS		3600000LL
#define FOLLOW_24H	DAY_MS

struct list {
	int64_t		user, ts;
	int64_t		log_id;		/* the list's id (reco_log) */
	int64_t		model_version;
	char		arm[CTR_ARM_MAX];
	int		source;
	int		n;
	int		rank;		/* followed rank, 0 if not (yet) */
	int32_t		movie[CTR_TRACKED];
};

const int ctr_slow_ms[CTR_SLOW_N] = { 1, 2, 5, 20, 100 };

/* A reco_stats row's deltas in this batch. */
struct stat {
	int64_t		hour, model_version;
	int		source;
	char		arm[CTR_ARM_MAX];
	int64_t		lists, nonempty, personal, followed, rank_sum;
	int64_t		minutes, latency;
	int64_t		over[CTR_SLOW_N];	/* lists slower than ctr_slow_ms */
	int64_t		users;		/* lists that were a user's first */
};

/* A followed rank for a list committed in an earlier batch. */
struct follow {
	int64_t		log_id;
	int		rank;
};

/*
 * reco_movie_daily deltas of one day, by movie id (ids are dense): counting
 * a served list's 20 movies is 20 increments.
 */
struct slotday {
	int64_t		 day;
	int64_t		*n;		/* slots per movie id, cap entries */
	size_t		 cap;
};

struct ctr {
	int64_t		 window;	/* click window, ms */
	int64_t		 skew;		/* clocks' allowance, ms (>= 0) */
	struct list	*list;		/* live lists */
	size_t		 nlist, caplist;
	struct hmap	 byuser;	/* user -> index in list */
	struct stat	*stat;		/* batch deltas */
	size_t		 nstat, capstat;
	struct slotday	*days;		/* deltas not yet written, ndays */
	size_t		 ndays, capdays;	/* capdays allocated */
	size_t		 nslots;	/* (day, movie) entries pending */
	int		 slots_written;	/* in the current transaction */
	struct follow	*follow;	/* ranks to store in reco_log rows */
	size_t		 nfollow, capfollow;
	size_t		 laststat;	/* stat_of's last answer */
	int64_t		 swept;		/* when lists were last aged out */
};

struct ctr *
ctr_new(int64_t window_ms)
{
	struct ctr	*c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return (NULL);
	c->window = window_ms;
	c->skew = CTR_SKEW_MS;
	return (c);
}

void
ctr_free(struct ctr *c)
{
	size_t	i;

	if (c == NULL)
		return;
	free(c->list);
	free(c->stat);
	for (i = 0; i < c->capdays; i++)
		free(c->days[i].n);
	free(c->days);
	free(c->follow);
	hmap_free(&c->byuser);
	free(c);
}

void
ctr_set_skew(struct ctr *c, int64_t skew_ms)
{
	c->skew = skew_ms > 0 ? skew_ms : 0;
}

void
ctr_set_window(struct ctr *c, int64_t window_ms)
{
	c->window = window_ms;
}

/* The batch's reco_stats entry for a list, created if new. */
static struct stat *
stat_of(struct ctr *c, const struct list *l)
{
	struct stat	*s;
	int64_t		 hour = l->ts / HOUR_MS;
	size_t		 i;

	/* Lists come in runs of the same hour, model and arm. */
	if (c->laststat < c->nstat) {
		s = &c->stat[c->laststat];
		if (s->hour == hour && s->source == l->source &&
		    s->model_version == l->model_version &&
		    strcmp(s->arm, l->arm) == 0)
			return (s);
	}
	for (i = 0; i < c->nstat; i++) {
		s = &c->stat[i];
		if (s->hour == hour && s->source == l->source &&
		    s->model_version == l->model_version &&
		    strcmp(s->arm, l->arm) == 0) {
			c->laststat = i;
			return (s);
		}
	}
	if (vec_grow((void **)&c->stat, &c->capstat, c->nstat + 1,
	    sizeof(*c->stat)) == -1)
		return (NULL);
	c->laststat = c->nstat;
	s = &c->stat[c->nstat++];
	memset(s, 0, sizeof(*s));
	s->hour = hour;
	s->source = l->source;
	s->model_version = l->model_version;
	snprintf(s->arm, sizeof(s->arm), "%s", l->arm);
	return (s);
}

/* The slot counts of day, added when new; NULL when out of memory. */
static struct slotday *
day_of(struct ctr *c, int64_t day)
{
	size_t	i;

	for (i = 0; i < c->ndays && c->days[i].day != day; i++)
		;
	if (i == c->ndays) {
		/* Arrays of earlier batches are reused (kept zeroed). */
		if (vec_grow((void **)&c->days, &c->capdays, c->ndays + 1,
		    sizeof(*c->days)) == -1)
			return (NULL);
		c->days[c->ndays++].day = day;
	}
	return (&c->days[i]);
}

static int
count_slot(struct ctr *c, int64_t day, int32_t movie)
{
	struct slotday	*d;

	if ((d = day_of(c, day)) == NULL ||
	    vec_grow((void **)&d->n, &d->cap, (size_t)movie + 1,
	    sizeof(*d->n)) == -1)
		return (-1);
	if (d->n[movie]++ == 0)
		c->nslots++;
	return (0);
}

/*
 * Room for the slots of the movies (ids > 0) on day, so that count_slot
 * cannot fail for them.  0 or -1 (out of memory).
 */
static int
slots_reserve(struct ctr *c, int64_t day, const int32_t *movies, size_t n)
{
	struct slotday	*d;
	size_t		 i;
	int32_t		 max = 0;

	for (i = 0; i < n; i++)
		if (movies[i] > max)
			max = movies[i];
	if (max == 0)
		return (0);
	if ((d = day_of(c, day)) == NULL)
		return (-1);
	return (vec_grow((void **)&d->n, &d->cap, (size_t)max + 1,
	    sizeof(*d->n)));
}

/* ctr_list's work; the list, or NULL when out of memory. */
static struct list *
list_add(struct ctr *c, int64_t log_id, int64_t user, int64_t ts,
    const int32_t *movies, size_t n, int source, int64_t model_version,
    const char *arm, int64_t latency_us, int personal)
{
	struct list	*l;
	struct stat	*s;
	uint32_t	*ix;
	size_t		 i;
	int		 found, first;

	if (c->nlist >= UINT32_MAX)
		return (NULL);
	/* Room first: a failure leaves the map and the lists as they were. */
	if (vec_grow((void **)&c->list, &c->caplist, c->nlist + 1,
	    sizeof(*c->list)) == -1 || hmap_reserve(&c->byuser, 1) == -1 ||
	    vec_grow((void **)&c->stat, &c->capstat, c->nstat + 1,
	    sizeof(*c->stat)) == -1 || (source == CTR_SERVED &&
	    slots_reserve(c, ts / DAY_MS, movies, n < CTR_TRACKED ? n :
	    CTR_TRACKED) == -1))
		return (NULL);
	if ((ix = hmap_put(&c->byuser, user, 0, (uint32_t)c->nlist,
	    &found)) == NULL)
		return (NULL);
	if (!found)
		c->nlist++;
	l = &c->list[*ix];
	/* A user's first list of the day under this arm (or none). */
	first = !found || strcmp(l->arm, arm != NULL ? arm : "") != 0;
	memset(l, 0, sizeof(*l));
	l->log_id = log_id;
	l->user = user;
	l->ts = ts;
	l->source = source;
	l->model_version = model_version;
	if (arm != NULL) {
		for (i = 0; i < sizeof(l->arm) - 1 && arm[i] != '\0'; i++)
			l->arm[i] = arm[i];
		l->arm[i] = '\0';
	}
	l->n = n < CTR_TRACKED ? (int)n : CTR_TRACKED;
	memcpy(l->movie, movies, (size_t)l->n * sizeof(*movies));

	if ((s = stat_of(c, l)) == NULL)
		return (NULL);
	s->lists++;
	s->users += first;
	s->nonempty += n > 0;
	s->personal += personal > 0;
	s->latency += latency_us;
	for (i = 0; i < CTR_SLOW_N; i++)
		s->over[i] += latency_us > ctr_slow_ms[i] * 1000;
	if (source == CTR_SERVED)
		for (i = 0; i < (size_t)l->n; i++)
			if (l->movie[i] > 0 &&
			    count_slot(c, ts / DAY_MS, l->movie[i]) == -1)
				return (NULL);
	return (l);
}

int
ctr_list(struct ctr *c, int64_t log_id, int64_t user, int64_t ts,
    const int32_t *movies, size_t n, int source, int64_t model_version,
    const char *arm, int64_t latency_us, int personal)
{
	return (list_add(c, log_id, user, ts, movies, n, source, model_version,
	    arm, latency_us, personal) != NULL ? 0 : -1);
}

void
ctr_watch(struct ctr *c, int64_t user, int32_t movie, int64_t ts)
{
	struct list	*l;
	struct stat	*s;
	uint32_t	*ix;
	int		 i;

	if ((ix = hmap_get(&c->byuser, user, 0)) == NULL)
		return;
	l = &c->list[*ix];
	if (ts + c->skew < l->ts || ts - l->ts > FOLLOW_24H)
		return;
	for (i = 0; i < l->n && l->movie[i] != movie; i++)
		;
	if (i == l->n || (s = stat_of(c, l)) == NULL)
		return;
	s->minutes++;
	if (l->rank == 0 && ts - l->ts <= c->window) {
		l->rank = i + 1;
		s->followed++;
		s->rank_sum += l->rank;
		if (vec_grow((void **)&c->follow,
		    &c->capfollow, c->nfollow + 1, sizeof(*c->follow)) == 0) {
			c->follow[c->nfollow].log_id = l->log_id;
			c->follow[c->nfollow].rank = l->rank;
			c->nfollow++;
		}
	}
}

static int
exec_stat(sqlite3 *db, sqlite3_stmt *st, const struct stat *s)
{
	int	rc, i;

	sqlite3_bind_int64(st, 1, s->hour);
	sqlite3_bind_text(st, 2, s->source == CTR_SERVED ? "served" :
	    "external", -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, s->model_version);
	sqlite3_bind_text(st, 4, s->arm, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, s->lists);
	sqlite3_bind_int64(st, 6, s->nonempty);
	sqlite3_bind_int64(st, 7, s->personal);
	sqlite3_bind_int64(st, 8, s->followed);
	sqlite3_bind_int64(st, 9, s->rank_sum);
	sqlite3_bind_int64(st, 10, s->minutes);
	sqlite3_bind_int64(st, 11, s->latency);
	for (i = 0; i < CTR_SLOW_N; i++)
		sqlite3_bind_int64(st, 12 + i, s->over[i]);
	sqlite3_bind_int64(st, 17, s->users);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		log_warnx("ctr: %s", sqlite3_errmsg(db));
	return (rc == SQLITE_DONE ? 0 : -1);
}

/* The slot deltas. */
static int
write_slots(struct ctr *c, sqlite3 *db)
{
	sqlite3_stmt	*st;
	size_t		 i, m;
	int		 rc = -1;

	if (sqlite3_prepare_v2(db, "INSERT INTO reco_movie_daily VALUES "
	    "(?1, ?2, ?3) ON CONFLICT DO UPDATE SET slots = slots + "
	    "excluded.slots", -1, &st, NULL) != SQLITE_OK)
		return (-1);
	for (i = 0; i < c->ndays; i++) {
		for (m = 0; m < c->days[i].cap; m++) {
			if (c->days[i].n[m] == 0)
				continue;
			sqlite3_bind_int64(st, 1, c->days[i].day);
			sqlite3_bind_int64(st, 2, (int64_t)m);
			sqlite3_bind_int64(st, 3, c->days[i].n[m]);
			if (sqlite3_step(st) != SQLITE_DONE)
				goto out;
			sqlite3_reset(st);
		}
	}
	rc = 0;
out:
	sqlite3_finalize(st);
	return (rc);
}

int
ctr_write(struct ctr *c, sqlite3 *db, int slots)
{
	sqlite3_stmt	*st = NULL;
	size_t		 i;
	int		 rc = -1;

	c->slots_written = 0;
	if (c->nstat > 0) {
		if (sqlite3_prepare_v2(db, "INSERT INTO reco_stats VALUES (?1, "
		    "?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, "
		    "?16, ?17) ON CONFLICT DO UPDATE SET users = users + "
		    "excluded.users, over_1ms = over_1ms + "
		    "excluded.over_1ms, over_2ms = over_2ms + excluded.over_2ms, "
		    "over_5ms = over_5ms + excluded.over_5ms, over_20ms = "
		    "over_20ms + excluded.over_20ms, over_100ms = over_100ms + "
		    "excluded.over_100ms, lists = lists + excluded.lists, nonempty = "
		    "nonempty + excluded.nonempty, personal = personal + "
		    "excluded.personal, followed = followed + excluded.followed, "
		    "rank_sum = rank_sum + excluded.rank_sum, minutes_24h = "
		    "minutes_24h + excluded.minutes_24h, latency_us_sum = "
		    "latency_us_sum + excluded.latency_us_sum", -1, &st, NULL) !=
		    SQLITE_OK)
			goto out;
		for (i = 0; i < c->nstat; i++)
			if (exec_stat(db, st, &c->stat[i]) == -1)
				goto out;
		sqlite3_finalize(st);
		st = NULL;
	}
	if (slots && c->nslots > 0) {
		if (write_slots(c, db) == -1)
			goto out;
		c->slots_written = 1;
	}
	if (c->nfollow > 0) {
		if (sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO reco_follows "
		    "VALUES (?1, ?2)", -1, &st, NULL) != SQLITE_OK)
			goto out;
		for (i = 0; i < c->nfollow; i++) {
			sqlite3_bind_int64(st, 1, c->follow[i].log_id);
			sqlite3_bind_int(st, 2, c->follow[i].rank);
			if (sqlite3_step(st) != SQLITE_DONE)
				goto out;
			sqlite3_reset(st);
		}
	}
	rc = 0;
out:
	if (rc == -1)
		log_warnx("ctr: %s", sqlite3_errmsg(db));
	sqlite3_finalize(st);
	return (rc);
}

/* Drop lists older than a day before now: rebuild the index. */
static void
sweep(struct ctr *c, int64_t now_ms)
{
	size_t	i, k = 0;
	int	found;

	hmap_clear(&c->byuser);
	for (i = 0; i < c->nlist; i++) {
		if (now_ms - c->list[i].ts > FOLLOW_24H)
			continue;
		c->list[k] = c->list[i];
		(void)hmap_put(&c->byuser, c->list[k].user, 0, (uint32_t)k,
		    &found);
		k++;
	}
	c->nlist = k;
}

/* Forget the slot deltas (written): zero the arrays for reuse. */
static void
slots_clear(struct ctr *c)
{
	size_t	i;

	for (i = 0; i < c->ndays; i++) {
		memset(c->days[i].n, 0, c->days[i].cap *
		    sizeof(*c->days[i].n));
	}
	c->ndays = 0;
	c->nslots = 0;
}

void
ctr_committed(struct ctr *c, int64_t now_ms)
{
	c->nstat = c->nfollow = 0;
	if (c->slots_written) {
		slots_clear(c);
		c->slots_written = 0;
	}
	if (now_ms - c->swept > 60000) {
		c->swept = now_ms;
		sweep(c, now_ms);
	}
}

/*
 * One chunk's lists (text at first_id), newest first: each list of a user
 * with none loaded yet becomes the user's list.  A chunk that is not one
 * is logged and left out from the bad list on.  0, or -1 when out of
 * memory.
 */
static int
load_chunk(struct ctr *c, struct vec *ents, int64_t first_id,
    const char *text, int64_t since, sqlite3_stmt *st_rank)
{
	struct logstore_entry	*e;
	struct list		*l;
	const char		*p = text;
	size_t			 k;
	int			 rc;

	ents->len = 0;
	while ((e = vec_push(ents)) != NULL &&
	    (rc = logstore_chunk_next(&p, e, 0)) == 1)
		;
	if (e == NULL)
		return (-1);
	if (rc == -1)
		log_warnx("ctr: lists from %lld on are not readable, left out",
		    (long long)(first_id + (int64_t)ents->len - 1));
	for (k = ents->len - 1; k-- > 0; ) {
		e = VEC_AT(ents, struct logstore_entry, k);
		if (e->ts < since || hmap_get(&c->byuser, e->user, 0) != NULL)
			continue;
		p = e->at;
		if (logstore_chunk_next(&p, e, 1) != 1) {
			log_warnx("ctr: list %lld is not readable, left out",
			    (long long)(first_id + (int64_t)k));
			continue;
		}
		if ((l = list_add(c, first_id + (int64_t)k, e->user, e->ts,
		    e->ids, e->nids, e->source == CTR_SERVED ? CTR_SERVED :
		    CTR_EXTERNAL, e->model_version, e->arm, 0, 0)) == NULL)
			return (-1);
		sqlite3_bind_int64(st_rank, 1, l->log_id);
		if (sqlite3_step(st_rank) == SQLITE_ROW)
			l->rank = sqlite3_column_int(st_rank, 0);
		sqlite3_reset(st_rank);
	}
	return (0);
}

int
ctr_load(struct ctr *c, sqlite3 *db, int64_t now_ms, int64_t rolled)
{
	sqlite3_stmt	*st, *st_rank = NULL;
	struct vec	 ents = { .size = sizeof(struct logstore_entry) };
	int32_t		 movies[CTR_TRACKED];
	size_t		 n, i;
	int		 rc;

	/*
	 * The chunks of the last day (see 005_reco_ids.sql), newest first,
	 * so a user's newest list is the first one met: the rest of a
	 * user's lists cost a scan, not a list.
	 */
	if (sqlite3_prepare_v2(db, "SELECT first_id, lists FROM "
	    "reco_log_chunks WHERE last_id >= COALESCE((SELECT MIN(last_id) "
	    "FROM reco_log_chunks WHERE max_ts >= ?1), 0) AND max_ts >= ?1 "
	    "ORDER BY last_id DESC", -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "SELECT rank FROM reco_follows WHERE "
	    "log_id = ?1", -1, &st_rank, NULL) != SQLITE_OK) {
		sqlite3_finalize(st);
		return (-1);
	}
	sqlite3_bind_int64(st, 1, now_ms - FOLLOW_24H);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (sqlite3_column_type(st, 1) != SQLITE_TEXT) {
			log_warnx("ctr: the chunk of lists from %lld is no "
			    "text, left out", sqlite3_column_int64(st, 0));
			continue;
		}
		if (load_chunk(c, &ents, sqlite3_column_int64(st, 0),
		    (const char *)sqlite3_column_text(st, 1), now_ms - FOLLOW_24H,
		    st_rank) == -1) {
			rc = SQLITE_NOMEM;
			break;
		}
	}
	sqlite3_finalize(st);
	sqlite3_finalize(st_rank);
	vec_free(&ents);
	/* Reloading is not new traffic: no deltas. */
	c->nstat = c->nfollow = 0;
	slots_clear(c);
	if (rc != SQLITE_DONE)
		return (-1);

	/* Served rows after the last slot write: counted again. */
	if (sqlite3_prepare_v2(db, "SELECT c.first_id + j.key, j.value ->> 0, "
	    "j.value ->> 6 FROM reco_log_chunks c, json_each(c.lists) j WHERE "
	    "c.last_id > ?1 AND c.first_id + j.key > ?1 AND j.value ->> 2 = "
	    "0", -1, &st, NULL) != SQLITE_OK)
		return (-1);
	sqlite3_bind_int64(st, 1, rolled);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		n = reclog_parse_ids((const char *)sqlite3_column_text(st, 2), movies,
		    CTR_TRACKED);
		for (i = 0; i < n; i++)
			if (count_slot(c, sqlite3_column_int64(st, 1) / DAY_MS,
			    movies[i]) == -1)
				break;
		if (i < n) {
			rc = SQLITE_NOMEM;
			break;
		}
	}
	sqlite3_finalize(st);
	return (rc == SQLITE_DONE ? 0 : -1);
}
