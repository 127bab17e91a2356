/*
 * Serving replicas (see replica.h): the trainer's publishing and the
 * replica's following of a published directory.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "model/model.h"
#include "model/replica.h"
#include "model/train.h"
#include "model/versions.h"
#include "reco/lists.h"
#include "store/sql.h"
#include "util/clock.h"
#include "util/io.h"
#include "util/log.h"

#define MANIFEST_MAGIC	"cinerec-published 1"
#define MANIFEST_MAX	(64 * 1024)	/* bytes of a manifest at most */
#define MOVIES_MAX	(1 << 24)	/* movie ids a published file names */
#define NAME_MAX_LEN	32		/* "model-NNNNNN": a version's name */

/* The models row a manifest carries, in its column order. */
static const char *const row_cols[] = {
	"algo", "params", "created_ms", "train_seconds", "interactions",
	"users", "items", "data_from_ms", "data_to_ms", "binary_version",
	"eval_recall20", "eval_ndcg20", "eval_coverage", "eval_users"
};
#define NCOLS	(sizeof(row_cols) / sizeof(row_cols[0]))

static void	remove_version(const char *, int64_t);

/* io_put_file, the failure logged. */
static int
put_file(const char *path, const void *buf, size_t len, mode_t mode)
{
	if (io_put_file(path, buf, len, mode) == 0)
		return (0);
	log_warnx("replica: %s: %s", path, strerror(errno));
	return (-1);
}

/* io_read_file (outside data: regular files only), failures logged
 * unless the file is missing and quiet is set. */
static char *
get_file(const char *path, size_t max, size_t *len, int quiet)
{
	char	*buf;

	if ((buf = io_read_file(path, max, len)) == NULL &&
	    (!quiet || errno != ENOENT))
		log_warnx("replica: %s: %s", path, strerror(errno));
	return (buf);
}

/* The version a name "model-NNNNNN" gives, or -1 for any other text. */
static int64_t
name_version(const char *name)
{
	const char	*p;
	int64_t		 v = 0;

	if (strncmp(name, "model-", 6) != 0 || name[6] == '\0' ||
	    strlen(name) >= NAME_MAX_LEN)
		return (-1);
	for (p = name + 6; *p != '\0'; p++) {
		if (*p < '0' || *p > '9' || v > INT64_MAX / 10 - 10)
			return (-1);
		v = v * 10 + (*p - '0');
	}
	return (v > 0 ? v : -1);
}

/*
 * The version dir's CURRENT names into name (NAME_MAX_LEN bytes): its
 * number, 0 when there is none yet, -1 when it names no version.
 */
static int64_t
read_current(const char *dir, char *name)
{
	char	 path[PATH_MAX], *cur;
	size_t	 len;
	int64_t	 v;

	snprintf(path, sizeof(path), "%s/%s", dir, REPLICA_CURRENT);
	if ((cur = get_file(path, 256, &len, 1)) == NULL)
		return (0);
	cur[strcspn(cur, "\n")] = '\0';
	if ((v = name_version(cur)) > 0)
		snprintf(name, NAME_MAX_LEN, "%s", cur);
	else
		log_warnx("replica: %s names no version", path);
	free(cur);
	return (v);
}

/* Hard link src to dst (whole, renamed), else a copy. */
static int
put_copy(const char *src, const char *dst)
{
	char	 tmp[PATH_MAX], *buf;
	size_t	 len;
	int	 rc;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", dst) >= sizeof(tmp))
		return (-1);
	(void)unlink(tmp);
	/* The trainer's files never change once written: shared. */
	if (link(src, tmp) == 0) {
		rc = rename(tmp, dst);
		/* Over a link to the same file, rename does nothing. */
		(void)unlink(tmp);
		if (rc == 0)
			return (0);
	}
	if ((buf = get_file(src, SIZE_MAX / 2, &len, 0)) == NULL)
		return (-1);
	rc = put_file(dst, buf, len, 0640);
	free(buf);
	return (rc);
}

/*
 * The published versions but keep (the current one) and the REPLICA_KEEP
 * published last before it (by their manifests' times) removed: a
 * replica may still be reading those.
 */
