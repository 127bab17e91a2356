/*
 * Integration tests of `cinerec simulate` with the real binary: its help,
 * the same seed giving the same stream byte for byte, a clean stream
 * imported without a rejection and a dirty one with exactly the rejections
 * it announced, and a tiny world end to end (seconds): the same live
 * sessions against a server that serves popularity and against one with a
 * learned model, whose lists must be followed more often.
 */
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "harness.h"

static char	out[1 << 16];
static char	dir[256];

static void
setup(void)
{
	h_setup_dir();
	snprintf(dir, sizeof(dir), "%s", h_srv.dir);
}

TestSuite(simulate, .init = setup, .fini = h_teardown, .timeout = 300);

/* The tiny world of these tests. */
#define WORLD	"--users", "400", "--movies", "200"

/* A number of the JSON text at key ("ctr": 0.35), or -1. */
static double
json_num(const char *json, const char *key)
{
	char		 pat[64];
	const char	*p;

	snprintf(pat, sizeof(pat), "\"%s\":", key);
	if ((p = strstr(json, pat)) == NULL)
		return (-1);
	return (strtod(p + strlen(pat), NULL));
}

/* The whole file at path into out (NUL-terminated). */
static const char *
slurp(const char *path)
{
	FILE	*fp;
	size_t	 n;

	cr_assert_not_null(fp = fopen(path, "r"), "%s", path);
	n = fread(out, 1, sizeof(out) - 1, fp);
	out[n] = '\0';
	fclose(fp);
	return (out);
}

Test(simulate, help_documents_it)
{
	const char	*argv[] = { h_bin(), "simulate", "--help", NULL };

	cr_assert_eq(h_run(argv, NULL, out, sizeof(out)), 0);
	cr_assert(strstr(out, "usage: cinerec simulate"), "%s", out);
	cr_assert(strstr(out, "--dirt P"), "%s", out);
	cr_assert(strstr(out, "--http HOST:PORT"), "%s", out);
	cr_assert(strstr(out, "--seed N"), "%s", out);
}

Test(simulate, the_same_seed_is_the_same_stream)
{
	char		 a[320], b[320], c[320], cmd[1200];
	const char	*one[] = { h_bin(), "simulate", WORLD, "--days", "2",
			    "--dirt", "0.05", "--out", a, NULL };
	const char	*two[] = { h_bin(), "simulate", WORLD, "--days", "2",
			    "--dirt", "0.05", "--out", b, NULL };
	const char	*other[] = { h_bin(), "simulate", WORLD, "--days", "2",
			    "--dirt", "0.05", "--seed", "2", "--out", c, NULL };
	struct stat	 st;

	snprintf(a, sizeof(a), "%s/a.log", dir);
	snprintf(b, sizeof(b), "%s/b.log", dir);
	snprintf(c, sizeof(c), "%s/c.log", dir);
	cr_assert_eq(h_run(one, NULL, out, sizeof(out)), 0, "%s", out);
	cr_assert_eq(h_run(two, NULL, out, sizeof(out)), 0, "%s", out);
	cr_assert_eq(h_run(other, NULL, out, sizeof(out)), 0, "%s", out);
	cr_assert_eq(stat(a, &st), 0);
	cr_assert_gt(st.st_size, 100000, "a stream of some size");
	snprintf(cmd, sizeof(cmd), "cmp -s %s %s", a, b);
	cr_assert_eq(system(cmd), 0, "same seed, other bytes");
	snprintf(cmd, sizeof(cmd), "cmp -s %s %s", a, c);
	cr_assert_neq(system(cmd), 0, "another seed, the same bytes");
}

/* Simulate into a file, import it; the report's text into out. */
static void
simulate_and_import(const char *dirt, const char *data)
{
	char		 log[320], report[320];
	const char	*sim[] = { h_bin(), "simulate", WORLD, "--days", "3",
			    "--dirt", dirt, "--out", log, "--report", report,
			    NULL };
	const char	*imp[] = { h_bin(), "import", "--data-dir", data, log,
			    NULL };

	snprintf(log, sizeof(log), "%s/s.log", dir);
	snprintf(report, sizeof(report), "%s/s.json", dir);
	cr_assert_eq(h_run(sim, NULL, out, sizeof(out)), 0, "%s", out);
	cr_assert_eq(h_run(imp, NULL, out, sizeof(out)), 0, "%s", out);
	(void)slurp(report);
}

Test(simulate, a_clean_stream_imports_without_a_rejection)
{
	char	data[320], db[400];

	snprintf(data, sizeof(data), "%s/clean", dir);
	simulate_and_import("0", data);
	snprintf(db, sizeof(db), "%s/cinerec.db", data);
	cr_assert_gt(h_qi(db, "SELECT value FROM counters WHERE name = "
	    "'accepted_watch'"), 10000);
	cr_assert_gt(h_qi(db, "SELECT value FROM counters WHERE name = "
	    "'accepted_account'"), 0, "new users create their accounts");
	cr_assert_eq(h_qi(db, "SELECT COALESCE(SUM(value), 0) FROM counters "
	    "WHERE name LIKE 'rejected_%%'"), 0);
}

