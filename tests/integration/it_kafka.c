/*
 * The Kafka input against a real Apache Kafka 4.x broker (KRaft, one node,
 * started by tests/kafka/broker.sh from jars fetched from Maven Central):
 * a stream of watch, rate and recommendation lines (with bad lines among
 * them) goes to a 3-partition topic, keyed by user, while cinerec consumes
 * it; cinerec is SIGKILLed mid-stream and started again, then the broker
 * is SIGKILLed mid-stream and started again.  Afterwards every figure the
 * database holds (watches and their minutes, ratings, lines accepted and
 * rejected, lists and click-through) equals that of a second cinerec that
 * got the same lines once over TCP: nothing lost, nothing counted twice.
 * Skipped, with the reason, where Java or the broker's jars are missing.
 */
#include <sys/wait.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <librdkafka/rdkafka.h>
#include <sqlite3.h>

#include "harness.h"
#include "kafka.h"

#define TOPIC		"movielog1"
#define USERS		600
#define ROUNDS		5	/* per user: list, watch, replayed minutes, rate */
#define MOVIES		50

static struct h_server	ref;		/* the same lines over TCP */
static struct h_kafka	kb;		/* the broker */

/* The stream, in order: each user's lines in their time order. */
static char		**lines;
static size_t		 nlines;

static void
setup(void)
{
	h_setup();
	memset(&ref, 0, sizeof(ref));
	memset(&kb, 0, sizeof(kb));
}

static void
teardown(void)
{
	size_t	i;

	h_cleanup(&h_srv);
	h_cleanup(&ref);
	h_kafka_cleanup(&kb);
	for (i = 0; i < nlines; i++)
		free(lines[i]);
	free(lines);
	lines = NULL;
	nlines = 0;
}

TestSuite(kafka, .init = setup, .fini = teardown, .timeout = 300);

static void
add_line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
add_line(const char *fmt, ...)
{
	va_list	ap;
	char	buf[512];

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	lines = realloc(lines, (nlines + 1) * sizeof(*lines));
	cr_assert_not_null(lines);
	lines[nlines++] = strdup(buf);
}

/*
 * Round r of every user, users interleaved: a list from the service, a
 * watch of its second movie (minutes 0..4, then 2..3 again, as real
 * streams repeat them), a rating, a bad rating and a line of garbage.
 */
static void
make_stream(void)
{
	char	ts[32];
	time_t	t0 = time(NULL) - 86400;
	int	u, r, m, k;

	for (r = 0; r < ROUNDS; r++)
		for (u = 1; u <= USERS; u++) {
			time_t		t = t0 + (r * USERS + u) * 20;
			struct tm	tm;

			gmtime_r(&t, &tm);
			strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
			m = (u * 7 + r * 3) % MOVIES;
			add_line("%s,%d,recommendation request 10.0.0.1:8082, "
			    "status 200, result: kafka+%d+2020, kafka+%d+2020, "
			    "kafka+%d+2020, 12 ms", ts, u, m, (m + 1) % MOVIES,
			    (m + 2) % MOVIES);
			for (k = 0; k < 5; k++)
				add_line("%s,%d,GET /data/m/kafka+%d+2020/%d.mpg",
				    ts, u, (m + 1) % MOVIES, k);
			for (k = 2; k < 4; k++)
				add_line("%s,%d,GET /data/m/kafka+%d+2020/%d.mpg",
				    ts, u, (m + 1) % MOVIES, k);
			add_line("%s,%d,GET /rate/kafka+%d+2020=%d", ts, u,
			    (m + 2) % MOVIES, 1 + (u + r) % 5);
			add_line("%s,%d,GET /rate/kafka+%d+2020=77", ts, u, m);
			add_line("not a log line %d %d", u, r);
		}
}

/* Lines [from, to) to the topic, keyed by user; a pause every `every`. */
struct produce {
	rd_kafka_t	*rk;
	size_t		 from, to, every;
	int		 pause_us;
};

