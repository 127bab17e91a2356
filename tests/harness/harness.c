/*
 * Integration test harness (see harness.h): processes, sockets, a tiny HTTP
 * client.  Plain POSIX, so the tests exercise the real binary from outside.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include <sqlite3.h>

#include "harness.h"
#include "util/io.h"
#include "util/clock.h"
#include "store/store.h"

struct h_server	h_srv;

void
h_setup(void)
{
	signal(SIGPIPE, SIG_IGN);
	memset(&h_srv, 0, sizeof(h_srv));
}

void
h_setup_dir(void)
{
	h_setup();
	h_tmpdir(h_srv.dir, sizeof(h_srv.dir));
}

void
h_teardown(void)
{
	h_cleanup(&h_srv);
}

const char *
h_bin(void)
{
	const char	*b = getenv("CINEREC_BIN");

	return (b != NULL ? b : "build/cinerec");
}

void
h_tmpdir(char *buf, size_t sz)
{
	snprintf(buf, sz, "/tmp/cinerec-it-XXXXXX");
	cr_assert_not_null(mkdtemp(buf), "mkdtemp: %s", strerror(errno));
}

static int
rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return (remove(path));
}

void
h_rmrf(const char *dir)
{
	if (dir[0] != '\0')
		(void)nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

int
h_free_port(void)
{
	struct sockaddr_in	sin;
	socklen_t		len = sizeof(sin);
	int			fd, port;

	fd = socket(AF_INET, SOCK_STREAM, 0);
	cr_assert(fd != -1);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert(bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0);
	cr_assert(getsockname(fd, (struct sockaddr *)&sin, &len) == 0);
	port = ntohs(sin.sin_port);
	close(fd);
	return (port);
}

static int
try_connect(int port)
{
	struct sockaddr_in	sin;
	int			fd;

	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return (-1);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1) {
		close(fd);
		return (-1);
	}
	return (fd);
}

int
h_connect_try(int port)
{
	return (try_connect(port));
}

int
h_connect(int port)
{
	int	fd = try_connect(port);

	cr_assert(fd != -1, "connect to %d: %s", port, strerror(errno));
	return (fd);
}

static void
sleep_ms(int ms)
{
	struct timespec	ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

void
h_start(struct h_server *s, const char *const *extra)
{
	struct h_reply	*r;
	char		 http[32], ingest[32], admin[32];
	const char	*argv[32];
	int		 n = 0, i, fd, status, admin_port;

	if (s->dir[0] == '\0')
		h_tmpdir(s->dir, sizeof(s->dir));
	/* Three different ports: the kernel may hand one out twice. */
	s->http_port = h_free_port();
	do
		s->ingest_port = h_free_port();
	while (s->ingest_port == s->http_port);
	do
		admin_port = h_free_port();
	while (admin_port == s->http_port || admin_port == s->ingest_port);
	s->admin_port = admin_port;
	snprintf(s->log, sizeof(s->log), "%s.log", s->dir);
	snprintf(http, sizeof(http), "127.0.0.1:%d", s->http_port);
	snprintf(ingest, sizeof(ingest), "127.0.0.1:%d", s->ingest_port);
	snprintf(admin, sizeof(admin), "127.0.0.1:%d", admin_port);
	argv[n++] = h_bin();
	argv[n++] = "serve";
	argv[n++] = "--data-dir";
	argv[n++] = s->dir;
	argv[n++] = "--http";
	argv[n++] = http;
	argv[n++] = "--ingest";
	argv[n++] = ingest;
	argv[n++] = "--admin";
	argv[n++] = admin;
	for (i = 0; extra != NULL && extra[i] != NULL && n < 31; i++)
		argv[n++] = extra[i];
	argv[n] = NULL;

	s->pid = fork();
	cr_assert(s->pid != -1);
	if (s->pid == 0) {
		fd = open(s->log, O_WRONLY | O_CREAT | O_APPEND, 0644);
		dup2(fd, 1);
		dup2(fd, 2);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	/* Up to 30 s: sanitizer builds on a busy 2-core machine start slowly. */
	r = malloc(sizeof(*r));
	for (i = 0; i < 600; i++) {
		sleep_ms(50);
		/* It exited (a taken port, a bad setting): no use waiting. */
		if (waitpid(s->pid, &status, WNOHANG) == s->pid) {
			s->pid = 0;
			i = 600;
			break;
		}
		if ((fd = try_connect(s->http_port)) == -1)
			continue;
		close(fd);
		if ((fd = try_connect(s->ingest_port)) == -1)
			continue;
		close(fd);
		h_http(s->http_port, "GET", "/health", NULL, NULL, 0, r);
		if (r->status == 200)
			break;
	}
	free(r);
	if (i == 600) {
		char	cmd[400];

		snprintf(cmd, sizeof(cmd), "tail -n 30 %s >&2", s->log);
		(void)system(cmd);
	}
	cr_assert(i < 600, "the server did not come up (log: %s)", s->log);
}

