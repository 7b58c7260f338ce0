-- +goose Up
-- Sharded like stats_daily (00060), for the same reason.
ALTER TABLE stats_daily_durations ADD COLUMN shard SMALLINT NOT NULL DEFAULT 0,
  DROP PRIMARY KEY, ADD PRIMARY KEY (day, metric, actor_type, actor_id, le_seconds, shard);

-- +goose Down
CREATE TABLE stats_daily_durations_fold AS
  SELECT day, metric, actor_type, actor_id, le_seconds, SUM(n) AS n, SUM(sum_ms) AS sum_ms
  FROM stats_daily_durations GROUP BY day, metric, actor_type, actor_id, le_seconds;
DELETE FROM stats_daily_durations;
ALTER TABLE stats_daily_durations DROP PRIMARY KEY, DROP COLUMN shard,
  ADD PRIMARY KEY (day, metric, actor_type, actor_id, le_seconds);
INSERT INTO stats_daily_durations (day, metric, actor_type, actor_id, le_seconds, n, sum_ms)
  SELECT day, metric, actor_type, actor_id, le_seconds, n, sum_ms FROM stats_daily_durations_fold;
DROP TABLE stats_daily_durations_fold;
