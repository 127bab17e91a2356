/*
 * Unit tests for app/ingest/parse.c: clean and dirty log lines, each checked for
 * the exact fields parsed or the exact rejection reason.  Expected epoch
 * values come from `date -u -d <time> +%s`, not from the parser.
 */

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>

#include "ingest/parse.h"
#include "parse_test.h"

/* Parse a timestamp given as a C string; returns the ms or -1. */
static int64_t
tms(const char *s)
{
	int64_t		ms;

	if (parse_time(s, strlen(s), &ms) == -1)
		return (-1);
	return (ms);
}

/* Decode a slug given as a C string into buf; returns length or -1. */
static char	slugbuf[PARSE_SLUG_MAX + 1];

static int
slug(const char *s)
{
	return (parse_slug(s, strlen(s), slugbuf, sizeof(slugbuf)));
}

/* The spelling s is a movie id whose key is key. */
static void
key_is(const char *s, const char *key)
{
	cr_assert_eq(slug(s), (int)strlen(key), "%s", s);
	cr_assert_str_eq(slugbuf, key, "%s", s);
}

/* ---- clean lines ---- */

Test(clean, watch)
{
	cr_assert_eq(parse("2022-02-08T01:23:30.484,89133,"
	    "GET /data/m/the+lion+king+1994/97.mpg"), PARSE_OK);
	cr_assert_eq(ev.kind, PARSE_WATCH);
	cr_assert_eq(ev.ts_ms, T0_MS + 484);
	cr_assert_eq(ev.user, 89133);
	cr_assert_str_eq(ev.movie, "the+lion+king+1994");
	cr_assert_eq(ev.movie, ev.text);
	cr_assert_eq(ev.minute, 97);
	cr_assert_eq(ev.nresults, 0);
}

Test(clean, rate)
{
	cr_assert_eq(parse("2022-02-08T01:23:30,123,"
	    "GET /rate/the+lion+king+1994=4"), PARSE_OK);
	cr_assert_eq(ev.kind, PARSE_RATE);
	cr_assert_eq(ev.ts_ms, T0_MS);
	cr_assert_eq(ev.user, 123);
	cr_assert_str_eq(ev.movie, "the+lion+king+1994");
	cr_assert_eq(ev.movie, ev.text);
	cr_assert_eq(ev.rating, 4);
}

Test(clean, reco)
{
	cr_assert_eq(parse("2022-02-08T01:23:31.123456,140133,"
	    "recommendation request 17645-team03.isri.cmu.edu:8082, "
	    "status 200, result: 1917+2019, alita+battle+angel+2019, "
	    "the+lion+king+1994, 93 ms"), PARSE_OK);
	cr_assert_eq(ev.kind, PARSE_RECO);
	cr_assert_eq(ev.ts_ms, T0_MS + 1123);
	cr_assert_eq(ev.user, 140133);
	cr_assert_str_eq(ev.host, "17645-team03.isri.cmu.edu:8082");
	cr_assert_eq(ev.status, 200);
	cr_assert_eq(ev.latency_ms, 93);
	cr_assert_eq(ev.nresults, 3);
	cr_assert_str_eq(ev.result[0], "1917+2019");
	cr_assert_str_eq(ev.result[1], "alita+battle+angel+2019");
	cr_assert_str_eq(ev.result[2], "the+lion+king+1994");
}

Test(clean, reco_status0)
{
	cr_assert_eq(parse("2022-02-08T01:23:32,7,recommendation request "
	    "17645-team11.isri.cmu.edu:8082, status 0, result: "
	    "java.net.ConnectException: Connection refused, 0 ms"), PARSE_OK);
	cr_assert_eq(ev.kind, PARSE_RECO);
	cr_assert_eq(ev.ts_ms, T0_MS + 2000);
	cr_assert_eq(ev.user, 7);
	cr_assert_str_eq(ev.host, "17645-team11.isri.cmu.edu:8082");
	cr_assert_eq(ev.status, 0);
	cr_assert_eq(ev.latency_ms, 0);
	cr_assert_eq(ev.nresults, 0);
}

Test(clean, reco_status500_commas_in_error)
{
	cr_assert_eq(parse(REC("h:1, status 500, result: a, b,, c: %zz, "
	    "1200 ms")), PARSE_OK);
	cr_assert_eq(ev.status, 500);
	cr_assert_eq(ev.latency_ms, 1200);
	cr_assert_eq(ev.nresults, 0);
}

/* ---- timestamps ---- */

