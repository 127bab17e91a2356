/*
 * Model versions and their lifecycle: the quality gate that decides whether
 * a training's candidate becomes current, switching to any kept version
 * (rollback), pinning, and collecting the files of old versions.  Every
 * action is recorded in lifecycle_log (who, what, why).  The functions take
 * a connection with the models role (store.h); none keeps state.
 */
#ifndef CINEREC_VERSIONS_H
#define CINEREC_VERSIONS_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

/* The gate's decisions, as stored in models.gate. */
#define GATE_FIRST	0	/* no current model to compare with */
#define GATE_PROMOTED	1	/* not worse than the current one */
#define GATE_REFUSED	2	/* kept as a version, not made current */
#define GATE_FORCED	3	/* promoted whatever the gate said */

/* What the gate looks at: a candidate and the current model, same test. */
struct gate_input {
	double		 recall, coverage;	/* candidate; recall < 0: none */
	uint32_t	 eval_users;		/* users the hold-out scored */
	int		 has_base;		/* a current model to beat */
	double		 base_recall, base_coverage;	/* it, same hold-out */
	int64_t		 base_id;		/* its version */
	int		 base_pinned;		/* it may not be replaced */
	double		 tolerance;		/* relative recall loss allowed */
	double		 min_coverage;		/* share of base coverage */
	int		 force;			/* promote anyway */
};

/*
 * The gate's decision (GATE_*) on in, with the reason in words in reason
 * (sz bytes; both scores where there are two).  Cannot fail.
 */
int		 versions_gate(const struct gate_input *in, char *reason,
		    size_t sz);

/* "first", "promoted", "refused", "forced"; "?" out of range. */
const char	*versions_gate_name(int gate);

/* 1: the decision makes the candidate current. */
int		 versions_gate_promotes(int gate);

/*
 * Record an action in lifecycle_log: who (an admin name, "cli",
 * "system"), action, the model and experiment it concerns (0: none) and
 * detail (may be NULL).  0 or -1 (logged).
 */
int		 versions_log(sqlite3 *db, const char *who, const char *action,
		    int64_t model, int64_t experiment, const char *detail);

/*
 * Make version id current (a rollback or a roll-forward), recorded with who
 * and why.  Fails, with the reason in err, when the version does not exist
 * or its files were collected or are missing under data_dir.  The serving
 * workers switch to it within a second, precomputed lists included.
 * 0 or -1.
 */
int		 versions_use(sqlite3 *db, const char *data_dir, int64_t id,
		    const char *who, const char *why, char *err, size_t errsz);

/* versions_use inside a write transaction the caller holds. */
int		 versions_use_tx(sqlite3 *db, const char *data_dir,
		    int64_t id, const char *who, const char *why, char *err,
		    size_t errsz);

/* The current version (0: none) and whether it is pinned.  0 or -1. */
int		 versions_current(sqlite3 *db, int64_t *id, int *pinned);

/*
 * Pin (on = 1) or unpin version id: a pinned current version is never
 * replaced by a training unless forced, and its files are never
 * collected.  0 or -1 (reason in err).
 */
int		 versions_pin(sqlite3 *db, int64_t id, int on, const char *who,
		    char *err, size_t errsz);

/*
 * Remove the files of the versions beyond the newest keep, except the
 * current one, pinned ones and those an experiment that runs uses; their
 * rows stay, marked collected.  Returns how many were collected, or -1.
 */
int		 versions_collect(sqlite3 *db, const char *data_dir, int keep);

/*
 * The paths of a version's model file (file, as models.file names it) and
 * of its lists file under data_dir, each into sz bytes.  0, or -1 when a
 * path does not fit.
 */
int		 versions_paths(const char *data_dir, const char *file,
		    char *model, char *lists, size_t sz);

/*
 * The file of version id into file (sz bytes): 1, 0 when there is no such
 * version or its files were collected, -1 on a database error.
 */
int		 versions_file(sqlite3 *db, int64_t id, char *file, size_t sz);

#endif
