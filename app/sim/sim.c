/*
 * The simulated viewers' sessions (see sim.h).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sim/dirt.h"
#include "sim/sim.h"
#include "util/clock.h"
#include "util/rng.h"

#define FOLLOW		0.7	/* P(pick rank 1) at affinity 1 */
#define RANK_DECAY	0.88	/* ... times this per rank further down */
#define OWN		0.6	/* P(a movie of one's own), no list's taken */
#define OWN_CANDIDATES	30	/* popular movies looked at on one's own */
#define RATE		0.3	/* P(rating a watched movie) */
#define DRIFT		0.02	/* a day's step of the tastes */

/* The movies a user has watched, sorted. */
struct seen {
	int32_t		*m;
	int		 n, cap;
	int		 sessions;
};

/* One run's state. */
struct run {
	struct sim_world	*w;
	const struct sim_opts	*o;
	const struct sim_io	*io;
	struct sim_report	*r;
	struct seen		*seen;		/* by user index */
	int64_t			*listed;	/* by movie index: list slots */
	uint64_t		 dirt_rng;
	char			 buf[SIM_DIRT_LINE_MAX];
	char			 dirty[SIM_DIRT_LINE_MAX];
};

void
sim_defaults(struct sim_opts *o)
{
	*o = (struct sim_opts){
		.seed = 1,
		.start_ms = 1767225600000LL,	/* 2026-01-01T00:00:00Z */
		.days = 7,
		.sessions = 1000,
		.dirt = 0.0,
		.rating_max = 5,
	};
}

