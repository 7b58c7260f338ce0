-- +goose Up
-- Failed logins of the last window, by account and by client address, so
-- throttling holds across instances; old rows are deleted as new ones come.
CREATE TABLE login_attempts (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  email TEXT NOT NULL COLLATE NOCASE,
  ip TEXT NOT NULL,
  created_at DATETIME NOT NULL
);
CREATE INDEX login_attempts_email ON login_attempts (email, created_at);
CREATE INDEX login_attempts_ip ON login_attempts (ip, created_at);
CREATE INDEX login_attempts_created ON login_attempts (created_at);

-- +goose Down
DROP TABLE login_attempts;
