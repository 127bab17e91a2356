/*
 * Recommendation lists.  For now one model: movies ranked by how many people
 * started watching or rated them in the recent past (then all time), minus
 * what the user already watched or rated.  The ranking is computed from the
 * database and cached; reco_refresh reloads it when the data changed.
 */
#ifndef CINEREC_RECO_H
#define CINEREC_RECO_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

#define RECO_MAX	20	/* ids in one answer at most */

struct reco_item {
	int32_t		 movie;		/* internal id */
	const char	*slug;		/* id as the stream spells it */
	int64_t		 recent;	/* new viewers + raters in the window */
	int64_t		 total;		/* the same, all time */
};

/* The cached ranking and the scratch space of one reader thread. */
struct reco {
	struct reco_item	*items;		/* every movie, best first */
	size_t			 n;
	char			*slugs;		/* storage of the items' slugs */
	int64_t			 version;	/* data_version it was built at */
	int			 built;		/* the ranking was built once */
	int32_t			*seen;		/* scratch: the user's movies */
	size_t			 seencap;
};

/*
 * Rebuild the ranking from s if the database changed since the last call
 * (or always when force is set).  window_days is the "recent past", counted
 * back from the newest day with activity.  Returns 1 if rebuilt, 0 if
 * unchanged, -1 on error (the previous ranking stays).
 */
int	reco_refresh(struct reco *r, struct store *s, int window_days,
	    int force);

/*
 * Up to max items for user, best first, none watched or rated by the user,
 * into out.  Returns the count, or -1 on a database error.
 */
int	reco_for_user(struct reco *r, struct store *s, int64_t user,
	    const struct reco_item **out, size_t max);

/* Free everything; r is then empty and reusable. */
void	reco_free(struct reco *r);

#endif
