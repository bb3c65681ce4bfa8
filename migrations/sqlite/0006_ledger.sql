-- Evidence ledger (L1): an RFC 6962 Merkle log.
--
-- A business transaction writes its record into `ledger_pending` (one row per
-- record, same transaction as the event, so neither exists without the
-- other). The sequencer moves pending records into `ledger_entries` in
-- batches, giving each the next leaf index, writes the tree's stored hashes
-- (golang.org/x/mod/sumdb/tlog layout) and signs a checkpoint.
CREATE TABLE ledger_pending (
    id TEXT PRIMARY KEY,
    record TEXT NOT NULL,
    subject TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE ledger_entries (
    idx INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    record TEXT NOT NULL,
    leaf_hash BLOB NOT NULL,
    subject TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    sequenced_at INTEGER NOT NULL
);
CREATE INDEX ledger_entries_leaf ON ledger_entries(leaf_hash);
CREATE INDEX ledger_entries_subject ON ledger_entries(subject);

CREATE TABLE ledger_hashes (
    idx INTEGER PRIMARY KEY,
    hash BLOB NOT NULL
);

CREATE TABLE ledger_checkpoints (
    size INTEGER PRIMARY KEY,
    root BLOB NOT NULL,
    note TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE ledger_cosignatures (
    size INTEGER NOT NULL REFERENCES ledger_checkpoints(size),
    witness TEXT NOT NULL,
    line TEXT NOT NULL,
    signed_at INTEGER NOT NULL,
    received_at INTEGER NOT NULL,
    PRIMARY KEY (size, witness)
);
