/*
 * Provenance of recommendations (see why.h): the lists a user was given,
 * when, by which model version, and what that version was trained on.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/clock.h"
#include "util/json.h"
#include "util/log.h"
#include "ingest/parse.h"
#include "store/store.h"
#include "telemetry/why.h"

static void
model_json(FILE *fp, sqlite3 *db, int64_t version)
{
	sqlite3_stmt	*st;
	char		 from[32], to[32], at[32];

	if (sqlite3_prepare_v2(db, "SELECT algo, params, created_ms, "
	    "train_seconds, interactions, users, items, data_from_ms, "
	    "data_to_ms, binary_version, eval_recall20, eval_ndcg20, "
	    "eval_coverage, current FROM models WHERE id = ?1", -1, &st,
	    NULL) != SQLITE_OK)
		return;
	sqlite3_bind_int64(st, 1, version);
	if (sqlite3_step(st) == SQLITE_ROW) {
		clock_format(sqlite3_column_int64(st, 2), at, sizeof(at));
		clock_format(sqlite3_column_int64(st, 7), from, sizeof(from));
		clock_format(sqlite3_column_int64(st, 8), to, sizeof(to));
		fprintf(fp, "{\"version\":%lld,\"algo\":", (long long)version);
		json_quote_file(fp, (const char *)sqlite3_column_text(st, 0));
		fprintf(fp, ",\"params\":%s,\"trained_at\":\"%s\","
		    "\"train_seconds\":%.3f,\"data\":{\"interactions\":%lld,"
		    "\"users\":%lld,\"items\":%lld,\"from\":\"%s\","
		    "\"to\":\"%s\"},\"binary_version\":",
		    (const char *)sqlite3_column_text(st, 1), at,
		    sqlite3_column_double(st, 3),
		    (long long)sqlite3_column_int64(st, 4),
		    (long long)sqlite3_column_int64(st, 5),
		    (long long)sqlite3_column_int64(st, 6), from, to);
		json_quote_file(fp, (const char *)sqlite3_column_text(st, 9));
		if (sqlite3_column_type(st, 10) != SQLITE_NULL)
			fprintf(fp, ",\"offline\":{\"recall20\":%.4f,"
			    "\"ndcg20\":%.4f,\"coverage\":%.4f}",
			    sqlite3_column_double(st, 10),
			    sqlite3_column_double(st, 11),
			    sqlite3_column_double(st, 12));
		fprintf(fp, ",\"current\":%s}", sqlite3_column_int(st, 13) ?
		    "true" : "false");
	} else
		fprintf(fp, "{\"version\":%lld,\"missing\":true}",
		    (long long)version);
	sqlite3_finalize(st);
}

int
why_json(sqlite3 *db, int64_t user, int64_t at, int limit, FILE *fp)
{
	sqlite3_stmt	*st;
	int64_t		 versions[64];
	char		 when[32];
	int		 n = 0, nv = 0, i, rc;

	if (sqlite3_prepare_v2(db, "SELECT ts, source, host, model_version, "
	    "arm, personal, followed_rank, latency_ms, movie_slugs(movies) "
	    "FROM reco_log_of_user WHERE user_id = ?1 AND id IN (SELECT "
	    "log_id FROM reco_log_user_ids WHERE user_id = ?1 ORDER BY log_id "
	    "DESC LIMIT " WHY_LISTS_MAX ") AND ts <= ?2 ORDER BY ts DESC, "
	    "id DESC LIMIT ?3", -1, &st, NULL) != SQLITE_OK) {
		log_warnx("%s: %s", __func__, sqlite3_errmsg(db));
		return (-1);
	}
	sqlite3_bind_int64(st, 1, user);
	sqlite3_bind_int64(st, 2, at);
	sqlite3_bind_int(st, 3, limit);
	fprintf(fp, "{\"user\":%lld,\"lists\":[", (long long)user);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		clock_format(sqlite3_column_int64(st, 0), when, sizeof(when));
		fprintf(fp, "%s{\"at\":\"%s\",\"source\":\"%s\"", n ? "," : "",
		    when, (const char *)sqlite3_column_text(st, 1));
		if (sqlite3_column_type(st, 2) != SQLITE_NULL) {
			fprintf(fp, ",\"host\":");
			json_quote_file(fp, (const char *)sqlite3_column_text(st, 2));
		}
		if (sqlite3_column_type(st, 3) != SQLITE_NULL) {
			int64_t	v = sqlite3_column_int64(st, 3);

			fprintf(fp, ",\"model_version\":%lld", (long long)v);
			for (i = 0; i < nv && versions[i] != v; i++)
				;
			if (i == nv && nv < 64)
				versions[nv++] = v;
		} else
			fprintf(fp, ",\"model_version\":null");
		if (sqlite3_column_type(st, 4) != SQLITE_NULL) {
			fprintf(fp, ",\"arm\":");
			json_quote_file(fp, (const char *)sqlite3_column_text(st, 4));
		}
		fprintf(fp, ",\"personal\":%d,\"latency_ms\":%d",
		    sqlite3_column_int(st, 5), sqlite3_column_int(st, 7));
		if (sqlite3_column_type(st, 6) != SQLITE_NULL)
			fprintf(fp, ",\"followed_rank\":%d",
			    sqlite3_column_int(st, 6));
		fprintf(fp, ",\"movies\":");
		json_quote_file(fp, (const char *)sqlite3_column_text(st, 8));
		fprintf(fp, "}");
		n++;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		log_warnx("%s: %s", __func__, sqlite3_errmsg(db));
		return (-1);
	}
	fprintf(fp, "],\"models\":[");
	for (i = 0; i < nv; i++) {
		if (i > 0)
			fputc(',', fp);
		model_json(fp, db, versions[i]);
	}
	fprintf(fp, "]}\n");
	return (n);
}
