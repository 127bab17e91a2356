/*
 * The command line: one table of subcommands, each with its handler and
 * summary, and the handlers of the offline ones (import, import-movielens,
 * demo, version, help).  `serve` hands over to Kore (main.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "admin/admin.h"
#include "store/backup.h"
#include "cli/cli.h"
#include "util/clock.h"
#include "settings/config.h"
#include "cli/demo.h"
#include "ingest/lines.h"
#include "store/lock.h"
#include "ingest/movielens.h"
#include "ingest/parse.h"
#include "server/server.h"
#include "model/train.h"
#include "telemetry/why.h"
#include "version.h"
#include "store/writer.h"

struct cli_cmd {
	const char	*name;
	int		(*run)(int argc, char **argv);
	const char	*usage;		/* options and operands */
	const char	*summary;	/* one line */
};

static int	cmd_serve(int, char **);
static int	cmd_import(int, char **);
static int	cmd_movielens(int, char **);
static int	cmd_demo(int, char **);
static int	cmd_backup(int, char **);
static int	cmd_restore(int, char **);
static int	cmd_version(int, char **);
static int	cmd_help(int, char **);

static const struct cli_cmd	commands[] = {
	{ "serve", cmd_serve,
	    "[--config FILE] [--data-dir DIR] [--http HOST:PORT] "
	    "[--ingest HOST:PORT] [--admin HOST:PORT]",
	    "serve the HTTP API and the TCP ingest in the foreground" },
	{ "import", cmd_import, "[--data-dir DIR] FILE... (- for stdin)",
	    "bulk-load event log lines" },
	{ "import-movielens", cmd_movielens, "[--data-dir DIR] DIR",
	    "load MovieLens movies.csv and ratings.csv" },
	{ "demo", cmd_demo,
	    "[--data-dir DIR | --print] [--seed N] [--users N] [--movies N] "
	    "[--sessions N] [--compact]",
	    "create the demo world (or print its log lines)" },
	{ "eval", cmd_eval,
	    "--protocol temporal-20 --ratings FILE [--model als|itemknn|pop] "
	    "[params]",
	    "evaluate a model offline on a ratings file" },
	{ "tune", cmd_tune, "--ratings FILE [--model als|itemknn]",
	    "choose hyperparameters on a validation split of the train part" },
	{ "train", cmd_train,
	    "[--data-dir DIR] [--model als|itemknn|pop] [params]",
	    "train a model on the database and make it current" },
	{ "why", cmd_why, "[--data-dir DIR] [--at TIME] [--limit N] USERID",
	    "the lists a user got, from which models, trained on what" },
	{ "admin", cmd_admin, "add|passwd|del|list [--data-dir DIR] [NAME]",
	    "manage the admin dashboard's accounts" },
	{ "backup", cmd_backup, "[--data-dir DIR] FILE",
	    "copy the database to FILE, also while the server runs" },
	{ "restore", cmd_restore, "[--data-dir DIR] FILE",
	    "replace the database with the backup FILE (server stopped)" },
	{ "version", cmd_version, "", "print the version" },
	{ "help", cmd_help, "[COMMAND]", "show the commands, or one command" },
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

static void
usage_of(const struct cli_cmd *c, FILE *fp)
{
	fprintf(fp, "usage: cinerec %s %s\n  %s\n", c->name, c->usage,
	    c->summary);
}

/* Print the command's usage: to stdout and 0 for --help, else stderr and 2. */
static int
usage(const char *name, int help)
{
	usage_of(find(name), help ? stdout : stderr);
	return (help ? 0 : 2);
}

static int
cmd_help(int argc, char **argv)
{
	const struct cli_cmd	*c;
	size_t			 i;

	if (argc > 1 && strcmp(argv[1], "--help") != 0) {
		if ((c = find(argv[1])) == NULL) {
			fprintf(stderr, "cinerec: no command '%s'\n", argv[1]);
			return (2);
		}
		usage_of(c, stdout);
		return (0);
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
	if (argc > 1)
		return (usage(argv[0], strcmp(argv[1], "--help") == 0));
	printf("cinerec %s\n", CINEREC_VERSION);
	return (0);
}

static int
cmd_serve(int argc, char **argv)
{
	return (server_configure(argc, argv));
}

/*
 * Parse the options shared by the offline commands: --data-dir and --help.
 * Returns -1 to go on (optind at the operands), else an exit status.
 */
static int
data_opts(int argc, char **argv, char *data_dir, size_t sz,
    const struct option *extra, int (*more)(int, const char *, void *),
    void *arg)
{
	struct option	 opts[16];
	size_t		 n = 0;
	int		 ch, rc;

	opts[n++] = (struct option){ "data-dir", required_argument, NULL, 'd' };
	opts[n++] = (struct option){ "help", no_argument, NULL, 'h' };
	while (extra != NULL && extra->name != NULL && n < 15)
		opts[n++] = *extra++;
	opts[n] = (struct option){ NULL, 0, NULL, 0 };
	optind = 1;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'd':
			if (strlen(optarg) >= sz) {
				fprintf(stderr, "cinerec: --data-dir too long\n");
				return (2);
			}
			strcpy(data_dir, optarg);
			break;
		case 'h':
			return (usage(argv[0], 1));
		default:
			if (more != NULL && ch != '?' &&
			    (rc = more(ch, optarg, arg)) != -1)
				return (rc);
			if (more == NULL || ch == '?')
				return (usage(argv[0], 0));
		}
	}
	return (-1);
}

