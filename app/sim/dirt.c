/*
 * Dirty forms of clean lines (see dirt.h).
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "ingest/parse.h"
#include "sim/dirt.h"
#include "util/rng.h"

enum dirt {
	/* Kept: the same event. */
	D_NO_SECONDS, D_BLANK, D_SPELLING, D_CR,
	/* Lost: rejected for a reason. */
	D_BAD_TIME, D_BAD_USER, D_SPACE_IN_ID, D_CUT, D_RATING_WORD,
	D_UNKNOWN,
	D_NKINDS
};

/* Copy a[0..alen) then b (a C string) into out; the length. */
static size_t
join(char *out, size_t outsz, const char *a, size_t alen, const char *b)
{
	int	n = snprintf(out, outsz, "%.*s%s", (int)alen, a, b);

	return (n < 0 ? 0 : (size_t)n < outsz ? (size_t)n : outsz - 1);
}

int
sim_dirty(uint64_t *rng, const char *line, size_t len, char *out,
    size_t outsz, size_t *outlen)
{
	char		 clean[SIM_DIRT_LINE_MAX];
	const char	*c1, *c2, *id, *end;
	size_t		 i, n;
	int		 kind, rate;

	if (len >= sizeof(clean))
		len = sizeof(clean) - 1;
	memcpy(clean, line, len);
	clean[len] = '\0';
	c1 = strchr(clean, ',');
	c2 = c1 != NULL ? strchr(c1 + 1, ',') : NULL;
	rate = strstr(clean, ",GET /rate/") != NULL;
	id = strstr(clean, rate ? "/rate/" : "/data/m/");
	if (c2 == NULL || id == NULL) {
		*outlen = join(out, outsz, clean, len, "");
		return (PARSE_OK);
	}
	id += rate ? 6 : 8;
	end = rate ? strrchr(id, '=') : strrchr(id, '/');
	if (end == NULL)
		end = clean + len;
	/* Only rate lines have a rating to write in words. */
	do
		kind = (int)(rng_next(rng) % D_NKINDS);
	while (kind == D_RATING_WORD && !rate);

	switch (kind) {
	case D_NO_SECONDS:
		/* "YYYY-MM-DDTHH:MM:SS" -> "YYYY-MM-DDTHH:MM" */
		n = (size_t)(c1 - clean);
		if (n < 19) {
			*outlen = join(out, outsz, clean, len, "");
			return (PARSE_OK);
		}
		*outlen = (size_t)snprintf(out, outsz, "%.16s%s", clean, c1);
		return (PARSE_OK);
	case D_BLANK:
		*outlen = (size_t)snprintf(out, outsz, "%.*s %s",
		    (int)(c2 + 1 - clean), clean, c2 + 1);
		return (PARSE_OK);
	case D_SPELLING:
		/* Another spelling of one key: escapes or letters' case. */
		*outlen = join(out, outsz, clean, len, "");
		for (i = (size_t)(id - clean); i < (size_t)(end - clean); i++)
			if (out[i] == '%' && i + 2 < *outlen) {
				out[i + 1] = (char)tolower((unsigned char)
				    out[i + 1]);
				out[i + 2] = (char)tolower((unsigned char)
				    out[i + 2]);
			} else if (out[i] >= 'a' && out[i] <= 'z' &&
			    (i == (size_t)(id - clean) || out[i - 1] == '+'))
				out[i] = (char)(out[i] - 'a' + 'A');
		return (PARSE_OK);
	case D_CR:
		*outlen = join(out, outsz, clean, len, "\r");
		return (PARSE_OK);
	case D_BAD_TIME:
		*outlen = join(out, outsz, clean, len, "");
		out[4] = '/';
		return (PARSE_ERR_TIME);
	case D_BAD_USER:
		*outlen = (size_t)snprintf(out, outsz, "%.*se%s",
		    (int)(c1 + 1 - clean), clean, c1 + 1);
		return (PARSE_ERR_USER);
	case D_SPACE_IN_ID:
		*outlen = join(out, outsz, clean, len, "");
		for (i = (size_t)(id - clean); i < (size_t)(end - clean); i++)
			if (out[i] == '+') {
				out[i] = ' ';
				return (PARSE_ERR_MOVIE);
			}
		/* An id without a '+': a raw space in front of it. */
		*outlen = (size_t)snprintf(out, outsz, "%.*s %s",
		    (int)(id - clean), clean, id);
		return (PARSE_ERR_MOVIE);
	case D_CUT:
		/* Cut inside the id: no '/' or '=' after it is left. */
		n = (size_t)(end - id);
		n = n > 1 ? 1 + (size_t)(rng_next(rng) % (n - 1)) : 1;
		*outlen = join(out, outsz, clean, (size_t)(id - clean) + n, "");
		/* Blanks at the end are dropped by the parser; no matter. */
		return (PARSE_ERR_FIELDS);
	case D_RATING_WORD:
		*outlen = (size_t)snprintf(out, outsz, "%.*s=stars",
		    (int)(end - clean), clean);
		return (PARSE_ERR_RATING);
	default:
		/* D_UNKNOWN: another method, a kind nobody knows. */
		*outlen = (size_t)snprintf(out, outsz, "%.*sPUT%s",
		    (int)(c2 + 1 - clean), clean, c2 + 4);
		return (PARSE_ERR_REQUEST);
	}
}
