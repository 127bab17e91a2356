/*
 * Online evaluation reports (see stats.h), straight from reco_stats and
 * reco_movie_daily.
 */
#include <stdio.h>

#include "util/log.h"
#include "telemetry/stats.h"
#include "util/clock.h"
#include "util/json.h"

static const char	*by_model_sql =
    "SELECT hour / 24 AS day, source, model_version, arm, SUM(lists), "
    "  SUM(followed), SUM(rank_sum), SUM(minutes_24h), SUM(personal), "
    "  SUM(latency_us_sum) "
    "FROM reco_stats WHERE hour >= ?1 * 24 "
    "GROUP BY day, source, model_version, arm ORDER BY day, source, "
    "model_version, arm";

static const char	*by_day_sql =
    "WITH n AS (SELECT COUNT(*) AS movies FROM movies), "
    "top AS (SELECT id FROM movies ORDER BY viewers + raters DESC, id "
    "  LIMIT (SELECT (movies + 99) / 100 FROM n)) "
    "SELECT day, COUNT(*), SUM(slots), "
    "  SUM(CASE WHEN movie_id IN top THEN slots ELSE 0 END), "
    "  (SELECT movies FROM n) "
    "FROM reco_movie_daily WHERE day >= ?1 GROUP BY day ORDER BY day";

/* "YYYY-MM-DD" of a day number (days since 1970-01-01, UTC) into buf. */
static const char *
date_of(int64_t day, char *buf)
{
	clock_format(day * 86400000, buf, 32);
	buf[10] = '\0';
	return (buf);
}

int
stats_ctr_json(sqlite3 *db, int64_t since_day, FILE *fp)
{
	char		 date[32];
	sqlite3_stmt	*st;
	int64_t		 lists, followed, movies;
	int		 n = 0, rc;

	if (sqlite3_prepare_v2(db, by_model_sql, -1, &st, NULL) != SQLITE_OK)
		goto dberr;
	sqlite3_bind_int64(st, 1, since_day);
	fprintf(fp, "{\"ctr\":[");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		lists = sqlite3_column_int64(st, 4);
		followed = sqlite3_column_int64(st, 5);
		/* source and arm come from the stream: quoted, not pasted. */
		fprintf(fp, "%s{\"day\":%lld,\"date\":\"%s\",\"source\":",
		    n++ ? "," : "", (long long)sqlite3_column_int64(st, 0),
		    date_of(sqlite3_column_int64(st, 0), date));
		json_quote_file(fp, (const char *)sqlite3_column_text(st, 1));
		fprintf(fp, ",\"model_version\":%lld,\"arm\":",
		    (long long)sqlite3_column_int64(st, 2));
		json_quote_file(fp, (const char *)sqlite3_column_text(st, 3));
		fprintf(fp, ",\"lists\":%lld,"
		    "\"followed\":%lld,\"ctr\":%.6f,\"mean_rank\":%.3f,"
		    "\"minutes_24h\":%lld,\"personal\":%lld,"
		    "\"mean_latency_ms\":%.3f}", (long long)lists,
		    (long long)followed, lists ? (double)followed / lists : 0.0,
		    followed ? (double)sqlite3_column_int64(st, 6) / followed :
		    0.0, (long long)sqlite3_column_int64(st, 7),
		    (long long)sqlite3_column_int64(st, 8),
		    lists ? (double)sqlite3_column_int64(st, 9) / lists /
		    1000.0 : 0.0);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		goto dberr;

	if (sqlite3_prepare_v2(db, by_day_sql, -1, &st, NULL) != SQLITE_OK)
		goto dberr;
	sqlite3_bind_int64(st, 1, since_day);
	fprintf(fp, "],\"served\":[");
	n = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		movies = sqlite3_column_int64(st, 4);
		fprintf(fp, "%s{\"day\":%lld,\"date\":\"%s\","
		    "\"distinct_movies\":%lld,\"coverage\":%.6f,\"slots\":%lld,"
		    "\"top1pct_share\":%.6f}", n++ ? "," : "",
		    (long long)sqlite3_column_int64(st, 0),
		    date_of(sqlite3_column_int64(st, 0), date),
		    (long long)sqlite3_column_int64(st, 1),
		    movies ? (double)sqlite3_column_int64(st, 1) / movies : 0.0,
		    (long long)sqlite3_column_int64(st, 2),
		    sqlite3_column_int64(st, 2) ?
		    (double)sqlite3_column_int64(st, 3) /
		    sqlite3_column_int64(st, 2) : 0.0);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		goto dberr;
	fprintf(fp, "]}\n");
	return (0);

dberr:
	log_warnx("%s: %s", __func__, sqlite3_errmsg(db));
	return (-1);
}