static void
print_stats(const struct writer_stats *st, FILE *fp)
{
	static const char	*kinds[] = { NULL, "watch", "rate", "reco" };
	uint64_t		 acc = 0, rej = 0;
	int			 i;

	for (i = PARSE_WATCH; i <= PARSE_RECO; i++)
		acc += st->accepted[i];
	for (i = 1; i < PARSE_NREASONS; i++)
		rej += st->rejected[i];
	fprintf(fp, "accepted %llu lines", (unsigned long long)acc);
	for (i = PARSE_WATCH; i <= PARSE_RECO; i++)
		fprintf(fp, "%s%s %llu", i == PARSE_WATCH ? " (" : ", ",
		    kinds[i], (unsigned long long)st->accepted[i]);
	fprintf(fp, ")\nrejected %llu lines\n", (unsigned long long)rej);
	for (i = 1; i < PARSE_NREASONS; i++)
		if (st->rejected[i] > 0)
			fprintf(fp, "  %-12s %llu\n", parse_reason_name(i),
			    (unsigned long long)st->rejected[i]);
}

/* State of one `cinerec import`. */
struct import {
	struct writer	*w;
	int		 tty;		/* progress lines on stderr */
	uint64_t	 lines;
	int64_t		 started, shown;	/* monotonic ms */
	int		 failed;	/* a commit failed */
};

static int
import_line(void *arg, const char *line, size_t len)
{
	struct import	*im = arg;
	int64_t		 now;

	(void)writer_line(im->w, line, len);
	if (writer_pending(im->w) >= 50000 && writer_commit(im->w) == -1) {
		im->failed = 1;
		return (-1);
	}
	if (im->tty && (++im->lines & 0xffff) == 0) {
		now = clock_mono_ms();
		if (now - im->shown >= 500) {
			im->shown = now;
			fprintf(stderr, "\r%llu lines, %.0f lines/s ",
			    (unsigned long long)im->lines,
			    im->lines * 1000.0 / (double)(now - im->started + 1));
		}
	}
	return (0);
}

static int
import_fd(struct import *im, int fd, const char *name)
{
	static struct lines	 l;
	char			*p;
	size_t			 avail;
	ssize_t			 n;

	memset(&l, 0, sizeof(l));
	for (;;) {
		p = lines_space(&l, &avail);
		if ((n = read(fd, p, avail)) == -1) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "cinerec: %s: %s\n", name,
			    strerror(errno));
			return (-1);
		}
		if (n == 0)
			break;
		if (lines_commit(&l, (size_t)n, import_line, im) == -1)
			return (-1);
	}
	return (lines_finish(&l, import_line, im));
}

