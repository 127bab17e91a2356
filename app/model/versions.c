/*
 * Model versions: the gate, rollback, pinning, collection (see versions.h).
 */
#include <sys/stat.h>

#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "model/train.h"
#include "model/versions.h"
#include "store/sql.h"
#include "util/clock.h"
#include "util/log.h"

static const char *const gate_names[] = {
	"first", "promoted", "refused", "forced"
};

const char *
versions_gate_name(int gate)
{
	return (gate >= 0 && gate <= GATE_FORCED ? gate_names[gate] : "?");
}

int
versions_gate_promotes(int gate)
{
	return (gate != GATE_REFUSED);
}

/* Why the gate refuses in, into why; 0 when it does not. */
static int
refusal(const struct gate_input *in, char *why, size_t sz)
{
	if (in->recall < 0.0 || in->eval_users == 0) {
		if (!in->has_base)
			return (0);
		snprintf(why, sz, "not scored on a hold-out (--holdout 0, or "
		    "too little data), so it cannot be compared with version "
		    "%lld", (long long)in->base_id);
		return (1);
	}
	if (in->coverage <= 0.0) {
		snprintf(why, sz, "its lists are empty on the hold-out");
		return (1);
	}
	if (!in->has_base)
		return (0);
	if (in->base_pinned) {
		snprintf(why, sz, "the current version %lld is pinned",
		    (long long)in->base_id);
		return (1);
	}
	if (in->coverage < in->min_coverage * in->base_coverage) {
		snprintf(why, sz, "degenerate: its lists cover %.2f%% of the "
		    "movies, under %.0f%% of the current version %lld's %.2f%%",
		    100.0 * in->coverage, 100.0 * in->min_coverage,
		    (long long)in->base_id, 100.0 * in->base_coverage);
		return (1);
	}
	if (in->recall < in->base_recall * (1.0 - in->tolerance)) {
		snprintf(why, sz, "Recall@20 %.4f is worse than the current "
		    "version %lld's %.4f on the same hold-out by more than "
		    "%.0f%%", in->recall, (long long)in->base_id,
		    in->base_recall, 100.0 * in->tolerance);
		return (1);
	}
	return (0);
}

int
versions_gate(const struct gate_input *in, char *reason, size_t sz)
{
	char	why[200];

	if (refusal(in, why, sizeof(why))) {
		if (in->force) {
			snprintf(reason, sz, "the gate would have refused: %s", why);
			return (GATE_FORCED);
		}
		snprintf(reason, sz, "%s", why);
		return (GATE_REFUSED);
	}
	if (in->force && in->has_base) {
		snprintf(reason, sz, "the gate would have promoted it too");
		return (GATE_FORCED);
	}
	if (!in->has_base) {
		snprintf(reason, sz, in->recall < 0.0 ? "the first model (not "
		    "measured: no hold-out)" : "the first model");
		return (GATE_FIRST);
	}
	snprintf(reason, sz, "Recall@20 %.4f against the current version "
	    "%lld's %.4f on the same hold-out", in->recall,
	    (long long)in->base_id, in->base_recall);
	return (GATE_PROMOTED);
}

int
versions_log(sqlite3 *db, const char *who, const char *action,
    int64_t model, int64_t experiment, const char *detail)
{
	return (sql_exec(db, __func__, "INSERT INTO lifecycle_log (ts, who, "
	    "action, model_id, experiment_id, detail) VALUES (?1, ?2, ?3, ?4, "
	    "?5, ?6)", "IttIIt", clock_now_ms(), who, action,
	    model > 0 ? model : (int64_t)0, experiment, detail));
}

int
versions_file(sqlite3 *db, int64_t id, char *file, size_t sz)
{
	sqlite3_stmt	*st;
	int		 rc;

	if (sqlite3_prepare_v2(db, "SELECT file FROM models WHERE id = ?1 AND "
	    "collected_ms IS NULL", -1, &st, NULL) != SQLITE_OK) {
		log_warnx("%s: %s", __func__, sqlite3_errmsg(db));
		return (-1);
	}
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		snprintf(file, sz, "%s", (const char *)sqlite3_column_text(st,
		    0));
	sqlite3_finalize(st);
	return (rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1);
}

