/*
 * Fresh lists: the lists of the users who just did something, computed by
 * the writer's thread right after their events committed, so that their
 * next request is answered without folding them in at request time (the
 * live path: a stream's requesters are its active users).
 *
 * One table shared by every process of the server (anonymous shared memory
 * made before the workers fork), direct-mapped by user id, each slot under
 * a sequence lock.  Before the writer commits a batch it invalidates the
 * slots of the batch's users (their sequence odd); after the commit it
 * recomputes as many of them as a time budget allows and publishes each
 * (the sequence even again).  A request that finds a valid slot of its
 * user and of the version it serves answers from it: the slot reflects
 * every event committed before the request, since any commit of that user
 * made it invalid first.  Otherwise (evicted, over the budget, another
 * version) the request folds the user in as before.
 */
#ifndef CINEREC_FRESH_H
#define CINEREC_FRESH_H

#include <stddef.h>
#include <stdint.h>

#include "model/signals.h"
#include "reco/lists.h"

#define FRESH_BITS	17
#define FRESH_SLOTS	(1 << FRESH_BITS)	/* 272 bytes each: 36 MiB */
#define FRESH_BUDGET_MS	100	/* recomputing after one commit, at most */
#define FRESH_SHARE	2	/* ... and 1/FRESH_SHARE of the time since */
#define FRESH_BACKLOG	(1 << 16)	/* users left for a later make */

/* One list, as a slot holds it. */
struct fresh_row {
	int64_t		 model_id;
	int		 n;			/* entries, at most LISTS_K */
	int32_t		 ids[LISTS_K];
	float		 scores[LISTS_K];
	int32_t		 because[LISTS_K];	/* LISTS_NONE: none */
};

/*
 * The shared table, made once in the parent before the workers fork.
 * 0, or -1 (the server runs without: every changed user is folded in).
 */
int	fresh_init(void);

/* Is there a table?  (In tests, fresh_init makes one per process.) */
int	fresh_enabled(void);

/* The writer, before a commit: the slots of these users are invalid. */
void	fresh_invalidate(const int64_t *users, size_t n);

/* Publish user's list (the writer's thread only). */
void	fresh_put(int64_t user, const struct fresh_row *row);

/*
 * user's list of version model_id into row: 1, or 0 when there is no
 * valid one (any thread, any process).
 */
int	fresh_get(int64_t user, int64_t model_id, struct fresh_row *row);

/*
 * The writer thread's side: a read connection, the current model, and the
 * scratch to compute lists.  fresh_maker_open returns NULL when there is
 * no table or it cannot open the store (logged).
 */
struct fresh_maker;
struct fresh_maker	*fresh_maker_open(const char *data_dir,
			    const struct signal_params *sp);

/*
 * After a commit: the lists of these users, the current version's, each
 * published, until budget_ms of the thread's CPU time ran out, or half
 * the time since the last make (a third of the writer's time at most).
 * The rest wait for a later make, after its own users (FRESH_BACKLOG of
 * them at most, the oldest dropped first); till then they are folded in
 * on request.  A user whose list is valid by then is skipped.  Returns
 * how many were made.
 */
size_t	fresh_maker_make(struct fresh_maker *fm, const int64_t *users,
	    size_t n, int budget_ms);
void	fresh_maker_close(struct fresh_maker *fm);

/*
 * The writer's commit hook (writer_set_hook) with the maker as its arg:
 * invalidate before, make after (FRESH_BUDGET_MS).
 */
void	fresh_commit_hook(void *maker, const int64_t *users, size_t n,
	    int before);

#endif
