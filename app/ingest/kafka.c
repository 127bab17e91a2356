/*
 * The Kafka input (see kafka.h): librdkafka's consumer served on the
 * ingest's loop.  Every callback (rebalance, errors, statistics, offset
 * commits, librdkafka's log) is forwarded to the consumer queue and runs
 * here, in the thread that owns the writer; librdkafka's own threads only
 * fetch and write one byte to our pipe when the queue stops being empty.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>
#include <uv.h>

#include "ingest/ingest_int.h"
#include "ingest/kafka.h"
#include "ingest/parse.h"
#include "store/logstore.h"
#include "store/writer.h"
#include "telemetry/metrics.h"
#include "util/clock.h"
#include "util/log.h"

#define KAFKA_TAKE		5000	/* messages a loop turn takes at most */
#define KAFKA_BATCH		500	/* ... a call at most */
#define KAFKA_FIGURES_MS	1000	/* the figures published this often */
#define KAFKA_COMMIT_MS		1000	/* positions to Kafka at most this often */
#define KAFKA_CLOSE_MS		3000	/* leaving the group at a stop, at most */
#define KAFKA_DESTROY_MS	3000	/* librdkafka's threads' end, at most */
#define KAFKA_REJOIN_MS		5000	/* partitions we could not take: again */
#define KAFKA_TOPICS		2	/* the lines, and the served lists */
#define KAFKA_FLUSH_MS		1000	/* served lists still going, at a stop */
/*
 * Prefetch: librdkafka stops fetching a partition once this many messages
 * (default 100,000) or KiB wait in its queue, and fetches again only when
 * its broker thread next wakes, up to a second later.  Log lines are
 * small (100,000 are 6 MB), so the count stopped it all the time: a
 * consumer taking 5.4M lines waited 80% of its 17-24 s for fetches.  The
 * bytes bound it now (64 MiB, librdkafka's default): 3.4 s.
 */
#define KAFKA_QUEUE_KB		"65536"
#define KAFKA_QUEUE_MSGS	"1000000"

/* A partition assigned to us. */
struct part {
	int	topic;		/* k->topics[topic] */
	int32_t	partition;
	int64_t	next;		/* first offset not taken; -1: the group's */
	int64_t	durable;	/* ... of those committed to the database */
	int64_t	told;		/* the last position committed to Kafka */
	int64_t	hi;		/* high watermark last seen, -1 unknown */
	int	beyond;		/* its position past the log's end: said */
};

struct kafka {
	struct ingest		*ing;
	rd_kafka_t		*rk;
	rd_kafka_queue_t	*q;	/* the consumer queue, everything in it */
	uv_poll_t		 wake;	/* its pipe's read end */
	uv_idle_t		 more;	/* a turn left messages: take more */
	int			 fds[2];
	int			 nopen;	/* handles not closed yet */
	char			 topics[KAFKA_TOPICS][WRITER_TOPIC_MAX + 1];
	int			 ntopics;	/* the lines, the served lists */
	int32_t			*assign;	/* static partitions of topics[0] */
	size_t			 nassign;	/* 0: the group assigns them */
	rd_kafka_t		*prod;		/* served lists out, or NULL */
	char			 served[WRITER_TOPIC_MAX + 1];	/* to it */
	char			 node[128];	/* as the lists name us */
	struct part		*parts;
	size_t			 nparts;
	int64_t			 figures_ms, told_ms;
	int			 brokers_up;	/* from the statistics; -1 unknown */
	int			 fatal;		/* librdkafka gave up: never up */
	int			 paused;	/* its partitions, while commits fail */
	int64_t			 rejoin_ms;	/* partitions refused: ask then */
	struct metrics_kafka	 m;
};

static void	tell(struct kafka *k);
static void	destroy_bounded(rd_kafka_t *rk);

static int
valid_name_char(int ch)
{
	return ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	    (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == '-');
}

const char *
kafka_check_name(const char *name)
{
	size_t	i;

	if (name[0] == '\0')
		return ("empty");
	if (strlen(name) > WRITER_TOPIC_MAX)
		return ("longer than 249 characters");
	for (i = 0; name[i] != '\0'; i++)
		if (!valid_name_char((unsigned char)name[i]))
			return ("only letters, digits, '.', '_' and '-'");
	return (NULL);
}

const char *
kafka_check_brokers(const char *brokers)
{
	size_t	i;

	if (brokers[0] == '\0')
		return ("empty");
	for (i = 0; brokers[i] != '\0'; i++)
		if (!valid_name_char((unsigned char)brokers[i]) &&
		    strchr(":,[]", brokers[i]) == NULL)
			return ("HOST:PORT[,HOST:PORT...] only");
	return (NULL);
}

