-- +goose Up
-- TOTP second factor, one row per operator. secret is the TOTP key sealed
-- with AES-GCM under a key derived from REVIEWQ_SESSION_SECRET; the row is
-- pending until confirmed_at is set. last_step is the newest 30-second step
-- whose code was accepted: a code is never taken twice.
CREATE TABLE operator_mfa (
  operator_id BIGINT NOT NULL PRIMARY KEY,
  secret VARCHAR(255) NOT NULL,
  confirmed_at DATETIME(6) NULL,
  last_step BIGINT NOT NULL DEFAULT 0,
  created_at DATETIME(6) NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- +goose Down
DROP TABLE operator_mfa;