Test(time, fractions)
{
	cr_assert_eq(tms("2022-02-08T01:23:30"), T0_MS);
	cr_assert_eq(tms("2022-02-08T01:23:30.4"), T0_MS + 400);
	cr_assert_eq(tms("2022-02-08T01:23:30.48"), T0_MS + 480);
	cr_assert_eq(tms("2022-02-08T01:23:30.484"), T0_MS + 484);
	cr_assert_eq(tms("2022-02-08T01:23:30.484999"), T0_MS + 484);
	cr_assert_eq(tms("2022-02-08T01:23:30.999999999"), T0_MS + 999);
	cr_assert_eq(tms("2022-02-08T01:23:30.123456789012"), T0_MS + 123);
	cr_assert_eq(tms("2022-02-08T01:23:30.000"), T0_MS);
	cr_assert_eq(tms("2022-02-08T01:23:30.007"), T0_MS + 7);
}

Test(time, fraction_in_line)
{
	cr_assert_eq(parse("2022-02-08T01:23:30.123456789012,1,"
	    "GET /data/m/x/1.mpg"), PARSE_OK);
	cr_assert_eq(ev.ts_ms, T0_MS + 123);
	cr_assert_eq(parse("2022-02-08T01:23:30.123456789,1,"
	    "GET /data/m/x/1.mpg"), PARSE_OK);
	cr_assert_eq(ev.ts_ms, T0_MS + 123);
}

Test(time, known_values)
{
	/* date -u -d <t> +%s */
	cr_assert_eq(tms("1970-01-01T00:00:00"), 0);
	cr_assert_eq(tms("1970-01-01T00:00:01"), 1000);
	cr_assert_eq(tms("2022-02-08T01:23:30"), INT64_C(1644283410000));
	cr_assert_eq(tms("2022-03-01T00:00:00"), INT64_C(1646092800000));
	cr_assert_eq(tms("2022-12-31T23:59:59"), INT64_C(1672531199000));
	cr_assert_eq(tms("9999-12-31T23:59:59.999"),
	    INT64_C(253402300799999));
}

Test(time, separators_and_zulu)
{
	cr_assert_eq(tms("2022-02-08 01:23:30"), T0_MS);
	cr_assert_eq(tms("2022-02-08T01:23:30Z"), T0_MS);
	cr_assert_eq(tms("2022-02-08T01:23:30.5Z"), T0_MS + 500);
	cr_assert_eq(tms("2022-02-08t01:23:30"), -1);
	cr_assert_eq(tms("2022-02-08T01:23:30z"), -1);
	cr_assert_eq(tms("2022-02-08T01:23:30ZZ"), -1);
	cr_assert_eq(tms("2022-02-08T01:23:30."), -1);
	cr_assert_eq(tms("2022-02-08T01:23:30.Z"), -1);
	cr_assert_eq(tms("2022-02-08T01:23:30.12a"), -1);
	cr_assert_eq(tms("2022-02-08T01:23:30+00:00"), -1);
	cr_assert_eq(tms("2022-02-08T01:23:30 "), -1);
	cr_assert_eq(tms("2022/02/08T01:23:30"), -1);
	/* No seconds: :00 (real streams write 1.7% of lines so). */
	cr_assert_eq(tms("2022-02-08T01:23"), T0_MS - 30000);
	cr_assert_eq(tms("2022-02-08 01:23Z"), T0_MS - 30000);
	cr_assert_eq(tms("2022-02-08T01:23:"), -1);
	cr_assert_eq(tms("2022-02-08T01:23:3"), -1);
	cr_assert_eq(tms("2022-02-08T01:23.5"), -1);
	cr_assert_eq(tms("2022-02-08T01:2"), -1);
	cr_assert_eq(tms("2022-02-08T01:60"), -1);
	cr_assert_eq(tms("2022-2-08T01:23:30"), -1);
	cr_assert_eq(tms(""), -1);
}

Test(time, leap_days)
{
	cr_assert_eq(tms("2024-02-29T00:00:00"), INT64_C(1709164800000));
	cr_assert_eq(tms("2000-02-29T12:00:00"), INT64_C(951825600000));
	cr_assert_eq(tms("2023-02-29T00:00:00"), -1);
	cr_assert_eq(tms("2100-02-29T00:00:00"), -1);
	cr_assert_eq(tms("2023-02-28T00:00:00") + 86400000,
	    tms("2023-03-01T00:00:00"));
	cr_assert_eq(parse("2024-02-29T00:00:00,1,GET /data/m/x/1.mpg"),
	    PARSE_OK);
	cr_assert_eq(ev.ts_ms, INT64_C(1709164800000));
}

