/*
 * What the parser's unit tests share (test_parse.c, test_parse_reco.c):
 * one event, the calls that fill it, the lines' common start.
 */
#ifndef CINEREC_PARSE_TEST_H
#define CINEREC_PARSE_TEST_H

#include <stdint.h>
#include <string.h>

#include "ingest/parse.h"

static struct parse_event	ev;

/* Parse a NUL-terminated line. */
static inline int
parse(const char *s)
{
	memset(&ev, 0xa5, sizeof(ev));
	return (parse_line(s, strlen(s), &ev));
}

/* Parse len bytes. */
static inline int
parsen(const char *s, size_t len)
{
	memset(&ev, 0xa5, sizeof(ev));
	return (parse_line(s, len, &ev));
}

#define T0	"2022-02-08T01:23:30"
#define T0_MS	INT64_C(1644283410000)
#define W(x)	T0 ",89133,GET /data/m/" x
#define R(x)	T0 ",123,GET /rate/" x
#define REC(x)	T0 ",7,recommendation request " x

#endif
