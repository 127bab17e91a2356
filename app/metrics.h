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

#include "store.h"

#define METRICS_WORKERS	64	/* worker slots (Kore ids 1..63) */
#define METRICS_BUCKETS	12	/* latency histogram buckets, +Inf apart */

/* Routes counted by name; everything else is "other". */
enum metrics_route {
	METRICS_RECOMMEND, METRICS_HEALTH, METRICS_EVENTS, METRICS_PING,
	METRICS_METRICS, METRICS_WHY, METRICS_CTR, METRICS_ADMIN,
	METRICS_OTHER,
	METRICS_NROUTES
};

/* Set once per process: where the shared block is, which slot is ours. */
int	metrics_init(void);		/* parent, before fork: 0 or -1 */
void	metrics_bind(int worker_id);	/* each worker, at start */

/* One answered request: its route, HTTP status and duration. */
void	metrics_request(enum metrics_route route, int status, uint64_t us);

/* One /recommend answer: with a model's ids or not; logged or dropped. */
void	metrics_recommend(int personal, int dropped);

/* Ingest thread: one commit (its duration, ok or not), and the gauges. */
void	metrics_commit(uint64_t us, int ok);
void	metrics_ingest_gauges(uint64_t pending, uint64_t connections);

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
