-- Major hazard sources (R3, GB 18218-2018): an enterprise's production and
-- storage units with their hazardous chemicals. The assessment (S, α, R,
-- grade) is recomputed on every change and kept with each version.
CREATE TABLE hazard_source_units (
    id TEXT PRIMARY KEY,
    enterprise_id TEXT NOT NULL REFERENCES enterprises(id),
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    exposed_people BIGINT NOT NULL,
    substances TEXT NOT NULL,
    s DOUBLE PRECISION NOT NULL,
    is_major BIGINT NOT NULL,
    r DOUBLE PRECISION,
    grade BIGINT,
    standard TEXT NOT NULL,
    version BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (enterprise_id, name)
);
CREATE INDEX hazard_source_units_enterprise ON hazard_source_units(enterprise_id);

-- Every version of a unit, in order (the register's history).
CREATE TABLE hazard_source_versions (
    unit_id TEXT NOT NULL REFERENCES hazard_source_units(id),
    version BIGINT NOT NULL,
    at BIGINT NOT NULL,
    actor_id TEXT,
    actor_name TEXT NOT NULL,
    exposed_people BIGINT NOT NULL,
    substances TEXT NOT NULL,
    s DOUBLE PRECISION NOT NULL,
    is_major BIGINT NOT NULL,
    r DOUBLE PRECISION,
    grade BIGINT,
    PRIMARY KEY (unit_id, version)
);

-- Risk points (风险分级管控, R3): assessed by LEC or LS, in four colours.
CREATE TABLE risk_points (
    id TEXT PRIMARY KEY,
    enterprise_id TEXT NOT NULL REFERENCES enterprises(id),
    project_id TEXT REFERENCES projects(id),
    name TEXT NOT NULL,
    location TEXT NOT NULL,
    lon DOUBLE PRECISION,
    lat DOUBLE PRECISION,
    method TEXT NOT NULL,
    factors TEXT NOT NULL,
    score DOUBLE PRECISION NOT NULL,
    level TEXT NOT NULL,
    color TEXT NOT NULL,
    measures TEXT NOT NULL,
    responsible TEXT NOT NULL,
    review_on TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX risk_points_enterprise ON risk_points(enterprise_id);
