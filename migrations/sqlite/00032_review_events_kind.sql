-- +goose Up
-- Counting one kind of history event over a time range (reopened decisions
-- on the stats page) reads only those events.
CREATE INDEX review_events_kind ON review_events (kind, created_at);

-- +goose Down
DROP INDEX review_events_kind;
