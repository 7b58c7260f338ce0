-- +goose Up
-- "Recent decisions" filtered to one operator (by default the viewer's own):
-- their decisions, latest first, in keyset order without scanning everyone's.
CREATE INDEX reviews_decided_by ON reviews (decided_by_type, decided_by_id, decided_at, id);

-- +goose Down
DROP INDEX reviews_decided_by ON reviews;