int
h_stop(struct h_server *s)
{
	int	status, i;

	if (s->pid <= 0)
		return (0);
	kill(s->pid, SIGTERM);
	for (i = 0; i < 300; i++) {
		if (waitpid(s->pid, &status, WNOHANG) == s->pid)
			break;
		sleep_ms(50);
	}
	if (i == 300) {
		char	cmd[512];

		snprintf(cmd, sizeof(cmd), "tail -n 40 %s >&2; ps -ef | grep "
		    "'[c]inerec' >&2", s->log);
		(void)system(cmd);
		kill(s->pid, SIGKILL);
		waitpid(s->pid, &status, 0);
		s->pid = 0;
		cr_assert_fail("the server did not stop within 15 s on SIGTERM");
	}
	s->pid = 0;
	return (WIFEXITED(status) ? WEXITSTATUS(status) :
	    128 + WTERMSIG(status));
}

void
h_cleanup(struct h_server *s)
{
	if (s->pid > 0)
		(void)h_stop(s);
	h_rmrf(s->dir);
	if (s->log[0] != '\0')
		(void)unlink(s->log);
}

int
h_readline(int fd, char *buf, size_t sz, int timeout_ms)
{
	struct pollfd	pfd = { fd, POLLIN, 0 };
	size_t		n = 0;
	char		c;

	while (n + 1 < sz) {
		if (poll(&pfd, 1, timeout_ms) != 1)
			return (-1);
		if (read(fd, &c, 1) != 1)
			return (-1);
		if (c == '\n')
			break;
		buf[n++] = c;
	}
	buf[n] = '\0';
	return ((int)n);
}

int
h_ingest_auth(int port, const char *token, char *line, size_t sz)
{
	char	buf[512];
	int	fd, n;

	n = snprintf(buf, sizeof(buf), "AUTH %s\n", token);
	cr_assert(n > 0 && (size_t)n < sizeof(buf));
	fd = h_connect(port);
	h_send(fd, buf, (size_t)n);
	cr_assert(h_readline(fd, line, sz, 5000) >= 0, "no answer to AUTH");
	return (fd);
}

long
h_sync(int fd)
{
	char	line[128];

	h_send(fd, "SYNC\n", 5);
	cr_assert(h_readline(fd, line, sizeof(line), 15000) > 0,
	    "no answer to SYNC");
	cr_assert(strncmp(line, "OK ", 3) == 0, "SYNC answered '%s'", line);
	return (strtol(line + 3, NULL, 10));
}

long
h_send_sync(int fd, const char *text)
{
	h_send(fd, text, strlen(text));
	return (h_sync(fd));
}

void
h_send(int fd, const char *p, size_t len)
{
	cr_assert(io_write_all(fd, p, len) == 0, "write: %s", strerror(errno));
}

void
h_http(int port, const char *method, const char *path, const char *headers,
    const char *body, size_t bodylen, struct h_reply *r)
{
	cr_assert(h_http_try(port, method, path, headers, body, bodylen, r) == 0,
	    "%s %s on port %d: %s", method, path, port, strerror(errno));
}

