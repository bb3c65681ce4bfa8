-- IoT monitoring (M1–M4): devices with their own secrets, rules attached to
-- devices (with the rule's running state), readings, and alarms with their
-- history. One active alarm per device × rule: `open_key` is the rule id while
-- the alarm is not cleared and NULL after, under a UNIQUE constraint.
CREATE TABLE devices (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    device_type TEXT NOT NULL,
    enterprise_id TEXT NOT NULL REFERENCES enterprises(id),
    project_id TEXT REFERENCES projects(id),
    region_code TEXT NOT NULL REFERENCES regions(code),
    lon REAL,
    lat REAL,
    metrics TEXT NOT NULL,
    secret_enc BLOB NOT NULL,
    interval_s INTEGER NOT NULL,
    last_seen_at INTEGER,
    created_at INTEGER NOT NULL
);
CREATE INDEX devices_region ON devices(region_code);
CREATE INDEX devices_enterprise ON devices(enterprise_id);

CREATE TABLE device_rules (
    id TEXT PRIMARY KEY,
    device_id TEXT NOT NULL REFERENCES devices(id),
    name TEXT NOT NULL,
    template_key TEXT,
    rule TEXT NOT NULL,
    state TEXT NOT NULL,
    enabled INTEGER NOT NULL DEFAULT 1,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX device_rules_device ON device_rules(device_id);

CREATE TABLE readings (
    device_id TEXT NOT NULL REFERENCES devices(id),
    metric TEXT NOT NULL,
    at INTEGER NOT NULL,
    value REAL NOT NULL,
    received_at INTEGER NOT NULL,
    PRIMARY KEY (device_id, metric, at)
);

CREATE TABLE alarms (
    id TEXT PRIMARY KEY,
    device_id TEXT NOT NULL REFERENCES devices(id),
    rule_id TEXT NOT NULL REFERENCES device_rules(id),
    open_key TEXT UNIQUE,
    region_code TEXT NOT NULL,
    enterprise_id TEXT NOT NULL,
    metric TEXT NOT NULL,
    level TEXT NOT NULL,
    state TEXT NOT NULL,
    raised_at INTEGER NOT NULL,
    level_at INTEGER NOT NULL,
    last_value REAL NOT NULL,
    peak_value REAL NOT NULL,
    acknowledged_by TEXT,
    acknowledged_at INTEGER,
    cleared_by TEXT,
    cleared_at INTEGER
);
CREATE INDEX alarms_region ON alarms(region_code, raised_at);
CREATE INDEX alarms_device ON alarms(device_id, raised_at);

CREATE TABLE alarm_events (
    id TEXT PRIMARY KEY,
    alarm_id TEXT NOT NULL REFERENCES alarms(id),
    at INTEGER NOT NULL,
    actor_name TEXT NOT NULL,
    event TEXT NOT NULL,
    level TEXT NOT NULL,
    value REAL,
    note TEXT
);
CREATE INDEX alarm_events_alarm ON alarm_events(alarm_id, at);
