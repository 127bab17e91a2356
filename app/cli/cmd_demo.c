/*
 * `cinerec demo`: the demo world (cli/demo.c) into a data dir, through the
 * writer, or its log lines on standard output.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/demo.h"
#include "cli/opts.h"
#include "settings/config.h"
#include "store/lock.h"
#include "store/writer.h"

static const struct opts_cmd	demo_cmd = {
	"cinerec demo", NULL,
	"Create a deterministic demo world from a seed (3,000 movies, 3,000\n"
	"users, about 790,000 watch and rate lines by default) in the data\n"
	"dir, or print its log lines with --print."
};

static int
print_line(void *arg, const char *line, size_t len)
{
	(void)arg;
	if (fwrite(line, 1, len, stdout) != len || putchar('\n') == EOF)
		return (-1);
	return (0);
}

static int
write_movie(void *arg, const char *slug, const char *title, int year,
    const char *genres)
{
	return (writer_movie(arg, slug, title, year, genres));
}

static int
write_line(void *arg, const char *line, size_t len)
{
	struct writer	*w = arg;

	(void)writer_line(w, line, len);
	if (writer_pending(w) >= 50000 && writer_commit(w) == -1)
		return (-1);
	return (0);
}

int
cmd_demo(int argc, char **argv)
{
	struct demo_opts	 d;
	struct demo_sink	 sink;
	struct writer_stats	 st;
	struct cfg		 c;
	int			 print = 0, rc, nops;
	int64_t			 n;
	const struct opt	 o[] = {
		DATA_DIR_OPT(&c),
		{ "print", OPT_FLAG, &print, NULL,
		    "print the log lines instead of loading them", 0, 0, 0 },
		{ "seed", OPT_U64, &d.seed, "N", "the world's seed", 0, 0, 0 },
		{ "users", OPT_INT, &d.users, "N", "users (3000)", 1,
		    100000000, 0 },
		{ "movies", OPT_INT, &d.movies, "N", "movies (3000)", 1,
		    100000000, 0 },
		{ "sessions", OPT_INT, &d.sessions, "N",
		    "viewing sessions per user", 1, 100000000, 0 },
		{ "compact", OPT_FLAG, &d.compact, NULL,
		    "one line per watch instead of one per minute (scale runs)",
		    0, 0, 0 },
	};

	cfg_defaults(&c);
	demo_defaults(&d);
	rc = opts_parse(argc, argv, o, NELEM(o), OPTS_PASS_ALL, NULL, 0, &nops);
	if ((rc = opts_done(rc, &demo_cmd, o, NELEM(o))) != -1)
		return (rc);
	if (print) {
		sink = (struct demo_sink){ NULL, NULL, print_line };
		n = demo_generate(&d, &sink);
		return (n == -1 || fflush(stdout) == EOF ? 1 : 0);
	}
	sink.movie = write_movie;
	sink.line = write_line;
	if (lock_take(c.data_dir, "demo") == -1 ||
	    (sink.arg = writer_open(c.data_dir)) == NULL)
		return (1);
	n = demo_generate(&d, &sink);
	writer_stats(sink.arg, &st);
	rc = writer_close(sink.arg);
	if (n == -1 || rc == -1) {
		fprintf(stderr, "cinerec: demo: writing %s failed\n",
		    c.data_dir);
		return (1);
	}
	printf("demo world in %s: %d movies, %d users\n", c.data_dir,
	    d.movies, d.users);
	writer_stats_print(&st, stdout);
	return (0);
}
