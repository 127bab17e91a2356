/*
 * `cinerec simulate`: the simulated world (sim/) as a stream.  Without
 * --http it writes the stream (to --out, or standard output); with --http
 * and --ingest its users ask a running cinerec for lists and send what
 * they do to its ingest, and it reports how the lists did.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/commands.h"
#include "cli/opts.h"
#include "ingest/parse.h"
#include "sim/client.h"
#include "sim/sim.h"
#include "sim/world.h"
#include "util/clock.h"
#include "util/log.h"

static const struct opts_cmd	simulate_cmd = {
	"cinerec simulate", NULL,
	"Simulate viewers, deterministic from a seed: users and movies with\n"
	"hidden tastes (taste clusters, long-tailed popularity, new users and\n"
	"movies over time, slowly drifting tastes) in sessions: ask for a\n"
	"list, pick from it by true affinity and rank (or a movie of their\n"
	"own), watch (a line a minute), sometimes rate, in the stream's\n"
	"format, a share of lines dirty (--dirt) in the shapes real streams\n"
	"carry.  Without --http: the stream to --out (or standard output),\n"
	"nobody asks for lists.  With --http and --ingest: a live run\n"
	"against a running cinerec; lines stamped with the wall clock so\n"
	"that cinerec's click-through sees them (--sim-time: the simulated\n"
	"clock).  The summary (stderr; --report FILE as JSON) gives per day\n"
	"the lists followed and their mean true affinity against the best\n"
	"possible, and the dirty lines by the reason cinerec must give them."
};

/*
 * Where the lines go: a file, or the client.  pending: a bit per user id
 * with lines not known to be committed (live runs), listed in touched.
 */
struct out {
	FILE			*fp;
	struct sim_client	*c;
	uint8_t			*pending;
	int64_t			*touched;
	size_t			 ntouched, cap;
	int			 first_day, days;	/* for the progress */
};

static int
to_file(void *arg, int64_t user, const char *line, size_t len)
{
	struct out	*o = arg;

	(void)user;
	return (fwrite(line, 1, len, o->fp) != len || putc('\n', o->fp) ==
	    EOF ? -1 : 0);
}

/* Commit every line sent so far; no user is pending then. */
static int
sync_all(struct out *o)
{
	int64_t	u;

	if (sim_client_sync(o->c) == -1)
		return (-1);
	while (o->ntouched > 0) {
		u = o->touched[--o->ntouched];
		o->pending[u / 8] &= ~(1 << (u % 8));
	}
	return (0);
}

static int
to_ingest(void *arg, int64_t user, const char *line, size_t len)
{
	struct out	*o = arg;

	if (!(o->pending[user / 8] & (1 << (user % 8)))) {
		/* Too many to list: sync now, start again. */
		if (o->ntouched == o->cap && sync_all(o) == -1)
			return (-1);
		o->pending[user / 8] |= 1 << (user % 8);
		o->touched[o->ntouched++] = user;
	}
	return (sim_client_line(o->c, line, len));
}

static int
ask(void *arg, int64_t user, char ids[][PARSE_SPELLING_MAX + 1], int max)
{
	struct out	*o = arg;

	/*
	 * The user's own lines committed first, so that the list reflects
	 * everything they did (fold-in); others' lines may wait.
	 */
	if ((o->pending[user / 8] & (1 << (user % 8))) && sync_all(o) == -1)
		return (-1);
	return (sim_client_recommend(o->c, user, ids, max));
}

/* A progress line per simulated day, on a terminal. */
static void
day_done(void *arg, int day, const struct sim_day *d)
{
	struct out	*o = arg;

	/* Numbered as the summary numbers them. */
	log_progress("simulate: day %d (%d of %d): %lld sessions, %lld lines",
	    o->first_day + day, day + 1, o->days, (long long)d->sessions,
	    (long long)d->lines);
}

