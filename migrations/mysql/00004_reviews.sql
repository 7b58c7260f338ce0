-- +goose Up
-- open_lead_id equals lead_id while the review is pending and is NULL once it
-- is decided: its unique key allows at most one open review per lead.
-- campaign is copied from the lead so the queue can filter on it by index.
CREATE TABLE reviews (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  lead_id BIGINT NOT NULL,
  open_lead_id BIGINT NULL,
  review_type VARCHAR(16) NOT NULL,
  reason VARCHAR(1000) NOT NULL DEFAULT '',
  source VARCHAR(16) NOT NULL,
  campaign VARCHAR(100) NOT NULL DEFAULT '',
  score_at_flag INT NOT NULL DEFAULT 0,
  flagged_at DATETIME(6) NOT NULL,
  status VARCHAR(16) NOT NULL DEFAULT 'pending',
  claimed_by BIGINT NULL,
  claimed_by_name VARCHAR(200) NULL,
  claim_expires_at DATETIME(6) NULL,
  decided_by_type VARCHAR(16) NULL,
  decided_by_id BIGINT NULL,
  decided_by_name VARCHAR(200) NULL,
  decided_at DATETIME(6) NULL,
  reason_code VARCHAR(64) NULL,
  notes TEXT NULL,
  decision_subject VARCHAR(500) NULL,
  decision_body TEXT NULL,
  version INT NOT NULL DEFAULT 1,
  created_at DATETIME(6) NOT NULL,
  updated_at DATETIME(6) NOT NULL,
  UNIQUE KEY reviews_open_lead (open_lead_id),
  KEY reviews_lead (lead_id, id),
  KEY reviews_queue (status, flagged_at, id),
  KEY reviews_queue_type (status, review_type, flagged_at, id),
  KEY reviews_queue_source (status, source, flagged_at, id),
  KEY reviews_queue_campaign (status, campaign, flagged_at, id),
  KEY reviews_decided (decided_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE reviews;
