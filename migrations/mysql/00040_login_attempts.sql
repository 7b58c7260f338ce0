-- +goose Up
-- Failed logins of the last window, by account and by client address, so
-- throttling holds across instances; old rows are deleted as new ones come.
CREATE TABLE login_attempts (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  email VARCHAR(254) NOT NULL,
  ip VARCHAR(64) NOT NULL,
  created_at DATETIME(6) NOT NULL,
  KEY login_attempts_email (email, created_at),
  KEY login_attempts_ip (ip, created_at),
  KEY login_attempts_created (created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE login_attempts;
