/*
 * The HTTP workers' side of the recommendation log: each served list goes
 * as one line to the writer over the internal Unix socket, without ever
 * blocking a request.  Lines are gathered and written together (a timer
 * flushes every RECLOG_TICK_MS), so a list costs no system call of its
 * own.  Lines wait in a bounded buffer while the socket is full; when the
 * buffer is full too, or the writer is not reachable, the line is dropped
 * and the caller counts it.
 */
#ifndef CINEREC_RECLOG_H
#define CINEREC_RECLOG_H

#include <stddef.h>
#include <stdint.h>

#define RECLOG_BUF	(256 * 1024)	/* bytes waiting at most */
#define RECLOG_FLUSH	(16 * 1024)	/* reclog_send writes from here on */
#define RECLOG_TICK_MS	20		/* call reclog_flush this often */
#define RECLOG_IDS_MAX	64		/* movies of a list logged, at most */
#define RECLOG_LINE_MAX	(176 + RECLOG_IDS_MAX * 11)	/* one line */

struct reclog {
	int	fd;			/* -1: not connected */
	char	path[108];		/* the writer's socket */
	int64_t	retry_ms;		/* no reconnect before (monotonic) */
	size_t	len;			/* bytes in buf */
	int	mid;			/* buf starts inside a line */
	uint64_t lost;			/* lines cut by a writer gone away */
	char	buf[RECLOG_BUF];
};

/* Remember the socket path; connects on first use.  Cannot fail. */
void	reclog_init(struct reclog *l, const char *sock_path);

/*
 * Queue one line (with its '\n') and write what the socket takes now.
 * Returns 0, or -1 if the line was dropped.
 */
int	reclog_send(struct reclog *l, const char *line, size_t len);

/*
 * Queue the SERVED line of a list given to user (see writer_served): its
 * time, model version (0: none), experiment arm label (NULL or "": none,
 * logged "-"), latency, how many ids came from the model,
 * and the movie ids, best first.  Returns 0, or -1 if it was dropped.
 */
int	reclog_served(struct reclog *l, int64_t ts_ms, int64_t user,
	    int64_t model_version, const char *arm, int64_t latency_us,
	    size_t personal, const int32_t *ids, size_t n);

/* v in decimal at p (room for 20 bytes); returns the length, no NUL. */
size_t	reclog_int(char *p, int64_t v);

/*
 * Movie ids as "17,4032,9" at p (room for 11 bytes per id); returns the
 * length, no NUL.
 */
size_t	reclog_ids(char *p, const int32_t *ids, size_t n);

/*
 * The other way: "17,4032,9" (or NULL) into up to max ids, ids that are
 * not positive left out.  Returns how many.
 */
size_t	reclog_parse_ids(const char *p, int32_t *ids, size_t max);

/*
 * Write what waits (e.g. from a timer).  Cannot fail.  When the writer
 * goes away with part of a line, the rest of it is dropped (not sent to
 * the next writer as a line of its own) and counted in lost.
 */
void	reclog_flush(struct reclog *l);

void	reclog_close(struct reclog *l);

#endif
