/*
 * The admin dashboard (see admin.h): the listener's Kore configuration, the
 * first account, one dispatch table for every path, the JSON API read from
 * the worker's own fresh (autocommit) connection, and the actions (login,
 * logout, train, settings) that run in Kore tasks with a connection of
 * their own, so a worker's event loop never hashes a password or waits on
 * the database's write lock.  Also `cinerec admin`.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <kore/kore.h>
#include <kore/http.h>
#include <kore/tasks.h>

#include <openssl/pem.h>
#include <openssl/ssl.h>

#include <sodium.h>

#include "admin/admin.h"
#include "util/assets.h"
#include "admin/auth.h"
#include "util/json.h"
#include "util/clock.h"
#include "ingest/ingest.h"
#include "util/log.h"
#include "telemetry/metrics.h"
#include "ingest/parse.h"
#include "reco/reco.h"
#include "server/server.h"
#include "store/store.h"
#include "util/urlenc.h"
#include "telemetry/why.h"
#include "version.h"

#define ASSET_DIR	"assets/admin/"
#define BODY_MAX	8192		/* largest admin request body */
#define ADDR_MAX	64		/* a client address as text */
#define SOCK_TIMEOUT_S	10		/* the internal socket, for TRAIN */
#define DB_BUSY_LOOP_MS	50		/* event loop: wait this long at most */
#define DB_BUSY_TASK_MS	5000		/* tasks may wait for the writer */
#define SETTING_MAX	512		/* a setting's value as text */
#define ROWS_MAX	200		/* rows in one JSON list at most */

/*
 * Kore's TLS wants DH parameters for DHE suites: the RFC 7919 ffdhe2048
 * group (`openssl genpkey -genparam -algorithm DH -pkeyopt
 * group:ffdhe2048`), written beside the database at start.
 */
#define DHPARAM_FILE	"admin-dhparam.pem"
static const char	dhparam_pem[] =
	"-----BEGIN DH PARAMETERS-----\n"
	"MIIBCAKCAQEA//////////+t+FRYortKmq/cViAnPTzx2LnFg84tNpWp4TZBFGQz\n"
	"+8yTnc4kmz75fS/jY2MMddj2gbICrsRhetPfHtXV/WVhJDP1H18GbtCFY2VVPe0a\n"
	"87VXE15/V8k1mE8McODmi3fipona8+/och3xWKE2rec1MKzKT0g6eXq8CrGCsyT7\n"
	"YdEIqUuyyOP7uWrat2DX9GgdT0Kj3jlN9K5W7edjcrsZCwenyO4KbXCeAvzhzffi\n"
	"7MA0BM0oNC9hkXL+nOmFg/+OTxIy7vKBg8P+OxtMb61zO7X8vC7CIAXFjvGDfRaD\n"
	"ssbzSibBsu/6iGtCOGEoXJf//////////wIBAg==\n"
	"-----END DH PARAMETERS-----\n";

#define CSP	"default-src 'self'; script-src 'self'; style-src 'self'; " \
		"img-src 'self' data:; connect-src 'self'; " \
		"frame-ancestors 'none'; base-uri 'none'; form-action 'self'"

/*
 * The settings the UI may change, with what a change needs.  The others
 * (listeners, data dir, workers, TLS files) are shown read-only: changing
 * them from a browser could lock the operator out.
 */
static const struct editable {
	const char	*key;
	int		 live;		/* applied within a second, no restart */
	int		 secret;	/* value never written to the audit */
} editable[] = {
	{ "ingest_token", 1, 1 },
	{ "popularity_window_days", 1, 0 },
	{ "reco_log", 1, 0 },
	{ "click_window_s", 1, 0 },
	{ "reco_log_days", 0, 0 },
	{ "reco_rollup_s", 0, 0 },
	{ "train_interval_min", 0, 0 },
	{ "train_threads", 0, 0 },
	{ "batch_events", 0, 0 },
	{ "batch_ms", 0, 0 },
	{ "events_body_max_kb", 0, 0 },
	{ "signal_watch_scale", 0, 0 },
	{ "signal_watch_base", 0, 0 },
	{ "signal_watch_weight", 0, 0 },
	{ "signal_dislike", 0, 0 },
	{ "signal_rating_base", 0, 0 },
	{ "signal_rating_weight", 0, 0 },
	{ "signal_dislike_base", 0, 0 },
	{ "signal_dislike_weight", 0, 0 },
};
#define NEDITABLE	(sizeof(editable) / sizeof(editable[0]))

/*
 * This process's admin state.  In a worker, db is its own read-write
 * connection in autocommit mode (every read sees the latest commit);
 * settings: base is the configuration before any UI setting (the file and
 * the flags), applied what each editable setting was last set to.
 */
static struct {
	sqlite3		*db;		/* worker: the admin connection */
	uint8_t		 key[AUTH_KEY_LEN];	/* CSRF HMAC key */
	int		 tls;		/* the listener has TLS */
	const char	*cookie;	/* the session cookie's name */
	int64_t		 purge_ms;	/* next purge of expired sessions */
	int		 have_base;	/* base was taken */
	struct cfg	 base;		/* settings before the UI's */
	char		 applied[NEDITABLE][SETTING_MAX];
	EVP_PKEY	*pkey;		/* TLS: the private key (see tls_fix) */
	SSL_CTX		*tls_ctx;	/* TLS: the context given the key */
} adm;

/* Pieces of an answer. */
static void	reply(struct http_request *, int, const char *, const void *,
		    size_t);
static void	reply_json(struct http_request *, int, struct kore_buf *);
static void	reply_error(struct http_request *, int, const char *);

/* Copy src into dst (sz bytes), cut if needed.  Returns 1 if it was cut. */
static int
copy(char *dst, size_t sz, const char *src)
{
	size_t	len = strlen(src);

	if (len >= sz)
		len = sz - 1;
	memcpy(dst, src, len);
	dst[len] = '\0';
	return (src[len] != '\0');
}

/* --- database ------------------------------------------------------------ */

/* A read-write connection to the data dir's database.  0 or -1 (logged). */
static int
db_open(const char *data_dir, int busy_ms, sqlite3 **db)
{
	char	path[PATH_MAX];

	*db = NULL;
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", data_dir,
	    STORE_FILE) >= sizeof(path)) {
		log_warnx("%s: data dir path too long", __func__);
		return (-1);
	}
	if (sqlite3_open_v2(path, db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		log_warnx("%s: %s: %s", __func__, path,
		    *db ? sqlite3_errmsg(*db) : "out of memory");
		sqlite3_close(*db);
		*db = NULL;
		return (-1);
	}
	sqlite3_busy_timeout(*db, busy_ms);
	if (store_functions(*db) == -1) {
		log_warnx("%s: %s", __func__, sqlite3_errmsg(*db));
		sqlite3_close(*db);
		*db = NULL;
		return (-1);
	}
	return (0);
}

/* --- settings ------------------------------------------------------------ */

/* One setting as cfg_dump writes it. */
struct setting_text {
	char	key[64];
	char	value[SETTING_MAX];
	char	help[256];
};

/*
 * Every setting of c, in cfg_dump's order, into *out (malloc'ed; the
 * caller frees it).  Returns the count, or -1.
 */
static int
settings_of(const struct cfg *c, struct setting_text **out)
{
	struct setting_text	*v = NULL, *p;
	FILE			*fp;
	char			*text = NULL, *line, *save = NULL, *eq;
	size_t			 len = 0;
	int			 n = 0;
	char			 help[256] = "";

	*out = NULL;
	if ((fp = open_memstream(&text, &len)) == NULL)
		return (-1);
	cfg_dump(c, fp, 0);
	if (fclose(fp) != 0) {
		free(text);
		return (-1);
	}
	for (line = strtok_r(text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "# ", 2) == 0) {
			snprintf(help, sizeof(help), "%s", line + 2);
			continue;
		}
		if ((eq = strstr(line, " = ")) == NULL &&
		    (eq = strstr(line, " =")) == NULL)
			continue;
		if ((p = reallocarray(v, (size_t)n + 1, sizeof(*v))) == NULL) {
			free(v);
			free(text);
			return (-1);
		}
		v = p;
		p = &v[n++];
		*eq = '\0';
		snprintf(p->key, sizeof(p->key), "%s", line);
		snprintf(p->value, sizeof(p->value), "%s",
		    eq[2] == ' ' ? eq + 3 : eq + 2);
		snprintf(p->help, sizeof(p->help), "%s", help);
		help[0] = '\0';
	}
	free(text);
	*out = v;
	return (n);
}

static const struct editable *
editable_find(const char *key, size_t *idx)
{
	size_t	i;

	for (i = 0; i < NEDITABLE; i++) {
		if (strcmp(editable[i].key, key) == 0) {
			if (idx != NULL)
				*idx = i;
			return (&editable[i]);
		}
	}
	return (NULL);
}

