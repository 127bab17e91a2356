/*
 * Unit tests for app/telemetry/ctr.c: a list followed by a start of one of
 * its movies within the click window (at the boundary and one past it),
 * the followed rank and minutes within 24 hours, the per-user latest
 * list, reco_stats rows per hour, source, model and arm, slots of served
 * lists, the click window setting, a failed commit retried, lists aging
 * out, out of memory in ctr_list, and ctr_load after a restart (lists,
 * ranks and slots).
 *
 * Times are relative to the wall clock: the tracker ages lists out by it.
 */
#include <criterion/criterion.h>

#include "harness.h"
#include "scratch.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "util/clock.h"
#include "util/fault.h"
#include "ingest/parse.h"
#include "store/store.h"
#include "store/writer.h"
#include "telemetry/ctr.h"

#define HOUR_MS	3600000LL
#define DAY_MS	86400000LL
#define M(m)	((int64_t)(m) * 60000LL)

/* The start of the hour two hours ago: lists from there on are live. */
static int64_t	t0;

static void
setup(void)
{
	h_scratch_setup();
	t0 = (clock_now_ms() / HOUR_MS - 2) * HOUR_MS;
}

TestSuite(ctr, .init = setup, .fini = h_scratch_teardown, .timeout = 60);

#define qi(...)		h_qi(h_db, __VA_ARGS__)
#define qs(o, n, ...)	h_qs(h_db, o, n, __VA_ARGS__)

/* A SERVED line of model 3, arm "a", 1000 us, 2 ids from the model. */
static void
served(int64_t ts, int64_t user, const char *ids)
{
	h_served(ts, user, 3, "a", 1000, 2, ids);
}

/* Minute `minute` of movie m<movie>+2000 by user at ts (ms precision). */
static void
watch(int64_t ts, int64_t user, int movie, int minute)
{
	char	b[32];

	clock_format(ts, b, sizeof(b));
	cr_assert_eq(h_line("%s,%lld,GET /data/m/m%d+2000/%d.mpg", b,
	    (long long)user, movie, minute), PARSE_OK);
}

static void
commit(void)
{
	cr_assert_eq(writer_commit(h_w), 0);
}

static void
reopen(void)
{
	cr_assert_eq(writer_close(h_w), 0);
	cr_assert_not_null(h_w = writer_open(h_dir));
}

/*
 * The reco_stats row of ts's hour, source, model and arm as "lists
 * nonempty personal followed rank_sum minutes_24h latency_us_sum".
 */
static const char *
stats(char *buf, int64_t ts, const char *source, int64_t version,
    const char *arm)
{
	return (qs(buf, 128, "SELECT lists || ' ' || nonempty || ' ' || "
	    "personal || ' ' || followed || ' ' || rank_sum || ' ' || "
	    "minutes_24h || ' ' || latency_us_sum FROM reco_stats WHERE "
	    "hour = %lld AND source = '%s' AND model_version = %lld AND "
	    "arm = '%s'", (long long)(ts / HOUR_MS), source,
	    (long long)version, arm));
}

/* The followed ranks as "log_id:rank ...". */
static const char *
follows(char *buf)
{
	return (qs(buf, 128, "SELECT COALESCE(group_concat(log_id || ':' || "
	    "rank, ' '), '') FROM (SELECT * FROM reco_follows ORDER BY "
	    "log_id)"));
}

/* ---- through the writer ---------------------------------------------- */

Test(ctr, a_start_within_the_window_follows_the_list_at_its_rank)
{
	char	buf[128];

	h_writer_movies(5);
	served(t0 + M(1), 7, "3,1,4");
	watch(t0 + M(3), 7, 4, 0);
	watch(t0 + M(4), 7, 4, 1);
	commit();
	cr_assert_str_eq(stats(buf, t0, "served", 3, "a"), "1 1 1 1 3 2 1000");
	cr_assert_str_eq(follows(buf), "1:3");
	cr_assert_eq(qi("SELECT followed_rank FROM reco_log WHERE id = 1"), 3);
	cr_assert_eq(qi("SELECT COUNT(*) FROM reco_stats"), 1);
}

