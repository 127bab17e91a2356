/*
 * The "eval" and "tune" subcommands: offline evaluation of one model under
 * protocol temporal-20, and a hyperparameter grid search whose choice is
 * made on a validation split carved from the train part only.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/clock.h"
#include "util/csv.h"
#include "util/vec.h"
#include "cli/commands.h"
#include "ingest/movielens.h"
#include "reco/reco.h"
#include "cli/opts.h"
#include "model/eval.h"
#include "util/log.h"
#include "model/model.h"
#include "model/signals.h"


/* What both subcommands accept. */
struct args {
	const char		*protocol;	/* --protocol */
	const char		*ratings;	/* --ratings FILE */
	const char		*model;		/* --model NAME */
	const char		*signal;	/* --signal NAME */
	const char		*save;		/* --save FILE */
	struct model_params	 p;		/* hyperparameters */
	double			 half_life_days; /* --half-life DAYS */
	int			 verbose;	/* --verbose */
	int			 quick;		/* tune --quick */
	const char		*movies;	/* --movies FILE */
	uint32_t		 series_max;	/* --series-max N */
};

static const char *signal_names[] = { "binary", "rating", "mapped" };

static const struct opts_cmd	eval_cmd = {
	"cinerec eval", NULL,
	"Splits the ratings per user by time (last ceil(20%) = test), trains\n"
	"the model on the train parts, prints the data-set counts, Recall@20,\n"
	"NDCG@20, catalogue coverage and the share of top-20 slots taken by\n"
	"the 1% most rated movies, for all users and by activity tercile.\n"
	"Defaults: als factors 128, reg 50, alpha 5, iters 20, cg-steps 3,\n"
	"signal mapped (chosen by tune on the validation split of\n"
	"ml-latest-small); itemknn k 50 and pop with signal binary; threads 2.\n"
	"Signals: binary = every train rating is 1; rating = the rating value;\n"
	"mapped = signal_map() of the rating (<= 2 is evidence against)."
};

static const struct opts_cmd	tune_cmd = {
	"cinerec tune", NULL,
	"Carves a validation split from the train part of temporal-20 (the\n"
	"same rule applied to each user's train part), scores a grid of\n"
	"hyperparameters on it, picks the best Recall@20 (ties: NDCG@20), then\n"
	"trains the chosen parameters on the whole train part and prints their\n"
	"test score, the only time the test part is used."
};

/*
 * Parse the options common to eval and tune into a: as opts_done, -1 to
 * go on, else the exit status.
 */
static int
parse_args(int argc, char **argv, struct args *a, const struct opts_cmd *cmd)
{
	const struct opt	opts[] = {
		{ "protocol", OPT_STR, &a->protocol, "temporal-20",
		    "the evaluation protocol (the only one)", 0, 0, 0 },
		{ "ratings", OPT_STR, &a->ratings, "FILE",
		    "ratings CSV (userId,movieId,rating,timestamp)", 0, 0, 0 },
		{ "model", OPT_STR, &a->model, "als|itemknn|pop",
		    "the algorithm (als)", 0, 0, 0 },
		{ "signal", OPT_STR, &a->signal, "binary|rating|mapped",
		    "what a rating becomes (see above)", 0, 0, 0 },
		{ "save", OPT_STR, &a->save, "FILE",
		    "eval: also write the trained model there", 0, 0, 0 },
		{ "factors", OPT_U32, &a->p.factors, "N", "als: latent factors",
		    0, 0, 0 },
		{ "reg", OPT_FLOAT, &a->p.reg, "X", "als: L2 regularisation",
		    0, 0, 0 },
		{ "alpha", OPT_FLOAT, &a->p.alpha, "X",
		    "als: confidence slope", 0, 0, 0 },
		{ "iters", OPT_U32, &a->p.iters, "N",
		    "als: alternating iterations", 0, 0, 0 },
		{ "cg-steps", OPT_U32, &a->p.cg_steps, "N",
		    "als: conjugate-gradient steps per row", 0, 0, 0 },
		{ "recency", OPT_FLOAT, &a->p.recency, "R",
		    "weigh the r-th newest train rating exp(-r/R) (als 5, "
		    "itemknn 10, 0: off)", 0, 0, 0 },
		{ "pop-bias", OPT_FLOAT, &a->p.pop_bias, "B",
		    "divide a movie's score by (1 + its train ratings)^B "
		    "(0: off)", 0, 0, 0 },
		{ "movies", OPT_STR, &a->movies, "FILE",
		    "movies.csv (movieId,title,genres): titles for "
		    "--series-max", 0, 0, 0 },
		{ "series-max", OPT_U32, &a->series_max, "N",
		    "at most N movies of a series (a title and its sequels) "
		    "in a list (0: no cap)", 0, 20, 0 },
		{ "threads", OPT_U32, &a->p.threads, "N", "threads", 0, 0, 0 },
		{ "seed", OPT_U64, &a->p.seed, "N", "random seed", 0, 0, 0 },
		{ "k", OPT_U32, &a->p.k, "N", "itemknn: neighbours per item", 0,
		    0, 0 },
		{ "half-life", OPT_DOUBLE, &a->half_life_days, "DAYS",
		    "pop: decay half-life (0: plain count)", 0, 0, 0 },
		{ "verbose", OPT_FLAG, &a->verbose, NULL,
		    "per-iteration timings on stderr", 0, 0, 0 },
		{ "quick", OPT_FLAG, &a->quick, NULL,
		    "tune: a small grid", 0, 0, 0 },
	};
	int			nops;

	memset(a, 0, sizeof(*a));
	model_params_default(&a->p, MODEL_ALS);
	/* Not given: the default of the model chosen (NaN is no input). */
	a->p.recency = NAN;
	a->model = "als";
	return (opts_done(opts_parse(argc, argv, opts, NELEM(opts),
	    OPTS_PASS_ALL, NULL, 0, &nops), cmd, opts, NELEM(opts)));
}

