/*
 * The dashboard's pages and JSON API, one route table for every path, and
 * the dispatch: session, CSRF and origin checks before any handler.
 */
#include <sys/socket.h>
#include <sys/stat.h>

#include <arpa/inet.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin/admin_int.h"
#include "server/kbuf.h"
#include "ingest/parse.h"
#include "model/model.h"
#include "reco/reco.h"
#include "settings/config.h"
#include "settings/overrides.h"
#include "store/store.h"
#include "telemetry/metrics.h"
#include "telemetry/why.h"
#include "util/assets.h"
#include "util/clock.h"
#include "util/log.h"
#include "version.h"

typedef int	(*handler_fn)(struct http_request *, const struct auth_session *);

/* An embedded file of assets/admin/, by its name. */
static int
serve_asset(struct http_request *req, const char *name)
{
	static const struct {
		const char	*ext, *type;
	} types[] = {
		{ ".html", "text/html; charset=utf-8" },
		{ ".css", "text/css; charset=utf-8" },
		{ ".js", "text/javascript; charset=utf-8" },
		{ ".svg", "image/svg+xml" },
		{ ".png", "image/png" },
		{ ".ico", "image/x-icon" },
		{ ".LICENSE", "text/plain; charset=utf-8" },
	};
	const struct asset	*a;
	char			 path[128];
	size_t			 i, nlen = strlen(name), elen;

	if (nlen == 0 || nlen > 64 || strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789._-") != nlen ||
	    name[0] == '.')
		goto notfound;
	snprintf(path, sizeof(path), ASSET_DIR "%s", name);
	if ((a = asset_find(path)) == NULL)
		goto notfound;
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		elen = strlen(types[i].ext);
		if (nlen > elen && strcmp(name + nlen - elen,
		    types[i].ext) == 0)
			break;
	}
	if (i == sizeof(types) / sizeof(types[0]))
		goto notfound;
	/* Embedded in the binary: a new binary may change them. */
	http_response_header(req, "cache-control", "no-cache");
	http_response_header(req, "etag", "\"" CINEREC_VERSION "\"");
	adm_reply(req, 200, types[i].type, a->data, a->len);
	return (KORE_RESULT_OK);

notfound:
	adm_reply(req, 404, "text/plain; charset=utf-8", "not found\n", 10);
	return (KORE_RESULT_OK);
}

static int
page_index(struct http_request *req, const struct auth_session *s)
{
	(void)s;
	http_response_header(req, "cache-control", "no-store");
	return (serve_asset(req, "index.html"));
}

static int
page_login(struct http_request *req, const struct auth_session *s)
{
	(void)s;
	http_response_header(req, "cache-control", "no-store");
	return (serve_asset(req, "login.html"));
}

static int
do_login(struct http_request *req, const struct auth_session *s)
{
	struct job	*j;
	char		 body[BODY_MAX];

	(void)s;
	j = adm_job_new(req, NULL, adm_login_work, adm_login_done);
	if (adm_body(req, body, sizeof(body)) == -1 ||
	    adm_form(body, "name", j->who, sizeof(j->who)) == -1 ||
	    adm_form(body, "password", j->value, sizeof(j->value)) == -1 ||
	    j->who[0] == '\0' || j->value[0] == '\0') {
		sodium_memzero(body, sizeof(body));
		kore_free(j);
		adm_redirect(req, "/login?error=invalid");
		return (KORE_RESULT_OK);
	}
	sodium_memzero(body, sizeof(body));
	return (adm_job_start(req, j));
}

static int
do_logout(struct http_request *req, const struct auth_session *s)
{
	struct job	*j;
	const char	*tok = adm_cookie(req);

	j = adm_job_new(req, s, adm_logout_work, adm_logout_done);
	snprintf(j->token, sizeof(j->token), "%s", tok ? tok : "");
	return (adm_job_start(req, j));
}

static int
api_session(struct http_request *req, const struct auth_session *s)
{
	struct kore_buf	 b;
	char		 csrf[AUTH_TOKEN_MAX];

	auth_csrf_token(adm.key, s->id, csrf);
	kore_buf_init(&b, 256);
	kore_buf_appendf(&b, "{\"admin\":");
	kbuf_str(&b, s->admin);
	kore_buf_appendf(&b, ",\"csrf\":\"%s\",\"expires_ms\":%lld,"
	    "\"tls\":%s,\"version\":\"%s\",\"now_ms\":%lld}\n", csrf,
	    (long long)s->expires_ms, adm.tls ? "true" : "false",
	    CINEREC_VERSION, (long long)clock_now_ms());
	adm_json(req, 200, &b);
	return (KORE_RESULT_OK);
}

