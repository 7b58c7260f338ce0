package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"gorm.io/gorm"
)

// AutoFlag says what an automatic rule did: whether it flagged, and if not,
// why not.
type AutoFlag struct {
	Flagged bool
	// Created: a new review was opened (else the flag joined the open one).
	Created bool
	Review  *Review
	// Why explains the outcome in a sentence.
	Why string
	// HeldBack: the rule fired but the cool-down held the flag back
	// (HoldReason "cooldown"); DecidedReview is the decision it respected.
	HeldBack      bool
	HoldReason    string
	DecidedReview *Review
	// Sampled: the rule did not flag, but the lead was picked for a QA
	// sample (sampling.percent); Review is the sample (source sample).
	Sampled bool
}

// ScoreReason is the flag reason of the score rule.
func ScoreReason(score int) string { return fmt.Sprintf("High-value prospect (score=%d)", score) }

// RecordScore stores a lead's score and applies the score rule: when
// autoflag.score.enabled and score > autoflag.score.threshold the lead is
// flagged PROPOSAL, in the same transaction as the score.
func (s *Store) RecordScore(ctx context.Context, leadID int64, score int, actor Actor) (*AutoFlag, error) {
	if score < 0 || score > 100 {
		return nil, invalid("score", "must be a whole number from 0 to 100")
	}
	set, err := s.Settings(ctx)
	if err != nil {
		return nil, err
	}
	threshold := set.Int(KeyScoreThreshold)
	var why string
	switch {
	case !set.QueueEnabled():
		why = "not flagged: the review queue is disabled (queue.enabled=false)"
	case !set.Bool(KeyScoreEnabled):
		why = "not flagged: auto-flag on score is off (autoflag.score.enabled=false)"
	case score <= threshold:
		why = fmt.Sprintf("not flagged: score %d is not over the threshold %d", score, threshold)
		sampled, note, err := s.sampleScore(ctx, leadID, score, threshold, set, why, actor)
		if err != nil || sampled != nil {
			return sampled, err
		}
		why = withNote(why, note)
	default:
		res, err := s.Flag(ctx, leadID, FlagInput{ReviewType: TypeProposal, Reason: ScoreReason(score), Source: SourceScore,
			Score: &score, Detail: map[string]any{"rule": "score", "threshold": threshold},
			cooldown: &cooldownCheck{set: set, rc: ruleCheck{rule: "score", score: &score, threshold: threshold}}}, actor)
		if errors.Is(err, ErrQueueDisabled) {
			// Switched off between the two reads: record the score alone.
			why = "not flagged: the review queue is disabled (queue.enabled=false)"
			break
		}
		if err != nil {
			return nil, err
		}
		if res.Held != nil {
			return res.Held, nil
		}
		return &AutoFlag{Flagged: true, Created: res.Created, Review: res.Review,
			Why: fmt.Sprintf("flagged PROPOSAL: score %d is over the threshold %d", score, threshold)}, nil
	}
	if err := s.setScore(ctx, leadID, score); err != nil {
		return nil, err
	}
	return &AutoFlag{Why: why}, nil
}

func (s *Store) setScore(ctx context.Context, leadID int64, score int) error {
	var res *gorm.DB
	err := s.exec(ctx, true, func(db *gorm.DB) error {
		res = db.Model(&Lead{}).Where("id = ?", leadID).Updates(map[string]any{"score": score, "updated_at": Now()})
		return res.Error
	})
	if err != nil {
		return fmt.Errorf("record score: %w", err)
	}
	if res.RowsAffected == 0 {
		// Zero rows: unknown lead (updated_at always changes a known one).
		return ErrNotFound
	}
	return nil
}

// Quality-gate severities, mildest first.
var Severities = []string{"low", "medium", "high", "critical"}

// QualityIssue is one finding of a message quality gate.
type QualityIssue struct {
	Code     string `json:"code"`
	Severity string `json:"severity"`
	Message  string `json:"message,omitempty"`
}

func (q QualityIssue) blocking() bool { return q.Severity == "high" || q.Severity == "critical" }

// ValidateIssues checks a quality gate's findings and names the bad field.
func ValidateIssues(issues []QualityIssue) error {
	if len(issues) > 100 {
		return invalid("issues", "at most 100 issues per call")
	}
	for i := range issues {
		q := &issues[i]
		q.Code = strings.TrimSpace(q.Code)
		q.Severity = strings.ToLower(strings.TrimSpace(q.Severity))
		if q.Code == "" || len(q.Code) > 64 {
			return invalid(fmt.Sprintf("issues[%d].code", i), "is required (at most 64 characters)")
		}
		if !slices.Contains(Severities, q.Severity) {
			return invalid(fmt.Sprintf("issues[%d].severity", i), "must be one of %s", strings.Join(Severities, ", "))
		}
		if len(q.Message) > 500 {
			return invalid(fmt.Sprintf("issues[%d].message", i), "must be at most 500 characters")
		}
	}
	return nil
}

// RecordQuality applies the quality rule: a high (or critical) issue flags
// the lead MESSAGE when autoflag.quality.enabled; the issues go into the
// history event so the operator sees them.
func (s *Store) RecordQuality(ctx context.Context, leadID int64, issues []QualityIssue, actor Actor) (*AutoFlag, error) {
	if err := ValidateIssues(issues); err != nil {
		return nil, err
	}
	if _, err := s.GetLead(ctx, leadID); err != nil {
		return nil, err
	}
	var blocking []string
	for _, q := range issues {
		if q.blocking() && !slices.Contains(blocking, q.Code) {
			blocking = append(blocking, q.Code)
		}
	}
	set, err := s.Settings(ctx)
	if err != nil {
		return nil, err
	}
	switch {
	case len(blocking) == 0:
		why := "not flagged: no high-severity issue"
		if !set.Bool(KeyQualityEnabled) {
			return &AutoFlag{Why: why}, nil
		}
		sampled, note, err := s.sampleQuality(ctx, leadID, issues, set, why, actor)
		if err != nil || sampled != nil {
			return sampled, err
		}
		return &AutoFlag{Why: withNote(why, note)}, nil
	case !set.QueueEnabled():
		return &AutoFlag{Why: "not flagged: the review queue is disabled (queue.enabled=false)"}, nil
	case !set.Bool(KeyQualityEnabled):
		return &AutoFlag{Why: "not flagged: auto-flag on quality gates is off (autoflag.quality.enabled=false)"}, nil
	}
	reason := "Quality gate failed: " + strings.Join(blocking, ", ")
	if r := []rune(reason); len(r) > 500 {
		reason = string(r[:497]) + "..."
	}
	res, err := s.Flag(ctx, leadID, FlagInput{ReviewType: TypeMessage, Reason: reason, Source: SourceQuality,
		Detail:   map[string]any{"rule": "quality", "issues": issues},
		cooldown: &cooldownCheck{set: set, rc: ruleCheck{rule: "quality", blocking: blocking}}}, actor)
	if errors.Is(err, ErrQueueDisabled) {
		return &AutoFlag{Why: "not flagged: the review queue is disabled (queue.enabled=false)"}, nil
	}
	if err != nil {
		return nil, err
	}
	if res.Held != nil {
		return res.Held, nil
	}
	return &AutoFlag{Flagged: true, Created: res.Created, Review: res.Review,
		Why: "flagged MESSAGE: high-severity issue " + strings.Join(blocking, ", ")}, nil
}
