/*
 * What train.c and train_lists.c share: the interactions as a training
 * reads them, and the precomputed lists.  Private to model/train*.c.
 */
#ifndef CINEREC_TRAIN_INT_H
#define CINEREC_TRAIN_INT_H

#include <stddef.h>
#include <stdint.h>

#include "model/csr.h"
#include "model/model.h"

/* One (user, movie) interaction as read from the store. */
struct ia {
	int64_t		user;
	int64_t		time;	/* ms */
	int32_t		movie;
	float		val;	/* signal_encode: > 0 likes, < 0 dislikes */
};

struct store;
struct signal_params;

/*
 * Every interaction of the store, mapped to a signal by sp: a watched
 * movie with its rating if any, a rated movie not watched; sorted by user,
 * then time, then movie.  *out (malloc'd), *n, and the largest movie id.
 * 0 or -1.
 */
int	train_load(struct store *s, const struct signal_params *sp,
	    struct ia **out, size_t *n, int32_t *maxmovie);

/*
 * Of a user's m interactions, how many train (the rest are held out).
 * holdout_pct or'ed with TRAIN_NESTED splits the train part once more:
 * the train part of the train part, whose hold-out is the validation part
 * (a search on it never sees the test part).  Also for train_matrix.
 */
#define TRAIN_NESTED	0x1000
size_t	train_kept(size_t m, int holdout_pct);

/*
 * m: the matrix of v[0..n) (sorted by user, then time): all of it or, with
 * holdout_pct, each user's train part; a row a user in user order, a
 * (user, movie) twice keeps its latest; times kept if asked.  0 or -1.
 */
int	train_matrix(const struct ia *v, size_t n, int holdout_pct,
	    uint32_t ncols, int times, struct csr *m);

/* The user id of each of the nrows rows of v's matrix; NULL or malloc'd. */
int64_t	*train_row_users(const struct ia *v, size_t n, uint32_t nrows);

/*
 * Every user's top LISTS_K from md (row r of m is user users[r]'s
 * interactions, excluded from their list), written to path with read_ms
 * as the data's bound.  0 or -1.
 */
int	train_precompute(const struct csr *m, const int64_t *users,
	    const struct model *md, uint32_t threads, int64_t read_ms,
	    const char *path);

#endif
