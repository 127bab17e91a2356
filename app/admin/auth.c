/*
 * The admin dashboard's security pieces (see auth.h): argon2id password
 * hashes, accounts, hashed session tokens with idle and absolute expiry,
 * HMAC CSRF tokens, login throttling over a sliding window, and the audit
 * trail, all on a caller-given SQLite connection and clock.
 */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "admin/auth.h"
#include "store/sql.h"
#include "util/log.h"

/* Prepare sql; returns the statement or NULL (logged). */
static sqlite3_stmt *
prep(sqlite3 *db, const char *sql, const char *fn)
{
	sqlite3_stmt	*st;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		log_warnx("%s: %s", fn, sqlite3_errmsg(db));
		return (NULL);
	}
	return (st);
}

int
auth_hash_password(const char *pw, char *out)
{
	if (crypto_pwhash_str(out, pw, strlen(pw),
	    crypto_pwhash_OPSLIMIT_INTERACTIVE,
	    crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
		log_warnx("%s: out of memory", __func__);
		return (-1);
	}
	return (0);
}

int
auth_verify_password(const char *hash, const char *pw)
{
	if (hash == NULL || *hash == '\0' ||
	    strnlen(hash, AUTH_HASH_MAX) == AUTH_HASH_MAX)
		return (0);
	return (crypto_pwhash_str_verify(hash, pw, strlen(pw)) == 0);
}

int
auth_password_ok(const char *pw, char *err, size_t errlen)
{
	size_t	len = strlen(pw);

	if (len < AUTH_PW_MIN) {
		snprintf(err, errlen, "a password needs at least %d characters",
		    AUTH_PW_MIN);
		return (-1);
	}
	if (len > AUTH_PW_MAX) {
		snprintf(err, errlen, "a password has at most %d bytes",
		    AUTH_PW_MAX);
		return (-1);
	}
	return (0);
}

int
auth_name_ok(const char *name)
{
	size_t	len = strlen(name);

	return (len > 0 && len < AUTH_NAME_MAX &&
	    strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789._-") == len);
}

int
auth_admin_add(sqlite3 *db, const char *name, const char *hash, int64_t now)
{
	sqlite3_stmt	*st;
	int		 rc;

	if (!auth_name_ok(name))
		return (AUTH_BADNAME);
	if ((st = prep(db, "INSERT INTO admins (name, pwhash, created_ms, "
	    "pw_changed_ms) VALUES (?1, ?2, ?3, ?3)", __func__)) == NULL)
		return (-1);
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, hash, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, now);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc == SQLITE_CONSTRAINT)
		return (AUTH_EXISTS);
	if (rc != SQLITE_DONE) {
		log_warnx("%s: %s", __func__, sqlite3_errmsg(db));
		return (-1);
	}
	return (0);
}

/* Delete the sessions of the account named name.  0 or -1. */
static int
revoke_all(sqlite3 *db, const char *name)
{
	return (sql_exec(db, __func__, "DELETE FROM sessions WHERE admin_id IN "
	    "(SELECT id FROM admins WHERE name = ?1)", "t", name));
}

int
auth_admin_passwd(sqlite3 *db, const char *name, const char *hash,
    int64_t now)
{
	if (sql_exec(db, __func__,
	    "UPDATE admins SET pwhash = ?2, pw_changed_ms = ?3 "
	    "WHERE name = ?1", "ttI", name, hash, now) == -1)
		return (-1);
	if (sqlite3_changes(db) == 0)
		return (AUTH_NOTFOUND);
	return (revoke_all(db, name));
}

int
auth_admin_del(sqlite3 *db, const char *name)
{
	if (revoke_all(db, name) == -1)
		return (-1);
	if (sql_exec(db, __func__,
	    "DELETE FROM admins WHERE name = ?1", "t", name) == -1)
		return (-1);
	return (sqlite3_changes(db) == 0 ? AUTH_NOTFOUND : 0);
}

int64_t
auth_admin_count(sqlite3 *db)
{
	sqlite3_stmt	*st;
	int64_t		 n = -1;

	if ((st = prep(db, "SELECT COUNT(*) FROM admins", __func__)) == NULL)
		return (-1);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	else
		log_warnx("%s: %s", __func__, sqlite3_errmsg(db));
	sqlite3_finalize(st);
	return (n);
}

