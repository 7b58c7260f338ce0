-- +goose Up
-- The transactional outbox: one row per event, written in the transaction
-- of the change it describes. msg_id is the Standard Webhooks message id
-- (the webhook-id header), the same on every delivery and retry.
CREATE TABLE outbox_events (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  msg_id VARCHAR(40) NOT NULL,
  type VARCHAR(40) NOT NULL,
  review_id BIGINT NULL,
  lead_id BIGINT NULL,
  body MEDIUMTEXT NOT NULL,
  created_at DATETIME(6) NOT NULL,
  UNIQUE KEY outbox_events_msg (msg_id),
  KEY outbox_events_created (created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Subscribers. The secrets sign deliveries and are never shown after
-- creation or rotation; previous_secret still signs until it expires.
CREATE TABLE webhook_endpoints (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  url VARCHAR(2000) NOT NULL,
  event_types VARCHAR(1000) NOT NULL,
  kind VARCHAR(8) NOT NULL,
  description VARCHAR(500) NOT NULL DEFAULT '',
  secret VARCHAR(100) NOT NULL,
  previous_secret VARCHAR(100) NULL,
  previous_secret_expires_at DATETIME(6) NULL,
  enabled BOOLEAN NOT NULL,
  failing_since DATETIME(6) NULL,
  failures INT NOT NULL DEFAULT 0,
  disabled_reason VARCHAR(200) NOT NULL DEFAULT '',
  created_by VARCHAR(200) NOT NULL DEFAULT '',
  created_at DATETIME(6) NOT NULL,
  updated_at DATETIME(6) NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- One row per event and subscribed endpoint, written with the event.
-- order_key is the lead id (0: unordered); a delivery waits for the
-- endpoint's earlier pending deliveries of the same lead.
CREATE TABLE webhook_deliveries (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  endpoint_id BIGINT NOT NULL,
  msg_id VARCHAR(40) NOT NULL,
  order_key BIGINT NOT NULL,
  status VARCHAR(16) NOT NULL,
  attempts INT NOT NULL DEFAULT 0,
  next_attempt_at DATETIME(6) NOT NULL,
  last_attempt_at DATETIME(6) NULL,
  response_code INT NULL,
  latency_ms INT NULL,
  response_snippet VARCHAR(500) NOT NULL DEFAULT '',
  error VARCHAR(500) NOT NULL DEFAULT '',
  created_at DATETIME(6) NOT NULL,
  delivered_at DATETIME(6) NULL,
  KEY webhook_deliveries_due (status, next_attempt_at),
  KEY webhook_deliveries_order (endpoint_id, order_key, status, id),
  KEY webhook_deliveries_msg (msg_id),
  KEY webhook_deliveries_done (delivered_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Events the scheduled check writes once (sla.warning of review 7, the
-- reminder of hour N, ...):
-- the primary key makes "once" hold across instances.
CREATE TABLE outbox_once (
  name VARCHAR(40) NOT NULL,
  subject_id BIGINT NOT NULL,
  created_at DATETIME(6) NOT NULL,
  PRIMARY KEY (name, subject_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE outbox_once;
DROP TABLE webhook_deliveries;
DROP TABLE webhook_endpoints;
DROP TABLE outbox_events;
