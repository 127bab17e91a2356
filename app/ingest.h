/*
 * Event ingest: a libuv loop in its own thread that accepts newline-delimited
 * log lines on a TCP listener and on a private Unix socket (used by the HTTP
 * workers for POST /events), feeds them to the single writer and commits in
 * batches.  Committing runs on the loop itself, so while the writer works no
 * connection is read: senders are held back by TCP flow control, and memory
 * stays bounded by one batch.
 *
 * Protocol, per line: when a token is set, the first line of a TCP sender
 * must be `AUTH <token>` (answered `OK`; anything else: `ERR unauthorized`
 * and the connection closes).  Then: a log line; `SYNC`, answered `OK <n>` once everything
 * received before it is committed (n: lines accepted on this connection so
 * far); `STATS`, answered `STATS <accepted> <rejected>[ <reason>=<n>...]`
 * for this connection.  On the internal socket only: `TRAIN`, answered
 * `OK` once a training is requested, and `SERVED ...` lines, the HTTP
 * workers' recommendation log (writer_served).
 */
#ifndef CINEREC_INGEST_H
#define CINEREC_INGEST_H

#include <stdint.h>

struct ingest_opts {
	const char	*data_dir;	/* the database */
	const char	*host;		/* TCP listener */
	uint16_t	 port;
	const char	*sock_path;	/* Unix listener, NULL for none */
	int		 batch_events;	/* commit when this many are pending */
	int		 batch_ms;	/* ... or when the oldest waited this long */
	int64_t		 click_window_ms;	/* for the click-through */
	int		 reco_log_days;		/* raw reco_log kept, days */
	int		 reco_rollup_s;		/* reco_log roll-up period */
	const char	*token;			/* "" or NULL: no AUTH needed */
	/* `TRAIN` on the internal socket calls this (may be NULL). */
	void		(*train)(void *arg);
	void		*train_arg;
};

struct ingest;

/*
 * Open the writer, bind the listeners and start the thread.  Returns the
 * running ingest, or NULL with a logged reason.
 */
struct ingest	*ingest_start(const struct ingest_opts *o);

/* Change the click window of the click-through (any thread). */
void		 ingest_set_click_window(struct ingest *ing, int64_t window_ms);

/* Change the token (any thread); "" lets TCP senders in without AUTH. */
void		 ingest_set_token(struct ingest *ing, const char *token);

/*
 * Stop accepting, read what the connected senders already sent, commit it,
 * close everything and join the thread.  Frees ing.
 */
void		 ingest_stop(struct ingest *ing);

#endif
