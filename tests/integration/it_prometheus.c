/*
 * A real Prometheus server (Debian's `prometheus`) on loopback scrapes a
 * real cinerec: the series arrive with sane values, the shipped alert rules
 * load, and every query of the shipped Grafana dashboard is valid PromQL.
 * Skipped, with a message, where the prometheus binary is absent.
 */
#include <sys/wait.h>

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "harness.h"

static pid_t		prom;

static void
setup(void)
{
	h_setup();
	prom = 0;
}

static void
teardown(void)
{
	int	status;

	if (prom > 0) {
		kill(prom, SIGTERM);
		waitpid(prom, &status, 0);
	}
	h_cleanup(&h_srv);
}

TestSuite(prometheus, .init = setup, .fini = teardown, .timeout = 150);

static void
urlencode(const char *in, char *out, size_t sz)
{
	static const char	*hex = "0123456789ABCDEF";
	size_t			 n = 0;
	unsigned char		 c;

	for (; *in != '\0' && n + 4 < sz; in++) {
		c = (unsigned char)*in;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || strchr("-_.~", c) != NULL)
			out[n++] = (char)c;
		else {
			out[n++] = '%';
			out[n++] = hex[c >> 4];
			out[n++] = hex[c & 15];
		}
	}
	out[n] = '\0';
}

static void
query(int port, const char *q, struct h_reply *r)
{
	char	enc[4096], path[4200];

	urlencode(q, enc, sizeof(enc));
	snprintf(path, sizeof(path), "/api/v1/query?query=%s", enc);
	h_http(port, "GET", path, NULL, NULL, 0, r);
}

/* The first sample's value of a vector answer, or -1. */
static double
value_of(const char *body)
{
	const char	*p = strstr(body, "\"value\":[");

	if (p == NULL || (p = strchr(p, ',')) == NULL || p[1] != '"')
		return (-1);
	return (strtod(p + 2, NULL));
}

Test(prometheus, scrapes_cinerec_rules_load_dashboard_queries_are_valid)
{
	struct h_reply	*r = malloc(sizeof(*r));
	char		 conf[512], cwd[512], tsdb[600], web[64], line[4096];
	char		 logp[600];
	const char	*exprs[64];
	FILE		*fp;
	int		 pport, i, n, fd;
	char		*dash = NULL, *p, *q;
	size_t		 len = 0;

	if (system("command -v prometheus >/dev/null") != 0)
		cr_skip_test("prometheus is not installed (make deps installs "
		    "it): nothing to scrape with");
	cr_assert_not_null(getcwd(cwd, sizeof(cwd)));
	h_start(&h_srv, NULL);
	for (i = 0; i < 7; i++)
		h_http(h_srv.http_port, "GET", "/recommend/3", NULL, NULL, 0, r);

	snprintf(conf, sizeof(conf), "%s/prometheus.yml", h_srv.dir);
	cr_assert_not_null(fp = fopen(conf, "w"));
	fprintf(fp, "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
	    "rule_files:\n  - %s/packaging/prometheus/cinerec-rules.yml\n"
	    "scrape_configs:\n  - job_name: cinerec\n    static_configs:\n"
	    "      - targets: ['127.0.0.1:%d']\n", cwd, h_srv.http_port);
	fclose(fp);
	pport = h_free_port();
	snprintf(tsdb, sizeof(tsdb), "--storage.tsdb.path=%s/tsdb", h_srv.dir);
	snprintf(web, sizeof(web), "--web.listen-address=127.0.0.1:%d", pport);
	snprintf(line, sizeof(line), "--config.file=%s", conf);
	snprintf(logp, sizeof(logp), "%s/prometheus.log", h_srv.dir);
	if ((prom = fork()) == 0) {
		fd = open(logp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		dup2(fd, 1);
		dup2(fd, 2);
		execlp("prometheus", "prometheus", line, tsdb, web,
		    (char *)NULL);
		_exit(127);
	}
	cr_assert(prom > 0);

	/* Up, scraped, and the figures we made are there. */
	for (i = 0; i < 200; i++) {
		usleep(100000);
		if ((fd = h_connect_try(pport)) == -1)
			continue;
		close(fd);
		query(pport, "cinerec_http_requests_total{route=\"recommend\","
		    "status=\"200\"}", r);
		if (r->status == 200 && value_of(r->body) >= 7)
			break;
	}
	cr_assert(i < 200, "no cinerec series in Prometheus: %s (log %s)",
	    r->body, logp);
	query(pport, "up{job=\"cinerec\"}", r);
	cr_assert_eq(value_of(r->body), 1.0, "%s", r->body);
	query(pport, "cinerec_recommend_duration_seconds_count", r);
	cr_assert(value_of(r->body) >= 7, "%s", r->body);
	query(pport, "cinerec_database_size_bytes", r);
	cr_assert(value_of(r->body) > 4096, "%s", r->body);
	query(pport, "sum(cinerec_process_resident_memory_bytes)", r);
	cr_assert(value_of(r->body) > 1e6, "%s", r->body);

	/* The alert rules are loaded and evaluate without errors. */
	for (i = 0; i < 50; i++) {
		h_http(pport, "GET", "/api/v1/rules", NULL, NULL, 0, r);
		if (strstr(r->body, "\"lastEvaluation\":\"20"))
			break;
		usleep(200000);
	}
	cr_assert(strstr(r->body, "CinerecSlowRecommend"), "%s", r->body);
	cr_assert(strstr(r->body, "CinerecClickThroughDropped"), "%s", r->body);
	cr_assert_null(strstr(r->body, "\"health\":\"err\""), "%s", r->body);

	/* Every query of the Grafana dashboard is valid PromQL. */
	cr_assert_not_null(fp = fopen("packaging/grafana/cinerec-dashboard.json",
	    "r"));
	cr_assert(getdelim(&dash, &len, '\0', fp) > 0);
	fclose(fp);
	n = 0;
	for (p = dash; (p = strstr(p, "\"expr\": \"")) != NULL && n < 64;
	    p = q) {
		p += 9;
		cr_assert_not_null(q = strchr(p, '"'));
		*q++ = '\0';
		exprs[n++] = p;
	}
	cr_assert(n >= 10, "only %d queries in the dashboard", n);
	for (i = 0; i < n; i++) {
		query(pport, exprs[i], r);
		cr_assert_eq(r->status, 200, "%s: %s", exprs[i], r->body);
		cr_assert(strstr(r->body, "\"status\":\"success\""), "%s: %s",
		    exprs[i], r->body);
	}
	free(dash);
	free(r);
}
