/*
 * Integration tests of the telemetry: scripted scenarios over the ingest
 * socket (lists, then watches inside and outside the click window, other
 * users, other days) with exact click-through figures per day and per
 * model; the served lists' log and provenance; /metrics in the Prometheus
 * format, checked by promtool when it is installed.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "harness.h"
#include "util/clock.h"

static char		out[1 << 16];

TestSuite(telemetry, .init = h_setup_dir, .fini = h_teardown, .timeout = 120);

/* "YYYY-MM-DDTHH:MM:SS.mmm" of ms since the epoch. */
static void
stamp(int64_t ms, char *buf, size_t sz)
{
	time_t		s = (time_t)(ms / 1000);
	struct tm	tm;
	char		tmp[32];

	gmtime_r(&s, &tm);
	strftime(tmp, sizeof(tmp), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, sz, "%s.%03d", tmp, (int)(ms % 1000));
}

/* Append a line to buf at offset *n. */
static void
add(char *buf, size_t *n, size_t sz, const char *fmt, int64_t ms, int user,
    const char *rest)
{
	char	when[40];

	stamp(ms, when, sizeof(when));
	*n += (size_t)snprintf(buf + *n, sz - *n, fmt, when, user, rest);
}

static void
send_all(const char *buf, size_t n, long want)
{
	int	fd = h_connect(h_srv.ingest_port);

	h_send(fd, buf, n);
	cr_assert_eq(h_sync(fd), want);
	close(fd);
}

Test(telemetry, click_through_per_day_with_the_window_and_other_users)
{
	struct h_reply	 r;
	char		 buf[8192], path[64], expect[512], when[40];
	size_t		 n = 0;
	int64_t		 today = clock_now_ms() / 86400000 * 86400000;
	int64_t		 a = today - 2 * 86400000 + 36000000;	/* day A 10:00 */
	int64_t		 b = today - 86400000 + 36000000;	/* day B 10:00 */
	const char	*L = "%s,%d,recommendation request 10.1.2.3:8082, "
			    "status 200, result: %s, 17 ms\n";
	const char	*W = "%s,%d,GET /data/m/%s.mpg\n";

	h_start(&h_srv, NULL);
	/* Day A: u1 follows at rank 2; u2 too late; u4 is not u3. */
	add(buf, &n, sizeof(buf), L, a, 1, "m+1, m+2, m+3");
	add(buf, &n, sizeof(buf), L, a, 2, "m+1, m+2, m+3");
	add(buf, &n, sizeof(buf), L, a, 3, "m+1");
	add(buf, &n, sizeof(buf), W, a + 60000, 1, "m+2/0");
	add(buf, &n, sizeof(buf), W, a + 120000, 1, "m+2/1");
	add(buf, &n, sizeof(buf), W, a + 400000, 2, "m+3/0");
	add(buf, &n, sizeof(buf), W, a + 10000, 4, "m+1/0");
	/* Day B: u5 follows at rank 2 at the window's edge; u6 before. */
	add(buf, &n, sizeof(buf), L, b, 5, "m+4, m+5");
	add(buf, &n, sizeof(buf), L, b, 6, "m+4");
	add(buf, &n, sizeof(buf), W, b + 299000, 5, "m+5/0");
	add(buf, &n, sizeof(buf), W, b - 10000, 6, "m+4/0");
	send_all(buf, n, 11);

	snprintf(path, sizeof(path), "/ctr?days=3");
	h_http(h_srv.http_port, "GET", path, NULL, NULL, 0, &r);
	cr_assert_eq(r.status, 200, "%s", r.body);
	clock_format(a, when, sizeof(when));
	snprintf(expect, sizeof(expect), "{\"day\":%lld,\"date\":\"%.10s\","
	    "\"source\":\"external\",\"model_version\":0,\"arm\":\"\","
	    "\"lists\":3,\"followed\":1,\"ctr\":0.333333,\"mean_rank\":2.000,"
	    "\"minutes_24h\":3,", (long long)(a / 86400000), when);
	cr_assert(strstr(r.body, expect), "no %s in %s", expect, r.body);
	clock_format(b, when, sizeof(when));
	snprintf(expect, sizeof(expect), "{\"day\":%lld,\"date\":\"%.10s\","
	    "\"source\":\"external\",\"model_version\":0,\"arm\":\"\","
	    "\"lists\":2,\"followed\":1,\"ctr\":0.500000,\"mean_rank\":2.000,"
	    "\"minutes_24h\":1,", (long long)(b / 86400000), when);
	cr_assert(strstr(r.body, expect), "no %s in %s", expect, r.body);

	/* The same figures after a restart (they are in the database). */
	cr_assert_eq(h_stop(&h_srv), 0);
	h_start(&h_srv, NULL);
	h_http(h_srv.http_port, "GET", path, NULL, NULL, 0, &r);
	cr_assert(strstr(r.body, expect), "after a restart: %s", r.body);
	/* u1's list remembers its followed rank for `why`. */
	h_http(h_srv.http_port, "GET", "/why/1", NULL, NULL, 0, &r);
	cr_assert(strstr(r.body, "\"followed_rank\":2"), "%s", r.body);
	cr_assert(strstr(r.body, "\"source\":\"external\""), "%s", r.body);
}

