/*
 * Shared live counters and the Prometheus exposition (see metrics.h).
 * Writers use relaxed atomic adds on their own slots; a render may read a
 * figure a moment old, never a torn one (aligned 64-bit words).
 */
#include <sys/mman.h>
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "util/clock.h"
#include "util/log.h"
#include "telemetry/metrics.h"
#include "ingest/parse.h"

/* Upper bounds of the latency buckets, in microseconds. */
static const uint64_t	bucket_us[METRICS_BUCKETS] = {
	100, 250, 500, 1000, 2500, 5000, 10000, 25000, 50000, 100000,
	250000, 1000000
};

static const char	*route_names[METRICS_NROUTES] = {
	"recommend", "health", "events", "ping", "metrics", "why", "ctr",
	"similar", "popular", "trending", "admin", "other"
};

/* HTTP statuses counted one by one; the rest as "other". */
static const int	statuses[] = { 200, 400, 401, 403, 404, 405, 413,
				    429, 500, 503 };
#define NSTATUS	(sizeof(statuses) / sizeof(statuses[0]) + 1)

struct hist {
	uint64_t	bucket[METRICS_BUCKETS + 1];	/* last: +Inf */
	uint64_t	count;
	uint64_t	sum_us;
};

/* One worker's figures: written by that worker only. */
struct wslot {
	int64_t		pid;				/* 0: never used */
	uint64_t	requests[METRICS_NROUTES][NSTATUS];
	struct hist	recommend;			/* /recommend latency */
	uint64_t	answers, personal;		/* /recommend answers */
	uint64_t	path[4];			/* by RECO_PATH_* */
	uint64_t	log_dropped;			/* lists not logged */
	uint64_t	rss_bytes;
	int64_t		body_bytes;			/* bodies in memory */
	uint64_t	body_refused;			/* 503: over budget */
};

/* The ingest thread's figures. */
struct islot {
	struct hist	commit;				/* batch commits */
	uint64_t	commit_failed;
	uint64_t	pending, connections;		/* gauges */
	uint64_t	events[METRICS_NINGEST_EVENTS];
	uint64_t	up, paused;			/* 0 or 1 */
	int64_t		tick_ms;			/* monotonic */
	uint64_t	events_ino, control_ino;
};

static const char	*ingest_event_names[METRICS_NINGEST_EVENTS] = {
	"connection_limit", "auth_failed", "auth_timeout", "token_changed",
	"held_unread_answers", "served_refused", "events_busy"
};

/*
 * The recent history, a sample every METRICS_HISTORY_MS: written by the
 * ingest thread only (n counts every sample ever written, the newest is at
 * (n - 1) % METRICS_HISTORY); read by any worker for the dashboard, which
 * then draws minutes it was not open for.
 */
struct history {
	uint64_t		n;
	struct metrics_sample	s[METRICS_HISTORY];
};

/* The Kafka input's figures behind a sequence lock (odd: being written). */
struct kslot {
	uint64_t		seq;
	struct metrics_kafka	k;
};

struct shared {
	struct wslot	w[METRICS_WORKERS];
	struct islot	ingest;
	struct kslot	kafka;
	struct metrics_replica	replica;	/* one writer: fields atomic */
	struct history	history;
};

static struct shared	*shm;		/* NULL: metrics off (CLI, tests) */
static struct wslot	*mine;

#define ADD(p, v)	__atomic_fetch_add((p), (v), __ATOMIC_RELAXED)
#define SET(p, v)	__atomic_store_n((p), (v), __ATOMIC_RELAXED)
#define GET(p)		__atomic_load_n((p), __ATOMIC_RELAXED)

int
metrics_init(void)
{
	void	*p;

	p = mmap(NULL, sizeof(*shm), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		log_warnx("%s: mmap: cannot share metrics", __func__);
		return (-1);
	}
	shm = p;
	return (0);
}

