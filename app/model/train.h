/*
 * Training from the store: read every (user, movie) interaction, turn it into
 * a preference and confidence (signals.h), measure the model on a temporal
 * hold-out, fit it on everything, write the model file and every user's
 * precomputed list (lists.h) and register them as the current model.  One training at a time per data dir (a file lock), so
 * `cinerec train` beside a running server and the server's own scheduled
 * training never overlap.
 */
#ifndef CINEREC_TRAIN_H
#define CINEREC_TRAIN_H

#include <stdint.h>

#include "model/model.h"
#include "model/signals.h"

#define TRAIN_DIR	"models"	/* model files, in the data dir */
#define TRAIN_BUSY	(-2)		/* train_run: another one is running */

/* The quality gate's settings (versions.h) and the files kept. */
struct train_gate {
	double		 tolerance;	/* relative Recall@20 loss allowed (0.05) */
	double		 min_coverage;	/* share of the current's coverage (0.1) */
	int		 keep;		/* newest versions' files kept (5) */
	int		 force;		/* promote whatever the gate says (0) */
};

struct train_opts {
	const char		*data_dir;
	struct model_params	 mp;		/* algorithm and hyperparameters */
	struct signal_params	 sp;		/* interaction -> confidence */
	int			 holdout_pct;	/* 0: no evaluation, else e.g. 20 */
	int			 tune;		/* 1: choose the recency and reg
						   (or k) on a validation part
						   first (1) */
	const char		*trigger;	/* 'cli', 'schedule', 'admin' */
	const char		*who;		/* for the log: "cli", a name */
	struct train_gate	 gate;
	/*
	 * Told as each phase starts (TRAIN_PHASE_*), with progress_arg; NULL:
	 * nobody is told.  Called from train_run's thread.
	 */
	void			(*progress)(void *arg, const char *phase);
	void			*progress_arg;
};

/* The phases of a training, in order (the hold-out ones with holdout_pct). */
#define TRAIN_PHASE_READ	"reading the store"
#define TRAIN_PHASE_TUNE	"choosing recency and reg (or k) on a validation part"
#define TRAIN_PHASE_HOLDOUT	"fitting and measuring on the hold-out"
#define TRAIN_PHASE_BASELINE	"scoring the current model on the same hold-out"
#define TRAIN_PHASE_FIT		"fitting on every interaction"
#define TRAIN_PHASE_LISTS	"precomputing every user's list"

struct train_result {
	int64_t		model_id;	/* the new version */
	int		gate;		/* GATE_* (versions.h) */
	char		gate_reason[256];
	int64_t		base_id;	/* the current model it faced, 0: none */
	double		base_recall, base_coverage;	/* same hold-out */
	uint64_t	interactions;
	uint32_t	users, items;
	double		seconds;	/* the final fit */
	double		lists_seconds;	/* precomputing every user's list */
	double		recall, ndcg, coverage;	/* hold-out; -1 if none */
	uint32_t	eval_users;
	float		recency;	/* the model's, tuned or as given */
	char		tuned[1024];	/* the trials, "" when none ran */
};

/*
 * Defaults: ALS with model_params_default, signal_defaults, 20% hold-out,
 * the gate's defaults.
 */
void	train_defaults(struct train_opts *o);

/*
 * Train and register a model version, current when the gate promotes it
 * (res->gate).  Returns 0 and fills res; TRAIN_BUSY if
 * another training holds the lock; -1 on any other failure (logged, the
 * run recorded as failed, the current model unchanged).
 */
int	train_run(const struct train_opts *o, struct train_result *res);

/*
 * After a crash: when no training holds the lock, mark the runs still
 * recorded as running as interrupted and remove the temporary files a
 * killed training left in the models directory.  Logs what it did; never
 * fails (a training under way is left alone).
 */
void	train_recover(const char *data_dir);

#endif
