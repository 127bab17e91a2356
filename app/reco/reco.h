/*
 * Recommendation lists: the current model scores every movie for the user
 * from the user's history as it is now (fold-in: a watch a second ago
 * counts), and the list is filled up from the popularity ranking: movies
 * ranked by how many people started watching or rated them in the recent
 * past (then all time).  Never a movie the user watched or rated.  The
 * ranking is computed from the database and cached; reco_refresh reloads
 * it when the data changed.
 */
#ifndef CINEREC_RECO_H
#define CINEREC_RECO_H

#include <stddef.h>
#include <stdint.h>

#include "reco/lists.h"
#include "reco/rules.h"
#include "util/hmap.h"
#include "model/model.h"
#include "model/signals.h"
#include "store/store.h"

#define RECO_MAX	20	/* ids in one answer at most */

struct reco_item {
	int32_t		 movie;		/* internal id */
	const char	*slug;		/* id as the stream spells it */
	int64_t		 recent;	/* new viewers + raters in the window */
	int64_t		 total;		/* the same, all time */
};

/* How an answer was made (reco_list.path). */
#define RECO_PATH_POPULAR	0	/* no model, or no history: popularity */
#define RECO_PATH_LISTS		1	/* the precomputed list, still fresh */
#define RECO_PATH_FOLDIN	2	/* the model, folding the history in */
#define RECO_PATH_FRESH		3	/* computed when the user's events
					   committed (fresh.h) */
#define RECO_NPATHS		4

/* One answer. */
struct reco_list {
	size_t		 n;		/* entries in item[] */
	size_t		 personal;	/* the first ones came from the model */
	int		 path;		/* RECO_PATH_* */
	struct {
		int32_t		 movie;
		const char	*slug;
		float		 score;		/* model score; popularity rank below */
		const char	*because;	/* a history movie's slug, or NULL */
		int32_t		 because_id;	/* its movie id, or -1 */
	}		 item[RECO_MAX];
};

/* The cached ranking and the scratch space of one reader thread. */
struct reco {
	struct reco_item	*items;		/* every movie, best first */
	size_t			 n;
	char			*slugs;		/* storage of the items' slugs */
	const char		**slug_of;	/* movie id -> slug, or NULL */
	size_t			 nslug_of;	/* entries in slug_of */
	struct hmap		 byslug;	/* slug -> movie id */
	const struct rules	*rules;		/* what no list holds, or NULL */
	uint64_t		*series_of;	/* movie id -> reco_series key,
						   made only under a cap */
	int			 series_max;	/* a series' movies in one list at
						   most; 0: no cap (set before
						   reco_refresh) */
	struct store_hist	*hist;		/* scratch: the user's history */
	size_t			 histcap;
	uint32_t		*cols;		/* scratch: history movie ids */
	float			*vals;		/* scratch: their signal values */
	int64_t			*times;		/* scratch: and when, ms */
	size_t			 colcap;	/* capacity of cols and vals */
	float			*scores;	/* scratch: one per model item */
	uint32_t		*because;	/* scratch: one per model item */
	size_t			 scorecap;	/* capacity of scores, because */
	int64_t			 version;	/* store_activity it was built at */
	int			 built;		/* the ranking was built once */
	int32_t			*seen;		/* scratch: the user's movies */
	size_t			 seencap;
};

/*
 * Rebuild the ranking from s if watches, ratings or movies changed since
 * the last call
 * (or always when force is set).  window_days is the "recent past", counted
 * back from the newest day with activity.  Returns 1 if rebuilt, 0 if
 * unchanged, -1 on error (the previous ranking stays).
 */
int	reco_refresh(struct reco *r, struct store *s, int window_days,
	    int force);

/*
 * Up to max (<= RECO_MAX) movies for user into out, best first: the model's
 * (md may be NULL) for a user with a history, then popular ones; none the
 * user watched or rated.  A user with no event newer than the model's data
 * gets the list precomputed at training (ls, may be NULL); the others are
 * folded in, sp mapping their history to the model's values as in
 * training.  Returns the count, or -1 on a database or memory error.
 */
int	reco_for_user(struct reco *r, struct store *s, const struct model *md,
	    const struct lists *ls, const struct signal_params *sp,
	    int64_t user, size_t max, struct reco_list *out);

/*
 * Say why: each model entry of l (the list reco_for_user gave user) that
 * has no reason yet gets the movie of the user's history that contributes
 * most to its score (model_explain), where one does.  The precomputed and
 * fresh lists of ALS carry no reasons (a solve a user is too dear for
 * every answer), so the answers that show them ask for them here.
 * Returns 0, or -1 on a database or memory error (l as it was).
 */
int	reco_explain(struct reco *r, struct store *s, const struct model *md,
	    const struct signal_params *sp, int64_t user, struct reco_list *l);

/*
 * A whole list from a precomputed row of n model entries (ids, scores,
 * because ids or LISTS_NONE): 1 and out filled when the row fills max
 * entries of movies the ranking knows, else 0 (out holds what it had).
 */
int	reco_from_row(const struct reco *r, const int32_t *ids,
	    const float *scores, const int32_t *because, size_t n, size_t max,
	    struct reco_list *out);

/*
 * The series of the movie spelled slug: a hash of its title without the
 * year and a trailing sequel number ("toy+story+2+1999" and
 * "toy+story+1995" are one series: "toy+story"; a number is digits or a
 * roman numeral up to xx).  For the cap of series_max a list.
 */
uint64_t	reco_series(const char *slug);

/* The movie spelled slug, exactly as the stream spells it, or -1. */
int32_t	reco_movie(const struct reco *r, const char *slug);

/*
 * Up to max (<= RECO_MAX) movies like movie, best first, into out: what
 * md (may be NULL: none) gives a history of that movie alone, so item-kNN
 * gives its neighbours, ALS the fold-in of the one movie, popularity its
 * ranking; the movie itself left out, only positive scores.  Returns the
 * count, or -1 when out of memory.
 */
int	reco_similar(struct reco *r, const struct model *md, int32_t movie,
	    size_t max, struct reco_list *out);

/*
 * The first max (<= RECO_MAX) movies of the ranking into out, scored by
 * their recent count; only those with activity in the window when
 * recent_only is set.  Cannot fail.
 */
void	reco_ranking(const struct reco *r, size_t max, int recent_only,
	    struct reco_list *out);

/*
 * The list l (of model version model, 0: popularity) as the "now" of why
 * (telemetry/why.h); now points into l's strings.  Cannot fail.
 */
struct why_now;
void	reco_why_now(const struct reco_list *l, int64_t model,
	    struct why_now *now);

/* Free everything; r is then empty and reusable. */
void	reco_free(struct reco *r);

#endif
