-- +goose Up
-- The admin account that created the token (NULL: the CLI or before 00114);
-- created_by keeps the name as it was then.
ALTER TABLE api_tokens ADD COLUMN created_by_id BIGINT NULL;

-- +goose Down
ALTER TABLE api_tokens DROP COLUMN created_by_id;