/* The value of key in a settings_of list, or NULL. */
static const char *
setting_value(const struct setting_text *v, int n, const char *key)
{
	int	i;

	for (i = 0; i < n; i++)
		if (strcmp(v[i].key, key) == 0)
			return (v[i].value);
	return (NULL);
}

void
admin_settings_apply(struct cfg *c)
{
	struct setting_text	*base = NULL;
	sqlite3_stmt		*st = NULL;
	sqlite3			*db = adm.db;
	char			 want[NEDITABLE][SETTING_MAX], err[256];
	const char		*k, *v;
	size_t			 i;
	int			 nbase, own = 0, pop_changed = 0;
	int			 ingest_changed = 0;

	if (!adm.have_base) {
		adm.base = *c;
		adm.have_base = 1;
	}
	if ((nbase = settings_of(&adm.base, &base)) == -1)
		return;
	for (i = 0; i < NEDITABLE; i++) {
		v = setting_value(base, nbase, editable[i].key);
		(void)copy(want[i], sizeof(want[i]), v ? v : "");
		if (adm.applied[i][0] == '\0' && v != NULL)
			(void)copy(adm.applied[i], sizeof(adm.applied[i]), v);
	}
	free(base);
	if (db == NULL) {
		/* At start (parent) or in the CLI: a connection for now. */
		if (db_open(c->data_dir, DB_BUSY_TASK_MS, &db) == -1)
			return;
		own = 1;
	}
	if (sqlite3_prepare_v2(db, "SELECT key, value FROM settings", -1, &st,
	    NULL) != SQLITE_OK)
		goto out;
	while (sqlite3_step(st) == SQLITE_ROW) {
		k = (const char *)sqlite3_column_text(st, 0);
		v = (const char *)sqlite3_column_text(st, 1);
		if (k != NULL && v != NULL && editable_find(k, &i) != NULL)
			(void)copy(want[i], sizeof(want[i]), v);
	}
	for (i = 0; i < NEDITABLE; i++) {
		if (strcmp(want[i], adm.applied[i]) == 0)
			continue;
		if (cfg_set(c, editable[i].key, want[i], err,
		    sizeof(err)) == -1) {
			log_warnx("admin: setting from the UI not applied: %s",
			    err);
			/* Do not retry (and log) it every second. */
			(void)copy(adm.applied[i], sizeof(adm.applied[i]),
			    want[i]);
			continue;
		}
		(void)copy(adm.applied[i], sizeof(adm.applied[i]), want[i]);
		if (strcmp(editable[i].key, "popularity_window_days") == 0)
			pop_changed = 1;
		if (strcmp(editable[i].key, "ingest_token") == 0 ||
		    strcmp(editable[i].key, "click_window_s") == 0)
			ingest_changed = 1;
		if (editable[i].secret)
			log_info("admin: setting %s changed", editable[i].key);
		else
			log_info("admin: setting %s = %s", editable[i].key,
			    want[i]);
	}
	/* In a worker, the ranking follows its window at once... */
	if (pop_changed && c == &srv.cfg && srv.store.db != NULL && !own)
		(void)reco_refresh(&srv.reco, &srv.store, c->pop_window_days,
		    1);
	/* ... and the ingest thread (worker 1) its token and click window. */
	if (ingest_changed && c == &srv.cfg && srv.ingest != NULL) {
		ingest_set_token(srv.ingest, c->ingest_token);
		ingest_set_click_window(srv.ingest,
		    (int64_t)c->click_window_s * 1000);
	}
out:
	sqlite3_finalize(st);
	if (own)
		sqlite3_close(db);
}

/* --- parent: the first account and the listener -------------------------- */

/*
 * No account yet: create `admin` with a random password, written to a 0600
 * file in the data dir.  Exits on failure: a server nobody can log in to
 * is no use.
 */
static void
initial_admin(sqlite3 *db)
{
	uint8_t		 raw[16];
	char		 pw[32], hash[AUTH_HASH_MAX], path[PATH_MAX];
	int		 fd, rc;
	size_t		 len;

	randombytes_buf(raw, sizeof(raw));
	sodium_bin2base64(pw, sizeof(pw), raw, sizeof(raw),
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(raw, sizeof(raw));
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", srv.cfg.data_dir,
	    ADMIN_INITIAL_PW) >= sizeof(path))
		fatal("admin: data dir path too long");
	(void)unlink(path);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600)) == -1)
		fatal("admin: %s: %s", path, strerror(errno));
	len = strlen(pw);
	pw[len] = '\n';
	rc = write(fd, pw, len + 1) == (ssize_t)(len + 1);
	pw[len] = '\0';
	if (close(fd) == -1 || !rc)
		fatal("admin: cannot write %s", path);
	if (auth_hash_password(pw, hash) == -1 ||
	    auth_admin_add(db, "admin", hash, clock_now_ms()) != 0)
		fatal("admin: cannot create the first account");
	sodium_memzero(pw, sizeof(pw));
	(void)auth_audit(db, clock_now_ms(), "system", "account created",
	    "admin (first start, initial password file)", NULL);
	log_info("admin: created account 'admin'; its initial password is in "
	    "%s (mode 0600): log in, then change it with `cinerec admin "
	    "passwd admin` and delete the file", path);
}

/* The DH parameters file for Kore's TLS into path.  Exits on failure. */
static void
write_dhparam(char *path, size_t sz)
{
	FILE	*fp;

	if ((size_t)snprintf(path, sz, "%s/%s", srv.cfg.data_dir,
	    DHPARAM_FILE) >= sz)
		fatal("admin: data dir path too long");
	if ((fp = fopen(path, "w")) == NULL ||
	    fputs(dhparam_pem, fp) == EOF || fclose(fp) == EOF)
		fatal("admin: cannot write %s: %s", path, strerror(errno));
}

/*
 * Kore 4.1 signs TLS handshakes in its keymgr process through an RSA or EC
 * method set on a key that OpenSSL 3 only copies: every handshake fails
 * ("internal error").  So the workers get the private key itself, read here
 * before the fork, and tls_fix gives it to the admin domain's context.  The
 * cost: the key is in the workers' memory, as in most servers.
 */
static void
load_key(const char *path)
{
	FILE	*fp;

	if ((fp = fopen(path, "r")) == NULL ||
	    (adm.pkey = PEM_read_PrivateKey(fp, NULL, NULL, NULL)) == NULL) {
		fprintf(stderr, "cinerec: admin TLS key %s: not a readable PEM "
		    "private key without a passphrase\n", path);
		exit(1);
	}
	fclose(fp);
}

/* Worker timer: a new admin TLS context (Kore makes it late) gets the key. */
static void
tls_fix(void *arg, u_int64_t now)
{
	struct kore_server	*s;
	struct kore_domain	*dom;

	(void)arg;
	(void)now;
	LIST_FOREACH(s, &kore_servers, list) {
		if (!s->tls || strcmp(s->name, "admin") != 0)
			continue;
		TAILQ_FOREACH(dom, &s->domains, list) {
			if (dom->ssl_ctx == NULL || dom->ssl_ctx == adm.tls_ctx)
				continue;
			if (SSL_CTX_use_PrivateKey(dom->ssl_ctx, adm.pkey) != 1 ||
			    SSL_CTX_check_private_key(dom->ssl_ctx) != 1) {
				log_warnx("worker %u: admin TLS key does not "
				    "match the certificate", worker->id);
				continue;
			}
			adm.tls_ctx = dom->ssl_ctx;
		}
	}
}

/* A certificate or key file must be readable now: fail early and clearly. */
static void
readable(const char *what, const char *path)
{
	int	fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		fprintf(stderr, "cinerec: admin TLS %s %s: %s\n", what, path,
		    strerror(errno));
		exit(1);
	}
	close(fd);
}

