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
#include "cli/cli.h"
#include "model/eval.h"
#include "util/log.h"
#include "model/model.h"
#include "model/signals.h"


/* Kind of value an option takes. */
enum opt_type {
	OPT_FLAG,		/* no value: sets an int to 1 */
	OPT_STR,		/* const char * */
	OPT_U32,		/* uint32_t, decimal */
	OPT_U64,		/* uint64_t, decimal */
	OPT_FLOAT,		/* float, finite */
	OPT_DOUBLE		/* double, finite */
};

/* One command-line option. */
struct opt {
	const char	*name;		/* without the leading "--" */
	int		 type;		/* enum opt_type */
	void		*dst;		/* where the value goes */
};

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
	int			 help;		/* --help */
	int			 quick;		/* tune --quick */
};

static const char *signal_names[] = { "binary", "rating", "mapped" };

static const char eval_usage[] =
    "usage: cinerec eval --protocol temporal-20 --ratings FILE\n"
    "           [--model als|itemknn|pop] [--signal binary|rating|mapped]\n"
    "           [--factors N] [--reg X] [--alpha X] [--iters N]\n"
    "           [--cg-steps N] [--threads N] [--seed N] [--k N]\n"
    "           [--half-life DAYS] [--save MODELFILE] [--verbose]\n"
    "Splits the ratings per user by time (last ceil(20%) = test), trains\n"
    "the model on the train parts, prints the data-set counts, Recall@20,\n"
    "NDCG@20, catalogue coverage and the share of top-20 slots taken by\n"
    "the 1% most rated movies, for all users and by activity tercile.\n"
    "Defaults: als factors 128, reg 50, alpha 5, iters 20, cg-steps 3,\n"
    "signal mapped (chosen by tune on the validation split of\n"
    "ml-latest-small); itemknn k 50 and pop with signal binary; threads 2.\n"
    "Signals: binary = every train rating is 1; rating = the rating value;\n"
    "mapped = signal_map() of the rating (<= 2 is evidence against).\n";

static const char tune_usage[] =
    "usage: cinerec tune --ratings FILE [--model als|itemknn]\n"
    "           [--signal binary|rating|mapped] [--threads N] [--seed N]\n"
    "           [--quick] [--verbose]\n"
    "Carves a validation split from the train part of temporal-20 (the\n"
    "same rule applied to each user's train part), scores a grid of\n"
    "hyperparameters on it, picks the best Recall@20 (ties: NDCG@20), then\n"
    "trains the chosen parameters on the whole train part and prints their\n"
    "test score, the only time the test part is used.\n";

/* Parse s into an option's destination; 0 or -1. */
static int
opt_value(const struct opt *o, const char *s)
{
	char			*end;
	unsigned long long	 u;
	double			 d;

	errno = 0;
	switch (o->type) {
	case OPT_STR:
		*(const char **)o->dst = s;
		return (0);
	case OPT_U32:
	case OPT_U64:
		if (*s == '-' || *s == '\0')
			return (-1);
		u = strtoull(s, &end, 10);
		if (errno != 0 || *end != '\0' ||
		    (o->type == OPT_U32 && u > UINT32_MAX))
			return (-1);
		if (o->type == OPT_U32)
			*(uint32_t *)o->dst = (uint32_t)u;
		else
			*(uint64_t *)o->dst = u;
		return (0);
	case OPT_FLOAT:
	case OPT_DOUBLE:
		d = strtod(s, &end);
		if (errno != 0 || *end != '\0' || end == s || !isfinite(d))
			return (-1);
		if (o->type == OPT_FLOAT)
			*(float *)o->dst = (float)d;
		else
			*(double *)o->dst = d;
		return (0);
	default:
		return (-1);
	}
}

/*
 * Parse argv[1..] ("--name value", "--name=value", "--flag") against the
 * table; 0, or -1 with the problem printed on stderr.
 */
