-- cinerec schema, version 7: the model lifecycle.
--  * Every training's candidate is kept as a version, promoted (made
--    current) only when the quality gate lets it: the gate's decision, the
--    reason, and the score of the current model on the same hold-out.
--  * Versions can be pinned (the scheduler never replaces a pinned current
--    model) and their files collected (the row stays, the files go).
--  * Experiments split users between arms, each a model version (0: the
--    current one); every action on models and experiments is logged.
ALTER TABLE models ADD COLUMN gate TEXT;		-- 'first', 'promoted',
							-- 'refused', 'forced',
							-- NULL: before the gate
ALTER TABLE models ADD COLUMN gate_reason TEXT;	-- why, in words
ALTER TABLE models ADD COLUMN baseline_id INTEGER;	-- current model when trained
ALTER TABLE models ADD COLUMN baseline_recall20 REAL;	-- its configuration, fitted
							-- and scored on this
							-- candidate's hold-out
ALTER TABLE models ADD COLUMN baseline_coverage REAL;
ALTER TABLE models ADD COLUMN pinned INTEGER NOT NULL DEFAULT 0;
ALTER TABLE models ADD COLUMN collected_ms INTEGER;	-- files removed; NULL: kept

CREATE TABLE experiments (
	id		INTEGER PRIMARY KEY,
	name		TEXT NOT NULL,
	salt		TEXT NOT NULL,		-- hashed with the user id
	status		TEXT NOT NULL,		-- 'running', 'stopped',
						-- 'aborted', 'promoted',
						-- 'expired'
	started_ms	INTEGER NOT NULL,
	stopped_ms	INTEGER,
	max_hours	REAL NOT NULL,		-- stop after this long
	min_lists	INTEGER NOT NULL,	-- per arm, before any decision
	auto_promote	INTEGER NOT NULL,	-- 1: promote a better candidate
	max_p99_ms	REAL NOT NULL,		-- abort an arm slower than this
	decision	TEXT			-- why it stopped
);
CREATE UNIQUE INDEX experiments_running ON experiments (status)
    WHERE status = 'running';

CREATE TABLE experiment_arms (
	experiment_id	INTEGER NOT NULL REFERENCES experiments (id),
	pos		INTEGER NOT NULL,	-- 0: the control arm
	arm		TEXT NOT NULL,		-- name, in logs and stats
	model_id	INTEGER NOT NULL,	-- 0: whatever is current
	share		INTEGER NOT NULL,	-- per mille of the users
	PRIMARY KEY (experiment_id, pos)
) WITHOUT ROWID;

-- Who did what to models and experiments, and what the system decided.
CREATE TABLE lifecycle_log (
	id		INTEGER PRIMARY KEY,
	ts		INTEGER NOT NULL,
	who		TEXT NOT NULL,		-- admin name, 'cli', 'system'
	action		TEXT NOT NULL,		-- 'gate', 'use', 'pin', 'unpin',
						-- 'collect', 'experiment ...'
	model_id	INTEGER,
	experiment_id	INTEGER,
	detail		TEXT
);

-- Served lists slower than 1, 2, 5, 20 and 100 ms: an arm's p99 is over
-- T ms when more than 1% of its lists are slower than T.
ALTER TABLE reco_stats ADD COLUMN over_1ms INTEGER NOT NULL DEFAULT 0;
ALTER TABLE reco_stats ADD COLUMN over_2ms INTEGER NOT NULL DEFAULT 0;
ALTER TABLE reco_stats ADD COLUMN over_5ms INTEGER NOT NULL DEFAULT 0;
ALTER TABLE reco_stats ADD COLUMN over_20ms INTEGER NOT NULL DEFAULT 0;
ALTER TABLE reco_stats ADD COLUMN over_100ms INTEGER NOT NULL DEFAULT 0;
-- Lists that were a user's first under their arm (or none) within the 24 h
-- a user's latest list is tracked: users per arm, a user counted again
-- after a day without a list.
ALTER TABLE reco_stats ADD COLUMN users INTEGER NOT NULL DEFAULT 0;