void
metrics_bind(int worker_id)
{
	if (shm == NULL || worker_id < 0 || worker_id >= METRICS_WORKERS)
		return;
	mine = &shm->w[worker_id];
	SET(&mine->pid, (int64_t)getpid());
	/* A restarted worker holds no body of its predecessor's. */
	SET(&mine->body_bytes, 0);
}

static void
hist_add(struct hist *h, uint64_t us)
{
	size_t	i;

	for (i = 0; i < METRICS_BUCKETS && us > bucket_us[i]; i++)
		;
	ADD(&h->bucket[i], 1);
	ADD(&h->count, 1);
	ADD(&h->sum_us, us);
}

void
metrics_request(enum metrics_route route, int status, uint64_t us)
{
	size_t	i;

	if (mine == NULL)
		return;
	for (i = 0; i < NSTATUS - 1 && statuses[i] != status; i++)
		;
	ADD(&mine->requests[route][i], 1);
	if (route == METRICS_RECOMMEND && status == 200)
		hist_add(&mine->recommend, us);
}

void
metrics_recommend(int personal, int path, int dropped)
{
	if (mine == NULL)
		return;
	ADD(&mine->answers, 1);
	if (path >= 0 && path < 4)
		ADD(&mine->path[path], 1);
	if (personal)
		ADD(&mine->personal, 1);
	if (dropped)
		ADD(&mine->log_dropped, 1);
}

void
metrics_recommend_lost(uint64_t n)
{
	if (mine != NULL)
		ADD(&mine->log_dropped, n);
}

void
metrics_commit(uint64_t us, int ok)
{
	if (shm == NULL)
		return;
	if (ok)
		hist_add(&shm->ingest.commit, us);
	else
		ADD(&shm->ingest.commit_failed, 1);
}

void
metrics_ingest_gauges(uint64_t pending, uint64_t connections)
{
	if (shm == NULL)
		return;
	SET(&shm->ingest.pending, pending);
	SET(&shm->ingest.connections, connections);
}

void
metrics_ingest_event(enum metrics_ingest_event e)
{
	if (shm != NULL && e < METRICS_NINGEST_EVENTS)
		ADD(&shm->ingest.events[e], 1);
}

void
metrics_ingest_up(int up, uint64_t events_ino, uint64_t control_ino)
{
	if (shm == NULL)
		return;
	SET(&shm->ingest.events_ino, events_ino);
	SET(&shm->ingest.control_ino, control_ino);
	SET(&shm->ingest.tick_ms, clock_mono_ms());
	SET(&shm->ingest.up, (uint64_t)up);
}

void
metrics_ingest_tick(int paused)
{
	if (shm == NULL)
		return;
	SET(&shm->ingest.paused, (uint64_t)paused);
	SET(&shm->ingest.tick_ms, clock_mono_ms());
}

/* API requests answered by every worker (admin and /metrics aside). */
static uint64_t
requests_total(void)
{
	uint64_t	n = 0;
	int		w, r;
	size_t		k;

	for (w = 0; w < METRICS_WORKERS; w++)
		for (r = 0; r < METRICS_NROUTES; r++) {
			if (r == METRICS_ADMIN || r == METRICS_METRICS)
				continue;
			for (k = 0; k < NSTATUS; k++)
				n += GET(&shm->w[w].requests[r][k]);
		}
	return (n);
}

void
metrics_history_add(int64_t now_ms, uint64_t lines, uint64_t rejected)
{
	struct metrics_sample	*s;
	uint64_t		 n;

	if (shm == NULL)
		return;
	n = GET(&shm->history.n);
	s = &shm->history.s[n % METRICS_HISTORY];
	SET(&s->t_ms, now_ms);
	SET(&s->requests, requests_total());
	SET(&s->lines, lines);
	SET(&s->rejected, rejected);
	__atomic_store_n(&shm->history.n, n + 1, __ATOMIC_RELEASE);
}