/* The first id of a text answer into id. */
static void
first_id(const char *body, char *id, size_t sz)
{
	size_t	n = strcspn(body, ",\n");

	cr_assert(n > 0 && n < sz, "no id in '%s'", body);
	memcpy(id, body, n);
	id[n] = '\0';
}

Test(telemetry, served_lists_are_logged_with_their_model_and_followed)
{
	const char	*demo[] = { h_bin(), "demo", "--data-dir", h_srv.dir,
			    "--users", "300", "--movies", "120", NULL };
	const char	*train[] = { h_bin(), "train", "--data-dir", h_srv.dir,
			    "--model", "itemknn", NULL };
	const char	*why[] = { h_bin(), "why", "--json", "--data-dir",
			    h_srv.dir, "11", NULL };
	struct h_reply	 r;
	char		 line[512], id[256], when[40], expect[256];
	int		 i, streak;

	cr_assert_eq(h_run(demo, NULL, out, sizeof(out)), 0, "%s", out);
	cr_assert_eq(h_run(train, NULL, out, sizeof(out)), 0, "%s", out);
	h_start(&h_srv, NULL);
	/* User 11 gets a list from model 1 and starts its first movie. */
	h_http(h_srv.http_port, "GET", "/recommend/11", NULL, NULL, 0, &r);
	cr_assert_eq(r.status, 200);
	first_id(r.body, id, sizeof(id));
	usleep(300000);	/* the SERVED line reaches the writer */
	stamp(clock_now_ms() + 2000, when, sizeof(when));
	snprintf(line, sizeof(line), "%s,11,GET /data/m/%s/0.mpg\n", when, id);
	send_all(line, strlen(line), 1);
	/* User 12 gets one from model 2 and ignores it. */
	cr_assert_eq(h_run(train, NULL, out, sizeof(out)), 0, "%s", out);
	/*
	 * Until both workers serve model 2 (8 answers in a row), asking for
	 * a user with no history: popularity lists, logged under no model.
	 */
	for (i = 0, streak = 0; i < 100 && streak < 8; i++) {
		h_http(h_srv.http_port, "GET", "/recommend/999999?format=json",
		    NULL, NULL, 0, &r);
		if (h_json_int(r.body, "version") == 2)
			streak++;
		else {
			streak = 0;
			usleep(100000);
		}
	}
	cr_assert_eq(streak, 8, "model 2 not served: %s", r.body);
	h_http(h_srv.http_port, "GET", "/recommend/12", NULL, NULL, 0, &r);
	usleep(300000);
	send_all("SYNC\n", 0, 0);

	h_http(h_srv.http_port, "GET", "/ctr", NULL, NULL, 0, &r);
	snprintf(expect, sizeof(expect), "\"source\":\"served\","
	    "\"model_version\":1,\"arm\":\"\",\"lists\":1,\"followed\":1,"
	    "\"ctr\":1.000000,\"mean_rank\":1.000");
	cr_assert(strstr(r.body, expect), "no %s in %s", expect, r.body);
	cr_assert(strstr(r.body, "\"model_version\":2,\"arm\":\"\",\"lists\":1,"
	    "\"followed\":0,"), "%s", r.body);
	cr_assert(strstr(r.body, "\"served\":[{\"day\":"), "%s", r.body);

	/* `why` tells which model, and what that model was trained on. */
	cr_assert_eq(h_run(why, NULL, out, sizeof(out)), 0, "%s", out);
	cr_assert(strstr(out, "\"source\":\"served\",\"model_version\":1"),
	    "%s", out);
	cr_assert(strstr(out, "\"followed_rank\":1"), "%s", out);
	cr_assert(strstr(out, "\"algo\":\"itemknn\",\"params\":{\"k\":"),
	    "%s", out);
	cr_assert(strstr(out, "\"data\":{\"interactions\":"), "%s", out);
	/* And the list of now, with its reasons, on the CLI and the route. */
	cr_assert(strstr(out, "\"now\":{\"model_version\":2,\"items\":[{"
	    "\"id\":"), "%s", out);
	cr_assert(strstr(strstr(out, "\"now\":"), "\"source\":\"model\","
	    "\"because\":\""), "%s", out);
	h_http(h_srv.http_port, "GET", "/why/11", NULL, NULL, 0, &r);
	cr_assert(strstr(r.body, "\"now\":{\"model_version\":2,\"items\":[{"
	    "\"id\":"), "%s", r.body);
	cr_assert(strstr(strstr(r.body, "\"now\":"), "\"because\":\""), "%s",
	    r.body);
	h_http(h_srv.http_port, "GET", "/why/11?at=2100-01-01T00:00:00", NULL,
	    NULL, 0, &r);
	cr_assert_eq(r.status, 200);
	cr_assert_null(strstr(r.body, "\"now\""), "at a time: %s", r.body);
}

