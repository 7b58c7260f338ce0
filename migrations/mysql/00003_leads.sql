-- +goose Up
-- requires_human_review, review_type and review_reason are the seed system's
-- columns; they are kept in step with the open review so an outreach engine
-- reading this table directly sees the flag.
CREATE TABLE leads (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  external_id VARCHAR(191) NOT NULL,
  name VARCHAR(200) NOT NULL DEFAULT '',
  email VARCHAR(254) NOT NULL DEFAULT '',
  company VARCHAR(200) NOT NULL DEFAULT '',
  industry VARCHAR(100) NOT NULL DEFAULT '',
  campaign VARCHAR(100) NOT NULL DEFAULT '',
  score INT NOT NULL DEFAULT 0,
  status VARCHAR(16) NOT NULL DEFAULT 'new',
  tags VARCHAR(1000) NOT NULL DEFAULT '',
  failed_attempts INT NOT NULL DEFAULT 0,
  last_reply_snippet TEXT NULL,
  message_subject VARCHAR(500) NOT NULL DEFAULT '',
  message_body TEXT NULL,
  requires_human_review BOOLEAN NOT NULL DEFAULT FALSE,
  review_type VARCHAR(16) NULL,
  review_reason VARCHAR(1000) NULL,
  created_at DATETIME(6) NOT NULL,
  updated_at DATETIME(6) NOT NULL,
  UNIQUE KEY leads_external_id (external_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE leads;
