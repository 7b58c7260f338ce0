-- +goose Up
-- The queue's search matches the start of the lead's name (LIKE 'x%').
CREATE INDEX leads_name ON leads (name);

-- +goose Down
DROP INDEX leads_name ON leads;
