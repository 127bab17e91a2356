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

/* One logged list, as read (the strings live until the next row). */
struct why_list {
	char		 at[32];	/* clock_format of its time */
	const char	*source;	/* "served", "external" */
	const char	*host;		/* who served it, or NULL */
	const char	*arm;		/* an experiment's arm, or NULL */
	const char	*movies;	/* slugs, comma-separated */
	int64_t		 version;	/* the model's, when has_version */
	int		 has_version;
	int		 personal;	/* ids from the model */
	int		 latency_ms;
	int		 followed;	/* the rank followed; -1: none */
};

/* One model's provenance (strings live until the statement ends). */
struct why_model {
	int64_t		 version;
	int		 found;		/* 0: no row; the rest is unset */
	const char	*algo, *params, *binary;
	char		 at[32], from[32], to[32];	/* clock_format */
	double		 train_seconds;
	long long	 interactions, users, items;
	int		 offline;	/* the hold-out figures are known */
	double		 recall, ndcg, coverage;
	int		 current;
};

/* An output format: why_run calls these in order. */
struct why_fmt {
	void	(*begin)(FILE *, int64_t user);
	void	(*list)(FILE *, int i, const struct why_list *);
	void	(*middle)(FILE *, int64_t user, int nlists, int nmodels);
	void	(*model)(FILE *, int i, const struct why_model *);
	void	(*now)(FILE *, const struct why_now *);
	void	(*end)(FILE *, int now);	/* now: after now */
};

/* Read version's row and hand it to fmt's model. */
static void
model_row(FILE *fp, sqlite3 *db, int64_t version, int i,
    const struct why_fmt *fmt)
{
	sqlite3_stmt		*st;
	struct why_model	 m;

	if (sqlite3_prepare_v2(db, "SELECT algo, params, created_ms, "
	    "train_seconds, interactions, users, items, data_from_ms, "
	    "data_to_ms, binary_version, eval_recall20, eval_ndcg20, "
	    "eval_coverage, current FROM models WHERE id = ?1", -1, &st,
	    NULL) != SQLITE_OK)
		return;
	sqlite3_bind_int64(st, 1, version);
	memset(&m, 0, sizeof(m));
	m.version = version;
	if (sqlite3_step(st) == SQLITE_ROW) {
		m.found = 1;
		m.algo = (const char *)sqlite3_column_text(st, 0);
		m.params = (const char *)sqlite3_column_text(st, 1);
		clock_format(sqlite3_column_int64(st, 2), m.at, sizeof(m.at));
		m.train_seconds = sqlite3_column_double(st, 3);
		m.interactions = sqlite3_column_int64(st, 4);
		m.users = sqlite3_column_int64(st, 5);
		m.items = sqlite3_column_int64(st, 6);
		clock_format(sqlite3_column_int64(st, 7), m.from,
		    sizeof(m.from));
		clock_format(sqlite3_column_int64(st, 8), m.to, sizeof(m.to));
		m.binary = (const char *)sqlite3_column_text(st, 9);
		m.offline = sqlite3_column_type(st, 10) != SQLITE_NULL;
		m.recall = sqlite3_column_double(st, 10);
		m.ndcg = sqlite3_column_double(st, 11);
		m.coverage = sqlite3_column_double(st, 12);
		m.current = sqlite3_column_int(st, 13);
	}
	fmt->model(fp, i, &m);
	sqlite3_finalize(st);
}

/* The lists and then the models they name, through fmt; as why_json. */
static int
why_run(sqlite3 *db, int64_t user, int64_t at, int limit,
    const struct why_now *now, FILE *fp, const struct why_fmt *fmt)
{
	sqlite3_stmt	*st;
	struct why_list	 l;
	int64_t		 versions[64];
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
	fmt->begin(fp, user);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		clock_format(sqlite3_column_int64(st, 0), l.at, sizeof(l.at));
		l.source = (const char *)sqlite3_column_text(st, 1);
		l.host = (const char *)sqlite3_column_text(st, 2);
		l.version = sqlite3_column_int64(st, 3);
		l.arm = (const char *)sqlite3_column_text(st, 4);
		l.personal = sqlite3_column_int(st, 5);
		l.followed = sqlite3_column_type(st, 6) != SQLITE_NULL ?
		    sqlite3_column_int(st, 6) : -1;
		l.latency_ms = sqlite3_column_int(st, 7);
		l.movies = (const char *)sqlite3_column_text(st, 8);
		l.has_version = sqlite3_column_type(st, 3) != SQLITE_NULL;
		if (l.has_version) {
			for (i = 0; i < nv && versions[i] != l.version; i++)
				;
			if (i == nv && nv < 64)
				versions[nv++] = l.version;
		}
		fmt->list(fp, n++, &l);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		log_warnx("%s: %s", __func__, sqlite3_errmsg(db));
		return (-1);
	}
	fmt->middle(fp, user, n, nv);
	for (i = 0; i < nv; i++)
		model_row(fp, db, versions[i], i, fmt);
	if (now != NULL)
		fmt->now(fp, now);
	fmt->end(fp, now != NULL);
	return (n);
}

