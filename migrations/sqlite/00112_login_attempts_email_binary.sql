-- +goose Up
-- MySQL only (a binary collation); SQLite already compares these exactly
-- (emails are stored lower-case, so NOCASE on operators.email adds nothing).
SELECT 1;

-- +goose Down
SELECT 1;
