/*
 * The HTTP API's handlers (routes in assets/kore.conf): /recommend/<userid>,
 * /health, POST /events and the constant /ping.  POST /events hands its body
 * to the ingest thread over the internal Unix socket from a Kore task, so a
 * worker's event loop never waits for a commit.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>
#include <strings.h>

#include <kore/kore.h>
#include <kore/http.h>
#include <kore/tasks.h>

#include "util/clock.h"
#include "util/io.h"
#include "util/json.h"
#include "util/log.h"
#include "telemetry/metrics.h"
#include "ingest/parse.h"
#include "telemetry/reclog.h"
#include "reco/reco.h"
#include "server/kbuf.h"
#include "server/server.h"
#include "telemetry/stats.h"
#include "util/urlenc.h"
#include "version.h"
#include "telemetry/why.h"

#define EVENTS_TIMEOUT_S	60	/* for the commit of one POST /events */

int	api_recommend(struct http_request *);
int	api_health(struct http_request *);
int	api_events(struct http_request *);
int	api_ping(struct http_request *);
int	api_metrics(struct http_request *);
int	api_why(struct http_request *);
int	api_ctr(struct http_request *);
int	api_similar(struct http_request *);
int	api_popular(struct http_request *);
int	api_trending(struct http_request *);

/* When the handler being run started (workers run one at a time). */
static int64_t	started_us;
static enum metrics_route
route_of(const char *path)
{
	static const struct {
		const char		*prefix;
		enum metrics_route	 route;
	} routes[] = {
		{ "/recommend/", METRICS_RECOMMEND },
		{ "/health", METRICS_HEALTH },
		{ "/events", METRICS_EVENTS },
		{ "/ping", METRICS_PING },
		{ "/metrics", METRICS_METRICS },
		{ "/why/", METRICS_WHY },
		{ "/ctr", METRICS_CTR },
		{ "/similar/", METRICS_SIMILAR },
		{ "/popular", METRICS_POPULAR },
		{ "/trending", METRICS_TRENDING },
	};
	size_t	i;

	for (i = 0; i < sizeof(routes) / sizeof(routes[0]); i++)
		if (strncmp(path, routes[i].prefix,
		    strlen(routes[i].prefix)) == 0)
			return (routes[i].route);
	return (METRICS_OTHER);
}

/* Every answer goes out here: counted by route and status, timed. */
static void
respond(struct http_request *req, int status, const char *type,
    const void *data, size_t len)
{
	http_response_header(req, "content-type", type);
	http_response(req, status, data, len);
	metrics_request(route_of(req->path), status,
	    (uint64_t)(clock_mono_us() - started_us));
}

static void
reply_text(struct http_request *req, int status, const char *text)
{
	respond(req, status, "text/plain; charset=utf-8", text, strlen(text));
}

static void
reply_json(struct http_request *req, int status, struct kore_buf *b)
{
	respond(req, status, "application/json", b->data, b->offset);
}

static int
only(struct http_request *req, int method, const char *allow)
{
	if (req->method == method)
		return (1);
	http_response_header(req, "allow", allow);
	reply_text(req, 405, "method not allowed\n");
	return (0);
}

int
api_ping(struct http_request *req)
{
	started_us = clock_mono_us();
	reply_text(req, 200, "pong\n");
	return (KORE_RESULT_OK);
}

static int
wants_json(struct http_request *req)
{
	const char	*accept;
	char		 fmt[16];

	if (urlenc_get(req->query_string, "format", fmt, sizeof(fmt)) == 1 &&
	    strcmp(fmt, "json") == 0)
		return (1);
	return (http_request_header(req, "accept", &accept) &&
	    strstr(accept, "application/json") != NULL);
}

