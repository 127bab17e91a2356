/*
 * Experiments: users split deterministically between arms, each arm a model
 * version (0: whatever is current), by a hash of the experiment's salt and
 * the user id, in per-mille shares (canary 50/950, A/B 500/500, more arms
 * allowed).  The arm is logged with every served list as "<id>/<name>", so
 * the click-through roll-ups (reco_stats) are per arm.  Per arm: lists,
 * click-through with a 95% Wilson interval, minutes watched within 24 h,
 * mean followed rank, mean latency and a p99 bound; each candidate against
 * the control arm (position 0) by an always-valid mixture SPRT on the
 * difference of the two proportions (p-values that stay valid however
 * often they are looked at) and, beside it, the naive two-proportion
 * z-test.  An arm's errors are its empty answers (a list with no movie:
 * popularity fills every list, so an empty one is a failure).  Stop rules
 * (experiment_decide): abort when a candidate is significantly worse,
 * slower than its p99 limit or fails more often than the control by more
 * than a point, promote a significantly
 * better one when asked to, expire after the maximum duration.
 */
#ifndef CINEREC_EXPERIMENT_H
#define CINEREC_EXPERIMENT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <sqlite3.h>

#define EXPERIMENT_ARMS_MAX	8
#define EXPERIMENT_ARM_MAX	24	/* bytes of an arm's name */
#define EXPERIMENT_NAME_MAX	64
#define EXPERIMENT_HOURS_MAX	336	/* hours of the per-arm series */
#define EXPERIMENT_ALPHA	0.05	/* significance of the stop rules */
#define EXPERIMENT_TAU2		0.0025	/* mSPRT mixing variance (0.05^2) */
#define EXPERIMENT_ERRORS_MAX	0.01	/* an arm's empty lists, over control's */

struct experiment_arm {
	char		 name[EXPERIMENT_ARM_MAX];
	int64_t		 model_id;	/* 0: the current model */
	int		 share;		/* per mille */
};

struct experiment {
	int64_t			 id;
	char			 name[EXPERIMENT_NAME_MAX];
	char			 salt[33];
	char			 status[16];	/* running, stopped, aborted, ... */
	int64_t			 started_ms, stopped_ms;
	double			 max_hours;	/* expire after this */
	int64_t			 min_lists;	/* per arm, before deciding */
	int			 auto_promote;
	double			 max_p99_ms;	/* one of ctr_slow_ms */
	char			 decision[256];
	int			 narms;
	struct experiment_arm	 arm[EXPERIMENT_ARMS_MAX];
};

/* One arm's figures since the start. */
struct experiment_stats {
	int64_t		 lists, followed, rank_sum, minutes, latency_us;
	int64_t		 users;		/* served, counted once a day */
	int64_t		 empty;		/* lists without a movie: errors */
	double		 error_rate;	/* empty / lists */
	int64_t		 over[5];	/* lists slower than ctr_slow_ms[] */
	double		 ctr, lo, hi;	/* followed / lists, 95% Wilson */
	double		 mean_rank;	/* of the followed lists, 0 if none */
	double		 minutes_per_list;
	double		 latency_ms;	/* mean */
	int		 p99_over_ms;	/* p99 is above this (0: none) */
	/* Against the control arm (0 for the control itself). */
	double		 diff;		/* ctr - control's ctr */
	double		 p_msprt;	/* always-valid p-value (two-sided) */
	double		 p_worse, p_better;	/* the same, by direction */
	double		 p_z;		/* two-proportion z-test */
};

/* Hour by hour, for the chart: cumulative lists and follows per arm. */
struct experiment_series {
	int		 nhours;
	int64_t		 hour[EXPERIMENT_HOURS_MAX];	/* ms / 3600000 */
	int64_t		 lists[EXPERIMENT_HOURS_MAX][EXPERIMENT_ARMS_MAX];
	int64_t		 followed[EXPERIMENT_HOURS_MAX][EXPERIMENT_ARMS_MAX];
};

