-- +goose Up
-- An operator's choice to turn the queue's single-key shortcuts off
-- (WCAG 2.1.4): set on the account page, read with the session.
ALTER TABLE operators ADD COLUMN shortcuts_off BOOLEAN NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE operators DROP COLUMN shortcuts_off;
