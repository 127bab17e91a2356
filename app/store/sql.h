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
 * then step st once and reset it.  Returns 0, or -1 (logged with what).
 */
int	sql_row(sqlite3_stmt *st, const char *what, const char *types, ...);

/*
 * The same for a statement that returns one integer (UPSERT ... RETURNING,
 * a count): *val gets it, or -1 when no row came back.
 */
int	sql_row_value(sqlite3_stmt *st, const char *what, int64_t *val,
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
