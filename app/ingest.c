/*
 * The ingest thread (see ingest.h): libuv listeners and connections, line
 * framing, the SYNC/STATS commands, batch commits on a timer or when a batch
 * is full, and the orderly stop that loses nothing already received.
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

#include "ingest.h"
#include "clock.h"
#include "lines.h"
#include "metrics.h"
#include "log.h"
#include "parse.h"
#include "writer.h"

/* One sender's connection. */
struct conn {
	union {
		uv_handle_t	handle;
		uv_stream_t	stream;
		uv_tcp_t	tcp;
		uv_pipe_t	pipe;
	} h;
	struct ingest	*ing;
	struct conn	*prev, *next;	/* ing->conns */
	int		 reading;	/* uv_read_start is in effect */
	int		 internal;	/* on the Unix socket: trusted */
	int		 authed;	/* sent the token (or none needed) */
	int		 closing;	/* refused: ignore what follows */
	uint64_t	 accepted;	/* lines accepted on this connection */
	uint64_t	 rejected[PARSE_NREASONS];
	struct lines	 lines;		/* partial line between reads */
};

struct ingest {
	uv_loop_t	 loop;
	uv_tcp_t	 tcp;		/* public listener */
	uv_pipe_t	 unix_sock;	/* internal listener */
	int		 has_unix;
	uv_timer_t	 timer;		/* batch_ms commits, retries */
	uv_async_t	 stop;		/* ingest_stop -> loop */
	pthread_t	 thread;
	struct writer	*w;
	struct conn	*conns;		/* every open connection */
	int		 batch_events;
	int		 paused;	/* commits fail: reads stopped */
	int64_t		 keep_ms;	/* reco_log retention */
	int64_t		 expired_ms;	/* last retention pass (monotonic) */
	int64_t		 window_ms;	/* click window asked for (atomic) */
	int64_t		 window_set;	/* the one the writer has */
	pthread_mutex_t	 token_lock;	/* token changes from other threads */
	char		 token[128];	/* "" = no AUTH needed */
	void		(*train)(void *);	/* see ingest_opts */
	void		*train_arg;
	char		 sock_path[256];
};

static void	conn_read(uv_stream_t *, ssize_t, const uv_buf_t *);

static void
conn_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct conn	*c = h->data;
	size_t		 avail;

	(void)suggested;
	buf->base = lines_space(&c->lines, &avail);
	buf->len = avail;
}

static void
write_done(uv_write_t *req, int status)
{
	(void)status;
	free(req);
}

/* Queue a reply; the connection closes on its own if it is gone. */
static void
conn_reply(struct conn *c, const char *text, size_t len)
{
	uv_write_t	*req;
	uv_buf_t	 buf;
	char		*copy;

	if ((req = malloc(sizeof(*req) + len)) == NULL)
		return;
	copy = (char *)(req + 1);
	memcpy(copy, text, len);
	buf = uv_buf_init(copy, (unsigned int)len);
	if (uv_write(req, &c->h.stream, &buf, 1, write_done) != 0)
		free(req);
}

static void
set_reading(struct ingest *ing, int on)
{
	struct conn	*c;

	for (c = ing->conns; c != NULL; c = c->next) {
		if (on && !c->reading &&
		    uv_read_start(&c->h.stream, conn_alloc, conn_read) == 0)
			c->reading = 1;
		else if (!on && c->reading) {
			uv_read_stop(&c->h.stream);
			c->reading = 0;
		}
	}
}

/*
 * Commit the pending batch.  On failure stop reading every connection (the
 * batch stays in memory, the timer retries); resume once it succeeds.
 */
static int
commit(struct ingest *ing)
{
	int64_t	t0 = clock_mono_ms(), rc;

	rc = writer_commit(ing->w);
	metrics_commit((uint64_t)(clock_mono_ms() - t0) * 1000, rc == 0);
	if (rc == -1) {
		if (!ing->paused) {
			log_warnx("ingest: commit failed, pausing reads");
			ing->paused = 1;
			set_reading(ing, 0);
		}
		return (-1);
	}
	if (ing->paused) {
		log_info("ingest: commits work again, resuming reads");
		ing->paused = 0;
		set_reading(ing, 1);
	}
	return (0);
}

