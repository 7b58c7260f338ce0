-- +goose Up
-- The audit page filters by actor, newest first.
CREATE INDEX audit_log_actor ON audit_log (actor_name, id);

-- +goose Down
DROP INDEX audit_log_actor;
