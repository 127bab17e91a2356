/*
 * Integration tests of the command line: the real binary run as a user
 * would, its output and exit status.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "harness.h"
#include "scratch.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

static char	out[1 << 20];

TestSuite(cli, .init = h_scratch_setup, .fini = h_scratch_teardown,
    .timeout = 60);

Test(cli, help_version_and_usage_errors)
{
	const char	*help[] = { h_bin(), "help", NULL };
	const char	*none[] = { h_bin(), NULL };
	const char	*version[] = { h_bin(), "version", NULL };
	const char	*unknown[] = { h_bin(), "frobnicate", NULL };
	const char	*subhelp[] = { h_bin(), "import", "--help", NULL };
	const char	*badopt[] = { h_bin(), "import", "--bogus", "x", NULL };
	const char	*servehelp[] = { h_bin(), "serve", "--help", NULL };

	cr_assert_eq(h_run(help, NULL, out, sizeof(out)), 0);
	cr_assert(strstr(out, "import-movielens"), "%s", out);
	cr_assert(strstr(out, "serve"));
	cr_assert_eq(h_run(none, NULL, out, sizeof(out)), 2);
	cr_assert_eq(h_run(version, NULL, out, sizeof(out)), 0);
	cr_assert(strncmp(out, "cinerec ", 8) == 0, "%s", out);
	cr_assert_eq(h_run(unknown, NULL, out, sizeof(out)), 2);
	cr_assert(strstr(out, "no command 'frobnicate'"), "%s", out);
	cr_assert_eq(h_run(subhelp, NULL, out, sizeof(out)), 0);
	cr_assert(strstr(out, "usage: cinerec import"), "%s", out);
	cr_assert_eq(h_run(badopt, NULL, out, sizeof(out)), 2);
	cr_assert_eq(h_run(servehelp, NULL, out, sizeof(out)), 0);
	cr_assert(strstr(out, "popularity_window_days = 7"), "%s", out);
}

/* Every command, with an option of its own that its help must show. */
static const struct {
	const char	*name;
	const char	*option;	/* as the help spells it */
} every[] = {
	{ "serve", "--print-config " },
	{ "import", "--data-dir DIR " },
	{ "import-movielens", "--data-dir DIR " },
	{ "demo", "--seed N " },
	{ "simulate", "--dirt P " },
	{ "train", "--force " },
	{ "model", "--why TEXT " },
	{ "movie", "--why TEXT " },
	{ "experiment", "--min-lists N " },
	{ "eval", "--ratings FILE " },
	{ "tune", "--quick " },
	{ "why", "--json " },
	{ "admin", "--data-dir DIR " },
	{ "backup", "--data-dir DIR " },
	{ "restore", "--data-dir DIR " },
	{ "version", "--help " },
	{ "help", "--help " },
};

/* The options section of a --help text: every line an option and its help. */
static void
options_have_help(const char *cmd, const char *text)
{
	const char	*p, *end;
	size_t		 n = 0;

	cr_assert_not_null(p = strstr(text, "\n\noptions:\n"), "%s: %s", cmd,
	    text);
	for (p += strlen("\n\noptions:\n"); *p == ' ' && p[2] == '-';
	    p = end + 1) {
		cr_assert_not_null(end = strchr(p, '\n'), "%s", cmd);
		cr_assert_eq(strncmp(p, "  --", 4), 0, "%s: %.*s", cmd,
		    (int)(end - p), p);
		/* After the option's column, some words of help. */
		cr_assert_gt(end - p, 28, "%s: %.*s", cmd, (int)(end - p), p);
		cr_assert_neq(p[27], ' ', "%s: no help: %.*s", cmd,
		    (int)(end - p), p);
		n++;
	}
	cr_assert_gt(n, 0, "%s: no options listed", cmd);
}

Test(cli, every_command_has_full_help)
{
	const char	*list[] = { h_bin(), "help", NULL };
	const char	*argv[] = { h_bin(), NULL, "--help", NULL };
	const char	*via[] = { h_bin(), "help", NULL, NULL };
	char		 want[64], *p, *first;
	size_t		 i, listed = 0;

	/* The loop covers every command the binary lists. */
	cr_assert_eq(h_run(list, NULL, out, sizeof(out)), 0);
	cr_assert_not_null(p = strstr(out, "\ncommands:\n"), "%s", out);
	for (p = strchr(p + 1, '\n') + 1; strncmp(p, "  ", 2) == 0;
	    p = strchr(p, '\n') + 1)
		listed++;
	cr_assert_eq(listed, NELEM(every), "%s", out);
	for (i = 0; i < NELEM(every); i++) {
		argv[1] = every[i].name;
		cr_assert_eq(h_run(argv, NULL, out, sizeof(out)), 0, "%s: %s",
		    every[i].name, out);
		snprintf(want, sizeof(want), "usage: cinerec %s",
		    every[i].name);
		cr_assert_eq(strncmp(out, want, strlen(want)), 0, "%s", out);
		/* What it does: a line of prose after the usage. */
		p = strchr(out, '\n') + 1;
		cr_assert_gt(strcspn(p, "\n"), 20, "%s: %s", every[i].name,
		    out);
		options_have_help(every[i].name, out);
		snprintf(want, sizeof(want), "\n  %s", every[i].option);
		cr_assert(strstr(out, want), "%s: no %s in %s", every[i].name,
		    every[i].option, out);
		cr_assert(strstr(out, "\n  --help "), "%s", out);
		/* `cinerec help COMMAND` says the same. */
		first = strdup(out);
		via[2] = every[i].name;
		cr_assert_eq(h_run(via, NULL, out, sizeof(out)), 0, "%s", out);
		cr_assert_str_eq(out, first, "help %s", every[i].name);
		free(first);
	}
}

