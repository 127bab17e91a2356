/*
 * The command line: `cinerec <command> [options]`, dispatched from one
 * table (cli.c); the commands are in cli/commands.h.
 */
#ifndef CINEREC_CLI_H
#define CINEREC_CLI_H

#define CLI_SERVE	(-1)	/* cli_main: go on and start the server */

struct cfg;

/*
 * Run the command named by argv[1].  Returns the process exit status, or
 * CLI_SERVE when the command is `serve` and its settings (in *serve) are
 * valid: the caller then starts the server.
 */
int	cli_main(int argc, char **argv, struct cfg *serve);

#endif
