/*
 * Unit tests for app/store/catalog.c: movie ids handed out in order from
 * 1, written with a title and year guessed from the slug, kept across
 * reopening (directly and through the writer), slugs kept byte for byte,
 * metadata updates that keep what is known, the earliest first-seen time,
 * a failed write retried whole, out of memory at every allocation of a
 * new slug, a database without a catalogue, and the title guess's edges.
 */
#include <criterion/criterion.h>

#include "harness.h"
#include "scratch.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "util/fault.h"
#include "ingest/parse.h"
#include "store/catalog.h"
#include "store/store.h"
#include "store/writer.h"

static struct store	st;
static struct catalog	cat;
static int		is_open;

static void
cat_open(void)
{
	cr_assert_eq(store_open(&st, h_dir, STORE_CREATE | STORE_ROLE_EVENTS),
	    0);
	cr_assert_eq(catalog_open(&cat, st.db), 0);
	is_open = 1;
}

static void
cat_close(void)
{
	if (is_open) {
		catalog_close(&cat);
		store_close(&st);
	}
	is_open = 0;
}

static void
setup(void)
{
	h_scratch_setup();
	is_open = 0;
	fault_arm(0, 0);
}

static void
teardown(void)
{
	fault_arm(0, 0);
	cat_close();
	h_scratch_teardown();
}

TestSuite(catalog, .init = setup, .fini = teardown, .timeout = 60);

/* ---- helpers */

#define qi(...)		h_qi(h_db, __VA_ARGS__)
#define qs(b, ...)	h_qs(h_db, (b), sizeof(b), __VA_ARGS__)

/* catalog_write in a transaction, as writer_commit does: 0 or -1. */
static int
write_batch(int64_t *added)
{
	int64_t	n = -1;

	cr_assert_eq(store_exec(&st, "BEGIN IMMEDIATE"), 0);
	if (catalog_write(&cat, &n) == -1) {
		cr_assert_eq(store_exec(&st, "ROLLBACK"), 0);
		return (-1);
	}
	cr_assert_eq(store_exec(&st, "COMMIT"), 0);
	catalog_committed(&cat);
	if (added != NULL)
		*added = n;
	return (0);
}

static void
commit(int64_t want_added)
{
	int64_t	added = -1;

	cr_assert_eq(write_batch(&added), 0);
	cr_assert_eq(added, want_added);
	cr_assert_eq(cat.committed, cat.nmovies);
}

/* ---- ids */

Test(catalog, ids_are_handed_out_in_order_from_one)
{
	cat_open();
	cr_assert_eq(cat.nmovies, 0);
	cr_assert_null(catalog_slug(&cat, 1));
	cr_assert_eq(catalog_id(&cat, "heat+1995", NULL, 1), 1);
	cr_assert_eq(catalog_id(&cat, "alien+1979", NULL, 1), 2);
	cr_assert_eq(catalog_id(&cat, "heat+1995", NULL, 1), 1, "known: its id");
	cr_assert_eq(catalog_id(&cat, "up+2009", NULL, 1), 3);
	cr_assert_eq(cat.nmovies, 3);
	cr_assert_eq(cat.committed, 0);
	cr_assert_str_eq(catalog_slug(&cat, 2), "alien+1979");
	cr_assert_str_eq(catalog_slug(&cat, 3), "up+2009");
	cr_assert_null(catalog_slug(&cat, 0));
	cr_assert_null(catalog_slug(&cat, -1));
	cr_assert_null(catalog_slug(&cat, 4));
	cr_assert_null(catalog_slug(&cat, INT64_MAX));
	/* Nothing in the database before a write. */
	cr_assert_eq(qi("SELECT COUNT(*) FROM movies"), 0);
}

