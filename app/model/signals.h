/*
 * Implicit-feedback signal: maps what the store knows about one (user,
 * movie) pair (minutes watched, runtime, explicit rating) to a preference
 * (0 or 1) and a confidence, and encodes both as the one float value that
 * the interaction matrix stores (see model.h).  Named signals.h so that
 * -Iapp does not shadow the system <signal.h>.
 */
#ifndef CINEREC_SIGNALS_H
#define CINEREC_SIGNALS_H

/*
 * Tunable constants of the mapping.  With frac the fraction watched:
 *   frac = min(1, minutes / runtime)           if the runtime is known,
 *        = 1 - exp(-minutes / watch_scale)     otherwise;
 *   any watch:        preference 1, confidence watch_base + watch_weight * frac;
 *   rating > dislike: preference 1, confidence += rating_base +
 *                     rating_weight * (rating - dislike) / (rating_max - dislike);
 *   rating <= dislike (evidence against, overrides the watch):
 *                     preference 0, confidence dislike_base +
 *                     dislike_weight * (dislike - rating) / dislike.
 * A pair with neither a watch nor a rating carries no signal (confidence 0).
 */
struct signal_params {
	double	watch_scale;	/* minutes; saturation scale when runtime unknown (30) */
	double	watch_base;	/* confidence of any watch, however short (0.5) */
	double	watch_weight;	/* extra confidence of a complete watch (1.5) */
	double	dislike;	/* ratings <= this are evidence against (2.0) */
	double	rating_max;	/* top of the mapping's rating scale (5.0) */
	double	scale;		/* top of the stream's scale (rating_max, 5):
				   ratings are rescaled to rating_max first */
	double	rating_base;	/* confidence of any positive rating (1.0) */
	double	rating_weight;	/* extra confidence of a top rating (2.0) */
	double	dislike_base;	/* confidence of a rating equal to dislike (1.0) */
	double	dislike_weight;	/* extra confidence as the rating falls to 0 (1.0) */
};

/* One mapped pair. */
struct signal {
	int	pref;		/* 1 = likes it, 0 = does not */
	float	conf;		/* >= 0; 0 means "no signal, do not store" */
};

/* Fill sp with the defaults quoted above.  Cannot fail. */
void	signal_defaults(struct signal_params *sp);

/*
 * Map minutes watched (0 = not watched), runtime in minutes (0 = unknown)
 * and rating (0 = none, else in (0, scale]) to out.  Returns 0, or -1
 * (logged) on a negative or non-finite input or a rating above scale.
 */
int	signal_map(const struct signal_params *sp, double minutes,
	    double runtime, double rating, struct signal *out);

/*
 * The matrix value of s: +conf for preference 1, -conf for preference 0,
 * 0 for no signal.  Cannot fail.
 */
float	signal_encode(const struct signal *s);

#endif
