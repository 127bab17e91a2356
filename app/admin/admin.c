/*
 * The admin dashboard's listener (see admin.h): the first account, the
 * Kore configuration of its server block with optional TLS, and each
 * worker's state.  The pages and the API are api.c's, the actions jobs.c's.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <sodium.h>

#include "admin/admin_int.h"
#include "util/clock.h"
#include "util/log.h"

struct admin_state	adm;

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
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", adm.ctx.cfg->data_dir,
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

	if ((size_t)snprintf(path, sz, "%s/%s", adm.ctx.cfg->data_dir,
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
admin_parent_configure(const struct cfg *cfg)
{
	sqlite3		*db;
	FILE		*fp;
	char		 conf[4 * PATH_MAX + 512], dh[PATH_MAX];
	int64_t		 n;
	int		 len, tls;

	adm.ctx.cfg = cfg;
	if (sodium_init() < 0)
		fatal("admin: libsodium did not initialise");
	if (adm_db_open(cfg->data_dir, DB_BUSY_TASK_MS, STORE_ROLE_ADMIN, &db) == -1)
		exit(1);
	if ((n = auth_admin_count(db)) == -1)
		exit(1);
	if (n == 0)
		initial_admin(db);
	if (auth_key_load(db, adm.key) == -1)
		exit(1);
	sodium_memzero(adm.key, sizeof(adm.key));
	sqlite3_close(db);

	tls = cfg->admin_cert[0] != '\0' || cfg->admin_key[0] != '\0';
	if (tls) {
		if (cfg->admin_cert[0] == '\0' || cfg->admin_key[0] == '\0') {
			fprintf(stderr, "cinerec: admin TLS needs both "
			    "admin_cert and admin_key\n");
			exit(1);
		}
		readable("certificate", cfg->admin_cert);
		readable("key", cfg->admin_key);
		load_key(cfg->admin_key);
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
	    cfg->admin_host, cfg->admin_port, tls ? "yes" : "no",
	    tls ? "certfile " : "", tls ? cfg->admin_cert : "",
	    tls ? "\ncertkey " : "", tls ? cfg->admin_key : "",
	    tls ? "\n" : "");
	if (len < 0 || (size_t)len >= sizeof(conf) ||
	    (fp = fmemopen(conf, (size_t)len, "r")) == NULL)
		fatal("admin: cannot build the Kore configuration");
	kore_parse_config_file(fp);
	fclose(fp);
	log_info("admin dashboard: %s://%s%s%s:%u/", tls ? "https" : "http",
	    strchr(cfg->admin_host, ':') ? "[" : "", cfg->admin_host,
	    strchr(cfg->admin_host, ':') ? "]" : "", cfg->admin_port);
}

/* --- worker -------------------------------------------------------------- */

void
admin_worker_configure(const struct admin_ctx *ctx)
{
	adm.ctx = *ctx;
	/*
	 * The event loop never waits for a lock: busy timeout 0, but for the
	 * key at the worker's start, when a training at start may be
	 * writing (without a wait, this worker had no dashboard at all).
	 */
	if (sodium_init() < 0 ||
	    adm_db_open(ctx->cfg->data_dir, 0, STORE_ROLE_ADMIN,
	    &adm.db) == -1 ||
	    sqlite3_busy_timeout(adm.db, 5000) != SQLITE_OK ||
	    auth_key_load(adm.db, adm.key) == -1 ||
	    sqlite3_busy_timeout(adm.db, 0) != SQLITE_OK) {
		log_warnx("worker %u: admin dashboard unavailable", worker->id);
		sqlite3_close(adm.db);
		adm.db = NULL;
		return;
	}
	adm.tls = ctx->cfg->admin_cert[0] != '\0';
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