const char *
kafka_check_partitions(const char *list)
{
	int32_t	p[KAFKA_ASSIGN_MAX];

	return (kafka_parse_partitions(list, p, KAFKA_ASSIGN_MAX) < 0 ?
	    "partition numbers 0..65535 and ranges A-B, comma-separated, "
	    "each once" : NULL);
}

/* "0,2,5-7" into out (up to max; NULL: only checked).  Count, or -1. */
int
kafka_parse_partitions(const char *list, int32_t *out, size_t max)
{
	const char	*p = list;
	char		*end;
	long		 a, b, i;
	size_t		 n = 0, j;

	if (*p == '\0')
		return (-1);
	for (;;) {
		if (*p < '0' || *p > '9')
			return (-1);
		a = b = strtol(p, &end, 10);
		p = end;
		if (*p == '-') {
			if (p[1] < '0' || p[1] > '9')
				return (-1);
			b = strtol(p + 1, &end, 10);
			p = end;
		}
		if (a < 0 || b < a || b > KAFKA_PARTITION_MAX ||
		    b - a >= KAFKA_ASSIGN_MAX)
			return (-1);
		for (i = a; i <= b; i++) {
			if (n >= KAFKA_ASSIGN_MAX)
				return (-1);
			if (out != NULL) {
				if (n >= max)
					return (-1);
				for (j = 0; j < n; j++)
					if (out[j] == (int32_t)i)
						return (-1);
				out[n] = (int32_t)i;
			}
			n++;
		}
		if (*p == '\0')
			return ((int)n);
		if (*p++ != ',')
			return (-1);
	}
}

/* The index of a topic of ours, or -1. */
static int
topic_ix(const struct kafka *k, const char *name)
{
	int	i;

	for (i = 0; i < k->ntopics; i++)
		if (strcmp(k->topics[i], name) == 0)
			return (i);
	return (-1);
}

static struct part *
part_find(struct kafka *k, int topic, int32_t partition)
{
	size_t	i;

	for (i = 0; i < k->nparts; i++)
		if (k->parts[i].partition == partition &&
		    k->parts[i].topic == topic)
			return (&k->parts[i]);
	return (NULL);
}

/*
 * Partitions came to us: each starts where the database says its lines
 * end (the group's committed offset only for one it never saw).
 */
static void
take_parts(struct kafka *k, rd_kafka_topic_partition_list_t *parts)
{
	struct writer			*w = k->ing->w;
	rd_kafka_topic_partition_t	*tp;
	struct part			*np;
	int64_t				 next;
	int				 i, rc;

	free(k->parts);
	k->nparts = 0;
	k->paused = 0;		/* take() pauses them again if need be */
	if ((k->parts = calloc((size_t)parts->cnt + 1, sizeof(*np))) == NULL ||
	    writer_offset_reserve(w, (size_t)parts->cnt) == -1) {
		log_warnx("kafka: no memory for %d partitions: not taking "
		    "them, asking again", parts->cnt);
		(void)rd_kafka_assign(k->rk, NULL);
		k->m.errors++;
		k->rejoin_ms = clock_mono_ms() + KAFKA_REJOIN_MS;
		return;
	}
	for (i = 0; i < parts->cnt; i++) {
		tp = &parts->elems[i];
		np = &k->parts[k->nparts++];
		np->topic = topic_ix(k, tp->topic);
		np->partition = tp->partition;
		np->hi = -1;
		rc = writer_offset_get(w, tp->topic, tp->partition, &next);
		if (rc == -1) {
			/* Not knowing where we stand, take nothing. */
			log_warnx("kafka: cannot read the positions: not "
			    "taking partitions, asking again");
			(void)rd_kafka_assign(k->rk, NULL);
			k->nparts = 0;
			k->m.errors++;
			k->rejoin_ms = clock_mono_ms() + KAFKA_REJOIN_MS;
			return;
		}
		np->next = rc == 1 ? next : -1;
		np->durable = np->told = np->next;
		/*
		 * Fixed partitions (a replica) belong to no group: a group's
		 * committed offset, the trainer's say, is not where this
		 * node's users begin.
		 */
		tp->offset = rc == 1 ? next : k->nassign > 0 ?
		    RD_KAFKA_OFFSET_BEGINNING : RD_KAFKA_OFFSET_STORED;
	}
	if (rd_kafka_assign(k->rk, parts) != RD_KAFKA_RESP_ERR_NO_ERROR) {
		log_warnx("kafka: assign failed");
		k->m.errors++;
	}
	log_info("kafka: %d partitions of %s%s%s assigned", parts->cnt,
	    k->topics[0], k->ntopics > 1 ? " and " : "",
	    k->ntopics > 1 ? k->topics[1] : "");
}

