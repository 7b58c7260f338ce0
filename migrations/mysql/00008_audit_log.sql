-- +goose Up
CREATE TABLE audit_log (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  created_at DATETIME(6) NOT NULL,
  actor_type VARCHAR(16) NOT NULL,
  actor_id BIGINT NULL,
  actor_name VARCHAR(200) NOT NULL DEFAULT '',
  action VARCHAR(64) NOT NULL,
  target VARCHAR(255) NOT NULL DEFAULT '',
  old_value TEXT NULL,
  new_value TEXT NULL,
  ip VARCHAR(64) NOT NULL DEFAULT '',
  KEY audit_log_created (created_at, id),
  KEY audit_log_action (action, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE audit_log;
