-- Hazard governance (H1–H7): hazards, their event timeline, attachments,
-- notifications, and the durable job queue for reminders and escalation.
CREATE TABLE hazards (
    id TEXT PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    tracking_code TEXT NOT NULL UNIQUE,
    channel TEXT NOT NULL,
    description TEXT NOT NULL,
    lon REAL,
    lat REAL,
    region_code TEXT NOT NULL REFERENCES regions(code),
    enterprise_id TEXT REFERENCES enterprises(id),
    project_id TEXT REFERENCES projects(id),
    taxonomy_item TEXT,
    classify_confidence REAL,
    needs_classification INTEGER NOT NULL DEFAULT 0,
    grade TEXT NOT NULL,
    grade_basis TEXT,
    state TEXT NOT NULL,
    deadline_ms INTEGER,
    extension_until_ms INTEGER,
    escalation_level INTEGER NOT NULL DEFAULT 0,
    assignee_user_id TEXT REFERENCES users(id),
    reporter_user_id TEXT REFERENCES users(id),
    reporter_contact_enc BLOB,
    idempotency_key TEXT UNIQUE,
    reported_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    closed_at INTEGER,
    reminded_at INTEGER
);
CREATE INDEX hazards_region ON hazards(region_code, reported_at);
CREATE INDEX hazards_enterprise ON hazards(enterprise_id, reported_at);
CREATE INDEX hazards_state ON hazards(state, deadline_ms);
CREATE INDEX hazards_reported ON hazards(reported_at);

CREATE TABLE hazard_events (
    id TEXT PRIMARY KEY,
    hazard_id TEXT NOT NULL REFERENCES hazards(id),
    seq INTEGER NOT NULL,
    at INTEGER NOT NULL,
    actor_id TEXT,
    actor_name TEXT NOT NULL,
    party TEXT NOT NULL,
    event TEXT NOT NULL,
    state_before TEXT,
    state_after TEXT NOT NULL,
    note TEXT,
    data TEXT NOT NULL,
    attachments TEXT NOT NULL,
    public INTEGER NOT NULL DEFAULT 0,
    UNIQUE (hazard_id, seq)
);

CREATE TABLE attachments (
    sha256 TEXT PRIMARY KEY,
    mime TEXT NOT NULL,
    size INTEGER NOT NULL,
    content BLOB NOT NULL,
    exif_lat REAL,
    exif_lon REAL,
    exif_time TEXT,
    created_at INTEGER NOT NULL
);

CREATE TABLE notifications (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id),
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    hazard_id TEXT REFERENCES hazards(id),
    created_at INTEGER NOT NULL,
    read_at INTEGER
);
CREATE INDEX notifications_user ON notifications(user_id, created_at);

CREATE TABLE jobs (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    unique_key TEXT NOT NULL UNIQUE,
    payload TEXT NOT NULL,
    run_at INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    locked_until INTEGER,
    done_at INTEGER,
    last_error TEXT
);
CREATE INDEX jobs_due ON jobs(done_at, run_at);
