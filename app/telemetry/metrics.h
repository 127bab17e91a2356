/*
 * Live figures shared by every process of the server, and their Prometheus
 * text exposition.  The counters live in one anonymous shared mapping made
 * by the parent before it forks: each worker writes only its own slot, the
 * ingest thread its own block, and whoever renders /metrics sums them.  The
 * figures that outlive a restart (ingest totals, models, click-through)
 * come from the database at render time.
 */
#ifndef CINEREC_METRICS_H
#define CINEREC_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

#define METRICS_WORKERS	64	/* worker slots (Kore ids 1..63) */
#define METRICS_BUCKETS	12	/* latency histogram buckets, +Inf apart */

/* Routes counted by name; everything else is "other". */
enum metrics_route {
	METRICS_RECOMMEND, METRICS_HEALTH, METRICS_EVENTS, METRICS_PING,
	METRICS_METRICS, METRICS_WHY, METRICS_CTR, METRICS_SIMILAR,
	METRICS_POPULAR, METRICS_TRENDING, METRICS_ADMIN,
	METRICS_OTHER,
	METRICS_NROUTES
};

/* Set once per process: where the shared block is, which slot is ours. */
int	metrics_init(void);		/* parent, before fork: 0 or -1 */
void	metrics_bind(int worker_id);	/* each worker, at start */

/* One answered request: its route, HTTP status and duration. */
void	metrics_request(enum metrics_route route, int status, uint64_t us);

/*
 * One /recommend answer: with a model's ids or not, the path that made it
 * (RECO_PATH_*: popularity, precomputed list, fold-in, fresh list), logged
 * or dropped.
 */
void	metrics_recommend(int personal, int path, int dropped);
/* n logged lists lost after they were taken (reclog.h: lost). */
void	metrics_recommend_lost(uint64_t n);

/* Ingest thread: one commit (its duration, ok or not), and the gauges. */
void	metrics_commit(uint64_t us, int ok);

void	metrics_ingest_gauges(uint64_t pending, uint64_t connections);

/* What the ingest refused or held back, counted for /metrics. */
enum metrics_ingest_event {
	METRICS_CONN_LIMIT,	/* a sender beyond ingest_max_conns */
	METRICS_AUTH_FAILED,	/* a first line that is not AUTH <token> */
	METRICS_AUTH_TIMEOUT,	/* no AUTH within ingest_auth_timeout_s */
	METRICS_TOKEN_CHANGED,	/* closed: the token changed */
	METRICS_HELD,		/* reading paused: answers left unread */
	METRICS_SERVED_REFUSED,	/* a malformed served-list record */
	METRICS_EVENTS_BUSY,	/* POST /events refused: commits fail */
	METRICS_NINGEST_EVENTS
};

/* Ingest thread: count one e. */
void	metrics_ingest_event(enum metrics_ingest_event e);

/*
 * Ingest thread: it runs (up 1, with the inodes of its two Unix sockets)
 * or stopped (0); then on every timer tick, whether commits fail.
 */
void	metrics_ingest_up(int up, uint64_t events_ino, uint64_t control_ino);
void	metrics_ingest_tick(int paused);

/*
 * The recent history the dashboard draws: a sample every
 * METRICS_HISTORY_MS of the API requests answered so far and of the lines
 * the ingest accepted and rejected since it started, the last
 * METRICS_HISTORY of them, kept in the shared block (a page opened now
 * sees the minutes before it).  The ingest thread adds; any worker reads
 * the samples, oldest first, into out (at most max): their count.
 */
#define METRICS_HISTORY		300
#define METRICS_HISTORY_MS	2000
struct metrics_sample {
	int64_t		t_ms;		/* wall clock */
	uint64_t	requests;
	uint64_t	lines, rejected;
};
void	metrics_history_add(int64_t now_ms, uint64_t lines,
	    uint64_t rejected);
size_t	metrics_history(struct metrics_sample *out, size_t max);

/* The ingest's state as /health judges it. */
struct metrics_ingest_health {
	int		up;		/* the thread runs */
	int		paused;		/* commits fail: reads stopped */
	int64_t		tick_age_ms;	/* since its last timer tick */
	uint64_t	events_ino;	/* inode of its events socket */
	uint64_t	control_ino;	/* ... and of its control socket */
};

/*
 * The Kafka input's figures (ingest/kafka.h), published by the ingest
 * thread about once a second and read whole by any worker.
 */
#define METRICS_KAFKA_PARTS	64	/* partitions shown one by one */
struct metrics_kafka {
	int		configured;	/* a consumer runs */
	int		brokers_up;	/* reachable brokers; -1 not known yet */
	uint64_t	partitions;	/* assigned to us */
	int64_t		lag;		/* messages behind, all partitions */
	uint64_t	messages;	/* taken */
	uint64_t	accepted, rejected;	/* their lines */
	uint64_t	skipped;	/* below the position: taken before */
	uint64_t	errors;		/* reported by librdkafka */
	uint64_t	rebalances;
	uint64_t	commit_failed;	/* offset commits to Kafka */
	uint64_t	served_queued;	/* served lists handed to the producer */
	uint64_t	served_sent;	/* ... the broker has */
	uint64_t	served_failed;	/* ... not sent or not delivered */
	char		topic[2][256];	/* the lines', the served lists' ("") */
	size_t		nparts;
	struct {
		int	topic;			/* index in topic[] */
		int64_t	partition, next, hi;	/* -1: not known */
	}		part[METRICS_KAFKA_PARTS];
};
/* Serving replicas (model/replica.h): a trainer's or a replica's side. */
struct metrics_replica {
	int64_t		published;	/* trainer: version published, 0 none */
	int64_t		following;	/* replica: version served, 0 none */
	uint64_t	imports, refusals;	/* replica: since start */
	int		role;		/* 0 none, 1 trainer, 2 replica */
};
void	metrics_replica_set(const struct metrics_replica *r);
int	metrics_replica_get(struct metrics_replica *r);	/* 0, -1: no block */

void	metrics_kafka_set(const struct metrics_kafka *k);
int	metrics_kafka_get(struct metrics_kafka *k);	/* 0, -1: no block */

/* Fill h; returns 0, or -1 when there is no shared block (CLI). */
int	metrics_ingest_health(struct metrics_ingest_health *h);

/*
 * Request bodies held in memory: this worker's change by delta bytes (a
 * body admitted, a body freed, a body refused: delta 0 counts a refusal
 * when refused is set).  metrics_body_total sums every worker's.
 */
void	metrics_body(int64_t delta, int refused);
int64_t	metrics_body_total(void);

/* This worker's resident memory, sampled (call every few seconds). */
void	metrics_sample_memory(void);

/*
 * The Prometheus text format of every figure into a malloc'ed string
 * (*out, *len); database figures through s (a read snapshot is fine),
 * click_window_ms to judge which lists are old enough.  Returns 0 or -1.
 */
int	metrics_render(struct store *s, int64_t click_window_ms, char **out,
	    size_t *len);

#endif