/* The alerts that fire now, as a JSON array of {level, text}. */
static void
alerts_json(struct kore_buf *b, int64_t now)
{
	int64_t		model_ms, failed, running, rejected, interval;
	int		n = 0;
	char		text[256];

#define ALERT(lvl, ...) do {						\
	snprintf(text, sizeof(text), __VA_ARGS__);			\
	kore_buf_appendf(b, "%s{\"level\":\"%s\",\"text\":", n++ ? "," : "", \
	    lvl);							\
	kbuf_str(b, text);						\
	kore_buf_append(b, "}", 1);					\
} while (0)

	kore_buf_append(b, "[", 1);
	model_ms = adm_int("SELECT created_ms FROM models WHERE current = 1",
	    -1);
	interval = adm.ctx.cfg->train_interval_min;
	if (model_ms == -1)
		ALERT("warn", "No model is being served: recommendations are "
		    "popularity only.");
	else if (interval > 0 && now - model_ms > 2 * interval * 60000)
		ALERT("warn", "The model is %.1f h old, more than twice the "
		    "training interval.", (double)(now - model_ms) / 3.6e6);
	failed = adm_int("SELECT status = 'failed' FROM training_runs "
	    "ORDER BY id DESC LIMIT 1", 0);
	if (failed)
		ALERT("crit", "The last training failed (see Models).");
	running = adm_int("SELECT MIN(started_ms) FROM training_runs WHERE "
	    "status = 'running'", -1);
	if (running != -1 && now - running > 3600 * 1000)
		ALERT("warn", "A training has been running for %.1f h.",
		    (double)(now - running) / 3.6e6);
	rejected = adm_int("SELECT COUNT(*) FROM reject_samples WHERE "
	    "ts > CAST(strftime('%s', 'now') AS INTEGER) * 1000 - 300000", 0);
	if (rejected >= 20)
		ALERT("warn", "The ingest rejected %s%lld lines in the last 5 "
		    "minutes (see Ingest).", rejected >= 200 ? "at least " :
		    "", (long long)rejected);
	if (!cfg_is_loopback(adm.ctx.cfg->ingest_host) &&
	    adm.ctx.cfg->ingest_token[0] == '\0')
		ALERT("warn", "The TCP ingest listens on %s without an ingest "
		    "token.", adm.ctx.cfg->ingest_host);
	kore_buf_append(b, "]", 1);
#undef ALERT
}

/* The overview's members from the database. */
static const struct adm_member	overview_members[] = {
	{ "model", "SELECT id, algo, created_ms, train_seconds, "
	    "interactions, users, items, eval_recall20, eval_ndcg20, "
	    "eval_coverage FROM models WHERE current = 1", 1 },
	{ "last_run", "SELECT id, started_ms, finished_ms, trigger, "
	    "status, model_id, message FROM training_runs ORDER BY id DESC "
	    "LIMIT 1", 1 },
	/* Click-through per day of the lists this server gave. */
	{ "ctr_daily", "SELECT hour / 24 AS day, source, SUM(lists) AS "
	    "lists, SUM(followed) AS followed FROM reco_stats "
	    "WHERE hour >= (CAST(strftime('%s', 'now') AS INTEGER) / 3600) - "
	    "24 * 30 GROUP BY day, source ORDER BY day", 0 },
};

/* The ingest page's members from the database. */
static const struct adm_member	ingest_members[] = {
	{ "counters", "SELECT name, value FROM counters WHERE name LIKE "
	    "'accepted\\_%' ESCAPE '\\' OR name LIKE 'rejected\\_%' ESCAPE "
	    "'\\' ORDER BY name", 0 },
	/* The newest few of each reason: every reason shown has examples. */
	{ "samples", "SELECT id, ts, reason, line FROM (SELECT *, "
	    "row_number() OVER (PARTITION BY reason ORDER BY id DESC) AS k "
	    "FROM reject_samples) WHERE k <= 5 ORDER BY id DESC", 0 },
	/* Lines per hour by outcome, the last 48 hours (our clock). */
	{ "hourly", "SELECT hour, reason, lines FROM ingest_hourly "
	    "WHERE hour > (SELECT MAX(hour) FROM ingest_hourly) - 48 "
	    "ORDER BY hour, reason", 0 },
	/* Kinds of lines nobody knows, newest first: schema drift. */
	{ "shapes", "SELECT shape, first_ts, last_ts, lines FROM "
	    "line_shapes ORDER BY first_ts DESC, lines DESC LIMIT 20", 0 },
	{ "quality", "SELECT (SELECT COUNT(*) FROM users WHERE "
	    "account_ts IS NOT NULL) AS accounts, (SELECT COUNT(*) FROM users "
	    "WHERE account_ts IS NOT NULL AND watch_lines + ratings = 0) AS "
	    "accounts_idle, COALESCE((SELECT value FROM counters WHERE name = "
	    "'users_outlier'), 0) AS users_outlier, (SELECT MAX(id) FROM "
	    "users) AS user_max", 1 },
};