Test(telemetry, metrics_pass_promtool_and_count_requests)
{
	struct h_reply	 r;
	char		 cmd[600], path[300];
	FILE		*fp;
	int		 i, rc;

	h_start(&h_srv, NULL);
	for (i = 0; i < 5; i++)
		h_http(h_srv.http_port, "GET", "/recommend/1", NULL, NULL, 0, &r);
	h_http(h_srv.http_port, "GET", "/recommend/x", NULL, NULL, 0, &r);
	h_http(h_srv.http_port, "GET", "/metrics", NULL, NULL, 0, &r);
	cr_assert_eq(r.status, 200);
	cr_assert(strstr(r.headers, "content-type: text/plain; version=0.0.4"));
	cr_assert(strstr(r.body, "cinerec_http_requests_total{route=\"recommend\","
	    "status=\"200\"} 5\n"), "%s", r.body);
	cr_assert(strstr(r.body, "cinerec_http_requests_total{route=\"recommend\","
	    "status=\"400\"} 1\n"), "%s", r.body);
	cr_assert(strstr(r.body, "cinerec_recommend_duration_seconds_count 5\n"),
	    "%s", r.body);
	cr_assert(strstr(r.body, "cinerec_ingest_rejected_total{reason=\"binary\"} "
	    "0\n"), "%s", r.body);
	if (system("command -v promtool >/dev/null") != 0) {
		cr_log_warn("promtool absent: format not checked");
		return;
	}
	snprintf(path, sizeof(path), "%s/metrics.txt", h_srv.dir);
	cr_assert_not_null(fp = fopen(path, "w"));
	fwrite(r.body, 1, r.len, fp);
	fclose(fp);
	snprintf(cmd, sizeof(cmd), "promtool check metrics < %s 2>&1", path);
	rc = system(cmd);
	cr_assert_eq(rc, 0, "promtool check metrics failed");
}
