-- +goose Up
-- Fill leads.last_decision from the reviews decided before it existed.
UPDATE leads SET last_decision = (
  SELECT decided.status FROM reviews decided
  WHERE decided.lead_id = leads.id AND decided.decided_at IS NOT NULL
  ORDER BY decided.id DESC LIMIT 1)
WHERE EXISTS (SELECT 1 FROM reviews r WHERE r.lead_id = leads.id AND r.decided_at IS NOT NULL);

-- +goose Down
-- Nothing to undo: the values stay true of the decisions made (and 00063's
-- down drops the column).
