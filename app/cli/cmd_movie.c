/*
 * `cinerec movie withdraw|restore|withdrawn`: the business rules on what
 * lists may hold (reco/rules.h), beside a running server or without one.
 */
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/opts.h"
#include "reco/rules.h"
#include "settings/config.h"
#include "store/store.h"
#include "util/clock.h"

static const struct opts_cmd	movie_cmd = {
	"cinerec movie", "withdraw MOVIEID | restore MOVIEID | withdrawn",
	"Business rules on the lists.  withdraw: take the movie (spelled as\n"
	"the stream spells it) out of every list, of every kind, at once (a\n"
	"running server within a second, precomputed lists included), for\n"
	"the reason given with --why; its history stays.  restore: bring it\n"
	"back.  withdrawn: the movies withdrawn, since when, by whom, why.\n"
	"Each change is recorded in the lifecycle log."
};

static const char *
text(sqlite3_stmt *st, int col)
{
	const unsigned char	*t = sqlite3_column_text(st, col);

	return (t != NULL ? (const char *)t : "-");
}

static int
withdrawn_list(sqlite3 *db)
{
	sqlite3_stmt	*st;
	char		 when[32];

	if (sqlite3_prepare_v2(db, "SELECT m.slug, w.since_ms, w.who, w.why "
	    "FROM withdrawn w JOIN movies m ON m.id = w.movie_id ORDER BY "
	    "w.since_ms DESC, m.slug", -1, &st, NULL) != SQLITE_OK) {
		fprintf(stderr, "cinerec: %s\n", sqlite3_errmsg(db));
		return (1);
	}
	printf("%-40s %-20s %-12s %s\n", "MOVIE", "SINCE", "BY", "WHY");
	while (sqlite3_step(st) == SQLITE_ROW) {
		clock_format(sqlite3_column_int64(st, 1), when, sizeof(when));
		printf("%-40s %-20.20s %-12s %s\n", text(st, 0), when,
		    text(st, 2), text(st, 3));
	}
	sqlite3_finalize(st);
	return (0);
}

int
cmd_movie(int argc, char **argv)
{
	struct store	 s;
	struct cfg	 c;
	const char	*why = NULL, *verb;
	char		*ops[2], err[512];
	int		 rc, nops, withdraw;
	const struct opt o[] = {
		{ "config", OPT_CONFIG, &c, "FILE",
		    "the server's configuration (data dir)", 0, 0, 0 },
		DATA_DIR_OPT(&c),
		{ "why", OPT_STR, &why, "TEXT",
		    "the reason, recorded with the change", 0, 0, 0 },
	};

	cfg_defaults(&c);
	rc = opts_parse(argc, argv, o, NELEM(o), OPTS_PASS_ALL, ops, 2, &nops);
	if ((rc = opts_done(rc, &movie_cmd, o, NELEM(o))) != -1)
		return (rc);
	verb = nops > 0 ? ops[0] : "";
	withdraw = strcmp(verb, "withdraw") == 0;
	if (!((withdraw || strcmp(verb, "restore") == 0) && nops == 2) &&
	    !(strcmp(verb, "withdrawn") == 0 && nops == 1)) {
		opts_usage(stderr, &movie_cmd, o, NELEM(o));
		return (2);
	}
	if (store_open(&s, c.data_dir, STORE_ROLE_MODELS) == -1)
		return (1);
	if (nops == 1)
		rc = withdrawn_list(s.db);
	else if (rules_withdraw(s.db, ops[1], withdraw, "cli", why, err,
	    sizeof(err)) == -1) {
		fprintf(stderr, "cinerec: movie %s: %s\n", verb, err);
		rc = 1;
	} else {
		printf("%s %s\n", ops[1], withdraw ? "withdrawn from every "
		    "list" : "back in the lists");
		rc = 0;
	}
	store_close(&s);
	return (rc);
}