static void
prune(const char *dir, int64_t keep)
{
	struct {
		int64_t	v, mtime;
	}		 best[REPLICA_KEEP];
	struct dirent	*de;
	struct stat	 sb;
	DIR		*d;
	char		 name[NAME_MAX_LEN], path[PATH_MAX];
	int64_t		 v, mt;
	size_t		 n = 0, i, o, len;

	if ((d = opendir(dir)) == NULL)
		return;
	memset(best, 0, sizeof(best));
	/* First the newest REPLICA_KEEP others, then the rest go. */
	while ((de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (len <= 9 || len - 9 >= sizeof(name) ||
		    strcmp(de->d_name + len - 9, ".manifest") != 0)
			continue;
		memcpy(name, de->d_name, len - 9);
		name[len - 9] = '\0';
		if ((v = name_version(name)) <= 0 || v == keep)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (lstat(path, &sb) == -1)
			continue;
		mt = (int64_t)sb.st_mtim.tv_sec * 1000000000 +
		    sb.st_mtim.tv_nsec;
		if (n < REPLICA_KEEP) {
			best[n].v = v;
			best[n++].mtime = mt;
		} else {
			/* The oldest kept so far, against this one. */
			for (i = 1, o = 0; i < n; i++)
				if (best[i].mtime < best[o].mtime)
					o = i;
			if (mt > best[o].mtime) {
				remove_version(dir, best[o].v);
				best[o].v = v;
				best[o].mtime = mt;
			} else
				remove_version(dir, v);
		}
	}
	closedir(d);
}

static void
remove_version(const char *dir, int64_t v)
{
	static const char *const exts[] = { "manifest", "cnrm", "lists",
	    "movies" };
	char	path[PATH_MAX];
	size_t	i;

	for (i = 0; i < sizeof(exts) / sizeof(exts[0]); i++) {
		snprintf(path, sizeof(path), "%s/model-%06lld.%s", dir,
		    (long long)v, exts[i]);
		(void)unlink(path);
	}
}

/* "id<TAB>spelling" lines of every movie into a malloc'ed buffer. */
static char *
movies_text(sqlite3 *db, size_t *len, int64_t *count)
{
	sqlite3_stmt	*st;
	char		*buf = NULL, *nb;
	size_t		 cap = 0, n = 0, need;
	int		 rc, w;

	*count = 0;
	if (sqlite3_prepare_v2(db, "SELECT id, slug FROM movies ORDER BY id",
	    -1, &st, NULL) != SQLITE_OK) {
		log_warnx("replica: %s", sqlite3_errmsg(db));
		return (NULL);
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		need = (size_t)sqlite3_column_bytes(st, 1) + 32;
		if (n + need >= cap) {
			cap = cap * 2 + need + 65536;
			if ((nb = realloc(buf, cap)) == NULL)
				break;
			buf = nb;
		}
		w = snprintf(buf + n, cap - n, "%lld\t%s\n",
		    (long long)sqlite3_column_int64(st, 0),
		    (const char *)sqlite3_column_text(st, 1));
		n += (size_t)w;
		(*count)++;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		log_warnx("replica: the movies: %s", rc == SQLITE_ROW ?
		    "out of memory" : sqlite3_errstr(rc));
		free(buf);
		return (NULL);
	}
	if (buf == NULL && (buf = malloc(1)) == NULL)
		return (NULL);
	*len = n;
	return (buf);
}

/* The manifest of version id: what it is, its movies' checksum. */
static char *
manifest_text(sqlite3 *db, int64_t id, int64_t nmovies, uint64_t hash,
    int has_lists, size_t *len)
{
	sqlite3_stmt	*st;
	char		 sql[512], *buf = NULL;
	const char	*v;
	size_t		 i, n, cap = MANIFEST_MAX;
	int		 w;

	n = (size_t)snprintf(sql, sizeof(sql), "SELECT ");
	for (i = 0; i < NCOLS; i++)
		n += (size_t)snprintf(sql + n, sizeof(sql) - n, "%s%s",
		    i ? ", " : "", row_cols[i]);
	snprintf(sql + n, sizeof(sql) - n, " FROM models WHERE id = ?1");
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		log_warnx("replica: %s", sqlite3_errmsg(db));
		return (NULL);
	}
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) != SQLITE_ROW || (buf = malloc(cap)) == NULL)
		goto fail;
	n = (size_t)snprintf(buf, cap, "%s\nversion %lld\nmovies %lld "
	    "%016llx\nlists %d\n", MANIFEST_MAGIC, (long long)id,
	    (long long)nmovies, (unsigned long long)hash, has_lists);
	for (i = 0; i < NCOLS; i++) {
		v = (const char *)sqlite3_column_text(st, (int)i);
		/* One line a value: a newline in one is not ours to pass. */
		if (v != NULL && strchr(v, '\n') != NULL)
			goto fail;
		w = snprintf(buf + n, cap - n, "%s %s\n", row_cols[i],
		    v != NULL ? v : "");
		if (w < 0 || (size_t)w >= cap - n)
			goto fail;
		n += (size_t)w;
	}
	sqlite3_finalize(st);
	*len = n;
	return (buf);
