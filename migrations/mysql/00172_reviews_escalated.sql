-- +goose Up
-- The "Escalated" view: the few escalated reviews, found without a scan.
CREATE INDEX reviews_escalated ON reviews (status, escalated_at);

-- +goose Down
DROP INDEX reviews_escalated ON reviews;
