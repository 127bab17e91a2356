/*
 * The CSV reader (see csv.h).
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util/csv.h"
#include "util/log.h"
#include "util/vec.h"

static int
csv_put(struct csv *c, char ch)
{
	if (c->len == c->cap) {
		if (c->cap >= CSV_RECORD_MAX) {
			log_warnx("csv: %s:%llu: record longer than %d bytes",
			    c->name, (unsigned long long)c->line,
			    CSV_RECORD_MAX);
			return (-1);
		}
		if (vec_grow((void **)&c->buf, &c->cap, c->cap + 1, 1) == -1) {
			log_warnx("csv: out of memory");
			return (-1);
		}
	}
	c->buf[c->len++] = ch;
	return (0);
}

/* End the current field; -1 if there are too many. */
static int
csv_endfield(struct csv *c)
{
	if (csv_put(c, '\0') == -1)
		return (-1);
	if (c->nfields == CSV_FIELDS_MAX) {
		log_warnx("csv: %s:%llu: more than %d fields", c->name,
		    (unsigned long long)c->line, CSV_FIELDS_MAX);
		return (-1);
	}
	c->nfields++;
	if (c->nfields < CSV_FIELDS_MAX)
		c->off[c->nfields] = c->len;
	return (0);
}

/*
 * Read the next non-blank record.  Returns 1 with fields in c, 0 at end of
 * file, -1 (logged) on an error or an unterminated quote.
 */
int
csv_next(struct csv *c)
{
	int	ch, quoted, inq, any;

	if (c->fp == NULL)
		return (0);
	for (;;) {
		c->len = 0;
		c->nfields = 0;
		c->off[0] = 0;
		c->line = c->nextline;
		quoted = inq = any = 0;
		while ((ch = getc_unlocked(c->fp)) != EOF) {
			any = 1;
			if (ch == '\n')
				c->nextline++;
			if (inq) {
				/* Line-bound: a quote left open is a bad row. */
				if (ch == '\n' && c->line_bound)
					break;
				if (ch != '"') {
					if (csv_put(c, ch) == -1)
						return (-1);
					continue;
				}
				ch = getc_unlocked(c->fp);
				if (ch == '"') {
					if (csv_put(c, '"') == -1)
						return (-1);
					continue;
				}
				inq = 0;
				if (ch == EOF)
					break;
				if (ch == '\n')
					c->nextline++;
			}
			if (ch == '"' && c->len == c->off[c->nfields] &&
			    !quoted) {
				inq = quoted = 1;
				continue;
			}
			if (ch == ',') {
				if (csv_endfield(c) == -1)
					return (-1);
				quoted = 0;
				continue;
			}
			if (ch == '\n')
				break;
			if (ch == '\r') {
				ch = getc_unlocked(c->fp);
				if (ch == '\n') {
					c->nextline++;
					break;
				}
				if (ch != EOF)
					ungetc(ch, c->fp);
				ch = '\r';
			}
			if (csv_put(c, ch) == -1)
				return (-1);
		}
		if (ferror(c->fp)) {
			log_warnx("csv: %s: read error: %s", c->name,
			    strerror(errno));
			return (-1);
		}
		if (inq && c->line_bound)
			return (CSV_BAD);
		if (inq) {
			log_warnx("csv: %s:%llu: unterminated quoted field",
			    c->name, (unsigned long long)c->line);
			return (-1);
		}
		if (!any)
			return (0);
		if (csv_endfield(c) == -1)
			return (-1);
		if (c->nfields == 1 && c->buf[0] == '\0' && !quoted)
			continue;	/* blank line */
		return (1);
	}
}

const char *
csv_field(const struct csv *c, size_t i)
{
	return (i < c->nfields ? c->buf + c->off[i] : "");
}

/* Field i without its leading blanks; NULL when nothing is left. */
static const char *
number_start(const struct csv *c, size_t i)
{
	const char	*s = csv_field(c, i);

	while (isspace((unsigned char)*s))
		s++;
	return (*s == '\0' ? NULL : s);
}

/* Is there nothing but blanks from end on? */
static int
number_end(const char *end)
{
	while (isspace((unsigned char)*end))
		end++;
	return (*end == '\0');
}

int
csv_int(const struct csv *c, size_t i, int64_t *v)
{
	const char	*s;
	char		*end;
	long long	 x;

	if ((s = number_start(c, i)) == NULL)
		return (-1);
	errno = 0;
	x = strtoll(s, &end, 10);
	if (errno != 0 || !number_end(end))
		return (-1);
	*v = x;
	return (0);
}

int
csv_double(const struct csv *c, size_t i, double *v)
{
	const char	*s;
	char		*end;
	double		 x;

	if ((s = number_start(c, i)) == NULL)
		return (-1);
	errno = 0;
	x = strtod(s, &end);
	if (errno != 0 || !isfinite(x) || !number_end(end))
		return (-1);
	*v = x;
	return (0);
}

int
csv_open(struct csv *c, const char *path)
{
	char	bom[3];

	memset(c, 0, sizeof(*c));
	if ((c->fp = fopen(path, "r")) == NULL) {
		fprintf(stderr, "cinerec: %s: %s\n", path, strerror(errno));
		return (-1);
	}
	/* Skip a UTF-8 byte order mark. */
	if (fread(bom, 1, sizeof(bom), c->fp) != sizeof(bom) ||
	    memcmp(bom, "\xef\xbb\xbf", sizeof(bom)) != 0)
		rewind(c->fp);
	c->own = 1;
	c->name = path;
	c->nextline = 1;
	return (0);
}

int
csv_open_rows(struct csv *c, const char *path)
{
	if (csv_open(c, path) == -1)
		return (-1);
	c->line_bound = 1;
	if (csv_next(c) == -1) {
		csv_close(c);
		return (-1);
	}
	return (0);
}

int
csv_open_mem(struct csv *c, const void *data, size_t len, const char *name)
{
	memset(c, 0, sizeof(*c));
	c->name = name;
	c->nextline = 1;
	/* Nothing to read: no stream (fmemopen wants a size). */
	if (len == 0)
		return (0);
	if ((c->fp = fmemopen((void *)(uintptr_t)data, len, "r")) == NULL)
		return (-1);
	c->own = 1;
	c->name = name;
	c->nextline = 1;
	return (0);
}

void
csv_close(struct csv *c)
{
	if (c->own && c->fp != NULL)
		fclose(c->fp);
	free(c->buf);
	memset(c, 0, sizeof(*c));
}
