-- Inspections and enforcement (I1–I4).
-- Checklist templates, versioned: a template code has one row per version;
-- inspections point at the version they filled, so a new version never
-- changes what an old inspection meant.
CREATE TABLE inspection_templates (
    id TEXT PRIMARY KEY,
    code TEXT NOT NULL,
    version BIGINT NOT NULL,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    industry TEXT,
    body TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    source TEXT NOT NULL,
    created_by TEXT,
    created_at BIGINT NOT NULL,
    UNIQUE (code, version)
);

-- An inspection (self, expert, enforcement) of an enterprise or project.
CREATE TABLE inspections (
    id TEXT PRIMARY KEY,
    number TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    template_id TEXT NOT NULL REFERENCES inspection_templates(id),
    enterprise_id TEXT NOT NULL REFERENCES enterprises(id),
    project_id TEXT REFERENCES projects(id),
    region_code TEXT COLLATE "C" NOT NULL,
    inspector_id TEXT,
    inspector_name TEXT NOT NULL,
    state TEXT NOT NULL,
    period TEXT,
    started_at BIGINT NOT NULL,
    submitted_at BIGINT,
    lon DOUBLE PRECISION,
    lat DOUBLE PRECISION,
    items BIGINT NOT NULL,
    passed BIGINT NOT NULL,
    failed BIGINT NOT NULL,
    not_applicable BIGINT NOT NULL,
    score DOUBLE PRECISION,
    grade TEXT,
    idempotency_key TEXT UNIQUE,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX inspections_enterprise ON inspections(enterprise_id, kind, submitted_at);
CREATE INDEX inspections_region ON inspections(region_code, submitted_at);
CREATE INDEX inspections_period ON inspections(kind, period);

-- Each answered item; a failing one links the hazard it became.
CREATE TABLE inspection_results (
    inspection_id TEXT NOT NULL REFERENCES inspections(id),
    item_code TEXT NOT NULL,
    instance BIGINT NOT NULL,
    section_code TEXT NOT NULL,
    outcome TEXT NOT NULL,
    problem_code TEXT,
    deduction DOUBLE PRECISION,
    note TEXT,
    attachments TEXT NOT NULL,
    hazard_id TEXT,
    PRIMARY KEY (inspection_id, item_code, instance)
);
CREATE INDEX inspection_results_hazard ON inspection_results(hazard_id);

-- Self-inspection schedules per enterprise (monthly by default when absent).
CREATE TABLE inspection_schedules (
    enterprise_id TEXT PRIMARY KEY REFERENCES enterprises(id),
    period TEXT NOT NULL,
    due_day BIGINT NOT NULL,
    template_code TEXT,
    active BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- A regulator's decision on a discipline flag (late, missing, suspicious).
CREATE TABLE discipline_reviews (
    id TEXT PRIMARY KEY,
    enterprise_id TEXT NOT NULL REFERENCES enterprises(id),
    period TEXT NOT NULL,
    flag TEXT NOT NULL,
    decision TEXT NOT NULL,
    penalty_code TEXT,
    note TEXT,
    reviewer_id TEXT,
    reviewer_name TEXT NOT NULL,
    reviewed_at BIGINT NOT NULL,
    UNIQUE (enterprise_id, period, flag)
);

-- Enforcement documents (现场检查记录, 责令限期整改指令书, 整改复查意见书):
-- drafts, then issued (numbered, rendered, hashed, locked); a change is a
-- new version that supersedes the old one.
CREATE TABLE enforcement_documents (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    number TEXT UNIQUE,
    department_code TEXT COLLATE "C" NOT NULL,
    year BIGINT,
    seq BIGINT,
    inspection_id TEXT REFERENCES inspections(id),
    enterprise_id TEXT NOT NULL REFERENCES enterprises(id),
    region_code TEXT COLLATE "C" NOT NULL,
    version BIGINT NOT NULL,
    supersedes_id TEXT REFERENCES enforcement_documents(id),
    state TEXT NOT NULL,
    body TEXT NOT NULL,
    pdf_sha256 TEXT,
    issued_at BIGINT,
    issued_by TEXT,
    created_by TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX enforcement_documents_enterprise ON enforcement_documents(enterprise_id, created_at);
CREATE INDEX enforcement_documents_inspection ON enforcement_documents(inspection_id);

-- Document numbers run per issuing department, kind and year.
CREATE TABLE document_counters (
    department_code TEXT COLLATE "C" NOT NULL,
    kind TEXT NOT NULL,
    year BIGINT NOT NULL,
    last BIGINT NOT NULL,
    PRIMARY KEY (department_code, kind, year)
);

-- Check-ins of leaders on duty (带班) and workers, by face recognition, QR
-- scan or the API; special operations are checked against certificates.
CREATE TABLE duty_checkins (
    id TEXT PRIMARY KEY,
    enterprise_id TEXT NOT NULL REFERENCES enterprises(id),
    region_code TEXT COLLATE "C" NOT NULL,
    person_id TEXT NOT NULL REFERENCES people(id),
    role TEXT NOT NULL,
    method TEXT NOT NULL,
    device_id TEXT,
    operation TEXT,
    certified BIGINT,
    match_score DOUBLE PRECISION,
    at BIGINT NOT NULL,
    day TEXT NOT NULL,
    shift BIGINT NOT NULL,
    lon DOUBLE PRECISION,
    lat DOUBLE PRECISION,
    idempotency_key TEXT UNIQUE,
    created_at BIGINT NOT NULL
);
CREATE INDEX duty_checkins_enterprise ON duty_checkins(enterprise_id, day);
CREATE INDEX duty_checkins_region ON duty_checkins(region_code, day);

-- Safety training sessions and their sign-ins.
CREATE TABLE trainings (
    id TEXT PRIMARY KEY,
    enterprise_id TEXT NOT NULL REFERENCES enterprises(id),
    title TEXT NOT NULL,
    hours DOUBLE PRECISION NOT NULL,
    starts_at BIGINT NOT NULL,
    created_by TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX trainings_enterprise ON trainings(enterprise_id, starts_at);
CREATE TABLE training_signins (
    training_id TEXT NOT NULL REFERENCES trainings(id),
    person_id TEXT NOT NULL REFERENCES people(id),
    at BIGINT NOT NULL,
    method TEXT NOT NULL,
    PRIMARY KEY (training_id, person_id)
);
