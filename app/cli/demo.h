/*
 * The demo world: a generated catalogue, users with tastes, and the watch and
 * rate lines they would send, deterministic from a seed.  Used by
 * `cinerec demo` (a first database for `make run`), by the tests and by the
 * benchmarks (realistic load).
 */
#ifndef CINEREC_DEMO_H
#define CINEREC_DEMO_H

#include <stddef.h>
#include <stdint.h>

struct demo_opts {
	uint64_t	seed;
	int		movies;		/* catalogue size */
	int		users;
	int		sessions;	/* mean viewing sessions per user */
	int64_t		end_ms;		/* the world's "now": events end here */
	int		days;		/* events spread over this many days */
	int		compact;	/* one line per session: its last minute */
};

/* Callbacks; each returns 0 to go on or -1 to stop the generation. */
struct demo_sink {
	void	*arg;
	/* A catalogue entry, before any line naming it. */
	int	(*movie)(void *arg, const char *slug, const char *title,
		    int year, const char *genres);
	/* One log line, without '\n'. */
	int	(*line)(void *arg, const char *line, size_t len);
};

void	demo_defaults(struct demo_opts *o);

/*
 * Generate the world, calling the sink's callbacks (movie may be NULL).
 * Returns the number of lines emitted, or -1 if a callback stopped it.
 */
int64_t	demo_generate(const struct demo_opts *o, const struct demo_sink *sink);

#endif
