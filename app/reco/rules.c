/*
 * Business rules (rules.h): the withdrawn movies, written with their log
 * row in one transaction, and read back into a bitmap by movie id.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/versions.h"
#include "reco/rules.h"
#include "store/sql.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/str.h"

/* The newest lifecycle_log id (0 for none) into *v.  0 or -1. */
static int
log_version(sqlite3 *db, int64_t *v)
{
	sqlite3_stmt	*st;
	int		 rc;

	if (sqlite3_prepare_v2(db, "SELECT COALESCE(MAX(id), 0) FROM "
	    "lifecycle_log", -1, &st, NULL) != SQLITE_OK)
		return (-1);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		*v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return (rc == SQLITE_ROW ? 0 : -1);
}

int
rules_refresh(struct rules *r, sqlite3 *db)
{
	sqlite3_stmt	*st = NULL;
	uint8_t		*set = NULL, *grown;
	size_t		 n = 0, count = 0;
	int64_t		 version, id;
	int		 rc;

	if (log_version(db, &version) == -1)
		goto dberr;
	if (r->loaded && version == r->version)
		return (0);
	if (sqlite3_prepare_v2(db, "SELECT movie_id FROM withdrawn ORDER BY "
	    "movie_id DESC", -1, &st, NULL) != SQLITE_OK)
		goto dberr;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((id = sqlite3_column_int64(st, 0)) < 0 || id > INT32_MAX)
			continue;
		if ((size_t)id >= n) {
			/* The largest id comes first: one allocation. */
			if ((grown = realloc(set, (size_t)id + 1)) == NULL) {
				log_warnx("%s: out of memory", __func__);
				goto fail;
			}
			memset(grown + n, 0, (size_t)id + 1 - n);
			set = grown;
			n = (size_t)id + 1;
		}
		count += !set[id];
		set[id] = 1;
	}
	if (rc != SQLITE_DONE)
		goto dberr;
	sqlite3_finalize(st);
	free(r->withdrawn);
	r->withdrawn = set;
	r->n = n;
	r->count = count;
	r->version = version;
	r->loaded = 1;
	return (1);

dberr:
	log_warnx("%s: %s", __func__, sqlite3_errmsg(db));
fail:
	sqlite3_finalize(st);
	free(set);
	return (-1);
}

void
rules_free(struct rules *r)
{
	free(r->withdrawn);
	memset(r, 0, sizeof(*r));
}

/* The movie spelled slug into *id: 1, 0 for none, -1 on error. */
static int
movie_of(sqlite3 *db, const char *slug, int64_t *id)
{
	sqlite3_stmt	*st;
	int		 rc;

	if (sqlite3_prepare_v2(db, "SELECT id FROM movies WHERE slug = ?1", -1,
	    &st, NULL) != SQLITE_OK)
		return (-1);
	sqlite3_bind_text(st, 1, slug, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		*id = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return (rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1);
}

/* The body of rules_withdraw, inside its transaction. */
static int
withdraw_tx(sqlite3 *db, const char *slug, int withdraw, const char *who,
    const char *why, char *err, size_t errsz)
{
	char	detail[600];
	int64_t	id = 0;
	int	rc;

	if (why != NULL && (strlen(why) > RULES_WHY_MAX || !str_utf8(why))) {
		snprintf(err, errsz, "the reason is at most %d bytes of text "
		    "(UTF-8)", RULES_WHY_MAX);
		return (-1);
	}
	if ((rc = movie_of(db, slug, &id)) != 1) {
		/* The slug in the answer only when it is printable text. */
		if (rc == 0 && strlen(slug) <= 200 && str_utf8(slug))
			snprintf(err, errsz, "no movie is spelled '%s' (spell "
			    "it as the stream does)", slug);
		else
			snprintf(err, errsz, rc == 0 ? "no movie is spelled so "
			    "(spell it as the stream does)" : "database error");
		return (-1);
	}
	if (withdraw)
		rc = sql_exec(db, __func__, "INSERT OR IGNORE INTO withdrawn "
		    "(movie_id, since_ms, who, why) VALUES (?1, ?2, ?3, ?4)",
		    "IItt", id, clock_now_ms(), who, why);
	else
		rc = sql_exec(db, __func__, "DELETE FROM withdrawn WHERE "
		    "movie_id = ?1", "I", id);
	if (rc == -1) {
		snprintf(err, errsz, "database error");
		return (-1);
	}
	if (sqlite3_changes(db) != 1) {
		snprintf(err, errsz, "%.200s is %s", slug, withdraw ?
		    "withdrawn already" : "not withdrawn");
		return (-1);
	}
	/* A catalogue slug (ASCII) and a reason checked above: no cut. */
	snprintf(detail, sizeof(detail), "%s%s%s", slug,
	    why != NULL && *why != '\0' ? ": " : "", why != NULL ? why : "");
	if (versions_log(db, who, withdraw ? "withdraw" : "restore", 0, 0,
	    detail) == -1) {
		snprintf(err, errsz, "database error");
		return (-1);
	}
	return (0);
}

int
rules_withdraw(sqlite3 *db, const char *slug, int withdraw, const char *who,
    const char *why, char *err, size_t errsz)
{
	if (sql_exec(db, __func__, "BEGIN IMMEDIATE", "") == -1) {
		snprintf(err, errsz, "database busy");
		return (-1);
	}
	if (withdraw_tx(db, slug, withdraw, who, why, err, errsz) == -1) {
		(void)sql_exec(db, __func__, "ROLLBACK", "");
		return (-1);
	}
	if (sql_exec(db, __func__, "COMMIT", "") == -1) {
		(void)sql_exec(db, __func__, "ROLLBACK", "");
		snprintf(err, errsz, "database error");
		return (-1);
	}
	return (0);
}
