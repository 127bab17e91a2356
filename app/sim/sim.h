/*
 * The simulated viewers (see world.h for the world they live in).  Users
 * come in sessions, in time order: a session's user asks for a list (when
 * the run has an `ask`: cinerec's /recommend over real HTTP), picks a movie
 * from it with a probability that grows with their hidden affinity for
 * what was offered and falls with its rank, or else, sometimes, one on
 * their own (popular movies of their taste); watches a number of minutes
 * that grows with the affinity (one line a minute, as the stream does) and
 * sometimes rates it.  Tastes drift a little each simulated day.  Every
 * line goes to `line` in the stream's format, a share of them made dirty
 * (dirt.h).
 *
 * The simulator knows the truth, so it reports what no live system can:
 * for each day, how often a list was followed, and the lists' mean true
 * affinity against the best lists possible (the user's best unseen movies).
 */
#ifndef CINEREC_SIM_SIM_H
#define CINEREC_SIM_SIM_H

#include <stddef.h>
#include <stdint.h>

#include "ingest/parse.h"
#include "sim/world.h"

#define SIM_LIST_MAX	20		/* movies of a list looked at */
#define SIM_DAYS_MAX	3660

struct sim_opts {
	uint64_t	 seed;		/* the sessions' stream (world apart) */
	int64_t		 start_ms;	/* the first session's day */
	int		 first_day;	/* the first day run (drifted to) */
	int		 days;		/* simulated days from there */
	int		 sessions;	/* sessions a day */
	double		 dirt;		/* share of lines made dirty, 0..1 */
	int		 rating_max;	/* the rating scale's top */
	int		 wall_clock;	/* stamp lines with the wall clock */
	double		 pace;		/* sessions a wall second (0: flat out) */
};

/* What the simulator saw on one day. */
struct sim_day {
	int64_t		 sessions;
	int64_t		 lists;		/* lists asked for and answered */
	int64_t		 followed;	/* a list's movie was picked */
	int64_t		 own;		/* a movie picked on one's own */
	double		 affinity;	/* sum over lists: mean affinity */
	double		 best;		/* sum over lists: the best possible */
	int64_t		 lines;		/* lines sent, dirty ones included */
};

struct sim_report {
	struct sim_day	 day[SIM_DAYS_MAX];	/* from first_day on */
	int		 first_day;
	int		 ndays;
	int64_t		 lines;
	/* The lists' feedback loop: how much of the catalogue they show. */
	int64_t		 slots;		/* list entries seen, all lists */
	double		 coverage;	/* share of movies listed at all */
	double		 top1_share;	/* share of slots of the 1% most listed */
	/* What cinerec measured, live runs: -1 when not asked. */
	int64_t		 cinerec_lists, cinerec_followed;
	int64_t		 injected[PARSE_NREASONS];	/* dirty lines by the
							   reason they get */
};

/* The world's part of a run: where lines go, where lists come from. */
struct sim_io {
	void	*arg;
	/*
	 * The list of user (a stream user id) into ids (up to max movie ids,
	 * NUL-terminated, as cinerec spelled them): their count, or -1 (no
	 * list: the user goes on without one).  NULL: no lists asked.
	 */
	int	(*ask)(void *arg, int64_t user, char ids[][PARSE_SPELLING_MAX + 1],
		    int max);
	/* One log line of user, without '\n': 0, or -1 to stop the run. */
	int	(*line)(void *arg, int64_t user, const char *line, size_t len);
	/*
	 * After each day run: its index from 0 (first_day not counted) and
	 * what it saw.  NULL: nobody is told.
	 */
	void	(*day)(void *arg, int day, const struct sim_day *d);
};

void	sim_defaults(struct sim_opts *o);

/*
 * Run o's days in world w (tastes drift: w changes), filling r.  Returns
 * 0, or -1 when a callback stopped it or memory ran out.
 */
int	sim_run(struct sim_world *w, const struct sim_opts *o,
	    const struct sim_io *io, struct sim_report *r);

#endif
