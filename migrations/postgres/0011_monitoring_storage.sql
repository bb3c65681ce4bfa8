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
    bucket BIGINT NOT NULL,
    n BIGINT NOT NULL,
    sum_value DOUBLE PRECISION NOT NULL,
    min_value DOUBLE PRECISION NOT NULL,
    max_value DOUBLE PRECISION NOT NULL,
    last_at BIGINT NOT NULL,
    last_value DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (device_id, metric, step, bucket)
);
CREATE INDEX readings_at ON readings(at);

-- Emergency resources: rescue teams, warehouses with their supplies,
-- equipment, shelters, hospitals; located (WGS-84) so the nearest to an
-- alarm can be found.
CREATE TABLE emergency_resources (
    id TEXT COLLATE "C" PRIMARY KEY,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    region_code TEXT COLLATE "C" NOT NULL REFERENCES regions(code),
    enterprise_id TEXT REFERENCES enterprises(id),
    address TEXT NOT NULL,
    lon DOUBLE PRECISION NOT NULL,
    lat DOUBLE PRECISION NOT NULL,
    contact_name TEXT NOT NULL,
    contact_phone TEXT NOT NULL,
    capacity BIGINT,
    capacity_unit TEXT,
    items TEXT NOT NULL,
    notes TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX emergency_resources_region ON emergency_resources(region_code);
