-- +goose Up
-- See migrations/mysql/00060_stats_daily_shards.sql. SQLite cannot change a
-- primary key in place: the table is rebuilt (in the migration's transaction).
CREATE TABLE stats_daily_new (
  day TEXT NOT NULL,
  kind TEXT NOT NULL,
  review_type TEXT NOT NULL,
  source TEXT NOT NULL,
  actor_type TEXT NOT NULL DEFAULT '',
  actor_id INTEGER NOT NULL DEFAULT 0,
  reason_code TEXT NOT NULL DEFAULT '',
  actor_name TEXT NOT NULL DEFAULT '',
  n INTEGER NOT NULL DEFAULT 0,
  shard INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (day, kind, review_type, source, actor_type, actor_id, reason_code, shard)
);
INSERT INTO stats_daily_new (day, kind, review_type, source, actor_type, actor_id, reason_code, actor_name, n)
  SELECT day, kind, review_type, source, actor_type, actor_id, reason_code, actor_name, n FROM stats_daily;
DROP TABLE stats_daily;
ALTER TABLE stats_daily_new RENAME TO stats_daily;

-- +goose Down
CREATE TABLE stats_daily_old (
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
INSERT INTO stats_daily_old
  SELECT day, kind, review_type, source, actor_type, actor_id, reason_code, MAX(actor_name), SUM(n)
  FROM stats_daily GROUP BY day, kind, review_type, source, actor_type, actor_id, reason_code;
DROP TABLE stats_daily;
ALTER TABLE stats_daily_old RENAME TO stats_daily;
