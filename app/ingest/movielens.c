/*
 * MovieLens import (see movielens.h): a small RFC 4180 CSV reader, the
 * title-to-slug rule, and the conversion of ratings to rate lines fed
 * through the writer, so they are validated like any other line.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/clock.h"
#include "ingest/movielens.h"
#include "util/csv.h"
#include "util/vec.h"
#include "ingest/parse.h"
#include "store/writer.h"

#define ML_BATCH	50000

int
ml_slug(const char *mltitle, char *slug, size_t slugsz, char *title,
    size_t titlesz, int *year)
{
	static const char	*articles[] = { "The", "A", "An", "Les", "La",
				    "Le", "Il", "El", "Die", "Das", "L'" };
	char			 base[512], *p, *comma;
	char			 check[PARSE_SLUG_MAX + 1];
	size_t			 len, i, n = 0, alen;

	*year = 0;
	len = strlen(mltitle);
	while (len > 0 && mltitle[len - 1] == ' ')
		len--;
	if (len >= sizeof(base))
		return (-1);
	memcpy(base, mltitle, len);
	base[len] = '\0';
	/* "(1995)" at the end is the year. */
	if (len >= 6 && base[len - 1] == ')' && base[len - 6] == '(' &&
	    strspn(base + len - 5, "0123456789") == 4) {
		*year = atoi(base + len - 5);
		len -= 6;
		while (len > 0 && base[len - 1] == ' ')
			len--;
		base[len] = '\0';
	}
	/* "Title, The" -> "The Title". */
	if ((comma = strrchr(base, ',')) != NULL && comma[1] == ' ') {
		for (i = 0; i < sizeof(articles) / sizeof(articles[0]); i++) {
			if (strcmp(comma + 2, articles[i]) != 0)
				continue;
			alen = strlen(articles[i]);
			snprintf(title, titlesz, "%s%s%.*s", articles[i],
			    articles[i][alen - 1] == '\'' ? "" : " ",
			    (int)(comma - base), base);
			break;
		}
		if (i == sizeof(articles) / sizeof(articles[0]))
			snprintf(title, titlesz, "%s", base);
	} else
		snprintf(title, titlesz, "%s", base);

	/* Room for "+YYYY"; the cut below never splits a UTF-8 sequence. */
	if (slugsz > PARSE_SLUG_MAX + 1)
		slugsz = PARSE_SLUG_MAX + 1;
	for (p = title; *p != '\0' && n + 6 < slugsz; p++) {
		unsigned char	c = (unsigned char)*p;

		if (c == ' ') {
			slug[n++] = '+';
			continue;
		}
		if (c == ',' || c == '/' || c == '=' || c == '%' || c == '&' ||
		    c == '"' || c < 0x20 || c == 0x7f)
			continue;
		slug[n++] = (char)tolower(c);
	}
	if (n > 0) {
		/* Drop a last UTF-8 sequence the length limit cut short. */
		size_t		 j = n - 1, need;
		unsigned char	 lead;

		while (j > 0 && ((unsigned char)slug[j] & 0xc0) == 0x80)
			j--;
		lead = (unsigned char)slug[j];
		need = (lead & 0xe0) == 0xc0 ? 2 : (lead & 0xf0) == 0xe0 ? 3 :
		    (lead & 0xf8) == 0xf0 ? 4 : 1;
		if (n - j < need)
			n = j;
	}
	if (*year && n + 6 < slugsz)
		n += (size_t)snprintf(slug + n, slugsz - n, "%s%d",
		    n > 0 ? "+" : "", *year);
	slug[n] = '\0';
	if (n == 0 || n > PARSE_SLUG_MAX)
		return (-1);
	/* A slug the stream could not name (bad UTF-8) is no use. */
	return (parse_slug(slug, n, check, sizeof(check)) == (int)n ? 0 : -1);
}

/* movieId -> slug, for the ratings. */
struct ml_map {
	char	**slug;		/* indexed by movieId */
	size_t	  n;
};

