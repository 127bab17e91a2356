/*
 * A real single-node Apache Kafka broker for the integration tests
 * (tests/kafka/broker.sh: KRaft, jars from Maven Central, Java 17), and
 * the librdkafka producer and topics they use.  Every helper fails the
 * current Criterion test on an unexpected error.
 */
#ifndef CINEREC_HARNESS_KAFKA_H
#define CINEREC_HARNESS_KAFKA_H

#include <sys/types.h>

#include <librdkafka/rdkafka.h>

struct h_kafka {
	char	dir[256];	/* its data and log (removed by h_kafka_cleanup) */
	pid_t	pid;		/* 0 when not running */
	int	port;		/* its client listener */
	int	cport;		/* its controller */
};

/*
 * Start a broker on free ports in a new directory (again, after
 * h_kafka_kill, in the same one); without Java or the jars the test is
 * skipped with the reason, or fails when CINEREC_REQUIRE_KAFKA is set.
 */
void		 h_kafka_start(struct h_kafka *k);

/* SIGKILL the broker and wait until it is gone. */
void		 h_kafka_kill(struct h_kafka *k);

/* Kill it if running, remove its directory. */
void		 h_kafka_cleanup(struct h_kafka *k);

/* "127.0.0.1:<port>" of k, in a static buffer. */
const char	*h_kafka_brokers(const struct h_kafka *k);

/* An idempotent producer to k; partitioner: librdkafka's name, or NULL. */
rd_kafka_t	*h_kafka_producer(const struct h_kafka *k,
		    const char *partitioner);

/* Create topic with partitions (replication 1) through rk. */
void		 h_kafka_topic(rd_kafka_t *rk, const char *topic,
		    int partitions);

/* A figure of s's /metrics (the first sample of name), or -1. */
long long	 h_metric(int http_port, const char *name);

/* Wait until it is v (timeout_s at most): 1, or 0 when it never was. */
int		 h_wait_metric(int http_port, const char *name, long long v,
		    int timeout_s);

#endif