Test(time, ranges)
{
	cr_assert_eq(tms("1969-12-31T23:59:59"), -1);
	cr_assert_eq(tms("0000-01-01T00:00:00"), -1);
	cr_assert_eq(tms("2022-00-10T00:00:00"), -1);
	cr_assert_eq(tms("2022-13-10T00:00:00"), -1);
	cr_assert_eq(tms("2022-01-00T00:00:00"), -1);
	cr_assert_eq(tms("2022-01-32T00:00:00"), -1);
	cr_assert_eq(tms("2022-04-31T00:00:00"), -1);
	cr_assert_eq(tms("2022-04-30T00:00:00") > 0, 1);
	cr_assert_eq(tms("2022-01-10T24:00:00"), -1);
	cr_assert_eq(tms("2022-01-10T23:60:00"), -1);
	cr_assert_eq(tms("2022-01-10T23:59:61"), -1);
	cr_assert_eq(tms("2022-01-10T23:59:99"), -1);
}

Test(time, leap_second_clamped)
{
	/* :60 is accepted and clamped to :59, fraction kept. */
	cr_assert_eq(tms("2016-12-31T23:59:60"), INT64_C(1483228799000));
	cr_assert_eq(tms("2016-12-31T23:59:60.250"), INT64_C(1483228799250));
}

Test(time, bad_time_in_line)
{
	cr_assert_eq(parse("2022-02-30T01:23:30,1,GET /data/m/x/1.mpg"),
	    PARSE_ERR_TIME);
	cr_assert_eq(parse("yesterday,1,GET /data/m/x/1.mpg"),
	    PARSE_ERR_TIME);
	cr_assert_eq(parse(",1,GET /data/m/x/1.mpg"), PARSE_ERR_TIME);
}

/* ---- users ---- */

Test(user, values)
{
	int64_t		u;

	cr_assert_eq(parse_user("0", 1, &u), 0);
	cr_assert_eq(u, 0);
	cr_assert_eq(parse_user("007", 3, &u), 0);
	cr_assert_eq(u, 7);
	cr_assert_eq(parse_user("9223372036854775807", 19, &u), 0);
	cr_assert_eq(u, INT64_MAX);
	cr_assert_eq(parse_user("9223372036854775808", 19, &u), -1);
	cr_assert_eq(parse_user("99999999999999999999", 20, &u), -1);
	cr_assert_eq(parse_user("", 0, &u), -1);
	cr_assert_eq(parse_user("-5", 2, &u), -1);
	cr_assert_eq(parse_user("+5", 2, &u), -1);
	cr_assert_eq(parse_user("abc", 3, &u), -1);
	cr_assert_eq(parse_user("12 ", 3, &u), -1);
	cr_assert_eq(parse_user("1.5", 3, &u), -1);
}

Test(user, in_line)
{
	cr_assert_eq(parse(T0 ",abc,GET /data/m/x/1.mpg"), PARSE_ERR_USER);
	cr_assert_eq(parse(T0 ",-5,GET /data/m/x/1.mpg"), PARSE_ERR_USER);
	cr_assert_eq(parse(T0 ",99999999999999999999,GET /data/m/x/1.mpg"),
	    PARSE_ERR_USER);
	cr_assert_eq(parse(T0 ",,GET /data/m/x/1.mpg"), PARSE_ERR_USER);
	/* Blanks around a field are no part of it. */
	cr_assert_eq(parse(T0 ", 5,GET /data/m/x/1.mpg"), PARSE_OK);
	cr_assert_eq(ev.user, 5);
	cr_assert_eq(parse(T0 ",5 , GET /data/m/x/1.mpg"), PARSE_OK);
	cr_assert_eq(ev.user, 5);
	cr_assert_eq(parse(T0 ", ,GET /data/m/x/1.mpg"), PARSE_ERR_USER);
	cr_assert_eq(parse(T0 ",5 5,GET /data/m/x/1.mpg"), PARSE_ERR_USER);
	cr_assert_eq(parse(" " T0 " ,5,GET /data/m/x/1.mpg"), PARSE_OK);
	cr_assert_eq(ev.ts_ms, T0_MS);
	cr_assert_eq(parse(T0 ",9223372036854775807,GET /data/m/x/1.mpg"),
	    PARSE_OK);
	cr_assert_eq(ev.user, INT64_MAX);
}

/* ---- slugs ---- */

Test(slug, plain_and_mangled)
{
	/* The key: '+' a space, A-Z folded; everything else kept. */
	key_is("the+lion+king+1994", "the lion king 1994");
	key_is("monsters_+inc.+2001", "monsters_ inc. 2001");
	key_is("cheech++chong+get+out+of+my+room+1985",
	    "cheech  chong get out of my room 1985");
	key_is("The+Matrix+1999", "the matrix 1999");
	key_is("x", "x");
}