static int
api_overview(struct http_request *req, const struct auth_session *s)
{
	struct kore_buf	 b;
	struct stat	 sb;
	char		 wal[PATH_MAX + 32];
	int64_t		 now = clock_now_ms(), size, walsz = 0;

	(void)s;
	size = adm_int("SELECT page_count * page_size FROM "
	    "pragma_page_count(), pragma_page_size()", 0);
	snprintf(wal, sizeof(wal), "%s/%s-wal", adm.ctx.cfg->data_dir,
	    STORE_FILE);
	if (stat(wal, &sb) == 0)
		walsz = sb.st_size;
	kore_buf_init(&b, 4096);
	kore_buf_appendf(&b, "{\"now_ms\":%lld,\"version\":\"%s\","
	    "\"started_ms\":%lld,\"db_bytes\":%lld,\"wal_bytes\":%lld,"
	    "\"workers\":%d,\"click_window_s\":%d,\"counters\":{",
	    (long long)now, CINEREC_VERSION, (long long)adm.ctx.started_ms,
	    (long long)size, (long long)walsz, adm.ctx.cfg->workers,
	    adm.ctx.cfg->click_window_s);
	{
		sqlite3_stmt	*st;
		int		 n = 0;

		if (sqlite3_prepare_v2(adm.db, "SELECT name, value FROM "
		    "counters ORDER BY name", -1, &st, NULL) == SQLITE_OK) {
			while (sqlite3_step(st) == SQLITE_ROW) {
				if (n++ > 0)
					kore_buf_append(&b, ",", 1);
				kbuf_str(&b, (const char *)
				    sqlite3_column_text(st, 0));
				kore_buf_appendf(&b, ":%lld", (long long)
				    sqlite3_column_int64(st, 1));
			}
			sqlite3_finalize(st);
		}
	}
	kore_buf_appendf(&b, "}");
	adm_members(&b, overview_members, sizeof(overview_members) /
	    sizeof(overview_members[0]));
	kore_buf_appendf(&b, ",\"alerts\":");
	alerts_json(&b, now);
	adm_json_close(req, 200, &b);
	return (KORE_RESULT_OK);
}

/* A movie's title and year for a slug, as JSON members (or nothing). */
static void
movie_title(struct kore_buf *b, sqlite3_stmt *st, const char *member,
    const char *slug)
{
	sqlite3_bind_text(st, 1, slug, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW &&
	    sqlite3_column_type(st, 0) != SQLITE_NULL) {
		kore_buf_appendf(b, ",\"%s\":", member);
		kbuf_str(b, (const char *)sqlite3_column_text(st, 0));
		if (sqlite3_column_type(st, 1) != SQLITE_NULL)
			kore_buf_appendf(b, ",\"%s_year\":%d", member,
			    sqlite3_column_int(st, 1));
	}
	sqlite3_reset(st);
}

