/*
 * `cinerec why USERID`: the lists a user got, from which models, trained
 * on what (telemetry/why.c), read from the database: a table, or JSON.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/opts.h"
#include "ingest/parse.h"
#include "settings/config.h"
#include "store/store.h"
#include "telemetry/why.h"

static const struct opts_cmd	why_cmd = {
	"cinerec why", "USERID",
	"Print the recommendation lists USERID got up to a time (now by\n"
	"default), newest first, as a table: when, served or external, the\n"
	"host or model version that made it, the arm, the rank followed, the\n"
	"latency and the movies; then each model named with its provenance\n"
	"(algorithm, parameters, data, hold-out figures).  --json prints the\n"
	"same as the HTTP route GET /why/USERID."
};

int
cmd_why(int argc, char **argv)
{
	struct store		 s;
	struct cfg		 c;
	int64_t			 at = INT64_MAX, user;
	int			 limit = 20, json = 0, rc, nops, n;
	char			*ops[1];
	const struct opt	 o[] = {
		DATA_DIR_OPT(&c),
		{ "at", OPT_TIME, &at, "YYYY-MM-DDTHH:MM:SS",
		    "the lists given up to then (now)", 0, 0, 0 },
		{ "limit", OPT_INT, &limit, "N", "lists at most (20)", 1, 1000,
		    0 },
		{ "json", OPT_FLAG, &json, NULL,
		    "one line of JSON, as GET /why/USERID answers", 0, 0, 0 },
	};

	cfg_defaults(&c);
	rc = opts_parse(argc, argv, o, NELEM(o), OPTS_PASS_ALL, ops, 1, &nops);
	if ((rc = opts_done(rc, &why_cmd, o, NELEM(o))) != -1)
		return (rc);
	if (nops != 1 || parse_user(ops[0], strlen(ops[0]), &user) == -1) {
		opts_usage(stderr, &why_cmd, o, NELEM(o));
		return (2);
	}
	if (store_open(&s, c.data_dir, STORE_RDONLY) == -1)
		return (1);
	n = (json ? why_json : why_text)(s.db, user, at, limit, stdout);
	store_close(&s);
	return (n == -1 ? 1 : 0);
}
