/*
 * The recommendation log's cost in the writer: served lists (as the HTTP
 * workers send them) for random users, committed in batches the size the
 * server makes at saturation, into a fresh database with a 27,000-movie
 * catalogue.  Prints lists/s and microseconds per list, one core.
 * Usage: bench_reclog DATA_DIR [LISTS [USERS [BATCH]]]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/writer.h"

#define MOVIES		27000
#define LINE_MAX_LEN	256

static double
now_s(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((double)ts.tv_sec + (double)ts.tv_nsec / 1e9);
}

static unsigned long long	rng = 88172645463325252ULL;

static unsigned long
next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return ((unsigned long)(rng >> 1));
}

int
main(int argc, char *argv[])
{
	struct writer	*w;
	char		 slug[64], *buf, *line;
	size_t		*len;
	long		 lists, users, batch, i, k;
	long long	 ts = 1780000000000LL;
	double		 t0, t, tc, tcommit = 0, tclose;
	size_t		 n;

	if (argc < 2) {
		fprintf(stderr, "usage: bench_reclog DATA_DIR [LISTS [USERS "
		    "[BATCH]]]\n");
		return (2);
	}
	lists = argc > 2 ? atol(argv[2]) : 700000;
	users = argc > 3 ? atol(argv[3]) : 1000000;
	batch = argc > 4 ? atol(argv[4]) : 7000;
	if ((w = writer_open(argv[1])) == NULL)
		return (1);
	for (i = 1; i <= MOVIES; i++) {
		snprintf(slug, sizeof(slug), "some+movie+title+number+%ld+%ld",
		    i, 1950 + i % 70);
		if (writer_movie(w, slug, NULL, 0, NULL) == -1)
			return (1);
	}
	if (writer_commit(w) == -1)
		return (1);

	/* The lines first, so only the writer is timed. */
	if ((buf = malloc((size_t)lists * LINE_MAX_LEN)) == NULL ||
	    (len = malloc((size_t)lists * sizeof(*len))) == NULL)
		return (1);
	for (i = 0; i < lists; i++) {
		line = buf + (size_t)i * LINE_MAX_LEN;
		n = (size_t)snprintf(line, LINE_MAX_LEN, "SERVED %lld %lu 1 - "
		    "350 20 ", ts + i / 70, next_rand() % (unsigned long)users);
		for (k = 0; k < 20; k++)
			n += (size_t)snprintf(line + n, LINE_MAX_LEN - n,
			    k ? ",%lu" : "%lu", 1 + next_rand() % MOVIES);
		len[i] = n;
	}
	t0 = now_s();
	for (i = 0; i < lists; i++) {
		if (writer_served(w, buf + (size_t)i * LINE_MAX_LEN,
		    len[i]) == -1) {
			fprintf(stderr, "bench_reclog: line refused\n");
			return (1);
		}
		if ((i + 1) % batch == 0) {
			tc = now_s();
			if (writer_commit(w) == -1)
				return (1);
			tcommit += now_s() - tc;
		}
	}
	tc = now_s();
	if (writer_close(w) == -1)
		return (1);
	t = now_s() - t0;
	tclose = now_s() - tc;
	free(buf);
	free(len);
	printf("reco log: %ld lists (%ld users, batches of %ld) in %.2f s: "
	    "%.0f lists/s, %.2f us per list (commits %.2f, last commit and "
	    "roll-up %.2f, the rest %.2f)\n", lists, users, batch, t,
	    (double)lists / t, t * 1e6 / (double)lists,
	    tcommit * 1e6 / (double)lists, tclose * 1e6 / (double)lists,
	    (t - tcommit - tclose) * 1e6 / (double)lists);
	return (0);
}