static int
api_user(struct http_request *req, const struct auth_session *s)
{
	static struct reco_list	 list;
	struct kore_buf		 b;
	sqlite3_stmt		*st = NULL;
	const char		*id = req->path + strlen("/api/users/");
	const char		*algo = NULL;
	int64_t			 user, model_id = 0;
	size_t			 i;

	(void)s;
	if (parse_user(id, strlen(id), &user) == -1) {
		adm_error(req, 400, "a user id is a non-negative decimal "
		    "integer");
		return (KORE_RESULT_OK);
	}
	kore_buf_init(&b, 16384);
	kore_buf_appendf(&b, "{\"user\":%lld,\"rating_max\":%d,\"profile\":",
	    (long long)user, adm.ctx.cfg->rating_max);
	(void)adm_rows(&b, "SELECT first_ts, last_ts, watch_lines, ratings, "
	    "recos, account_ts FROM users WHERE id = ?1", &user, 1);
	kore_buf_appendf(&b, ",\"watches\":");
	(void)adm_rows(&b, "SELECT m.slug, m.title, m.year, m.runtime_min, "
	    "w.minutes, w.max_minute, w.first_ts, w.last_ts FROM watches w "
	    "JOIN movies m ON m.id = w.movie_id WHERE w.user_id = ?1 "
	    "ORDER BY w.last_ts DESC LIMIT 50", &user, 0);
	kore_buf_appendf(&b, ",\"ratings\":");
	(void)adm_rows(&b, "SELECT m.slug, m.title, m.year, r.rating, r.ts "
	    "FROM ratings r JOIN movies m ON m.id = r.movie_id "
	    "WHERE r.user_id = ?1 ORDER BY r.ts DESC LIMIT 50", &user, 0);
	kore_buf_appendf(&b, ",\"served\":");
	(void)adm_rows(&b, "SELECT id, ts, source, host, status, latency_ms, "
	    "model_version, arm, personal, followed_rank, "
	    "movie_slugs(movies) AS results, movie_titles(movies) AS titles "
	    "FROM reco_log_of_user WHERE user_id = ?1 AND id IN (SELECT "
	    "log_id FROM reco_log_user_ids WHERE user_id = ?1 ORDER BY log_id "
	    "DESC LIMIT " WHY_LISTS_MAX ") ORDER BY ts DESC, id DESC LIMIT 20",
	    &user, 0);
	/* What the current model gives now (not logged: a look, not a list). */
	kore_buf_appendf(&b, ",\"recommendations\":");
	if (adm.ctx.recommend(user, &list, &model_id, &algo) == -1) {
		kore_buf_append(&b, "null", 4);
	} else {
		kore_buf_appendf(&b, "{\"model\":");
		if (algo != NULL)
			kore_buf_appendf(&b, "{\"version\":%lld,\"algo\":\"%s\"}",
			    (long long)model_id, algo);
		else
			kore_buf_append(&b, "null", 4);
		kore_buf_appendf(&b, ",\"personal\":%zu,\"window_days\":%d,"
		    "\"items\":[", list.personal, adm.ctx.cfg->pop_window_days);
		if (sqlite3_prepare_v2(adm.db, "SELECT title, year FROM movies "
		    "WHERE slug = ?1", -1, &st, NULL) != SQLITE_OK)
			st = NULL;
		for (i = 0; i < list.n; i++) {
			kore_buf_appendf(&b, "%s{\"rank\":%zu,\"id\":",
			    i ? "," : "", i + 1);
			kbuf_str(&b, list.item[i].slug);
			if (st != NULL)
				movie_title(&b, st, "title", list.item[i].slug);
			kore_buf_appendf(&b, ",\"score\":%.4g,\"source\":\"%s\"",
			    isfinite(list.item[i].score) ?
			    (double)list.item[i].score : 0.0,
			    i < list.personal ? "model" : "popular");
			if (list.item[i].because != NULL) {
				kore_buf_appendf(&b, ",\"because\":");
				kbuf_str(&b, list.item[i].because);
				if (st != NULL)
					movie_title(&b, st, "because_title",
					    list.item[i].because);
			}
			kore_buf_append(&b, "}", 1);
		}
		sqlite3_finalize(st);
		kore_buf_append(&b, "]}", 2);
	}
	adm_json_close(req, 200, &b);
	return (KORE_RESULT_OK);
}

/*
 * The TCP senders connected to the ingest port now, from the kernel's
 * table (/proc/net/tcp and tcp6: local port, state 01 = established).
 */
static void
senders_json(struct kore_buf *b)
{
	static const char	*files[] = { "/proc/net/tcp", "/proc/net/tcp6" };
	FILE			*fp;
	char			 line[512], local[64], remote[64], addr[64];
	unsigned int		 lport, rport, state, w[4];
	uint8_t			 raw[16];
	size_t			 f, k;
	int			 n = 0, v6;

	kore_buf_append(b, "[", 1);
	for (f = 0; f < sizeof(files) / sizeof(files[0]); f++) {
		if ((fp = fopen(files[f], "r")) == NULL)
			continue;
		v6 = f == 1;
		while (fgets(line, sizeof(line), fp) != NULL) {
			if (sscanf(line, " %*u: %63[0-9A-Fa-f]:%x "
			    "%63[0-9A-Fa-f]:%x %x", local, &lport, remote,
			    &rport, &state) != 5 || state != 1 ||
			    lport != adm.ctx.cfg->ingest_port)
				continue;
			/* Words in host order, as the kernel prints them. */
			if (!v6 && sscanf(remote, "%8x", &w[0]) == 1) {
				memcpy(raw, &w[0], 4);
				inet_ntop(AF_INET, raw, addr, sizeof(addr));
			} else if (v6 && sscanf(remote, "%8x%8x%8x%8x", &w[0],
			    &w[1], &w[2], &w[3]) == 4) {
				for (k = 0; k < 4; k++)
					memcpy(raw + 4 * k, &w[k], 4);
				inet_ntop(AF_INET6, raw, addr, sizeof(addr));
			} else
				continue;
			kore_buf_appendf(b, "%s{\"addr\":", n++ ? "," : "");
			kbuf_str(b, addr);
			kore_buf_appendf(b, ",\"port\":%u}", rport);
			if (n >= ROWS_MAX)
				break;
		}
		fclose(fp);
	}
	kore_buf_append(b, "]", 1);
}

