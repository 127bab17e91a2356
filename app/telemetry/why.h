/*
 * Why a user got what they got: the recommendation lists logged for a user
 * up to a time, newest first, each with the model version that made it,
 * and for each of those versions its provenance (algorithm,
 * hyperparameters, data window, training time, binary version, offline
 * metrics).  Behind `cinerec why` and GET /why/<userid>.
 */
#ifndef CINEREC_WHY_H
#define CINEREC_WHY_H

#include <stdint.h>
#include <stdio.h>

#include <sqlite3.h>

/* A user's newest lists looked at (each is read from its chunk). */
#define WHY_LISTS_MAX	"1000"

/*
 * Write the JSON answer for user's lists at or before at (ms), at most
 * limit of them, among the user's newest WHY_LISTS_MAX, to fp.  Returns
 * the number of lists, or -1 on a database error (fp then holds a partial
 * answer).
 */
int	why_json(sqlite3 *db, int64_t user, int64_t at, int limit, FILE *fp);

/*
 * The same lists for a person: a table, one row per list (time, source,
 * the host or model that made it, arm, rank followed, latency, movies),
 * then each model named with its provenance.  As why_json otherwise.
 */
int	why_text(sqlite3 *db, int64_t user, int64_t at, int limit, FILE *fp);

#endif
