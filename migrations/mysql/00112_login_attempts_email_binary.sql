-- +goose Up
-- Failed logins are counted under the exact account key, like the account
-- lookup itself (00110).
ALTER TABLE login_attempts MODIFY email VARCHAR(254) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL;

-- +goose Down
ALTER TABLE login_attempts MODIFY email VARCHAR(254) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci NOT NULL;
