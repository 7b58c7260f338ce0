-- +goose Up
-- Append-only history of each review. detail is a JSON snapshot of what the
-- event was based on (type, reason, score, message, reason code, notes).
CREATE TABLE review_events (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  review_id BIGINT NOT NULL,
  lead_id BIGINT NOT NULL,
  kind VARCHAR(16) NOT NULL,
  actor_type VARCHAR(16) NOT NULL,
  actor_id BIGINT NULL,
  actor_name VARCHAR(200) NOT NULL DEFAULT '',
  detail TEXT NULL,
  created_at DATETIME(6) NOT NULL,
  KEY review_events_review (review_id, id),
  KEY review_events_created (created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE review_events;