void
admin_parent_configure(void)
{
	sqlite3		*db;
	FILE		*fp;
	char		 conf[4 * PATH_MAX + 512], dh[PATH_MAX];
	int64_t		 n;
	int		 len, tls;

	if (sodium_init() < 0)
		fatal("admin: libsodium did not initialise");
	if (db_open(srv.cfg.data_dir, DB_BUSY_TASK_MS, &db) == -1)
		exit(1);
	if ((n = auth_admin_count(db)) == -1)
		exit(1);
	if (n == 0)
		initial_admin(db);
	if (auth_key_load(db, adm.key) == -1)
		exit(1);
	sodium_memzero(adm.key, sizeof(adm.key));
	sqlite3_close(db);

	tls = srv.cfg.admin_cert[0] != '\0' || srv.cfg.admin_key[0] != '\0';
	if (tls) {
		if (srv.cfg.admin_cert[0] == '\0' ||
		    srv.cfg.admin_key[0] == '\0') {
			fprintf(stderr, "cinerec: admin TLS needs both "
			    "admin_cert and admin_key\n");
			exit(1);
		}
		readable("certificate", srv.cfg.admin_cert);
		readable("key", srv.cfg.admin_key);
		load_key(srv.cfg.admin_key);
		write_dhparam(dh, sizeof(dh));
	}
	/* One listener, one wildcard domain, one handler for every path. */
	len = snprintf(conf, sizeof(conf),
	    "%s%s%s"
	    "server admin {\n"
	    "bind %s %u\n"
	    "tls %s\n"
	    "}\n"
	    "domain * {\n"
	    "attach admin\n"
	    "%s%s%s%s%s"
	    "route ^/.*$ admin_dispatch\n"
	    "}\n",
	    tls ? "tls_dhparam " : "", tls ? dh : "", tls ? "\n" : "",
	    srv.cfg.admin_host, srv.cfg.admin_port, tls ? "yes" : "no",
	    tls ? "certfile " : "", tls ? srv.cfg.admin_cert : "",
	    tls ? "\ncertkey " : "", tls ? srv.cfg.admin_key : "",
	    tls ? "\n" : "");
	if (len < 0 || (size_t)len >= sizeof(conf) ||
	    (fp = fmemopen(conf, (size_t)len, "r")) == NULL)
		fatal("admin: cannot build the Kore configuration");
	kore_parse_config_file(fp);
	fclose(fp);
	log_info("admin dashboard: %s://%s%s%s:%u/", tls ? "https" : "http",
	    strchr(srv.cfg.admin_host, ':') ? "[" : "", srv.cfg.admin_host,
	    strchr(srv.cfg.admin_host, ':') ? "]" : "", srv.cfg.admin_port);
}

/* --- worker -------------------------------------------------------------- */

void
admin_worker_configure(void)
{
	if (sodium_init() < 0 ||
	    db_open(srv.cfg.data_dir, DB_BUSY_LOOP_MS, &adm.db) == -1 ||
	    auth_key_load(adm.db, adm.key) == -1) {
		log_warnx("worker %u: admin dashboard unavailable", worker->id);
		sqlite3_close(adm.db);
		adm.db = NULL;
		return;
	}
	adm.tls = srv.cfg.admin_cert[0] != '\0';
	if (adm.tls && adm.pkey != NULL)
		kore_timer_add(tls_fix, 100, NULL, 0);
	/* __Host-: the browser keeps it to this origin, Secure, path /. */
	adm.cookie = adm.tls ? "__Host-cinerec_admin" : "cinerec_admin";
}

void
admin_worker_teardown(void)
{
	sqlite3_close(adm.db);
	adm.db = NULL;
	sodium_memzero(adm.key, sizeof(adm.key));
	EVP_PKEY_free(adm.pkey);
	adm.pkey = NULL;
}

/* --- HTTP pieces --------------------------------------------------------- */

/* Every answer: the strict headers, counted as the admin route. */
static void
reply(struct http_request *req, int status, const char *type,
    const void *data, size_t len)
{
	http_response_header(req, "content-security-policy", CSP);
	http_response_header(req, "x-frame-options", "DENY");
	http_response_header(req, "x-content-type-options", "nosniff");
	http_response_header(req, "referrer-policy", "same-origin");
	http_response_header(req, "cross-origin-opener-policy", "same-origin");
	http_response_header(req, "cross-origin-resource-policy",
	    "same-origin");
	http_response_header(req, "permissions-policy",
	    "camera=(), microphone=(), geolocation=()");
	if (adm.tls)
		http_response_header(req, "strict-transport-security",
		    "max-age=31536000");
	if (type != NULL)
		http_response_header(req, "content-type", type);
	http_response(req, status, data, len);
	metrics_request(METRICS_ADMIN, status,
	    (uint64_t)(kore_time_ms() - req->start) * 1000);
}

static void
reply_json(struct http_request *req, int status, struct kore_buf *b)
{
	http_response_header(req, "cache-control", "no-store");
	reply(req, status, "application/json", b->data, b->offset);
}

static void
put_buf(void *b, const void *p, size_t len)
{
	kore_buf_append(b, p, len);
}

/* Append s to b as a JSON string (NULL: null). */
static void
json_str(struct kore_buf *b, const char *s)
{
	json_quote(s, put_buf, b);
}

static void
reply_error(struct http_request *req, int status, const char *msg)
{
	struct kore_buf	b;

	kore_buf_init(&b, 128);
	kore_buf_append(&b, "{\"error\":", 9);
	json_str(&b, msg);
	kore_buf_append(&b, "}\n", 2);
	reply_json(req, status, &b);
	kore_buf_cleanup(&b);
}

static void
redirect(struct http_request *req, const char *to)
{
	http_response_header(req, "location", to);
	http_response_header(req, "cache-control", "no-store");
	reply(req, 303, NULL, NULL, 0);
}

/* The client's address as text. */
static void
client_addr(struct http_request *req, char *out, size_t sz)
{
	struct connection	*c = req->owner;

	snprintf(out, sz, "unknown");
	if (c == NULL)
		return;
	if (c->family == AF_INET)
		(void)inet_ntop(AF_INET, &c->addr.ipv4.sin_addr, out,
		    (socklen_t)sz);
	else if (c->family == AF_INET6)
		(void)inet_ntop(AF_INET6, &c->addr.ipv6.sin6_addr, out,
		    (socklen_t)sz);
}

/*
 * A state-changing request must come from our own pages: a browser says
 * where it comes from in Origin (and Sec-Fetch-Site); clients that are not
 * browsers send neither and are judged by their session and CSRF token.
 * Origin must name this listener: the host the request was sent to (its
 * Host header, port aside) and the admin port.
 */
static int
same_origin(struct http_request *req)
{
	const char	*origin, *site, *p, *colon, *h;
	char		 port[8];
	size_t		 hlen, rlen;

	if (http_request_header(req, "sec-fetch-site", &site) &&
	    strcmp(site, "same-origin") != 0 && strcmp(site, "none") != 0)
		return (0);
	if (!http_request_header(req, "origin", &origin))
		return (1);
	if (strncmp(origin, "https://", 8) == 0 && adm.tls)
		p = origin + 8;
	else if (strncmp(origin, "http://", 7) == 0 && !adm.tls)
		p = origin + 7;
	else
		return (0);
	if (req->host == NULL)
		return (0);
	/* [v6]:port or host:port; no port means the scheme's default. */
	colon = *p == '[' ? strstr(p, "]:") : strrchr(p, ':');
	if (colon != NULL && *p == '[')
		colon++;
	hlen = colon != NULL ? (size_t)(colon - p) : strlen(p);
	snprintf(port, sizeof(port), "%u", srv.cfg.admin_port);
	if (colon != NULL ? strcmp(colon + 1, port) != 0 :
	    srv.cfg.admin_port != (adm.tls ? 443 : 80))
		return (0);
	h = req->host;
	rlen = *h == '[' && strstr(h, "]") != NULL ?
	    (size_t)(strstr(h, "]") - h) + 1 : strcspn(h, ":");
	return (rlen == hlen && strncasecmp(p, h, hlen) == 0);
}

/* The request body (at most BODY_MAX bytes) into buf.  0 or -1. */
static int
body_text(struct http_request *req, char *buf, size_t sz)
{
	ssize_t	n;
	size_t	have = 0;

	if (req->http_body_length >= sz)
		return (-1);
	while (have < sz - 1 &&
	    (n = http_body_read(req, buf + have, sz - 1 - have)) > 0)
		have += (size_t)n;
	buf[have] = '\0';
	return (0);
}

/*
 * The value of name in an application/x-www-form-urlencoded body, decoded
 * into out.  Returns 0, or -1 when absent, too long or not text.
 */
static int
form_get(const char *body, const char *name, char *out, size_t sz)
{
	return (urlenc_get(body, name, out, sz) == 1 ? 0 : -1);
}

/* The session cookie's value, or NULL. */
static const char *
session_cookie(struct http_request *req)
{
	char	*v;

	http_populate_cookies(req);
	if (adm.cookie == NULL ||
	    http_request_cookie(req, adm.cookie, &v) != KORE_RESULT_OK)
		return (NULL);
	return (v);
}

/* --- JSON from SQL ------------------------------------------------------- */

/*
 * Append the result of sql (with ?1 bound to p1 when p1 is given) as a JSON
 * array of objects keyed by column name, at most ROWS_MAX.  With one set,
 * the first row alone as an object (or null).  Returns 0 or -1.
 */
