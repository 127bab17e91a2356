/*
 * Integration tests of learned recommendations: `cinerec train` beside a
 * running server, every worker switching to the new model, fold-in of a
 * fresh watch, a corrupt model file refused while serving goes on, and the
 * training the server runs itself.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <sqlite3.h>

#include "harness.h"

static char		out[1 << 16];

TestSuite(model, .init = h_setup_dir, .fini = h_teardown, .timeout = 180);

static void
demo(void)
{
	const char	*argv[] = { h_bin(), "demo", "--data-dir", h_srv.dir,
			    "--users", "400", "--movies", "150", NULL };

	cr_assert_eq(h_run(argv, NULL, out, sizeof(out)), 0, "%s", out);
}

static void
train(const char *algo)
{
	const char	*argv[] = { h_bin(), "train", "--data-dir", h_srv.dir,
			    "--model", algo, NULL };

	cr_assert_eq(h_run(argv, NULL, out, sizeof(out)), 0, "%s", out);
	cr_assert(strstr(out, "hold-out"), "%s", out);
}

/* GET /recommend/<user>?format=json into r. */
static void
reco_json(int user, struct h_reply *r)
{
	h_reco_json(h_srv.http_port, user, r);
	cr_assert(strstr(r->headers, "content-type: application/json"));
}

/* How often needle occurs in s. */
static int
count(const char *s, const char *needle)
{
	int	n = 0;

	while ((s = strstr(s, needle)) != NULL) {
		n++;
		s += strlen(needle);
	}
	return (n);
}

Test(model, train_beside_the_server_switches_every_worker)
{
	const char	*extra[] = { "--config", NULL, NULL };
	char		 conf[512];
	struct h_reply	 r;
	FILE		*fp;

	demo();
	/* No training of its own in this test: it must come from the CLI. */
	snprintf(conf, sizeof(conf), "%s.conf", h_srv.dir);
	cr_assert_not_null(fp = fopen(conf, "w"));
	fprintf(fp, "train_interval_min = 0\n");
	fclose(fp);
	extra[1] = conf;
	train("itemknn");
	h_start(&h_srv, extra);
	h_wait_version(h_srv.http_port, 1);
	reco_json(3, &r);
	cr_assert(h_json_int(r.body, "personal") > 0, "%s", r.body);
	cr_assert(strstr(r.body, "\"algo\":\"itemknn\""), "%s", r.body);
	cr_assert(strstr(r.body, "\"because\":\""), "kNN explains: %s",
	    r.body);
	cr_assert(strstr(r.body, "\"source\":\"model\""), "%s", r.body);

	train("als");
	h_wait_version(h_srv.http_port, 2);
	reco_json(3, &r);
	cr_assert(strstr(r.body, "\"algo\":\"als\""), "%s", r.body);
	/* ALS explains each of its movies too: a movie of the history. */
	cr_assert_gt(count(r.body, "\"source\":\"model\""), 0, "%s", r.body);
	cr_assert_eq(count(r.body, "\"because\":\""),
	    count(r.body, "\"source\":\"model\""), "every model movie "
	    "explained: %s", r.body);
	unlink(conf);
}

Test(model, a_new_watch_changes_the_list_at_once)
{
	struct h_reply	 r;
	char		 before[1 << 16], line[512], first[256], *p, *q;
	int		 fd;

	demo();
	train("itemknn");
	h_start(&h_srv, NULL);
	h_wait_version(h_srv.http_port, 1);
	reco_json(7, &r);
	snprintf(before, sizeof(before), "%s", r.body);
	/* The first recommended movie: user 7 now watches it. */
	cr_assert_not_null(p = strstr(before, "\"id\":\""));
	p += 6;
	cr_assert_not_null(q = strchr(p, '"'));
	snprintf(first, sizeof(first), "%.*s", (int)(q - p), p);
	fd = h_connect(h_srv.ingest_port);
	snprintf(line, sizeof(line),
	    "2026-01-01T00:00:00,7,GET /data/m/%s/0.mpg\n", first);
	cr_assert_eq(h_send_sync(fd, line), 1);
	close(fd);
	/* Snapshots renew every second. */
	sleep(2);
	reco_json(7, &r);
	cr_assert_str_neq(r.body, before, "the list did not change");
	snprintf(line, sizeof(line), "\"id\":\"%s\"", first);
	cr_assert_null(strstr(r.body, line), "%s is recommended although "
	    "watched: %s", first, r.body);
}

/* A path counter of /metrics (cinerec_recommend_path_total). */
static long long
path_count(const char *path)
{
	struct h_reply	 r;
	char		 want[96];
	const char	*p;

	h_http(h_srv.http_port, "GET", "/metrics", NULL, NULL, 0, &r);
	snprintf(want, sizeof(want), "cinerec_recommend_path_total{path="
	    "\"%s\"} ", path);
	cr_assert_not_null(p = strstr(r.body, want), "%s", r.body);
	return (atoll(p + strlen(want)));
}

