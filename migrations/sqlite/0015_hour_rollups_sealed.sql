-- Hour rollups are sealed from the minute rollups instead of being kept up
-- to date by every ingest batch (issue 6, ingest throughput). Ingest writes
-- the minute rollup of every reading and the hour rollup only of a reading
-- older than `sealed_before` (a late one for an hour already sealed); the
-- upkeep job sums each past hour's minutes into its hour row and moves
-- `sealed_before` on. The hour series reads the stored hour rows before it
-- and sums the minutes after it. SQLite has one writer at a time, so a
-- batch and a seal never interleave. Starts at the current hour: every hour
-- before it has its rows from the ingest of the past.
CREATE TABLE rollup_seal (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    sealed_before INTEGER NOT NULL
);
INSERT INTO rollup_seal (id, sealed_before)
    VALUES (1, (CAST(strftime('%s', 'now') AS INTEGER) * 1000 / 3600000) * 3600000);
-- The current hour's row is summed from its minutes from now on (they were
-- always written): the row kept so far would count them twice.
DELETE FROM reading_rollups WHERE step = 'hour' AND bucket >= (SELECT sealed_before FROM rollup_seal WHERE id = 1);
