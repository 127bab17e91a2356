/*
 * Unit tests for app/ingest/parse.c, its recommendation lines: host,
 * status, result lists (spacing, spellings and keys, empty, free-form
 * error text, the cap) and latency, each checked for the exact fields or
 * the exact rejection reason.
 */

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>

#include "ingest/parse.h"
#include "parse_test.h"

/* ---- recommendation lines ---- */

Test(reco, no_space_after_commas)
{
	cr_assert_eq(parse(REC("h:8082,status 200,result:a+1,b+2,c+3,93 ms")),
	    PARSE_OK);
	cr_assert_str_eq(ev.host, "h:8082");
	cr_assert_eq(ev.status, 200);
	cr_assert_eq(ev.latency_ms, 93);
	cr_assert_eq(ev.nresults, 3);
	cr_assert_str_eq(ev.result[0], "a+1");
	cr_assert_str_eq(ev.result[1], "b+2");
	cr_assert_str_eq(ev.result[2], "c+3");
}

Test(reco, mixed_spacing_and_decoding)
{
	cr_assert_eq(parse(REC("h:1, status 200, result:  a,b ,  "
	    "am%C3%A9lie+2001 ,x++y, 5ms")), PARSE_OK);
	cr_assert_eq(ev.latency_ms, 5);
	cr_assert_eq(ev.nresults, 4);
	cr_assert_str_eq(ev.result[0], "a");
	cr_assert_str_eq(ev.result[1], "b");
	cr_assert_str_eq(ev.result[2], "am%C3%A9lie+2001");
	cr_assert_str_eq(ev.result_key[2], "am\xc3\xa9lie 2001");
	cr_assert_str_eq(ev.result[3], "x++y");
	cr_assert_str_eq(ev.result_key[3], "x  y");
	cr_assert_str_eq(ev.result_key[0], "a");
}

Test(reco, empty_results)
{
	cr_assert_eq(parse(REC("h:1, status 200, result: , 12 ms")), PARSE_OK);
	cr_assert_eq(ev.nresults, 0);
	cr_assert_eq(ev.latency_ms, 12);
	cr_assert_eq(parse(REC("h:1, status 200, result:, 12 ms")), PARSE_OK);
	cr_assert_eq(ev.nresults, 0);
	cr_assert_eq(parse(REC("h:1, status 200, result: 12 ms")), PARSE_OK);
	cr_assert_eq(ev.nresults, 0);
	cr_assert_eq(ev.latency_ms, 12);
	cr_assert_eq(parse(REC("h:1, status 200, result:12 ms")), PARSE_OK);
	cr_assert_eq(ev.nresults, 0);
}

Test(reco, garbage_results)
{
	cr_assert_eq(parse(REC("h:1, status 200, result: a, b c, 9 ms")),
	    PARSE_ERR_RESULT);
	cr_assert_eq(parse(REC("h:1, status 200, result: a, %G1, 9 ms")),
	    PARSE_ERR_RESULT);
	cr_assert_eq(parse(REC("h:1, status 200, result: a, %C3%28, 9 ms")),
	    PARSE_ERR_RESULT);
	cr_assert_eq(parse(REC("h:1, status 200, result: a, , b, 9 ms")),
	    PARSE_ERR_RESULT);
	cr_assert_eq(parse(REC("h:1, status 200, result: "
	    "java.net.ConnectException: Connection refused, 0 ms")),
	    PARSE_ERR_RESULT);
	cr_assert_eq(parse(REC("h:1, status 200, result: a=1, 9 ms")),
	    PARSE_ERR_RESULT);
}

Test(reco, latency)
{
	cr_assert_eq(parse(REC("h:1, status 200, result: a, 2147483647 ms")),
	    PARSE_OK);
	cr_assert_eq(ev.latency_ms, 2147483647);
	cr_assert_eq(parse(REC("h:1, status 200, result: a, 2147483648 ms")),
	    PARSE_ERR_RESULT);
	cr_assert_eq(parse(REC("h:1, status 200, result: a, -1 ms")),
	    PARSE_ERR_RESULT);
	cr_assert_eq(parse(REC("h:1, status 200, result: a, 12")),
	    PARSE_ERR_RESULT);
	cr_assert_eq(parse(REC("h:1, status 200, result: a, 12 s")),
	    PARSE_ERR_RESULT);
	cr_assert_eq(parse(REC("h:1, status 200, result: a, ms")),
	    PARSE_ERR_RESULT);
	cr_assert_eq(parse(REC("h:1, status 0, result: refused")),
	    PARSE_ERR_RESULT);
}

