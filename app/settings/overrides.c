/*
 * The dashboard's settings (see overrides.h).
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "settings/overrides.h"
#include "util/log.h"
#include "util/str.h"

/*
 * The settings the UI may change, with what a change needs.  The others
 * (listeners, data dir, workers, TLS files) are shown read-only: changing
 * them from a browser could lock the operator out.
 */
static const struct override_key	keys[] = {
	{ "ingest_token", 1, 1 },
	{ "popularity_window_days", 1, 0 },
	{ "reco_log", 1, 0 },
	{ "click_window_s", 1, 0 },
	{ "click_skew_ms", 0, 0 },
	{ "rating_max", 0, 0 },
	{ "reco_log_days", 0, 0 },
	{ "reco_rollup_s", 0, 0 },
	{ "train_interval_min", 0, 0 },
	{ "train_threads", 0, 0 },
	{ "train_after_events", 0, 0 },
	{ "gate_tolerance", 0, 0 },
	{ "gate_min_coverage", 0, 0 },
	{ "models_keep", 0, 0 },
	{ "batch_events", 0, 0 },
	{ "batch_ms", 0, 0 },
	{ "events_body_max_kb", 0, 0 },
	{ "signal_watch_scale", 0, 0 },
	{ "signal_watch_base", 0, 0 },
	{ "signal_watch_weight", 0, 0 },
	{ "signal_dislike", 0, 0 },
	{ "signal_rating_base", 0, 0 },
	{ "signal_rating_weight", 0, 0 },
	{ "signal_dislike_base", 0, 0 },
	{ "signal_dislike_weight", 0, 0 },
};
#define NKEYS	(sizeof(keys) / sizeof(keys[0]))

typedef char applied_fits[NKEYS <= 32 ? 1 : -1];

const struct override_key *
overrides_find(const char *key)
{
	size_t	i;

	for (i = 0; i < NKEYS; i++)
		if (strcmp(keys[i].key, key) == 0)
			return (&keys[i]);
	return (NULL);
}

const struct cfg *
overrides_base(const struct overrides *o)
{
	return (o->have_base ? &o->base : NULL);
}

/*
 * Every setting of c, in cfg_dump's order, into *out (malloc'ed; the
 * caller frees it).  Returns the count, or -1.
 */
int
settings_text(const struct cfg *c, struct setting_text **out)
{
	struct setting_text	*v = NULL, *p;
	FILE			*fp;
	char			*text = NULL, *line, *save = NULL, *eq;
	size_t			 len = 0;
	int			 n = 0;
	char			 help[256] = "";

	*out = NULL;
	if ((fp = open_memstream(&text, &len)) == NULL)
		return (-1);
	cfg_dump(c, fp, 0);
	if (fclose(fp) != 0) {
		free(text);
		return (-1);
	}
	for (line = strtok_r(text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "# ", 2) == 0) {
			snprintf(help, sizeof(help), "%s", line + 2);
			continue;
		}
		if ((eq = strstr(line, " = ")) == NULL &&
		    (eq = strstr(line, " =")) == NULL)
			continue;
		if ((p = reallocarray(v, (size_t)n + 1, sizeof(*v))) == NULL) {
			free(v);
			free(text);
			return (-1);
		}
		v = p;
		p = &v[n++];
		*eq = '\0';
		snprintf(p->key, sizeof(p->key), "%s", line);
		snprintf(p->value, sizeof(p->value), "%s",
		    eq[2] == ' ' ? eq + 3 : eq + 2);
		snprintf(p->help, sizeof(p->help), "%s", help);
		help[0] = '\0';
	}
	free(text);
	*out = v;
	return (n);
}

const char *
settings_text_value(const struct setting_text *v, int n, const char *key)
{
	int	i;

	for (i = 0; i < n; i++)
		if (strcmp(v[i].key, key) == 0)
			return (v[i].value);
	return (NULL);
}

int
overrides_apply(struct overrides *o, struct cfg *c, sqlite3 *db)
{
	struct setting_text	*base = NULL;
	sqlite3_stmt		*st = NULL;
	char			 want[NKEYS][OVERRIDE_VALUE_MAX], err[256];
	char			 path[PATH_MAX + 16];
	const char		*k, *v;
	const struct override_key *e;
	size_t			 i;
	int			 nbase, own = 0, changed = 0, first = 0;

	if (!o->have_base) {
		o->base = *c;
		first = 1;
	}
	if ((nbase = settings_text(&o->base, &base)) == -1)
		return (0);
	o->have_base = 1;
	for (i = 0; i < NKEYS; i++) {
		v = settings_text_value(base, nbase, keys[i].key);
		(void)str_copy(want[i], sizeof(want[i]), v ? v : "");
		/* What is in force to begin with; "" is a value after that. */
		if (first)
			(void)str_copy(o->applied[i], sizeof(o->applied[i]),
			    v ? v : "");
	}
	free(base);
	if (db == NULL) {
		/* At start (parent): a read-only connection for now. */
		if ((size_t)snprintf(path, sizeof(path), "%s/cinerec.db",
		    c->data_dir) >= sizeof(path))
			return (0);
		if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) !=
		    SQLITE_OK) {
			sqlite3_close(db);
			return (0);
		}
		sqlite3_busy_timeout(db, 5000);
		own = 1;
	}
	if (sqlite3_prepare_v2(db, "SELECT key, value FROM settings", -1, &st,
	    NULL) != SQLITE_OK)
		goto out;
	while (sqlite3_step(st) == SQLITE_ROW) {
		k = (const char *)sqlite3_column_text(st, 0);
		v = (const char *)sqlite3_column_text(st, 1);
		if (k != NULL && v != NULL && (e = overrides_find(k)) != NULL)
			(void)str_copy(want[e - keys], sizeof(want[0]), v);
	}
	for (i = 0; i < NKEYS; i++) {
		if (strcmp(want[i], o->applied[i]) == 0)
			continue;
		/* Taken as tried either way: not retried (and logged) again. */
		(void)str_copy(o->applied[i], sizeof(o->applied[i]), want[i]);
		if (cfg_set(c, keys[i].key, want[i], err, sizeof(err)) == -1) {
			log_warnx("settings: from the dashboard, not applied: "
			    "%s", err);
			continue;
		}
		if (strcmp(keys[i].key, "popularity_window_days") == 0)
			changed |= OVERRIDE_RANKING;
		if (strcmp(keys[i].key, "ingest_token") == 0 ||
		    strcmp(keys[i].key, "click_window_s") == 0)
			changed |= OVERRIDE_INGEST;
		if (keys[i].secret)
			log_info("settings: %s changed", keys[i].key);
		else
			log_info("settings: %s = %s", keys[i].key, want[i]);
	}
out:
	sqlite3_finalize(st);
	if (own)
		sqlite3_close(db);
	return (changed);
}
