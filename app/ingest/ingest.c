/*
 * The ingest thread (see ingest.h): libuv listeners for the three channels,
 * connections with line framing and bounded answer queues, the TCP
 * protocol's requests, batch commits on a timer or when a batch is full,
 * and the orderly stop that loses nothing already received.
 */
#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>
#include <uv.h>

#include "ingest/ingest.h"
#include "util/clock.h"
#include "ingest/lines.h"
#include "telemetry/metrics.h"
#include "util/log.h"
#include "util/vec.h"
#include "ingest/parse.h"
#include "store/writer.h"

#define OUT_HIGH	(64 * 1024)	/* answers unwritten: stop reading */
#define OUT_LOW		(16 * 1024)	/* ... and read again below this */
#define STOP_WAIT_MS	2000	/* for POST bodies in flight at a stop */

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
	pthread_t	 thread;
	struct writer	*w;
	struct conn	*conns;		/* every open connection */
	int		 ntcp;		/* TCP senders counted */
	int		 awaiting;	/* events connections awaiting */
	int		 batch_events;
	int		 max_conns;
	int64_t		 auth_timeout_ms;
	int		 paused;	/* commits fail: reads stopped */
	int		 stopping;	/* ingest_stop was called */
	int64_t		 stop_ms;	/* when (monotonic) */
	int64_t		 keep_ms;	/* reco_log retention */
	int64_t		 expired_ms;	/* last retention pass (monotonic) */
	int64_t		 window_ms;	/* click window asked for (atomic) */
	int64_t		 window_set;	/* the one the writer has */
	pthread_mutex_t	 token_lock;	/* token changes from other threads */
	char		 token[128];	/* "" = no AUTH needed */
	uint64_t	 token_gen;	/* bumped by every change */
	int		 loop_running;	/* token changes reach the loop */
	void		(*train)(void *);	/* see ingest_opts */
	void		*train_arg;
	char		 events_path[256], control_path[256];
};

static void	conn_read(uv_stream_t *, ssize_t, const uv_buf_t *);
static void	conn_close(struct conn *);
static void	conn_end(struct conn *);

static void
conn_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct conn	*c = h->data;
	size_t		 avail;

	(void)suggested;
	buf->base = lines_space(&c->lines, &avail);
	buf->len = avail;
}

/* Start or stop reading c, as its state allows. */
static void
conn_reading(struct conn *c, int on)
{
	on = on && !c->held && !c->ending && !c->eof && !c->ing->paused;
	if (on && !c->reading) {
		if (uv_read_start(&c->h.stream, conn_alloc, conn_read) == 0)
			c->reading = 1;
	} else if (!on && c->reading) {
		uv_read_stop(&c->h.stream);
		c->reading = 0;
	}
}

static void
write_done(uv_write_t *req, int status)
{
	struct conn	*c = req->data;

	(void)status;
	free(req);
	/* Closing: libuv hands back the writes it cancelled. */
	if (uv_is_closing(&c->h.handle))
		return;
	if (c->ending) {
		if (c->h.stream.write_queue_size == 0)
			conn_close(c);
		return;
	}
	if (c->held && c->h.stream.write_queue_size <= OUT_LOW) {
		c->held = 0;
		conn_reading(c, 1);
	}
}

/* Queue an answer; it goes out with the next conn_flush. */
static void
conn_reply(struct conn *c, const char *text, size_t len)
{
	if (vec_grow((void **)&c->out, &c->outcap, c->outlen + len, 1) ==
	    -1) {
		log_warnx("ingest: out of memory for an answer");
		return;
	}
	memcpy(c->out + c->outlen, text, len);
	c->outlen += len;
}

/*
 * Hand the queued answers to libuv in one write.  A TCP sender whose
 * answers pile up unread is not read until it takes them.
 */
static void
conn_flush(struct conn *c)
{
	uv_write_t	*req;
	uv_buf_t	 buf;

	if (c->outlen == 0 || uv_is_closing(&c->h.handle))
		return;
	if ((req = malloc(sizeof(*req) + c->outlen)) == NULL) {
		log_warnx("ingest: out of memory for an answer");
		c->outlen = 0;
		return;
	}
	memcpy(req + 1, c->out, c->outlen);
	buf = uv_buf_init((char *)(req + 1), (unsigned int)c->outlen);
	req->data = c;
	c->outlen = 0;
	if (uv_write(req, &c->h.stream, &buf, 1, write_done) != 0) {
		free(req);
		return;
	}
	if (c->kind == CONN_TCP && !c->held &&
	    c->h.stream.write_queue_size > OUT_HIGH) {
		c->held = 1;
		conn_reading(c, 0);
		metrics_ingest_event(METRICS_HELD);
	}
}

