/*
 * Unit tests for app/util/urlenc.c: finding the first pair of a name (exact
 * names, empty values, a NULL or empty string), '+' and %XX decoding,
 * malformed escapes (%ZZ, a truncated %), control bytes and NUL refused,
 * the output bound (exact fit, one byte short), and every byte value
 * %-encoded by the test decoding back to itself.
 */
#include <criterion/criterion.h>

#include <stdio.h>
#include <string.h>

#include "util/urlenc.h"

TestSuite(urlenc, .timeout = 60);

static char	out[256];

/* urlenc_get into out, which is first filled with a marker. */
static int
get(const char *s, const char *name)
{
	memset(out, '#', sizeof(out));
	out[sizeof(out) - 1] = '\0';
	return (urlenc_get(s, name, out, sizeof(out)));
}

/* The value of name in s must be want. */
static void
expect(const char *s, const char *name, const char *want)
{
	cr_assert_eq(get(s, name), 1, "'%s' not found in '%s'", name, s);
	cr_assert_str_eq(out, want, "'%s' in '%s'", name, s);
}

/* The value of name in s must be refused. */
static void
refused(const char *s, const char *name)
{
	cr_assert_eq(get(s, name), -1, "'%s' in '%s' not refused (got '%s')",
	    name, s, out);
}

/* ---- finding the pair ------------------------------------------------- */

Test(urlenc, finds_a_pair_anywhere_in_the_string)
{
	const char	*s = "key=popularity_window_days&value=30&reset=1";

	expect(s, "key", "popularity_window_days");
	expect(s, "value", "30");
	expect(s, "reset", "1");
	cr_assert_eq(get(s, "other"), 0);
}

Test(urlenc, null_or_empty_string_holds_nothing)
{
	cr_assert_eq(get(NULL, "a"), 0);
	cr_assert_eq(get("", "a"), 0);
	cr_assert_eq(get("&&&", "a"), 0);
	cr_assert_eq(get("=", "a"), 0);
}

Test(urlenc, names_match_whole_and_exactly)
{
	/* A longer name, a prefix, another case, a name without '='. */
	cr_assert_eq(get("ab=1", "a"), 0);
	cr_assert_eq(get("a=1", "ab"), 0);
	cr_assert_eq(get("A=1", "a"), 0);
	cr_assert_eq(get("a&b=2", "a"), 0);
	cr_assert_eq(get("xa=1", "a"), 0);
	expect("ab=1&a=2", "a", "2");
	expect("a&b=2&a=3", "a", "3");
	/* Names are not decoded: %61 is not "a". */
	cr_assert_eq(get("%61=1", "a"), 0);
}

Test(urlenc, the_first_pair_of_a_name_wins)
{
	expect("a=1&a=2", "a", "1");
	expect("b=0&a=&a=2", "a", "");
	/* Even when the first one is malformed: no fall-back to the next. */
	refused("a=%zz&a=ok", "a");
}

Test(urlenc, empty_value_is_found_and_empty)
{
	expect("a=", "a", "");
	expect("a=&b=1", "a", "");
	expect("b=1&a=", "a", "");
}

Test(urlenc, value_keeps_its_equals_signs_and_ends_at_ampersand)
{
	expect("a=b=c&d=e", "a", "b=c");
	expect("a==", "a", "=");
	expect("a=x&", "a", "x");
	expect("a=x&&b=y", "b", "y");
}

/* ---- decoding --------------------------------------------------------- */

Test(urlenc, plus_is_a_space_and_escapes_decode)
{
	expect("q=the+lion+king", "q", "the lion king");
	expect("q=%41%62%5a", "q", "AbZ");
	expect("q=%2b%2B", "q", "++");
	expect("q=a%20b+c", "q", "a b c");
	expect("q=%26%3D%25", "q", "&=%");
	/* Bytes above 0x7f pass: UTF-8 "é" and "€". */
	expect("q=caf%C3%A9+%e2%82%ac", "q", "caf\xc3\xa9 \xe2\x82\xac");
	expect("q=%7e%7E~", "q", "~~~");
}

Test(urlenc, malformed_escapes_are_refused)
{
	refused("q=%ZZ", "q");
	refused("q=%G0", "q");
	refused("q=%0g", "q");
	refused("q=%", "q");
	refused("q=ab%", "q");
	refused("q=%4", "q");
	refused("q=% 41", "q");
	refused("q=%-1", "q");
	/* The pair ends at '&': an escape cut there is truncated too. */
	refused("q=%4&x=1", "q");
	refused("q=%&41", "q");
	/* The other pairs are still readable. */
	expect("q=%4&x=1", "x", "1");
}

