/*
 * The ingest's insides, shared by its loop (ingest.c) and its connections
 * (conn.c); nothing outside ingest/ includes this.
 */
#ifndef CINEREC_INGEST_INT_H
#define CINEREC_INGEST_INT_H

#include <pthread.h>
#include <stdint.h>

#include <uv.h>

#include "ingest/lines.h"
#include "ingest/parse.h"

struct kafka;
struct writer;

/* A question from another thread to the writer (ingest_movie_ids). */
struct ingest_ask {
	char *const	*slugs;
	size_t		 n;
	int32_t		*ids;
	int		 rc;		/* the answer */
	int		 done;
};

#define OUT_HIGH	(64 * 1024)	/* answers unwritten: stop reading */
#define OUT_LOW		(16 * 1024)	/* ... and read again below this */
#define STOP_WAIT_MS	2000	/* for POST bodies in flight at a stop */
#define STOP_TICK_MS	10	/* a stop looks again this often */

enum conn_kind {
	CONN_TCP,		/* an outside sender */
	CONN_EVENTS,		/* a POST /events body */
	CONN_CONTROL		/* an HTTP worker: SERVED, TRAIN */
};

/*
 * One connection.  Invariants: reading only if none of held, ending, eof
 * is set and the ingest is not paused; out holds answers not yet handed
 * to libuv (written out after each read); a connection in ing->conns is
 * not closing.
 */
struct conn {
	union {
		uv_handle_t	handle;
		uv_stream_t	stream;
		uv_tcp_t	tcp;
		uv_pipe_t	pipe;
	} h;
	struct ingest	*ing;
	struct conn	*prev, *next;	/* ing->conns */
	enum conn_kind	 kind;
	int		 reading;	/* uv_read_start is in effect */
	int		 held;		/* its answers are unread: not read */
	int		 ending;	/* closes once its answers are out */
	int		 eof;		/* the sender finished sending */
	int		 awaiting;	/* events: answer after a commit */
	int		 counted;	/* in ing->ntcp */
	int		 authed;	/* sent the token (or none needed) */
	uint64_t	 auth_gen;	/* token generation it was let in under */
	int64_t		 opened_ms;	/* monotonic */
	uint64_t	 accepted;	/* lines accepted on this connection */
	uint64_t	 rejected[PARSE_NREASONS];
	char		*out;		/* answers to write */
	size_t		 outlen, outcap;
	struct lines	 lines;		/* partial line between reads */
};

struct ingest {
	uv_loop_t	 loop;
	uv_tcp_t	 tcp;		/* outside senders */
	uv_pipe_t	 events;	/* POST /events bodies */
	uv_pipe_t	 control;	/* the HTTP workers */
	int		 has_events, has_control;
	uv_timer_t	 timer;		/* batch_ms commits, retries */
	uv_timer_t	 stop_timer;	/* a stop waiting for bodies */
	uv_async_t	 stop;		/* ingest_stop -> loop */
	uv_async_t	 token_changed;	/* ingest_set_token -> loop */
	uv_async_t	 asked;		/* ingest_movie_ids -> loop */
	pthread_mutex_t	 ask_lock;	/* the one question in flight */
	pthread_cond_t	 answered;
	struct ingest_ask *ask;		/* it, NULL: none */
	pthread_t	 thread;
	struct writer	*w;
	struct kafka	*kafka;		/* the Kafka input, or NULL */
	struct conn	*conns;		/* every open connection */
	int		 ntcp;		/* TCP senders counted */
	int		 awaiting;	/* events connections awaiting */
	int		 batch_events;
	int64_t		 commit_started_ms;	/* the last commit (monotonic) */
	int64_t		 committed_ms;		/* ... and its end */
	int		 max_conns;
	int64_t		 auth_timeout_ms;
	int		 paused;	/* commits fail: reads stopped */
	int		 stopping;	/* ingest_stop was called */
	int64_t		 stop_ms;	/* when (monotonic) */
	int64_t		 keep_ms;	/* reco_log retention */
	int64_t		 expired_ms;	/* last retention pass (monotonic) */
	int64_t		 window_ms;	/* click window asked for (atomic) */
	int64_t		 history_ms;	/* last history sample (monotonic) */
	int64_t		 window_set;	/* the one the writer has */
	pthread_mutex_t	 token_lock;	/* token changes from other threads */
	char		 token[128];	/* "" = no AUTH needed */
	uint64_t	 token_gen;	/* bumped by every change */
	int		 loop_running;	/* token changes reach the loop */
	void		(*train)(void *);	/* see ingest_opts */
	void		*train_arg;
	char		 events_path[256], control_path[256];
};

/* conn.c: a connection's life. */
void	conn_accept(uv_stream_t *server, int status);	/* uv_connection_cb */
void	conn_reading(struct conn *c, int on);	/* as its state allows */
void	conn_reply(struct conn *c, const char *text, size_t len);
void	conn_flush(struct conn *c);		/* queued answers out */
void	conn_end(struct conn *c);	/* read no more, close when written */
void	conn_close(struct conn *c);		/* now */
void	conn_answer(struct conn *c);	/* a committed POST body's counts */
void	conn_drain(struct conn *c);	/* what the kernel holds, at a stop */

/*
 * ingest.c: commit the pending batch (pausing every reader while commits
 * fail) and answer the POST bodies it made durable.  Returns 0 or -1.
 */
int	ingest_commit(struct ingest *ing);

/*
 * Whether a batch of pending lines is due at now_ms, the last commit having
 * run from started_ms to committed_ms (ingest.c: group commit).
 */
#define INGEST_LAG_RATE		5000	/* lines a second: the writer is behind */
#define INGEST_LAG_FACTOR	2	/* ... so waits twice a commit's time */
#define INGEST_LAG_MAX_MS	2000	/* ... at most */
int	ingest_commit_due(int64_t now_ms, int64_t started_ms,
	    int64_t committed_ms, size_t pending);

#endif
