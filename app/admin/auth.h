/*
 * The admin dashboard's security pieces, with no Kore dependency: password
 * hashes (argon2id), accounts, sessions (random tokens, stored hashed,
 * expiring), CSRF tokens, login throttling and the audit trail.  Every
 * function works on the sqlite3 connection it is given (tables from
 * sql/003_admin.sql) and takes the time as an argument, so tests control
 * the clock.  Call sodium_init() once before any of them.
 */
#ifndef CINEREC_AUTH_H
#define CINEREC_AUTH_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>
#include <sodium.h>

#define AUTH_NAME_MAX		64	/* account name bytes, with the NUL */
#define AUTH_PW_MIN		8	/* shortest password accepted */
#define AUTH_PW_MAX		1024	/* longest password accepted */
#define AUTH_HASH_MAX		crypto_pwhash_STRBYTES
#define AUTH_ID_LEN		crypto_generichash_BYTES	/* 32 */
#define AUTH_KEY_LEN		crypto_auth_KEYBYTES
#define AUTH_TOKEN_BYTES	32	/* random bytes of a session token */
#define AUTH_TOKEN_MAX		64	/* a token's text (43) with the NUL */

#define AUTH_SESSION_IDLE_MS	(2LL * 3600 * 1000)	/* idle expiry */
#define AUTH_SESSION_MAX_MS	(12LL * 3600 * 1000)	/* absolute expiry */
#define AUTH_TOUCH_MS		(60LL * 1000)	/* last_seen granularity */

#define AUTH_FAIL_WINDOW_MS	(15LL * 60 * 1000)	/* sliding window */
#define AUTH_FAIL_MAX_ADDR	5	/* failures per address in the window */
#define AUTH_FAIL_MAX_ACCOUNT	10	/* failures per account in the window */

/* Results besides 0 and -1 (-1 is always a database or library error). */
#define AUTH_EXISTS		1	/* auth_admin_add: the name is taken */
#define AUTH_NOTFOUND		2	/* no such account */
#define AUTH_THROTTLED		3	/* auth_throttle_check: refuse for now */
#define AUTH_BADNAME		4	/* an account name that is not allowed */

/* A valid session, as auth_session_check found it. */
struct auth_session {
	uint8_t		id[AUTH_ID_LEN];	/* hash of the token: the key */
	int64_t		admin_id;
	char		admin[AUTH_NAME_MAX];	/* the account's name */
	int64_t		created_ms;
	int64_t		last_seen_ms;
	int64_t		expires_ms;	/* absolute */
};

/*
 * Hash pw (NUL-terminated) with crypto_pwhash_str, interactive limits, into
 * out (AUTH_HASH_MAX bytes).  Slow (~0.1 s) by design: never call it on an
 * event loop.  Returns 0, or -1 when out of memory.
 */
int	auth_hash_password(const char *pw, char *out);

/* 1 if pw matches hash, else 0 (also for a malformed hash).  Slow too. */
int	auth_verify_password(const char *hash, const char *pw);

/*
 * A password of at least AUTH_PW_MIN and at most AUTH_PW_MAX bytes?
 * Returns 0, or -1 with a reason in err.
 */
int	auth_password_ok(const char *pw, char *err, size_t errlen);

/* Account names: 1..63 of [A-Za-z0-9._-].  Returns 1 if valid, else 0. */
int	auth_name_ok(const char *name);

/*
 * Accounts.  add: AUTH_EXISTS when taken, AUTH_BADNAME.  passwd: replaces
 * the hash and revokes the account's sessions.  del: removes the account
 * and its sessions.  passwd and del return AUTH_NOTFOUND for no account.
 */
int	auth_admin_add(sqlite3 *db, const char *name, const char *hash,
	    int64_t now);
int	auth_admin_passwd(sqlite3 *db, const char *name, const char *hash,
	    int64_t now);
int	auth_admin_del(sqlite3 *db, const char *name);

/* Accounts that exist; -1 on error. */
int64_t	auth_admin_count(sqlite3 *db);

/*
 * Look up an account: its id and password hash (hashsz >= AUTH_HASH_MAX).
 * Returns 0, AUTH_NOTFOUND or -1.
 */
