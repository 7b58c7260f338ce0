-- +goose Up
-- The queue's "highest score first" order: score descending, then oldest first.
CREATE INDEX reviews_queue_score ON reviews (status, score_at_flag DESC, flagged_at, id);

-- +goose Down
DROP INDEX reviews_queue_score ON reviews;
