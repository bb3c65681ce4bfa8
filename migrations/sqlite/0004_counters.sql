-- Hazard numbers come from a counter that concurrent writers cannot collide
-- on: a row updated in place on SQLite (writers are serialised), a sequence
-- on PostgreSQL.
CREATE TABLE counters (
    key TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
