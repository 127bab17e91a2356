/*
 * Online evaluation, computed incrementally by the writer as events arrive:
 * a recommendation list is "followed" when the same user starts watching
 * one of its movies within the click window after it; minutes of listed
 * movies watched within 24 hours are counted too.  Per user only the
 * latest list is tracked (a newer list replaces it), for 24 hours.
 * Aggregates go to reco_stats (per hour, source, model version, arm) and
 * reco_movie_daily (served slots per movie and day); the followed rank to
 * reco_follows.  Used by the writer only, in its thread.
 *
 * reco_stats rows are written with every batch.  Slot deltas touch up to a
 * row per movie, so the writer has them written with its roll-ups only
 * (writer.c); after a restart ctr_load counts the served rows logged since
 * the last roll-up again, so a crash loses none.
 */
#ifndef CINEREC_CTR_H
#define CINEREC_CTR_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#define CTR_TRACKED	20	/* movies of a list followed, at most */
#define CTR_SERVED	0	/* a list this server gave */
#define CTR_EXTERNAL	1	/* a list seen on the stream */

/*
 * reco_stats counts the lists slower than each of these (over_<N>ms): a
 * p99 above N ms is more than 1% of the lists over N.
 */
#define CTR_ARM_MAX	48	/* bytes of an arm label, with its NUL */
#define CTR_SLOW_N	5
extern const int ctr_slow_ms[CTR_SLOW_N];	/* 1, 2, 5, 20, 100 */


struct ctr;

/* A new tracker; window_ms is the click window.  NULL when out of memory. */
struct ctr	*ctr_new(int64_t window_ms);
void		 ctr_free(struct ctr *c);

/* Change the click window (applies to lists judged from now on). */
void		 ctr_set_window(struct ctr *c, int64_t window_ms);

/*
 * A watch up to skew_ms before a list's time still follows it: the
 * stream's whole-second times and our millisecond clock are two clocks
 * (default CTR_SKEW_MS).
 */
#define CTR_SKEW_MS	2000
void		 ctr_set_skew(struct ctr *c, int64_t skew_ms);

/*
 * A list given to user at ts (ms), logged as list log_id: movie ids,
 * source, model version (0: none), arm ("" when none), latency (served),
 * personal (ids from the model).  Returns 0, or -1 when out of memory.
 */
int		 ctr_list(struct ctr *c, int64_t log_id, int64_t user,
		    int64_t ts, const int32_t *movies, size_t n, int source,
		    int64_t model_version, const char *arm, int64_t latency_us,
		    int personal);

/* A minute of movie watched by user at ts. */
void		 ctr_watch(struct ctr *c, int64_t user, int32_t movie,
		    int64_t ts);

/*
 * Write this batch's aggregates and follow-ups with db (inside the
 * writer's transaction), and the slot deltas too when slots is set.
 * 0, or -1 (the deltas stay for a retry).
 */
int		 ctr_write(struct ctr *c, sqlite3 *db, int slots);

/* The transaction committed: forget the written deltas, age out lists. */
void		 ctr_committed(struct ctr *c, int64_t now_ms);

/*
 * After a restart: reload the latest list per user of the last 24 hours
 * before now_ms from the recommendation log, and count the slots of the
 * served lists after list rolled (the last one rolled up) again.  The
 * chunks are read newest first, so a user's older lists are only scanned
 * over; a chunk that cannot be read is logged and its lists from the
 * damage on left out.  0, or -1 (no log table, out of memory).
 */
int		 ctr_load(struct ctr *c, sqlite3 *db, int64_t now_ms,
		    int64_t rolled);

#endif