Test(ctr, the_window_ends_at_its_last_millisecond)
{
	char	buf[128];
	int64_t	t = t0 + M(1);

	h_writer_movies(3);
	served(t, 1, "1,2");
	served(t, 2, "1,2");
	served(t, 3, "1,2");
	watch(t + 300000, 1, 2, 0);	/* the window's last ms: followed */
	watch(t + 300001, 2, 2, 0);	/* one past: a minute, no follow */
	watch(t - CTR_SKEW_MS - 1, 3, 1, 0);	/* before the list: nothing */
	watch(t + M(1), 3, 3, 0);	/* a movie not listed: nothing */
	watch(t + M(1), 4, 1, 0);	/* a user without a list: nothing */
	commit();
	cr_assert_str_eq(stats(buf, t, "served", 3, "a"), "3 3 3 1 2 2 3000");
	cr_assert_str_eq(follows(buf), "1:2");
}

Test(ctr, a_watch_a_moment_before_the_list_follows_it_clocks_differ)
{
	char	buf[128];
	int64_t	t = t0 + M(1) + 300;	/* our clock: ms */

	h_writer_movies(3);
	served(t, 1, "1,2");
	served(t, 2, "1,2");
	/* The stream's clock: whole seconds, 300 ms "before" the list. */
	watch(t - 300, 1, 2, 0);
	watch(t - CTR_SKEW_MS, 2, 1, 0);	/* the allowance's edge */
	commit();
	cr_assert_str_eq(stats(buf, t, "served", 3, "a"), "2 2 2 2 3 2 2000");

	/* No allowance: the old behaviour, the follow missed. */
	writer_set_click_skew(h_w, 0);
	served(t + M(2), 3, "1,2");
	watch(t + M(2) - 300, 3, 2, 0);
	commit();
	cr_assert_str_eq(follows(buf), "1:2 2:1");
}

Test(ctr, minutes_count_for_24_hours_and_no_longer)
{
	char	buf[128];
	int64_t	t = t0 + M(1);

	h_writer_movies(2);
	served(t, 1, "1,2");
	watch(t + M(10), 1, 1, 0);
	watch(t + DAY_MS, 1, 1, 1);	/* the 24 hours' last ms */
	watch(t + DAY_MS + 1, 1, 2, 0);
	commit();
	cr_assert_str_eq(stats(buf, t, "served", 3, "a"), "1 1 1 0 0 2 1000");
	cr_assert_str_eq(follows(buf), "");
}

Test(ctr, only_the_first_start_follows_and_its_rank_stays)
{
	char	buf[128];
	int64_t	t = t0 + M(1);

	h_writer_movies(3);
	served(t, 9, "1,2,3");
	watch(t + M(1), 9, 2, 0);
	watch(t + M(2), 9, 1, 0);
	watch(t + M(3), 9, 3, 0);
	commit();
	cr_assert_str_eq(stats(buf, t, "served", 3, "a"), "1 1 1 1 2 3 1000");
	/* A later batch: more minutes, no second follow. */
	watch(t + M(4), 9, 1, 1);
	commit();
	cr_assert_str_eq(stats(buf, t, "served", 3, "a"), "1 1 1 1 2 4 1000");
	cr_assert_str_eq(follows(buf), "1:2");
}

Test(ctr, a_newer_list_replaces_the_users_older_one)
{
	char	buf[128];
	int64_t	t = t0 + M(1);

	h_writer_movies(4);
	served(t, 5, "1,2");
	served(t + M(1), 5, "3,4");
	served(t + M(1), 6, "1");		/* someone else's stays */
	watch(t + M(2), 5, 1, 0);		/* in the replaced list only */
	watch(t + M(3), 5, 4, 0);
	watch(t + M(3), 6, 1, 0);
	commit();
	cr_assert_str_eq(stats(buf, t, "served", 3, "a"), "3 3 3 2 3 2 3000");
	cr_assert_str_eq(follows(buf), "2:2 3:1");
}

