-- +goose Up
-- External ids are the engines' keys: "ABC-1" and "abc-1" (or "a\x01bc-1")
-- are different leads, as they are on SQLite.
ALTER TABLE leads MODIFY external_id VARCHAR(191) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL;

-- +goose Down
ALTER TABLE leads MODIFY external_id VARCHAR(191) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci NOT NULL;
