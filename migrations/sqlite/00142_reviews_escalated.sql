-- +goose Up
-- The "Escalated" view: the few escalated reviews, found without a scan.
CREATE INDEX reviews_escalated ON reviews (escalated_at, status);

-- +goose Down
DROP INDEX reviews_escalated;
