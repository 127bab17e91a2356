/*
 * The server's training threads (see trainer.h).  The trainer: a condition
 * variable wakes it for a request, a stop, or the next scheduled time.  The
 * ticker, apart so that a training of minutes never holds it up: every
 * TRAINER_TICK_S seconds the experiment's stop rules, and the count of new
 * lines that asks for a training; every second a trainer's publishing of
 * its current version, or a replica's following of the published one.
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
#include "model/replica.h"
#include "model/versions.h"
#include "telemetry/metrics.h"
#include "telemetry/experiment.h"

struct trainer {
	pthread_t	 thread, ticker;
	int		 ticking;	/* the ticker was started */
	pthread_mutex_t	 lock;
	pthread_cond_t	 wake;		/* the trainer's */
	pthread_cond_t	 tick_wake;	/* the ticker's (a stop) */
	int		 stop;		/* set by trainer_stop */
	int		 busy;		/* a training is running */
	const char	*requested;	/* trigger of a pending request, or NULL */
	struct trainer_opts o;		/* o.data_dir points at data_dir */
	char		 data_dir[4096];
	char		 publish_dir[4096], follow_dir[4096];	/* "": none */
	struct replica_pub pub;
	struct replica_sub sub;
	struct metrics_replica mr;
};

/* A second's share of the replicas' work (model/replica.h). */
static void
replica_tick(struct trainer *t, sqlite3 *db)
{
	if (t->publish_dir[0] != '\0') {
		(void)replica_publish(&t->pub, db, t->data_dir);
		t->mr.role = 1;
		t->mr.published = t->pub.published;
	} else if (t->follow_dir[0] != '\0') {
		if (replica_follow(&t->sub, db, t->data_dir) == 1)
			(void)versions_collect(db, t->data_dir,
			    t->o.gate.keep > 0 ? t->o.gate.keep : 3);
		t->mr.role = 2;
		t->mr.following = t->sub.version;
		t->mr.imports = t->sub.imports;
		t->mr.refusals = t->sub.refusals;
	} else
		return;
	metrics_replica_set(&t->mr);
}

/* The watch and rate lines taken so far, or -1. */
static int64_t
lines(sqlite3 *db)
{
	sqlite3_stmt	*st;
	int64_t		 n = -1;

	if (sqlite3_prepare_v2(db, "SELECT COALESCE(SUM(value), 0) FROM "
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
pinned(const char *data_dir)
{
	struct store	s;
	int64_t		id;
	int		p = 0;

	if (store_open(&s, data_dir, STORE_ROLE_MODELS) == -1)
		return (0);
	if (versions_current(s.db, &id, &p) == -1)
		p = 0;
	store_close(&s);
	return (p);
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
tick_run(void *arg)
{
	struct trainer	*t = arg;
	struct store	 s;
	struct timespec	 wake;
	int64_t		 at, n;
	int		 open, ticks = 0;

	(void)setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 19);
	/* New lines count from the start. */
	open = store_open(&s, t->data_dir, STORE_ROLE_MODELS) == 0;
	at = open ? lines(s.db) : -1;
	pthread_mutex_lock(&t->lock);
	while (!t->stop) {
		clock_gettime(CLOCK_REALTIME, &wake);
		wake.tv_sec += 1;
		if (pthread_cond_timedwait(&t->tick_wake, &t->lock, &wake) !=
		    ETIMEDOUT || t->stop)
			continue;
		pthread_mutex_unlock(&t->lock);
		if (!open && (open = store_open(&s, t->data_dir,
		    STORE_ROLE_MODELS) == 0))
			at = lines(s.db);
		if (open)
			replica_tick(t, s.db);
		if (open && ++ticks % TRAINER_TICK_S == 0) {
			(void)experiment_tick(s.db, t->data_dir);
			if (t->o.after_events > 0 && (n = lines(s.db)) >= 0 &&
			    at >= 0 && n - at >= t->o.after_events) {
				at = n;
				trainer_request(t, "events");
			}
		}
		pthread_mutex_lock(&t->lock);
	}
	pthread_mutex_unlock(&t->lock);
	if (open)
		store_close(&s);
	return (NULL);
}

static void *
run(void *arg)
{
	struct trainer		*t = arg;
	struct train_opts	 o;
	struct train_result	 res;
	struct timespec		 next;
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
			if (t->o.interval_min == 0) {
				pthread_cond_wait(&t->wake, &t->lock);
				continue;
			}
			if (pthread_cond_timedwait(&t->wake, &t->lock, &next) ==
			    ETIMEDOUT) {
				t->requested = "schedule";
				next.tv_sec += t->o.interval_min * 60;
			}
		}
		if (t->stop)
			break;
		trigger = t->requested;
		t->requested = NULL;
		t->busy = 1;
		pthread_mutex_unlock(&t->lock);
		if (t->follow_dir[0] != '\0') {
			log_info("trainer: a serving replica trains none (%s "
			    "asked): it serves what %s publishes", trigger,
			    t->follow_dir);
			goto next;
		}
		if ((strcmp(trigger, "schedule") == 0 ||
		    strcmp(trigger, "events") == 0) && pinned(t->data_dir)) {
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
		o.tune = t->o.tune;
		o.mp.pop_bias = (float)t->o.pop_bias;
		log_info("trainer: training (%s)", trigger);
		rc = train_run(&o, &res);
		if (rc == 0)
			log_info("trainer: model %lld ready: %s, %llu "
			    "interactions, fit %.1f s, hold-out Recall@20 %.4f "
			    "(gate: %s)", (long long)res.model_id,
			    versions_gate_promotes(res.gate) ? "current" :
			    "kept, not promoted",
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
	snprintf(t->publish_dir, sizeof(t->publish_dir), "%s",
	    o->publish_dir != NULL ? o->publish_dir : "");
	snprintf(t->follow_dir, sizeof(t->follow_dir), "%s",
	    o->follow_dir != NULL ? o->follow_dir : "");
	t->pub.dir = t->publish_dir;
	t->sub.dir = t->follow_dir;
	t->sub.movie_ids = o->movie_ids;
	t->sub.arg = o->movie_ids_arg;
	if (t->follow_dir[0] != '\0') {
		/* What the replica serves comes from the trainer. */
		t->o.at_start = 0;
		t->o.interval_min = 0;
		t->o.after_events = 0;
	}
	pthread_mutex_init(&t->lock, NULL);
	pthread_cond_init(&t->wake, NULL);
	pthread_cond_init(&t->tick_wake, NULL);
	/* Signals belong to Kore's thread. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	rc = pthread_create(&t->thread, NULL, run, t);
	if (rc == 0 && pthread_create(&t->ticker, NULL, tick_run, t) == 0)
		t->ticking = 1;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		log_warnx("trainer: pthread_create: %s", strerror(rc));
		pthread_mutex_destroy(&t->lock);
		pthread_cond_destroy(&t->wake);
		pthread_cond_destroy(&t->tick_wake);
		free(t);
		return (NULL);
	}
	if (!t->ticking)
		log_warnx("trainer: no ticker: experiments are not stopped "
		    "by their rules, and no training follows new lines");
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
	pthread_cond_signal(&t->tick_wake);
	pthread_mutex_unlock(&t->lock);
	/* A tick is short: waited for. */
	if (t->ticking)
		pthread_join(t->ticker, NULL);
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
	pthread_cond_destroy(&t->tick_wake);
	free(t);
}
