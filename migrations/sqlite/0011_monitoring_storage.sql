-- Readings storage for charts (issue 6 §6) and the emergency resources
-- registry (E1/E2).
--
-- `reading_rollups` holds one row per device × metric × step (minute, hour)
-- × bucket (the bucket's start, epoch ms UTC), maintained in the same
-- transaction as the raw readings it summarises, so a chart never disagrees
-- with what was stored. Raw readings older than the retention are deleted by
-- the maintenance job; rollups are kept.
CREATE TABLE reading_rollups (
    device_id TEXT NOT NULL REFERENCES devices(id),
    metric TEXT NOT NULL,
    step TEXT NOT NULL,
    bucket INTEGER NOT NULL,
    n INTEGER NOT NULL,
    sum_value REAL NOT NULL,
    min_value REAL NOT NULL,
    max_value REAL NOT NULL,
    last_at INTEGER NOT NULL,
    last_value REAL NOT NULL,
    PRIMARY KEY (device_id, metric, step, bucket)
);
CREATE INDEX readings_at ON readings(at);

-- Emergency resources: rescue teams, warehouses with their supplies,
-- equipment, shelters, hospitals; located (WGS-84) so the nearest to an
-- alarm can be found.
CREATE TABLE emergency_resources (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    region_code TEXT NOT NULL REFERENCES regions(code),
    enterprise_id TEXT REFERENCES enterprises(id),
    address TEXT NOT NULL,
    lon REAL NOT NULL,
    lat REAL NOT NULL,
    contact_name TEXT NOT NULL,
    contact_phone TEXT NOT NULL,
    capacity INTEGER,
    capacity_unit TEXT,
    items TEXT NOT NULL,
    notes TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX emergency_resources_region ON emergency_resources(region_code);
