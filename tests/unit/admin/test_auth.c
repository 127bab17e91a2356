/*
 * Unit tests for app/admin/auth.c: password hashes, account names and accounts,
 * session tokens (stored hashed, idle and absolute expiry, revocation),
 * CSRF tokens, login throttling per address and per account over the
 * sliding window, and the audit trail.  Each test gets a fresh database
 * migrated by store_open; the clock is the tests' own.
 */
#include <criterion/criterion.h>

#include "harness.h"
#include "scratch.h"

#include <sys/stat.h>

#include <ftw.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "admin/auth.h"
#include "store/store.h"

#define T0	1767225600000LL		/* 2026-01-01T00:00:00Z */

static struct store	st;
static sqlite3		*db;


static void
setup(void)
{
	cr_assert_geq(sodium_init(), 0);
	h_scratch_setup();
	cr_assert_eq(store_open(&st, h_dir, STORE_CREATE), 0);
	db = st.db;
}

static void
teardown(void)
{
	store_close(&st);
	h_scratch_teardown();
}

TestSuite(auth, .init = setup, .fini = teardown, .timeout = 60);

/* An account with a cheap fake hash (hashing is tested on its own). */
static int64_t
account(const char *name)
{
	char	hash[AUTH_HASH_MAX];
	int64_t	id;

	cr_assert_eq(auth_admin_add(db, name, "$fake$", T0), 0);
	cr_assert_eq(auth_admin_get(db, name, &id, hash, sizeof(hash)), 0);
	return (id);
}

static int64_t
count(const char *sql)
{
	sqlite3_stmt	*s;
	int64_t		 n;

	cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
	cr_assert_eq(sqlite3_step(s), SQLITE_ROW);
	n = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return (n);
}

Test(auth, hash_verify)
{
	char	h[AUTH_HASH_MAX], h2[AUTH_HASH_MAX];

	cr_assert_eq(auth_hash_password("correct horse battery", h), 0);
	cr_assert_eq(strncmp(h, "$argon2id$", 10), 0, "%s", h);
	cr_assert_eq(auth_verify_password(h, "correct horse battery"), 1);
	cr_assert_eq(auth_verify_password(h, "correct horse batterz"), 0);
	cr_assert_eq(auth_verify_password(h, ""), 0);
	/* Salted: the same password hashes differently each time. */
	cr_assert_eq(auth_hash_password("correct horse battery", h2), 0);
	cr_assert_str_neq(h, h2);
	cr_assert_eq(auth_verify_password(h2, "correct horse battery"), 1);
	/* Malformed or empty hashes never match. */
	cr_assert_eq(auth_verify_password("", "x"), 0);
	cr_assert_eq(auth_verify_password("$argon2id$garbage", "x"), 0);
	cr_assert_eq(auth_verify_password(NULL, "x"), 0);
}

Test(auth, password_and_name_rules)
{
	static const struct {
		const char	*name;
		int		 ok;
	} names[] = {
		{ "admin", 1 },
		{ "ops.team-2_x", 1 },
		{ "", 0 },
		{ "a b", 0 },
		{ "<script>", 0 },
		{ "0123456789012345678901234567890123456789"
		    "012345678901234567890123", 0 },
	};
	char	err[128], big[AUTH_PW_MAX + 2];
	size_t	i;

	cr_assert_eq(auth_password_ok("1234567", err, sizeof(err)), -1);
	cr_assert_eq(auth_password_ok("12345678", err, sizeof(err)), 0);
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	cr_assert_eq(auth_password_ok(big, err, sizeof(err)), -1);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		cr_assert_eq(auth_name_ok(names[i].name), names[i].ok, "'%s'",
		    names[i].name);
}

