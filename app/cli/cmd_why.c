/*
 * `cinerec why USERID`: the lists a user got, from which models, trained
 * on what (telemetry/why.c), read from the database: a table, or JSON.
 */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/opts.h"
#include "ingest/parse.h"
#include "model/model.h"
#include "model/train.h"
#include "reco/reco.h"
#include "reco/rules.h"
#include "settings/config.h"
#include "store/store.h"
#include "telemetry/why.h"

static const struct opts_cmd	why_cmd = {
	"cinerec why", "USERID",
	"Print the recommendation lists USERID got up to a time (now by\n"
	"default), newest first, as a table: when, served or external, the\n"
	"host or model version that made it, the arm, the rank followed, the\n"
	"latency and the movies; then each model named with its provenance\n"
	"(algorithm, parameters, data, hold-out figures); without --at, the\n"
	"list the user gets now, each movie with the movie of their history\n"
	"that adds most to its score.  --json prints the same as the HTTP\n"
	"route GET /why/USERID."
};

/*
 * The list user gets now, as the server makes it (the current model, the
 * withdrawn movies, the series cap), with its reasons, into now (its
 * strings live in r).  0, or -1 (logged).
 */
static int
list_now(struct store *s, const struct cfg *c, int64_t user, struct reco *r,
    struct rules *ru, struct why_now *now)
{
	static struct reco_list	 l;
	struct model		*md = NULL;
	char			 file[256], path[PATH_MAX + 300];
	int64_t			 id = 0;
	int			 rc = -1;

	r->series_max = c->list_series_max;
	if (reco_refresh(r, s, c->pop_window_days, 1) == -1 ||
	    rules_refresh(ru, s->db) == -1)
		return (-1);
	r->rules = ru;
	if (store_current_model(s, &id, file, sizeof(file)) == 1) {
		snprintf(path, sizeof(path), "%s/%s/%s", c->data_dir, TRAIN_DIR,
		    file);
		if (model_load(path, &md) != 0)
			md = NULL;
	}
	if (reco_for_user(r, s, md, NULL, &c->sig, user, WHY_NOW_MAX, &l) >=
	    0 && reco_explain(r, s, md, &c->sig, user, &l) == 0) {
		reco_why_now(&l, md != NULL ? id : 0, now);
		rc = 0;
	}
	model_free(md);
	return (rc);
}

int
cmd_why(int argc, char **argv)
{
	struct store		 s;
	struct cfg		 c;
	struct reco		 r;
	struct rules		 ru;
	struct why_now		 now;
	int64_t			 at = INT64_MAX, user;
	int			 limit = 20, json = 0, rc, nops, n, have_now;
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
	/* Without --at, the list of now too, with its reasons. */
	memset(&r, 0, sizeof(r));
	memset(&ru, 0, sizeof(ru));
	have_now = at == INT64_MAX && list_now(&s, &c, user, &r, &ru, &now) ==
	    0;
	n = (json ? why_json : why_text)(s.db, user, at, limit, have_now ?
	    &now : NULL, stdout);
	reco_free(&r);
	rules_free(&ru);
	store_close(&s);
	return (n == -1 ? 1 : 0);
}
