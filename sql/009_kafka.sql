-- cinerec schema, version 9: where the Kafka input stands.
--  * One row per topic and partition the consumer has taken lines from:
--    next_offset is the first offset whose lines are not in the database.
--    It is written in the same transaction as those lines, so a restart
--    (or a rebalance, or a broker's redelivery) resumes exactly there and
--    nothing is counted twice; the offsets committed to Kafka follow it,
--    for the broker's lag tools only.
CREATE TABLE kafka_offsets (
	topic		TEXT NOT NULL,
	partition	INTEGER NOT NULL,
	next_offset	INTEGER NOT NULL,
	updated_ms	INTEGER NOT NULL,
	PRIMARY KEY (topic, partition)
) WITHOUT ROWID;
