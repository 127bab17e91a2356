/*
 * The dashboard's actions (login, logout, train now, a setting), each run
 * in a Kore task with a connection of its own, so a worker's event loop
 * never hashes a password or waits for the database's write lock.
 */
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "admin/admin_int.h"
#include "server/kbuf.h"
#include "settings/config.h"
#include "settings/overrides.h"
#include "util/clock.h"
#include "util/json.h"
#include "util/log.h"
#include "util/str.h"

static int
job_task(struct kore_task *t)
{
	struct job	*j = (struct job *)t;
	sqlite3		*db;

	if (adm_db_open(adm.ctx.cfg->data_dir, DB_BUSY_TASK_MS, j->role != 0 ?
	    j->role : STORE_ROLE_ADMIN, &db) == -1) {
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
int
adm_job_start(struct http_request *req, struct job *j)
{
	req->hdlr_extra = j;
	kore_task_create(&j->task, job_task);
	kore_task_bind_request(&j->task, req);
	kore_task_run(&j->task);
	return (KORE_RESULT_RETRY);
}

struct job *
adm_job_new(struct http_request *req, const struct auth_session *s,
    int (*work)(struct job *, sqlite3 *),
    void (*done)(struct http_request *, struct job *))
{
	struct job	*j;

	j = kore_calloc(1, sizeof(*j));
	j->work = work;
	j->done = done;
	adm_addr(req, j->addr, sizeof(j->addr));
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

int
adm_login_work(struct job *j, sqlite3 *db)
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

void
adm_login_done(struct http_request *req, struct job *j)
{
	char	cookie[256], to[320];

	if (j->status != 303) {
		snprintf(to, sizeof(to), "/login?error=%s", j->status == 429 ||
		    j->status == 401 ? j->msg : "unavailable");
		adm_redirect(req, to);
		return;
	}
	snprintf(cookie, sizeof(cookie), "%s=%s; Path=/; Max-Age=%lld; "
	    "HttpOnly; SameSite=Strict%s", adm.cookie, j->token,
	    (long long)(AUTH_SESSION_MAX_MS / 1000), adm.tls ? "; Secure" : "");
	sodium_memzero(j->token, sizeof(j->token));
	http_response_header(req, "set-cookie", cookie);
	sodium_memzero(cookie, sizeof(cookie));
	adm_redirect(req, "/");
}

int
adm_logout_work(struct job *j, sqlite3 *db)
{
	if (auth_session_revoke(db, j->token) == -1)
		return (-1);
	j->status = 200;
	return (auth_audit(db, clock_now_ms(), j->who, "logout", NULL,
	    j->addr));
}

void
adm_logout_done(struct http_request *req, struct job *j)
{
	char	cookie[128];
	struct kore_buf	b;

	snprintf(cookie, sizeof(cookie), "%s=; Path=/; Max-Age=0; HttpOnly; "
	    "SameSite=Strict%s", adm.cookie, adm.tls ? "; Secure" : "");
	http_response_header(req, "set-cookie", cookie);
	if (j->status != 200) {
		adm_error(req, j->status, j->msg);
		return;
	}
	kore_buf_init(&b, 32);
	kore_buf_appendf(&b, "{\"ok\":true}\n");
	adm_json(req, 200, &b);
}

/* Ask the ingest thread (worker 1) for a training: TRAIN, answered OK. */
int
adm_train_work(struct job *j, sqlite3 *db)
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
	(void)str_copy(sun.sun_path, sizeof(sun.sun_path),
	    adm.ctx.control_path);
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

void
adm_train_done(struct http_request *req, struct job *j)
{
	struct kore_buf	b;

	if (j->status != 202) {
		adm_error(req, j->status, j->msg);
		return;
	}
	kore_buf_init(&b, 64);
	kore_buf_appendf(&b, "{\"ok\":true,\"message\":");
	kbuf_str(&b, j->msg);
	adm_json_close(req, 202, &b);
}

/* Save (or reset) one validated setting and record who did it. */
int
adm_setting_work(struct job *j, sqlite3 *db)
{
	const struct override_key *e = overrides_find(j->key);
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

void
adm_setting_done(struct http_request *req, struct job *j)
{
	struct kore_buf	b;

	if (j->status != 200) {
		adm_error(req, j->status, j->msg);
		return;
	}
	/* This worker at once; the others within their next tick. */
	if (adm.ctx.apply_settings != NULL)
		adm.ctx.apply_settings();
	kore_buf_init(&b, 64);
	kore_buf_appendf(&b, "{\"ok\":true,\"key\":");
	kbuf_str(&b, j->key);
	adm_json_close(req, 200, &b);
}