/* ---- JSON (the HTTP route's answer) ----------------------------------- */

static void
json_begin(FILE *fp, int64_t user)
{
	fprintf(fp, "{\"user\":%lld,\"lists\":[", (long long)user);
}

static void
json_list(FILE *fp, int i, const struct why_list *l)
{
	fprintf(fp, "%s{\"at\":\"%s\",\"source\":\"%s\"", i ? "," : "",
	    l->at, l->source);
	if (l->host != NULL) {
		fprintf(fp, ",\"host\":");
		json_quote_file(fp, l->host);
	}
	if (l->has_version)
		fprintf(fp, ",\"model_version\":%lld", (long long)l->version);
	else
		fprintf(fp, ",\"model_version\":null");
	if (l->arm != NULL) {
		fprintf(fp, ",\"arm\":");
		json_quote_file(fp, l->arm);
	}
	fprintf(fp, ",\"personal\":%d,\"latency_ms\":%d", l->personal,
	    l->latency_ms);
	if (l->followed != -1)
		fprintf(fp, ",\"followed_rank\":%d", l->followed);
	fprintf(fp, ",\"movies\":");
	json_quote_file(fp, l->movies);
	fprintf(fp, "}");
}

static void
json_middle(FILE *fp, int64_t user, int nlists, int nmodels)
{
	(void)user;
	(void)nlists;
	(void)nmodels;
	fprintf(fp, "],\"models\":[");
}

static void
json_model(FILE *fp, int i, const struct why_model *m)
{
	if (i > 0)
		fputc(',', fp);
	if (!m->found) {
		fprintf(fp, "{\"version\":%lld,\"missing\":true}",
		    (long long)m->version);
		return;
	}
	fprintf(fp, "{\"version\":%lld,\"algo\":", (long long)m->version);
	json_quote_file(fp, m->algo);
	fprintf(fp, ",\"params\":%s,\"trained_at\":\"%s\","
	    "\"train_seconds\":%.3f,\"data\":{\"interactions\":%lld,"
	    "\"users\":%lld,\"items\":%lld,\"from\":\"%s\","
	    "\"to\":\"%s\"},\"binary_version\":", m->params, m->at,
	    m->train_seconds, m->interactions, m->users, m->items, m->from,
	    m->to);
	json_quote_file(fp, m->binary);
	if (m->offline)
		fprintf(fp, ",\"offline\":{\"recall20\":%.4f,"
		    "\"ndcg20\":%.4f,\"coverage\":%.4f}", m->recall, m->ndcg,
		    m->coverage);
	fprintf(fp, ",\"current\":%s}", m->current ? "true" : "false");
}

static void
json_now(FILE *fp, const struct why_now *now)
{
	size_t	i;

	fprintf(fp, "],\"now\":{\"model_version\":");
	if (now->model > 0)
		fprintf(fp, "%lld", (long long)now->model);
	else
		fprintf(fp, "null");
	fprintf(fp, ",\"items\":[");
	for (i = 0; i < now->n; i++) {
		fprintf(fp, "%s{\"id\":", i ? "," : "");
		json_quote_file(fp, now->item[i].movie);
		fprintf(fp, ",\"source\":\"%s\"", i < now->personal ?
		    "model" : "popular");
		if (now->item[i].because != NULL) {
			fprintf(fp, ",\"because\":");
			json_quote_file(fp, now->item[i].because);
		}
		fprintf(fp, "}");
	}
	fprintf(fp, "]}");
}

static void
json_end(FILE *fp, int now)
{
	fprintf(fp, now ? "}\n" : "]}\n");
}

