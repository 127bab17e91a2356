/*
 * Serving replicas on loopback, against a real Kafka broker: a trainer
 * node consumes the whole topic (2 partitions, keyed by user), trains and
 * publishes its model to a directory; a replica node consumes only
 * partition 1 (its users) and serves the published model.  For the
 * replica's users, after a fresh event each, both nodes answer the same
 * list (the same model, mapped to the replica's own movie ids, folded in
 * with the same history), and the fresh movie is gone from it at once;
 * the lists the replica serves reach the trainer through the served topic
 * and their click-through is counted there.  A published version whose
 * model file is corrupt is refused by the replica, which keeps serving;
 * the trainer's next version is taken, and a rollback on the trainer is
 * followed from the replica's own copy.  Skipped, with the reason, where
 * Java or the broker's jars are missing.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <librdkafka/rdkafka.h>
#include <xxhash.h>

#include "harness.h"
#include "kafka.h"

#define TOPIC		"movielog7"
#define SERVED		"movielog7-served"
#define USERS		240
#define MOVIES		40
#define FRESH		12	/* replica users given a fresh event */

static struct h_kafka	kb;
static struct h_server	trainer, replica;
static char		pubdir[256];
static char		trainer_db[320], replica_db[320];

static void
setup(void)
{
	h_setup();
	memset(&kb, 0, sizeof(kb));
	memset(&trainer, 0, sizeof(trainer));
	memset(&replica, 0, sizeof(replica));
	pubdir[0] = '\0';
}

static void
teardown(void)
{
	h_cleanup(&trainer);
	h_cleanup(&replica);
	h_kafka_cleanup(&kb);
	if (pubdir[0] != '\0')
		h_rmrf(pubdir);
}

TestSuite(replica, .init = setup, .fini = teardown, .timeout = 300);

/* The partition of user's events, as Kafka's Java clients key them. */
static int
partition_of(long long user)
{
	char	key[24];
	int	n = snprintf(key, sizeof(key), "%lld", user);

	return ((int)rd_kafka_msg_partitioner_murmur2(NULL, key, (size_t)n, 2,
	    NULL, NULL));
}

static void
send_line(rd_kafka_t *rk, const char *line)
{
	const char	*key = strchr(line, ',') + 1;
	size_t		 keylen = strcspn(key, ",");

	while (rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(TOPIC),
	    RD_KAFKA_V_VALUE((void *)(uintptr_t)line, strlen(line)),
	    RD_KAFKA_V_KEY(key, keylen),
	    RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END) ==
	    RD_KAFKA_RESP_ERR__QUEUE_FULL)
		rd_kafka_poll(rk, 10);
	rd_kafka_poll(rk, 0);
}

