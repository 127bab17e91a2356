/*
 * Unit tests for app/ingest/movielens.c: the title-to-slug rule on real MovieLens
 * titles, the import of small hand-made CSV files (quoting, "" escapes,
 * malformed rows, unknown movies, half stars) checked in the database, and
 * the import of ml-latest-small when the shared data is present.
 */
#include <criterion/criterion.h>

#include "harness.h"
#include "scratch.h"

#include <sys/stat.h>

#include <ftw.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "ingest/movielens.h"
#include "ingest/parse.h"
#include "store/store.h"
#include "store/writer.h"

static char		 csvdir[128];		/* the CSV files */

static void
setup(void)
{
	h_scratch_setup();
	snprintf(csvdir, sizeof(csvdir), "%s/csv", h_dir);
	cr_assert_eq(mkdir(csvdir, 0700), 0);
}

TestSuite(movielens, .init = setup, .fini = h_scratch_teardown,
    .timeout = 300);

/* ---- helpers ---------------------------------------------------------- */

static void
open_writer(void)
{
	cr_assert_not_null(h_w = writer_open(h_dir));
}

static void
write_csv(const char *name, const char *text)
{
	char	 path[256];
	FILE	*fp;

	snprintf(path, sizeof(path), "%s/%s", csvdir, name);
	cr_assert_not_null(fp = fopen(path, "w"));
	cr_assert_geq(fputs(text, fp), 0);
	cr_assert_eq(fclose(fp), 0);
}

#define qi(...)		h_qi(h_db, __VA_ARGS__)
#define qs(o, n, ...)	h_qs(h_db, o, n, __VA_ARGS__)

/* ml_slug must give this slug, title and year, and parse_slug accept it. */
static void
slug_is(const char *mltitle, const char *slug, const char *title, int year)
{
	char	s[PARSE_SLUG_MAX + 1], t[512], dec[PARSE_SLUG_MAX + 1], *p;
	int	y = -1;

	cr_assert_eq(ml_slug(mltitle, s, sizeof(s), t, sizeof(t), &y), 0,
	    "%s", mltitle);
	cr_assert_str_eq(s, slug, "%s", mltitle);
	cr_assert_str_eq(t, title, "%s", mltitle);
	cr_assert_eq(y, year, "%s", mltitle);
	cr_assert_eq(parse_slug(s, strlen(s), dec, sizeof(dec)),
	    (int)strlen(s), "parse_slug rejects '%s'", s);
	/* Its key: the same but for '+', a space. */
	for (p = s; *p != '\0'; p++)
		if (*p == '+')
			*p = ' ';
	cr_assert_str_eq(dec, s);
}

/* ---- ml_slug ------------------------------------------------------------ */

Test(movielens, slug_of_plain_titles)
{
	slug_is("Toy Story (1995)", "toy+story+1995", "Toy Story", 1995);
	slug_is("Jumanji (1995)", "jumanji+1995", "Jumanji", 1995);
	slug_is("Mr. Holland's Opus (1995)", "mr.+holland's+opus+1995",
	    "Mr. Holland's Opus", 1995);
	slug_is("Seven (a.k.a. Se7en) (1995)", "seven+(a.k.a.+se7en)+1995",
	    "Seven (a.k.a. Se7en)", 1995);
	slug_is("1917 (2019)", "1917+2019", "1917", 2019);
	slug_is("Heat (1995) ", "heat+1995", "Heat", 1995);
}

Test(movielens, slug_moves_a_trailing_article_to_the_front)
{
	slug_is("American President, The (1995)",
	    "the+american+president+1995", "The American President", 1995);
	slug_is("Shawshank Redemption, The (1994)",
	    "the+shawshank+redemption+1994", "The Shawshank Redemption", 1994);
	slug_is("Bug's Life, A (1998)", "a+bug's+life+1998", "A Bug's Life",
	    1998);
	slug_is("Officer and a Gentleman, An (1982)",
	    "an+officer+and+a+gentleman+1982", "An Officer and a Gentleman",
	    1982);
	slug_is("Avventura, L' (1960)", "l'avventura+1960", "L'Avventura",
	    1960);
	/* A comma that is not before an article stays in the title. */
	slug_is("Monsters, Inc. (2001)", "monsters+inc.+2001",
	    "Monsters, Inc.", 2001);
	slug_is("Sex, Lies, and Videotape (1989)",
	    "sex+lies+and+videotape+1989", "Sex, Lies, and Videotape", 1989);
}

