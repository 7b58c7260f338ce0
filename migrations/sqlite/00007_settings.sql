-- +goose Up
CREATE TABLE settings (
  name TEXT NOT NULL PRIMARY KEY,
  value TEXT NOT NULL,
  updated_at DATETIME NOT NULL,
  updated_by TEXT NOT NULL DEFAULT ''
);

-- +goose Down
DROP TABLE settings;
