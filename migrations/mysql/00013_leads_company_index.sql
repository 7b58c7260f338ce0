-- +goose Up
-- The queue's search matches the start of the lead's company (LIKE 'x%').
CREATE INDEX leads_company ON leads (company);

-- +goose Down
DROP INDEX leads_company ON leads;
