/*
 * Load a log file into a Kafka topic for the consumer benchmark: one
 * message a line, keyed by its user id (the second field), as a stream's
 * producer partitions it; waits until every message is acknowledged.
 * Usage: bench_kafka_produce BROKERS TOPIC PARTITIONS FILE
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <librdkafka/rdkafka.h>

static void
set(rd_kafka_conf_t *c, const char *k, const char *v)
{
	char	err[256];

	if (rd_kafka_conf_set(c, k, v, err, sizeof(err)) != RD_KAFKA_CONF_OK) {
		fprintf(stderr, "%s: %s\n", k, err);
		exit(1);
	}
}

static void
create(rd_kafka_t *rk, const char *topic, int parts)
{
	rd_kafka_NewTopic_t	*nt;
	rd_kafka_queue_t	*q = rd_kafka_queue_new(rk);
	rd_kafka_event_t	*ev;
	char			 err[256];

	if ((nt = rd_kafka_NewTopic_new(topic, parts, 1, err,
	    sizeof(err))) == NULL) {
		fprintf(stderr, "%s\n", err);
		exit(1);
	}
	rd_kafka_CreateTopics(rk, &nt, 1, NULL, q);
	if ((ev = rd_kafka_queue_poll(q, 60000)) == NULL ||
	    rd_kafka_event_error(ev) != 0) {
		fprintf(stderr, "CreateTopics failed\n");
		exit(1);
	}
	rd_kafka_event_destroy(ev);
	rd_kafka_NewTopic_destroy(nt);
	rd_kafka_queue_destroy(q);
}

int
main(int argc, char **argv)
{
	rd_kafka_conf_t	*c;
	rd_kafka_t	*rk;
	FILE		*fp;
	char		 line[9000], err[256], *k, *e;
	size_t		 len;
	long		 n = 0;

	if (argc != 5 || (fp = fopen(argv[4], "r")) == NULL) {
		fprintf(stderr, "usage: bench_kafka_produce BROKERS TOPIC "
		    "PARTITIONS FILE\n");
		return (2);
	}
	c = rd_kafka_conf_new();
	set(c, "bootstrap.servers", argv[1]);
	set(c, "linger.ms", "20");
	set(c, "batch.num.messages", "10000");
	set(c, "queue.buffering.max.messages", "1000000");
	if ((rk = rd_kafka_new(RD_KAFKA_PRODUCER, c, err, sizeof(err))) == NULL) {
		fprintf(stderr, "%s\n", err);
		return (1);
	}
	create(rk, argv[2], atoi(argv[3]));
	while (fgets(line, sizeof(line), fp) != NULL) {
		len = strlen(line);
		if (len > 0 && line[len - 1] == '\n')
			line[--len] = '\0';
		k = strchr(line, ',');
		e = k != NULL ? strchr(k + 1, ',') : NULL;
		if (e == NULL)
			k = line, e = line;
		else
			k++;
		while (rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(argv[2]),
		    RD_KAFKA_V_VALUE(line, len), RD_KAFKA_V_KEY(k,
		    (size_t)(e - k)), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
		    RD_KAFKA_V_END) == RD_KAFKA_RESP_ERR__QUEUE_FULL)
			rd_kafka_poll(rk, 10);
		rd_kafka_poll(rk, 0);
		n++;
	}
	fclose(fp);
	if (rd_kafka_flush(rk, 300000) != 0) {
		fprintf(stderr, "not every message was acknowledged\n");
		return (1);
	}
	rd_kafka_destroy(rk);
	printf("%ld\n", n);
	return (0);
}