static int
seen_has(const struct seen *s, int m)
{
	int	lo = 0, hi = s->n - 1, mid;

	while (lo <= hi) {
		mid = (lo + hi) / 2;
		if (s->m[mid] == m)
			return (1);
		if (s->m[mid] < m)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return (0);
}

static int
seen_add(struct seen *s, int m)
{
	int32_t	*p;
	int	 i;

	if (s->n == s->cap) {
		if ((p = realloc(s->m, (size_t)(s->cap ? s->cap * 2 : 8) *
		    sizeof(*p))) == NULL)
			return (-1);
		s->m = p;
		s->cap = s->cap ? s->cap * 2 : 8;
	}
	for (i = s->n; i > 0 && s->m[i - 1] > m; i--)
		s->m[i] = s->m[i - 1];
	s->m[i] = m;
	s->n++;
	return (0);
}

/* One line "<time>,<user>,<request>" at ts, made dirty at the run's rate. */
static int
emit(struct run *x, int64_t ts, int64_t user, const char *request)
{
	char	when[40];
	size_t	len, dlen;
	int	reason, rc;

	clock_format(ts, when, sizeof(when));
	when[19] = '\0';		/* whole seconds, as the stream */
	len = (size_t)snprintf(x->buf, sizeof(x->buf), "%s,%lld,%s", when,
	    (long long)user, request);
	if (len >= sizeof(x->buf))
		len = sizeof(x->buf) - 1;
	if (x->o->dirt > 0.0 && rng_unif(&x->dirt_rng) < x->o->dirt) {
		reason = sim_dirty(&x->dirt_rng, x->buf, len, x->dirty,
		    sizeof(x->dirty), &dlen);
		x->r->injected[reason]++;
		rc = x->io->line(x->io->arg, user, x->dirty, dlen);
	} else
		rc = x->io->line(x->io->arg, user, x->buf, len);
	x->r->lines++;
	return (rc);
}

/* Mean affinity of the best k movies for u (released, unseen) at ts. */
static double
best_possible(const struct run *x, int u, int k, int64_t ts)
{
	double	top[SIM_LIST_MAX], a, sum = 0.0;
	int	n = 0, m, i, j;

	for (m = 0; m < x->w->o.movies; m++) {
		if (x->w->movie[m].released_ms > ts || seen_has(&x->seen[u], m))
			continue;
		a = sim_affinity(x->w, u, m);
		if (n == k && a <= top[n - 1])
			continue;
		/* Insert into the sorted (descending) top. */
		for (i = n < k ? n++ : k - 1; i > 0 && top[i - 1] < a; i--)
			top[i] = top[i - 1];
		top[i] = a;
	}
	for (j = 0; j < n; j++)
		sum += top[j];
	return (n > 0 ? sum / n : 0.0);
}

/*
 * Ask for u's list; the movie picked from it (its index), or -1.  Counts
 * the list and its quality on day.
 */
static int
from_list(struct run *x, int u, int64_t ts, uint64_t *rng,
    struct sim_day *day)
{
	static char	ids[SIM_LIST_MAX][PARSE_SPELLING_MAX + 1];
	double		a, sum = 0.0;
	int		n, i, m, pick = -1, counted = 0;

	if (x->io->ask == NULL ||
	    (n = x->io->ask(x->io->arg, u + 1, ids, SIM_LIST_MAX)) < 0)
		return (-1);
	day->lists++;
	for (i = 0; i < n; i++) {
		if ((m = sim_movie_of(x->w, ids[i])) < 0)
			continue;
		x->listed[m]++;
		x->r->slots++;
		if (seen_has(&x->seen[u], m))
			continue;
		a = sim_affinity(x->w, u, m);
		sum += a;
		counted++;
		if (pick == -1 && rng_unif(rng) < FOLLOW * a * pow(RANK_DECAY,
		    i))
			pick = m;
	}
	day->affinity += counted > 0 ? sum / counted : 0.0;
	day->best += best_possible(x, u, SIM_LIST_MAX, ts);
	if (pick != -1)
		day->followed++;
	return (pick);
}

/* A movie of u's own: the best of a few popular ones, or -1. */
static int
on_own(struct run *x, int u, int64_t ts, uint64_t *rng)
{
	double	a, best = -1.0;
	int	i, m, pick = -1;

	for (i = 0; i < OWN_CANDIDATES; i++) {
		m = sim_draw_movie(x->w, rng_unif(rng));
		if (x->w->movie[m].released_ms > ts || seen_has(&x->seen[u], m))
			continue;
		a = sim_affinity(x->w, u, m) * (0.6 + 0.8 * rng_unif(rng));
		if (a > best) {
			best = a;
			pick = m;
		}
	}
	return (pick);
}

/* Watch movie m from ts: a line a minute, maybe a rating. */
static int
watch(struct run *x, int u, int m, int64_t ts, uint64_t *rng)
{
	const struct sim_movie	*mv = &x->w->movie[m];
	char			 req[200];
	double			 a = sim_affinity(x->w, u, m), f;
	int			 minutes, k, stars;

	f = a * 0.9 + 0.1 * rng_unif(rng);
	f = f < 0.03 ? 0.03 : f > 1.0 ? 1.0 : f;
	minutes = 1 + (int)(f * (mv->runtime - 1));
	for (k = 0; k < minutes; k++) {
		snprintf(req, sizeof(req), "GET /data/m/%s/%d.mpg", mv->slug, k);
		if (emit(x, ts + 3000 + 60000LL * k, u + 1, req) == -1)
			return (-1);
	}
	if (rng_unif(rng) < RATE) {
		f = a + 0.1 * (rng_unif(rng) - 0.5);
		f = f < 0.0 ? 0.0 : f > 1.0 ? 1.0 : f;
		stars = 1 + (int)(f * (x->o->rating_max - 1) + 0.5);
		snprintf(req, sizeof(req), "GET /rate/%s=%d", mv->slug, stars);
		if (emit(x, ts + 3000 + 60000LL * minutes, u + 1, req) == -1)
			return (-1);
	}
	return (seen_add(&x->seen[u], m));
}

/* Session s of day d. */
static int
session(struct run *x, int d, int s, struct sim_day *day)
{
	const int64_t	 day_ms = x->o->start_ms + (int64_t)d * 86400000;
	uint64_t	 who, rng;
	int64_t		 t, ts;
	int		 u = -1, tries, m;

	/* Who and when: a stream of their own, whatever lists came. */
	who = rng_fork(x->o->seed, (uint64_t)d * 1000003 + (uint64_t)s);
	rng = rng_fork(x->o->seed ^ 0x5eed, (uint64_t)d * 1000003 +
	    (uint64_t)s);
	t = day_ms + (int64_t)((s + rng_unif(&who)) * 86400000.0 /
	    x->o->sessions);
	for (tries = 0; tries < 16; tries++) {
		u = sim_draw_user(x->w, rng_unif(&who));
		if (x->w->user[u].born_ms <= t)
			break;
	}
	if (tries == 16)
		return (0);
	ts = x->o->wall_clock ? clock_now_ms() : t;
	day->sessions++;
	/* A user born after the world began starts with an account. */
	if (x->seen[u].sessions++ == 0 &&
	    x->w->user[u].born_ms > x->w->o.start_ms &&
	    emit(x, ts, u + 1, "GET /create_account") == -1)
		return (-1);
	if ((m = from_list(x, u, t, &rng, day)) == -1 &&
	    rng_unif(&rng) < OWN && (m = on_own(x, u, t, &rng)) != -1)
		day->own++;
	return (m == -1 ? 0 : watch(x, u, m, ts, &rng));
}

/* Wait until session n of the run is due at o->pace a second. */
static void
pace(const struct sim_opts *o, int64_t wall0, int64_t n)
{
	struct timespec	ts;
	int64_t		wait = wall0 + (int64_t)(n * 1000.0 / o->pace) -
			    clock_mono_ms();

	if (wait <= 0)
		return;
	ts.tv_sec = wait / 1000;
	ts.tv_nsec = (wait % 1000) * 1000000L;
	(void)nanosleep(&ts, NULL);
}

static int
cmp_desc(const void *a, const void *b)
{
	int64_t	x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x < y ? 1 : x > y ? -1 : 0);
}

