/*
 * libFuzzer target for the MovieLens importer's rows (app/ingest/movielens.c
 * over the CSV reader, app/util/csv.c): the input as a movies.csv and as a
 * ratings.csv.  A movie that is taken has a slug the stream's parser
 * accepts as it is; a rating is in range.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/movielens.h"
#include "ingest/parse.h"
#include "util/csv.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define CHECK(x)	do { if (!(x)) abort(); } while (0)

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ml_movie	 m;
	struct ml_rating	 r;
	struct csv		 c;
	char			 out[PARSE_SLUG_MAX + 1];
	size_t			 i;
	int			 got;

	if (csv_open_mem(&c, data, size, "fuzz") == -1)
		return (0);
	c.line_bound = size > 0 && data[0] == 'L';
	while ((got = csv_next(&c)) > 0) {
		if (got == CSV_BAD)
			continue;
		CHECK(c.nfields >= 1 && c.nfields <= CSV_FIELDS_MAX);
		for (i = 0; i < c.nfields; i++)
			CHECK(csv_field(&c, i) >= c.buf &&
			    csv_field(&c, i) < c.buf + c.len);
		if (ml_movie_row(&c, &m) == 0) {
			CHECK(m.id > 0);
			/* A spelling the stream could use: no escapes, so
			   its key is as long (a space for each '+'). */
			CHECK(parse_slug(m.slug, strlen(m.slug), out,
			    sizeof(out)) == (int)strlen(m.slug));
			CHECK(strchr(m.slug, '%') == NULL);
			CHECK(m.year >= 0 && m.year <= 9999);
		}
		if (ml_rating_row(&c, &r) == 0) {
			CHECK(r.stars >= 1 && r.stars <= 5);
			CHECK(r.user >= 0 && r.movie > 0 && r.secs > 0);
		}
	}
	CHECK(got == 0 || got == -1);
	csv_close(&c);
	return (0);
}
