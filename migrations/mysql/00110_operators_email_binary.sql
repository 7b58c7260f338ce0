-- +goose Up
-- Emails are compared byte for byte (they are stored normalised: trimmed,
-- lower-case, NFC). Under utf8mb4_unicode_ci "op\x01@x.io", a zero-width
-- space or fullwidth letters matched op@x.io and slipped past the lockout.
ALTER TABLE operators MODIFY email VARCHAR(254) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL;

-- +goose Down
ALTER TABLE operators MODIFY email VARCHAR(254) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci NOT NULL;