static void
reco_json(struct kore_buf *b, int64_t user, const struct serving_pick *p,
    const struct reco_list *l)
{
	size_t	i;

	kore_buf_appendf(b, "{\"user\":%lld,\"model\":", (long long)user);
	if (p->md != NULL)
		kore_buf_appendf(b, "{\"version\":%lld,\"algo\":\"%s\"}",
		    (long long)p->id, model_algo_name(p->md->algo));
	else
		kore_buf_append(b, "null", 4);
	kore_buf_appendf(b, ",\"arm\":");
	if (p->arm[0] != '\0')
		kbuf_str(b, p->arm);
	else
		kore_buf_append(b, "null", 4);
	kore_buf_appendf(b, ",\"personal\":%zu,\"items\":[", l->personal);
	for (i = 0; i < l->n; i++) {
		kore_buf_appendf(b, "%s{\"id\":", i ? "," : "");
		kbuf_str(b, l->item[i].slug);
		kore_buf_appendf(b, ",\"score\":%.6g,\"source\":\"%s\"",
		    (double)l->item[i].score, i < l->personal ? "model" :
		    "popular");
		if (l->item[i].because != NULL) {
			kore_buf_appendf(b, ",\"because\":");
			kbuf_str(b, l->item[i].because);
		}
		kore_buf_append(b, "}", 1);
	}
	kore_buf_append(b, "]}\n", 3);
}

/*
 * Hand the answer to the recommendation log (and so to the click-through):
 * one SERVED line to the writer, never waiting for it.
 */
static void
log_served(int64_t user, const struct serving_pick *p,
    const struct reco_list *l)
{
	int32_t	 ids[RECO_MAX];
	size_t	 i;
	int	 dropped = 0;

	if (srv.cfg.reco_log) {
		for (i = 0; i < l->n; i++)
			ids[i] = l->item[i].movie;
		dropped = reclog_served(&srv.reclog, clock_now_ms(), user,
		    l->personal ? p->id : 0, p->arm, clock_mono_us() -
		    started_us, l->personal, ids, l->n) == -1;
	}
	metrics_recommend(l->personal > 0, l->path, dropped);
}

/*
 * The list of user by what serves them (p): the fresh list made when the
 * user's events committed, when there is a whole one of p's version; else
 * from a snapshot that sees every committed event (the precomputed list
 * or fold-in).  The count, or -1.
 */
static int
list_for(int64_t user, const struct serving_pick *p, struct reco_list *out)
{
	struct fresh_row	row;
	int			rc = -1;

	if (p->md != NULL && fresh_get(user, p->id, &row) &&
	    reco_from_row(&srv.reco, row.ids, row.scores, row.because,
	    (size_t)row.n, RECO_MAX, out) == 1) {
		out->path = RECO_PATH_FRESH;
		return ((int)out->n);
	}
	if (store_snapshot(&srv.store) == 0)
		rc = reco_for_user(&srv.reco, &srv.store, p->md, p->ls,
		    &srv.sp, user, RECO_MAX, out);
	store_release(&srv.store);
	return (rc);
}

/*
 * The reasons of l's model entries that came without one (ALS), for the
 * answers that show them: JSON and the Users page.  A list without them
 * is still an answer, so a failure here is logged, not returned.
 */
static void
explain(int64_t user, const struct serving_pick *p, struct reco_list *l)
{
	if (p->md == NULL || l->personal == 0)
		return;
	if (store_snapshot(&srv.store) == 0 && reco_explain(&srv.reco,
	    &srv.store, p->md, &srv.sp, user, l) == -1)
		log_warnx("no reasons for the list of user %lld",
		    (long long)user);
	store_release(&srv.store);
}

/* Movie ids (slugs) of l as one text line, or as JSON items with scores. */
static void
reply_list(struct http_request *req, const struct reco_list *l,
    struct kore_buf *b, int json)
{
	size_t	i;