Test(auth, accounts)
{
	char	hash[AUTH_HASH_MAX], tok[AUTH_TOKEN_MAX];
	struct auth_session s;
	int64_t	id;

	cr_assert_eq(auth_admin_count(db), 0);
	cr_assert_eq(auth_admin_add(db, "alice", "$h1$", T0), 0);
	cr_assert_eq(auth_admin_add(db, "alice", "$h2$", T0), AUTH_EXISTS);
	cr_assert_eq(auth_admin_add(db, "bad name", "$h$", T0), AUTH_BADNAME);
	cr_assert_eq(auth_admin_count(db), 1);
	cr_assert_eq(auth_admin_get(db, "alice", &id, hash, sizeof(hash)), 0);
	cr_assert_str_eq(hash, "$h1$");
	cr_assert_eq(auth_admin_get(db, "bob", &id, hash, sizeof(hash)),
	    AUTH_NOTFOUND);

	/* A new password revokes the account's sessions. */
	cr_assert_eq(auth_session_create(db, id, "127.0.0.1", T0, tok), 0);
	cr_assert_eq(auth_session_check(db, tok, T0 + 1, &s), 1);
	cr_assert_eq(auth_admin_passwd(db, "alice", "$h3$", T0 + 2), 0);
	cr_assert_eq(auth_session_check(db, tok, T0 + 3, &s), 0);
	cr_assert_eq(auth_admin_get(db, "alice", &id, hash, sizeof(hash)), 0);
	cr_assert_str_eq(hash, "$h3$");
	cr_assert_eq(auth_admin_passwd(db, "bob", "$h$", T0), AUTH_NOTFOUND);

	/* Deleting an account ends its sessions too. */
	cr_assert_eq(auth_session_create(db, id, "127.0.0.1", T0, tok), 0);
	cr_assert_eq(auth_admin_del(db, "alice"), 0);
	cr_assert_eq(auth_session_check(db, tok, T0 + 1, &s), 0);
	cr_assert_eq(count("SELECT COUNT(*) FROM sessions"), 0);
	cr_assert_eq(auth_admin_del(db, "alice"), AUTH_NOTFOUND);
	cr_assert_eq(auth_admin_count(db), 0);
}

