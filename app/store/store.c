/*
 * The SQLite database: connection setup (WAL, busy timeout), the schema
 * migrations embedded from sql/, and the server's read queries.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util/vec.h"
#include "util/assets.h"
#include "util/io.h"
#include "util/log.h"
#include "ingest/parse.h"
#include "telemetry/reclog.h"
#include "store/store.h"

/* Prefix of the migration assets: sql/NNN_name.sql, applied in order. */
#define MIGRATION_DIR	"sql/"

static int
migration_version(const char *name)
{
	const char	*p = name + strlen(MIGRATION_DIR);
	int		 v = 0;

	if (strncmp(name, MIGRATION_DIR, strlen(MIGRATION_DIR)) != 0)
		return (-1);
	if (*p < '0' || *p > '9')
		return (-1);
	while (*p >= '0' && *p <= '9')
		v = v * 10 + (*p++ - '0');
	return (*p == '_' ? v : -1);
}

static const struct asset *
migration_find(int version)
{
	size_t	i;

	for (i = 0; assets[i].name != NULL; i++)
		if (migration_version(assets[i].name) == version)
			return (&assets[i]);
	return (NULL);
}

int
store_schema_latest(void)
{
	int	v = 0;

	while (migration_find(v + 1) != NULL)
		v++;
	return (v);
}

int
store_exec(struct store *s, const char *sql)
{
	char	*err = NULL;

	if (sqlite3_exec(s->db, sql, NULL, NULL, &err) != SQLITE_OK) {
		log_warnx("%s: %s: %s", __func__, s->path,
		    err ? err : sqlite3_errmsg(s->db));
		sqlite3_free(err);
		return (-1);
	}
	return (0);
}

static int
query_int(struct store *s, const char *sql, int64_t *v)
{
	sqlite3_stmt	*st;
	int		 rc;

	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
		log_warnx("%s: %s", __func__, sqlite3_errmsg(s->db));
		return (-1);
	}
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*v = sqlite3_column_int64(st, 0);
	else if (rc == SQLITE_DONE)
		*v = 0;
	else
		log_warnx("%s: %s", __func__, sqlite3_errmsg(s->db));
	sqlite3_finalize(st);
	return (rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1);
}

/* Apply every migration newer than the database, each in its own transaction. */
static int
migrate(struct store *s)
{
	const struct asset	*a;
	char			 sql[256];
	int64_t			 have;
	int			 v, latest = store_schema_latest();

	if (store_exec(s, "CREATE TABLE IF NOT EXISTS schema_migrations ("
	    "version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
	    "applied_ms INTEGER NOT NULL)") == -1)
		return (-1);
	if (query_int(s, "SELECT COALESCE(MAX(version), 0) "
	    "FROM schema_migrations", &have) == -1)
		return (-1);
	if (have > latest) {
		fprintf(stderr, "cinerec: %s has schema version %lld, newer "
		    "than this cinerec knows (%d): install a newer cinerec\n",
		    s->path, (long long)have, latest);
		return (-1);
	}
	for (v = (int)have + 1; v <= latest; v++) {
		a = migration_find(v);
		if (store_exec(s, "BEGIN IMMEDIATE") == -1)
			return (-1);
		snprintf(sql, sizeof(sql), "INSERT INTO schema_migrations "
		    "VALUES (%d, '%s', CAST(strftime('%%s', 'now') AS INTEGER) "
		    "* 1000)", v, a->name);
		if (store_exec(s, (const char *)a->data) == -1 ||
		    store_exec(s, sql) == -1) {
			(void)store_exec(s, "ROLLBACK");
			fprintf(stderr, "cinerec: migration %s failed\n",
			    a->name);
			return (-1);
		}
		if (store_exec(s, "COMMIT") == -1)
			return (-1);
		log_info("database %s: applied %s", s->path, a->name);
	}
	return (0);
}

/*
 * The column sql gives for each id of the list argv[0] ('17,4032,9'), in
 * order, joined by sep; an id the catalogue lacks is left out.  NULL
 * gives NULL.
 */
