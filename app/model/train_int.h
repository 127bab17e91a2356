/*
 * What train.c and train_lists.c share: the interactions as a training
 * reads them, and the precomputed lists.  Private to model/train*.c.
 */
#ifndef CINEREC_TRAIN_INT_H
#define CINEREC_TRAIN_INT_H

#include <stddef.h>
#include <stdint.h>

#include "model/model.h"

/* One (user, movie) interaction as read from the store. */
struct ia {
	int64_t		user;
	int64_t		time;	/* ms */
	int32_t		movie;
	float		val;	/* signal_encode: > 0 likes, < 0 dislikes */
};

/*
 * Every user's top LISTS_K from md (their interactions v[0..n), sorted by
 * user, excluded), written to path with read_ms as the data's bound.
 * 0 or -1.
 */
int	train_precompute(const struct ia *v, size_t n, const struct model *md,
	    uint32_t threads, int64_t read_ms, const char *path);

#endif
