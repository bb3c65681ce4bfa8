-- Ready-mixed concrete traceability (L2): batching plants (搅拌站) of the
-- registry's enterprises, their mix designs (配合比), production batches for a
-- project's pour, one delivery ticket (发货单) per truck with its public QR
-- code, sign-off on site by an authorised receiver of the project, time-limit
-- warnings, test specimens (试块) and GB/T 50107 acceptance. Every step is
-- also a row of concrete_events whose content is the evidence-ledger record's
-- content (public by construction: ids, codes and values, no names).
CREATE TABLE concrete_plants (
    id TEXT PRIMARY KEY,
    enterprise_id TEXT NOT NULL REFERENCES enterprises(id),
    name TEXT NOT NULL,
    address TEXT NOT NULL,
    lon DOUBLE PRECISION,
    lat DOUBLE PRECISION,
    licence_no TEXT,
    created_at BIGINT NOT NULL,
    UNIQUE (enterprise_id, name)
);
CREATE INDEX concrete_plants_enterprise ON concrete_plants(enterprise_id);

CREATE TABLE concrete_mixes (
    id TEXT PRIMARY KEY,
    plant_id TEXT NOT NULL REFERENCES concrete_plants(id),
    code TEXT NOT NULL,
    grade TEXT NOT NULL,
    marks TEXT NOT NULL,
    slump_mm BIGINT NOT NULL,
    slump_tolerance_mm BIGINT NOT NULL,
    materials TEXT NOT NULL,
    water_binder DOUBLE PRECISION NOT NULL,
    density_kg_m3 DOUBLE PRECISION NOT NULL,
    retarding BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (plant_id, code)
);

CREATE TABLE concrete_batches (
    id TEXT PRIMARY KEY,
    plant_id TEXT NOT NULL REFERENCES concrete_plants(id),
    mix_id TEXT NOT NULL REFERENCES concrete_mixes(id),
    project_id TEXT NOT NULL REFERENCES projects(id),
    pour_location TEXT NOT NULL,
    planned_m3 DOUBLE PRECISION NOT NULL,
    produced_on TEXT NOT NULL,
    acceptance_id TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX concrete_batches_project ON concrete_batches(project_id, created_at);
CREATE INDEX concrete_batches_plant ON concrete_batches(plant_id, created_at);

CREATE TABLE concrete_tickets (
    id TEXT PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    number TEXT NOT NULL,
    batch_id TEXT NOT NULL REFERENCES concrete_batches(id),
    plant_id TEXT NOT NULL REFERENCES concrete_plants(id),
    project_id TEXT NOT NULL REFERENCES projects(id),
    truck TEXT NOT NULL,
    volume_m3 DOUBLE PRECISION NOT NULL,
    slump_mm BIGINT NOT NULL,
    temperature_c DOUBLE PRECISION NOT NULL,
    mixed_at BIGINT NOT NULL,
    departed_at BIGINT NOT NULL,
    arrived_at BIGINT,
    placed_at BIGINT,
    site_slump_mm BIGINT,
    site_temperature_c DOUBLE PRECISION,
    status TEXT NOT NULL,
    issued_by TEXT,
    received_by TEXT,
    received_at BIGINT,
    reject_reason TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (plant_id, number)
);
CREATE INDEX concrete_tickets_batch ON concrete_tickets(batch_id, departed_at);
CREATE INDEX concrete_tickets_project ON concrete_tickets(project_id, departed_at);

-- Who may sign tickets off on a project's site (QR sign-off).
CREATE TABLE concrete_receivers (
    project_id TEXT NOT NULL REFERENCES projects(id),
    user_id TEXT NOT NULL REFERENCES users(id),
    granted_by TEXT,
    granted_at BIGINT NOT NULL,
    PRIMARY KEY (project_id, user_id)
);

-- Quality warnings: a time limit exceeded (one per ticket and kind).
CREATE TABLE concrete_warnings (
    id TEXT PRIMARY KEY,
    ticket_id TEXT NOT NULL REFERENCES concrete_tickets(id),
    project_id TEXT NOT NULL REFERENCES projects(id),
    kind TEXT NOT NULL,
    limit_min BIGINT NOT NULL,
    elapsed_ms BIGINT NOT NULL,
    over_ms BIGINT NOT NULL,
    message TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (ticket_id, kind)
);
CREATE INDEX concrete_warnings_project ON concrete_warnings(project_id, created_at);

-- Test specimens: one group of three cubes, sampled from a batch (and truck).
CREATE TABLE concrete_specimens (
    id TEXT PRIMARY KEY,
    batch_id TEXT NOT NULL REFERENCES concrete_batches(id),
    ticket_id TEXT REFERENCES concrete_tickets(id),
    project_id TEXT NOT NULL REFERENCES projects(id),
    code TEXT NOT NULL,
    curing TEXT NOT NULL,
    age_days BIGINT NOT NULL,
    specimen_mm BIGINT NOT NULL,
    sampled_at BIGINT NOT NULL,
    strengths TEXT,
    tested_at BIGINT,
    report_no TEXT,
    created_at BIGINT NOT NULL,
    UNIQUE (project_id, code)
);
CREATE INDEX concrete_specimens_batch ON concrete_specimens(batch_id, sampled_at);

-- GB/T 50107 acceptance of one lot (检验批) of a project's batches.
CREATE TABLE concrete_acceptances (
    id TEXT PRIMARY KEY,
    project_id TEXT NOT NULL REFERENCES projects(id),
    grade TEXT NOT NULL,
    batch_ids TEXT NOT NULL,
    specimen_ids TEXT NOT NULL,
    sigma0 DOUBLE PRECISION,
    method TEXT NOT NULL,
    n BIGINT NOT NULL,
    pass BIGINT NOT NULL,
    result TEXT NOT NULL,
    hazard_id TEXT,
    assessed_by TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX concrete_acceptances_project ON concrete_acceptances(project_id, created_at);

-- Every step, with the content its ledger record hashes.
CREATE TABLE concrete_events (
    id TEXT PRIMARY KEY,
    subject_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    at BIGINT NOT NULL,
    actor_id TEXT,
    content TEXT NOT NULL
);
CREATE INDEX concrete_events_subject ON concrete_events(subject_id, at);
