/*
 * Unit tests for app/ingest/lines.c: newline framing over arbitrary read sizes,
 * CR left to the caller, over-long lines handed over once and the rest of
 * them skipped, the final unterminated line, and a callback that stops.
 */
#include <criterion/criterion.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/lines.h"

/* What the callback received. */
struct got {
	char	**line;
	size_t	 *len;
	size_t	  n, cap;
	size_t	  stop_at;	/* return -1 on the call with this index + 1 */
};

static struct lines	*l;
static struct got	 g;

static void
setup(void)
{
	cr_assert_not_null(l = calloc(1, sizeof(*l)));
	memset(&g, 0, sizeof(g));
}

static void
teardown(void)
{
	size_t	i;

	for (i = 0; i < g.n; i++)
		free(g.line[i]);
	free(g.line);
	free(g.len);
	free(l);
	l = NULL;
	memset(&g, 0, sizeof(g));
}

TestSuite(lines, .init = setup, .fini = teardown, .timeout = 60);

static int
collect(void *arg, const char *line, size_t len)
{
	struct got	*gg = arg;

	if (gg->n == gg->cap) {
		gg->cap = gg->cap ? gg->cap * 2 : 16;
		cr_assert_not_null(gg->line = realloc(gg->line,
		    gg->cap * sizeof(*gg->line)));
		cr_assert_not_null(gg->len = realloc(gg->len,
		    gg->cap * sizeof(*gg->len)));
	}
	cr_assert_not_null(gg->line[gg->n] = malloc(len + 1));
	memcpy(gg->line[gg->n], line, len);
	gg->line[gg->n][len] = '\0';
	gg->len[gg->n++] = len;
	return (gg->stop_at != 0 && gg->n == gg->stop_at ? -1 : 0);
}

/* Feed data in reads of at most chunk bytes; returns the first -1 or 0. */
static int
feed(const char *data, size_t len, size_t chunk)
{
	char	*p;
	size_t	 avail, n;
	int	 rc = 0;

	while (len > 0) {
		p = lines_space(l, &avail);
		cr_assert_gt(avail, 0);
		n = len < avail ? len : avail;
		if (n > chunk)
			n = chunk;
		memcpy(p, data, n);
		if (lines_commit(l, n, collect, &g) == -1)
			rc = -1;
		data += n;
		len -= n;
	}
	return (rc);
}

static void
feed_str(const char *s, size_t chunk)
{
	cr_assert_eq(feed(s, strlen(s), chunk), 0);
}

static void
expect(size_t i, const char *s)
{
	cr_assert_lt(i, g.n, "only %zu lines", g.n);
	cr_assert_eq(g.len[i], strlen(s), "line %zu: length %zu", i, g.len[i]);
	cr_assert_str_eq(g.line[i], s);
}

Test(lines, complete_lines_in_one_read)
{
	feed_str("a\nbb\n\nccc\n", 4096);
	cr_assert_eq(g.n, 4);
	expect(0, "a");
	expect(1, "bb");
	expect(2, "");
	expect(3, "ccc");
	cr_assert_eq(lines_finish(l, collect, &g), 0);
	cr_assert_eq(g.n, 4, "nothing pending at the end");
}

Test(lines, partial_line_waits_for_its_newline)
{
	feed_str("2020-03-01T00:00:00,1,GET /da", 4096);
	cr_assert_eq(g.n, 0);
	feed_str("ta/m/x/1.mpg", 4096);
	cr_assert_eq(g.n, 0);
	feed_str("\nnext", 4096);
	cr_assert_eq(g.n, 1);
	expect(0, "2020-03-01T00:00:00,1,GET /data/m/x/1.mpg");
	feed_str("\n", 4096);
	cr_assert_eq(g.n, 2);
	expect(1, "next");
}

Test(lines, any_chunk_boundaries_give_the_same_lines)
{
	static const size_t	 chunks[] = { 1, 2, 3, 5, 7, 13, 64, 100,
				    4096, LINES_BUF };
	char			*text, *p, *nl;
	size_t			 len = 0, nlines = 0, c, i;

	cr_assert_not_null(text = malloc(200 * 80));
	for (i = 0; i < 200; i++)
		len += (size_t)sprintf(text + len, "2020-03-01T00:%02zu:00,%zu,"
		    "GET /data/m/movie+%zu/%zu.mpg%s\n", i % 60, i, i % 17,
		    i, i % 9 == 0 ? "\r" : "");
	for (c = 0; c < sizeof(chunks) / sizeof(chunks[0]); c++) {
		teardown();
		setup();
		cr_assert_eq(feed(text, len, chunks[c]), 0);
		cr_assert_eq(g.n, 200, "chunk %zu: %zu lines", chunks[c], g.n);
		for (p = text, i = 0; i < 200; i++, p = nl + 1) {
			nl = strchr(p, '\n');
			cr_assert_eq(g.len[i], (size_t)(nl - p),
			    "chunk %zu line %zu", chunks[c], i);
			cr_assert_eq(memcmp(g.line[i], p, g.len[i]), 0,
			    "chunk %zu line %zu", chunks[c], i);
			nlines++;
		}
		cr_assert_eq(lines_finish(l, collect, &g), 0);
		cr_assert_eq(g.n, 200);
	}
	cr_assert_eq(nlines, 200 * (sizeof(chunks) / sizeof(chunks[0])));
	free(text);
}

Test(lines, crlf_is_left_for_the_caller)
{
	feed_str("x\r\ny\r\n\r\n", 1);
	cr_assert_eq(g.n, 3);
	expect(0, "x\r");
	expect(1, "y\r");
	expect(2, "\r");
}

