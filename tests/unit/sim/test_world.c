/*
 * Unit tests for app/sim/world.c: the same seed gives the same world, its
 * movie ids are spellings the stream could use with keys of their own
 * (any spelling of a key finds its movie), affinities are in (0, 1) and
 * follow the taste clusters, draws follow popularity and activity.
 */
#include <criterion/criterion.h>

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "ingest/parse.h"
#include "sim/world.h"

static struct sim_world		a, b;
static struct sim_world_opts	o;

static void
setup(void)
{
	sim_world_defaults(&o);
	o.users = 300;
	o.movies = 450;
	cr_assert_eq(sim_world_new(&a, &o), 0);
	memset(&b, 0, sizeof(b));
}

static void
teardown(void)
{
	sim_world_free(&a);
	sim_world_free(&b);
}

TestSuite(world, .init = setup, .fini = teardown, .timeout = 60);

Test(world, the_same_seed_is_the_same_world_another_is_not)
{
	cr_assert_eq(sim_world_new(&b, &o), 0);
	cr_assert_eq(memcmp(a.movie, b.movie, sizeof(*a.movie) * 450), 0);
	cr_assert_eq(memcmp(a.user, b.user, sizeof(*a.user) * 300), 0);
	sim_world_free(&b);
	o.seed = 2;
	cr_assert_eq(sim_world_new(&b, &o), 0);
	cr_assert_neq(memcmp(a.user, b.user, sizeof(*a.user) * 300), 0);
}

Test(world, movie_ids_are_spellings_with_keys_of_their_own)
{
	char	key[PARSE_SLUG_MAX + 1], other[SIM_SLUG_MAX];
	int	i, encoded = 0;
	size_t	n;

	for (i = 0; i < 450; i++) {
		cr_assert_geq(parse_slug(a.movie[i].slug,
		    strlen(a.movie[i].slug), key, sizeof(key)), 1, "%s",
		    a.movie[i].slug);
		cr_assert_eq(sim_movie_of(&a, a.movie[i].slug), i);
		encoded += strchr(a.movie[i].slug, '%') != NULL;
	}
	cr_assert_gt(encoded, 450 / 10, "some ids carry escapes");
	/* Another spelling of a key is the same movie. */
	for (i = 0; i < 450; i++)
		if (strchr(a.movie[i].slug, '%') != NULL)
			break;
	snprintf(other, sizeof(other), "%s", a.movie[i].slug);
	other[0] = 'T';
	for (n = 0; other[n] != '\0'; n++)
		if (other[n] == '%') {
			other[n + 1] = (char)tolower((unsigned char)other[n + 1]);
			other[n + 2] = (char)tolower((unsigned char)other[n + 2]);
		}
	cr_assert_eq(sim_movie_of(&a, other), i, "%s", other);
	cr_assert_eq(sim_movie_of(&a, "no+such+movie+1900"), -1);
}

Test(world, affinity_is_higher_within_a_taste_cluster)
{
	double	same = 0.0, other = 0.0, x;
	int	u, m, ns = 0, no = 0;

	for (u = 0; u < 300; u++)
		for (m = 0; m < 450; m++) {
			x = sim_affinity(&a, u, m);
			cr_assert(x > 0.0 && x < 1.0);
			if (a.user[u].cluster == a.movie[m].cluster) {
				same += x;
				ns++;
			} else {
				other += x;
				no++;
			}
		}
	cr_assert_gt(same / ns, 3 * (other / no), "%g vs %g", same / ns,
	    other / no);
}

Test(world, draws_follow_popularity_and_activity)
{
	int	hits[450] = { 0 }, i, top = 0;
	double	w, wmax = 0.0;

	for (i = 0; i < 450; i++) {
		w = a.pop_cum[i] - (i ? a.pop_cum[i - 1] : 0.0);
		if (w > wmax) {
			wmax = w;
			top = i;
		}
	}
	for (i = 0; i < 45000; i++)
		hits[sim_draw_movie(&a, (i + 0.5) / 45000.0)]++;
	for (i = 0; i < 450; i++)
		cr_assert_leq(hits[i], hits[top], "movie %d drawn more than the "
		    "most popular", i);
	cr_assert_eq(sim_draw_movie(&a, 0.0), 0);
	cr_assert_eq(sim_draw_movie(&a, 0.999999999), 449);
	cr_assert_eq(sim_draw_user(&a, 0.999999999), 299);
}
