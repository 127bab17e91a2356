/*
 * The admin web dashboard: its own Kore listener (default 127.0.0.1:8083,
 * optional TLS), one handler that serves the embedded single-page app
 * (assets/admin/) and its JSON API behind a login, the settings changed in
 * the UI.  The security pieces that need no Kore live in auth.c; the
 * accounts' command is cli/cmd_admin.c.
 */
#ifndef CINEREC_ADMIN_H
#define CINEREC_ADMIN_H

#include <stdint.h>

#include "settings/config.h"

struct http_request;

#define ADMIN_INITIAL_PW	"initial-admin-password"	/* in the data dir */

struct reco_list;
struct store;
struct overrides;

/*
 * What the server lends the dashboard in a worker: the handles it may use,
 * and nothing of the server's besides.
 */
struct admin_ctx {
	const struct cfg	*cfg;		/* the settings in effect */
	const struct overrides	*overrides;	/* their base, before the UI's */
	int64_t			 started_ms;	/* wall clock at start */
	const char		*control_path;	/* the ingest's control socket */
	struct store		*store;		/* the worker's read connection */
	/* The list /recommend gives user now, with its model (or NULL). */
	int			(*recommend)(int64_t user, struct reco_list *out,
				    int64_t *model, const char **algo);
	/* Apply the settings table now (a setting was just saved). */
	void			(*apply_settings)(void);
};

/*
 * Parent, after the API's Kore configuration and the migrations: create
 * the first account when there is none (its random password goes to
 * <data_dir>/ADMIN_INITIAL_PW, mode 0600; only the path is logged), then
 * add the admin listener to Kore's configuration.  Exits with a message on
 * a fatal error (unreadable TLS files, a database that cannot be read).
 */
void	admin_parent_configure(const struct cfg *cfg);

/* Worker start and stop: the worker's admin database connection. */
void	admin_worker_configure(const struct admin_ctx *ctx);
void	admin_worker_teardown(void);

/* Kore's handler for every path on the admin listener. */
int	admin_dispatch(struct http_request *req);

#endif
