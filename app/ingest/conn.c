/*
 * One ingest connection (see ingest.h for the channels): reading into its
 * line framing, the protocol of its channel, answers queued and written
 * in one piece, and the bounds that keep a sender from holding memory.
 */
#include <sys/socket.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>
#include <uv.h>

#include "ingest/ingest_int.h"
#include "store/writer.h"
#include "telemetry/metrics.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/vec.h"

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

/* Start or stop reading c, as its state allows. */
void
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
void
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
void
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
void
conn_answer(struct conn *c)
{
	c->awaiting = 0;
	c->ing->awaiting--;
	reply_counts(c, "OK");
	conn_end(c);
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

	/*
	 * AUTH is answered whenever it comes: first, again, or with no
	 * token set (a sender that always authenticates is not left
	 * waiting).  Any other first line needs no token to be set.
	 */
	if (!c->authed || (len > 5 && memcmp(line, "AUTH ", 5) == 0)) {
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
		if (ingest_commit(c->ing) == -1) {
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

void
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
void
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
	(void)ingest_commit(ing);
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
			(void)ingest_commit(ing);
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

void
conn_accept(uv_stream_t *server, int status)
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

/*
 * Read what a sender already sent (it is in the kernel's buffers), so
 * that lines sent before the stop are not lost.
 */
void
conn_drain(struct conn *c)
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