Test(slug, percent_decoding)
{
	key_is("am%C3%A9lie+2001", "am\xc3\xa9lie 2001");
	key_is("am%c3%a9lie+2001", "am\xc3\xa9lie 2001");
	key_is("am\xc3\xa9lie+2001", "am\xc3\xa9lie 2001");	/* raw UTF-8 */
	key_is("%41%62c", "abc");
	key_is("%F0%9F%8E%AC+x", "\xf0\x9f\x8e\xac x");	/* 4-byte char */
	/* Encoded '/', '=', ':', '+', ' ' and '%' are real titles' bytes. */
	key_is("face%2Foff+1997", "face/off 1997");
	key_is("50%2f50+2011", "50/50 2011");
	key_is("e%3Dmc%C2%B2+2002", "e=mc\xc2\xb2 2002");
	key_is("marina+abramovi%C4%87%3A+the+artist+is+present+2012",
	    "marina abramovi\xc4\x87: the artist is present 2012");
	key_is("c%2B%2B", "c++");
	key_is("a%20b", "a b");
	key_is("100%25", "100%");		/* decoded once */
	key_is("%2541", "%41");
}

Test(slug, bad_escapes)
{
	cr_assert_eq(slug("a%G1b"), -1);
	cr_assert_eq(slug("ab%4"), -1);
	cr_assert_eq(slug("ab%"), -1);
	cr_assert_eq(slug("%"), -1);
	cr_assert_eq(slug("%%41"), -1);
}

Test(slug, bad_utf8)
{
	cr_assert_eq(slug("%C3%28"), -1);	/* bad continuation */
	cr_assert_eq(slug("%C0%AF"), -1);	/* overlong '/' */
	cr_assert_eq(slug("%E0%80%AF"), -1);	/* overlong, 3 bytes */
	cr_assert_eq(slug("%ED%A0%80"), -1);	/* surrogate */
	cr_assert_eq(slug("%F4%90%80%80"), -1);	/* > U+10FFFF */
	cr_assert_eq(slug("%C3"), -1);		/* cut sequence */
	cr_assert_eq(slug("ab%A9"), -1);	/* lone continuation */
	cr_assert_eq(slug("\xff"), -1);
}

Test(slug, forbidden_bytes)
{
	cr_assert_eq(slug(""), -1);
	cr_assert_eq(slug("a b"), -1);
	cr_assert_eq(slug("a,b"), -1);
	cr_assert_eq(slug("a/b"), -1);
	cr_assert_eq(slug("a=b"), -1);
	cr_assert_eq(slug("a%00b"), -1);
	cr_assert_eq(slug("a%0Ab"), -1);
	cr_assert_eq(slug("a%7Fb"), -1);
	cr_assert_eq(slug("a\tb"), -1);
}

Test(slug, lengths)
{
	char	in[3 * 300 + 1], out[8];
	int	i;

	memset(in, 'a', PARSE_SLUG_MAX);
	in[PARSE_SLUG_MAX] = '\0';
	cr_assert_eq(slug(in), PARSE_SLUG_MAX);
	in[PARSE_SLUG_MAX] = 'a';
	in[PARSE_SLUG_MAX + 1] = '\0';
	cr_assert_eq(slug(in), -1);
	/* 255 decoded bytes from 765 encoded ones are fine. */
	for (i = 0; i < PARSE_SLUG_MAX; i++)
		memcpy(in + 3 * i, "%41", 3);
	in[3 * PARSE_SLUG_MAX] = '\0';
	cr_assert_eq(slug(in), PARSE_SLUG_MAX);
	/* Output buffer bounds. */
	cr_assert_eq(parse_slug("abcdefg", 7, out, sizeof(out)), 7);
	cr_assert_str_eq(out, "abcdefg");
	cr_assert_eq(parse_slug("abcdefgh", 8, out, sizeof(out)), -1);
	cr_assert_eq(parse_slug("a", 1, out, 0), -1);
	cr_assert_eq(parse_slug("a", 1, out, 1), -1);
}

/* ---- watch lines ---- */

