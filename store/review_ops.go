package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// ReflagInput changes the type and reason of an open review.
type ReflagInput struct {
	ReviewID   int64
	ReviewType string
	Reason     string
	// ExpectedVersion, when not 0, refuses the change if the review
	// changed since the operator saw it.
	ExpectedVersion int
	Actor           Actor
}

// Reflag changes an open review's type and reason: a history event, no new
// review. The version goes up, so a decision prepared on the old type or
// reason is refused and looked at again.
func (s *Store) Reflag(ctx context.Context, in ReflagInput) (*Review, error) {
	fi := FlagInput{ReviewType: in.ReviewType, Reason: in.Reason, Source: SourceManual}
	if err := fi.Validate(); err != nil {
		return nil, err
	}
	var out *Review
	err := s.tx(ctx, func(tx *gorm.DB) error {
		r, err := lockReview(tx, in.ReviewID)
		if err != nil {
			return err
		}
		if r.Status != StatusPending {
			return decidedConflict(r)
		}
		// Another operator's live claim stands, as for claim, release and
		// decide: a re-flag would bump the version under their decision.
		if err := claimRefusal(r, in.Actor, Now()); err != nil {
			return err
		}
		if in.ExpectedVersion != 0 && in.ExpectedVersion != r.Version {
			return &ConflictError{Message: "this review changed since you opened it; look again before re-flagging"}
		}
		if r.ReviewType == fi.ReviewType && r.Reason == fi.Reason {
			out = r
			return nil
		}
		now := Now()
		detail := map[string]any{"from_type": r.ReviewType, "from_reason": r.Reason, "review_type": fi.ReviewType, "reason": fi.Reason}
		res := tx.Model(&Review{}).Where("id = ? AND version = ?", r.ID, r.Version).
			Updates(map[string]any{"review_type": fi.ReviewType, "reason": fi.Reason, "version": r.Version + 1, "updated_at": now})
		if res.Error != nil {
			return fmt.Errorf("re-flag review: %w", res.Error)
		}
		r.ReviewType, r.Reason, r.Version, r.UpdatedAt = fi.ReviewType, fi.Reason, r.Version+1, now
		if err := tx.Create(newEvent(r, EventReflagged, in.Actor, detail)).Error; err != nil {
			return fmt.Errorf("write history: %w", err)
		}
		if err := setLeadFlag(tx, r.LeadID, r); err != nil {
			return err
		}
		if err := s.emitReviewChange(ctx, tx, WebhookReviewReflagged, r, "reflagged_by", in.Actor, map[string]any{"from_type": detail["from_type"], "from_reason": detail["from_reason"]}); err != nil {
			return err
		}
		out = r
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// AddNote adds a note to a review's history, whatever its status.
func (s *Store) AddNote(ctx context.Context, reviewID int64, text string, actor Actor) (*ReviewEvent, error) {
	text = strings.TrimSpace(text)
	if text == "" {
		return nil, invalid("note", "is empty")
	}
	if utf8.RuneCountInString(text) > 5000 {
		return nil, invalid("note", "must be at most 5000 characters")
	}
	var ev *ReviewEvent
	err := s.tx(ctx, func(tx *gorm.DB) error {
		var r Review
		err := tx.Where("id = ?", reviewID).Take(&r).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("find review: %w", err)
		}
		ev = newEvent(&r, EventNote, actor, map[string]any{"note": text})
		if err := tx.Create(ev).Error; err != nil {
			return fmt.Errorf("write note: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return ev, nil
}

func removeTag(tags, tag string) string {
	if tags == "" {
		return ""
	}
	return strings.Join(slices.DeleteFunc(strings.Split(tags, ","), func(t string) bool { return t == tag }), ",")
}

// Reopen returns a decided review to pending (overturning the decision):
// the lead is flagged again, gets back its status from before the decision
// and loses the outcome's tag (see Outcome.LeadTag), and both the
// history and the audit log record it. Only leads and admins may reopen;
// the caller checks the role. A lead that has meanwhile got another open
// review cannot have this one reopened (ConflictError). The decision is
// taken out of the daily stats as Undo takes one out (uncountDecision).
func (s *Store) Reopen(ctx context.Context, reviewID int64, actor Actor, ip string) (*Review, error) {
	var out Review
	err := s.tx(ctx, func(tx *gorm.DB) error {
		// The lead first, then the review: the order Flag and Decide take
		// them, so a reopen and a new flag on one lead queue (no deadlock)
		// and the "no other open review" check below cannot go stale.
		var leadOf Review
		err := tx.Select("lead_id").Where("id = ?", reviewID).Take(&leadOf).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("find review: %w", err)
		}
		if err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Select("id").Where("id = ?", leadOf.LeadID).Take(&Lead{}).Error; err != nil {
			return fmt.Errorf("lock lead: %w", err)
		}
		r, err := lockReview(tx, reviewID)
		if err != nil {
			return err
		}
		if r.Status == StatusPending {
			return &ConflictError{Message: "this review is already pending"}
		}
		if r.Status == StatusCleared {
			// Taken out by the emergency rollback: `reviewq flags restore`
			// puts it back, with its exact state.
			return &ConflictError{Message: "this review was cleared by a rollback; restore it with reviewq flags restore"}
		}
		if err := refuseOtherOpenReview(tx, r.LeadID); err != nil {
			return err
		}
		var lead Lead
		if err := tx.Where("id = ?", r.LeadID).Take(&lead).Error; err != nil {
			return fmt.Errorf("find lead: %w", err)
		}
		outbox, err := s.outbox(ctx, tx, lead.ID)
		if err != nil {
			return err
		}
		// The decision's snapshot holds the lead's status before it.
		var last ReviewEvent
		prevStatus := ""
		if err := tx.Where("review_id = ? AND kind IN ?", r.ID, decisionEvents()).
			Order("id DESC").Take(&last).Error; err == nil && last.Detail != nil {
			var snap struct {
				LeadStatus string `json:"lead_status"`
			}
			if json.Unmarshal([]byte(*last.Detail), &snap) == nil && slices.Contains(LeadStatuses, snap.LeadStatus) {
				prevStatus = snap.LeadStatus
			}
		}
		// The claims the decision's handle time was counted from, read
		// before the reopen event is written: uncountDecision works the
		// decision's wait and handle times out again from them.
		marks, err := readMarks(tx, []int64{r.ID})
		if err != nil {
			return err
		}
		now := Now()
		oldStatus := r.Status
		res := tx.Model(&Review{}).Where("id = ? AND version = ?", r.ID, r.Version).Updates(map[string]any{
			"status": StatusPending, "open_lead_id": r.LeadID, "decided_by_type": nil, "decided_by_id": nil,
			"decided_by_name": nil, "decided_at": nil, "reason_code": nil, "notes": nil, "decision_subject": nil,
			"decision_body": nil, "decision_fingerprint": nil, "version": r.Version + 1, "updated_at": now,
			// An escalation or snooze from before the decision is over.
			"escalated_at": nil, "escalation_note": nil, "snoozed_until": nil, "snooze_reason": nil,
		})
		if res.Error != nil {
			if errors.Is(res.Error, gorm.ErrDuplicatedKey) {
				return &ConflictError{Message: "the lead got another open review meanwhile; decide that one instead"}
			}
			return fmt.Errorf("reopen review: %w", res.Error)
		}
		if res.RowsAffected != 1 {
			return &ConflictError{Message: "this review changed while you reopened it; look again"}
		}
		if o, ok := OutcomeOfStatus(oldStatus); ok && o.ChangesLead() {
			upd := map[string]any{"updated_at": now}
			if o.LeadTag != "" {
				upd["tags"] = removeTag(lead.Tags, o.LeadTag)
			}
			if o.LeadStatus != "" && prevStatus != "" {
				upd["status"] = prevStatus
			}
			if err := tx.Model(&Lead{}).Where("id = ?", lead.ID).Updates(upd).Error; err != nil {
				return fmt.Errorf("update lead: %w", err)
			}
		}
		detail := map[string]any{"from_status": oldStatus, "decided_by": deref(r.DecidedByName)}
		if r.ReasonCode != nil {
			detail["reason_code"] = *r.ReasonCode
		}
		if err := tx.Create(newEvent(r, EventReopened, actor, detail)).Error; err != nil {
			return fmt.Errorf("write history: %w", err)
		}
		// The overturned decision stops counting as a decision in every
		// stat, exactly as an undone one (the reopen itself is counted from
		// this event); the next decision counts normally.
		if r.DecidedAt != nil {
			if err := s.uncountDecision(tx, r, marks[r.ID]); err != nil {
				return err
			}
		}
		if err := setLeadFlag(tx, lead.ID, r); err != nil {
			return err
		}
		// The overturned decision no longer stands (eligibility reads it).
		if err := tx.Model(&Lead{}).Where("id = ?", lead.ID).Update("last_decision", nil).Error; err != nil {
			return fmt.Errorf("update lead: %w", err)
		}
		if err := s.emitBackToPending(ctx, tx, outbox, WebhookReviewReopened, "reopened_by", r, actor); err != nil {
			return err
		}
		pending := StatusPending
		if err := audit(tx, actor, ip, "review.reopen", "review:"+strconv.FormatInt(r.ID, 10), &oldStatus, &pending); err != nil {
			return err
		}
		return tx.Where("id = ?", r.ID).Take(&out).Error
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// BulkLimit caps one bulk action; the page says so.
const BulkLimit = 200

// BulkInput decides many reviews the same way.
type BulkInput struct {
	ReviewIDs  []int64
	Outcome    string
	ReasonCode string
	Notes      string
	Actor      Actor
}

// BulkItem is the outcome of one review of a bulk action.
type BulkItem struct {
	ReviewID int64
	OK       bool
	// Message explains a refusal ("already approved by Ann at ...").
	Message string
}

// BulkDecide decides each review on its own, one Decide each (so one
// refusal does not undo the others, and each gets its own history event),
// and reports what happened to each. Bad input (outcome, reason code, too many
// ids) fails the whole request before anything changes.
func (s *Store) BulkDecide(ctx context.Context, in BulkInput) ([]BulkItem, error) {
	if len(in.ReviewIDs) == 0 {
		return nil, invalid("ids", "select at least one review")
	}
	if len(in.ReviewIDs) > BulkLimit {
		return nil, invalid("ids", "at most %d reviews at once", BulkLimit)
	}
	set, err := s.Settings(ctx)
	if err != nil {
		return nil, err
	}
	if !set.QueueEnabled() {
		return nil, ErrQueueDisabled
	}
	probe := DecideInput{Outcome: in.Outcome, ReasonCode: in.ReasonCode, Notes: in.Notes}
	if err := ValidateDecision(set, &probe); err != nil {
		return nil, err
	}
	out := make([]BulkItem, 0, len(in.ReviewIDs))
	seen := map[int64]bool{}
	for _, id := range in.ReviewIDs {
		if seen[id] {
			continue
		}
		seen[id] = true
		_, err := s.Decide(ctx, DecideInput{ReviewID: id, Outcome: in.Outcome, ReasonCode: probe.ReasonCode, Notes: in.Notes, Actor: in.Actor})
		var ce *ConflictError
		switch {
		case err == nil:
			out = append(out, BulkItem{ReviewID: id, OK: true})
		case errors.As(err, &ce):
			out = append(out, BulkItem{ReviewID: id, Message: ce.Message})
		case errors.Is(err, ErrNotFound):
			out = append(out, BulkItem{ReviewID: id, Message: "no such review"})
		default:
			return out, err
		}
	}
	return out, nil
}

// MatchingPendingIDs returns the ids of up to limit pending reviews that pass the
// filter, in its order ("all matching the filter" of a bulk action), and
// how many match in total.
func (s *Store) MatchingPendingIDs(ctx context.Context, f QueueFilter, limit int) ([]int64, int64, error) {
	f.After, f.Limit = nil, limit
	items, _, err := s.ListPending(ctx, f)
	if err != nil {
		return nil, 0, err
	}
	ids := make([]int64, len(items))
	for i, it := range items {
		ids[i] = it.ID
	}
	counts, err := s.CountPendingMatching(ctx, f)
	if err != nil {
		return nil, 0, err
	}
	total := counts.Total
	if f.ReviewType != "" {
		total = counts.ByType[f.ReviewType]
	}
	return ids, total, nil
}

// refuseOtherOpenReview is a ConflictError when the lead already has an open
// review: a decided one cannot be put back to pending beside it.
func refuseOtherOpenReview(tx *gorm.DB, leadID int64) error {
	var other Review
	err := tx.Where("open_lead_id = ?", leadID).Take(&other).Error
	if err == nil {
		return &ConflictError{Message: fmt.Sprintf("the lead already has an open review (#%d); decide that one instead", other.ID)}
	}
	if !errors.Is(err, gorm.ErrRecordNotFound) {
		return fmt.Errorf("find open review: %w", err)
	}
	return nil
}