Test(movielens, slug_drops_forbidden_characters)
{
	/* '&' dropped, the spaces around it kept: a doubled '+'. */
	slug_is("Cheech & Chong's Next Movie (1980)",
	    "cheech++chong's+next+movie+1980", "Cheech & Chong's Next Movie",
	    1980);
	slug_is("Face/Off (1997)", "faceoff+1997", "Face/Off", 1997);
	slug_is("\"Great Performances\" Cats (1998)",
	    "great+performances+cats+1998", "\"Great Performances\" Cats", 1998);
	slug_is("100% Arabica (1997)", "100+arabica+1997", "100% Arabica",
	    1997);
	slug_is("Who Framed Roger Rabbit? (1988)",
	    "who+framed+roger+rabbit?+1988", "Who Framed Roger Rabbit?", 1988);
}

/*
 * Found by fuzzing: a DEL byte in a title went into the slug, and bytes
 * that are not UTF-8 did too: slugs the stream's parser rejects, so the
 * movie could never be named on the stream.
 */
Test(movielens, slug_is_always_one_the_stream_can_name)
{
	char	s[PARSE_SLUG_MAX + 1], t[512];
	int	y;

	slug_is("Next M\x7fvie (1990)", "next+mvie+1990", "Next M\x7fvie",
	    1990);
	cr_assert_eq(ml_slug("Caf\xe9 Society (1990)", s, sizeof(s), t,
	    sizeof(t), &y),
	    -1, "Latin-1, not UTF-8: refused");
	slug_is("Caf\xc3\xa9 (1990)", "caf\xc3\xa9+1990", "Caf\xc3\xa9", 1990);
}

Test(movielens, slug_without_a_year)
{
	slug_is("Babylon 5", "babylon+5", "Babylon 5", 0);
	slug_is("Black Mirror", "black+mirror", "Black Mirror", 0);
	/* Not a year: too short, not digits, no parentheses. */
	slug_is("Dune (84)", "dune+(84)", "Dune (84)", 0);
	slug_is("Blade Runner 2049", "blade+runner+2049", "Blade Runner 2049",
	    0);
	slug_is("Number (20x1)", "number+(20x1)", "Number (20x1)", 0);
}

Test(movielens, slug_of_non_ascii_titles_is_valid_utf8)
{
	slug_is("Amélie (Fabuleux destin d'Amélie Poulain, Le) (2001)",
	    "amélie+(fabuleux+destin+d'amélie+poulain+le)+2001",
	    "Amélie (Fabuleux destin d'Amélie Poulain, Le)", 2001);
	slug_is("Léon: The Professional (a.k.a. The Professional) (Léon) "
	    "(1994)", "léon:+the+professional+(a.k.a.+the+professional)+"
	    "(léon)+1994", "Léon: The Professional (a.k.a. The Professional) "
	    "(Léon)", 1994);
	slug_is("Crouching Tiger, Hidden Dragon (Wo hu cang long) (2000)",
	    "crouching+tiger+hidden+dragon+(wo+hu+cang+long)+2000",
	    "Crouching Tiger, Hidden Dragon (Wo hu cang long)", 2000);
	slug_is("千と千尋の神隠し (2001)", "千と千尋の神隠し+2001",
	    "千と千尋の神隠し", 2001);
	/* Only ASCII is lower-cased. */
	slug_is("Ötzi, Der (2020)", "Ötzi+der+2020", "Ötzi, Der", 2020);
}

Test(movielens, slug_of_nothing_usable_fails)
{
	char	s[PARSE_SLUG_MAX + 1], t[512];
	int	y;

	cr_assert_eq(ml_slug("", s, sizeof(s), t, sizeof(t), &y), -1);
	cr_assert_eq(ml_slug("   ", s, sizeof(s), t, sizeof(t), &y), -1);
	cr_assert_eq(ml_slug("&,/=%", s, sizeof(s), t, sizeof(t), &y), -1);
}

/*
 * Regression (movielens.c, ml_slug), fixed: a long title is cut at slugsz bytes without
 * regard for UTF-8, so the slug can end in half a character: parse_slug
 * then rejects every rating of the movie, while writer_movie has already
 * put the invalid slug in the catalogue.  (The year is dropped as well.)
 */