	if (json) {
		kore_buf_appendf(b, ",\"items\":[");
		for (i = 0; i < l->n; i++) {
			kore_buf_appendf(b, "%s{\"id\":", i ? "," : "");
			kbuf_str(b, l->item[i].slug);
			kore_buf_appendf(b, ",\"score\":%.6g}",
			    (double)l->item[i].score);
		}
		kore_buf_append(b, "]}\n", 3);
		reply_json(req, 200, b);
		return;
	}
	for (i = 0; i < l->n; i++) {
		if (i > 0)
			kore_buf_append(b, ",", 1);
		kore_buf_append(b, l->item[i].slug, strlen(l->item[i].slug));
	}
	kore_buf_append(b, "\n", 1);
	respond(req, 200, "text/plain; charset=utf-8", b->data, b->offset);
}

int
api_recommend_for(int64_t user, struct reco_list *out, int64_t *model,
    const char **algo)
{
	struct serving_pick	p;
	int			n;

	serving_pick(&srv.serving, user, &p);
	*model = p.id;
	*algo = p.md != NULL ? model_algo_name(p.md->algo) : NULL;
	if ((n = list_for(user, &p, out)) > 0)
		explain(user, &p, out);
	return (n);
}

int
api_recommend(struct http_request *req)
{
	static struct reco_list	 list;
	struct serving_pick	 pick;
	struct kore_buf		 b;
	const char		*id;
	int64_t			 user;

	started_us = clock_mono_us();
	if (!only(req, HTTP_METHOD_GET, "GET"))
		return (KORE_RESULT_OK);
	id = req->path + strlen("/recommend/");
	if (*id == '\0') {
		reply_text(req, 400, "missing user id\n");
		return (KORE_RESULT_OK);
	}
	if (parse_user(id, strlen(id), &user) == -1) {
		reply_text(req, 400, *id == '-' ? "user id must not be "
		    "negative\n" : strspn(id, "0123456789") == strlen(id) ?
		    "user id too large\n" : "user id must be a decimal "
		    "integer\n");
		return (KORE_RESULT_OK);
	}
	/* The user's arm when an experiment runs, else the current model. */
	serving_pick(&srv.serving, user, &pick);
	/* Everything committed before this request counts. */
	if (list_for(user, &pick, &list) == -1) {
		reply_text(req, 503, "database unavailable\n");
		return (KORE_RESULT_OK);
	}
	kore_buf_init(&b, 1024);
	if (wants_json(req)) {
		explain(user, &pick, &list);
		reco_json(&b, user, &pick, &list);
		reply_json(req, 200, &b);
	} else
		reply_list(req, &list, &b, 0);
	kore_buf_cleanup(&b);
	log_served(user, &pick, &list);
	return (KORE_RESULT_OK);
}

/*
 * GET /similar/<movie>: movies like it, by the current model (see
 * reco_similar), with their scores in JSON.
 */
int
api_similar(struct http_request *req)
{
	static struct reco_list	 list;
	const struct serving_model *cur = &srv.serving.cur;
	struct kore_buf		 b;
	const char		*slug;
	int32_t			 movie;
	int			 json;

	started_us = clock_mono_us();
	if (!only(req, HTTP_METHOD_GET, "GET"))
		return (KORE_RESULT_OK);
	slug = req->path + strlen("/similar/");
	if (*slug == '\0') {
		reply_text(req, 400, "missing movie id\n");
		return (KORE_RESULT_OK);
	}
	if ((movie = reco_movie(&srv.reco, slug)) == -1) {
		reply_text(req, 404, "unknown movie id (spelled as the "
		    "stream spells it)\n");
		return (KORE_RESULT_OK);
	}
	if (reco_similar(&srv.reco, cur->md, movie, RECO_MAX, &list) == -1) {
		reply_text(req, 503, "out of memory\n");
		return (KORE_RESULT_OK);
	}
	kore_buf_init(&b, 1024);
	if ((json = wants_json(req))) {
		kore_buf_appendf(&b, "{\"movie\":");
		kbuf_str(&b, slug);
		kore_buf_appendf(&b, ",\"model\":");
		if (cur->md != NULL)
			kore_buf_appendf(&b, "{\"version\":%lld,\"algo\":"
			    "\"%s\"}", (long long)cur->id,
			    model_algo_name(cur->md->algo));
		else
			kore_buf_append(&b, "null", 4);
	}
	reply_list(req, &list, &b, json);
	kore_buf_cleanup(&b);
	return (KORE_RESULT_OK);
}

