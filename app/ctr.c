/*
 * Incremental click-through (see ctr.h).  Lists live in a vector indexed by
 * a per-user hash; a handle is a list's position in that vector plus a
 * generation, so a handle of a replaced or aged-out list is recognised.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctr.h"
#include "hmap.h"
#include "log.h"

#define DAY_MS		86400000LL
#define HOUR_MS		3600000LL
#define FOLLOW_24H	DAY_MS

struct list {
	int64_t		user, ts;
	int64_t		log_id;		/* reco_log row, 0 until committed */
	int64_t		model_version;
	int64_t		gen;		/* handle generation */
	char		arm[32];
	int		source;
	int		n;
	int		rank;		/* followed rank, 0 if not (yet) */
	int32_t		movie[CTR_TRACKED];
};

/* A reco_stats row's deltas in this batch. */
struct stat {
	int64_t		hour, model_version;
	int		source;
	char		arm[32];
	int64_t		lists, nonempty, personal, followed, rank_sum;
	int64_t		minutes, latency;
};

/* A followed rank for a list committed in an earlier batch. */
struct follow {
	int64_t		log_id;
	int		rank;
};

/* reco_movie_daily deltas in this batch. */
struct slot {
	int64_t		day;
	int32_t		movie;
	int64_t		n;
};

struct ctr {
	int64_t		 window;	/* click window, ms */
	struct list	*list;		/* live lists; user 0 + gen 0 = free */
	size_t		 nlist, caplist;
	struct hmap	 byuser;	/* user -> index in list */
	int64_t		 gen;
	struct stat	*stat;		/* batch deltas */
	size_t		 nstat, capstat;
	struct slot	*slot;
	size_t		 nslot, capslot;
	struct hmap	 slot_ix;	/* (day, movie) -> index in slot */
	struct follow	*follow;	/* ranks to store in reco_log rows */
	size_t		 nfollow, capfollow;
	int64_t		 swept;		/* when lists were last aged out */
};

static int
grow(void **p, size_t *cap, size_t need, size_t size)
{
	void	*np;
	size_t	 ncap;

	if (need <= *cap)
		return (0);
	ncap = *cap ? *cap * 2 : 64;
	while (ncap < need)
		ncap *= 2;
	if ((np = realloc(*p, ncap * size)) == NULL)
		return (-1);
	*p = np;
	*cap = ncap;
	return (0);
}

struct ctr *
ctr_new(int64_t window_ms)
{
	struct ctr	*c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return (NULL);
	c->window = window_ms;
	return (c);
}

void
ctr_free(struct ctr *c)
{
	if (c == NULL)
		return;
	free(c->list);
	free(c->stat);
	free(c->slot);
	free(c->follow);
	hmap_free(&c->byuser);
	hmap_free(&c->slot_ix);
	free(c);
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

	for (i = 0; i < c->nstat; i++) {
		s = &c->stat[i];
		if (s->hour == hour && s->source == l->source &&
		    s->model_version == l->model_version &&
		    strcmp(s->arm, l->arm) == 0)
			return (s);
	}
	if (grow((void **)&c->stat, &c->capstat, c->nstat + 1,
	    sizeof(*c->stat)) == -1)
		return (NULL);
	s = &c->stat[c->nstat++];
	memset(s, 0, sizeof(*s));
	s->hour = hour;
	s->source = l->source;
	s->model_version = l->model_version;
	snprintf(s->arm, sizeof(s->arm), "%s", l->arm);
	return (s);
}

static int
count_slot(struct ctr *c, int64_t day, int32_t movie)
{
	uint32_t	*ix;
	int		 found;

	if ((ix = hmap_put(&c->slot_ix, day, movie, (uint32_t)c->nslot,
	    &found)) == NULL)
		return (-1);
	if (!found) {
		if (grow((void **)&c->slot, &c->capslot, c->nslot + 1,
		    sizeof(*c->slot)) == -1)
			return (-1);
		c->slot[c->nslot].day = day;
		c->slot[c->nslot].movie = movie;
		c->slot[c->nslot].n = 0;
		c->nslot++;
	}
	c->slot[*ix].n++;
	return (0);
}

static int64_t
handle_of(size_t ix, int64_t gen)
{
	return ((gen << 24) | (int64_t)ix);
}

static struct list *
list_of(const struct ctr *c, int64_t handle)
{
	size_t	ix = (size_t)(handle & 0xffffff);

	if (handle < 0 || ix >= c->nlist || c->list[ix].gen != handle >> 24)
		return (NULL);
	return (&c->list[ix]);
}

int64_t
ctr_list(struct ctr *c, int64_t user, int64_t ts, const int32_t *movies,
    size_t n, int source, int64_t model_version, const char *arm,
    int64_t latency_us, int personal)
{
	struct list	*l;
	struct stat	*s;
	uint32_t	*ix;
	size_t		 i;
	int		 found;

	if (c->nlist >= 0xffffff)
		return (-1);
	if ((ix = hmap_put(&c->byuser, user, 0, (uint32_t)c->nlist,
	    &found)) == NULL)
		return (-1);
	if (!found) {
		if (grow((void **)&c->list, &c->caplist, c->nlist + 1,
		    sizeof(*c->list)) == -1)
			return (-1);
		c->nlist++;
	}
	l = &c->list[*ix];
	memset(l, 0, sizeof(*l));
	l->user = user;
	l->ts = ts;
	l->gen = ++c->gen;
	l->source = source;
	l->model_version = model_version;
	snprintf(l->arm, sizeof(l->arm), "%s", arm ? arm : "");
	l->n = n < CTR_TRACKED ? (int)n : CTR_TRACKED;
	memcpy(l->movie, movies, (size_t)l->n * sizeof(*movies));

	if ((s = stat_of(c, l)) == NULL)
		return (-1);
	s->lists++;
	s->nonempty += n > 0;
	s->personal += personal > 0;
	s->latency += latency_us;
	if (source == CTR_SERVED)
		for (i = 0; i < (size_t)l->n; i++)
			if (l->movie[i] >= 0 &&
			    count_slot(c, ts / DAY_MS, l->movie[i]) == -1)
				return (-1);
	return (handle_of(*ix, l->gen));
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
	if (ts < l->ts || ts - l->ts > FOLLOW_24H)
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
		/* Stored with the row, or now if the row is older. */
		if (l->log_id != 0 && grow((void **)&c->follow,
		    &c->capfollow, c->nfollow + 1, sizeof(*c->follow)) == 0) {
			c->follow[c->nfollow].log_id = l->log_id;
			c->follow[c->nfollow].rank = l->rank;
			c->nfollow++;
		}
	}
}

