/*
 * The integration tests' Kafka broker and producer (see kafka.h).
 */
#include <sys/wait.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "harness.h"
#include "kafka.h"

static const char *
broker_sh(void)
{
	static char	path[512];
	const char	*src = getenv("CINEREC_SRC");

	snprintf(path, sizeof(path), "%s/tests/kafka/broker.sh",
	    src != NULL ? src : ".");
	return (path);
}

void
h_kafka_start(struct h_kafka *k)
{
	char	cmd[1024], out[64] = "";
	FILE	*fp;
	int	status;

	if (k->dir[0] == '\0') {
		h_tmpdir(k->dir, sizeof(k->dir));
		k->port = h_free_port();
		do
			k->cport = h_free_port();
		while (k->cport == k->port);
	}
	snprintf(cmd, sizeof(cmd), "sh %s start %s %d %d", broker_sh(), k->dir,
	    k->port, k->cport);
	if ((fp = popen(cmd, "r")) == NULL)
		cr_assert_fail("popen: %s", cmd);
	if (fgets(out, sizeof(out), fp) == NULL)
		out[0] = '\0';
	status = pclose(fp);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 77) {
		if (getenv("CINEREC_REQUIRE_KAFKA") != NULL)
			cr_assert_fail("CINEREC_REQUIRE_KAFKA is set and "
			    "there is no broker (tests/kafka/broker.sh fetch)");
		cr_skip_test("Kafka tests skipped: no Java, or the broker's "
		    "jars are not fetched (tests/kafka/broker.sh fetch)");
	}
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "the broker did not start (see %s/broker.log)", k->dir);
	k->pid = (pid_t)strtol(out, NULL, 10);
	cr_assert_gt(k->pid, 0);
}

void
h_kafka_kill(struct h_kafka *k)
{
	/* Not our child (the script's): poll until it is gone. */
	kill(k->pid, SIGKILL);
	while (kill(k->pid, 0) == 0)
		usleep(20000);
	k->pid = 0;
}

void
h_kafka_cleanup(struct h_kafka *k)
{
	if (k->pid > 0)
		h_kafka_kill(k);
	if (k->dir[0] != '\0')
		h_rmrf(k->dir);
	memset(k, 0, sizeof(*k));
}

const char *
h_kafka_brokers(const struct h_kafka *k)
{
	static char	brokers[64];

	snprintf(brokers, sizeof(brokers), "127.0.0.1:%d", k->port);
	return (brokers);
}

static void
set(rd_kafka_conf_t *c, const char *key, const char *value)
{
	char	err[256];

	cr_assert(rd_kafka_conf_set(c, key, value, err, sizeof(err)) ==
	    RD_KAFKA_CONF_OK, "%s: %s", key, err);
}

rd_kafka_t *
h_kafka_producer(const struct h_kafka *k, const char *partitioner)
{
	rd_kafka_conf_t	*c = rd_kafka_conf_new();
	rd_kafka_t	*rk;
	char		 err[256];

	set(c, "bootstrap.servers", h_kafka_brokers(k));
	/* Retries across the broker's restart write each message once. */
	set(c, "enable.idempotence", "true");
	/* Its complaints while the broker is down are expected. */
	set(c, "log_level", "2");
	set(c, "linger.ms", "5");
	if (partitioner != NULL)
		set(c, "partitioner", partitioner);
	rk = rd_kafka_new(RD_KAFKA_PRODUCER, c, err, sizeof(err));
	cr_assert_not_null(rk, "%s", err);
	return (rk);
}

void
h_kafka_topic(rd_kafka_t *rk, const char *topic, int partitions)
{
	rd_kafka_NewTopic_t	*nt;
	rd_kafka_queue_t	*q = rd_kafka_queue_new(rk);
	rd_kafka_event_t	*ev;
	const rd_kafka_topic_result_t **res;
	size_t			 n;
	char			 err[256];

	nt = rd_kafka_NewTopic_new(topic, partitions, 1, err, sizeof(err));
	cr_assert_not_null(nt, "%s", err);
	rd_kafka_CreateTopics(rk, &nt, 1, NULL, q);
	ev = rd_kafka_queue_poll(q, 30000);
	cr_assert_not_null(ev, "no answer to CreateTopics");
	cr_assert_eq(rd_kafka_event_error(ev), 0, "%s",
	    rd_kafka_event_error_string(ev));
	res = rd_kafka_CreateTopics_result_topics(
	    rd_kafka_event_CreateTopics_result(ev), &n);
	cr_assert_eq(n, 1);
	cr_assert_eq(rd_kafka_topic_result_error(res[0]), 0, "%s",
	    rd_kafka_topic_result_error_string(res[0]));
	rd_kafka_event_destroy(ev);
	rd_kafka_NewTopic_destroy(nt);
	rd_kafka_queue_destroy(q);
}

long long
h_metric(int http_port, const char *name)
{
	static struct h_reply	r;
	char			want[128];
	const char		*p;

	if (h_http_try(http_port, "GET", "/metrics", NULL, NULL, 0, &r) == -1)
		return (-1);
	snprintf(want, sizeof(want), "\n%s ", name);
	if ((p = strstr(r.body, want)) == NULL)
		return (-1);
	return (strtoll(p + strlen(want), NULL, 10));
}

int
h_wait_metric(int http_port, const char *name, long long v, int timeout_s)
{
	int	i;

	for (i = 0; i < timeout_s * 10; i++) {
		if (h_metric(http_port, name) == v)
			return (1);
		usleep(100000);
	}
	return (0);
}