/*
 * The first RECO_MAX movies of ranking r (window_days of activity, then
 * all time); only those with activity in the window when recent_only.
 */
static void
reply_ranking(struct http_request *req, const struct reco *r,
    int window_days, int recent_only)
{
	static struct reco_list	 list;
	struct kore_buf		 b;
	int			 json;

	reco_ranking(r, RECO_MAX, recent_only, &list);
	kore_buf_init(&b, 1024);
	if ((json = wants_json(req)))
		kore_buf_appendf(&b, "{\"window_days\":%d", window_days);
	reply_list(req, &list, &b, json);
	kore_buf_cleanup(&b);
}

/* GET /popular: the ranking the lists are filled up from. */
int
api_popular(struct http_request *req)
{
	started_us = clock_mono_us();
	if (!only(req, HTTP_METHOD_GET, "GET"))
		return (KORE_RESULT_OK);
	reply_ranking(req, &srv.reco, srv.cfg.pop_window_days, 0);
	return (KORE_RESULT_OK);
}

/*
 * GET /trending: the movies most started or rated in the last
 * SERVER_TRENDING_DAYS days of activity.  Built at its first request, then
 * kept fresh with the other ranking.
 */
int
api_trending(struct http_request *req)
{
	started_us = clock_mono_us();
	if (!only(req, HTTP_METHOD_GET, "GET"))
		return (KORE_RESULT_OK);
	if (!srv.trending.built &&
	    reco_refresh(&srv.trending, &srv.store, SERVER_TRENDING_DAYS,
	    1) == -1) {
		reply_text(req, 503, "database unavailable\n");
		return (KORE_RESULT_OK);
	}
	srv.trending_used = 1;
	reply_ranking(req, &srv.trending, SERVER_TRENDING_DAYS, 1);
	return (KORE_RESULT_OK);
}

/* The inode of the socket at path, 0 if there is none. */
static uint64_t
socket_ino(const char *path)
{
	struct stat	sb;

	return (stat(path, &sb) == 0 && S_ISSOCK(sb.st_mode) ?
	    (uint64_t)sb.st_ino : 0);
}

/*
 * Is the ingest up, committing, ticking, and reachable where the workers
 * look for it?  NULL if so, else why not.
 */
static const char *
ingest_trouble(void)
{
	struct metrics_ingest_health	h;
	int64_t				stale_ms;

	if (metrics_ingest_health(&h) == -1)
		return (NULL);
	stale_ms = srv.cfg.batch_ms * 3 > 5000 ? srv.cfg.batch_ms * 3 : 5000;
	if (!h.up)
		return ("not running");
	if (h.paused)
		return ("commits fail (disk full or database locked?)");
	if (h.tick_age_ms > stale_ms)
		return ("not responding");
	if (socket_ino(srv.events_path) != h.events_ino ||
	    socket_ino(srv.control_path) != h.control_ino)
		return ("its socket in the data dir is gone");
	return (NULL);
}

/*
 * The Kafka input, when one runs: a broker lost is reported (with the lag
 * piling up) but does not fail /health, since the node still serves and
 * takes the other inputs, and loses nothing of the topic.
 */
