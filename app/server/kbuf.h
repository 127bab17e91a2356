/*
 * JSON into Kore's buffers: the one writer of the HTTP API's and the
 * dashboard's answers (the quoting itself is util/json.c's).
 */
#ifndef CINEREC_KBUF_H
#define CINEREC_KBUF_H

struct kore_buf;

/* Append s to b as a JSON string (NULL: null).  Cannot fail. */
void	kbuf_str(struct kore_buf *b, const char *s);

#endif