int
h_http_try(int port, const char *method, const char *path,
    const char *headers, const char *body, size_t bodylen, struct h_reply *r)
{
	char	 req[4096], *all, *sep;
	size_t	 cap = 1 << 20, len = 0, hl;
	ssize_t	 n;
	int	 fd, i, in_name;

	memset(r, 0, sizeof(*r));
	if ((fd = try_connect(port)) == -1)
		return (-1);
	n = snprintf(req, sizeof(req), "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
	    "Connection: close\r\n%sContent-Length: %zu\r\n\r\n", method, path,
	    headers ? headers : "", body ? bodylen : 0);
	if (io_write_all(fd, req, (size_t)n) == -1 ||
	    (body != NULL && io_write_all(fd, body, bodylen) == -1)) {
		close(fd);
		return (-1);
	}
	all = malloc(cap + 1);
	while ((n = read(fd, all + len, cap - len)) > 0 && len < cap)
		len += (size_t)n;
	close(fd);
	all[len] = '\0';
	if (len > 12 && strncmp(all, "HTTP/1.1 ", 9) == 0)
		r->status = atoi(all + 9);
	if ((sep = strstr(all, "\r\n\r\n")) != NULL) {
		hl = (size_t)(sep - all);
		if (hl >= sizeof(r->headers))
			hl = sizeof(r->headers) - 1;
		memcpy(r->headers, all, hl);
		/* Names in lower case; values as sent (cookies, tokens). */
		for (i = 0, in_name = 1; r->headers[i] != '\0'; i++) {
			if (r->headers[i] == '\n')
				in_name = 1;
			else if (r->headers[i] == ':')
				in_name = 0;
			else if (in_name && r->headers[i] >= 'A' &&
			    r->headers[i] <= 'Z')
				r->headers[i] += 'a' - 'A';
		}
		r->len = len - (size_t)(sep + 4 - all);
		if (r->len >= sizeof(r->body))
			r->len = sizeof(r->body) - 1;
		memcpy(r->body, sep + 4, r->len);
		r->body[r->len] = '\0';
	}
	free(all);
	return (0);
}

/*
 * Read fd to its end into out (past outsz, read on and drop, so the writer
 * never blocks), until deadline (monotonic ms, 0: none).  Returns 0 at the
 * end, -1 at the deadline.
 */
static int
read_all(int fd, char *out, size_t outsz, int64_t deadline)
{
	struct pollfd	pfd = { fd, POLLIN, 0 };
	char		scratch[4096];
	size_t		len = 0;
	ssize_t		n;
	int		rc = 0;

	for (;;) {
		if (deadline > 0) {
			if (clock_mono_ms() >= deadline) {
				rc = -1;
				break;
			}
			if (poll(&pfd, 1, 100) != 1)
				continue;
		}
		if (len + 1 < outsz)
			n = read(fd, out + len, outsz - 1 - len);
		else
			n = read(fd, scratch, sizeof(scratch));
		if (n <= 0)
			break;
		if (len + 1 < outsz)
			len += (size_t)n;
	}
	out[len] = '\0';
	return (rc);
}

int
h_run(const char *const *argv, const char *stdin_data, char *out,
    size_t outsz)
{
	int	in[2], outp[2], status;
	pid_t	pid;

	cr_assert(pipe(in) == 0 && pipe(outp) == 0);
	pid = fork();
	cr_assert(pid != -1);
	if (pid == 0) {
		dup2(in[0], 0);
		dup2(outp[1], 1);
		dup2(outp[1], 2);
		close(in[1]);
		close(outp[0]);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(in[0]);
	close(outp[1]);
	if (stdin_data != NULL)
		h_send(in[1], stdin_data, strlen(stdin_data));
	close(in[1]);
	(void)read_all(outp[0], out, outsz, 0);
	close(outp[0]);
	waitpid(pid, &status, 0);
	return (WIFEXITED(status) ? WEXITSTATUS(status) : 128 +
	    WTERMSIG(status));
}

long long
h_json_int(const char *json, const char *key)
{
	char		 pat[128];
	const char	*p;

	snprintf(pat, sizeof(pat), "\"%s\":", key);
	p = strstr(json, pat);
	cr_assert_not_null(p, "no \"%s\" in %s", key, json);
	return (strtoll(p + strlen(pat), NULL, 10));
}

/* h_wait_body, or with part: until the body holds want. */
static int
wait_body(int port, const char *path, const char *want, int part,
    int timeout_s, struct h_reply *r)
{
	int	i, streak = 0;

	for (i = 0; i < timeout_s * 10 && streak < 6; i++) {
		h_http(port, "GET", path, NULL, NULL, 0, r);
		if (r->status == 200 && (part ? strstr(r->body, want) != NULL :
		    strcmp(r->body, want) == 0))
			streak++;
		else {
			streak = 0;
			sleep_ms(100);
		}
	}
	return (streak == 6);
}

int
h_wait_body(int port, const char *path, const char *want, int timeout_s,
    struct h_reply *r)
{
	return (wait_body(port, path, want, 0, timeout_s, r));
}

int
h_wait_body_has(int port, const char *path, const char *want, int timeout_s,
    struct h_reply *r)
{
	return (wait_body(port, path, want, 1, timeout_s, r));
}

/* The first column of the first row of a query, as text, into out. */
static void
query(const char *path, char *out, size_t sz, int64_t *v, const char *fmt,
    va_list ap)
{
	char		 sql[2048];
	sqlite3		*db = NULL;
	sqlite3_stmt	*st;
	const char	*t;

	vsnprintf(sql, sizeof(sql), fmt, ap);
	cr_assert_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL),
	    SQLITE_OK, "cannot open %s", path);
	cr_assert_eq(store_functions(db), 0);
	cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK,
	    "%s: %s", sql, sqlite3_errmsg(db));
	cr_assert_eq(sqlite3_step(st), SQLITE_ROW, "no row: %s", sql);
	if (v != NULL)
		*v = sqlite3_column_int64(st, 0);
	if (out != NULL) {
		t = (const char *)sqlite3_column_text(st, 0);
		snprintf(out, sz, "%s", t ? t : "(null)");
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
}