static int
json_rows(struct kore_buf *b, const char *sql, const int64_t *p1, int one)
{
	sqlite3_stmt	*st;
	double		 d;
	int		 i, n = 0, rc;

	if (sqlite3_prepare_v2(adm.db, sql, -1, &st, NULL) != SQLITE_OK) {
		log_warnx("%s: %s", __func__, sqlite3_errmsg(adm.db));
		kore_buf_append(b, one ? "null" : "[]", one ? 4 : 2);
		return (-1);
	}
	if (p1 != NULL)
		sqlite3_bind_int64(st, 1, *p1);
	if (!one)
		kore_buf_append(b, "[", 1);
	while (n < (one ? 1 : ROWS_MAX) &&
	    (rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n++ > 0)
			kore_buf_append(b, ",", 1);
		kore_buf_append(b, "{", 1);
		for (i = 0; i < sqlite3_column_count(st); i++) {
			if (i > 0)
				kore_buf_append(b, ",", 1);
			json_str(b, sqlite3_column_name(st, i));
			kore_buf_append(b, ":", 1);
			switch (sqlite3_column_type(st, i)) {
			case SQLITE_INTEGER:
				kore_buf_appendf(b, "%lld", (long long)
				    sqlite3_column_int64(st, i));
				break;
			case SQLITE_FLOAT:
				d = sqlite3_column_double(st, i);
				if (isfinite(d))
					kore_buf_appendf(b, "%.6g", d);
				else
					kore_buf_append(b, "null", 4);
				break;
			case SQLITE_TEXT:
				json_str(b, (const char *)
				    sqlite3_column_text(st, i));
				break;
			default:
				kore_buf_append(b, "null", 4);
			}
		}
		kore_buf_append(b, "}", 1);
	}
	rc = sqlite3_errcode(adm.db);
	sqlite3_finalize(st);
	if (one && n == 0)
		kore_buf_append(b, "null", 4);
	if (!one)
		kore_buf_append(b, "]", 1);
	return (rc == SQLITE_OK || rc == SQLITE_DONE || rc == SQLITE_ROW ?
	    0 : -1);
}

/* One integer from sql, or def. */
static int64_t
query_int(const char *sql, int64_t def)
{
	sqlite3_stmt	*st;
	int64_t		 v = def;

	if (sqlite3_prepare_v2(adm.db, sql, -1, &st, NULL) != SQLITE_OK)
		return (def);
	if (sqlite3_step(st) == SQLITE_ROW &&
	    sqlite3_column_type(st, 0) != SQLITE_NULL)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return (v);
}

/* --- tasks: the actions -------------------------------------------------- */

/*
 * One action in flight.  Kore frees it with the request; the task first,
 * so the task is the state.  The event loop fills the inputs, the task
 * thread does the work with its own connection and fills the outputs, the
 * loop answers from them once the task finished.
 */
struct job {
	struct kore_task	 task;
	int			(*work)(struct job *, sqlite3 *);	/* task */
	void			(*done)(struct http_request *, struct job *);
	char			 who[AUTH_NAME_MAX];	/* actor or login name */
	char			 addr[ADDR_MAX];	/* client address */
	char			 key[64];		/* a setting's name */
	char			 value[AUTH_PW_MAX + 1];	/* password or value, wiped */
	int			 reset;			/* setting: back to base */
	char			 token[AUTH_TOKEN_MAX];	/* session in or out */
	int			 status;		/* HTTP status */
	char			 msg[256];		/* reason or result */
};

static int
job_task(struct kore_task *t)
{
	struct job	*j = (struct job *)t;
	sqlite3		*db;

	if (db_open(srv.cfg.data_dir, DB_BUSY_TASK_MS, &db) == -1) {
		j->status = 503;
		snprintf(j->msg, sizeof(j->msg), "database unavailable");
	} else {
		if (j->work(j, db) == -1 && j->status == 0) {
			j->status = 500;
			snprintf(j->msg, sizeof(j->msg), "database error");
		}
		sqlite3_close(db);
	}
	sodium_memzero(j->value, sizeof(j->value));
	kore_task_channel_write(t, "", 1);
	return (KORE_RESULT_OK);
}

/* Hand j to a task thread; the request sleeps until it finished. */
static int
job_start(struct http_request *req, struct job *j)
{
	req->hdlr_extra = j;
	kore_task_create(&j->task, job_task);
	kore_task_bind_request(&j->task, req);
	kore_task_run(&j->task);
	return (KORE_RESULT_RETRY);
}

static struct job *
job_new(struct http_request *req, const struct auth_session *s,
    int (*work)(struct job *, sqlite3 *),
    void (*done)(struct http_request *, struct job *))
{
	struct job	*j;

	j = kore_calloc(1, sizeof(*j));
	j->work = work;
	j->done = done;
	client_addr(req, j->addr, sizeof(j->addr));
	if (s != NULL)
		snprintf(j->who, sizeof(j->who), "%s", s->admin);
	return (j);
}

/* A hash to verify against when the account does not exist (same cost). */
static char		dummy_hash[AUTH_HASH_MAX];
static pthread_once_t	dummy_once = PTHREAD_ONCE_INIT;

static void
dummy_init(void)
{
	if (auth_hash_password("no such account: same work", dummy_hash) == -1)
		dummy_hash[0] = '\0';
}

static int
login_work(struct job *j, sqlite3 *db)
{
	char	 hash[AUTH_HASH_MAX], detail[128];
	int64_t	 id = 0, retry, attempt, now = clock_now_ms();
	int	 rc, ok;

	/* Checked and counted in one step: parallel tries each count. */
	if ((rc = auth_attempt_begin(db, j->addr, j->who, now, &attempt,
	    &retry)) == -1)
		return (-1);
	if (rc == AUTH_THROTTLED) {
		j->status = 429;
		snprintf(j->msg, sizeof(j->msg), "throttled&retry=%lld",
		    (long long)(retry + 59999) / 60000);
		return (0);
	}
	if ((rc = auth_admin_get(db, j->who, &id, hash, sizeof(hash))) == -1)
		return (-1);
	if (rc == AUTH_NOTFOUND) {
		pthread_once(&dummy_once, dummy_init);
		(void)auth_verify_password(dummy_hash, j->value);
		ok = 0;
	} else
		ok = auth_verify_password(hash, j->value);
	sodium_memzero(j->value, sizeof(j->value));
	if (auth_attempt_end(db, attempt, j->addr, j->who, ok) == -1)
		return (-1);
	if (!ok) {
		j->status = 401;
		snprintf(j->msg, sizeof(j->msg), "invalid");
		snprintf(detail, sizeof(detail), "account %s",
		    auth_name_ok(j->who) ? j->who : "(not a valid name)");
		return (auth_audit(db, now, auth_name_ok(j->who) ? j->who :
		    "-", "login failed", detail, j->addr));
	}
	if (auth_session_create(db, id, j->addr, now, j->token) == -1 ||
	    auth_audit(db, now, j->who, "login", NULL, j->addr) == -1)
		return (-1);
	(void)auth_session_purge(db, now);
	j->status = 303;
	return (0);
}

static void
login_done(struct http_request *req, struct job *j)
{
	char	cookie[256], to[320];

	if (j->status != 303) {
		snprintf(to, sizeof(to), "/login?error=%s", j->status == 429 ||
		    j->status == 401 ? j->msg : "unavailable");
		redirect(req, to);
		return;
	}
	snprintf(cookie, sizeof(cookie), "%s=%s; Path=/; Max-Age=%lld; "
	    "HttpOnly; SameSite=Strict%s", adm.cookie, j->token,
	    (long long)(AUTH_SESSION_MAX_MS / 1000), adm.tls ? "; Secure" : "");
	sodium_memzero(j->token, sizeof(j->token));
	http_response_header(req, "set-cookie", cookie);
	sodium_memzero(cookie, sizeof(cookie));
	redirect(req, "/");
}

static int
logout_work(struct job *j, sqlite3 *db)
{
	if (auth_session_revoke(db, j->token) == -1)
		return (-1);
	j->status = 200;
	return (auth_audit(db, clock_now_ms(), j->who, "logout", NULL,
	    j->addr));
}

static void
logout_done(struct http_request *req, struct job *j)
{
	char	cookie[128];
	struct kore_buf	b;

	snprintf(cookie, sizeof(cookie), "%s=; Path=/; Max-Age=0; HttpOnly; "
	    "SameSite=Strict%s", adm.cookie, adm.tls ? "; Secure" : "");
	http_response_header(req, "set-cookie", cookie);
	if (j->status != 200) {
		reply_error(req, j->status, j->msg);
		return;
	}
	kore_buf_init(&b, 32);
	kore_buf_appendf(&b, "{\"ok\":true}\n");
	reply_json(req, 200, &b);
	kore_buf_cleanup(&b);
}