static int
signal_parse(const char *name)
{
	size_t	i;

	for (i = 0; i < sizeof(signal_names) / sizeof(signal_names[0]); i++)
		if (strcmp(name, signal_names[i]) == 0)
			return ((int)i);
	return (-1);
}

/* Print the hyperparameters of p that its algorithm uses. */
static void
print_params(FILE *fp, const struct model_params *p, int sig)
{
	fprintf(fp, "model %s", model_algo_name(p->algo));
	switch (p->algo) {
	case MODEL_POP:
		if (p->half_life > 0)
			fprintf(fp, " half-life %g days", p->half_life / 86400);
		else
			fprintf(fp, " (plain count of train ratings)");
		break;
	case MODEL_ITEMKNN:
		fprintf(fp, " k %u signal %s", p->k, signal_names[sig]);
		break;
	case MODEL_ALS:
		fprintf(fp, " factors %u reg %g alpha %g iters %u cg-steps %u "
		    "signal %s seed %llu", p->factors, p->reg, p->alpha,
		    p->iters, p->cg_steps, signal_names[sig],
		    (unsigned long long)p->seed);
		break;
	}
	if (p->recency > 0)
		fprintf(fp, " recency %g", (double)p->recency);
	if (p->pop_bias > 0)
		fprintf(fp, " pop-bias %g", (double)p->pop_bias);
	fprintf(fp, " threads %u\n", p->threads);
}

/*
 * Train p on d and evaluate it with each of the nrec recency values rec[]
 * (a scoring parameter: one fit serves them all) into res[]; *train_s gets
 * the training time.  If save is not NULL the model (with p->recency) is
 * also written there.  0 or -1.
 */
static int
train_and_score(const struct eval_data *d, const struct model_params *p,
    const float *rec, size_t nrec, const char *save, struct eval_result *res,
    double *train_s)
{
	struct model	*md;
	double		 t0;
	size_t		 i;
	int		 rc = -1;

	t0 = clock_mono_s();
	if (model_train(&d->train, d->item_ids, p, &md) == -1)
		return (-1);
	*train_s = clock_mono_s() - t0;
	if (save != NULL && model_save(md, save) == -1)
		goto fail_model;
	for (i = 0; i < nrec; i++) {
		model_set_recency(md, rec[i]);
		if (eval_run(d, md, p->threads, &res[i]) == -1)
			goto fail_model;
	}
	rc = 0;
fail_model:
	model_free(md);
	return (rc);
}

/* p->recency as given, else the default of p's algorithm.  0, or 2. */
static int
recency_set(struct model_params *p, const char *prog)
{
	struct model_params	def;

	if (isnan(p->recency)) {
		model_params_default(&def, p->algo);
		p->recency = def.recency;
	}
	if (!(p->recency >= 0 && p->recency <= MODEL_RECENCY_MAX)) {
		fprintf(stderr, "%s: --recency is within 0..%g\n", prog,
		    (double)MODEL_RECENCY_MAX);
		return (2);
	}
	return (0);
}

/*
 * d->series from the titles of movies.csv at path (a movie it lacks is a
 * series of its own), with the cap max.  0, or -1 (logged).
 */
