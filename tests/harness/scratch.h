/*
 * Unit-test scratch: a fresh directory per test, the database path in it
 * and a writer the test may open there (closed, and the directory
 * removed, when the test ends).  A suite uses it as
 *
 *	TestSuite(x, .init = h_scratch_setup, .fini = h_scratch_teardown);
 *
 * or calls the two from its own init and fini.  The other helpers fail
 * the current test on an unexpected error.
 */
#ifndef CINEREC_SCRATCH_H
#define CINEREC_SCRATCH_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

struct writer;

extern char		 h_dir[64];	/* the test's directory */
extern char		 h_db[256];	/* h_dir/cinerec.db */
extern struct writer	*h_w;		/* NULL until the test opens one */

/*
 * Make h_dir and set h_db; close h_w, end a capture (below) left running
 * and remove h_dir.
 */
void	 h_scratch_setup(void);
void	 h_scratch_teardown(void);

/* Open h_w on h_dir with movies "m1+2000" .. "m<n>+2000", committed. */
void	 h_writer_movies(int n);

/* Close h_w (writer_close must succeed) and set it to NULL. */
void	 h_writer_close(void);

/* Format one event line and hand it to h_w: writer_line's result. */
int	 h_line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * A watch (minute of slug) or a rating by user at ts_ms (ms since the
 * epoch), handed to h_w; the test fails unless it is accepted.
 */
void	 h_watch(int64_t ts_ms, int64_t user, const char *slug, int minute);
void	 h_rate(int64_t ts_ms, int64_t user, const char *slug, int stars);

/* Commit h_w: the test fails unless it commits everything pending. */
void	 h_commit(void);

/*
 * Hand h_w the line "SERVED <ts> <user> <version> <arm> <latency_us>
 * <personal> <ids>" as the HTTP workers write it; writer_served must
 * take it.
 */
void	 h_served(int64_t ts, int64_t user, int64_t version, const char *arm,
	    int64_t latency_us, int personal, const char *ids);

/* Run sql on a plain read-write connection to h_db (no role). */
void	 h_exec(const char *sql);

/*
 * Make every insert and update of table in h_db fail ("injected") until
 * h_fail_writes_off: triggers on a flag table, so a commit that writes
 * table fails as a whole.
 */
void	 h_fail_writes(const char *table);
void	 h_fail_writes_off(void);

/*
 * Insert model rows, values being "(id, algo, params, file, created_ms,
 * train_seconds, interactions, users, items, data_from_ms, data_to_ms,
 * binary_version, eval_recall20, eval_ndcg20, eval_coverage, eval_users,
 * current), ..." (002_models.sql), under the training role.
 */
void	 h_models(const char *values);

/*
 * Capture what is written to stderr (stdout) from h_stderr_begin until
 * h_stderr_end (h_stdout_*), into a file in h_dir (a temporary file when
 * h_dir is empty).  The end restores the stream and returns the text
 * (its first 64 KiB, NUL-terminated, in static storage: valid until the
 * next end of a capture of the same stream).
 */
void		 h_stderr_begin(void);
const char	*h_stderr_end(void);
void		 h_stdout_begin(void);
const char	*h_stdout_end(void);

/* Write len bytes of data as the file path (created or truncated). */
void	 h_write_file(const char *path, const void *data, size_t len);

/* The file at path, malloc'ed (the caller frees it); its size in *len. */
uint8_t	*h_slurp(const char *path, size_t *len);

/* The size of the file at path. */
off_t	 h_file_size(const char *path);

/* The byte at off of path; overwrite len bytes at off of path with buf. */
uint8_t	 h_byte_at(const char *path, off_t off);
void	 h_patch(const char *path, off_t off, const void *buf, size_t len);

/* The entries of dir other than "." and "..". */
int	 h_dir_count(const char *dir);

#endif
