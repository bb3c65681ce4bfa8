-- Emergency responses (E1): a red alarm opens one; who was notified, the
-- first acknowledgement and the response time against the 15-minute target,
-- the measures taken, and the close-out review.
CREATE TABLE emergency_responses (
    id TEXT PRIMARY KEY,
    alarm_id TEXT NOT NULL UNIQUE REFERENCES alarms(id),
    enterprise_id TEXT NOT NULL,
    region_code TEXT NOT NULL,
    title TEXT NOT NULL,
    opened_at BIGINT NOT NULL,
    notified TEXT NOT NULL,
    acknowledged_at BIGINT,
    acknowledged_by TEXT,
    measures TEXT NOT NULL,
    closed_at BIGINT,
    closed_by TEXT,
    review TEXT
);
CREATE INDEX emergency_responses_region ON emergency_responses(region_code, opened_at);