static void
movie_list(sqlite3_context *ctx, sqlite3_value **argv, const char *sql,
    const char *sep)
{
	sqlite3		*db = sqlite3_context_db_handle(ctx);
	sqlite3_stmt	*st;
	sqlite3_str	*out;
	const char	*p = (const char *)sqlite3_value_text(argv[0]);
	char		*res;
	int32_t		 ids[PARSE_RESULTS_MAX];
	size_t		 i, n;

	if (p == NULL) {
		sqlite3_result_null(ctx);
		return;
	}
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		sqlite3_result_error(ctx, sqlite3_errmsg(db), -1);
		return;
	}
	out = sqlite3_str_new(db);
	n = reclog_parse_ids(p, ids, PARSE_RESULTS_MAX);
	for (i = 0; i < n; i++) {
		sqlite3_bind_int64(st, 1, ids[i]);
		if (sqlite3_step(st) == SQLITE_ROW)
			sqlite3_str_appendf(out, "%s%s",
			    sqlite3_str_length(out) ? sep : "",
			    (const char *)sqlite3_column_text(st, 0));
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	if (sqlite3_str_errcode(out) != SQLITE_OK) {
		sqlite3_free(sqlite3_str_finish(out));
		sqlite3_result_error_nomem(ctx);
		return;
	}
	if ((res = sqlite3_str_finish(out)) == NULL)
		sqlite3_result_text(ctx, "", 0, SQLITE_STATIC);
	else
		sqlite3_result_text(ctx, res, -1, sqlite3_free);
}

/* movie_slugs(ids): the slugs of a list of catalogue ids (reco_log). */
static void
fn_movie_slugs(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	movie_list(ctx, argv, "SELECT slug FROM movies WHERE id = ?1", ",");
}

/*
 * movie_titles(ids): each movie's title and year ("Heat (1995)"), its
 * slug when it has no title, joined by the unit separator (0x1f: titles
 * hold commas).
 */
static void
fn_movie_titles(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	movie_list(ctx, argv, "SELECT COALESCE(title || CASE WHEN year > 0 "
	    "THEN ' (' || year || ')' ELSE '' END, slug) FROM movies WHERE "
	    "id = ?1", "\x1f");
}

/* reco_list's last answer: a list never changes once written. */
struct reco_list_cache {
	int64_t	 id;
	char	*json;		/* NULL: none */
};

static void
reco_list_cache_free(void *p)
{
	struct reco_list_cache	*c = p;

	free(c->json);
	free(c);
}

/*
 * reco_list(id): the JSON array of recommendation list id, looked up in its
 * chunk of reco_log_chunks (see 005_reco_ids.sql), or NULL.  A reader
 * asking for several fields of one list calls it once per field: the last
 * answer is kept.
 */
static void
fn_reco_list(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	struct reco_list_cache	*c = sqlite3_user_data(ctx);
	sqlite3			*db = sqlite3_context_db_handle(ctx);
	sqlite3_stmt		*st;
	const char		*t;
	int64_t			 id = sqlite3_value_int64(argv[0]);

	(void)argc;
	if (c->json == NULL || c->id != id) {
		free(c->json);
		c->json = NULL;
		if (sqlite3_prepare_v2(db, "SELECT json_extract(lists, '$[' || "
		    "(?1 - first_id) || ']') FROM reco_log_chunks WHERE "
		    "last_id >= ?1 AND first_id <= ?1 ORDER BY last_id LIMIT 1",
		    -1, &st, NULL) != SQLITE_OK) {
			sqlite3_result_error(ctx, sqlite3_errmsg(db), -1);
			return;
		}
		sqlite3_bind_int64(st, 1, id);
		if (sqlite3_step(st) == SQLITE_ROW &&
		    (t = (const char *)sqlite3_column_text(st, 0)) != NULL) {
			c->json = strdup(t);
			c->id = id;
		}
		sqlite3_finalize(st);
	}
	if (c->json == NULL)
		sqlite3_result_null(ctx);
	else
		sqlite3_result_text(ctx, c->json, -1, SQLITE_TRANSIENT);
}

int
store_functions(sqlite3 *db)
{
	struct reco_list_cache	*c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return (-1);
	if (sqlite3_create_function_v2(db, "reco_list", 1, SQLITE_UTF8, c,
	    fn_reco_list, NULL, NULL, reco_list_cache_free) != SQLITE_OK)
		return (-1);
	if (sqlite3_create_function_v2(db, "movie_titles", 1, SQLITE_UTF8,
	    NULL, fn_movie_titles, NULL, NULL, NULL) != SQLITE_OK)
		return (-1);
	return (sqlite3_create_function_v2(db, "movie_slugs", 1, SQLITE_UTF8,
	    NULL, fn_movie_slugs, NULL, NULL, NULL) == SQLITE_OK ? 0 : -1);
}

