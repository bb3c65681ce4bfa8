-- Minute rollups are sealed from the raw readings, as hour rollups are
-- from the minutes (0015), instead of being upserted by every ingest batch
-- (issue 6, ingest throughput: the upsert was a quarter of a batch of
-- one-reading messages). Ingest stores a reading's rollups only when it is
-- late, older than `minutes_sealed_before`; the upkeep job sums each minute's
-- readings into its minute row a minute after the minute ends, then moves
-- `minutes_sealed_before` on. Hours are sealed only as far as their minutes
-- are (`sealed_before` ≤ `minutes_sealed_before`). The series read the
-- stored rows before the seals and sum the minutes and readings after them,
-- so a chart is exact at every moment; ingest holds a share lock on the row
-- for its transaction and the seals an exclusive one.
-- Starts at the current minute: every minute before it has its rows from the
-- ingest of the past, and the current minute's row would count its readings
-- twice once they are summed from the readings.
ALTER TABLE rollup_seal ADD COLUMN minutes_sealed_before BIGINT NOT NULL DEFAULT 0;
UPDATE rollup_seal SET minutes_sealed_before =
    GREATEST(sealed_before, (CAST(EXTRACT(EPOCH FROM now()) * 1000 AS BIGINT) / 60000) * 60000);
DELETE FROM reading_rollups WHERE step = 'minute'
    AND bucket >= (SELECT minutes_sealed_before FROM rollup_seal WHERE id = 1);
