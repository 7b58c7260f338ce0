-- +goose Up
-- See migrations/mysql/00031_stats_daily_durations.sql.
CREATE TABLE stats_daily_durations (
  day TEXT NOT NULL,
  metric TEXT NOT NULL,
  actor_type TEXT NOT NULL DEFAULT '',
  actor_id INTEGER NOT NULL DEFAULT 0,
  le_seconds INTEGER NOT NULL,
  n INTEGER NOT NULL DEFAULT 0,
  sum_ms INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (day, metric, actor_type, actor_id, le_seconds)
);

-- +goose Down
DROP TABLE stats_daily_durations;