Test(urlenc, nul_and_control_bytes_are_refused)
{
	char	s[16];
	int	ch;

	refused("q=%00", "q");
	refused("q=a%00b", "q");
	refused("q=%0A", "q");
	refused("q=%0d%0a", "q");
	refused("q=%1f", "q");
	refused("q=%7F", "q");
	refused("q=a\tb", "q");
	refused("q=\x7f", "q");
	/* Every raw control byte in a value. */
	for (ch = 1; ch < 0x20; ch++) {
		snprintf(s, sizeof(s), "q=a%cb", ch);
		refused(s, "q");
	}
	/* Just above: space and DEL's neighbours. */
	expect("q=%20", "q", " ");
	expect("q=%7E", "q", "~");
	expect("q=%80", "q", "\x80");
}

/* ---- the output bound ------------------------------------------------- */

Test(urlenc, value_that_fits_exactly_is_read_one_byte_short_refused)
{
	char	buf[8];

	memset(buf, '#', sizeof(buf));
	cr_assert_eq(urlenc_get("a=abc", "a", buf, 4), 1);
	cr_assert_str_eq(buf, "abc");
	cr_assert_eq(buf[4], '#', "wrote past outsz");
	cr_assert_eq(urlenc_get("a=abcd", "a", buf, 4), -1);
	/* An escape counts as the one byte it decodes to. */
	cr_assert_eq(urlenc_get("a=%41%42%43", "a", buf, 4), 1);
	cr_assert_str_eq(buf, "ABC");
	cr_assert_eq(urlenc_get("a=%41%42%43%44", "a", buf, 4), -1);
	/* Room for the NUL only. */
	memset(buf, '#', sizeof(buf));
	cr_assert_eq(urlenc_get("a=", "a", buf, 1), 1);
	cr_assert_eq(buf[0], '\0');
	cr_assert_eq(buf[1], '#');
	cr_assert_eq(urlenc_get("a=x", "a", buf, 1), -1);
	/* No room at all: refused, nothing written. */
	memset(buf, '#', sizeof(buf));
	cr_assert_eq(urlenc_get("a=", "a", buf, 0), -1);
	cr_assert_eq(urlenc_get("a=x", "a", buf, 0), -1);
	cr_assert_eq(buf[0], '#');
	/* Absent is absent, whatever the room. */
	cr_assert_eq(urlenc_get("b=x", "a", buf, 0), 0);
}

Test(urlenc, long_value_fits_a_large_buffer)
{
	char	s[1100], big[1025];
	size_t	i;

	memcpy(s, "v=", 2);
	for (i = 0; i < 1024; i++)
		s[2 + i] = (char)('a' + i % 26);
	s[2 + 1024] = '\0';
	cr_assert_eq(urlenc_get(s, "v", big, sizeof(big)), 1);
	cr_assert_eq(strlen(big), 1024);
	cr_assert_eq(memcmp(big, s + 2, 1024), 0);
	cr_assert_eq(urlenc_get(s, "v", big, sizeof(big) - 1), -1);
}

/* ---- round trips ------------------------------------------------------ */

Test(urlenc, every_byte_percent_encoded_decodes_to_itself)
{
	static const char	 hex[] = "0123456789ABCDEF", lhex[] =
	    "0123456789abcdef";
	char			 s[16], want[2];
	int			 b, lower;

	for (lower = 0; lower < 2; lower++)
		for (b = 1; b < 256; b++) {
			snprintf(s, sizeof(s), "x=%%%c%c",
			    (lower ? lhex : hex)[b >> 4],
			    (lower ? lhex : hex)[b & 15]);
			if (b < 0x20 || b == 0x7f) {
				refused(s, "x");
				continue;
			}
			want[0] = (char)b;
			want[1] = '\0';
			expect(s, "x", want);
		}
}

Test(urlenc, form_text_encoded_by_the_test_decodes_back)
{
	static const char *const texts[] = {
		"secret token/with?odd&chars=+%",
		"a b  c", "100% sure", "caf\xc3\xa9", "=&+", "",
	};
	static const char	 hex[] = "0123456789ABCDEF";
	char			 s[256];
	const unsigned char	*p;
	size_t			 i, o;

	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		/* As a browser encodes a form: ' ' as '+', the rest %XX. */
		o = (size_t)snprintf(s, sizeof(s), "key=ingest_token&value=");
		for (p = (const unsigned char *)texts[i]; *p != '\0'; p++) {
			if (*p == ' ')
				s[o++] = '+';
			else if ((*p >= 'a' && *p <= 'z') ||
			    (*p >= 'A' && *p <= 'Z') ||
			    (*p >= '0' && *p <= '9'))
				s[o++] = (char)*p;
			else {
				s[o++] = '%';
				s[o++] = hex[*p >> 4];
				s[o++] = hex[*p & 15];
			}
		}
		s[o] = '\0';
		expect(s, "value", texts[i]);
		expect(s, "key", "ingest_token");
	}
}