Test(watch, dirty_movies)
{
	/* The movie as the stream spells it, and its key. */
	cr_assert_eq(parse(W("am%C3%A9lie+2001/3.mpg")), PARSE_OK);
	cr_assert_str_eq(ev.movie, "am%C3%A9lie+2001");
	cr_assert_str_eq(ev.key, "am\xc3\xa9lie 2001");
	cr_assert_eq(parse(W("face%2Foff+1997/12.mpg")), PARSE_OK);
	cr_assert_str_eq(ev.movie, "face%2Foff+1997");
	cr_assert_str_eq(ev.key, "face/off 1997");
	cr_assert_eq(ev.minute, 12);
	cr_assert_eq(parse(W("Frost%2FNixon+2008/1.mpg")), PARSE_OK);
	cr_assert_str_eq(ev.movie, "Frost%2FNixon+2008");
	cr_assert_str_eq(ev.key, "frost/nixon 2008");
	cr_assert_eq(parse(W("monsters_+inc.+2001/0.mpg")), PARSE_OK);
	cr_assert_str_eq(ev.movie, "monsters_+inc.+2001");
	cr_assert_eq(ev.minute, 0);
	cr_assert_eq(parse(W("cheech++chong+get+out+of+my+room+1985/1440.mpg")),
	    PARSE_OK);
	cr_assert_str_eq(ev.movie, "cheech++chong+get+out+of+my+room+1985");
	cr_assert_eq(ev.minute, 1440);

	cr_assert_eq(parse(W("a%G1b/3.mpg")), PARSE_ERR_MOVIE);
	cr_assert_eq(parse(W("ab%4/3.mpg")), PARSE_ERR_MOVIE);
	cr_assert_eq(parse(W("ab%C3%28/3.mpg")), PARSE_ERR_MOVIE);
	cr_assert_eq(parse(W("ab%C0%AF/3.mpg")), PARSE_ERR_MOVIE);
	cr_assert_eq(parse(W("/3.mpg")), PARSE_ERR_MOVIE);
	cr_assert_eq(parse(W("a/b/3.mpg")), PARSE_ERR_MOVIE);
	cr_assert_eq(parse(W("a b/3.mpg")), PARSE_ERR_MOVIE);
	cr_assert_eq(parse(W("a=b/3.mpg")), PARSE_ERR_MOVIE);
}

Test(watch, minutes)
{
	cr_assert_eq(parse(W("x/-1.mpg")), PARSE_ERR_MINUTE);
	cr_assert_eq(parse(W("x/1441.mpg")), PARSE_ERR_MINUTE);
	cr_assert_eq(parse(W("x/99999999999999999999999.mpg")),
	    PARSE_ERR_MINUTE);
	cr_assert_eq(parse(W("x/12a.mpg")), PARSE_ERR_MINUTE);
	cr_assert_eq(parse(W("x/.mpg")), PARSE_ERR_MINUTE);
	cr_assert_eq(parse(W("x/1.5.mpg")), PARSE_ERR_MINUTE);
	cr_assert_eq(parse(W("x/007.mpg")), PARSE_OK);
	cr_assert_eq(ev.minute, 7);
}

Test(watch, cut_and_garbled)
{
	cr_assert_eq(parse(W("the+lion+king+1994")), PARSE_ERR_FIELDS);
	cr_assert_eq(parse(W("the+lion+king+1994/")), PARSE_ERR_FIELDS);
	cr_assert_eq(parse(W("the+lion+king+1994/97")), PARSE_ERR_FIELDS);
	cr_assert_eq(parse(W("the+lion+king+1994/97.mp")), PARSE_ERR_FIELDS);
	cr_assert_eq(parse(W("")), PARSE_ERR_FIELDS);
	cr_assert_eq(parse(W("x/97.mp4")), PARSE_ERR_REQUEST);
	cr_assert_eq(parse(W("x/97.mpg?x=1")), PARSE_ERR_REQUEST);
	cr_assert_eq(parse(W("x/97.mpg ")), PARSE_OK);	/* trailing blank */
	cr_assert_eq(ev.minute, 97);
	cr_assert_eq(parse(W("x/97 .mpg")), PARSE_ERR_MINUTE);
}

/* ---- rate lines ---- */

Test(rate, ratings)
{
	int	i;
	char	buf[128];

	for (i = 1; i <= 5; i++) {
		snprintf(buf, sizeof(buf), R("x=%d"), i);
		cr_assert_eq(parse(buf), PARSE_OK);
		cr_assert_eq(ev.rating, i);
	}
	cr_assert_eq(parse(R("x=0")), PARSE_ERR_RATING);
	cr_assert_eq(parse(R("x=6")), PARSE_ERR_RATING);
	cr_assert_eq(parse(R("x=-1")), PARSE_ERR_RATING);
	cr_assert_eq(parse(R("x=4.5")), PARSE_ERR_RATING);
	cr_assert_eq(parse(R("x=abc")), PARSE_ERR_RATING);
	cr_assert_eq(parse(R("x=")), PARSE_ERR_RATING);
	cr_assert_eq(parse(R("x=4 ")), PARSE_OK);	/* trailing blank */
	cr_assert_eq(ev.rating, 4);
	cr_assert_eq(parse(R("x= 4")), PARSE_ERR_RATING);
	cr_assert_eq(parse(R("x=99999999999999999999")), PARSE_ERR_RATING);
}