Test(auth, session_token_stored_hashed)
{
	char		 tok[AUTH_TOKEN_MAX], tok2[AUTH_TOKEN_MAX];
	struct auth_session s;
	sqlite3_stmt	*q;
	uint8_t		 raw[64];
	size_t		 len;
	int64_t		 id = account("alice");

	cr_assert_eq(auth_session_create(db, id, "10.0.0.1", T0, tok), 0);
	cr_assert_eq(auth_session_create(db, id, "10.0.0.1", T0, tok2), 0);
	/* 32 random bytes, base64url without padding: 43 characters. */
	cr_assert_eq(strlen(tok), 43);
	cr_assert_eq(strspn(tok, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop"
	    "qrstuvwxyz0123456789-_"), 43);
	cr_assert_str_neq(tok, tok2);
	cr_assert_eq(sodium_base642bin(raw, sizeof(raw), tok, strlen(tok),
	    NULL, &len, NULL, sodium_base64_VARIANT_URLSAFE_NO_PADDING), 0);
	cr_assert_eq(len, 32);
	/* The table holds neither the token text nor its bytes. */
	cr_assert_eq(sqlite3_prepare_v2(db, "SELECT id_hash FROM sessions",
	    -1, &q, NULL), SQLITE_OK);
	while (sqlite3_step(q) == SQLITE_ROW) {
		cr_assert_eq(sqlite3_column_bytes(q, 0), AUTH_ID_LEN);
		cr_assert_neq(memcmp(sqlite3_column_blob(q, 0), raw, 32), 0);
	}
	sqlite3_finalize(q);
	cr_assert_eq(auth_session_check(db, tok, T0, &s), 1);
	cr_assert_eq(s.admin_id, id);
	cr_assert_str_eq(s.admin, "alice");
	cr_assert_eq(s.expires_ms, T0 + AUTH_SESSION_MAX_MS);
	/* Malformed, truncated, altered and unknown tokens. */
	cr_assert_eq(auth_session_check(db, NULL, T0, &s), 0);
	cr_assert_eq(auth_session_check(db, "", T0, &s), 0);
	cr_assert_eq(auth_session_check(db, "not a token", T0, &s), 0);
	tok2[42] = '\0';
	cr_assert_eq(auth_session_check(db, tok2, T0, &s), 0);
	tok2[42] = tok2[0] == 'A' ? 'B' : 'A';
	tok2[0] = tok2[0] == 'A' ? 'B' : 'A';
	cr_assert_eq(auth_session_check(db, tok2, T0, &s), 0);
	cr_assert_eq(auth_session_check(db,
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", T0, &s), 0);
}

Test(auth, session_expiry)
{
	char		tok[AUTH_TOKEN_MAX];
	struct auth_session s;
	int64_t		id = account("alice"), t;

	cr_assert_eq(auth_session_create(db, id, "10.0.0.1", T0, tok), 0);
	/* Idle expiry: valid until last_seen + idle, not at it. */
	cr_assert_eq(auth_session_check(db, tok, T0 + AUTH_SESSION_IDLE_MS - 1,
	    &s), 1);
	cr_assert_eq(auth_session_check(db, tok, T0 + AUTH_SESSION_IDLE_MS,
	    &s), 0);
	cr_assert_eq(s.admin_id, 0, "an invalid session leaves s empty");

	/* A touch within AUTH_TOUCH_MS writes nothing; later it slides. */
	cr_assert_eq(auth_session_check(db, tok, T0 + 10, &s), 1);
	cr_assert_eq(auth_session_touch(db, &s, T0 + 10), 0);
	cr_assert_eq(auth_session_touch(db, &s, T0 + AUTH_TOUCH_MS), 1);
	cr_assert_eq(auth_session_check(db, tok, T0 + AUTH_SESSION_IDLE_MS,
	    &s), 1);

	/* Absolute expiry holds however active the session is. */
	for (t = T0; t < T0 + AUTH_SESSION_MAX_MS; t += AUTH_SESSION_IDLE_MS / 2) {
		cr_assert_eq(auth_session_check(db, tok, t, &s), 1,
		    "at +%lld ms", (long long)(t - T0));
		cr_assert_geq(auth_session_touch(db, &s, t), 0);
	}
	cr_assert_eq(auth_session_check(db, tok, T0 + AUTH_SESSION_MAX_MS - 1,
	    &s), 1);
	cr_assert_eq(auth_session_check(db, tok, T0 + AUTH_SESSION_MAX_MS,
	    &s), 0);

	/* Purge removes exactly the expired ones. */
	cr_assert_eq(auth_session_create(db, id, "10.0.0.1",
	    T0 + AUTH_SESSION_MAX_MS, tok), 0);
	cr_assert_eq(auth_session_purge(db, T0 + AUTH_SESSION_MAX_MS), 1);
	cr_assert_eq(count("SELECT COUNT(*) FROM sessions"), 1);
	cr_assert_eq(auth_session_check(db, tok, T0 + AUTH_SESSION_MAX_MS,
	    &s), 1);
}

Test(auth, session_revoke)
{
	char		a[AUTH_TOKEN_MAX], b[AUTH_TOKEN_MAX];
	struct auth_session s;
	int64_t		id = account("alice");

	cr_assert_eq(auth_session_create(db, id, "10.0.0.1", T0, a), 0);
	cr_assert_eq(auth_session_create(db, id, "10.0.0.2", T0, b), 0);
	cr_assert_eq(auth_session_revoke(db, a), 0);
	cr_assert_eq(auth_session_check(db, a, T0, &s), 0);
	cr_assert_eq(auth_session_check(db, b, T0, &s), 1, "only a is gone");
	cr_assert_eq(auth_session_revoke(db, a), 0, "twice is harmless");
	cr_assert_eq(auth_session_revoke(db, "garbage"), 0);
}

Test(auth, csrf)
{
	uint8_t		key[AUTH_KEY_LEN], key2[AUTH_KEY_LEN], other[AUTH_KEY_LEN];
	char		tok[AUTH_TOKEN_MAX], t1[AUTH_TOKEN_MAX], t2[AUTH_TOKEN_MAX];
	struct auth_session s1, s2;
	int64_t		id = account("alice");

	cr_assert_eq(auth_key_load(db, key), 0);
	cr_assert_eq(auth_key_load(db, key2), 0);
	cr_assert_eq(memcmp(key, key2, sizeof(key)), 0, "the key is kept");
	cr_assert_eq(auth_session_create(db, id, "10.0.0.1", T0, tok), 0);
	cr_assert_eq(auth_session_check(db, tok, T0, &s1), 1);
	cr_assert_eq(auth_session_create(db, id, "10.0.0.1", T0, tok), 0);
	cr_assert_eq(auth_session_check(db, tok, T0, &s2), 1);

	auth_csrf_token(key, s1.id, t1);
	auth_csrf_token(key, s2.id, t2);
	cr_assert_str_neq(t1, t2);
	cr_assert_eq(auth_csrf_check(key, s1.id, t1), 1);
	cr_assert_eq(auth_csrf_check(key, s2.id, t2), 1);
	/* Another session's token, a missing, empty or altered one. */
	cr_assert_eq(auth_csrf_check(key, s1.id, t2), 0);
	cr_assert_eq(auth_csrf_check(key, s1.id, NULL), 0);
	cr_assert_eq(auth_csrf_check(key, s1.id, ""), 0);
	t1[5] = t1[5] == 'x' ? 'y' : 'x';
	cr_assert_eq(auth_csrf_check(key, s1.id, t1), 0);
	t1[5] = '\0';
	cr_assert_eq(auth_csrf_check(key, s1.id, t1), 0);
	/* Another server key. */
	auth_csrf_token(key, s1.id, t1);
	randombytes_buf(other, sizeof(other));
	cr_assert_eq(auth_csrf_check(other, s1.id, t1), 0);
}

Test(auth, throttle_per_address)
{
	int64_t	retry, t = T0;
	int	i;

	for (i = 0; i < AUTH_FAIL_MAX_ADDR; i++) {
		cr_assert_eq(auth_throttle_check(db, "10.0.0.9", "alice", t,
		    &retry), 0, "attempt %d", i + 1);
		cr_assert_eq(retry, 0);
		/* Different accounts: the address is what counts here. */
		cr_assert_eq(auth_attempt_record(db, "10.0.0.9",
		    i % 2 ? "alice" : "bob", 0, t), 0);
		t += 1000;
	}
	cr_assert_eq(auth_throttle_check(db, "10.0.0.9", "carol", t, &retry),
	    AUTH_THROTTLED);
	/* Until the first failure leaves the window. */
	cr_assert_eq(retry, T0 + AUTH_FAIL_WINDOW_MS - t);
	cr_assert_eq(auth_throttle_check(db, "10.0.0.10", "carol", t, &retry),
	    0, "another address is not affected");
	cr_assert_eq(auth_throttle_check(db, "10.0.0.9", "carol",
	    T0 + AUTH_FAIL_WINDOW_MS - 1, NULL), AUTH_THROTTLED);
	cr_assert_eq(auth_throttle_check(db, "10.0.0.9", "carol",
	    T0 + AUTH_FAIL_WINDOW_MS, &retry), 0, "sliding window");
	cr_assert_eq(retry, 0);
}

Test(auth, throttle_per_account)
{
	char	addr[32];
	int64_t	t = T0, retry;
	int	i;

	/* One failure each from many addresses: the account is protected. */
	for (i = 0; i < AUTH_FAIL_MAX_ACCOUNT; i++) {
		snprintf(addr, sizeof(addr), "192.0.2.%d", i + 1);
		cr_assert_eq(auth_throttle_check(db, addr, "admin", t, NULL), 0);
		cr_assert_eq(auth_attempt_record(db, addr, "admin", 0, t), 0);
		t += 10;
	}
	cr_assert_eq(auth_throttle_check(db, "192.0.2.200", "admin", t, &retry),
	    AUTH_THROTTLED);
	cr_assert_gt(retry, 0);
	cr_assert_eq(auth_throttle_check(db, "192.0.2.200", "other", t, NULL),
	    0, "another account is not affected");
	/* Old rows are pruned as new ones come in. */
	cr_assert_eq(auth_attempt_record(db, "192.0.2.1", "x", 0,
	    T0 + AUTH_FAIL_WINDOW_MS + 100), 0);
	cr_assert_eq(count("SELECT COUNT(*) FROM login_attempts"), 1);
}

Test(auth, success_clears_failures)
{
	int	i;

	for (i = 0; i < AUTH_FAIL_MAX_ADDR - 1; i++)
		cr_assert_eq(auth_attempt_record(db, "10.0.0.9", "alice", 0,
		    T0 + i), 0);
	cr_assert_eq(auth_attempt_record(db, "10.0.0.9", "alice", 1, T0 + 10),
	    0);
	cr_assert_eq(count("SELECT COUNT(*) FROM login_attempts"), 0);
	for (i = 0; i < AUTH_FAIL_MAX_ADDR - 1; i++)
		cr_assert_eq(auth_attempt_record(db, "10.0.0.9", "alice", 0,
		    T0 + 20 + i), 0);
	cr_assert_eq(auth_throttle_check(db, "10.0.0.9", "alice", T0 + 30,
	    NULL), 0, "the count started over");
}

/*
 * The owner's success from their own address must not wipe out the
 * failures an attacker ran up from another address (it used to: DELETE
 * ... WHERE addr = ? OR account = ?).
 */
Test(auth, another_partys_success_keeps_the_attackers_failures)
{
	int64_t	id;
	int	i;

	for (i = 0; i < AUTH_FAIL_MAX_ADDR; i++)
		cr_assert_eq(auth_attempt_record(db, "198.51.100.66", "admin",
		    0, T0 + i), 0);
	cr_assert_eq(auth_throttle_check(db, "198.51.100.66", "admin", T0 + 10,
	    NULL), AUTH_THROTTLED);
	/* The owner logs in from elsewhere, by both paths. */
	cr_assert_eq(auth_attempt_record(db, "10.0.0.1", "admin", 1, T0 + 20),
	    0);
	cr_assert_eq(auth_attempt_begin(db, "10.0.0.1", "admin", T0 + 21, &id,
	    NULL), 0);
	cr_assert_eq(auth_attempt_end(db, id, "10.0.0.1", "admin", 1), 0);
	cr_assert_eq(auth_throttle_check(db, "198.51.100.66", "admin", T0 + 30,
	    NULL), AUTH_THROTTLED, "the attacker is still throttled");
	cr_assert_eq(auth_throttle_check(db, "198.51.100.66", "other", T0 + 30,
	    NULL), AUTH_THROTTLED, "by address, whatever the account");
	cr_assert_eq(count("SELECT COUNT(*) FROM login_attempts"),
	    AUTH_FAIL_MAX_ADDR, "the owner's own attempt is gone");
}

/* One thread's connection making attempts from the same address. */
struct racer {
	const char	*path;
	int		 allowed;	/* attempts that got through */
	int		 refused;
};

static void *
race(void *arg)
{
	struct racer	*r = arg;
	sqlite3		*c;
	int64_t		 id;
	int		 i, rc;

	if (sqlite3_open_v2(r->path, &c, SQLITE_OPEN_READWRITE, NULL) !=
	    SQLITE_OK)
		return (NULL);
	sqlite3_busy_timeout(c, 10000);
	for (i = 0; i < 4; i++) {
		rc = auth_attempt_begin(c, "203.0.113.5", "admin", T0 + 100, &id,
		    NULL);
		if (rc == 0) {
			r->allowed++;
			/* The slow password check happens here; it fails. */
			usleep(2000);
			(void)auth_attempt_end(c, id, "203.0.113.5", "admin", 0);
		} else if (rc == AUTH_THROTTLED)
			r->refused++;
	}
	sqlite3_close(c);
	return (NULL);
}

/*
 * Parallel attempts pass the throttle at most AUTH_FAIL_MAX_ADDR times in
 * all: the check and the record are one step.  (Checked and recorded
 * apart, as before, all 8 x 4 attempts passed the check.)
 */
Test(auth, parallel_attempts_pass_the_throttle_at_most_the_limit)
{
	struct racer	r[8];
	pthread_t	t[8];
	int		i, allowed = 0, refused = 0;

	for (i = 0; i < 8; i++) {
		r[i] = (struct racer){ h_db, 0, 0 };
		cr_assert_eq(pthread_create(&t[i], NULL, race, &r[i]), 0);
	}
	for (i = 0; i < 8; i++) {
		pthread_join(t[i], NULL);
		allowed += r[i].allowed;
		refused += r[i].refused;
	}
	cr_assert_eq(allowed, AUTH_FAIL_MAX_ADDR);
	cr_assert_eq(allowed + refused, 32, "every attempt had an answer");
}

Test(auth, audit)
{
	sqlite3_stmt	*q;

	cr_assert_eq(auth_audit(db, T0, "alice", "login", NULL, "10.0.0.1"),
	    0);
	cr_assert_eq(auth_audit(db, T0 + 5, "cli", "admin add", "bob", NULL),
	    0);
	cr_assert_eq(sqlite3_prepare_v2(db, "SELECT ts, who, action, "
	    "COALESCE(detail, '-'), COALESCE(addr, '-') FROM audit ORDER BY id",
	    -1, &q, NULL), SQLITE_OK);
	cr_assert_eq(sqlite3_step(q), SQLITE_ROW);
	cr_assert_eq(sqlite3_column_int64(q, 0), T0);
	cr_assert_str_eq((const char *)sqlite3_column_text(q, 1), "alice");
	cr_assert_str_eq((const char *)sqlite3_column_text(q, 2), "login");
	cr_assert_str_eq((const char *)sqlite3_column_text(q, 3), "-");
	cr_assert_str_eq((const char *)sqlite3_column_text(q, 4), "10.0.0.1");
	cr_assert_eq(sqlite3_step(q), SQLITE_ROW);
	cr_assert_str_eq((const char *)sqlite3_column_text(q, 2), "admin add");
	cr_assert_str_eq((const char *)sqlite3_column_text(q, 3), "bob");
	cr_assert_str_eq((const char *)sqlite3_column_text(q, 4), "-");
	cr_assert_eq(sqlite3_step(q), SQLITE_DONE);
	sqlite3_finalize(q);
}
