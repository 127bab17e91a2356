/*
 * Business rules on what the lists may hold.  An operator withdraws a
 * movie (its licence ended, a takedown) from every list at once, of every
 * kind (personal, popular, trending, similar; precomputed, fresh or folded
 * in), and brings it back later; the history that names it stays, and so
 * does what the models learnt from it.  The write side runs on a
 * connection of the models role (cinerec movie, the dashboard) and records
 * who did it in lifecycle_log; each serving worker reloads the set within
 * a second of a change (rules_refresh on its tick) and the lists leave the
 * movies out as they are made (reco.c).
 */
#ifndef CINEREC_RULES_H
#define CINEREC_RULES_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

/* The set a worker serves by.  Zeroed: nothing withdrawn, never loaded. */
struct rules {
	uint8_t		*withdrawn;	/* by movie id: 1 when withdrawn */
	size_t		 n;		/* entries of withdrawn */
	size_t		 count;		/* movies withdrawn */
	int64_t		 version;	/* lifecycle_log's newest id, loaded */
	int		 loaded;	/* 1 once a set was read */
};

/* Is movie withdrawn by r (NULL: no rules)? */
static inline int
rules_withdrawn(const struct rules *r, int32_t movie)
{
	return (r != NULL && movie >= 0 && (size_t)movie < r->n &&
	    r->withdrawn[movie]);
}

/*
 * Reload r from db when the lifecycle log moved since it was loaded (one
 * indexed read a call otherwise).  Returns 1 when reloaded, 0 when
 * unchanged, -1 on a database or memory error (logged; r keeps the set it
 * had).
 */
int	rules_refresh(struct rules *r, sqlite3 *db);

/* Release r; it is then zeroed and reusable. */
void	rules_free(struct rules *r);

/*
 * Withdraw (withdraw = 1) or bring back (0) the movie spelled slug, exactly
 * as the stream spells it, on db (a connection of the models role), in one
 * transaction with its lifecycle_log row (who, why: may be NULL, else at
 * most RULES_WHY_MAX bytes of UTF-8).  Returns 0, or -1 with a reason in
 * err: a reason refused, no such movie, already withdrawn, not withdrawn,
 * or a database error.
 */
#define RULES_WHY_MAX	300	/* bytes of a reason */

int	rules_withdraw(sqlite3 *db, const char *slug, int withdraw,
	    const char *who, const char *why, char *err, size_t errsz);

#endif
