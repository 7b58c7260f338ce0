-- +goose Up
-- The queue's search matches the start of the lead's email (LIKE 'x%').
CREATE INDEX leads_email ON leads (email);

-- +goose Down
DROP INDEX leads_email ON leads;
