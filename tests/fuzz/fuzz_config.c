/*
 * libFuzzer target for the configuration file parser (app/settings/config.c): any
 * bytes as a file.  A file that loads leaves every setting within its
 * bounds, and the dump of the result loads again to the same settings
 * (the same dump).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "settings/config.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define CHECK(x)	do { if (!(x)) abort(); } while (0)

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct cfg	 c, again;
	FILE			*fp;
	char			*dump = NULL, *dump2 = NULL;
	size_t			 len = 0, len2 = 0;
	int			 rc;

	cfg_defaults(&c);
	if (size == 0 || (fp = fmemopen((void *)(uintptr_t)data, size,
	    "r")) == NULL)
		return (0);
	/* Messages go to stderr: keep the fuzzer's output readable. */
	rc = cfg_load_fp(&c, fp, "fuzz");
	fclose(fp);
	if (rc == -1)
		return (0);
	CHECK(c.workers >= 1 && c.workers <= 64);
	CHECK(c.http_port > 0 || c.http_host[0] != '\0');
	CHECK(strlen(c.ingest_token) < sizeof(c.ingest_token));
	CHECK(c.batch_events >= 1 && c.batch_ms >= 1);
	if ((fp = open_memstream(&dump, &len)) == NULL)
		abort();
	cfg_dump(&c, fp, 0);
	fclose(fp);
	cfg_defaults(&again);
	if ((fp = fmemopen(dump, len, "r")) == NULL)
		abort();
	CHECK(cfg_load_fp(&again, fp, "dump") == 0);
	fclose(fp);
	/* The same settings: the same dump (strings compare to their NUL). */
	if ((fp = open_memstream(&dump2, &len2)) == NULL)
		abort();
	cfg_dump(&again, fp, 0);
	fclose(fp);
	CHECK(len == len2 && memcmp(dump, dump2, len) == 0);
	free(dump);
	free(dump2);
	return (0);
}
