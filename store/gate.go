package store

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// The gate: an approval stands for what was approved. A decision stores
// MessageFingerprint of the message the operator saw (or edited); a later
// write of the lead that changes the message of an approved lead opens a new
// review (source change), and an automatic rule does not reopen a freshly
// decided lead unless what the rule is about changed (the cool-down).

// ChangedReason is the reason of a review opened because the message of an
// approved lead changed.
const ChangedReason = "changed after approval"

// HoldCooldown is the machine-readable reason an automatic flag was held back.
const HoldCooldown = "cooldown"

// MessageFingerprint is the fingerprint of a message as decided on: the
// fields that count are the subject and the body, the text outreach sends.
// It is computed in Go from fields already read, never by a query.
func MessageFingerprint(subject string, body *string) string {
	h := sha256.New()
	h.Write([]byte("reviewq message v1\x00"))
	h.Write([]byte(subject))
	h.Write([]byte{0})
	h.Write([]byte(deref(body)))
	return hex.EncodeToString(h.Sum(nil))
}

// decisionFingerprint is the fingerprint of what a decision covers: the
// edited message when the operator edited it, else the lead's.
func decisionFingerprint(lead *Lead, in *DecideInput) string {
	subject, body := lead.MessageSubject, lead.MessageBody
	if in.Subject != nil {
		subject = *in.Subject
	}
	if in.Body != nil {
		body = in.Body
	}
	return MessageFingerprint(subject, body)
}

// messageDiff lists the message fields that differ, old → new, for the
// history event (and the review pane) of a change.
func messageDiff(oldSubject string, oldBody *string, lead *Lead) map[string]any {
	diff := map[string]any{}
	if oldSubject != lead.MessageSubject {
		diff["message_subject"] = map[string]any{"old": oldSubject, "new": lead.MessageSubject}
	}
	if deref(oldBody) != deref(lead.MessageBody) {
		diff["message_body"] = map[string]any{"old": deref(oldBody), "new": deref(lead.MessageBody)}
	}
	return diff
}

// lastDecided is the lead's most recently decided review (ErrNotFound if
// none): reviews by lead, on the (lead_id, id) index.
func lastDecided(tx *gorm.DB, leadID int64) (*Review, error) {
	var r Review
	err := tx.Where("lead_id = ? AND decided_at IS NOT NULL", leadID).Order("id DESC").Take(&r).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("find last decision: %w", err)
	}
	return &r, nil
}

// messageChanged runs in UpsertLead's transaction, the lead locked, when an
// upsert changed the lead's message. A pending review's version goes up
// (a decision prepared on the old text is refused) and its history says
// what changed; a lead whose last decision was an approval of another
// message gets a new review.
func (s *Store) messageChanged(ctx context.Context, tx *gorm.DB, lead *Lead, oldSubject string, oldBody *string, outbox *outboxBatch) error {
	diff := messageDiff(oldSubject, oldBody, lead)
	if len(diff) == 0 {
		return nil
	}
	var open Review
	err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Where("open_lead_id = ?", lead.ID).Take(&open).Error
	switch {
	case err == nil:
		now := Now()
		if err := tx.Model(&Review{}).Where("id = ?", open.ID).Updates(map[string]any{"version": open.Version + 1, "updated_at": now}).Error; err != nil {
			return fmt.Errorf("update review: %w", err)
		}
		if err := tx.Create(newEvent(&open, EventChanged, SystemActor, map[string]any{"changes": diff})).Error; err != nil {
			return fmt.Errorf("write history: %w", err)
		}
		return nil
	case !errors.Is(err, gorm.ErrRecordNotFound):
		return fmt.Errorf("find open review: %w", err)
	}
	last, err := lastDecided(tx, lead.ID)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if last.Status != StatusApproved {
		// Rejected or skipped: the lead is not eligible anyway.
		return nil
	}
	if last.DecisionFingerprint != nil && *last.DecisionFingerprint == MessageFingerprint(lead.MessageSubject, lead.MessageBody) {
		return nil // back to exactly what was approved
	}
	set, err := s.Settings(ctx)
	if err != nil {
		return err
	}
	if !set.QueueEnabled() {
		// The queue is switched off (the rollback): no new reviews at all.
		return nil
	}
	in := FlagInput{ReviewType: TypeMessage, Reason: ChangedReason, Source: SourceChange,
		Detail: map[string]any{"rule": "change", "approved_review_id": last.ID, "changes": diff}}
	if err := in.Validate(); err != nil {
		return err
	}
	res, err := s.flagLocked(tx, lead, in, SystemActor, outbox)
	if err != nil {
		return err
	}
	// The caller answers with this lead: its seed columns follow the flag.
	lead.RequiresHumanReview, lead.ReviewType, lead.ReviewReason = true, &res.Review.ReviewType, &res.Review.Reason
	return nil
}

