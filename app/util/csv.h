/*
 * One CSV reader (RFC 4180: quoted fields, "" for a quote, newlines and
 * commas inside quotes, CRLF or LF) for every comma-separated file cinerec
 * reads: MovieLens' movies.csv and ratings.csv, the evaluation's ratings.
 * Records come one at a time from a stream; blank lines are skipped; the
 * fields of a record, and numbers in them, are read by index.
 */
#ifndef CINEREC_CSV_H
#define CINEREC_CSV_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define CSV_FIELDS_MAX	64		/* fields of one record */
#define CSV_RECORD_MAX	(1 << 20)	/* bytes of one record */

/*
 * A reader.  Invariant: after csv_next returned 1, fields 0..nfields-1 of
 * the record are NUL-terminated strings in buf at off[].
 */
struct csv {
	FILE		*fp;			/* the stream */
	int		 own;			/* csv_close closes fp */
	const char	*name;			/* for messages */
	uint64_t	 line;			/* line where the record starts */
	uint64_t	 nextline;		/* line of the next byte */
	char		*buf;			/* the record's fields */
	size_t		 len, cap;		/* bytes used, allocated */
	size_t		 off[CSV_FIELDS_MAX];	/* start of each field */
	size_t		 nfields;
	int		 line_bound;		/* set it: see CSV_BAD */
};

/*
 * csv_next: with line_bound set, a record never spans lines, and a line
 * with a quote left open is returned as CSV_BAD (its fields unusable;
 * reading goes on with the next line) instead of an error.
 */
#define CSV_BAD		2

/* Read path.  Returns 0, or -1 with a message on stderr. */
int		 csv_open(struct csv *c, const char *path);

/*
 * A table with a header row (movies.csv, ratings.csv): csv_open, line-bound
 * (a malformed row is one bad row, not the end), the header read past.
 * Returns 0, or -1 with a message (nothing left open).
 */
int		 csv_open_rows(struct csv *c, const char *path);

/* Read len bytes at data (not copied: keep them).  0 or -1. */
int		 csv_open_mem(struct csv *c, const void *data, size_t len,
		    const char *name);

/*
 * The next record.  Returns 1, 0 at the end, CSV_BAD (see above), or -1
 * (logged, naming the line) on a read error, an unterminated quote, or a
 * record beyond the limits.
 */
int		 csv_next(struct csv *c);

/* Field i of the record ("" beyond the last). */
const char	*csv_field(const struct csv *c, size_t i);

/*
 * Field i as a whole number or a finite double (spaces around allowed).
 * Return 0, or -1 when it is not one.
 */
int		 csv_int(const struct csv *c, size_t i, int64_t *v);
int		 csv_double(const struct csv *c, size_t i, double *v);

void		 csv_close(struct csv *c);

#endif
