/*
 * Runtime settings: one table names each setting, its type, bounds and
 * meaning; the file parser, the flags and cfg_dump all go through it.
 */
#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "settings/config.h"

enum cfg_type { CFG_PATH, CFG_ADDR, CFG_INT, CFG_STR, CFG_DOUBLE };

struct cfg_setting {
	const char	*name;		/* key in the file */
	enum cfg_type	 type;
	size_t		 off;		/* of the value (host for ADDR) */
	size_t		 off2;		/* ADDR: of the port */
	long		 min, max;	/* CFG_INT bounds */
	const char	*help;		/* one line for cfg_dump and the docs */
};

#define F(x)	offsetof(struct cfg, x)

static const struct cfg_setting settings[] = {
	{ "data_dir", CFG_PATH, F(data_dir), 0, 0, 0,
	    "directory of the database and the internal socket" },
	{ "http", CFG_ADDR, F(http_host), F(http_port), 0, 0,
	    "HOST:PORT of the HTTP API" },
	{ "ingest", CFG_ADDR, F(ingest_host), F(ingest_port), 0, 0,
	    "HOST:PORT of the TCP event ingest" },
	{ "workers", CFG_INT, F(workers), 0, 1, 64,
	    "HTTP worker processes" },
	{ "popularity_window_days", CFG_INT, F(pop_window_days), 0, 1, 3650,
	    "days of recent activity that rank popular movies" },
	{ "events_body_max_kb", CFG_INT, F(events_body_max_kb), 0, 1, 1048576,
	    "largest POST /events body, in KiB (larger: 413)" },
	{ "batch_events", CFG_INT, F(batch_events), 0, 1, 10000000,
	    "events per write transaction at most" },
	{ "batch_ms", CFG_INT, F(batch_ms), 0, 1, 60000,
	    "milliseconds an accepted event waits for its commit at most" },
	{ "train_interval_min", CFG_INT, F(train_interval_min), 0, 0, 525600,
	    "minutes between scheduled trainings (0: none)" },
	{ "train_threads", CFG_INT, F(train_threads), 0, 1, 64,
	    "threads of a training inside the server" },
	{ "train_at_start", CFG_INT, F(train_at_start), 0, 0, 1,
	    "1: train a first model at start when there is data and none; "
	    "0: serve popularity until a training is asked for" },
	{ "train_tune", CFG_INT, F(train_tune), 0, 0, 1,
	    "1: each training first chooses its recency and ALS's reg (or "
	    "item-kNN's k) on a validation part of the store's own data "
	    "(three fits of a sample); 0: the configured values" },
	{ "list_series_max", CFG_INT, F(list_series_max), 0, 0, 20,
	    "at most this many movies of one series (a title and its "
	    "sequels) in a list, the rest to the next best (0: no cap)" },
	{ "pop_bias", CFG_DOUBLE, F(pop_bias), 0, 0, 2,
	    "the models of the trainings divide a movie's score by (1 + its "
	    "interactions)^pop_bias: more of the catalogue, less of the top "
	    "(0: off)" },
	{ "train_after_events", CFG_INT, F(train_after_events), 0, 0,
	    1000000000, "train once this many watch and rate lines came in "
	    "since the last training (0: only on the schedule)" },
	{ "gate_tolerance", CFG_DOUBLE, F(gate_tolerance), 0, 0, 1,
	    "a candidate is promoted unless its hold-out Recall@20 is below "
	    "the current model's on the same hold-out by more than this share" },
	{ "gate_min_coverage", CFG_DOUBLE, F(gate_min_coverage), 0, 0, 1,
	    "a candidate whose lists cover less than this share of the "
	    "current model's catalogue coverage is degenerate, refused" },
	{ "fresh_lists", CFG_INT, F(fresh_lists), 0, 0, 1,
	    "1: the lists of users whose events just committed are made then, "
	    "off the request path; 0: they are folded in at request time" },
	{ "models_keep", CFG_INT, F(models_keep), 0, 1, 1000,
	    "model versions whose files are kept (besides the current one, "
	    "pinned ones and those in an experiment)" },
	{ "admin", CFG_ADDR, F(admin_host), F(admin_port), 0, 0,
	    "HOST:PORT of the admin web UI" },
	{ "admin_cert", CFG_STR, F(admin_cert), 0, 0, PATH_MAX - 1,
	    "TLS certificate (PEM) of the admin UI; empty: plain HTTP" },
	{ "admin_key", CFG_STR, F(admin_key), 0, 0, PATH_MAX - 1,
	    "TLS private key (PEM) of the admin UI" },
	{ "ingest_token", CFG_STR, F(ingest_token), 0, 0, 127,
	    "when set, TCP senders send AUTH <token> first, HTTP senders "
	    "Authorization: Bearer <token>" },
	{ "kafka_brokers", CFG_STR, F(kafka_brokers), 0, 0, 1023,
	    "HOST:PORT[,HOST:PORT...] of Kafka brokers: consume kafka_topic "
	    "as a third input of log lines, effectively once (empty: none)" },
	{ "kafka_topic", CFG_STR, F(kafka_topic), 0, 0, 249,
	    "the topic of log lines (one or more a message), e.g. movielog1" },
	{ "kafka_group", CFG_STR, F(kafka_group), 0, 0, 249,
	    "the consumer group; the partitions are shared among its members" },
	{ "kafka_partitions", CFG_STR, F(kafka_partitions), 0, 0, 1023,
	    "a serving replica: only these partitions of kafka_topic, e.g. "
	    "\"0,2-3\" (its users' events; no group); empty: the group's" },
	{ "kafka_served_topic", CFG_STR, F(kafka_served_topic), 0, 0, 249,
	    "the topic of served lists: a replica (follow_dir set) sends the "
	    "lists it serves there, the trainer reads them with the lines, for "
	    "the click-through of all (empty: none)" },
	{ "publish_dir", CFG_STR, F(publish_dir), 0, 0, PATH_MAX - 64,
	    "a trainer: publish each current model, its lists and its movies "
	    "here (a directory the replicas read; empty: none)" },
	{ "follow_dir", CFG_STR, F(follow_dir), 0, 0, PATH_MAX - 64,
	    "a serving replica: serve the models a trainer publishes there, "
	    "checked as its own, and train none (empty: train here)" },
	{ "click_window_s", CFG_INT, F(click_window_s), 0, 1, 86400,
	    "seconds after a list in which starting a listed movie follows it" },
	{ "click_skew_ms", CFG_INT, F(click_skew_ms), 0, 0, 600000,
	    "milliseconds a watch may seem to come before the list it follows "
	    "(the stream's clock is not ours)" },
	{ "rating_max", CFG_INT, F(rating_max), 0, 2, 100,
	    "top of the stream's rating scale (ratings 1..rating_max; the "
	    "signal mapping follows it)" },
	{ "reco_log", CFG_INT, F(reco_log), 0, 0, 1,
	    "1: log every served list (click-through needs it), 0: do not" },
	{ "signal_watch_scale", CFG_DOUBLE, F(sig.watch_scale), 0, 0, 100000,
	    "minutes: how fast a watch saturates when the runtime is unknown" },
	{ "signal_watch_base", CFG_DOUBLE, F(sig.watch_base), 0, 0, 1000,
	    "confidence of any watch, however short" },
	{ "signal_watch_weight", CFG_DOUBLE, F(sig.watch_weight), 0, 0, 1000,
	    "extra confidence of a complete watch" },
	{ "signal_dislike", CFG_DOUBLE, F(sig.dislike), 0, 0, 5,
	    "ratings up to this, on a 1..5 scale (others are rescaled: 4 of "
	    "10 is 2 of 5), are evidence against the movie" },
	{ "signal_rating_base", CFG_DOUBLE, F(sig.rating_base), 0, 0, 1000,
	    "confidence of any rating above signal_dislike" },
	{ "signal_rating_weight", CFG_DOUBLE, F(sig.rating_weight), 0, 0, 1000,
	    "extra confidence of a top rating" },
	{ "signal_dislike_base", CFG_DOUBLE, F(sig.dislike_base), 0, 0, 1000,
	    "confidence of a rating equal to signal_dislike" },
	{ "signal_dislike_weight", CFG_DOUBLE, F(sig.dislike_weight), 0, 0,
	    1000, "extra confidence as the rating falls towards 0" },
	{ "ingest_max_conns", CFG_INT, F(ingest_max_conns), 0, 1, 100000,
	    "TCP ingest senders connected at once (more: refused)" },
	{ "ingest_auth_timeout_s", CFG_INT, F(ingest_auth_timeout_s), 0, 1,
	    3600, "seconds a TCP sender has to send AUTH when a token is set" },
	{ "events_inflight_mb", CFG_INT, F(events_inflight_mb), 0, 1, 65536,
	    "MiB of request bodies held in memory at once, all workers (more: "
	    "503 with Retry-After)" },
	{ "reco_log_days", CFG_INT, F(reco_log_days), 0, 1, 3650,
	    "days raw recommendation log rows are kept (hourly aggregates "
	    "stay)" },
	{ "reco_rollup_s", CFG_INT, F(reco_rollup_s), 0, 1, 3600,
	    "seconds between roll-ups of the recommendation log (its by-user "
	    "index and the coverage counts)" },
};

