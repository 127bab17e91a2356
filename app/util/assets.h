/*
 * Files embedded in the binary at build time (app/embed.sh): the SQL
 * migrations, the admin UI's files, Kore's builtin configuration.
 */
#ifndef CINEREC_ASSETS_H
#define CINEREC_ASSETS_H

#include <stddef.h>
#include <stdint.h>

struct asset {
	const char	*name;		/* path in the source tree, e.g. "sql/001_init.sql" */
	const uint8_t	*data;		/* contents, followed by a NUL byte */
	size_t		 len;		/* length without the NUL */
};

/* Every embedded file, ending with an entry whose name is NULL. */
extern const struct asset	assets[];

/* Returns the asset at path name, or NULL. */
const struct asset	*asset_find(const char *name);

#endif
