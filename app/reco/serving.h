/*
 * Which model serves a user: the current version, or, while an experiment
 * runs, the version of the user's arm (telemetry/experiment.h).  One per
 * serving process; serving_refresh (between requests) loads what the
 * database says is current and what the running experiment's arms need,
 * keeping the last good model when a file does not load, so that a switch
 * never fails a request.
 */
#ifndef CINEREC_SERVING_H
#define CINEREC_SERVING_H

#include <stdint.h>

#include "model/model.h"
#include "reco/lists.h"
#include "store/store.h"
#include "telemetry/experiment.h"

struct serving_model {
	int64_t		 id;		/* version, 0 when none */
	struct model	*md;
	struct lists	*ls;		/* its precomputed lists, or NULL */
};

struct serving {
	struct serving_model	 cur;		/* the current version */
	int64_t			 failed;	/* a version that would not load */
	int			 has_exp;	/* exp is running */
	struct experiment	 exp;
	struct serving_model	 arm[EXPERIMENT_ARMS_MAX];	/* id 0: cur */
	int64_t			 arm_failed[EXPERIMENT_ARMS_MAX];	/* tried */
	const char		*who;		/* for the log: "worker 2" */
};

/* What serves one request. */
struct serving_pick {
	int64_t			 id;		/* version, 0: none */
	const struct model	*md;		/* NULL: popularity only */
	const struct lists	*ls;
	char			 arm[EXPERIMENT_ARM_MAX + 24];	/* "" if none */
	/*
	 * An arm whose version did not load serves the current one and is
	 * logged as no arm (""): its figures stay the candidate's alone.
	 */
};

/*
 * Load the current version and the running experiment's arms from s (data
 * files under data_dir) where they changed.  Cannot fail: what does not
 * load is logged once and the last good state stays.
 */
void	serving_refresh(struct serving *sv, struct store *s,
	    const char *data_dir);

/* The model, lists, version and arm label for user.  Cannot fail. */
void	serving_pick(const struct serving *sv, int64_t user,
	    struct serving_pick *p);

/* Free every model; sv is then empty. */
void	serving_free(struct serving *sv);

#endif
