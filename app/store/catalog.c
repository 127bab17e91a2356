/*
 * The writer's movie catalogue (see catalog.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/parse.h"
#include "store/catalog.h"
#include "store/sql.h"
#include "util/fault.h"
#include "util/log.h"

struct catalog_meta {
	int32_t		movie;
	size_t		title, genres;	/* arena offsets, ARENA_NONE = none */
	int		year;
};

/* The earliest event naming a movie in this batch. */
struct catalog_first {
	int32_t		movie;
	int64_t		ts;
};

int
catalog_reserve(struct catalog *c, size_t extra)
{
	return (vec_grow((void **)&c->slug, &c->slugcap,
	    (size_t)c->nmovies + extra + 1, sizeof(*c->slug)) == -1 ||
	    hmap_reserve(&c->byslug, extra) == -1 ||
	    vec_reserve(&c->respelled, extra) == -1 ||
	    hmap_reserve(&c->respell_ix, extra) == -1 ||
	    vec_reserve(&c->firsts, 1) == -1 ||
	    hmap_reserve(&c->first_ix, 1) == -1 ? -1 : 0);
}

/* A copy of s, or NULL. */
static char *
copy(const char *s)
{
	size_t	 len = strlen(s) + 1;
	char	*p;

	if ((p = fault_realloc(NULL, len)) != NULL)
		memcpy(p, s, len);
	return (p);
}

/*
 * The key of a stored spelling into key.  A slug stored decoded by an
 * older version that is no spelling now ("face/off+1997") gets the key
 * it would have without its escapes: '+' a space, A-Z folded.
 */
static void
key_of(const char *spelling, char *key, size_t keysz)
{
	size_t	i;
	char	c;

	if (parse_slug(spelling, strlen(spelling), key, keysz) >= 0)
		return;
	for (i = 0; spelling[i] != '\0' && i + 1 < keysz; i++) {
		c = spelling[i];
		key[i] = c == '+' ? ' ' : c >= 'A' && c <= 'Z' ?
		    (char)(c + 'a' - 'A') : c;
	}
	key[i] = '\0';
}

/* Remember spelling (key: its key) as movie id.  0 or -1 (no memory). */
static int
add(struct catalog *c, int32_t id, const char *spelling, const char *key)
{
	int64_t	 h1, h2;
	int	 found;

	if (vec_grow((void **)&c->slug, &c->slugcap, (size_t)id + 1,
	    sizeof(*c->slug)) == -1 || (c->slug[id] = copy(spelling)) == NULL)
		return (-1);
	hmap_str_key(key, &h1, &h2);
	if (hmap_put(&c->byslug, h1, h2, (uint32_t)id, &found) == NULL) {
		free(c->slug[id]);
		c->slug[id] = NULL;
		return (-1);
	}
	if (id > c->nmovies)
		c->nmovies = id;
	return (0);
}

/* Movie id is spelled spelling from now on.  0 or CATALOG_NOMEM. */
static int32_t
respell(struct catalog *c, int32_t id, const char *spelling)
{
	char	*p;
	int	 found;

	if (id <= c->committed) {
		if (vec_reserve(&c->respelled, 1) == -1 ||
		    hmap_put(&c->respell_ix, id, 0, 1, &found) == NULL)
			return (CATALOG_NOMEM);
		if (!found)
			*(int32_t *)vec_push(&c->respelled) = id;
	}
	if ((p = copy(spelling)) == NULL)
		return (CATALOG_NOMEM);
	free(c->slug[id]);
	c->slug[id] = p;
	return (id);
}