Test(ctr, the_21st_movie_of_a_list_is_not_tracked)
{
	char	ids[256], buf[128];
	size_t	len = 0;
	int	i;

	h_writer_movies(CTR_TRACKED + 1);
	for (i = 1; i <= CTR_TRACKED + 1; i++)
		len += (size_t)snprintf(ids + len, sizeof(ids) - len, "%s%d",
		    i > 1 ? "," : "", i);
	served(t0, 1, ids);
	served(t0, 2, ids);
	watch(t0 + M(1), 1, CTR_TRACKED + 1, 0);
	watch(t0 + M(1), 2, CTR_TRACKED, 0);
	commit();
	cr_assert_str_eq(stats(buf, t0, "served", 3, "a"), "2 2 2 1 20 1 2000");
	cr_assert_str_eq(follows(buf), "2:20");
	/* The log keeps the list whole all the same. */
	cr_assert_str_eq(qs(buf, sizeof(buf), "SELECT movies FROM reco_log "
	    "WHERE id = 1"), ids);
}

Test(ctr, lists_count_per_hour_source_model_and_arm)
{
	char	buf[128], b[32];

	h_writer_movies(2);
	h_served(t0 + M(1), 1, 3, "a", 1000, 2, "1,2");
	h_served(t0 + M(2), 2, 3, "a", 3000, 0, "");	/* empty, impersonal */
	h_served(t0 + M(3), 3, 4, "a", 500, 1, "2");
	h_served(t0 + M(4), 4, 3, "-", 700, 1, "1");
	h_served(t0 + HOUR_MS + M(1), 5, 3, "a", 900, 1, "1");
	clock_format(t0 + M(5), b, sizeof(b));
	cr_assert_eq(h_line("%s,6,recommendation request h:1, status 200, "
	    "result: m1+2000, m2+2000, 7 ms", b), PARSE_OK);
	watch(t0 + M(6), 6, 2, 0);		/* follows the external list */
	watch(t0 + M(6), 4, 1, 0);
	commit();

	cr_assert_eq(qi("SELECT COUNT(*) FROM reco_stats"), 5);
	cr_assert_str_eq(stats(buf, t0, "served", 3, "a"), "2 1 1 0 0 0 4000");
	cr_assert_str_eq(stats(buf, t0, "served", 4, "a"), "1 1 1 0 0 0 500");
	cr_assert_str_eq(stats(buf, t0, "served", 3, ""), "1 1 1 1 1 1 700");
	cr_assert_str_eq(stats(buf, t0 + HOUR_MS, "served", 3, "a"),
	    "1 1 1 0 0 0 900");
	cr_assert_str_eq(stats(buf, t0, "external", 0, ""),
	    "1 1 0 1 2 1 7000");
	/* A second batch adds to the same rows. */
	h_served(t0 + M(7), 7, 3, "a", 1000, 2, "1");
	commit();
	cr_assert_str_eq(stats(buf, t0, "served", 3, "a"), "3 2 2 0 0 0 5000");
	cr_assert_eq(qi("SELECT COUNT(*) FROM reco_stats"), 5);
}

Test(ctr, users_count_once_per_arm_and_slow_lists_by_threshold)
{
	h_writer_movies(2);
	/* User 1 twice under 1/a, user 2 once: 2 users, 3 lists. */
	h_served(t0 + M(1), 1, 3, "1/a", 1500, 1, "1");
	h_served(t0 + M(2), 1, 3, "1/a", 800, 1, "2");
	h_served(t0 + M(3), 2, 3, "1/a", 30000, 1, "1");
	/* User 1 under another arm (a new experiment): one more there. */
	h_served(t0 + M(4), 1, 3, "2/b", 900, 1, "1");
	commit();
	cr_assert_eq(qi("SELECT users FROM reco_stats WHERE arm = '1/a'"), 2);
	cr_assert_eq(qi("SELECT lists FROM reco_stats WHERE arm = '1/a'"), 3);
	cr_assert_eq(qi("SELECT users FROM reco_stats WHERE arm = '2/b'"), 1);
	/* 1.5 ms and 30 ms: over 1 ms two, over 20 ms one, over 100 none. */
	cr_assert_eq(qi("SELECT over_1ms || over_2ms || over_5ms || over_20ms "
	    "|| over_100ms FROM reco_stats WHERE arm = '1/a'"), 21110);
	/* Another batch: user 2 again is no new user. */
	h_served(t0 + M(5), 2, 3, "1/a", 500, 1, "2");
	commit();
	cr_assert_eq(qi("SELECT users FROM reco_stats WHERE arm = '1/a'"), 2);
	cr_assert_eq(qi("SELECT lists FROM reco_stats WHERE arm = '1/a'"), 4);
}

