/*
 * Unit tests for app/telemetry/metrics.c: the Prometheus exposition with
 * metrics off (the database figures only: ingest counters, the current
 * model, click-through of the last judged hour and of today, the file
 * size) and with the shared block (requests by route and status, the
 * latency histograms and their bucket edges, answers, ingest events and
 * gauges, request bodies per worker, the ingest's health).  Every output
 * is checked to parse (HELP and TYPE before the samples, names, labels,
 * values, cumulative buckets), and by `promtool check metrics` when it is
 * installed.
 */
#include <criterion/criterion.h>

#include "harness.h"
#include "scratch.h"

#include <sys/stat.h>

#include <ctype.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/clock.h"
#include "ingest/parse.h"
#include "store/store.h"
#include "store/writer.h"
#include "telemetry/metrics.h"

#define D0_MS	1583020800000LL		/* 2020-03-01T00:00:00Z */
#define HOUR_MS	3600000LL
#define DAY_MS	86400000LL

TestSuite(metrics, .init = h_scratch_setup, .fini = h_scratch_teardown,
    .timeout = 60);

static char	text[1 << 16];

/* ---- the format ------------------------------------------------------ */

/* [a-z_][a-z0-9_]* at p: its length, 0 if none. */
static size_t
name_len(const char *p)
{
	size_t	n = 0;

	if (!(islower((unsigned char)*p) || *p == '_'))
		return (0);
	while (islower((unsigned char)p[n]) || isdigit((unsigned char)p[n]) ||
	    p[n] == '_')
		n++;
	return (n);
}

static int
has_suffix(const char *s, size_t len, const char *fam, const char *suf)
{
	size_t	fl = strlen(fam);

	return (len == fl + strlen(suf) && strncmp(s, fam, fl) == 0 &&
	    strncmp(s + fl, suf, strlen(suf)) == 0);
}

/*
 * The text exposition format, strictly: every sample after its family's
 * HELP and TYPE, families once, names and labels well formed, values
 * numbers, no sample twice, histogram buckets cumulative up to _count.
 */