void
cfg_defaults(struct cfg *c)
{
	memset(c, 0, sizeof(*c));
	strcpy(c->data_dir, "./var");
	strcpy(c->http_host, "127.0.0.1");
	c->http_port = 8082;
	strcpy(c->ingest_host, "127.0.0.1");
	c->ingest_port = 8099;
	c->workers = 2;
	c->pop_window_days = 7;
	c->events_body_max_kb = 16384;
	c->batch_events = 500000;
	c->batch_ms = 100;
	strcpy(c->kafka_group, "cinerec");
	c->train_interval_min = 1440;
	c->train_threads = 2;
	c->train_at_start = 1;
	c->train_tune = 1;
	c->train_after_events = 0;
	c->gate_tolerance = 0.05;
	c->gate_min_coverage = 0.1;
	c->models_keep = 5;
	c->fresh_lists = 1;
	strcpy(c->admin_host, "127.0.0.1");
	c->admin_port = 8083;
	c->click_window_s = 300;
	c->click_skew_ms = 2000;
	c->rating_max = 5;
	c->reco_log = 1;
	c->reco_log_days = 30;
	c->reco_rollup_s = 10;
	c->ingest_max_conns = 1024;
	c->ingest_auth_timeout_s = 10;
	c->events_inflight_mb = 64;
	signal_defaults(&c->sig);
}

