/*
 * libFuzzer target for the HTTP API's argument parsing (app/util/urlenc.c and
 * the id and time parsers the handlers apply to what it returns): the
 * input is "name\nquery".  Every value found is decoded text that fits its
 * buffer; a decoded value, urlencoded again, decodes to itself.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/parse.h"
#include "util/urlenc.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define CHECK(x)	do { if (!(x)) abort(); } while (0)

static void
check_value(const char *v, size_t outsz)
{
	static const char	 hex[] = "0123456789ABCDEF";
	char			 enc[3 * 256 + 16], again[256];
	size_t			 i, n = 0, len = strlen(v);

	CHECK(len < outsz);
	for (i = 0; i < len; i++) {
		unsigned char	c = (unsigned char)v[i];

		CHECK(c >= 0x20 && c != 0x7f);
		enc[n++] = '%';
		enc[n++] = hex[c >> 4];
		enc[n++] = hex[c & 15];
	}
	memcpy(enc + n, "&x=1", 5);
	memmove(enc + 2, enc, n + 5);
	enc[0] = 'v';
	enc[1] = '=';
	CHECK(urlenc_get(enc, "v", again, sizeof(again)) == 1);
	CHECK(strcmp(again, v) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char		*buf, *query, out[256], small[4];
	int64_t		 v;
	int		 rc;

	if ((buf = malloc(size + 1)) == NULL)
		abort();
	memcpy(buf, data, size);
	buf[size] = '\0';
	if ((query = strchr(buf, '\n')) != NULL)
		*query++ = '\0';
	else
		query = buf;
	rc = urlenc_get(query, buf, out, sizeof(out));
	CHECK(rc >= -1 && rc <= 1);
	if (rc == 1) {
		check_value(out, sizeof(out));
		/* What the handlers do with values. */
		if (parse_user(out, strlen(out), &v) == 0)
			CHECK(v >= 0);
		(void)parse_time(out, strlen(out), &v);
	}
	rc = urlenc_get(query, buf, small, sizeof(small));
	CHECK(rc != 1 || strlen(small) < sizeof(small));
	CHECK(urlenc_get(NULL, buf, out, sizeof(out)) == 0);
	/* A path's id, as /recommend/<id> and /why/<id> take it. */
	if (parse_user(buf, strlen(buf), &v) == 0)
		CHECK(v >= 0 && strspn(buf, "0123456789") == strlen(buf));
	free(buf);
	return (0);
}
