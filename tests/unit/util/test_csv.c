/*
 * Unit tests for app/util/csv.c: plain and quoted fields (commas, doubled
 * quotes and newlines inside quotes), LF and CRLF, blank lines, a UTF-8
 * byte order mark, the line numbers, the limits (fields, record bytes),
 * the line-bound mode and its CSV_BAD rows, unterminated quotes, csv_int
 * and csv_double on blanks, empty fields, overflow, trailing junk, NaN and
 * infinities, and opening a missing file.
 */
#include <criterion/criterion.h>

#include "harness.h"
#include "scratch.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/csv.h"

static struct csv	c;

static void
setup(void)
{
	h_scratch_setup();
	memset(&c, 0, sizeof(c));
}

static void
teardown(void)
{
	csv_close(&c);
	h_scratch_teardown();
}

TestSuite(csv, .init = setup, .fini = teardown, .timeout = 60);

/* ---- helpers ---------------------------------------------------------- */

/* Read text (kept: a literal) through the in-memory reader. */
static void
mem(const char *text)
{
	cr_assert_eq(csv_open_mem(&c, text, strlen(text), "t.csv"), 0);
}

/* Write len bytes as h_dir/name; its path into path. */
static void
write_file(const char *name, const void *data, size_t len, char *path,
    size_t sz)
{
	snprintf(path, sz, "%s/%s", h_dir, name);
	h_write_file(path, data, len);
}

/* The next record must be the n fields given, starting on line. */
static void
expect(uint64_t line, size_t n, ...)
{
	va_list		 ap;
	const char	*want;
	size_t		 i;

	cr_assert_eq(csv_next(&c), 1, "no record at line %llu",
	    (unsigned long long)line);
	cr_assert_eq(c.line, line, "record at line %llu, not %llu",
	    (unsigned long long)c.line, (unsigned long long)line);
	cr_assert_eq(c.nfields, n, "%zu fields, not %zu", c.nfields, n);
	va_start(ap, n);
	for (i = 0; i < n; i++) {
		want = va_arg(ap, const char *);
		cr_assert_str_eq(csv_field(&c, i), want, "field %zu", i);
	}
	va_end(ap);
}

static void
expect_end(void)
{
	cr_assert_eq(csv_next(&c), 0);
	cr_assert_eq(csv_next(&c), 0, "the end stays the end");
}

/* One record of one field, text; then csv_int / csv_double on it. */
static int
one_int(const char *text, int64_t *v)
{
	csv_close(&c);
	mem(text);
	cr_assert_eq(csv_next(&c), 1, "'%s'", text);
	return (csv_int(&c, 0, v));
}

static int
one_double(const char *text, double *v)
{
	csv_close(&c);
	mem(text);
	cr_assert_eq(csv_next(&c), 1, "'%s'", text);
	return (csv_double(&c, 0, v));
}

/* ---- records ---------------------------------------------------------- */

Test(csv, plain_fields_split_at_commas_with_empty_ones_kept)
{
	mem("movieId,title,genres\n1,Toy Story (1995),Animation\n"
	    ",,\nx,\n");
	expect(1, 3, "movieId", "title", "genres");
	expect(2, 3, "1", "Toy Story (1995)", "Animation");
	expect(3, 3, "", "", "");
	expect(4, 2, "x", "");
	/* Beyond the last field: empty, not an error. */
	cr_assert_str_eq(csv_field(&c, 2), "");
	cr_assert_str_eq(csv_field(&c, CSV_FIELDS_MAX + 5), "");
	expect_end();
}

Test(csv, quoted_field_keeps_its_comma_and_doubled_quotes)
{
	mem("1,\"American President, The (1995)\",Comedy\n"
	    "2,\"Say \"\"Hi\"\"\",\"\"\n"
	    "\"\"\"\",\"a\"\"\"\"b\"\n");
	expect(1, 3, "1", "American President, The (1995)", "Comedy");
	expect(2, 3, "2", "Say \"Hi\"", "");
	expect(3, 2, "\"", "a\"\"b");
	expect_end();
}