/* The Kafka input (null when none): its settings, state and partitions. */
static void
kafka_json(struct kore_buf *b)
{
	struct metrics_kafka	k;
	size_t			i;

	kore_buf_appendf(b, ",\"kafka\":");
	if (adm.ctx.cfg->kafka_brokers[0] == '\0' ||
	    metrics_kafka_get(&k) == -1) {
		kore_buf_appendf(b, "null");
		return;
	}
	kore_buf_appendf(b, "{\"brokers\":");
	kbuf_str(b, adm.ctx.cfg->kafka_brokers);
	kore_buf_appendf(b, ",\"topic\":");
	kbuf_str(b, adm.ctx.cfg->kafka_topic);
	kore_buf_appendf(b, ",\"group\":");
	kbuf_str(b, adm.ctx.cfg->kafka_group);
	kore_buf_appendf(b, ",\"fixed_partitions\":");
	kbuf_str(b, adm.ctx.cfg->kafka_partitions);
	kore_buf_appendf(b, ",\"served_topic\":");
	kbuf_str(b, adm.ctx.cfg->kafka_served_topic);
	kore_buf_appendf(b, ",\"replica\":%s,\"served_sent\":%llu,"
	    "\"served_failed\":%llu", adm.ctx.cfg->follow_dir[0] != '\0' ?
	    "true" : "false", (unsigned long long)k.served_sent,
	    (unsigned long long)k.served_failed);
	kore_buf_appendf(b, ",\"running\":%s,\"brokers_up\":%d,"
	    "\"partitions\":%llu,\"lag\":%lld,\"messages\":%llu,"
	    "\"accepted\":%llu,\"rejected\":%llu,\"skipped\":%llu,"
	    "\"errors\":%llu,\"rebalances\":%llu,\"commit_failed\":%llu,"
	    "\"parts\":[", k.configured ? "true" : "false", k.brokers_up,
	    (unsigned long long)k.partitions, (long long)k.lag,
	    (unsigned long long)k.messages, (unsigned long long)k.accepted,
	    (unsigned long long)k.rejected, (unsigned long long)k.skipped,
	    (unsigned long long)k.errors, (unsigned long long)k.rebalances,
	    (unsigned long long)k.commit_failed);
	for (i = 0; i < k.nparts; i++) {
		kore_buf_appendf(b, "%s{\"topic\":", i ? "," : "");
		kbuf_str(b, k.topic[k.part[i].topic & 1]);
		kore_buf_appendf(b, ",\"partition\":%lld,\"position\":%lld,"
		    "\"high\":%lld}", (long long)k.part[i].partition,
		    (long long)k.part[i].next, (long long)k.part[i].hi);
	}
	kore_buf_appendf(b, "]}");
}

static int
api_ingest(struct http_request *req, const struct auth_session *s)
{
	struct kore_buf	b;

	(void)s;
	kore_buf_init(&b, 16384);
	kore_buf_appendf(&b, "{\"now_ms\":%lld,\"listen\":",
	    (long long)clock_now_ms());
	{
		char	l[CFG_HOST_MAX + 16];

		snprintf(l, sizeof(l), "%s:%u", adm.ctx.cfg->ingest_host,
		    adm.ctx.cfg->ingest_port);
		kbuf_str(&b, l);
	}
	kore_buf_appendf(&b, ",\"token_required\":%s,\"batch_ms\":%d,"
	    "\"batch_events\":%d",
	    adm.ctx.cfg->ingest_token[0] ? "true" : "false",
	    adm.ctx.cfg->batch_ms,
	    adm.ctx.cfg->batch_events);
	adm_members(&b, ingest_members, sizeof(ingest_members) /
	    sizeof(ingest_members[0]));
	kore_buf_appendf(&b, ",\"rating_max\":%d", adm.ctx.cfg->rating_max);
	kore_buf_appendf(&b, ",\"senders\":");
	senders_json(&b);
	kafka_json(&b);
	adm_json_close(req, 200, &b);
	return (KORE_RESULT_OK);
}

