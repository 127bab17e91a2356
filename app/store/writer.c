/*
 * The single writer (see writer.h): it takes lines and served lists, hands
 * each part of them to the module that keeps it (the catalogue, the batch
 * of events, the recommendation log, the click-through tracker), and
 * writes all of them in one transaction per batch.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "store/batch.h"
#include "store/catalog.h"
#include "store/logstore.h"
#include "store/sql.h"
#include "store/store.h"
#include "store/wal.h"
#include "store/writer.h"
#include "telemetry/ctr.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/vec.h"

/*
 * Invariant: the catalogue, the batch and the log hold exactly what came
 * since the last successful writer_commit (what a failed one tried stays,
 * for the next).
 */
struct writer {
	struct store		 store;		/* the read-write connection */
	struct parse_event	 ev;		/* scratch for parse_line */
	struct catalog		 cat;		/* movies */
	struct batch		 batch;		/* events */
	struct logstore		 log;		/* recommendation lists */
	struct ctr		*ctr;		/* click-through, see ctr.h */
	struct wal		 wal;
	struct writer_stats	 stats;		/* since open */
	int			 rating_max;	/* top of the rating scale */
	void			(*hook)(void *, const int64_t *, size_t, int);
	void			*hook_arg;
	void			(*served_fn)(void *,
				    const struct logstore_list *,
				    const int32_t *, size_t);
	void			*served_arg;
	int64_t			*changed;	/* the hook's users */
	size_t			 changedcap;
	size_t			 nafter;	/* of them, not told "after" yet */
	struct writer_pos	*pos;		/* input positions (writer_offset) */
	size_t			 npos, poscap;
	int			 pos_dirty;	/* some not written yet */
};

/* Where an input with offsets (a Kafka partition) stands. */
struct writer_pos {
	char	topic[WRITER_TOPIC_MAX + 1];
	int32_t	partition;
	int64_t	next;		/* the first offset not taken */
	int	dirty;		/* changed since the last commit */
};

/*
 * Room for one more line of len bytes everywhere a line can add to, so
 * that taking it cannot fail half-way.  Returns 0 or -1.
 */
static int
reserve(struct writer *w, size_t len)
{
	/* A list can name PARSE_RESULTS_MAX new movies. */
	return (catalog_reserve(&w->cat, PARSE_RESULTS_MAX + 1) == -1 ||
	    batch_reserve(&w->batch, len) == -1 ||
	    logstore_reserve(&w->log, len + PARSE_RESULTS_MAX * 12) == -1 ?
	    -1 : 0);
}

/* A line refused for a reason found after parsing: counted. */
static int
refuse(struct writer *w, int reason, const char *line, size_t len)
{
	batch_refuse(&w->batch, reason, line, len);
	w->stats.rejected[reason]++;
	return (reason);
}

/* Hand a logged list to the click-through tracker. */
static void
track(struct writer *w, int64_t id, const struct logstore_list *a,
    const int32_t *ids, size_t n)
{
	/* Out of memory there: logged, but not followed. */
	if (ctr_list(w->ctr, id, a->user, a->ts, ids, n < CTR_TRACKED ? n :
	    CTR_TRACKED, a->source, a->model_version, a->arm ? a->arm : "",
	    a->latency_us, a->personal) == -1)
		w->stats.untracked++;
}

