-- cinerec schema, version 6: what real streams showed.
--  * GET /create_account lines: a user's account time (NULL: no such line
--    seen), for cold-start figures (accounts that have done nothing yet).
--  * Rejected-line samples are kept per reason (the newest few of each),
--    so a frequent reason cannot hide the others.
--  * Kinds of lines the parser does not know (bad_request), by shape
--    ("GET /foo"), with when each was first and last seen: a new kind of
--    line on the stream (schema drift) shows as a new row.
ALTER TABLE users ADD COLUMN account_ts INTEGER;

CREATE INDEX reject_samples_reason ON reject_samples (reason, id);

CREATE TABLE line_shapes (
	shape		TEXT PRIMARY KEY,	-- e.g. "GET /foo/", "POST /rate/"
	first_ts	INTEGER NOT NULL,	-- ms, our clock
	last_ts		INTEGER NOT NULL,
	lines		INTEGER NOT NULL
);

-- Lines per hour (our clock) by outcome: "ok" for accepted lines, else
-- the rejection reason; the dashboard draws each reason's rate from it.
CREATE TABLE ingest_hourly (
	hour		INTEGER NOT NULL,	-- ms since epoch / 3600000
	reason		TEXT NOT NULL,
	lines		INTEGER NOT NULL,
	PRIMARY KEY (hour, reason)
) WITHOUT ROWID;

-- create_account lines of the user (with account_ts, its first one's time).
ALTER TABLE users ADD COLUMN accounts INTEGER NOT NULL DEFAULT 0;
