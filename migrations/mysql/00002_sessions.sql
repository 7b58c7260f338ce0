-- +goose Up
-- id is the SHA-256 of the session token held in the cookie, so a copy of
-- this table cannot be replayed as a login.
CREATE TABLE sessions (
  id CHAR(64) NOT NULL PRIMARY KEY,
  operator_id BIGINT NOT NULL,
  created_at DATETIME(6) NOT NULL,
  last_seen_at DATETIME(6) NOT NULL,
  expires_at DATETIME(6) NOT NULL,
  ip VARCHAR(64) NOT NULL DEFAULT '',
  user_agent VARCHAR(255) NOT NULL DEFAULT '',
  KEY sessions_operator (operator_id),
  KEY sessions_expires (expires_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE sessions;
