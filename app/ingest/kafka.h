/*
 * The Kafka input: a consumer of one topic in a consumer group, run on the
 * ingest's loop (librdkafka's queue wakes the loop through a pipe), whose
 * messages are log lines (one, or several separated by '\n') handed to the
 * single writer like a TCP sender's.
 *
 * Effectively once: the position reached in each partition is written in
 * the same SQLite transaction as the lines it covers (writer_offset), and
 * a partition assigned to us starts where the database says, so a restart,
 * a rebalance or a redelivery never counts a line twice nor loses one;
 * messages below that position are skipped (counted).  The offsets are
 * committed to Kafka only after the database commit, for the broker's lag
 * tools (and as the start of a partition the database never saw).  While
 * commits fail the partitions are paused: nothing more is fetched, what
 * was (64 MiB at most) waits in the batch, and rebalances are still
 * answered.  A broker lost is retried by librdkafka with its backoff;
 * nothing consumed is lost meanwhile.
 *
 * Serving replicas (README, "Serving replicas"): a replica takes static
 * partitions of the topic (its users' events; no group) and sends the
 * lists it serves to a second topic in the stream's format; the trainer
 * consumes both topics in its group, so it counts the click-through of
 * every node.
 */
#ifndef CINEREC_KAFKA_H
#define CINEREC_KAFKA_H

#include <stddef.h>
#include <stdint.h>

struct ingest;

struct kafka_opts {
	const char	*brokers;	/* "host:port,..." */
	const char	*topic;
	const char	*group;		/* consumer group id */
	const char	*data_dir;	/* names this member of the group */
	const char	*partitions;	/* "0,2-3": these partitions of topic,
					   no group; NULL or "": the group's */
	const char	*served_topic;	/* served lists (NULL, "": none) */
	int		 replica;	/* 1: our served lists go to it; 0:
					   read from it like the lines */
	const char	*node;		/* host:port the served lists name */
};

struct kafka;

/* Check a setting's text: NULL if usable, else why not. */
const char	*kafka_check_brokers(const char *brokers);
const char	*kafka_check_name(const char *name);	/* topic, group */
const char	*kafka_check_partitions(const char *list);

/*
 * "0,2,5-7": the partitions into out (max), each once.  Returns how many,
 * or -1 (bad text, too many, a partition twice).  With out NULL they are
 * only counted (repeats not seen).
 */
#define KAFKA_PARTITION_MAX	65535
#define KAFKA_ASSIGN_MAX	1024
int		 kafka_parse_partitions(const char *list, int32_t *out,
		    size_t max);

/*
 * Subscribe on ing's loop (the ingest thread, before it runs).  Returns
 * the consumer, or NULL with a logged reason.
 */
struct kafka	*kafka_start(struct ingest *ing, const struct kafka_opts *o);

/*
 * On the loop's timer: take what the queue holds (a bounded turn; the loop
 * is woken for more), serve librdkafka's callbacks, publish the figures.
 * Nothing is taken at a stop; while commits fail, only what was fetched.
 */
void		 kafka_poll(struct kafka *k);

/* After a successful commit: commit the positions to Kafka (async). */
void		 kafka_committed(struct kafka *k);

/*
 * At a stop, after the last commit: commit the positions to Kafka, leave
 * the group, close.  Frees k.
 */
void		 kafka_stop(struct kafka *k);

#endif
