-- +goose Up
CREATE TABLE leads (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  external_id TEXT NOT NULL,
  name TEXT NOT NULL DEFAULT '',
  email TEXT NOT NULL DEFAULT '',
  company TEXT NOT NULL DEFAULT '',
  industry TEXT NOT NULL DEFAULT '',
  campaign TEXT NOT NULL DEFAULT '',
  score INTEGER NOT NULL DEFAULT 0,
  status TEXT NOT NULL DEFAULT 'new',
  tags TEXT NOT NULL DEFAULT '',
  failed_attempts INTEGER NOT NULL DEFAULT 0,
  last_reply_snippet TEXT NULL,
  message_subject TEXT NOT NULL DEFAULT '',
  message_body TEXT NULL,
  requires_human_review BOOLEAN NOT NULL DEFAULT 0,
  review_type TEXT NULL,
  review_reason TEXT NULL,
  created_at DATETIME NOT NULL,
  updated_at DATETIME NOT NULL
);
CREATE UNIQUE INDEX leads_external_id ON leads (external_id);

-- +goose Down
DROP TABLE leads;