/*
 * An arm from "NAME=VERSION:PERCENT" or "NAME=current:PERCENT" (percent
 * with up to one decimal, stored per mille).  0 or -1.
 */
int	experiment_parse_arm(const char *s, struct experiment_arm *arm);

/* Validate e's settings and arms; 0, or -1 with the reason in err. */
int	experiment_check(const struct experiment *e, char *err, size_t sz);

/*
 * Start e (validated) with a fresh random salt: its id, status and salt
 * are set.  Only one experiment runs at a time.  0 or -1 (reason in err).
 */
int	experiment_start(sqlite3 *db, struct experiment *e, const char *who,
	    char *err, size_t sz);

/*
 * End experiment id with status (stopped, aborted, promoted, expired) and
 * the decision in words; with promote > 0, that version is made current
 * in the same step (data_dir for its files).  0 or -1 (reason in err).
 */
int	experiment_stop(sqlite3 *db, const char *data_dir, int64_t id,
	    const char *status, const char *decision, int64_t promote,
	    const char *who, char *err, size_t sz);

/* The running experiment into e: 1, 0 when none runs, -1 on error. */
int	experiment_running(sqlite3 *db, struct experiment *e);

/* Experiment id into e: 1, 0 when there is none, -1 on error. */
int	experiment_get(sqlite3 *db, int64_t id, struct experiment *e);

/* The arm (index into e->arm) of user.  Stable: salt and id decide. */
int	experiment_arm_of(const struct experiment *e, int64_t user);

/* The arm's name as logged: "<id>/<name>" into buf. */
void	experiment_arm_label(const struct experiment *e, int arm, char *buf,
	    size_t sz);

/*
 * Every arm's figures (st[e->narms]) and, when series is not NULL, the
 * hourly series.  0 or -1.
 */
int	experiment_stats(sqlite3 *db, const struct experiment *e,
	    struct experiment_stats *st, struct experiment_series *series);

/*
 * The statistics of a candidate (x1 of n1 followed) against a control
 * (x0 of n0): the two-sided z-test p-value, and the mixture SPRT's
 * likelihood ratio (the always-valid p-value is 1 / its running maximum).
 */
double	experiment_ztest(int64_t x0, int64_t n0, int64_t x1, int64_t n1);
double	experiment_msprt_lr(int64_t x0, int64_t n0, int64_t x1, int64_t n1);

/* What the stop rules say. */
#define EXPERIMENT_GO_ON	0
#define EXPERIMENT_ABORT	1
#define EXPERIMENT_PROMOTE	2
#define EXPERIMENT_EXPIRE	3
#define EXPERIMENT_STOP		4	/* better, but the current is pinned */

/*
 * Apply the stop rules to e with its figures st at now (ms): one of the
 * EXPERIMENT_* verdicts, the arm it concerns in *arm and the reason in
 * why.  Cannot fail.
 */
int	experiment_decide(const struct experiment *e,
	    const struct experiment_stats *st, int64_t now, int *arm,
	    char *why, size_t sz);

/*
 * The server's tick: apply the stop rules to the running experiment and
 * carry out the verdict (recorded in lifecycle_log by "system"); a better
 * arm is not promoted over a pinned current version (EXPERIMENT_STOP).  Returns
 * the verdict, or -1 on error.
 */
int	experiment_tick(sqlite3 *db, const char *data_dir);

#endif

/*
 * Reports (experiment_report.c), for `cinerec experiment status` and the
 * admin API: experiment id (0: the newest), or the newest limit ones as
 * JSON with their arms' figures, the hourly click-through of each arm, and
 * the lifecycle log.  0 or -1.
 */
int	experiment_json(sqlite3 *db, int64_t id, int limit, FILE *fp);
int	experiment_text(sqlite3 *db, int64_t id, FILE *fp);
