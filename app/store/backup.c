/*
 * Online backup and restore (see backup.h).
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "store/backup.h"
#include "util/str.h"
#include "store/store.h"
#include "model/train.h"

/* Copy every page of src's main database into dst.  0 or -1 (message). */
static int
copy_db(sqlite3 *src, sqlite3 *dst, const char *what)
{
	sqlite3_backup	*b;
	int		 rc;

	if ((b = sqlite3_backup_init(dst, "main", src, "main")) == NULL) {
		fprintf(stderr, "cinerec: %s: %s\n", what, sqlite3_errmsg(dst));
		return (-1);
	}
	/* One step: one read snapshot, whatever the server writes. */
	while ((rc = sqlite3_backup_step(b, -1)) == SQLITE_BUSY ||
	    rc == SQLITE_LOCKED)
		sqlite3_sleep(50);
	(void)sqlite3_backup_finish(b);
	if (rc != SQLITE_DONE) {
		fprintf(stderr, "cinerec: %s: %s\n", what, sqlite3_errstr(rc));
		return (-1);
	}
	return (0);
}

/*
 * Is db a sound cinerec database of a schema this binary knows?  Its
 * schema version into *schema.  0 or -1 (message naming what).
 */
static int
check_db(sqlite3 *db, const char *what, int *schema)
{
	sqlite3_stmt	*st;
	const char	*r;
	char		 why[256] = "";
	int		 ok = 0;

	*schema = 0;
	if (sqlite3_prepare_v2(db, "PRAGMA quick_check", -1, &st, NULL) ==
	    SQLITE_OK) {
		/* The answer is the statement's: copied before finalize. */
		if (sqlite3_step(st) == SQLITE_ROW &&
		    (r = (const char *)sqlite3_column_text(st, 0)) != NULL) {
			ok = strcmp(r, "ok") == 0;
			(void)str_copy(why, sizeof(why), r);
		}
		sqlite3_finalize(st);
	}
	if (!ok) {
		fprintf(stderr, "cinerec: %s is not a sound SQLite database "
		    "(%s)\n", what, why[0] != '\0' ? why : sqlite3_errmsg(db));
		return (-1);
	}
	if (sqlite3_prepare_v2(db, "SELECT MAX(version) FROM "
	    "schema_migrations", -1, &st, NULL) != SQLITE_OK) {
		fprintf(stderr, "cinerec: %s is not a cinerec database\n",
		    what);
		return (-1);
	}
	if (sqlite3_step(st) == SQLITE_ROW)
		*schema = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (*schema < 1 || *schema > store_schema_latest()) {
		fprintf(stderr, "cinerec: %s has schema version %d; this "
		    "cinerec reads 1..%d\n", what, *schema,
		    store_schema_latest());
		return (-1);
	}
	return (0);
}

/* A new, empty database at path (any old file removed).  0 or -1. */
static int
create_db(const char *path, sqlite3 **db)
{
	(void)unlink(path);
	if (sqlite3_open_v2(path, db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
		fprintf(stderr, "cinerec: %s: %s\n", path, *db ?
		    sqlite3_errmsg(*db) : "out of memory");
		return (-1);
	}
	return (0);
}

static int
fsync_path(const char *path)
{
	int	fd, rc;

	if ((fd = open(path, O_RDONLY)) == -1)
		return (-1);
	rc = fsync(fd);
	close(fd);
	return (rc);
}

int
backup_save(const char *data_dir, const char *file)
{
	struct store	 s;
	struct stat	 sb;
	sqlite3		*dst = NULL;
	char		 tmp[PATH_MAX];
	int		 schema, rc = -1;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", file) >= sizeof(tmp)) {
		fprintf(stderr, "cinerec: %s: path too long\n", file);
		return (-1);
	}
	if (store_open(&s, data_dir, STORE_RDONLY) == -1)
		return (-1);
	if (create_db(tmp, &dst) == -1 || copy_db(s.db, dst, file) == -1 ||
	    check_db(dst, tmp, &schema) == -1)
		goto out;
	sqlite3_close(dst);
	dst = NULL;
	if (fsync_path(tmp) == -1 || rename(tmp, file) == -1) {
		fprintf(stderr, "cinerec: %s: %s\n", file, strerror(errno));
		goto out;
	}
	if (stat(file, &sb) == 0)
		printf("backup of %s to %s: %.1f MB, schema %d\n", s.path, file,
		    (double)sb.st_size / 1e6, schema);
	rc = 0;
out:
	if (dst != NULL)
		sqlite3_close(dst);
	if (rc == -1)
		(void)unlink(tmp);
	store_close(&s);
	return (rc);
}

