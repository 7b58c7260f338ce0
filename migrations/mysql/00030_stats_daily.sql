-- +goose Up
-- Per-day counters of the review flow (UTC days, 'YYYY-MM-DD'), kept in the
-- same transaction as the flag or decision they count (store/stats_daily.go):
-- the stats page and /metrics read a few hundred rows per day of range
-- instead of the decision history. kind is flagged, approved, rejected or
-- skipped; actor_* and reason_code are '' / 0 where they do not apply.
CREATE TABLE stats_daily (
  day CHAR(10) NOT NULL,
  kind VARCHAR(16) NOT NULL,
  review_type VARCHAR(16) NOT NULL,
  source VARCHAR(16) NOT NULL,
  actor_type VARCHAR(16) NOT NULL DEFAULT '',
  actor_id BIGINT NOT NULL DEFAULT 0,
  reason_code VARCHAR(64) NOT NULL DEFAULT '',
  actor_name VARCHAR(200) NOT NULL DEFAULT '',
  n BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (day, kind, review_type, source, actor_type, actor_id, reason_code)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE stats_daily;
