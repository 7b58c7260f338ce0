-- +goose Up
-- TOTP second factor, one row per operator. secret is the TOTP key sealed
-- with AES-GCM under a key derived from REVIEWQ_SESSION_SECRET; the row is
-- pending until confirmed_at is set. last_step is the newest 30-second step
-- whose code was accepted: a code is never taken twice.
CREATE TABLE operator_mfa (
  operator_id INTEGER NOT NULL PRIMARY KEY,
  secret TEXT NOT NULL,
  confirmed_at DATETIME NULL,
  last_step INTEGER NOT NULL DEFAULT 0,
  created_at DATETIME NOT NULL
);

-- +goose Down
DROP TABLE operator_mfa;
