-- +goose Up
CREATE TABLE outbox_events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  msg_id TEXT NOT NULL,
  type TEXT NOT NULL,
  review_id INTEGER NULL,
  lead_id INTEGER NULL,
  body TEXT NOT NULL,
  created_at DATETIME NOT NULL
);
CREATE UNIQUE INDEX outbox_events_msg ON outbox_events (msg_id);
CREATE INDEX outbox_events_created ON outbox_events (created_at);

CREATE TABLE webhook_endpoints (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  url TEXT NOT NULL,
  event_types TEXT NOT NULL,
  kind TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  secret TEXT NOT NULL,
  previous_secret TEXT NULL,
  previous_secret_expires_at DATETIME NULL,
  enabled BOOLEAN NOT NULL,
  failing_since DATETIME NULL,
  failures INTEGER NOT NULL DEFAULT 0,
  disabled_reason TEXT NOT NULL DEFAULT '',
  created_by TEXT NOT NULL DEFAULT '',
  created_at DATETIME NOT NULL,
  updated_at DATETIME NOT NULL
);

CREATE TABLE webhook_deliveries (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  endpoint_id INTEGER NOT NULL,
  msg_id TEXT NOT NULL,
  order_key INTEGER NOT NULL,
  status TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at DATETIME NOT NULL,
  last_attempt_at DATETIME NULL,
  response_code INTEGER NULL,
  latency_ms INTEGER NULL,
  response_snippet TEXT NOT NULL DEFAULT '',
  error TEXT NOT NULL DEFAULT '',
  created_at DATETIME NOT NULL,
  delivered_at DATETIME NULL
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at);
CREATE INDEX webhook_deliveries_order ON webhook_deliveries (endpoint_id, order_key, status, id);
CREATE INDEX webhook_deliveries_msg ON webhook_deliveries (msg_id);
CREATE INDEX webhook_deliveries_done ON webhook_deliveries (delivered_at);

CREATE TABLE outbox_once (
  name TEXT NOT NULL,
  subject_id INTEGER NOT NULL,
  created_at DATETIME NOT NULL,
  PRIMARY KEY (name, subject_id)
);

-- +goose Down
DROP TABLE outbox_once;
DROP TABLE webhook_deliveries;
DROP TABLE webhook_endpoints;
DROP TABLE outbox_events;