static void
check_exposition(const char *t)
{
	static char	 fams[128][96], seen[512][192];
	char		 line[1024], help[96] = "", cur[96] = "", type[16] = "";
	const char	*p = t, *nl, *q;
	char		*end;
	double		 v, bucket = -1;
	size_t		 nf = 0, ns = 0, i, n;

	cr_assert(*t == '\0' || t[strlen(t) - 1] == '\n', "no final newline");
	for (; (nl = strchr(p, '\n')) != NULL; p = nl + 1) {
		cr_assert_lt((size_t)(nl - p), sizeof(line));
		memcpy(line, p, (size_t)(nl - p));
		line[nl - p] = '\0';
		if (strncmp(line, "# HELP ", 7) == 0) {
			n = name_len(line + 7);
			cr_assert(n > 0 && line[7 + n] == ' ' && line[8 + n] !=
			    '\0', "HELP: %s", line);
			snprintf(help, sizeof(help), "%.*s", (int)n, line + 7);
			continue;
		}
		if (strncmp(line, "# TYPE ", 7) == 0) {
			n = name_len(line + 7);
			cr_assert(n > 0 && line[7 + n] == ' ', "TYPE: %s",
			    line);
			snprintf(cur, sizeof(cur), "%.*s", (int)n, line + 7);
			cr_assert_str_eq(cur, help, "TYPE without its HELP");
			snprintf(type, sizeof(type), "%s", line + 8 + n);
			cr_assert(strcmp(type, "counter") == 0 ||
			    strcmp(type, "gauge") == 0 ||
			    strcmp(type, "histogram") == 0, "%s", line);
			for (i = 0; i < nf; i++)
				cr_assert_str_neq(fams[i], cur, "twice: %s",
				    cur);
			cr_assert_lt(nf, 128);
			snprintf(fams[nf++], sizeof(fams[0]), "%s", cur);
			bucket = -1;
			continue;
		}
		cr_assert_neq(line[0], '#', "comment: %s", line);
		n = name_len(line);
		cr_assert_gt(n, 0, "sample name: %s", line);
		if (strcmp(type, "histogram") == 0)
			cr_assert(has_suffix(line, n, cur, "_bucket") ||
			    has_suffix(line, n, cur, "_sum") ||
			    has_suffix(line, n, cur, "_count"),
			    "not of %s: %s", cur, line);
		else
			cr_assert(n == strlen(cur) && strncmp(line, cur, n) ==
			    0, "no TYPE for: %s", line);
		q = line + n;
		if (*q == '{') {
			do {
				q++;
				cr_assert_gt(n = name_len(q), 0, "label: %s",
				    line);
				q += n;
				cr_assert(q[0] == '=' && q[1] == '"', "%s",
				    line);
				for (q += 2; *q != '"'; q++) {
					cr_assert_neq(*q, '\0', "%s", line);
					if (*q == '\\')
						q++;
				}
				q++;
			} while (*q == ',');
			cr_assert_eq(*q, '}', "labels: %s", line);
			q++;
		}
		cr_assert_eq(*q, ' ', "%s", line);
		for (i = 0; i < ns; i++)
			cr_assert(strncmp(seen[i], line, (size_t)(q - line)) !=
			    0 || seen[i][q - line] != '\0', "twice: %s", line);
		cr_assert_lt(ns, 512);
		snprintf(seen[ns++], sizeof(seen[0]), "%.*s", (int)(q - line),
		    line);
		v = strtod(q + 1, &end);
		cr_assert(end != q + 1 && *end == '\0' && isfinite(v),
		    "value: %s", line);
		if (strcmp(type, "counter") == 0 ||
		    strcmp(type, "histogram") == 0)
			cr_assert_geq(v, 0, "%s", line);
		if (has_suffix(line, strcspn(line, "{ "), cur, "_bucket")) {
			cr_assert_geq(v, bucket, "not cumulative: %s", line);
			bucket = v;
		} else if (has_suffix(line, strcspn(line, "{ "), cur,
		    "_count"))
			cr_assert_eq(v, bucket, "+Inf is not the count: %s",
			    line);
	}
	cr_assert_eq(*p, '\0');
}

/* Render through a read-only store of h_dir into text, checked. */
static const char *
render(int64_t click_window_ms)
{
	struct store	 s;
	char		*out = NULL;
	size_t		 len = 0;

	cr_assert_eq(store_open(&s, h_dir, STORE_RDONLY), 0);
	cr_assert_eq(metrics_render(&s, click_window_ms, &out, &len), 0);
	store_close(&s);
	cr_assert_not_null(out);
	cr_assert_eq(strlen(out), len);
	cr_assert_lt(len, sizeof(text));
	memcpy(text, out, len + 1);
	free(out);
	check_exposition(text);
	return (text);
}

/* The line of sample key ("name{labels}"), NULL if absent. */
static const char *
sample(const char *key)
{
	const char	*p = text;
	size_t		 n = strlen(key);

	for (; p != NULL && *p != '\0'; p = strchr(p, '\n'), p = p ? p + 1 :
	    NULL)
		if (strncmp(p, key, n) == 0 && p[n] == ' ')
			return (p);
	return (NULL);
}

/* Sample key's value text, as rendered ("0.250000"). */
static const char *
val(const char *key)
{
	static char	 buf[64];
	const char	*p;

	cr_assert_not_null(p = sample(key), "no sample %s in:\n%s", key, text);
	p += strlen(key) + 1;
	snprintf(buf, sizeof(buf), "%.*s", (int)strcspn(p, "\n"), p);
	return (buf);
}

static void
watch(int64_t ts, int64_t user, int movie)
{
	char	b[32];

	clock_format(ts, b, sizeof(b));
	cr_assert_eq(h_line("%s,%lld,GET /data/m/m%d+2000/0.mpg", b,
	    (long long)user, movie), PARSE_OK);
}

