-- +goose Up
-- The "Snoozed" view: reviews snoozed until a later time.
CREATE INDEX reviews_snoozed ON reviews (snoozed_until, status);

-- +goose Down
DROP INDEX reviews_snoozed;