/* The last line of text, which ends with a newline. */
static const char *
last_line(const char *text)
{
	size_t	n = strlen(text);

	cr_assert(n > 0 && text[n - 1] == '\n', "%s", text);
	while (n > 1 && text[n - 2] != '\n')
		n--;
	return (text + n - 1);
}

/* The output ends with the summary prefix ... " s in all", no progress. */
static void
ends_with_summary(const char *prefix)
{
	const char	*last = last_line(out);

	cr_assert_eq(strncmp(last, prefix, strlen(prefix)), 0, "%s", out);
	cr_assert(strlen(last) > 10 && strcmp(last + strlen(last) - 10,
	    " s in all\n") == 0, "%s", last);
	cr_assert_null(strchr(out, '\r'), "a progress line: %s", out);
}

Test(cli, eval_tune_and_simulate_end_with_a_one_line_summary)
{
	char		 ratings[320], stream[320];
	const char	*eval[] = { h_bin(), "eval", "--ratings", ratings,
			    "--model", "pop", NULL };
	const char	*tune[] = { h_bin(), "tune", "--ratings", ratings,
			    "--model", "itemknn", "--signal", "binary", NULL };
	const char	*sim[] = { h_bin(), "simulate", "--days", "2",
			    "--sessions", "50", "--users", "100", "--movies",
			    "50", "--out", stream, NULL };
	FILE		*fp;
	int		 u, k;

	snprintf(ratings, sizeof(ratings), "%s/ratings.csv", h_dir);
	snprintf(stream, sizeof(stream), "%s/stream.log", h_dir);
	cr_assert_not_null(fp = fopen(ratings, "w"));
	fprintf(fp, "userId,movieId,rating,timestamp\n");
	for (u = 1; u <= 40; u++)
		for (k = 0; k < 12; k++)
			fprintf(fp, "%d,%d,%d,%d\n", u,
			    (u * 7 + k * 3) % 25 + 1, (u + k) % 5 + 1,
			    1000000 + u * 100 + k * 10);
	cr_assert_eq(fclose(fp), 0);

	cr_assert_eq(h_run(eval, NULL, out, sizeof(out)), 0, "%s", out);
	ends_with_summary("eval pop: Recall@20 ");
	cr_assert_eq(h_run(tune, NULL, out, sizeof(out)), 0, "%s", out);
	/* 5 neighbour counts, each scored at the 7 recency values. */
	ends_with_summary("tune itemknn: the best of 35 points, test "
	    "Recall@20 ");
	cr_assert_eq(h_run(sim, NULL, out, sizeof(out)), 0, "%s", out);
	ends_with_summary("simulate: 2 days, 100 sessions, ");
}

Test(cli, import_counts_and_exits_zero_on_bad_lines)
{
	const char	*argv[] = { h_bin(), "import", "--data-dir", h_dir, "-",
			    NULL };
	const char	*lines =
	    "2026-01-01T00:00:00,1,GET /data/m/a+movie+2000/1.mpg\n"
	    "2026-01-01T00:00:00,1,GET /data/m/a+movie+2000/2.mpg\n"
	    "2026-01-01T00:00:00,1,GET /rate/a+movie+2000=6\n"
	    "garbage\n"
	    "2026-01-01T00:00:00,2,GET /rate/a+movie+2000=5";

	cr_assert_eq(h_run(argv, lines, out, sizeof(out)), 0, "%s", out);
	cr_assert(strstr(out, "accepted 3 lines (watch 2, rate 1, reco 0, account 0)"),
	    "%s", out);
	cr_assert(strstr(out, "rejected 2 lines"), "%s", out);
	cr_assert(strstr(out, "bad_rating   1"), "%s", out);
}

Test(cli, import_of_a_missing_file_is_an_error)
{
	const char	*argv[] = { h_bin(), "import", "--data-dir", h_dir,
			    "/nonexistent/events.log", NULL };

	char		 db[320];

	cr_assert_eq(h_run(argv, NULL, out, sizeof(out)), 1);
	cr_assert(strstr(out, "/nonexistent/events.log"), "%s", out);
	/* Before any database was created or migrated. */
	snprintf(db, sizeof(db), "%s/cinerec.db", h_dir);
	cr_assert_eq(access(db, F_OK), -1, "%s was created", db);
	cr_assert_null(strstr(out, "applied sql/"), "%s", out);
}