/* Now, as the stream writes a time. */
static void
now_text(char *buf, size_t sz, int plus_ms)
{
	struct timespec	ts;
	struct tm	tm;
	time_t		s;
	long long	ms;

	clock_gettime(CLOCK_REALTIME, &ts);
	ms = (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 + plus_ms;
	s = (time_t)(ms / 1000);
	gmtime_r(&s, &tm);
	strftime(buf, sz, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + strlen(buf), sz - strlen(buf), ".%03lld", ms % 1000);
}

/*
 * The stream: each user watches 7 movies of one of 4 taste groups (a
 * pattern ALS learns), a few rate one; an odd spelling among the movies
 * (the replica must hand it back as the stream spells it).
 */
static size_t
send_stream(rd_kafka_t *rk)
{
	char	line[256];
	size_t	n = 0;
	int	u, j, m;

	for (u = 1; u <= USERS; u++)
		for (j = 0; j < 7; j++) {
			m = (u % 4) * 10 + (u * 7 + j * 3) % 10;
			snprintf(line, sizeof(line), "2026-01-%02dT%02d:%02d:00,"
			    "%d,GET /data/m/%s+%d+2001/%d.mpg", 1 + j,
			    u % 24, j, u, m == 5 ? "l%C3%A9on" : "movie", m, j);
			send_line(rk, line);
			n++;
			if (j == 6 && u % 3 == 0) {
				snprintf(line, sizeof(line), "2026-01-09T00:00:"
				    "00,%d,GET /rate/movie+%d+2001=5", u, m);
				send_line(rk, line);
				n++;
			}
		}
	cr_assert_eq(rd_kafka_flush(rk, 60000), 0, "messages not delivered");
	return (n);
}

/* The messages of topic a database has taken, all partitions. */
static long long
taken(const char *db, const char *topic, int partition)
{
	return (h_qi(db, partition < 0 ? "SELECT coalesce(sum(next_offset), 0) "
	    "FROM kafka_offsets WHERE topic = '%s'" : "SELECT coalesce(sum("
	    "next_offset), 0) FROM kafka_offsets WHERE topic = '%s' AND "
	    "partition = %d", topic, partition));
}

static void
wait_taken(const char *db, const char *topic, int partition, long long n)
{
	int	i;

	for (i = 0; i < 600 && taken(db, topic, partition) < n; i++)
		usleep(100000);
	cr_assert_eq(taken(db, topic, partition), n, "%s: messages of %s taken",
	    db, topic);
}

/* Wait until the query on db gives at least want (timeout_s at most). */
static long long
wait_sql(const char *db, long long want, int timeout_s, const char *sql)
{
	long long	v = 0;
	int		i;

	for (i = 0; i < timeout_s * 10; i++) {
		if ((v = h_qi(db, "%s", sql)) >= want)
			return (v);
		usleep(100000);
	}
	return (v);
}

/* The offset group "cinerec" committed to Kafka for partition, or -1. */
static long long
group_committed(int partition)
{
	rd_kafka_conf_t			*c = rd_kafka_conf_new();
	rd_kafka_topic_partition_list_t	*l;
	rd_kafka_t			*rk;
	char				 err[256];
	long long			 off = -1;

	cr_assert_eq(rd_kafka_conf_set(c, "bootstrap.servers",
	    h_kafka_brokers(&kb), err, sizeof(err)), RD_KAFKA_CONF_OK);
	cr_assert_eq(rd_kafka_conf_set(c, "group.id", "cinerec", err,
	    sizeof(err)), RD_KAFKA_CONF_OK);
	cr_assert_not_null(rk = rd_kafka_new(RD_KAFKA_CONSUMER, c, err,
	    sizeof(err)), "%s", err);
	l = rd_kafka_topic_partition_list_new(1);
	rd_kafka_topic_partition_list_add(l, TOPIC, partition);
	if (rd_kafka_committed(rk, l, 10000) == RD_KAFKA_RESP_ERR_NO_ERROR)
		off = l->elems[0].offset;
	rd_kafka_topic_partition_list_destroy(l);
	rd_kafka_destroy(rk);
	return (off);
}

/* Start s with the settings text (then its database's path into db). */
static void
start_node(struct h_server *s, const char *text, char *db, size_t dbsz)
{
	const char	*args[] = { "--config", NULL, NULL };

	args[1] = h_config(s, text);
	h_start(s, args);
	snprintf(db, dbsz, "%s/cinerec.db", s->dir);
}

/*
 * The trainer (group "cinerec", the default) until it has taken the sent
 * lines and told Kafka so; then the replica, in the same group's name: it
 * must start its partition from the beginning all the same.
 */
static void
start_nodes(size_t sent)
{
	char	cfg[2048];
	int	i;

	h_tmpdir(pubdir, sizeof(pubdir));
	snprintf(cfg, sizeof(cfg), "train_at_start = 0\nbatch_ms = 50\n"
	    "kafka_brokers = %s\nkafka_topic = %s\nkafka_served_topic = %s\n"
	    "publish_dir = %s\n", h_kafka_brokers(&kb), TOPIC, SERVED, pubdir);
	start_node(&trainer, cfg, trainer_db, sizeof(trainer_db));
	wait_taken(trainer_db, TOPIC, -1, (long long)sent);
	for (i = 0; i < 100 && group_committed(1) != taken(trainer_db, TOPIC,
	    1); i++)
		usleep(100000);
	cr_assert_eq(group_committed(1), taken(trainer_db, TOPIC, 1),
	    "the trainer's group did not commit its position");
	snprintf(cfg, sizeof(cfg), "batch_ms = 50\nkafka_brokers = %s\n"
	    "kafka_topic = %s\nkafka_partitions = 1\nkafka_served_topic = %s\n"
	    "follow_dir = %s\n", h_kafka_brokers(&kb), TOPIC, SERVED, pubdir);
	start_node(&replica, cfg, replica_db, sizeof(replica_db));
}

/*
 * The broker, the topics, the stream (*sent lines) on them, the two nodes
 * started (the trainer holding the lot): the producer.
 */
static rd_kafka_t *
two_nodes(size_t *sent)
{
	rd_kafka_t	*rk;

	h_kafka_start(&kb);
	rk = h_kafka_producer(&kb, "murmur2_random");
	h_kafka_topic(rk, TOPIC, 2);
	h_kafka_topic(rk, SERVED, 1);
	*sent = send_stream(rk);
	start_nodes(*sent);
	return (rk);
}

static void
get_list(const struct h_server *s, long long user, char *out, size_t sz)
{
	static struct h_reply	r;
	char			path[64];

	snprintf(path, sizeof(path), "/recommend/%lld", user);
	h_http(s->http_port, "GET", path, NULL, NULL, 0, &r);
	cr_assert_eq(r.status, 200, "%s: %d %s", path, r.status, r.body);
	r.body[strcspn(r.body, "\r\n")] = '\0';
	cr_assert_lt(strlen(r.body), sz, "%s: a long list", path);
	memcpy(out, r.body, strlen(r.body) + 1);
}

/*
 * A list that names movies: the workers take up the catalogue's new
 * movies within a second of their commit (their ranking's refresh).
 */
static void
get_some_list(const struct h_server *s, long long user, char *out, size_t sz)
{
	int	i;

	for (i = 0; i < 50; i++) {
		get_list(s, user, out, sz);
		if (out[0] != '\0')
			return;
		usleep(100000);
	}
	cr_assert_fail("user %lld: an empty list", user);
}

/* The model's share of user's list on s ("personal"). */
static long long
personal(const struct h_server *s, long long user)
{
	static struct h_reply	r;

	h_reco_json(s->http_port, user, &r);
	return (h_json_int(r.body, "personal"));
}

/* The length of the first n ids of a list, with their commas. */
static size_t
prefix_len(const char *list, int n)
{
	const char	*p = list;

	while (n-- > 0 && (p = strchr(p, ',')) != NULL)
		p++;
	return (p != NULL ? (size_t)(p - list) : strlen(list));
}

/* The first id of a list into out. */
static void
first_id(const char *list, char *out, size_t sz)
{
	snprintf(out, sz, "%.*s", (int)strcspn(list, ","), list);
}

static int
has_id(const char *list, const char *id)
{
	const char	*p = list;
	size_t		 n = strlen(id);

	while ((p = strstr(p, id)) != NULL) {
		if ((p == list || p[-1] == ',') && (p[n] == ',' ||
		    p[n] == '\0'))
			return (1);
		p += n;
	}
	return (0);
}

static void
cli_train(void)
{
	const char	*argv[] = { h_bin(), "train", "--data-dir", trainer.dir,
			    "--force", NULL };
	static char	 out[1 << 16];

	cr_assert_eq(h_run(argv, NULL, out, sizeof(out)), 0, "%s", out);
}

Test(replica, two_nodes_serve_one_model_fold_in_their_users_and_count_clicks)
{
	rd_kafka_t	*rk;
	char		 a[4096], b[4096], before[4096], fresh[FRESH][256];
	char		 line[512], when[40], first[256];
	long long	 users[FRESH], p1, n, np;
	size_t		 sent;
	int		 i, u, k;

	rk = two_nodes(&sent);
	/* The trainer takes everything, the replica its partition only. */
	p1 = taken(trainer_db, TOPIC, 1);
	cr_assert(p1 > 0 && p1 < (long long)sent, "partition 1: %lld of %zu",
	    p1, sent);
	wait_taken(replica_db, TOPIC, 1, p1);
	cr_assert_eq(taken(replica_db, TOPIC, 0), 0, "the replica took "
	    "partition 0");
	for (u = 1, n = 0; u <= USERS; u++)
		n += partition_of(u) == 1;
	cr_assert_eq(h_qi(replica_db, "SELECT count(*) FROM users"), n,
	    "the replica holds its partition's users, no others");

	/* A model, published; the replica serves it. */
	cli_train();
	h_wait_version(trainer.http_port, 1);
	cr_assert(h_wait_metric(trainer.http_port,
	    "cinerec_replica_published_version", 1, 20), "not published");
	h_wait_version(replica.http_port, 1);
	cr_assert_eq(h_metric(replica.http_port, "cinerec_replica_version"), 1);
	{
		static struct h_reply	r;

		h_http(replica.http_port, "GET", "/health", NULL, NULL, 0, &r);
		cr_assert(strstr(r.body, "\"replica\":{\"role\":\"replica\","
		    "\"version\":1,") != NULL && strstr(r.body,
		    "\"partitions\":\"1\"}") != NULL, "%s", r.body);
		h_http(trainer.http_port, "GET", "/health", NULL, NULL, 0, &r);
		cr_assert(strstr(r.body, "\"replica\":{\"role\":\"trainer\","
		    "\"published\":1}") != NULL, "%s", r.body);
	}
	cr_assert_eq(h_qi(replica_db, "SELECT count(*) FROM lifecycle_log "
	    "WHERE action = 'follow' AND model_id = 1"), 1);
	cr_assert_eq(h_qi(replica_db, "SELECT count(*) FROM models WHERE "
	    "current = 1 AND id = 1 AND algo = (SELECT 'als')"), 1,
	    "the trainer's provenance");
	/* Another node's user: the training's list, not popularity alone. */
	for (u = 1; partition_of(u) != 0; u++)
		;
	get_some_list(&replica, u, b, sizeof(b));
	get_list(&trainer, u, a, sizeof(a));
	np = personal(&replica, u);
	cr_assert_gt(np, 0, "user %d (partition 0): popularity only: %s", u,
	    b);
	cr_assert_eq(personal(&trainer, u), np);
	cr_assert(strncmp(a, b, prefix_len(a, (int)np)) == 0, "user %d: "
	    "replica %s, trainer %s", u, b, a);

	/*
	 * Each of FRESH replica users watches the movie first in the
	 * replica's list: both nodes fold it in at once, and answer alike.
	 */
	for (u = 1, k = 0; u <= USERS && k < FRESH; u++) {
		if (partition_of(u) != 1)
			continue;
		get_some_list(&replica, u, before, sizeof(before));
		first_id(before, fresh[k], sizeof(fresh[k]));
		now_text(when, sizeof(when), 0);
		snprintf(line, sizeof(line), "%s,%d,GET /data/m/%s/0.mpg", when,
		    u, fresh[k]);
		send_line(rk, line);
		users[k++] = u;
	}
	cr_assert_eq(k, FRESH);
	cr_assert_eq(rd_kafka_flush(rk, 30000), 0);
	wait_taken(trainer_db, TOPIC, -1, (long long)sent + FRESH);
	wait_taken(replica_db, TOPIC, 1, p1 + FRESH);
	for (i = 0; i < FRESH; i++) {
		get_list(&replica, users[i], b, sizeof(b));
		get_list(&trainer, users[i], a, sizeof(a));
		/*
		 * The model's part alike; the rest comes from each node's
		 * popularity (the replica's: its partition's users, a sample).
		 */
		np = personal(&replica, users[i]);
		cr_expect_gt(np, 0, "user %lld: no model part", users[i]);
		cr_expect_eq(personal(&trainer, users[i]), np);
		cr_expect_eq(prefix_len(a, (int)np), prefix_len(b, (int)np));
		cr_expect(strncmp(a, b, prefix_len(a, (int)np)) == 0, "user "
		    "%lld: the nodes differ in the first %lld:\nreplica %s\n"
		    "trainer %s", users[i], np, b, a);
		cr_expect(!has_id(b, fresh[i]), "user %lld: %s, just watched, "
		    "still listed: %s", users[i], fresh[i], b);
	}
	/* The odd spelling comes back as the stream spelled it. */
	cr_assert_eq(h_qi(replica_db, "SELECT count(*) FROM movies WHERE slug "
	    "= 'l%%C3%%A9on+5+2001'"), 1);

	/* The replica's lists reach the trainer; a click there counts. */
	n = h_qi(trainer_db, "SELECT coalesce(sum(lists), 0) FROM reco_stats "
	    "WHERE source = 'external'");
	for (i = 0; i < FRESH; i++) {
		get_list(&replica, users[i], b, sizeof(b));
		first_id(b, first, sizeof(first));
		/* Its first movie, started a moment after. */
		now_text(when, sizeof(when), 500);
		snprintf(line, sizeof(line), "%s,%lld,GET /data/m/%s/0.mpg",
		    when, users[i], first);
		/* Only once the trainer has the list (another topic). */
		cr_assert_geq(wait_sql(trainer_db, n + i + 1, 30, "SELECT "
		    "coalesce(sum(lists), 0) FROM reco_stats WHERE source = "
		    "'external'"), n + i + 1, "served list %d not at the "
		    "trainer", i);
		send_line(rk, line);
	}
	cr_assert_eq(rd_kafka_flush(rk, 30000), 0);
	cr_assert_geq(wait_sql(trainer_db, FRESH, 30, "SELECT coalesce(sum("
	    "followed), 0) FROM reco_stats WHERE source = 'external'"), FRESH,
	    "the replica's lists were followed, the trainer did not count it");
	/* Named by the replica that served them. */
	cr_assert_eq(h_qi(trainer_db, "SELECT count(*) FROM reco_log WHERE "
	    "source = 'external' AND host NOT LIKE '%%:%d'",
	    replica.http_port), 0);
	cr_assert_geq(h_qi(trainer_db, "SELECT count(*) FROM reco_log WHERE "
	    "source = 'external'"), 2 * FRESH);
	cr_assert(h_metric(replica.http_port,
	    "cinerec_kafka_served_lists_sent_total") >= 2 * FRESH);
	/* The replica counts its own lists' clicks too (its users). */
	cr_assert_geq(wait_sql(replica_db, FRESH, 30, "SELECT coalesce(sum("
	    "followed), 0) FROM reco_stats WHERE source = 'served'"), FRESH);
	rd_kafka_destroy(rk);
}

#define FORGED	"forged+movie+2099"

/*
 * A forged version 2 in the published directory: version 1's file of
 * extension ext copied, a byte of it flipped when corrupt is set; its
 * movies file names one movie more, which its manifest (made to say
 * version 2) accounts for, checksum and all.
 */
static void
forge(const char *ext, int corrupt)
{
	static char	 movies[1 << 20];
	static size_t	 nmovies;
	char		 src[512], dst[512], line[64], *buf, *p, *e;
	FILE		*fp;
	long		 len, count;

	snprintf(src, sizeof(src), "%s/model-000001.%s", pubdir, ext);
	snprintf(dst, sizeof(dst), "%s/model-000002.%s", pubdir, ext);
	cr_assert_not_null(fp = fopen(src, "rb"), "%s", src);
	fseek(fp, 0, SEEK_END);
	len = ftell(fp);
	rewind(fp);
	buf = malloc((size_t)len + 64);
	cr_assert_eq(fread(buf, 1, (size_t)len, fp), (size_t)len);
	buf[len] = '\0';
	fclose(fp);
	if (corrupt)
		buf[len / 2] ^= 0x5a;
	if (strcmp(ext, "movies") == 0) {
		len += sprintf(buf + len, "9999\t%s\n", FORGED);
		cr_assert_lt((size_t)len, sizeof(movies));
		memcpy(movies, buf, (size_t)len);
		nmovies = (size_t)len;
	}
	if (strcmp(ext, "manifest") == 0) {
		cr_assert_not_null(p = strstr(buf, "\nversion 1\n"));
		p[9] = '2';
		cr_assert_not_null(p = strstr(buf, "\nmovies "));
		count = strtol(p + 8, NULL, 10);
		e = strchr(p + 1, '\n');
		snprintf(line, sizeof(line), "\nmovies %ld %016llx", count + 1,
		    (unsigned long long)XXH64(movies, nmovies, 0));
		cr_assert_eq(strlen(line), (size_t)(e - p), "same length");
		memcpy(p, line, strlen(line));
	}
	cr_assert_not_null(fp = fopen(dst, "wb"));
	cr_assert_eq(fwrite(buf, 1, (size_t)len, fp), (size_t)len);
	fclose(fp);
	free(buf);
}

Test(replica, a_corrupt_published_model_is_refused_and_the_next_one_taken)
{
	rd_kafka_t	*rk;
	char		 cur[512], tmp[512];
	FILE		*fp;
	size_t		 sent;

	rk = two_nodes(&sent);
	cli_train();
	h_wait_version(replica.http_port, 1);

	/* A version 2 whose model file lost a byte's worth. */
	forge("cnrm", 1);
	forge("lists", 0);
	forge("movies", 0);
	forge("manifest", 0);
	/* Named current the way the trainer does: renamed over. */
	snprintf(tmp, sizeof(tmp), "%s/CURRENT.tmp", pubdir);
	cr_assert_not_null(fp = fopen(tmp, "w"));
	fputs("model-000002\n", fp);
	fclose(fp);
	snprintf(cur, sizeof(cur), "%s/CURRENT", pubdir);
	cr_assert_eq(rename(tmp, cur), 0, "%s", strerror(errno));
	cr_assert(h_wait_metric(replica.http_port,
	    "cinerec_replica_refused_total", 1, 20), "not refused");
	cr_assert_eq(h_qi(replica_db, "SELECT count(*) FROM lifecycle_log "
	    "WHERE action = 'follow-refused' AND model_id = 2 AND detail LIKE "
	    "'%%checksum%%'"), 1);
	h_wait_version(replica.http_port, 1);
	cr_assert_eq(h_qi(replica_db, "SELECT count(*) FROM models WHERE id = "
	    "2"), 0, "a refused version was registered");
	cr_assert_eq(h_qi(replica_db, "SELECT count(*) FROM movies WHERE slug = "
	    "'%s'", FORGED), 0, "a refused version's movies were taken");

	/* The trainer's own version 2 replaces the forgery; it is taken. */
	cli_train();
	h_wait_version(trainer.http_port, 2);
	h_wait_version(replica.http_port, 2);
	cr_assert_eq(h_metric(replica.http_port,
	    "cinerec_replica_refused_total"), 1);

	/* A rollback on the trainer: the replica serves its copy of 1 again. */
	{
		const char	*argv[] = { h_bin(), "model", "use", "1",
				    "--data-dir", trainer.dir, "--why",
				    "rollback test", NULL };
		static char	 out[4096];

		cr_assert_eq(h_run(argv, NULL, out, sizeof(out)), 0, "%s", out);
	}
	h_wait_version(trainer.http_port, 1);
	h_wait_version(replica.http_port, 1);
	cr_assert_eq(h_qi(replica_db, "SELECT count(*) FROM lifecycle_log "
	    "WHERE action = 'use' AND model_id = 1 AND detail LIKE "
	    "'%%serves it again%%'"), 1, "not the replica's own copy");
	cr_assert_eq(h_metric(replica.http_port,
	    "cinerec_replica_imports_total"), 3);
	rd_kafka_destroy(rk);
}

/*
 * A node that trained a version of its own before it became a replica:
 * the trainer's version 1 is not taken for its own version 1 (a different
 * model); it is copied under a free id, and the node's own stays.
 */
Test(replica, a_replica_keeps_its_own_versions_apart_from_the_trainers)
{
	const char	*demo[] = { h_bin(), "demo", "--data-dir", NULL,
			    "--users", "50", "--movies", "40", NULL };
	const char	*train[] = { h_bin(), "train", "--data-dir", NULL,
			    "--model", "itemknn", NULL };
	static char	 out[1 << 16];
	rd_kafka_t	*rk;
	size_t		 sent;

	h_tmpdir(replica.dir, sizeof(replica.dir));
	demo[3] = train[3] = replica.dir;
	cr_assert_eq(h_run(demo, NULL, out, sizeof(out)), 0, "%s", out);
	cr_assert_eq(h_run(train, NULL, out, sizeof(out)), 0, "%s", out);
	rk = two_nodes(&sent);
	cr_assert_eq(h_qi(replica_db, "SELECT count(*) FROM models WHERE id = "
	    "1 AND algo = 'itemknn'"), 1);
	cli_train();
	h_wait_version(trainer.http_port, 1);
	h_wait_version(replica.http_port, 2);
	cr_assert_eq(h_metric(replica.http_port, "cinerec_replica_version"), 2);
	cr_assert_eq(h_qi(replica_db, "SELECT count(*) FROM lifecycle_log "
	    "WHERE action = 'follow' AND model_id = 2"), 1);
	cr_assert_eq(h_qi(replica_db, "SELECT count(*) FROM models WHERE id = "
	    "2 AND algo = 'als' AND current = 1"), 1, "the trainer's, as 2");
	cr_assert_eq(h_qi(replica_db, "SELECT count(*) FROM models WHERE id = "
	    "1 AND algo = 'itemknn' AND current = 0"), 1, "its own, kept");
	rd_kafka_destroy(rk);
}