Test(lines, finish_hands_over_the_last_unterminated_line)
{
	feed_str("a\nlast", 3);
	cr_assert_eq(g.n, 1);
	cr_assert_eq(lines_finish(l, collect, &g), 0);
	cr_assert_eq(g.n, 2);
	expect(1, "last");
	/* Only once, and the framer is empty and reusable. */
	cr_assert_eq(lines_finish(l, collect, &g), 0);
	cr_assert_eq(g.n, 2);
	feed_str("again\n", 2);
	cr_assert_eq(g.n, 3);
	expect(2, "again");
}

Test(lines, long_line_that_fits_the_buffer_is_handed_over_whole)
{
	size_t	 n = PARSE_LINE_MAX + 1000, i;
	char	*big;

	cr_assert_not_null(big = malloc(n + 8));
	memset(big, 'x', n);
	memcpy(big + n, "\nok\n", 5);
	cr_assert_eq(feed(big, n + 4, 1000), 0);
	cr_assert_eq(g.n, 2);
	cr_assert_eq(g.len[0], n);
	for (i = 0; i < n; i++)
		cr_assert_eq(g.line[0][i], 'x');
	expect(1, "ok");
	free(big);
}

/* A line of n 'x' bytes then "\nafter\ntail", fed in reads of chunk. */
static void
overlong(size_t n, size_t chunk)
{
	char	*big;
	size_t	 i;

	cr_assert_not_null(big = malloc(n + 16));
	memset(big, 'x', n);
	memcpy(big + n, "\nafter\ntail", 12);
	cr_assert_eq(feed(big, n + 11, chunk), 0);
	cr_assert_eq(g.n, 2, "n %zu chunk %zu: %zu lines", n, chunk, g.n);
	/* Cut, but long enough for the parser to say too_long. */
	cr_assert_gt(g.len[0], PARSE_LINE_MAX);
	cr_assert_leq(g.len[0], LINES_BUF);
	for (i = 0; i < g.len[0]; i++)
		cr_assert_eq(g.line[0][i], 'x');
	expect(1, "after");
	cr_assert_eq(lines_finish(l, collect, &g), 0);
	cr_assert_eq(g.n, 3);
	expect(2, "tail");
	free(big);
}

Test(lines, overlong_line_reported_once_then_skipped)
{
	overlong(200000, 4096);
}

Test(lines, overlong_line_in_big_reads)
{
	overlong(3 * LINES_BUF + 17, LINES_BUF);
}

Test(lines, overlong_line_of_exactly_the_buffer_size)
{
	overlong(LINES_BUF, LINES_BUF);
}

Test(lines, overlong_line_one_past_the_buffer)
{
	overlong(LINES_BUF + 1, 65536);
}

Test(lines, line_one_below_the_buffer_size_is_whole)
{
	size_t	 n = LINES_BUF - 1;
	char	*big;

	cr_assert_not_null(big = malloc(n + 8));
	memset(big, 'y', n);
	memcpy(big + n, "\nz\n", 4);
	cr_assert_eq(feed(big, n + 3, LINES_BUF), 0);
	cr_assert_eq(g.n, 2);
	cr_assert_eq(g.len[0], n);
	expect(1, "z");
	free(big);
}

Test(lines, overlong_line_fed_byte_by_byte_at_the_boundary)
{
	size_t	 n = LINES_BUF + 40, head = LINES_BUF - 30;
	char	*big;

	cr_assert_not_null(big = malloc(n + 16));
	memset(big, 'x', n);
	memcpy(big + n, "\nafter\n", 8);
	/* The bulk in one read, the rest one byte at a time. */
	cr_assert_eq(feed(big, head, LINES_BUF), 0);
	cr_assert_eq(g.n, 0);
	cr_assert_eq(feed(big + head, n + 7 - head, 1), 0);
	cr_assert_eq(g.n, 2);
	cr_assert_eq(g.len[0], LINES_BUF);
	expect(1, "after");
	free(big);
}

Test(lines, overlong_unterminated_line_at_the_end_is_not_repeated)
{
	size_t	 n = 100000;
	char	*big;

	cr_assert_not_null(big = malloc(n));
	memset(big, 'x', n);
	cr_assert_eq(feed(big, n, 8192), 0);
	cr_assert_eq(g.n, 1);
	cr_assert_eq(lines_finish(l, collect, &g), 0);
	cr_assert_eq(g.n, 1, "the skipped remainder is not a line");
	/* The framer is clean for the next stream. */
	feed_str("fresh\n", 100);
	cr_assert_eq(g.n, 2);
	expect(1, "fresh");
	free(big);
}

Test(lines, callback_returning_minus_one_stops)
{
	g.stop_at = 2;
	cr_assert_eq(feed("a\nb\nc\nd", 7, 4096), -1);
	cr_assert_eq(g.n, 2, "lines after the stop are dropped");
	expect(0, "a");
	expect(1, "b");
}

Test(lines, finish_returns_the_callback_result)
{
	g.stop_at = 1;
	feed_str("unterminated", 5);
	cr_assert_eq(g.n, 0);
	cr_assert_eq(lines_finish(l, collect, &g), -1);
	cr_assert_eq(g.n, 1);
	expect(0, "unterminated");
}

Test(lines, space_is_always_positive)
{
	size_t	avail, i;
	char	*p;

	for (i = 0; i < 3 * LINES_BUF; i += 1000) {
		p = lines_space(l, &avail);
		cr_assert_not_null(p);
		cr_assert_gt(avail, 0);
		cr_assert_leq(avail, LINES_BUF);
		memset(p, 'q', avail < 1000 ? avail : 1000);
		cr_assert_eq(lines_commit(l, avail < 1000 ? avail : 1000,
		    collect, &g), 0);
	}
	cr_assert_eq(g.n, 1);
}
