/* Unit-test scratch directory and writer (see scratch.h). */
#include <stdarg.h>
#include <stdio.h>

#include <criterion/criterion.h>

#include "harness.h"
#include "scratch.h"
#include "ingest/parse.h"
#include "store/store.h"
#include "store/writer.h"

char		 h_dir[64];
char		 h_db[256];
struct writer	*h_w;

void
h_scratch_setup(void)
{
	h_tmpdir(h_dir, sizeof(h_dir));
	snprintf(h_db, sizeof(h_db), "%s/%s", h_dir, STORE_FILE);
	h_w = NULL;
}

void
h_scratch_teardown(void)
{
	if (h_w != NULL)
		(void)writer_close(h_w);
	h_w = NULL;
	if (h_dir[0] != '\0')
		h_rmrf(h_dir);
	h_dir[0] = '\0';
}

void
h_writer_movies(int n)
{
	char	slug[32];
	int	i;

	cr_assert_not_null(h_w = writer_open(h_dir), "writer_open(%s)",
	    h_dir);
	for (i = 1; i <= n; i++) {
		snprintf(slug, sizeof(slug), "m%d+2000", i);
		cr_assert_eq(writer_movie(h_w, slug, NULL, 0, NULL), 0);
	}
	cr_assert_eq(writer_commit(h_w), 0);
}

int
h_line(const char *fmt, ...)
{
	char	buf[PARSE_LINE_MAX * 2];
	va_list	ap;
	int	n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	cr_assert(n >= 0 && (size_t)n < sizeof(buf), "line too long");
	return (writer_line(h_w, buf, (size_t)n));
}
