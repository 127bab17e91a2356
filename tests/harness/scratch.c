/* Unit-test scratch directory and writer (see scratch.h). */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include <sqlite3.h>

#include "harness.h"
#include "scratch.h"
#include "ingest/parse.h"
#include "store/store.h"
#include "util/clock.h"
#include "store/writer.h"

char		 h_dir[64];
char		 h_db[256];
struct writer	*h_w;

/* A capture of fd 1 or 2: the stream's own fd, saved, and the file's. */
struct capture {
	int	saved;		/* -1: not capturing */
	int	file;
	char	text[1 << 16];
};

static struct capture	caps[3] = {
	{ -1, -1, "" }, { -1, -1, "" }, { -1, -1, "" }
};

static void	cap_begin(int);
static const char *cap_end(int);

void
h_scratch_setup(void)
{
	h_tmpdir(h_dir, sizeof(h_dir));
	snprintf(h_db, sizeof(h_db), "%s/%s", h_dir, STORE_FILE);
	h_w = NULL;
}

void
h_scratch_teardown(void)
{
	int	fd;

	for (fd = 1; fd <= 2; fd++)
		if (caps[fd].saved != -1)
			(void)cap_end(fd);
	if (h_w != NULL)
		(void)writer_close(h_w);
	h_w = NULL;
	if (h_dir[0] != '\0')
		h_rmrf(h_dir);
	h_dir[0] = '\0';
}

void
h_writer_movies(int n)
{
	char	slug[32];
	int	i;

	cr_assert_not_null(h_w = writer_open(h_dir), "writer_open(%s)",
	    h_dir);
	for (i = 1; i <= n; i++) {
		snprintf(slug, sizeof(slug), "m%d+2000", i);
		cr_assert_eq(writer_movie(h_w, slug, NULL, 0, NULL), 0);
	}
	cr_assert_eq(writer_commit(h_w), 0);
}

void
h_writer_close(void)
{
	cr_assert_eq(writer_close(h_w), 0);
	h_w = NULL;
}

int
h_line(const char *fmt, ...)
{
	char	buf[PARSE_LINE_MAX * 2];
	va_list	ap;
	int	n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	cr_assert(n >= 0 && (size_t)n < sizeof(buf), "line too long");
	return (writer_line(h_w, buf, (size_t)n));
}

void
h_served(int64_t ts, int64_t user, int64_t version, const char *arm,
    int64_t latency_us, int personal, const char *ids)
{
	char	line[PARSE_LINE_MAX];
	int	n;

	n = snprintf(line, sizeof(line), "SERVED %lld %lld %lld %s %lld %d %s",
	    (long long)ts, (long long)user, (long long)version, arm,
	    (long long)latency_us, personal, ids);
	cr_assert(n >= 0 && (size_t)n < sizeof(line), "line too long");
	cr_assert_eq(writer_served(h_w, line, (size_t)n), 0, "%s", line);
}

void
h_exec(const char *sql)
{
	sqlite3	*db;

	cr_assert_eq(sqlite3_open(h_db, &db), SQLITE_OK, "%s", h_db);
	sqlite3_busy_timeout(db, 5000);
	cr_assert_eq(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK,
	    "%s: %s", sql, sqlite3_errmsg(db));
	sqlite3_close(db);
}

void
h_fail_writes(const char *table)
{
	char	sql[1024];
	int	n;

	n = snprintf(sql, sizeof(sql),
	    "CREATE TABLE IF NOT EXISTS h_fail_flag (x);"
	    "INSERT INTO h_fail_flag VALUES (1);"
	    "CREATE TRIGGER IF NOT EXISTS h_fail_ins_%s BEFORE INSERT ON %s "
	    "WHEN EXISTS (SELECT 1 FROM h_fail_flag) "
	    "BEGIN SELECT RAISE(ABORT, 'injected'); END;"
	    "CREATE TRIGGER IF NOT EXISTS h_fail_upd_%s BEFORE UPDATE ON %s "
	    "WHEN EXISTS (SELECT 1 FROM h_fail_flag) "
	    "BEGIN SELECT RAISE(ABORT, 'injected'); END;",
	    table, table, table, table);
	cr_assert(n > 0 && (size_t)n < sizeof(sql), "table name too long");
	h_exec(sql);
}

void
h_fail_writes_off(void)
{
	h_exec("DELETE FROM h_fail_flag");
}

void
h_models(const char *values)
{
	struct store	 s;
	char		*sql;

	cr_assert_neq(asprintf(&sql, "INSERT INTO models (id, algo, params, "
	    "file, created_ms, train_seconds, interactions, users, items, "
	    "data_from_ms, data_to_ms, binary_version, eval_recall20, "
	    "eval_ndcg20, eval_coverage, eval_users, current) VALUES %s",
	    values), -1);
	cr_assert_eq(store_open(&s, h_dir, STORE_ROLE_MODELS), 0, "%s",
	    h_dir);
	cr_assert_eq(store_exec(&s, sql), 0, "%s", sql);
	store_close(&s);
	free(sql);
}