static int
parse_opts(int argc, char **argv, const struct opt *opts, size_t nopts)
{
	const char	*arg, *eq, *val;
	size_t		 i, len;
	int		 a;

	for (a = 1; a < argc; a++) {
		arg = argv[a];
		if (strncmp(arg, "--", 2) != 0) {
			fprintf(stderr, "%s: unexpected argument '%s'\n",
			    argv[0], arg);
			return (-1);
		}
		arg += 2;
		eq = strchr(arg, '=');
		len = eq != NULL ? (size_t)(eq - arg) : strlen(arg);
		for (i = 0; i < nopts; i++)
			if (strlen(opts[i].name) == len &&
			    strncmp(opts[i].name, arg, len) == 0)
				break;
		if (i == nopts) {
			fprintf(stderr, "%s: unknown option '%s'\n", argv[0],
			    argv[a]);
			return (-1);
		}
		if (opts[i].type == OPT_FLAG) {
			if (eq != NULL) {
				fprintf(stderr, "%s: --%s takes no value\n",
				    argv[0], opts[i].name);
				return (-1);
			}
			*(int *)opts[i].dst = 1;
			continue;
		}
		if (eq != NULL)
			val = eq + 1;
		else if (a + 1 < argc)
			val = argv[++a];
		else {
			fprintf(stderr, "%s: --%s needs a value\n", argv[0],
			    opts[i].name);
			return (-1);
		}
		if (opt_value(&opts[i], val) == -1) {
			fprintf(stderr, "%s: bad value '%s' for --%s\n",
			    argv[0], val, opts[i].name);
			return (-1);
		}
	}
	return (0);
}

/* Parse the options common to eval and tune into a; 0 or -1. */
static int
parse_args(int argc, char **argv, struct args *a)
{
	const struct opt	opts[] = {
		{ "protocol", OPT_STR, &a->protocol },
		{ "ratings", OPT_STR, &a->ratings },
		{ "model", OPT_STR, &a->model },
		{ "signal", OPT_STR, &a->signal },
		{ "save", OPT_STR, &a->save },
		{ "factors", OPT_U32, &a->p.factors },
		{ "reg", OPT_FLOAT, &a->p.reg },
		{ "alpha", OPT_FLOAT, &a->p.alpha },
		{ "iters", OPT_U32, &a->p.iters },
		{ "cg-steps", OPT_U32, &a->p.cg_steps },
		{ "threads", OPT_U32, &a->p.threads },
		{ "seed", OPT_U64, &a->p.seed },
		{ "k", OPT_U32, &a->p.k },
		{ "half-life", OPT_DOUBLE, &a->half_life_days },
		{ "verbose", OPT_FLAG, &a->verbose },
		{ "quick", OPT_FLAG, &a->quick },
		{ "help", OPT_FLAG, &a->help },
	};

	memset(a, 0, sizeof(*a));
	model_params_default(&a->p, MODEL_ALS);
	a->model = "als";
	return (parse_opts(argc, argv, opts, sizeof(opts) / sizeof(opts[0])));
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
	fprintf(fp, " threads %u\n", p->threads);
}

/*
 * Train p on d and evaluate; *train_s gets the training time.  0 or -1.
 * If save is not NULL the model is also written there.
 */
