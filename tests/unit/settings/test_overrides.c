/*
 * Unit tests for app/settings/overrides.c, on a real database's settings
 * table: which keys the dashboard may change (overrides_find), the base
 * taken by the first apply, the OVERRIDE_* flags a change returns, values
 * applied once and not again, invalid stored values logged once and
 * skipped, rows of other keys ignored, a reset back to the base, the
 * connection of its own (db NULL), a missing database or table, what is
 * logged of a secret, and settings_text / settings_text_value.
 */
#include <criterion/criterion.h>

#include "harness.h"
#include "scratch.h"

#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "settings/config.h"
#include "settings/overrides.h"
#include "store/store.h"

static struct store	st;
static struct overrides	o;
static struct cfg	c;
static const char	*err = "";	/* stderr of the last apply */

static void
setup(void)
{
	int	rc;

	h_scratch_setup();
	memset(&st, 0, sizeof(st));
	memset(&o, 0, sizeof(o));
	/* Quiet: the migrations log a line each. */
	h_stderr_begin();
	rc = store_open(&st, h_dir, STORE_CREATE | STORE_ROLE_ADMIN);
	err = h_stderr_end();
	cr_assert_eq(rc, 0, "store_open(%s): %s", h_dir, err);
	cfg_defaults(&c);
	snprintf(c.data_dir, sizeof(c.data_dir), "%s", h_dir);
}

static void
teardown(void)
{
	store_close(&st);
	h_scratch_teardown();
}

TestSuite(overrides, .init = setup, .fini = teardown, .timeout = 60);

/* ---- helpers ---------------------------------------------------------- */

/* Save a setting as the dashboard does. */
static void
set(const char *key, const char *value)
{
	sqlite3_stmt	*s;

	cr_assert_eq(sqlite3_prepare_v2(st.db, "INSERT OR REPLACE INTO "
	    "settings (key, value, changed_ms, changed_by) VALUES (?1, ?2, "
	    "1, 'admin')", -1, &s, NULL), SQLITE_OK, "%s",
	    sqlite3_errmsg(st.db));
	sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, value, -1, SQLITE_STATIC);
	cr_assert_eq(sqlite3_step(s), SQLITE_DONE, "%s",
	    sqlite3_errmsg(st.db));
	sqlite3_finalize(s);
}

/* Reset a setting (its row goes). */
static void
unset(const char *key)
{
	char	sql[256];

	snprintf(sql, sizeof(sql), "DELETE FROM settings WHERE key = '%s'",
	    key);
	cr_assert_eq(sqlite3_exec(st.db, sql, NULL, NULL, NULL), SQLITE_OK);
}

/* overrides_apply on db with its stderr into err. */
static int
apply_on(sqlite3 *db)
{
	int	rc;

	h_stderr_begin();
	rc = overrides_apply(&o, &c, db);
	err = h_stderr_end();
	return (rc);
}

static int
apply(void)
{
	return (apply_on(st.db));
}

/* How many times needle is in err. */
static int
logged(const char *needle)
{
	const char	*p = err;
	int		 n = 0;

	while ((p = strstr(p, needle)) != NULL) {
		n++;
		p += strlen(needle);
	}
	return (n);
}

/* ---- overrides_find --------------------------------------------------- */

/* overrides_find knows key, live (applied at once) or not, secret or not. */
static void
kind_is(const char *key, int live, int secret)
{
	const struct override_key	*k;

	cr_assert_not_null(k = overrides_find(key), "%s", key);
	cr_assert_str_eq(k->key, key);
	cr_assert_eq(k->live, live, "%s: live", key);
	cr_assert_eq(k->secret, secret, "%s: secret", key);
}

/*
 * The token and three others change live, the token the one secret; the
 * named others wait for a restart, and so does every other overridable
 * setting (all of settings_text's that overrides_find knows).
 */
