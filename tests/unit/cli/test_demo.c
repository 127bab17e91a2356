/*
 * Unit tests for app/cli/demo.c: the generated world is deterministic from its
 * seed, every line parses, each movie is announced before a line names it,
 * the figures stay inside the options, a stopping callback stops it, and
 * the world fed through the writer gives sane database counts.
 */
#include <criterion/criterion.h>

#include "harness.h"
#include "scratch.h"

#include <sys/stat.h>

#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/demo.h"
#include "util/hmap.h"
#include "ingest/parse.h"
#include "store/store.h"
#include "store/writer.h"

/* Everything a generation produced. */
struct world {
	char		*text;		/* lines joined with '\n' */
	size_t		 len, cap;
	int64_t		 lines;
	int		 movies;	/* movie callbacks */
	int		 named_unknown;	/* lines naming an unannounced movie */
	int		 bad_parse;
	int		 watch, rate;
	int64_t		 min_ts, max_ts, max_user;
	int		 bad_movie_cb;	/* empty slug/title, bad year */
	struct hmap	 slugs;		/* hash(slug) -> 1 */
	int		 dup_slugs;
	int		 stop_after;	/* line callbacks before -1, 0 = never */
	int		 stop_movies_after;
	struct parse_event ev;
};

static struct world	 a, b;


static void
world_free(struct world *x)
{
	free(x->text);
	hmap_free(&x->slugs);
	memset(x, 0, sizeof(*x));
}

static void
setup(void)
{
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	h_scratch_setup();
}

static void
teardown(void)
{
	world_free(&a);
	world_free(&b);
	h_scratch_teardown();
}

TestSuite(demo, .init = setup, .fini = teardown, .timeout = 120);

static void
hash2(const char *s, int64_t *h1, int64_t *h2)
{
	uint64_t	x = 1469598103934665603ULL, y = 7;

	for (; *s != '\0'; s++) {
		x = (x ^ (unsigned char)*s) * 1099511628211ULL;
		y = y * 131 + (unsigned char)*s;
	}
	*h1 = (int64_t)x;
	*h2 = (int64_t)y;
}

static int
on_movie(void *arg, const char *slug, const char *title, int year,
    const char *genres)
{
	struct world	*x = arg;
	int64_t		 h1, h2;
	int		 found;
	char		 dec[PARSE_SLUG_MAX + 1];

	if (x->stop_movies_after && x->movies == x->stop_movies_after)
		return (-1);
	x->movies++;
	if (slug == NULL || title == NULL || *title == '\0' ||
	    year < 1900 || year > 2100 || genres == NULL || *genres == '\0' ||
	    parse_slug(slug, strlen(slug), dec, sizeof(dec)) < 0)
		x->bad_movie_cb++;
	hash2(slug, &h1, &h2);
	cr_assert_not_null(hmap_put(&x->slugs, h1, h2, 1, &found));
	if (found)
		x->dup_slugs++;
	return (0);
}

static int
on_line(void *arg, const char *line, size_t len)
{
	struct world	*x = arg;
	int64_t		 h1, h2;

	if (x->stop_after && x->lines == x->stop_after)
		return (-1);
	if (x->len + len + 1 > x->cap) {
		x->cap = x->cap ? x->cap * 2 : 1 << 20;
		while (x->cap < x->len + len + 1)
			x->cap *= 2;
		cr_assert_not_null(x->text = realloc(x->text, x->cap));
	}
	memcpy(x->text + x->len, line, len);
	x->text[x->len + len] = '\n';
	x->len += len + 1;
	x->lines++;

	if (parse_line(line, len, &x->ev) != PARSE_OK) {
		x->bad_parse++;
		return (0);
	}
	if (x->ev.kind == PARSE_WATCH)
		x->watch++;
	else if (x->ev.kind == PARSE_RATE)
		x->rate++;
	if (x->ev.movie != NULL) {
		hash2(x->ev.movie, &h1, &h2);
		if (hmap_get(&x->slugs, h1, h2) == NULL)
			x->named_unknown++;
	}
	if (x->min_ts == 0 || x->ev.ts_ms < x->min_ts)
		x->min_ts = x->ev.ts_ms;
	if (x->ev.ts_ms > x->max_ts)
		x->max_ts = x->ev.ts_ms;
	if (x->ev.user > x->max_user)
		x->max_user = x->ev.user;
	return (0);
}

static void
small(struct demo_opts *o, uint64_t seed)
{
	demo_defaults(o);
	o->seed = seed;
	o->movies = 60;
	o->users = 40;
	o->sessions = 3;
	o->days = 10;
}

static int64_t
gen(const struct demo_opts *o, struct world *x)
{
	struct demo_sink	sink = { x, on_movie, on_line };

	return (demo_generate(o, &sink));
}

Test(demo, defaults)
{
	struct demo_opts	o;

	memset(&o, 0x33, sizeof(o));
	demo_defaults(&o);
	cr_assert_gt(o.movies, 0);
	cr_assert_gt(o.users, 0);
	cr_assert_gt(o.sessions, 0);
	cr_assert_gt(o.days, 0);
	cr_assert_gt(o.end_ms, 1500000000000LL);
}

Test(demo, same_seed_same_bytes_other_seed_other_bytes)
{
	struct demo_opts	o;
	int64_t			n1, n2;

	small(&o, 7);
	n1 = gen(&o, &a);
	n2 = gen(&o, &b);
	cr_assert_gt(n1, 0);
	cr_assert_eq(n1, n2);
	cr_assert_eq(a.len, b.len);
	cr_assert_eq(memcmp(a.text, b.text, a.len), 0, "same seed differs");
	cr_assert_eq(a.movies, b.movies);

	world_free(&b);
	small(&o, 8);
	gen(&o, &b);
	cr_assert(a.len != b.len || memcmp(a.text, b.text, a.len) != 0,
	    "seeds 7 and 8 gave the same world");
}