size_t
metrics_history(struct metrics_sample *out, size_t max)
{
	uint64_t	n, first, i;
	size_t		k = 0;

	if (shm == NULL)
		return (0);
	n = __atomic_load_n(&shm->history.n, __ATOMIC_ACQUIRE);
	first = n > METRICS_HISTORY ? n - METRICS_HISTORY + 1 : 0;
	if (n - first > max)
		first = n - max;
	/* The oldest slot may be being rewritten: it is left out above. */
	for (i = first; i < n; i++, k++) {
		out[k].t_ms = GET(&shm->history.s[i % METRICS_HISTORY].t_ms);
		out[k].requests = GET(&shm->history.s[i % METRICS_HISTORY].
		    requests);
		out[k].lines = GET(&shm->history.s[i % METRICS_HISTORY].lines);
		out[k].rejected = GET(&shm->history.s[i % METRICS_HISTORY].
		    rejected);
	}
	return (k);
}

void
metrics_kafka_set(const struct metrics_kafka *k)
{
	uint64_t	seq;

	if (shm == NULL)
		return;
	/* Even, whatever a writer that died mid-way left. */
	seq = GET(&shm->kafka.seq) & ~(uint64_t)1;
	__atomic_store_n(&shm->kafka.seq, seq + 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	memcpy(&shm->kafka.k, k, sizeof(*k));
	__atomic_store_n(&shm->kafka.seq, seq + 2, __ATOMIC_RELEASE);
}

void
metrics_replica_set(const struct metrics_replica *r)
{
	if (shm == NULL)
		return;
	SET(&shm->replica.published, r->published);
	SET(&shm->replica.following, r->following);
	SET(&shm->replica.imports, r->imports);
	SET(&shm->replica.refusals, r->refusals);
	SET(&shm->replica.role, r->role);
}

int
metrics_replica_get(struct metrics_replica *r)
{
	if (shm == NULL)
		return (-1);
	r->published = GET(&shm->replica.published);
	r->following = GET(&shm->replica.following);
	r->imports = GET(&shm->replica.imports);
	r->refusals = GET(&shm->replica.refusals);
	r->role = GET(&shm->replica.role);
	return (0);
}

int
metrics_kafka_get(struct metrics_kafka *k)
{
	uint64_t	s1, s2;
	int		tries = 0;

	if (shm == NULL)
		return (-1);
	do {
		/* A writer gone mid-way leaves it odd: not forever. */
		if (++tries > 100000)
			return (-1);
		s1 = __atomic_load_n(&shm->kafka.seq, __ATOMIC_ACQUIRE);
		memcpy(k, &shm->kafka.k, sizeof(*k));
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		s2 = __atomic_load_n(&shm->kafka.seq, __ATOMIC_RELAXED);
	} while ((s1 & 1) != 0 || s1 != s2);
	return (0);
}

int
metrics_ingest_health(struct metrics_ingest_health *h)
{
	if (shm == NULL)
		return (-1);
	h->up = GET(&shm->ingest.up) != 0;
	h->paused = GET(&shm->ingest.paused) != 0;
	h->tick_age_ms = clock_mono_ms() - GET(&shm->ingest.tick_ms);
	h->events_ino = GET(&shm->ingest.events_ino);
	h->control_ino = GET(&shm->ingest.control_ino);
	return (0);
}

void
metrics_body(int64_t delta, int refused)
{
	if (mine == NULL)
		return;
	ADD(&mine->body_bytes, delta);
	if (refused)
		ADD(&mine->body_refused, 1);
}

int64_t
metrics_body_total(void)
{
	int64_t	sum = 0;
	size_t	i;

	if (shm == NULL)
		return (0);
	for (i = 0; i < METRICS_WORKERS; i++)
		if (GET(&shm->w[i].pid) != 0)
			sum += GET(&shm->w[i].body_bytes);
	return (sum);
}

void
metrics_sample_memory(void)
{
	FILE		*fp;
	unsigned long	 size, resident;

	if (mine == NULL || (fp = fopen("/proc/self/statm", "r")) == NULL)
		return;
	if (fscanf(fp, "%lu %lu", &size, &resident) == 2)
		SET(&mine->rss_bytes, (uint64_t)resident *
		    (uint64_t)sysconf(_SC_PAGESIZE));
	fclose(fp);
}

static void
header(FILE *fp, const char *name, const char *type, const char *help)
{
	fprintf(fp, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A metric of one sample: its header and its value. */
static void
metric(FILE *fp, const char *name, const char *type, const char *help,
    long long v)
{
	header(fp, name, type, help);
	fprintf(fp, "%s %lld\n", name, v);
}

static void
hist_render(FILE *fp, const char *name, const char *labels,
    const struct hist *h)
{
	uint64_t	cum = 0;
	size_t		i;

	for (i = 0; i < METRICS_BUCKETS; i++) {
		cum += h->bucket[i];
		fprintf(fp, "%s_bucket{%s%sle=\"%g\"} %llu\n", name, labels,
		    *labels ? "," : "", (double)bucket_us[i] / 1e6,
		    (unsigned long long)cum);
	}
	cum += h->bucket[METRICS_BUCKETS];
	fprintf(fp, "%s_bucket{%s%sle=\"+Inf\"} %llu\n", name, labels,
	    *labels ? "," : "", (unsigned long long)cum);
	if (*labels)
		fprintf(fp, "%s_sum{%s} %.6f\n%s_count{%s} %llu\n", name,
		    labels, (double)h->sum_us / 1e6, name, labels,
		    (unsigned long long)h->count);
	else
		fprintf(fp, "%s_sum %.6f\n%s_count %llu\n", name,
		    (double)h->sum_us / 1e6, name,
		    (unsigned long long)h->count);
}

/* A trainer's publishing or a replica's following (model/replica.h). */
static void
render_replica(FILE *fp)
{
	int	role = GET(&shm->replica.role);

	if (role == 1)
		metric(fp, "cinerec_replica_published_version", "gauge",
		    "Model version this trainer last published for its "
		    "replicas (0: none yet).",
		    (uint64_t)GET(&shm->replica.published));
	if (role != 2)
		return;
	metric(fp, "cinerec_replica_version", "gauge",
	    "Model version this replica serves (0: none yet).",
	    (uint64_t)GET(&shm->replica.following));
	metric(fp, "cinerec_replica_imports_total", "counter",
	    "Published versions this replica checked and took.",
	    GET(&shm->replica.imports));
	metric(fp, "cinerec_replica_refused_total", "counter",
	    "Published versions this replica refused (checksum, format).",
	    GET(&shm->replica.refusals));
}

/* The Kafka input, when one runs (ingest/kafka.h). */
static void
render_kafka(FILE *fp)
{
	struct metrics_kafka	k;
	size_t			i;

	if (metrics_kafka_get(&k) == -1 || !k.configured)
		return;
	metric(fp, "cinerec_kafka_up", "gauge",
	    "1 while a Kafka broker is reachable (the statistics say so).",
	    k.brokers_up > 0 ? 1 : 0);
	metric(fp, "cinerec_kafka_partitions", "gauge",
	    "Partitions of the topic assigned to this consumer.",
	    k.partitions);
	metric(fp, "cinerec_kafka_lag_messages", "gauge",
	    "Messages on the topic not yet taken, all assigned partitions.",
	    (uint64_t)(k.lag > 0 ? k.lag : 0));
	metric(fp, "cinerec_kafka_messages_total", "counter",
	    "Messages taken from the topic.", k.messages);
	metric(fp, "cinerec_kafka_lines_accepted_total", "counter",
	    "Lines of those messages accepted.", k.accepted);
	metric(fp, "cinerec_kafka_lines_rejected_total", "counter",
	    "Lines of those messages rejected (by reason in "
	    "cinerec_ingest_rejected_total).", k.rejected);
	metric(fp, "cinerec_kafka_skipped_total", "counter",
	    "Messages redelivered below the position in the database, "
	    "skipped.", k.skipped);
	metric(fp, "cinerec_kafka_errors_total", "counter",
	    "Errors librdkafka reported (brokers lost, failed fetches).",
	    k.errors);
	metric(fp, "cinerec_kafka_rebalances_total", "counter",
	    "Consumer-group rebalances (assignments and revocations).",
	    k.rebalances);
	metric(fp, "cinerec_kafka_offset_commit_failures_total", "counter",
	    "Offset commits to Kafka that failed (the database keeps the "
	    "positions).", k.commit_failed);
	header(fp, "cinerec_kafka_position", "gauge",
	    "First offset of each partition whose lines are not in the "
	    "database (-1: none taken yet).");
	for (i = 0; i < k.nparts; i++)
		fprintf(fp, "cinerec_kafka_position{topic=\"%s\","
		    "partition=\"%lld\"} %lld\n", k.topic[k.part[i].topic & 1],
		    (long long)k.part[i].partition, (long long)k.part[i].next);
	header(fp, "cinerec_kafka_high_watermark", "gauge",
	    "Next offset the broker will write in each partition (-1: not "
	    "known yet).");
	for (i = 0; i < k.nparts; i++)
		fprintf(fp, "cinerec_kafka_high_watermark{topic=\"%s\","
		    "partition=\"%lld\"} %lld\n", k.topic[k.part[i].topic & 1],
		    (long long)k.part[i].partition, (long long)k.part[i].hi);
	metric(fp, "cinerec_kafka_served_lists_sent_total", "counter",
	    "Lists this replica served that reached the served topic.",
	    k.served_sent);
	metric(fp, "cinerec_kafka_served_lists_failed_total", "counter",
	    "Lists this replica served that could not be sent (full queue, "
	    "undeliverable).", k.served_failed);
}

/* A snapshot of the shared block summed over workers. */
static void
render_live(FILE *fp)
{
	struct hist	 reco, commit;
	uint64_t	 req[METRICS_NROUTES][NSTATUS], answers = 0;
	uint64_t	 personal = 0, dropped = 0, v, refused = 0, path[4] = { 0 };
	static const char *const path_names[4] = { "popular", "lists",
			    "foldin", "fresh" };
	struct wslot	*w;
	size_t		 i, r, k;
	char		 st[16];

	memset(&reco, 0, sizeof(reco));
	memset(req, 0, sizeof(req));
	for (i = 0; i < METRICS_WORKERS; i++) {
		w = &shm->w[i];
		if (GET(&w->pid) == 0)
			continue;
		for (r = 0; r < METRICS_NROUTES; r++)
			for (k = 0; k < NSTATUS; k++)
				req[r][k] += GET(&w->requests[r][k]);
		for (k = 0; k <= METRICS_BUCKETS; k++)
			reco.bucket[k] += GET(&w->recommend.bucket[k]);
		reco.count += GET(&w->recommend.count);
		reco.sum_us += GET(&w->recommend.sum_us);
		answers += GET(&w->answers);
		personal += GET(&w->personal);
		for (k = 0; k < 4; k++)
			path[k] += GET(&w->path[k]);
		dropped += GET(&w->log_dropped);
		refused += GET(&w->body_refused);
	}

	header(fp, "cinerec_http_requests_total", "counter",
	    "HTTP requests answered, by route and status.");
	for (r = 0; r < METRICS_NROUTES; r++) {
		for (k = 0; k < NSTATUS; k++) {
			if (req[r][k] == 0 && !(r == METRICS_RECOMMEND &&
			    k == 0))
				continue;
			if (k < NSTATUS - 1)
				snprintf(st, sizeof(st), "%d", statuses[k]);
			else
				snprintf(st, sizeof(st), "other");
			fprintf(fp, "cinerec_http_requests_total{route=\"%s\","
			    "status=\"%s\"} %llu\n", route_names[r], st,
			    (unsigned long long)req[r][k]);
		}
	}
	header(fp, "cinerec_recommend_duration_seconds", "histogram",
	    "Time to compute a /recommend answer.");
	hist_render(fp, "cinerec_recommend_duration_seconds", "", &reco);
	metric(fp, "cinerec_recommend_answers_total", "counter",
	    "/recommend answers.", answers);
	metric(fp, "cinerec_recommend_personal_total", "counter",
	    "/recommend answers with at least one id from the model.",
	    personal);
	header(fp, "cinerec_recommend_path_total", "counter",
	    "/recommend answers by how they were made: popularity only, the "
	    "precomputed list of the model's training, the model folding "
	    "in a history that changed since, or the list made when the "
	    "user's events committed.");
	for (k = 0; k < 4; k++)
		fprintf(fp, "cinerec_recommend_path_total{path=\"%s\"} %llu\n",
		    path_names[k], (unsigned long long)path[k]);
	metric(fp, "cinerec_recommend_log_dropped_total", "counter",
	    "Served lists not logged because the log queue was full.", dropped);

	commit = shm->ingest.commit;
	header(fp, "cinerec_writer_commit_duration_seconds", "histogram",
	    "Time to commit one batch of events.");
	hist_render(fp, "cinerec_writer_commit_duration_seconds", "", &commit);
	metric(fp, "cinerec_writer_commit_failures_total", "counter",
	    "Batch commits that failed (the batch is retried).",
	    GET(&shm->ingest.commit_failed));
	metric(fp, "cinerec_ingest_pending_lines", "gauge",
	    "Lines received and not yet committed.", GET(&shm->ingest.pending));
	metric(fp, "cinerec_ingest_connections", "gauge",
	    "Connected ingest senders.", GET(&shm->ingest.connections));

	header(fp, "cinerec_ingest_refused_total", "counter",
	    "Ingest senders and records refused or held back, by reason.");
	for (i = 0; i < METRICS_NINGEST_EVENTS; i++)
		fprintf(fp, "cinerec_ingest_refused_total{reason=\"%s\"} "
		    "%llu\n", ingest_event_names[i],
		    (unsigned long long)GET(&shm->ingest.events[i]));
	metric(fp, "cinerec_http_bodies_refused_total", "counter",
	    "Request bodies refused (503) because the bodies in memory "
	    "reached events_inflight_mb.", refused);
	metric(fp, "cinerec_http_body_bytes", "gauge",
	    "Bytes of request bodies held in memory now.",
	    metrics_body_total());
	metric(fp, "cinerec_ingest_up", "gauge",
	    "1 while the ingest runs and its commits succeed.",
	    GET(&shm->ingest.up) && !GET(&shm->ingest.paused) ? 1 : 0);

	render_kafka(fp);
	render_replica(fp);

	header(fp, "cinerec_process_resident_memory_bytes", "gauge",
	    "Resident memory of each worker process.");
	for (i = 0; i < METRICS_WORKERS; i++) {
		w = &shm->w[i];
		if (GET(&w->pid) == 0)
			continue;
		v = GET(&w->rss_bytes);
		fprintf(fp, "cinerec_process_resident_memory_bytes"
		    "{worker=\"%zu\"} %llu\n", i, (unsigned long long)v);
	}
}

static int64_t
query_i64(sqlite3 *db, const char *sql, int64_t arg, int64_t arg2)
{
	sqlite3_stmt	*st;
	int64_t		 v = 0;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return (0);
	sqlite3_bind_int64(st, 1, arg);
	sqlite3_bind_int64(st, 2, arg2);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return (v);
}

/* One int64 the query sql gives (0 when it gives none). */
static int64_t
value_of(struct store *s, const char *sql)
{
	sqlite3_stmt	*st;
	int64_t		 v = 0;

	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
		return (0);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return (v);
}

/*
 * The stream's data quality: outlier user ids, accounts (and those that
 * did nothing yet: cold start), and the kinds of lines nobody knows
 * (schema drift), the 20 most frequent by shape.
 */
static void
render_quality(FILE *fp, struct store *s)
{
	sqlite3_stmt	*st;

	header(fp, "cinerec_users_outlier_total", "counter",
	    "New users whose id is far beyond the ids seen before them.");
	fprintf(fp, "cinerec_users_outlier_total %lld\n", (long long)
	    value_of(s, "SELECT COALESCE((SELECT value FROM counters WHERE "
	    "name = 'users_outlier'), 0)"));
	header(fp, "cinerec_accounts", "gauge",
	    "Users with a create_account line, by state (idle: no watch or "
	    "rating yet).");
	fprintf(fp, "cinerec_accounts{state=\"all\"} %lld\n"
	    "cinerec_accounts{state=\"idle\"} %lld\n", (long long)
	    value_of(s, "SELECT COUNT(*) FROM users WHERE account_ts IS NOT "
	    "NULL"), (long long)value_of(s, "SELECT COUNT(*) FROM users WHERE "
	    "account_ts IS NOT NULL AND watch_lines + ratings = 0"));
	header(fp, "cinerec_ingest_line_shapes", "gauge",
	    "Kinds of lines the parser does not know (bad_request), by "
	    "shape; a new one is schema drift.");
	fprintf(fp, "cinerec_ingest_line_shapes %lld\n", (long long)
	    value_of(s, "SELECT COUNT(*) FROM line_shapes"));
	header(fp, "cinerec_ingest_line_shape_lines_total", "counter",
	    "Lines of each unknown kind (the 20 most frequent shapes).");
	if (sqlite3_prepare_v2(s->db, "SELECT shape, lines FROM line_shapes "
	    "ORDER BY lines DESC, shape LIMIT 20", -1, &st, NULL) != SQLITE_OK)
		return;
	/* Shapes hold letters, digits, "_-./?" and a space: no escaping. */
	while (sqlite3_step(st) == SQLITE_ROW)
		fprintf(fp, "cinerec_ingest_line_shape_lines_total{shape=\"%s\"}"
		    " %lld\n", sqlite3_column_text(st, 0),
		    (long long)sqlite3_column_int64(st, 1));
	sqlite3_finalize(st);
}

static void
render_db(FILE *fp, struct store *s, int64_t click_window_ms)
{
	sqlite3_stmt	*st;
	struct stat	 sb;
	char		 path[PATH_MAX + 8];
	int64_t		 now = clock_now_ms(), lists, followed, size = 0;
	int		 i;

	header(fp, "cinerec_ingest_lines_total", "counter",
	    "Log lines accepted, by kind (all time).");
	if (sqlite3_prepare_v2(s->db, "SELECT substr(name, 10), value FROM "
	    "counters WHERE name LIKE 'accepted\\_%' ESCAPE '\\' ORDER BY 1",
	    -1, &st, NULL) == SQLITE_OK) {
		while (sqlite3_step(st) == SQLITE_ROW)
			fprintf(fp, "cinerec_ingest_lines_total{kind=\"%s\"} "
			    "%lld\n", sqlite3_column_text(st, 0),
			    (long long)sqlite3_column_int64(st, 1));
		sqlite3_finalize(st);
	}
	header(fp, "cinerec_ingest_rejected_total", "counter",
	    "Log lines rejected, by reason (all time).");
	for (i = 1; i < PARSE_NREASONS; i++) {
		snprintf(path, sizeof(path), "rejected_%s",
		    parse_reason_name(i));
		if (sqlite3_prepare_v2(s->db, "SELECT COALESCE((SELECT value "
		    "FROM counters WHERE name = ?1), 0)", -1, &st, NULL) !=
		    SQLITE_OK)
			break;
		sqlite3_bind_text(st, 1, path, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW)
			fprintf(fp, "cinerec_ingest_rejected_total"
			    "{reason=\"%s\"} %lld\n", parse_reason_name(i),
			    (long long)sqlite3_column_int64(st, 0));
		sqlite3_finalize(st);
	}

	render_quality(fp, s);

	if (sqlite3_prepare_v2(s->db, "SELECT id, created_ms, train_seconds, "
	    "eval_recall20, eval_ndcg20 FROM models WHERE current = 1", -1,
	    &st, NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW) {
			header(fp, "cinerec_model_version", "gauge",
			    "Version of the model being served.");
			fprintf(fp, "cinerec_model_version %lld\n",
			    (long long)sqlite3_column_int64(st, 0));
			header(fp, "cinerec_model_age_seconds", "gauge",
			    "Time since the served model was trained.");
			fprintf(fp, "cinerec_model_age_seconds %.3f\n",
			    (double)(now - sqlite3_column_int64(st, 1)) /
			    1000.0);
			header(fp, "cinerec_model_training_seconds", "gauge",
			    "Wall time of the served model's fit.");
			fprintf(fp, "cinerec_model_training_seconds %.3f\n",
			    sqlite3_column_double(st, 2));
			if (sqlite3_column_type(st, 3) != SQLITE_NULL) {
				header(fp, "cinerec_model_offline_recall20",
				    "gauge", "Hold-out Recall@20 of the "
				    "served model.");
				fprintf(fp, "cinerec_model_offline_recall20 "
				    "%.6f\n", sqlite3_column_double(st, 3));
				header(fp, "cinerec_model_offline_ndcg20",
				    "gauge", "Hold-out NDCG@20 of the served "
				    "model.");
				fprintf(fp, "cinerec_model_offline_ndcg20 "
				    "%.6f\n", sqlite3_column_double(st, 4));
			}
		}
		sqlite3_finalize(st);
	}

	/*
	 * Click-through from the hourly aggregates (never a scan of the
	 * log): the last full hour whose lists are all judged (it ended a
	 * click window ago or more), and today (UTC).
	 */
	header(fp, "cinerec_ctr_ratio", "gauge",
	    "Share of lists followed by a start of a listed movie within the "
	    "click window (1h: the last full hour judged).");
	lists = query_i64(s->db, "SELECT COALESCE(SUM(lists), 0) FROM "
	    "reco_stats WHERE hour = ?1", (now - click_window_ms) / 3600000 - 1,
	    0);
	followed = query_i64(s->db, "SELECT COALESCE(SUM(followed), 0) FROM "
	    "reco_stats WHERE hour = ?1", (now - click_window_ms) / 3600000 - 1,
	    0);
	fprintf(fp, "cinerec_ctr_ratio{window=\"1h\"} %.6f\n",
	    lists > 0 ? (double)followed / (double)lists : 0.0);
	lists = query_i64(s->db, "SELECT COALESCE(SUM(lists), 0) FROM "
	    "reco_stats WHERE hour >= ?1", now / 86400000 * 24, 0);
	followed = query_i64(s->db, "SELECT COALESCE(SUM(followed), 0) FROM "
	    "reco_stats WHERE hour >= ?1", now / 86400000 * 24, 0);
	fprintf(fp, "cinerec_ctr_ratio{window=\"today\"} %.6f\n",
	    lists > 0 ? (double)followed / (double)lists : 0.0);
	header(fp, "cinerec_ctr_lists", "gauge",
	    "Lists judged for the click-through of each window.");
	fprintf(fp, "cinerec_ctr_lists{window=\"today\"} %lld\n",
	    (long long)lists);

	header(fp, "cinerec_database_size_bytes", "gauge",
	    "Size of the database file and its write-ahead log.");
	if (stat(s->path, &sb) == 0)
		size += sb.st_size;
	snprintf(path, sizeof(path), "%s-wal", s->path);
	if (stat(path, &sb) == 0)
		size += sb.st_size;
	fprintf(fp, "cinerec_database_size_bytes %lld\n", (long long)size);
}

int
metrics_render(struct store *s, int64_t click_window_ms, char **out,
    size_t *len)
{
	FILE	*fp;

	*out = NULL;
	*len = 0;
	if ((fp = open_memstream(out, len)) == NULL)
		return (-1);
	if (shm != NULL)
		render_live(fp);
	render_db(fp, s, click_window_ms);
	if (fclose(fp) != 0) {
		free(*out);
		*out = NULL;
		return (-1);
	}
	return (0);
}