Test(rate, movies)
{
	cr_assert_eq(parse(R("am%C3%A9lie+2001=5")), PARSE_OK);
	cr_assert_str_eq(ev.movie, "am%C3%A9lie+2001");
	cr_assert_str_eq(ev.key, "am\xc3\xa9lie 2001");
	cr_assert_eq(ev.rating, 5);
	cr_assert_eq(parse(R("e%3Dmc%C2%B2+2002=4")), PARSE_OK);
	cr_assert_str_eq(ev.movie, "e%3Dmc%C2%B2+2002");
	cr_assert_str_eq(ev.key, "e=mc\xc2\xb2 2002");
	cr_assert_eq(ev.rating, 4);
	cr_assert_eq(parse(R("=4")), PARSE_ERR_MOVIE);
	cr_assert_eq(parse(R("a=b=4")), PARSE_ERR_MOVIE);
	cr_assert_eq(parse(R("a%=4")), PARSE_ERR_MOVIE);
	cr_assert_eq(parse(R("x")), PARSE_ERR_FIELDS);
	cr_assert_eq(parse(R("")), PARSE_ERR_FIELDS);
}

Test(rate, scale_is_a_setting)
{
	const char	*l = R("x=10");

	/* 1..5 unless told; the 2026 spec's 1..10 stars when told. */
	cr_assert_eq(parse(l), PARSE_ERR_RATING);
	memset(&ev, 0xa5, sizeof(ev));
	cr_assert_eq(parse_line_scaled(l, strlen(l), 10, &ev), PARSE_OK);
	cr_assert_eq(ev.rating, 10);
	l = R("x=11");
	cr_assert_eq(parse_line_scaled(l, strlen(l), 10, &ev),
	    PARSE_ERR_RATING);
	l = R("x=0");
	cr_assert_eq(parse_line_scaled(l, strlen(l), 10, &ev),
	    PARSE_ERR_RATING);
	/* A scale out of range is the default one. */
	l = R("x=6");
	cr_assert_eq(parse_line_scaled(l, strlen(l), 1, &ev),
	    PARSE_ERR_RATING);
	cr_assert_eq(parse_line_scaled(l, strlen(l), 1000, &ev),
	    PARSE_ERR_RATING);
}

/* ---- account lines ---- */

Test(account, create_account)
{
	cr_assert_eq(parse(T0 ",270259,GET /create_account"), PARSE_OK);
	cr_assert_eq(ev.kind, PARSE_ACCOUNT);
	cr_assert_eq(ev.user, 270259);
	cr_assert_eq(ev.ts_ms, T0_MS);
	cr_assert_null(ev.movie);
	cr_assert_eq(parse(T0 ", 7, GET /create_account "), PARSE_OK);
	cr_assert_eq(ev.kind, PARSE_ACCOUNT);
	cr_assert_eq(parse(T0 ",7,GET /create_acc"), PARSE_ERR_FIELDS);
	cr_assert_eq(parse(T0 ",7,GET /create_account/x"), PARSE_ERR_REQUEST);
	cr_assert_eq(parse(T0 ",7,GET /create_accounts"), PARSE_ERR_REQUEST);
	cr_assert_str_eq(parse_kind_name(PARSE_ACCOUNT), "account");
	cr_assert_str_eq(parse_kind_name(PARSE_NKINDS), "unknown");
}

/* ---- the shape of unknown lines ---- */

static const char *
shape(const char *line)
{
	static char	out[48];

	parse_shape(line, strlen(line), out, sizeof(out));
	return (out);
}

Test(shape, of_unknown_requests)
{
	cr_assert_str_eq(shape(T0 ",1,GET /search/q=lion"), "GET /search/");
	cr_assert_str_eq(shape(T0 ",1, GET /search?q=lion"), "GET /search");
	cr_assert_str_eq(shape(T0 ",1,POST /rate/x=4"), "POST /rate/");
	cr_assert_str_eq(shape(T0 ",1,GET /data/m/x/1.mp4"), "GET /data/");
	cr_assert_str_eq(shape(T0 ",1,login attempt from 10.0.0.1"),
	    "login attempt");
	cr_assert_str_eq(shape(T0 ",1,GET"), "GET");
	cr_assert_str_eq(shape(T0 ",1,"), "?");
	cr_assert_str_eq(shape("no commas"), "?");
	cr_assert_str_eq(shape(T0 ",1,\xc3\xa9t\xc3\xa9"), "?");
	/* Cut to fit. */
	cr_assert_eq(strlen(shape(T0 ",1,GET /aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/")), 47);
}

/* ---- request, fields, line level ---- */

