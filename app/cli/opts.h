/*
 * The command line's options, one table per command: each option names
 * where its value goes, its type and a line of help, so a command's parsing
 * and its --help come from the same table.  Options are "--name value",
 * "--name=value" or "--flag"; other words are operands, in order; "--"
 * ends the options.
 */
#ifndef CINEREC_OPTS_H
#define CINEREC_OPTS_H

#include <stddef.h>
#include <stdio.h>

enum opt_type {
	OPT_FLAG,	/* no value: sets an int to 1 */
	OPT_STR,	/* const char * (into argv) */
	OPT_INT,	/* int within min..max */
	OPT_U32,	/* uint32_t within min..max (max 0: any) */
	OPT_U64,	/* uint64_t */
	OPT_FLOAT,	/* float, finite */
	OPT_DOUBLE,	/* double, finite */
	OPT_TIME,	/* int64_t ms, a stream timestamp (parse_time) */
	OPT_SETTING,	/* a setting of the struct cfg at dst, named by the
			   option with '-' as '_' (cfg_set validates it) */
	OPT_CONFIG	/* a configuration file read into the struct cfg at
			   dst, before every OPT_SETTING whatever the order */
};

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

#define OPT_EARLY	0x01	/* parsed by opts_parse's first pass */

struct opt {
	const char	*name;		/* without the leading "--" */
	int		 type;		/* enum opt_type */
	void		*dst;		/* where the value goes */
	const char	*arg;		/* the value's name in the help */
	const char	*help;		/* one line */
	long		 min, max;	/* OPT_INT, OPT_U32 bounds */
	int		 flags;		/* OPT_EARLY */
};

/* The data dir option of most commands, as a setting of the cfg at c. */
#define DATA_DIR_OPT(c)	{ "data-dir", OPT_SETTING, (c), "DIR",		\
	"the data directory (./var)", 0, 0, 0 }

/* What a command says of itself in its --help. */
struct opts_cmd {
	const char	*name;		/* "cinerec train" */
	const char	*operands;	/* "USERID", or NULL */
	const char	*about;		/* what it does, lines, or NULL */
};

#define OPTS_HELP	1	/* opts_parse: --help was given */
#define OPTS_PASS_EARLY	1	/* opts_parse: only the OPT_EARLY options */
#define OPTS_PASS_REST	2	/* ... the others, and the operands */
#define OPTS_PASS_ALL	3

/*
 * Parse argv[1..argc) against the n options of o, in the passes asked: the
 * early pass reads the OPT_CONFIG files first, then the OPT_EARLY options;
 * the rest pass the others, and the operands into ops (at most maxops;
 * *nops gets their count).  A caller that sets defaults from an early
 * option parses twice; the others pass OPTS_PASS_ALL.
 * Returns 0, OPTS_HELP when --help was given (nothing else is checked),
 * or -1 with one line on stderr naming the problem.
 */
int	opts_parse(int argc, char **argv, const struct opt *o, size_t n,
	    int passes, char **ops, int maxops, int *nops);

/* The command's usage and every option with its help (--help too), to fp. */
void	opts_usage(FILE *fp, const struct opts_cmd *c, const struct opt *o,
	    size_t n);

/*
 * The usual ending of a parse: on OPTS_HELP print the help to stdout and
 * return 0; on -1 the usage to stderr and return 2; else -1 (go on).
 */
int	opts_done(int rc, const struct opts_cmd *c, const struct opt *o,
	    size_t n);

#endif