int
versions_paths(const char *data_dir, const char *file, char *model,
    char *lists, size_t sz)
{
	size_t	n = strlen(file);

	n = n > strlen(".cnrm") ? n - strlen(".cnrm") : 0;
	return ((size_t)snprintf(model, sz, "%s/%s/%s", data_dir, TRAIN_DIR,
	    file) >= sz || (size_t)snprintf(lists, sz, "%s/%s/%.*s.lists",
	    data_dir, TRAIN_DIR, (int)n, file) >= sz ? -1 : 0);
}

/* COMMIT, or ROLLBACK when the commit fails (the lock is let go). */
static int
commit(sqlite3 *db)
{
	if (sql_exec(db, __func__, "COMMIT", "") == 0)
		return (0);
	(void)sql_exec(db, __func__, "ROLLBACK", "");
	return (-1);
}

/*
 * Run sql (binding id as ?1) in one write transaction with the log row.
 * 0, or -1 (nothing changed).
 */
static int
change(sqlite3 *db, const char *sql, int64_t id, const char *who,
    const char *action, const char *detail)
{
	if (sql_exec(db, __func__, "BEGIN IMMEDIATE", "") == -1)
		return (-1);
	if (sql_exec(db, __func__, sql, "I", id) == -1 ||
	    versions_log(db, who, action, id, 0, detail) == -1) {
		(void)sql_exec(db, __func__, "ROLLBACK", "");
		return (-1);
	}
	return (commit(db));
}

int
versions_use_tx(sqlite3 *db, const char *data_dir, int64_t id,
    const char *who, const char *why, char *err, size_t errsz)
{
	struct stat	sb;
	char		file[256], model[PATH_MAX], lists[PATH_MAX];
	int		rc;

	/* In the transaction: a collection cannot slip in between. */
	if ((rc = versions_file(db, id, file, sizeof(file))) != 1) {
		snprintf(err, errsz, rc == 0 ? "no version %lld with its files "
		    "(never trained, or collected)" : "database error",
		    (long long)id);
		return (-1);
	}
	(void)versions_paths(data_dir, file, model, lists, sizeof(model));
	/* stat, not access: the workers' seccomp filter allows newfstatat. */
	if (stat(model, &sb) == -1) {
		snprintf(err, errsz, "version %lld: its file %s is missing",
		    (long long)id, model);
		return (-1);
	}
	if (sql_exec(db, __func__, "UPDATE models SET current = 0 WHERE "
	    "current = 1 AND id <> ?1", "I", id) == -1 ||
	    sql_exec(db, __func__, "UPDATE models SET current = 1 WHERE id = ?1 "
	    "AND collected_ms IS NULL", "I", id) == -1 ||
	    sqlite3_changes(db) != 1 ||
	    versions_log(db, who, "use", id, 0, why != NULL && *why != '\0' ?
	    why : NULL) == -1) {
		snprintf(err, errsz, "database error");
		return (-1);
	}
	return (0);
}

int
versions_use(sqlite3 *db, const char *data_dir, int64_t id, const char *who,
    const char *why, char *err, size_t errsz)
{
	if (sql_exec(db, __func__, "BEGIN IMMEDIATE", "") == -1) {
		snprintf(err, errsz, "database busy");
		return (-1);
	}
	if (versions_use_tx(db, data_dir, id, who, why, err, errsz) == -1) {
		(void)sql_exec(db, __func__, "ROLLBACK", "");
		return (-1);
	}
	if (commit(db) == -1) {
		snprintf(err, errsz, "database error");
		return (-1);
	}
	return (0);
}

