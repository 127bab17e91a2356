/*
 * application/x-www-form-urlencoded text, as query strings and form bodies
 * carry it: name=value pairs joined by '&', '+' for a space, %XX for a
 * byte.  No Kore, no allocation: the HTTP handlers and the fuzzers use it.
 */
#ifndef CINEREC_URLENC_H
#define CINEREC_URLENC_H

#include <stddef.h>

/*
 * The value of the first pair named name in s (NUL-terminated; NULL reads
 * as empty), decoded into out (outsz bytes with the NUL).  Returns 1 when
 * found, 0 when absent, -1 when its value does not fit, holds a control
 * byte, or has a '%' without two hex digits.
 */
int	urlenc_get(const char *s, const char *name, char *out, size_t outsz);

#endif
