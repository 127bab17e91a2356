/*
 * JSON string literals: the one escaping every JSON answer uses (the API,
 * the admin UI, `cinerec why`).
 */
#ifndef CINEREC_JSON_H
#define CINEREC_JSON_H

#include <stddef.h>
#include <stdio.h>

/* Where json_quote writes: put(arg, bytes, len). */
typedef void	(*json_put)(void *arg, const void *p, size_t len);

/*
 * Write s as a JSON string literal ("null" for NULL) through put.  '"' and
 * '\' are escaped, control bytes, DEL, '<', '>' and '&' become \u00XX (so
 * the text is safe inside HTML too); other bytes, UTF-8 included, pass.
 * Cannot fail.
 */
void	json_quote(const char *s, json_put put, void *arg);

/* json_quote to a stdio stream. */
void	json_quote_file(FILE *fp, const char *s);

#endif