/*
 * The live path: right after a user's watch is committed (SYNC), their
 * next list comes from the list made at the commit, not folded in at the
 * request, and it is the list fold-in gives (a server with fresh_lists 0,
 * on the same data, answers the same).
 */
Test(model, a_list_right_after_a_watch_is_made_at_the_commit)
{
	const char	*extra[] = { "--config", NULL, NULL };
	struct h_reply	 r;
	char		 fresh[3][2048], line[512], first[256], path[64];
	long long	 before;
	int		 fd, u;

	demo();
	train("als");
	extra[1] = h_config(&h_srv, "train_interval_min = 0\n");
	h_start(&h_srv, extra);
	h_wait_version(h_srv.http_port, 1);
	for (u = 0; u < 3; u++) {
		snprintf(path, sizeof(path), "/recommend/%d", 11 + u);
		h_http(h_srv.http_port, "GET", path, NULL, NULL, 0, &r);
		cr_assert_eq(r.status, 200);
		snprintf(first, sizeof(first), "%.*s", (int)strcspn(r.body,
		    ",\n"), r.body);
		fd = h_connect(h_srv.ingest_port);
		snprintf(line, sizeof(line), "2026-01-01T00:00:00,%d,GET "
		    "/data/m/%s/0.mpg\n", 11 + u, first);
		cr_assert_eq(h_send_sync(fd, line), 1);
		close(fd);
		/* At once: no snapshot renewal awaited. */
		before = path_count("fresh");
		h_http(h_srv.http_port, "GET", path, NULL, NULL, 0, &r);
		cr_assert_eq(r.status, 200);
		cr_assert_eq(path_count("fresh"), before + 1, "not the fresh "
		    "list: %s", r.body);
		snprintf(line, sizeof(line), "%s,", first);
		cr_assert(strncmp(r.body, line, strlen(line)) != 0 &&
		    strstr(r.body, line) == NULL, "%s is listed although "
		    "watched: %s", first, r.body);
		snprintf(fresh[u], sizeof(fresh[u]), "%.2000s", r.body);
	}
	cr_assert_eq(h_stop(&h_srv), 0);
	extra[1] = h_config(&h_srv, "train_interval_min = 0\nfresh_lists = 0\n");
	h_start(&h_srv, extra);
	h_wait_version(h_srv.http_port, 1);
	for (u = 0; u < 3; u++) {
		snprintf(path, sizeof(path), "/recommend/%d", 11 + u);
		h_http(h_srv.http_port, "GET", path, NULL, NULL, 0, &r);
		cr_assert_str_eq(r.body, fresh[u], "user %d: fold-in gives "
		    "another list", 11 + u);
	}
	cr_assert_eq(path_count("fresh"), 0);
	cr_assert_geq(path_count("foldin"), 3);
}

