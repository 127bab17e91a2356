/* String helpers (see str.h). */
#include <string.h>

#include "util/str.h"

int
str_copy(char *dst, size_t sz, const char *src)
{
	size_t	len = strlen(src);

	if (len >= sz)
		len = sz - 1;
	memcpy(dst, src, len);
	dst[len] = '\0';
	return (src[len] != '\0');
}