/* The shared history (metrics.h): [t_ms, requests, lines, rejected]... */
static int
api_history(struct http_request *req, const struct auth_session *s)
{
	static struct metrics_sample	 h[METRICS_HISTORY];
	struct kore_buf			 b;
	size_t				 i, n;

	(void)s;
	n = metrics_history(h, METRICS_HISTORY);
	kore_buf_init(&b, 16 + n * 64);
	kore_buf_appendf(&b, "{\"now_ms\":%lld,\"interval_ms\":%d,"
	    "\"samples\":[", (long long)clock_now_ms(), METRICS_HISTORY_MS);
	for (i = 0; i < n; i++)
		kore_buf_appendf(&b, "%s[%lld,%llu,%llu,%llu]", i ? "," : "",
		    (long long)h[i].t_ms, (unsigned long long)h[i].requests,
		    (unsigned long long)h[i].lines,
		    (unsigned long long)h[i].rejected);
	kore_buf_appendf(&b, "]");
	adm_json_close(req, 200, &b);
	return (KORE_RESULT_OK);
}

static int
api_settings(struct http_request *req, const struct auth_session *s)
{
	struct setting_text	*cur = NULL, *base = NULL;
	const struct override_key *e;
	struct kore_buf		 b;
	sqlite3_stmt		*st = NULL;
	const char		*bv;
	int			 n, nbase, i, first = 1;

	(void)s;
	if ((n = settings_text(adm.ctx.cfg, &cur)) == -1 ||
	    (nbase = settings_text(overrides_base(adm.ctx.overrides) ?
	    overrides_base(adm.ctx.overrides) : adm.ctx.cfg,
	    &base)) == -1) {
		free(cur);
		adm_error(req, 500, "out of memory");
		return (KORE_RESULT_OK);
	}
	if (sqlite3_prepare_v2(adm.db, "SELECT changed_ms, changed_by FROM "
	    "settings WHERE key = ?1", -1, &st, NULL) != SQLITE_OK)
		st = NULL;
	kore_buf_init(&b, 8192);
	kore_buf_append(&b, "{\"settings\":[", 13);
	for (i = 0; i < n; i++) {
		if (strcmp(cur[i].key, "data_dir") == 0)
			continue;
		e = overrides_find(cur[i].key);
		kore_buf_appendf(&b, "%s{\"key\":", first ? "" : ",");
		first = 0;
		kbuf_str(&b, cur[i].key);
		kore_buf_appendf(&b, ",\"value\":");
		kbuf_str(&b, cur[i].value);
		bv = settings_text_value(base, nbase, cur[i].key);
		kore_buf_appendf(&b, ",\"configured\":");
		kbuf_str(&b, bv);
		kore_buf_appendf(&b, ",\"help\":");
		kbuf_str(&b, cur[i].help);
		kore_buf_appendf(&b, ",\"editable\":%s,\"live\":%s,"
		    "\"secret\":%s", e ? "true" : "false",
		    e && e->live ? "true" : "false",
		    e && e->secret ? "true" : "false");
		if (st != NULL) {
			sqlite3_bind_text(st, 1, cur[i].key, -1, SQLITE_STATIC);
			if (sqlite3_step(st) == SQLITE_ROW) {
				kore_buf_appendf(&b, ",\"changed_ms\":%lld,"
				    "\"changed_by\":", (long long)
				    sqlite3_column_int64(st, 0));
				kbuf_str(&b, (const char *)
				    sqlite3_column_text(st, 1));
			}
			sqlite3_reset(st);
		}
		kore_buf_append(&b, "}", 1);
	}
	kore_buf_append(&b, "]}\n", 3);
	sqlite3_finalize(st);
	free(cur);
	free(base);
	adm_json(req, 200, &b);
	return (KORE_RESULT_OK);
}

static int
api_settings_set(struct http_request *req, const struct auth_session *s)
{
	struct job	*j;
	struct cfg	*scratch;
	char		 body[BODY_MAX], err[256], reset[8];
	int		 rc;

	j = adm_job_new(req, s, adm_setting_work, adm_setting_done);
	if (adm_body(req, body, sizeof(body)) == -1 ||
	    adm_form(body, "key", j->key, sizeof(j->key)) == -1) {
		kore_free(j);
		adm_error(req, 400, "expected key=...&value=... (or reset=1)");
		return (KORE_RESULT_OK);
	}
	j->reset = adm_form(body, "reset", reset, sizeof(reset)) == 0 &&
	    strcmp(reset, "1") == 0;
	if (overrides_find(j->key) == NULL) {
		kore_free(j);
		adm_error(req, 400, "this setting cannot be changed from the "
		    "dashboard (configuration file or flags, then restart)");
		return (KORE_RESULT_OK);
	}
	if (!j->reset) {
		if (adm_form(body, "value", j->value, sizeof(j->value)) == -1) {
			kore_free(j);
			adm_error(req, 400, "missing value, or not text");
			return (KORE_RESULT_OK);
		}
		/* The start refuses an open ingest without a token. */
		if (strcmp(j->key, "ingest_token") == 0 && j->value[0] == '\0' &&
		    !cfg_is_loopback(adm.ctx.cfg->ingest_host)) {
			kore_free(j);
			adm_error(req, 400, "the ingest listens beyond "
			    "loopback: "
			    "it needs a token");
			return (KORE_RESULT_OK);
		}
		/* Validated exactly as the configuration file would be. */
		scratch = kore_malloc(sizeof(*scratch));
		*scratch = *adm.ctx.cfg;
		rc = cfg_set(scratch, j->key, j->value, err, sizeof(err));
		kore_free(scratch);
		if (rc == -1) {
			kore_free(j);
			adm_error(req, 400, err);
			return (KORE_RESULT_OK);
		}
	}
	return (adm_job_start(req, j));
}

