/*
 * The movie catalogue as the writer keeps it: slug <-> id in memory (the
 * writer is the only one who creates movies, so it hands out the ids
 * itself), and the batch's catalogue changes: new movies, their titles,
 * years and genres, and when each movie was first named.  Used by one
 * thread (the writer's).
 */
#ifndef CINEREC_CATALOG_H
#define CINEREC_CATALOG_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "util/arena.h"
#include "util/hmap.h"
#include "util/vec.h"

#define CATALOG_NOMEM	(-2)	/* catalog_id: out of memory */

/*
 * Invariants: slug[id] is set for 1 <= id <= nmovies (ids are dense): the
 * movie's spelling as the stream last spelled it, what is stored and
 * served; ids up to committed are in the database, the others come with
 * the next catalog_write, and so do the new spellings of respelled ids;
 * byslug maps the two hashes of a movie's key (parse_slug: every spelling
 * of one movie has one key) to its id.
 */
struct catalog {
	char		**slug;		/* by id, slugcap entries */
	size_t		  slugcap;
	int32_t		  nmovies;	/* highest id handed out */
	int32_t		  committed;	/* highest id in the database */
	struct hmap	  byslug;	/* (hash1, hash2) of the key -> id */
	struct vec	  respelled;	/* int32_t ids spelled anew this batch */
	struct hmap	  respell_ix;	/* id -> 1, for respelled */
	struct vec	  metas;	/* struct catalog_meta of the batch */
	struct vec	  firsts;	/* struct catalog_first of the batch */
	struct hmap	  first_ix;	/* movie -> index in firsts */
	struct arena	  strs;		/* titles and genres of the batch */
	sqlite3_stmt	 *st_movie, *st_meta, *st_first, *st_respell;
};

/*
 * Load the catalogue of db and prepare its statements.  Returns 0, or -1
 * with a message on stderr (c is then closed).
 */
int		 catalog_open(struct catalog *c, sqlite3 *db);
void		 catalog_close(struct catalog *c);

/*
 * The id of the movie spelled spelling, whose key is key (NULL: derived
 * from the spelling), handing out the next id for a new key.  When the
 * movie is known under another spelling: with respell, spelling becomes
 * the one stored and served (the stream's own spelling wins); without it
 * (a catalogue import), the stored one stays.  Returns the id, -1 when
 * the key cannot be told from another (a hash collision, logged) or the
 * spelling is no movie id, or CATALOG_NOMEM.
 */
int32_t		 catalog_id(struct catalog *c, const char *spelling,
		    const char *key, int respell);

/* The slug of id, or NULL for an id not handed out. */
const char	*catalog_slug(const struct catalog *c, int64_t id);

/*
 * Room for extra more movies and one more first-seen time, so that as many
 * catalog_id and a catalog_seen cannot fail (but for the new slug's own
 * copy).  Returns 0 or -1.
 */
int		 catalog_reserve(struct catalog *c, size_t extra);

/*
 * Record for the batch: a movie's title, year, genres (NULL or 0 when
 * unknown); that it was named at ts.  Return 0 or -1 (out of memory).
 */
int		 catalog_meta(struct catalog *c, int32_t id, const char *title,
		    int year, const char *genres);
int		 catalog_seen(struct catalog *c, int32_t id, int64_t ts);

/*
 * Inside the writer's transaction: insert the new movies and apply the
 * batch's titles and first-seen times; *added gets the new movies' count.
 * Returns 0 or -1 (logged); then catalog_committed once it is durable.
 */
int		 catalog_write(struct catalog *c, int64_t *added);
void		 catalog_committed(struct catalog *c);

/*
 * Title and year guessed from a spelling ("the+lion+king+1994",
 * "face%2Foff+1997": "face/off", 1997); year 0 if none.
 */
void		 catalog_slug_title(const char *slug, char *title,
		    size_t titlesz, int *year);

#endif