int
cfg_parse_addr(const char *s, char *host, size_t hostsz, uint16_t *port)
{
	const char	*colon, *h;
	size_t		 hlen;
	char		*end;
	long		 p;

	if (*s == '[') {
		h = s + 1;
		if ((colon = strchr(h, ']')) == NULL || colon[1] != ':')
			return (-1);
		hlen = (size_t)(colon - h);
		colon++;
	} else {
		h = s;
		if ((colon = strrchr(s, ':')) == NULL)
			return (-1);
		hlen = (size_t)(colon - h);
	}
	if (hlen == 0 || hlen >= hostsz ||
	    strspn(h, *s == '[' ? "0123456789abcdefABCDEF:." :
	    "0123456789abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ.-") < hlen)
		return (-1);
	errno = 0;
	p = strtol(colon + 1, &end, 10);
	if (errno != 0 || *end != '\0' || end == colon + 1 || p < 0 ||
	    p > 65535)
		return (-1);
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	*port = (uint16_t)p;
	return (0);
}

int
cfg_set(struct cfg *c, const char *key, const char *value, char *err,
    size_t errlen)
{
	const struct cfg_setting	*s;
	char				*base = (char *)c, *end;
	long				 v;
	size_t				 i;

	for (i = 0; i < sizeof(settings) / sizeof(settings[0]); i++) {
		s = &settings[i];
		if (strcmp(s->name, key) != 0)
			continue;
		switch (s->type) {
		case CFG_PATH:
			if (*value == '\0' || strlen(value) >= PATH_MAX) {
				snprintf(err, errlen, "%s: empty or too long",
				    key);
				return (-1);
			}
			strcpy(base + s->off, value);
			return (0);
		case CFG_ADDR:
			if (cfg_parse_addr(value, base + s->off, CFG_HOST_MAX,
			    (uint16_t *)(void *)(base + s->off2)) == -1) {
				snprintf(err, errlen,
				    "%s: expected HOST:PORT, got '%s'", key,
				    value);
				return (-1);
			}
			return (0);
		case CFG_STR:
			if (strlen(value) > (size_t)s->max) {
				snprintf(err, errlen, "%s: longer than %ld "
				    "bytes", key, s->max);
				return (-1);
			}
			strcpy(base + s->off, value);
			return (0);
		case CFG_DOUBLE: {
			double	d;

			errno = 0;
			d = strtod(value, &end);
			if (errno != 0 || end == value || *end != '\0' ||
			    !(d >= s->min && d <= s->max)) {
				snprintf(err, errlen, "%s: expected a number "
				    "in %ld..%ld, got '%s'", key, s->min,
				    s->max, value);
				return (-1);
			}
			*(double *)(void *)(base + s->off) = d;
			return (0);
		}
		case CFG_INT:
			errno = 0;
			v = strtol(value, &end, 10);
			if (errno != 0 || end == value || *end != '\0' ||
			    v < s->min || v > s->max) {
				snprintf(err, errlen,
				    "%s: expected an integer in %ld..%ld, "
				    "got '%s'", key, s->min, s->max, value);
				return (-1);
			}
			*(int *)(void *)(base + s->off) = (int)v;
			/* The signal mapping follows the stream's scale. */
			c->sig.scale = c->rating_max;
			return (0);
		}
	}
	snprintf(err, errlen, "unknown setting '%s'", key);
	return (-1);
}

