/*
 * Popularity model: every user gets the same item scores, the number of
 * training interactions of each item, optionally decayed with a half-life
 * so that recent interactions count more.
 */
#ifndef CINEREC_POP_H
#define CINEREC_POP_H

#include "model/model.h"

/* Trained state.  score has nitems entries. */
struct pop {
	uint32_t	 nitems;	/* items scored */
	const float	*score;		/* per item: (decayed) interaction count */
	float		*owned;		/* score when malloc'ed, NULL if mapped */
};

#define POP_SEC_SCORE	1	/* section: float score[nitems] */

/*
 * The model_ops of popularity.  train counts every stored entry of m (any
 * sign) per column; with p->half_life > 0 each entry weighs
 * 0.5^((now - time) / half_life) instead of 1 (m must then have times; now
 * is p->now or the newest entry).  score ignores the history.
 */
extern const struct model_ops pop_ops;

/*
 * A deliberately bad model with popularity's layout: every movie a random
 * score from p->seed, the same order for every user.  The floor every model
 * must beat, and the candidate that tests show the quality gate refusing.
 */
extern const struct model_ops random_ops;

#endif
