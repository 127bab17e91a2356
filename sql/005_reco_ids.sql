-- cinerec schema, version 5: the recommendation log made cheap enough to
-- log every answer at full load.
--  * A list keeps its movies as catalogue ids ("17,4032,9"), not slugs: a
--    served list arrives from the HTTP workers as ids, and the writer keeps
--    them as they come.  Readers turn ids back into slugs with
--    movie_slugs(movies) (store.c).
--  * Lists are stored in chunks: one row of reco_log_chunks holds up to
--    256 lists of a batch as a JSON array, so a batch of thousands of
--    lists costs a few inserts, not one each.  The reco_log view gives them
--    back a list per row.  Lists are numbered by the writer, consecutively
--    within a chunk: a list's id is its chunk's first_id plus its index.
--  * Every few seconds the writer rolls the lists added since the last run
--    up (writer.c): by user into reco_log_by_user, one entry per user and
--    run, and into the coverage slots of reco_movie_daily; the counter
--    reco_rolled_last is the newest list rolled up.  reco_log_user_ids
--    gives a user's list ids, rolled up or not.
--  * A followed list's rank is in reco_follows (a chunk is never
--    rewritten).

CREATE TABLE reco_log_chunks (
	last_id		INTEGER PRIMARY KEY,	-- id of its newest list
	first_id	INTEGER NOT NULL,	-- of its oldest
	min_ts		INTEGER NOT NULL,	-- time range of its lists
	max_ts		INTEGER NOT NULL,
	lists		TEXT NOT NULL		-- JSON: [[ts, user, source (0
						-- served, 1 external), host,
						-- status, latency_ms, movies,
						-- model_version, arm,
						-- personal], ...]
);
CREATE INDEX reco_log_chunks_max_ts ON reco_log_chunks (max_ts);

CREATE TABLE reco_follows (
	log_id		INTEGER PRIMARY KEY,	-- the list
	rank		INTEGER NOT NULL	-- 1-based rank of the first movie
						-- started within the click window
);

-- The old rows, renumbered 1.. in their order (ids must be consecutive in
-- a chunk), their slugs mapped to ids; a slug the catalogue does not know
-- (none should be: listed movies join it) is left out.
CREATE TEMP TABLE old_reco AS
WITH RECURSIVE split (id, rest, ids) AS (
	SELECT id, results || ',', '' FROM reco_log
	UNION ALL
	SELECT id, substr(rest, instr(rest, ',') + 1),
	    ids || COALESCE((SELECT CASE WHEN ids = '' THEN '' ELSE ',' END ||
	    m.id FROM movies m WHERE m.slug = substr(rest, 1,
	    instr(rest, ',') - 1)), '')
	FROM split WHERE rest <> ''
)
SELECT row_number() OVER (ORDER BY r.id) AS id, r.ts, r.user_id,
    r.source <> 'served' AS source, r.host, r.status, r.latency_ms,
    s.ids AS movies, r.model_version, r.arm, r.personal, r.followed_rank
FROM reco_log r JOIN split s ON s.id = r.id AND s.rest = '';

INSERT INTO reco_log_chunks
SELECT MAX(id), MIN(id), MIN(ts), MAX(ts), json_group_array(json(l))
FROM (SELECT id, ts, json_array(ts, user_id, source, host, status,
    latency_ms, movies, model_version, arm, personal) AS l
    FROM temp.old_reco ORDER BY id)
GROUP BY (id - 1) / 256;

INSERT INTO reco_follows SELECT id, followed_rank FROM temp.old_reco
    WHERE followed_rank IS NOT NULL;

DROP TABLE reco_log;

CREATE VIEW reco_log (id, ts, user_id, source, host, status, latency_ms,
    movies, model_version, arm, personal, followed_rank) AS
SELECT c.first_id + j.key, j.value ->> 0, j.value ->> 1,
    CASE j.value ->> 2 WHEN 0 THEN 'served' ELSE 'external' END,
    j.value ->> 3, j.value ->> 4, j.value ->> 5, j.value ->> 6,
    j.value ->> 7, j.value ->> 8, j.value ->> 9, f.rank
FROM reco_log_chunks c JOIN json_each(c.lists) j
LEFT JOIN reco_follows f ON f.log_id = c.first_id + j.key;

-- A user's lists of a run: one entry for all the lists a user got within a
-- run (or more, of at most 256 ids each), keyed by the newest of them.
CREATE TABLE reco_log_by_user (
	user_id		INTEGER NOT NULL,
	newest		INTEGER NOT NULL,	-- the newest of log_ids
	log_ids		TEXT NOT NULL,		-- JSON array of list ids
	PRIMARY KEY (user_id, newest)
) WITHOUT ROWID;

-- The old lists, rolled up in runs of 10,000.
INSERT INTO reco_log_by_user SELECT user_id, MAX(id), json_group_array(id)
    FROM (SELECT user_id, id FROM temp.old_reco ORDER BY id)
    GROUP BY user_id, (id - 1) / 10000;
INSERT INTO counters SELECT 'reco_rolled_last', MAX(id) FROM temp.old_reco
    HAVING MAX(id) IS NOT NULL;
DROP TABLE temp.old_reco;

CREATE VIEW reco_log_user_ids (user_id, log_id) AS
    SELECT b.user_id, j.value FROM reco_log_by_user b, json_each(b.log_ids) j
    UNION ALL
    SELECT j.value ->> 1, c.first_id + j.key FROM reco_log_chunks c,
        json_each(c.lists) j
    WHERE c.last_id > COALESCE((SELECT value FROM counters WHERE name =
        'reco_rolled_last'), 0) AND c.first_id + j.key > COALESCE((SELECT
        value FROM counters WHERE name = 'reco_rolled_last'), 0);

-- A user's lists: WHERE user_id = ? reads that user's entries and the
-- chunks of the lists only.  reco_list(id) (store.c) is a list's JSON,
-- looked up in its chunk.
CREATE VIEW reco_log_of_user (user_id, id, ts, source, host, status,
    latency_ms, movies, model_version, arm, personal, followed_rank) AS
SELECT user_id, log_id, reco_list(log_id) ->> 0,
    CASE reco_list(log_id) ->> 2 WHEN 0 THEN 'served' ELSE 'external' END,
    reco_list(log_id) ->> 3, reco_list(log_id) ->> 4,
    reco_list(log_id) ->> 5, reco_list(log_id) ->> 6,
    reco_list(log_id) ->> 7, reco_list(log_id) ->> 8,
    reco_list(log_id) ->> 9,
    (SELECT rank FROM reco_follows WHERE reco_follows.log_id = u.log_id)
FROM reco_log_user_ids u;