/* The tables of each role (see store.h). */
static const struct {
	int		 role;
	const char	*tables[16];
} owners[] = {
	{ STORE_ROLE_EVENTS, { "movies", "watches", "ratings", "users",
	    "movie_daily", "counters", "reject_samples", "reco_log_chunks",
	    "reco_log_by_user", "reco_follows", "reco_stats",
	    "reco_movie_daily", "line_shapes", "ingest_hourly", "kafka_offsets",
	    NULL } },
	{ STORE_ROLE_MODELS, { "models", "training_runs", "experiments",
	    "experiment_arms", "lifecycle_log", "withdrawn", NULL } },
	{ STORE_ROLE_ADMIN, { "admins", "sessions", "login_attempts", "audit",
	    "settings", "admin_keys", NULL } },
};

static int
owns(int role, const char *table)
{
	size_t	i, k;

	/* SQLite's own bookkeeping (sqlite_sequence, statistics). */
	if (strncmp(table, "sqlite_", 7) == 0)
		return (1);
	for (i = 0; i < sizeof(owners) / sizeof(owners[0]); i++) {
		if (owners[i].role != role)
			continue;
		for (k = 0; owners[i].tables[k] != NULL; k++)
			if (strcmp(owners[i].tables[k], table) == 0)
				return (1);
	}
	return (0);
}

static int
authorize(void *arg, int action, const char *a1, const char *a2,
    const char *dbname, const char *trigger)
{
	int	role = (int)(intptr_t)arg;

	(void)a2;
	(void)dbname;
	(void)trigger;
	switch (action) {
	case SQLITE_INSERT:
	case SQLITE_UPDATE:
	case SQLITE_DELETE:
		return (a1 != NULL && owns(role, a1) ? SQLITE_OK : SQLITE_DENY);
	case SQLITE_CREATE_INDEX:
	case SQLITE_CREATE_TABLE:
	case SQLITE_CREATE_TRIGGER:
	case SQLITE_CREATE_VIEW:
	case SQLITE_DROP_INDEX:
	case SQLITE_DROP_TABLE:
	case SQLITE_DROP_TRIGGER:
	case SQLITE_DROP_VIEW:
	case SQLITE_ALTER_TABLE:
		return (SQLITE_DENY);
	default:
		return (SQLITE_OK);
	}
}

int
store_role(sqlite3 *db, int role)
{
	return (sqlite3_set_authorizer(db, authorize, (void *)(intptr_t)role) ==
	    SQLITE_OK ? 0 : -1);
}

int
store_check_writable(struct store *s)
{
	int	rc;

	rc = sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
	if (rc == SQLITE_OK) {
		(void)sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
		return (0);
	}
	if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
		fprintf(stderr, "cinerec: %s is locked by another program "
		    "(for %d s): close it, then start again\n", s->path,
		    STORE_BUSY_MS / 1000);
	else
		fprintf(stderr, "cinerec: %s cannot be written: %s\n",
		    s->path, sqlite3_errmsg(s->db));
	return (-1);
}

