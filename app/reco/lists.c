/*
 * Precomputed lists files (see lists.h).  Layout, little-endian: a 64-byte
 * header, then users (int64), ids (int32), scores (float), because (int32),
 * each array starting on an 8-byte boundary; the checksum (XXH64, as model
 * files) covers everything after the header.
 */
#include <sys/mman.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/io.h"
#include "reco/lists.h"
#include "util/log.h"
#include "model/model.h"

#define LISTS_MAGIC	"CNRLISTS"
#define LISTS_VERSION	1

struct header {
	char		magic[8];
	uint32_t	version;
	uint32_t	k;
	uint64_t	nusers;
	int64_t		data_to_ms;
	uint64_t	checksum;	/* of the bytes after the header */
	uint8_t		pad[24];
};

static size_t
body_len(uint64_t n)
{
	return (n * sizeof(int64_t) + n * LISTS_K * (2 * sizeof(int32_t) +
	    sizeof(float)));
}

int
lists_write(const char *path, const int64_t *users, uint64_t nusers,
    const int32_t *ids, const float *scores, const int32_t *because,
    int64_t data_to_ms)
{
	struct header	 h;
	char		*file, *body;
	size_t		 len = body_len(nusers), off = 0, n;
	int		 rc;

	/* The header, then the body it checksums: one buffer, one file. */
	if ((file = malloc(sizeof(h) + len)) == NULL) {
		log_warnx("%s: out of memory", __func__);
		return (-1);
	}
	body = file + sizeof(h);
	/* No users: the arrays may be NULL (memcpy must not see them). */
	if (nusers > 0) {
		n = nusers * sizeof(int64_t);
		memcpy(body + off, users, n);
		off += n;
		n = nusers * LISTS_K * sizeof(int32_t);
		memcpy(body + off, ids, n);
		off += n;
		memcpy(body + off, scores, nusers * LISTS_K * sizeof(float));
		off += nusers * LISTS_K * sizeof(float);
		memcpy(body + off, because, n);
	}
	memset(&h, 0, sizeof(h));
	memcpy(h.magic, LISTS_MAGIC, 8);
	h.version = LISTS_VERSION;
	h.k = LISTS_K;
	h.nusers = nusers;
	h.data_to_ms = data_to_ms;
	h.checksum = model_hash(body, len, 0);
	memcpy(file, &h, sizeof(h));
	if ((rc = io_put_file(path, file, sizeof(h) + len, 0600)) == -1)
		log_warnx("%s: %s: %s", __func__, path, strerror(errno));
	free(file);
	return (rc);
}

int
lists_load(const char *path, struct lists **out)
{
	const struct header	*h;
	struct lists		*l;
	struct stat		 sb;
	const char		*body;
	void			*map;
	int			 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1 ||
	    fstat(fd, &sb) == -1) {
		log_warnx("%s: %s: %s", __func__, path, strerror(errno));
		if (fd != -1)
			close(fd);
		return (-1);
	}
	if ((size_t)sb.st_size < sizeof(*h)) {
		log_warnx("%s: %s: truncated", __func__, path);
		close(fd);
		return (-1);
	}
	map = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (map == MAP_FAILED) {
		log_warnx("%s: %s: mmap: %s", __func__, path, strerror(errno));
		return (-1);
	}
	h = map;
	body = (const char *)map + sizeof(*h);
	if (memcmp(h->magic, LISTS_MAGIC, 8) != 0 ||
	    h->version != LISTS_VERSION || h->k != LISTS_K) {
		log_warnx("%s: %s: not a lists file of this version", __func__,
		    path);
		goto fail;
	}
	if (h->nusers > ((uint64_t)1 << 40) ||
	    (size_t)sb.st_size != sizeof(*h) + body_len(h->nusers)) {
		log_warnx("%s: %s: truncated or of the wrong size", __func__,
		    path);
		goto fail;
	}
	if (model_hash(body, body_len(h->nusers), 0) != h->checksum) {
		log_warnx("%s: %s: checksum mismatch", __func__, path);
		goto fail;
	}
	if ((l = calloc(1, sizeof(*l))) == NULL)
		goto fail;
	l->map = map;
	l->len = (size_t)sb.st_size;
	l->nusers = h->nusers;
	l->data_to_ms = h->data_to_ms;
	l->users = (const int64_t *)(const void *)body;
	l->ids = (const int32_t *)(const void *)(l->users + h->nusers);
	l->scores = (const float *)(const void *)(l->ids + h->nusers *
	    LISTS_K);
	l->because = (const int32_t *)(const void *)(l->scores + h->nusers *
	    LISTS_K);
	*out = l;
	return (0);
fail:
	munmap(map, (size_t)sb.st_size);
	return (-1);
}

int64_t
lists_find(const struct lists *l, int64_t user)
{
	uint64_t	lo = 0, hi = l->nusers, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (l->users[mid] < user)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (lo < l->nusers && l->users[lo] == user ? (int64_t)lo : -1);
}

void
lists_free(struct lists *l)
{
	if (l == NULL)
		return;
	munmap(l->map, l->len);
	free(l);
}