Test(movielens, regression_long_non_ascii_title_gives_a_valid_slug_or_fails)
{
	char	ml[512], s[PARSE_SLUG_MAX + 1], t[512], dec[PARSE_SLUG_MAX + 1];
	int	i, y, n = 0;

	for (i = 0; i < 150; i++)
		n += snprintf(ml + n, sizeof(ml) - (size_t)n, "é");
	snprintf(ml + n, sizeof(ml) - (size_t)n, " (2001)");
	if (ml_slug(ml, s, sizeof(s), t, sizeof(t), &y) == -1)
		return;		/* refusing is fine */
	cr_assert_geq(parse_slug(s, strlen(s), dec, sizeof(dec)), 0,
	    "ml_slug returned 0 with a slug parse_slug rejects "
	    "(%zu bytes, ends in byte 0x%02x)", strlen(s),
	    (unsigned char)s[strlen(s) - 1]);
}

/* ---- import --------------------------------------------------------------- */

static const char	*movies_csv =
    "movieId,title,genres\n"
    "1,Toy Story (1995),Adventure|Animation|Children|Comedy|Fantasy\n"
    "2,\"American President, The (1995)\",Comedy|Drama|Romance\n"
    "3,\"\"\"Great Performances\"\" Cats (1998)\",Musical\n"
    "4,\"Unterminated, (1999),Drama\n"
    "5,Babylon 5,(no genres listed)\n"
    "6,\"Monsters, Inc. (2001)\",Animation|Children\n"
    "7,too,many,fields\n"
    "0,Zero Id (2000),Drama\n"
    "9,\"Amelie (Fabuleux destin d'Amélie Poulain, Le) (2001)\","
    "Comedy|Romance\r\n";

static const char	*ratings_csv =
    "userId,movieId,rating,timestamp\n"
    "1,1,4.0,964982703\n"
    "1,2,0.5,964982800\n"
    "1,3,3.5,964982900\n"
    "2,1,5.0,964983000\n"
    "2,99,4.0,964983100\n"		/* unknown movie */
    "2,4,4.0,964983150\n"		/* its movie row was malformed */
    "2,5,2.0,964983200\n"
    "3,6,1.0\n"				/* three fields */
    "3,6,3.0,964983300,extra\n"		/* five fields */
    "3,6,1.5,964983400\r\n"
    "3,9,2.5,964983500\n"
    "1,1,2.0,964990000\n"		/* later: replaces 4 */
    "1,2,5.0,964900000\n";		/* earlier: does not replace 1 */

