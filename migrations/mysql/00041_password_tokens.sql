-- +goose Up
-- One-time set-password links: id is the SHA-256 of the secret in the link.
CREATE TABLE password_tokens (
  id CHAR(64) NOT NULL PRIMARY KEY,
  operator_id BIGINT NOT NULL,
  created_by VARCHAR(200) NOT NULL DEFAULT '',
  created_at DATETIME(6) NOT NULL,
  expires_at DATETIME(6) NOT NULL,
  KEY password_tokens_operator (operator_id),
  KEY password_tokens_expires (expires_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE password_tokens;
