-- +goose Up
-- Auto-assignment rules; see the MySQL migration.
CREATE TABLE assignment_rules (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  review_type TEXT NULL,
  campaign TEXT NULL,
  skill TEXT NOT NULL,
  position INTEGER NOT NULL,
  active BOOLEAN NOT NULL,
  last_operator_id INTEGER NULL,
  assigned_count INTEGER NOT NULL DEFAULT 0,
  created_by TEXT NOT NULL DEFAULT '',
  created_at DATETIME NOT NULL,
  updated_at DATETIME NOT NULL
);

-- +goose Down
DROP TABLE assignment_rules;
