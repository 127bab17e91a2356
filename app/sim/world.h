/*
 * The simulated world: users and movies with hidden tastes, deterministic
 * from a seed.  Each user and each movie belongs to one of a few taste
 * clusters and carries a hidden vector near its cluster's centre; a
 * user's true affinity for a movie (0..1) grows with their dot product.
 * Movies have a long-tailed popularity, a runtime, a release year, a
 * genre (their cluster) and an id in the stream's style, some of them with
 * encoded characters ("...%3A+part+2+1987").  Users are born and movies
 * released over the simulated time; tastes drift slowly.  The world knows
 * the truth the simulator reports (sim.h); cinerec never sees it.
 */
#ifndef CINEREC_SIM_WORLD_H
#define CINEREC_SIM_WORLD_H

#include <stddef.h>
#include <stdint.h>

#include "util/hmap.h"

#define SIM_DIM		8	/* hidden vector length */
#define SIM_SLUG_MAX	96	/* bytes of a movie id */

struct sim_world_opts {
	uint64_t	 seed;
	int		 users;		/* >= 1 */
	int		 movies;	/* >= 1 */
	int		 clusters;	/* taste clusters, >= 1 */
	int64_t		 start_ms;	/* the world's first moment */
	int		 days;		/* its span: births and releases */
};

struct sim_movie {
	float		 v[SIM_DIM];
	int		 cluster;
	int		 runtime;	/* minutes */
	int		 year;
	int64_t		 released_ms;	/* not listed on its own before */
	char		 slug[SIM_SLUG_MAX];
};

struct sim_user {
	float		 v[SIM_DIM];
	int		 cluster;
	double		 activity;	/* > 0: relative session rate */
	int64_t		 born_ms;	/* no session before */
};

/*
 * Invariants: movie i's popularity weight is pop_cum[i] - pop_cum[i - 1]
 * (pop_cum increasing, Zipf-like); act_cum likewise for the users'
 * activity; by_key maps a movie id's key (parse_slug) to its index.
 */
struct sim_world {
	struct sim_world_opts	 o;
	struct sim_movie	*movie;
	struct sim_user		*user;		/* user id i + 1 at index i */
	double			*pop_cum;
	double			*act_cum;
	struct hmap		 by_key;
};

void	sim_world_defaults(struct sim_world_opts *o);

/* Build the world of o.  Returns 0, or -1 (out of memory; w is freed). */
int	sim_world_new(struct sim_world *w, const struct sim_world_opts *o);
void	sim_world_free(struct sim_world *w);

/* True affinity (0..1) of user index u for movie index m. */
double	sim_affinity(const struct sim_world *w, int u, int m);

/* The index of the movie spelled slug (any spelling of its key), or -1. */
int	sim_movie_of(const struct sim_world *w, const char *slug);

/* A movie index drawn by popularity (uniform r in [0, 1)). */
int	sim_draw_movie(const struct sim_world *w, double r);

/* A user index drawn by activity (uniform r in [0, 1)). */
int	sim_draw_user(const struct sim_world *w, double r);

/* Tastes drift: every user's vector moves by a small random step. */
void	sim_drift(struct sim_world *w, uint64_t *rng, double step);

#endif