static int
api_audit(struct http_request *req, const struct auth_session *s)
{
	struct kore_buf	b;

	(void)s;
	kore_buf_init(&b, 16384);
	kore_buf_appendf(&b, "{\"audit\":");
	/* The dashboard's actions, and the models' and experiments'. */
	(void)adm_rows(&b, "SELECT id, ts, who, action, detail, addr FROM "
	    "(SELECT id, ts, who, action, detail, addr FROM audit UNION ALL "
	    "SELECT NULL, ts, who, action, detail, NULL FROM lifecycle_log) "
	    "ORDER BY ts DESC LIMIT 200", NULL, 0);
	kore_buf_appendf(&b, ",\"accounts\":");
	(void)adm_rows(&b, "SELECT a.name, a.created_ms, a.pw_changed_ms, "
	    "a.last_login_ms, (SELECT COUNT(*) FROM sessions s WHERE "
	    "s.admin_id = a.id AND s.expires_ms > CAST(strftime('%s', 'now') "
	    "AS INTEGER) * 1000) AS sessions FROM admins a ORDER BY a.name",
	    NULL, 0);
	adm_json_close(req, 200, &b);
	return (KORE_RESULT_OK);
}

/* Prometheus text, as on the API listener, behind the login here. */
static int
page_metrics(struct http_request *req, const struct auth_session *s)
{
	char	*text;
	size_t	 len;

	(void)s;
	if (metrics_render(adm.ctx.store,
	    (int64_t)adm.ctx.cfg->click_window_s * 1000,
	    &text, &len) == -1) {
		adm_error(req, 500, "cannot render the metrics");
		return (KORE_RESULT_OK);
	}
	http_response_header(req, "cache-control", "no-store");
	adm_reply(req, 200, "text/plain; version=0.0.4; charset=utf-8", text,
	    len);
	free(text);
	return (KORE_RESULT_OK);
}

/* --- dispatch ------------------------------------------------------------ */

#define R_PUBLIC	0x01	/* no session needed */
#define R_CSRF		0x02	/* changes state: CSRF token required */
#define R_PREFIX	0x04	/* path is a prefix */
#define R_PAGE		0x08	/* a page: no session redirects to /login */

static const struct route {
	int		 method;
	const char	*path;
	int		 flags;
	handler_fn	 fn;
} routes[] = {
	{ HTTP_METHOD_GET, "/", R_PAGE, page_index },
	{ HTTP_METHOD_GET, "/index.html", R_PAGE, page_index },
	{ HTTP_METHOD_GET, "/login", R_PUBLIC, page_login },
	{ HTTP_METHOD_POST, "/login", R_PUBLIC, do_login },
	{ HTTP_METHOD_POST, "/logout", R_CSRF, do_logout },
	{ HTTP_METHOD_GET, "/metrics", 0, page_metrics },
	{ HTTP_METHOD_GET, "/api/session", 0, api_session },
	{ HTTP_METHOD_GET, "/api/overview", 0, api_overview },
	{ HTTP_METHOD_GET, "/api/models", 0, adm_models },
	{ HTTP_METHOD_POST, "/api/train", R_CSRF, adm_train },
	{ HTTP_METHOD_POST, "/api/models/use", R_CSRF, adm_model_action },
	{ HTTP_METHOD_POST, "/api/models/pin", R_CSRF, adm_model_action },
	{ HTTP_METHOD_POST, "/api/models/unpin", R_CSRF, adm_model_action },
	{ HTTP_METHOD_GET, "/api/experiments", 0, adm_experiments },
	{ HTTP_METHOD_POST, "/api/experiments", R_CSRF, adm_experiment_start },
	{ HTTP_METHOD_POST, "/api/experiments/stop", R_CSRF,
	    adm_experiment_stop },
	{ HTTP_METHOD_GET, "/api/withdrawn", 0, adm_withdrawn },
	{ HTTP_METHOD_POST, "/api/withdrawn/withdraw", R_CSRF, adm_withdraw },
	{ HTTP_METHOD_POST, "/api/withdrawn/restore", R_CSRF, adm_withdraw },
	{ HTTP_METHOD_GET, "/api/users/", R_PREFIX, api_user },
	{ HTTP_METHOD_GET, "/api/ingest", 0, api_ingest },
	{ HTTP_METHOD_GET, "/api/history", 0, api_history },
	{ HTTP_METHOD_GET, "/api/settings", 0, api_settings },
	{ HTTP_METHOD_POST, "/api/settings", R_CSRF, api_settings_set },
	{ HTTP_METHOD_GET, "/api/audit", 0, api_audit },
};
#define NROUTES	(sizeof(routes) / sizeof(routes[0]))

