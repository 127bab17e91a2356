/*
 * String helpers.
 */
#ifndef CINEREC_STR_H
#define CINEREC_STR_H

#include <stddef.h>

/*
 * Copy src into dst (sz > 0 bytes), cut to fit and always NUL-terminated.
 * Returns 1 if it was cut, else 0.
 */
int	str_copy(char *dst, size_t sz, const char *src);

/*
 * Is s (NUL-terminated) well-formed UTF-8: no stray continuation byte, no
 * sequence cut short, overlong, a surrogate or above U+10FFFF?
 */
int	str_utf8(const char *s);

#endif
