/*
 * MovieLens import: movies.csv becomes catalogue entries with slug ids
 * spelled the way the stream spells them, ratings.csv becomes rate events.
 */
#ifndef CINEREC_MOVIELENS_H
#define CINEREC_MOVIELENS_H

#include <stddef.h>
#include <stdint.h>

struct writer;

struct ml_result {
	int64_t		movies;		/* catalogue entries read */
	int64_t		ratings;	/* rate events accepted */
	int64_t		rejected;	/* rows that could not be used */
};

/*
 * The slug of a MovieLens title: "American President, The (1995)" becomes
 * "the+american+president+1995".  Lower-case ASCII, a trailing ", The" /
 * ", A" / ", An" moved to the front, words joined by '+', ',' '/' '=' '%'
 * and '&' dropped (so "Cheech & Chong" keeps its doubled '+'), then the year.
 * Also returns the display title ("The American President") and the year
 * (0 if none).  Returns 0, or -1 if nothing usable is left.
 */
int	ml_slug(const char *mltitle, char *slug, size_t slugsz, char *title,
	    size_t titlesz, int *year);

#define ML_TITLE_MAX	512

/* One usable row of movies.csv. */
struct ml_movie {
	long		 id;		/* movieId, 1..10000000 */
	char		 slug[256];	/* see ml_slug */
	char		 title[ML_TITLE_MAX];
	int		 year;		/* 0 if none */
	const char	*genres;	/* into the row; NULL if none listed */
};

/* One usable row of ratings.csv. */
struct ml_rating {
	long		 user;		/* >= 0 */
	long		 movie;		/* > 0 */
	int		 stars;		/* 1..5, half stars rounded up */
	long		 secs;		/* > 0, Unix time */
};

struct csv;

/*
 * The current record of a reader of movies.csv (movieId,title,genres) into
 * m (genres points into the record).  Returns 0, or -1 for a record that
 * cannot be used.
 */
int	ml_movie_row(const struct csv *c, struct ml_movie *m);

/* The same for ratings.csv (userId,movieId,rating,timestamp). */
int	ml_rating_row(const struct csv *c, struct ml_rating *r);

/*
 * Import dir/movies.csv and dir/ratings.csv through w, committing in
 * batches.  Returns 0, or -1 on an I/O or database error (message on
 * stderr).
 */
int	ml_import(struct writer *w, const char *dir, struct ml_result *res);

#endif
