-- cinerec schema, version 5: the recommendation log made cheap enough to
-- log every answer at full load.
--  * A list keeps its movies as catalogue ids ("17,4032,9"), not slugs: a
--    served list arrives from the HTTP workers as ids, so the writer stores
--    it as it comes, and a row is a fifth of the size.  Readers turn ids
--    back into slugs with movie_slugs(movies) (store.c).
--  * reco_log is append-only and has no index: a random insert into an
--    index on the user rewrote a page per row, and even the time index cost
--    as much as the row.  Every few seconds the writer rolls the rows added
--    since the last run up (writer.c): their by-user entries go into
--    reco_log_by_user, one per user and run, in one sorted pass, their
--    slots into reco_movie_daily,
--    and a row into reco_log_rolls with the run's id range and time range,
--    a zone map that retention and time-range reads go by.
--    reco_log_user_ids gives a user's rows, rolled up or not.

CREATE TABLE reco_log_ids (
	id		INTEGER PRIMARY KEY,
	ts		INTEGER NOT NULL,
	user_id		INTEGER NOT NULL,
	source		TEXT NOT NULL,		-- 'served', 'external'
	host		TEXT,			-- host:port that answered
	status		INTEGER NOT NULL,	-- HTTP status, 0 = no answer
	latency_ms	INTEGER NOT NULL,
	movies		TEXT NOT NULL,		-- movies.id, comma-separated,
						-- best first
	model_version	INTEGER,		-- NULL: popularity only
	arm		TEXT,			-- experiment arm, NULL if none
	personal	INTEGER,		-- ids that came from the model
	followed_rank	INTEGER			-- 1-based rank of the first
						-- movie started within the
						-- click window, NULL if none
);

-- The slugs of the old rows, mapped to ids in order; a slug the catalogue
-- does not know (none should be: listed movies join it) is left out.
INSERT INTO reco_log_ids
WITH RECURSIVE split (id, rest, ids) AS (
	SELECT id, results || ',', '' FROM reco_log
	UNION ALL
	SELECT id, substr(rest, instr(rest, ',') + 1),
	    ids || COALESCE((SELECT CASE WHEN ids = '' THEN '' ELSE ',' END ||
	    m.id FROM movies m WHERE m.slug = substr(rest, 1,
	    instr(rest, ',') - 1)), '')
	FROM split WHERE rest <> ''
)
SELECT r.id, r.ts, r.user_id, r.source, r.host, r.status, r.latency_ms,
    s.ids, r.model_version, r.arm, r.personal, r.followed_rank
FROM reco_log r JOIN split s ON s.id = r.id AND s.rest = '';

DROP TABLE reco_log;
ALTER TABLE reco_log_ids RENAME TO reco_log;

-- A user's rows of a run: one entry for all the lists a user got within a
-- run (or more, of at most 256 ids each), keyed by the newest of them.
CREATE TABLE reco_log_by_user (
	user_id		INTEGER NOT NULL,
	upto		INTEGER NOT NULL,	-- the newest of log_ids
	log_ids		TEXT NOT NULL,		-- JSON array of reco_log.id
	PRIMARY KEY (user_id, upto)
) WITHOUT ROWID;

CREATE TABLE reco_log_rolls (
	last_id		INTEGER PRIMARY KEY,	-- newest reco_log row of the run
	first_id	INTEGER NOT NULL,	-- oldest
	min_ts		INTEGER NOT NULL,	-- time range of its rows
	max_ts		INTEGER NOT NULL
);
CREATE INDEX reco_log_rolls_max_ts ON reco_log_rolls (max_ts);

-- The old rows, rolled up in runs of 10,000.
INSERT INTO reco_log_rolls SELECT MAX(id), MIN(id), MIN(ts), MAX(ts)
    FROM reco_log GROUP BY (id - 1) / 10000;
INSERT INTO reco_log_by_user SELECT r.user_id, MAX(r.id),
    json_group_array(r.id) FROM reco_log r JOIN reco_log_rolls k
    ON r.id BETWEEN k.first_id AND k.last_id GROUP BY r.user_id, k.last_id;

CREATE VIEW reco_log_user_ids (user_id, log_id) AS
    SELECT b.user_id, j.value FROM reco_log_by_user b, json_each(b.log_ids) j
    UNION ALL
    SELECT user_id, id FROM reco_log WHERE id > COALESCE((SELECT
        MAX(last_id) FROM reco_log_rolls), 0);
