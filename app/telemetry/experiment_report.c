/*
 * Experiment reports: JSON for the admin API and `status --json`, a table
 * for `cinerec experiment status` (see experiment.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "telemetry/experiment.h"
#include "util/clock.h"
#include "util/json.h"

/* A double for JSON: finite, else null. */
static void
num(FILE *fp, const char *key, double v)
{
	if (v == v && v < 1e300 && v > -1e300)
		fprintf(fp, ",\"%s\":%.6g", key, v);
	else
		fprintf(fp, ",\"%s\":null", key);
}

static void
arm_json(FILE *fp, const struct experiment *e, int a,
    const struct experiment_stats *x)
{
	char	label[EXPERIMENT_ARM_MAX + 32];

	experiment_arm_label(e, a, label, sizeof(label));
	fprintf(fp, "%s{\"name\":", a ? "," : "");
	json_quote_file(fp, e->arm[a].name);
	fprintf(fp, ",\"label\":");
	json_quote_file(fp, label);
	fprintf(fp, ",\"model\":%lld,\"share\":%d,\"lists\":%lld,"
	    "\"users\":%lld,\"errors\":%lld,\"followed\":%lld,\"minutes\":%lld",
	    (long long)e->arm[a].model_id, e->arm[a].share,
	    (long long)x->lists, (long long)x->users, (long long)x->empty,
	    (long long)x->followed, (long long)x->minutes);
	num(fp, "error_rate", x->error_rate);
	num(fp, "ctr", x->ctr);
	num(fp, "lo", x->lo);
	num(fp, "hi", x->hi);
	num(fp, "mean_rank", x->mean_rank);
	num(fp, "minutes_per_list", x->minutes_per_list);
	num(fp, "latency_ms", x->latency_ms);
	fprintf(fp, ",\"p99_over_ms\":%d", x->p99_over_ms);
	if (a > 0) {
		num(fp, "diff", x->diff);
		num(fp, "p_msprt", x->p_msprt);
		num(fp, "p_z", x->p_z);
	}
	fprintf(fp, "}");
}

static int
one_json(sqlite3 *db, const struct experiment *e, FILE *fp, int series)
{
	struct experiment_stats		 st[EXPERIMENT_ARMS_MAX];
	struct experiment_series	*s = NULL;
	int				 a, h;

	if (series && (s = calloc(1, sizeof(*s))) == NULL)
		return (-1);
	if (experiment_stats(db, e, st, s) == -1) {
		free(s);
		return (-1);
	}
	fprintf(fp, "{\"id\":%lld,\"name\":", (long long)e->id);
	json_quote_file(fp, e->name);
	fprintf(fp, ",\"status\":");
	json_quote_file(fp, e->status);
	fprintf(fp, ",\"started_ms\":%lld,\"stopped_ms\":%lld,\"min_lists\":"
	    "%lld,\"auto_promote\":%d", (long long)e->started_ms,
	    (long long)e->stopped_ms, (long long)e->min_lists,
	    e->auto_promote);
	num(fp, "max_hours", e->max_hours);
	num(fp, "max_p99_ms", e->max_p99_ms);
	fprintf(fp, ",\"decision\":");
	json_quote_file(fp, e->decision[0] != '\0' ? e->decision : NULL);
	fprintf(fp, ",\"arms\":[");
	for (a = 0; a < e->narms; a++)
		arm_json(fp, e, a, &st[a]);
	fprintf(fp, "]");
	if (s != NULL) {
		fprintf(fp, ",\"series\":{\"hours\":[");
		for (h = 0; h < s->nhours; h++)
			fprintf(fp, "%s%lld", h ? "," : "",
			    (long long)s->hour[h] * 3600);
		fprintf(fp, "],\"ctr\":[");
		for (a = 0; a < e->narms; a++) {
			fprintf(fp, "%s[", a ? "," : "");
			for (h = 0; h < s->nhours; h++)
				if (s->lists[h][a] > 0)
					fprintf(fp, "%s%.6g", h ? "," : "",
					    (double)s->followed[h][a] /
					    (double)s->lists[h][a]);
				else
					fprintf(fp, "%snull", h ? "," : "");
			fprintf(fp, "]");
		}
		fprintf(fp, "]}");
	}
	fprintf(fp, "}");
	free(s);
	return (0);
}