int
ml_movie_row(const struct csv *c, struct ml_movie *m)
{
	int64_t		 id;
	const char	*genres = csv_field(c, 2);

	if (c->nfields != 3 || csv_int(c, 0, &id) == -1 || id <= 0 ||
	    id > 10000000 || ml_slug(csv_field(c, 1), m->slug,
	    sizeof(m->slug), m->title, sizeof(m->title), &m->year) == -1)
		return (-1);
	m->id = (long)id;
	m->genres = strcmp(genres, "(no genres listed)") != 0 &&
	    genres[0] != '\0' ? genres : NULL;
	return (0);
}

int
ml_rating_row(const struct csv *c, struct ml_rating *r)
{
	int64_t	user, movie, secs;
	double	v;

	if (c->nfields != 4 || csv_int(c, 0, &user) == -1 ||
	    csv_int(c, 1, &movie) == -1 || csv_double(c, 2, &v) == -1 ||
	    csv_int(c, 3, &secs) == -1 || !(v >= 0.5 && v <= 5.0) ||
	    movie <= 0 || movie > 10000000 || user < 0 || secs <= 0 ||
	    secs > 253402300799LL)
		return (-1);
	r->user = (long)user;
	r->movie = (long)movie;
	r->secs = (long)secs;
	/* Half stars round up: 0.5 -> 1, 3.5 -> 4. */
	r->stars = (int)(v + 0.5);
	r->stars = r->stars < 1 ? 1 : r->stars > 5 ? 5 : r->stars;
	return (0);
}

static int
read_movies(struct writer *w, const char *dir, struct ml_map *map,
    struct ml_result *res)
{
	struct ml_movie	 m;
	struct csv	 c;
	char		 path[4096];
	int		 rc = 0, got;

	snprintf(path, sizeof(path), "%s/movies.csv", dir);
	/* A malformed row is one rejected row, not the end. */
	if (csv_open_rows(&c, path) == -1)
		return (-1);
	while ((got = csv_next(&c)) > 0) {
		if (got == CSV_BAD || ml_movie_row(&c, &m) == -1) {
			res->rejected++;
			continue;
		}
		if (vec_grow((void **)&map->slug, &map->n, (size_t)m.id + 1,
		    sizeof(*map->slug)) == -1) {
			rc = -1;
			break;
		}
		free(map->slug[m.id]);
		if ((map->slug[m.id] = strdup(m.slug)) == NULL ||
		    writer_movie(w, m.slug, m.title, m.year, m.genres) == -1) {
			rc = -1;
			break;
		}
		res->movies++;
	}
	csv_close(&c);
	return (got == -1 ? -1 : rc);
}

static int
read_ratings(struct writer *w, const char *dir, const struct ml_map *map,
    struct ml_result *res)
{
	struct ml_rating r;
	struct csv	 c;
	char		 path[4096], out[PARSE_SLUG_MAX + 128], ts[32];
	int		 n, rc = 0, got;

	snprintf(path, sizeof(path), "%s/ratings.csv", dir);
	if (csv_open_rows(&c, path) == -1)
		return (-1);
	while ((got = csv_next(&c)) > 0) {
		if (got == CSV_BAD || ml_rating_row(&c, &r) == -1 ||
		    (size_t)r.movie >= map->n ||
		    map->slug[r.movie] == NULL) {
			res->rejected++;
			continue;
		}
		clock_format((int64_t)r.secs * 1000, ts, sizeof(ts));
		n = snprintf(out, sizeof(out), "%s,%ld,GET /rate/%s=%d",
		    ts, r.user, map->slug[r.movie], r.stars);
		if (writer_line(w, out, (size_t)n) != PARSE_OK) {
			res->rejected++;
			continue;
		}
		res->ratings++;
		if (writer_pending(w) >= ML_BATCH && writer_commit(w) == -1) {
			rc = -1;
			break;
		}
	}
	csv_close(&c);
	return (got == -1 ? -1 : rc);
}

int
ml_import(struct writer *w, const char *dir, struct ml_result *res)
{
	struct ml_map	map = { NULL, 0 };
	size_t		i;
	int		rc;

	memset(res, 0, sizeof(*res));
	rc = read_movies(w, dir, &map, res);
	if (rc == 0)
		rc = writer_commit(w);
	if (rc == 0)
		rc = read_ratings(w, dir, &map, res);
	if (rc == 0)
		rc = writer_commit(w);
	for (i = 0; i < map.n; i++)
		free(map.slug[i]);
	free(map.slug);
	return (rc);
}