void
store_init(void)
{
	(void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

int
store_open(struct store *s, const char *data_dir, int flags)
{
	int	 oflags, n;

	memset(s, 0, sizeof(*s));
	n = snprintf(s->path, sizeof(s->path), "%s/%s", data_dir, STORE_FILE);
	if (n < 0 || (size_t)n >= sizeof(s->path)) {
		fprintf(stderr, "cinerec: data dir path too long\n");
		return (-1);
	}
	if ((flags & STORE_CREATE) && io_mkdir_p(data_dir) == -1) {
		fprintf(stderr, "cinerec: cannot create %s: %s\n", data_dir,
		    strerror(errno));
		return (-1);
	}
	oflags = SQLITE_OPEN_NOMUTEX;
	if (flags & STORE_RDONLY)
		oflags |= SQLITE_OPEN_READONLY;
	else
		oflags |= SQLITE_OPEN_READWRITE;
	if (flags & STORE_CREATE)
		oflags |= SQLITE_OPEN_CREATE;
	if (sqlite3_open_v2(s->path, &s->db, oflags, NULL) != SQLITE_OK) {
		fprintf(stderr, "cinerec: cannot open %s: %s\n", s->path,
		    s->db ? sqlite3_errmsg(s->db) : "out of memory");
		goto fail;
	}
	sqlite3_busy_timeout(s->db, STORE_BUSY_MS);
	if (store_functions(s->db) == -1) {
		fprintf(stderr, "cinerec: %s: %s\n", s->path,
		    sqlite3_errmsg(s->db));
		goto fail;
	}
	if (!(flags & STORE_RDONLY) &&
	    store_exec(s, "PRAGMA journal_mode=WAL") == -1)
		goto fail;
	/* Pages through the shared page cache, not pread copies. */
	if (store_exec(s, "PRAGMA synchronous=NORMAL") == -1 ||
	    store_exec(s, "PRAGMA mmap_size=1073741824") == -1)
		goto fail;
	if ((flags & STORE_CREATE) && migrate(s) == -1)
		goto fail;
	if ((flags & STORE_ROLES) && store_role(s->db, flags & STORE_ROLES) ==
	    -1)
		goto fail;
	if (!(flags & STORE_CREATE)) {
		int64_t	have;

		if (query_int(s, "SELECT COALESCE(MAX(version), 0) FROM "
		    "schema_migrations", &have) == -1 ||
		    have != store_schema_latest()) {
			fprintf(stderr, "cinerec: %s: schema is not at version "
			    "%d\n", s->path, store_schema_latest());
			goto fail;
		}
	}
	/* One statement: one read, each movie once, no sorting in SQL. */
	if (sqlite3_prepare_v3(s->db,
	    "SELECT w.movie_id, MAX(w.minutes, w.max_minute + 1), "
	    "  m.runtime_min, r.rating, MAX(w.last_ts, COALESCE(r.ts, 0)) "
	    "FROM watches w JOIN movies m ON m.id = w.movie_id "
	    "LEFT JOIN ratings r ON r.user_id = ?1 AND r.movie_id = w.movie_id "
	    "WHERE w.user_id = ?1 "
	    "UNION ALL "
	    "SELECT r.movie_id, 0, NULL, r.rating, r.ts FROM ratings r "
	    "WHERE r.user_id = ?1 AND NOT EXISTS (SELECT 1 FROM watches w "
	    "  WHERE w.user_id = ?1 AND w.movie_id = r.movie_id)", -1,
	    SQLITE_PREPARE_PERSISTENT, &s->st_history, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v3(s->db,
	    "SELECT id, file FROM models WHERE current = 1", -1,
	    SQLITE_PREPARE_PERSISTENT, &s->st_model, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v3(s->db,
	    "SELECT updated_ms FROM users WHERE id = ?1", -1,
	    SQLITE_PREPARE_PERSISTENT, &s->st_last, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v3(s->db,
	    "SELECT value FROM counters WHERE name = ?1", -1,
	    SQLITE_PREPARE_PERSISTENT, &s->st_counter, NULL) != SQLITE_OK) {
		fprintf(stderr, "cinerec: %s: %s\n", s->path,
		    sqlite3_errmsg(s->db));
		goto fail;
	}
	return (0);

fail:
	store_close(s);
	return (-1);
}

void
store_close(struct store *s)
{
	sqlite3_finalize(s->st_history);
	sqlite3_finalize(s->st_model);
	sqlite3_finalize(s->st_last);
	s->st_last = NULL;
	sqlite3_finalize(s->st_counter);
	s->st_history = s->st_model = s->st_counter = NULL;
	if (s->db != NULL)
		sqlite3_close(s->db);
	s->db = NULL;
}

int
store_history(struct store *s, int64_t user, struct store_hist **h,
    size_t *cap)
{
	sqlite3_stmt		*st = s->st_history;
	struct store_hist	*p;
	size_t			 n = 0;
	int			 rc;

	sqlite3_bind_int64(st, 1, user);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (vec_grow((void **)h, cap, n + 1, sizeof(**h)) == -1) {
			rc = SQLITE_NOMEM;
			break;
		}
		p = &(*h)[n++];
		p->movie = sqlite3_column_int(st, 0);
		p->minutes = (float)sqlite3_column_double(st, 1);
		p->runtime = (float)sqlite3_column_double(st, 2);
		p->rating = (float)sqlite3_column_double(st, 3);
		p->ts = sqlite3_column_int64(st, 4);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		log_warnx("%s: %s", __func__, sqlite3_errstr(rc));
		return (-1);
	}
	return ((int)n);
}

static int
cmp_id(const void *a, const void *b)
{
	int32_t	x = *(const int32_t *)a, y = *(const int32_t *)b;

	return (x < y ? -1 : x > y);
}

int
store_seen(struct store *s, int64_t user, int32_t **ids, size_t *cap)
{
	struct store_hist	*h = NULL;
	size_t			 hcap = 0, i;
	int			 n;

	if ((n = store_history(s, user, &h, &hcap)) == -1)
		return (-1);
	if (vec_grow((void **)ids, cap, (size_t)n, sizeof(**ids)) == -1) {
		free(h);
		return (-1);
	}
	for (i = 0; i < (size_t)n; i++)
		(*ids)[i] = h[i].movie;
	free(h);
	if (n > 1)
		qsort(*ids, (size_t)n, sizeof(**ids), cmp_id);
	return (n);
}

int
store_user_last(struct store *s, int64_t user, int64_t *ts)
{
	sqlite3_stmt	*st = s->st_last;
	int		 rc;

	sqlite3_bind_int64(st, 1, user);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*ts = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		log_warnx("%s: %s", __func__, sqlite3_errstr(rc));
		return (-1);
	}
	return (rc == SQLITE_ROW);
}

int
store_current_model(struct store *s, int64_t *id, char *file, size_t filesz)
{
	sqlite3_stmt	*st = s->st_model;
	int		 rc;

	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*id = sqlite3_column_int64(st, 0);
		snprintf(file, filesz, "%s", (const char *)
		    sqlite3_column_text(st, 1));
	}
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		log_warnx("%s: %s", __func__, sqlite3_errstr(rc));
		return (-1);
	}
	return (rc == SQLITE_ROW);
}

static int64_t
counter(struct store *s, const char *name)
{
	int64_t	v = 0;

	sqlite3_bind_text(s->st_counter, 1, name, -1, SQLITE_STATIC);
	if (sqlite3_step(s->st_counter) == SQLITE_ROW)
		v = sqlite3_column_int64(s->st_counter, 0);
	sqlite3_reset(s->st_counter);
	return (v);
}

int
store_counts(struct store *s, struct store_counts *c)
{
	int64_t	v;

	memset(c, 0, sizeof(*c));
	if (query_int(s, "SELECT COALESCE(MAX(version), 0) FROM "
	    "schema_migrations", &v) == -1)
		return (-1);
	c->schema = (int)v;
	c->movies = counter(s, "movies");
	c->users = counter(s, "users");
	c->watches = counter(s, "watches");
	c->ratings = counter(s, "ratings");
	c->recos = counter(s, "recos");
	c->last_event_ms = counter(s, "last_event_ms");
	if (query_int(s, "SELECT COALESCE(SUM(value), 0) FROM counters "
	    "WHERE name LIKE 'accepted\\_%' ESCAPE '\\'", &c->accepted) == -1 ||
	    query_int(s, "SELECT COALESCE(SUM(value), 0) FROM counters "
	    "WHERE name LIKE 'rejected\\_%' ESCAPE '\\'", &c->rejected) == -1)
		return (-1);
	return (0);
}

int
store_snapshot(struct store *s)
{
	if (!sqlite3_get_autocommit(s->db) && store_exec(s, "COMMIT") == -1)
		return (-1);
	return (store_exec(s, "BEGIN"));
}

void
store_release(struct store *s)
{
	if (!sqlite3_get_autocommit(s->db))
		(void)store_exec(s, "COMMIT");
}

int64_t
store_activity(struct store *s)
{
	int64_t	v;

	if (query_int(s, "SELECT COALESCE(SUM(value), 0) FROM counters WHERE "
	    "name IN ('accepted_watch', 'accepted_rate', 'movies')", &v) == -1)
		return (-1);
	return (v);
}

int64_t
store_data_version(struct store *s)
{
	int64_t	v;

	if (query_int(s, "PRAGMA data_version", &v) == -1)
		return (-1);
	return (v);
}