int
experiment_json(sqlite3 *db, int64_t id, int limit, FILE *fp)
{
	struct experiment	 e;
	sqlite3_stmt		*st;
	int64_t			 ids[200];
	int			 n = 0, i, rc;

	if (id > 0) {
		ids[n++] = id;
	} else {
		if (sqlite3_prepare_v2(db, "SELECT id FROM experiments ORDER "
		    "BY id DESC LIMIT ?1", -1, &st, NULL) != SQLITE_OK)
			return (-1);
		sqlite3_bind_int(st, 1, limit < 1 ? 1 : limit > 200 ? 200 :
		    limit);
		while (n < 200 && sqlite3_step(st) == SQLITE_ROW)
			ids[n++] = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
	}
	fprintf(fp, "{\"experiments\":[");
	for (i = 0; i < n; i++) {
		if ((rc = experiment_get(db, ids[i], &e)) == -1)
			return (-1);
		if (rc == 0)
			continue;	/* no such id: none listed */
		if (i > 0)
			fprintf(fp, ",");
		if (one_json(db, &e, fp, i == 0) == -1)
			return (-1);
	}
	fprintf(fp, "],\"log\":[");
	if (sqlite3_prepare_v2(db, "SELECT ts, who, action, model_id, "
	    "experiment_id, detail FROM lifecycle_log ORDER BY id DESC LIMIT "
	    "100", -1, &st, NULL) != SQLITE_OK)
		return (-1);
	for (i = 0; sqlite3_step(st) == SQLITE_ROW; i++) {
		fprintf(fp, "%s{\"ts\":%lld,\"who\":", i ? "," : "",
		    (long long)sqlite3_column_int64(st, 0));
		json_quote_file(fp, (const char *)sqlite3_column_text(st, 1));
		fprintf(fp, ",\"action\":");
		json_quote_file(fp, (const char *)sqlite3_column_text(st, 2));
		fprintf(fp, ",\"model\":%lld,\"experiment\":%lld,\"detail\":",
		    (long long)sqlite3_column_int64(st, 3),
		    (long long)sqlite3_column_int64(st, 4));
		json_quote_file(fp, (const char *)sqlite3_column_text(st, 5));
		fprintf(fp, "}");
	}
	sqlite3_finalize(st);
	fprintf(fp, "]}\n");
	return (0);
}

int
experiment_text(sqlite3 *db, int64_t id, FILE *fp)
{
	struct experiment	 e;
	struct experiment_stats	 st[EXPERIMENT_ARMS_MAX];
	sqlite3_stmt		*q;
	char			 when[32], ver[24], p[48];
	int			 a, rc;

	if (id == 0) {
		if (sqlite3_prepare_v2(db, "SELECT COALESCE(MAX(id), 0) FROM "
		    "experiments", -1, &q, NULL) != SQLITE_OK)
			return (-1);
		if (sqlite3_step(q) == SQLITE_ROW)
			id = sqlite3_column_int64(q, 0);
		sqlite3_finalize(q);
	}
	if ((rc = experiment_get(db, id, &e)) != 1) {
		fprintf(fp, rc == 0 ? "no experiment\n" : "database error\n");
		return (rc == 0 ? 0 : -1);
	}
	if (experiment_stats(db, &e, st, NULL) == -1)
		return (-1);
	clock_format(e.started_ms, when, sizeof(when));
	fprintf(fp, "experiment %lld %s: %s since %s (max %g h, min %lld "
	    "lists per arm, p99 limit %g ms%s)\n", (long long)e.id, e.name,
	    e.status, when, e.max_hours, (long long)e.min_lists, e.max_p99_ms,
	    e.auto_promote ? ", auto-promote" : "");
	if (e.decision[0] != '\0')
		fprintf(fp, "decision: %s\n", e.decision);
	fprintf(fp, "%-12s %-8s %6s %7s %8s %8s %-17s %5s %5s %6s %7s %-9s "
	    "%s\n", "ARM", "MODEL", "SHARE", "USERS", "LISTS", "FOLLOWED",
	    "CTR (95%)", "RANK", "MIN/L", "ERR%", "LAT ms", "P99", "VS CONTROL");
	for (a = 0; a < e.narms; a++) {
		struct experiment_stats	*x = &st[a];
		char			 ci[32], p99[16];

		if (e.arm[a].model_id > 0)
			snprintf(ver, sizeof(ver), "v%lld",
			    (long long)e.arm[a].model_id);
		else
			snprintf(ver, sizeof(ver), "current");
		snprintf(ci, sizeof(ci), "%.3f %.3f-%.3f", x->ctr, x->lo, x->hi);
		snprintf(p99, sizeof(p99), x->p99_over_ms ? "> %d ms" : "<= 1 ms",
		    x->p99_over_ms);
		if (a == 0)
			snprintf(p, sizeof(p), "(control)");
		else
			snprintf(p, sizeof(p), "%+.3f  p %.3g (z %.3g)", x->diff,
			    x->p_msprt, x->p_z);
		fprintf(fp, "%-12s %-8s %5.1f%% %7lld %8lld %8lld %-17s %5.2f "
		    "%5.2f %6.2f %7.3f %-9s %s\n", e.arm[a].name, ver,
		    e.arm[a].share / 10.0, (long long)x->users,
		    (long long)x->lists, (long long)x->followed, ci,
		    x->mean_rank, x->minutes_per_list, 100.0 * x->error_rate,
		    x->latency_ms, p99, p);
	}
	fprintf(fp, "p: the always-valid p-value of a mixture SPRT (valid "
	    "however often it is looked at); z: the naive z-test's\n");
	return (0);
}