static void *
produce(void *arg)
{
	struct produce	*p = arg;
	const char	*key, *end;
	size_t		 i, keylen;

	for (i = p->from; i < p->to; i++) {
		key = strchr(lines[i], ',');
		end = key != NULL ? strchr(key + 1, ',') : NULL;
		if (end != NULL) {
			key++;
			keylen = (size_t)(end - key);
		} else {
			key = "garbage";
			keylen = 7;
		}
		while (rd_kafka_producev(p->rk, RD_KAFKA_V_TOPIC(TOPIC),
		    RD_KAFKA_V_VALUE(lines[i], strlen(lines[i])),
		    RD_KAFKA_V_KEY(key, keylen),
		    RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
		    RD_KAFKA_V_END) == RD_KAFKA_RESP_ERR__QUEUE_FULL)
			rd_kafka_poll(p->rk, 10);
		rd_kafka_poll(p->rk, 0);
		if (p->every > 0 && (i - p->from) % p->every == p->every - 1)
			usleep((useconds_t)p->pause_us);
	}
	return (NULL);
}

static void
produce_all(rd_kafka_t *rk, size_t from, size_t to)
{
	struct produce	p = { rk, from, to, 0, 0 };

	(void)produce(&p);
	cr_assert_eq(rd_kafka_flush(rk, 120000), 0, "messages not delivered");
}

static int64_t
taken(const struct h_server *s)
{
	char	db[320];

	snprintf(db, sizeof(db), "%s/cinerec.db", s->dir);
	return (h_qi(db, "SELECT coalesce(sum(next_offset), 0) FROM "
	    "kafka_offsets WHERE topic = '%s'", TOPIC));
}

/*
 * Wait until the database has taken n messages (at most 60 s): exactly n
 * when exact is set (all there is), else at least n (a point mid-stream).
 */
static void
wait_taken(const struct h_server *s, int64_t n, int exact)
{
	int	i;

	for (i = 0; i < 3000 && taken(s) < n; i++)
		usleep(20000);
	if (exact)
		cr_assert_eq(taken(s), n, "messages taken");
	else
		cr_assert_geq(taken(s), n, "messages taken");
}

static void
start_consumer(void)
{
	static char	 brokers[64];
	const char	*cfg;
	const char	*extra[] = { "--config", NULL, "--kafka-brokers", brokers,
			    "--kafka-topic", TOPIC, NULL };

	/* A name, as real clusters advertise: the resolver runs too. */
	snprintf(brokers, sizeof(brokers), "localhost:%d", kb.port);
	cfg = h_config(&h_srv, "train_at_start = 0\nbatch_ms = 50\n");
	extra[1] = cfg;
	h_start(&h_srv, extra);
}

static void
kill_consumer(void)
{
	pid_t	kids[16];
	int	n, i, left;

	n = h_children(h_srv.pid, kids, 16);
	kill(h_srv.pid, SIGKILL);
	(void)h_stop(&h_srv);
	for (i = 0, left = n; i < 100 && left > 0; i++) {
		int	j;

		for (j = 0, left = 0; j < n; j++)
			left += h_alive(kids[j]);
		if (left > 0)
			usleep(50000);
	}
	cr_assert_eq(left, 0, "workers outlived the parent");
}

/* The figures both databases must agree on, one query each. */
static const char	*figures[] = {
	"SELECT count(*) FROM watches",
	"SELECT sum(minutes) FROM watches",
	"SELECT sum(max_minute) FROM watches",
	"SELECT count(*) FROM ratings",
	"SELECT sum(rating) FROM ratings",
	"SELECT count(*) FROM users",
	"SELECT count(*) FROM movies",
	"SELECT sum(lists) FROM reco_stats",
	"SELECT sum(followed) FROM reco_stats",
	"SELECT sum(rank_sum) FROM reco_stats",
	"SELECT count(*) FROM reco_follows",
	"SELECT value FROM counters WHERE name = 'accepted_watch'",
	"SELECT value FROM counters WHERE name = 'accepted_rate'",
	"SELECT value FROM counters WHERE name = 'accepted_reco'",
	"SELECT value FROM counters WHERE name = 'rejected_bad_rating'",
	"SELECT sum(value) FROM counters WHERE name LIKE 'rejected_%'",
	"SELECT value FROM counters WHERE name = 'watches'",
	"SELECT value FROM counters WHERE name = 'recos'",
};

/*
 * The broker started (or the test skipped: no Java, no jars), the stream
 * made, the topic created, its first third (*a lines; *b is two thirds)
 * sent and taken by a cinerec that consumes the topic: the producer.
 */