/* Another system's list, seen on the stream: a user's event too. */
static int
take_reco(struct writer *w, const struct parse_event *ev)
{
	struct logstore_list	 a;
	int32_t			 ids[PARSE_RESULTS_MAX];
	int64_t			 id;
	size_t			 i;

	/* Listed movies join the catalogue, like watched ones. */
	for (i = 0; i < ev->nresults; i++)
		if ((ids[i] = catalog_id(&w->cat, ev->result[i],
		    ev->result_key[i], 1)) < 0)
			return (ids[i] == CATALOG_NOMEM ? PARSE_ERR_NOMEM :
			    PARSE_ERR_MOVIE);
	memset(&a, 0, sizeof(a));
	a.ts = ev->ts_ms;
	a.user = ev->user;
	a.source = CTR_EXTERNAL;
	a.status = ev->status;
	a.latency_us = (int64_t)ev->latency_ms * 1000;
	a.host = ev->host;
	if ((id = logstore_add(&w->log, &a, ids, ev->nresults, NULL, 0)) == -1)
		return (PARSE_ERR_NOMEM);
	track(w, id, &a, ids, ev->nresults);
	batch_reco(&w->batch, ev);
	return (PARSE_OK);
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
	if (reserve(w, len) == -1 && (w->batch.pending == 0 ||
	    writer_commit(w) == -1 || reserve(w, len) == -1)) {
		if (w->stats.rejected[PARSE_ERR_NOMEM] % 1000 == 0)
			log_warnx("%s: out of memory: line refused", __func__);
		return (refuse(w, PARSE_ERR_NOMEM, NULL, 0));
	}
	if ((rc = parse_line_scaled(line, len, w->rating_max, ev)) != PARSE_OK)
		return (refuse(w, rc, line, len));
	if ((ev->kind == PARSE_WATCH || ev->kind == PARSE_RATE) &&
	    (movie = catalog_id(&w->cat, ev->movie, ev->key, 1)) < 0)
		return (refuse(w, movie == CATALOG_NOMEM ? PARSE_ERR_NOMEM :
		    PARSE_ERR_MOVIE, NULL, 0));
	switch (ev->kind) {
	case PARSE_WATCH:
		batch_watch(&w->batch, ev, movie);
		ctr_watch(w->ctr, ev->user, movie, ev->ts_ms);
		(void)catalog_seen(&w->cat, movie, ev->ts_ms);
		break;
	case PARSE_RATE:
		batch_rate(&w->batch, ev, movie);
		(void)catalog_seen(&w->cat, movie, ev->ts_ms);
		break;
	case PARSE_ACCOUNT:
		batch_account(&w->batch, ev);
		break;
	default:
		if ((rc = take_reco(w, ev)) != PARSE_OK)
			return (refuse(w, rc, NULL, 0));
	}
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
	struct logstore_list	 a;
	const char		*p = line + 7, *end = line + len, *list;
	char			 arm[CTR_ARM_MAX];
	int32_t			 ids[PARSE_RESULTS_MAX];
	long long		 ts, user, version, latency, personal, id;
	int64_t			 log_id;
	size_t			 n = 0, armlen;
	int			 left_out = 0;

	/* SERVED <ts> <user> <version> <arm|-> <latency_us> <personal> <ids> */
	if (len < 7 || memcmp(line, "SERVED ", 7) != 0 ||
	    next_int(&p, end, ' ', &ts) == -1 ||
	    next_int(&p, end, ' ', &user) == -1 ||
	    next_int(&p, end, ' ', &version) == -1 || ts < 0 || user < 0)
		return (-1);
	for (armlen = 0; p + armlen < end && p[armlen] != ' '; armlen++)
		;
	if (p + armlen == end || armlen == 0 || armlen >= sizeof(arm))
		return (-1);
	memcpy(arm, p, armlen);
	arm[armlen] = '\0';
	p += armlen + 1;
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
		if (catalog_slug(&w->cat, id) != NULL)
			ids[n++] = (int32_t)id;
		else
			left_out = 1;
	}
	/* Stored as it came ("id,id,..."), unless an id was left out. */
	left_out |= p < end || (p > list && p[-1] == ',');
	memset(&a, 0, sizeof(a));
	a.ts = ts;
	a.user = user;
	a.source = CTR_SERVED;
	a.status = 200;
	/* The workers' figures, kept in range all the same. */
	a.latency_us = latency < 0 ? 0 : latency > 3600000000LL ? 3600000000LL :
	    latency;
	a.model_version = version;
	a.personal = personal < 0 ? 0 : personal > PARSE_RESULTS_MAX ?
	    PARSE_RESULTS_MAX : (int)personal;
	a.arm = strcmp(arm, "-") != 0 ? arm : NULL;
	/* A served list is no event of the user's: users stays as it is. */
	if ((log_id = logstore_add(&w->log, &a, ids, n, left_out ? NULL : list,
	    (size_t)(p - list))) == -1) {
		log_warnx("%s: out of memory: list not logged", __func__);
		return (-1);
	}
	track(w, log_id, &a, ids, n);
	batch_count_line(&w->batch);
	if (w->served_fn != NULL)
		w->served_fn(w->served_arg, &a, ids, n);
	return (0);
}

