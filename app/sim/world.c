/*
 * The simulated world (see world.h).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/parse.h"
#include "sim/world.h"
#include "util/rng.h"

static const char	*adjectives[] = {
	"silent", "last", "golden", "dark", "broken", "little", "secret",
	"wild", "lost", "crimson", "frozen", "hidden", "electric", "lonely",
	"brave", "endless", "midnight", "bitter", "shining", "restless"
};

static const char	*nouns[] = {
	"river", "king", "city", "garden", "storm", "machine", "island",
	"dream", "road", "empire", "heart", "station", "shadow", "summer",
	"window", "promise", "mountain", "voyage", "planet", "letter"
};

#define NADJ	(sizeof(adjectives) / sizeof(adjectives[0]))
#define NNOUN	(sizeof(nouns) / sizeof(nouns[0]))

void
sim_world_defaults(struct sim_world_opts *o)
{
	*o = (struct sim_world_opts){
		.seed = 1,
		.users = 1000,
		.movies = 500,
		.clusters = 8,
		.start_ms = 1767225600000LL,	/* 2026-01-01T00:00:00Z */
		.days = 30,
	};
}

/* A normal deviate (Box-Muller, one of the pair). */
static double
gauss(uint64_t *rng)
{
	double	u = rng_unif(rng), v = rng_unif(rng);

	return (sqrt(-2.0 * log(1.0 - u)) * cos(6.283185307179586 * v));
}

/* v = centre + noise, scaled to length 1. */
static void
near(float *v, const float *centre, double noise, uint64_t *rng)
{
	double	len = 0.0;
	int	i;

	for (i = 0; i < SIM_DIM; i++) {
		v[i] = (float)(centre[i] + noise * gauss(rng));
		len += (double)v[i] * v[i];
	}
	len = len > 0.0 ? sqrt(len) : 1.0;
	for (i = 0; i < SIM_DIM; i++)
		v[i] = (float)(v[i] / len);
}

/* Two hashes of a movie id's key, for by_key. */
static void
key_hash(const char *slug, int64_t *h1, int64_t *h2)
{
	char		key[PARSE_SLUG_MAX + 1];

	if (parse_slug(slug, strlen(slug), key, sizeof(key)) < 0)
		snprintf(key, sizeof(key), "%s", slug);
	hmap_str_key(key, h1, h2);
}

/*
 * Movie i's id: "the+<adjective>+<noun>[+<n>]+<year>"; one in 7 has a
 * subtitle after an encoded ':' and one in 11 an encoded non-ASCII letter,
 * as real ids do.
 */
static void
make_slug(char *out, size_t sz, size_t i, int year)
{
	char	num[32] = "";

	if (i >= NADJ * NNOUN)
		snprintf(num, sizeof(num), "+%zu", i / (NADJ * NNOUN) + 1);
	snprintf(out, sz, "the+%s%s+%s%s%s+%d", i % 11 == 3 ? "caf%C3%A9+" :
	    "", adjectives[i % NADJ], nouns[(i / NADJ) % NNOUN], num,
	    i % 7 == 5 ? "%3A+part+2" : "", year);
}

