/*
 * The ingest thread (see ingest.h): its loop, the three listeners, the
 * batch commits on a timer or when a batch is full, the token's changes,
 * and the orderly stop that loses nothing already received.  Connections
 * are conn.c's.
 */
#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <uv.h>

#include "ingest/ingest.h"
#include "ingest/ingest_int.h"
#include "ingest/kafka.h"
#include "store/writer.h"
#include "telemetry/metrics.h"
#include "util/clock.h"
#include "util/log.h"

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
int
ingest_commit(struct ingest *ing)
{
	struct conn	*c, *next;
	int64_t		 t0 = clock_mono_ms();
	int		 rc;

	rc = writer_commit(ing->w);
	ing->commit_started_ms = t0;
	ing->committed_ms = clock_mono_ms();
	metrics_commit((uint64_t)(ing->committed_ms - t0) * 1000, rc == 0);
	/*
	 * The workers take new snapshots from now on: a request that misses
	 * a list still being made (fresh.h) folds in from one with the
	 * commit.  Then the lists are made.
	 */
	if (rc == 0) {
		writer_done(ing->w);
		if (ing->kafka != NULL)
			kafka_committed(ing->kafka);
	}
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
			conn_answer(c);
	}
	return (0);
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

/* The dashboard's history: a sample every METRICS_HISTORY_MS. */
static void
history_sample(struct ingest *ing)
{
	struct writer_stats	st;
	uint64_t		acc = 0, rej = 0;
	int64_t			now = clock_mono_ms();
	int			i;

	if (now - ing->history_ms < METRICS_HISTORY_MS)
		return;
	ing->history_ms = now;
	writer_stats(ing->w, &st);
	for (i = 0; i < PARSE_NKINDS; i++)
		acc += st.accepted[i];
	for (i = 1; i < PARSE_NREASONS; i++)
		rej += st.rejected[i];
	metrics_history_add(clock_now_ms(), acc, rej);
}

/*
 * Group commit.  A commit's cost grows far slower than its lines (they
 * share the pages it writes and the sync), so when the writer is behind
 * (lines came at INGEST_LAG_RATE a second or more since the last commit
 * began) they wait longer and ride in fewer commits: the next comes
 * INGEST_LAG_FACTOR times the last one's duration after it, at most
 * INGEST_LAG_MAX_MS.  A stream of a thousand lines a second still commits
 * every batch_ms, however long a commit took (one that rolls the
 * recommendation log up); a bulk load keeps most of the writer's time for
 * reading instead of committing a little at a time.
 */
int
ingest_commit_due(int64_t now_ms, int64_t started_ms, int64_t committed_ms,
    size_t pending)
{
	int64_t	lag = (committed_ms - started_ms) * INGEST_LAG_FACTOR;

	if ((int64_t)pending * 1000 < INGEST_LAG_RATE * (now_ms - started_ms))
		return (1);
	if (lag > INGEST_LAG_MAX_MS)
		lag = INGEST_LAG_MAX_MS;
	return (now_ms - committed_ms >= lag);
}

