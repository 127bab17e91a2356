/*
 * Unit tests of app/util/json.c: the JSON string literals every answer uses.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "util/json.h"

/* json_quote_file of s into a fresh string (the caller frees it). */
static char *
quoted(const char *s)
{
	char	*out = NULL;
	size_t	 len = 0;
	FILE	*fp = open_memstream(&out, &len);

	cr_assert_not_null(fp);
	json_quote_file(fp, s);
	fclose(fp);
	return (out);
}

static void
check(const char *in, const char *want)
{
	char	*got = quoted(in);

	cr_assert_str_eq(got, want, "%s", in ? in : "(null)");
	free(got);
}

Test(json, plain_text_and_utf8_pass)
{
	check("the+lion+king+1994", "\"the+lion+king+1994\"");
	check("am\xc3\xa9lie+2001", "\"am\xc3\xa9lie+2001\"");
	check("", "\"\"");
}

Test(json, quotes_backslashes_and_controls_are_escaped)
{
	check("a\"b\\c", "\"a\\\"b\\\\c\"");
	check("tab\there\n", "\"tab\\u0009here\\u000a\"");
	check("\x7f", "\"\\u007f\"");
}

Test(json, html_special_characters_are_escaped)
{
	check("<script>&", "\"\\u003cscript\\u003e\\u0026\"");
}

Test(json, null_is_null)
{
	check(NULL, "null");
}