static const struct why_fmt	why_fmt_json = {
	json_begin, json_list, json_middle, json_model, json_now, json_end
};

int
why_json(sqlite3 *db, int64_t user, int64_t at, int limit,
    const struct why_now *now, FILE *fp)
{
	return (why_run(db, user, at, limit, now, fp, &why_fmt_json));
}

/* ---- text (the command line's) ---------------------------------------- */

/* A clock_format time as "YYYY-MM-DD HH:MM:SS": a table has no room. */
static const char *
text_time(const char *at, char *buf, size_t sz)
{
	snprintf(buf, sz, "%.10s %.8s", at, at + 11);
	return (buf);
}

static void
text_begin(FILE *fp, int64_t user)
{
	(void)fp;
	(void)user;
}

static void
text_list(FILE *fp, int i, const struct why_list *l)
{
	char		 when[32], by[32], rank[16];
	const char	*m;

	if (i == 0)
		fprintf(fp, "%-19s %-8s %-12s %-6s %-8s %7s  %s\n", "TIME",
		    "SOURCE", "BY", "ARM", "FOLLOWED", "LATENCY", "MOVIES");
	if (l->host != NULL)
		snprintf(by, sizeof(by), "%s", l->host);
	else if (l->has_version)
		snprintf(by, sizeof(by), "model %lld", (long long)l->version);
	else
		snprintf(by, sizeof(by), "no model");
	if (l->followed != -1)
		snprintf(rank, sizeof(rank), "#%d", l->followed);
	else
		snprintf(rank, sizeof(rank), "-");
	fprintf(fp, "%-19s %-8s %-12s %-6s %-8s %4d ms  ",
	    text_time(l->at, when, sizeof(when)), l->source, by,
	    l->arm != NULL ? l->arm : "-", rank, l->latency_ms);
	/* The slugs as a list a person reads. */
	for (m = l->movies != NULL ? l->movies : ""; *m != '\0'; m++) {
		fputc(*m, fp);
		if (*m == ',')
			fputc(' ', fp);
	}
	fputc('\n', fp);
}

static void
text_middle(FILE *fp, int64_t user, int nlists, int nmodels)
{
	if (nlists == 0)
		fprintf(fp, "user %lld got no lists\n", (long long)user);
	if (nmodels > 0)
		fprintf(fp, "\nmodels:\n");
}

static void
text_model(FILE *fp, int i, const struct why_model *m)
{
	char	at[32], from[32], to[32];

	(void)i;
	if (!m->found) {
		fprintf(fp, "  %lld  missing: no record of this version\n",
		    (long long)m->version);
		return;
	}
	fprintf(fp, "  %lld  %s%s, trained %s in %.2f s (cinerec %s)\n"
	    "     params %s\n"
	    "     data %lld interactions, %lld users, %lld items\n"
	    "     from %s to %s\n", (long long)m->version, m->algo,
	    m->current ? ", current" : "", text_time(m->at, at, sizeof(at)),
	    m->train_seconds, m->binary, m->params, m->interactions,
	    m->users, m->items, text_time(m->from, from, sizeof(from)),
	    text_time(m->to, to, sizeof(to)));
	if (m->offline)
		fprintf(fp, "     hold-out Recall@20 %.4f, NDCG@20 %.4f, "
		    "coverage %.4f\n", m->recall, m->ndcg, m->coverage);
}

static void
text_now(FILE *fp, const struct why_now *now)
{
	size_t	i;

	if (now->model > 0)
		fprintf(fp, "\nnow, from model %lld:\n", (long long)now->model);
	else
		fprintf(fp, "\nnow, from popularity:\n");
	for (i = 0; i < now->n; i++)
		fprintf(fp, "  %2zu  %-40s %s%s\n", i + 1, now->item[i].movie,
		    now->item[i].because != NULL ? "because of " : i <
		    now->personal ? "(its model's score)" : "popular",
		    now->item[i].because != NULL ? now->item[i].because : "");
}

static void
text_end(FILE *fp, int now)
{
	(void)fp;
	(void)now;
}

static const struct why_fmt	why_fmt_text = {
	text_begin, text_list, text_middle, text_model, text_now, text_end
};

int
why_text(sqlite3 *db, int64_t user, int64_t at, int limit,
    const struct why_now *now, FILE *fp)
{
	return (why_run(db, user, at, limit, now, fp, &why_fmt_text));
}