static int
cmd_import(int argc, char **argv)
{
	struct import		 im;
	struct writer_stats	 st;
	char			 dir[PATH_MAX] = "./var";
	int			 i, fd, rc, status = 0;

	if ((rc = data_opts(argc, argv, dir, sizeof(dir), NULL, NULL,
	    NULL)) != -1)
		return (rc);
	if (optind == argc)
		return (usage(argv[0], 0));
	/* Every file first: a typo must not create a database. */
	for (i = optind; i < argc; i++)
		if (strcmp(argv[i], "-") != 0 && access(argv[i], R_OK) == -1) {
			fprintf(stderr, "cinerec: %s: %s\n", argv[i],
			    strerror(errno));
			return (1);
		}
	memset(&im, 0, sizeof(im));
	if (lock_take(dir, "import") == -1 ||
	    (im.w = writer_open(dir)) == NULL)
		return (1);
	im.tty = isatty(STDERR_FILENO);
	im.started = im.shown = clock_mono_ms();
	for (i = optind; i < argc && status == 0; i++) {
		if (strcmp(argv[i], "-") == 0) {
			fd = STDIN_FILENO;
		} else if ((fd = open(argv[i], O_RDONLY)) == -1) {
			fprintf(stderr, "cinerec: %s: %s\n", argv[i],
			    strerror(errno));
			status = 1;
			break;
		}
		if (import_fd(&im, fd, argv[i]) == -1)
			status = 1;
		if (fd != STDIN_FILENO)
			close(fd);
	}
	writer_stats(im.w, &st);
	if (writer_close(im.w) == -1)
		status = 1;
	if (im.tty)
		fprintf(stderr, "\r");
	print_stats(&st, stdout);
	return (status);
}

static int
cmd_movielens(int argc, char **argv)
{
	struct writer		*w;
	struct ml_result	 res;
	char			 dir[PATH_MAX] = "./var";
	int			 rc;

	if ((rc = data_opts(argc, argv, dir, sizeof(dir), NULL, NULL,
	    NULL)) != -1)
		return (rc);
	if (optind != argc - 1)
		return (usage(argv[0], 0));
	if (lock_take(dir, "import-movielens") == -1 ||
	    (w = writer_open(dir)) == NULL)
		return (1);
	rc = ml_import(w, argv[optind], &res);
	if (writer_close(w) == -1)
		rc = -1;
	printf("movies %lld, ratings %lld, rejected rows %lld\n",
	    (long long)res.movies, (long long)res.ratings,
	    (long long)res.rejected);
	return (rc == 0 ? 0 : 1);
}

/* Options of `cinerec demo` beyond --data-dir. */
struct demo_args {
	struct demo_opts	 o;
	int			 print;
};

static int
demo_opt(int ch, const char *val, void *arg)
{
	struct demo_args	*a = arg;
	char			*end;
	long long		 v = 0;

	if (ch != 'p' && ch != 'c') {
		errno = 0;
		v = strtoll(val, &end, 10);
		if (errno != 0 || *end != '\0' || v < 1 || v > 100000000) {
			fprintf(stderr, "cinerec: demo: bad number '%s'\n",
			    val);
			return (2);
		}
	}
	switch (ch) {
	case 'p':
		a->print = 1;
		break;
	case 's':
		a->o.seed = (uint64_t)v;
		break;
	case 'u':
		a->o.users = (int)v;
		break;
	case 'm':
		a->o.movies = (int)v;
		break;
	case 'S':
		a->o.sessions = (int)v;
		break;
	case 'c':
		a->o.compact = 1;
		break;
	}
	return (-1);
}