/* ---- metrics off: the database figures --------------------------------- */

Test(metrics, metrics_off_renders_the_database_figures_only)
{
	struct metrics_ingest_health	h;
	struct stat			sb;
	char				wal[300];
	long long			size = 0;
	int				i;

	h_writer_movies(0);
	h_writer_close();
	/* Without the shared block the live calls do nothing. */
	metrics_request(METRICS_RECOMMEND, 200, 10);
	metrics_recommend(1, 1, 1);
	metrics_commit(10, 1);
	metrics_ingest_event(METRICS_AUTH_FAILED);
	metrics_ingest_up(1, 1, 2);
	metrics_body(100, 1);
	metrics_sample_memory();
	cr_assert_eq(metrics_ingest_health(&h), -1);
	cr_assert_eq(metrics_body_total(), 0);

	render(300000);
	cr_assert_null(strstr(text, "cinerec_http_"));
	cr_assert_null(strstr(text, "cinerec_recommend_"));
	cr_assert_null(strstr(text, "cinerec_writer_"));
	cr_assert_null(strstr(text, "cinerec_model_"), "no current model");
	cr_assert_null(strstr(text, "cinerec_ingest_lines_total{"));
	cr_assert_not_null(strstr(text, "# TYPE cinerec_ingest_lines_total "
	    "counter\n"));
	for (i = 1; i < PARSE_NREASONS; i++) {
		char	key[96];

		snprintf(key, sizeof(key), "cinerec_ingest_rejected_total"
		    "{reason=\"%s\"}", parse_reason_name(i));
		cr_assert_str_eq(val(key), "0");
	}
	cr_assert_str_eq(val("cinerec_ctr_ratio{window=\"1h\"}"), "0.000000");
	cr_assert_str_eq(val("cinerec_ctr_ratio{window=\"today\"}"),
	    "0.000000");
	cr_assert_str_eq(val("cinerec_ctr_lists{window=\"today\"}"), "0");
	cr_assert_eq(stat(h_db, &sb), 0);
	size = sb.st_size;
	snprintf(wal, sizeof(wal), "%s-wal", h_db);
	if (stat(wal, &sb) == 0)
		size += sb.st_size;
	cr_assert_gt(size, 0);
	cr_assert_eq(atoll(val("cinerec_database_size_bytes")), size);
}

Test(metrics, ingest_totals_come_from_the_counters)
{
	h_writer_movies(1);
	watch(D0_MS, 1, 1);
	watch(D0_MS + 60000, 1, 1);
	watch(D0_MS, 2, 1);
	cr_assert_eq(h_line("2020-03-01T01:00:00,1,GET /rate/m1+2000=4"),
	    PARSE_OK);
	cr_assert_eq(h_line("2020-03-01T02:00:00,3,recommendation request "
	    "h:1, status 200, result: m1+2000, 5 ms"), PARSE_OK);
	cr_assert_eq(h_line("garbage"), PARSE_ERR_FIELDS);
	cr_assert_eq(h_line("2020-03-01T07:00:00,x,GET /rate/a=1"),
	    PARSE_ERR_USER);
	cr_assert_eq(h_line("2020-03-01T07:00:00,y,GET /rate/a=1"),
	    PARSE_ERR_USER);
	cr_assert_eq(h_line("2020-13-01T07:00:00,1,GET /rate/a=1"),
	    PARSE_ERR_TIME);
	h_writer_close();

	render(300000);
	cr_assert_not_null(strstr(text, "cinerec_ingest_lines_total"
	    "{kind=\"rate\"} 1\ncinerec_ingest_lines_total{kind=\"reco\"} 1\n"
	    "cinerec_ingest_lines_total{kind=\"watch\"} 3\n"), "%s", text);
	cr_assert_str_eq(val("cinerec_ingest_rejected_total"
	    "{reason=\"truncated\"}"), "1");
	cr_assert_str_eq(val("cinerec_ingest_rejected_total"
	    "{reason=\"bad_user\"}"), "2");
	cr_assert_str_eq(val("cinerec_ingest_rejected_total"
	    "{reason=\"bad_time\"}"), "1");
	cr_assert_str_eq(val("cinerec_ingest_rejected_total"
	    "{reason=\"no_memory\"}"), "0");
}

