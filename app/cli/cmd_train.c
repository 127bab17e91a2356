/*
 * `cinerec train`: a training from the database (model/train.c), beside a
 * running server or without one.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/opts.h"
#include "model/model.h"
#include "model/train.h"
#include "model/versions.h"
#include "settings/config.h"
#include "util/clock.h"
#include "util/log.h"

static const struct opts_cmd	train_cmd = {
	"cinerec train", NULL,
	"Train a model on the database's interactions, measure it on a\n"
	"temporal hold-out (the last --holdout percent of each user's\n"
	"interactions), fit it on everything, precompute every user's list\n"
	"and keep it as a new version.  The quality gate makes it current\n"
	"only when it is not worse than the current model, whose\n"
	"configuration is fitted and scored on the same hold-out (settings\n"
	"gate_tolerance, gate_min_coverage; --force promotes anyway, recorded\n"
	"as forced); a running server switches to it within a second.  With\n"
	"--config, the server's settings and data dir.  One training at a\n"
	"time per data dir.  Exit status 0 also when the gate refused: the\n"
	"output says so (\"kept, not promoted\")."
};

/* The phase under way, on a terminal; arg: the start (monotonic s). */
static void
show_phase(void *arg, const char *what)
{
	log_progress("train: %s (%.1f s)", what,
	    clock_mono_s() - *(double *)arg);
}

int
cmd_train(int argc, char **argv)
{
	struct train_opts	 o;
	struct train_result	 res;
	struct cfg		 c;
	const char		*model = "als";
	double			 t0;
	float			 def;
	uint32_t		 algo;
	int			 rc, nops;
	const struct opt	 opt[] = {
		{ "config", OPT_CONFIG, &c, "FILE",
		    "the server's configuration (data dir, signals)", 0, 0, 0 },
		DATA_DIR_OPT(&c),
		{ "model", OPT_STR, &model, "als|itemknn|pop|random",
		    "the algorithm (als)", 0, 0, OPT_EARLY },
		{ "factors", OPT_U32, &o.mp.factors, "N",
		    "als: latent factors (128)", 1, 1024, 0 },
		{ "reg", OPT_FLOAT, &o.mp.reg, "X",
		    "als: L2 regularisation (50)", 0, 0, 0 },
		{ "alpha", OPT_FLOAT, &o.mp.alpha, "X",
		    "als: confidence slope (5)", 0, 0, 0 },
		{ "iters", OPT_U32, &o.mp.iters, "N",
		    "als: alternating iterations (20)", 1, 1000, 0 },
		{ "recency", OPT_FLOAT, &o.mp.recency, "R",
		    "weigh the r-th newest entry of a history exp(-r/R) "
		    "(0: off; not given, chosen on a validation part)", 0, 0, 0 },
		{ "pop-bias", OPT_FLOAT, &o.mp.pop_bias, "B",
		    "divide a movie's score by (1 + its interactions)^B "
		    "(0: off, the default)", 0, 0, 0 },
		{ "threads", OPT_U32, &o.mp.threads, "N",
		    "threads of the fit (2)", 1, 64, 0 },
		{ "k", OPT_U32, &o.mp.k, "N",
		    "itemknn: neighbours kept per item (50)", 1, 100000, 0 },
		{ "holdout", OPT_INT, &o.holdout_pct, "PCT",
		    "percent of each user's interactions held out (20)", 0,
		    90, 0 },
		{ "force", OPT_FLAG, &o.gate.force, NULL,
		    "make it current whatever the gate says", 0, 0, 0 },
	};

	train_defaults(&o);
	cfg_defaults(&c);
	/* The algorithm first: its defaults, then the flags over them. */
	rc = opts_parse(argc, argv, opt, NELEM(opt), OPTS_PASS_EARLY, NULL, 0,
	    &nops);
	if ((rc = opts_done(rc, &train_cmd, opt, NELEM(opt))) != -1)
		return (rc);
	if ((algo = model_algo_parse(model)) == 0) {
		fprintf(stderr, "cinerec: train: no model '%s'\n", model);
		return (2);
	}
	model_params_default(&o.mp, algo);
	def = o.mp.recency;
	o.mp.recency = NAN;	/* given or not */
	rc = opts_parse(argc, argv, opt, NELEM(opt), OPTS_PASS_REST, NULL, 0,
	    &nops);
	if ((rc = opts_done(rc, &train_cmd, opt, NELEM(opt))) != -1)
		return (rc);
	/* Given, it is used as it is; else the training chooses it. */
	if (isnan(o.mp.recency))
		o.mp.recency = def;
	else
		o.tune = 0;
	if (!(o.mp.reg >= 0) || !(o.mp.alpha >= 0)) {
		fprintf(stderr, "cinerec: train: --reg and --alpha are >= 0\n");
		return (2);
	}
	if (!(o.mp.pop_bias >= 0 && o.mp.pop_bias <= MODEL_POP_BIAS_MAX)) {
		fprintf(stderr, "cinerec: train: --pop-bias is within 0..%g\n",
		    (double)MODEL_POP_BIAS_MAX);
		return (2);
	}
	if (!(o.mp.recency >= 0 && o.mp.recency <= MODEL_RECENCY_MAX)) {
		fprintf(stderr, "cinerec: train: --recency is within 0..%g\n",
		    (double)MODEL_RECENCY_MAX);
		return (2);
	}
	o.sp = c.sig;
	o.data_dir = c.data_dir;
	o.gate.tolerance = c.gate_tolerance;
	o.gate.min_coverage = c.gate_min_coverage;
	o.gate.keep = c.models_keep;
	o.progress = show_phase;
	o.progress_arg = &t0;
	t0 = clock_mono_s();
	rc = train_run(&o, &res);
	log_progress_end();
	if (rc == TRAIN_BUSY) {
		fprintf(stderr, "cinerec: train: another training is running "
		    "on %s\n", c.data_dir);
		return (1);
	}
	if (rc == -1) {
		fprintf(stderr, "cinerec: train: failed (see above)\n");
		return (1);
	}
	printf("model %lld (%s): %llu interactions, %u users, %u items, "
	    "fit %.2f s, lists %.2f s\n", (long long)res.model_id,
	    model_algo_name(o.mp.algo), (unsigned long long)res.interactions,
	    res.users, res.items, res.seconds, res.lists_seconds);
	if (res.tuned[0] != '\0')
		printf("tune: %s\n", res.tuned);
	if (res.eval_users > 0)
		printf("hold-out (last %d%% per user, %u users): Recall@20 %.4f "
		    "NDCG@20 %.4f coverage %.4f\n", o.holdout_pct,
		    res.eval_users, res.recall, res.ndcg, res.coverage);
	if (res.base_id > 0)
		printf("current version %lld on the same hold-out: Recall@20 "
		    "%.4f coverage %.4f\n", (long long)res.base_id,
		    res.base_recall, res.base_coverage);
	printf("gate: %s: %s\n", versions_gate_name(res.gate),
	    res.gate_reason);
	if (versions_gate_promotes(res.gate))
		printf("train: model %lld is current, %.1f s in all\n",
		    (long long)res.model_id, clock_mono_s() - t0);
	else
		printf("train: model %lld kept, not promoted (model %lld stays "
		    "current), %.1f s in all\n", (long long)res.model_id,
		    (long long)res.base_id, clock_mono_s() - t0);
	return (0);
}
