-- Device upkeep (issue 6): a device is `active` or `retired` (kept with its
-- history; its readings are refused and its rules no longer evaluated), and
-- `revision` grows with every change of the device or of its rules (edit,
-- retire, new secret, rule change), so that the ingest path's device cache
-- of every process sees the change at the next batch, and so that a change
-- takes the device's row lock before it reads the rules' state.
ALTER TABLE devices ADD COLUMN status TEXT NOT NULL DEFAULT 'active';
ALTER TABLE devices ADD COLUMN retired_at INTEGER;
ALTER TABLE devices ADD COLUMN revision INTEGER NOT NULL DEFAULT 0;
