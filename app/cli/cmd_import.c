/*
 * `cinerec import` (event log lines from files or standard input) and
 * `cinerec import-movielens` (MovieLens movies.csv and ratings.csv), both
 * through the writer, holding the data dir's lock.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/commands.h"
#include "cli/opts.h"
#include "ingest/lines.h"
#include "ingest/movielens.h"
#include "settings/config.h"
#include "store/lock.h"
#include "store/writer.h"
#include "util/clock.h"
#include "util/log.h"

/*
 * Lines a commit: large, since every batch upserts the (day, movie) rows
 * of the days its lines span (2M lines: 4M lines import in 12 s, against
 * 19 s at 500k; the batch's maps then hold some 300 MB).
 */
#define IMPORT_BATCH	2000000

static const struct opts_cmd	import_cmd = {
	"cinerec import", "FILE...",
	"Bulk-load event log lines from the files (- reads standard input),\n"
	"validated like the stream's; a progress line on a terminal, then\n"
	"the lines accepted and rejected per reason.  The exit status is\n"
	"non-zero only for an I/O or database error, never for bad lines."
};

static const struct opts_cmd	movielens_cmd = {
	"cinerec import-movielens", "DIR",
	"Load DIR/movies.csv as catalogue entries (slug ids spelled as the\n"
	"stream spells them: toy+story+1995) and DIR/ratings.csv as rate\n"
	"events (half stars round up)."
};

/* State of one `cinerec import`. */
struct import {
	struct writer	*w;
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
	if (writer_pending(im->w) >= IMPORT_BATCH &&
	    writer_commit(im->w) == -1) {
		im->failed = 1;
		return (-1);
	}
	if ((++im->lines & 0xffff) == 0) {
		now = clock_mono_ms();
		if (now - im->shown >= 500) {
			im->shown = now;
			log_progress("%llu lines, %.0f lines/s",
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

int
cmd_import(int argc, char **argv)
{
	struct import		 im;
	struct writer_stats	 st;
	struct cfg		 c;
	const struct opt	 o[] = { DATA_DIR_OPT(&c) };
	char			*files[64];
	int			 i, fd, rc, n, status = 0;

	cfg_defaults(&c);
	rc = opts_parse(argc, argv, o, NELEM(o), OPTS_PASS_ALL, files,
	    (int)NELEM(files), &n);
	if ((rc = opts_done(rc, &import_cmd, o, NELEM(o))) != -1)
		return (rc);
	if (n == 0) {
		opts_usage(stderr, &import_cmd, o, NELEM(o));
		return (2);
	}
	/* Every file first: a typo must not create a database. */
	for (i = 0; i < n; i++)
		if (strcmp(files[i], "-") != 0 && access(files[i], R_OK) == -1) {
			fprintf(stderr, "cinerec: %s: %s\n", files[i],
			    strerror(errno));
			return (1);
		}
	memset(&im, 0, sizeof(im));
	if (lock_take(c.data_dir, "import") == -1 ||
	    (im.w = writer_open(c.data_dir)) == NULL)
		return (1);
	writer_set_rating_max(im.w, c.rating_max);
	im.started = im.shown = clock_mono_ms();
	for (i = 0; i < n && status == 0; i++) {
		if (strcmp(files[i], "-") == 0) {
			fd = STDIN_FILENO;
		} else if ((fd = open(files[i], O_RDONLY)) == -1) {
			fprintf(stderr, "cinerec: %s: %s\n", files[i],
			    strerror(errno));
			status = 1;
			break;
		}
		if (import_fd(&im, fd, files[i]) == -1)
			status = 1;
		if (fd != STDIN_FILENO)
			close(fd);
	}
	writer_stats(im.w, &st);
	if (writer_close(im.w) == -1)
		status = 1;
	log_progress_end();
	writer_stats_print(&st, stdout);
	return (status);
}

int
cmd_movielens(int argc, char **argv)
{
	struct writer		*w;
	struct ml_result	 res;
	struct cfg		 c;
	const struct opt	 o[] = { DATA_DIR_OPT(&c) };
	char			*dir[1];
	int			 rc, n;

	cfg_defaults(&c);
	rc = opts_parse(argc, argv, o, NELEM(o), OPTS_PASS_ALL, dir, 1, &n);
	if ((rc = opts_done(rc, &movielens_cmd, o, NELEM(o))) != -1)
		return (rc);
	if (n != 1) {
		opts_usage(stderr, &movielens_cmd, o, NELEM(o));
		return (2);
	}
	if (lock_take(c.data_dir, "import-movielens") == -1 ||
	    (w = writer_open(c.data_dir)) == NULL)
		return (1);
	rc = ml_import(w, dir[0], &res);
	if (writer_close(w) == -1)
		rc = -1;
	printf("movies %lld, ratings %lld, rejected rows %lld\n",
	    (long long)res.movies, (long long)res.ratings,
	    (long long)res.rejected);
	return (rc == 0 ? 0 : 1);
}