fail:
	log_warnx("replica: version %lld: no manifest", (long long)id);
	sqlite3_finalize(st);
	free(buf);
	return (NULL);
}

int
replica_publish(struct replica_pub *p, sqlite3 *db, const char *data_dir)
{
	struct stat	 sb;
	char		 file[64], model[PATH_MAX], lists[PATH_MAX];
	char		 dst[PATH_MAX], base[NAME_MAX_LEN], *text;
	size_t		 len;
	int64_t		 id, nmovies, v;
	uint64_t	 hash;
	int		 pinned, has_lists, rc = -1, fd;

	if (versions_current(db, &id, &pinned) == -1 || id == 0)
		return (id == 0 ? 0 : -1);
	if (p->published == 0 && (v = read_current(p->dir, base)) > 0)
		p->published = v;
	if (id == p->published)
		return (0);
	if (versions_file(db, id, file, sizeof(file)) != 1 ||
	    versions_paths(data_dir, file, model, lists, sizeof(model)) == -1)
		return (-1);
	snprintf(base, sizeof(base), "model-%06lld", (long long)id);
	if (io_mkdir_p(p->dir) == -1) {
		log_warnx("replica: %s: %s", p->dir, strerror(errno));
		return (-1);
	}
	has_lists = stat(lists, &sb) == 0;
	snprintf(dst, sizeof(dst), "%s/%s.cnrm", p->dir, base);
	if (put_copy(model, dst) == -1)
		return (-1);
	snprintf(dst, sizeof(dst), "%s/%s.lists", p->dir, base);
	if (has_lists && put_copy(lists, dst) == -1)
		return (-1);
	if ((text = movies_text(db, &len, &nmovies)) == NULL)
		return (-1);
	hash = model_hash(text, len, 0);
	snprintf(dst, sizeof(dst), "%s/%s.movies", p->dir, base);
	rc = put_file(dst, text, len, 0640);
	free(text);
	if (rc == -1 || (text = manifest_text(db, id, nmovies, hash, has_lists,
	    &len)) == NULL)
		return (-1);
	snprintf(dst, sizeof(dst), "%s/%s.manifest", p->dir, base);
	rc = put_file(dst, text, len, 0640);
	free(text);
	if (rc == -1)
		return (-1);
	/* Last: the replicas see it whole or not at all. */
	if ((fd = open(p->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) != -1) {
		(void)fsync(fd);	/* the renames before CURRENT's */
		close(fd);
	}
	snprintf(dst, sizeof(dst), "%s/%s", p->dir, REPLICA_CURRENT);
	len = strlen(base);
	base[len] = '\n';
	rc = put_file(dst, base, len + 1, 0640);
	base[len] = '\0';
	if (rc == -1)
		return (-1);
	prune(p->dir, id);
	p->published = id;
	log_info("replica: version %lld published to %s (%lld movies)",
	    (long long)id, p->dir, (long long)nmovies);
	return (1);
}

/* A manifest's value of key (into val, sz bytes): 1, or 0 when absent. */
static int
manifest_get(const char *m, const char *key, char *val, size_t sz)
{
	const char	*p = m, *e;
	size_t		 klen = strlen(key), n;

	while (*p != '\0') {
		e = p + strcspn(p, "\n");
		if ((size_t)(e - p) > klen && strncmp(p, key, klen) == 0 &&
		    p[klen] == ' ') {
			n = (size_t)(e - p) - klen - 1;
			if (n >= sz)
				return (0);
			memcpy(val, p + klen + 1, n);
			val[n] = '\0';
			return (1);
		}
		p = *e != '\0' ? e + 1 : e;
	}
	return (0);
}

/* The trainer's movie ids to ours. */
struct idmap {
	int64_t		*to;		/* by the trainer's id, -1: none */
	size_t		 n;
};

static int64_t
map_id(void *arg, int64_t id)
{
	const struct idmap	*m = arg;

	/* Column 0 of a training's model is no movie's: it stays. */
	if (id == 0)
		return (0);
	return (id > 0 && (uint64_t)id < m->n ? m->to[id] : -1);
}

/* The identity: model_remap_ids as model_load's checks alone. */
static int64_t
same_id(void *arg, int64_t id)
{
	(void)arg;
	return (id);
}

/*
 * The movies file (text, len bytes, whose checksum the manifest gave) into
 * map, through the replica's catalogue.  NULL, or why not.
 */
static const char *
map_movies(struct replica_sub *r, char *text, size_t len, int64_t count,
    struct idmap *map, int *permanent)
{
	char		**slugs = NULL, *p = text, *e, *tab, *end;
	int64_t		 *from = NULL, id;
	int32_t		 *ours = NULL;
	size_t		  n = 0, i;
	const char	 *why = NULL;

	if (count < 0 || count > MOVIES_MAX)
		return ("too many movies");
	if ((slugs = calloc((size_t)count + 1, sizeof(*slugs))) == NULL ||
	    (from = calloc((size_t)count + 1, sizeof(*from))) == NULL ||
	    (ours = calloc((size_t)count + 1, sizeof(*ours))) == NULL) {
		*permanent = 0;
		why = "out of memory";
		goto out;
	}
	while (p < text + len) {
		if ((e = memchr(p, '\n', (size_t)(text + len - p))) == NULL ||
		    (tab = memchr(p, '\t', (size_t)(e - p))) == NULL ||
		    n >= (size_t)count) {
			why = "movies file malformed";
			goto out;
		}
		*tab = *e = '\0';
		id = strtoll(p, &end, 10);
		if (end != tab || id <= 0 || id >= MOVIES_MAX ||
		    tab[1] == '\0') {
			why = "movies file malformed";
			goto out;
		}
		from[n] = id;
		slugs[n++] = tab + 1;
		p = e + 1;
	}
	if (n != (size_t)count) {
		why = "movies file shorter than its manifest";
		goto out;
	}
	if (r->movie_ids(r->arg, slugs, n, ours) == -1) {
		*permanent = 0;
		why = "the catalogue could not take the movies";
		goto out;
	}
	map->n = 0;
	for (i = 0; i < n; i++)
		if ((size_t)from[i] + 1 > map->n)
			map->n = (size_t)from[i] + 1;
	if ((map->to = malloc((map->n + 1) * sizeof(*map->to))) == NULL) {
		*permanent = 0;
		why = "out of memory";
		goto out;
	}
	for (i = 0; i < map->n; i++)
		map->to[i] = -1;
	for (i = 0; i < n; i++)
		map->to[from[i]] = ours[i] > 0 ? ours[i] : -1;
out:
	free(slugs);
	free(from);
	free(ours);
	return (why);
}

/* The published lists l (checked) with our ids to dst; NULL, or why not. */
static const char *
copy_lists(const struct lists *l, const char *dst, struct idmap *map,
    int *permanent)
{
	int32_t		*ids = NULL, *because = NULL;
	int64_t		 to;
	size_t		 n, i;
	const char	*why = NULL;

	n = (size_t)l->nusers * LISTS_K;
	if ((ids = malloc((n + 1) * sizeof(*ids))) == NULL ||
	    (because = malloc((n + 1) * sizeof(*because))) == NULL) {
		*permanent = 0;
		why = "out of memory";
		goto out;
	}
	for (i = 0; i < n; i++) {
		ids[i] = because[i] = LISTS_NONE;
		if (l->ids[i] != LISTS_NONE) {
			if ((to = map_id(map, l->ids[i])) < 0) {
				why = "lists name a movie the movies file lacks";
				goto out;
			}
			ids[i] = (int32_t)to;
		}
		if (l->because[i] != LISTS_NONE &&
		    (to = map_id(map, l->because[i])) >= 0)
			because[i] = (int32_t)to;
	}
	if (lists_write(dst, l->users, l->nusers, ids, l->scores, because,
	    l->data_to_ms - REPLICA_MARGIN_MS) == -1) {
		*permanent = 0;
		why = "cannot write the lists";
	}
out:
	free(ids);
	free(because);
	return (why);
}

/* The models row of version id from the manifest, current, in one go. */
static int
register_version(sqlite3 *db, int64_t id, const char *file,
    const char *manifest)
{
	sqlite3_stmt	*st = NULL;
	char		 sql[1024], val[4096];
	size_t		 i, n;
	int		 rc;

	n = (size_t)snprintf(sql, sizeof(sql), "INSERT OR REPLACE INTO models "
	    "(id, file, current, gate, gate_reason");
	for (i = 0; i < NCOLS; i++)
		n += (size_t)snprintf(sql + n, sizeof(sql) - n, ", %s",
		    row_cols[i]);
	n += (size_t)snprintf(sql + n, sizeof(sql) - n, ") VALUES (?1, ?2, 1, "
	    "'promoted', 'published by the trainer (its gate)'");
	for (i = 0; i < NCOLS; i++)
		n += (size_t)snprintf(sql + n, sizeof(sql) - n, ", ?%zu", i + 3);
	snprintf(sql + n, sizeof(sql) - n, ")");
	if (sql_exec(db, __func__, "BEGIN IMMEDIATE", "") == -1)
		return (-1);
	if (sql_exec(db, __func__, "UPDATE models SET current = 0 WHERE "
	    "current = 1", "") == -1 ||
	    sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		goto fail;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_text(st, 2, file, -1, SQLITE_TRANSIENT);
	for (i = 0; i < NCOLS; i++)
		if (manifest_get(manifest, row_cols[i], val, sizeof(val)) &&
		    val[0] != '\0')
			sqlite3_bind_text(st, (int)i + 3, val, -1,
			    SQLITE_TRANSIENT);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	st = NULL;
	if (rc != SQLITE_DONE) {
		log_warnx("replica: version %lld: %s", (long long)id,
		    sqlite3_errmsg(db));
		goto fail;
	}
	if (versions_log(db, "system", "follow", id, 0, "published by the "
	    "trainer; model, lists and movies checksums verified") == -1 ||
	    sql_exec(db, __func__, "COMMIT", "") == -1)
		goto fail;
	return (0);
fail:
	if (st != NULL)
		sqlite3_finalize(st);
	(void)sql_exec(db, __func__, "ROLLBACK", "");
	return (-1);
}

/* Where the manifest a local version was copied from is kept. */
static void
copy_path(const char *data_dir, int64_t local, char *path, size_t sz)
{
	snprintf(path, sz, "%s/%s/model-%06lld.manifest", data_dir, TRAIN_DIR,
	    (long long)local);
}

/* Is local version v a copy of the published version with manifest m? */
static int
copy_of(const char *data_dir, int64_t v, const char *m)
{
	char	 path[PATH_MAX], *text;
	size_t	 len;
	int	 same;

	copy_path(data_dir, v, path, sizeof(path));
	if ((text = get_file(path, MANIFEST_MAX, &len, 1)) == NULL)
		return (0);
	same = len == strlen(m) && memcmp(text, m, len) == 0;
	free(text);
	return (same);
}

/* A version id this database has no row for. */
static int64_t
free_id(sqlite3 *db)
{
	sqlite3_stmt	*st;
	int64_t		 id = -1;

	if (sqlite3_prepare_v2(db, "SELECT coalesce(max(id), 0) + 1 FROM "
	    "models", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		id = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return (id);
}

/* Has this database a row (files kept or collected) for version id? */
static int
has_row(sqlite3 *db, int64_t id)
{
	sqlite3_stmt	*st;
	int		 rc = -1;

	if (sqlite3_prepare_v2(db, "SELECT 1 FROM models WHERE id = ?1", -1,
	    &st, NULL) == SQLITE_OK) {
		sqlite3_bind_int64(st, 1, id);
		rc = sqlite3_step(st);
		rc = rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
	}
	sqlite3_finalize(st);
	return (rc);
}

/*
 * Copy the published version name (version id, its manifest text given)
 * as this replica's version local; NULL, or why not with *permanent set
 * when the version itself is at fault (a checksum, its format), not this
 * node (memory, its disk, its database, its writer: tried again later).
 */
static const char *
import(struct replica_sub *r, sqlite3 *db, const char *data_dir,
    const char *name, int64_t id, int64_t local, const char *manifest,
    int *permanent)
{
	struct idmap	 map = { NULL, 0 };
	struct model	*md;
	char		 path[PATH_MAX], file[64], model[PATH_MAX];
	char		 lists[PATH_MAX], val[64], *text = NULL, *img = NULL;
	struct lists	*ls = NULL;
	const char	*why = NULL;
	long long	 count;
	unsigned long long hash;
	size_t		 len, ilen;
	int		 rc, has_lists;

	*permanent = 1;
	if (!manifest_get(manifest, "version", val, sizeof(val)) ||
	    strtoll(val, NULL, 10) != id)
		return ("manifest names another version");
	if (!manifest_get(manifest, "movies", val, sizeof(val)) ||
	    sscanf(val, "%lld %llx", &count, &hash) != 2)
		return ("manifest without its movies' checksum");
	snprintf(path, sizeof(path), "%s/%s.movies", r->dir, name);
	if ((text = get_file(path, (size_t)MOVIES_MAX * 1024, &len, 0)) ==
	    NULL) {
		*permanent = 0;
		return ("movies file unreadable");
	}
	if (model_hash(text, len, 0) != hash) {
		why = "movies file checksum mismatch";
		goto out;
	}
	/* Every file checked before the catalogue hears of its movies. */
	snprintf(path, sizeof(path), "%s/%s.cnrm", r->dir, name);
	if ((img = get_file(path, SIZE_MAX / 2, &ilen, 0)) == NULL) {
		*permanent = 0;
		why = "model file unreadable";
		goto out;
	}
	if ((rc = model_remap_ids(img, ilen, path, same_id, NULL)) != 0) {
		why = model_strerror(rc);
		goto out;
	}
	has_lists = manifest_get(manifest, "lists", val, sizeof(val)) &&
	    strcmp(val, "1") == 0;
	snprintf(path, sizeof(path), "%s/%s.lists", r->dir, name);
	if (has_lists && lists_load(path, &ls) == -1) {
		why = "lists file refused (checksum or format)";
		goto out;
	}
	if ((why = map_movies(r, text, len, count, &map, permanent)) != NULL)
		goto out;
	snprintf(path, sizeof(path), "%s/%s.cnrm", r->dir, name);
	if ((rc = model_remap_ids(img, ilen, path, map_id, &map)) != 0) {
		why = rc == MODEL_EFORMAT ? "model file refused (format, or "
		    "a movie the movies file lacks)" : model_strerror(rc);
		goto out;
	}
	snprintf(file, sizeof(file), "model-%06lld.cnrm", (long long)local);
	snprintf(path, sizeof(path), "%s/%s", data_dir, TRAIN_DIR);
	*permanent = 0;
	if (io_mkdir_p(path) == -1 ||
	    versions_paths(data_dir, file, model, lists, sizeof(model)) ==
	    -1 || put_file(model, img, ilen, 0600) == -1) {
		why = "cannot write the model file";
		goto out;
	}
	/* As the workers will load it. */
	if ((rc = model_load(model, &md)) != 0) {
		why = model_strerror(rc);
		goto out;
	}
	model_free(md);
	if (has_lists) {
		if ((why = copy_lists(ls, lists, &map, permanent)) != NULL)
			goto out;
	} else
		(void)unlink(lists);
	/* Which published version this copy is: see replica_follow. */
	copy_path(data_dir, local, path, sizeof(path));
	if (put_file(path, manifest, strlen(manifest), 0600) == -1)
		why = "cannot write the manifest's copy";
	else if (register_version(db, local, file, manifest) == -1)
		why = "cannot register the version";
out:
	if (ls != NULL)
		lists_free(ls);
	free(map.to);
	free(text);
	free(img);
	return (why);
}

/* Published version name (its manifest's time) is served as local. */
static void
mark_seen(struct replica_sub *r, const char *name, int64_t mtime,
    int64_t local)
{
	snprintf(r->seen, sizeof(r->seen), "%s", name);
	r->seen_mtime = mtime;
	r->seen_have = local;
}

int
replica_follow(struct replica_sub *r, sqlite3 *db, const char *data_dir)
{
	struct stat	 sb;
	char		 path[PATH_MAX], name[NAME_MAX_LEN], file[64], err[256];
	char		*manifest;
	const char	*why;
	size_t		 len;
	int64_t		 id, have, mtime, local;
	int		 pinned, permanent, rc = -1;

	if (r->retry_ms != 0 && clock_mono_ms() < r->retry_ms)
		return (0);
	r->retry_ms = 0;
	if ((id = read_current(r->dir, name)) <= 0)
		return (id == 0 ? 0 : -1);	/* 0: nothing published yet */
	snprintf(path, sizeof(path), "%s/%s.manifest", r->dir, name);
	if (stat(path, &sb) == -1)
		return (0);		/* CURRENT before its files: later */
	mtime = (int64_t)sb.st_mtim.tv_sec * 1000000000 + sb.st_mtim.tv_nsec;
	if (strcmp(r->refused, name) == 0 && mtime == r->refused_mtime)
		return (-1);
	if (versions_current(db, &have, &pinned) == -1)
		return (-1);
	r->version = have;
	/* The same manifest, the same version served as a second ago. */
	if (have == r->seen_have && mtime == r->seen_mtime &&
	    strcmp(name, r->seen) == 0)
		return (0);
	if ((manifest = get_file(path, MANIFEST_MAX, &len, 0)) == NULL)
		return (-1);
	/* Served already: the current version is a copy of this one. */
	if ((have > 0 && copy_of(data_dir, have, manifest)) || pinned) {
		if (!pinned)
			mark_seen(r, name, mtime, have);
		free(manifest);
		return (0);
	}
	/*
	 * The trainer's id when this database has no other version by it
	 * (a replica that never trained), else one of its own; a copy of
	 * this very version made before (a rollback) serves again.
	 */
	local = id;
	if (has_row(db, id) == 1 && !copy_of(data_dir, id, manifest))
		local = free_id(db);
	permanent = 1;
	if (local <= 0)
		why = "database error";
	else if (copy_of(data_dir, local, manifest) && versions_file(db, local,
	    file, sizeof(file)) == 1 && versions_use(db, data_dir, local,
	    "system", "follow: the trainer serves it again", err,
	    sizeof(err)) == 0) {
		r->version = local;
		r->imports++;
		mark_seen(r, name, mtime, local);
		log_info("replica: serving version %lld again", (long long)local);
		free(manifest);
		return (1);
	} else if (strncmp(manifest, MANIFEST_MAGIC "\n",
	    strlen(MANIFEST_MAGIC) + 1) != 0)
		why = "not a manifest of this format";
	else
		why = import(r, db, data_dir, name, id, local, manifest,
		    &permanent);
	free(manifest);
	if (why != NULL && !permanent) {
		/* This node's trouble, not the version's: again later. */
		log_warnx("replica: version %lld not taken yet: %s (again in "
		    "%d s)", (long long)id, why, REPLICA_RETRY_MS / 1000);
		r->retry_ms = clock_mono_ms() + REPLICA_RETRY_MS;
		return (-1);
	}
	if (why != NULL) {
		log_warnx("replica: version %lld refused: %s", (long long)id,
		    why);
		(void)versions_log(db, "system", "follow-refused", local, 0,
		    why);
		snprintf(r->refused, sizeof(r->refused), "%s", name);
		r->refused_mtime = mtime;
		r->refusals++;
		return (rc);
	}
	r->version = local;
	r->imports++;
	mark_seen(r, name, mtime, local);
	log_info("replica: serving version %lld (the trainer's %lld) from %s",
	    (long long)local, (long long)id, r->dir);
	return (1);
}