static void
kafka_health(struct kore_buf *b)
{
	struct metrics_kafka	k;

	if (metrics_kafka_get(&k) == -1 || !k.configured)
		return;
	kore_buf_appendf(b, ",\"kafka\":{\"ok\":%s,\"brokers_up\":%d,"
	    "\"partitions\":%llu,\"lag\":%lld,\"messages\":%llu,"
	    "\"skipped\":%llu,\"errors\":%llu,\"rebalances\":%llu}",
	    k.brokers_up > 0 ? "true" : "false", k.brokers_up,
	    (unsigned long long)k.partitions, (long long)k.lag,
	    (unsigned long long)k.messages, (unsigned long long)k.skipped,
	    (unsigned long long)k.errors, (unsigned long long)k.rebalances);
}

/*
 * A trainer's publishing or a replica's following (model/replica.h): what
 * a load balancer routing users by partition needs to know of the node.
 */
static void
replica_health(struct kore_buf *b)
{
	struct metrics_replica	r;

	if (metrics_replica_get(&r) == -1 || r.role == 0)
		return;
	if (r.role == 1) {
		kore_buf_appendf(b, ",\"replica\":{\"role\":\"trainer\","
		    "\"published\":%lld}", (long long)r.published);
		return;
	}
	kore_buf_appendf(b, ",\"replica\":{\"role\":\"replica\","
	    "\"version\":%lld,\"imports\":%llu,\"refused\":%llu,"
	    "\"partitions\":", (long long)r.following,
	    (unsigned long long)r.imports, (unsigned long long)r.refusals);
	kbuf_str(b, srv.cfg.kafka_partitions);
	kore_buf_appendf(b, "}");
}

int
api_health(struct http_request *req)
{
	struct store_counts	 c;
	struct kore_buf		 b;
	char			 last[32] = "";
	const char		*trouble;
	int			 ok;

	started_us = clock_mono_us();
	if (!only(req, HTTP_METHOD_GET, "GET"))
		return (KORE_RESULT_OK);
	/* A fresh snapshot: /health reports what is committed now. */
	memset(&c, 0, sizeof(c));
	ok = store_snapshot(&srv.store) == 0 &&
	    store_counts(&srv.store, &c) == 0;
	store_release(&srv.store);
	trouble = ingest_trouble();
	kore_buf_init(&b, 512);
	kore_buf_appendf(&b, "{\"status\":\"%s\",\"version\":\"%s\","
	    "\"uptime_s\":%lld,\"database\":{\"ok\":%s,\"schema\":%d,"
	    "\"schema_latest\":%d},\"ingest\":{\"ok\":%s",
	    ok && trouble == NULL ? "ok" : "degraded", CINEREC_VERSION,
	    (long long)((clock_now_ms() - srv.started_ms) / 1000),
	    ok ? "true" : "false", c.schema, store_schema_latest(),
	    trouble == NULL ? "true" : "false");
	if (trouble != NULL) {
		kore_buf_appendf(&b, ",\"reason\":");
		kbuf_str(&b, trouble);
	}
	kore_buf_append(&b, "}", 1);
	kafka_health(&b);
	replica_health(&b);
	if (ok) {
		if (c.last_event_ms > 0)
			clock_format(c.last_event_ms, last, sizeof(last));
		kore_buf_appendf(&b, ",\"counts\":{\"movies\":%lld,"
		    "\"users\":%lld,\"watches\":%lld,\"ratings\":%lld,"
		    "\"recommendation_requests\":%lld,"
		    "\"lines_accepted\":%lld,\"lines_rejected\":%lld},"
		    "\"last_event\":\"%s\"", (long long)c.movies,
		    (long long)c.users, (long long)c.watches,
		    (long long)c.ratings, (long long)c.recos,
		    (long long)c.accepted, (long long)c.rejected, last);
	}
	kore_buf_append(&b, "}\n", 2);
	reply_json(req, ok && trouble == NULL ? 200 : 503, &b);
	kore_buf_cleanup(&b);
	return (KORE_RESULT_OK);
}

/* A POST /events in flight; the task is first so the task is the state. */
struct events_state {
	struct kore_task	 task;
	struct http_request	*req;
};