/*
 * Partitions go: what was taken from them is committed first, so the next
 * owner (or we, later) starts where the lines end.
 */
static void
kafka_revoke(struct kafka *k)
{
	(void)ingest_commit(k->ing);	/* kafka_committed, when it works */
	tell(k);
	(void)rd_kafka_assign(k->rk, NULL);
	writer_offset_forget(k->ing->w);
	k->nparts = 0;
}

static void
on_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t err,
    rd_kafka_topic_partition_list_t *parts, void *opaque)
{
	struct kafka	*k = opaque;

	(void)rk;
	k->m.rebalances++;
	if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS)
		take_parts(k, parts);
	else {
		if (err != RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS) {
			log_warnx("kafka: rebalance: %s", rd_kafka_err2str(err));
			k->m.errors++;
		}
		kafka_revoke(k);
	}
}

static void
on_error(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
	struct kafka	*k = opaque;

	char		 why[256];

	k->m.errors++;
	if (err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN)
		k->brokers_up = 0;
	if (err == RD_KAFKA_RESP_ERR__FATAL) {
		/* The consumer is dead for good (fenced, say): shown as down. */
		(void)rd_kafka_fatal_error(rk, why, sizeof(why));
		log_warnx("kafka: fatal: %s: no more lines from the topic "
		    "until a restart", why);
		k->fatal = 1;
		k->brokers_up = 0;
		return;
	}
	log_warnx("kafka: %s", reason);
}

static void
on_commit(rd_kafka_t *rk, rd_kafka_resp_err_t err,
    rd_kafka_topic_partition_list_t *offsets, void *opaque)
{
	struct kafka	*k = opaque;

	struct part	*p;
	int		 i;

	(void)rk;
	/*
	 * Only the broker's view (the database has the positions); what it
	 * did not take is told again.
	 */
	if (err == RD_KAFKA_RESP_ERR__NO_OFFSET)
		return;
	if (err != RD_KAFKA_RESP_ERR_NO_ERROR)
		k->m.commit_failed++;
	for (i = 0; offsets != NULL && i < offsets->cnt; i++)
		if (err == RD_KAFKA_RESP_ERR_NO_ERROR &&
		    offsets->elems[i].err == RD_KAFKA_RESP_ERR_NO_ERROR &&
		    (p = part_find(k, topic_ix(k, offsets->elems[i].topic),
		    offsets->elems[i].partition)) != NULL &&
		    offsets->elems[i].offset > p->told)
			p->told = offsets->elems[i].offset;
}

/*
 * The statistics (every few seconds): whether a broker is up, which
 * librdkafka tells nowhere else.  Each broker object names its "source"
 * before its "state"; the internal one does not count.
 */
static int
on_stats(rd_kafka_t *rk, char *json, size_t len, void *opaque)
{
	struct kafka	*k = opaque;
	const char	*p = json, *s;
	int		 up = 0;

	(void)rk;
	(void)len;
	while ((p = strstr(p, "\"source\":\"")) != NULL) {
		p += 10;
		if (strncmp(p, "internal\"", 9) == 0)
			continue;
		if ((s = strstr(p, "\"state\":\"")) != NULL &&
		    strncmp(s + 9, "UP\"", 3) == 0)
			up++;
	}
	k->brokers_up = k->fatal ? 0 : up;
	return (0);
}

static void
on_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
	(void)rk;
	/* Connection failures come to on_error too: said once. */
	if (level <= 4 && strcmp(fac, "FAIL") != 0 && strcmp(fac, "ERROR") != 0)
		log_warnx("kafka: %s: %s", fac, buf);
}

/*
 * One message: its lines, unless its offset was taken before.  Its
 * position follows its last line, so a commit always holds whole messages,
 * except one the writer makes by itself to free memory in the middle of a
 * message of several lines (writer_line): that message's first lines are
 * then committed before its position, and counted again after a crash
 * before the next commit.
 */
static void
message(struct kafka *k, const rd_kafka_message_t *m)
{
	struct writer	*w = k->ing->w;
	struct part	*p;
	const char	*s, *e, *nl;
	size_t		 len;
	int		 rc;

	if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
		if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF)
			return;
		k->m.errors++;
		log_warnx("kafka: %s", rd_kafka_message_errstr(m));
		return;
	}
	if ((p = part_find(k, topic_ix(k, rd_kafka_topic_name(m->rkt)),
	    m->partition)) == NULL ||
	    (p->next >= 0 && m->offset < p->next)) {
		k->m.skipped++;
		return;
	}
	s = m->payload;
	e = s + m->len;
	while (s != NULL && s < e) {
		nl = memchr(s, '\n', (size_t)(e - s));
		len = (size_t)((nl != NULL ? nl : e) - s);
		if (len > 0 && s[len - 1] == '\r')
			len--;
		rc = writer_line(w, s, len);
		if (rc == PARSE_OK)
			k->m.accepted++;
		else if (rc != WRITER_BLANK)
			k->m.rejected++;
		s = nl != NULL ? nl + 1 : NULL;
	}
	p->next = m->offset + 1;
	/* Room was made when the partition came. */
	if (writer_offset(w, k->topics[p->topic], m->partition, p->next) ==
	    -1)
		log_warnx("kafka: position of partition %d not kept",
		    (int)m->partition);
	k->m.messages++;
	if (!k->fatal && k->brokers_up <= 0)
		k->brokers_up = 1;
}