Test(catalog, write_inserts_new_movies_with_title_and_year_guessed)
{
	char	buf[128];

	cat_open();
	cr_assert_eq(catalog_id(&cat, "the+lion+king+1994", NULL, 1), 1);
	cr_assert_eq(catalog_id(&cat, "se7en", NULL, 1), 2);
	commit(2);
	cr_assert_eq(qi("SELECT COUNT(*) FROM movies"), 2);
	cr_assert_str_eq(qs(buf, "SELECT slug || '|' || title || '|' || "
	    "year FROM movies WHERE id = 1"),
	    "the+lion+king+1994|the lion king|1994");
	cr_assert_str_eq(qs(buf, "SELECT title || '|' || quote(year) || '|' "
	    "|| quote(genres) || '|' || quote(first_ts) FROM movies WHERE "
	    "id = 2"), "se7en|NULL|NULL|NULL");
	/* Nothing new: nothing written. */
	commit(0);
	cr_assert_eq(catalog_id(&cat, "heat+1995", NULL, 1), 3);
	commit(1);
	cr_assert_eq(qi("SELECT MAX(id) FROM movies"), 3);
}

Test(catalog, the_same_slug_keeps_its_id_across_reopen)
{
	char	slug[32];
	int	i;

	cat_open();
	for (i = 1; i <= 300; i++) {
		snprintf(slug, sizeof(slug), "m%d+2000", i);
		cr_assert_eq(catalog_id(&cat, slug, NULL, 1), i);
	}
	commit(300);
	/* An id handed out but never written is not kept. */
	cr_assert_eq(catalog_id(&cat, "unwritten+1999", NULL, 1), 301);
	cat_close();

	cat_open();
	cr_assert_eq(cat.nmovies, 300);
	cr_assert_eq(cat.committed, 300);
	cr_assert_eq(catalog_id(&cat, "m17+2000", NULL, 1), 17);
	cr_assert_eq(catalog_id(&cat, "m300+2000", NULL, 1), 300);
	cr_assert_str_eq(catalog_slug(&cat, 123), "m123+2000");
	cr_assert_eq(catalog_id(&cat, "new+2001", NULL, 1), 301);
	commit(1);
	cat_close();

	/* The writer sees the same catalogue. */
	cr_assert_not_null(h_w = writer_open(h_dir));
	cr_assert_eq(h_line("2020-03-01T10:00:00,1,GET /rate/m42+2000=4"),
	    PARSE_OK);
	cr_assert_eq(h_line("2020-03-01T10:00:00,1,GET /rate/later+2002=4"),
	    PARSE_OK);
	h_writer_close();
	cr_assert_eq(qi("SELECT movie_id FROM ratings WHERE movie_id = 42"),
	    42);
	cr_assert_eq(qi("SELECT id FROM movies WHERE slug = 'later+2002'"),
	    302);
	cr_assert_eq(qi("SELECT COUNT(*) FROM movies"), 302);
}

Test(catalog, spelling_is_kept_byte_for_byte)
{
	static const char *const	slugs[] = {
		"heat+1995", "heat+1995+",
		"heat++1995", "heat_1995", "heat.1995", "heat+1995\xc2\xa0",
		"caf\xc3\xa9+2001", "cafe\xcc\x81+2001",	/* NFC, NFD */
		"\xe6\x97\xa5\xe6\x9c\xac+2000", "a", "1",
	};
	char		 max[PARSE_SLUG_MAX + 1], buf[32];
	size_t		 i, n = sizeof(slugs) / sizeof(slugs[0]);
	sqlite3		*db;
	sqlite3_stmt	*q;

	memset(max, 'z', PARSE_SLUG_MAX);
	max[PARSE_SLUG_MAX] = '\0';
	cat_open();
	for (i = 0; i < n; i++)
		cr_assert_eq(catalog_id(&cat, slugs[i], NULL, 1), (int32_t)i + 1,
		    "%s", slugs[i]);
	cr_assert_eq(catalog_id(&cat, max, NULL, 1), (int32_t)n + 1);
	commit((int64_t)n + 1);
	cat_close();

	cr_assert_eq(sqlite3_open_v2(h_db, &db, SQLITE_OPEN_READONLY, NULL),
	    SQLITE_OK);
	cr_assert_eq(sqlite3_prepare_v2(db, "SELECT slug, typeof(slug) FROM "
	    "movies WHERE id = ?1", -1, &q, NULL), SQLITE_OK);
	for (i = 0; i <= n; i++) {
		const char	*want = i < n ? slugs[i] : max;

		sqlite3_bind_int(q, 1, (int)i + 1);
		cr_assert_eq(sqlite3_step(q), SQLITE_ROW);
		cr_assert_str_eq((const char *)sqlite3_column_text(q, 1),
		    "text");
		cr_assert_eq((size_t)sqlite3_column_bytes(q, 0), strlen(want));
		cr_assert_eq(memcmp(sqlite3_column_text(q, 0), want,
		    strlen(want)), 0, "slug %zu changed", i + 1);
		sqlite3_reset(q);
	}
	sqlite3_finalize(q);
	sqlite3_close(db);

	/* Reopened: every spelling finds its own id. */
	cat_open();
	for (i = 0; i < n; i++)
		cr_assert_eq(catalog_id(&cat, slugs[i], NULL, 1), (int32_t)i + 1);
	cr_assert_eq(catalog_id(&cat, max, NULL, 1), (int32_t)n + 1);
	cr_assert_eq(cat.nmovies, (int32_t)n + 1);
	cr_assert_str_eq(qs(buf, "SELECT title FROM movies WHERE id = 2"),
	    "heat 1995 ", "no year at the end: all of it is the title");
}

