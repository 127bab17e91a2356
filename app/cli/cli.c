/*
 * The command line: one table of subcommands, each with its entry point
 * and summary (the commands themselves are in cli/cmd_*.c), and `help`
 * and `version`.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/commands.h"
#include "cli/opts.h"
#include "version.h"

struct cli_cmd {
	const char	*name;
	int		(*run)(int argc, char **argv);	/* NULL: serve */
	const char	*summary;			/* one line */
};

static int	cmd_version(int, char **);
static int	cmd_help(int, char **);

static const struct opts_cmd	version_cmd = {
	"cinerec version", NULL,
	"Print the version of this binary (also: cinerec --version); the\n"
	"models it trains record it as their binary_version."
};

static const struct opts_cmd	help_cmd = {
	"cinerec help", "[COMMAND]",
	"Without COMMAND, list the commands with a line on each (also:\n"
	"cinerec --help); with COMMAND, show its usage, what it does and\n"
	"every option, as cinerec COMMAND --help does."
};

static const struct cli_cmd	commands[] = {
	{ "serve", NULL,
	    "serve the HTTP API, the ingest and the dashboard (foreground)" },
	{ "import", cmd_import, "bulk-load event log lines" },
	{ "import-movielens", cmd_movielens,
	    "load MovieLens movies.csv and ratings.csv" },
	{ "demo", cmd_demo, "create the demo world (or print its log lines)" },
	{ "simulate", cmd_simulate, "simulated viewers: a stream, or a live "
	    "run against a server" },
	{ "train", cmd_train, "train a model version on the database; the "
	    "gate makes it current" },
	{ "model", cmd_model, "list the model versions, roll back, pin" },
	{ "movie", cmd_movie, "withdraw a movie from every list, or bring it "
	    "back" },
	{ "experiment", cmd_experiment, "A/B and canary experiments between "
	    "model versions" },
	{ "eval", cmd_eval, "evaluate a model offline on a ratings file" },
	{ "tune", cmd_tune,
	    "choose hyperparameters on a validation split of the train part" },
	{ "why", cmd_why, "the lists a user got, from which models, trained "
	    "on what" },
	{ "admin", cmd_admin, "manage the admin dashboard's accounts" },
	{ "backup", cmd_backup,
	    "copy the database to FILE, also while the server runs" },
	{ "restore", cmd_restore,
	    "replace the database with the backup FILE (server stopped)" },
	{ "version", cmd_version, "print the version" },
	{ "help", cmd_help, "show the commands, or one command's help" },
};

#define NCOMMANDS	(sizeof(commands) / sizeof(commands[0]))

static const struct cli_cmd *
find(const char *name)
{
	size_t	i;

	for (i = 0; i < NCOMMANDS; i++)
		if (strcmp(commands[i].name, name) == 0)
			return (&commands[i]);
	return (NULL);
}

static int
cmd_help(int argc, char **argv)
{
	const struct cli_cmd	*c;
	char			*help[] = { NULL, "--help", NULL }, *ops[1];
	size_t			 i;
	int			 rc, nops;

	rc = opts_parse(argc, argv, NULL, 0, OPTS_PASS_ALL, ops, 1, &nops);
	if ((rc = opts_done(rc, &help_cmd, NULL, 0)) != -1)
		return (rc);
	if (nops == 1) {
		if ((c = find(ops[0])) == NULL) {
			fprintf(stderr, "cinerec: no command '%s'\n", ops[0]);
			return (2);
		}
		/* The command's own help. */
		help[0] = ops[0];
		return (c->run != NULL ? c->run(2, help) :
		    cmd_serve(2, help, NULL));
	}
	printf("cinerec %s: a movie recommender appliance\n\n"
	    "usage: cinerec COMMAND [OPTIONS]\n\ncommands:\n",
	    CINEREC_VERSION);
	for (i = 0; i < NCOMMANDS; i++)
		printf("  %-18s %s\n", commands[i].name, commands[i].summary);
	printf("\n'cinerec COMMAND --help' shows a command's options.\n");
	return (0);
}

static int
cmd_version(int argc, char **argv)
{
	int	rc, nops;

	rc = opts_parse(argc, argv, NULL, 0, OPTS_PASS_ALL, NULL, 0, &nops);
	if ((rc = opts_done(rc, &version_cmd, NULL, 0)) != -1)
		return (rc);
	printf("cinerec %s\n", CINEREC_VERSION);
	return (0);
}

int
cli_main(int argc, char **argv, struct cfg *serve)
{
	const struct cli_cmd	*c;

	if (argc < 2) {
		cmd_help(1, argv);
		return (2);
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
		return (cmd_help(1, argv));
	if (strcmp(argv[1], "--version") == 0)
		return (cmd_version(1, argv));
	if ((c = find(argv[1])) == NULL) {
		fprintf(stderr, "cinerec: no command '%s' (try cinerec help)\n",
		    argv[1]);
		return (2);
	}
	if (c->run == NULL)
		return (cmd_serve(argc - 1, argv + 1, serve));
	return (c->run(argc - 1, argv + 1));
}
