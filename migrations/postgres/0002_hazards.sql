-- Hazard governance (H1–H7): hazards, their event timeline, attachments,
-- notifications, and the durable job queue for reminders and escalation.
CREATE TABLE hazards (
    id TEXT COLLATE "C" PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    tracking_code TEXT NOT NULL UNIQUE,
    channel TEXT NOT NULL,
    description TEXT NOT NULL,
    lon DOUBLE PRECISION,
    lat DOUBLE PRECISION,
    region_code TEXT COLLATE "C" NOT NULL REFERENCES regions(code),
    enterprise_id TEXT REFERENCES enterprises(id),
    project_id TEXT REFERENCES projects(id),
    taxonomy_item TEXT,
    classify_confidence DOUBLE PRECISION,
    needs_classification BIGINT NOT NULL DEFAULT 0,
    grade TEXT NOT NULL,
    grade_basis TEXT,
    state TEXT NOT NULL,
    deadline_ms BIGINT,
    extension_until_ms BIGINT,
    escalation_level BIGINT NOT NULL DEFAULT 0,
    assignee_user_id TEXT REFERENCES users(id),
    reporter_user_id TEXT REFERENCES users(id),
    reporter_contact_enc BYTEA,
    idempotency_key TEXT UNIQUE,
    reported_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    closed_at BIGINT,
    reminded_at BIGINT
);
CREATE INDEX hazards_region ON hazards(region_code, reported_at);
CREATE INDEX hazards_enterprise ON hazards(enterprise_id, reported_at);
CREATE INDEX hazards_state ON hazards(state, deadline_ms);
CREATE INDEX hazards_reported ON hazards(reported_at);

CREATE TABLE hazard_events (
    id TEXT COLLATE "C" PRIMARY KEY,
    hazard_id TEXT NOT NULL REFERENCES hazards(id),
    seq BIGINT NOT NULL,
    at BIGINT NOT NULL,
    actor_id TEXT,
    actor_name TEXT NOT NULL,
    party TEXT NOT NULL,
    event TEXT NOT NULL,
    state_before TEXT,
    state_after TEXT NOT NULL,
    note TEXT,
    data TEXT NOT NULL,
    attachments TEXT NOT NULL,
    public BIGINT NOT NULL DEFAULT 0,
    UNIQUE (hazard_id, seq)
);

CREATE TABLE attachments (
    sha256 TEXT COLLATE "C" PRIMARY KEY,
    mime TEXT NOT NULL,
    size BIGINT NOT NULL,
    content BYTEA NOT NULL,
    exif_lat DOUBLE PRECISION,
    exif_lon DOUBLE PRECISION,
    exif_time TEXT,
    created_at BIGINT NOT NULL
);

CREATE TABLE notifications (
    id TEXT COLLATE "C" PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id),
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    hazard_id TEXT REFERENCES hazards(id),
    created_at BIGINT NOT NULL,
    read_at BIGINT
);
CREATE INDEX notifications_user ON notifications(user_id, created_at);

CREATE TABLE jobs (
    id TEXT COLLATE "C" PRIMARY KEY,
    kind TEXT NOT NULL,
    unique_key TEXT NOT NULL UNIQUE,
    payload TEXT NOT NULL,
    run_at BIGINT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    locked_until BIGINT,
    done_at BIGINT,
    last_error TEXT
);
CREATE INDEX jobs_due ON jobs(done_at, run_at);