static int
load_series(struct eval_data *d, const char *path, uint32_t max)
{
	struct csv	 c;
	struct ml_movie	 mv;
	uint64_t	*byid = NULL;
	size_t		 nid = 0;
	uint32_t	 j;
	int		 got, rc = -1;

	if (csv_open_rows(&c, path) == -1)
		return (-1);
	while ((got = csv_next(&c)) > 0) {
		if (got == CSV_BAD || ml_movie_row(&c, &mv) == -1)
			continue;
		if ((size_t)mv.id >= nid) {
			if (vec_grow((void **)&byid, &nid, (size_t)mv.id + 1,
			    sizeof(*byid)) == -1)
				goto done;
		}
		byid[mv.id] = reco_series(mv.slug);
	}
	if (got < 0 || (d->series = calloc((size_t)d->nitems + 1,
	    sizeof(*d->series))) == NULL)
		goto done;
	for (j = 0; j < d->nitems; j++)
		d->series[j] = d->item_ids[j] >= 0 && (size_t)d->item_ids[j] <
		    nid && byid[d->item_ids[j]] != 0 ? byid[d->item_ids[j]] :
		    ~(uint64_t)j;
	d->series_max = max;
	rc = 0;
done:
	free(byid);
	csv_close(&c);
	return (rc);
}

/* Read and split the ratings of a; 0, or -1 (logged). */
static int
load_split(const char *path, struct eval_split *outer)
{
	struct eval_rating	*r;
	size_t			 n;
	int			 rc;

	if (eval_read_ratings(path, &r, &n) == -1)
		return (-1);
	rc = eval_split_temporal(r, n, EVAL_TEST_PCT, outer);
	free(r);
	return (rc);
}

int
cmd_eval(int argc, char **argv)
{
	struct args		 a;
	struct eval_split	 split;
	struct eval_data	 d;
	struct eval_result	 res;
	struct signal_params	 sp;
	double			 train_s, t0 = clock_mono_s();
	int			 sig = EVAL_SIG_BINARY, rc = 1;

	if ((rc = parse_args(argc, argv, &a, &eval_cmd)) != -1)
		return (rc);
	rc = 1;
	if (a.protocol != NULL && strcmp(a.protocol, "temporal-20") != 0) {
		fprintf(stderr, "%s: unknown protocol '%s' (only "
		    "temporal-20)\n", argv[0], a.protocol);
		return (2);
	}
	if (a.ratings == NULL) {
		fprintf(stderr, "%s: --ratings FILE is required\n", argv[0]);
		return (2);
	}
	if ((a.p.algo = model_algo_parse(a.model)) == 0) {
		fprintf(stderr, "%s: unknown model '%s'\n", argv[0], a.model);
		return (2);
	}
	/* ALS validated best with the mapped signal; the others as in the note. */
	if (a.p.algo == MODEL_ALS)
		sig = EVAL_SIG_MAPPED;
	if (a.signal != NULL && (sig = signal_parse(a.signal)) == -1) {
		fprintf(stderr, "%s: unknown signal '%s'\n", argv[0],
		    a.signal);
		return (2);
	}
	if (a.half_life_days < 0) {
		fprintf(stderr, "%s: --half-life must be >= 0\n", argv[0]);
		return (2);
	}
	a.p.half_life = a.half_life_days * 86400.0;
	a.p.verbose = a.verbose;
	if (recency_set(&a.p, argv[0]) != 0)
		return (2);
	signal_defaults(&sp);

	log_progress("eval: reading %s", a.ratings);
	if (load_split(a.ratings, &split) == -1)
		goto fail_read;
	if (eval_data_build(&split, sig, &sp, &d) == -1)
		goto fail_split;
	if (a.series_max > 0 && (a.movies == NULL ||
	    load_series(&d, a.movies, a.series_max) == -1)) {
		fprintf(stderr, "%s: --series-max needs the titles: --movies "
		    "movies.csv\n", argv[0]);
		goto fail_data;
	}
	log_progress_end();
	printf("protocol temporal-20, ratings %s\n", a.ratings);
	eval_print_counts(stdout, &d);
	print_params(stdout, &a.p, sig);
	fflush(stdout);
	log_progress("eval: training and scoring %s",
	    model_algo_name(a.p.algo));
	if (train_and_score(&d, &a.p, &a.p.recency, 1, a.save, &res,
	    &train_s) == -1)
		goto fail_data;
	log_progress_end();
	printf("train %.2f s, score %.2f s\n", train_s, res.seconds);
	eval_print(stdout, &res);
	printf("eval %s: Recall@20 %.4f, NDCG@20 %.4f, %.1f s in all\n",
	    model_algo_name(a.p.algo), res.all.recall, res.all.ndcg,
	    clock_mono_s() - t0);
	rc = 0;

fail_data:
	eval_data_free(&d);
fail_split:
	eval_split_free(&split);
fail_read:
	log_progress_end();
	return (rc);
}