static void
figures(struct kafka *k)
{
	struct part	*p;
	int64_t		 lo, hi, base, lag = 0;
	size_t		 i, n = 0;

	k->figures_ms = clock_mono_ms();
	for (i = 0; i < k->nparts; i++) {
		p = &k->parts[i];
		if (rd_kafka_get_watermark_offsets(k->rk, k->topics[p->topic],
		    p->partition, &lo, &hi) == RD_KAFKA_RESP_ERR_NO_ERROR &&
		    hi >= 0)
			p->hi = hi;
		/*
		 * The log ends before what the database took: the topic was
		 * made again, or the database came from another cluster.  Its
		 * messages up to the position are skipped as taken: said.
		 */
		if (p->hi >= 0 && p->next > p->hi && !p->beyond) {
			log_warnx("kafka: partition %d of %s ends at %lld, "
			    "before the database's position %lld: messages "
			    "below it are skipped as taken (topic recreated?)",
			    (int)p->partition, k->topics[p->topic],
			    (long long)p->hi,
			    (long long)p->next);
			p->beyond = 1;
			k->m.errors++;
		}
		base = p->next >= 0 ? p->next : 0;
		if (p->hi > base)
			lag += p->hi - base;
		if (n < METRICS_KAFKA_PARTS) {
			k->m.part[n].topic = p->topic;
			k->m.part[n].partition = p->partition;
			k->m.part[n].next = p->next;
			k->m.part[n].hi = p->hi;
			n++;
		}
	}
	k->m.nparts = n;
	k->m.partitions = k->nparts;
	k->m.lag = lag;
	k->m.brokers_up = k->brokers_up;
	metrics_kafka_set(&k->m);
}

static void on_more(uv_idle_t *h);

/*
 * Join the group for the topics (again: a rebalance gives partitions), or
 * with static partitions take them at once (no group; again after a
 * refusal).
 */
static int
subscribe(struct kafka *k)
{
	rd_kafka_topic_partition_list_t	*sub;
	rd_kafka_resp_err_t		 err;
	size_t				 i;
	int				 t;

	if ((sub = rd_kafka_topic_partition_list_new(k->nassign > 0 ?
	    (int)k->nassign : k->ntopics)) == NULL)
		return (-1);
	if (k->nassign > 0) {
		for (i = 0; i < k->nassign; i++)
			rd_kafka_topic_partition_list_add(sub, k->topics[0],
			    k->assign[i]);
		take_parts(k, sub);
		rd_kafka_topic_partition_list_destroy(sub);
		return (0);
	}
	for (t = 0; t < k->ntopics; t++)
		rd_kafka_topic_partition_list_add(sub, k->topics[t],
		    RD_KAFKA_PARTITION_UA);
	err = rd_kafka_subscribe(k->rk, sub);
	rd_kafka_topic_partition_list_destroy(sub);
	if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
		log_warnx("kafka: cannot subscribe to %s: %s", k->topics[0],
		    rd_kafka_err2str(err));
		return (-1);
	}
	return (0);
}

static void
pause_parts(struct kafka *k, int on)
{
	rd_kafka_topic_partition_list_t	*l = NULL;

	if (rd_kafka_assignment(k->rk, &l) != RD_KAFKA_RESP_ERR_NO_ERROR ||
	    l == NULL)
		return;
	if ((on ? rd_kafka_pause_partitions(k->rk, l) :
	    rd_kafka_resume_partitions(k->rk, l)) == RD_KAFKA_RESP_ERR_NO_ERROR)
		k->paused = on;
	rd_kafka_topic_partition_list_destroy(l);
}

