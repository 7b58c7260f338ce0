-- +goose Up
-- A decision records a fingerprint (sha256, hex) of the message the operator
-- saw and decided on, so a later change to it is noticed: an approval stands
-- only for what was approved.
ALTER TABLE reviews ADD COLUMN decision_fingerprint TEXT NULL;

-- +goose Down
ALTER TABLE reviews DROP COLUMN decision_fingerprint;
