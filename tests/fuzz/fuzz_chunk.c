/*
 * libFuzzer target for reading the recommendation log's chunks back
 * (logstore_chunk_next, app/store/logstore.c): any text as a chunk, in
 * full and head-only.  Both modes stop at the same place; a list read is
 * within bounds and reads again the same from where it was read.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "store/logstore.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define CHECK(x)	do { if (!(x)) abort(); } while (0)

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct logstore_entry	 e, h, again;
	const char		*p, *hp, *ap;
	char			*text;
	int			 r, hr, n = 0;

	if ((text = malloc(size + 1)) == NULL)
		return (0);
	memcpy(text, data, size);
	text[size] = '\0';
	p = hp = text;
	while ((r = logstore_chunk_next(&p, &e, 1)) == 1) {
		CHECK(p > text && p <= text + size);
		CHECK(e.nids <= LOGSTORE_IDS_MAX);
		CHECK(strlen(e.arm) < LOGSTORE_ARM_MAX);
		ap = e.at;
		CHECK(logstore_chunk_next(&ap, &again, 1) == 1 && ap == p);
		CHECK(again.ts == e.ts && again.user == e.user &&
		    again.nids == e.nids && strcmp(again.arm, e.arm) == 0);
		hr = logstore_chunk_next(&hp, &h, 0);
		CHECK(hr == 1 && h.ts == e.ts && h.user == e.user && hp == p);
		n++;
	}
	CHECK(r == 0 || r == -1);
	(void)n;
	free(text);
	return (0);
}