/* Point fd (1 or 2) at a fresh file until cap_end. */
static void
cap_begin(int fd)
{
	struct capture	*c = &caps[fd];
	char		 path[128];

	cr_assert_eq(c->saved, -1, "fd %d captured twice", fd);
	if (h_dir[0] != '\0') {
		snprintf(path, sizeof(path), "%s/%s.txt", h_dir,
		    fd == 1 ? "stdout" : "stderr");
		c->file = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	} else {
		snprintf(path, sizeof(path), "/tmp/cinerec-cap-XXXXXX");
		if ((c->file = mkstemp(path)) != -1)
			unlink(path);
	}
	cr_assert_geq(c->file, 0, "%s: %s", path, strerror(errno));
	fflush(fd == 1 ? stdout : stderr);
	cr_assert_geq(c->saved = dup(fd), 0);
	cr_assert_geq(dup2(c->file, fd), 0);
}

/* Restore fd; what was written to it. */
static const char *
cap_end(int fd)
{
	struct capture	*c = &caps[fd];
	size_t		 len = 0;
	ssize_t		 n;

	cr_assert_neq(c->saved, -1, "fd %d not captured", fd);
	fflush(fd == 1 ? stdout : stderr);
	cr_assert_geq(dup2(c->saved, fd), 0);
	close(c->saved);
	c->saved = -1;
	cr_assert_eq(lseek(c->file, 0, SEEK_SET), 0);
	while (len < sizeof(c->text) - 1 && (n = read(c->file, c->text + len,
	    sizeof(c->text) - 1 - len)) > 0)
		len += (size_t)n;
	c->text[len] = '\0';
	close(c->file);
	c->file = -1;
	return (c->text);
}

void
h_stderr_begin(void)
{
	cap_begin(2);
}

const char *
h_stderr_end(void)
{
	return (cap_end(2));
}

void
h_stdout_begin(void)
{
	cap_begin(1);
}

const char *
h_stdout_end(void)
{
	return (cap_end(1));
}

void
h_write_file(const char *path, const void *data, size_t len)
{
	FILE	*fp;

	cr_assert_not_null(fp = fopen(path, "w"), "%s: %s", path,
	    strerror(errno));
	cr_assert_eq(fwrite(data, 1, len, fp), len, "%s", path);
	cr_assert_eq(fclose(fp), 0, "%s", path);
}

uint8_t *
h_slurp(const char *path, size_t *len)
{
	struct stat	 st;
	uint8_t		*buf;
	int		 fd;

	cr_assert_neq(fd = open(path, O_RDONLY), -1, "%s", path);
	cr_assert_eq(fstat(fd, &st), 0);
	*len = (size_t)st.st_size;
	cr_assert_not_null(buf = malloc(*len + 1));
	cr_assert_eq(read(fd, buf, *len), (ssize_t)*len, "%s", path);
	close(fd);
	return (buf);
}

off_t
h_file_size(const char *path)
{
	struct stat	st;

	cr_assert_eq(stat(path, &st), 0, "%s", path);
	return (st.st_size);
}

uint8_t
h_byte_at(const char *path, off_t off)
{
	uint8_t	b;
	int	fd;

	cr_assert_neq(fd = open(path, O_RDONLY), -1, "%s", path);
	cr_assert_eq(pread(fd, &b, 1, off), 1);
	close(fd);
	return (b);
}

void
h_patch(const char *path, off_t off, const void *buf, size_t len)
{
	int	fd;

	cr_assert_neq(fd = open(path, O_WRONLY), -1, "%s", path);
	cr_assert_eq(pwrite(fd, buf, len, off), (ssize_t)len);
	close(fd);
}

int
h_dir_count(const char *dir)
{
	DIR		*d;
	struct dirent	*e;
	int		 n = 0;

	cr_assert_not_null(d = opendir(dir), "%s", dir);
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	closedir(d);
	return (n);
}

void
h_watch(int64_t ts_ms, int64_t user, const char *slug, int minute)
{
	char	when[32];

	clock_format(ts_ms, when, sizeof(when));
	cr_assert_eq(h_line("%s,%lld,GET /data/m/%s/%d.mpg", when,
	    (long long)user, slug, minute), PARSE_OK);
}

void
h_rate(int64_t ts_ms, int64_t user, const char *slug, int stars)
{
	char	when[32];

	clock_format(ts_ms, when, sizeof(when));
	cr_assert_eq(h_line("%s,%lld,GET /rate/%s=%d", when, (long long)user,
	    slug, stars), PARSE_OK);
}

void
h_commit(void)
{
	cr_assert_eq(writer_commit(h_w), 0);
	cr_assert_eq(writer_pending(h_w), 0);
}
