/*
 * Item-kNN model: cosine similarity between items on the binary matrix of
 * positive interactions, the k most similar neighbours kept per item.  A
 * user's score for item j is the sum of the similarities between j and
 * those of j's neighbours the user has, and the neighbour contributing most
 * is the "because you watched X" explanation.
 */
#ifndef CINEREC_ITEMKNN_H
#define CINEREC_ITEMKNN_H

#include "model/model.h"

/*
 * Trained state, indexed by the history item: the entries of row i,
 * [ptr[i], ptr[i + 1]), are the items j that have i among their k most
 * similar items (ties: smaller index first), with sim = cos(i, j), columns
 * increasing.  A user's score for j is the sum of sim over the rows of the
 * user's positive items.
 */
struct knn {
	uint32_t	 nitems;	/* items */
	uint32_t	 k;		/* neighbours kept per item */
	int		 weighed;	/* recency on: a history entry counts
					   its value, not 1 */
	const uint64_t	*ptr;		/* nitems + 1 row offsets */
	const uint32_t	*col;		/* ptr[nitems] item indices */
	const float	*sim;		/* ptr[nitems] cosine similarities */
	struct csr	 owned;		/* the arrays when trained, else zero */
};

#define KNN_SEC_PTR	1	/* section: uint64 ptr[nitems + 1] */
#define KNN_SEC_COL	2	/* section: uint32 col[ptr[nitems]] */
#define KNN_SEC_SIM	3	/* section: float sim[ptr[nitems]] */

/*
 * The model_ops of item-kNN.  train uses the entries with value > 0 as 1s,
 * p->k neighbours (>= 1) and p->threads threads; score sums, for each
 * candidate j, the similarities of j's neighbours that are positive items of
 * the history, and fills because[j] with the most similar of them.
 */
extern const struct model_ops knn_ops;

#endif