/* The route for the request; *allow gets the methods the path takes. */
static const struct route *
route_find(struct http_request *req, int *allow)
{
	const struct route	*r;
	size_t			 i;
	int			 method = req->method == HTTP_METHOD_HEAD ?
				    HTTP_METHOD_GET : req->method;

	*allow = 0;
	for (i = 0; i < NROUTES; i++) {
		r = &routes[i];
		if (r->flags & R_PREFIX ? strncmp(req->path, r->path,
		    strlen(r->path)) != 0 : strcmp(req->path, r->path) != 0)
			continue;
		*allow |= r->method;
		if (r->method == method)
			return (r);
	}
	return (NULL);
}

int
admin_dispatch(struct http_request *req)
{
	const struct route	*r;
	struct auth_session	 s;
	struct job		*j;
	const char		*csrf;
	int64_t			 now;
	int			 allow, rc;

	/* An action coming back from its task. */
	if ((j = req->hdlr_extra) != NULL) {
		if (kore_task_state(&j->task) != KORE_TASK_STATE_FINISHED) {
			http_request_sleep(req);
			return (KORE_RESULT_RETRY);
		}
		j->done(req, j);
		return (KORE_RESULT_OK);
	}
	if (adm.db == NULL) {
		adm_error(req, 503, "the admin dashboard is unavailable "
		    "(see the server log)");
		return (KORE_RESULT_OK);
	}
	if ((r = route_find(req, &allow)) == NULL) {
		if (allow != 0) {
			http_response_header(req, "allow", allow ==
			    HTTP_METHOD_POST ? "POST" : allow ==
			    HTTP_METHOD_GET ? "GET, HEAD" : "GET, HEAD, POST");
			adm_error(req, 405, "method not allowed");
			return (KORE_RESULT_OK);
		}
		/* The app's static files are public: no data in them. */
		if ((req->method == HTTP_METHOD_GET ||
		    req->method == HTTP_METHOD_HEAD) &&
		    strchr(req->path + 1, '/') == NULL &&
		    strcmp(req->path, "/index.html") != 0 &&
		    strcmp(req->path, "/login.html") != 0)
			return (serve_asset(req, req->path + 1));
		adm_error(req, 404, "not found");
		return (KORE_RESULT_OK);
	}
	if (req->method == HTTP_METHOD_POST && !adm_same_origin(req)) {
		adm_error(req, 403, "cross-origin request refused");
		return (KORE_RESULT_OK);
	}
	if (r->flags & R_PUBLIC)
		return (r->fn(req, NULL));

	now = clock_now_ms();
	rc = auth_session_check(adm.db, adm_cookie(req), now, &s);
	if (rc == -1) {
		adm_error(req, 503, "database busy, try again");
		return (KORE_RESULT_OK);
	}
	if (rc == 0) {
		if (r->flags & R_PAGE)
			adm_redirect(req, "/login");
		else
			adm_error(req, 401, "login required");
		return (KORE_RESULT_OK);
	}
	if ((r->flags & R_CSRF) &&
	    (!http_request_header(req, "x-csrf-token", &csrf) ||
	    !auth_csrf_check(adm.key, s.id, csrf))) {
		adm_error(req, 403, "missing or wrong CSRF token");
		return (KORE_RESULT_OK);
	}
	/* Best effort: busy now means a later request records it. */
	(void)auth_session_touch(adm.db, &s, now);
	if (now >= adm.purge_ms) {
		adm.purge_ms = now + 3600 * 1000;
		(void)auth_session_purge(adm.db, now);
	}
	return (r->fn(req, &s));
}
