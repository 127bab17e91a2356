-- cinerec schema, version 4: the admin dashboard's accounts, sessions, login
-- throttling, audit trail, settings changed through the UI, and its keys.
-- Secrets are never stored in the clear: passwords as argon2id strings,
-- session tokens as their BLAKE2b hash.

CREATE TABLE admins (
	id		INTEGER PRIMARY KEY,
	name		TEXT NOT NULL UNIQUE,	-- login name
	pwhash		TEXT NOT NULL,		-- crypto_pwhash_str (argon2id)
	created_ms	INTEGER NOT NULL,
	pw_changed_ms	INTEGER NOT NULL,
	last_login_ms	INTEGER			-- NULL: never logged in
);

-- One row per live session; the token itself is only in the browser.
CREATE TABLE sessions (
	id_hash		BLOB PRIMARY KEY,	-- crypto_generichash(token), 32 bytes
	admin_id	INTEGER NOT NULL REFERENCES admins (id),
	created_ms	INTEGER NOT NULL,
	last_seen_ms	INTEGER NOT NULL,	-- idle expiry counts from here
	expires_ms	INTEGER NOT NULL,	-- absolute expiry
	addr		TEXT			-- client address at login
) WITHOUT ROWID;
CREATE INDEX sessions_admin ON sessions (admin_id);

-- Failed logins in the throttling window (older rows are pruned).
CREATE TABLE login_attempts (
	id		INTEGER PRIMARY KEY,
	ts		INTEGER NOT NULL,
	addr		TEXT NOT NULL,		-- client address
	account		TEXT NOT NULL		-- name tried (may not exist)
);
CREATE INDEX login_attempts_addr ON login_attempts (addr, ts);
CREATE INDEX login_attempts_account ON login_attempts (account, ts);

-- Every admin action: who did what, when, from where.
CREATE TABLE audit (
	id		INTEGER PRIMARY KEY,
	ts		INTEGER NOT NULL,
	who		TEXT NOT NULL,		-- admin name, 'cli' or 'system'
	action		TEXT NOT NULL,		-- 'login', 'train', 'setting', ...
	detail		TEXT,			-- human-readable, never a secret
	addr		TEXT			-- client address, NULL from the CLI
);

-- Settings changed through the UI; they override the configuration file.
CREATE TABLE settings (
	key		TEXT PRIMARY KEY,	-- a cfg_set setting name
	value		TEXT NOT NULL,		-- validated by cfg_set
	changed_ms	INTEGER NOT NULL,
	changed_by	TEXT NOT NULL		-- admin name
) WITHOUT ROWID;

-- Server-side keys (the CSRF HMAC key), created once, random.
CREATE TABLE admin_keys (
	name		TEXT PRIMARY KEY,
	value		BLOB NOT NULL
) WITHOUT ROWID;