Test(csv, quoted_field_spans_lines_and_the_next_line_number_follows)
{
	mem("a,\"one\ntwo\n\nthree\",b\nnext,row\n");
	expect(1, 3, "a", "one\ntwo\n\nthree", "b");
	expect(5, 2, "next", "row");
	expect_end();
}

Test(csv, quote_inside_an_unquoted_field_is_kept_as_text)
{
	mem("ab\"c,d\"\n");
	expect(1, 2, "ab\"c", "d\"");
	expect_end();
}

Test(csv, crlf_ends_a_record_like_lf_and_a_lone_cr_is_data)
{
	mem("a,b\r\n\"q\"\r\nc,d\r\ne\rf,g\n\"in\r\nside\"\r\n");
	expect(1, 2, "a", "b");
	expect(2, 1, "q");
	expect(3, 2, "c", "d");
	expect(4, 2, "e\rf", "g");
	/* Inside quotes the CR is part of the field. */
	expect(5, 1, "in\r\nside");
	expect_end();
}

Test(csv, blank_lines_are_skipped_but_counted)
{
	mem("\n\r\n\na\n\n\nb\n\n");
	expect(4, 1, "a");
	expect(7, 1, "b");
	expect_end();
}

Test(csv, an_empty_quoted_field_is_a_record_not_a_blank_line)
{
	mem("\"\"\n,\n");
	expect(1, 1, "");
	expect(2, 2, "", "");
	expect_end();
}

Test(csv, last_record_without_a_newline_is_read)
{
	mem("a,b\nc,\"d\"");
	expect(1, 2, "a", "b");
	expect(2, 2, "c", "d");
	expect_end();
}

Test(csv, empty_input_has_no_record)
{
	cr_assert_eq(csv_open_mem(&c, "", 0, "empty"), 0);
	expect_end();
	csv_close(&c);
	mem("\n\n\r\n");
	expect_end();
}

Test(csv, a_byte_order_mark_at_the_start_of_a_file_is_skipped)
{
	char	path[256];

	write_file("bom.csv", "\xef\xbb\xbfmovieId,title\n1,x\n", 21, path,
	    sizeof(path));
	cr_assert_eq(csv_open(&c, path), 0);
	expect(1, 2, "movieId", "title");
	expect(2, 2, "1", "x");
	expect_end();
	csv_close(&c);

	/* Only a BOM: nothing. */
	write_file("only.csv", "\xef\xbb\xbf", 3, path, sizeof(path));
	cr_assert_eq(csv_open(&c, path), 0);
	expect_end();
	csv_close(&c);

	/* Shorter than a BOM, or a BOM-like start: all of it is data. */
	write_file("short.csv", "ab", 2, path, sizeof(path));
	cr_assert_eq(csv_open(&c, path), 0);
	expect(1, 1, "ab");
	expect_end();
	csv_close(&c);
	write_file("near.csv", "\xef\xbb" "a\n", 4, path, sizeof(path));
	cr_assert_eq(csv_open(&c, path), 0);
	expect(1, 1, "\xef\xbb" "a");
	expect_end();
}

Test(csv, a_file_reads_like_the_same_bytes_in_memory)
{
	const char	*text = "id,\"t, q\"\r\n\n7,\"x\"\"y\"\n";
	char		 path[256];

	write_file("f.csv", text, strlen(text), path, sizeof(path));
	cr_assert_eq(csv_open(&c, path), 0);
	cr_assert_str_eq(c.name, path);
	expect(1, 2, "id", "t, q");
	expect(3, 2, "7", "x\"y");
	expect_end();
}

Test(csv, missing_file_is_an_error_naming_it)
{
	const char	*err;
	char		 path[256];
	int		 rc;

	snprintf(path, sizeof(path), "%s/nope.csv", h_dir);
	h_stderr_begin();
	rc = csv_open(&c, path);
	err = h_stderr_end();
	cr_assert_eq(rc, -1);
	cr_assert_null(c.fp);
	cr_assert_not_null(strstr(err, path), "stderr: %s", err);
	cr_assert_not_null(strstr(err, "No such file or directory"),
	    "stderr: %s", err);
	/* A closed reader reads nothing and closes again. */
	cr_assert_eq(csv_next(&c), 0);
}

/* ---- limits and malformed input --------------------------------------- */