/* ---- aliases: spellings of one movie */

Test(catalog, spellings_of_one_movie_are_one_entry_served_as_last_spelled)
{
	char	buf[128];

	cat_open();
	cr_assert_eq(catalog_id(&cat, "face%2Foff+1997", NULL, 1), 1);
	cr_assert_eq(catalog_id(&cat, "marina+abramovi%C4%87%3A+the+artist+"
	    "is+present+2012", NULL, 1), 2);
	commit(2);
	cr_assert_str_eq(qs(buf, "SELECT slug FROM movies WHERE id = 1"),
	    "face%2Foff+1997", "stored as spelled, not decoded");
	cr_assert_str_eq(qs(buf, "SELECT title || '|' || year FROM movies "
	    "WHERE id = 1"), "face/off|1997", "the title decoded");

	/* Case and encoding: the same key, the same movie. */
	cr_assert_eq(catalog_id(&cat, "Face%2foff+1997", NULL, 1), 1);
	cr_assert_eq(catalog_id(&cat, "face%2Foff%201997", NULL, 1), 1);
	cr_assert_eq(catalog_id(&cat, "marina+abramovi\xc4\x87:+the+artist+"
	    "is+present+2012", NULL, 1), 2);
	/* A catalogue import names it, the stream's spelling stays. */
	cr_assert_eq(catalog_id(&cat, "marina+abramovi%c4%87%3a+the+artist+"
	    "is+present+2012", NULL, 0), 2);
	/* Different keys, different movies. */
	cr_assert_eq(catalog_id(&cat, "face+off+1997", NULL, 1), 3);
	cr_assert_eq(catalog_id(&cat, "face%2Foff+1997+", NULL, 1), 4);
	cr_assert_eq(catalog_id(&cat, "face off 1997", NULL, 1), -1,
	    "no movie id");
	cr_assert_eq(cat.nmovies, 4);
	commit(2);

	/* The stream's latest spelling is the one stored and served. */
	cr_assert_str_eq(qs(buf, "SELECT slug FROM movies WHERE id = 1"),
	    "face%2Foff%201997");
	cr_assert_str_eq(catalog_slug(&cat, 1), "face%2Foff%201997");
	cr_assert_str_eq(qs(buf, "SELECT slug FROM movies WHERE id = 2"),
	    "marina+abramovi\xc4\x87:+the+artist+is+present+2012");
	cr_assert_eq(qi("SELECT COUNT(*) FROM movies"), 4);

	/* Reopened: the aliases still find their movie. */
	cat_close();
	cat_open();
	cr_assert_eq(catalog_id(&cat, "FACE%2FOFF+1997", NULL, 1), 1);
	cr_assert_eq(catalog_id(&cat, "marina+abramovi%C4%87%3A+the+artist+"
	    "is+present+2012", NULL, 1), 2);
	cr_assert_eq(cat.nmovies, 4);
}

