/*
 * Implicit ALS (Hu, Koren & Volinsky 2008) solved with a few warm-started
 * conjugate-gradient steps per row (Takacs, Pilaszy & Tikk 2011), float32,
 * multi-threaded.  Serving folds a user in by solving the user's vector
 * exactly from the current history against the stored item factors.
 *
 * Objective: sum over all (u, i) of c_ui (p_ui - x_u . y_i)^2 +
 * reg (|x_u|^2 + |y_i|^2), with c_ui = 1 + alpha |v_ui| and p_ui = (v_ui > 0)
 * for stored entries, c_ui = 1 and p_ui = 0 elsewhere.
 */
#ifndef CINEREC_ALS_H
#define CINEREC_ALS_H

#include "model/model.h"

#define ALS_ALIGN	8	/* factor rows are padded to a multiple of this */

/*
 * Trained state.  Row j of the item factors is y[j * stride ...], its
 * entries past factors are 0.  gram = Y'Y (stride x stride, no reg).
 */
struct als {
	uint32_t	 nitems;	/* item rows */
	uint32_t	 factors;	/* latent dimension */
	uint32_t	 stride;	/* floats per row: factors rounded up */
	float		 reg;		/* regularisation used for fold-in */
	float		 alpha;		/* confidence slope used for fold-in */
	const float	*y;		/* nitems * stride item factors */
	const float	*gram;		/* stride * stride Y'Y */
	float		*y_owned;	/* y when allocated, else NULL */
	float		*gram_owned;	/* gram when allocated, else NULL */
	/* For serving (als_topn), made when the model is loaded or trained: */
	float		*greg;		/* gram + reg on the diagonal */
	float		*norm;		/* |y_j| for every item */
	uint32_t	*order;		/* items by decreasing norm */
	float		*ysorted;	/* y's rows in that order */
	float		*nsorted;	/* their norms, in that order */
	const float	*w;		/* item weights of those rows, or NULL */
};

#define ALS_SEC_Y	1	/* section: float y[nitems * stride] */
#define ALS_SEC_GRAM	2	/* section: float gram[stride * stride] */

/*
 * The model_ops of ALS.  train needs p->factors >= 1, p->iters, p->cg_steps
 * >= 1, p->reg > 0, p->alpha >= 0; it is deterministic for a given seed
 * whatever p->threads.  Memory: the matrix, its transpose and
 * (rows + cols) * stride floats.  score solves the user's vector from the
 * history (entries with vals as in model.h) and returns y_j . x_u.
 */
extern const struct model_ops als_ops;

/* Row length in floats for factors (a multiple of ALS_ALIGN). */
uint32_t	als_stride(uint32_t factors);

/*
 * Improve x (stride floats, warm start) towards the solution of
 *   (G + sum_k c1_k y_k y_k') x = sum_{k: v_k > 0} (1 + c1_k) y_k,
 * c1_k = alpha |v_k|, y_k = Y + idx[k] * stride, with steps conjugate-
 * gradient steps.  G (stride x stride, symmetric positive definite, reg on
 * its diagonal) and Y rows are as in struct als; scratch holds 3 * stride
 * floats, all arrays aligned to 32 bytes.  Cannot fail.
 */
void	als_solve_row(const float *G, const float *Y, uint32_t stride,
	    const uint32_t *idx, const float *val, size_t n, float alpha,
	    uint32_t steps, float *x, float *scratch);

/*
 * out (stride x stride) = sum over rows of f (rows x stride) of f_r f_r',
 * computed with threads threads in an order that does not depend on
 * threads.  Returns 0, or -1 (logged) on allocation failure.
 */
int	als_gram(const float *f, uint32_t rows, uint32_t stride,
	    uint32_t threads, float *out);

#endif