Test(metrics, data_quality_of_the_stream)
{
	int	i;

	h_writer_movies(1);
	for (i = 1; i <= 1000; i++)
		watch(D0_MS, i * 100, 1);
	h_commit();
	watch(D0_MS, 9000000, 1);	/* far beyond 100,000 */
	cr_assert_eq(h_line("2020-03-01T01:00,5,GET /create_account"),
	    PARSE_OK);
	cr_assert_eq(h_line("2020-03-01T01:00,100,GET /create_account"),
	    PARSE_OK);
	for (i = 0; i < 3; i++)
		cr_assert_eq(h_line("2020-03-01T01:00,5,GET /search/q=%d", i),
		    PARSE_ERR_REQUEST);
	cr_assert_eq(h_line("2020-03-01T01:00,5,login attempt"),
	    PARSE_ERR_REQUEST);
	h_writer_close();

	render(300000);
	cr_assert_str_eq(val("cinerec_users_outlier_total"), "1");
	cr_assert_str_eq(val("cinerec_accounts{state=\"all\"}"), "2");
	cr_assert_str_eq(val("cinerec_accounts{state=\"idle\"}"), "1",
	    "user 100 watched, user 5 did nothing yet");
	cr_assert_str_eq(val("cinerec_ingest_lines_total{kind=\"account\"}"),
	    "2");
	cr_assert_str_eq(val("cinerec_ingest_line_shapes"), "2");
	cr_assert_str_eq(val("cinerec_ingest_line_shape_lines_total"
	    "{shape=\"GET /search/\"}"), "3");
	cr_assert_str_eq(val("cinerec_ingest_line_shape_lines_total"
	    "{shape=\"login attempt\"}"), "1");
}

Test(metrics, the_current_model_renders_its_gauges)
{
	char	v[256];
	double	age;
	int64_t	now = clock_now_ms();

	h_writer_movies(0);
	snprintf(v, sizeof(v), "(1, 'pop', '{}', 'm1', 1, 1, 1, 1, 1, 0, 0, "
	    "'0.1', NULL, NULL, NULL, NULL, 0), (2, 'als', '{}', 'm2', %lld, "
	    "12.5, 10, 2, 3, 0, 0, '0.1', 0.21, 0.13, NULL, NULL, 1)",
	    (long long)(now - HOUR_MS));
	h_models(v);
	render(300000);
	cr_assert_str_eq(val("cinerec_model_version"), "2");
	cr_assert_str_eq(val("cinerec_model_training_seconds"), "12.500");
	cr_assert_str_eq(val("cinerec_model_offline_recall20"), "0.210000");
	cr_assert_str_eq(val("cinerec_model_offline_ndcg20"), "0.130000");
	age = atof(val("cinerec_model_age_seconds"));
	cr_assert(age >= 3600 && age < 3660, "age %f", age);
}

Test(metrics, a_model_without_offline_figures_renders_none)
{
	h_writer_movies(0);
	h_models("(4, 'pop', '{}', 'm4', 1583020800000, 0.5, 1, 1, 1, 0, 0, "
	    "'0.1', NULL, NULL, NULL, NULL, 1)");
	render(300000);
	cr_assert_str_eq(val("cinerec_model_version"), "4");
	cr_assert_str_eq(val("cinerec_model_training_seconds"), "0.500");
	cr_assert_null(strstr(text, "offline"));
}

/*
 * The 1h ratio is of the last full hour that ended a click window ago:
 * with the window reaching back to 2020, the hour 2020-03-01T10; today's
 * is of the lists from midnight (UTC) on, whatever their hour.
 */
