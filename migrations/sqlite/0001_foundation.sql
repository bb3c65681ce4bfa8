-- Foundation: registry, accounts, audit. Times are epoch milliseconds UTC;
-- ids are lowercase UUIDv7 text; JSON is TEXT.
CREATE TABLE regions (
    code TEXT PRIMARY KEY,
    parent_code TEXT REFERENCES regions(code),
    name TEXT NOT NULL,
    level TEXT NOT NULL,
    geometry TEXT,
    centroid_lon REAL,
    centroid_lat REAL,
    created_at INTEGER NOT NULL
);
CREATE INDEX regions_parent ON regions(parent_code);

CREATE TABLE enterprises (
    id TEXT PRIMARY KEY,
    uscc TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    industry TEXT NOT NULL,
    address TEXT NOT NULL,
    lon REAL,
    lat REAL,
    region_code TEXT NOT NULL REFERENCES regions(code),
    scale TEXT NOT NULL,
    responsible TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX enterprises_region ON enterprises(region_code, name);

CREATE TABLE licences (
    id TEXT PRIMARY KEY,
    enterprise_id TEXT NOT NULL REFERENCES enterprises(id),
    kind TEXT NOT NULL,
    number TEXT NOT NULL,
    issued_on TEXT,
    expires_on TEXT,
    created_at INTEGER NOT NULL
);
CREATE INDEX licences_enterprise ON licences(enterprise_id);
CREATE INDEX licences_expiry ON licences(expires_on);

CREATE TABLE projects (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    region_code TEXT NOT NULL REFERENCES regions(code),
    address TEXT NOT NULL,
    lon REAL,
    lat REAL,
    builder_id TEXT NOT NULL REFERENCES enterprises(id),
    contractor_id TEXT NOT NULL REFERENCES enterprises(id),
    supervisor_id TEXT NOT NULL REFERENCES enterprises(id),
    start_on TEXT,
    status TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX projects_region ON projects(region_code);
CREATE INDEX projects_contractor ON projects(contractor_id);

CREATE TABLE people (
    id TEXT PRIMARY KEY,
    enterprise_id TEXT NOT NULL REFERENCES enterprises(id),
    name TEXT NOT NULL,
    id_number_enc BLOB NOT NULL,
    id_number_masked TEXT NOT NULL,
    id_number_digest TEXT NOT NULL,
    job TEXT NOT NULL,
    certificates TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX people_enterprise ON people(enterprise_id);
CREATE UNIQUE INDEX people_digest ON people(enterprise_id, id_number_digest);

CREATE TABLE users (
    id TEXT PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL,
    region_code TEXT REFERENCES regions(code),
    disabled INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL
);

CREATE TABLE user_enterprises (
    user_id TEXT NOT NULL REFERENCES users(id),
    enterprise_id TEXT NOT NULL REFERENCES enterprises(id),
    PRIMARY KEY (user_id, enterprise_id)
);
CREATE INDEX user_enterprises_enterprise ON user_enterprises(enterprise_id);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id),
    csrf TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE api_tokens (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id),
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    revoked_at INTEGER,
    last_used_at INTEGER
);
CREATE INDEX api_tokens_user ON api_tokens(user_id);

CREATE TABLE audit_log (
    id TEXT PRIMARY KEY,
    at INTEGER NOT NULL,
    actor_id TEXT,
    actor_name TEXT NOT NULL,
    action TEXT NOT NULL,
    entity TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    before_json TEXT,
    after_json TEXT
);
CREATE INDEX audit_entity ON audit_log(entity, entity_id);
CREATE INDEX audit_at ON audit_log(at);

CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