// ScoreBand is the band of a score for the score rule: 0 at or under the
// threshold, then 5-point bands above it (threshold 90: 91–95 is 1, 96–100
// is 2). A score in a higher band than at a decision reopens the lead even
// within the cool-down.
func ScoreBand(score, threshold int) int {
	if score <= threshold {
		return 0
	}
	return 1 + (score-threshold-1)/5
}

// bandLabel names a band's scores: "96–100".
func bandLabel(band, threshold int) string {
	if band == 0 {
		return fmt.Sprintf("0–%d", threshold)
	}
	lo := threshold + 1 + (band-1)*5
	return fmt.Sprintf("%d–%d", lo, min(lo+4, 100))
}

// ruleCheck is what an automatic rule is about, for the cool-down.
type ruleCheck struct {
	rule string // "score" or "quality"
	// The score rule: the new score (recorded with a hold) and the threshold.
	score     *int
	threshold int
	// The quality rule: the high-severity issue codes.
	blocking []string
}

// decisionSnapshot is what a decision event recorded of the lead.
type decisionSnapshot struct {
	LeadScore *int `json:"lead_score"`
}

// holdBackLocked applies the cool-down to an automatic flag, inside the
// flag's own transaction with the lead locked (so no decision, reopen or
// other flag can come between the check and the flag): when a person
// decided the lead within autoflag.cooldown_hours and neither the message
// nor what the rule is about changed since, the flag is held back — the
// score is recorded, the hold is written to the decided review's history
// (kind held_back, which the stats count), and the answer says why. It
// returns nil when the flag should go ahead.
func holdBackLocked(tx *gorm.DB, lead *Lead, set Settings, rc ruleCheck) (*AutoFlag, error) {
	hours := set.Int(KeyCooldownHours)
	if hours <= 0 {
		return nil, nil
	}
	leadID := lead.ID
	var open int64
	if err := tx.Model(&Review{}).Where("open_lead_id = ?", leadID).Count(&open).Error; err != nil {
		return nil, fmt.Errorf("find open review: %w", err)
	}
	if open > 0 {
		return nil, nil // the flag joins the open review: nothing is reopened
	}
	last, err := lastDecided(tx, leadID)
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	window := time.Duration(hours) * time.Hour
	if last.DecidedAt == nil || Now().Sub(*last.DecidedAt) >= window || deref(last.DecidedByType) == ActorSystem {
		return nil, nil
	}
	if last.DecisionFingerprint == nil || *last.DecisionFingerprint != MessageFingerprint(lead.MessageSubject, lead.MessageBody) {
		return nil, nil // the message changed since the decision
	}
	what, changed, err := ruleChanged(tx, last, rc)
	if err != nil || changed {
		return nil, err
	}
	held := &AutoFlag{HeldBack: true, HoldReason: HoldCooldown, DecidedReview: last,
		Why: fmt.Sprintf("held back: %s by %s %s, within the %d h cool-down (autoflag.cooldown_hours); %s",
			last.Status, deref(last.DecidedByName), agoText(Now().Sub(*last.DecidedAt)), hours, what)}
	detail := map[string]any{"rule": rc.rule, "cooldown_hours": hours, "why": what}
	if rc.score != nil {
		detail["score"] = *rc.score
		if *rc.score != lead.Score {
			if err := tx.Model(&Lead{}).Where("id = ?", leadID).Updates(map[string]any{"score": *rc.score, "updated_at": Now()}).Error; err != nil {
				return nil, fmt.Errorf("record score: %w", err)
			}
		}
	}
	if len(rc.blocking) > 0 {
		detail["issues"] = rc.blocking
	}
	if err := tx.Create(newEvent(last, EventHeldBack, SystemActor, detail)).Error; err != nil {
		return nil, fmt.Errorf("write history: %w", err)
	}
	return held, nil
}