static void
summary(FILE *fp, const struct sim_report *r, int json)
{
	const struct sim_day	*d;
	int64_t			 lists = 0, followed = 0;
	double			 aff = 0.0, best = 0.0;
	int			 i, first = 1;

	if (json)
		fprintf(fp, "{\"days\":[");
	for (i = 0; i < r->ndays; i++) {
		d = &r->day[i];
		lists += d->lists;
		followed += d->followed;
		aff += d->affinity;
		best += d->best;
		if (json)
			fprintf(fp, "%s{\"day\":%d,\"sessions\":%lld,"
			    "\"lists\":%lld,\"followed\":%lld,\"own\":%lld,"
			    "\"ctr\":%.6f,\"affinity\":%.6f,\"best\":%.6f,"
			    "\"lines\":%lld}", i ? "," : "", r->first_day + i,
			    (long long)d->sessions, (long long)d->lists,
			    (long long)d->followed, (long long)d->own,
			    d->lists ? (double)d->followed / d->lists : 0.0,
			    d->lists ? d->affinity / d->lists : 0.0,
			    d->lists ? d->best / d->lists : 0.0,
			    (long long)d->lines);
		else
			fprintf(fp, "day %d: %lld sessions, %lld lists, %lld "
			    "followed (%.1f%%), affinity %.3f of best %.3f, "
			    "%lld lines\n", r->first_day + i, (long long)d->sessions,
			    (long long)d->lists, (long long)d->followed,
			    d->lists ? 100.0 * d->followed / d->lists : 0.0,
			    d->lists ? d->affinity / d->lists : 0.0,
			    d->lists ? d->best / d->lists : 0.0,
			    (long long)d->lines);
	}
	if (json) {
		fprintf(fp, "],\"lines\":%lld,\"lists\":%lld,\"followed\":%lld,"
		    "\"ctr\":%.6f,\"affinity\":%.6f,\"best\":%.6f,"
		    "\"coverage\":%.6f,\"top1_share\":%.6f,",
		    (long long)r->lines, (long long)lists, (long long)followed,
		    lists ? (double)followed / lists : 0.0, lists ? aff /
		    lists : 0.0, lists ? best / lists : 0.0, r->coverage,
		    r->top1_share);
		if (r->cinerec_lists >= 0)
			fprintf(fp, "\"cinerec\":{\"lists\":%lld,"
			    "\"followed\":%lld},", (long long)r->cinerec_lists,
			    (long long)r->cinerec_followed);
		fprintf(fp, "\"injected\":{");
		for (i = 0; i < PARSE_NREASONS; i++)
			if (r->injected[i] > 0) {
				fprintf(fp, "%s\"%s\":%lld", first ? "" : ",",
				    parse_reason_name(i),
				    (long long)r->injected[i]);
				first = 0;
			}
		fprintf(fp, "}}\n");
		return;
	}
	fprintf(fp, "%lld lines, %lld lists, %lld followed (%.1f%%)\n",
	    (long long)r->lines, (long long)lists, (long long)followed,
	    lists ? 100.0 * followed / lists : 0.0);
	if (lists > 0)
		fprintf(fp, "lists showed %.1f%% of the movies, the 1%% most "
		    "listed %.1f%% of the slots\n", 100.0 * r->coverage,
		    100.0 * r->top1_share);
	if (r->cinerec_lists >= 0)
		fprintf(fp, "cinerec measured: %lld of the %lld lists it served "
		    "today and yesterday followed\n",
		    (long long)r->cinerec_followed, (long long)r->cinerec_lists);
	for (i = 0; i < PARSE_NREASONS; i++)
		if (r->injected[i] > 0)
			fprintf(fp, "  dirty, %s: %lld\n", i == PARSE_OK ?
			    "kept (ok)" : parse_reason_name(i),
			    (long long)r->injected[i]);
}

