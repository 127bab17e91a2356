/*
 * Training inside the server: one background thread in worker 1 that runs
 * train_run on a schedule, after a number of new events, when asked, and
 * once at start when there is data but no model yet; and applies the
 * running experiment's stop rules.  It runs at the lowest CPU priority, one training at a
 * time (train.c's lock also keeps `cinerec train` out), never on a request
 * path; the workers pick the new model up on their own (main.c).
 */
#ifndef CINEREC_TRAINER_H
#define CINEREC_TRAINER_H

#include <stddef.h>
#include <stdint.h>

#include "model/signals.h"
#include "model/train.h"

struct trainer;

struct trainer_opts {
	const char		*data_dir;
	int			 interval_min;	/* 0: no scheduled training */
	int			 after_events;	/* 0, or train after this many
						   new watch and rate lines */
	int			 threads;	/* of a training */
	int			 at_start;	/* a first model when none */
	int			 tune;		/* train_opts.tune */
	double			 pop_bias;	/* model_params.pop_bias */
	struct signal_params	 sp;		/* interaction -> confidence */
	struct train_gate	 gate;		/* the quality gate */
	const char		*publish_dir;	/* a trainer's (replica.h) */
	const char		*follow_dir;	/* a replica's: trains none */
	/* A replica's movie ids by spelling (replica_sub.movie_ids). */
	int			(*movie_ids)(void *arg, char *const *slugs,
				    size_t n, int32_t *ids);
	void			*movie_ids_arg;
};

/*
 * Start the threads (o is copied): train every interval_min minutes and
 * after every after_events new lines, with at_start a first model at once
 * when there is data and no model; each candidate goes through the gate.
 * Trainings on a schedule or a count are skipped while the current version
 * is pinned.  Between trainings, every TRAINER_TICK_S seconds, the running
 * experiment's stop rules are applied (telemetry/experiment.h).  Returns
 * the trainer, or NULL (logged).
 */
#define TRAINER_TICK_S	5
struct trainer	*trainer_start(const struct trainer_opts *o);

/* Ask for a training as soon as possible (any thread).  Cannot fail. */
void		 trainer_request(struct trainer *t, const char *trigger);

/*
 * Stop the thread and free t.  A training in progress is abandoned, not
 * waited for (the process is about to exit): nothing half-done is ever
 * registered.
 */
void		 trainer_stop(struct trainer *t);

#endif
