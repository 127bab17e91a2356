/*
 * The single writer of events: every log line, served list and catalogue
 * entry reaches the database through here.  Lines are parsed, aggregated
 * in memory (minute lines fold into one row per user and movie; see
 * batch.h, catalog.h, logstore.h) and written in one transaction per
 * batch.  A writer is used from one thread; a data dir has one writer at a
 * time (lock.h).
 */
#ifndef CINEREC_WRITER_H
#define CINEREC_WRITER_H

#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

#include "ingest/parse.h"

/* Lines seen since the writer was opened. */
struct writer_stats {
	uint64_t	accepted[PARSE_NKINDS];	/* by enum parse_kind */
	uint64_t	rejected[PARSE_NREASONS];	/* by enum parse_reason */
	uint64_t	commits;			/* transactions */
	uint64_t	committed;			/* lines in them */
	uint64_t	untracked;	/* lists logged, not followed (no memory) */
};

#define WRITER_BLANK	(-1)	/* writer_line: an empty line, ignored */

struct writer;

/*
 * Open the database in data_dir (created and migrated if needed) for
 * writing.  Returns the writer, or NULL with a message on stderr.
 */
struct writer	*writer_open(const char *data_dir);

/*
 * Parse one line (no '\n') and add it to the pending batch.  Returns
 * PARSE_OK if it was accepted, else the rejection reason (counted, and a
 * sample kept).  Blank lines are ignored: WRITER_BLANK, not counted.
 * Nothing is written until writer_commit, except when memory runs out: the
 * pending batch is then committed to make room, and if that does not help
 * the line is refused as PARSE_ERR_NOMEM (counted); the batch is never left
 * half-changed.
 */
int		 writer_line(struct writer *w, const char *line, size_t len);

/*
 * A list this server served, as the HTTP workers report it:
 * "SERVED <ts_ms> <user> <model_version> <arm|-> <latency_us> <personal>
 * <movie id>,<movie id>,..." (no '\n'; ids as in the movies table).
 * Logged in reco_log (the ids as they came) and tracked for the
 * click-through;
 * the users table does not change.  Returns 0, or -1 for a malformed line
 * (ignored).
 */
int		 writer_served(struct writer *w, const char *line, size_t len);

/*
 * Tell fn, with arg, each list writer_served takes (a, its n ids; a's
 * strings live until the call returns): a serving replica hands it on to
 * the node that computes the click-through of all.  fn may be NULL.
 */
struct logstore_list;
void		 writer_set_served_hook(struct writer *w, void (*fn)(void *arg,
		    const struct logstore_list *a, const int32_t *ids,
		    size_t n), void *arg);

/* The stored spelling of movie id, or NULL for an id not handed out. */
const char	*writer_slug(const struct writer *w, int64_t id);

/*
 * The ids of n movies by spelling into ids[] (-1 for a spelling that is no
 * movie id), handing out ids to the new ones (pending until writer_commit,
 * like a line's).  Returns 0, or -1 when out of memory.
 */
int		 writer_movie_ids(struct writer *w, char *const *slugs,
		    size_t n, int32_t *ids);

/*
 * Delete up to limit reco_log rows of roll-up runs whose rows are all older
 * than before_ms (their figures stay in reco_stats and reco_movie_daily,
 * aggregated when they arrived; the newest run always stays).  Returns the
 * number deleted, or -1 (logged).  Call it until it returns less than
 * limit.
 */
int64_t		 writer_expire(struct writer *w, int64_t before_ms, int limit);

/* The click window of the click-through (default 300 s). */
void		 writer_set_click_window(struct writer *w, int64_t window_ms);

/*
 * How far a watch may seem to come before the list it follows (the
 * stream's clock is not ours; default CTR_SKEW_MS).
 */
void		 writer_set_click_skew(struct writer *w, int64_t skew_ms);

/*
 * The rating scale, 1..rating_max (2..PARSE_RATING_LIMIT, else the default
 * PARSE_RATING_DEFAULT): ratings above it are bad_rating.
 */
void		 writer_set_rating_max(struct writer *w, int rating_max);

/*
 * Tell fn, with arg, the users whose history each commit changes: just
 * before the commit (before = 1), and after it when the caller says the
 * readers know of it (writer_done; before = 0).  A commit that fails is
 * told before only; one that cannot tell fn (no memory) is not made
 * (retried).  fn may be NULL.
 */
void		 writer_set_hook(struct writer *w, void (*fn)(void *arg,
		    const int64_t *users, size_t n, int before), void *arg);

/*
 * After a successful writer_commit, once every reader can see the commit
 * (the ingest bumps the commit counter the workers' snapshots follow):
 * the hook's "after" for its users.  Nothing when there is none.
 */
void		 writer_done(struct writer *w);

/*
 * Add or complete a movie's catalogue entry (title, year, genres may be NULL
 * or 0 when unknown).  Pending until writer_commit.  Returns 0 or -1.
 */
int		 writer_movie(struct writer *w, const char *slug,
		    const char *title, int year, const char *genres);

/*
 * Write the pending batch in one transaction.  Returns 0 (the batch is
 * durable and cleared), or -1 (logged; the batch stays pending and the next
 * commit retries it).
 */
int		 writer_commit(struct writer *w);

/*
 * Positions in an input with offsets (a Kafka topic's partitions), kept in
 * the database with the lines they cover.  writer_offset says the lines up
 * to next - 1 of the partition are taken (pending like them, written in
 * the same transaction by writer_commit); it never allocates: room for the
 * partitions is made first with writer_offset_reserve (n more than those
 * known).  writer_offset_get gives where a partition stands, pending or
 * committed: 1 with *next, 0 when it was never taken from, -1 on error.
 * writer_offset_forget drops the committed ones from memory (their
 * partitions went to another consumer; the database keeps them).
 */
#define WRITER_TOPIC_MAX	249	/* Kafka's longest topic name */
int		 writer_offset_reserve(struct writer *w, size_t n);
int		 writer_offset(struct writer *w, const char *topic,
		    int32_t partition, int64_t next);
int		 writer_offset_get(struct writer *w, const char *topic,
		    int32_t partition, int64_t *next);
void		 writer_offset_forget(struct writer *w);

/* Lines accepted or rejected and not yet committed. */
size_t		 writer_pending(const struct writer *w);

/*
 * Whether writer_commit has work: pending lines, or a roll-up of the
 * recommendation log that is due (it runs every few seconds under load).
 */
int		 writer_due(const struct writer *w);

/*
 * The period of the roll-ups of the recommendation log (default 10 s; 0:
 * with every commit).
 */
void		 writer_set_rollup(struct writer *w, int64_t period_ms);

/* Copy the totals since open into st. */
void		 writer_stats(const struct writer *w, struct writer_stats *st);

/* st as a command prints it: lines taken by kind, refused by reason. */
void		 writer_stats_print(const struct writer_stats *st, FILE *fp);

/* Commit what is pending, then close.  Returns the commit's result. */
int		 writer_close(struct writer *w);

#endif
