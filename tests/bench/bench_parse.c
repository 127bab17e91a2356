/*
 * Parse rate beside the raw line read rate, on the same lines in memory:
 * reads a log file (e.g. `cinerec demo --print`), then times splitting it
 * into lines alone, and splitting plus parse_line.  Prints lines/s for both
 * and their ratio.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ingest/parse.h"

static double
now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ts.tv_sec + ts.tv_nsec / 1e9);
}

int
main(int argc, char **argv)
{
	static struct parse_event	 ev;
	FILE				*fp;
	char				*buf, *p, *end, *nl;
	size_t				 len, cap = 1 << 20, lines, ok;
	double				 t0, t_read, t_parse, sink = 0;
	int				 round;

	if (argc != 2 || (fp = fopen(argv[1], "r")) == NULL) {
		fprintf(stderr, "usage: bench_parse FILE\n");
		return (2);
	}
	buf = malloc(cap);
	len = 0;
	while (!feof(fp)) {
		if (len == cap)
			buf = realloc(buf, cap *= 2);
		len += fread(buf + len, 1, cap - len, fp);
	}
	fclose(fp);
	end = buf + len;

	/* Best of three rounds each, interleaved, to damp the noise. */
	t_read = t_parse = 1e9;
	for (round = 0; round < 3; round++) {
		t0 = now();
		lines = 0;
		for (p = buf; p < end && (nl = memchr(p, '\n', end - p)); p = nl + 1) {
			lines++;
			sink += (unsigned char)p[0];
		}
		if (now() - t0 < t_read)
			t_read = now() - t0;
		t0 = now();
		lines = ok = 0;
		for (p = buf; p < end && (nl = memchr(p, '\n', end - p)); p = nl + 1) {
			lines++;
			ok += parse_line(p, (size_t)(nl - p), &ev) == PARSE_OK;
		}
		if (now() - t0 < t_parse)
			t_parse = now() - t0;
	}
	printf("lines %zu (%zu parsed ok)\n", lines, ok);
	printf("raw line read: %.0f lines/s\n", lines / t_read);
	printf("parse:         %.0f lines/s (%.1f%% of the raw read rate)\n",
	    lines / t_parse, 100.0 * t_read / t_parse);
	free(buf);
	return (sink < 0);
}
