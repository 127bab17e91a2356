-- cinerec schema, version 2: trained models and training runs.
-- A model's file lives in <data_dir>/models/; this row is its provenance.

CREATE TABLE models (
	id		INTEGER PRIMARY KEY,	-- the model version
	algo		TEXT NOT NULL,		-- 'als', 'itemknn', 'pop'
	params		TEXT NOT NULL,		-- hyperparameters, JSON
	file		TEXT NOT NULL,		-- file name in <data_dir>/models
	created_ms	INTEGER NOT NULL,
	train_seconds	REAL NOT NULL,		-- wall time of the final fit
	interactions	INTEGER NOT NULL,	-- (user, movie) pairs trained on
	users		INTEGER NOT NULL,
	items		INTEGER NOT NULL,
	data_from_ms	INTEGER,		-- oldest interaction trained on
	data_to_ms	INTEGER,		-- newest interaction trained on
	binary_version	TEXT NOT NULL,		-- cinerec version that trained it
	eval_recall20	REAL,			-- temporal hold-out, see train.c
	eval_ndcg20	REAL,
	eval_coverage	REAL,
	eval_users	INTEGER,		-- users scored in the hold-out
	current		INTEGER NOT NULL DEFAULT 0	-- 1: the one served
);
CREATE UNIQUE INDEX models_current ON models (current) WHERE current = 1;

CREATE TABLE training_runs (
	id		INTEGER PRIMARY KEY,
	started_ms	INTEGER NOT NULL,
	finished_ms	INTEGER,
	trigger		TEXT NOT NULL,		-- 'cli', 'schedule', 'admin'
	status		TEXT NOT NULL,		-- 'running', 'done', 'failed'
	model_id	INTEGER REFERENCES models (id),
	message		TEXT
);
