/*
 * Reading urlencoded pairs (see urlenc.h).
 */
#include <string.h>

#include "util/urlenc.h"

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return (c - '0');
	if (c >= 'a' && c <= 'f')
		return (c - 'a' + 10);
	if (c >= 'A' && c <= 'F')
		return (c - 'A' + 10);
	return (-1);
}

/* Decode [p, end) into out.  Returns 1, or -1 (see urlenc_get). */
static int
decode(const char *p, const char *end, char *out, size_t outsz)
{
	size_t		o = 0;
	int		hi, lo;
	unsigned char	c;

	for (; p < end; p++) {
		if (o + 1 >= outsz)
			return (-1);
		if (*p == '+')
			c = ' ';
		else if (*p == '%') {
			if (end - p < 3 || (hi = hexval(p[1])) == -1 ||
			    (lo = hexval(p[2])) == -1)
				return (-1);
			c = (unsigned char)(hi * 16 + lo);
			p += 2;
		} else
			c = (unsigned char)*p;
		if (c < 0x20 || c == 0x7f)
			return (-1);
		out[o++] = (char)c;
	}
	if (outsz == 0)
		return (-1);
	out[o] = '\0';
	return (1);
}

int
urlenc_get(const char *s, const char *name, char *out, size_t outsz)
{
	const char	*p = s, *end;
	size_t		 nlen = strlen(name);

	if (s == NULL)
		return (0);
	while (*p != '\0') {
		end = p + strcspn(p, "&");
		if ((size_t)(end - p) > nlen && strncmp(p, name, nlen) == 0 &&
		    p[nlen] == '=')
			return (decode(p + nlen + 1, end, out, outsz));
		if (*end == '\0')
			break;
		p = end + 1;
	}
	return (0);
}
