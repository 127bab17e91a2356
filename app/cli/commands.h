/*
 * Every subcommand's entry point, in one style: argv[0] is the command's
 * name, the rest its arguments; the result is the process's exit status:
 * 0, 1 on a runtime error, 2 on a usage error.  Each lives in
 * cli/cmd_<name>.c and parses its options with cli/opts.h.
 */
#ifndef CINEREC_COMMANDS_H
#define CINEREC_COMMANDS_H

struct cfg;

/*
 * `serve`: the settings from --config and the flags into cfg.  Returns
 * CLI_SERVE (cli.h) when the server should start, else an exit status.
 */
int	cmd_serve(int argc, char **argv, struct cfg *cfg);

int	cmd_import(int argc, char **argv);	/* cmd_import.c */
int	cmd_movielens(int argc, char **argv);	/* cmd_import.c */
int	cmd_demo(int argc, char **argv);	/* cmd_demo.c */
int	cmd_simulate(int argc, char **argv);	/* cmd_simulate.c */
int	cmd_train(int argc, char **argv);	/* cmd_train.c */
int	cmd_model(int argc, char **argv);	/* cmd_model.c */
int	cmd_movie(int argc, char **argv);	/* cmd_movie.c */
int	cmd_experiment(int argc, char **argv);	/* cmd_experiment.c */
int	cmd_eval(int argc, char **argv);	/* cmd_eval.c */
int	cmd_tune(int argc, char **argv);	/* cmd_eval.c */
int	cmd_why(int argc, char **argv);		/* cmd_why.c */
int	cmd_admin(int argc, char **argv);	/* cmd_admin.c */
int	cmd_backup(int argc, char **argv);	/* cmd_backup.c */
int	cmd_restore(int argc, char **argv);	/* cmd_backup.c */

#endif