void
writer_set_served_hook(struct writer *w, void (*fn)(void *arg,
    const struct logstore_list *a, const int32_t *ids, size_t n), void *arg)
{
	w->served_fn = fn;
	w->served_arg = arg;
}

const char *
writer_slug(const struct writer *w, int64_t id)
{
	return (catalog_slug(&w->cat, id));
}

int
writer_movie_ids(struct writer *w, char *const *slugs, size_t n,
    int32_t *ids)
{
	size_t	i;

	if (catalog_reserve(&w->cat, n) == -1)
		return (-1);
	for (i = 0; i < n; i++)
		/* The stored spelling stays: the stream's own wins. */
		if ((ids[i] = catalog_id(&w->cat, slugs[i], NULL, 0)) ==
		    CATALOG_NOMEM)
			return (-1);
	return (0);
}

int64_t
writer_expire(struct writer *w, int64_t before_ms, int limit)
{
	return (logstore_expire(&w->log, w->store.db, before_ms, limit));
}

void
writer_set_click_window(struct writer *w, int64_t window_ms)
{
	ctr_set_window(w->ctr, window_ms);
}

void
writer_set_click_skew(struct writer *w, int64_t skew_ms)
{
	ctr_set_skew(w->ctr, skew_ms);
}

void
writer_set_rating_max(struct writer *w, int rating_max)
{
	w->rating_max = rating_max >= 2 && rating_max <= PARSE_RATING_LIMIT ?
	    rating_max : PARSE_RATING_DEFAULT;
}

int
writer_movie(struct writer *w, const char *slug, const char *title,
    int year, const char *genres)
{
	int32_t	id;

	if ((id = catalog_id(&w->cat, slug, NULL, 0)) < 0)
		return (-1);
	return (catalog_meta(&w->cat, id, title, year, genres));
}

int
writer_due(const struct writer *w)
{
	return (w->batch.pending > 0 || w->pos_dirty ||
	    logstore_roll_due(&w->log, clock_mono_ms()));
}

void
writer_set_rollup(struct writer *w, int64_t period_ms)
{
	w->log.roll_ms = period_ms >= 0 ? period_ms : LOGSTORE_ROLLUP_MS;
}

void
writer_set_hook(struct writer *w, void (*fn)(void *, const int64_t *, size_t,
    int), void *arg)
{
	w->hook = fn;
	w->hook_arg = arg;
}

static struct writer_pos *
pos_find(struct writer *w, const char *topic, int32_t partition)
{
	size_t	i;

	for (i = 0; i < w->npos; i++)
		if (w->pos[i].partition == partition &&
		    strcmp(w->pos[i].topic, topic) == 0)
			return (&w->pos[i]);
	return (NULL);
}

int
writer_offset_reserve(struct writer *w, size_t n)
{
	return (vec_grow((void **)&w->pos, &w->poscap, w->npos + n,
	    sizeof(*w->pos)));
}

int
writer_offset(struct writer *w, const char *topic, int32_t partition,
    int64_t next)
{
	struct writer_pos	*p;

	if (strlen(topic) > WRITER_TOPIC_MAX)
		return (-1);
	if ((p = pos_find(w, topic, partition)) == NULL) {
		if (w->npos == w->poscap)
			return (-1);
		p = &w->pos[w->npos++];
		memset(p, 0, sizeof(*p));
		strcpy(p->topic, topic);
		p->partition = partition;
	}
	p->next = next;
	p->dirty = 1;
	w->pos_dirty = 1;
	return (0);
}