int32_t
catalog_id(struct catalog *c, const char *spelling, const char *key,
    int respell_it)
{
	char		 kbuf[PARSE_SLUG_MAX + 1], old[PARSE_SLUG_MAX + 1];
	uint32_t	*v;
	int64_t		 h1, h2;

	if (key == NULL) {
		if (parse_slug(spelling, strlen(spelling), kbuf,
		    sizeof(kbuf)) < 0)
			return (-1);
		key = kbuf;
	}
	hmap_str_key(key, &h1, &h2);
	if ((v = hmap_get(&c->byslug, h1, h2)) != NULL) {
		/* The usual case: the spelling it has. */
		if (strcmp(c->slug[*v], spelling) == 0)
			return ((int32_t)*v);
		key_of(c->slug[*v], old, sizeof(old));
		if (strcmp(old, key) != 0) {
			log_warnx("%s: hash collision between '%s' and '%s'",
			    __func__, spelling, c->slug[*v]);
			return (-1);
		}
		return (respell_it ? respell(c, (int32_t)*v, spelling) :
		    (int32_t)*v);
	}
	if (add(c, c->nmovies + 1, spelling, key) == -1)
		return (CATALOG_NOMEM);
	return (c->nmovies);
}

const char *
catalog_slug(const struct catalog *c, int64_t id)
{
	return (id > 0 && id <= c->nmovies ? c->slug[id] : NULL);
}

int
catalog_meta(struct catalog *c, int32_t id, const char *title, int year,
    const char *genres)
{
	struct catalog_meta	*m;

	size_t			 room;

	/* Room first: a failure takes nothing, half a row least of all. */
	room = (title ? strlen(title) + 1 : 0) +
	    (genres ? strlen(genres) + 1 : 0);
	if (vec_reserve(&c->metas, 1) == -1 ||
	    arena_reserve(&c->strs, room) == -1)
		return (-1);
	m = vec_push(&c->metas);
	m->movie = id;
	m->year = year;
	m->title = title ? arena_add(&c->strs, title, strlen(title)) :
	    ARENA_NONE;
	m->genres = genres ? arena_add(&c->strs, genres, strlen(genres)) :
	    ARENA_NONE;
	return (0);
}

int
catalog_seen(struct catalog *c, int32_t id, int64_t ts)
{
	struct catalog_first	*f;
	uint32_t		*ix;
	int			 found;

	if (vec_reserve(&c->firsts, 1) == -1 ||
	    (ix = hmap_put(&c->first_ix, id, 0, (uint32_t)c->firsts.len,
	    &found)) == NULL)
		return (-1);
	if (found) {
		f = VEC_AT(&c->firsts, struct catalog_first, *ix);
		if (ts < f->ts)
			f->ts = ts;
		return (0);
	}
	f = vec_push(&c->firsts);
	f->movie = id;
	f->ts = ts;
	return (0);
}

void
catalog_slug_title(const char *slug, char *title, size_t titlesz, int *year)
{
	char	key[PARSE_SLUG_MAX + 1];
	size_t	len, i, n;

	key_of(slug, key, sizeof(key));
	len = strlen(key);
	*year = 0;
	if (len > 5 && key[len - 5] == ' ' &&
	    strspn(key + len - 4, "0123456789") == 4) {
		*year = atoi(key + len - 4);
		len -= 5;
	}
	for (i = 0, n = 0; i < len && n + 1 < titlesz; i++)
		title[n++] = key[i];
	title[n] = '\0';
}

int
catalog_write(struct catalog *c, int64_t *added)
{
	struct catalog_first	*f;
	struct catalog_meta	*m;
	char			 title[PARSE_SLUG_MAX + 1];
	size_t			 i;
	int32_t			 id;
	int			 year;

	*added = 0;
	for (id = c->committed + 1; id <= c->nmovies; id++) {
		catalog_slug_title(c->slug[id], title, sizeof(title), &year);
		if (sql_row(c->st_movie, "movies", "ittn", id, c->slug[id],
		    title, year) == -1)
			return (-1);
		(*added)++;
	}
	for (i = 0; i < c->respelled.len; i++) {
		id = *VEC_AT(&c->respelled, int32_t, i);
		if (sql_row(c->st_respell, "movies", "it", id, c->slug[id]) ==
		    -1)
			return (-1);
	}
	for (i = 0; i < c->firsts.len; i++) {
		f = VEC_AT(&c->firsts, struct catalog_first, i);
		if (sql_row(c->st_first, "movies", "iI", f->movie, f->ts) == -1)
			return (-1);
	}
	for (i = 0; i < c->metas.len; i++) {
		m = VEC_AT(&c->metas, struct catalog_meta, i);
		if (sql_row(c->st_meta, "movies", "itnt", m->movie,
		    m->title != ARENA_NONE ? ARENA_AT(&c->strs, m->title) :
		    NULL, m->year, m->genres != ARENA_NONE ?
		    ARENA_AT(&c->strs, m->genres) : NULL) == -1)
			return (-1);
	}
	return (0);
}