static void
reply_stats(struct conn *c)
{
	char		 buf[64 + PARSE_NREASONS * 40];
	uint64_t	 rej = 0;
	size_t		 n;
	int		 i;

	for (i = 1; i < PARSE_NREASONS; i++)
		rej += c->rejected[i];
	n = (size_t)snprintf(buf, sizeof(buf), "STATS %llu %llu",
	    (unsigned long long)c->accepted, (unsigned long long)rej);
	for (i = 1; i < PARSE_NREASONS; i++)
		if (c->rejected[i] > 0)
			n += (size_t)snprintf(buf + n, sizeof(buf) - n,
			    " %s=%llu", parse_reason_name(i),
			    (unsigned long long)c->rejected[i]);
	buf[n++] = '\n';
	conn_reply(c, buf, n);
}

static void	conn_close(struct conn *);

/* Does line hold "AUTH <token>" with the current token?  Constant time. */
static int
auth_ok(struct ingest *ing, const char *line, size_t len)
{
	size_t	tlen;
	int	ok;

	pthread_mutex_lock(&ing->token_lock);
	tlen = strlen(ing->token);
	ok = tlen == 0 || (len == tlen + 5 && memcmp(line, "AUTH ", 5) == 0 &&
	    sodium_memcmp(line + 5, ing->token, tlen) == 0);
	pthread_mutex_unlock(&ing->token_lock);
	return (ok);
}

static int
conn_line(void *arg, const char *line, size_t len)
{
	struct conn	*c = arg;
	char		 buf[64];
	int		 rc, n;

	if (len > 0 && line[len - 1] == '\r')
		len--;
	if (c->closing)
		return (-1);
	if (!c->authed) {
		if (!auth_ok(c->ing, line, len)) {
			/* Written now: the connection closes right after. */
			uv_buf_t	b = uv_buf_init((char *)(uintptr_t)
					    "ERR unauthorized\n", 17);

			(void)uv_try_write(&c->h.stream, &b, 1);
			c->closing = 1;
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
		reply_stats(c);
		return (0);
	}
	if (c->internal && len > 7 && memcmp(line, "SERVED ", 7) == 0) {
		(void)writer_served(c->ing->w, line, len);
		return (0);
	}
	if (c->internal && len == 5 && memcmp(line, "TRAIN", 5) == 0) {
		if (c->ing->train == NULL) {
			conn_reply(c, "ERR no trainer\n", 15);
			return (0);
		}
		c->ing->train(c->ing->train_arg);
		conn_reply(c, "OK\n", 3);
		return (0);
	}
	rc = writer_line(c->ing->w, line, len);
	if (rc == PARSE_OK)
		c->accepted++;
	else if (rc != WRITER_BLANK)
		c->rejected[rc]++;
	return (0);
}

static void
conn_closed(uv_handle_t *h)
{
	free(h->data);
}

static void
conn_close(struct conn *c)
{
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		c->ing->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	uv_close(&c->h.handle, conn_closed);
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
		if (c->closing)
			conn_close(c);
		return;
	}
	if (n == 0)
		return;
	/* EOF or error: a last line without '\n' still counts. */
	(void)lines_finish(&c->lines, conn_line, c);
	if (n != UV_EOF)
		log_info("ingest: connection error: %s", uv_strerror((int)n));
	conn_close(c);
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
	if (server->type == UV_TCP)
		rc = uv_tcp_init(&ing->loop, &c->h.tcp);
	else
		rc = uv_pipe_init(&ing->loop, &c->h.pipe, 0);
	c->internal = server->type == UV_NAMED_PIPE;
	/* With a token set, a TCP sender must say it first. */
	pthread_mutex_lock(&ing->token_lock);
	c->authed = c->internal || ing->token[0] == '\0';
	pthread_mutex_unlock(&ing->token_lock);
	if (rc != 0) {
		free(c);
		return;
	}
	c->h.handle.data = c;
	if (uv_accept(server, &c->h.stream) != 0) {
		uv_close(&c->h.handle, conn_closed);
		return;
	}
	c->next = ing->conns;
	if (ing->conns != NULL)
		ing->conns->prev = c;
	ing->conns = c;
	if (!ing->paused && uv_read_start(&c->h.stream, conn_alloc,
	    conn_read) == 0)
		c->reading = 1;
}