Test(movielens, import_small_files)
{
	struct ml_result	res;
	char			buf[512];

	write_csv("movies.csv", movies_csv);
	write_csv("ratings.csv", ratings_csv);
	open_writer();
	memset(&res, 0x55, sizeof(res));
	cr_assert_eq(ml_import(h_w, csvdir, &res), 0);
	cr_assert_eq(writer_pending(h_w), 0, "the import commits");
	h_writer_close();

	cr_assert_eq(res.movies, 6);
	cr_assert_eq(res.ratings, 9);
	cr_assert_eq(res.rejected, 3 + 4);

	cr_assert_eq(qi("SELECT COUNT(*) FROM movies"), 6);
	cr_assert_str_eq(qs(buf, sizeof(buf), "SELECT title FROM movies WHERE "
	    "slug = 'toy+story+1995'"), "Toy Story");
	cr_assert_eq(qi("SELECT year FROM movies WHERE slug = "
	    "'toy+story+1995'"), 1995);
	cr_assert_str_eq(qs(buf, sizeof(buf), "SELECT genres FROM movies WHERE "
	    "slug = 'toy+story+1995'"),
	    "Adventure|Animation|Children|Comedy|Fantasy");
	cr_assert_str_eq(qs(buf, sizeof(buf), "SELECT title FROM movies WHERE "
	    "slug = 'the+american+president+1995'"), "The American President");
	cr_assert_str_eq(qs(buf, sizeof(buf), "SELECT title FROM movies WHERE "
	    "slug = 'great+performances+cats+1998'"),
	    "\"Great Performances\" Cats");
	cr_assert_str_eq(qs(buf, sizeof(buf), "SELECT title FROM movies WHERE "
	    "slug = 'monsters+inc.+2001'"), "Monsters, Inc.");
	cr_assert_str_eq(qs(buf, sizeof(buf), "SELECT genres FROM movies WHERE "
	    "slug = 'monsters+inc.+2001'"), "Animation|Children");
	cr_assert_str_eq(qs(buf, sizeof(buf), "SELECT title FROM movies WHERE "
	    "slug = 'babylon+5'"), "Babylon 5");
	cr_assert_eq(qi("SELECT year IS NULL AND genres IS NULL FROM movies "
	    "WHERE slug = 'babylon+5'"), 1);
	cr_assert_str_eq(qs(buf, sizeof(buf), "SELECT genres FROM movies WHERE "
	    "slug = 'amelie+(fabuleux+destin+d''amélie+poulain+le)+2001'"),
	    "Comedy|Romance", "no CR left in the last field");
	cr_assert_eq(qi("SELECT COUNT(*) FROM movies WHERE slug LIKE "
	    "'%%unterminated%%' OR slug LIKE '%%zero%%' OR slug = 'too'"), 0);

	/* Ratings: half stars round up, the latest wins. */
	cr_assert_eq(qi("SELECT COUNT(*) FROM ratings"), 7);
	cr_assert_eq(qi("SELECT rating FROM ratings r JOIN movies m ON "
	    "m.id = r.movie_id WHERE user_id = 1 AND slug = "
	    "'toy+story+1995'"), 2);
	cr_assert_eq(qi("SELECT ts FROM ratings r JOIN movies m ON "
	    "m.id = r.movie_id WHERE user_id = 1 AND slug = "
	    "'toy+story+1995'"), 964990000000LL);
	cr_assert_eq(qi("SELECT rating FROM ratings r JOIN movies m ON "
	    "m.id = r.movie_id WHERE user_id = 1 AND slug = "
	    "'the+american+president+1995'"), 1, "0.5 -> 1, not replaced");
	cr_assert_eq(qi("SELECT rating FROM ratings r JOIN movies m ON "
	    "m.id = r.movie_id WHERE user_id = 1 AND slug = "
	    "'great+performances+cats+1998'"), 4, "3.5 -> 4");
	cr_assert_eq(qi("SELECT rating FROM ratings r JOIN movies m ON "
	    "m.id = r.movie_id WHERE user_id = 2 AND slug = "
	    "'toy+story+1995'"), 5);
	cr_assert_eq(qi("SELECT rating FROM ratings r JOIN movies m ON "
	    "m.id = r.movie_id WHERE user_id = 3 AND slug = "
	    "'monsters+inc.+2001'"), 2, "1.5 -> 2");
	cr_assert_eq(qi("SELECT rating FROM ratings WHERE user_id = 3 AND "
	    "movie_id = (SELECT id FROM movies WHERE slug LIKE 'amelie%%')"),
	    3, "2.5 -> 3");
	cr_assert_eq(qi("SELECT raters FROM movies WHERE slug = "
	    "'toy+story+1995'"), 2);
	cr_assert_eq(qi("SELECT COUNT(*) FROM users"), 3);
	cr_assert_eq(qi("SELECT value FROM counters WHERE name = "
	    "'accepted_rate'"), 9);
	cr_assert_eq(qi("SELECT COUNT(*) FROM watches"), 0);
}

Test(movielens, import_needs_both_files)
{
	struct ml_result	res;

	open_writer();
	cr_assert_eq(ml_import(h_w, csvdir, &res), -1, "no movies.csv");
	write_csv("movies.csv", movies_csv);
	cr_assert_eq(ml_import(h_w, csvdir, &res), -1, "no ratings.csv");
	cr_assert_eq(res.movies, 6, "the movies were read");
	h_writer_close();
	/* The catalogue read before the failure is committed. */
	cr_assert_eq(qi("SELECT COUNT(*) FROM movies"), 6);
	cr_assert_eq(qi("SELECT COUNT(*) FROM ratings"), 0);
}

/*
 * Regression (movielens.c, read_ratings), fixed: the rating and user fields are read with
 * strtod/strtol without checking where the number ends, so a row with a
 * rating of "abc" becomes a 1-star rating, and a user "x" becomes user 0,
 * instead of being rejected.
 */
Test(movielens, regression_non_numeric_rating_or_user_is_rejected)
{
	struct ml_result	res;

	write_csv("movies.csv", "movieId,title,genres\n1,Heat (1995),Action\n");
	write_csv("ratings.csv", "userId,movieId,rating,timestamp\n"
	    "1,1,4.0,964982703\n"
	    "2,1,abc,964982703\n"
	    "x,1,3.0,964982703\n");
	open_writer();
	cr_assert_eq(ml_import(h_w, csvdir, &res), 0);
	h_writer_close();
	cr_assert_eq(res.ratings + res.rejected, 3);
	cr_assert_eq(res.rejected, 2,
	    "%lld of the 2 garbled rows rejected, %lld ratings accepted",
	    (long long)res.rejected, (long long)res.ratings);
	cr_assert_eq(qi("SELECT COUNT(*) FROM ratings"), 1);
}