static rd_kafka_t *
broker_and_stream(size_t *a, size_t *b)
{
	rd_kafka_t	*rk;

	h_kafka_start(&kb);
	make_stream();
	rk = h_kafka_producer(&kb, NULL);
	h_kafka_topic(rk, TOPIC, 3);
	*a = nlines / 3;
	*b = 2 * nlines / 3;
	produce_all(rk, 0, *a);
	start_consumer();
	wait_taken(&h_srv, (int64_t)*a, 1);
	return (rk);
}

/*
 * h_srv stopped: every figure of its database equals that of a second
 * cinerec given the same lines once over TCP, and the stream's own totals
 * are there (so the comparison is not of two zeros).
 */
static void
equals_tcp_twin(void)
{
	char	db[320], refdb[320];
	size_t	i;
	int	fd;

	h_start(&ref, (const char *const[]){ "--config", h_config(&ref,
	    "train_at_start = 0\n"), NULL });
	fd = h_connect(ref.ingest_port);
	for (i = 0; i < nlines; i++) {
		h_send(fd, lines[i], strlen(lines[i]));
		h_send(fd, "\n", 1);
	}
	(void)h_sync(fd);
	close(fd);
	cr_assert_eq(h_stop(&ref), 0);

	snprintf(db, sizeof(db), "%s/cinerec.db", h_srv.dir);
	snprintf(refdb, sizeof(refdb), "%s/cinerec.db", ref.dir);
	for (i = 0; i < sizeof(figures) / sizeof(figures[0]); i++)
		cr_expect_eq(h_qi(db, "%s", figures[i]),
		    h_qi(refdb, "%s", figures[i]), "%s: over Kafka %lld, "
		    "over TCP %lld", figures[i],
		    (long long)h_qi(db, "%s", figures[i]),
		    (long long)h_qi(refdb, "%s", figures[i]));
	cr_assert_eq(h_qi(db, "SELECT sum(minutes) FROM watches"),
	    (int64_t)USERS * ROUNDS * 7);
	cr_assert_eq(h_qi(db, "SELECT sum(value) FROM counters WHERE name "
	    "LIKE 'rejected_%%'"), (int64_t)USERS * ROUNDS * 2);
	cr_assert_gt(h_qi(db, "SELECT sum(followed) FROM reco_stats"), 0);
}

/* Run sql on the server's database from outside (a test's injection). */
static void
outside_exec(const char *sql)
{
	sqlite3	*db;
	char	 path[320], *err = NULL;

	snprintf(path, sizeof(path), "%s/cinerec.db", h_srv.dir);
	cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
	sqlite3_busy_timeout(db, 10000);
	cr_assert_eq(sqlite3_exec(db, sql, NULL, NULL, &err), SQLITE_OK, "%s",
	    err ? err : "");
	sqlite3_close(db);
}

