-- Mobile numbers of accounts, for SMS notifications (H3). Personal data:
-- stored encrypted (AES-256-GCM with the deployment's secret key) beside a
-- masked copy for display; decrypted only when a text is sent.
CREATE TABLE user_phones (
    user_id TEXT PRIMARY KEY REFERENCES users(id),
    phone_enc BLOB NOT NULL,
    phone_masked TEXT NOT NULL,
    updated_at INTEGER NOT NULL
);