/* The grid searched by tune; one entry per model. */
struct grid {
	uint32_t	 algo;		/* enum model_algo */
	const uint32_t	*factors;	/* als */
	size_t		 nfactors;
	const float	*reg;		/* als */
	size_t		 nreg;
	const float	*alpha;		/* als */
	size_t		 nalpha;
	const uint32_t	*iters;		/* als */
	size_t		 niters;
	const uint32_t	*k;		/* itemknn */
	size_t		 nk;
};

static const uint32_t	grid_factors[] = { 32, 64, 128 };
static const float	grid_reg[] = { 1.0f, 10.0f, 50.0f, 200.0f };
static const float	grid_alpha[] = { 1.0f, 3.0f, 5.0f, 10.0f, 20.0f };
static const uint32_t	grid_iters[] = { 10, 20 };
static const uint32_t	grid_k[] = { 20, 50, 100, 200, 400 };
/* Scored from each fit in turn; 0 is off. */
static const float	grid_recency[] = { 0.0f, 3.0f, 5.0f, 7.0f, 10.0f,
			    20.0f, 40.0f };
#define NRECENCY	NELEM(grid_recency)
static const uint32_t	quick_factors[] = { 64 };
static const float	quick_reg[] = { 10.0f, 50.0f };
static const float	quick_alpha[] = { 3.0f, 10.0f };
static const uint32_t	quick_iters[] = { 15 };

/* Number of points of g and the parameters of point i into p. */
static size_t
grid_point(const struct grid *g, size_t i, struct model_params *p)
{
	size_t	n;

	if (g->algo == MODEL_ITEMKNN) {
		n = g->nk;
		if (i < n)
			p->k = g->k[i];
		return (n);
	}
	n = g->nfactors * g->nreg * g->nalpha * g->niters;
	if (i < n) {
		p->iters = g->iters[i % g->niters];
		i /= g->niters;
		p->alpha = g->alpha[i % g->nalpha];
		i /= g->nalpha;
		p->reg = g->reg[i % g->nreg];
		i /= g->nreg;
		p->factors = g->factors[i];
	}
	return (n);
}

