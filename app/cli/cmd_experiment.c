/*
 * `cinerec experiment start|status|stop`: A/B and canary experiments
 * between model versions (telemetry/experiment.h), with a server running
 * (it serves the arms and applies the stop rules) or not.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/opts.h"
#include "model/versions.h"
#include "settings/config.h"
#include "store/store.h"
#include "telemetry/experiment.h"

static const struct opts_cmd	experiment_cmd = {
	"cinerec experiment", "start NAME ARM=VERSION:PERCENT ... | "
	"status [ID] | stop [--promote ARM]",
	"Experiments between model versions.  start: users are split by a\n"
	"hash of their id between the arms, each a kept model version or\n"
	"\"current\" (the first arm is the control), in the shares given\n"
	"(they add up to 100): e.g. control=current:95 canary=7:5.  The\n"
	"server applies the stop rules while it runs: an arm significantly\n"
	"worse than the control (always-valid p < 0.05) or over the p99\n"
	"limit ends the experiment (aborted); with --auto-promote a\n"
	"significantly better one is made current; --max-hours ends it\n"
	"undecided.  status: the newest experiment (or ID) as a table, or\n"
	"--json.  stop: end the running one, --promote ARM making that arm's\n"
	"version current."
};

int
cmd_experiment(int argc, char **argv)
{
	struct store		 s;
	struct cfg		 c;
	struct experiment	 e, run;
	const char		*promote = NULL, *verb;
	char			*ops[2 + EXPERIMENT_ARMS_MAX], err[256];
	char			 why[300];
	int64_t			 id = 0, model = 0;
	int			 rc, nops, json = 0, i, auto_promote = 0, found;
	double			 max_hours = 168, max_p99 = 20;
	int			 min_lists = 200;
	const struct opt o[] = {
		{ "config", OPT_CONFIG, &c, "FILE",
		    "the server's configuration (data dir)", 0, 0, 0 },
		DATA_DIR_OPT(&c),
		{ "max-hours", OPT_DOUBLE, &max_hours, "H",
		    "start: end undecided after this long (168)", 0, 0, 0 },
		{ "min-lists", OPT_INT, &min_lists, "N",
		    "start: lists per arm before any decision (200)", 1,
		    1000000000, 0 },
		{ "max-p99-ms", OPT_DOUBLE, &max_p99, "MS",
		    "start: abort an arm whose p99 is over this: 1, 2, 5, 20 "
		    "or 100 (20)", 0, 0, 0 },
		{ "auto-promote", OPT_FLAG, &auto_promote, NULL,
		    "start: make a significantly better arm current", 0, 0, 0 },
		{ "json", OPT_FLAG, &json, NULL, "status: as JSON", 0, 0, 0 },
		{ "promote", OPT_STR, &promote, "ARM",
		    "stop: make this arm's version current", 0, 0, 0 },
	};

	cfg_defaults(&c);
	rc = opts_parse(argc, argv, o, NELEM(o), OPTS_PASS_ALL, ops,
	    (int)NELEM(ops), &nops);
	if ((rc = opts_done(rc, &experiment_cmd, o, NELEM(o))) != -1)
		return (rc);
	verb = nops > 0 ? ops[0] : "";
	memset(&e, 0, sizeof(e));
	if (strcmp(verb, "start") == 0) {
		if (nops < 4 || strlen(ops[1]) >= sizeof(e.name))
			goto usage;
		snprintf(e.name, sizeof(e.name), "%s", ops[1]);
		for (i = 2; i < nops; i++)
			if (experiment_parse_arm(ops[i], &e.arm[e.narms++]) == -1) {
				fprintf(stderr, "cinerec: experiment: an arm is "
				    "NAME=VERSION:PERCENT or NAME=current:"
				    "PERCENT, got '%s'\n", ops[i]);
				return (2);
			}
		e.max_hours = max_hours;
		e.min_lists = min_lists;
		e.max_p99_ms = max_p99;
		e.auto_promote = auto_promote;
		if (experiment_check(&e, err, sizeof(err)) == -1) {
			fprintf(stderr, "cinerec: experiment: %s\n", err);
			return (2);
		}
	} else if (strcmp(verb, "status") == 0) {
		if (nops > 2 || (nops == 2 && (id = strtoll(ops[1], NULL, 10)) <=
		    0))
			goto usage;
	} else if (strcmp(verb, "stop") != 0 || nops != 1)
		goto usage;

	if (store_open(&s, c.data_dir, STORE_ROLE_MODELS) == -1)
		return (1);
	rc = 0;
	if (strcmp(verb, "start") == 0) {
		if (experiment_start(s.db, &e, "cli", err, sizeof(err)) == -1) {
			fprintf(stderr, "cinerec: experiment: %s\n", err);
			rc = 1;
		} else
			printf("experiment %lld (%s) started\n",
			    (long long)e.id, e.name);
	} else if (strcmp(verb, "status") == 0) {
		rc = (json ? experiment_json(s.db, id, 1, stdout) :
		    experiment_text(s.db, id, stdout)) == -1;
	} else {
		if ((found = experiment_running(s.db, &run)) != 1) {
			fprintf(stderr, "cinerec: experiment: %s\n", found == 0 ?
			    "none is running" : "database error");
			rc = 1;
			goto out;
		}
		snprintf(why, sizeof(why), "stopped by hand");
		if (promote != NULL) {
			for (i = 0; i < run.narms &&
			    strcmp(run.arm[i].name, promote) != 0; i++)
				;
			if (i == run.narms || run.arm[i].model_id == 0) {
				fprintf(stderr, "cinerec: experiment: no arm "
				    "'%s' with a version of its own\n", promote);
				rc = 2;
				goto out;
			}
			model = run.arm[i].model_id;
			snprintf(why, sizeof(why), "stopped by hand, arm %s "
			    "(version %lld) promoted", promote,
			    (long long)model);
		}
		if (experiment_stop(s.db, c.data_dir, run.id, model ?
		    "promoted" : "stopped", why, model, "cli", err,
		    sizeof(err)) == -1) {
			fprintf(stderr, "cinerec: experiment: %s\n", err);
			rc = 1;
		} else
			printf("experiment %lld %s\n", (long long)run.id, why);
	}
out:
	store_close(&s);
	return (rc);
usage:
	opts_usage(stderr, &experiment_cmd, o, NELEM(o));
	return (2);
}