int
writer_offset_get(struct writer *w, const char *topic, int32_t partition,
    int64_t *next)
{
	struct writer_pos	*p;
	sqlite3_stmt		*st;
	int			 rc;

	/* Pending lines are ahead of the database. */
	if ((p = pos_find(w, topic, partition)) != NULL) {
		*next = p->next;
		return (1);
	}
	if (sqlite3_prepare_v2(w->store.db, "SELECT next_offset FROM "
	    "kafka_offsets WHERE topic = ?1 AND partition = ?2", -1, &st,
	    NULL) != SQLITE_OK) {
		log_warnx("%s: %s", __func__, sqlite3_errmsg(w->store.db));
		return (-1);
	}
	sqlite3_bind_text(st, 1, topic, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, partition);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*next = sqlite3_column_int64(st, 0);
	else if (rc != SQLITE_DONE)
		log_warnx("%s: %s", __func__, sqlite3_errmsg(w->store.db));
	sqlite3_finalize(st);
	return (rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1);
}

void
writer_offset_forget(struct writer *w)
{
	size_t	i, k = 0;

	/* What is not written yet stays until it is. */
	for (i = 0; i < w->npos; i++)
		if (w->pos[i].dirty)
			w->pos[k++] = w->pos[i];
	w->npos = k;
}

/* The positions taken since the last commit, in its transaction. */
static int
pos_write(struct writer *w)
{
	sqlite3_stmt	*st;
	int64_t		 now = clock_now_ms();
	size_t		 i;
	int		 rc = 0;

	if (!w->pos_dirty)
		return (0);
	if (sqlite3_prepare_v2(w->store.db, "INSERT INTO kafka_offsets "
	    "(topic, partition, next_offset, updated_ms) VALUES (?1, ?2, ?3, "
	    "?4) ON CONFLICT (topic, partition) DO UPDATE SET next_offset = "
	    "excluded.next_offset, updated_ms = excluded.updated_ms", -1, &st,
	    NULL) != SQLITE_OK) {
		log_warnx("%s: %s", __func__, sqlite3_errmsg(w->store.db));
		return (-1);
	}
	for (i = 0; i < w->npos && rc == 0; i++)
		if (w->pos[i].dirty)
			rc = sql_row(st, "kafka_offsets", "tiII",
			    w->pos[i].topic, (int)w->pos[i].partition,
			    w->pos[i].next, now);
	sqlite3_finalize(st);
	return (rc);
}

static void
pos_committed(struct writer *w)
{
	size_t	i;

	for (i = 0; i < w->npos; i++)
		w->pos[i].dirty = 0;
	w->pos_dirty = 0;
}

int
writer_commit(struct writer *w)
{
	int64_t	nm = 0, nw = 0, nr = 0, nu = 0, now = clock_mono_ms();
	int64_t	lists = (int64_t)logstore_pending(&w->log);
	size_t	nchanged = 0;
	int	roll;

	roll = logstore_roll_due(&w->log, now);
	if (w->batch.pending == 0 && w->cat.metas.len == 0 &&
	    w->cat.committed == w->cat.nmovies && !roll && !w->pos_dirty)
		return (0);
	if (store_exec(&w->store, "BEGIN IMMEDIATE") == -1)
		goto fail;
	if (catalog_write(&w->cat, &nm) == -1 ||
	    batch_write_events(&w->batch, &nw, &nr, &nu) == -1 ||
	    logstore_write(&w->log, roll) == -1 ||
	    ctr_write(w->ctr, w->store.db, roll) == -1 ||
	    batch_write_counters(&w->batch, nm, nw, nr, nu, lists) == -1 ||
	    pos_write(w) == -1)
		goto rollback;
	/*
	 * The hook hears of every changed user before the commit (fresh
	 * lists are invalidated then): without room to tell it, no commit.
	 */
	if (w->hook != NULL) {
		if (vec_grow((void **)&w->changed, &w->changedcap,
		    batch_nusers(&w->batch) + 1, sizeof(*w->changed)) == -1)
			goto rollback;
		nchanged = batch_changed(&w->batch, w->changed, w->changedcap);
		w->hook(w->hook_arg, w->changed, nchanged, 1);
	}
	if (store_exec(&w->store, "COMMIT") == -1)
		goto rollback;
	/* Told after: once the readers know of the commit (writer_done). */
	w->nafter = nchanged;
	ctr_committed(w->ctr, clock_now_ms());
	logstore_committed(&w->log, roll, now);
	catalog_committed(&w->cat);
	pos_committed(w);
	w->stats.commits++;
	w->stats.committed += w->batch.pending;
	batch_clear(&w->batch);
	wal_tidy(&w->wal, w->store.db, w->store.path, STORE_BUSY_MS);
	return (0);

rollback:
	(void)store_exec(&w->store, "ROLLBACK");
	logstore_failed(&w->log);
fail:
	log_warnx("%s: batch of %zu lines kept for a retry", __func__,
	    w->batch.pending);
	return (-1);
}

