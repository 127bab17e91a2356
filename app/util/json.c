/*
 * JSON string literals (see json.h): runs of plain bytes go out in one
 * piece, escapes one by one.
 */
#include <stdio.h>
#include <string.h>

#include "util/json.h"

static int
plain(unsigned char c)
{
	return (c >= 0x20 && c != 0x7f && c != '"' && c != '\\' && c != '<' &&
	    c != '>' && c != '&');
}

void
json_quote(const char *s, json_put put, void *arg)
{
	const char	*run;
	char		 esc[8];

	if (s == NULL) {
		put(arg, "null", 4);
		return;
	}
	put(arg, "\"", 1);
	while (*s != '\0') {
		for (run = s; *s != '\0' && plain((unsigned char)*s); s++)
			;
		if (s > run)
			put(arg, run, (size_t)(s - run));
		if (*s == '\0')
			break;
		if (*s == '"' || *s == '\\') {
			esc[0] = '\\';
			esc[1] = *s;
			put(arg, esc, 2);
		} else {
			snprintf(esc, sizeof(esc), "\\u%04x", (unsigned char)*s);
			put(arg, esc, 6);
		}
		s++;
	}
	put(arg, "\"", 1);
}

static void
put_file(void *arg, const void *p, size_t len)
{
	(void)fwrite(p, 1, len, arg);
}

void
json_quote_file(FILE *fp, const char *s)
{
	json_quote(s, put_file, fp);
}
