package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
)

// Team work on an open review: assignment, escalation to the leads and
// snoozing. Each is one transaction that locks the review, changes it under
// a conditional update on its version (a concurrent change gets a
// ConflictError), writes a history event and the matching webhook event,
// and for assignment an audit entry.
//
// A snooze ends by itself: a review whose snoozed_until has passed counts as
// not snoozed in every query, so no job has to wake it. The SLA clock keeps
// running while a review is snoozed or escalated (its age is always from
// flagged_at).

// MaxSnooze is the longest a review may be snoozed.
const MaxSnooze = 30 * 24 * time.Hour

// ForbiddenError is an action the actor's role does not allow.
type ForbiddenError struct{ Message string }

func (e *ForbiddenError) Error() string { return e.Message }

// TeamChange is what a team action asks for beyond the review: the version
// the caller saw (0: any), the actor and their address for the audit log.
type TeamChange struct {
	ReviewID        int64
	ExpectedVersion int
	Actor           Actor
	IP              string
}

// actsAsLead reports whether actor may route work: a lead or admin, or an
// API token with queue:write (the engines) or the system. It reads the
// operator's role inside tx, so a role changed a moment ago counts.
func actsAsLead(tx *gorm.DB, actor Actor) (bool, error) {
	if actor.Type != ActorOperator {
		return true, nil
	}
	var op Operator
	err := tx.Select("role", "active").Where("id = ?", actor.ID).Take(&op).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("find operator: %w", err)
	}
	return op.Active && RoleRank(op.Role) >= RoleRank(RoleLead), nil
}

