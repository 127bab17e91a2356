/*
 * Integration tests of stream fidelity against the real server: lines in
 * the shapes real captures hold (times without seconds, a blank after a
 * comma, encoded '/', '=' and ':' in movie ids, create_account, spellings
 * of one movie that differ in case and encoding) streamed over TCP, then
 * /recommend, /why and /health.  The ids handed back must be the stream's,
 * byte for byte: the service looks movies up by its own spelling.  The
 * examples are written for these tests, in the captures' shapes.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "harness.h"
#include "util/clock.h"

TestSuite(stream, .init = h_setup_dir, .fini = h_teardown, .timeout = 120);

#define MARINA	"marina+abramovi%C4%87%3A+the+artist+is+present+2012"
#define FACEOFF	"face%2Foff+1997"
#define EMC2	"e%3Dmc%C2%B2+2002"
#define FIFTY	"50%2F50+2011"

/* Append printf-style text to buf at *n. */
static void __attribute__((format(printf, 4, 5)))
add(char *buf, size_t *n, size_t sz, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	*n += (size_t)vsnprintf(buf + *n, sz - *n, fmt, ap);
	va_end(ap);
}

/* Stream text to the ingest: every line accepted and committed. */
static void
stream(const char *text, long want)
{
	int	fd = h_connect(h_srv.ingest_port);

	cr_assert_eq(h_send_sync(fd, text), want);
	close(fd);
}

Test(stream, recommend_and_why_spell_movies_as_the_stream_does)
{
	struct h_reply	 r;
	char		 buf[16384], want[512];
	size_t		 n = 0;
	int		 u;

	h_start(&h_srv, NULL);
	/* Popularity: MARINA 6, FACEOFF 5, EMC2 4, FIFTY 3 users. */
	for (u = 1; u <= 6; u++)	/* minutes, no seconds */
		add(buf, &n, sizeof(buf), "2023-09-28T20:%02d,%d,GET "
		    "/data/m/%s/%d.mpg\n", u, u, MARINA, u);
	for (u = 1; u <= 5; u++)	/* a blank after the user's comma */
		add(buf, &n, sizeof(buf), "2023-09-28T21:00:0%d,%d, GET "
		    "/data/m/%s/1.mpg\n", u, u, FACEOFF);
	for (u = 1; u <= 4; u++)
		add(buf, &n, sizeof(buf), "2023-09-28T21:10:00,%d,GET "
		    "/rate/%s=4\n", u, EMC2);
	for (u = 1; u <= 3; u++)
		add(buf, &n, sizeof(buf), "2023-09-28T21:20:00,%d,GET "
		    "/data/m/%s/0.mpg\n", u, FIFTY);
	add(buf, &n, sizeof(buf), "2023-09-28T21:30:00,100,GET "
	    "/create_account\n");
	stream(buf, 6 + 5 + 4 + 3 + 1);

	/* Before: 1.7% of such lines lost, ids handed back decoded. */
	snprintf(want, sizeof(want), "%s,%s,%s,%s\n", MARINA, FACEOFF, EMC2,
	    FIFTY);
	cr_assert(h_wait_body(h_srv.http_port, "/recommend/100", want, 15,
	    &r), "not the stream's spelling: %s", r.body);
	h_http(h_srv.http_port, "GET", "/recommend/1", NULL, NULL, 0, &r);
	cr_assert_str_eq(r.body, "\n", "user 1 has seen all four");
	h_http(h_srv.http_port, "GET", "/recommend/4", NULL, NULL, 0, &r);
	cr_assert_str_eq(r.body, FIFTY "\n");

	/* The served list, as logged, spelled the same (why). */
	snprintf(want, sizeof(want), "\"movies\":\"%s,%s,%s,%s\"", MARINA,
	    FACEOFF, EMC2, FIFTY);
	cr_assert(h_wait_body_has(h_srv.http_port, "/why/100", want, 15, &r),
	    "%s", r.body);

	h_http(h_srv.http_port, "GET", "/health", NULL, NULL, 0, &r);
	cr_assert_eq(h_json_int(r.body, "movies"), 4);
	cr_assert_eq(h_json_int(r.body, "users"), 7, "%s", r.body);
}

Test(stream, spellings_of_one_movie_are_one_movie_served_as_last_spelled)
{
	struct h_reply	 r;
	char		 buf[8192], when[40];
	size_t		 n = 0;
	int		 u;

	h_start(&h_srv, NULL);
	/* One movie, three spellings (case, %-escape case, a raw byte). */
	for (u = 1; u <= 3; u++)
		add(buf, &n, sizeof(buf), "2023-09-28T20:00:00,%d,GET "
		    "/data/m/%s/1.mpg\n", u, FACEOFF);
	add(buf, &n, sizeof(buf), "2023-09-28T20:00:00,4,GET "
	    "/data/m/Face%%2fOff+1997/1.mpg\n");
	add(buf, &n, sizeof(buf), "2023-09-28T20:00:00,5,GET "
	    "/rate/FACE%%2FOFF+1997=5\n");
	for (u = 1; u <= 2; u++)
		add(buf, &n, sizeof(buf), "2023-09-28T20:00:00,%d,GET "
		    "/data/m/up+2009/1.mpg\n", u);
	/* Another system's list names it, spelled its way (now: lists
	   older than reco_log_days are expired). */
	clock_format(clock_now_ms(), when, sizeof(when));
	add(buf, &n, sizeof(buf), "%s,9,recommendation request "
	    "10.0.0.7:8082, status 200, result: Face%%2FOff+1997, up+2009, "
	    "12 ms\n", when);
	stream(buf, 3 + 2 + 2 + 1);

	/* Counted together: 5 users ahead of up+2009's 2. */
	cr_assert(h_wait_body(h_srv.http_port, "/recommend/50",
	    "Face%2FOff+1997,up+2009\n", 15, &r), "%s", r.body);
	h_http(h_srv.http_port, "GET", "/health", NULL, NULL, 0, &r);
	cr_assert_eq(h_json_int(r.body, "movies"), 2, "%s", r.body);
	/* The other system's list, as it spelled it. */
	cr_assert(h_wait_body_has(h_srv.http_port, "/why/9", "\"movies\":"
	    "\"Face%2FOff+1997,up+2009\"", 30, &r), "%s", r.body);
}
