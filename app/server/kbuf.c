/*
 * JSON strings into Kore's buffers (see kbuf.h).
 */
#include <kore/kore.h>

#include "server/kbuf.h"
#include "util/json.h"

static void
put(void *b, const void *p, size_t len)
{
	kore_buf_append(b, p, len);
}

void
kbuf_str(struct kore_buf *b, const char *s)
{
	json_quote(s, put, b);
}
