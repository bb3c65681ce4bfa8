-- Major hazard sources (R3, GB 18218-2018): an enterprise's production and
-- storage units with their hazardous chemicals. The assessment (S, α, R,
-- grade) is recomputed on every change and kept with each version.
CREATE TABLE hazard_source_units (
    id TEXT PRIMARY KEY,
    enterprise_id TEXT NOT NULL REFERENCES enterprises(id),
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    exposed_people INTEGER NOT NULL,
    substances TEXT NOT NULL,
    s REAL NOT NULL,
    is_major INTEGER NOT NULL,
    r REAL,
    grade INTEGER,
    standard TEXT NOT NULL,
    version INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    UNIQUE (enterprise_id, name)
);
CREATE INDEX hazard_source_units_enterprise ON hazard_source_units(enterprise_id);

-- Every version of a unit, in order (the register's history).
CREATE TABLE hazard_source_versions (
    unit_id TEXT NOT NULL REFERENCES hazard_source_units(id),
    version INTEGER NOT NULL,
    at INTEGER NOT NULL,
    actor_id TEXT,
    actor_name TEXT NOT NULL,
    exposed_people INTEGER NOT NULL,
    substances TEXT NOT NULL,
    s REAL NOT NULL,
    is_major INTEGER NOT NULL,
    r REAL,
    grade INTEGER,
    PRIMARY KEY (unit_id, version)
);

-- Risk points (风险分级管控, R3): assessed by LEC or LS, in four colours.
CREATE TABLE risk_points (
    id TEXT PRIMARY KEY,
    enterprise_id TEXT NOT NULL REFERENCES enterprises(id),
    project_id TEXT REFERENCES projects(id),
    name TEXT NOT NULL,
    location TEXT NOT NULL,
    lon REAL,
    lat REAL,
    method TEXT NOT NULL,
    factors TEXT NOT NULL,
    score REAL NOT NULL,
    level TEXT NOT NULL,
    color TEXT NOT NULL,
    measures TEXT NOT NULL,
    responsible TEXT NOT NULL,
    review_on TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX risk_points_enterprise ON risk_points(enterprise_id);