/* Ask the ingest thread (worker 1) for a training: TRAIN, answered OK. */
static int
train_work(struct job *j, sqlite3 *db)
{
	struct sockaddr_un	 sun;
	struct timeval		 tv = { SOCK_TIMEOUT_S, 0 };
	char			 in[64];
	ssize_t			 n;
	size_t			 have = 0;
	int			 fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	/* main.c checked that the path fits. */
	(void)copy(sun.sun_path, sizeof(sun.sun_path), srv.control_path);
	j->status = 503;
	snprintf(j->msg, sizeof(j->msg), "the ingest (which starts trainings) "
	    "is not reachable");
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		goto out;
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
	    write(fd, "TRAIN\n", 6) != 6)
		goto out_close;
	while (have < sizeof(in) - 1 && memchr(in, '\n', have) == NULL) {
		if ((n = read(fd, in + have, sizeof(in) - 1 - have)) <= 0)
			break;
		have += (size_t)n;
	}
	in[have] = '\0';
	if (strncmp(in, "OK", 2) == 0) {
		j->status = 202;
		snprintf(j->msg, sizeof(j->msg), "training requested");
	} else if (have > 0) {
		in[strcspn(in, "\r\n")] = '\0';
		snprintf(j->msg, sizeof(j->msg), "the server refused: %s", in);
	}
out_close:
	close(fd);
out:
	return (auth_audit(db, clock_now_ms(), j->who, "train now",
	    j->status == 202 ? "requested" : j->msg, j->addr));
}

static void
train_done(struct http_request *req, struct job *j)
{
	struct kore_buf	b;

	if (j->status != 202) {
		reply_error(req, j->status, j->msg);
		return;
	}
	kore_buf_init(&b, 64);
	kore_buf_appendf(&b, "{\"ok\":true,\"message\":");
	json_str(&b, j->msg);
	kore_buf_append(&b, "}\n", 2);
	reply_json(req, 202, &b);
	kore_buf_cleanup(&b);
}

/* Save (or reset) one validated setting and record who did it. */
static int
setting_work(struct job *j, sqlite3 *db)
{
	const struct editable	*e = editable_find(j->key, NULL);
	sqlite3_stmt		*st;
	char			 detail[AUTH_PW_MAX + 128];
	int64_t			 now = clock_now_ms();
	int			 rc;

	if (e == NULL)
		return (-1);
	if (sqlite3_prepare_v2(db, j->reset ? "DELETE FROM settings WHERE "
	    "key = ?1" : "INSERT OR REPLACE INTO settings VALUES "
	    "(?1, ?2, ?3, ?4)", -1, &st, NULL) != SQLITE_OK)
		return (-1);
	sqlite3_bind_text(st, 1, j->key, -1, SQLITE_STATIC);
	if (!j->reset) {
		sqlite3_bind_text(st, 2, j->value, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, now);
		sqlite3_bind_text(st, 4, j->who, -1, SQLITE_STATIC);
	}
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return (-1);
	if (j->reset)
		snprintf(detail, sizeof(detail), "%s reset to the configured "
		    "value", j->key);
	else if (e->secret)
		snprintf(detail, sizeof(detail), "%s %s", j->key,
		    j->value[0] ? "changed" : "cleared");
	else
		snprintf(detail, sizeof(detail), "%s = %s", j->key, j->value);
	j->status = 200;
	return (auth_audit(db, now, j->who, "setting", detail, j->addr));
}

static void
setting_done(struct http_request *req, struct job *j)
{
	struct kore_buf	b;

	if (j->status != 200) {
		reply_error(req, j->status, j->msg);
		return;
	}
	/* This worker at once; the others within their next tick. */
	admin_settings_apply(&srv.cfg);
	kore_buf_init(&b, 64);
	kore_buf_appendf(&b, "{\"ok\":true,\"key\":");
	json_str(&b, j->key);
	kore_buf_append(&b, "}\n", 2);
	reply_json(req, 200, &b);
	kore_buf_cleanup(&b);
}

/* --- handlers ------------------------------------------------------------ */

typedef int	(*handler_fn)(struct http_request *, const struct auth_session *);

/* An embedded file of assets/admin/, by its name. */
static int
serve_asset(struct http_request *req, const char *name)
{
	static const struct {
		const char	*ext, *type;
	} types[] = {
		{ ".html", "text/html; charset=utf-8" },
		{ ".css", "text/css; charset=utf-8" },
		{ ".js", "text/javascript; charset=utf-8" },
		{ ".svg", "image/svg+xml" },
		{ ".png", "image/png" },
		{ ".ico", "image/x-icon" },
		{ ".LICENSE", "text/plain; charset=utf-8" },
	};
	const struct asset	*a;
	char			 path[128];
	size_t			 i, nlen = strlen(name), elen;

	if (nlen == 0 || nlen > 64 || strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789._-") != nlen ||
	    name[0] == '.')
		goto notfound;
	snprintf(path, sizeof(path), ASSET_DIR "%s", name);
	if ((a = asset_find(path)) == NULL)
		goto notfound;
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		elen = strlen(types[i].ext);
		if (nlen > elen && strcmp(name + nlen - elen,
		    types[i].ext) == 0)
			break;
	}
	if (i == sizeof(types) / sizeof(types[0]))
		goto notfound;
	/* Embedded in the binary: a new binary may change them. */
	http_response_header(req, "cache-control", "no-cache");
	http_response_header(req, "etag", "\"" CINEREC_VERSION "\"");
	reply(req, 200, types[i].type, a->data, a->len);
	return (KORE_RESULT_OK);

notfound:
	reply(req, 404, "text/plain; charset=utf-8", "not found\n", 10);
	return (KORE_RESULT_OK);
}

static int
page_index(struct http_request *req, const struct auth_session *s)
{
	(void)s;
	http_response_header(req, "cache-control", "no-store");
	return (serve_asset(req, "index.html"));
}

static int
page_login(struct http_request *req, const struct auth_session *s)
{
	(void)s;
	http_response_header(req, "cache-control", "no-store");
	return (serve_asset(req, "login.html"));
}

static int
do_login(struct http_request *req, const struct auth_session *s)
{
	struct job	*j;
	char		 body[BODY_MAX];

	(void)s;
	j = job_new(req, NULL, login_work, login_done);
	if (body_text(req, body, sizeof(body)) == -1 ||
	    form_get(body, "name", j->who, sizeof(j->who)) == -1 ||
	    form_get(body, "password", j->value, sizeof(j->value)) == -1 ||
	    j->who[0] == '\0' || j->value[0] == '\0') {
		sodium_memzero(body, sizeof(body));
		kore_free(j);
		redirect(req, "/login?error=invalid");
		return (KORE_RESULT_OK);
	}
	sodium_memzero(body, sizeof(body));
	return (job_start(req, j));
}

static int
do_logout(struct http_request *req, const struct auth_session *s)
{
	struct job	*j;
	const char	*tok = session_cookie(req);

	j = job_new(req, s, logout_work, logout_done);
	snprintf(j->token, sizeof(j->token), "%s", tok ? tok : "");
	return (job_start(req, j));
}

static int
api_session(struct http_request *req, const struct auth_session *s)
{
	struct kore_buf	 b;
	char		 csrf[AUTH_TOKEN_MAX];

	auth_csrf_token(adm.key, s->id, csrf);
	kore_buf_init(&b, 256);
	kore_buf_appendf(&b, "{\"admin\":");
	json_str(&b, s->admin);
	kore_buf_appendf(&b, ",\"csrf\":\"%s\",\"expires_ms\":%lld,"
	    "\"tls\":%s,\"version\":\"%s\",\"now_ms\":%lld}\n", csrf,
	    (long long)s->expires_ms, adm.tls ? "true" : "false",
	    CINEREC_VERSION, (long long)clock_now_ms());
	reply_json(req, 200, &b);
	kore_buf_cleanup(&b);
	return (KORE_RESULT_OK);
}