/* ---- ml-latest-small ---------------------------------------------------- */

static const char *
ml_small(char *buf, size_t sz)
{
	const char	*env = getenv("CINEREC_SHARED");
	char		 probe[4200];

	if (env != NULL && *env != '\0') {
		snprintf(buf, sz, "%s/data/ml-latest-small", env);
		snprintf(probe, sizeof(probe), "%s/movies.csv", buf);
		if (access(probe, R_OK) == 0)
			return (buf);
		snprintf(buf, sz, "%s/ml-latest-small", env);
		snprintf(probe, sizeof(probe), "%s/movies.csv", buf);
		if (access(probe, R_OK) == 0)
			return (buf);
	}
	snprintf(buf, sz, "../shared/data/ml-latest-small");
	snprintf(probe, sizeof(probe), "%s/movies.csv", buf);
	return (access(probe, R_OK) == 0 ? buf : NULL);
}

/*
 * Figures from the files themselves (Python's csv module, the slug rule
 * re-implemented): 9742 movie rows, 100836 rating rows from 610 users, all
 * usable.  Five titles appear twice under two movieIds ("Emma (1996)",
 * "Saturn 3 (1980)", "Confessions of a Dangerous Mind (2002)", "Eros
 * (2004)", "War of the Worlds (2005)"): they get one slug each, so the
 * catalogue has 9737 movies, and the 4 users who rated both copies of one
 * keep one (the latest) rating: 100832 rows.
 */
Test(movielens, import_ml_latest_small)
{
	struct ml_result	res;
	char			buf[4096];
	const char		*path;

	if ((path = ml_small(buf, sizeof(buf))) == NULL)
		cr_skip_test("ml-latest-small absent (../shared/data or "
		    "$CINEREC_SHARED/data)");
	open_writer();
	cr_assert_eq(ml_import(h_w, path, &res), 0);
	h_writer_close();
	cr_assert_eq(res.movies, 9742);
	cr_assert_eq(res.ratings, 100836);
	cr_assert_eq(res.rejected, 0);

	cr_assert_eq(qi("SELECT COUNT(*) FROM movies"), 9737);
	cr_assert_eq(qi("SELECT COUNT(*) FROM ratings"), 100832);
	cr_assert_eq(qi("SELECT COUNT(*) FROM users"), 610);
	cr_assert_eq(qi("SELECT COUNT(DISTINCT movie_id) FROM ratings"), 9719);
	cr_assert_eq(qi("SELECT value FROM counters WHERE name = "
	    "'accepted_rate'"), 100836);
	cr_assert_eq(qi("SELECT value FROM counters WHERE name = 'ratings'"),
	    100832);
	cr_assert_eq(qi("SELECT value FROM counters WHERE name = 'movies'"),
	    9737);
	cr_assert_eq(qi("SELECT value FROM counters WHERE name = "
	    "'last_event_ms'"), 1537799250000LL);
	cr_assert_eq(qi("SELECT raters FROM movies WHERE slug = "
	    "'toy+story+1995'"), 215);
	cr_assert_eq(qi("SELECT raters FROM movies WHERE slug = 'emma+1996'"),
	    30);
	cr_assert_eq(qi("SELECT SUM(raters) FROM movies"), 100832);
	cr_assert_eq(qi("SELECT rating FROM ratings WHERE user_id = 1 AND "
	    "movie_id = (SELECT id FROM movies WHERE slug = "
	    "'toy+story+1995')"), 4);
	/* Stars after rounding half up, latest per (user, slug). */
	cr_assert_eq(qi("SELECT COUNT(*) FROM ratings WHERE rating = 5"), 21762);
	cr_assert_eq(qi("SELECT COUNT(*) FROM ratings WHERE rating = 4"), 39951);
	cr_assert_eq(qi("SELECT COUNT(*) FROM ratings WHERE rating = 1"), 4181);
	cr_assert_str_eq(qs(buf, sizeof(buf), "SELECT title FROM movies WHERE "
	    "slug = 'the+shawshank+redemption+1994'"),
	    "The Shawshank Redemption");
}
