-- +goose Up
CREATE TABLE review_events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  review_id INTEGER NOT NULL,
  lead_id INTEGER NOT NULL,
  kind TEXT NOT NULL,
  actor_type TEXT NOT NULL,
  actor_id INTEGER NULL,
  actor_name TEXT NOT NULL DEFAULT '',
  detail TEXT NULL,
  created_at DATETIME NOT NULL
);
CREATE INDEX review_events_review ON review_events (review_id, id);
CREATE INDEX review_events_created ON review_events (created_at);

-- +goose Down
DROP TABLE review_events;
