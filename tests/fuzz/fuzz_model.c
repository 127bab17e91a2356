/*
 * libFuzzer target for the model file loader (app/model/model.c and each
 * algorithm's attach): the input, resealed (its size and checksum set as a
 * file written by cinerec would have them, so the checks behind them are
 * reached), is written to a file and loaded.  A model that loads must
 * score and recommend for any history without reading out of bounds.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "model/model.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define CHECK(x)	do { if (!(x)) abort(); } while (0)

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char	 path[64];
	struct model	*md;
	uint8_t		*buf;
	uint32_t	 items[4], out[20];
	float		 vals[4] = { 1, 2, 0.5f, 1 }, *scores, score[20];
	size_t		 i, n;
	FILE		*fp;

	if (size == 0 || size > (1 << 22))
		return (0);
	if (path[0] == '\0')
		snprintf(path, sizeof(path), "/tmp/cinerec-fuzz-%d.cnrm",
		    (int)getpid());
	if ((buf = malloc(size)) == NULL)
		abort();
	memcpy(buf, data, size);
	model_reseal(buf, size);
	if ((fp = fopen(path, "w")) == NULL)
		abort();
	CHECK(fwrite(buf, 1, size, fp) == size);
	fclose(fp);
	free(buf);
	if (model_load(path, &md) != 0)
		return (0);
	for (i = 0; i < 4; i++)
		items[i] = md->nitems > 0 ? (uint32_t)(i * 7919) % md->nitems : 0;
	if (md->nitems > 0 && md->nitems <= (1u << 20) &&
	    (scores = malloc(md->nitems * sizeof(*scores))) != NULL) {
		(void)model_score(md, items, vals, 4, scores, NULL);
		free(scores);
	}
	n = model_recommend(md, items, vals, md->nitems > 0 ? 4 : 0, NULL, 0,
	    out, score, 20);
	if (n != (size_t)-1)
		for (i = 0; i < n; i++)
			CHECK(out[i] < md->nitems);
	model_free(md);
	(void)unlink(path);
	return (0);
}
