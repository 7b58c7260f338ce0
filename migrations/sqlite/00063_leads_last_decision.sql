-- +goose Up
-- The status of the lead's most recent decision (approved, rejected,
-- skipped), kept by the decision itself: eligibility reads it from the lead
-- row it already reads, so a reject stands even when an engine later resets
-- the lead's status, at no extra cost per lead.
ALTER TABLE leads ADD COLUMN last_decision TEXT NULL;

-- +goose Down
ALTER TABLE leads DROP COLUMN last_decision;
