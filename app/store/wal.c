/*
 * WAL upkeep (see wal.h).
 */
#include <sys/stat.h>

#include <limits.h>
#include <stdio.h>

#include "store/wal.h"
#include "util/clock.h"
#include "util/log.h"

void
wal_init(struct wal *w)
{
	w->tried = 0;
	w->backoff = 2 * WAL_WAIT_MS;
}

void
wal_tidy(struct wal *w, sqlite3 *db, const char *path, int busy_ms)
{
	struct stat	sb;
	char		wal[PATH_MAX + 8];
	int64_t		now = clock_mono_ms();
	int		rc;

	/* A look at the WAL's size, not with every commit. */
	if (now - w->tried < w->backoff)
		return;
	w->tried = now;
	snprintf(wal, sizeof(wal), "%s-wal", path);
	if (stat(wal, &sb) == -1 || sb.st_size < WAL_TRUNCATE)
		return;
	sqlite3_busy_timeout(db, WAL_WAIT_MS);
	rc = sqlite3_wal_checkpoint_v2(db, NULL, SQLITE_CHECKPOINT_TRUNCATE,
	    NULL, NULL);
	sqlite3_busy_timeout(db, busy_ms);
	if (rc == SQLITE_OK)
		w->backoff = 2 * WAL_WAIT_MS;
	else {
		w->backoff = w->backoff * 2 > 300000 ? 300000 : w->backoff * 2;
		log_info("writer: WAL of %lld MB not reset yet (%s), next try "
		    "in %lld s", (long long)(sb.st_size >> 20),
		    sqlite3_errmsg(db), (long long)(w->backoff / 1000));
	}
}