/* Take what the queue holds, a bounded turn at a time. */
static void
take(struct kafka *k)
{
	struct ingest		*ing = k->ing;
	rd_kafka_message_t	*m[KAFKA_BATCH];
	ssize_t			 got, i;
	int			 n = 0;

	/*
	 * While commits fail, fetching stops (the partitions are paused) but
	 * the queue is still served, for the rebalances: what was fetched
	 * already, 64 MiB at most, waits in the batch like a TCP sender's.
	 */
	if (ing->paused != k->paused)
		pause_parts(k, ing->paused);
	/* Partitions we had to refuse: leave and join, for new ones. */
	if (k->rejoin_ms != 0 && clock_mono_ms() >= k->rejoin_ms) {
		k->rejoin_ms = 0;
		if (k->nassign == 0)
			(void)rd_kafka_unsubscribe(k->rk);
		(void)subscribe(k);
	}
	/* Messages and the callbacks' events both come out of the queue. */
	while (n < KAFKA_TAKE && !ing->stopping) {
		if ((got = rd_kafka_consume_batch_queue(k->q, 0, m,
		    KAFKA_BATCH)) <= 0)
			break;
		for (i = 0; i < got; i++) {
			message(k, m[i]);
			rd_kafka_message_destroy(m[i]);
		}
		n += (int)got;
		if (!ing->paused &&
		    writer_pending(ing->w) >= (size_t)ing->batch_events)
			(void)ingest_commit(ing);
	}
	if (n >= KAFKA_TAKE)
		uv_idle_start(&k->more, on_more);
	else
		uv_idle_stop(&k->more);
	if (k->prod != NULL)
		(void)rd_kafka_poll(k->prod, 0);
	if (clock_mono_ms() - k->figures_ms >= KAFKA_FIGURES_MS)
		figures(k);
	if (clock_mono_ms() - k->told_ms >= KAFKA_COMMIT_MS)
		tell(k);
}

static void
on_more(uv_idle_t *h)
{
	take(h->data);
}

static void
on_wake(uv_poll_t *h, int status, int events)
{
	struct kafka	*k = h->data;
	char		 buf[256];

	(void)status;
	(void)events;
	while (read(k->fds[0], buf, sizeof(buf)) > 0)
		;
	take(k);
}

void
kafka_poll(struct kafka *k)
{
	/* A wake-up missed while paused, the callbacks, the figures. */
	take(k);
}

/* The positions in the database, to Kafka too (for its lag tools). */
static void
tell(struct kafka *k)
{
	rd_kafka_topic_partition_list_t	*l;
	size_t				 i;

	k->told_ms = clock_mono_ms();
	/* A replica commits nothing under a group it may share. */
	if (k->nassign > 0 || k->nparts == 0 ||
	    (l = rd_kafka_topic_partition_list_new((int)k->nparts)) == NULL)
		return;
	for (i = 0; i < k->nparts; i++)
		if (k->parts[i].durable > k->parts[i].told)
			rd_kafka_topic_partition_list_add(l,
			    k->topics[k->parts[i].topic],
			    k->parts[i].partition)->offset =
			    k->parts[i].durable;
	/* told moves when the broker took it (on_commit). */
	if (l->cnt > 0 && rd_kafka_commit(k->rk, l, 1) !=
	    RD_KAFKA_RESP_ERR_NO_ERROR)
		k->m.commit_failed++;
	rd_kafka_topic_partition_list_destroy(l);
}

void
kafka_committed(struct kafka *k)
{
	size_t	i;

	/* Everything taken was in that commit. */
	for (i = 0; i < k->nparts; i++)
		k->parts[i].durable = k->parts[i].next;
}

/*
 * A list this replica served, to the served topic in the stream's own
 * format (the movies by their spelling: the other node's ids are its
 * own), keyed by user like the lines, for the node that computes the
 * click-through of all.  Not sent (counted): a list that does not fit a
 * line, a full queue.
 */
static void
on_served(void *arg, const struct logstore_list *a, const int32_t *ids,
    size_t n)
{
	struct kafka	*k = arg;
	struct tm	 tm;
	time_t		 secs;
	char		 line[PARSE_LINE_MAX], key[24], when[32];
	const char	*slug;
	size_t		 len, i;
	int		 r, named = 0;

	secs = (time_t)(a->ts / 1000);
	if (gmtime_r(&secs, &tm) == NULL ||
	    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm) == 0)
		goto drop;
	r = snprintf(line, sizeof(line), "%s.%03d,%lld,recommendation request "
	    "%s, status %d, result: ", when, (int)(a->ts % 1000),
	    (long long)a->user, k->node, a->status);
	if (r < 0 || (size_t)r >= sizeof(line))
		goto drop;
	len = (size_t)r;
	for (i = 0; i < n; i++) {
		if ((slug = writer_slug(k->ing->w, ids[i])) == NULL)
			continue;
		r = snprintf(line + len, sizeof(line) - len, "%s, ", slug);
		if (r < 0 || (size_t)r >= sizeof(line) - len)
			goto drop;
		len += (size_t)r;
		named++;
	}
	r = snprintf(line + len, sizeof(line) - len, "%lld ms",
	    (long long)(a->latency_us / 1000));
	if (named == 0 || r < 0 || (size_t)r >= sizeof(line) - len)
		goto drop;
	len += (size_t)r;
	r = snprintf(key, sizeof(key), "%lld", (long long)a->user);
	if (rd_kafka_producev(k->prod, RD_KAFKA_V_TOPIC(k->served),
	    RD_KAFKA_V_VALUE(line, len), RD_KAFKA_V_KEY(key, (size_t)r),
	    RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END) !=
	    RD_KAFKA_RESP_ERR_NO_ERROR)
		goto drop;
	k->m.served_queued++;
	return;
