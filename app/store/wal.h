/*
 * Upkeep of the database's write-ahead log.  Readers (the HTTP workers
 * hold a snapshot for a second at a time) keep SQLite's automatic
 * checkpoints from ever finishing under a steady stream of commits, and
 * the WAL then grows without bound, slowing every read.  Past WAL_TRUNCATE
 * bytes the writer checkpoints and truncates it, waiting a little for the
 * readers; when a long reader (a training run) keeps it, it tries again
 * later, backing off to 5 minutes.
 */
#ifndef CINEREC_WAL_H
#define CINEREC_WAL_H

#include <stdint.h>

#include <sqlite3.h>

#define WAL_TRUNCATE	(64 << 20)	/* bytes of WAL that call for a reset */
#define WAL_WAIT_MS	1500		/* for readers to move on */

struct wal {
	int64_t	tried;		/* last look (monotonic ms) */
	int64_t	backoff;	/* ms from one look to the next */
};

void	wal_init(struct wal *w);

/*
 * After a commit on db (whose file is path): reset the WAL when it is due.
 * busy_ms is the connection's usual busy timeout, restored after.  Never
 * fails (a reset that does not happen is logged and tried later).
 */
void	wal_tidy(struct wal *w, sqlite3 *db, const char *path, int busy_ms);

#endif
