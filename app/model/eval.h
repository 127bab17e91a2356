/*
 * Offline evaluation, protocol "temporal-20" (shared/notes/evaluation.md):
 * reading ratings CSV files, the per-user temporal split, building the
 * train matrix and test positives, ranking metrics (Recall@20, NDCG@20,
 * catalogue coverage, popular-item share, by user activity) and the report.
 */
#ifndef CINEREC_EVAL_H
#define CINEREC_EVAL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "model/csr.h"
#include "model/model.h"
#include "model/signals.h"

#define EVAL_TOPN	20		/* list length scored */
#define EVAL_TEST_PCT	20		/* last ceil(20%) of a user's ratings */
#define EVAL_POSITIVE	4.0f		/* test ratings >= this are positives */
#define EVAL_UNSEEN	UINT32_MAX	/* a test positive absent from train */

/* One rating as read from a file. */
struct eval_rating {
	int64_t		 user;		/* userId */
	int64_t		 item;		/* movieId */
	float		 rating;	/* rating value, >= 0 */
	int64_t		 time;		/* timestamp */
};

/*
 * Both parts of a split, each sorted by (user, time, item).  Owned by the
 * struct, released by eval_split_free.
 */
struct eval_split {
	struct eval_rating	*train;		/* train parts of all users */
	size_t			 ntrain;	/* ratings in train */
	struct eval_rating	*test;		/* test parts of all users */
	size_t			 ntest;		/* ratings in test */
	size_t			 nusers;	/* users with at least one rating */
};

/* How a train rating becomes a matrix value (model.h). */
enum eval_signal {
	EVAL_SIG_BINARY = 0,	/* every rating is 1 */
	EVAL_SIG_RATING,	/* the rating value itself, all positive */
	EVAL_SIG_MAPPED		/* signal_map(no watch, rating): <= 2 negative */
};

/*
 * A split ready to score.  Users and items are dense indices in increasing
 * id order, so a tie broken by the smaller index is broken by the smaller
 * movieId.  Owned by the struct, released by eval_data_free.
 */
struct eval_data {
	uint32_t	 nusers;	/* users with at least one rating */
	uint32_t	 nitems;	/* movies occurring in some train part */
	int64_t		*user_ids;	/* nusers ids, increasing */
	int64_t		*item_ids;	/* nitems ids, increasing */
	struct csr	 train;		/* nusers x nitems, mapped values, times */
	uint64_t	*pos_ptr;	/* nusers + 1 offsets into pos */
	uint32_t	*pos;		/* test positives: item index or EVAL_UNSEEN */
	uint32_t	*pop;		/* nitems: train ratings of each item */
	uint32_t	 nscored;	/* users with at least one test positive */
	uint64_t	 ntrain;	/* train ratings */
	uint64_t	 npos;		/* test positives */
	/*
	 * Optional, set by the caller (eval_data_free frees series): the
	 * series of each item (a title and its sequels), and at most
	 * series_max items of one series in a list (0: no cap).
	 */
	uint64_t	*series;
	uint32_t	 series_max;
};

/* Scores of one group of users. */
struct eval_group {
	uint32_t	 users;		/* scored users in the group */
	double		 recall;	/* mean Recall@20 */
	double		 ndcg;		/* mean NDCG@20 */
	double		 coverage;	/* share of train movies in some top-20 */
	double		 popshare;	/* share of top-20 slots to the top 1% */
};

/*
 * Result of one run.  Groups by train-part size s: light s <= cut[0],
 * medium cut[0] < s <= cut[1], heavy s > cut[1] (terciles of scored users).
 */
struct eval_result {
	struct eval_group	 all;		/* every scored user */
	struct eval_group	 group[3];	/* light, medium, heavy */
	uint64_t		 cut[2];	/* tercile cut points */
	uint32_t		 npopular;	/* ceil(1% of nitems) */
	double			 seconds;	/* wall time of scoring */
};

/*
 * Read a ratings CSV file (RFC 4180 quoting, optional header naming
 * userId, movieId, rating, timestamp in any order, else those four columns
 * in that order; CRLF or LF; blank lines skipped).  Returns 0 with *out
 * (free it) and *n, or -1 with the file and line of the problem logged.
 */
int	eval_read_ratings(const char *path, struct eval_rating **out,
	    size_t *n);

/*
 * Split n ratings: per user, sorted by (time, item), the last
 * ceil(test_pct% of the user's count) go to test, the rest to train (a
 * user with one rating has an empty train part).  r is not modified.
 * Returns 0, or -1 (logged) on allocation failure or test_pct > 100.
 */
int	eval_split_temporal(const struct eval_rating *r, size_t n,
	    unsigned test_pct, struct eval_split *out);

/* Release a split; safe on a zeroed struct. */
void	eval_split_free(struct eval_split *s);

/*
 * Index the split: items of the train parts, the train matrix with values
 * from sig (enum eval_signal; sp used by EVAL_SIG_MAPPED, may be NULL
 * otherwise), test positives (test ratings >= EVAL_POSITIVE).  Returns 0,
 * or -1 (logged).
 */
int	eval_data_build(const struct eval_split *s, int sig,
	    const struct signal_params *sp, struct eval_data *d);

/* Release d; safe on a zeroed struct. */
void	eval_data_free(struct eval_data *d);

/*
 * Score every scored user of d with md (trained on d->train): rank all
 * train movies but the user's own train movies (model_topn order), take
 * the top EVAL_TOPN and compute the metrics, with threads threads.
 * Returns 0, or -1 (logged) if md does not match d or scoring fails.
 */
int	eval_run(const struct eval_data *d, const struct model *md,
	    uint32_t threads, struct eval_result *res);

/*
 * Recall@k of a ranked list top (ntop items, first k used) against npos
 * positives: hits / min(k, npos); 0 when npos is 0.  Cannot fail.
 */
double	eval_recall(const uint32_t *top, size_t ntop, const uint32_t *pos,
	    size_t npos, size_t k);

/*
 * NDCG@k with binary relevance: sum of 1/log2(i + 2) over hits at 0-based
 * positions i < k, divided by the same sum over min(k, npos) positions.
 * 0 when npos is 0.  Cannot fail.
 */
double	eval_ndcg(const uint32_t *top, size_t ntop, const uint32_t *pos,
	    size_t npos, size_t k);

/* Print the data-set counts (users, movies, ratings, scored, positives). */
void	eval_print_counts(FILE *fp, const struct eval_data *d);

/* Print res as a table: all users, then light / medium / heavy. */
void	eval_print(FILE *fp, const struct eval_result *res);

#endif
