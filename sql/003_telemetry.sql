-- cinerec schema, version 3: the recommendation log of served lists and
-- the online evaluation (click-through) aggregates.

-- When a user's watches or ratings last changed (wall clock of the commit):
-- serving uses it to tell whether a precomputed list is still current.
ALTER TABLE users ADD COLUMN updated_ms INTEGER NOT NULL DEFAULT 0;

-- reco_log gains what a served list needs: who served it and how fast.
ALTER TABLE reco_log ADD COLUMN model_version INTEGER;	-- NULL: popularity only
ALTER TABLE reco_log ADD COLUMN arm TEXT;		-- experiment arm, NULL if none
ALTER TABLE reco_log ADD COLUMN personal INTEGER;	-- ids that came from the model
ALTER TABLE reco_log ADD COLUMN followed_rank INTEGER;	-- 1-based rank of the first
							-- movie started within the
							-- click window, NULL if none
CREATE INDEX reco_log_ts ON reco_log (ts);

-- Per hour (UTC, hours since the epoch) of the list, source, model and arm.
CREATE TABLE reco_stats (
	hour		INTEGER NOT NULL,
	source		TEXT NOT NULL,		-- 'served', 'external'
	model_version	INTEGER NOT NULL,	-- 0: popularity only / unknown
	arm		TEXT NOT NULL,		-- '' when no experiment
	lists		INTEGER NOT NULL DEFAULT 0,	-- lists given
	nonempty	INTEGER NOT NULL DEFAULT 0,	-- of them with an id
	personal	INTEGER NOT NULL DEFAULT 0,	-- lists with a model's id
	followed	INTEGER NOT NULL DEFAULT 0,	-- a listed movie started
							-- within the window
	rank_sum	INTEGER NOT NULL DEFAULT 0,	-- of the followed ranks
	minutes_24h	INTEGER NOT NULL DEFAULT 0,	-- minutes of listed movies
							-- watched within 24 h
	latency_us_sum	INTEGER NOT NULL DEFAULT 0,	-- served lists
	PRIMARY KEY (hour, source, model_version, arm)
) WITHOUT ROWID;

-- Per day, how often each movie was in a served list: coverage and the
-- share of slots going to the most popular movies derive from it.
CREATE TABLE reco_movie_daily (
	day		INTEGER NOT NULL,
	movie_id	INTEGER NOT NULL,
	slots		INTEGER NOT NULL,
	PRIMARY KEY (day, movie_id)
) WITHOUT ROWID;
