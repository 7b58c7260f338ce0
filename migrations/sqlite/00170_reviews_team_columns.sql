-- +goose Up
-- Team work on a review: who it is assigned to, an escalation to the leads
-- with its note, and a snooze until a time with its reason code.
ALTER TABLE reviews ADD COLUMN assignee_id INTEGER NULL;
ALTER TABLE reviews ADD COLUMN assignee_name TEXT NULL;
ALTER TABLE reviews ADD COLUMN escalated_at DATETIME NULL;
ALTER TABLE reviews ADD COLUMN escalation_note TEXT NULL;
ALTER TABLE reviews ADD COLUMN snoozed_until DATETIME NULL;
ALTER TABLE reviews ADD COLUMN snooze_reason TEXT NULL;

-- +goose Down
ALTER TABLE reviews DROP COLUMN snooze_reason;
ALTER TABLE reviews DROP COLUMN snoozed_until;
ALTER TABLE reviews DROP COLUMN escalation_note;
ALTER TABLE reviews DROP COLUMN escalated_at;
ALTER TABLE reviews DROP COLUMN assignee_name;
ALTER TABLE reviews DROP COLUMN assignee_id;