/* The alerts that fire now, as a JSON array of {level, text}. */
static void
alerts_json(struct kore_buf *b, int64_t now)
{
	int64_t		model_ms, failed, running, rejected, interval;
	int		n = 0;
	char		text[256];

#define ALERT(lvl, ...) do {						\
	snprintf(text, sizeof(text), __VA_ARGS__);			\
	kore_buf_appendf(b, "%s{\"level\":\"%s\",\"text\":", n++ ? "," : "", \
	    lvl);							\
	json_str(b, text);						\
	kore_buf_append(b, "}", 1);					\
} while (0)

	kore_buf_append(b, "[", 1);
	model_ms = query_int("SELECT created_ms FROM models WHERE current = 1",
	    -1);
	interval = srv.cfg.train_interval_min;
	if (model_ms == -1)
		ALERT("warn", "No model is being served: recommendations are "
		    "popularity only.");
	else if (interval > 0 && now - model_ms > 2 * interval * 60000)
		ALERT("warn", "The model is %.1f h old, more than twice the "
		    "training interval.", (double)(now - model_ms) / 3.6e6);
	failed = query_int("SELECT status = 'failed' FROM training_runs "
	    "ORDER BY id DESC LIMIT 1", 0);
	if (failed)
		ALERT("crit", "The last training failed (see Models).");
	running = query_int("SELECT MIN(started_ms) FROM training_runs WHERE "
	    "status = 'running'", -1);
	if (running != -1 && now - running > 3600 * 1000)
		ALERT("warn", "A training has been running for %.1f h.",
		    (double)(now - running) / 3.6e6);
	rejected = query_int("SELECT COUNT(*) FROM reject_samples WHERE "
	    "ts > CAST(strftime('%s', 'now') AS INTEGER) * 1000 - 300000", 0);
	if (rejected >= 20)
		ALERT("warn", "The ingest rejected %s%lld lines in the last 5 "
		    "minutes (see Ingest).", rejected >= 200 ? "at least " :
		    "", (long long)rejected);
	if (!cfg_is_loopback(srv.cfg.ingest_host) &&
	    srv.cfg.ingest_token[0] == '\0')
		ALERT("warn", "The TCP ingest listens on %s without an ingest "
		    "token.", srv.cfg.ingest_host);
	kore_buf_append(b, "]", 1);
#undef ALERT
}

static int
api_overview(struct http_request *req, const struct auth_session *s)
{
	struct kore_buf	 b;
	struct stat	 sb;
	char		 wal[PATH_MAX + 32];
	int64_t		 now = clock_now_ms(), size, walsz = 0;

	(void)s;
	size = query_int("SELECT page_count * page_size FROM "
	    "pragma_page_count(), pragma_page_size()", 0);
	snprintf(wal, sizeof(wal), "%s/%s-wal", srv.cfg.data_dir, STORE_FILE);
	if (stat(wal, &sb) == 0)
		walsz = sb.st_size;
	kore_buf_init(&b, 4096);
	kore_buf_appendf(&b, "{\"now_ms\":%lld,\"version\":\"%s\","
	    "\"started_ms\":%lld,\"db_bytes\":%lld,\"wal_bytes\":%lld,"
	    "\"workers\":%d,\"click_window_s\":%d,\"counters\":{",
	    (long long)now, CINEREC_VERSION, (long long)srv.started_ms,
	    (long long)size, (long long)walsz, srv.cfg.workers,
	    srv.cfg.click_window_s);
	{
		sqlite3_stmt	*st;
		int		 n = 0;

		if (sqlite3_prepare_v2(adm.db, "SELECT name, value FROM "
		    "counters ORDER BY name", -1, &st, NULL) == SQLITE_OK) {
			while (sqlite3_step(st) == SQLITE_ROW) {
				if (n++ > 0)
					kore_buf_append(&b, ",", 1);
				json_str(&b, (const char *)
				    sqlite3_column_text(st, 0));
				kore_buf_appendf(&b, ":%lld", (long long)
				    sqlite3_column_int64(st, 1));
			}
			sqlite3_finalize(st);
		}
	}
	kore_buf_appendf(&b, "},\"model\":");
	(void)json_rows(&b, "SELECT id, algo, created_ms, train_seconds, "
	    "interactions, users, items, eval_recall20, eval_ndcg20, "
	    "eval_coverage FROM models WHERE current = 1", NULL, 1);
	kore_buf_appendf(&b, ",\"last_run\":");
	(void)json_rows(&b, "SELECT id, started_ms, finished_ms, trigger, "
	    "status, model_id, message FROM training_runs ORDER BY id DESC "
	    "LIMIT 1", NULL, 1);
	/* Click-through per day of the lists this server gave. */
	kore_buf_appendf(&b, ",\"ctr_daily\":");
	(void)json_rows(&b, "SELECT hour / 24 AS day, source, SUM(lists) AS "
	    "lists, SUM(followed) AS followed FROM reco_stats "
	    "WHERE hour >= (CAST(strftime('%s', 'now') AS INTEGER) / 3600) - "
	    "24 * 30 GROUP BY day, source ORDER BY day", NULL, 0);
	kore_buf_appendf(&b, ",\"alerts\":");
	alerts_json(&b, now);
	kore_buf_append(&b, "}\n", 2);
	reply_json(req, 200, &b);
	kore_buf_cleanup(&b);
	return (KORE_RESULT_OK);
}

static int
api_models(struct http_request *req, const struct auth_session *s)
{
	struct kore_buf	b;

	(void)s;
	kore_buf_init(&b, 8192);
	kore_buf_appendf(&b, "{\"train_interval_min\":%d,\"models\":",
	    srv.cfg.train_interval_min);
	(void)json_rows(&b, "SELECT m.id, m.algo, m.params, m.file, "
	    "m.created_ms, m.train_seconds, m.interactions, m.users, m.items, "
	    "m.data_from_ms, m.data_to_ms, m.binary_version, m.eval_recall20, "
	    "m.eval_ndcg20, m.eval_coverage, m.eval_users, m.current, "
	    "(SELECT trigger FROM training_runs r WHERE r.model_id = m.id) "
	    "AS trigger, c.lists, c.followed FROM models m LEFT JOIN "
	    "(SELECT model_version, SUM(lists) AS lists, SUM(followed) AS "
	    "followed FROM reco_stats WHERE source = 'served' GROUP BY "
	    "model_version) c ON c.model_version = m.id ORDER BY m.id DESC",
	    NULL, 0);
	kore_buf_appendf(&b, ",\"runs\":");
	(void)json_rows(&b, "SELECT id, started_ms, finished_ms, trigger, "
	    "status, model_id, message FROM training_runs ORDER BY id DESC "
	    "LIMIT 50", NULL, 0);
	kore_buf_append(&b, "}\n", 2);
	reply_json(req, 200, &b);
	kore_buf_cleanup(&b);
	return (KORE_RESULT_OK);
}

static int
api_train(struct http_request *req, const struct auth_session *s)
{
	return (job_start(req, job_new(req, s, train_work, train_done)));
}

/* A movie's title and year for a slug, as JSON members (or nothing). */
static void
movie_title(struct kore_buf *b, sqlite3_stmt *st, const char *member,
    const char *slug)
{
	sqlite3_bind_text(st, 1, slug, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW &&
	    sqlite3_column_type(st, 0) != SQLITE_NULL) {
		kore_buf_appendf(b, ",\"%s\":", member);
		json_str(b, (const char *)sqlite3_column_text(st, 0));
		if (sqlite3_column_type(st, 1) != SQLITE_NULL)
			kore_buf_appendf(b, ",\"%s_year\":%d", member,
			    sqlite3_column_int(st, 1));
	}
	sqlite3_reset(st);
}