Test(simulate, a_dirty_stream_imports_with_exactly_the_rejections_announced)
{
	static const char *const reasons[] = { "bad_time", "bad_user",
	    "bad_movie", "truncated", "bad_rating", "bad_request" };
	char	data[320], db[400], report[1 << 14];
	double	want, total = 0;
	size_t	i;

	snprintf(data, sizeof(data), "%s/dirty", dir);
	simulate_and_import("0.05", data);
	snprintf(report, sizeof(report), "%s", strstr(out, "\"injected\""));
	snprintf(db, sizeof(db), "%s/cinerec.db", data);
	for (i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++) {
		want = json_num(report, reasons[i]);
		want = want < 0 ? 0 : want;
		total += want;
		cr_assert_eq(h_qi(db, "SELECT COALESCE((SELECT value FROM "
		    "counters WHERE name = 'rejected_%s'), 0)", reasons[i]),
		    (int64_t)want, "%s (%s)", reasons[i], report);
	}
	cr_assert_gt(total, 100, "%s", report);
	cr_assert_eq(h_qi(db, "SELECT COALESCE(SUM(value), 0) FROM counters "
	    "WHERE name LIKE 'rejected_%%'"), (int64_t)total);
	cr_assert_gt(json_num(report, "ok"), 0, "kept variants: %s", report);
}

/* The live sessions against the server s; the lists' follow rate. */
static double
live(struct h_server *s, const char *report)
{
	char		 http[32], ingest[32];
	const char	*sim[] = { h_bin(), "simulate", WORLD, "--days", "1",
			    "--sessions", "400", "--run-seed", "99", "--http",
			    http, "--ingest", ingest, "--report", report, NULL };

	snprintf(http, sizeof(http), "127.0.0.1:%d", s->http_port);
	snprintf(ingest, sizeof(ingest), "127.0.0.1:%d", s->ingest_port);
	cr_assert_eq(h_run(sim, NULL, out, sizeof(out)), 0, "%s", out);
	slurp(report);
	cr_assert_eq(json_num(out, "lists"), 400, "%s", out);
	return (json_num(out, "ctr"));
}

Test(simulate, a_learned_model_is_followed_more_than_popularity)
{
	struct h_server	 pop = { 0 }, learned = { 0 };
	struct h_reply	 r;
	char		 log[320], report[320], conf[64];
	const char	*hist[] = { h_bin(), "simulate", WORLD, "--days", "14",
			    "--sessions", "400", "--out", log, NULL };
	const char	*imp[] = { h_bin(), "import", "--data-dir", pop.dir,
			    log, NULL };
	const char	*imp2[] = { h_bin(), "import", "--data-dir",
			    learned.dir, log, NULL };
	const char	*train[] = { h_bin(), "train", "--data-dir",
			    learned.dir, NULL };
	const char	*extra[] = { "--config", conf, NULL };
	double		 ctr_pop, ctr_learned;

	/* Two weeks of history, the same in both. */
	snprintf(log, sizeof(log), "%s/history.log", dir);
	cr_assert_eq(h_run(hist, NULL, out, sizeof(out)), 0, "%s", out);
	h_tmpdir(pop.dir, sizeof(pop.dir));
	h_tmpdir(learned.dir, sizeof(learned.dir));
	cr_assert_eq(h_run(imp, NULL, out, sizeof(out)), 0, "%s", out);
	cr_assert_eq(h_run(imp2, NULL, out, sizeof(out)), 0, "%s", out);
	cr_assert_eq(h_run(train, NULL, out, sizeof(out)), 0, "%s", out);

	/* Popularity: no model, none trained at start. */
	snprintf(conf, sizeof(conf), "%s", h_config(&pop,
	    "train_at_start = 0\ntrain_interval_min = 0\n"));
	h_start(&pop, extra);
	snprintf(report, sizeof(report), "%s/pop.json", dir);
	ctr_pop = live(&pop, report);
	cr_assert_eq(h_stop(&pop), 0);

	snprintf(conf, sizeof(conf), "%s", h_config(&learned,
	    "train_at_start = 0\ntrain_interval_min = 0\n"));
	h_start(&learned, extra);
	snprintf(report, sizeof(report), "%s/learned.json", dir);
	ctr_learned = live(&learned, report);
	cr_log_info("lists followed: popularity %.3f, learned %.3f",
	    ctr_pop, ctr_learned);
	cr_assert_gt(ctr_learned, 1.5 * ctr_pop, "popularity %.3f, learned "
	    "%.3f", ctr_pop, ctr_learned);
	cr_assert_gt(json_num(out, "affinity"), 0.2, "%s", out);

	/*
	 * cinerec saw the lists and follows too (its own click-through: the
	 * lines carry the wall clock, as a live stream's do).  Fewer follows
	 * than the simulator's: flat out, a watch can reach the writer before
	 * the list it follows.
	 */
	cr_assert_not_null(strstr(out, "\"cinerec\":"), "%s", out);
	cr_assert_geq(json_num(strstr(out, "\"cinerec\":"), "lists"), 360,
	    "%s", out);
	cr_assert_gt(json_num(strstr(out, "\"cinerec\":"), "followed"), 0,
	    "%s", out);
	cr_assert(h_wait_body_has(learned.http_port, "/ctr?days=1",
	    "\"source\":\"served\"", 15, &r), "%s", r.body);
	cr_assert_eq(h_stop(&learned), 0);
	h_cleanup(&pop);
	h_cleanup(&learned);
}