static char *
trim(char *s)
{
	char	*e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return (s);
}

int
cfg_load_fp(struct cfg *c, FILE *fp, const char *name)
{
	char	 line[4096], err[256], *p, *eq, *hash;
	size_t	 len;
	int	 lineno = 0;

	while (fgets(line, sizeof(line), fp) != NULL) {
		lineno++;
		len = strlen(line);
		if (len == sizeof(line) - 1 && line[len - 1] != '\n' &&
		    !feof(fp)) {
			fprintf(stderr, "cinerec: %s:%d: line too long\n", name,
			    lineno);
			return (-1);
		}
		if ((hash = strchr(line, '#')) != NULL)
			*hash = '\0';
		p = trim(line);
		if (*p == '\0')
			continue;
		if ((eq = strchr(p, '=')) == NULL) {
			fprintf(stderr, "cinerec: %s:%d: expected key = value\n",
			    name, lineno);
			return (-1);
		}
		*eq = '\0';
		if (cfg_set(c, trim(p), trim(eq + 1), err, sizeof(err)) == -1) {
			fprintf(stderr, "cinerec: %s:%d: %s\n", name, lineno,
			    err);
			return (-1);
		}
	}
	if (ferror(fp)) {
		fprintf(stderr, "cinerec: %s: read error\n", name);
		return (-1);
	}
	return (0);
}

int
cfg_load_file(struct cfg *c, const char *path)
{
	FILE	*fp;
	int	 rc;

	if ((fp = fopen(path, "r")) == NULL) {
		fprintf(stderr, "cinerec: %s: %s\n", path, strerror(errno));
		return (-1);
	}
	rc = cfg_load_fp(c, fp, path);
	fclose(fp);
	return (rc);
}

int
cfg_is_loopback(const char *host)
{
	return (strncmp(host, "127.", 4) == 0 || strcmp(host, "::1") == 0 ||
	    strcmp(host, "localhost") == 0);
}

/* The shortest text of v that reads back as v exactly. */
static void
dbl_text(char *buf, size_t sz, double v)
{
	int	prec;

	for (prec = 6; prec < 17; prec++) {
		snprintf(buf, sz, "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			return;
	}
	snprintf(buf, sz, "%.17g", v);
}

void
cfg_dump(const struct cfg *c, FILE *fp, int commented)
{
	const struct cfg_setting	*s;
	const char			*base = (const char *)c;
	char				 num[32];
	size_t				 i;

	for (i = 0; i < sizeof(settings) / sizeof(settings[0]); i++) {
		s = &settings[i];
		fprintf(fp, "%s# %s\n%s", i > 0 ? "\n" : "", s->help,
		    commented ? "#" : "");
		switch (s->type) {
		case CFG_PATH:
		case CFG_STR:
			fprintf(fp, "%s = %s\n", s->name, base + s->off);
			break;
		case CFG_ADDR:
			fprintf(fp, strchr(base + s->off, ':') ?
			    "%s = [%s]:%u\n" : "%s = %s:%u\n", s->name,
			    base + s->off,
			    *(const uint16_t *)(const void *)(base + s->off2));
			break;
		case CFG_INT:
			fprintf(fp, "%s = %d\n", s->name,
			    *(const int *)(const void *)(base + s->off));
			break;
		case CFG_DOUBLE:
			dbl_text(num, sizeof(num),
			    *(const double *)(const void *)(base + s->off));
			fprintf(fp, "%s = %s\n", s->name, num);
			break;
		}
	}
}
