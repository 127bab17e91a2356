/*
 * Statement helpers (see sql.h).
 */
#include <stdarg.h>
#include <stdio.h>

#include "store/sql.h"
#include "util/log.h"

static void
bind_all(sqlite3_stmt *st, const char *types, va_list ap)
{
	const char	*s;
	const void	*p;
	int		 k, v, len;

	for (k = 1; *types != '\0'; types++, k++) {
		switch (*types) {
		case 'i':
			sqlite3_bind_int(st, k, va_arg(ap, int));
			break;
		case 'n':
			if ((v = va_arg(ap, int)) != 0)
				sqlite3_bind_int(st, k, v);
			else
				sqlite3_bind_null(st, k);
			break;
		case 'I':
			sqlite3_bind_int64(st, k, va_arg(ap, int64_t));
			break;
		case 't':
			if ((s = va_arg(ap, const char *)) != NULL)
				sqlite3_bind_text(st, k, s, -1, SQLITE_STATIC);
			else
				sqlite3_bind_null(st, k);
			break;
		case 's':
			s = va_arg(ap, const char *);
			len = va_arg(ap, int);
			sqlite3_bind_text(st, k, s, len, SQLITE_STATIC);
			break;
		case 'b':
			p = va_arg(ap, const void *);
			len = va_arg(ap, int);
			sqlite3_bind_blob(st, k, p, len, SQLITE_STATIC);
			break;
		}
	}
}

static int
step(sqlite3_stmt *st, const char *what, int64_t *val)
{
	int	rc = sqlite3_step(st);

	if (val != NULL) {
		*val = -1;
		if (rc == SQLITE_ROW) {
			*val = sqlite3_column_int64(st, 0);
			rc = sqlite3_step(st);
		}
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		log_warnx("%s: %s", what,
		    sqlite3_errmsg(sqlite3_db_handle(st)));
		return (-1);
	}
	return (0);
}

int
sql_row_value(sqlite3_stmt *st, const char *what, int64_t *val,
    const char *types, ...)
{
	va_list	ap;

	va_start(ap, types);
	bind_all(st, types, ap);
	va_end(ap);
	return (step(st, what, val));
}

int
sql_exec(sqlite3 *db, const char *what, const char *sql, const char *types,
    ...)
{
	sqlite3_stmt	*st;
	va_list		 ap;
	int		 rc;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		log_warnx("%s: %s", what, sqlite3_errmsg(db));
		return (-1);
	}
	va_start(ap, types);
	bind_all(st, types, ap);
	va_end(ap);
	rc = step(st, what, NULL);
	sqlite3_finalize(st);
	return (rc);
}

int
sql_prepare_all(sqlite3 *db, const struct sql_stmt *s, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (sqlite3_prepare_v3(db, s[i].sql, -1,
		    SQLITE_PREPARE_PERSISTENT, s[i].st, NULL) != SQLITE_OK) {
			fprintf(stderr, "cinerec: %s: %s\n", s[i].sql,
			    sqlite3_errmsg(db));
			return (-1);
		}
	return (0);
}

void
sql_finalize_all(const struct sql_stmt *s, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		sqlite3_finalize(*s[i].st);
		*s[i].st = NULL;
	}
}