Test(ctr, slots_count_the_served_lists_only_and_wait_for_a_rollup)
{
	char	b[32];
	int64_t	day = t0 / DAY_MS;

	h_writer_movies(3);
	writer_set_rollup(h_w, HOUR_MS);	/* the first and last only */
	served(t0, 1, "1,2");
	served(t0 + M(1), 2, "2,999,3");	/* 999: unknown, left out */
	clock_format(t0 + M(2), b, sizeof(b));
	cr_assert_eq(h_line("%s,3,recommendation request h:1, status 200, "
	    "result: m1+2000, m3+2000, 7 ms", b), PARSE_OK);
	commit();				/* the first roll-up */
	cr_assert_eq(qi("SELECT SUM(slots) FROM reco_movie_daily"), 4);
	cr_assert_eq(qi("SELECT slots FROM reco_movie_daily WHERE day = %lld "
	    "AND movie_id = 2", (long long)day), 2);
	cr_assert_eq(qi("SELECT COUNT(*) FROM reco_movie_daily WHERE "
	    "movie_id = 999"), 0);

	served(t0 + DAY_MS, 1, "1");		/* the next day */
	served(t0 + M(3), 4, "1,3");
	commit();
	cr_assert_eq(qi("SELECT SUM(slots) FROM reco_movie_daily"), 4,
	    "no roll-up: the slots wait");
	h_writer_close();	/* the last roll-up */
	cr_assert_eq(qi("SELECT SUM(slots) FROM reco_movie_daily"), 7);
	cr_assert_eq(qi("SELECT slots FROM reco_movie_daily WHERE day = %lld "
	    "AND movie_id = 1", (long long)day), 2);
	cr_assert_eq(qi("SELECT slots FROM reco_movie_daily WHERE day = %lld "
	    "AND movie_id = 1", (long long)day + 1), 1);
	cr_assert_eq(qi("SELECT slots FROM reco_movie_daily WHERE day = %lld "
	    "AND movie_id = 3", (long long)day), 2);
}

Test(ctr, the_click_window_in_force_judges_each_start)
{
	char	buf[128];
	int64_t	t = t0 + M(1);

	h_writer_movies(2);
	writer_set_click_window(h_w, 60000);
	served(t, 1, "1");
	served(t, 2, "1");
	served(t, 3, "2");
	watch(t + 60000, 1, 1, 0);		/* within a minute */
	watch(t + 60001, 2, 1, 0);		/* not */
	commit();
	cr_assert_str_eq(follows(buf), "1:1");
	/* Wider now: user 3's list, given under the old window, follows. */
	writer_set_click_window(h_w, M(10));
	watch(t + M(9), 3, 2, 0);
	watch(t + M(9), 2, 1, 1);		/* so does user 2's, now */
	commit();
	cr_assert_str_eq(follows(buf), "1:1 2:1 3:1");
	cr_assert_str_eq(stats(buf, t, "served", 3, "a"), "3 3 3 3 3 4 3000");
}

Test(ctr, a_failed_commit_keeps_the_deltas_and_a_retry_counts_them_once)
{
	char	buf[128];

	h_writer_movies(2);
	h_fail_writes("counters");
	served(t0 + M(1), 1, "1,2");
	watch(t0 + M(2), 1, 2, 0);
	cr_assert_eq(writer_commit(h_w), -1);
	cr_assert_eq(writer_commit(h_w), -1);
	cr_assert_eq(qi("SELECT COUNT(*) FROM reco_stats"), 0);
	cr_assert_eq(qi("SELECT COUNT(*) FROM reco_follows"), 0);
	h_fail_writes_off();
	commit();
	cr_assert_str_eq(stats(buf, t0, "served", 3, "a"), "1 1 1 1 2 1 1000");
	cr_assert_str_eq(follows(buf), "1:2");
	cr_assert_eq(qi("SELECT SUM(slots) FROM reco_movie_daily"), 2);
}