Test(catalog, a_spelling_an_older_version_decoded_is_its_own_key)
{
	char	buf[64];

	/* Before spellings were kept, slugs were stored decoded. */
	cat_open();
	cat_close();
	h_exec("INSERT INTO movies (id, slug) VALUES (1, 'face/off+1997'), "
	    "(2, 'caf\xc3\xa9+2001')");
	cat_open();
	cr_assert_eq(catalog_id(&cat, "face%2Foff+1997", NULL, 1), 1);
	cr_assert_eq(catalog_id(&cat, "caf%C3%A9+2001", NULL, 1), 2);
	commit(0);
	cr_assert_str_eq(qs(buf, "SELECT slug FROM movies WHERE id = 1"),
	    "face%2Foff+1997", "respelled as the stream spells it now");
}

/* ---- metadata, first seen */

Test(catalog, metadata_updates_keep_what_is_known)
{
	char	buf[128];

	cat_open();
	cr_assert_eq(catalog_id(&cat, "heat+1995", NULL, 1), 1);
	cr_assert_eq(catalog_meta(&cat, 1, "Heat", 1995, "Action|Crime"), 0);
	commit(1);
	cr_assert_str_eq(qs(buf, "SELECT title || '|' || year || '|' || "
	    "genres FROM movies WHERE id = 1"), "Heat|1995|Action|Crime");
	/* Unknown (NULL, 0): kept; known: replaced. */
	cr_assert_eq(catalog_meta(&cat, 1, NULL, 0, NULL), 0);
	commit(0);
	cr_assert_str_eq(qs(buf, "SELECT title || '|' || year || '|' || "
	    "genres FROM movies WHERE id = 1"), "Heat|1995|Action|Crime");
	cr_assert_eq(catalog_meta(&cat, 1, NULL, 1996, NULL), 0);
	cr_assert_eq(catalog_meta(&cat, 1, "Heat (1995)", 0, ""), 0);
	commit(0);
	cr_assert_str_eq(qs(buf, "SELECT title || '|' || year || '|' || "
	    "quote(genres) FROM movies WHERE id = 1"), "Heat (1995)|1996|''");
	/* Several in one batch: the last known value wins. */
	cr_assert_eq(catalog_id(&cat, "alien+1979", NULL, 1), 2);
	cr_assert_eq(catalog_meta(&cat, 2, "A", 0, "Horror"), 0);
	cr_assert_eq(catalog_meta(&cat, 2, "Alien", 0, NULL), 0);
	cr_assert_eq(catalog_meta(&cat, 1, "Heat", 0, NULL), 0);
	commit(1);
	cr_assert_str_eq(qs(buf, "SELECT title || '|' || year || '|' || "
	    "genres FROM movies WHERE id = 2"), "Alien|1979|Horror");
	cr_assert_str_eq(qs(buf, "SELECT title FROM movies WHERE id = 1"),
	    "Heat");
	/* The batch's strings are gone after the commit, not reapplied. */
	h_exec("UPDATE movies SET title = 'other' WHERE id = 2");
	commit(0);
	cr_assert_str_eq(qs(buf, "SELECT title FROM movies WHERE id = 2"),
	    "other");
}

Test(catalog, first_seen_keeps_the_earliest_time)
{
	cat_open();
	cr_assert_eq(catalog_id(&cat, "heat+1995", NULL, 1), 1);
	cr_assert_eq(catalog_id(&cat, "alien+1979", NULL, 1), 2);
	cr_assert_eq(catalog_seen(&cat, 1, 5000), 0);
	cr_assert_eq(catalog_seen(&cat, 1, 3000), 0);
	cr_assert_eq(catalog_seen(&cat, 1, 9000), 0);
	cr_assert_eq(catalog_seen(&cat, 2, 7000), 0);
	commit(2);
	cr_assert_eq(qi("SELECT first_ts FROM movies WHERE id = 1"), 3000);
	cr_assert_eq(qi("SELECT first_ts FROM movies WHERE id = 2"), 7000);
	/* Later batches: only an earlier time moves it. */
	cr_assert_eq(catalog_seen(&cat, 1, 4000), 0);
	cr_assert_eq(catalog_seen(&cat, 2, 6999), 0);
	commit(0);
	cr_assert_eq(qi("SELECT first_ts FROM movies WHERE id = 1"), 3000);
	cr_assert_eq(qi("SELECT first_ts FROM movies WHERE id = 2"), 6999);
	cr_assert_eq(catalog_seen(&cat, 1, -5), 0);
	commit(0);
	cr_assert_eq(qi("SELECT first_ts FROM movies WHERE id = 1"), -5);
}