static void
on_timer(uv_timer_t *t)
{
	struct ingest	*ing = t->data;
	struct conn	*c;
	uint64_t	 n = 0;
	int64_t		 w;

	if (writer_due(ing->w) || ing->paused)
		(void)commit(ing);
	for (c = ing->conns; c != NULL; c = c->next)
		n += !c->internal;
	metrics_ingest_gauges(writer_pending(ing->w), n);
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
 * Read what each sender already sent (it is in the kernel's buffers), so
 * that lines sent before the stop are not lost.
 */
static void
drain(struct ingest *ing)
{
	struct conn	*c, *next;
	uv_os_fd_t	 fd;
	char		*p;
	size_t		 avail;
	ssize_t		 n;

	for (c = ing->conns; c != NULL; c = next) {
		next = c->next;
		if (uv_fileno(&c->h.handle, &fd) != 0)
			continue;
		for (;;) {
			p = lines_space(&c->lines, &avail);
			n = recv(fd, p, avail, MSG_DONTWAIT);
			if (n <= 0)
				break;
			(void)lines_commit(&c->lines, (size_t)n, conn_line, c);
		}
		(void)lines_finish(&c->lines, conn_line, c);
	}
}

static void
close_all(uv_handle_t *h, void *arg)
{
	(void)arg;
	if (!uv_is_closing(h))
		uv_close(h, NULL);
}

static void
on_stop(uv_async_t *a)
{
	struct ingest	*ing = a->data;
	struct conn	*c;

	uv_close((uv_handle_t *)&ing->tcp, NULL);
	if (ing->has_unix)
		uv_close((uv_handle_t *)&ing->unix_sock, NULL);
	drain(ing);
	(void)commit(ing);
	while ((c = ing->conns) != NULL)
		conn_close(c);
	uv_close((uv_handle_t *)&ing->timer, NULL);
	uv_close((uv_handle_t *)&ing->stop, NULL);
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

static int
listen_unix(struct ingest *ing, const char *path)
{
	int	rc;

	if (strlen(path) >= sizeof(ing->sock_path))
		return (-1);
	strcpy(ing->sock_path, path);
	(void)unlink(path);
	if ((rc = uv_pipe_init(&ing->loop, &ing->unix_sock, 0)) != 0)
		return (-1);
	ing->unix_sock.data = ing;
	ing->has_unix = 1;
	if ((rc = uv_pipe_bind(&ing->unix_sock, path)) != 0 ||
	    (rc = uv_listen((uv_stream_t *)&ing->unix_sock, 64,
	    on_connection)) != 0) {
		log_warnx("ingest: cannot listen on %s: %s", path,
		    uv_strerror(rc));
		return (-1);
	}
	(void)chmod(path, 0600);
	return (0);
}

struct ingest *
ingest_start(const struct ingest_opts *o)
{
	struct ingest	*ing;
	sigset_t	 all, old;
	int		 rc;

	if ((ing = calloc(1, sizeof(*ing))) == NULL)
		return (NULL);
	ing->batch_events = o->batch_events;
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
	    (o->sock_path != NULL && listen_unix(ing, o->sock_path) == -1))
		goto fail;
	uv_timer_init(&ing->loop, &ing->timer);
	ing->timer.data = ing;
	uv_timer_start(&ing->timer, on_timer, (uint64_t)o->batch_ms,
	    (uint64_t)o->batch_ms);
	uv_async_init(&ing->loop, &ing->stop, on_stop);
	ing->stop.data = ing;

	/* Signals belong to Kore's thread. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	rc = pthread_create(&ing->thread, NULL, run, ing);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		log_warnx("ingest: pthread_create: %s", strerror(rc));
		goto fail;
	}
	log_info("ingest: listening on %s:%u", o->host, o->port);
	return (ing);

fail:
	uv_walk(&ing->loop, close_all, NULL);
	uv_run(&ing->loop, UV_RUN_DEFAULT);
	(void)uv_loop_close(&ing->loop);
	(void)writer_close(ing->w);
	if (ing->has_unix)
		(void)unlink(ing->sock_path);
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
	pthread_mutex_lock(&ing->token_lock);
	snprintf(ing->token, sizeof(ing->token), "%s", token ? token : "");
	pthread_mutex_unlock(&ing->token_lock);
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
	if (ing->has_unix)
		(void)unlink(ing->sock_path);
	log_info("ingest: stopped after %llu commits of %llu lines",
	    (unsigned long long)st.commits, (unsigned long long)st.committed);
	free(ing);
}
