-- +goose Up
-- One-time set-password links: id is the SHA-256 of the secret in the link.
CREATE TABLE password_tokens (
  id TEXT NOT NULL PRIMARY KEY,
  operator_id INTEGER NOT NULL,
  created_by TEXT NOT NULL DEFAULT '',
  created_at DATETIME NOT NULL,
  expires_at DATETIME NOT NULL
);
CREATE INDEX password_tokens_operator ON password_tokens (operator_id);
CREATE INDEX password_tokens_expires ON password_tokens (expires_at);

-- +goose Down
DROP TABLE password_tokens;