static void
reply_counts(struct conn *c, const char *verb)
{
	char		 buf[64 + PARSE_NREASONS * 40];
	uint64_t	 rej = 0;
	size_t		 n;
	int		 i;

	for (i = 1; i < PARSE_NREASONS; i++)
		rej += c->rejected[i];
	n = (size_t)snprintf(buf, sizeof(buf), "%s %llu %llu", verb,
	    (unsigned long long)c->accepted, (unsigned long long)rej);
	for (i = 1; i < PARSE_NREASONS; i++)
		if (c->rejected[i] > 0)
			n += (size_t)snprintf(buf + n, sizeof(buf) - n,
			    " %s=%llu", parse_reason_name(i),
			    (unsigned long long)c->rejected[i]);
	buf[n++] = '\n';
	conn_reply(c, buf, n);
}

/* A POST body is committed: its counts, then the connection closes. */
static void
events_answer(struct conn *c)
{
	c->awaiting = 0;
	c->ing->awaiting--;
	reply_counts(c, "OK");
	conn_end(c);
}

static void
set_reading(struct ingest *ing, int on)
{
	struct conn	*c;

	for (c = ing->conns; c != NULL; c = c->next)
		conn_reading(c, on);
}

/*
 * Commit the pending batch.  On failure stop reading every connection (the
 * batch stays in memory, the timer retries); resume once it succeeds, and
 * answer the POST bodies whose lines are now committed.
 */
static int
commit(struct ingest *ing)
{
	struct conn	*c, *next;
	int64_t		 t0 = clock_mono_ms();
	int		 rc;

	rc = writer_commit(ing->w);
	metrics_commit((uint64_t)(clock_mono_ms() - t0) * 1000, rc == 0);
	if (rc == -1) {
		if (!ing->paused) {
			log_warnx("ingest: commit failed, pausing reads");
			ing->paused = 1;
			set_reading(ing, 0);
			metrics_ingest_tick(1);
		}
		return (-1);
	}
	if (ing->paused) {
		log_info("ingest: commits work again, resuming reads");
		ing->paused = 0;
		metrics_ingest_tick(0);
		if (!ing->stopping)
			set_reading(ing, 1);
	}
	for (c = ing->conns; c != NULL && ing->awaiting > 0; c = next) {
		next = c->next;
		if (c->awaiting)
			events_answer(c);
	}
	return (0);
}

/* Does line hold "AUTH <token>" with the current token?  Constant time. */
static int
auth_ok(struct ingest *ing, const char *line, size_t len, uint64_t *gen)
{
	size_t	tlen;
	int	ok;

	pthread_mutex_lock(&ing->token_lock);
	tlen = strlen(ing->token);
	ok = tlen == 0 || (len == tlen + 5 && memcmp(line, "AUTH ", 5) == 0 &&
	    sodium_memcmp(line + 5, ing->token, tlen) == 0);
	*gen = ing->token_gen;
	pthread_mutex_unlock(&ing->token_lock);
	return (ok);
}

/* A log line, from a sender or a POST body. */
static void
data_line(struct conn *c, const char *line, size_t len)
{
	int	rc;

	rc = writer_line(c->ing->w, line, len);
	if (rc == PARSE_OK)
		c->accepted++;
	else if (rc != WRITER_BLANK)
		c->rejected[rc]++;
}

static int
tcp_line(struct conn *c, const char *line, size_t len)
{
	char	buf[64];
	int	n;

	if (!c->authed) {
		if (!auth_ok(c->ing, line, len, &c->auth_gen)) {
			conn_reply(c, "ERR unauthorized\n", 17);
			metrics_ingest_event(METRICS_AUTH_FAILED);
			conn_end(c);
			return (-1);
		}
		c->authed = 1;
		if (len > 5 && memcmp(line, "AUTH ", 5) == 0) {
			conn_reply(c, "OK\n", 3);
			return (0);
		}
	}
	if (len == 4 && memcmp(line, "SYNC", 4) == 0) {
		if (commit(c->ing) == -1) {
			conn_reply(c, "ERR commit failed\n", 18);
			return (0);
		}
		n = snprintf(buf, sizeof(buf), "OK %llu\n",
		    (unsigned long long)c->accepted);
		conn_reply(c, buf, (size_t)n);
		return (0);
	}
	if (len == 5 && memcmp(line, "STATS", 5) == 0) {
		reply_counts(c, "STATS");
		return (0);
	}
	data_line(c, line, len);
	return (0);
}

