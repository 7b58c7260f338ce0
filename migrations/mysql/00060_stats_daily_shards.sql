-- +goose Up
-- Decisions and flags add to a few counter rows per day. With one row per
-- key, every decision's transaction held the same row lock until its commit,
-- so decisions went one log flush at a time. The shard (review id mod 16)
-- spreads them over 16 rows; every reader already SUMs over the key.
ALTER TABLE stats_daily ADD COLUMN shard SMALLINT NOT NULL DEFAULT 0,
  DROP PRIMARY KEY, ADD PRIMARY KEY (day, kind, review_type, source, actor_type, actor_id, reason_code, shard);

-- +goose Down
-- Fold the shards back into one row per key. Several statements: a down
-- migration is an operator's deliberate step, and the counts are derived
-- data (`reviewq report --rebuild` recomputes them) if it stops half-way.
CREATE TABLE stats_daily_fold AS
  SELECT day, kind, review_type, source, actor_type, actor_id, reason_code, MAX(actor_name) AS actor_name, SUM(n) AS n
  FROM stats_daily GROUP BY day, kind, review_type, source, actor_type, actor_id, reason_code;
DELETE FROM stats_daily;
ALTER TABLE stats_daily DROP PRIMARY KEY, DROP COLUMN shard,
  ADD PRIMARY KEY (day, kind, review_type, source, actor_type, actor_id, reason_code);
INSERT INTO stats_daily (day, kind, review_type, source, actor_type, actor_id, reason_code, actor_name, n)
  SELECT day, kind, review_type, source, actor_type, actor_id, reason_code, actor_name, n FROM stats_daily_fold;
DROP TABLE stats_daily_fold;
