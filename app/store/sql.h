/*
 * The store's statement helpers: one place that binds a row of values,
 * steps a statement and reports a failure, for the writer's modules and
 * their many INSERT / UPSERT rows.
 */
#ifndef CINEREC_SQL_H
#define CINEREC_SQL_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

/*
 * Bind the values after types to st, one letter each, from ?1 on:
 *   i  int             I  int64_t
 *   n  int, 0 as NULL  t  const char *, NULL as NULL
 *   s  const char *, int length (bytes)
 *   b  const void *, int length (a blob)
 * then step st once and reset it.  Returns 0, or -1 (logged with what).
 */
#define sql_row(st, what, ...)	sql_row_value((st), (what), NULL, __VA_ARGS__)

/*
 * The same for a statement that returns one integer (UPSERT ... RETURNING,
 * a count): *val gets it (when val is not NULL), or -1 when no row came
 * back.
 */
int	sql_row_value(sqlite3_stmt *st, const char *what, int64_t *val,
	    const char *types, ...);

/*
 * Prepare sql on db, bind as sql_row does, step it once and finalize it:
 * for a statement run once (returning no row).  0, or -1 (logged).
 */
int	sql_exec(sqlite3 *db, const char *what, const char *sql,
	    const char *types, ...);

/* A statement and where its handle goes, for sql_prepare_all. */
struct sql_stmt {
	sqlite3_stmt	**st;
	const char	 *sql;
};

/*
 * Prepare n persistent statements on db.  Returns 0, or -1 with a message
 * on stderr (those prepared so far stay for sql_finalize_all).
 */
int	sql_prepare_all(sqlite3 *db, const struct sql_stmt *s, size_t n);

/* Finalize the statements of s (NULL handles are fine). */
void	sql_finalize_all(const struct sql_stmt *s, size_t n);

#endif
