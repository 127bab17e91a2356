/*
 * The server's training thread (see trainer.h): a condition variable wakes
 * it for a request, a stop, or the next scheduled time.
 */
#include <sys/resource.h>
#include <sys/syscall.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util/log.h"
#include "store/store.h"
#include "model/train.h"
#include "model/trainer.h"
#include "model/versions.h"
#include "telemetry/experiment.h"

struct trainer {
	pthread_t	 thread;
	pthread_mutex_t	 lock;
	pthread_cond_t	 wake;
	int		 stop;		/* set by trainer_stop */
	int		 busy;		/* a training is running */
	const char	*requested;	/* trigger of a pending request, or NULL */
	struct trainer_opts o;		/* o.data_dir points at data_dir */
	char		 data_dir[4096];
	struct store	 s;		/* models role, for the ticks */
	int		 open;		/* s is open */
	int64_t		 lines_at;	/* watch + rate lines at the last one */
};

/* The watch and rate lines taken so far, or -1. */
static int64_t
lines(struct trainer *t)
{
	sqlite3_stmt	*st;
	int64_t		 n = -1;

	if (sqlite3_prepare_v2(t->s.db, "SELECT COALESCE(SUM(value), 0) FROM "
	    "counters WHERE name IN ('accepted_watch', 'accepted_rate')", -1,
	    &st, NULL) != SQLITE_OK)
		return (-1);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return (n);
}

/* Is the current version pinned?  Asked before unattended trainings. */
static int
pinned(struct trainer *t)
{
	sqlite3_stmt	*st;
	int		 p = 0;

	if (!t->open || sqlite3_prepare_v2(t->s.db, "SELECT pinned FROM models "
	    "WHERE current = 1", -1, &st, NULL) != SQLITE_OK)
		return (0);
	if (sqlite3_step(st) == SQLITE_ROW)
		p = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return (p);
}

/*
 * Between trainings: the experiment's stop rules, and a training when
 * enough new lines came in.  Called with the lock not held.
 */
static const char *
tick(struct trainer *t)
{
	int64_t	n;

	if (!t->open) {
		if (store_open(&t->s, t->data_dir, STORE_ROLE_MODELS) == -1)
			return (NULL);
		t->open = 1;
		t->lines_at = lines(t);
	}
	(void)experiment_tick(t->s.db, t->data_dir);
	if (t->o.after_events > 0 && (n = lines(t)) >= 0 && t->lines_at >= 0 &&
	    n - t->lines_at >= t->o.after_events)
		return ("events");
	return (NULL);
}

/* Is there data to learn from, and no model yet? */
static int
first_model_due(const char *data_dir)
{
	struct store	s;
	char		file[256];
	int64_t		id;
	int		have, rc = 0;

	if (store_open(&s, data_dir, STORE_RDONLY) == -1)
		return (0);
	have = store_current_model(&s, &id, file, sizeof(file));
	if (have == 0) {
		struct store_counts	c;

		rc = store_counts(&s, &c) == 0 && c.watches + c.ratings > 0;
	}
	store_close(&s);
	return (rc);
}