Test(kafka, restarts_of_cinerec_and_of_the_broker_lose_and_double_nothing)
{
	struct produce	 mid;
	struct h_reply	 r;
	char		 cookie[256], csrf[128], hdr[300];
	pthread_t	 t;
	rd_kafka_t	*rk;
	size_t		 a, b;
	long long	 lag;

	rk = broker_and_stream(&a, &b);
	cr_assert(h_wait_metric(h_srv.http_port, "cinerec_kafka_up", 1, 15));
	cr_assert(h_wait_metric(h_srv.http_port, "cinerec_kafka_partitions", 3,
	    15));

	/* The second third while cinerec runs; killed half-way through. */
	mid = (struct produce){ rk, a, b, 100, 20000 };
	cr_assert_eq(pthread_create(&t, NULL, produce, &mid), 0);
	wait_taken(&h_srv, (int64_t)(a + (b - a) / 4), 0);
	kill_consumer();
	cr_log_info("cinerec killed with %lld of %zu messages taken",
	    (long long)taken(&h_srv), b);
	pthread_join(t, NULL);
	cr_assert_eq(rd_kafka_flush(rk, 120000), 0);
	cr_assert_lt(taken(&h_srv), (int64_t)b, "the kill came too late "
	    "to be mid-stream");
	start_consumer();
	wait_taken(&h_srv, (int64_t)b, 1);

	/* The last third: the broker is killed and restarted under it. */
	mid = (struct produce){ rk, b, nlines, 200, 20000 };
	cr_assert_eq(pthread_create(&t, NULL, produce, &mid), 0);
	wait_taken(&h_srv, (int64_t)(b + (nlines - b) / 4), 0);
	h_kafka_kill(&kb);
	cr_assert(h_wait_metric(h_srv.http_port, "cinerec_kafka_up", 0, 20),
	    "the broker's loss is not in /metrics");
	h_kafka_start(&kb);
	pthread_join(t, NULL);
	cr_assert_eq(rd_kafka_flush(rk, 120000), 0);
	wait_taken(&h_srv, (int64_t)nlines, 1);
	cr_assert(h_wait_metric(h_srv.http_port, "cinerec_kafka_up", 1, 20));
	cr_assert(h_wait_metric(h_srv.http_port, "cinerec_kafka_lag_messages", 0,
	    20));
	lag = h_metric(h_srv.http_port, "cinerec_kafka_messages_total");
	cr_assert_gt(lag, 0);
	/* The Ingest page's figures and /health say the same. */
	h_admin_login(&h_srv, cookie, sizeof(cookie), csrf, sizeof(csrf));
	snprintf(hdr, sizeof(hdr), "Cookie: %s\r\n", cookie);
	h_http(h_srv.admin_port, "GET", "/api/ingest", hdr, NULL, 0, &r);
	cr_assert_eq(r.status, 200, "%s", r.body);
	cr_assert(strstr(r.body, "\"topic\":\"" TOPIC "\"") != NULL, "%s",
	    r.body);
	cr_assert_eq(h_json_int(r.body, "partitions"), 3, "%s", r.body);
	cr_assert_eq(h_json_int(r.body, "lag"), 0, "%s", r.body);
	h_http(h_srv.http_port, "GET", "/health", NULL, NULL, 0, &r);
	cr_assert(strstr(r.body, "\"kafka\":{\"ok\":true") != NULL, "%s",
	    r.body);
	/* A stop with the broker gone still ends, and cleanly. */
	h_kafka_kill(&kb);
	cr_assert_eq(h_stop(&h_srv), 0);
	rd_kafka_destroy(rk);

	equals_tcp_twin();
}

/*
 * Commits fail for a while (the positions' table refuses writes, as a full
 * disk would): the consumer takes nothing into the database, its
 * partitions are paused, /health says commits fail; once they work again
 * everything comes in, once.
 */
Test(kafka, failing_commits_pause_the_consumer_and_lose_nothing)
{
	struct h_reply	 r;
	rd_kafka_t	*rk;
	size_t		 a, b;
	int		 i;

	rk = broker_and_stream(&a, &b);
	outside_exec("CREATE TABLE h_fail_flag (x); "
	    "INSERT INTO h_fail_flag VALUES (1); "
	    "CREATE TRIGGER h_fail_ins BEFORE INSERT ON kafka_offsets "
	    "WHEN EXISTS (SELECT 1 FROM h_fail_flag) "
	    "BEGIN SELECT RAISE(ABORT, 'injected'); END; "
	    "CREATE TRIGGER h_fail_upd BEFORE UPDATE ON kafka_offsets "
	    "WHEN EXISTS (SELECT 1 FROM h_fail_flag) "
	    "BEGIN SELECT RAISE(ABORT, 'injected'); END;");
	produce_all(rk, a, b);
	for (i = 0; i < 200; i++) {
		h_http(h_srv.http_port, "GET", "/health", NULL, NULL, 0, &r);
		if (strstr(r.body, "commits fail") != NULL)
			break;
		usleep(50000);
	}
	cr_assert(strstr(r.body, "commits fail") != NULL, "%s", r.body);
	usleep(1000000);
	cr_assert_eq(taken(&h_srv), (int64_t)a, "nothing committed meanwhile");

	outside_exec("DELETE FROM h_fail_flag");
	wait_taken(&h_srv, (int64_t)b, 1);
	produce_all(rk, b, nlines);
	wait_taken(&h_srv, (int64_t)nlines, 1);
	cr_assert(h_wait_metric(h_srv.http_port, "cinerec_kafka_lag_messages", 0,
	    20));
	cr_assert_eq(h_stop(&h_srv), 0);
	rd_kafka_destroy(rk);
	equals_tcp_twin();
}

/*
 * Messages that look like the ingest's own verbs (SYNC, AUTH, STATS, the
 * workers' SERVED and TRAIN) are log lines like any other on the topic:
 * rejected and counted, never obeyed.
 */
