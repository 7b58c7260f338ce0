-- +goose Up
-- The queue's search matches the start of the lead's company; SQLite uses an index for a case-insensitive LIKE 'x%' only when it is NOCASE.
CREATE INDEX leads_company ON leads (company COLLATE NOCASE);

-- +goose Down
DROP INDEX leads_company;