Test(metrics, click_through_of_the_last_judged_hour_and_of_today)
{
	int64_t	now = clock_now_ms(), hh = D0_MS / HOUR_MS + 10, t, window;
	int64_t	later = now + 2 * HOUR_MS, yesterday;
	int	u;

	/* Never the last judged hour of a normal window, even at 00:01. */
	yesterday = now / DAY_MS * DAY_MS - 3 * HOUR_MS;
	h_writer_movies(2);
	for (u = 1; u <= 4; u++)		/* the hour: 1 of 4 */
		h_served(hh * HOUR_MS + u, u, 1, "-", 100, 1, "1,2");
	watch(hh * HOUR_MS + 60000, 1, 2);
	for (u = 5; u <= 6; u++) {		/* the hours either side */
		t = (hh + (u == 5 ? 1 : -1)) * HOUR_MS;
		h_served(t, u, 1, "-", 100, 1, "1");
		watch(t + 1000, u, 1);
	}
	for (u = 10; u <= 14; u++)		/* today: 2 of 5 */
		h_served(later + u, u, 1, "-", 100, 1, "2");
	watch(later + 60000, 10, 2);
	watch(later + 60000, 11, 2);
	h_served(yesterday, 20, 1, "-", 100, 1, "1");	/* not today's */
	watch(yesterday + 1000, 20, 1);
	h_writer_close();

	window = now - (hh + 1) * HOUR_MS - HOUR_MS / 2;
	render(window);
	cr_assert_str_eq(val("cinerec_ctr_ratio{window=\"1h\"}"), "0.250000");
	cr_assert_str_eq(val("cinerec_ctr_ratio{window=\"today\"}"),
	    "0.400000");
	cr_assert_str_eq(val("cinerec_ctr_lists{window=\"today\"}"), "5");
	/* A normal window: the last judged hour has no lists. */
	render(300000);
	cr_assert_str_eq(val("cinerec_ctr_ratio{window=\"1h\"}"), "0.000000");
}

/* ---- the shared block ------------------------------------------------ */

static const char	*edges[] = { "0.0001", "0.00025", "0.0005", "0.001",
			    "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1",
			    "0.25", "1", "+Inf" };

/* A histogram's buckets as "n n ... n" (13 of them, +Inf last). */
static const char *
buckets(const char *name)
{
	static char	out[256];
	char		key[128];
	size_t		i, len = 0;

	for (i = 0; i < sizeof(edges) / sizeof(edges[0]); i++) {
		snprintf(key, sizeof(key), "%s_bucket{le=\"%s\"}", name,
		    edges[i]);
		len += (size_t)snprintf(out + len, sizeof(out) - len, "%s%s",
		    i ? " " : "", val(key));
	}
	return (out);
}