Test(overrides, find_knows_the_dashboard_settings_and_their_kind)
{
	static const char *const live[] = {
		"ingest_token", "popularity_window_days", "reco_log",
		"click_window_s",
	};
	static const char *const restart[] = {
		"reco_log_days", "reco_rollup_s", "train_interval_min",
		"train_threads", "batch_events", "batch_ms",
		"events_body_max_kb", "signal_watch_scale",
		"signal_dislike_weight",
	};
	struct setting_text	*v;
	size_t			 i, j, nlive = sizeof(live) / sizeof(live[0]);
	int			 n;

	for (i = 0; i < nlive; i++)
		kind_is(live[i], 1, i == 0);
	for (i = 0; i < sizeof(restart) / sizeof(restart[0]); i++)
		kind_is(restart[i], 0, 0);
	cr_assert_geq(n = settings_text(&c, &v), 1);
	for (i = 0; i < (size_t)n; i++) {
		if (overrides_find(v[i].key) == NULL)
			continue;
		for (j = 0; j < nlive && strcmp(live[j], v[i].key) != 0; j++)
			;
		if (j == nlive)
			kind_is(v[i].key, 0, 0);
	}
	free(v);
}

Test(overrides, find_refuses_listeners_paths_and_unknown_keys)
{
	static const char *const no[] = {
		"data_dir", "http", "ingest", "admin", "workers", "admin_cert",
		"admin_key", "ingest_max_conns", "ingest_auth_timeout_s",
		"events_inflight_mb", "Ingest_token", "ingest_token ",
		"popularity-window-days", "", "nope",
	};
	size_t	i;

	for (i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		cr_assert_null(overrides_find(no[i]), "'%s' overridable",
		    no[i]);
}

Test(overrides, every_overridable_key_is_a_setting_cfg_set_takes)
{
	struct setting_text	*v;
	struct cfg		 copy;
	char			 e[256];
	int			 n, i, found = 0;

	cr_assert_geq(n = settings_text(&c, &v), 1);
	for (i = 0; i < n; i++) {
		if (overrides_find(v[i].key) == NULL)
			continue;
		found++;
		copy = c;
		cr_assert_eq(cfg_set(&copy, v[i].key, v[i].value, e,
		    sizeof(e)), 0, "%s: %s", v[i].key, e);
		cr_assert_eq(memcmp(&copy, &c, sizeof(c)), 0,
		    "%s: its own text changed it", v[i].key);
	}
	free(v);
	cr_assert_eq(found, 25, "every key of the list is a setting");
}

/* ---- the base --------------------------------------------------------- */

Test(overrides, base_is_taken_by_the_first_apply_only)
{
	struct cfg	first;

	cr_assert_null(overrides_base(&o));
	c.pop_window_days = 21;
	first = c;
	cr_assert_eq(apply(), 0);
	cr_assert_not_null(overrides_base(&o));
	cr_assert_eq(memcmp(overrides_base(&o), &first, sizeof(first)), 0);
	/* Later applies, on a changed cfg, keep the first base. */
	c.pop_window_days = 99;
	cr_assert_eq(apply(), 0);
	cr_assert_eq(overrides_base(&o)->pop_window_days, 21);
	cr_assert_eq(c.pop_window_days, 99, "nothing stored: not touched");
}

Test(overrides, an_empty_table_changes_nothing_and_logs_nothing)
{
	struct cfg	before = c;

	cr_assert_eq(apply(), 0);
	cr_assert_eq(apply(), 0);
	cr_assert_eq(memcmp(&c, &before, sizeof(c)), 0);
	cr_assert_str_eq(err, "");
}

/* ---- flags ------------------------------------------------------------ */

Test(overrides, popularity_window_returns_ranking_once_per_change)
{
	set("popularity_window_days", "30");
	cr_assert_eq(apply(), OVERRIDE_RANKING);
	cr_assert_eq(c.pop_window_days, 30);
	cr_assert_eq(logged("settings: popularity_window_days = 30\n"), 1,
	    "stderr: %s", err);
	/* Unchanged: nothing to do, nothing logged. */
	cr_assert_eq(apply(), 0);
	cr_assert_str_eq(err, "");
	set("popularity_window_days", "14");
	cr_assert_eq(apply(), OVERRIDE_RANKING);
	cr_assert_eq(c.pop_window_days, 14);
	/* Stored as the value the base already has: no change. */
	unset("popularity_window_days");
	cr_assert_eq(apply(), OVERRIDE_RANKING, "back to the base");
	set("popularity_window_days", "7");
	cr_assert_eq(apply(), 0, "7 is the base");
	cr_assert_eq(c.pop_window_days, 7);
}

Test(overrides, token_and_click_window_return_ingest)
{
	set("ingest_token", "s3cret-token");
	cr_assert_eq(apply(), OVERRIDE_INGEST);
	cr_assert_str_eq(c.ingest_token, "s3cret-token");
	cr_assert_eq(apply(), 0);
	set("click_window_s", "600");
	cr_assert_eq(apply(), OVERRIDE_INGEST);
	cr_assert_eq(c.click_window_s, 600);
	cr_assert_eq(apply(), 0);
}

Test(overrides, changes_of_both_kinds_at_once_return_both_flags)
{
	set("click_window_s", "60");
	set("popularity_window_days", "3650");
	set("batch_ms", "250");
	cr_assert_eq(apply(), OVERRIDE_RANKING | OVERRIDE_INGEST);
	cr_assert_eq(c.click_window_s, 60);
	cr_assert_eq(c.pop_window_days, 3650);
	cr_assert_eq(c.batch_ms, 250);
}

Test(overrides, other_settings_apply_without_a_flag)
{
	set("reco_log", "0");
	set("batch_events", "1000");
	set("train_threads", "8");
	set("train_interval_min", "0");
	set("reco_log_days", "90");
	set("signal_watch_scale", "12.5");
	set("signal_dislike", "1.5");
	cr_assert_eq(apply(), 0);
	cr_assert_eq(c.reco_log, 0);
	cr_assert_eq(c.batch_events, 1000);
	cr_assert_eq(c.train_threads, 8);
	cr_assert_eq(c.train_interval_min, 0);
	cr_assert_eq(c.reco_log_days, 90);
	cr_assert_eq(c.sig.watch_scale, 12.5);
	cr_assert_eq(c.sig.dislike, 1.5);
	cr_assert_eq(logged("settings: batch_events = 1000\n"), 1, "%s", err);
	cr_assert_eq(logged("settings: signal_watch_scale = 12.5\n"), 1);
}

Test(overrides, a_secret_is_logged_as_changed_without_its_value)
{
	set("ingest_token", "do-not-log-me");
	cr_assert_eq(apply(), OVERRIDE_INGEST);
	cr_assert_eq(logged("settings: ingest_token changed\n"), 1,
	    "stderr: %s", err);
	cr_assert_null(strstr(err, "do-not-log-me"), "stderr: %s", err);
	/* Nor when it is refused. */
	set("ingest_token", "x234567890123456789012345678901234567890123456"
	    "789012345678901234567890123456789012345678901234567890123456789"
	    "0123456789do-not-log-me");
	cr_assert_eq(apply(), 0);
	cr_assert_eq(logged("not applied: ingest_token: longer than 127 "
	    "bytes\n"), 1, "stderr: %s", err);
	cr_assert_null(strstr(err, "do-not-log-me"), "stderr: %s", err);
	cr_assert_str_eq(c.ingest_token, "do-not-log-me");
}

/* ---- invalid and foreign rows ----------------------------------------- */

Test(overrides, invalid_stored_value_is_logged_once_and_skipped)
{
	struct cfg	before = c;

	set("popularity_window_days", "0");
	set("reco_log", "yes");
	set("signal_dislike", "nan");
	cr_assert_eq(apply(), 0);
	cr_assert_eq(memcmp(&c, &before, sizeof(c)), 0, "c changed");
	cr_assert_eq(logged("settings: from the dashboard, not applied: "
	    "popularity_window_days: expected an integer in 1..3650, got "
	    "'0'\n"), 1, "stderr: %s", err);
	cr_assert_eq(logged("not applied: reco_log: expected an integer in "
	    "0..1, got 'yes'\n"), 1, "stderr: %s", err);
	cr_assert_eq(logged("not applied: signal_dislike: expected a number "
	    "in 0..5, got 'nan'\n"), 1, "stderr: %s", err);
	/* Not tried, nor logged, again. */
	cr_assert_eq(apply(), 0);
	cr_assert_str_eq(err, "");
	/* A valid value afterwards applies. */
	set("popularity_window_days", "3");
	cr_assert_eq(apply(), OVERRIDE_RANKING);
	cr_assert_eq(c.pop_window_days, 3);
	cr_assert_eq(c.reco_log, 1);
}

Test(overrides, rows_of_keys_the_dashboard_may_not_change_are_ignored)
{
	struct cfg	before = c;

	set("workers", "9");
	set("data_dir", "/elsewhere");
	set("http", "0.0.0.0:80");
	set("admin_cert", "/etc/x.pem");
	set("no_such_setting", "1");
	cr_assert_eq(apply(), 0);
	cr_assert_eq(memcmp(&c, &before, sizeof(c)), 0);
	cr_assert_str_eq(err, "");
}

/* ---- reset ------------------------------------------------------------ */

Test(overrides, reset_returns_to_the_base_not_to_the_callers_cfg)
{
	c.pop_window_days = 21;
	c.click_window_s = 120;
	cr_assert_eq(apply(), 0);		/* base: 21, 120 */
	set("popularity_window_days", "30");
	set("click_window_s", "5");
	cr_assert_eq(apply(), OVERRIDE_RANKING | OVERRIDE_INGEST);
	cr_assert_eq(c.pop_window_days, 30);
	unset("popularity_window_days");
	cr_assert_eq(apply(), OVERRIDE_RANKING);
	cr_assert_eq(c.pop_window_days, 21);
	cr_assert_eq(c.click_window_s, 5, "still overridden");
	unset("click_window_s");
	cr_assert_eq(apply(), OVERRIDE_INGEST);
	cr_assert_eq(c.click_window_s, 120);
	cr_assert_eq(apply(), 0);
}

Test(overrides, token_set_then_reset_to_an_empty_base)
{
	cr_assert_str_eq(c.ingest_token, "");
	set("ingest_token", "abc");
	cr_assert_eq(apply(), OVERRIDE_INGEST);
	cr_assert_str_eq(c.ingest_token, "abc");
	unset("ingest_token");
	cr_assert_eq(apply(), OVERRIDE_INGEST);
	cr_assert_str_eq(c.ingest_token, "");
	cr_assert_eq(apply(), 0);
}

/*
 * Regression (overrides.c), fixed: "" as the applied value meant "not
 * taken yet", so a token of the base cleared from the dashboard was
 * applied (and logged) again at every apply, every second in every worker.
 */
Test(overrides, a_base_value_cleared_from_the_dashboard_applies_once)
{
	snprintf(c.ingest_token, sizeof(c.ingest_token), "%s", "from-file");
	cr_assert_eq(apply(), 0);
	set("ingest_token", "");
	cr_assert_eq(apply(), OVERRIDE_INGEST);
	cr_assert_str_eq(c.ingest_token, "");
	cr_assert_eq(apply(), 0, "nothing changed since");
	cr_assert_eq(apply(), 0);
	unset("ingest_token");
	cr_assert_eq(apply(), OVERRIDE_INGEST);
	cr_assert_str_eq(c.ingest_token, "from-file");
}

/*
 * Regression (config.c, cfg_dump), fixed: doubles went through "%g", so a
 * reset brought back the base cut to six digits.
 */
Test(overrides, a_reset_restores_a_double_of_the_base_exactly)
{
	c.sig.watch_scale = 0.1234567;
	cr_assert_eq(apply(), 0);
	set("signal_watch_scale", "2");
	(void)apply();
	cr_assert_eq(c.sig.watch_scale, 2.0);
	unset("signal_watch_scale");
	(void)apply();
	cr_assert_eq(c.sig.watch_scale, 0.1234567, "%.17g",
	    c.sig.watch_scale);
}

/* ---- connections ------------------------------------------------------ */

Test(overrides, null_db_reads_the_data_dirs_database)
{
	set("popularity_window_days", "45");
	set("ingest_token", "tok");
	cr_assert_eq(apply_on(NULL), OVERRIDE_RANKING | OVERRIDE_INGEST);
	cr_assert_eq(c.pop_window_days, 45);
	cr_assert_str_eq(c.ingest_token, "tok");
	cr_assert_eq(apply_on(NULL), 0);
	/* The same overrides go on with a caller's connection. */
	set("popularity_window_days", "46");
	cr_assert_eq(apply(), OVERRIDE_RANKING);
	cr_assert_eq(c.pop_window_days, 46);
}

Test(overrides, null_db_without_a_database_changes_nothing)
{
	struct cfg	before;
	struct stat	sb;
	char		dir[300];

	snprintf(dir, sizeof(dir), "%s/none", h_dir);
	cr_assert_eq(mkdir(dir, 0700), 0);
	snprintf(c.data_dir, sizeof(c.data_dir), "%s", dir);
	before = c;
	cr_assert_eq(apply_on(NULL), 0);
	cr_assert_eq(memcmp(&c, &before, sizeof(c)), 0);
	snprintf(dir, sizeof(dir), "%s/none/cinerec.db", h_dir);
	cr_assert_eq(stat(dir, &sb), -1, "a database was created");
	/* Nor with a data dir that does not exist. */
	snprintf(c.data_dir, sizeof(c.data_dir), "%s/gone/away", h_dir);
	cr_assert_eq(apply_on(NULL), 0);
}

Test(overrides, a_database_without_the_table_changes_nothing)
{
	struct cfg	 before = c;
	sqlite3		*db;
	char		 path[300];

	snprintf(path, sizeof(path), "%s/other.db", h_dir);
	cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
	cr_assert_eq(sqlite3_exec(db, "CREATE TABLE t (x)", NULL, NULL,
	    NULL), SQLITE_OK);
	cr_assert_eq(apply_on(db), 0);
	cr_assert_eq(memcmp(&c, &before, sizeof(c)), 0);
	cr_assert_eq(sqlite3_close(db), SQLITE_OK, "a statement left open");
}

/* ---- settings_text ---------------------------------------------------- */

Test(overrides, settings_text_lists_every_setting_as_cfg_dump_does)
{
	struct setting_text	*v;
	int			 n;

	strcpy(c.admin_host, "::1");
	c.admin_port = 9000;
	strcpy(c.ingest_token, " two  words ");
	c.sig.watch_base = 0.25;
	cr_assert_eq(n = settings_text(&c, &v), 47);
	cr_assert_str_eq(v[0].key, "data_dir");
	cr_assert_str_eq(v[0].value, h_dir);
	cr_assert_str_eq(v[0].help,
	    "directory of the database and the internal socket");
	cr_assert_str_eq(v[n - 1].key, "reco_rollup_s");
	cr_assert_str_eq(v[n - 1].value, "10");
	cr_assert_str_eq(settings_text_value(v, n, "http"), "127.0.0.1:8082");
	cr_assert_str_eq(settings_text_value(v, n, "admin"), "[::1]:9000");
	cr_assert_str_eq(settings_text_value(v, n, "ingest_token"),
	    " two  words ");
	cr_assert_str_eq(settings_text_value(v, n, "admin_cert"), "");
	cr_assert_str_eq(settings_text_value(v, n, "follow_dir"), "");
	cr_assert_str_eq(settings_text_value(v, n, "kafka_partitions"), "");
	cr_assert_str_eq(settings_text_value(v, n, "signal_watch_base"),
	    "0.25");
	cr_assert_str_eq(settings_text_value(v, n, "popularity_window_days"),
	    "7");
	cr_assert_null(settings_text_value(v, n, "nope"));
	cr_assert_null(settings_text_value(v, 0, "data_dir"));
	free(v);
}