int
auth_admin_get(sqlite3 *db, const char *name, int64_t *id, char *hash,
    size_t hashsz)
{
	sqlite3_stmt	*st;
	int		 rc;

	if ((st = prep(db, "SELECT id, pwhash FROM admins WHERE name = ?1",
	    __func__)) == NULL)
		return (-1);
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*id = sqlite3_column_int64(st, 0);
		snprintf(hash, hashsz, "%s",
		    (const char *)sqlite3_column_text(st, 1));
	}
	sqlite3_finalize(st);
	if (rc == SQLITE_ROW)
		return (0);
	if (rc == SQLITE_DONE)
		return (AUTH_NOTFOUND);
	log_warnx("%s: %s", __func__, sqlite3_errmsg(db));
	return (-1);
}

/* The stored id of a token: 0, or -1 when the token is malformed. */
static int
token_id(const char *token, uint8_t *id)
{
	uint8_t	raw[AUTH_TOKEN_BYTES];
	size_t	len;

	if (token == NULL || strlen(token) !=
	    sodium_base64_ENCODED_LEN(AUTH_TOKEN_BYTES,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING) - 1)
		return (-1);
	if (sodium_base642bin(raw, sizeof(raw), token, strlen(token), NULL,
	    &len, NULL, sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
	    len != sizeof(raw))
		return (-1);
	crypto_generichash(id, AUTH_ID_LEN, raw, sizeof(raw), NULL, 0);
	sodium_memzero(raw, sizeof(raw));
	return (0);
}

int
auth_session_create(sqlite3 *db, int64_t admin_id, const char *addr,
    int64_t now, char *token)
{
	uint8_t		 raw[AUTH_TOKEN_BYTES], id[AUTH_ID_LEN];

	randombytes_buf(raw, sizeof(raw));
	sodium_bin2base64(token, AUTH_TOKEN_MAX, raw, sizeof(raw),
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	crypto_generichash(id, sizeof(id), raw, sizeof(raw), NULL, 0);
	sodium_memzero(raw, sizeof(raw));
	if (sql_exec(db, __func__, "INSERT INTO sessions (id_hash, admin_id, "
	    "created_ms, last_seen_ms, expires_ms, addr) "
	    "VALUES (?1, ?2, ?3, ?3, ?4, ?5)", "bIIIt", id, (int)sizeof(id),
	    admin_id, now, now + AUTH_SESSION_MAX_MS, addr) == -1)
		goto fail;
	if (sql_exec(db, __func__,
	    "UPDATE admins SET last_login_ms = ?2 WHERE id = ?1",
	    "II", admin_id, now) == -1)
		goto fail;
	return (0);

fail:
	sodium_memzero(token, AUTH_TOKEN_MAX);
	return (-1);
}

int
auth_session_check(sqlite3 *db, const char *token, int64_t now,
    struct auth_session *s)
{
	sqlite3_stmt	*st;
	int		 rc, valid = 0;

	memset(s, 0, sizeof(*s));
	if (token_id(token, s->id) == -1)
		return (0);
	if ((st = prep(db, "SELECT s.admin_id, a.name, s.created_ms, "
	    "s.last_seen_ms, s.expires_ms FROM sessions s "
	    "JOIN admins a ON a.id = s.admin_id WHERE s.id_hash = ?1",
	    __func__)) == NULL)
		return (-1);
	sqlite3_bind_blob(st, 1, s->id, sizeof(s->id), SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		s->admin_id = sqlite3_column_int64(st, 0);
		snprintf(s->admin, sizeof(s->admin), "%s",
		    (const char *)sqlite3_column_text(st, 1));
		s->created_ms = sqlite3_column_int64(st, 2);
		s->last_seen_ms = sqlite3_column_int64(st, 3);
		s->expires_ms = sqlite3_column_int64(st, 4);
		valid = now < s->expires_ms &&
		    now < s->last_seen_ms + AUTH_SESSION_IDLE_MS;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		log_warnx("%s: %s", __func__, sqlite3_errmsg(db));
		return (-1);
	}
	if (!valid) {
		memset(s, 0, sizeof(*s));
		return (0);
	}
	return (1);
}

int
auth_session_touch(sqlite3 *db, const struct auth_session *s, int64_t now)
{
	sqlite3_stmt	*st;
	int		 rc;

	if (now - s->last_seen_ms < AUTH_TOUCH_MS)
		return (0);
	if ((st = prep(db, "UPDATE sessions SET last_seen_ms = ?2 "
	    "WHERE id_hash = ?1", __func__)) == NULL)
		return (-1);
	sqlite3_bind_blob(st, 1, s->id, sizeof(s->id), SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, now);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	/* Busy is expected now and then (the ingest writes): no noise. */
	if (rc != SQLITE_DONE)
		return (-1);
	return (1);
}

int
auth_session_revoke(sqlite3 *db, const char *token)
{
	uint8_t		 id[AUTH_ID_LEN];

	if (token_id(token, id) == -1)
		return (0);
	return (sql_exec(db, __func__,
	    "DELETE FROM sessions WHERE id_hash = ?1",
	    "b", id, (int)sizeof(id)));
}

int
auth_session_purge(sqlite3 *db, int64_t now)
{
	if (sql_exec(db, __func__,
	    "DELETE FROM sessions WHERE expires_ms <= ?1 OR "
	    "last_seen_ms + ?2 <= ?1", "II", now, AUTH_SESSION_IDLE_MS) == -1)
		return (-1);
	return (sqlite3_changes(db));
}

int
auth_key_load(sqlite3 *db, uint8_t *key)
{
	sqlite3_stmt	*st;
	uint8_t		 fresh[AUTH_KEY_LEN];
	int		 rc, ok = 0;

	/* The first process to get here wins; the others keep its key. */
	crypto_auth_keygen(fresh);
	if (sql_exec(db, __func__, "INSERT OR IGNORE INTO admin_keys VALUES "
	    "('csrf', ?1)", "b", fresh, (int)sizeof(fresh)) == -1)
		goto out;
	if ((st = prep(db, "SELECT value FROM admin_keys WHERE name = 'csrf'",
	    __func__)) == NULL)
		goto out;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && sqlite3_column_bytes(st, 0) == AUTH_KEY_LEN) {
		memcpy(key, sqlite3_column_blob(st, 0), AUTH_KEY_LEN);
		ok = 1;
	} else
		log_warnx("%s: no usable key", __func__);
	sqlite3_finalize(st);
out:
	sodium_memzero(fresh, sizeof(fresh));
	return (ok ? 0 : -1);
}

void
auth_csrf_token(const uint8_t *key, const uint8_t *sid, char *out)
{
	uint8_t	mac[crypto_auth_BYTES];

	crypto_auth(mac, sid, AUTH_ID_LEN, key);
	sodium_bin2base64(out, AUTH_TOKEN_MAX, mac, sizeof(mac),
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

int
auth_csrf_check(const uint8_t *key, const uint8_t *sid, const char *token)
{
	uint8_t	mac[crypto_auth_BYTES];
	size_t	len;

	if (token == NULL || strlen(token) != sodium_base64_ENCODED_LEN(
	    sizeof(mac), sodium_base64_VARIANT_URLSAFE_NO_PADDING) - 1)
		return (0);
	if (sodium_base642bin(mac, sizeof(mac), token, strlen(token), NULL,
	    &len, NULL, sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
	    len != sizeof(mac))
		return (0);
	return (crypto_auth_verify(mac, sid, AUTH_ID_LEN, key) == 0);
}

/*
 * Failures of one kind (column col = value) in the window: their count, and
 * the time of the oldest one that keeps the count at limit or above.
 */
static int
failures(sqlite3 *db, const char *sql, const char *value, int64_t now,
    int limit, int64_t *until)
{
	sqlite3_stmt	*st;
	int64_t		 n = 0;
	int		 rc;

	*until = 0;
	if ((st = prep(db, sql, __func__)) == NULL)
		return (-1);
	sqlite3_bind_text(st, 1, value, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, now - AUTH_FAIL_WINDOW_MS);
	/* Newest first: the limit-th newest failure is the one to outlive. */
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (++n == limit)
			*until = sqlite3_column_int64(st, 0) +
			    AUTH_FAIL_WINDOW_MS;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		log_warnx("%s: %s", __func__, sqlite3_errmsg(db));
		return (-1);
	}
	return (n >= limit);
}

/* The throttle's verdict at now (see auth_throttle_check). */
static int
throttled(sqlite3 *db, const char *addr, const char *account, int64_t now,
    int64_t *retry_ms)
{
	int64_t	u1, u2, until;
	int	by_addr, by_account;

	if ((by_addr = failures(db, "SELECT ts FROM login_attempts "
	    "WHERE addr = ?1 AND ts > ?2 ORDER BY ts DESC", addr, now,
	    AUTH_FAIL_MAX_ADDR, &u1)) == -1 ||
	    (by_account = failures(db, "SELECT ts FROM login_attempts "
	    "WHERE account = ?1 AND ts > ?2 ORDER BY ts DESC", account, now,
	    AUTH_FAIL_MAX_ACCOUNT, &u2)) == -1)
		return (-1);
	until = u1 > u2 ? u1 : u2;
	if (retry_ms != NULL)
		*retry_ms = by_addr || by_account ? until - now : 0;
	return (by_addr || by_account ? AUTH_THROTTLED : 0);
}

int
auth_throttle_check(sqlite3 *db, const char *addr, const char *account,
    int64_t now, int64_t *retry_ms)
{
	return (throttled(db, addr, account, now, retry_ms));
}

/* Drop rows older than the window.  0 or -1. */
static int
prune(sqlite3 *db, int64_t now)
{
	return (sql_exec(db, __func__,
	    "DELETE FROM login_attempts WHERE ts <= ?1",
	    "I", now - AUTH_FAIL_WINDOW_MS));
}

/* A failure of addr on account at now; its row id into *id.  0 or -1. */
static int
record_failure(sqlite3 *db, const char *addr, const char *account,
    int64_t now, int64_t *id)
{
	if (sql_exec(db, __func__,
	    "INSERT INTO login_attempts (ts, addr, account) "
	    "VALUES (?3, ?1, ?2)", "ttI", addr, account, now) == -1)
		return (-1);
	if (id != NULL)
		*id = sqlite3_last_insert_rowid(db);
	return (0);
}

/* A success: forget the failures of this address on this account. */
static int
clear_party(sqlite3 *db, const char *addr, const char *account)
{
	return (sql_exec(db, __func__,
	    "DELETE FROM login_attempts WHERE addr = ?1 AND "
	    "account = ?2", "tt", addr, account));
}

int
auth_attempt_record(sqlite3 *db, const char *addr, const char *account,
    int ok, int64_t now)
{
	if (prune(db, now) == -1)
		return (-1);
	return (ok ? clear_party(db, addr, account) :
	    record_failure(db, addr, account, now, NULL));
}

static int
exec(sqlite3 *db, const char *sql, const char *fn)
{
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK) {
		log_warnx("%s: %s: %s", fn, sql, sqlite3_errmsg(db));
		return (-1);
	}
	return (0);
}

int
auth_attempt_begin(sqlite3 *db, const char *addr, const char *account,
    int64_t now, int64_t *attempt, int64_t *retry_ms)
{
	int	rc;

	*attempt = 0;
	/* IMMEDIATE: the check and the record are one step for everyone. */
	if (exec(db, "BEGIN IMMEDIATE", __func__) == -1)
		return (-1);
	if (prune(db, now) == -1 ||
	    (rc = throttled(db, addr, account, now, retry_ms)) == -1 ||
	    (rc == 0 && record_failure(db, addr, account, now,
	    attempt) == -1)) {
		(void)exec(db, "ROLLBACK", __func__);
		return (-1);
	}
	if (exec(db, "COMMIT", __func__) == -1) {
		(void)exec(db, "ROLLBACK", __func__);
		return (-1);
	}
	return (rc);
}

int
auth_attempt_end(sqlite3 *db, int64_t attempt, const char *addr,
    const char *account, int ok)
{
	if (!ok)
		return (0);
	if (sql_exec(db, __func__,
	    "DELETE FROM login_attempts WHERE id = ?1", "I", attempt) == -1)
		return (-1);
	return (clear_party(db, addr, account));
}

int
auth_audit(sqlite3 *db, int64_t now, const char *who, const char *action,
    const char *detail, const char *addr)
{
	return (sql_exec(db, __func__,
	    "INSERT INTO audit (ts, who, action, detail, addr) "
	    "VALUES (?1, ?2, ?3, ?4, ?5)",
	    "Itttt", now, who, action, detail, addr));
}