Test(metrics, live_figures_sum_every_workers_slot)
{
	h_writer_movies(0);
	cr_assert_eq(metrics_init(), 0);
	metrics_bind(1);
	metrics_request(METRICS_RECOMMEND, 200, 50);
	metrics_request(METRICS_RECOMMEND, 200, 100);	/* on an edge */
	metrics_request(METRICS_RECOMMEND, 200, 101);
	metrics_request(METRICS_RECOMMEND, 200, 2000000);
	metrics_request(METRICS_RECOMMEND, 404, 10);	/* not timed */
	metrics_request(METRICS_HEALTH, 200, 10);
	metrics_request(METRICS_OTHER, 418, 10);
	metrics_recommend(1, 1, 0);
	metrics_recommend(0, 0, 1);
	metrics_bind(2);
	metrics_request(METRICS_RECOMMEND, 200, 300);
	metrics_request(METRICS_HEALTH, 200, 10);
	metrics_recommend(1, 2, 1);
	metrics_recommend(1, 7, 0);	/* out of range: counted, no path */
	metrics_sample_memory();
	metrics_commit(1500, 1);
	metrics_commit(99, 0);
	metrics_ingest_gauges(7, 2);
	metrics_ingest_event(METRICS_CONN_LIMIT);
	metrics_ingest_event(METRICS_CONN_LIMIT);
	metrics_ingest_event(METRICS_SERVED_REFUSED);
	metrics_ingest_event(METRICS_NINGEST_EVENTS);	/* out of range */
	metrics_body(100, 0);
	metrics_body(0, 1);
	metrics_ingest_up(1, 11, 22);

	render(300000);
	cr_assert_not_null(strstr(text, "cinerec_http_requests_total{route="
	    "\"recommend\",status=\"200\"} 5\ncinerec_http_requests_total"
	    "{route=\"recommend\",status=\"404\"} 1\n"
	    "cinerec_http_requests_total{route=\"health\",status=\"200\"} 2\n"
	    "cinerec_http_requests_total{route=\"other\",status=\"other\"} 1\n"
	    "# HELP"), "%s", text);
	cr_assert_str_eq(buckets("cinerec_recommend_duration_seconds"),
	    "2 3 4 4 4 4 4 4 4 4 4 4 5");
	cr_assert_str_eq(val("cinerec_recommend_duration_seconds_sum"),
	    "2.000551");
	cr_assert_str_eq(val("cinerec_recommend_duration_seconds_count"), "5");
	cr_assert_str_eq(val("cinerec_recommend_answers_total"), "4");
	cr_assert_str_eq(val("cinerec_recommend_personal_total"), "3");
	cr_assert_not_null(strstr(text, "cinerec_recommend_path_total{path="
	    "\"popular\"} 1\ncinerec_recommend_path_total{path=\"lists\"} 1\n"
	    "cinerec_recommend_path_total{path=\"foldin\"} 1\n"
	    "cinerec_recommend_path_total{path=\"fresh\"} 0\n"), "%s", text);
	cr_assert_str_eq(val("cinerec_recommend_log_dropped_total"), "2");
	cr_assert_str_eq(buckets("cinerec_writer_commit_duration_seconds"),
	    "0 0 0 0 1 1 1 1 1 1 1 1 1");
	cr_assert_str_eq(val("cinerec_writer_commit_duration_seconds_sum"),
	    "0.001500");
	cr_assert_str_eq(val("cinerec_writer_commit_failures_total"), "1");
	cr_assert_str_eq(val("cinerec_ingest_pending_lines"), "7");
	cr_assert_str_eq(val("cinerec_ingest_connections"), "2");
	cr_assert_str_eq(val("cinerec_ingest_refused_total"
	    "{reason=\"connection_limit\"}"), "2");
	cr_assert_str_eq(val("cinerec_ingest_refused_total"
	    "{reason=\"served_refused\"}"), "1");
	cr_assert_str_eq(val("cinerec_ingest_refused_total"
	    "{reason=\"auth_failed\"}"), "0");
	cr_assert_str_eq(val("cinerec_http_bodies_refused_total"), "1");
	cr_assert_str_eq(val("cinerec_http_body_bytes"), "100");
	cr_assert_str_eq(val("cinerec_ingest_up"), "1");
	cr_assert_str_eq(val("cinerec_process_resident_memory_bytes"
	    "{worker=\"1\"}"), "0", "never sampled");
	cr_assert_gt(atoll(val("cinerec_process_resident_memory_bytes"
	    "{worker=\"2\"}")), 0);
	cr_assert_null(sample("cinerec_process_resident_memory_bytes"
	    "{worker=\"3\"}"));
	/* The database figures follow. */
	cr_assert_not_null(sample("cinerec_database_size_bytes"));

	metrics_ingest_tick(1);			/* commits fail */
	render(300000);
	cr_assert_str_eq(val("cinerec_ingest_up"), "0");
	metrics_ingest_tick(0);
	render(300000);
	cr_assert_str_eq(val("cinerec_ingest_up"), "1");
	metrics_ingest_up(0, 0, 0);
	render(300000);
	cr_assert_str_eq(val("cinerec_ingest_up"), "0");
}