static int
control_line(struct conn *c, const char *line, size_t len)
{
	struct ingest	*ing = c->ing;

	if (len > 7 && memcmp(line, "SERVED ", 7) == 0) {
		if (writer_served(ing->w, line, len) == -1)
			metrics_ingest_event(METRICS_SERVED_REFUSED);
		return (0);
	}
	if (len == 5 && memcmp(line, "TRAIN", 5) == 0) {
		if (ing->train == NULL) {
			conn_reply(c, "ERR no trainer\n", 15);
			return (0);
		}
		ing->train(ing->train_arg);
		conn_reply(c, "OK\n", 3);
		return (0);
	}
	log_warnx("ingest: unknown control record (%zu bytes) ignored", len);
	return (0);
}

static int
conn_line(void *arg, const char *line, size_t len)
{
	struct conn	*c = arg;

	if (len > 0 && line[len - 1] == '\r')
		len--;
	if (c->ending)
		return (-1);
	switch (c->kind) {
	case CONN_TCP:
		return (tcp_line(c, line, len));
	case CONN_EVENTS:
		/* Data, whatever it says. */
		data_line(c, line, len);
		return (0);
	case CONN_CONTROL:
		return (control_line(c, line, len));
	}
	return (-1);
}

static void
conn_closed(uv_handle_t *h)
{
	struct conn	*c = h->data;

	free(c->out);
	free(c);
}

static void
conn_close(struct conn *c)
{
	if (uv_is_closing(&c->h.handle))
		return;
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		c->ing->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	if (c->counted)
		c->ing->ntcp--;
	if (c->awaiting)
		c->ing->awaiting--;
	uv_close(&c->h.handle, conn_closed);
}

/* Read nothing more; close once the answers are written. */
static void
conn_end(struct conn *c)
{
	c->ending = 1;
	conn_reading(c, 0);
	conn_flush(c);
	if (!uv_is_closing(&c->h.handle) && c->h.stream.write_queue_size == 0)
		conn_close(c);
}

/* A POST body has been read to its end: commit, then answer. */
static void
events_done(struct conn *c)
{
	struct ingest	*ing = c->ing;

	c->awaiting = 1;
	ing->awaiting++;
	/* A failed commit leaves it awaiting: the timer retries. */
	(void)commit(ing);
}

static void
conn_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	struct conn	*c = s->data;
	struct ingest	*ing = c->ing;

	(void)buf;
	if (n > 0) {
		(void)lines_commit(&c->lines, (size_t)n, conn_line, c);
		if (writer_pending(ing->w) >= (size_t)ing->batch_events)
			(void)commit(ing);
		conn_flush(c);
		return;
	}
	if (n == 0)
		return;
	/* EOF or error: a last line without '\n' still counts. */
	c->eof = 1;
	conn_reading(c, 0);
	(void)lines_finish(&c->lines, conn_line, c);
	if (n != UV_EOF) {
		log_info("ingest: connection error: %s", uv_strerror((int)n));
		conn_close(c);
	} else if (c->kind == CONN_EVENTS && !c->ending)
		events_done(c);
	else
		conn_end(c);
}

