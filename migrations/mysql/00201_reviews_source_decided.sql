-- +goose Up
-- The stats page's rule quality: decided reviews of one source over a
-- range of decision times (the rules' flags and the QA samples).
CREATE INDEX reviews_source_decided ON reviews (source, decided_at, status);

-- +goose Down
DROP INDEX reviews_source_decided ON reviews;