// ruleChanged says whether what the rule is about changed since the
// decision on last: a higher score band, or a high-severity issue code the
// review had not seen. what says it in words either way.
func ruleChanged(tx *gorm.DB, last *Review, rc ruleCheck) (what string, changed bool, err error) {
	switch rc.rule {
	case "score":
		var ev ReviewEvent
		decidedScore := last.ScoreAtFlag
		err := tx.Where("review_id = ? AND kind IN ?", last.ID, []string{EventApproved, EventRejected, EventSkipped}).Order("id DESC").Take(&ev).Error
		if err != nil && !errors.Is(err, gorm.ErrRecordNotFound) {
			return "", false, fmt.Errorf("find decision: %w", err)
		}
		if err == nil && ev.Detail != nil {
			var snap decisionSnapshot
			if json.Unmarshal([]byte(*ev.Detail), &snap) == nil && snap.LeadScore != nil {
				decidedScore = *snap.LeadScore
			}
		}
		now, then := ScoreBand(*rc.score, rc.threshold), ScoreBand(decidedScore, rc.threshold)
		if now > then {
			return fmt.Sprintf("score %d is in a higher band (%s) than at the decision (%d)", *rc.score, bandLabel(now, rc.threshold), decidedScore), true, nil
		}
		return fmt.Sprintf("score %d is in the band of the decision (%d, band %s)", *rc.score, decidedScore, bandLabel(then, rc.threshold)), false, nil
	case "quality":
		var events []ReviewEvent
		if err := tx.Where("review_id = ? AND kind = ?", last.ID, EventFlagged).Order("id").Limit(1000).Find(&events).Error; err != nil {
			return "", false, fmt.Errorf("read history: %w", err)
		}
		var seen []string
		for _, ev := range events {
			if ev.Detail == nil {
				continue
			}
			var d struct {
				Issues []QualityIssue `json:"issues"`
			}
			if json.Unmarshal([]byte(*ev.Detail), &d) == nil {
				for _, q := range d.Issues {
					if q.blocking() {
						seen = append(seen, q.Code)
					}
				}
			}
		}
		var fresh []string
		for _, c := range rc.blocking {
			if !slices.Contains(seen, c) {
				fresh = append(fresh, c)
			}
		}
		if len(fresh) > 0 {
			return "new high-severity issue " + strings.Join(fresh, ", ") + " not seen at the decision", true, nil
		}
		return "the decision already saw " + strings.Join(rc.blocking, ", "), false, nil
	}
	return "", true, nil
}

// agoText is "just now", "15 min ago", "3 h ago", "2 d ago".
func agoText(d time.Duration) string {
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return fmt.Sprintf("%d min ago", int(d/time.Minute))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d h ago", int(d/time.Hour))
	default:
		return fmt.Sprintf("%d d ago", int(d/(24*time.Hour)))
	}
}

// MaxHistoryPage is the most reviews one page of a lead's history holds.
const MaxHistoryPage = 200

// LeadReview is one review of a lead's history, with what changed when the
// review was opened by a change after approval (nil otherwise).
type LeadReview struct {
	Review
	Changes map[string]FieldChange
}

// FieldChange is one field of a change: what was approved, and what came.
type FieldChange struct {
	Old string `json:"old"`
	New string `json:"new"`
}

// EncodeHistoryCursor is the cursor after review id (newest first).
func EncodeHistoryCursor(id int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte("h" + strconv.FormatInt(id, 10)))
}

// ParseHistoryCursor reads a cursor of EncodeHistoryCursor ("": the first page).
func ParseHistoryCursor(s string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(s) > 40 {
		return 0, ErrBadCursor
	}
	id, err := strconv.ParseInt(strings.TrimPrefix(string(raw), "h"), 10, 64)
	if err != nil || id <= 0 || !strings.HasPrefix(string(raw), "h") {
		return 0, ErrBadCursor
	}
	return id, nil
}

// LeadHistory returns the lead's reviews newest first, limit at a time,
// those before review id before (0: from the newest); next is the cursor
// of the following page (0: none). It reads the (lead_id, id) index.
func (s *Store) LeadHistory(ctx context.Context, leadID, before int64, limit int) (out []LeadReview, next int64, err error) {
	if limit <= 0 || limit > MaxHistoryPage {
		return nil, 0, invalid("limit", "must be from 1 to %d", MaxHistoryPage)
	}
	q := s.DB.WithContext(ctx).Where("lead_id = ?", leadID)
	if before > 0 {
		q = q.Where("id < ?", before)
	}
	var rows []Review
	if err := q.Order("id DESC").Limit(limit + 1).Find(&rows).Error; err != nil {
		return nil, 0, fmt.Errorf("lead history: %w", err)
	}
	if len(rows) > limit {
		rows = rows[:limit]
		next = rows[limit-1].ID
	}
	var changed []int64
	out = make([]LeadReview, len(rows))
	for i, r := range rows {
		out[i] = LeadReview{Review: r}
		if r.Source == SourceChange {
			changed = append(changed, r.ID)
		}
	}
	if len(changed) == 0 {
		return out, next, nil
	}
	// What changed is in the first flag event of each change review.
	var events []ReviewEvent
	if err := s.DB.WithContext(ctx).Where("review_id IN ? AND kind = ?", changed, EventFlagged).Order("id").Find(&events).Error; err != nil {
		return nil, 0, fmt.Errorf("lead history: %w", err)
	}
	diffs := map[int64]map[string]FieldChange{}
	for _, ev := range events {
		if _, done := diffs[ev.ReviewID]; !done {
			if c := ChangesOf(ev.Detail); len(c) > 0 {
				diffs[ev.ReviewID] = c
			}
		}
	}
	for i := range out {
		out[i].Changes = diffs[out[i].ID]
	}
	return out, next, nil
}

// ChangesOf reads the message changes a flag or change event recorded.
func ChangesOf(detail *string) map[string]FieldChange {
	if detail == nil {
		return nil
	}
	var d struct {
		Changes map[string]FieldChange `json:"changes"`
	}
	if json.Unmarshal([]byte(*detail), &d) != nil {
		return nil
	}
	return d.Changes
}