Test(line, bad_request)
{
	cr_assert_eq(parse(T0 ",1,POST /data/m/x/1.mpg"), PARSE_ERR_REQUEST);
	cr_assert_eq(parse(T0 ",1,GET /data/x/1.mpg"), PARSE_ERR_REQUEST);
	cr_assert_eq(parse(T0 ",1,get /rate/x=1"), PARSE_ERR_REQUEST);
	cr_assert_eq(parse(T0 ",1,hello"), PARSE_ERR_REQUEST);
	cr_assert_eq(parse(T0 ",1, GET /rate/x=1"), PARSE_OK);	/* blank */
	cr_assert_eq(parse(T0 ",1,GET  /rate/x=1"), PARSE_ERR_REQUEST);
}

Test(line, truncated)
{
	cr_assert_eq(parse(""), PARSE_ERR_FIELDS);
	cr_assert_eq(parse("\r"), PARSE_ERR_FIELDS);
	cr_assert_eq(parse(T0), PARSE_ERR_FIELDS);
	cr_assert_eq(parse(T0 ",1"), PARSE_ERR_FIELDS);
	cr_assert_eq(parse(T0 ",1,"), PARSE_ERR_FIELDS);
	cr_assert_eq(parse(T0 ",1,GET"), PARSE_ERR_FIELDS);
	cr_assert_eq(parse(T0 ",1,GET /"), PARSE_ERR_FIELDS);
	cr_assert_eq(parse(T0 ",1,GET /data/m/"), PARSE_ERR_FIELDS);
	cr_assert_eq(parse(T0 ",1,GET /rate/"), PARSE_ERR_FIELDS);
	cr_assert_eq(parsen(NULL, 0), PARSE_ERR_FIELDS);
}

Test(line, crlf)
{
	cr_assert_eq(parse(W("the+lion+king+1994/97.mpg\r")), PARSE_OK);
	cr_assert_eq(ev.minute, 97);
	cr_assert_eq(parse(R("x=4\r")), PARSE_OK);
	cr_assert_eq(ev.rating, 4);
	cr_assert_eq(parse(REC("h:1, status 200, result: a, b, 9 ms\r")),
	    PARSE_OK);
	cr_assert_eq(ev.nresults, 2);
	cr_assert_str_eq(ev.result[1], "b");
	cr_assert_eq(ev.latency_ms, 9);
	/* Only one trailing CR is stripped; a CR elsewhere is binary. */
	cr_assert_eq(parse(R("x=4\r\r")), PARSE_ERR_BINARY);
	cr_assert_eq(parse(R("x=\r4")), PARSE_ERR_BINARY);
}

/* Build a status-0 line of exactly n bytes (n >= 80). */
static void
fill_line(char *buf, size_t n)
{
	const char	*head = REC("h:1, status 0, result: ");
	const char	*tail = ", 5 ms";
	size_t		 hl = strlen(head), tl = strlen(tail);

	memcpy(buf, head, hl);
	memset(buf + hl, 'x', n - hl - tl);
	memcpy(buf + n - tl, tail, tl);
}

Test(line, max_length)
{
	static char	buf[PARSE_LINE_MAX + 2];

	fill_line(buf, PARSE_LINE_MAX);
	cr_assert_eq(parsen(buf, PARSE_LINE_MAX), PARSE_OK);
	cr_assert_eq(ev.latency_ms, 5);
	fill_line(buf, PARSE_LINE_MAX + 1);
	cr_assert_eq(parsen(buf, PARSE_LINE_MAX + 1), PARSE_ERR_TOO_LONG);
	/* A trailing CR does not count. */
	fill_line(buf, PARSE_LINE_MAX);
	buf[PARSE_LINE_MAX] = '\r';
	cr_assert_eq(parsen(buf, PARSE_LINE_MAX + 1), PARSE_OK);
	/* too_long is decided on the length alone. */
	memset(buf, 0, sizeof(buf));
	cr_assert_eq(parsen(buf, PARSE_LINE_MAX + 1), PARSE_ERR_TOO_LONG);
}

Test(line, max_length_results)
{
	static char	buf[PARSE_LINE_MAX + 1];
	size_t		n;

	/* A full-length 200 line of one-byte items fills text[] most. */
	strcpy(buf, REC("h:1, status 200, result: "));
	n = strlen(buf);
	while (n + 2 + 6 <= PARSE_LINE_MAX) {
		memcpy(buf + n, "a,", 2);
		n += 2;
	}
	memcpy(buf + n, "a, 1ms", 6);
	n += 6;
	cr_assert_eq(parsen(buf, n), PARSE_OK);
	cr_assert_eq(ev.nresults, PARSE_RESULTS_MAX);
}