int
cmd_tune(int argc, char **argv)
{
	struct args		 a;
	struct eval_split	 outer, inner;
	struct eval_data	 d;
	struct eval_result	 res, rres[NRECENCY], best;
	const float		*rec;
	size_t			 r, nrec;
	struct signal_params	 sp;
	struct model_params	 p, bestp;
	struct grid		 g;
	double			 train_s, t0 = clock_mono_s();
	size_t			 i, npoints, total, done = 0;
	int			 sig, sig0, sig1, bestsig = -1, rc = 1;

	if ((rc = parse_args(argc, argv, &a, &tune_cmd)) != -1)
		return (rc);
	rc = 1;
	if (a.ratings == NULL) {
		fprintf(stderr, "%s: --ratings FILE is required\n", argv[0]);
		return (2);
	}
	memset(&g, 0, sizeof(g));
	g.algo = model_algo_parse(a.model);
	if (g.algo != MODEL_ALS && g.algo != MODEL_ITEMKNN) {
		fprintf(stderr, "%s: can tune als or itemknn, not '%s'\n",
		    argv[0], a.model);
		return (2);
	}
	sig0 = EVAL_SIG_BINARY;
	sig1 = EVAL_SIG_MAPPED;
	if (a.signal != NULL) {
		if ((sig0 = signal_parse(a.signal)) == -1) {
			fprintf(stderr, "%s: unknown signal '%s'\n", argv[0],
			    a.signal);
			return (2);
		}
		sig1 = sig0;
	}
	g.factors = a.quick ? quick_factors : grid_factors;
	g.nfactors = a.quick ? NELEM(quick_factors) : NELEM(grid_factors);
	g.reg = a.quick ? quick_reg : grid_reg;
	g.nreg = a.quick ? NELEM(quick_reg) : NELEM(grid_reg);
	g.alpha = a.quick ? quick_alpha : grid_alpha;
	g.nalpha = a.quick ? NELEM(quick_alpha) : NELEM(grid_alpha);
	g.iters = a.quick ? quick_iters : grid_iters;
	g.niters = a.quick ? NELEM(quick_iters) : NELEM(grid_iters);
	g.k = grid_k;
	g.nk = NELEM(grid_k);
	a.p.algo = g.algo;
	a.p.verbose = a.verbose;
	/* --recency pins it; else the grid. */
	if (!isnan(a.p.recency)) {
		if (recency_set(&a.p, argv[0]) != 0)
			return (2);
		rec = &a.p.recency;
		nrec = 1;
	} else {
		a.p.recency = 0;	/* a scoring parameter: set per point */
		rec = grid_recency;
		nrec = NRECENCY;
	}
	signal_defaults(&sp);
	memset(&best, 0, sizeof(best));
	memset(&bestp, 0, sizeof(bestp));

	log_progress("tune: reading %s", a.ratings);
	if (load_split(a.ratings, &outer) == -1)
		goto fail_read;
	/* Validation: temporal-20 again, on the train part only. */
	if (eval_split_temporal(outer.train, outer.ntrain, EVAL_TEST_PCT,
	    &inner) == -1)
		goto fail_outer;
	log_progress_end();
	printf("tune %s on %s: validation = last ceil(20%%) of each user's "
	    "train part\n", model_algo_name(g.algo), a.ratings);
	/* The points of every signal tried, for the progress line. */
	p = a.p;
	for (sig = sig0, total = 0; sig <= sig1; sig++)
		if (sig != EVAL_SIG_RATING || a.signal != NULL)
			total += grid_point(&g, 0, &p) * nrec;
	for (sig = sig0; sig <= sig1; sig++) {
		if (sig == EVAL_SIG_RATING && a.signal == NULL)
			continue;
		if (eval_data_build(&inner, sig, &sp, &d) == -1)
			goto fail_inner;
		if (sig == sig0) {
			printf("validation ");
			eval_print_counts(stdout, &d);
			printf("%-7s %7s %7s %7s %5s %4s %7s %10s %9s %8s\n",
			    "signal", "factors", "reg", "alpha", "iters", "k",
			    "recency", "Recall@20", "NDCG@20", "train_s");
		}
		p = a.p;
		npoints = grid_point(&g, 0, &p);
		for (i = 0; i < npoints; i++) {
			grid_point(&g, i, &p);
			fflush(stdout);
			done += nrec;
			log_progress("tune: point %zu of %zu (signal %s)",
			    done, total, signal_names[sig]);
			if (train_and_score(&d, &p, rec, nrec, NULL, rres,
			    &train_s) == -1) {
				eval_data_free(&d);
				goto fail_inner;
			}
			log_progress_end();
			for (r = 0; r < nrec; r++) {
				res = rres[r];
				p.recency = rec[r];
				if (g.algo == MODEL_ALS)
					printf("%-7s %7u %7g %7g %5u %4s",
					    signal_names[sig], p.factors, p.reg,
					    p.alpha, p.iters, "-");
				else
					printf("%-7s %7s %7s %7s %5s %4u",
					    signal_names[sig], "-", "-", "-",
					    "-", p.k);
				printf(" %7g %10.4f %9.4f %8.2f\n",
				    (double)p.recency, res.all.recall,
				    res.all.ndcg, train_s);
				if (bestsig == -1 ||
				    res.all.recall > best.all.recall ||
				    (res.all.recall == best.all.recall &&
				    res.all.ndcg > best.all.ndcg)) {
					best = res;
					bestp = p;
					bestsig = sig;
				}
			}
			fflush(stdout);
		}
		eval_data_free(&d);
	}
	printf("chosen on validation (Recall@20 %.4f, NDCG@20 %.4f): ",
	    best.all.recall, best.all.ndcg);
	print_params(stdout, &bestp, bestsig);

	if (eval_data_build(&outer, bestsig, &sp, &d) == -1)
		goto fail_inner;
	printf("test ");
	eval_print_counts(stdout, &d);
	fflush(stdout);
	log_progress("tune: training the chosen parameters on the train part");
	if (train_and_score(&d, &bestp, &bestp.recency, 1, NULL, &res,
	    &train_s) == -1)
		goto fail_data;
	log_progress_end();
	printf("test score of the chosen parameters (train %.2f s):\n",
	    train_s);
	eval_print(stdout, &res);
	printf("tune %s: the best of %zu points, test Recall@20 %.4f, NDCG@20 "
	    "%.4f, %.1f s in all\n", model_algo_name(g.algo), done,
	    res.all.recall, res.all.ndcg, clock_mono_s() - t0);
	rc = 0;

fail_data:
	eval_data_free(&d);
fail_inner:
	eval_split_free(&inner);
fail_outer:
	eval_split_free(&outer);
fail_read:
	log_progress_end();
	return (rc);
}
