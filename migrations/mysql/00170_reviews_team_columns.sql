-- +goose Up
-- Team work on a review: who it is assigned to, an escalation to the leads
-- with its note, and a snooze until a time with its reason code. One
-- statement, so it applies whole or not at all.
ALTER TABLE reviews
  ADD COLUMN assignee_id BIGINT NULL,
  ADD COLUMN assignee_name VARCHAR(200) NULL,
  ADD COLUMN escalated_at DATETIME(6) NULL,
  ADD COLUMN escalation_note TEXT NULL,
  ADD COLUMN snoozed_until DATETIME(6) NULL,
  ADD COLUMN snooze_reason VARCHAR(64) NULL;

-- +goose Down
ALTER TABLE reviews
  DROP COLUMN assignee_id,
  DROP COLUMN assignee_name,
  DROP COLUMN escalated_at,
  DROP COLUMN escalation_note,
  DROP COLUMN snoozed_until,
  DROP COLUMN snooze_reason;