/* What the ingest answered for a body (the task's channel, a word first). */
#define EVENTS_OK	"OK "		/* committed: "<acc> <rej> r=n..." */
#define EVENTS_BUSY	"BUSY"		/* refused before reading: nothing in */
#define EVENTS_PENDING	"PENDING"	/* taken, its commit not done yet */
#define EVENTS_DOWN	"DOWN"		/* not reachable: nothing in */
#define EVENTS_LOST	"LOST"		/* the ingest went away mid-body */

/*
 * Task thread: relay the body over the events socket (data only), shut
 * down our side to mark its end, read the one-line answer.  The result
 * written to the channel is one of the EVENTS_* words, for OK followed by
 * the counts.  No Kore allocation here.
 */
static int
events_task(struct kore_task *t)
{
	struct events_state	*st = (struct events_state *)t;
	struct kore_buf		*body = st->req->http_body;
	size_t			 len = st->req->content_length;
	struct sockaddr_un	 sun;
	struct timeval		 tv = { EVENTS_TIMEOUT_S, 0 };
	char			 in[512], *nl;
	size_t			 have = 0;
	ssize_t			 n;
	int			 fd;
	const char		*res = EVENTS_DOWN;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	/* main.c checked that the path fits. */
	memcpy(sun.sun_path, srv.events_path, strlen(srv.events_path) + 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		goto out;
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1)
		goto out_close;
	/* From here on, lines may be in: no answer means "lost". */
	res = EVENTS_LOST;
	/* Kore keeps the whole body in memory (no disk offload configured). */
	if ((body != NULL && len > 0 &&
	    io_write_all(fd, body->data, len) == -1) ||
	    shutdown(fd, SHUT_WR) == -1) {
		/* "BUSY" may already be waiting: the ingest read nothing. */
		if (errno != EPIPE && errno != ECONNRESET)
			goto out_close;
	}
	while (have < sizeof(in) - 1) {
		n = read(fd, in + have, sizeof(in) - 1 - have);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			res = EVENTS_PENDING;
			goto out_close;
		}
		if (n <= 0)
			break;
		have += (size_t)n;
	}
	in[have] = '\0';
	if ((nl = strchr(in, '\n')) == NULL)
		goto out_close;
	*nl = '\0';
	if (strcmp(in, EVENTS_BUSY) == 0)
		res = EVENTS_BUSY;
	else if (strncmp(in, EVENTS_OK, 3) == 0)
		res = in;
out_close:
	close(fd);
out:
	kore_task_channel_write(t, (void *)(uintptr_t)res,
	    (u_int32_t)strlen(res) + 1);
	return (KORE_RESULT_OK);
}

/*
 * Kore asks before it reads a request body (app/kore/): admit it while the
 * bodies in memory, all workers together, stay within events_inflight_mb
 * (one body is always admitted when none is held), else 503 at once.
 */
static void
body_release(struct http_request *req)
{
	metrics_body(-(int64_t)req->http_body_length, 0);
	/* Kore calls onfree again while the request's tasks finish. */
	req->onfree = NULL;
}

int
api_body_admit(struct http_request *req)
{
	int64_t	total = metrics_body_total();
	int64_t	budget = (int64_t)srv.cfg.events_inflight_mb << 20;

	if (total > 0 && total + (int64_t)req->content_length > budget) {
		metrics_body(0, 1);
		return (0);
	}
	metrics_body((int64_t)req->content_length, 0);
	req->onfree = body_release;
	return (1);
}

/* With ingest_token set, POST /events needs "Authorization: Bearer <token>". */
static int
bearer_ok(struct http_request *req)
{
	const char	*h;
	size_t		 tlen = strlen(srv.cfg.ingest_token);

	if (tlen == 0)
		return (1);
	if (!http_request_header(req, "authorization", &h) ||
	    strncasecmp(h, "Bearer ", 7) != 0 || strlen(h + 7) != tlen)
		return (0);
	return (sodium_memcmp(h + 7, srv.cfg.ingest_token, tlen) == 0);
}