/* ---- failures */

Test(catalog, a_failed_write_keeps_the_batch_for_a_retry)
{
	char	buf[64];

	cat_open();
	cr_assert_eq(catalog_id(&cat, "heat+1995", NULL, 1), 1);
	commit(1);
	cr_assert_eq(catalog_id(&cat, "alien+1979", NULL, 1), 2);
	cr_assert_eq(catalog_id(&cat, "up+2009", NULL, 1), 3);
	cr_assert_eq(catalog_meta(&cat, 1, "Heat", 0, NULL), 0);
	cr_assert_eq(catalog_seen(&cat, 2, 100), 0);
	/* Someone else took id 3: the insert fails, nothing is written. */
	h_exec("INSERT INTO movies (id, slug) VALUES (3, 'squatter')");
	cr_assert_eq(write_batch(NULL), -1);
	cr_assert_eq(cat.committed, 1);
	cr_assert_eq(qi("SELECT COUNT(*) FROM movies WHERE id = 2"), 0);
	cr_assert_str_eq(qs(buf, "SELECT title FROM movies WHERE id = 1"),
	    "heat");
	/* Gone again: the retry writes all of it. */
	h_exec("DELETE FROM movies WHERE id = 3");
	commit(2);
	cr_assert_str_eq(qs(buf, "SELECT slug FROM movies WHERE id = 3"),
	    "up+2009");
	cr_assert_str_eq(qs(buf, "SELECT title FROM movies WHERE id = 1"),
	    "Heat");
	cr_assert_eq(qi("SELECT first_ts FROM movies WHERE id = 2"), 100);
}

Test(catalog, out_of_memory_refuses_a_new_slug_and_leaves_no_gap)
{
	char	slug[32];
	int32_t	id, next = 1;
	int	k, fired, nomem = 0;

	cat_open();
	for (k = 1; k <= 400; k++) {
		snprintf(slug, sizeof(slug), "s%d+2000", k);
		fault_arm(k % 4 + 1, 0);
		id = catalog_id(&cat, slug, NULL, 1);
		fired = fault_arm(0, 0);
		cr_assert(id == next || (id == CATALOG_NOMEM && fired),
		    "round %d: %d", k, id);
		if (id == CATALOG_NOMEM) {
			nomem++;
			cr_assert_eq(cat.nmovies, next - 1);
			cr_assert_null(catalog_slug(&cat, next));
			/* Not half known: asked again, it is new. */
			cr_assert_eq(catalog_id(&cat, slug, NULL, 1), next);
		}
		cr_assert_str_eq(catalog_slug(&cat, next), slug);
		next++;
	}
	cr_assert_gt(nomem, 0, "no allocation failed: nothing tested");
	/* Every allocation failing. */
	fault_arm(1, 1);
	cr_assert_eq(catalog_id(&cat, "never+2000", NULL, 1), CATALOG_NOMEM);
	cr_assert_eq(catalog_id(&cat, "s7+2000", NULL, 1), 7, "known slugs still work");
	cr_assert_eq(catalog_meta(&cat, 7, "Seven", 0, NULL), -1);
	cr_assert_eq(catalog_seen(&cat, 7, 1), -1);
	fault_arm(0, 0);
	commit(400);
	cr_assert_eq(qi("SELECT COUNT(*) FROM movies"), 400);
	cr_assert_eq(qi("SELECT MAX(id) FROM movies"), 400);
	cr_assert_eq(qi("SELECT id FROM movies WHERE slug = 's250+2000'"), 250);
	cr_log_info("%d of 400 new slugs refused for memory", nomem);
}

