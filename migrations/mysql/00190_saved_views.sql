-- +goose Up
-- Saved views: a named queue filter and sort (query is the normalised
-- query string the queue page reads), personal or shared by a lead.
-- Names compare byte for byte, as in SQLite.
CREATE TABLE saved_views (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  owner_id BIGINT NOT NULL,
  name VARCHAR(200) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  query VARCHAR(1000) NOT NULL,
  shared BOOLEAN NOT NULL DEFAULT FALSE,
  created_at DATETIME(6) NOT NULL,
  updated_at DATETIME(6) NOT NULL,
  UNIQUE KEY saved_views_owner_name (owner_id, name),
  KEY saved_views_shared (shared)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE saved_views;
