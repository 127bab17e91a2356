/*
 * `cinerec model list|show|use|pin|unpin`: the model versions (see
 * model/versions.h), beside a running server or without one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/opts.h"
#include "model/versions.h"
#include "settings/config.h"
#include "store/store.h"
#include "util/clock.h"

static const struct opts_cmd	model_cmd = {
	"cinerec model", "list | show VERSION | use VERSION | pin VERSION | "
	"unpin VERSION",
	"The trained model versions.  list: every version, newest first,\n"
	"with the gate's decision and hold-out scores.  show: one version,\n"
	"its provenance and everything done to it.  use: make a kept version\n"
	"current now (a rollback; a running server switches within a second,\n"
	"precomputed lists included), recorded with --why.  pin: a pinned\n"
	"current version is never replaced by a training unless forced, and\n"
	"a pinned version's files are never collected; unpin undoes it."
};

/* A REAL column as "%.4f", or "-" when NULL. */
static const char *
real(sqlite3_stmt *st, int col, char *buf, size_t sz)
{
	if (sqlite3_column_type(st, col) == SQLITE_NULL)
		return ("-");
	snprintf(buf, sz, "%.4f", sqlite3_column_double(st, col));
	return (buf);
}

static const char *
text(sqlite3_stmt *st, int col)
{
	const unsigned char	*t = sqlite3_column_text(st, col);

	return (t != NULL ? (const char *)t : "-");
}

/* What a version is now: current, pinned, collected, kept. */
static void
state(sqlite3_stmt *st, int cur, int pin, int coll, char *buf, size_t sz)
{
	snprintf(buf, sz, "%s%s%s", sqlite3_column_int(st, cur) ? "current" :
	    sqlite3_column_type(st, coll) != SQLITE_NULL ? "collected" :
	    "kept", sqlite3_column_int(st, pin) ? ",pinned" : "", "");
}

static int
model_list(sqlite3 *db)
{
	sqlite3_stmt	*st;
	char		 when[32], r[16], b[16], c[16], s[32];

	if (sqlite3_prepare_v2(db, "SELECT id, algo, created_ms, gate, "
	    "eval_recall20, baseline_recall20, eval_coverage, current, pinned, "
	    "collected_ms FROM models ORDER BY id DESC LIMIT 200", -1, &st,
	    NULL) != SQLITE_OK) {
		fprintf(stderr, "cinerec: %s\n", sqlite3_errmsg(db));
		return (1);
	}
	printf("%-7s %-8s %-20s %-9s %-9s %-9s %-8s %s\n", "VERSION", "ALGO",
	    "CREATED", "GATE", "RECALL20", "CURRENT'S", "COVERAGE", "STATE");
	while (sqlite3_step(st) == SQLITE_ROW) {
		clock_format(sqlite3_column_int64(st, 2), when, sizeof(when));
		state(st, 7, 8, 9, s, sizeof(s));
		printf("%-7lld %-8s %-20.20s %-9s %-9s %-9s %-8s %s\n",
		    (long long)sqlite3_column_int64(st, 0), text(st, 1), when,
		    text(st, 3), real(st, 4, r, sizeof(r)), real(st, 5, b,
		    sizeof(b)), real(st, 6, c, sizeof(c)), s);
	}
	sqlite3_finalize(st);
	return (0);
}