Test(line, binary)
{
	static const char	nul[] = T0 ",1,GET /data/m/x\0y/1.mpg";
	char			buf[128];
	size_t			i, len;

	cr_assert_eq(parsen(nul, sizeof(nul) - 1), PARSE_ERR_BINARY);
	cr_assert_eq(parse(W("x\x01y/1.mpg")), PARSE_ERR_BINARY);
	cr_assert_eq(parse(W("x\ty/1.mpg")), PARSE_ERR_BINARY);
	cr_assert_eq(parse(W("x\x7fy/1.mpg")), PARSE_ERR_BINARY);
	cr_assert_eq(parse(W("x\ny/1.mpg")), PARSE_ERR_BINARY);
	cr_assert_eq(parse(W("x\xffy/1.mpg")), PARSE_ERR_BINARY);
	cr_assert_eq(parse(W("x\xc3\x28y/1.mpg")), PARSE_ERR_BINARY);
	cr_assert_eq(parse(W("x\xc0\xafy/1.mpg")), PARSE_ERR_BINARY);
	cr_assert_eq(parse(W("x\xed\xa0\x80y/1.mpg")), PARSE_ERR_BINARY);
	cr_assert_eq(parse(W("x/1.mpg\xc3")), PARSE_ERR_BINARY);
	/* Valid raw UTF-8 passes the line check and the slug check. */
	cr_assert_eq(parse(W("caf\xc3\xa9+\xf0\x9f\x8e\xac/1.mpg")), PARSE_OK);
	cr_assert_str_eq(ev.movie, "caf\xc3\xa9+\xf0\x9f\x8e\xac");

	/* Each bad byte at each offset of a long line. */
	strcpy(buf, W("a+long+enough+movie+name+2001/12.mpg"));
	len = strlen(buf);
	for (i = 0; i < len; i++) {
		char	c = buf[i];

		buf[i] = '\x1b';
		cr_assert_eq(parse(buf), PARSE_ERR_BINARY, "offset %zu", i);
		buf[i] = '\x80';
		cr_assert_eq(parse(buf), PARSE_ERR_BINARY, "offset %zu", i);
		buf[i] = '\x7f';
		cr_assert_eq(parse(buf), PARSE_ERR_BINARY, "offset %zu", i);
		buf[i] = '\0';
		cr_assert_eq(parsen(buf, len), PARSE_ERR_BINARY, "offset %zu",
		    i);
		buf[i] = c;
	}
	cr_assert_eq(parse(buf), PARSE_OK);
}

Test(line, random_bytes)
{
	char		buf[4096];
	uint64_t	x = 0x9e3779b97f4a7c15ULL;
	size_t		i;
	int		r, n;

	for (n = 0; n < 200; n++) {
		for (i = 0; i < sizeof(buf); i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			buf[i] = (char)(x >> 32);
		}
		buf[n] = '\0';		/* at least one NUL in there */
		r = parsen(buf, sizeof(buf));
		cr_assert_eq(r, PARSE_ERR_BINARY);
		r = parsen(buf, (size_t)n);
		cr_assert(r >= 0 && r < PARSE_NREASONS);
	}
}

/* ---- reason names ---- */

Test(reason, names)
{
	static const char *const want[PARSE_NREASONS] = {
		"ok", "too_long", "binary", "truncated", "bad_time",
		"bad_user", "bad_request", "bad_movie", "bad_minute",
		"bad_rating", "bad_result", "no_memory",
	};
	int	i;

	for (i = 0; i < PARSE_NREASONS; i++)
		cr_assert_str_eq(parse_reason_name(i), want[i]);
	cr_assert_str_eq(parse_reason_name(-1), "unknown");
	cr_assert_str_eq(parse_reason_name(PARSE_NREASONS), "unknown");
	cr_assert_str_eq(parse_reason_name(1000), "unknown");
}

/* Every reason is reachable through parse_line. */
Test(reason, all_reached)
{
	static char	big[PARSE_LINE_MAX + 1];
	int		seen[PARSE_NREASONS] = { 0 }, i;

	memset(big, 'a', sizeof(big));
	seen[parse(W("x/1.mpg"))]++;
	seen[parsen(big, sizeof(big))]++;
	seen[parse(W("x\x01/1.mpg"))]++;
	seen[parse(T0)]++;
	seen[parse("2022-13-01T00:00:00,1,GET /rate/x=1")]++;
	seen[parse(T0 ",x,GET /rate/x=1")]++;
	seen[parse(T0 ",1,PUT /rate/x=1")]++;
	seen[parse(R("x%zz=1"))]++;
	seen[parse(W("x/1441.mpg"))]++;
	seen[parse(R("x=9"))]++;
	seen[parse(REC("h, status 200, result: a b, 1 ms"))]++;
	/* no_memory is the writer's, never the parser's. */
	for (i = 0; i < PARSE_NREASONS; i++)
		cr_assert_eq(seen[i], i == PARSE_ERR_NOMEM ? 0 : 1, "reason %s",
		    parse_reason_name(i));
}