void
writer_done(struct writer *w)
{
	size_t	n = w->nafter;

	w->nafter = 0;
	if (n > 0 && w->hook != NULL)
		w->hook(w->hook_arg, w->changed, n, 0);
}

size_t
writer_pending(const struct writer *w)
{
	return (w->batch.pending);
}

void
writer_stats(const struct writer *w, struct writer_stats *st)
{
	*st = w->stats;
}

void
writer_stats_print(const struct writer_stats *st, FILE *fp)
{
	uint64_t		 acc = 0, rej = 0;
	int			 i;

	for (i = PARSE_WATCH; i < PARSE_NKINDS; i++)
		acc += st->accepted[i];
	for (i = 1; i < PARSE_NREASONS; i++)
		rej += st->rejected[i];
	fprintf(fp, "accepted %llu lines", (unsigned long long)acc);
	for (i = PARSE_WATCH; i < PARSE_NKINDS; i++)
		fprintf(fp, "%s%s %llu", i == PARSE_WATCH ? " (" : ", ",
		    parse_kind_name(i), (unsigned long long)st->accepted[i]);
	fprintf(fp, ")\nrejected %llu lines\n", (unsigned long long)rej);
	for (i = 1; i < PARSE_NREASONS; i++)
		if (st->rejected[i] > 0)
			fprintf(fp, "  %-12s %llu\n", parse_reason_name(i),
			    (unsigned long long)st->rejected[i]);
}

struct writer *
writer_open(const char *data_dir)
{
	struct writer	*w;

	if ((w = calloc(1, sizeof(*w))) == NULL)
		return (NULL);
	wal_init(&w->wal);
	if (store_open(&w->store, data_dir, STORE_CREATE |
	    STORE_ROLE_EVENTS) == -1) {
		free(w);
		return (NULL);
	}
	/*
	 * A commit is durable once it returns: SYNC promises that.  The
	 * pages a batch updates all over (movie_daily, users) stay cached.
	 */
	if (store_exec(&w->store, "PRAGMA synchronous=FULL") == -1 ||
	    store_exec(&w->store, "PRAGMA cache_size=-65536") == -1 ||
	    catalog_open(&w->cat, w->store.db) == -1 ||
	    batch_open(&w->batch, w->store.db) == -1 ||
	    logstore_open(&w->log, w->store.db) == -1)
		goto fail;
	w->rating_max = PARSE_RATING_DEFAULT;
	if ((w->ctr = ctr_new(300000)) == NULL ||
	    ctr_load(w->ctr, w->store.db, clock_now_ms(),
	    w->log.rolled_last) == -1) {
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
	int	rc = 0;

	if (w == NULL)
		return (0);
	/* Opened in full: the last batch, and a last roll-up. */
	if (w->ctr != NULL && w->batch.st_trim != NULL &&
	    w->log.st_chunk != NULL) {
		w->log.roll_now = 1;
		rc = writer_commit(w);
		writer_done(w);
	}
	catalog_close(&w->cat);
	batch_close(&w->batch);
	logstore_close(&w->log);
	ctr_free(w->ctr);
	store_close(&w->store);
	free(w->changed);
	free(w->pos);
	free(w);
	return (rc);
}
