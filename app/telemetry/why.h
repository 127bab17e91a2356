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

#define WHY_NOW_MAX	20	/* movies of the list of now */

/*
 * The list the user would get now, each movie with the reason its model
 * gives (the movie of the user's history that adds most to its score), as
 * the caller made it (reco_for_user, reco_explain): the answer's "now".
 */
struct why_now {
	int64_t		 model;		/* the version, 0: popularity */
	size_t		 n, personal;	/* movies; the model's first ones */
	struct {
		const char	*movie;	/* slug */
		const char	*because;	/* a slug, or NULL */
	}		 item[WHY_NOW_MAX];
};

/*
 * Write the JSON answer for user's lists at or before at (ms), at most
 * limit of them, among the user's newest WHY_LISTS_MAX, to fp, and with now
 * (may be NULL) the list of now with its reasons.  Returns the number of
 * lists, or -1 on a database error (fp then holds a partial answer).
 */
int	why_json(sqlite3 *db, int64_t user, int64_t at, int limit,
	    const struct why_now *now, FILE *fp);

/*
 * The same lists for a person: a table, one row per list (time, source,
 * the host or model that made it, arm, rank followed, latency, movies),
 * then each model named with its provenance.  As why_json otherwise.
 */
int	why_text(sqlite3 *db, int64_t user, int64_t at, int limit,
	    const struct why_now *now, FILE *fp);

#endif