Test(model, a_corrupt_model_file_is_refused_and_serving_goes_on)
{
	struct h_reply	 r;
	sqlite3		*db;
	char		 path[600];
	FILE		*fp;
	int		 i;

	demo();
	train("itemknn");
	h_start(&h_srv, NULL);
	h_wait_version(h_srv.http_port, 1);
	/* A version 2 whose file is garbage, made current behind its back. */
	snprintf(path, sizeof(path), "%s/models/model-000002.cnrm", h_srv.dir);
	cr_assert_not_null(fp = fopen(path, "w"));
	fprintf(fp, "not a model at all\n");
	fclose(fp);
	snprintf(path, sizeof(path), "%s/cinerec.db", h_srv.dir);
	cr_assert(sqlite3_open(path, &db) == SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	cr_assert(sqlite3_exec(db, "UPDATE models SET current = 0; "
	    "INSERT INTO models (id, algo, params, file, created_ms, "
	    "train_seconds, interactions, users, items, binary_version, "
	    "current) VALUES (2, 'als', '{}', 'model-000002.cnrm', 0, 0, 0, 0, "
	    "0, 'test', 1)", NULL, NULL, NULL) == SQLITE_OK);
	sqlite3_close(db);
	for (i = 0; i < 20; i++) {
		reco_json(3, &r);
		cr_assert_eq(h_json_int(r.body, "version"), 1, "%s", r.body);
		usleep(100000);
	}
	snprintf(path, sizeof(path), "%s.log", h_srv.dir);
	cr_assert_not_null(fp = fopen(path, "r"));
	i = (int)fread(out, 1, sizeof(out) - 1, fp);
	out[i] = '\0';
	fclose(fp);
	cr_assert(strstr(out, "model 2 not loaded (not a cinerec model file"),
	    "%s", out);
}

Test(model, the_server_trains_its_first_model_itself)
{
	struct h_reply	r;

	demo();
	h_start(&h_srv, NULL);
	h_wait_version(h_srv.http_port, 1);
	reco_json(3, &r);
	cr_assert(strstr(r.body, "\"algo\":\"als\""), "%s", r.body);
}

/* GET path: the status must be want; the body in r. */
static void
get(const char *path, int want, struct h_reply *r)
{
	h_http(h_srv.http_port, "GET", path, NULL, NULL, 0, r);
	cr_assert_eq(r->status, want, "%s: %d %s", path, r->status, r->body);
}

/*
 * The lists that need no user: /similar/<movie> (the model's list for a
 * history of that movie alone), /popular (the ranking lists are filled up
 * from: 7 days of activity, then all time) and /trending (the last 2 days
 * of activity only), as text and as JSON, kept fresh as events come.
 */
Test(model, similar_popular_and_trending_lists)
{
	const char	*extra[] = { "--config", NULL, NULL };
	struct h_reply	 r;
	char		 lines[4096], conf[512];
	size_t		 n = 0;
	int		 u, fd;
	FILE		*fp;

	/* e long ago; a and b together, 5 days before c and d together. */
	n += (size_t)snprintf(lines + n, sizeof(lines) - n, "2026-11-01T10:00:00,"
	    "50,GET /data/m/old+e+1950/0.mpg\n");
	for (u = 1; u <= 6; u++)
		n += (size_t)snprintf(lines + n, sizeof(lines) - n,
		    "2026-11-15T10:00:%02d,%d,GET /data/m/The+A+1990/0.mpg\n"
		    "2026-11-15T11:00:%02d,%d,GET /data/m/the+b+1991/0.mpg\n",
		    u, u, u, u);
	for (u = 7; u <= 9; u++)
		n += (size_t)snprintf(lines + n, sizeof(lines) - n,
		    "2026-11-20T10:00:%02d,%d,GET /data/m/the+c+1992/0.mpg\n"
		    "2026-11-20T11:00:%02d,%d,GET /data/m/the+d+1993/0.mpg\n",
		    u, u, u, u);
	/* The model comes from the CLI, after the events. */
	snprintf(conf, sizeof(conf), "%s.conf", h_srv.dir);
	cr_assert_not_null(fp = fopen(conf, "w"));
	fprintf(fp, "train_interval_min = 0\ntrain_at_start = 0\n");
	fclose(fp);
	extra[1] = conf;
	h_start(&h_srv, extra);
	fd = h_connect(h_srv.ingest_port);
	cr_assert_eq(h_send_sync(fd, lines), 19);
	close(fd);
	cr_assert_eq(h_stop(&h_srv), 0);
	train("itemknn");
	h_start(&h_srv, extra);
	h_wait_version(h_srv.http_port, 1);

	get("/similar/The+A+1990", 200, &r);
	cr_assert_str_eq(r.body, "the+b+1991\n", "its one neighbour");
	get("/similar/The+A+1990?format=json", 200, &r);
	cr_assert(strstr(r.body, "{\"movie\":\"The+A+1990\",\"model\":"
	    "{\"version\":1,\"algo\":\"itemknn\"},\"items\":[{\"id\":"
	    "\"the+b+1991\",\"score\":") == r.body, "%s", r.body);
	get("/similar/the+a+1990", 404, &r);	/* spelled otherwise */
	get("/similar/", 400, &r);
	h_http(h_srv.http_port, "POST", "/similar/the+b+1991", NULL, "x", 1,
	    &r);
	cr_assert_eq(r.status, 405);

	get("/popular", 200, &r);
	cr_assert_str_eq(r.body, "The+A+1990,the+b+1991,the+c+1992,the+d+1993,"
	    "old+e+1950\n");
	get("/popular?format=json", 200, &r);
	cr_assert(strstr(r.body, "{\"window_days\":7,\"items\":[{\"id\":"
	    "\"The+A+1990\",\"score\":6},") == r.body, "%s", r.body);
	get("/trending", 200, &r);
	cr_assert_str_eq(r.body, "the+c+1992,the+d+1993\n");

	/* A watch of e today: trending within a refresh (5 s). */
	fd = h_connect(h_srv.ingest_port);
	cr_assert_eq(h_send_sync(fd, "2026-11-20T12:00:00,60,GET /data/m/"
	    "old+e+1950/0.mpg\n"), 1);
	close(fd);
	for (u = 0; u < 100; u++) {
		get("/trending", 200, &r);
		if (strcmp(r.body, "the+c+1992,the+d+1993,old+e+1950\n") == 0)
			break;
		usleep(100000);
	}
	cr_assert_str_eq(r.body, "the+c+1992,the+d+1993,old+e+1950\n");
	get("/metrics", 200, &r);
	cr_assert(strstr(r.body, "cinerec_http_requests_total{route="
	    "\"similar\",status=\"404\"} 1"), "%s", r.body);
	unlink(conf);
}
