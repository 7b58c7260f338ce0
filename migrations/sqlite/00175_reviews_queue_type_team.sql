-- +goose Up
-- The default view's counts read only this index again: escalated_at and
-- snoozed_until ride at its end (see the MySQL migration).
DROP INDEX reviews_queue_type;
CREATE INDEX reviews_queue_type ON reviews (status, review_type, flagged_at, id, escalated_at, snoozed_until);

-- +goose Down
DROP INDEX reviews_queue_type;
CREATE INDEX reviews_queue_type ON reviews (status, review_type, flagged_at, id);