/*
 * Regression (catalog.c), fixed: catalog_meta took the row and answered 0
 * when a string did not fit, so the title was lost and the genres written.
 */
Test(catalog, metadata_out_of_memory_takes_nothing_and_says_so)
{
	char	buf[128];
	int	k, rc, fired, refused = 0;

	cat_open();
	cr_assert_eq(catalog_id(&cat, "heat+1995", NULL, 1), 1);
	commit(1);
	/* The row array has room: only the strings can fail. */
	cr_assert_eq(catalog_meta(&cat, 1, NULL, 0, NULL), 0);
	for (k = 1; k <= 3; k++) {
		fault_arm(k, 0);
		rc = catalog_meta(&cat, 1, "Heat", 1995, "Action");
		fired = fault_arm(0, 0);
		cr_assert_eq(rc, fired ? -1 : 0, "round %d: a failed "
		    "allocation must refuse the row", k);
		refused += rc == -1;
		if (rc == -1) {
			commit(0);
			cr_assert_str_eq(qs(buf, "SELECT title || '|' || "
			    "quote(genres) FROM movies WHERE id = 1"),
			    "heat|NULL", "refused: nothing of it written");
		}
	}
	cr_assert_gt(refused, 0, "no allocation failed: nothing tested");
	cr_assert_eq(catalog_meta(&cat, 1, "Heat", 1995, "Action"), 0);
	commit(0);
	cr_assert_str_eq(qs(buf, "SELECT title || '|' || year || '|' || "
	    "genres FROM movies WHERE id = 1"), "Heat|1995|Action");
}

Test(catalog, open_fails_on_a_database_without_a_catalogue)
{
	sqlite3	*db;

	cr_assert_eq(sqlite3_open(":memory:", &db), SQLITE_OK);
	memset(&cat, 0x5a, sizeof(cat));
	cr_assert_eq(catalog_open(&cat, db), -1);
	cr_assert_null(cat.slug, "closed after a failure");
	cr_assert_null(cat.st_movie);
	catalog_close(&cat);	/* again: harmless */
	/* A table of the right name, another shape. */
	cr_assert_eq(sqlite3_exec(db, "CREATE TABLE movies (x)", NULL, NULL,
	    NULL), SQLITE_OK);
	cr_assert_eq(catalog_open(&cat, db), -1);
	cr_assert_eq(sqlite3_close(db), SQLITE_OK, "a statement was left");
}

Test(catalog, slug_title_guess_at_its_edges)
{
	char	t[16];
	int	y;

	catalog_slug_title("a+1994", t, sizeof(t), &y);
	cr_assert_str_eq(t, "a");
	cr_assert_eq(y, 1994);
	catalog_slug_title("+1994", t, sizeof(t), &y);	/* no title before */
	cr_assert_str_eq(t, " 1994");
	cr_assert_eq(y, 0);
	catalog_slug_title("a+199x", t, sizeof(t), &y);
	cr_assert_str_eq(t, "a 199x");
	cr_assert_eq(y, 0);
	catalog_slug_title("a+19945", t, sizeof(t), &y);
	cr_assert_str_eq(t, "a 19945");
	cr_assert_eq(y, 0);
	catalog_slug_title("a++0000", t, sizeof(t), &y);
	cr_assert_str_eq(t, "a ");
	cr_assert_eq(y, 0, "year 0000 is no year");
	catalog_slug_title("", t, sizeof(t), &y);
	cr_assert_str_eq(t, "");
	catalog_slug_title("abc", t, 1, &y);
	cr_assert_str_eq(t, "");
	catalog_slug_title("abcdefghijklmnopqrstuvwxyz+2001", t, sizeof(t),
	    &y);
	cr_assert_str_eq(t, "abcdefghijklmno");
	cr_assert_eq(y, 2001);
}
