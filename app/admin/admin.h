/*
 * The admin web dashboard: its own Kore listener (default 127.0.0.1:8083,
 * optional TLS), one handler that serves the embedded single-page app
 * (assets/admin/) and its JSON API behind a login, the settings changed in
 * the UI.  The security pieces that need no Kore live in auth.c; the
 * accounts' command is cli/cmd_admin.c.
 */
#ifndef CINEREC_ADMIN_H
#define CINEREC_ADMIN_H

#include "settings/config.h"

struct http_request;

#define ADMIN_INITIAL_PW	"initial-admin-password"	/* in the data dir */

/*
 * Parent, after the API's Kore configuration and the migrations: create
 * the first account when there is none (its random password goes to
 * <data_dir>/ADMIN_INITIAL_PW, mode 0600; only the path is logged), then
 * add the admin listener to Kore's configuration.  Exits with a message on
 * a fatal error (unreadable TLS files, a database that cannot be read).
 */
void	admin_parent_configure(void);

/* Worker start and stop: the worker's admin database connection. */
void	admin_worker_configure(void);
void	admin_worker_teardown(void);

/* Kore's handler for every path on the admin listener. */
int	admin_dispatch(struct http_request *req);

/*
 * Apply the settings saved through the UI onto c (each validated by
 * cfg_set; an invalid one is logged and skipped).  The first call in the
 * process takes c as the base that a setting reset in the UI returns to,
 * so call it first at start, after the file and the flags; then as often
 * as wanted (each worker's 1-second tick).  Never fails.
 */
void	admin_settings_apply(struct cfg *c);

#endif
