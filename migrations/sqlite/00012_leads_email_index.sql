-- +goose Up
-- The queue's search matches the start of the lead's email; SQLite uses an index for a case-insensitive LIKE 'x%' only when it is NOCASE.
CREATE INDEX leads_email ON leads (email COLLATE NOCASE);

-- +goose Down
DROP INDEX leads_email;
