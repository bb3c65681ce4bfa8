-- Minute rollups are sealed from the raw readings, as hour rollups are
-- from the minutes (0015); see the PostgreSQL migration of the same number.
ALTER TABLE rollup_seal ADD COLUMN minutes_sealed_before INTEGER NOT NULL DEFAULT 0;
UPDATE rollup_seal SET minutes_sealed_before =
    max(sealed_before, (CAST(strftime('%s', 'now') AS INTEGER) * 1000 / 60000) * 60000);
DELETE FROM reading_rollups WHERE step = 'minute'
    AND bucket >= (SELECT minutes_sealed_before FROM rollup_seal WHERE id = 1);