static int
model_show(sqlite3 *db, int64_t id)
{
	sqlite3_stmt	*st;
	char		 when[32], r[16], n[16], c[16], b[16], bc[16], s[32];
	int		 found = 0;

	if (sqlite3_prepare_v2(db, "SELECT id, algo, params, file, created_ms, "
	    "train_seconds, interactions, users, items, binary_version, "
	    "eval_recall20, eval_ndcg20, eval_coverage, eval_users, gate, "
	    "gate_reason, baseline_id, baseline_recall20, baseline_coverage, "
	    "current, pinned, collected_ms FROM models WHERE id = ?1", -1, &st,
	    NULL) != SQLITE_OK) {
		fprintf(stderr, "cinerec: %s\n", sqlite3_errmsg(db));
		return (1);
	}
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) == SQLITE_ROW) {
		found = 1;
		clock_format(sqlite3_column_int64(st, 4), when, sizeof(when));
		state(st, 19, 20, 21, s, sizeof(s));
		printf("version      %lld (%s)\nalgorithm    %s %s\n"
		    "file         %s\ncreated      %s by cinerec %s\n"
		    "trained on   %lld interactions, %lld users, %lld movies "
		    "(fit %.2f s)\n"
		    "hold-out     Recall@20 %s NDCG@20 %s coverage %s (%lld "
		    "users)\n", (long long)id, s, text(st, 1), text(st, 2),
		    text(st, 3), when, text(st, 9),
		    (long long)sqlite3_column_int64(st, 6),
		    (long long)sqlite3_column_int64(st, 7),
		    (long long)sqlite3_column_int64(st, 8),
		    sqlite3_column_double(st, 5), real(st, 10, r, sizeof(r)),
		    real(st, 11, n, sizeof(n)), real(st, 12, c, sizeof(c)),
		    (long long)sqlite3_column_int64(st, 13));
		if (sqlite3_column_type(st, 16) != SQLITE_NULL)
			printf("faced        version %lld: Recall@20 %s coverage "
			    "%s on the same hold-out\n",
			    (long long)sqlite3_column_int64(st, 16),
			    real(st, 17, b, sizeof(b)), real(st, 18, bc,
			    sizeof(bc)));
		printf("gate         %s: %s\n", text(st, 14), text(st, 15));
	}
	sqlite3_finalize(st);
	if (!found) {
		fprintf(stderr, "cinerec: model: no version %lld\n",
		    (long long)id);
		return (1);
	}
	if (sqlite3_prepare_v2(db, "SELECT ts, who, action, detail FROM "
	    "lifecycle_log WHERE model_id = ?1 ORDER BY id", -1, &st, NULL) !=
	    SQLITE_OK)
		return (1);
	sqlite3_bind_int64(st, 1, id);
	printf("history:\n");
	while (sqlite3_step(st) == SQLITE_ROW) {
		clock_format(sqlite3_column_int64(st, 0), when, sizeof(when));
		printf("  %s  %-8s %-8s %s\n", when, text(st, 1), text(st, 2),
		    text(st, 3));
	}
	sqlite3_finalize(st);
	return (0);
}

int
cmd_model(int argc, char **argv)
{
	struct store	 s;
	struct cfg	 c;
	const char	*why = NULL, *verb;
	char		*ops[2], *end, err[256];
	int64_t		 id = 0;
	int		 rc, nops, needs_id;
	const struct opt o[] = {
		{ "config", OPT_CONFIG, &c, "FILE",
		    "the server's configuration (data dir)", 0, 0, 0 },
		DATA_DIR_OPT(&c),
		{ "why", OPT_STR, &why, "TEXT",
		    "use: the reason, recorded with the switch", 0, 0, 0 },
	};

	cfg_defaults(&c);
	rc = opts_parse(argc, argv, o, NELEM(o), OPTS_PASS_ALL, ops, 2, &nops);
	if ((rc = opts_done(rc, &model_cmd, o, NELEM(o))) != -1)
		return (rc);
	verb = nops > 0 ? ops[0] : "";
	needs_id = strcmp(verb, "list") != 0;
	if ((strcmp(verb, "list") != 0 && strcmp(verb, "show") != 0 &&
	    strcmp(verb, "use") != 0 && strcmp(verb, "pin") != 0 &&
	    strcmp(verb, "unpin") != 0) || nops != 1 + needs_id) {
		opts_usage(stderr, &model_cmd, o, NELEM(o));
		return (2);
	}
	if (needs_id) {
		id = strtoll(ops[1], &end, 10);
		if (*ops[1] == '\0' || *end != '\0' || id <= 0) {
			fprintf(stderr, "cinerec: model: a version is a "
			    "positive integer, got '%s'\n", ops[1]);
			return (2);
		}
	}
	if (store_open(&s, c.data_dir, STORE_ROLE_MODELS) == -1)
		return (1);
	if (strcmp(verb, "list") == 0)
		rc = model_list(s.db);
	else if (strcmp(verb, "show") == 0)
		rc = model_show(s.db, id);
	else {
		rc = strcmp(verb, "use") == 0 ? versions_use(s.db, c.data_dir,
		    id, "cli", why, err, sizeof(err)) : versions_pin(s.db, id,
		    strcmp(verb, "pin") == 0, "cli", err, sizeof(err));
		if (rc == -1)
			fprintf(stderr, "cinerec: model %s: %s\n", verb, err);
		else if (strcmp(verb, "use") == 0)
			printf("model %lld is current\n", (long long)id);
		else
			printf("model %lld %sned\n", (long long)id, verb);
		rc = rc == -1;
	}
	store_close(&s);
	return (rc);
}