Test(demo, every_line_parses_and_stays_inside_the_options)
{
	struct demo_opts	o;
	int64_t			n;

	small(&o, 12345);
	n = gen(&o, &a);
	cr_assert_eq(n, a.lines, "returned %lld, emitted %lld",
	    (long long)n, (long long)a.lines);
	cr_assert_eq(a.bad_parse, 0);
	cr_assert_eq(a.watch + a.rate, n, "only watch and rate lines");
	cr_assert_gt(a.watch, 0);
	cr_assert_gt(a.rate, 0);
	cr_assert_eq(a.movies, o.movies);
	cr_assert_eq(a.dup_slugs, 0, "slugs are unique");
	cr_assert_eq(a.bad_movie_cb, 0);
	cr_assert_eq(a.named_unknown, 0);
	cr_assert_geq(a.min_ts, o.end_ms - (int64_t)o.days * 86400000);
	cr_assert_leq(a.max_ts, o.end_ms);
	cr_assert_leq(a.max_user, o.users);
	/* Every user watches something: at least one line each. */
	cr_assert_geq(n, o.users);
	cr_assert_eq(a.text[a.len - 1], '\n');
}

Test(demo, catalogue_before_lines_naming_a_movie)
{
	struct demo_opts	o;

	/* With no movie callback, nothing is announced: every line names
	 * an unknown movie.  With it, none does (checked on the way). */
	small(&o, 99);
	{
		struct demo_sink	sink = { &a, NULL, on_line };

		cr_assert_gt(demo_generate(&o, &sink), 0);
	}
	cr_assert_eq(a.movies, 0);
	cr_assert_eq(a.named_unknown, a.lines);
	gen(&o, &b);
	cr_assert_eq(b.named_unknown, 0);
	cr_assert_eq(b.len, a.len, "the movie callback changes nothing");
	cr_assert_eq(memcmp(a.text, b.text, a.len), 0);
}

Test(demo, callbacks_can_stop_it)
{
	struct demo_opts	o;

	small(&o, 3);
	a.stop_after = 10;
	cr_assert_eq(gen(&o, &a), -1);
	cr_assert_eq(a.lines, 10);
	b.stop_movies_after = 5;
	cr_assert_eq(gen(&o, &b), -1);
	cr_assert_eq(b.movies, 5);
	cr_assert_eq(b.lines, 0, "no line before the catalogue is complete");
}

Test(demo, tiny_worlds)
{
	struct demo_opts	o;

	small(&o, 1);
	o.movies = 1;
	o.users = 1;
	o.sessions = 1;
	o.days = 1;
	cr_assert_gt(gen(&o, &a), 0);
	cr_assert_eq(a.bad_parse, 0);
	cr_assert_eq(a.movies, 1);
	cr_assert_eq(a.max_user, 1);
	cr_assert_eq(a.named_unknown, 0);
	/* More movies than the word lists combine into. */
	small(&o, 2);
	o.movies = 26 * 26 + 50;
	o.users = 5;
	cr_assert_gt(gen(&o, &b), 0);
	cr_assert_eq(b.movies, o.movies);
	cr_assert_eq(b.dup_slugs, 0);
	cr_assert_eq(b.bad_movie_cb, 0);
}

/* Feed a world through the writer: the database agrees with the lines. */
static int
to_writer_movie(void *arg, const char *slug, const char *title, int year,
    const char *genres)
{
	(void)arg;
	return (writer_movie(h_w, slug, title, year, genres));
}

static int
to_writer_line(void *arg, const char *line, size_t len)
{
	struct world	*x = arg;

	x->lines++;
	return (writer_line(h_w, line, len) == PARSE_OK ? 0 : -1);
}

Test(demo, world_through_the_writer)
{
	struct demo_opts	o;
	struct demo_sink	sink = { &a, to_writer_movie, to_writer_line };
	struct store		s;
	struct store_counts	c;
	struct writer_stats	st;
	int64_t			n;

	cr_assert_not_null(h_w = writer_open(h_dir));
	small(&o, 2024);
	n = demo_generate(&o, &sink);
	cr_assert_gt(n, 0, "a line was rejected");
	writer_stats(h_w, &st);
	h_writer_close();
	cr_assert_eq((int64_t)(st.accepted[PARSE_WATCH] +
	    st.accepted[PARSE_RATE]), n);

	cr_assert_eq(store_open(&s, h_dir, STORE_RDONLY), 0);
	cr_assert_eq(store_counts(&s, &c), 0);
	store_close(&s);
	cr_assert_eq(c.movies, o.movies);
	cr_assert_eq(c.users, o.users);
	cr_assert_eq(c.accepted, n);
	cr_assert_eq(c.rejected, 0);
	cr_assert_gt(c.watches, 0);
	cr_assert_leq(c.watches, (int64_t)st.accepted[PARSE_WATCH]);
	cr_assert_leq(c.watches, (int64_t)o.movies * o.users);
	cr_assert_gt(c.ratings, 0);
	cr_assert_leq(c.ratings, (int64_t)st.accepted[PARSE_RATE]);
	cr_assert_leq(c.last_event_ms, o.end_ms);
	cr_assert_geq(c.last_event_ms, o.end_ms - (int64_t)o.days * 86400000);
}