// teamUpdate runs a team action on a pending review: it locks the review,
// refuses a decided one or a stale ExpectedVersion, lets check refuse or
// decide there is nothing to do (nil upd), then updates upd plus the version
// under a conditional update and applies the same values to the returned
// review through apply.
func (s *Store) teamUpdate(ctx context.Context, in TeamChange, check func(tx *gorm.DB, r *Review, now time.Time) (upd map[string]any, after func(tx *gorm.DB, r *Review) error, err error)) (*Review, error) {
	var out *Review
	err := s.tx(ctx, func(tx *gorm.DB) error {
		out = nil
		r, err := lockReview(tx, in.ReviewID)
		if err != nil {
			return err
		}
		if r.Status != StatusPending {
			return decidedConflict(r)
		}
		if in.ExpectedVersion != 0 && in.ExpectedVersion != r.Version {
			return &ConflictError{Message: "this review changed since you opened it; look again"}
		}
		now := Now()
		upd, after, err := check(tx, r, now)
		if err != nil {
			return err
		}
		if upd == nil {
			out = r
			return nil
		}
		upd["version"], upd["updated_at"] = r.Version+1, now
		res := tx.Model(&Review{}).Where("id = ? AND version = ? AND status = ?", r.ID, r.Version, StatusPending).Updates(upd)
		if res.Error != nil {
			return fmt.Errorf("update review: %w", res.Error)
		}
		if res.RowsAffected != 1 {
			return &ConflictError{Message: "this review changed meanwhile; look again"}
		}
		fresh, err := lockReview(tx, r.ID)
		if err != nil {
			return err
		}
		if err := after(tx, fresh); err != nil {
			return err
		}
		out = fresh
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// AssignInput assigns a review to the operator with AssigneeEmail, or
// clears the assignment ("").
type AssignInput struct {
	TeamChange
	AssigneeEmail string
}

// Assign sets or clears who a pending review is assigned to. Leads and
// admins (and API tokens) assign anyone and clear any assignment; an
// operator may only take an unassigned review for themself or give back
// their own. The assignee must be an active operator.
func (s *Store) Assign(ctx context.Context, in AssignInput) (*Review, error) {
	var assignee *Operator
	if email := strings.TrimSpace(in.AssigneeEmail); email != "" {
		op, err := s.activeAssignee(ctx, "assignee", email)
		if err != nil {
			return nil, err
		}
		assignee = op
	}
	return s.assignTo(ctx, in.TeamChange, assignee)
}

// activeAssignee is the active operator with email, or a ValidationError
// naming field.
func (s *Store) activeAssignee(ctx context.Context, field, email string) (*Operator, error) {
	op, err := s.GetOperatorByEmail(ctx, email)
	if errors.Is(err, ErrNotFound) || (err == nil && !op.Active) {
		return nil, invalid(field, "no active operator with email %q", email)
	}
	return op, err
}

// assignTo is Assign with the assignee found (nil: clear).
func (s *Store) assignTo(ctx context.Context, in TeamChange, assignee *Operator) (*Review, error) {
	return s.teamUpdate(ctx, in, func(tx *gorm.DB, r *Review, now time.Time) (map[string]any, func(*gorm.DB, *Review) error, error) {
		lead, err := actsAsLead(tx, in.Actor)
		if err != nil {
			return nil, nil, err
		}
		if !lead {
			self := in.Actor.Type == ActorOperator && assignee != nil && assignee.ID == in.Actor.ID
			giveBack := assignee == nil && r.AssigneeID != nil && in.Actor.Type == ActorOperator && *r.AssigneeID == in.Actor.ID
			switch {
			case self && r.AssigneeID != nil && *r.AssigneeID != in.Actor.ID:
				return nil, nil, &ConflictError{Message: "already assigned to " + deref(r.AssigneeName) + "; ask a lead to reassign it"}
			case !self && !giveBack:
				return nil, nil, &ForbiddenError{Message: "an operator may only take an unassigned review for themself or give back their own; leads assign others"}
			}
		}
		if (assignee == nil && r.AssigneeID == nil) || (assignee != nil && r.AssigneeID != nil && *r.AssigneeID == assignee.ID) {
			return nil, nil, nil
		}
		from := deref(r.AssigneeName)
		upd := map[string]any{"assignee_id": nil, "assignee_name": nil}
		kind, to := EventUnassigned, ""
		var assigneeJSON any
		if assignee != nil {
			upd["assignee_id"], upd["assignee_name"] = assignee.ID, assignee.Name
			kind, to = EventAssigned, assignee.Name
			assigneeJSON = map[string]any{"id": assignee.ID, "name": assignee.Name, "email": assignee.Email}
		}
		return upd, func(tx *gorm.DB, r *Review) error {
			detail := map[string]any{"from": from, "to": to}
			if assignee != nil {
				detail["to_email"] = assignee.Email
			}
			if err := tx.Create(newEvent(r, kind, in.Actor, detail)).Error; err != nil {
				return fmt.Errorf("write history: %w", err)
			}
			if err := audit(tx, in.Actor, in.IP, "review.assign", "review:"+strconv.FormatInt(r.ID, 10), optional(from), optional(to)); err != nil {
				return err
			}
			return s.emitReviewChange(ctx, tx, WebhookReviewAssigned, r, "assigned_by", in.Actor,
				map[string]any{"assignee": assigneeJSON, "previous_assignee": optional(from)})
		}, nil
	})
}

// Escalate hands a pending review up to the leads with a required note: it
// leaves the default view (and "next") for the "Escalated" view until a
// lead decides it or sends it back. It ends a snooze, and releases the
// escalating operator's claim so that a lead can decide at once. Another
// operator's live claim refuses it, as for decisions.
func (s *Store) Escalate(ctx context.Context, in TeamChange, note string) (*Review, error) {
	note = strings.TrimSpace(note)
	if note == "" {
		return nil, invalid("note", "is required: say what the leads should look at")
	}
	if utf8.RuneCountInString(note) > 2000 {
		return nil, invalid("note", "must be at most 2000 characters")
	}
	return s.teamUpdate(ctx, in, func(tx *gorm.DB, r *Review, now time.Time) (map[string]any, func(*gorm.DB, *Review) error, error) {
		if r.EscalatedAt != nil {
			return nil, nil, &ConflictError{Message: "already escalated: " + deref(r.EscalationNote)}
		}
		if err := claimRefusal(r, in.Actor, now); err != nil {
			return nil, nil, err
		}
		upd := map[string]any{"escalated_at": now, "escalation_note": note, "snoozed_until": nil, "snooze_reason": nil,
			"claimed_by": nil, "claimed_by_name": nil, "claim_expires_at": nil}
		return upd, func(tx *gorm.DB, r *Review) error {
			if err := tx.Create(newEvent(r, EventEscalated, in.Actor, map[string]any{"note": note})).Error; err != nil {
				return fmt.Errorf("write history: %w", err)
			}
			return s.emitReviewChange(ctx, tx, WebhookReviewEscalated, r, "escalated_by", in.Actor,
				map[string]any{"escalated": true, "note": note})
		}, nil
	})
}

// SendBack returns an escalated review to the operators' queue (leads and
// admins only; an API token too).
func (s *Store) SendBack(ctx context.Context, in TeamChange) (*Review, error) {
	return s.teamUpdate(ctx, in, func(tx *gorm.DB, r *Review, now time.Time) (map[string]any, func(*gorm.DB, *Review) error, error) {
		lead, err := actsAsLead(tx, in.Actor)
		if err != nil {
			return nil, nil, err
		}
		if !lead {
			return nil, nil, &ForbiddenError{Message: "only a lead or admin sends an escalated review back"}
		}
		if r.EscalatedAt == nil {
			return nil, nil, &ConflictError{Message: "this review is not escalated"}
		}
		note := deref(r.EscalationNote)
		return map[string]any{"escalated_at": nil, "escalation_note": nil}, func(tx *gorm.DB, r *Review) error {
			if err := tx.Create(newEvent(r, EventSentBack, in.Actor, map[string]any{"note": note})).Error; err != nil {
				return fmt.Errorf("write history: %w", err)
			}
			return s.emitReviewChange(ctx, tx, WebhookReviewEscalated, r, "sent_back_by", in.Actor,
				map[string]any{"escalated": false, "note": note})
		}, nil
	})
}

// ValidateSnooze checks a snooze's time and reason code against now and the
// settings.
func ValidateSnooze(set Settings, until time.Time, reasonCode string, now time.Time) (time.Time, string, error) {
	until = until.UTC().Truncate(time.Microsecond)
	if !until.After(now) {
		return until, "", invalid("until", "must be in the future")
	}
	if until.Sub(now) > MaxSnooze {
		return until, "", invalid("until", "must be at most 30 days ahead")
	}
	reasonCode = strings.TrimSpace(reasonCode)
	codes := set.List(KeyReasonsSnooze)
	if reasonCode == "" {
		return until, "", invalid("reason_code", "is required; one of %s", strings.Join(codes, ", "))
	}
	if !slices.Contains(codes, reasonCode) {
		return until, "", invalid("reason_code", "unknown reason code %q; one of %s", reasonCode, strings.Join(codes, ", "))
	}
	return until, reasonCode, nil
}

// Snooze keeps a pending review out of the default view and "next" until
// the given time (in the future, at most MaxSnooze ahead), with a reason
// code from reasons.snooze. Snoozing again moves the time. An escalated
// review is the leads' to decide and cannot be snoozed. It releases the
// snoozing operator's claim; another operator's live claim refuses it.
func (s *Store) Snooze(ctx context.Context, in TeamChange, until time.Time, reasonCode string) (*Review, error) {
	set, err := s.Settings(ctx)
	if err != nil {
		return nil, err
	}
	until, reasonCode, err = ValidateSnooze(set, until, reasonCode, Now())
	if err != nil {
		return nil, err
	}
	return s.teamUpdate(ctx, in, func(tx *gorm.DB, r *Review, now time.Time) (map[string]any, func(*gorm.DB, *Review) error, error) {
		if r.EscalatedAt != nil {
			return nil, nil, &ConflictError{Message: "this review is escalated; a lead decides it or sends it back"}
		}
		if err := claimRefusal(r, in.Actor, now); err != nil {
			return nil, nil, err
		}
		upd := map[string]any{"snoozed_until": until, "snooze_reason": reasonCode,
			"claimed_by": nil, "claimed_by_name": nil, "claim_expires_at": nil}
		return upd, func(tx *gorm.DB, r *Review) error {
			if err := tx.Create(newEvent(r, EventSnoozed, in.Actor, map[string]any{"until": until, "reason_code": reasonCode})).Error; err != nil {
				return fmt.Errorf("write history: %w", err)
			}
			return s.emitReviewChange(ctx, tx, WebhookReviewSnoozed, r, "snoozed_by", in.Actor,
				map[string]any{"snoozed_until": until, "reason_code": reasonCode})
		}, nil
	})
}

// Unsnooze returns a snoozed review to the queue before its time.
func (s *Store) Unsnooze(ctx context.Context, in TeamChange) (*Review, error) {
	return s.teamUpdate(ctx, in, func(tx *gorm.DB, r *Review, now time.Time) (map[string]any, func(*gorm.DB, *Review) error, error) {
		if !r.Snoozed(now) {
			return nil, nil, &ConflictError{Message: "this review is not snoozed"}
		}
		return map[string]any{"snoozed_until": nil, "snooze_reason": nil}, func(tx *gorm.DB, r *Review) error {
			if err := tx.Create(newEvent(r, EventUnsnoozed, in.Actor, nil)).Error; err != nil {
				return fmt.Errorf("write history: %w", err)
			}
			return s.emitReviewChange(ctx, tx, WebhookReviewSnoozed, r, "unsnoozed_by", in.Actor,
				map[string]any{"snoozed_until": nil, "reason_code": nil})
		}, nil
	})
}
