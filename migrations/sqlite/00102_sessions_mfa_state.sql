-- +goose Up
-- A session that is not fully signed in: 'code' waits for the second factor
-- (and grants nothing else), 'enrol' may only set one up. '' is signed in.
ALTER TABLE sessions ADD COLUMN mfa_state TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE sessions DROP COLUMN mfa_state;
