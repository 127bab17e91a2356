-- cinerec schema, version 8: business rules on what lists may hold.
--  * A withdrawn movie (its licence ended, a takedown) is in no list of any
--    kind until it is brought back; the history that names it stays.  Who
--    withdrew or restored it, when and why goes to lifecycle_log
--    ('withdraw', 'restore'), so the serving workers see a change by that
--    log's newest id.
CREATE TABLE withdrawn (
	movie_id	INTEGER PRIMARY KEY REFERENCES movies (id),
	since_ms	INTEGER NOT NULL,
	who		TEXT NOT NULL,		-- admin name or 'cli'
	why		TEXT			-- as given, may be NULL
);