Test(csv, sixty_four_fields_fit_and_one_more_is_an_error)
{
	const char	*err;
	char		 line[4 * CSV_FIELDS_MAX + 8];
	size_t		 i, o = 0;
	int		 rc;

	for (i = 0; i < CSV_FIELDS_MAX; i++)
		o += (size_t)snprintf(line + o, sizeof(line) - o, "%s%zu",
		    i ? "," : "", i);
	line[o++] = '\n';
	line[o] = '\0';
	mem(line);
	cr_assert_eq(csv_next(&c), 1);
	cr_assert_eq(c.nfields, CSV_FIELDS_MAX);
	cr_assert_str_eq(csv_field(&c, 0), "0");
	cr_assert_str_eq(csv_field(&c, CSV_FIELDS_MAX - 1), "63");
	csv_close(&c);

	/* The same line with one more field. */
	strcpy(line + o - 1, ",64\n");
	mem(line);
	h_stderr_begin();
	rc = csv_next(&c);
	err = h_stderr_end();
	cr_assert_eq(rc, -1);
	cr_assert_not_null(strstr(err, "t.csv:1: more than 64 fields"),
	    "stderr: %s", err);
}

Test(csv, record_of_the_maximum_size_fits_and_one_byte_more_fails)
{
	const char	*err;
	char		*big;
	size_t		 n = CSV_RECORD_MAX - 1; /* with its NUL: the maximum */
	int		 rc;

	cr_assert_not_null(big = malloc(CSV_RECORD_MAX + 16));
	memset(big, 'x', n);
	memcpy(big + n, "\nok\n", 5);
	cr_assert_eq(csv_open_mem(&c, big, n + 4, "big.csv"), 0);
	cr_assert_eq(csv_next(&c), 1);
	cr_assert_eq(c.nfields, 1);
	cr_assert_eq(strlen(csv_field(&c, 0)), n);
	expect(2, 1, "ok");
	csv_close(&c);

	/* One byte more, after a first good line. */
	memcpy(big, "a\n", 2);
	memset(big + 2, 'y', n + 1);
	memcpy(big + 2 + n + 1, "\n", 2);
	cr_assert_eq(csv_open_mem(&c, big, n + 4, "big.csv"), 0);
	expect(1, 1, "a");
	h_stderr_begin();
	rc = csv_next(&c);
	err = h_stderr_end();
	cr_assert_eq(rc, -1);
	cr_assert_not_null(strstr(err, "big.csv:2: record longer than "
	    "1048576 bytes"), "stderr: %s", err);
	free(big);
}

Test(csv, unterminated_quote_is_an_error_naming_its_line)
{
	const char	*err;
	int		 rc;

	mem("a,b\nc,\"open\nmore\n");
	expect(1, 2, "a", "b");
	h_stderr_begin();
	rc = csv_next(&c);
	err = h_stderr_end();
	cr_assert_eq(rc, -1);
	cr_assert_not_null(strstr(err, "t.csv:2: unterminated quoted field"),
	    "stderr: %s", err);
}

Test(csv, line_bound_open_quote_is_a_bad_row_and_reading_goes_on)
{
	mem("1,\"ok\",x\n2,\"open,y\n3,z\r\n4,\"a\"\"\n5,\"end");
	c.line_bound = 1;
	expect(1, 3, "1", "ok", "x");
	cr_assert_eq(csv_next(&c), CSV_BAD);
	cr_assert_eq(c.line, 2);
	/* The next line is a record of its own, not part of the quote. */
	expect(3, 2, "3", "z");
	/* A doubled quote does not close the field. */
	cr_assert_eq(csv_next(&c), CSV_BAD);
	cr_assert_eq(c.line, 4);
	/* Open at the end of the input. */
	cr_assert_eq(csv_next(&c), CSV_BAD);
	cr_assert_eq(c.line, 5);
	expect_end();
}

Test(csv, line_bound_still_reads_good_quoted_fields_and_blank_lines)
{
	mem("\n\"a,b\",\"\"\"c\"\"\"\r\n\n\"\",d\n");
	c.line_bound = 1;
	expect(2, 2, "a,b", "\"c\"");
	expect(4, 2, "", "d");
	expect_end();
}

/* ---- numbers ---------------------------------------------------------- */

