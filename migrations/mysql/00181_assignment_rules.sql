-- +goose Up
-- Auto-assignment rules: a new review whose type and campaign match
-- (NULL: any) goes to the next active operator with the skill, in
-- operator-id order after last_operator_id (the round-robin cursor, moved
-- under the rule row's lock in the flag's transaction). The first active
-- rule by (position, id) that finds an operator wins. A handful of rows:
-- read whole.
CREATE TABLE assignment_rules (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  review_type VARCHAR(16) NULL,
  campaign VARCHAR(200) NULL,
  skill VARCHAR(64) NOT NULL,
  position INT NOT NULL,
  active BOOLEAN NOT NULL,
  last_operator_id BIGINT NULL,
  assigned_count BIGINT NOT NULL DEFAULT 0,
  created_by VARCHAR(200) NOT NULL DEFAULT '',
  created_at DATETIME(6) NOT NULL,
  updated_at DATETIME(6) NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE assignment_rules;
