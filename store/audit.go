package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
)

// audit appends to the audit log inside the caller's transaction, so the
// action and its record commit together.
func audit(tx *gorm.DB, actor Actor, ip, action, target string, oldValue, newValue *string) error {
	e := AuditEntry{
		CreatedAt: Now(), ActorType: actor.Type, ActorID: actor.idPtr(), ActorName: actor.Name,
		Action: action, Target: target, OldValue: oldValue, NewValue: newValue, IP: ip,
	}
	if err := tx.Create(&e).Error; err != nil {
		return fmt.Errorf("write audit log: %w", err)
	}
	return nil
}

// AuditFilter selects audit entries; zero fields do not filter.
type AuditFilter struct {
	// Action is an exact action ("operator.set_role") or a category
	// ending in ".*" ("login.*").
	Action string
	// Actor is the actor's name, exactly.
	Actor string
	// From and To bound created_at (From inclusive, To exclusive).
	From, To time.Time
	// BeforeID is the keyset cursor: entries older than this id.
	BeforeID int64
	Limit    int
}

// Validate checks the filter's sizes and shape.
func (f AuditFilter) Validate() error {
	if len(f.Action) > 64 {
		return invalid("action", "is too long")
	}
	if len(f.Actor) > 200 {
		return invalid("actor", "is too long")
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.To.After(f.From) {
		return invalid("to", "must be after from")
	}
	if f.BeforeID < 0 {
		return ErrBadCursor
	}
	return nil
}

// escapeLike escapes LIKE's wildcards with '!', which means the same to
// SQLite and MySQL (a backslash does not).
func escapeLike(s string) string {
	return strings.NewReplacer(`!`, `!!`, `%`, `!%`, `_`, `!_`).Replace(s)
}

// ListAudit returns entries newest first; next is the cursor of the
// following page, 0 at the end.
func (s *Store) ListAudit(ctx context.Context, f AuditFilter) ([]AuditEntry, int64, error) {
	if err := f.Validate(); err != nil {
		return nil, 0, err
	}
	if f.Limit <= 0 || f.Limit > 200 {
		f.Limit = 200
	}
	q := s.DB.WithContext(ctx).Model(&AuditEntry{})
	if prefix, ok := strings.CutSuffix(f.Action, ".*"); ok {
		q = q.Where(`action LIKE ? ESCAPE '!'`, escapeLike(prefix)+".%")
	} else if f.Action != "" {
		q = q.Where("action = ?", f.Action)
	}
	if f.Actor != "" {
		q = q.Where("actor_name = ?", f.Actor)
	}
	if !f.From.IsZero() {
		q = q.Where("created_at >= ?", f.From.UTC())
	}
	if !f.To.IsZero() {
		q = q.Where("created_at < ?", f.To.UTC())
	}
	if f.BeforeID > 0 {
		q = q.Where("id < ?", f.BeforeID)
	}
	var out []AuditEntry
	if err := q.Order("id DESC").Limit(f.Limit + 1).Find(&out).Error; err != nil {
		return nil, 0, fmt.Errorf("list audit log: %w", err)
	}
	var next int64
	if len(out) > f.Limit {
		out = out[:f.Limit]
		next = out[len(out)-1].ID
	}
	return out, next, nil
}

// AuditActions lists the actions the log holds, for the filter's choices.
func (s *Store) AuditActions(ctx context.Context) ([]string, error) {
	var out []string
	if err := s.DB.WithContext(ctx).Model(&AuditEntry{}).Distinct("action").Order("action").Limit(200).Pluck("action", &out).Error; err != nil {
		return nil, fmt.Errorf("audit actions: %w", err)
	}
	return out, nil
}
