-- +goose Up
-- Per-day histograms of decision times, so medians, p90 and SLA compliance
-- over any range come from a few hundred rows per day. metric is 'wait'
-- (flag to decision) or 'handle' (claim to decision); le_seconds is the
-- bucket's upper bound (1 min steps under 1 h, 5 min under 24 h, 1 h under
-- 30 days, then one overflow bucket); sum_ms keeps averages exact.
CREATE TABLE stats_daily_durations (
  day CHAR(10) NOT NULL,
  metric VARCHAR(8) NOT NULL,
  actor_type VARCHAR(16) NOT NULL DEFAULT '',
  actor_id BIGINT NOT NULL DEFAULT 0,
  le_seconds BIGINT NOT NULL,
  n BIGINT NOT NULL DEFAULT 0,
  sum_ms BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (day, metric, actor_type, actor_id, le_seconds)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE stats_daily_durations;
