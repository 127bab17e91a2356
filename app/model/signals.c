/*
 * The one place where watch time and ratings become a preference and a
 * confidence; every caller (store export, offline evaluation) goes through
 * signal_map so training and serving see the same numbers.
 */
#include <math.h>
#include <string.h>

#include "util/log.h"
#include "model/signals.h"

void
signal_defaults(struct signal_params *sp)
{
	*sp = (struct signal_params){
		.watch_scale = 30.0,
		.watch_base = 0.5,
		.watch_weight = 1.5,
		.dislike = 2.0,
		.rating_max = 5.0,
		.scale = 5.0,
		.rating_base = 1.0,
		.rating_weight = 2.0,
		.dislike_base = 1.0,
		.dislike_weight = 1.0,
	};
}

int
signal_map(const struct signal_params *sp, double minutes, double runtime,
    double rating, struct signal *out)
{
	double	frac, conf = 0.0;
	int	pref = 0;

	double	top = sp->scale > 0.0 ? sp->scale : sp->rating_max;

	out->pref = 0;
	out->conf = 0.0f;
	if (!isfinite(minutes) || !isfinite(runtime) || !isfinite(rating) ||
	    minutes < 0.0 || runtime < 0.0 || rating < 0.0 || rating > top) {
		log_warnx("%s: invalid input (minutes %g, runtime %g, "
		    "rating %g)", __func__, minutes, runtime, rating);
		return (-1);
	}
	/* The stream's scale onto the mapping's: 8 of 10 is 4 of 5. */
	if (top != sp->rating_max)
		rating = rating * sp->rating_max / top;
	if (minutes > 0.0) {
		if (runtime > 0.0)
			frac = fmin(1.0, minutes / runtime);
		else if (sp->watch_scale > 0.0)
			frac = 1.0 - exp(-minutes / sp->watch_scale);
		else
			frac = 1.0;
		pref = 1;
		conf = sp->watch_base + sp->watch_weight * frac;
	}
	if (rating > 0.0) {
		if (rating <= sp->dislike) {
			pref = 0;
			conf = sp->dislike_base;
			if (sp->dislike > 0.0)
				conf += sp->dislike_weight *
				    (sp->dislike - rating) / sp->dislike;
		} else {
			pref = 1;
			conf += sp->rating_base;
			if (sp->rating_max > sp->dislike)
				conf += sp->rating_weight *
				    (rating - sp->dislike) /
				    (sp->rating_max - sp->dislike);
		}
	}
	out->pref = pref;
	out->conf = conf > 0.0 ? (float)conf : 0.0f;
	return (0);
}

float
signal_encode(const struct signal *s)
{
	return (s->pref ? s->conf : -s->conf);
}
