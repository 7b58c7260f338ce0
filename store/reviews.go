package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// FlagInput asks for a lead to be reviewed.
type FlagInput struct {
	ReviewType string
	Reason     string
	Source     string
	// Detail is added to the history event, so the operator sees what the
	// rule saw (e.g. the quality-gate issues).
	Detail map[string]any
	// Score, when set, is recorded on the lead in the flag's transaction
	// (the score auto-flag rule).
	Score *int
	// sampleRule is set by QA sampling alone (source sample): the rule
	// whose unflagged lead the review samples.
	sampleRule string
	// cooldown, set by the automatic rules, applies the cool-down in the
	// flag's transaction (holdBackLocked): a held-back flag opens nothing.
	cooldown *cooldownCheck
}

// cooldownCheck is what the cool-down needs: the settings read for the
// rule, and what the rule saw.
type cooldownCheck struct {
	set Settings
	rc  ruleCheck
}

// Validate checks the flag's fields.
func (in *FlagInput) Validate() error {
	in.ReviewType = strings.ToUpper(strings.TrimSpace(in.ReviewType))
	if !slices.Contains(ReviewTypes, in.ReviewType) {
		return invalid("review_type", "must be one of %s", strings.Join(ReviewTypes, ", "))
	}
	in.Reason = strings.TrimSpace(in.Reason)
	if in.Reason == "" {
		return invalid("reason", "is required")
	}
	if utf8.RuneCountInString(in.Reason) > 500 {
		return invalid("reason", "must be at most 500 characters")
	}
	if in.Source == "" {
		in.Source = SourceAPI
	}
	if !slices.Contains(Sources, in.Source) {
		return invalid("source", "must be one of %s", strings.Join(Sources, ", "))
	}
	if (in.Source == SourceSample) != (in.sampleRule != "") {
		// Samples are reviewq's own: the rule quality stats count them.
		return invalid("source", "sample is reserved for reviewq's QA sampling (sampling.percent)")
	}
	return nil
}

// FlagResult says what a flag did.
type FlagResult struct {
	Review  *Review
	Created bool
	// Held is set, and nothing flagged, when the cool-down held an
	// automatic flag back.
	Held *AutoFlag
}

// mergeReason adds a new reason to an open review's reason, once.
func mergeReason(old, typ, reason, oldType string) string {
	add := reason
	if typ != oldType {
		add = typ + ": " + reason
	}
	if strings.Contains(old, add) {
		return old
	}
	merged := old + "; " + add
	if utf8.RuneCountInString(merged) > 1000 {
		return old
	}
	return merged
}

