-- +goose Up
-- One-time recovery codes: code_hash is the SHA-256 of the code (50 random
-- bits each); used_at is set when it is spent.
CREATE TABLE mfa_recovery_codes (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  operator_id INTEGER NOT NULL,
  code_hash TEXT NOT NULL,
  used_at DATETIME NULL,
  created_at DATETIME NOT NULL
);
CREATE INDEX mfa_recovery_codes_operator ON mfa_recovery_codes (operator_id, code_hash);

-- +goose Down
DROP TABLE mfa_recovery_codes;