void
catalog_committed(struct catalog *c)
{
	c->committed = c->nmovies;
	c->metas.len = c->firsts.len = c->respelled.len = 0;
	hmap_clear(&c->first_ix);
	hmap_clear(&c->respell_ix);
	c->strs.len = 0;
}

static const char	*sql_movie = "INSERT INTO movies (id, slug, title, "
			    "year) VALUES (?1, ?2, ?3, ?4)";
static const char	*sql_first = "UPDATE movies SET first_ts = "
			    "MIN(COALESCE(first_ts, ?2), ?2) WHERE id = ?1";
static const char	*sql_respell = "UPDATE movies SET slug = ?2 WHERE "
			    "id = ?1";
static const char	*sql_meta = "UPDATE movies SET title = COALESCE(?2, "
			    "title), year = COALESCE(?3, year), genres = "
			    "COALESCE(?4, genres) WHERE id = ?1";

int
catalog_open(struct catalog *c, sqlite3 *db)
{
	struct sql_stmt	 stmts[] = {
		{ &c->st_movie, sql_movie }, { &c->st_first, sql_first },
		{ &c->st_meta, sql_meta }, { &c->st_respell, sql_respell },
	};
	sqlite3_stmt	*st;
	char		 key[PARSE_SLUG_MAX + 1];
	const char	*slug;
	int		 rc;

	memset(c, 0, sizeof(*c));
	c->metas.size = sizeof(struct catalog_meta);
	c->firsts.size = sizeof(struct catalog_first);
	c->respelled.size = sizeof(int32_t);
	if (sql_prepare_all(db, stmts, sizeof(stmts) / sizeof(stmts[0])) == -1)
		goto fail;
	if (sqlite3_prepare_v2(db, "SELECT id, slug FROM movies", -1, &st,
	    NULL) != SQLITE_OK)
		goto fail_msg;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		slug = (const char *)sqlite3_column_text(st, 1);
		key_of(slug, key, sizeof(key));
		if (add(c, sqlite3_column_int(st, 0), slug, key) == -1) {
			rc = SQLITE_NOMEM;
			break;
		}
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		goto fail_msg;
	c->committed = c->nmovies;
	return (0);

fail_msg:
	fprintf(stderr, "cinerec: cannot load the catalogue: %s\n",
	    sqlite3_errmsg(db));
fail:
	catalog_close(c);
	return (-1);
}

void
catalog_close(struct catalog *c)
{
	struct sql_stmt	 stmts[] = {
		{ &c->st_movie, NULL }, { &c->st_first, NULL },
		{ &c->st_meta, NULL }, { &c->st_respell, NULL },
	};
	size_t		 id;

	sql_finalize_all(stmts, sizeof(stmts) / sizeof(stmts[0]));
	for (id = 0; id < c->slugcap; id++)
		free(c->slug[id]);
	free(c->slug);
	c->slug = NULL;
	c->slugcap = 0;
	hmap_free(&c->byslug);
	hmap_free(&c->first_ix);
	hmap_free(&c->respell_ix);
	vec_free(&c->respelled);
	vec_free(&c->metas);
	vec_free(&c->firsts);
	arena_free(&c->strs);
}
