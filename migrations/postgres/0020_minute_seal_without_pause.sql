-- The minute seal no longer holds ingest back while it sums (issue 6: the
-- pause grew with the ingest rate, 2–5 s a minute at 28,000 readings/s).
-- It now goes in two steps. First, briefly under the exclusive lock, it moves
-- `minutes_sealed_before` on, so every later batch writes the rollups of
-- its readings before it at once, as late ones, and marks them `rolled`.
-- Then, under a lock that batches do not wait for, it sums the readings
-- between `minutes_summed_before` and `minutes_sealed_before` that are not
-- rolled into their minute rows, and moves `minutes_summed_before` on. The
-- series read the unrolled readings of that stretch with the rows. Readings
-- stored so far are never read for the mark (they lie before
-- `minutes_summed_before` or after `minutes_sealed_before`), so 0 fits them.
ALTER TABLE readings ADD COLUMN rolled SMALLINT NOT NULL DEFAULT 0;
ALTER TABLE rollup_seal ADD COLUMN minutes_summed_before BIGINT NOT NULL DEFAULT 0;
UPDATE rollup_seal SET minutes_summed_before = minutes_sealed_before;
