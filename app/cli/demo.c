/*
 * The demo world generator (see demo.h).  Each movie has a genre and an
 * appeal; each user likes one or two genres and has an activity level.  A
 * user's sessions pick movies mostly from the liked genres, weighted by
 * appeal, watch a share of the runtime that depends on the taste match, and
 * sometimes rate.  Everything comes from one splitmix64 stream.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/clock.h"
#include "util/rng.h"
#include "cli/demo.h"

#define NGENRES	10

static const char	*genres[NGENRES] = {
	"Action", "Comedy", "Drama", "Horror", "Romance", "Sci-Fi",
	"Thriller", "Animation", "Documentary", "Fantasy"
};

static const char	*adjectives[] = {
	"silent", "last", "golden", "dark", "broken", "little", "secret",
	"wild", "lost", "crimson", "frozen", "hidden", "electric", "lonely",
	"brave", "endless", "midnight", "bitter", "shining", "restless",
	"forgotten", "sweet", "savage", "quiet", "burning", "paper"
};

static const char	*nouns[] = {
	"river", "king", "city", "garden", "storm", "machine", "island",
	"dream", "road", "empire", "heart", "station", "shadow", "summer",
	"window", "promise", "mountain", "voyage", "planet", "letter",
	"circus", "harbor", "forest", "detective", "orchestra", "kingdom"
};

struct movie {
	int		genre;
	double		appeal;		/* > 0, Zipf-like across the catalogue */
	int		runtime;	/* minutes */
	char		slug[128];
};

void
demo_defaults(struct demo_opts *o)
{
	*o = (struct demo_opts){
		.seed = 42,
		.movies = 3000,
		.users = 3000,
		.sessions = 6,
		.end_ms = 1767225600000LL,	/* 2026-01-01T00:00:00Z */
		.days = 30,
	};
}

static int
make_catalogue(const struct demo_opts *o, uint64_t *rng, struct movie *mv,
    const struct demo_sink *sink)
{
	const size_t	 na = sizeof(adjectives) / sizeof(adjectives[0]);
	const size_t	 nn = sizeof(nouns) / sizeof(nouns[0]);
	char		 title[96], *p;
	int		 i, year;

	for (i = 0; i < o->movies; i++) {
		mv[i].genre = (int)(rng_next(rng) % NGENRES);
		mv[i].appeal = 1.0 / pow(i + 1.0, 0.8);
		mv[i].runtime = 80 + (int)(rng_next(rng) % 100);
		year = 1950 + (int)(rng_next(rng) % 76);
		/* Unique by construction: the index picks the words. */
		if ((size_t)i < na * nn)
			snprintf(title, sizeof(title), "the %s %s",
			    adjectives[(size_t)i % na],
			    nouns[((size_t)i / na) % nn]);
		else
			snprintf(title, sizeof(title), "the %s %s %zu",
			    adjectives[(size_t)i % na],
			    nouns[((size_t)i / na) % nn],
			    (size_t)i / (na * nn) + 1);
		snprintf(mv[i].slug, sizeof(mv[i].slug), "%s+%d", title, year);
		for (p = mv[i].slug; *p != '\0'; p++)
			if (*p == ' ')
				*p = '+';
		if (sink->movie != NULL && sink->movie(sink->arg, mv[i].slug,
		    title, year, genres[mv[i].genre]) == -1)
			return (-1);
	}
	return (0);
}

/* Pick a movie index: liked genres with probability 0.8, by appeal. */
static int
pick(uint64_t *rng, const struct movie *mv, int n, const double *cum,
    int like1, int like2)
{
	double	 r;
	int	 lo, hi, mid, tries;

	for (tries = 0; tries < 64; tries++) {
		r = rng_unif(rng) * cum[n - 1];
		lo = 0;
		hi = n - 1;
		while (lo < hi) {
			mid = (lo + hi) / 2;
			if (cum[mid] < r)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (mv[lo].genre == like1 || mv[lo].genre == like2 ||
		    rng_unif(rng) < 0.2)
			return (lo);
	}
	return (lo);
}

int64_t
demo_generate(const struct demo_opts *o, const struct demo_sink *sink)
{
	struct movie	*mv;
	double		*cum;
	uint64_t	 rng = o->seed;
	int64_t		 lines = 0, t, span = (int64_t)o->days * 86400000;
	char		 buf[256], ts[40];
	int		 u, s, nsess, m, like1, like2, minutes, k, rating, len;
	double		 activity, match;

	if ((mv = calloc((size_t)o->movies, sizeof(*mv))) == NULL ||
	    (cum = calloc((size_t)o->movies, sizeof(*cum))) == NULL) {
		free(mv);
		return (-1);
	}
	if (make_catalogue(o, &rng, mv, sink) == -1)
		goto stop;
	for (m = 0; m < o->movies; m++)
		cum[m] = (m ? cum[m - 1] : 0) + mv[m].appeal;

	for (u = 1; u <= o->users; u++) {
		like1 = (int)(rng_next(&rng) % NGENRES);
		like2 = (int)(rng_next(&rng) % NGENRES);
		/* Heavy-tailed activity: most users watch a little. */
		activity = -log(1.0 - rng_unif(&rng));
		nsess = 1 + (int)(activity * o->sessions);
		t = o->end_ms - span + (int64_t)(rng_unif(&rng) * (double)span);
		for (s = 0; s < nsess; s++) {
			m = pick(&rng, mv, o->movies, cum, like1, like2);
			match = (mv[m].genre == like1 || mv[m].genre == like2) ?
			    0.9 : 0.3;
			minutes = 1 + (int)(rng_unif(&rng) * match * mv[m].runtime);
			for (k = o->compact ? minutes - 1 : 0; k < minutes; k++) {
				if (t + 60000 < o->end_ms)
					t += 60000;
				clock_format(t, ts, sizeof(ts));
				len = snprintf(buf, sizeof(buf),
				    "%s,%d,GET /data/m/%s/%d.mpg", ts, u,
				    mv[m].slug, k);
				if (sink->line(sink->arg, buf, (size_t)len) == -1)
					goto stop;
				lines++;
			}
			if (rng_unif(&rng) < 0.3) {
				rating = match > 0.5 ? 4 + (int)(rng_next(&rng) % 2) :
				    1 + (int)(rng_next(&rng) % 3);
				clock_format(t, ts, sizeof(ts));
				len = snprintf(buf, sizeof(buf),
				    "%s,%d,GET /rate/%s=%d", ts, u,
				    mv[m].slug, rating);
				if (sink->line(sink->arg, buf, (size_t)len) == -1)
					goto stop;
				lines++;
			}
			/* The next session starts hours later, wrapping. */
			t += (int64_t)(rng_unif(&rng) * 2 * 86400000.0);
			if (t >= o->end_ms)
				t = o->end_ms - span +
				    (int64_t)(rng_unif(&rng) * (double)span);
		}
	}
	free(mv);
	free(cum);
	return (lines);

stop:
	free(mv);
	free(cum);
	return (-1);
}
