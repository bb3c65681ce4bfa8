-- Evidence ledger (L1): an RFC 6962 Merkle log.
--
-- A business transaction writes its record into `ledger_pending` (one row per
-- record, same transaction as the event, so neither exists without the
-- other). The sequencer moves pending records into `ledger_entries` in
-- batches, giving each the next leaf index, writes the tree's stored hashes
-- (golang.org/x/mod/sumdb/tlog layout) and signs a checkpoint.
CREATE TABLE ledger_pending (
    id TEXT COLLATE "C" PRIMARY KEY,
    record TEXT NOT NULL,
    subject TEXT COLLATE "C" NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE ledger_entries (
    idx BIGINT PRIMARY KEY,
    id TEXT COLLATE "C" NOT NULL UNIQUE,
    record TEXT NOT NULL,
    leaf_hash BYTEA NOT NULL,
    subject TEXT COLLATE "C" NOT NULL,
    created_at BIGINT NOT NULL,
    sequenced_at BIGINT NOT NULL
);
CREATE INDEX ledger_entries_leaf ON ledger_entries(leaf_hash);
CREATE INDEX ledger_entries_subject ON ledger_entries(subject);

CREATE TABLE ledger_hashes (
    idx BIGINT PRIMARY KEY,
    hash BYTEA NOT NULL
);

CREATE TABLE ledger_checkpoints (
    size BIGINT PRIMARY KEY,
    root BYTEA NOT NULL,
    note TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE ledger_cosignatures (
    size BIGINT NOT NULL REFERENCES ledger_checkpoints(size),
    witness TEXT NOT NULL,
    line TEXT NOT NULL,
    signed_at BIGINT NOT NULL,
    received_at BIGINT NOT NULL,
    PRIMARY KEY (size, witness)
);
