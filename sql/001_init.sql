-- cinerec schema, version 1: the catalogue, who watched and rated what, the
-- recommendation requests seen on the stream, and the ingest counters.
-- Watch lines arrive once per watched minute; they are aggregated per
-- (user, movie) and per (day, movie), never stored one by one.

CREATE TABLE movies (
	id		INTEGER PRIMARY KEY,	-- internal id
	slug		TEXT NOT NULL UNIQUE,	-- id as the stream spells it
	title		TEXT,			-- display title when known
	year		INTEGER,		-- release year when known
	genres		TEXT,			-- '|'-separated when known
	runtime_min	INTEGER,		-- minutes when known
	first_ts	INTEGER,		-- first event (ms since epoch)
	viewers		INTEGER NOT NULL DEFAULT 0,	-- distinct users who watched
	raters		INTEGER NOT NULL DEFAULT 0	-- distinct users who rated
);
CREATE INDEX movies_popular ON movies (viewers + raters DESC);

CREATE TABLE users (
	id		INTEGER PRIMARY KEY,	-- user id from the stream
	first_ts	INTEGER NOT NULL,
	last_ts		INTEGER NOT NULL,
	watch_lines	INTEGER NOT NULL DEFAULT 0,
	ratings		INTEGER NOT NULL DEFAULT 0,
	recos		INTEGER NOT NULL DEFAULT 0
);

-- One row per (user, movie) watched: the aggregate of its minute lines.
CREATE TABLE watches (
	user_id		INTEGER NOT NULL,
	movie_id	INTEGER NOT NULL,
	minutes		INTEGER NOT NULL,	-- minute lines received
	max_minute	INTEGER NOT NULL,	-- furthest minute reached
	first_ts	INTEGER NOT NULL,
	last_ts		INTEGER NOT NULL,
	PRIMARY KEY (user_id, movie_id)
) WITHOUT ROWID;

-- Latest rating per (user, movie).
CREATE TABLE ratings (
	user_id		INTEGER NOT NULL,
	movie_id	INTEGER NOT NULL,
	rating		INTEGER NOT NULL,	-- 1..5
	ts		INTEGER NOT NULL,
	PRIMARY KEY (user_id, movie_id)
) WITHOUT ROWID;

-- Per day (UTC, days since epoch) and movie: new viewers, minute lines, new raters.
CREATE TABLE movie_daily (
	day		INTEGER NOT NULL,
	movie_id	INTEGER NOT NULL,
	viewers		INTEGER NOT NULL DEFAULT 0,
	minutes		INTEGER NOT NULL DEFAULT 0,
	raters		INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (day, movie_id)
) WITHOUT ROWID;

-- Recommendation requests: seen on the stream (source 'external').
CREATE TABLE reco_log (
	id		INTEGER PRIMARY KEY,
	ts		INTEGER NOT NULL,
	user_id		INTEGER NOT NULL,
	source		TEXT NOT NULL,		-- 'external'
	host		TEXT,			-- host:port that answered
	status		INTEGER NOT NULL,	-- HTTP status, 0 = no answer
	latency_ms	INTEGER NOT NULL,
	results		TEXT NOT NULL		-- comma-separated slugs
);
CREATE INDEX reco_log_user ON reco_log (user_id, ts);

-- Monotonic ingest counters: 'accepted_watch', 'rejected_bad_time', ...
CREATE TABLE counters (
	name		TEXT PRIMARY KEY,
	value		INTEGER NOT NULL
) WITHOUT ROWID;

-- The latest rejected lines (bounded), for the admin UI.
CREATE TABLE reject_samples (
	id		INTEGER PRIMARY KEY,
	ts		INTEGER NOT NULL,	-- when rejected (ms since epoch)
	reason		TEXT NOT NULL,
	line		TEXT NOT NULL		-- printable, truncated copy
);