static int
train_and_score(const struct eval_data *d, const struct model_params *p,
    const char *save, struct eval_result *res, double *train_s)
{
	struct model	*md;
	double		 t0;
	int		 rc = -1;

	t0 = clock_mono_s();
	if (model_train(&d->train, d->item_ids, p, &md) == -1)
		return (-1);
	*train_s = clock_mono_s() - t0;
	if (save != NULL && model_save(md, save) == -1)
		goto fail_model;
	if (eval_run(d, md, p->threads, res) == -1)
		goto fail_model;
	rc = 0;
fail_model:
	model_free(md);
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
	double			 train_s;
	int			 sig = EVAL_SIG_BINARY, rc = 1;

	if (parse_args(argc, argv, &a) == -1) {
		fputs(eval_usage, stderr);
		return (2);
	}
	if (a.help) {
		fputs(eval_usage, stdout);
		return (0);
	}
	if (a.protocol != NULL && strcmp(a.protocol, "temporal-20") != 0) {
		fprintf(stderr, "%s: unknown protocol '%s' (only "
		    "temporal-20)\n", argv[0], a.protocol);
		return (2);
	}
	if (a.ratings == NULL) {
		fprintf(stderr, "%s: --ratings FILE is required\n", argv[0]);
		fputs(eval_usage, stderr);
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
	signal_defaults(&sp);

	if (load_split(a.ratings, &split) == -1)
		return (1);
	if (eval_data_build(&split, sig, &sp, &d) == -1)
		goto fail_split;
	printf("protocol temporal-20, ratings %s\n", a.ratings);
	eval_print_counts(stdout, &d);
	print_params(stdout, &a.p, sig);
	if (train_and_score(&d, &a.p, a.save, &res, &train_s) == -1)
		goto fail_data;
	printf("train %.2f s, score %.2f s\n", train_s, res.seconds);
	eval_print(stdout, &res);
	rc = 0;

fail_data:
	eval_data_free(&d);
fail_split:
	eval_split_free(&split);
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
static const uint32_t	quick_factors[] = { 64 };
static const float	quick_reg[] = { 10.0f, 50.0f };
static const float	quick_alpha[] = { 3.0f, 10.0f };
static const uint32_t	quick_iters[] = { 15 };

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

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
	struct eval_result	 res, best;
	struct signal_params	 sp;
	struct model_params	 p, bestp;
	struct grid		 g;
	double			 train_s;
	size_t			 i, npoints;
	int			 sig, sig0, sig1, bestsig = -1, rc = 1;

	if (parse_args(argc, argv, &a) == -1) {
		fputs(tune_usage, stderr);
		return (2);
	}
	if (a.help) {
		fputs(tune_usage, stdout);
		return (0);
	}
	if (a.ratings == NULL) {
		fprintf(stderr, "%s: --ratings FILE is required\n", argv[0]);
		fputs(tune_usage, stderr);
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
	signal_defaults(&sp);
	memset(&best, 0, sizeof(best));
	memset(&bestp, 0, sizeof(bestp));

	if (load_split(a.ratings, &outer) == -1)
		return (1);
	/* Validation: temporal-20 again, on the train part only. */
	if (eval_split_temporal(outer.train, outer.ntrain, EVAL_TEST_PCT,
	    &inner) == -1)
		goto fail_outer;
	printf("tune %s on %s: validation = last ceil(20%%) of each user's "
	    "train part\n", model_algo_name(g.algo), a.ratings);
	for (sig = sig0; sig <= sig1; sig++) {
		if (sig == EVAL_SIG_RATING && a.signal == NULL)
			continue;
		if (eval_data_build(&inner, sig, &sp, &d) == -1)
			goto fail_inner;
		if (sig == sig0) {
			printf("validation ");
			eval_print_counts(stdout, &d);
			printf("%-7s %7s %7s %7s %5s %4s %10s %9s %8s\n",
			    "signal", "factors", "reg", "alpha", "iters", "k",
			    "Recall@20", "NDCG@20", "train_s");
		}
		p = a.p;
		npoints = grid_point(&g, 0, &p);
		for (i = 0; i < npoints; i++) {
			grid_point(&g, i, &p);
			if (train_and_score(&d, &p, NULL, &res, &train_s) ==
			    -1) {
				eval_data_free(&d);
				goto fail_inner;
			}
			if (g.algo == MODEL_ALS)
				printf("%-7s %7u %7g %7g %5u %4s", signal_names[sig],
				    p.factors, p.reg, p.alpha, p.iters, "-");
			else
				printf("%-7s %7s %7s %7s %5s %4u", signal_names[sig],
				    "-", "-", "-", "-", p.k);
			printf(" %10.4f %9.4f %8.2f\n", res.all.recall,
			    res.all.ndcg, train_s);
			fflush(stdout);
			if (bestsig == -1 || res.all.recall > best.all.recall ||
			    (res.all.recall == best.all.recall &&
			    res.all.ndcg > best.all.ndcg)) {
				best = res;
				bestp = p;
				bestsig = sig;
			}
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
	if (train_and_score(&d, &bestp, NULL, &res, &train_s) == -1)
		goto fail_data;
	printf("test score of the chosen parameters (train %.2f s):\n",
	    train_s);
	eval_print(stdout, &res);
	rc = 0;

fail_data:
	eval_data_free(&d);
fail_inner:
	eval_split_free(&inner);
fail_outer:
	eval_split_free(&outer);
	return (rc);
}
