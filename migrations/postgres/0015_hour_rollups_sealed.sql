-- Hour rollups are sealed from the minute rollups instead of being kept up
-- to date by every ingest batch (issue 6, ingest throughput: the second
-- upsert per reading was a fifth to a third of a batch of one-reading
-- messages). Ingest writes the minute rollup of every reading and the hour
-- rollup only of a reading older than `sealed_before`, a late one for an
-- hour already sealed; the upkeep job sums each hour's minutes into its
-- hour row once the hour is past, then moves `sealed_before` on. The hour
-- series reads the stored hour rows before `sealed_before` and sums the
-- minutes after it, so a chart is exact at every moment. Ingest holds a
-- share lock on this row for its transaction and the job an exclusive
-- one, so no batch writes minutes of an hour being sealed without its hour.
-- Starts at the current hour: every hour before it has its hour rows from
-- the ingest of the past.
CREATE TABLE rollup_seal (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    sealed_before BIGINT NOT NULL
);
INSERT INTO rollup_seal (id, sealed_before)
    VALUES (1, (CAST(EXTRACT(EPOCH FROM now()) * 1000 AS BIGINT) / 3600000) * 3600000);
-- The current hour's row is summed from its minutes from now on (they were
-- always written): the row kept so far would count them twice.
DELETE FROM reading_rollups WHERE step = 'hour' AND bucket >= (SELECT sealed_before FROM rollup_seal WHERE id = 1);