Test(kafka, verbs_on_the_topic_are_data)
{
	static const char	*verbs[] = { "SYNC", "AUTH secret", "STATS",
	    "SERVED 1796000000000 7 1 - 10 1 kafka+1+2020", "TRAIN" };
	struct produce		 p;
	rd_kafka_t		*rk;
	size_t			 a, b, i, n0, bad;
	char			 db[320];

	rk = broker_and_stream(&a, &b);
	n0 = nlines;
	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		add_line("%s", verbs[i]);
	p = (struct produce){ rk, n0, nlines, 0, 0 };
	(void)produce(&p);
	cr_assert_eq(rd_kafka_flush(rk, 60000), 0);
	wait_taken(&h_srv, (int64_t)(a + nlines - n0), 1);
	cr_assert_eq(h_stop(&h_srv), 0);
	rd_kafka_destroy(rk);
	snprintf(db, sizeof(db), "%s/cinerec.db", h_srv.dir);
	/* The first third's bad lines, and the five. */
	for (i = 0, bad = 0; i < a; i++)
		bad += strstr(lines[i], "=77") != NULL ||
		    strncmp(lines[i], "not a log line", 14) == 0;
	cr_assert_gt(bad, 0);
	cr_assert_eq(h_qi(db, "SELECT sum(value) FROM counters WHERE name "
	    "LIKE 'rejected_%%'"), (int64_t)(bad + nlines - n0));
	cr_assert_eq(h_qi(db, "SELECT count(*) FROM training_runs"), 0,
	    "TRAIN on the topic started a training");
	cr_assert_eq(h_qi(db, "SELECT coalesce(sum(lists), 0) FROM reco_stats "
	    "WHERE source = 'served'"), 0, "SERVED on the topic was logged");
}

/* A setting that could reach librdkafka's configuration is refused. */
Test(kafka, a_bad_broker_or_topic_setting_is_refused_at_start)
{
	char		 out[4096];
	const char	*bad[][2] = {
		{ "127.0.0.1:9092\nsasl.mechanism=PLAIN", "movielog1" },
		{ "127.0.0.1:9092", "movie log" },
		{ "127.0.0.1:9092", "" },
	};
	size_t		 i;
	int		 rc;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char	*argv[] = { h_bin(), "serve", "--kafka-brokers",
				    bad[i][0], "--kafka-topic", bad[i][1], NULL };

		rc = h_run_timeout(argv, 10, out, sizeof(out));
		cr_expect_eq(rc, 2, "case %zu: exit %d: %s", i, rc, out);
		cr_expect(strstr(out, "kafka_") != NULL, "case %zu: %s", i,
		    out);
	}
	/*
	 * A replica's settings: each refused with its name (checked before
	 * --print-config prints: a setting let through serves nothing).
	 */
	{
		const char	*more[][3] = {
			{ "--kafka-partitions", "0,0", "kafka_partitions" },
			{ "--kafka-partitions", "1-", "kafka_partitions" },
			{ "--kafka-served-topic", "served lists",
			    "kafka_served_topic" },
			{ "--publish-dir", "/tmp/x", "follow_dir and "
			    "publish_dir" },
			{ "--kafka-group", "cinerec", "not as a member" },
		};

		for (i = 0; i < sizeof(more) / sizeof(more[0]); i++) {
			const char	*argv[] = { h_bin(), "serve",
					    "--kafka-brokers", "127.0.0.1:9092",
					    "--kafka-topic", "movielog1",
					    "--follow-dir", "/tmp/y", more[i][0],
					    more[i][1], "--print-config", NULL };

			rc = h_run_timeout(argv, 10, out, sizeof(out));
			cr_expect_eq(rc, 2, "%s %s: exit %d: %s", more[i][0],
			    more[i][1], rc, out);
			cr_expect(strstr(out, more[i][2]) != NULL, "%s", out);
		}
	}
	/* Without brokers, a replica's Kafka settings mean nothing: said. */
	{
		const char	*argv[] = { h_bin(), "serve", "--kafka-partitions",
				    "1", "--print-config", NULL };

		rc = h_run_timeout(argv, 10, out, sizeof(out));
		cr_expect_eq(rc, 2, "exit %d: %s", rc, out);
		cr_expect(strstr(out, "need kafka_brokers") != NULL, "%s", out);
	}
}
