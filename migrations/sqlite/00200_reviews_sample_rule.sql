-- +goose Up
-- QA sampling: a review with source 'sample' records the rule whose
-- unflagged lead it samples ('score' or 'quality_gate'); NULL otherwise.
ALTER TABLE reviews ADD COLUMN sample_rule TEXT NULL;

-- +goose Down
ALTER TABLE reviews DROP COLUMN sample_rule;
