/*
 * Integration test harness: start the real build/cinerec on free loopback
 * ports with a temporary data dir, talk to it over HTTP and TCP, stop it.
 * Every helper fails the current Criterion test on an unexpected error.
 */
#ifndef CINEREC_HARNESS_H
#define CINEREC_HARNESS_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

struct h_server {
	pid_t	pid;		/* 0 when not running */
	char	dir[256];	/* data dir (removed by h_cleanup) */
	char	log[300];	/* the server's stdout and stderr */
	int	http_port;
	int	ingest_port;
	int	admin_port;
};

struct h_reply {
	int	status;		/* HTTP status, 0 if none */
	char	headers[4096];	/* raw, lower-case names */
	char	body[1 << 16];	/* NUL-terminated */
	size_t	len;		/* of body */
};

/*
 * The server of the current test.  A suite that needs nothing else uses
 *
 *	TestSuite(x, .init = h_setup, .fini = h_teardown);
 *
 * h_setup ignores SIGPIPE and clears h_srv; h_setup_dir also makes its
 * data dir; h_teardown stops it if running and removes the dir.
 */
extern struct h_server	h_srv;
void	 h_setup(void);
void	 h_setup_dir(void);
void	 h_teardown(void);

/* The binary under test: $CINEREC_BIN, else build/cinerec. */
const char	*h_bin(void);

/* A fresh temporary directory into buf (removed by h_rmrf). */
void	 h_tmpdir(char *buf, size_t sz);
void	 h_rmrf(const char *dir);

/*
 * The first value of a query (printf-style) on a fresh read-only
 * connection to the database at path, with cinerec's SQL functions: as an
 * integer, or as text into out (NULL as "(null)").  Asserts a row.
 */
int64_t	 h_qi(const char *path, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
const char *h_qs(const char *path, char *out, size_t sz, const char *fmt,
	    ...) __attribute__((format(printf, 4, 5)));

/*
 * Assert the counters of the database at path: spec is "name=value ..."
 * (value -1: the counter has no row yet).
 */
void	 h_counters(const char *path, const char *spec);

/* A loopback port that was free a moment ago. */
int	 h_free_port(void);

/*
 * Start `cinerec serve` in s->dir (made if s->dir is empty) with extra
 * arguments (NULL-terminated, may be NULL); wait until /health answers and
 * the ingest port accepts.  Fails the test if it does not come up.
 */
void	 h_start(struct h_server *s, const char *const *extra);

/*
 * Write text as s's configuration file (s->dir made if empty) and return
 * its path (static storage, valid until the next call).
 */
const char *h_config(struct h_server *s, const char *text);

/*
 * Run the binary with args like h_run, but give up after timeout_s: the
 * child is killed and 124 returned (as timeout(1) does).
 */
int	 h_run_timeout(const char *const *argv, int timeout_s, char *out,
	    size_t outsz);

/* SIGTERM, wait; returns the exit status (or 128 + signal). */
int	 h_stop(struct h_server *s);

/* Stop if running, remove the data dir. */
void	 h_cleanup(struct h_server *s);

/* One HTTP/1.1 request (Connection: close); body may be NULL. */
void	 h_http(int port, const char *method, const char *path,
	    const char *headers, const char *body, size_t bodylen,
	    struct h_reply *r);

/*
 * The same, for threads racing a server that may die: 0, or -1 when it
 * refused the connection or went away mid-request (nothing asserted).
 */
int	 h_http_try(int port, const char *method, const char *path,
	    const char *headers, const char *body, size_t bodylen,
	    struct h_reply *r);

/* TCP to 127.0.0.1:port; the fd, or the test fails. */
int	 h_connect(int port);

/* TCP to 127.0.0.1:port; the fd, or -1 (the test goes on). */
int	 h_connect_try(int port);

/* Write all of s. */
void	 h_send(int fd, const char *s, size_t len);

/* Read one line (without '\n') within timeout_ms; -1 on EOF/timeout. */
int	 h_readline(int fd, char *buf, size_t sz, int timeout_ms);

/*
 * Connect to the ingest port and send "AUTH token": the fd, with the
 * server's one-line answer ("OK", "ERR unauthorized") into line.
 */
int	 h_ingest_auth(int port, const char *token, char *line, size_t sz);

/* Send SYNC and return n from "OK n", or fail the test. */
long	 h_sync(int fd);

/* Send the lines of text, then SYNC: n from "OK n", or fail the test. */
long	 h_send_sync(int fd, const char *text);

/*
 * GET path until the body is want in 6 answers in a row (every worker has
 * caught up), for at most timeout_s seconds; r holds the last answer.
 * Returns 1 if it got there, else 0.
 */
int	 h_wait_body(int port, const char *path, const char *want,
	    int timeout_s, struct h_reply *r);

/* The same, until the body holds want (somewhere in it). */
int	 h_wait_body_has(int port, const char *path, const char *want,
	    int timeout_s, struct h_reply *r);

/* Run the binary with args (NULL-terminated), capture stdout+stderr. */
int	 h_run(const char *const *argv, const char *stdin_data, char *out,
	    size_t outsz);

/*
 * The processes whose parent is pid (a server's workers), into pids (at
 * most max).  Returns how many.
 */
int	 h_children(pid_t pid, pid_t *pids, int max);

/* Is pid alive (not a zombie)? */
int	 h_alive(pid_t pid);

/* A field of /proc/<pid>/status in KiB ("VmRSS", "VmHWM"); -1 if gone. */
long	 h_proc_kb(pid_t pid, const char *field);

/*
 * Log in to the admin dashboard of s as `admin` with the initial password
 * (from the data dir): the session cookie ("name=value") and its CSRF
 * token into cookie and csrf.  Fails the test if it cannot.
 */
void	 h_admin_login(const struct h_server *s, char *cookie, size_t csz,
	    char *csrf, size_t tsz);

/* POST a form to the admin API with the session (cookie, csrf). */
void	 h_admin_post(const struct h_server *s, const char *cookie,
	    const char *csrf, const char *path, const char *form,
	    struct h_reply *r);

/* GET /recommend/<user>?format=json into r; fails the test unless 200. */
void	 h_reco_json(int http_port, long long user, struct h_reply *r);

/*
 * Wait until 8 answers in a row of GET /recommend/1?format=json (every
 * worker) name model version v; fails the test after about 30 s.
 */
void	 h_wait_version(int http_port, long long v);

/* Read a number from the server's JSON text: the value after "key":. */
long long h_json_int(const char *json, const char *key);

#endif