static int
api_user(struct http_request *req, const struct auth_session *s)
{
	static struct reco_list	 list;
	struct kore_buf		 b;
	sqlite3_stmt		*st = NULL;
	const char		*id = req->path + strlen("/api/users/");
	int64_t			 user;
	size_t			 i;

	(void)s;
	if (parse_user(id, strlen(id), &user) == -1) {
		reply_error(req, 400, "a user id is a non-negative decimal "
		    "integer");
		return (KORE_RESULT_OK);
	}
	kore_buf_init(&b, 16384);
	kore_buf_appendf(&b, "{\"user\":%lld,\"profile\":", (long long)user);
	(void)json_rows(&b, "SELECT first_ts, last_ts, watch_lines, ratings, "
	    "recos FROM users WHERE id = ?1", &user, 1);
	kore_buf_appendf(&b, ",\"watches\":");
	(void)json_rows(&b, "SELECT m.slug, m.title, m.year, m.runtime_min, "
	    "w.minutes, w.max_minute, w.first_ts, w.last_ts FROM watches w "
	    "JOIN movies m ON m.id = w.movie_id WHERE w.user_id = ?1 "
	    "ORDER BY w.last_ts DESC LIMIT 50", &user, 0);
	kore_buf_appendf(&b, ",\"ratings\":");
	(void)json_rows(&b, "SELECT m.slug, m.title, m.year, r.rating, r.ts "
	    "FROM ratings r JOIN movies m ON m.id = r.movie_id "
	    "WHERE r.user_id = ?1 ORDER BY r.ts DESC LIMIT 50", &user, 0);
	kore_buf_appendf(&b, ",\"served\":");
	(void)json_rows(&b, "SELECT id, ts, source, host, status, latency_ms, "
	    "model_version, arm, personal, followed_rank, "
	    "movie_slugs(movies) AS results "
	    "FROM reco_log_of_user WHERE user_id = ?1 AND id IN (SELECT "
	    "log_id FROM reco_log_user_ids WHERE user_id = ?1 ORDER BY log_id "
	    "DESC LIMIT " WHY_LISTS_MAX ") ORDER BY ts DESC, id DESC LIMIT 20",
	    &user, 0);
	/* What the current model gives now (not logged: a look, not a list). */
	kore_buf_appendf(&b, ",\"recommendations\":");
	if (reco_for_user(&srv.reco, &srv.store, srv.model, srv.lists, &srv.sp,
	    user, RECO_MAX, &list) == -1) {
		kore_buf_append(&b, "null", 4);
	} else {
		kore_buf_appendf(&b, "{\"model\":");
		if (srv.model != NULL)
			kore_buf_appendf(&b, "{\"version\":%lld,\"algo\":\"%s\"}",
			    (long long)srv.model_id,
			    model_algo_name(srv.model->algo));
		else
			kore_buf_append(&b, "null", 4);
		kore_buf_appendf(&b, ",\"personal\":%zu,\"window_days\":%d,"
		    "\"items\":[", list.personal, srv.cfg.pop_window_days);
		if (sqlite3_prepare_v2(adm.db, "SELECT title, year FROM movies "
		    "WHERE slug = ?1", -1, &st, NULL) != SQLITE_OK)
			st = NULL;
		for (i = 0; i < list.n; i++) {
			kore_buf_appendf(&b, "%s{\"rank\":%zu,\"id\":",
			    i ? "," : "", i + 1);
			json_str(&b, list.item[i].slug);
			if (st != NULL)
				movie_title(&b, st, "title", list.item[i].slug);
			kore_buf_appendf(&b, ",\"score\":%.4g,\"source\":\"%s\"",
			    isfinite(list.item[i].score) ?
			    (double)list.item[i].score : 0.0,
			    i < list.personal ? "model" : "popular");
			if (list.item[i].because != NULL) {
				kore_buf_appendf(&b, ",\"because\":");
				json_str(&b, list.item[i].because);
				if (st != NULL)
					movie_title(&b, st, "because_title",
					    list.item[i].because);
			}
			kore_buf_append(&b, "}", 1);
		}
		sqlite3_finalize(st);
		kore_buf_append(&b, "]}", 2);
	}
	kore_buf_append(&b, "}\n", 2);
	reply_json(req, 200, &b);
	kore_buf_cleanup(&b);
	return (KORE_RESULT_OK);
}

/*
 * The TCP senders connected to the ingest port now, from the kernel's
 * table (/proc/net/tcp and tcp6: local port, state 01 = established).
 */
static void
senders_json(struct kore_buf *b)
{
	static const char	*files[] = { "/proc/net/tcp", "/proc/net/tcp6" };
	FILE			*fp;
	char			 line[512], local[64], remote[64], addr[64];
	unsigned int		 lport, rport, state, w[4];
	uint8_t			 raw[16];
	size_t			 f, k;
	int			 n = 0, v6;

	kore_buf_append(b, "[", 1);
	for (f = 0; f < sizeof(files) / sizeof(files[0]); f++) {
		if ((fp = fopen(files[f], "r")) == NULL)
			continue;
		v6 = f == 1;
		while (fgets(line, sizeof(line), fp) != NULL) {
			if (sscanf(line, " %*u: %63[0-9A-Fa-f]:%x "
			    "%63[0-9A-Fa-f]:%x %x", local, &lport, remote,
			    &rport, &state) != 5 || state != 1 ||
			    lport != srv.cfg.ingest_port)
				continue;
			/* Words in host order, as the kernel prints them. */
			if (!v6 && sscanf(remote, "%8x", &w[0]) == 1) {
				memcpy(raw, &w[0], 4);
				inet_ntop(AF_INET, raw, addr, sizeof(addr));
			} else if (v6 && sscanf(remote, "%8x%8x%8x%8x", &w[0],
			    &w[1], &w[2], &w[3]) == 4) {
				for (k = 0; k < 4; k++)
					memcpy(raw + 4 * k, &w[k], 4);
				inet_ntop(AF_INET6, raw, addr, sizeof(addr));
			} else
				continue;
			kore_buf_appendf(b, "%s{\"addr\":", n++ ? "," : "");
			json_str(b, addr);
			kore_buf_appendf(b, ",\"port\":%u}", rport);
			if (n >= ROWS_MAX)
				break;
		}
		fclose(fp);
	}
	kore_buf_append(b, "]", 1);
}

static int
api_ingest(struct http_request *req, const struct auth_session *s)
{
	struct kore_buf	b;

	(void)s;
	kore_buf_init(&b, 16384);
	kore_buf_appendf(&b, "{\"now_ms\":%lld,\"listen\":",
	    (long long)clock_now_ms());
	{
		char	l[CFG_HOST_MAX + 16];

		snprintf(l, sizeof(l), "%s:%u", srv.cfg.ingest_host,
		    srv.cfg.ingest_port);
		json_str(&b, l);
	}
	kore_buf_appendf(&b, ",\"token_required\":%s,\"batch_ms\":%d,"
	    "\"batch_events\":%d,\"counters\":",
	    srv.cfg.ingest_token[0] ? "true" : "false", srv.cfg.batch_ms,
	    srv.cfg.batch_events);
	(void)json_rows(&b, "SELECT name, value FROM counters WHERE name LIKE "
	    "'accepted\\_%' ESCAPE '\\' OR name LIKE 'rejected\\_%' ESCAPE '\\' "
	    "ORDER BY name", NULL, 0);
	kore_buf_appendf(&b, ",\"samples\":");
	(void)json_rows(&b, "SELECT id, ts, reason, line FROM reject_samples "
	    "ORDER BY id DESC LIMIT 100", NULL, 0);
	kore_buf_appendf(&b, ",\"senders\":");
	senders_json(&b);
	kore_buf_append(&b, "}\n", 2);
	reply_json(req, 200, &b);
	kore_buf_cleanup(&b);
	return (KORE_RESULT_OK);
}

static int
api_settings(struct http_request *req, const struct auth_session *s)
{
	struct setting_text	*cur = NULL, *base = NULL;
	const struct editable	*e;
	struct kore_buf		 b;
	sqlite3_stmt		*st = NULL;
	const char		*bv;
	int			 n, nbase, i, first = 1;

	(void)s;
	if ((n = settings_of(&srv.cfg, &cur)) == -1 ||
	    (nbase = settings_of(adm.have_base ? &adm.base : &srv.cfg,
	    &base)) == -1) {
		free(cur);
		reply_error(req, 500, "out of memory");
		return (KORE_RESULT_OK);
	}
	if (sqlite3_prepare_v2(adm.db, "SELECT changed_ms, changed_by FROM "
	    "settings WHERE key = ?1", -1, &st, NULL) != SQLITE_OK)
		st = NULL;
	kore_buf_init(&b, 8192);
	kore_buf_append(&b, "{\"settings\":[", 13);
	for (i = 0; i < n; i++) {
		if (strcmp(cur[i].key, "data_dir") == 0)
			continue;
		e = editable_find(cur[i].key, NULL);
		kore_buf_appendf(&b, "%s{\"key\":", first ? "" : ",");
		first = 0;
		json_str(&b, cur[i].key);
		kore_buf_appendf(&b, ",\"value\":");
		json_str(&b, cur[i].value);
		bv = setting_value(base, nbase, cur[i].key);
		kore_buf_appendf(&b, ",\"configured\":");
		json_str(&b, bv);
		kore_buf_appendf(&b, ",\"help\":");
		json_str(&b, cur[i].help);
		kore_buf_appendf(&b, ",\"editable\":%s,\"live\":%s,"
		    "\"secret\":%s", e ? "true" : "false",
		    e && e->live ? "true" : "false",
		    e && e->secret ? "true" : "false");
		if (st != NULL) {
			sqlite3_bind_text(st, 1, cur[i].key, -1, SQLITE_STATIC);
			if (sqlite3_step(st) == SQLITE_ROW) {
				kore_buf_appendf(&b, ",\"changed_ms\":%lld,"
				    "\"changed_by\":", (long long)
				    sqlite3_column_int64(st, 0));
				json_str(&b, (const char *)
				    sqlite3_column_text(st, 1));
			}
			sqlite3_reset(st);
		}
		kore_buf_append(&b, "}", 1);
	}
	kore_buf_append(&b, "]}\n", 3);
	sqlite3_finalize(st);
	free(cur);
	free(base);
	reply_json(req, 200, &b);
	kore_buf_cleanup(&b);
	return (KORE_RESULT_OK);
}