/* Turn "<acc> <rej> reason=n..." into the JSON answer. */
static void
events_json(struct kore_buf *b, char *stats)
{
	char		*tok, *save = NULL, *eq;
	unsigned long long acc = 0, rej = 0;
	int		 first = 1;

	if ((tok = strtok_r(stats, " ", &save)) != NULL)
		acc = strtoull(tok, NULL, 10);
	if ((tok = strtok_r(NULL, " ", &save)) != NULL)
		rej = strtoull(tok, NULL, 10);
	kore_buf_appendf(b, "{\"accepted\":%llu,\"rejected\":%llu,"
	    "\"reasons\":{", acc, rej);
	while ((tok = strtok_r(NULL, " ", &save)) != NULL) {
		if ((eq = strchr(tok, '=')) == NULL)
			continue;
		*eq = '\0';
		kore_buf_appendf(b, "%s\"%s\":%s", first ? "" : ",", tok,
		    eq + 1);
		first = 0;
	}
	kore_buf_append(b, "}}\n", 3);
}

int
api_events(struct http_request *req)
{
	struct events_state	*st;
	struct kore_buf		 b;
	char			 out[512];
	u_int32_t		 len;

	if (req->hdlr_extra == NULL) {
		started_us = clock_mono_us();
		if (!only(req, HTTP_METHOD_POST, "POST"))
			return (KORE_RESULT_OK);
		if (!bearer_ok(req)) {
			http_response_header(req, "www-authenticate",
			    "Bearer realm=\"cinerec ingest\"");
			reply_text(req, 401, "an ingest token is required: "
			    "Authorization: Bearer <token>\n");
			return (KORE_RESULT_OK);
		}
		st = kore_calloc(1, sizeof(*st));
		st->req = req;
		req->hdlr_extra = st;
		kore_task_create(&st->task, events_task);
		kore_task_bind_request(&st->task, req);
		kore_task_run(&st->task);
		return (KORE_RESULT_RETRY);
	}
	st = req->hdlr_extra;
	if (kore_task_state(&st->task) != KORE_TASK_STATE_FINISHED) {
		http_request_sleep(req);
		return (KORE_RESULT_RETRY);
	}
	len = kore_task_channel_read(&st->task, out, sizeof(out) - 1);
	out[len < sizeof(out) ? len : sizeof(out) - 1] = '\0';
	if (strncmp(out, EVENTS_OK, 3) == 0) {
		kore_buf_init(&b, 256);
		events_json(&b, out + 3);
		reply_json(req, 200, &b);
		kore_buf_cleanup(&b);
	} else if (strcmp(out, EVENTS_PENDING) == 0) {
		/* Taken, not durable yet: sending it again would count twice. */
		reply_text(req, 202, "accepted but not committed yet: the "
		    "database cannot be written now; the lines will be "
		    "committed once it can (do not send them again)\n");
	} else if (strcmp(out, EVENTS_LOST) == 0) {
		reply_text(req, 500, "the ingest stopped during this request: "
		    "some of its lines may have been committed\n");
	} else {
		http_response_header(req, "retry-after", "1");
		reply_text(req, 503, strcmp(out, EVENTS_BUSY) == 0 ?
		    "the database cannot be written now: nothing was "
		    "committed, try again later\n" : "ingest unavailable: "
		    "nothing was committed\n");
	}
	return (KORE_RESULT_OK);
}

int
api_metrics(struct http_request *req)
{
	char	*text;
	size_t	 len;

	started_us = clock_mono_us();
	if (!only(req, HTTP_METHOD_GET, "GET"))
		return (KORE_RESULT_OK);
	if (metrics_render(&srv.store, (int64_t)srv.cfg.click_window_s * 1000,
	    &text, &len) == -1) {
		reply_text(req, 500, "cannot render the metrics\n");
		return (KORE_RESULT_OK);
	}
	respond(req, 200, "text/plain; version=0.0.4; charset=utf-8", text,
	    len);
	free(text);
	return (KORE_RESULT_OK);
}

