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

struct trainer {
	pthread_t	 thread;
	pthread_mutex_t	 lock;
	pthread_cond_t	 wake;
	int		 stop;		/* set by trainer_stop */
	int		 busy;		/* a training is running */
	const char	*requested;	/* trigger of a pending request, or NULL */
	int		 interval_min;	/* 0: no schedule */
	int		 threads;
	int		 at_start;	/* a first model at start, when due */
	struct signal_params sp;	/* interaction -> confidence */
	char		 data_dir[4096];
};

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
	struct timespec		 next;
	const char		*trigger;
	int			 rc;

	/* Nice 19 for this thread only: requests come first. */
	(void)setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 19);
	clock_gettime(CLOCK_REALTIME, &next);
	next.tv_sec += t->interval_min > 0 ? t->interval_min * 60 : 0;
	pthread_mutex_lock(&t->lock);
	if (t->at_start && first_model_due(t->data_dir))
		t->requested = "start";
	for (;;) {
		while (!t->stop && t->requested == NULL) {
			if (t->interval_min == 0) {
				pthread_cond_wait(&t->wake, &t->lock);
				continue;
			}
			if (pthread_cond_timedwait(&t->wake, &t->lock, &next) ==
			    ETIMEDOUT) {
				t->requested = "schedule";
				next.tv_sec += t->interval_min * 60;
			}
		}
		if (t->stop)
			break;
		trigger = t->requested;
		t->requested = NULL;
		t->busy = 1;
		pthread_mutex_unlock(&t->lock);

		train_defaults(&o);
		o.data_dir = t->data_dir;
		o.trigger = trigger;
		o.mp.threads = (uint32_t)t->threads;
		o.sp = t->sp;
		log_info("trainer: training (%s)", trigger);
		rc = train_run(&o, &res);
		if (rc == 0)
			log_info("trainer: model %lld ready: %llu interactions, "
			    "fit %.1f s, hold-out Recall@20 %.4f",
			    (long long)res.model_id,
			    (unsigned long long)res.interactions, res.seconds,
			    res.recall);
		else if (rc == TRAIN_BUSY)
			log_info("trainer: another training is running");
		else
			log_warnx("trainer: training failed");
		pthread_mutex_lock(&t->lock);
		t->busy = 0;
	}
	pthread_mutex_unlock(&t->lock);
	return (NULL);
}

struct trainer *
trainer_start(const char *data_dir, int interval_min, int threads,
    int at_start, const struct signal_params *sp)
{
	struct trainer	*t;
	sigset_t	 all, old;
	int		 rc;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		return (NULL);
	if (strlen(data_dir) >= sizeof(t->data_dir)) {
		free(t);
		return (NULL);
	}
	strcpy(t->data_dir, data_dir);
	t->interval_min = interval_min;
	t->threads = threads;
	t->at_start = at_start;
	t->sp = *sp;
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