Test(ctr, lists_of_the_last_day_and_their_ranks_are_reloaded)
{
	char	buf[128];
	int64_t	t = t0 + M(1), old = clock_now_ms() - DAY_MS - M(30);

	h_writer_movies(4);
	served(t, 7, "1,2");
	served(t, 8, "3,4");
	served(old, 9, "1");
	watch(t + M(1), 8, 4, 0);		/* followed before restarting */
	commit();
	reopen();
	watch(t + M(2), 7, 2, 0);		/* a reloaded list follows */
	watch(t + M(2), 8, 3, 0);		/* followed already: minutes */
	watch(old + M(1), 9, 1, 0);		/* older than a day: gone */
	commit();
	cr_assert_str_eq(follows(buf), "1:2 2:2");
	cr_assert_str_eq(stats(buf, t, "served", 3, "a"), "2 2 2 2 4 3 2000",
	    "reloading is no new traffic, and no list follows twice");
	cr_assert_str_eq(stats(buf, old, "served", 3, "a"), "1 1 1 0 0 0 1000");
	cr_assert_eq(qi("SELECT COUNT(*) FROM reco_log"), 3);
	/* Again, after the follow of the second session. */
	reopen();
	watch(t + M(3), 7, 1, 0);
	commit();
	cr_assert_str_eq(follows(buf), "1:2 2:2");
	cr_assert_str_eq(stats(buf, t, "served", 3, "a"), "2 2 2 2 4 4 2000");
}

/*
 * A restart reads the day's chunks newest first and keeps each user's
 * first list met, so the rest of a user's lists must not win over it; a
 * chunk that cannot be read costs its own lists only (it used to stop the
 * writer from opening at all).
 */
Test(ctr, a_reload_keeps_each_users_newest_list_and_skips_a_damaged_chunk)
{
	char	buf[256], ids[16];
	int64_t	t = t0 + M(1), old = clock_now_ms() - DAY_MS - M(30);
	int	i, u;

	h_writer_movies(5);
	served(t - 1, 100, "5");		/* list 1, in the oldest chunk */
	for (i = 0; i < 600; i++) {		/* lists 2 .. 601 */
		snprintf(ids, sizeof(ids), "%d,%d", i % 5 + 1, (i + 1) % 5 + 1);
		served(t + i, i % 7 + 1, ids);
	}
	served(old, 101, "1");			/* list 602, older than a day */
	commit();
	cr_assert_eq(qi("SELECT COUNT(*) FROM reco_log_chunks"), 3);
	h_writer_close();
	/* The middle chunk (lists 257 .. 512) cut in two. */
	h_exec("UPDATE reco_log_chunks SET lists = substr(lists, 1, "
	    "length(lists) / 2) WHERE first_id = 257");
	cr_assert_not_null(h_w = writer_open(h_dir));

	/* Each of users 1..7 starts the first movie of their newest list. */
	for (u = 1; u <= 7; u++) {
		i = 599 - (599 - (u - 1)) % 7;
		watch(t + M(4), u, i % 5 + 1, 0);
	}
	watch(t + M(4), 100, 5, 0);
	watch(old + M(1), 101, 1, 0);
	commit();
	/* Newest lists 596 .. 601 and 595 (user 1: i = 594), list 1. */
	cr_assert_str_eq(follows(buf), "1:1 595:1 596:1 597:1 598:1 599:1 "
	    "600:1 601:1");
}

/* ---- the API directly -------------------------------------------------- */

/* A read-write connection of the writer's role on h_dir. */
static void
store_rw(struct store *s)
{
	cr_assert_eq(store_open(s, h_dir, STORE_CREATE | STORE_ROLE_EVENTS), 0);
}

/* ctr_write in a transaction of its own, then ctr_committed. */
static void
write_commit(struct ctr *c, struct store *s, int slots, int64_t now)
{
	cr_assert_eq(store_exec(s, "BEGIN IMMEDIATE"), 0);
	cr_assert_eq(ctr_write(c, s->db, slots), 0);
	cr_assert_eq(store_exec(s, "COMMIT"), 0);
	ctr_committed(c, now);
}

