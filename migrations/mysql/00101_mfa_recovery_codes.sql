-- +goose Up
-- One-time recovery codes: code_hash is the SHA-256 of the code (50 random
-- bits each); used_at is set when it is spent.
CREATE TABLE mfa_recovery_codes (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  operator_id BIGINT NOT NULL,
  code_hash CHAR(64) NOT NULL,
  used_at DATETIME(6) NULL,
  created_at DATETIME(6) NOT NULL,
  KEY mfa_recovery_codes_operator (operator_id, code_hash)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- +goose Down
DROP TABLE mfa_recovery_codes;