int
versions_current(sqlite3 *db, int64_t *id, int *pinned)
{
	sqlite3_stmt	*st;
	int		 rc;

	*id = 0;
	*pinned = 0;
	if (sqlite3_prepare_v2(db, "SELECT id, pinned FROM models WHERE "
	    "current = 1", -1, &st, NULL) != SQLITE_OK)
		return (-1);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*id = sqlite3_column_int64(st, 0);
		*pinned = sqlite3_column_int(st, 1);
	}
	sqlite3_finalize(st);
	return (rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1);
}

int
versions_pin(sqlite3 *db, int64_t id, int on, const char *who, char *err,
    size_t errsz)
{
	char	file[256];
	int	rc;

	if ((rc = versions_file(db, id, file, sizeof(file))) != 1) {
		snprintf(err, errsz, rc == 0 ? "no version %lld with its files" :
		    "database error", (long long)id);
		return (-1);
	}
	if (change(db, on ? "UPDATE models SET pinned = 1 WHERE id = ?1" :
	    "UPDATE models SET pinned = 0 WHERE id = ?1", id, who, on ? "pin" :
	    "unpin", NULL) == -1) {
		snprintf(err, errsz, "database error");
		return (-1);
	}
	return (0);
}

int
versions_collect(sqlite3 *db, const char *data_dir, int keep)
{
	sqlite3_stmt	*st;
	char		 model[PATH_MAX], lists[PATH_MAX], detail[64];
	char		 files[64][64];
	int64_t		 ids[64];
	int		 n = 0, i, ok = 1;

	/*
	 * Marked collected first, in one write transaction that checks what
	 * it spares (the newest keep, current, pinned, in an experiment
	 * that runs); the files go once that committed, so nothing can make
	 * a version current whose files are going.
	 */
	if (sql_exec(db, __func__, "BEGIN IMMEDIATE", "") == -1)
		return (-1);
	if (sqlite3_prepare_v2(db, "SELECT id, file FROM models WHERE "
	    "collected_ms IS NULL AND current = 0 AND pinned = 0 AND id NOT IN "
	    "(SELECT model_id FROM experiment_arms a JOIN experiments e ON "
	    "e.id = a.experiment_id WHERE e.status = 'running') AND id NOT IN "
	    "(SELECT id FROM models ORDER BY id DESC LIMIT ?1) ORDER BY id "
	    "LIMIT 64", -1, &st, NULL) != SQLITE_OK) {
		log_warnx("%s: %s", __func__, sqlite3_errmsg(db));
		(void)sql_exec(db, __func__, "ROLLBACK", "");
		return (-1);
	}
	sqlite3_bind_int(st, 1, keep);
	while (n < 64 && sqlite3_step(st) == SQLITE_ROW) {
		ids[n] = sqlite3_column_int64(st, 0);
		snprintf(files[n], sizeof(files[n]), "%s",
		    (const char *)sqlite3_column_text(st, 1));
		n++;
	}
	sqlite3_finalize(st);
	snprintf(detail, sizeof(detail), "files removed (%d newest kept)",
	    keep);
	for (i = 0; i < n && ok; i++)
		ok = sql_exec(db, __func__, "UPDATE models SET collected_ms = "
		    "(CAST(strftime('%s', 'now') AS INTEGER) * 1000) WHERE id = "
		    "?1", "I", ids[i]) == 0 && versions_log(db, "system",
		    "collect", ids[i], 0, detail) == 0;
	if (!ok) {
		(void)sql_exec(db, __func__, "ROLLBACK", "");
		return (-1);
	}
	if (commit(db) == -1)
		return (-1);
	for (i = 0; i < n; i++) {
		if (versions_paths(data_dir, files[i], model, lists,
		    sizeof(model)) == -1)
			continue;
		(void)unlink(model);
		(void)unlink(lists);
	}
	if (n > 0)
		log_info("models: collected the files of %d old version%s", n,
		    n == 1 ? "" : "s");
	return (n);
}