drop:
	k->m.served_failed++;
}

/* A served list's delivery: failures counted (librdkafka retried). */
static void
on_delivered(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
	struct kafka	*k = opaque;

	(void)rk;
	if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
		k->m.served_failed++;
		if (k->m.served_failed % 1000 == 1)
			log_warnx("kafka: served list not delivered: %s",
			    rd_kafka_err2str(m->err));
	} else
		k->m.served_sent++;
}

static int
conf(rd_kafka_conf_t *c, const char *key, const char *value)
{
	char	err[256];

	if (rd_kafka_conf_set(c, key, value, err, sizeof(err)) !=
	    RD_KAFKA_CONF_OK) {
		log_warnx("kafka: %s: %s", key, err);
		return (-1);
	}
	return (0);
}

/* The producer of the served lists: its callbacks served by take(). */
static int
producer_start(struct kafka *k, const struct kafka_opts *o)
{
	rd_kafka_conf_t	*c;
	char		 err[256];

	if ((c = rd_kafka_conf_new()) == NULL)
		return (-1);
	if (conf(c, "bootstrap.servers", o->brokers) == -1 ||
	    conf(c, "client.id", "cinerec-served") == -1 ||
	    conf(c, "enable.idempotence", "true") == -1 ||
	    conf(c, "linger.ms", "20") == -1 ||
	    /* Keyed as Kafka's Java clients key: by user, like the lines. */
	    conf(c, "partitioner", "murmur2_random") == -1 ||
	    conf(c, "reconnect.backoff.max.ms", "5000") == -1) {
		rd_kafka_conf_destroy(c);
		return (-1);
	}
	rd_kafka_conf_set_opaque(c, k);
	rd_kafka_conf_set_dr_msg_cb(c, on_delivered);
	rd_kafka_conf_set_log_cb(c, on_log);
	if ((k->prod = rd_kafka_new(RD_KAFKA_PRODUCER, c, err,
	    sizeof(err))) == NULL) {
		rd_kafka_conf_destroy(c);
		log_warnx("kafka: %s", err);
		return (-1);
	}
	strcpy(k->served, o->served_topic);
	snprintf(k->node, sizeof(k->node), "%s", o->node);
	writer_set_served_hook(k->ing->w, on_served, k);
	return (0);
}