int
cmd_simulate(int argc, char **argv)
{
	static struct sim_report	 r;
	struct sim_world_opts		 wo;
	struct sim_world		 w;
	struct sim_opts			 so;
	struct sim_client		 c;
	struct sim_io			 io;
	struct out			 out = { NULL, &c, NULL, NULL, 0, 0, 0,
					     0 };
	const char			*file = NULL, *http = NULL;
	const char			*ingest = NULL, *token = NULL;
	const char			*report = NULL;
	FILE				*fp;
	uint64_t			 run_seed = 0;
	double				 dirt = 0.0, t0 = clock_mono_s();
	int64_t				 sessions = 0;
	int				 rc, nops, sim_time = 0, i;
	long				 n;
	const struct opt		 o[] = {
		{ "seed", OPT_U64, &wo.seed, "N", "the world's seed (1)", 0,
		    0, 0 },
		{ "run-seed", OPT_U64, &run_seed, "N",
		    "the sessions' seed (the world's)", 0, 0, 0 },
		{ "users", OPT_INT, &wo.users, "N", "users (1000)", 1,
		    100000000, 0 },
		{ "movies", OPT_INT, &wo.movies, "N", "movies (500)", 1,
		    10000000, 0 },
		{ "clusters", OPT_INT, &wo.clusters, "N",
		    "taste clusters (8)", 1, 1000, 0 },
		{ "start", OPT_TIME, &so.start_ms, "TIME",
		    "the first simulated day (2026-01-01T00:00:00)", 0, 0, 0 },
		{ "days", OPT_INT, &so.days, "N", "simulated days (7)", 1,
		    SIM_DAYS_MAX, 0 },
		{ "first-day", OPT_INT, &so.first_day, "N",
		    "start at day N of the world (tastes drifted N days; 0)", 0,
		    SIM_DAYS_MAX, 0 },
		{ "sessions", OPT_INT, &so.sessions, "N",
		    "sessions a day (1000)", 1, 100000000, 0 },
		{ "dirt", OPT_DOUBLE, &dirt, "P",
		    "share of lines made dirty, 0..1 (0)", 0, 0, 0 },
		{ "rating-max", OPT_INT, &so.rating_max, "N",
		    "top of the rating scale (5)", 2, PARSE_RATING_LIMIT, 0 },
		{ "out", OPT_STR, &file, "FILE",
		    "write the stream here ('-': standard output, the default)",
		    0, 0, 0 },
		{ "http", OPT_STR, &http, "HOST:PORT",
		    "a running cinerec's HTTP API: ask it for lists", 0, 0, 0 },
		{ "ingest", OPT_STR, &ingest, "HOST:PORT",
		    "... and send the lines to its ingest", 0, 0, 0 },
		{ "token", OPT_STR, &token, "TOKEN",
		    "the ingest token, when it has one", 0, 0, 0 },
		{ "pace", OPT_DOUBLE, &so.pace, "N",
		    "live: N sessions a second of wall time (0: flat out)", 0,
		    0, 0 },
		{ "sim-time", OPT_FLAG, &sim_time, NULL,
		    "live: stamp lines with the simulated clock", 0, 0, 0 },
		{ "report", OPT_STR, &report, "FILE",
		    "the summary as JSON into FILE", 0, 0, 0 },
	};

	/* A server that goes away is an error of a write, not a signal. */
	(void)signal(SIGPIPE, SIG_IGN);
	sim_world_defaults(&wo);
	sim_defaults(&so);
	rc = opts_parse(argc, argv, o, NELEM(o), OPTS_PASS_ALL, NULL, 0, &nops);
	if ((rc = opts_done(rc, &simulate_cmd, o, NELEM(o))) != -1)
		return (rc);
	if (!(dirt >= 0.0 && dirt <= 1.0) || !(so.pace >= 0.0) || (http == NULL) != (ingest ==
	    NULL) || (http != NULL && file != NULL)) {
		fprintf(stderr, "cinerec: simulate: --dirt is a share in "
		    "0..1, --pace >= 0; --http and --ingest go together, "
		    "without --out\n");
		opts_usage(stderr, &simulate_cmd, o, NELEM(o));
		return (2);
	}
	so.dirt = dirt;
	so.seed = run_seed != 0 ? run_seed : wo.seed;
	wo.start_ms = so.start_ms;
	wo.days = so.first_day + so.days;
	so.wall_clock = http != NULL && !sim_time;
	if (sim_world_new(&w, &wo) == -1) {
		fprintf(stderr, "cinerec: simulate: out of memory\n");
		return (1);
	}
	if (http != NULL) {
		out.cap = 4096;
		out.pending = calloc((size_t)wo.users / 8 + 1, 1);
		out.touched = calloc(out.cap, sizeof(*out.touched));
		if (out.pending == NULL || out.touched == NULL ||
		    sim_client_open(&c, http, ingest, token) == -1) {
			free(out.pending);
			free(out.touched);
			sim_world_free(&w);
			return (1);
		}
		io = (struct sim_io){ &out, ask, to_ingest, day_done };
	} else {
		out.fp = file == NULL || strcmp(file, "-") == 0 ? stdout :
		    fopen(file, "w");
		if (out.fp == NULL) {
			fprintf(stderr, "cinerec: simulate: %s: cannot write\n",
			    file);
			sim_world_free(&w);
			return (1);
		}
		io = (struct sim_io){ &out, NULL, to_file, day_done };
	}
	out.first_day = so.first_day;
	out.days = so.days;
	rc = sim_run(&w, &so, &io, &r);
	log_progress_end();
	if (http != NULL) {
		n = rc == 0 ? sim_client_sync(&c) : -1;
		if (n == -1)
			rc = -1;
		/*
		 * What cinerec counted: served lists reach its log through
		 * a 20 ms buffer and a commit, so wait a moment first.
		 */
		else if (sleep(1) != 0 || sim_client_ctr(&c, &r.cinerec_lists,
		    &r.cinerec_followed) == -1)
			r.cinerec_lists = r.cinerec_followed = -1;
		if (c.failed > 0)
			fprintf(stderr, "cinerec: simulate: %lld of %lld "
			    "/recommend requests failed\n",
			    (long long)c.failed, (long long)c.requests);
		sim_client_close(&c);
		free(out.pending);
		free(out.touched);
	} else if ((out.fp != stdout && fclose(out.fp) == EOF) ||
	    (out.fp == stdout && fflush(stdout) == EOF))
		rc = -1;
	sim_world_free(&w);
	summary(stderr, &r, 0);
	if (report != NULL) {
		if ((fp = fopen(report, "w")) == NULL) {
			fprintf(stderr, "cinerec: simulate: %s: cannot write\n",
			    report);
			return (1);
		}
		summary(fp, &r, 1);
		if (fclose(fp) == EOF)
			rc = -1;
	}
	for (i = 0; i < r.ndays; i++)
		sessions += r.day[i].sessions;
	fprintf(stderr, "simulate: %d days, %lld sessions, %lld lines, %.1f s "
	    "in all\n", r.ndays, (long long)sessions, (long long)r.lines,
	    clock_mono_s() - t0);
	if (rc == -1)
		fprintf(stderr, "cinerec: simulate: stopped: the stream could "
		    "not be written\n");
	return (rc == -1 ? 1 : 0);
}
