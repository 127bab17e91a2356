/*
 * The SQLite database: opening it (WAL), applying the embedded migrations,
 * and the read queries the server needs.  Writes go through writer.c only.
 * A struct store is one connection: use it from one thread at a time.
 */
#ifndef CINEREC_STORE_H
#define CINEREC_STORE_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#define STORE_FILE	"cinerec.db"
#define STORE_BUSY_MS	10000	/* a connection waits this long for a lock */

#define STORE_RDONLY	0x01	/* read-only connection (HTTP workers) */
#define STORE_CREATE	0x02	/* create the data dir and file, migrate */

/*
 * Who writes what.  Every writing connection takes one role, and an SQLite
 * authorizer holds it to that role's tables (a write elsewhere, or a change
 * of the schema, fails with SQLITE_AUTH):
 *
 *   STORE_ROLE_EVENTS  the writer (the ingest thread, import, demo):
 *                      movies, watches, ratings, users, movie_daily,
 *                      counters, reject_samples, reco_log_chunks,
 *                      reco_log_by_user, reco_follows, reco_stats,
 *                      reco_movie_daily
 *   STORE_ROLE_MODELS  training (the server's trainer, cinerec train)
 *                      and the lifecycle (cinerec model, experiment,
 *                      movie; the dashboard's): models, training_runs,
 *                      experiments, experiment_arms, lifecycle_log,
 *                      withdrawn
 *   STORE_ROLE_ADMIN   the dashboard's actions and cinerec admin: admins,
 *                      sessions, login_attempts, audit, settings,
 *                      admin_keys
 *
 * The migrations (STORE_CREATE, applied before the role is taken) and a
 * restore (holding the data dir's lock, see backup.h) change the schema and
 * the file.  Every other connection is read-only.
 */
#define STORE_ROLE_EVENTS	0x10
#define STORE_ROLE_MODELS	0x20
#define STORE_ROLE_ADMIN	0x40
#define STORE_ROLES		0x70

struct store {
	sqlite3		*db;		/* the connection, NULL when closed */
	sqlite3_stmt	*st_history;	/* a user's watches and ratings */
	sqlite3_stmt	*st_model;	/* the current model */
	sqlite3_stmt	*st_last;	/* a user's newest event */
	sqlite3_stmt	*st_counter;	/* one counter's value */
	char		 path[PATH_MAX];	/* database file */
};

/* Figures for /health, read from the counters the writer keeps. */
struct store_counts {
	int		 schema;	/* applied schema version */
	int64_t		 movies, users, watches, ratings, recos;
	int64_t		 accepted, rejected;	/* ingest lines, all time */
	int64_t		 last_event_ms;	/* newest event time, 0 if none */
};

/*
 * Process-wide SQLite settings, before the first connection: no memory
 * statistics (their mutex is taken on every allocation; a bulk import's
 * writes spend a quarter of their time there).
 */
void	store_init(void);

/*
 * Open the database in data_dir, for the role in flags (none: read-only
 * use, or the migrations alone).  With STORE_CREATE the directory and file
 * are created if missing and pending migrations applied; a database newer
 * than this binary is refused.  Returns 0, or -1 with a message on stderr
 * (s is then closed).
 */
int	store_open(struct store *s, const char *data_dir, int flags);

/*
 * Can s write now?  Takes and drops the write lock, waiting up to
 * STORE_BUSY_MS.  Returns 0, or -1 with a one-line reason on stderr (held
 * by another program, read-only file, ...).
 */
int	store_check_writable(struct store *s);

/*
 * Hold db to the tables of role (one STORE_ROLE_*).  Returns 0 or -1.
 * store_open does it for the role in its flags.
 */
int	store_role(sqlite3 *db, int role);

/* Close the connection and its statements.  Safe on a closed store. */
void	store_close(struct store *s);

/*
 * Register cinerec's SQL functions with a connection (store_open does it
 * for its own): movie_slugs(ids), the slugs of a list's movies, and
 * reco_list(id), a recommendation list's JSON (the reco_log_of_user view
 * needs it).  Returns 0 or -1.
 */
int	store_functions(sqlite3 *db);

/* The newest schema version this binary knows. */
int	store_schema_latest(void);

/* One movie in a user's history, as the signal mapping needs it. */
struct store_hist {
	int32_t		movie;		/* internal id */
	float		minutes;	/* watched (0: rated only) */
	float		runtime;	/* minutes, 0 if unknown */
	float		rating;		/* 1..5, 0 if not rated */
	int64_t		ts;		/* last watched or rated, ms */
};

/*
 * Every movie user watched or rated, once each, into *h (grown with
 * realloc as needed; *cap is its capacity, the caller frees it).  Returns
 * the count, or -1 on a database error.
 */
int	store_history(struct store *s, int64_t user, struct store_hist **h,
	    size_t *cap);

/*
 * When user's watches or ratings last changed (wall clock of that commit)
 * into *ts.  Returns 1, 0 for an unknown user, -1 on error.
 */
int	store_user_last(struct store *s, int64_t user, int64_t *ts);

/*
 * The current model's version and file name (in the models directory).
 * Returns 1 and fills them, 0 when there is none, -1 on error.
 */
int	store_current_model(struct store *s, int64_t *id, char *file,
	    size_t filesz);

/*
 * The movie ids user watched or rated, sorted ascending and unique, into
 * *ids (grown with realloc as needed; *cap is its capacity, the caller
 * frees it).  Returns the count, or -1 on a database error.
 */
int	store_seen(struct store *s, int64_t user, int32_t **ids,
	    size_t *cap);

/* Fill c.  Returns 0 or -1. */
int	store_counts(struct store *s, struct store_counts *c);

/*
 * PRAGMA data_version: changes when another connection committed.
 * Returns the value, or -1.
 */
int64_t	store_data_version(struct store *s);

/*
 * A number that changes when watches, ratings or the catalogue change (not
 * when only the recommendation log does): the sum of their counters.
 * Returns it, or -1.
 */
int64_t	store_activity(struct store *s);

/*
 * End the connection's read transaction, if any, and begin a new one: the
 * reads that follow see one snapshot, taken at the first of them, without
 * the per-statement locking cost.  Returns 0 or -1.  store_release ends
 * it.  Hold one for a piece of work (a request), never while waiting: a
 * reader on an old snapshot keeps the writer from resetting the WAL
 * (store/wal.h), which then grows and slows every page read.
 */
int	store_snapshot(struct store *s);
void	store_release(struct store *s);

/* Run sql (no results wanted).  Returns 0, or -1 with a logged message. */
int	store_exec(struct store *s, const char *sql);

#endif