int
ctr_rank(const struct ctr *c, int64_t handle)
{
	const struct list	*l = list_of(c, handle);

	return (l != NULL ? l->rank : 0);
}

void
ctr_logged(struct ctr *c, int64_t handle, int64_t id)
{
	struct list	*l = list_of(c, handle);

	if (l != NULL)
		l->log_id = id;
}

static int
exec_stat(sqlite3 *db, sqlite3_stmt *st, const struct stat *s)
{
	int	rc;

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
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		log_warnx("ctr: %s", sqlite3_errmsg(db));
	return (rc == SQLITE_DONE ? 0 : -1);
}

int
ctr_write(struct ctr *c, sqlite3 *db)
{
	sqlite3_stmt	*st = NULL;
	size_t		 i;
	int		 rc = -1;

	if (c->nstat > 0) {
		if (sqlite3_prepare_v2(db, "INSERT INTO reco_stats VALUES (?1, "
		    "?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) ON CONFLICT DO "
		    "UPDATE SET lists = lists + excluded.lists, nonempty = "
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
	if (c->nslot > 0) {
		if (sqlite3_prepare_v2(db, "INSERT INTO reco_movie_daily VALUES "
		    "(?1, ?2, ?3) ON CONFLICT DO UPDATE SET slots = slots + "
		    "excluded.slots", -1, &st, NULL) != SQLITE_OK)
			goto out;
		for (i = 0; i < c->nslot; i++) {
			sqlite3_bind_int64(st, 1, c->slot[i].day);
			sqlite3_bind_int(st, 2, c->slot[i].movie);
			sqlite3_bind_int64(st, 3, c->slot[i].n);
			if (sqlite3_step(st) != SQLITE_DONE)
				goto out;
			sqlite3_reset(st);
		}
		sqlite3_finalize(st);
		st = NULL;
	}
	if (c->nfollow > 0) {
		if (sqlite3_prepare_v2(db, "UPDATE reco_log SET followed_rank = "
		    "?2 WHERE id = ?1", -1, &st, NULL) != SQLITE_OK)
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
	/* Handles of moved lists die with the new generation below. */
	for (i = 0; i < c->nlist; i++)
		c->list[i].gen = ++c->gen;
}

void
ctr_committed(struct ctr *c, int64_t now_ms)
{
	c->nstat = c->nslot = c->nfollow = 0;
	hmap_clear(&c->slot_ix);
	if (now_ms - c->swept > 60000) {
		c->swept = now_ms;
		sweep(c, now_ms);
	}
}

int
ctr_load(struct ctr *c, sqlite3 *db, int64_t now_ms,
    int32_t (*lookup)(void *arg, const char *slug), void *arg)
{
	sqlite3_stmt	*st;
	struct list	*l;
	int32_t		 movies[CTR_TRACKED];
	char		 buf[8192], *p, *save = NULL;
	size_t		 n;
	int64_t		 h;

	if (sqlite3_prepare_v2(db, "SELECT id, ts, user_id, source, "
	    "COALESCE(model_version, 0), COALESCE(arm, ''), results, "
	    "COALESCE(followed_rank, 0) FROM reco_log WHERE ts >= ?1 "
	    "ORDER BY ts", -1, &st, NULL) != SQLITE_OK)
		return (-1);
	sqlite3_bind_int64(st, 1, now_ms - FOLLOW_24H);
	while (sqlite3_step(st) == SQLITE_ROW) {
		snprintf(buf, sizeof(buf), "%s",
		    (const char *)sqlite3_column_text(st, 6));
		n = 0;
		for (p = strtok_r(buf, ",", &save); p != NULL && n <
		    CTR_TRACKED; p = strtok_r(NULL, ",", &save))
			movies[n++] = lookup(arg, p);
		if ((h = ctr_list(c, sqlite3_column_int64(st, 2),
		    sqlite3_column_int64(st, 1), movies, n,
		    strcmp((const char *)sqlite3_column_text(st, 3),
		    "served") == 0 ? CTR_SERVED : CTR_EXTERNAL,
		    sqlite3_column_int64(st, 4),
		    (const char *)sqlite3_column_text(st, 5), 0, 0)) == -1)
			break;
		if ((l = list_of(c, h)) != NULL) {
			l->log_id = sqlite3_column_int64(st, 0);
			l->rank = sqlite3_column_int(st, 7);
		}
	}
	sqlite3_finalize(st);
	/* Reloading is not new traffic: no deltas. */
	c->nstat = c->nslot = c->nfollow = 0;
	hmap_clear(&c->slot_ix);
	return (0);
}
