/*
 * Unit tests for app/sim/dirt.c: every dirty line gets from the parser the
 * reason sim_dirty announced, a kept variant is the same event (user,
 * kind, movie key), and every kind of dirt turns up.
 */
#include <criterion/criterion.h>

#include <stdio.h>
#include <string.h>

#include "ingest/parse.h"
#include "sim/dirt.h"

TestSuite(dirt, .timeout = 60);

static struct parse_event	clean, dirty;

Test(dirt, the_parser_gives_each_dirty_line_its_announced_reason)
{
	static const char *const ids[] = { "the+silent+river+1987",
	    "the+caf%C3%A9+last+king%3A+part+2+2001", "x", "up+2009" };
	char		 line[256], out[SIM_DIRT_LINE_MAX], key[256];
	uint64_t	 rng = 7;
	int		 seen[PARSE_NREASONS] = { 0 }, i, want, got;
	size_t		 len, olen;

	for (i = 0; i < 4000; i++) {
		if (i % 2)
			len = (size_t)snprintf(line, sizeof(line),
			    "2026-01-0%dT10:%02d:%02d,%d,GET /data/m/%s/%d.mpg",
			    1 + i % 9, i % 60, i % 59, 1000 + i, ids[i % 4],
			    i % 90);
		else
			len = (size_t)snprintf(line, sizeof(line),
			    "2026-01-0%dT10:%02d:%02d,%d,GET /rate/%s=%d",
			    1 + i % 9, i % 60, i % 59, 1000 + i, ids[i % 4],
			    1 + i % 5);
		cr_assert_eq(parse_line(line, len, &clean), PARSE_OK, "%s",
		    line);
		snprintf(key, sizeof(key), "%s", clean.key);
		want = sim_dirty(&rng, line, len, out, sizeof(out), &olen);
		got = parse_line(out, olen, &dirty);
		cr_assert_eq(got, want, "'%.*s': %s, announced %s", (int)olen,
		    out, parse_reason_name(got), parse_reason_name(want));
		seen[want]++;
		if (want != PARSE_OK)
			continue;
		/* Kept: the same event. */
		cr_assert_eq(dirty.kind, clean.kind);
		cr_assert_eq(dirty.user, clean.user);
		cr_assert_str_eq(dirty.key, key, "%.*s", (int)olen, out);
	}
	cr_assert_gt(seen[PARSE_OK], 0);
	cr_assert_gt(seen[PARSE_ERR_TIME], 0);
	cr_assert_gt(seen[PARSE_ERR_USER], 0);
	cr_assert_gt(seen[PARSE_ERR_MOVIE], 0);
	cr_assert_gt(seen[PARSE_ERR_FIELDS], 0);
	cr_assert_gt(seen[PARSE_ERR_RATING], 0);
	cr_assert_gt(seen[PARSE_ERR_REQUEST], 0);
}
