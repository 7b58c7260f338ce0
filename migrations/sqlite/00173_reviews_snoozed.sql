-- +goose Up
-- The "Snoozed" view: reviews snoozed until a later time.
CREATE INDEX reviews_snoozed ON reviews (status, snoozed_until);

-- +goose Down
DROP INDEX reviews_snoozed;
