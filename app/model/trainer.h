/*
 * Training inside the server: one background thread in worker 1 that runs
 * train_run on a schedule, when asked, and once at start when there is data
 * but no model yet.  It runs at the lowest CPU priority, one training at a
 * time (train.c's lock also keeps `cinerec train` out), never on a request
 * path; the workers pick the new model up on their own (main.c).
 */
#ifndef CINEREC_TRAINER_H
#define CINEREC_TRAINER_H

#include "model/signals.h"

struct trainer;

/*
 * Start the thread for data_dir: train every interval_min minutes (0:
 * never on a schedule) with threads training threads, mapping interactions
 * with sp (copied); with at_start, a first model at once when there is
 * data and no model.  Returns the trainer, or NULL (logged).
 */
struct trainer	*trainer_start(const char *data_dir, int interval_min,
		    int threads, int at_start, const struct signal_params *sp);

/* Ask for a training as soon as possible (any thread).  Cannot fail. */
void		 trainer_request(struct trainer *t, const char *trigger);

/*
 * Stop the thread and free t.  A training in progress is abandoned, not
 * waited for (the process is about to exit): nothing half-done is ever
 * registered.
 */
void		 trainer_stop(struct trainer *t);

#endif
