/*
 * Popularity-based recommendation lists (see reco.h): the cached ranking,
 * its refresh from the database, and the per-user filter.
 */
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "reco.h"

static const char	*ranking_sql =
    "WITH recent AS (SELECT movie_id, SUM(viewers + raters) AS n "
    "  FROM movie_daily "
    "  WHERE day > (SELECT MAX(day) FROM movie_daily) - ?1 "
    "  GROUP BY movie_id) "
    "SELECT m.id, m.slug, COALESCE(r.n, 0) AS recent, "
    "  m.viewers + m.raters AS total "
    "FROM movies m LEFT JOIN recent r ON r.movie_id = m.id "
    "ORDER BY recent DESC, total DESC, m.id";

int
reco_refresh(struct reco *r, struct store *s, int window_days, int force)
{
	struct reco_item	*items = NULL, *it;
	sqlite3_stmt		*st = NULL;
	char			*slugs = NULL, *p;
	size_t			 n = 0, cap = 0, slen = 0, scap = 0, len, i;
	int64_t			 version;
	int			 rc;

	if ((version = store_data_version(s)) == -1)
		return (-1);
	if (!force && r->built && version == r->version)
		return (0);

	if (sqlite3_prepare_v2(s->db, ranking_sql, -1, &st, NULL) !=
	    SQLITE_OK)
		goto dberr;
	sqlite3_bind_int(st, 1, window_days);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		len = (size_t)sqlite3_column_bytes(st, 1);
		if (n == cap) {
			cap = cap ? cap * 2 : 1024;
			if ((it = realloc(items, cap * sizeof(*it))) == NULL)
				goto nomem;
			items = it;
		}
		if (slen + len + 1 > scap) {
			scap = scap ? scap * 2 : 65536;
			while (scap < slen + len + 1)
				scap *= 2;
			if ((p = realloc(slugs, scap)) == NULL)
				goto nomem;
			slugs = p;
		}
		it = &items[n++];
		it->movie = sqlite3_column_int(st, 0);
		memcpy(slugs + slen, sqlite3_column_text(st, 1), len + 1);
		it->slug = (const char *)(uintptr_t)slen;	/* fixed below */
		slen += len + 1;
		it->recent = sqlite3_column_int64(st, 2);
		it->total = sqlite3_column_int64(st, 3);
	}
	if (rc != SQLITE_DONE)
		goto dberr;
	sqlite3_finalize(st);
	/* The slug storage may have moved while growing: offsets to pointers. */
	for (i = 0; i < n; i++)
		items[i].slug = slugs + (uintptr_t)items[i].slug;
	free(r->items);
	free(r->slugs);
	r->items = items;
	r->slugs = slugs;
	r->n = n;
	r->version = version;
	r->built = 1;
	return (1);

nomem:
	log_warnx("%s: out of memory", __func__);
	goto fail;
dberr:
	log_warnx("%s: %s", __func__, sqlite3_errmsg(s->db));
fail:
	sqlite3_finalize(st);
	free(items);
	free(slugs);
	return (-1);
}

static int
seen(const int32_t *ids, int n, int32_t movie)
{
	int	lo = 0, hi = n - 1, mid;

	while (lo <= hi) {
		mid = lo + (hi - lo) / 2;
		if (ids[mid] == movie)
			return (1);
		if (ids[mid] < movie)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return (0);
}

int
reco_for_user(struct reco *r, struct store *s, int64_t user,
    const struct reco_item **out, size_t max)
{
	size_t	i, k = 0;
	int	nseen;

	if ((nseen = store_seen(s, user, &r->seen, &r->seencap)) == -1)
		return (-1);
	for (i = 0; i < r->n && k < max; i++) {
		if (nseen > 0 && seen(r->seen, nseen, r->items[i].movie))
			continue;
		out[k++] = &r->items[i];
	}
	return ((int)k);
}

void
reco_free(struct reco *r)
{
	free(r->items);
	free(r->slugs);
	free(r->seen);
	memset(r, 0, sizeof(*r));
}
