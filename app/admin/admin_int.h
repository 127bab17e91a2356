/*
 * The admin dashboard's insides, shared by its files: the listener and the
 * worker's state (admin.c), the answers (reply.c), the actions that run in
 * Kore tasks (jobs.c), the pages and the JSON API (api.c).  Nothing
 * outside admin/ includes this.
 */
#ifndef CINEREC_ADMIN_INT_H
#define CINEREC_ADMIN_INT_H

#include <stddef.h>
#include <stdint.h>

#include <kore/kore.h>
#include <kore/http.h>
#include <kore/tasks.h>

#include <openssl/ssl.h>
#include <sqlite3.h>

#include "admin/admin.h"
#include "admin/auth.h"
#include "store/store.h"

#define ASSET_DIR	"assets/admin/"
#define BODY_MAX	8192		/* largest admin request body */
#define ADDR_MAX	64		/* a client address as text */
#define SOCK_TIMEOUT_S	10		/* the control socket, for TRAIN */
#define DB_BUSY_TASK_MS	5000		/* tasks may wait for the write lock */
#define ROWS_MAX	200		/* rows in one JSON list at most */

#define CSP	"default-src 'self'; script-src 'self'; style-src 'self'; " \
		"img-src 'self' data:; connect-src 'self'; " \
		"frame-ancestors 'none'; base-uri 'none'; form-action 'self'"

/*
 * This process's admin state.  In a worker, db is its own connection in
 * autocommit mode (every read sees the latest commit); on the event loop
 * it never waits for a lock (busy timeout 0): a session's touch that
 * meets a busy database is skipped, every other write runs in a task.
 */
struct admin_state {
	struct admin_ctx	 ctx;		/* what the server lends it */
	sqlite3			*db;		/* worker: the admin connection */
	uint8_t			 key[AUTH_KEY_LEN];	/* CSRF HMAC key */
	int			 tls;		/* the listener has TLS */
	const char		*cookie;	/* the session cookie's name */
	int64_t			 purge_ms;	/* next purge of expired sessions */
	EVP_PKEY		*pkey;		/* TLS: the private key */
	SSL_CTX			*tls_ctx;	/* TLS: the context given it */
};

extern struct admin_state	adm;

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
	int			 role;			/* 0: admin, else its role */
	int64_t			 id;			/* a version or experiment */
	char			 text[512];		/* lifecycle.c's inputs */
};

/* reply.c: answers and the pieces of requests. */
/* A connection with role (STORE_ROLE_ADMIN, or _MODELS for lifecycle.c). */
int	adm_db_open(const char *data_dir, int busy_ms, int role,
	    sqlite3 **db);
void	adm_reply(struct http_request *req, int status, const char *type,
	    const void *data, size_t len);
/* Answer b as JSON and free it; _close ends its object ("}\n") first. */
void	adm_json(struct http_request *req, int status,
	    struct kore_buf *b);
void	adm_json_close(struct http_request *req, int status,
	    struct kore_buf *b);
void	adm_error(struct http_request *req, int status,
	    const char *msg);
void	adm_redirect(struct http_request *req, const char *to);
void	adm_addr(struct http_request *req, char *out, size_t sz);
int	adm_same_origin(struct http_request *req);
int	adm_body(struct http_request *req, char *buf, size_t sz);
int	adm_form(const char *body, const char *name, char *out,
	    size_t sz);
const char *adm_cookie(struct http_request *req);
int	adm_rows(struct kore_buf *b, const char *sql, const int64_t *p1,
	    int one);

/* A member of a JSON answer: ",\"name\":" and adm_rows(sql, one). */
struct adm_member {
	const char	*name;
	const char	*sql;
	int		 one;
};
void	adm_members(struct kore_buf *b, const struct adm_member *m,
	    size_t n);
int64_t	adm_int(const char *sql, int64_t def);

/* jobs.c: an action handed to a task; the request sleeps until done. */
struct job	*adm_job_new(struct http_request *req,
		    const struct auth_session *s,
		    int (*work)(struct job *, sqlite3 *),
		    void (*done)(struct http_request *, struct job *));
int	adm_job_start(struct http_request *req, struct job *j);
int	adm_login_work(struct job *j, sqlite3 *db);
void	adm_login_done(struct http_request *req, struct job *j);
int	adm_logout_work(struct job *j, sqlite3 *db);
void	adm_logout_done(struct http_request *req, struct job *j);
int	adm_train_work(struct job *j, sqlite3 *db);
void	adm_train_done(struct http_request *req, struct job *j);
int	adm_setting_work(struct job *j, sqlite3 *db);
void	adm_setting_done(struct http_request *req, struct job *j);

/* lifecycle.c: model versions and experiments. */
int	adm_models(struct http_request *req, const struct auth_session *s);
int	adm_train(struct http_request *req, const struct auth_session *s);
int	adm_model_action(struct http_request *req,
	    const struct auth_session *s);
int	adm_experiments(struct http_request *req,
	    const struct auth_session *s);
int	adm_experiment_start(struct http_request *req,
	    const struct auth_session *s);
int	adm_experiment_stop(struct http_request *req,
	    const struct auth_session *s);
int	adm_withdraw(struct http_request *req, const struct auth_session *s);
int	adm_withdrawn(struct http_request *req, const struct auth_session *s);

#endif
