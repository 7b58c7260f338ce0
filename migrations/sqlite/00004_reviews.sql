-- +goose Up
CREATE TABLE reviews (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  lead_id INTEGER NOT NULL,
  open_lead_id INTEGER NULL,
  review_type TEXT NOT NULL,
  reason TEXT NOT NULL DEFAULT '',
  source TEXT NOT NULL,
  campaign TEXT NOT NULL DEFAULT '',
  score_at_flag INTEGER NOT NULL DEFAULT 0,
  flagged_at DATETIME NOT NULL,
  status TEXT NOT NULL DEFAULT 'pending',
  claimed_by INTEGER NULL,
  claimed_by_name TEXT NULL,
  claim_expires_at DATETIME NULL,
  decided_by_type TEXT NULL,
  decided_by_id INTEGER NULL,
  decided_by_name TEXT NULL,
  decided_at DATETIME NULL,
  reason_code TEXT NULL,
  notes TEXT NULL,
  decision_subject TEXT NULL,
  decision_body TEXT NULL,
  version INTEGER NOT NULL DEFAULT 1,
  created_at DATETIME NOT NULL,
  updated_at DATETIME NOT NULL
);
CREATE UNIQUE INDEX reviews_open_lead ON reviews (open_lead_id);
CREATE INDEX reviews_lead ON reviews (lead_id, id);
CREATE INDEX reviews_queue ON reviews (status, flagged_at, id);
CREATE INDEX reviews_queue_type ON reviews (status, review_type, flagged_at, id);
CREATE INDEX reviews_queue_source ON reviews (status, source, flagged_at, id);
CREATE INDEX reviews_queue_campaign ON reviews (status, campaign, flagged_at, id);
CREATE INDEX reviews_decided ON reviews (decided_at);

-- +goose Down
DROP TABLE reviews;