static void
on_connection(uv_stream_t *server, int status)
{
	struct ingest	*ing = server->data;
	struct conn	*c;
	int		 rc;

	if (status < 0) {
		log_warnx("ingest: accept: %s", uv_strerror(status));
		return;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return;
	c->ing = ing;
	c->opened_ms = clock_mono_ms();
	if (server == (uv_stream_t *)&ing->tcp) {
		c->kind = CONN_TCP;
		rc = uv_tcp_init(&ing->loop, &c->h.tcp);
	} else {
		c->kind = server == (uv_stream_t *)&ing->events ? CONN_EVENTS :
		    CONN_CONTROL;
		rc = uv_pipe_init(&ing->loop, &c->h.pipe, 0);
	}
	if (rc != 0) {
		free(c);
		return;
	}
	c->h.handle.data = c;
	if (uv_accept(server, &c->h.stream) != 0) {
		uv_close(&c->h.handle, conn_closed);
		return;
	}
	/* With a token set, a TCP sender must say it first. */
	pthread_mutex_lock(&ing->token_lock);
	c->authed = c->kind != CONN_TCP || ing->token[0] == '\0';
	c->auth_gen = ing->token_gen;
	pthread_mutex_unlock(&ing->token_lock);
	c->next = ing->conns;
	if (ing->conns != NULL)
		ing->conns->prev = c;
	ing->conns = c;
	if (c->kind == CONN_TCP) {
		if (ing->ntcp >= ing->max_conns) {
			conn_reply(c, "ERR too many connections\n", 25);
			metrics_ingest_event(METRICS_CONN_LIMIT);
			conn_end(c);
			return;
		}
		c->counted = 1;
		ing->ntcp++;
	}
	if (c->kind == CONN_EVENTS && ing->paused) {
		/* Nothing of it read: the sender may try again later. */
		conn_reply(c, "BUSY\n", 5);
		metrics_ingest_event(METRICS_EVENTS_BUSY);
		conn_end(c);
		return;
	}
	conn_reading(c, 1);
}

/* TCP senders that did not authenticate in time are dropped. */
static void
auth_deadlines(struct ingest *ing)
{
	struct conn	*c, *next;
	int64_t		 now = clock_mono_ms();

	for (c = ing->conns; c != NULL; c = next) {
		next = c->next;
		if (c->kind != CONN_TCP || c->authed || c->ending ||
		    now - c->opened_ms < ing->auth_timeout_ms)
			continue;
		conn_reply(c, "ERR authentication timeout\n", 27);
		metrics_ingest_event(METRICS_AUTH_TIMEOUT);
		conn_end(c);
	}
}

static void
on_timer(uv_timer_t *t)
{
	struct ingest	*ing = t->data;
	int64_t		 w;

	if (writer_due(ing->w) || ing->paused || ing->awaiting > 0)
		(void)commit(ing);
	metrics_ingest_gauges(writer_pending(ing->w), (uint64_t)ing->ntcp);
	metrics_ingest_tick(ing->paused);
	auth_deadlines(ing);
	w = __atomic_load_n(&ing->window_ms, __ATOMIC_RELAXED);
	if (w > 0 && w != ing->window_set) {
		writer_set_click_window(ing->w, w);
		ing->window_set = w;
	}
	/* Retention, a slice at a time so no pass holds the writer long. */
	if (ing->keep_ms > 0 && clock_mono_ms() - ing->expired_ms >= 60000 &&
	    writer_expire(ing->w, clock_now_ms() - ing->keep_ms, 5000) < 5000)
		ing->expired_ms = clock_mono_ms();
}

/*
 * The token changed: the TCP senders let in under another one (or none)
 * must authenticate again.  A token removed lets everyone stay.
 */
static void
on_token_changed(uv_async_t *a)
{
	struct ingest	*ing = a->data;
	struct conn	*c, *next;
	uint64_t	 gen;
	int		 open;

	pthread_mutex_lock(&ing->token_lock);
	gen = ing->token_gen;
	open = ing->token[0] == '\0';
	pthread_mutex_unlock(&ing->token_lock);
	for (c = ing->conns; c != NULL; c = next) {
		next = c->next;
		if (c->kind != CONN_TCP || !c->authed || c->ending ||
		    c->auth_gen == gen)
			continue;
		if (open) {
			c->auth_gen = gen;
			continue;
		}
		conn_reply(c, "ERR token changed\n", 18);
		metrics_ingest_event(METRICS_TOKEN_CHANGED);
		conn_end(c);
	}
}

/*
 * Read what a sender already sent (it is in the kernel's buffers), so
 * that lines sent before the stop are not lost.
 */
static void
drain(struct conn *c)
{
	uv_os_fd_t	 fd;
	char		*p;
	size_t		 avail;
	ssize_t		 n;

	if (c->ending || c->eof || uv_fileno(&c->h.handle, &fd) != 0)
		return;
	for (;;) {
		p = lines_space(&c->lines, &avail);
		n = recv(fd, p, avail, MSG_DONTWAIT);
		if (n <= 0)
			break;
		(void)lines_commit(&c->lines, (size_t)n, conn_line, c);
	}
	(void)lines_finish(&c->lines, conn_line, c);
}

static void
close_all(uv_handle_t *h, void *arg)
{
	(void)arg;
	if (!uv_is_closing(h))
		uv_close(h, NULL);
}

/* The last commit: then every POST body in it is answered, and all closes. */
static void
stop_finish(struct ingest *ing)
{
	struct conn	*c;

	for (c = ing->conns; c != NULL; c = c->next)
		if (c->kind == CONN_TCP || c->kind == CONN_CONTROL)
			drain(c);
	(void)commit(ing);
	while ((c = ing->conns) != NULL) {
		conn_flush(c);
		conn_close(c);
	}
	metrics_ingest_up(0, 0, 0);
	uv_close((uv_handle_t *)&ing->timer, NULL);
	uv_close((uv_handle_t *)&ing->stop_timer, NULL);
	uv_close((uv_handle_t *)&ing->stop, NULL);
	uv_close((uv_handle_t *)&ing->token_changed, NULL);
}

/* POST bodies still arriving at a stop get a moment to end. */
static void
on_stop_wait(uv_timer_t *t)
{
	struct ingest	*ing = t->data;
	struct conn	*c;

	for (c = ing->conns; c != NULL; c = c->next)
		if (c->kind == CONN_EVENTS && !c->eof && !c->ending)
			break;
	if (c == NULL || ing->paused ||
	    clock_mono_ms() - ing->stop_ms >= STOP_WAIT_MS) {
		uv_timer_stop(t);
		stop_finish(ing);
	}
}

static void
on_stop(uv_async_t *a)
{
	struct ingest	*ing = a->data;

	ing->stopping = 1;
	ing->stop_ms = clock_mono_ms();
	uv_close((uv_handle_t *)&ing->tcp, NULL);
	if (ing->has_events)
		uv_close((uv_handle_t *)&ing->events, NULL);
	if (ing->has_control)
		uv_close((uv_handle_t *)&ing->control, NULL);
	uv_timer_start(&ing->stop_timer, on_stop_wait, 0, 10);
}

static void *
run(void *arg)
{
	struct ingest	*ing = arg;

	uv_run(&ing->loop, UV_RUN_DEFAULT);
	return (NULL);
}

static int
listen_tcp(struct ingest *ing, const char *host, uint16_t port)
{
	struct sockaddr_storage	 ss;
	int			 rc;

	if (strchr(host, ':') != NULL)
		rc = uv_ip6_addr(host, port, (struct sockaddr_in6 *)&ss);
	else
		rc = uv_ip4_addr(host, port, (struct sockaddr_in *)&ss);
	if (rc != 0) {
		log_warnx("ingest: bad address %s: %s", host, uv_strerror(rc));
		return (-1);
	}
	if ((rc = uv_tcp_init(&ing->loop, &ing->tcp)) != 0)
		return (-1);
	ing->tcp.data = ing;
	if ((rc = uv_tcp_bind(&ing->tcp, (struct sockaddr *)&ss, 0)) != 0 ||
	    (rc = uv_listen((uv_stream_t *)&ing->tcp, 256,
	    on_connection)) != 0) {
		log_warnx("ingest: cannot listen on %s:%u: %s", host, port,
		    uv_strerror(rc));
		return (-1);
	}
	return (0);
}

/*
 * A Unix listener at path (mode 0600), into p; *has set once it must be
 * closed.  Its inode into *ino.  The data dir is this instance's (its
 * lock is held), so a stale socket there is ours to replace.
 */
static int
listen_unix(struct ingest *ing, uv_pipe_t *p, int *has, char *dst,
    size_t dstsz, const char *path, uint64_t *ino)
{
	struct stat	sb;
	int		rc;

	if (strlen(path) >= dstsz)
		return (-1);
	strcpy(dst, path);
	(void)unlink(path);
	if ((rc = uv_pipe_init(&ing->loop, p, 0)) != 0)
		return (-1);
	p->data = ing;
	*has = 1;
	if ((rc = uv_pipe_bind(p, path)) != 0 ||
	    (rc = uv_listen((uv_stream_t *)p, 128, on_connection)) != 0) {
		log_warnx("ingest: cannot listen on %s: %s", path,
		    uv_strerror(rc));
		return (-1);
	}
	(void)chmod(path, 0600);
	*ino = stat(path, &sb) == 0 ? (uint64_t)sb.st_ino : 0;
	return (0);
}

static void
unlink_own(struct ingest *ing)
{
	if (ing->has_events)
		(void)unlink(ing->events_path);
	if (ing->has_control)
		(void)unlink(ing->control_path);
}

struct ingest *
ingest_start(const struct ingest_opts *o)
{
	struct ingest	*ing;
	sigset_t	 all, old;
	uint64_t	 ev_ino = 0, ctl_ino = 0;
	int		 rc;

	if ((ing = calloc(1, sizeof(*ing))) == NULL)
		return (NULL);
	ing->batch_events = o->batch_events;
	ing->max_conns = o->max_conns > 0 ? o->max_conns : 1024;
	ing->auth_timeout_ms = o->auth_timeout_ms > 0 ? o->auth_timeout_ms :
	    10000;
	ing->train = o->train;
	pthread_mutex_init(&ing->token_lock, NULL);
	ingest_set_token(ing, o->token);
	ing->keep_ms = (int64_t)o->reco_log_days * 86400000;
	ing->train_arg = o->train_arg;
	if (uv_loop_init(&ing->loop) != 0) {
		free(ing);
		return (NULL);
	}
	if ((ing->w = writer_open(o->data_dir)) == NULL)
		goto fail;
	writer_set_rollup(ing->w, (int64_t)o->reco_rollup_s * 1000);
	if (o->click_window_ms > 0)
		writer_set_click_window(ing->w, o->click_window_ms);
	if (listen_tcp(ing, o->host, o->port) == -1 ||
	    (o->events_path != NULL && listen_unix(ing, &ing->events,
	    &ing->has_events, ing->events_path, sizeof(ing->events_path),
	    o->events_path, &ev_ino) == -1) ||
	    (o->control_path != NULL && listen_unix(ing, &ing->control,
	    &ing->has_control, ing->control_path, sizeof(ing->control_path),
	    o->control_path, &ctl_ino) == -1))
		goto fail;
	uv_timer_init(&ing->loop, &ing->timer);
	ing->timer.data = ing;
	uv_timer_start(&ing->timer, on_timer, (uint64_t)o->batch_ms,
	    (uint64_t)o->batch_ms);
	uv_timer_init(&ing->loop, &ing->stop_timer);
	ing->stop_timer.data = ing;
	uv_async_init(&ing->loop, &ing->stop, on_stop);
	ing->stop.data = ing;
	uv_async_init(&ing->loop, &ing->token_changed, on_token_changed);
	ing->token_changed.data = ing;
	__atomic_store_n(&ing->loop_running, 1, __ATOMIC_RELEASE);
	metrics_ingest_up(1, ev_ino, ctl_ino);

	/* Signals belong to Kore's thread. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	rc = pthread_create(&ing->thread, NULL, run, ing);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		log_warnx("ingest: pthread_create: %s", strerror(rc));
		metrics_ingest_up(0, 0, 0);
		goto fail;
	}
	log_info("ingest: listening on %s:%u", o->host, o->port);
	return (ing);

fail:
	uv_walk(&ing->loop, close_all, NULL);
	uv_run(&ing->loop, UV_RUN_DEFAULT);
	(void)uv_loop_close(&ing->loop);
	(void)writer_close(ing->w);
	unlink_own(ing);
	free(ing);
	return (NULL);
}

void
ingest_set_click_window(struct ingest *ing, int64_t window_ms)
{
	__atomic_store_n(&ing->window_ms, window_ms, __ATOMIC_RELAXED);
}

void
ingest_set_token(struct ingest *ing, const char *token)
{
	int	changed;

	if (token == NULL)
		token = "";
	pthread_mutex_lock(&ing->token_lock);
	changed = strcmp(ing->token, token) != 0;
	if (changed) {
		snprintf(ing->token, sizeof(ing->token), "%s", token);
		ing->token_gen++;
	}
	pthread_mutex_unlock(&ing->token_lock);
	if (changed && __atomic_load_n(&ing->loop_running, __ATOMIC_ACQUIRE))
		uv_async_send(&ing->token_changed);
}

void
ingest_stop(struct ingest *ing)
{
	struct writer_stats	st;

	uv_async_send(&ing->stop);
	pthread_join(ing->thread, NULL);
	(void)uv_loop_close(&ing->loop);
	writer_stats(ing->w, &st);
	if (writer_close(ing->w) == -1)
		log_warnx("ingest: the last commit failed");
	unlink_own(ing);
	log_info("ingest: stopped after %llu commits of %llu lines",
	    (unsigned long long)st.commits, (unsigned long long)st.committed);
	pthread_mutex_destroy(&ing->token_lock);
	free(ing);
}