/*
 * The restored database's current model: kept if its file is in the data
 * dir's models directory, else dropped (the server then trains one).
 */
static void
check_current_model(sqlite3 *db, const char *data_dir)
{
	sqlite3_stmt	*st;
	struct stat	 sb;
	char		 path[PATH_MAX];
	const char	*file;
	int		 missing = 0;

	if (sqlite3_prepare_v2(db, "SELECT file FROM models WHERE current = 1",
	    -1, &st, NULL) != SQLITE_OK)
		return;
	if (sqlite3_step(st) == SQLITE_ROW &&
	    (file = (const char *)sqlite3_column_text(st, 0)) != NULL &&
	    ((size_t)snprintf(path, sizeof(path), "%s/%s/%s", data_dir,
	    TRAIN_DIR, file) >= sizeof(path) || stat(path, &sb) == -1))
		missing = 1;
	sqlite3_finalize(st);
	if (missing) {
		(void)sqlite3_exec(db, "UPDATE models SET current = 0 WHERE "
		    "current = 1", NULL, NULL, NULL);
		printf("the current model's file is not in %s/%s: the server "
		    "will train a model at start\n", data_dir, TRAIN_DIR);
	}
}

/* Fold path's write-ahead log into it, if it can be opened. */
static void
checkpoint(const char *path)
{
	sqlite3	*db;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) ==
	    SQLITE_OK)
		(void)sqlite3_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL,
		    NULL, NULL);
	sqlite3_close(db);
}

int
backup_restore(const char *data_dir, const char *file)
{
	sqlite3		*src = NULL, *dst = NULL;
	struct stat	 sb;
	char		 db[PATH_MAX], tmp[PATH_MAX], prev[PATH_MAX],
			 side[PATH_MAX + 8], prev_wal[PATH_MAX + 8];
	int		 schema, rc = -1;

	if ((size_t)snprintf(db, sizeof(db), "%s/%s", data_dir, STORE_FILE) >=
	    sizeof(db) || (size_t)snprintf(tmp, sizeof(tmp), "%s.restore",
	    db) >= sizeof(tmp) || (size_t)snprintf(prev, sizeof(prev), "%s/%s",
	    data_dir, BACKUP_PREVIOUS) >= sizeof(prev)) {
		fprintf(stderr, "cinerec: data dir path too long\n");
		return (-1);
	}
	if (sqlite3_open_v2(file, &src, SQLITE_OPEN_READONLY, NULL) !=
	    SQLITE_OK) {
		fprintf(stderr, "cinerec: %s: %s\n", file, src ?
		    sqlite3_errmsg(src) : "out of memory");
		goto out;
	}
	if (check_db(src, file, &schema) == -1)
		goto out;
	if (create_db(tmp, &dst) == -1 || copy_db(src, dst, file) == -1)
		goto out;
	check_current_model(dst, data_dir);
	sqlite3_close(dst);
	dst = NULL;
	if (fsync_path(tmp) == -1)
		goto fail_io;
	/* The database it replaces stays beside it, with its journal. */
	if (stat(db, &sb) == 0) {
		checkpoint(db);
		if (rename(db, prev) == -1)
			goto fail_io;
		snprintf(side, sizeof(side), "%s-wal", db);
		snprintf(prev_wal, sizeof(prev_wal), "%s-wal", prev);
		if (rename(side, prev_wal) == -1 && errno != ENOENT)
			goto fail_io;
		snprintf(side, sizeof(side), "%s-shm", db);
		(void)unlink(side);
	}
	if (rename(tmp, db) == -1)
		goto fail_io;
	(void)fsync_path(data_dir);
	printf("restored %s into %s (schema %d)%s%s\n", file, db, schema,
	    stat(prev, &sb) == 0 ? "; the previous database is " : "",
	    stat(prev, &sb) == 0 ? prev : "");
	rc = 0;
	goto out;
fail_io:
	fprintf(stderr, "cinerec: restore into %s: %s\n", db, strerror(errno));
out:
	if (dst != NULL)
		sqlite3_close(dst);
	if (src != NULL)
		sqlite3_close(src);
	if (rc == -1)
		(void)unlink(tmp);
	return (rc);
}