static int
demo_print_line(void *arg, const char *line, size_t len)
{
	(void)arg;
	if (fwrite(line, 1, len, stdout) != len || putchar('\n') == EOF)
		return (-1);
	return (0);
}

static int
demo_write_movie(void *arg, const char *slug, const char *title, int year,
    const char *genres)
{
	return (writer_movie(arg, slug, title, year, genres));
}

static int
demo_write_line(void *arg, const char *line, size_t len)
{
	struct writer	*w = arg;

	(void)writer_line(w, line, len);
	if (writer_pending(w) >= 50000 && writer_commit(w) == -1)
		return (-1);
	return (0);
}

static int
cmd_demo(int argc, char **argv)
{
	static const struct option	 extra[] = {
		{ "print", no_argument, NULL, 'p' },
		{ "seed", required_argument, NULL, 's' },
		{ "users", required_argument, NULL, 'u' },
		{ "movies", required_argument, NULL, 'm' },
		{ "sessions", required_argument, NULL, 'S' },
		{ "compact", no_argument, NULL, 'c' },
		{ NULL, 0, NULL, 0 }
	};
	struct demo_args	 a;
	struct demo_sink	 sink;
	struct writer_stats	 st;
	char			 dir[PATH_MAX] = "./var";
	int64_t			 n;
	int			 rc;

	memset(&a, 0, sizeof(a));
	demo_defaults(&a.o);
	if ((rc = data_opts(argc, argv, dir, sizeof(dir), extra, demo_opt,
	    &a)) != -1)
		return (rc);
	if (optind != argc)
		return (usage(argv[0], 0));
	if (a.print) {
		sink = (struct demo_sink){ NULL, NULL, demo_print_line };
		n = demo_generate(&a.o, &sink);
		return (n == -1 || fflush(stdout) == EOF ? 1 : 0);
	}
	sink.movie = demo_write_movie;
	sink.line = demo_write_line;
	if (lock_take(dir, "demo") == -1 || (sink.arg = writer_open(dir)) == NULL)
		return (1);
	n = demo_generate(&a.o, &sink);
	writer_stats(sink.arg, &st);
	rc = writer_close(sink.arg);
	if (n == -1 || rc == -1) {
		fprintf(stderr, "cinerec: demo: writing %s failed\n", dir);
		return (1);
	}
	printf("demo world in %s: %d movies, %d users\n", dir, a.o.movies,
	    a.o.users);
	print_stats(&st, stdout);
	return (0);
}

/*
 * The options of a command that takes --data-dir and one FILE: the file
 * into *file.  Returns -1 to go on, else an exit status.
 */
static int
file_opts(int argc, char **argv, char *dir, size_t dirsz, const char **file)
{
	int	rc;

	if ((rc = data_opts(argc, argv, dir, dirsz, NULL, NULL, NULL)) != -1)
		return (rc);
	if (optind != argc - 1)
		return (usage(argv[0], 0));
	*file = argv[optind];
	return (-1);
}

static int
cmd_backup(int argc, char **argv)
{
	const char	*file = NULL;
	char		 dir[PATH_MAX] = "./var";
	int		 rc;

	if ((rc = file_opts(argc, argv, dir, sizeof(dir), &file)) != -1)
		return (rc);
	return (backup_save(dir, file) == 0 ? 0 : 1);
}

static int
cmd_restore(int argc, char **argv)
{
	const char	*file = NULL;
	char		 dir[PATH_MAX] = "./var";
	int		 rc;

	if ((rc = file_opts(argc, argv, dir, sizeof(dir), &file)) != -1)
		return (rc);
	if (access(file, R_OK) == -1) {
		fprintf(stderr, "cinerec: %s: %s\n", file, strerror(errno));
		return (1);
	}
	/* Never under a running server: it holds the lock. */
	if (lock_take(dir, "restore") == -1)
		return (1);
	return (backup_restore(dir, file) == 0 ? 0 : 1);
}

int
cli_main(int argc, char **argv)
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
	return (c->run(argc - 1, argv + 1));
}