/* Coverage and the top 1%'s share of the slots, from x->listed. */
static void
feedback(struct run *x)
{
	int64_t	top = 0;
	int	m, n = x->w->o.movies, k = n / 100 > 0 ? n / 100 : 1, shown = 0;

	for (m = 0; m < n; m++)
		shown += x->listed[m] > 0;
	qsort(x->listed, (size_t)n, sizeof(*x->listed), cmp_desc);
	for (m = 0; m < k; m++)
		top += x->listed[m];
	x->r->coverage = (double)shown / n;
	x->r->top1_share = x->r->slots > 0 ? (double)top / x->r->slots : 0.0;
}

int
sim_run(struct sim_world *w, const struct sim_opts *o,
    const struct sim_io *io, struct sim_report *r)
{
	struct run	x;
	uint64_t	drift = o->seed ^ 0xd71f7;
	int64_t		before, wall0 = clock_mono_ms();
	int		d, s, i, rc = 0;

	memset(r, 0, sizeof(*r));
	r->first_day = o->first_day;
	r->cinerec_lists = r->cinerec_followed = -1;
	memset(&x, 0, sizeof(x));
	x.w = w;
	x.o = o;
	x.io = io;
	x.r = r;
	x.dirt_rng = o->seed ^ 0xd1b7;
	x.seen = calloc((size_t)w->o.users, sizeof(*x.seen));
	x.listed = calloc((size_t)w->o.movies, sizeof(*x.listed));
	if (x.seen == NULL || x.listed == NULL) {
		free(x.seen);
		free(x.listed);
		return (-1);
	}
	/* The tastes as they are on the first day run. */
	for (d = 1; d <= o->first_day; d++)
		sim_drift(w, &drift, DRIFT);
	for (d = 0; d < o->days && d < SIM_DAYS_MAX && rc == 0; d++) {
		if (d > 0)
			sim_drift(w, &drift, DRIFT);
		before = r->lines;
		for (s = 0; s < o->sessions && rc == 0; s++) {
			if (o->pace > 0.0)
				pace(o, wall0, (int64_t)d * o->sessions + s);
			rc = session(&x, o->first_day + d, s, &r->day[d]);
		}
		r->day[d].lines = r->lines - before;
		r->ndays = d + 1;
		if (io->day != NULL)
			io->day(io->arg, d, &r->day[d]);
	}
	feedback(&x);
	for (i = 0; i < w->o.users; i++)
		free(x.seen[i].m);
	free(x.seen);
	free(x.listed);
	return (rc);
}
