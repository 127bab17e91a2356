/*
 * libFuzzer target for the MovieLens importer's rows (app/ingest/movielens.c):
 * the input as a movies.csv row and as a ratings.csv row.  A movie that is
 * taken has a slug the stream's parser accepts as it is; a rating is in
 * range.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/movielens.h"
#include "ingest/parse.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define CHECK(x)	do { if (!(x)) abort(); } while (0)

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ml_movie	 m;
	struct ml_rating	 r;
	char			 row[4096], out[PARSE_SLUG_MAX + 1];
	size_t			 n = size < sizeof(row) - 1 ? size :
				    sizeof(row) - 1;

	memcpy(row, data, n);
	row[n] = '\0';
	if (ml_movie_row(row, &m) == 0) {
		CHECK(m.id > 0);
		CHECK(parse_slug(m.slug, strlen(m.slug), out, sizeof(out)) ==
		    (int)strlen(m.slug));
		CHECK(strcmp(out, m.slug) == 0);
		CHECK(m.year >= 0 && m.year <= 9999);
	}
	memcpy(row, data, n);
	row[n] = '\0';
	if (ml_rating_row(row, &r) == 0) {
		CHECK(r.stars >= 1 && r.stars <= 5);
		CHECK(r.user >= 0 && r.movie > 0 && r.secs > 0);
	}
	return (0);
}