int64_t
h_qi(const char *path, const char *fmt, ...)
{
	va_list	ap;
	int64_t	v;

	va_start(ap, fmt);
	query(path, NULL, 0, &v, fmt, ap);
	va_end(ap);
	return (v);
}

const char *
h_qs(const char *path, char *out, size_t sz, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	query(path, out, sz, NULL, fmt, ap);
	va_end(ap);
	return (out);
}

void
h_counters(const char *path, const char *spec)
{
	char		 name[128];
	long long	 want;
	int64_t		 got;
	int		 used;

	while (sscanf(spec, " %127[a-z_]=%lld%n", name, &want, &used) == 2) {
		got = h_qi(path, "SELECT COALESCE((SELECT value FROM counters "
		    "WHERE name = '%s'), -1)", name);
		cr_assert_eq(got, want, "counter %s is %lld, not %lld", name,
		    (long long)got, want);
		spec += used;
	}
	while (*spec == ' ')
		spec++;
	cr_assert_eq(*spec, '\0', "bad counter spec at \"%s\"", spec);
}

int
h_children(pid_t pid, pid_t *pids, int max)
{
	char		 path[64], buf[512], *p;
	FILE		*fp;
	int		 n = 0;
	long		 ppid;
	pid_t		 c;
	DIR		*d;
	struct dirent	*e;

	cr_assert_not_null(d = opendir("/proc"));
	while ((e = readdir(d)) != NULL && n < max) {
		if ((c = (pid_t)atol(e->d_name)) <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/stat", (int)c);
		if ((fp = fopen(path, "r")) == NULL)
			continue;
		if (fgets(buf, sizeof(buf), fp) != NULL &&
		    (p = strrchr(buf, ')')) != NULL &&
		    sscanf(p + 2, "%*c %ld", &ppid) == 1 && ppid == pid)
			pids[n++] = c;
		fclose(fp);
	}
	closedir(d);
	return (n);
}

int
h_alive(pid_t pid)
{
	char	 path[64], buf[512], *p, state = 0;
	FILE	*fp;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if ((fp = fopen(path, "r")) == NULL)
		return (0);
	if (fgets(buf, sizeof(buf), fp) != NULL &&
	    (p = strrchr(buf, ')')) != NULL)
		state = p[2];
	fclose(fp);
	return (state != 0 && state != 'Z' && state != 'X');
}

long
h_proc_kb(pid_t pid, const char *field)
{
	char	 path[64], line[256];
	size_t	 flen = strlen(field);
	long	 v = -1;
	FILE	*fp;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if ((fp = fopen(path, "r")) == NULL)
		return (-1);
	while (fgets(line, sizeof(line), fp) != NULL)
		if (strncmp(line, field, flen) == 0 && line[flen] == ':') {
			v = atol(line + flen + 1);
			break;
		}
	fclose(fp);
	return (v);
}

void
h_admin_login(const struct h_server *s, char *cookie, size_t csz, char *csrf,
    size_t tsz)
{
	struct h_reply	*r = malloc(sizeof(*r));
	char		 path[400], pw[128], form[256], hdr[512], *p, *e;
	FILE		*fp;

	snprintf(path, sizeof(path), "%s/initial-admin-password", s->dir);
	cr_assert_not_null(fp = fopen(path, "r"), "%s", path);
	cr_assert_not_null(fgets(pw, sizeof(pw), fp));
	fclose(fp);
	pw[strcspn(pw, "\r\n")] = '\0';
	snprintf(form, sizeof(form), "name=admin&password=%s", pw);
	snprintf(hdr, sizeof(hdr), "Origin: http://127.0.0.1:%d\r\n"
	    "Content-Type: application/x-www-form-urlencoded\r\n",
	    s->admin_port);
	h_http(s->admin_port, "POST", "/login", hdr, form, strlen(form), r);
	cr_assert_eq(r->status, 303, "login: %d %s", r->status, r->body);
	cr_assert_not_null(p = strstr(r->headers, "set-cookie: "), "%s",
	    r->headers);
	p += 12;
	e = p + strcspn(p, ";\r\n");
	snprintf(cookie, csz, "%.*s", (int)(e - p), p);
	snprintf(hdr, sizeof(hdr), "Cookie: %s\r\n", cookie);
	h_http(s->admin_port, "GET", "/api/session", hdr, NULL, 0, r);
	cr_assert_eq(r->status, 200, "session: %d %s", r->status, r->body);
	cr_assert_not_null(p = strstr(r->body, "\"csrf\":\""));
	p += 8;
	e = strchr(p, '"');
	snprintf(csrf, tsz, "%.*s", (int)(e - p), p);
	free(r);
}

void
h_admin_post(const struct h_server *s, const char *cookie, const char *csrf,
    const char *path, const char *form, struct h_reply *r)
{
	char	hdr[1024];

	snprintf(hdr, sizeof(hdr), "Origin: http://127.0.0.1:%d\r\n"
	    "Cookie: %s\r\nX-CSRF-Token: %s\r\n"
	    "Content-Type: application/x-www-form-urlencoded\r\n",
	    s->admin_port, cookie, csrf);
	h_http(s->admin_port, "POST", path, hdr, form, strlen(form), r);
}

const char *
h_config(struct h_server *s, const char *text)
{
	static char	 path[320];
	FILE		*fp;

	if (s->dir[0] == '\0')
		h_tmpdir(s->dir, sizeof(s->dir));
	snprintf(path, sizeof(path), "%s/test.conf", s->dir);
	cr_assert_not_null(fp = fopen(path, "w"));
	fputs(text, fp);
	fclose(fp);
	return (path);
}

int
h_run_timeout(const char *const *argv, int timeout_s, char *out, size_t outsz)
{
	int	outp[2], status, null;
	pid_t	pid;
	int64_t	deadline = clock_mono_ms() + timeout_s * 1000LL;

	cr_assert(pipe(outp) == 0);
	pid = fork();
	cr_assert(pid != -1);
	if (pid == 0) {
		null = open("/dev/null", O_RDONLY);
		dup2(null, 0);
		dup2(outp[1], 1);
		dup2(outp[1], 2);
		close(outp[0]);
		/* Its own group: a timeout kills the workers too. */
		setpgid(0, 0);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(outp[1]);
	(void)read_all(outp[0], out, outsz, deadline);
	close(outp[0]);
	/* Output closed: it exited, or will within the deadline. */
	while (waitpid(pid, &status, WNOHANG) != pid) {
		if (clock_mono_ms() >= deadline) {
			kill(-pid, SIGKILL);
			waitpid(pid, &status, 0);
			return (124);
		}
		sleep_ms(50);
	}
	return (WIFEXITED(status) ? WEXITSTATUS(status) : 128 +
	    WTERMSIG(status));
}

void
h_reco_json(int http_port, long long user, struct h_reply *r)
{
	char	path[64];

	snprintf(path, sizeof(path), "/recommend/%lld?format=json", user);
	h_http(http_port, "GET", path, NULL, NULL, 0, r);
	cr_assert_eq(r->status, 200, "%s", r->body);
}

void
h_wait_version(int http_port, long long v)
{
	static struct h_reply	r;
	int			i, streak = 0;

	for (i = 0; i < 300 && streak < 8; i++) {
		h_reco_json(http_port, 1, &r);
		if (strstr(r.body, "\"model\":null") == NULL &&
		    h_json_int(r.body, "version") == v)
			streak++;
		else {
			streak = 0;
			usleep(100000);
		}
	}
	cr_assert_eq(streak, 8, "version %lld not served by every worker: %s",
	    v, r.body);
}