/*
 * Answer with the JSON a report function writes (on a fresh snapshot: it
 * reports what is committed now), or 503.
 */
static void
reply_report(struct http_request *req, int (*report)(FILE *, void *),
    void *arg)
{
	char	*text = NULL;
	size_t	 len = 0;
	FILE	*fp;
	int	 rc = -1;

	if ((fp = open_memstream(&text, &len)) != NULL) {
		if (store_snapshot(&srv.store) == 0)
			rc = report(fp, arg);
		store_release(&srv.store);
		if (fclose(fp) != 0)
			rc = -1;
	}
	if (rc == -1)
		reply_text(req, 503, "database unavailable\n");
	else
		respond(req, 200, "application/json", text, len);
	free(text);
}

/* The arguments of the /why report. */
struct why_args {
	int64_t			 user, at;
	const struct why_now	*now;	/* the list of now, or NULL */
};

static int
why_report(FILE *fp, void *arg)
{
	struct why_args	*a = arg;

	return (why_json(srv.store.db, a->user, a->at, 20, a->now, fp) == -1 ?
	    -1 : 0);
}

static int
ctr_report(FILE *fp, void *arg)
{
	return (stats_ctr_json(srv.store.db, *(int64_t *)arg, fp));
}

int
api_why(struct http_request *req)
{
	static struct reco_list	 list;
	static struct why_now	 now;
	struct serving_pick	 pick;
	struct why_args		 a;
	const char	*id;
	char		 at[64];
	int		 rc;

	started_us = clock_mono_us();
	if (!only(req, HTTP_METHOD_GET, "GET"))
		return (KORE_RESULT_OK);
	id = req->path + strlen("/why/");
	if (parse_user(id, strlen(id), &a.user) == -1) {
		reply_text(req, 400, "user id must be a non-negative decimal "
		    "integer\n");
		return (KORE_RESULT_OK);
	}
	/* ?at=YYYY-MM-DDTHH:MM:SS: the lists given up to then. */
	a.at = INT64_MAX;
	if ((rc = urlenc_get(req->query_string, "at", at, sizeof(at))) == -1 ||
	    (rc == 1 && parse_time(at, strlen(at), &a.at) == -1)) {
		reply_text(req, 400, "at must be YYYY-MM-DDTHH:MM:SS\n");
		return (KORE_RESULT_OK);
	}
	/* Without ?at, the list of now too, with its reasons. */
	a.now = NULL;
	if (a.at == INT64_MAX) {
		serving_pick(&srv.serving, a.user, &pick);
		if (list_for(a.user, &pick, &list) >= 0) {
			explain(a.user, &pick, &list);
			reco_why_now(&list, pick.id, &now);
			a.now = &now;
		}
	}
	reply_report(req, why_report, &a);
	return (KORE_RESULT_OK);
}

/* GET /ctr[?days=N]: the online evaluation of the last N days (7). */
int
api_ctr(struct http_request *req)
{
	char		 d[24];
	int64_t		 days = 7, since;
	int		 rc;

	started_us = clock_mono_us();
	if (!only(req, HTTP_METHOD_GET, "GET"))
		return (KORE_RESULT_OK);
	if ((rc = urlenc_get(req->query_string, "days", d, sizeof(d))) == -1 ||
	    (rc == 1 && parse_user(d, strlen(d), &days) == -1))
		days = 0;
	if (days < 1 || days > 3650) {
		reply_text(req, 400, "days must be in 1..3650\n");
		return (KORE_RESULT_OK);
	}
	since = clock_now_ms() / 86400000 - days + 1;
	reply_report(req, ctr_report, &since);
	return (KORE_RESULT_OK);
}