Test(metrics, ingest_health_reports_the_shared_state)
{
	struct metrics_ingest_health	h;

	cr_assert_eq(metrics_init(), 0);
	memset(&h, 0x55, sizeof(h));
	cr_assert_eq(metrics_ingest_health(&h), 0);
	cr_assert_eq(h.up, 0);
	cr_assert_eq(h.paused, 0);
	metrics_ingest_up(1, 11, 22);
	metrics_ingest_tick(1);
	cr_assert_eq(metrics_ingest_health(&h), 0);
	cr_assert_eq(h.up, 1);
	cr_assert_eq(h.paused, 1);
	cr_assert_eq(h.events_ino, 11);
	cr_assert_eq(h.control_ino, 22);
	cr_assert_geq(h.tick_age_ms, 0);
}

Test(metrics, body_bytes_of_a_restarted_worker_start_at_zero)
{
	cr_assert_eq(metrics_init(), 0);
	cr_assert_eq(metrics_body_total(), 0);
	metrics_bind(1);
	metrics_body(500, 0);
	metrics_bind(2);
	metrics_body(70, 0);
	metrics_body(-20, 0);
	cr_assert_eq(metrics_body_total(), 550);
	metrics_bind(1);			/* worker 1 restarted */
	cr_assert_eq(metrics_body_total(), 50);
	metrics_bind(-1);			/* out of range: ignored */
	metrics_bind(METRICS_WORKERS);
	cr_assert_eq(metrics_body_total(), 50);
	metrics_body(5, 0);			/* still worker 1's slot */
	cr_assert_eq(metrics_body_total(), 55);
}

Test(metrics, promtool_accepts_the_exposition)
{
	const char	*pre = getenv("LD_PRELOAD");
	char		 path[300], cmd[700], out[4096];
	FILE		*fp;
	size_t		 n;
	int		 rc;

	if (system("command -v promtool >/dev/null 2>&1") != 0)
		cr_skip_test("promtool is not installed");
	/* valgrind --trace-children would trace (and break) promtool. */
	if (pre != NULL && strstr(pre, "vgpreload") != NULL)
		cr_skip_test("promtool is not run under valgrind");
	h_writer_movies(1);
	watch(D0_MS, 1, 1);
	cr_assert_eq(h_line("garbage"), PARSE_ERR_FIELDS);
	cr_assert_eq(h_line("2020-03-01T01:00,5,GET /search/q=1"),
	    PARSE_ERR_REQUEST);
	cr_assert_eq(h_line("2020-03-01T01:00,5,GET /create_account"),
	    PARSE_OK);
	h_writer_close();
	h_models("(1, 'als', '{}', 'm1', 1583020800000, 1, 1, 1, 1, 0, 0, "
	    "'0.1', 0.2, 0.1, NULL, NULL, 1)");
	cr_assert_eq(metrics_init(), 0);
	metrics_bind(1);
	metrics_request(METRICS_RECOMMEND, 200, 700);
	metrics_request(METRICS_WHY, 400, 70);
	metrics_sample_memory();
	metrics_commit(2000, 1);
	render(300000);

	snprintf(path, sizeof(path), "%s/metrics.txt", h_dir);
	cr_assert_not_null(fp = fopen(path, "w"));
	cr_assert_eq(fputs(text, fp) >= 0, 1);
	cr_assert_eq(fclose(fp), 0);
	snprintf(cmd, sizeof(cmd), "promtool check metrics < %s > %s.out 2>&1",
	    path, path);
	rc = system(cmd);
	snprintf(cmd, sizeof(cmd), "%s.out", path);
	cr_assert_not_null(fp = fopen(cmd, "r"));
	n = fread(out, 1, sizeof(out) - 1, fp);
	out[n] = '\0';
	fclose(fp);
	cr_assert_eq(rc, 0, "promtool: %s", out);
	cr_assert_eq(n, 0, "promtool: %s", out);
}