Test(ctr, lists_older_than_a_day_age_out_when_committed)
{
	struct store	 s;
	struct ctr	*c;
	const int32_t	 ids[] = { 1, 2 };
	int64_t		 now = clock_now_ms(), old = now - DAY_MS - M(10);
	char		 buf[128];

	store_rw(&s);
	cr_assert_not_null(c = ctr_new(300000));
	cr_assert_eq(ctr_list(c, 1, 5, old, ids, 2, CTR_SERVED, 0, "", 0, 0),
	    0);
	cr_assert_eq(ctr_list(c, 2, 6, now - M(10), ids, 2, CTR_EXTERNAL, 0,
	    "", 0, 0), 0);
	write_commit(c, &s, 1, now);		/* the first sweeps */
	ctr_watch(c, 5, 1, old + M(1));
	ctr_watch(c, 6, 2, now - M(9));
	write_commit(c, &s, 1, now);
	cr_assert_str_eq(stats(buf, old, "served", 0, ""), "1 1 0 0 0 0 0");
	cr_assert_str_eq(stats(buf, now - M(10), "external", 0, ""),
	    "1 1 0 1 2 1 0");
	cr_assert_str_eq(follows(buf), "2:2");
	cr_assert_eq(qi("SELECT SUM(slots) FROM reco_movie_daily"), 2,
	    "slots of served lists only");
	ctr_free(c);
	store_close(&s);
}

Test(ctr, a_failed_write_keeps_the_deltas_for_the_retry)
{
	struct store	 s;
	struct ctr	*c;
	sqlite3		*bare;
	const int32_t	 ids[] = { 4, 5, 6 };
	int64_t		 now = clock_now_ms();
	char		 buf[128];

	store_rw(&s);
	cr_assert_eq(sqlite3_open(":memory:", &bare), SQLITE_OK);
	cr_assert_not_null(c = ctr_new(300000));
	cr_assert_eq(ctr_list(c, 1, 5, now, ids, 3, CTR_SERVED, 2, "x",
	    1500, 3), 0);
	ctr_watch(c, 5, 6, now + 1000);
	cr_assert_eq(ctr_write(c, bare, 1), -1, "no tables there");
	sqlite3_close(bare);
	/* The slot deltas wait for a write that takes them. */
	write_commit(c, &s, 0, now);
	cr_assert_str_eq(stats(buf, now, "served", 2, "x"), "1 1 1 1 3 1 1500");
	cr_assert_str_eq(follows(buf), "1:3");
	cr_assert_eq(qi("SELECT COUNT(*) FROM reco_movie_daily"), 0);
	write_commit(c, &s, 1, now);
	cr_assert_eq(qi("SELECT COUNT(*) FROM reco_movie_daily WHERE day = "
	    "%lld AND slots = 1", (long long)(now / DAY_MS)), 3);
	/* Written and committed: nothing is written twice. */
	write_commit(c, &s, 1, now);
	cr_assert_str_eq(stats(buf, now, "served", 2, "x"), "1 1 1 1 3 1 1500");
	cr_assert_eq(qi("SELECT SUM(slots) FROM reco_movie_daily"), 3);
	ctr_free(c);
	ctr_free(NULL);
	store_close(&s);
}

