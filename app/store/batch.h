/*
 * The writer's pending batch of events: minute lines folded into one entry
 * per (user, movie), ratings, per-user and per-day-and-movie sums, the
 * lines' counts by kind and by rejection reason, and samples of rejected
 * lines.  batch_write turns it into rows inside the writer's transaction,
 * deriving the "new viewer / new rater / new user" counts from what the
 * database returns.  Used by one thread (the writer's).
 */
#ifndef CINEREC_BATCH_H
#define CINEREC_BATCH_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "ingest/parse.h"
#include "util/arena.h"
#include "util/hmap.h"
#include "util/vec.h"

#define BATCH_SAMPLES		4	/* rejected lines sampled a reason a batch */
#define BATCH_SAMPLE_MAX	300	/* bytes of a sampled line kept */
#define BATCH_SHAPES		64	/* unknown line shapes a batch (more: "?") */
#define BATCH_SHAPE_MAX		48	/* bytes of a shape */

/*
 * A new user is an outlier (a data-quality signal, counted as users_outlier)
 * when its id is above BATCH_OUTLIER_FACTOR times the largest id seen so
 * far, once BATCH_OUTLIER_USERS users are known; outliers do not widen the
 * range.
 */
#define BATCH_OUTLIER_USERS	1000
#define BATCH_OUTLIER_FACTOR	1.5

/*
 * Invariants: each hmap maps its key to the index of the entry in the vec
 * of the same name; pending counts every line taken or refused since the
 * last batch_clear.
 */
struct batch {
	struct hmap	 watch_ix, user_ix, daily_ix, delta_ix, shape_ix;
	struct vec	 watches, rates, users, daily, deltas, samples, shapes;
	struct arena	 strs;		/* sampled lines, shapes */
	size_t		 pending;	/* lines since the last batch_clear */
	uint64_t	 acc[PARSE_NKINDS];	/* taken, by kind */
	uint64_t	 rej[PARSE_NREASONS];	/* refused, by reason */
	/* Reservoir of each reason's lines: indexes into samples. */
	uint32_t	 sample_ix[PARSE_NREASONS][BATCH_SAMPLES];
	uint64_t	 sampled[PARSE_NREASONS];	/* lines offered */
	uint64_t	 rng;		/* xorshift state of the reservoirs */
	int64_t		 last_ts;	/* newest event time */
	int64_t		 user_max;	/* largest user id, outliers aside */
	int64_t		 stamp;		/* users.updated_ms of the last batch:
					   each batch's is larger (train.c) */
	int64_t		 nusers;	/* users known */
	int64_t		 outliers;	/* outlier users of this attempt */
	int64_t		 pruned_hour;	/* ingest_hourly last pruned */
	sqlite3_stmt	*st_watch_ins, *st_watch_upd, *st_rate_ins,
			*st_rate_upd, *st_user, *st_daily, *st_delta,
			*st_count, *st_count_max, *st_sample, *st_trim,
			*st_shape, *st_hourly, *st_prune, *st_account;
};

/* Prepare the statements on db.  Returns 0, or -1 (message on stderr). */
int	batch_open(struct batch *b, sqlite3 *db);
void	batch_close(struct batch *b);

/*
 * Room for one more line of len bytes, so that adding it cannot fail
 * half-way.  Returns 0 or -1 (out of memory; nothing changed).
 */
int	batch_reserve(struct batch *b, size_t len);

/*
 * Add an event (after batch_reserve these do not fail): a watched minute
 * of movie, a rating, the user of another system's list.  Each counts the
 * line as taken.
 */
void	batch_watch(struct batch *b, const struct parse_event *ev,
	    int32_t movie);
void	batch_rate(struct batch *b, const struct parse_event *ev,
	    int32_t movie);
void	batch_reco(struct batch *b, const struct parse_event *ev);
void	batch_account(struct batch *b, const struct parse_event *ev);

/*
 * A line refused for reason; when line is not NULL it may be sampled (a
 * reservoir of BATCH_SAMPLES lines of each reason a batch, so every reason
 * seen has examples), and a bad_request line's shape is counted.
 */
void	batch_refuse(struct batch *b, int reason, const char *line,
	    size_t len);

/* Count a line that another part took (a served list): pending only. */
void	batch_count_line(struct batch *b);

/*
 * Inside the writer's transaction: the events, then the counters (with the
 * catalogue's new movies and the lists logged).  Derived figures are
 * computed anew by every attempt, so a failed one can be retried.  Returns
 * 0 or -1 (logged); batch_clear once the transaction is durable.
 */
int	batch_write_events(struct batch *b, int64_t *newwatches,
	    int64_t *newratings, int64_t *newusers);
int	batch_write_counters(struct batch *b, int64_t newmovies,
	    int64_t newwatches, int64_t newratings, int64_t newusers,
	    int64_t lists);
void	batch_clear(struct batch *b);

/*
 * The users whose history (watches, ratings) the batch changes, at most
 * max, into out; their count.  batch_nusers bounds it.
 */
size_t	batch_changed(const struct batch *b, int64_t *out, size_t max);
size_t	batch_nusers(const struct batch *b);

#endif
