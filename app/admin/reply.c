/*
 * The dashboard's answers (every one with the strict headers, counted as
 * the admin route) and the pieces of its requests: body, form fields,
 * cookie, client address, origin; JSON from SQL.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "admin/admin_int.h"
#include "server/kbuf.h"
#include "store/store.h"
#include "telemetry/metrics.h"
#include "util/json.h"
#include "util/log.h"
#include "util/urlenc.h"

/* A read-write connection to the data dir's database.  0 or -1 (logged). */
int
adm_db_open(const char *data_dir, int busy_ms, int role, sqlite3 **db)
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
	/* The dashboard writes its own tables only (store.h). */
	if (store_functions(*db) == -1 || store_role(*db, role) == -1) {
		log_warnx("%s: %s", __func__, sqlite3_errmsg(*db));
		sqlite3_close(*db);
		*db = NULL;
		return (-1);
	}
	return (0);
}

/* Every answer: the strict headers, counted as the admin route. */
void
adm_reply(struct http_request *req, int status, const char *type,
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

void
adm_json(struct http_request *req, int status, struct kore_buf *b)
{
	http_response_header(req, "cache-control", "no-store");
	adm_reply(req, status, "application/json", b->data, b->offset);
	kore_buf_cleanup(b);
}

void
adm_json_close(struct http_request *req, int status, struct kore_buf *b)
{
	kore_buf_append(b, "}\n", 2);
	adm_json(req, status, b);
}

void
adm_error(struct http_request *req, int status, const char *msg)
{
	struct kore_buf	b;

	kore_buf_init(&b, 128);
	kore_buf_append(&b, "{\"error\":", 9);
	kbuf_str(&b, msg);
	adm_json_close(req, status, &b);
}

void
adm_redirect(struct http_request *req, const char *to)
{
	http_response_header(req, "location", to);
	http_response_header(req, "cache-control", "no-store");
	adm_reply(req, 303, NULL, NULL, 0);
}

/* The client's address as text. */
void
adm_addr(struct http_request *req, char *out, size_t sz)
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
int
adm_same_origin(struct http_request *req)
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
	snprintf(port, sizeof(port), "%u", adm.ctx.cfg->admin_port);
	if (colon != NULL ? strcmp(colon + 1, port) != 0 :
	    adm.ctx.cfg->admin_port != (adm.tls ? 443 : 80))
		return (0);
	h = req->host;
	rlen = *h == '[' && strstr(h, "]") != NULL ?
	    (size_t)(strstr(h, "]") - h) + 1 : strcspn(h, ":");
	return (rlen == hlen && strncasecmp(p, h, hlen) == 0);
}

/* The request body (at most BODY_MAX bytes) into buf.  0 or -1. */
int
adm_body(struct http_request *req, char *buf, size_t sz)
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
int
adm_form(const char *body, const char *name, char *out, size_t sz)
{
	return (urlenc_get(body, name, out, sz) == 1 ? 0 : -1);
}

/* The session cookie's value, or NULL. */
const char *
adm_cookie(struct http_request *req)
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
void
adm_members(struct kore_buf *b, const struct adm_member *m, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		kore_buf_appendf(b, ",\"%s\":", m[i].name);
		(void)adm_rows(b, m[i].sql, NULL, m[i].one);
	}
}

int
adm_rows(struct kore_buf *b, const char *sql, const int64_t *p1, int one)
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
			kbuf_str(b, sqlite3_column_name(st, i));
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
				kbuf_str(b, (const char *)
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
int64_t
adm_int(const char *sql, int64_t def)
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