int	auth_admin_get(sqlite3 *db, const char *name, int64_t *id,
	    char *hash, size_t hashsz);

/*
 * Start a session for admin_id: a fresh random token into token
 * (AUTH_TOKEN_MAX bytes, base64url, for the cookie); only its hash is
 * stored.  Also records the login time on the account.  Returns 0 or -1.
 */
int	auth_session_create(sqlite3 *db, int64_t admin_id, const char *addr,
	    int64_t now, char *token);

/*
 * The session of token at time now: 1 and *s filled when it exists and has
 * expired neither by idle time nor absolutely; 0 otherwise (malformed,
 * unknown, revoked, expired); -1 on error.  Reads only.
 */
int	auth_session_check(sqlite3 *db, const char *token, int64_t now,
	    struct auth_session *s);

/*
 * Record activity: last_seen becomes now when it is AUTH_TOUCH_MS old or
 * older (so most requests write nothing).  Returns 1 if written, 0 if not
 * needed, -1 on error (SQLITE_BUSY included: the caller may retry later).
 */
int	auth_session_touch(sqlite3 *db, const struct auth_session *s,
	    int64_t now);

/* Revoke (delete) the session of token.  Returns 0 (also if none) or -1. */
int	auth_session_revoke(sqlite3 *db, const char *token);

/* Delete every expired session.  Returns the number deleted, or -1. */
int	auth_session_purge(sqlite3 *db, int64_t now);

/*
 * The server's CSRF key into key (AUTH_KEY_LEN bytes): read from the
 * database, created at random the first time (any number of processes may
 * race; all end up with the same key).  Returns 0 or -1.
 */
int	auth_key_load(sqlite3 *db, uint8_t *key);

/*
 * The CSRF token of a session (HMAC-SHA-512-256 of its id under key), as
 * base64url text into out (AUTH_TOKEN_MAX bytes).  Cannot fail.
 */
void	auth_csrf_token(const uint8_t *key, const uint8_t *sid, char *out);

/* 1 if token is the CSRF token of session sid (constant time), else 0. */
int	auth_csrf_check(const uint8_t *key, const uint8_t *sid,
	    const char *token);

/*
 * May addr try to log in to account at now?  0 when allowed; AUTH_THROTTLED
 * when addr has AUTH_FAIL_MAX_ADDR failures or account has
 * AUTH_FAIL_MAX_ACCOUNT failures within the last AUTH_FAIL_WINDOW_MS; -1 on
 * error.  *retry_ms (may be NULL) gets how long until the next try is
 * allowed (0 when allowed).
 */
int	auth_throttle_check(sqlite3 *db, const char *addr, const char *account,
	    int64_t now, int64_t *retry_ms);

/*
 * Record a login outcome: a failure counts against addr and account; a
 * success clears the earlier failures of the same party only (that address
 * on that account), never another address's or another account's.  Rows
 * older than the window are pruned.  Returns 0 or -1.
 */
int	auth_attempt_record(sqlite3 *db, const char *addr, const char *account,
	    int ok, int64_t now);

/*
 * Start a login attempt, atomically: in one write transaction, check the
 * throttle (as auth_throttle_check) and, when allowed, record the attempt
 * as a failure in advance, so parallel attempts each count before any
 * password is verified.  Returns 0 with *attempt set (pass it to
 * auth_attempt_end), AUTH_THROTTLED with *retry_ms (nothing recorded), or
 * -1 on error.
 */
int	auth_attempt_begin(sqlite3 *db, const char *addr, const char *account,
	    int64_t now, int64_t *attempt, int64_t *retry_ms);

/*
 * End attempt (from auth_attempt_begin): a failure stays recorded; a
 * success removes it and the earlier failures of the same address on the
 * same account.  Returns 0 or -1.
 */
int	auth_attempt_end(sqlite3 *db, int64_t attempt, const char *addr,
	    const char *account, int ok);

/*
 * Append to the audit trail (addr and detail may be NULL; detail must not
 * hold a secret).  Returns 0 or -1.
 */
int	auth_audit(sqlite3 *db, int64_t now, const char *who,
	    const char *action, const char *detail, const char *addr);

#endif
