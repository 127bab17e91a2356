/*
 * The recommendation log's side of the database (005_reco_ids.sql): the
 * lists of a batch, served or seen on the stream, numbered by the writer
 * and stored 256 to a row of reco_log_chunks as JSON; every roll-up period
 * the lists since the last roll-up are filed by user (reco_log_by_user)
 * in sorted runs; retention drops whole chunks.  After a crash the lists
 * since the last roll-up are found again.  Used by one thread (the
 * writer's).
 */
#ifndef CINEREC_LOGSTORE_H
#define CINEREC_LOGSTORE_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "util/arena.h"
#include "util/vec.h"

#define LOGSTORE_ROLLUP_MS	10000	/* default roll-up period */

/* One list as the writer hands it over. */
struct logstore_list {
	int64_t		 ts, user;	/* when, to whom */
	int		 source;	/* CTR_SERVED, CTR_EXTERNAL */
	int		 status;	/* HTTP status (200 for served) */
	int64_t		 latency_us;
	int64_t		 model_version;	/* 0: none */
	int		 personal;	/* ids from the model */
	const char	*host;		/* stream lists: who served it, or NULL */
	const char	*arm;		/* experiment arm, or NULL */
};

/*
 * Invariants: the pending lists are numbered last_id + 1 .. last_id + n;
 * unrolled holds every list after rolled_last (committed or pending), in
 * no particular order.
 */
struct logstore {
	struct vec	 lists;		/* pending, struct pending_list */
	struct arena	 strs;		/* their ids, hosts, arms */
	struct arena	 chunk;		/* a chunk's JSON being built */
	int		 chunk_oom;	/* building it ran out of memory */
	struct vec	 unrolled;	/* struct log_row after rolled_last */
	int64_t		 last_id;	/* newest list committed */
	int64_t		 rolled_last;	/* newest list rolled up */
	int64_t		 rolled_at;	/* when (monotonic ms), 0: never */
	int64_t		 roll_ms;	/* the roll-up period */
	int		 roll_now;	/* roll up with the next write */
	sqlite3_stmt	*st_chunk, *st_by_user, *st_rolled;
};

/*
 * Prepare the statements and find where the log and its roll-ups stand.
 * Returns 0, or -1 (message on stderr; l closed).
 */
int	 logstore_open(struct logstore *l, sqlite3 *db);
void	 logstore_close(struct logstore *l);

/* Room for one more list of up to len bytes of text.  0 or -1. */
int	 logstore_reserve(struct logstore *l, size_t len);

/*
 * Add a list: its n movie ids (known to the catalogue) and, when the
 * caller has them so, the same as text "id,id,..." (len bytes; else NULL).
 * Returns the list's id, or -1 when out of memory (nothing added).
 */
int64_t	 logstore_add(struct logstore *l, const struct logstore_list *a,
	    const int32_t *ids, size_t n, const char *text, size_t len);

/* Lists added and not written yet. */
size_t	 logstore_pending(const struct logstore *l);

/* Is a roll-up due at now (monotonic ms)? */
int	 logstore_roll_due(const struct logstore *l, int64_t now);

/*
 * Inside the writer's transaction: the pending lists into chunks, and when
 * roll is set the roll-up.  Returns 0 or -1 (logged).  Then exactly one of
 * logstore_committed (durable) or logstore_failed (rolled back).
 */
int	 logstore_write(struct logstore *l, int roll);
void	 logstore_committed(struct logstore *l, int roll, int64_t now);
void	 logstore_failed(struct logstore *l);

/*
 * Delete whole chunks, oldest first, while all their lists are older than
 * before_ms and rolled up (never the newest chunk), with their by-user
 * entries and follows, in a transaction of its own on db: at most limit
 * lists.  Returns the number deleted, or -1 (logged).
 */
int64_t	 logstore_expire(struct logstore *l, sqlite3 *db, int64_t before_ms,
	    int limit);

/*
 * Reading a chunk back without SQLite's JSON functions (which parse a
 * list's text again for each field they extract): one list of a chunk's
 * text.  ids holds the first LOGSTORE_IDS_MAX movie ids that are positive;
 * arm is "" when the list has none (a longer label is cut).  at is where
 * the list was read from: logstore_chunk_next from there reads it again.
 */
#define LOGSTORE_IDS_MAX	64
#define LOGSTORE_ARM_MAX	64	/* bytes of arm, with its NUL */
struct logstore_entry {
	int64_t		 ts, user;
	int		 source;
	int64_t		 model_version;	/* 0: none */
	int64_t		 personal;
	size_t		 nids;
	int32_t		 ids[LOGSTORE_IDS_MAX];
	char		 arm[LOGSTORE_ARM_MAX];
	const char	*at;
};

/*
 * The next list of the chunk text at *p (NUL-terminated, as SQLite gives
 * it; start at its '['): 1 with *p after it, 0 when the chunk has no more,
 * -1 when the text is not a chunk from there on.  Unless full is set only
 * ts, user and at are read (the rest is skipped, not checked).
 */
int	 logstore_chunk_next(const char **p, struct logstore_entry *e,
	    int full);

#endif
