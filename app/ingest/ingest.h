/*
 * Event ingest: a libuv loop in its own thread that takes newline-delimited
 * log lines on a TCP listener and on a private Unix socket (POST /events,
 * relayed by the HTTP workers), feeds them to the single writer and commits
 * in batches.  Committing runs on the loop itself, so while the writer works
 * no connection is read: senders are held back by TCP flow control, and
 * memory stays bounded by one batch.
 *
 * Three channels, each carrying one kind of traffic:
 *
 *  - TCP (outside senders): when a token is set, the first line must be
 *    `AUTH <token>` (answered `OK`; anything else: `ERR unauthorized` and
 *    the connection closes), within auth_timeout_ms.  Then log lines, and
 *    two requests: `SYNC`, answered `OK <n>` once everything received
 *    before it is committed (n: lines accepted on this connection so far),
 *    and `STATS`, answered `STATS <accepted> <rejected>[ <reason>=<n>...]`.
 *    A sender that leaves its answers unread is not read either until it
 *    reads them.  Beyond max_conns senders, a new one is answered
 *    `ERR too many connections` and closed.  When the token changes, the
 *    senders let in under the old one are told `ERR token changed` and
 *    closed.
 *  - events (events_path, POST /events bodies): every line is a log line,
 *    nothing else.  When the sender has sent its body and shut down its
 *    side, the lines are committed and the answer is one line,
 *    `OK <accepted> <rejected>[ <reason>=<n>...]` (all of them committed),
 *    then the connection closes.  While commits fail, a new sender is
 *    answered `BUSY` at once, before anything is read.
 *  - control (control_path, the HTTP workers only): `SERVED ...` records
 *    (the recommendation log, see writer_served) and `TRAIN` (answered
 *    `OK` once a training is requested).  Nothing from outside reaches it.
 */
#ifndef CINEREC_INGEST_H
#define CINEREC_INGEST_H

#include <stddef.h>
#include <stdint.h>

struct ingest_opts {
	const char	*data_dir;	/* the database */
	const char	*host;		/* TCP listener */
	uint16_t	 port;
	const char	*events_path;	/* Unix listener for POST bodies */
	const char	*control_path;	/* Unix listener for the workers */
	int		 batch_events;	/* commit when this many are pending */
	int		 batch_ms;	/* ... or when the oldest waited this long */
	int64_t		 click_window_ms;	/* for the click-through */
	int64_t		 click_skew_ms;		/* clocks' allowance, >= 0 */
	int		 rating_max;		/* ratings are 1..this */
	int		 reco_log_days;		/* raw reco_log kept, days */
	int		 reco_rollup_s;		/* reco_log roll-up period */
	const char	*token;			/* "" or NULL: no AUTH needed */
	int		 max_conns;		/* TCP senders at once */
	int64_t		 auth_timeout_ms;	/* for AUTH, with a token */
	/* The Kafka input (kafka.h), when brokers is set ("" or NULL: none). */
	const char	*kafka_brokers;
	const char	*kafka_topic;
	const char	*kafka_group;
	const char	*kafka_partitions;	/* kafka_opts.partitions */
	const char	*kafka_served_topic;	/* kafka_opts.served_topic */
	int		 kafka_replica;		/* kafka_opts.replica */
	const char	*kafka_node;		/* kafka_opts.node */
	/* `TRAIN` on the control socket calls this (may be NULL). */
	void		(*train)(void *arg);
	void		*train_arg;
	/* The writer's commit hook (writer_set_hook; may be NULL). */
	void		(*commit_hook)(void *arg, const int64_t *users,
			    size_t n, int before);
	void		*commit_hook_arg;
};

struct ingest;

/*
 * Open the writer, bind the listeners and start the thread.  Returns the
 * running ingest, or NULL with a logged reason.
 */
struct ingest	*ingest_start(const struct ingest_opts *o);

/* Change the click window of the click-through (any thread). */
void		 ingest_set_click_window(struct ingest *ing, int64_t window_ms);

/*
 * Change the token (any thread); "" lets TCP senders in without AUTH.  A
 * change closes, within one loop turn, every TCP sender admitted under the
 * old token (or under none).
 */
void		 ingest_set_token(struct ingest *ing, const char *token);

/*
 * Stop accepting, read what the connected senders already sent, commit it,
 * close everything and join the thread.  Frees ing.
 */
void		 ingest_stop(struct ingest *ing);

/*
 * From another thread: the ids of n movies by spelling (writer_movie_ids),
 * the new ones committed before the answer.  Waits for the ingest thread,
 * INGEST_ASK_S seconds at most.  Returns 0, or -1 (no memory, a failed
 * commit, no answer in time, a stop).
 */
#define INGEST_ASK_S	30
int		 ingest_movie_ids(struct ingest *ing, char *const *slugs,
		    size_t n, int32_t *ids);

#endif