static int
api_settings_set(struct http_request *req, const struct auth_session *s)
{
	struct job	*j;
	struct cfg	*scratch;
	char		 body[BODY_MAX], err[256], reset[8];
	int		 rc;

	j = job_new(req, s, setting_work, setting_done);
	if (body_text(req, body, sizeof(body)) == -1 ||
	    form_get(body, "key", j->key, sizeof(j->key)) == -1) {
		kore_free(j);
		reply_error(req, 400, "expected key=...&value=... (or reset=1)");
		return (KORE_RESULT_OK);
	}
	j->reset = form_get(body, "reset", reset, sizeof(reset)) == 0 &&
	    strcmp(reset, "1") == 0;
	if (editable_find(j->key, NULL) == NULL) {
		kore_free(j);
		reply_error(req, 400, "this setting cannot be changed from the "
		    "dashboard (configuration file or flags, then restart)");
		return (KORE_RESULT_OK);
	}
	if (!j->reset) {
		if (form_get(body, "value", j->value, sizeof(j->value)) == -1) {
			kore_free(j);
			reply_error(req, 400, "missing value, or not text");
			return (KORE_RESULT_OK);
		}
		/* The start refuses an open ingest without a token. */
		if (strcmp(j->key, "ingest_token") == 0 && j->value[0] == '\0' &&
		    !cfg_is_loopback(srv.cfg.ingest_host)) {
			kore_free(j);
			reply_error(req, 400, "the ingest listens beyond loopback: "
			    "it needs a token");
			return (KORE_RESULT_OK);
		}
		/* Validated exactly as the configuration file would be. */
		scratch = kore_malloc(sizeof(*scratch));
		*scratch = srv.cfg;
		rc = cfg_set(scratch, j->key, j->value, err, sizeof(err));
		kore_free(scratch);
		if (rc == -1) {
			kore_free(j);
			reply_error(req, 400, err);
			return (KORE_RESULT_OK);
		}
	}
	return (job_start(req, j));
}

static int
api_audit(struct http_request *req, const struct auth_session *s)
{
	struct kore_buf	b;

	(void)s;
	kore_buf_init(&b, 16384);
	kore_buf_appendf(&b, "{\"audit\":");
	(void)json_rows(&b, "SELECT id, ts, who, action, detail, addr FROM "
	    "audit ORDER BY id DESC LIMIT 200", NULL, 0);
	kore_buf_appendf(&b, ",\"accounts\":");
	(void)json_rows(&b, "SELECT a.name, a.created_ms, a.pw_changed_ms, "
	    "a.last_login_ms, (SELECT COUNT(*) FROM sessions s WHERE "
	    "s.admin_id = a.id AND s.expires_ms > CAST(strftime('%s', 'now') "
	    "AS INTEGER) * 1000) AS sessions FROM admins a ORDER BY a.name",
	    NULL, 0);
	kore_buf_append(&b, "}\n", 2);
	reply_json(req, 200, &b);
	kore_buf_cleanup(&b);
	return (KORE_RESULT_OK);
}

/* Prometheus text, as on the API listener, behind the login here. */
static int
page_metrics(struct http_request *req, const struct auth_session *s)
{
	char	*text;
	size_t	 len;

	(void)s;
	if (metrics_render(&srv.store, (int64_t)srv.cfg.click_window_s * 1000,
	    &text, &len) == -1) {
		reply_error(req, 500, "cannot render the metrics");
		return (KORE_RESULT_OK);
	}
	http_response_header(req, "cache-control", "no-store");
	reply(req, 200, "text/plain; version=0.0.4; charset=utf-8", text, len);
	free(text);
	return (KORE_RESULT_OK);
}

/* --- dispatch ------------------------------------------------------------ */

#define R_PUBLIC	0x01	/* no session needed */
#define R_CSRF		0x02	/* changes state: CSRF token required */
#define R_PREFIX	0x04	/* path is a prefix */
#define R_PAGE		0x08	/* a page: no session redirects to /login */

static const struct route {
	int		 method;
	const char	*path;
	int		 flags;
	handler_fn	 fn;
} routes[] = {
	{ HTTP_METHOD_GET, "/", R_PAGE, page_index },
	{ HTTP_METHOD_GET, "/index.html", R_PAGE, page_index },
	{ HTTP_METHOD_GET, "/login", R_PUBLIC, page_login },
	{ HTTP_METHOD_POST, "/login", R_PUBLIC, do_login },
	{ HTTP_METHOD_POST, "/logout", R_CSRF, do_logout },
	{ HTTP_METHOD_GET, "/metrics", 0, page_metrics },
	{ HTTP_METHOD_GET, "/api/session", 0, api_session },
	{ HTTP_METHOD_GET, "/api/overview", 0, api_overview },
	{ HTTP_METHOD_GET, "/api/models", 0, api_models },
	{ HTTP_METHOD_POST, "/api/train", R_CSRF, api_train },
	{ HTTP_METHOD_GET, "/api/users/", R_PREFIX, api_user },
	{ HTTP_METHOD_GET, "/api/ingest", 0, api_ingest },
	{ HTTP_METHOD_GET, "/api/settings", 0, api_settings },
	{ HTTP_METHOD_POST, "/api/settings", R_CSRF, api_settings_set },
	{ HTTP_METHOD_GET, "/api/audit", 0, api_audit },
};
#define NROUTES	(sizeof(routes) / sizeof(routes[0]))

/* The route for the request; *allow gets the methods the path takes. */
static const struct route *
route_find(struct http_request *req, int *allow)
{
	const struct route	*r;
	size_t			 i;
	int			 method = req->method == HTTP_METHOD_HEAD ?
				    HTTP_METHOD_GET : req->method;

	*allow = 0;
	for (i = 0; i < NROUTES; i++) {
		r = &routes[i];
		if (r->flags & R_PREFIX ? strncmp(req->path, r->path,
		    strlen(r->path)) != 0 : strcmp(req->path, r->path) != 0)
			continue;
		*allow |= r->method;
		if (r->method == method)
			return (r);
	}
	return (NULL);
}

int
admin_dispatch(struct http_request *req)
{
	const struct route	*r;
	struct auth_session	 s;
	struct job		*j;
	const char		*csrf;
	int64_t			 now;
	int			 allow, rc;

	/* An action coming back from its task. */
	if ((j = req->hdlr_extra) != NULL) {
		if (kore_task_state(&j->task) != KORE_TASK_STATE_FINISHED) {
			http_request_sleep(req);
			return (KORE_RESULT_RETRY);
		}
		j->done(req, j);
		return (KORE_RESULT_OK);
	}
	if (adm.db == NULL) {
		reply_error(req, 503, "the admin dashboard is unavailable "
		    "(see the server log)");
		return (KORE_RESULT_OK);
	}
	if ((r = route_find(req, &allow)) == NULL) {
		if (allow != 0) {
			http_response_header(req, "allow", allow ==
			    HTTP_METHOD_POST ? "POST" : allow ==
			    HTTP_METHOD_GET ? "GET, HEAD" : "GET, HEAD, POST");
			reply_error(req, 405, "method not allowed");
			return (KORE_RESULT_OK);
		}
		/* The app's static files are public: no data in them. */
		if ((req->method == HTTP_METHOD_GET ||
		    req->method == HTTP_METHOD_HEAD) &&
		    strchr(req->path + 1, '/') == NULL &&
		    strcmp(req->path, "/index.html") != 0 &&
		    strcmp(req->path, "/login.html") != 0)
			return (serve_asset(req, req->path + 1));
		reply_error(req, 404, "not found");
		return (KORE_RESULT_OK);
	}
	if (req->method == HTTP_METHOD_POST && !same_origin(req)) {
		reply_error(req, 403, "cross-origin request refused");
		return (KORE_RESULT_OK);
	}
	if (r->flags & R_PUBLIC)
		return (r->fn(req, NULL));

	now = clock_now_ms();
	rc = auth_session_check(adm.db, session_cookie(req), now, &s);
	if (rc == -1) {
		reply_error(req, 503, "database busy, try again");
		return (KORE_RESULT_OK);
	}
	if (rc == 0) {
		if (r->flags & R_PAGE)
			redirect(req, "/login");
		else
			reply_error(req, 401, "login required");
		return (KORE_RESULT_OK);
	}
	if ((r->flags & R_CSRF) &&
	    (!http_request_header(req, "x-csrf-token", &csrf) ||
	    !auth_csrf_check(adm.key, s.id, csrf))) {
		reply_error(req, 403, "missing or wrong CSRF token");
		return (KORE_RESULT_OK);
	}
	/* Best effort: busy now means a later request records it. */
	(void)auth_session_touch(adm.db, &s, now);
	if (now >= adm.purge_ms) {
		adm.purge_ms = now + 3600 * 1000;
		(void)auth_session_purge(adm.db, now);
	}
	return (r->fn(req, &s));
}