func eventDetail(v any) *string {
	if v == nil {
		return nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	s := string(b)
	return &s
}

func newEvent(r *Review, kind string, actor Actor, detail any) *ReviewEvent {
	return &ReviewEvent{ReviewID: r.ID, LeadID: r.LeadID, Kind: kind, ActorType: actor.Type,
		ActorID: actor.idPtr(), ActorName: actor.Name, Detail: eventDetail(detail), CreatedAt: Now()}
}

// Flag opens a review of the lead, or adds to its open one: a lead never
// has two open reviews. The lead's seed columns follow the open review.
func (s *Store) Flag(ctx context.Context, leadID int64, in FlagInput, actor Actor) (*FlagResult, error) {
	if err := in.Validate(); err != nil {
		return nil, err
	}
	set, err := s.Settings(ctx)
	if err != nil {
		return nil, err
	}
	if !set.QueueEnabled() {
		return nil, ErrQueueDisabled
	}
	var res *FlagResult
	for attempt := 0; attempt < 3; attempt++ {
		res, err = s.flagOnce(ctx, leadID, in, actor)
		// Two first flags of one lead racing: the unique open_lead_id key
		// stops the second insert; the retry then adds to the winner's review.
		if errors.Is(err, gorm.ErrDuplicatedKey) {
			continue
		}
		return res, err
	}
	return nil, fmt.Errorf("flag lead: %w", err)
}

func (s *Store) flagOnce(ctx context.Context, leadID int64, in FlagInput, actor Actor) (*FlagResult, error) {
	var res *FlagResult
	err := s.tx(ctx, func(tx *gorm.DB) error {
		lead, err := lockLead(tx, leadID)
		if err != nil {
			return err
		}
		if in.cooldown != nil {
			held, err := holdBackLocked(tx, lead, in.cooldown.set, in.cooldown.rc)
			if err != nil || held != nil {
				res = &FlagResult{Held: held}
				return err
			}
		}
		outbox, err := s.outbox(ctx, tx, lead.ID)
		if err != nil {
			return err
		}
		if res, err = s.flagLocked(tx, lead, in, actor, outbox); err != nil {
			return err
		}
		return outbox.write(ctx, tx)
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// flagLocked is Flag inside a transaction that holds the lead's lock; it
// queues the review.flagged event on outbox, which the caller writes.
func (s *Store) flagLocked(tx *gorm.DB, lead *Lead, in FlagInput, actor Actor, outbox *outboxBatch) (*FlagResult, error) {
	leadID := lead.ID
	res := &FlagResult{}
	if in.Score != nil && *in.Score != lead.Score {
		if err := tx.Model(&Lead{}).Where("id = ?", lead.ID).Update("score", *in.Score).Error; err != nil {
			return nil, fmt.Errorf("record score: %w", err)
		}
		lead.Score = *in.Score
	}
	now := Now()
	var r Review
	var auto *autoAssignment
	err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Where("open_lead_id = ?", leadID).Take(&r).Error
	switch {
	case errors.Is(err, gorm.ErrRecordNotFound):
		r = Review{LeadID: leadID, OpenLeadID: &lead.ID, ReviewType: in.ReviewType, Reason: in.Reason, Source: in.Source,
			Campaign: lead.Campaign, ScoreAtFlag: lead.Score, FlaggedAt: now, Status: StatusPending, Version: 1,
			CreatedAt: now, UpdatedAt: now, SampleRule: optional(in.sampleRule)}
		// A new review goes to the next operator of the first matching
		// auto-assignment rule (assignment.go), in this transaction.
		if auto, err = s.autoAssign(tx, r.ReviewType, r.Campaign); err != nil {
			return nil, err
		}
		if auto != nil {
			r.AssigneeID, r.AssigneeName = &auto.operator.ID, &auto.operator.Name
		}
		if err := tx.Create(&r).Error; err != nil {
			if errors.Is(err, gorm.ErrDuplicatedKey) {
				return nil, gorm.ErrDuplicatedKey
			}
			return nil, fmt.Errorf("create review: %w", err)
		}
		res.Created = true
		if err := s.recordFlagStats(tx, &r); err != nil {
			return nil, err
		}
	case err != nil:
		return nil, fmt.Errorf("find open review: %w", err)
	default:
		r.Reason = mergeReason(r.Reason, in.ReviewType, in.Reason, r.ReviewType)
		r.Version++
		r.UpdatedAt = now
		if err := tx.Model(&Review{}).Where("id = ?", r.ID).
			Updates(map[string]any{"reason": r.Reason, "version": r.Version, "updated_at": now}).Error; err != nil {
			return nil, fmt.Errorf("update review: %w", err)
		}
	}
	detail := map[string]any{"review_type": in.ReviewType, "reason": in.Reason, "source": in.Source, "score": lead.Score}
	for k, v := range in.Detail {
		if _, taken := detail[k]; !taken {
			detail[k] = v
		}
	}
	if !res.Created {
		detail["added_to_open_review"] = true
	}
	if err := tx.Create(newEvent(&r, EventFlagged, actor, detail)).Error; err != nil {
		return nil, fmt.Errorf("write history: %w", err)
	}
	if err := setLeadFlag(tx, lead.ID, &r); err != nil {
		return nil, err
	}
	outbox.addFlagged(lead, &r, res.Created, in, actor)
	if auto != nil {
		if err := recordAutoAssignment(tx, &r, auto, outbox); err != nil {
			return nil, err
		}
	}
	res.Review = &r
	return res, nil
}

// setLeadFlag keeps the lead's seed columns in step with its open review
// (nil: no open review).
func setLeadFlag(tx *gorm.DB, leadID int64, open *Review) error {
	upd := map[string]any{"requires_human_review": false, "review_type": nil, "review_reason": nil, "updated_at": Now()}
	if open != nil {
		upd["requires_human_review"] = true
		upd["review_type"] = open.ReviewType
		upd["review_reason"] = open.Reason
	}
	if err := tx.Model(&Lead{}).Where("id = ?", leadID).Updates(upd).Error; err != nil {
		return fmt.Errorf("update lead flag: %w", err)
	}
	return nil
}

// DecideInput is one decision on one review.
type DecideInput struct {
	ReviewID   int64
	Outcome    string
	ReasonCode string
	Notes      string
	// The message as the decider left it, for an outcome that
	// TakesMessage; nil, or the lead's own message unchanged, keeps the
	// suggested one.
	Subject *string
	Body    *string
	// ExpectedVersion, when not 0, refuses the decision if the review
	// changed since the operator saw it.
	ExpectedVersion int
	Actor           Actor
}

// ValidateDecision checks outcome, reason code, notes and message against
// the settings, before any transaction starts.
func ValidateDecision(set Settings, in *DecideInput) error {
	o, ok := OutcomeNamed(in.Outcome)
	if !ok {
		return invalid("outcome", "must be %s", OutcomeNames())
	}
	in.ReasonCode = strings.TrimSpace(in.ReasonCode)
	if !o.TakesReasons() {
		if in.ReasonCode != "" {
			return invalid("reason_code", "%s takes no reason code", o.Name)
		}
	} else {
		codes := set.ReasonCodes(o)
		if in.ReasonCode == "" && set.ReasonsRequired() {
			return invalid("reason_code", "is required; one of %s", strings.Join(codes, ", "))
		}
		if in.ReasonCode != "" && !slices.Contains(codes, in.ReasonCode) {
			return invalid("reason_code", "unknown reason code %q; one of %s", in.ReasonCode, strings.Join(codes, ", "))
		}
	}
	if utf8.RuneCountInString(in.Notes) > 5000 {
		return invalid("notes", "must be at most 5000 characters")
	}
	if !o.TakesMessage && (in.Subject != nil || in.Body != nil) {
		return invalid("message", "only %s takes an edited message", outcomeNames(func(o Outcome) bool { return o.TakesMessage }))
	}
	if err := checkLen("message.subject", in.Subject, 500); err != nil {
		return err
	}
	return checkLen("message.body", in.Body, 20000)
}

func decidedConflict(r *Review) *ConflictError {
	who := "someone else"
	if r.DecidedByName != nil && *r.DecidedByName != "" {
		who = *r.DecidedByName
	}
	msg := fmt.Sprintf("already %s by %s", r.Status, who)
	if r.DecidedAt != nil {
		msg += " at " + DisplayTime(*r.DecidedAt)
	}
	return &ConflictError{Message: msg, Status: r.Status, DecidedBy: who, DecidedAt: r.DecidedAt}
}

// Decision is a decided review as Decide left it, with what the pages
// show about it.
type Decision struct {
	*Review
	// LeadName is the decided lead's name.
	LeadName string
}

// Decide decides a pending review (see DecisionOutcomes), exactly once: the
// update is conditional on status and version, and a decision that loses a
// race gets a ConflictError naming who decided first. A submitted message
// counts as edited only when it differs from the lead's message at the
// moment of the decision. Concurrent decisions share transactions (see
// decide_batch.go).
func (s *Store) Decide(ctx context.Context, in DecideInput) (*Decision, error) {
	set, err := s.Settings(ctx)
	if err != nil {
		return nil, err
	}
	if !set.QueueEnabled() {
		return nil, ErrQueueDisabled
	}
	if err := ValidateDecision(set, &in); err != nil {
		return nil, err
	}
	return s.submitDecision(ctx, in)
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// optional is nil for "", as the database stores it.
func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// ReviewWithLead is a review together with its lead.
type ReviewWithLead struct {
	Review Review
	Lead   Lead
}

// GetReview loads a review, its lead and its history.
func (s *Store) GetReview(ctx context.Context, id int64) (*ReviewWithLead, []ReviewEvent, error) {
	var r Review
	err := s.DB.WithContext(ctx).Where("id = ?", id).Take(&r).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, nil, ErrNotFound
	}
	if err != nil {
		return nil, nil, fmt.Errorf("get review: %w", err)
	}
	var l Lead
	if err := s.DB.WithContext(ctx).Where("id = ?", r.LeadID).Take(&l).Error; err != nil {
		return nil, nil, fmt.Errorf("get lead of review: %w", err)
	}
	var events []ReviewEvent
	if err := s.DB.WithContext(ctx).Where("review_id = ?", id).Order("id").Limit(1000).Find(&events).Error; err != nil {
		return nil, nil, fmt.Errorf("get history: %w", err)
	}
	return &ReviewWithLead{Review: r, Lead: l}, events, nil
}

// OpenReviewOfLead returns the lead's open review, or ErrNotFound.
func (s *Store) OpenReviewOfLead(ctx context.Context, leadID int64) (*Review, error) {
	var r Review
	err := s.DB.WithContext(ctx).Where("open_lead_id = ?", leadID).Take(&r).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("get open review: %w", err)
	}
	return &r, nil
}

// lockLead reads lead id and locks it for update inside tx: the first lock
// of every change to a lead and its reviews (lead, then review).
func lockLead(tx *gorm.DB, id int64) (*Lead, error) {
	var lead Lead
	err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Where("id = ?", id).Take(&lead).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("find lead: %w", err)
	}
	return &lead, nil
}
