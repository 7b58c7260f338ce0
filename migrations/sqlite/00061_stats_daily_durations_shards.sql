-- +goose Up
-- See migrations/mysql/00061_stats_daily_durations_shards.sql.
CREATE TABLE stats_daily_durations_new (
  day TEXT NOT NULL,
  metric TEXT NOT NULL,
  actor_type TEXT NOT NULL DEFAULT '',
  actor_id INTEGER NOT NULL DEFAULT 0,
  le_seconds INTEGER NOT NULL,
  n INTEGER NOT NULL DEFAULT 0,
  sum_ms INTEGER NOT NULL DEFAULT 0,
  shard INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (day, metric, actor_type, actor_id, le_seconds, shard)
);
INSERT INTO stats_daily_durations_new (day, metric, actor_type, actor_id, le_seconds, n, sum_ms)
  SELECT day, metric, actor_type, actor_id, le_seconds, n, sum_ms FROM stats_daily_durations;
DROP TABLE stats_daily_durations;
ALTER TABLE stats_daily_durations_new RENAME TO stats_daily_durations;

-- +goose Down
CREATE TABLE stats_daily_durations_old (
  day TEXT NOT NULL,
  metric TEXT NOT NULL,
  actor_type TEXT NOT NULL DEFAULT '',
  actor_id INTEGER NOT NULL DEFAULT 0,
  le_seconds INTEGER NOT NULL,
  n INTEGER NOT NULL DEFAULT 0,
  sum_ms INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (day, metric, actor_type, actor_id, le_seconds)
);
INSERT INTO stats_daily_durations_old
  SELECT day, metric, actor_type, actor_id, le_seconds, SUM(n), SUM(sum_ms)
  FROM stats_daily_durations GROUP BY day, metric, actor_type, actor_id, le_seconds;
DROP TABLE stats_daily_durations;
ALTER TABLE stats_daily_durations_old RENAME TO stats_daily_durations;