struct kafka *
kafka_start(struct ingest *ing, const struct kafka_opts *o)
{
	int32_t				 assign[KAFKA_ASSIGN_MAX];
	int				 na = 0;
	rd_kafka_conf_t			*c;
	struct kafka			*k;
	const char			*why;
	char				 err[256], host[72], instance[96];
	const char			*p;
	uint32_t			 h;
	int				 rc;

	if ((why = kafka_check_brokers(o->brokers)) != NULL ||
	    (why = kafka_check_name(o->topic)) != NULL ||
	    (why = kafka_check_name(o->group)) != NULL ||
	    (o->served_topic != NULL && o->served_topic[0] != '\0' &&
	    (why = kafka_check_name(o->served_topic)) != NULL) ||
	    (o->partitions != NULL && o->partitions[0] != '\0' &&
	    ((na = kafka_parse_partitions(o->partitions, assign,
	    KAFKA_ASSIGN_MAX)) < 0 ? (why = "bad partitions") : NULL))) {
		log_warnx("kafka: bad setting: %s", why);
		return (NULL);
	}
	if ((k = calloc(1, sizeof(*k))) == NULL)
		return (NULL);
	k->ing = ing;
	k->fds[0] = k->fds[1] = -1;
	k->brokers_up = -1;
	strcpy(k->topics[0], o->topic);
	k->ntopics = 1;
	/* The trainer reads the replicas' served lists too. */
	if (o->served_topic != NULL && o->served_topic[0] != '\0' &&
	    !o->replica && strcmp(o->served_topic, o->topic) != 0)
		strcpy(k->topics[k->ntopics++], o->served_topic);
	if (na > 0) {
		if ((k->assign = calloc((size_t)na, sizeof(*k->assign))) ==
		    NULL) {
			free(k);
			return (NULL);
		}
		memcpy(k->assign, assign, (size_t)na * sizeof(*assign));
		k->nassign = (size_t)na;
	}
	memcpy(k->m.topic[0], k->topics[0], sizeof(k->m.topic[0]));
	if (k->ntopics > 1)
		memcpy(k->m.topic[1], k->topics[1], sizeof(k->m.topic[1]));
	/*
	 * Static membership: a cinerec started again (a crash, an upgrade)
	 * takes its partitions back at once, instead of waiting out the
	 * session of its former self.  One data dir on one host is one
	 * member (the data dir's lock keeps a second one out).
	 */
	if (gethostname(host, sizeof(host)) == -1)
		strcpy(host, "localhost");
	host[sizeof(host) - 1] = '\0';
	h = 5381;
	for (p = o->data_dir != NULL ? o->data_dir : ""; *p != '\0'; p++)
		h = h * 33 + (unsigned char)*p;
	snprintf(instance, sizeof(instance), "cinerec-%.64s-%08x", host,
	    (unsigned)h);
	for (p = instance; *p != '\0'; p++)
		if (!valid_name_char((unsigned char)*p))
			*(char *)p = '-';
	if ((c = rd_kafka_conf_new()) == NULL)
		goto fail;
	if (conf(c, "bootstrap.servers", o->brokers) == -1 ||
	    conf(c, "group.id", o->group) == -1 ||
	    conf(c, "client.id", "cinerec") == -1 ||
	    conf(c, "group.instance.id", instance) == -1 ||
	    conf(c, "enable.auto.commit", "false") == -1 ||
	    conf(c, "enable.auto.offset.store", "false") == -1 ||
	    conf(c, "auto.offset.reset", "earliest") == -1 ||
	    conf(c, "enable.partition.eof", "false") == -1 ||
	    conf(c, "queued.max.messages.kbytes", KAFKA_QUEUE_KB) == -1 ||
	    conf(c, "queued.min.messages", KAFKA_QUEUE_MSGS) == -1 ||
	    conf(c, "reconnect.backoff.max.ms", "5000") == -1 ||
	    conf(c, "statistics.interval.ms", "2000") == -1 ||
	    conf(c, "log.queue", "true") == -1) {
		rd_kafka_conf_destroy(c);
		goto fail;
	}
	rd_kafka_conf_set_opaque(c, k);
	rd_kafka_conf_set_rebalance_cb(c, on_rebalance);
	rd_kafka_conf_set_error_cb(c, on_error);
	rd_kafka_conf_set_offset_commit_cb(c, on_commit);
	rd_kafka_conf_set_stats_cb(c, on_stats);
	rd_kafka_conf_set_log_cb(c, on_log);
	if ((k->rk = rd_kafka_new(RD_KAFKA_CONSUMER, c, err,
	    sizeof(err))) == NULL) {
		rd_kafka_conf_destroy(c);
		log_warnx("kafka: %s", err);
		goto fail;
	}
	/* Everything to the consumer queue, served on the loop. */
	(void)rd_kafka_set_log_queue(k->rk, NULL);
	(void)rd_kafka_poll_set_consumer(k->rk);
	k->q = rd_kafka_queue_get_consumer(k->rk);
	if (k->q == NULL || pipe2(k->fds, O_NONBLOCK | O_CLOEXEC) == -1)
		goto fail;
	rd_kafka_queue_io_event_enable(k->q, k->fds[1], "1", 1);
	if (o->replica && o->served_topic != NULL &&
	    o->served_topic[0] != '\0' && producer_start(k, o) == -1)
		goto fail;
	if (subscribe(k) == -1)
		goto fail;
	if ((rc = uv_poll_init(&ing->loop, &k->wake, k->fds[0])) != 0) {
		log_warnx("kafka: cannot poll its queue: %s", uv_strerror(rc));
		goto fail;
	}
	k->wake.data = k;
	uv_idle_init(&ing->loop, &k->more);
	k->more.data = k;
	k->nopen = 2;
	uv_poll_start(&k->wake, UV_READABLE, on_wake);
	k->m.configured = 1;
	metrics_kafka_set(&k->m);
	if (k->nassign > 0)
		log_info("kafka: consuming %zu partitions of %s from %s",
		    k->nassign, o->topic, o->brokers);
	else
		log_info("kafka: consuming %s%s%s from %s as group %s",
		    o->topic, k->ntopics > 1 ? " and " : "",
		    k->ntopics > 1 ? k->topics[1] : "", o->brokers, o->group);
	if (k->prod != NULL)
		log_info("kafka: served lists to %s as %s", k->served, k->node);
	return (k);

fail:
	if (k->prod != NULL) {
		writer_set_served_hook(ing->w, NULL, NULL);
		destroy_bounded(k->prod);
	}
	free(k->assign);
	if (k->q != NULL)
		rd_kafka_queue_destroy(k->q);
	if (k->rk != NULL)
		destroy_bounded(k->rk);
	if (k->fds[0] != -1) {
		close(k->fds[0]);
		close(k->fds[1]);
	}
	free(k);
	return (NULL);
}

