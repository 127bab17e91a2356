/*
 * The command line: `cinerec <command> [options]`, dispatched from one table.
 */
#ifndef CINEREC_CLI_H
#define CINEREC_CLI_H

#define CLI_SERVE	(-1)	/* cli_main: go on and start the server */

/*
 * Run the command named by argv[1].  Returns the process exit status, or
 * CLI_SERVE when the command is `serve` and its flags were valid.
 */
int	cli_main(int argc, char **argv);

/*
 * Commands implemented beside their modules.  Each takes the arguments
 * after `cinerec` (argv[0] is the command's name) and returns the exit
 * status: 0, 1 on a runtime error, 2 on a usage error.
 */
int	cmd_eval(int argc, char **argv);	/* cmd_eval.c */
int	cmd_tune(int argc, char **argv);	/* cmd_eval.c */

#endif
