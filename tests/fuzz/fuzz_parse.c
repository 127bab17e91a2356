/*
 * libFuzzer target for app/ingest/parse.c: feeds arbitrary bytes to parse_line and
 * the field parsers and aborts when an accepted event breaks the contract of
 * parse.h.  `make fuzz` runs it; `make test` replays its corpus.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/parse.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define CHECK(x)	do { if (!(x)) abort(); } while (0)

/* Max ts_ms: 9999-12-31T23:59:59.999Z. */
#define TS_MAX		INT64_C(253402300799999)

/* Is p a string that starts and ends (with its NUL) inside text[]? */
static size_t
in_text(const struct parse_event *ev, const char *p)
{
	const char	*end = ev->text + sizeof(ev->text);
	const char	*nul;

	CHECK(p >= ev->text && p < end);
	nul = memchr(p, '\0', (size_t)(end - p));
	CHECK(nul != NULL);
	return ((size_t)(nul - p));
}

/* A key: 1..PARSE_SLUG_MAX bytes, no control bytes, no A-Z. */
static void
check_key(const char *k, size_t len)
{
	size_t	i;

	CHECK(len >= 1 && len <= PARSE_SLUG_MAX);
	for (i = 0; i < len; i++)
		CHECK((unsigned char)k[i] >= 0x20 && k[i] != 0x7f &&
		    !(k[i] >= 'A' && k[i] <= 'Z'));
}

/* A movie as spelled and its key: the spelling gives that key again. */
static void
check_slug(const char *s, size_t len, const char *key, size_t klen)
{
	char	again[PARSE_SLUG_MAX + 1];

	CHECK(len >= 1 && len <= PARSE_SPELLING_MAX);
	CHECK(klen <= len);
	check_key(key, klen);
	CHECK(parse_slug(s, len, again, sizeof(again)) == (int)klen);
	CHECK(memcmp(again, key, klen + 1) == 0);
}

static void
check_event(const struct parse_event *ev)
{
	const char	*prev_end;
	size_t		 i, n, k;

	CHECK(ev->ts_ms >= 0 && ev->ts_ms <= TS_MAX);
	CHECK(ev->user >= 0);
	switch (ev->kind) {
	case PARSE_WATCH:
	case PARSE_RATE:
		CHECK(ev->movie == ev->text);
		check_slug(ev->movie, in_text(ev, ev->movie), ev->key,
		    in_text(ev, ev->key));
		if (ev->kind == PARSE_WATCH)
			CHECK(ev->minute >= 0 &&
			    ev->minute <= PARSE_MINUTE_MAX);
		else
			CHECK(ev->rating >= 1 && ev->rating <= 5);
		break;
	case PARSE_ACCOUNT:
		CHECK(ev->movie == NULL && ev->nresults == 0);
		break;
	case PARSE_RECO:
		n = strnlen(ev->host, sizeof(ev->host));
		CHECK(n >= 1 && n <= PARSE_HOST_MAX);
		CHECK(memchr(ev->host, ' ', n) == NULL);
		CHECK(ev->status >= 0 && ev->status <= 999);
		CHECK(ev->latency_ms >= 0);
		CHECK(ev->nresults <= PARSE_RESULTS_MAX);
		if (ev->status != 200)
			CHECK(ev->nresults == 0);
		prev_end = ev->text;
		for (i = 0; i < ev->nresults; i++) {
			CHECK(ev->result[i] >= prev_end);
			n = in_text(ev, ev->result[i]);
			CHECK(ev->result_key[i] == ev->result[i] + n + 1);
			k = in_text(ev, ev->result_key[i]);
			check_slug(ev->result[i], n, ev->result_key[i], k);
			prev_end = ev->result_key[i] + k + 1;
		}
		break;
	default:
		abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct parse_event	 ev, ev2;
	const char			*s = (const char *)data;
	char				*cr, out[PARSE_SLUG_MAX + 1];
	int64_t				 v;
	int				 r, r2, n;

	r = parse_line(s, size, &ev);
	CHECK(r >= 0 && r < PARSE_NREASONS);
	CHECK(strcmp(parse_reason_name(r), "unknown") != 0);
	if (r == PARSE_OK)
		check_event(&ev);

	/* A trailing CR changes nothing. */
	if ((cr = malloc(size + 1)) == NULL)
		abort();
	if (size > 0)
		memcpy(cr, data, size);
	cr[size] = '\r';
	r2 = parse_line(cr, size + 1, &ev2);
	if (size == 0 || data[size - 1] != '\r') {
		CHECK(r2 == r);
		if (r == PARSE_OK) {
			CHECK(ev2.kind == ev.kind && ev2.ts_ms == ev.ts_ms);
			CHECK(ev2.user == ev.user);
			CHECK(ev2.nresults == ev.nresults);
			CHECK(ev2.latency_ms == ev.latency_ms);
		}
	}
	free(cr);

	/* The field parsers alone. */
	if (parse_time(s, size, &v) == 0)
		CHECK(v >= 0 && v <= TS_MAX);
	if (parse_user(s, size, &v) == 0)
		CHECK(v >= 0);
	n = parse_slug(s, size, out, sizeof(out));
	if (n >= 0) {
		CHECK((size_t)n <= size && out[n] == '\0');
		check_slug(s, size, out, (size_t)n);
	}
	/* The shape of any line: a short printable word or two. */
	parse_shape(s, size, out, 49);
	n = (int)strlen(out);
	CHECK(n >= 1 && n <= 48);
	n = parse_slug(s, size, out, 4);
	CHECK(n <= 3);
	return (0);
}
