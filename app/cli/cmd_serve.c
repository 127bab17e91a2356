/*
 * `cinerec serve`: its settings from a configuration file and the flags
 * (flags win), checked here; the server itself starts in server/main.c.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/commands.h"
#include "cli/opts.h"
#include "settings/config.h"

static const struct opts_cmd	serve_cmd = {
	"cinerec serve", NULL,
	"Serve the HTTP API, the TCP ingest and the admin dashboard in the\n"
	"foreground, logging to stderr; SIGTERM or SIGINT stop it after the\n"
	"senders' last lines are committed.  Any setting can be given in the\n"
	"configuration file (--print-config writes one with every default)."
};

int
cmd_serve(int argc, char **argv, struct cfg *cfg)
{
	struct cfg	 defaults;
	int		 print = 0, rc, nops;
	char		*ops[1];

	if (cfg == NULL)
		cfg = &defaults;
	cfg_defaults(cfg);
	{
		const struct opt o[] = {
			{ "config", OPT_CONFIG, cfg, "FILE",
			    "settings, `key = value' lines (flags win)", 0, 0,
			    0 },
			{ "data-dir", OPT_SETTING, cfg, "DIR",
			    "the database and the internal sockets (./var)", 0,
			    0, 0 },
			{ "http", OPT_SETTING, cfg, "HOST:PORT",
			    "the HTTP API (127.0.0.1:8082)", 0, 0, 0 },
			{ "ingest", OPT_SETTING, cfg, "HOST:PORT",
			    "the TCP ingest (127.0.0.1:8099)", 0, 0, 0 },
			{ "admin", OPT_SETTING, cfg, "HOST:PORT",
			    "the admin dashboard (127.0.0.1:8083)", 0, 0, 0 },
			{ "print-config", OPT_FLAG, &print, NULL,
			    "print a configuration file with every default, "
			    "and exit", 0, 0, 0 },
		};

		rc = opts_parse(argc, argv, o, NELEM(o), OPTS_PASS_ALL, ops, 0,
		    &nops);
		if (rc == OPTS_HELP) {
			opts_usage(stdout, &serve_cmd, o, NELEM(o));
			printf("\nsettings (configuration file syntax, with "
			    "their defaults):\n\n");
			cfg_defaults(&defaults);
			cfg_dump(&defaults, stdout, 0);
			return (0);
		}
		if ((rc = opts_done(rc, &serve_cmd, o, NELEM(o))) != -1)
			return (rc);
	}
	if (print) {
		/* A configuration file with every default, commented. */
		cfg_defaults(&defaults);
		cfg_dump(&defaults, stdout, 1);
		return (0);
	}
	return (CLI_SERVE);
}