Test(csv, csv_int_reads_whole_numbers_with_blanks_around)
{
	int64_t	v;

	cr_assert_eq(one_int("42", &v), 0);
	cr_assert_eq(v, 42);
	cr_assert_eq(one_int(" \t-17\t ", &v), 0);
	cr_assert_eq(v, -17);
	cr_assert_eq(one_int("+5", &v), 0);
	cr_assert_eq(v, 5);
	cr_assert_eq(one_int("\"  0007 \"", &v), 0);
	cr_assert_eq(v, 7);
	cr_assert_eq(one_int("9223372036854775807", &v), 0);
	cr_assert_eq(v, INT64_MAX);
	cr_assert_eq(one_int("-9223372036854775808", &v), 0);
	cr_assert_eq(v, INT64_MIN);
}

Test(csv, csv_int_refuses_empty_overflow_and_junk_leaving_v_alone)
{
	static const char *const bad[] = {
		"\"\"", "\"   \"", "9223372036854775808",
		"-9223372036854775809", "99999999999999999999", "12x",
		"1 2", "1.0", "1e3", "0x10", "abc", "-", "+", "\"1,2\"",
	};
	int64_t	v = 1234;
	size_t	i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_assert_eq(one_int(bad[i], &v), -1, "'%s' read", bad[i]);
		cr_assert_eq(v, 1234, "'%s' wrote v", bad[i]);
	}
	/* A field beyond the last is empty, so not a number. */
	csv_close(&c);
	mem("5\n");
	cr_assert_eq(csv_next(&c), 1);
	cr_assert_eq(csv_int(&c, 1, &v), -1);
	cr_assert_eq(csv_int(&c, 0, &v), 0);
	cr_assert_eq(v, 5);
}

Test(csv, csv_double_reads_finite_numbers_with_blanks_around)
{
	double	v;

	cr_assert_eq(one_double("3.5", &v), 0);
	cr_assert_eq(v, 3.5);
	cr_assert_eq(one_double("  -0.25 ", &v), 0);
	cr_assert_eq(v, -0.25);
	cr_assert_eq(one_double("4", &v), 0);
	cr_assert_eq(v, 4.0);
	cr_assert_eq(one_double("1e3", &v), 0);
	cr_assert_eq(v, 1000.0);
	cr_assert_eq(one_double(".5", &v), 0);
	cr_assert_eq(v, 0.5);
	cr_assert_eq(one_double("1.7976931348623157e308", &v), 0);
	cr_assert_eq(v, 1.7976931348623157e308);
}

Test(csv, csv_double_refuses_nan_infinities_overflow_and_junk)
{
	static const char *const bad[] = {
		"nan", "NaN", " nan ", "-nan", "inf", "-inf", "Infinity",
		"1e400", "-1e400", "\"\"", "\" \"", "3.5x", "3.5 4",
		"\"1,5\"", "abc", ".", "e5",
	};
	double	v = 12.0;
	size_t	i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_assert_eq(one_double(bad[i], &v), -1, "'%s' read", bad[i]);
		cr_assert_eq(v, 12.0, "'%s' wrote v", bad[i]);
	}
}

Test(csv, numbers_are_read_by_index_in_a_ratings_record)
{
	int64_t	user, movie, ts;
	double	rating;

	mem("userId,movieId,rating,timestamp\n1,31,2.5,1260759144\n");
	cr_assert_eq(csv_next(&c), 1);
	cr_assert_eq(csv_int(&c, 0, &user), -1, "the header is no number");
	cr_assert_eq(csv_next(&c), 1);
	cr_assert_eq(csv_int(&c, 0, &user), 0);
	cr_assert_eq(csv_int(&c, 1, &movie), 0);
	cr_assert_eq(csv_double(&c, 2, &rating), 0);
	cr_assert_eq(csv_int(&c, 3, &ts), 0);
	cr_assert_eq(user, 1);
	cr_assert_eq(movie, 31);
	cr_assert_eq(rating, 2.5);
	cr_assert_eq(ts, 1260759144);
	cr_assert_eq(csv_int(&c, 2, &movie), -1, "2.5 is not whole");
	cr_assert_eq(movie, 31);
	expect_end();
}