static void
on_closed(uv_handle_t *h)
{
	struct kafka	*k = h->data;

	if (--k->nopen > 0)
		return;
	close(k->fds[0]);
	close(k->fds[1]);
	free(k->parts);
	free(k->assign);
	free(k);
}

/*
 * rd_kafka_destroy waits for librdkafka's threads, which wait for the
 * requests in flight: with the brokers gone, up to socket.timeout.ms.  At
 * a stop the process is about to exit, so it is given KAFKA_DESTROY_MS in
 * a thread of its own and abandoned after that (with what it holds).
 */
struct reaper {
	rd_kafka_t	*rk;
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;
	int		 done, abandoned;
};

static void *
reap(void *arg)
{
	struct reaper	*r = arg;
	int		 abandoned;

	rd_kafka_destroy_flags(r->rk, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
	pthread_mutex_lock(&r->mu);
	r->done = 1;
	abandoned = r->abandoned;
	pthread_cond_signal(&r->cv);
	pthread_mutex_unlock(&r->mu);
	if (abandoned)
		free(r);
	return (NULL);
}

static void
destroy_bounded(rd_kafka_t *rk)
{
	struct reaper	*r;
	struct timespec	 ts;
	pthread_attr_t	 attr;
	pthread_t	 t;
	int		 left = 0;

	if ((r = calloc(1, sizeof(*r))) == NULL) {
		rd_kafka_destroy_flags(rk, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
		return;
	}
	r->rk = rk;
	pthread_mutex_init(&r->mu, NULL);
	pthread_cond_init(&r->cv, NULL);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&t, &attr, reap, r) != 0) {
		pthread_attr_destroy(&attr);
		free(r);
		rd_kafka_destroy_flags(rk, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
		return;
	}
	pthread_attr_destroy(&attr);
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += KAFKA_DESTROY_MS / 1000;
	pthread_mutex_lock(&r->mu);
	while (!r->done)
		if (pthread_cond_timedwait(&r->cv, &r->mu, &ts) != 0)
			break;
	if (!r->done)
		left = r->abandoned = 1;
	pthread_mutex_unlock(&r->mu);
	if (left)
		log_warnx("kafka: the brokers do not answer: closed without "
		    "waiting for them");
	else
		free(r);
}

void
kafka_stop(struct kafka *k)
{
	rd_kafka_error_t	*e;
	rd_kafka_message_t	*m;
	int64_t			 t0 = clock_mono_ms();

	tell(k);
	/*
	 * Give the partitions back, within a bound (a static member does not
	 * leave the group: its successor takes them back at once).
	 */
	if (k->brokers_up == 0)
		;	/* nobody to tell */
	else if ((e = rd_kafka_consumer_close_queue(k->rk, k->q)) != NULL) {
		log_warnx("kafka: close: %s", rd_kafka_error_string(e));
		rd_kafka_error_destroy(e);
	} else {
		while (!rd_kafka_consumer_closed(k->rk) &&
		    clock_mono_ms() - t0 < KAFKA_CLOSE_MS) {
			/* Callbacks (the revocation); no message taken. */
			if ((m = rd_kafka_consumer_poll(k->rk, 100)) != NULL)
				rd_kafka_message_destroy(m);
		}
	}
	if (k->prod != NULL) {
		/* The lists of the last moments, within a bound. */
		writer_set_served_hook(k->ing->w, NULL, NULL);
		if (rd_kafka_flush(k->prod, KAFKA_FLUSH_MS) !=
		    RD_KAFKA_RESP_ERR_NO_ERROR)
			log_warnx("kafka: %d served lists not delivered at "
			    "the stop", rd_kafka_outq_len(k->prod));
		destroy_bounded(k->prod);
		k->prod = NULL;
	}
	k->m.configured = 0;
	k->m.partitions = k->m.nparts = 0;
	metrics_kafka_set(&k->m);
	/* No more wake-ups: the pipe closes with the handles. */
	rd_kafka_queue_io_event_enable(k->q, -1, NULL, 0);
	rd_kafka_queue_destroy(k->q);
	destroy_bounded(k->rk);
	uv_close((uv_handle_t *)&k->wake, on_closed);
	uv_close((uv_handle_t *)&k->more, on_closed);
}
