-- +goose Up
-- The queue filtered by assignee (assignee=me|EMAIL), oldest first.
CREATE INDEX reviews_assignee ON reviews (assignee_id, status, flagged_at, id);

-- +goose Down
DROP INDEX reviews_assignee;
