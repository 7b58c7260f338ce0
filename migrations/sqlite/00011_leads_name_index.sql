-- +goose Up
-- The queue's search matches the start of the lead's name; SQLite uses an index for a case-insensitive LIKE 'x%' only when it is NOCASE.
CREATE INDEX leads_name ON leads (name COLLATE NOCASE);

-- +goose Down
DROP INDEX leads_name;
