/*
 * The settings changed from the dashboard: kept in the database's settings
 * table, applied over what the configuration file and the flags set (the
 * base), each validated as the file's would be.  Only the settings listed
 * here may be changed that way; a change either applies live (within a
 * second, in every worker) or at the next start.
 */
#ifndef CINEREC_OVERRIDES_H
#define CINEREC_OVERRIDES_H

#include <stddef.h>

#include <sqlite3.h>

#include "settings/config.h"

#define OVERRIDE_VALUE_MAX	512	/* a setting's value as text */

/* A setting the dashboard may change. */
struct override_key {
	const char	*key;
	int		 live;		/* applied within a second, no restart */
	int		 secret;	/* value never written to logs or audit */
};

/* What overrides_apply changed, for its caller to act on. */
#define OVERRIDE_RANKING	0x01	/* popularity_window_days */
#define OVERRIDE_INGEST		0x02	/* ingest_token, click_window_s */

/*
 * One process's overrides: the base (the settings before any override) and
 * what each overridable setting was last set to.  Zero it to start.
 */
struct overrides {
	int		 have_base;
	struct cfg	 base;
	char		 applied[32][OVERRIDE_VALUE_MAX];
};

/* The setting key if the dashboard may change it, else NULL. */
const struct override_key	*overrides_find(const char *key);

/*
 * Apply the settings table (read on db; NULL: a connection of its own to
 * c->data_dir for the moment) over c.  The first call takes c as the base
 * that a setting reset returns to.  Returns the OVERRIDE_* flags of what
 * changed; an invalid stored value is logged once and skipped.  Never
 * fails otherwise (an unreadable table changes nothing).
 */
int	overrides_apply(struct overrides *o, struct cfg *c, sqlite3 *db);

/* The base (before any override) of o, or NULL before the first apply. */
const struct cfg	*overrides_base(const struct overrides *o);

/* One setting as cfg_dump writes it. */
struct setting_text {
	char	key[64];
	char	value[OVERRIDE_VALUE_MAX];
	char	help[256];
};

/*
 * Every setting of c, in cfg_dump's order, into *out (malloc'ed; the
 * caller frees it).  Returns the count, or -1.
 */
int	settings_text(const struct cfg *c, struct setting_text **out);

/* The value of key in a settings_text list, or NULL. */
const char	*settings_text_value(const struct setting_text *v, int n,
		    const char *key);

#endif