static void
on_timer(uv_timer_t *t)
{
	struct ingest	*ing = t->data;
	int64_t		 w;

	if (ing->paused || ing->awaiting > 0 || (writer_due(ing->w) &&
	    ingest_commit_due(clock_mono_ms(), ing->commit_started_ms,
	    ing->committed_ms, writer_pending(ing->w))))
		(void)ingest_commit(ing);
	if (ing->kafka != NULL)
		kafka_poll(ing->kafka);
	metrics_ingest_gauges(writer_pending(ing->w), (uint64_t)ing->ntcp);
	metrics_ingest_tick(ing->paused);
	history_sample(ing);
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

/* A question from another thread: answered here, the writer's thread. */
static void
on_asked(uv_async_t *a)
{
	struct ingest		*ing = a->data;
	struct ingest_ask	*q;

	pthread_mutex_lock(&ing->ask_lock);
	if ((q = ing->ask) != NULL && !q->done) {
		q->rc = ing->stopping || writer_movie_ids(ing->w, q->slugs,
		    q->n, q->ids) == -1 ? -1 : ingest_commit(ing);
		q->done = 1;
		pthread_cond_broadcast(&ing->answered);
	}
	pthread_mutex_unlock(&ing->ask_lock);
}

int
ingest_movie_ids(struct ingest *ing, char *const *slugs, size_t n,
    int32_t *ids)
{
	struct ingest_ask	q = { slugs, n, ids, -1, 0 };
	struct timespec		ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += INGEST_ASK_S;
	pthread_mutex_lock(&ing->ask_lock);
	while (ing->ask != NULL)		/* one at a time */
		if (pthread_cond_timedwait(&ing->answered, &ing->ask_lock,
		    &ts) != 0)
			goto out;
	/* Set and cleared under the lock: never a send to a closed handle. */
	if (!__atomic_load_n(&ing->loop_running, __ATOMIC_ACQUIRE))
		goto out;
	ing->ask = &q;
	uv_async_send(&ing->asked);
	while (!q.done)
		if (pthread_cond_timedwait(&ing->answered, &ing->ask_lock,
		    &ts) != 0)
			break;
	/* Unanswered in time: withdrawn, the loop will not look at it. */
	ing->ask = NULL;
	pthread_cond_broadcast(&ing->answered);
out:
	pthread_mutex_unlock(&ing->ask_lock);
	return (q.done ? q.rc : -1);
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
			conn_drain(c);
	(void)ingest_commit(ing);
	if (ing->kafka != NULL) {
		kafka_stop(ing->kafka);
		ing->kafka = NULL;
	}
	while ((c = ing->conns) != NULL) {
		conn_flush(c);
		conn_close(c);
	}
	metrics_ingest_up(0, 0, 0);
	/* A question from another thread gets its answer: no. */
	pthread_mutex_lock(&ing->ask_lock);
	__atomic_store_n(&ing->loop_running, 0, __ATOMIC_RELEASE);
	if (ing->ask != NULL && !ing->ask->done) {
		ing->ask->rc = -1;
		ing->ask->done = 1;
		pthread_cond_broadcast(&ing->answered);
	}
	pthread_mutex_unlock(&ing->ask_lock);
	uv_close((uv_handle_t *)&ing->asked, NULL);
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

	if (!uv_is_closing((uv_handle_t *)&ing->tcp)) {
		uv_close((uv_handle_t *)&ing->tcp, NULL);
		if (ing->has_events)
			uv_close((uv_handle_t *)&ing->events, NULL);
		if (ing->has_control)
			uv_close((uv_handle_t *)&ing->control, NULL);
	}
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
	/*
	 * The listeners stay open for one more poll: senders that connected
	 * before the stop, still in the accept queue, are taken and read
	 * like the others (on_stop_wait closes them).
	 */
	uv_timer_start(&ing->stop_timer, on_stop_wait, STOP_TICK_MS,
	    STOP_TICK_MS);
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
	    conn_accept)) != 0) {
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
	    (rc = uv_listen((uv_stream_t *)p, 128, conn_accept)) != 0) {
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
	struct ingest		*ing;
	struct kafka_opts	 ko;
	sigset_t		 all, old;
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
	pthread_mutex_init(&ing->ask_lock, NULL);
	pthread_cond_init(&ing->answered, NULL);
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
	writer_set_click_skew(ing->w, o->click_skew_ms);
	writer_set_rating_max(ing->w, o->rating_max);
	writer_set_hook(ing->w, o->commit_hook, o->commit_hook_arg);
	if (listen_tcp(ing, o->host, o->port) == -1 ||
	    (o->events_path != NULL && listen_unix(ing, &ing->events,
	    &ing->has_events, ing->events_path, sizeof(ing->events_path),
	    o->events_path, &ev_ino) == -1) ||
	    (o->control_path != NULL && listen_unix(ing, &ing->control,
	    &ing->has_control, ing->control_path, sizeof(ing->control_path),
	    o->control_path, &ctl_ino) == -1))
		goto fail;
	if (o->kafka_brokers != NULL && o->kafka_brokers[0] != '\0') {
		memset(&ko, 0, sizeof(ko));
		ko.brokers = o->kafka_brokers;
		ko.topic = o->kafka_topic;
		ko.group = o->kafka_group;
		ko.data_dir = o->data_dir;
		ko.partitions = o->kafka_partitions;
		ko.served_topic = o->kafka_served_topic;
		ko.replica = o->kafka_replica;
		ko.node = o->kafka_node != NULL ? o->kafka_node : "cinerec";
		if ((ing->kafka = kafka_start(ing, &ko)) == NULL)
			goto fail;
	}
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
	uv_async_init(&ing->loop, &ing->asked, on_asked);
	ing->asked.data = ing;
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
	if (ing->kafka != NULL)
		kafka_stop(ing->kafka);
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
	pthread_mutex_destroy(&ing->ask_lock);
	pthread_cond_destroy(&ing->answered);
	free(ing);
}
