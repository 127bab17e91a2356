/*
 * Precomputed recommendation lists: at training time, every user's top
 * LISTS_K movies from the new model (their whole history excluded) go to a
 * file beside the model.  Serving answers a user whose watches and ratings
 * did not change since the training read them from it (one lookup), and
 * folds in the others.  The
 * file is versioned, checksummed, written atomically and mapped read-only,
 * so the workers share one copy.
 */
#ifndef CINEREC_LISTS_H
#define CINEREC_LISTS_H

#include <stddef.h>
#include <stdint.h>

#define LISTS_K		20	/* movies per user */
#define LISTS_NONE	(-1)	/* an empty slot, or no "because" */

struct lists {
	void		*map;		/* the file, mapped */
	size_t		 len;
	uint64_t	 nusers;
	int64_t		 data_to_ms;	/* users changed later than this (wall
					   clock, users.updated_ms) are not
					   in the lists' data: fold them in */
	const int64_t	*users;		/* nusers ids, increasing */
	const int32_t	*ids;		/* nusers * LISTS_K movie ids */
	const float	*scores;	/* the same, scores */
	const int32_t	*because;	/* the same, a history movie or NONE */
};

/*
 * Write the lists of nusers users (users increasing; LISTS_K entries each
 * in ids, scores, because) to path atomically.  Returns 0 or -1 (logged).
 */
int	lists_write(const char *path, const int64_t *users, uint64_t nusers,
	    const int32_t *ids, const float *scores, const int32_t *because,
	    int64_t data_to_ms);

/*
 * Map path and check it.  Returns 0 and *out (free with lists_free), or
 * -1 with the reason logged.
 */
int	lists_load(const char *path, struct lists **out);

/* Row of user, or -1 when the file has none. */
int64_t	lists_find(const struct lists *l, int64_t user);

void	lists_free(struct lists *l);

#endif