int
sim_world_new(struct sim_world *w, const struct sim_world_opts *o)
{
	float		*centre;
	uint64_t	 rng = o->seed;
	int64_t		 span = (int64_t)o->days * 86400000, h1, h2;
	int		 i, c, found;

	memset(w, 0, sizeof(*w));
	w->o = *o;
	centre = calloc((size_t)o->clusters * SIM_DIM, sizeof(*centre));
	w->movie = calloc((size_t)o->movies, sizeof(*w->movie));
	w->user = calloc((size_t)o->users, sizeof(*w->user));
	w->pop_cum = calloc((size_t)o->movies, sizeof(*w->pop_cum));
	w->act_cum = calloc((size_t)o->users, sizeof(*w->act_cum));
	if (centre == NULL || w->movie == NULL || w->user == NULL ||
	    w->pop_cum == NULL || w->act_cum == NULL ||
	    hmap_reserve(&w->by_key, (size_t)o->movies) == -1)
		goto fail;
	for (c = 0; c < o->clusters; c++)
		near(centre + c * SIM_DIM, centre + c * SIM_DIM, 1.0, &rng);

	for (i = 0; i < o->movies; i++) {
		struct sim_movie	*m = &w->movie[i];

		m->cluster = (int)(rng_next(&rng) % (uint64_t)o->clusters);
		near(m->v, centre + m->cluster * SIM_DIM, 0.35, &rng);
		m->runtime = 75 + (int)(rng_next(&rng) % 90);
		m->year = 1960 + (int)(rng_next(&rng) % 66);
		/* Most of the catalogue is there at the start. */
		m->released_ms = o->start_ms + (rng_unif(&rng) < 0.8 ? 0 :
		    (int64_t)(rng_unif(&rng) * (double)span));
		make_slug(m->slug, sizeof(m->slug), (size_t)i, m->year);
		/* Popularity falls with a random rank, not with the index. */
		w->pop_cum[i] = (i ? w->pop_cum[i - 1] : 0.0) +
		    1.0 / pow(1.0 + (double)(rng_next(&rng) % (uint64_t)
		    o->movies), 0.9);
		key_hash(m->slug, &h1, &h2);
		(void)hmap_put(&w->by_key, h1, h2, (uint32_t)i, &found);
	}
	for (i = 0; i < o->users; i++) {
		struct sim_user	*u = &w->user[i];

		u->cluster = (int)(rng_next(&rng) % (uint64_t)o->clusters);
		near(u->v, centre + u->cluster * SIM_DIM, 0.3, &rng);
		/* Heavy-tailed activity: most users come rarely. */
		u->activity = 0.05 - log(1.0 - rng_unif(&rng));
		u->born_ms = o->start_ms + (rng_unif(&rng) < 0.7 ? 0 :
		    (int64_t)(rng_unif(&rng) * (double)span));
		w->act_cum[i] = (i ? w->act_cum[i - 1] : 0.0) + u->activity;
	}
	free(centre);
	return (0);

fail:
	free(centre);
	sim_world_free(w);
	return (-1);
}

void
sim_world_free(struct sim_world *w)
{
	free(w->movie);
	free(w->user);
	free(w->pop_cum);
	free(w->act_cum);
	hmap_free(&w->by_key);
	memset(w, 0, sizeof(*w));
}

double
sim_affinity(const struct sim_world *w, int u, int m)
{
	double	d = 0.0;
	int	i;

	for (i = 0; i < SIM_DIM; i++)
		d += (double)w->user[u].v[i] * w->movie[m].v[i];
	/* d in [-1, 1]: a steep logistic, most movies are not for you. */
	return (1.0 / (1.0 + exp(-6.0 * (d - 0.55))));
}

int
sim_movie_of(const struct sim_world *w, const char *slug)
{
	const uint32_t	*v;
	int64_t		 h1, h2;

	key_hash(slug, &h1, &h2);
	return ((v = hmap_get(&w->by_key, h1, h2)) != NULL ? (int)*v : -1);
}

/* The first index whose cumulative weight exceeds r * total. */
static int
draw(const double *cum, int n, double r)
{
	double	x = r * cum[n - 1];
	int	lo = 0, hi = n - 1, mid;

	while (lo < hi) {
		mid = (lo + hi) / 2;
		if (cum[mid] <= x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (lo);
}

int
sim_draw_movie(const struct sim_world *w, double r)
{
	return (draw(w->pop_cum, w->o.movies, r));
}

int
sim_draw_user(const struct sim_world *w, double r)
{
	return (draw(w->act_cum, w->o.users, r));
}

void
sim_drift(struct sim_world *w, uint64_t *rng, double step)
{
	int	i;

	for (i = 0; i < w->o.users; i++)
		near(w->user[i].v, w->user[i].v, step, rng);
}