static void *
run(void *arg)
{
	struct trainer		*t = arg;
	struct train_opts	 o;
	struct train_result	 res;
	struct timespec		 next, wake;
	const char		*trigger;
	int			 rc;

	/* Nice 19 for this thread only: requests come first. */
	(void)setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 19);
	clock_gettime(CLOCK_REALTIME, &next);
	next.tv_sec += t->o.interval_min > 0 ? t->o.interval_min * 60 : 0;
	pthread_mutex_lock(&t->lock);
	if (t->o.at_start && first_model_due(t->data_dir))
		t->requested = "start";
	for (;;) {
		while (!t->stop && t->requested == NULL) {
			clock_gettime(CLOCK_REALTIME, &wake);
			wake.tv_sec += TRAINER_TICK_S;
			if (t->o.interval_min > 0 && next.tv_sec < wake.tv_sec)
				wake = next;
			if (pthread_cond_timedwait(&t->wake, &t->lock, &wake) !=
			    ETIMEDOUT || t->stop || t->requested != NULL)
				continue;
			if (t->o.interval_min > 0 && wake.tv_sec == next.tv_sec &&
			    wake.tv_nsec == next.tv_nsec) {
				t->requested = "schedule";
				next.tv_sec += t->o.interval_min * 60;
				continue;
			}
			pthread_mutex_unlock(&t->lock);
			trigger = tick(t);
			pthread_mutex_lock(&t->lock);
			if (trigger != NULL && t->requested == NULL)
				t->requested = trigger;
		}
		if (t->stop)
			break;
		trigger = t->requested;
		t->requested = NULL;
		t->busy = 1;
		pthread_mutex_unlock(&t->lock);
		if (t->open)
			t->lines_at = lines(t);
		if ((strcmp(trigger, "schedule") == 0 ||
		    strcmp(trigger, "events") == 0) && pinned(t)) {
			log_info("trainer: the current version is pinned: no "
			    "%s training", trigger);
			goto next;
		}
		train_defaults(&o);
		o.data_dir = t->data_dir;
		o.trigger = trigger;
		o.who = "system";
		o.mp.threads = (uint32_t)t->o.threads;
		o.sp = t->o.sp;
		o.gate = t->o.gate;
		log_info("trainer: training (%s)", trigger);
		rc = train_run(&o, &res);
		if (rc == 0)
			log_info("trainer: model %lld %s: %llu interactions, "
			    "fit %.1f s, hold-out Recall@20 %.4f (%s)",
			    (long long)res.model_id, versions_gate_promotes(
			    res.gate) ? "is current" : "kept, not promoted",
			    (unsigned long long)res.interactions, res.seconds,
			    res.recall, res.gate_reason);
		else if (rc == TRAIN_BUSY)
			log_info("trainer: another training is running");
		else
			log_warnx("trainer: training failed");
next:
		pthread_mutex_lock(&t->lock);
		t->busy = 0;
	}
	pthread_mutex_unlock(&t->lock);
	if (t->open)
		store_close(&t->s);
	t->open = 0;
	return (NULL);
}

struct trainer *
trainer_start(const struct trainer_opts *o)
{
	struct trainer	*t;
	sigset_t	 all, old;
	int		 rc;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		return (NULL);
	if (strlen(o->data_dir) >= sizeof(t->data_dir)) {
		free(t);
		return (NULL);
	}
	strcpy(t->data_dir, o->data_dir);
	t->o = *o;
	t->o.data_dir = t->data_dir;
	pthread_mutex_init(&t->lock, NULL);
	pthread_cond_init(&t->wake, NULL);
	/* Signals belong to Kore's thread. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	rc = pthread_create(&t->thread, NULL, run, t);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		log_warnx("trainer: pthread_create: %s", strerror(rc));
		pthread_mutex_destroy(&t->lock);
		pthread_cond_destroy(&t->wake);
		free(t);
		return (NULL);
	}
	return (t);
}

void
trainer_request(struct trainer *t, const char *trigger)
{
	pthread_mutex_lock(&t->lock);
	if (t->requested == NULL)
		t->requested = trigger;
	pthread_cond_signal(&t->wake);
	pthread_mutex_unlock(&t->lock);
}

void
trainer_stop(struct trainer *t)
{
	int	busy;

	pthread_mutex_lock(&t->lock);
	t->stop = 1;
	busy = t->busy;
	pthread_cond_signal(&t->wake);
	pthread_mutex_unlock(&t->lock);
	if (busy) {
		/*
		 * A fit can take minutes; a stop must not.  The process exits
		 * right after this: the unfinished model is never registered
		 * (its temporary file stays behind) and the current one serves.
		 */
		log_info("trainer: stopping during a training, abandoned");
		return;
	}
	pthread_join(t->thread, NULL);
	pthread_mutex_destroy(&t->lock);
	pthread_cond_destroy(&t->wake);
	free(t);
}