Test(cli, demo_is_deterministic_and_loads)
{
	const char	*print[] = { h_bin(), "demo", "--print", "--users",
			    "4", "--movies", "30", "--seed", "7", NULL };
	const char	*print2[] = { h_bin(), "demo", "--print", "--users",
			    "4", "--movies", "30", "--seed", "8", NULL };
	const char	*load[] = { h_bin(), "demo", "--data-dir", h_dir,
			    "--users", "4", "--movies", "30", "--seed", "7",
			    NULL };
	char		*first;
	size_t		 nlines = 0;
	char		*p;

	cr_assert_eq(h_run(print, NULL, out, sizeof(out)), 0);
	first = strdup(out);
	for (p = first; *p != '\0'; p++)
		nlines += *p == '\n';
	cr_assert_eq(h_run(print, NULL, out, sizeof(out)), 0);
	cr_assert_str_eq(out, first, "same seed, same world");
	cr_assert_eq(h_run(print2, NULL, out, sizeof(out)), 0);
	cr_assert_str_neq(out, first, "another seed, another world");
	free(first);
	cr_assert_eq(h_run(load, NULL, out, sizeof(out)), 0, "%s", out);
	cr_assert(strstr(out, "rejected 0 lines"), "%s", out);
	cr_assert(nlines > 100, "%zu lines", nlines);
}

/* ---- with a server: lists served, then explained ------------------------ */

TestSuite(cli_served, .init = h_setup_dir, .fini = h_teardown,
    .timeout = 120);

Test(cli_served, why_is_a_table_of_the_lists_and_json_with_json)
{
	const char	*demo[] = { h_bin(), "demo", "--data-dir", h_srv.dir,
			    "--users", "50", "--movies", "40", NULL };
	const char	*train[] = { h_bin(), "train", "--data-dir", h_srv.dir,
			    "--model", "itemknn", NULL };
	const char	*why[] = { h_bin(), "why", "--data-dir", h_srv.dir,
			    "11", NULL };
	const char	*json[] = { h_bin(), "why", "--data-dir", h_srv.dir,
			    "--json", "11", NULL };
	struct h_reply	 r;
	char		 first[256], row[300], *p;
	int		 i;

	cr_assert_eq(h_run(demo, NULL, out, sizeof(out)), 0, "%s", out);
	cr_assert_eq(h_run(train, NULL, out, sizeof(out)), 0, "%s", out);
	/* The summary last; no progress lines into a pipe. */
	cr_assert_not_null(p = strstr(out, "\ntrain: model 1 is current, "),
	    "%s", out);
	cr_assert(strstr(p, " s in all\n") && p[strcspn(p + 1, "\n") + 2] ==
	    '\0', "%s", out);
	cr_assert_null(strchr(out, '\r'), "%s", out);
	h_start(&h_srv, NULL);
	h_http(h_srv.http_port, "GET", "/recommend/11", NULL, NULL, 0, &r);
	cr_assert_eq(r.status, 200);
	/* The list's first movie, as the table spells it. */
	snprintf(first, sizeof(first), "%.*s", (int)strcspn(r.body, ",\n"),
	    r.body);
	cr_assert_gt(strlen(first), 0, "%s", r.body);
	/* Until the SERVED line is committed (a buffer, then a batch). */
	for (i = 0; i < 50; i++) {
		cr_assert_eq(h_run(json, NULL, out, sizeof(out)), 0, "%s", out);
		if (strstr(out, "\"lists\":[{") != NULL)
			break;
		usleep(100000);
	}
	cr_assert_eq(h_stop(&h_srv), 0);

	cr_assert_eq(h_run(why, NULL, out, sizeof(out)), 0, "%s", out);
	cr_assert_eq(strncmp(out, "TIME ", 5), 0, "%s", out);
	cr_assert(strstr(out, " MOVIES\n"), "%s", out);
	cr_assert_not_null(p = strstr(out, "\n20"), "no row: %s", out);
	snprintf(row, sizeof(row), "%.*s", (int)strcspn(p + 1, "\n"), p + 1);
	cr_assert(strstr(row, " served   model 1 "), "%s", row);
	cr_assert(strstr(row, first), "%s not in %s", first, row);
	cr_assert(strstr(out, "\nmodels:\n  1  itemknn, current, trained "),
	    "%s", out);
	/* The self-tuned k and recency, as trained. */
	cr_assert(strstr(out, "     params {\"k\":") && strstr(out,
	    ",\"recency\":"), "%s", out);

	cr_assert_eq(h_run(json, NULL, out, sizeof(out)), 0, "%s", out);
	cr_assert_eq(strncmp(out, "{\"user\":11,\"lists\":[{\"at\":\"", 27), 0,
	    "%s", out);
	cr_assert(strstr(out, "\"source\":\"served\",\"model_version\":1"),
	    "%s", out);
	cr_assert(strstr(out, "\"algo\":\"itemknn\",\"params\":{\"k\":"),
	    "%s", out);
	cr_assert_eq(strchr(out, '\n'), out + strlen(out) - 1, "one line");
}
