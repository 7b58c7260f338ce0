-- +goose Up
-- An optional end of life: a token past it is refused like a revoked one.
ALTER TABLE api_tokens ADD COLUMN expires_at DATETIME NULL;

-- +goose Down
ALTER TABLE api_tokens DROP COLUMN expires_at;