Test(reco, header_fields)
{
	char	buf[512];

	cr_assert_eq(parse(REC(", status 200, result: a, 1 ms")),
	    PARSE_ERR_RESULT);
	cr_assert_eq(parse(REC("a b, status 200, result: a, 1 ms")),
	    PARSE_ERR_RESULT);
	cr_assert_eq(parse(REC("h:1, status abc, result: a, 1 ms")),
	    PARSE_ERR_RESULT);
	cr_assert_eq(parse(REC("h:1, status 1000, result: a, 1 ms")),
	    PARSE_ERR_RESULT);
	cr_assert_eq(parse(REC("h:1, state 200, result: a, 1 ms")),
	    PARSE_ERR_RESULT);
	cr_assert_eq(parse(REC("h:1, status 200, results a, 1 ms")),
	    PARSE_ERR_RESULT);
	cr_assert_eq(parse(REC("h:1, status 200 , result: a, 1 ms")),
	    PARSE_ERR_RESULT);

	/* Host of exactly PARSE_HOST_MAX bytes, then one more. */
	memset(buf, 0, sizeof(buf));
	strcpy(buf, REC(""));
	memset(buf + strlen(buf), 'h', PARSE_HOST_MAX);
	strcat(buf, ", status 200, result: a, 1 ms");
	cr_assert_eq(parse(buf), PARSE_OK);
	cr_assert_eq(strlen(ev.host), PARSE_HOST_MAX);
	memset(buf, 0, sizeof(buf));
	strcpy(buf, REC(""));
	memset(buf + strlen(buf), 'h', PARSE_HOST_MAX + 1);
	strcat(buf, ", status 200, result: a, 1 ms");
	cr_assert_eq(parse(buf), PARSE_ERR_RESULT);
}

Test(reco, truncated)
{
	cr_assert_eq(parse(REC("h:1")), PARSE_ERR_FIELDS);
	cr_assert_eq(parse(REC("h:1,")), PARSE_ERR_FIELDS);
	cr_assert_eq(parse(REC("h:1, ")), PARSE_ERR_FIELDS);
	cr_assert_eq(parse(REC("h:1, sta")), PARSE_ERR_FIELDS);
	cr_assert_eq(parse(REC("h:1, status 20")), PARSE_ERR_FIELDS);
	cr_assert_eq(parse(REC("h:1, status 200,")), PARSE_ERR_FIELDS);
	cr_assert_eq(parse(REC("h:1, status 200, res")), PARSE_ERR_FIELDS);
	cr_assert_eq(parse(T0 ",7,recommendation request "), PARSE_ERR_FIELDS);
	cr_assert_eq(parse(T0 ",7,recommendation req"), PARSE_ERR_FIELDS);
}

Test(reco, results_cap)
{
	static char	buf[PARSE_LINE_MAX];
	char		item[16];
	int		i;

	strcpy(buf, REC("h:1, status 200, result: "));
	for (i = 0; i < PARSE_RESULTS_MAX + 20; i++) {
		snprintf(item, sizeof(item), "m%d, ", i);
		strcat(buf, item);
	}
	strcat(buf, "77 ms");
	cr_assert_eq(parse(buf), PARSE_OK);
	cr_assert_eq(ev.nresults, PARSE_RESULTS_MAX);
	cr_assert_str_eq(ev.result[0], "m0");
	cr_assert_str_eq(ev.result[PARSE_RESULTS_MAX - 1], "m99");
	cr_assert_eq(ev.latency_ms, 77);

	/* Extras are not kept but still validated. */
	strcpy(buf, REC("h:1, status 200, result: "));
	for (i = 0; i < PARSE_RESULTS_MAX + 5; i++) {
		snprintf(item, sizeof(item), "m%d, ", i);
		strcat(buf, item);
	}
	strcat(buf, "bad item, 77 ms");
	cr_assert_eq(parse(buf), PARSE_ERR_RESULT);
}