Test(ctr, load_counts_the_slots_of_the_served_lists_after_rolled_again)
{
	struct store	 s;
	struct ctr	*c;
	char		 b[32], before[128], buf[128];
	int64_t		 t = t0 + M(1), now = clock_now_ms();

	h_writer_movies(3);
	served(t, 1, "1,2,3");
	served(t + 5, 2, "3,2");
	clock_format(t + 6, b, sizeof(b));
	cr_assert_eq(h_line("%s,3,recommendation request h:1, status 200, "
	    "result: m1+2000, 5 ms", b), PARSE_OK);
	served(t + 7, 1, "3");
	h_writer_close();
	cr_assert_eq(qi("SELECT SUM(slots) FROM reco_movie_daily"), 6);
	stats(before, t, "served", 3, "a");

	store_rw(&s);
	cr_assert_not_null(c = ctr_new(300000));
	cr_assert_eq(ctr_load(c, s.db, now, 1), 0);
	write_commit(c, &s, 1, now);
	/* Lists 2 and 4 again (3 is external): movie 3 twice, 2 once. */
	cr_assert_eq(qi("SELECT SUM(slots) FROM reco_movie_daily"), 9);
	cr_assert_eq(qi("SELECT slots FROM reco_movie_daily WHERE movie_id = "
	    "3"), 5);
	cr_assert_eq(qi("SELECT slots FROM reco_movie_daily WHERE movie_id = "
	    "1"), 1);
	cr_assert_str_eq(stats(buf, t, "served", 3, "a"), before,
	    "a reload adds no lists");

	/* The reloaded lists are live: user 2's, user 1's newest. */
	ctr_watch(c, 2, 2, t + M(1));
	ctr_watch(c, 1, 1, t + M(1));
	ctr_watch(c, 3, 1, t + M(1));
	write_commit(c, &s, 1, now);
	cr_assert_str_eq(follows(buf), "2:2 3:1");
	cr_assert_str_eq(stats(buf, t, "served", 3, "a"), "3 3 3 1 2 1 3000");
	cr_assert_str_eq(stats(buf, t, "external", 0, ""), "1 1 0 1 1 1 5000");
	ctr_free(c);

	/* From the last list on: nothing to count again. */
	cr_assert_not_null(c = ctr_new(300000));
	cr_assert_eq(ctr_load(c, s.db, now, 4), 0);
	write_commit(c, &s, 1, now);
	cr_assert_eq(qi("SELECT SUM(slots) FROM reco_movie_daily"), 9);
	ctr_free(c);
	store_close(&s);
}

Test(ctr, load_fails_on_a_database_without_the_log)
{
	struct ctr	*c;
	sqlite3		*bare;

	cr_assert_eq(sqlite3_open(":memory:", &bare), SQLITE_OK);
	cr_assert_not_null(c = ctr_new(300000));
	cr_assert_eq(ctr_load(c, bare, clock_now_ms(), 0), -1);
	ctr_free(c);
	sqlite3_close(bare);
}

/*
 * Out of memory at each allocation of ctr_list in turn (new users, movies
 * of a new day): -1 or 0, never a crash, and the tracker goes on.
 */
Test(ctr, every_allocation_failure_in_a_list_leaves_a_working_tracker)
{
	struct store	 s;
	struct ctr	*c;
	int32_t		 ids[CTR_TRACKED];
	int64_t		 now = clock_now_ms();
	char		 buf[128];
	int		 k, i, rc, fired, failed = 0;

	store_rw(&s);
	cr_assert_not_null(c = ctr_new(300000));
	for (i = 0; i < CTR_TRACKED; i++)
		ids[i] = 1000 * (i + 1);
	for (k = 1; k < 200; k++) {
		fault_arm(k, 0);
		rc = ctr_list(c, k, 100 + k, now - DAY_MS + k * 1000, ids,
		    CTR_TRACKED, CTR_SERVED, 0, "", 0, 0);
		fired = fault_arm(0, 0);
		cr_assert(rc == 0 || rc == -1);
		cr_assert(rc == 0 || fired, "-1 with no failed allocation");
		failed += rc == -1;
		if (!fired)
			break;
		/* Every few rounds, written: the arrays are reused. */
		if (k % 4 == 0)
			write_commit(c, &s, 1, now);
	}
	cr_assert_geq(failed, 3, "the loop failed too few allocations: %d",
	    failed);
	write_commit(c, &s, 1, now);
	/* A list refused is not counted, a list taken is (once). */
	cr_assert_eq(h_qi(h_db, "SELECT SUM(lists) FROM reco_stats"),
	    k - failed);
	/* Unarmed again: a list is taken and followed. */
	cr_assert_eq(ctr_list(c, 999, 7, now, ids, 3, CTR_SERVED, 1, "z", 0,
	    1), 0);
	ctr_watch(c, 7, ids[1], now + 1);
	write_commit(c, &s, 1, now);
	cr_assert_str_eq(stats(buf, now, "served", 1, "z"), "1 1 1 1 2 1 0");
	cr_assert_str_eq(qs(buf, sizeof(buf), "SELECT rank FROM reco_follows "
	    "WHERE log_id = 999"), "2");
	ctr_free(c);
	store_close(&s);
}
