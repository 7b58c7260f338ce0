-- +goose Up
-- See migrations/mysql/00030_stats_daily.sql.
CREATE TABLE stats_daily (
  day TEXT NOT NULL,
  kind TEXT NOT NULL,
  review_type TEXT NOT NULL,
  source TEXT NOT NULL,
  actor_type TEXT NOT NULL DEFAULT '',
  actor_id INTEGER NOT NULL DEFAULT 0,
  reason_code TEXT NOT NULL DEFAULT '',
  actor_name TEXT NOT NULL DEFAULT '',
  n INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (day, kind, review_type, source, actor_type, actor_id, reason_code)
);

-- +goose Down
DROP TABLE stats_daily;
