-- +goose Up
-- Saved views: a named queue filter and sort (query is the normalised
-- query string the queue page reads), personal or shared by a lead.
CREATE TABLE saved_views (
  id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
  owner_id INTEGER NOT NULL,
  name TEXT NOT NULL,
  query TEXT NOT NULL,
  shared BOOLEAN NOT NULL DEFAULT 0,
  created_at DATETIME NOT NULL,
  updated_at DATETIME NOT NULL
);
CREATE UNIQUE INDEX saved_views_owner_name ON saved_views (owner_id, name);
CREATE INDEX saved_views_shared ON saved_views (shared);

-- +goose Down
DROP TABLE saved_views;
