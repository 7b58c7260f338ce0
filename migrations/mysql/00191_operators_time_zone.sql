-- +goose Up
-- The time zone (IANA name) an operator reads times in; '' is the
-- deployment's default (the display.time_zone setting).
ALTER TABLE operators ADD COLUMN time_zone VARCHAR(64) NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE operators DROP COLUMN time_zone;
