package store

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"gorm.io/gorm"
)

// QA sampling (Amazon A2I's "random sampling of automated decisions"):
// with sampling.percent = p, each lead the score rule or the quality gate
// looked at and did not flag is, with probability p/100, sent to the queue
// anyway as a review with source sample. Operators decide it like any
// other review; its outcome says whether the rule was right to let the
// lead through (rule_quality.go turns the outcomes into a miss rate).
//
// The draw comes first and is independent of the lead, so the samples are
// an unbiased share of what the rule let through. A drawn lead is then not
// sampled when a review of it is already open, when a decision on it falls
// within autoflag.cooldown_hours, or when it is lost (outreach will not
// contact it anyway): a sample never reopens what a person just decided.
//
// A sample is a review like any other: its lead's seed columns are set and
// eligibility answers pending_review until an operator decides it, so
// nothing goes out to a sampled lead before a person has looked at it.

// Sample rules: which rule's unflagged lead a sample checks; the same
// words as the sources of the rules' own flags.
const (
	SampleRuleScore   = SourceScore
	SampleRuleQuality = SourceQuality
)

// SampleRules lists the rules that are sampled, in display order.
var SampleRules = []string{SampleRuleScore, SampleRuleQuality}

// SampleRuleLabel names a sampled rule for people: "score rule".
func SampleRuleLabel(rule string) string {
	switch rule {
	case SampleRuleScore:
		return "score rule"
	case SampleRuleQuality:
		return "quality gate"
	}
	return rule
}

// SamplePercent is the sampling.percent setting.
func (s Settings) SamplePercent() int { return s.Int(KeySamplingPercent) }

// drawSample says whether this unflagged lead is picked for a sample: true
// with probability sampling.percent / 100, from the process-wide generator
// of math/rand/v2 (seeded by the system, safe for concurrent use).
func drawSample(set Settings) bool {
	p := set.SamplePercent()
	switch {
	case p <= 0:
		return false
	case p >= 100:
		return true
	}
	return rand.IntN(100) < p // #nosec G404 -- a sampling draw, not a secret
}

// ScoreSampleReason is the reason of a QA sample of the score rule.
func ScoreSampleReason(score int) string {
	return fmt.Sprintf("QA sample: not flagged by the score rule (score=%d)", score)
}

// QualitySampleReason is the reason of a QA sample of the quality gate.
const QualitySampleReason = "QA sample: not flagged by the quality gate (no high-severity issue)"

// sampleUnflagged draws for a lead the rule did not flag and, when drawn,
// opens the sample review in.SampleRule describes. It answers the sample
// (nil when none was taken) and, when drawn but not taken, why not.
func (s *Store) sampleUnflagged(ctx context.Context, leadID int64, set Settings, in FlagInput, actor Actor) (*Review, string, error) {
	if !set.QueueEnabled() || !drawSample(set) {
		return nil, "", nil
	}
	if err := in.Validate(); err != nil {
		return nil, "", err
	}
	hours := set.Int(KeyCooldownHours)
	var taken *Review
	var whyNot string
	err := s.tx(ctx, func(tx *gorm.DB) error {
		lead, err := lockLead(tx, leadID)
		if err != nil {
			return err
		}
		var open int64
		if err := tx.Model(&Review{}).Where("open_lead_id = ?", leadID).Count(&open).Error; err != nil {
			return fmt.Errorf("find open review: %w", err)
		}
		if open > 0 {
			whyNot = "not sampled: a review of the lead is open"
			return nil
		}
		if lead.Status == "lost" {
			whyNot = "not sampled: the lead is lost (outreach will not contact it)"
			return nil
		}
		if hours > 0 {
			last, err := lastDecided(tx, leadID)
			if err != nil && !errors.Is(err, ErrNotFound) {
				return err
			}
			if last != nil && last.DecidedAt != nil && Now().Sub(*last.DecidedAt) < time.Duration(hours)*time.Hour {
				whyNot = fmt.Sprintf("not sampled: decided %s, within the %d h cool-down (autoflag.cooldown_hours)", agoText(Now().Sub(*last.DecidedAt)), hours)
				return nil
			}
		}
		outbox, err := s.outbox(ctx, tx, lead.ID)
		if err != nil {
			return err
		}
		res, err := s.flagLocked(tx, lead, in, actor, outbox)
		if err != nil {
			return err
		}
		taken = res.Review
		return outbox.write(ctx, tx)
	})
	if errors.Is(err, gorm.ErrDuplicatedKey) {
		// A flag of the lead won the race for its one open review.
		return nil, "not sampled: a review of the lead is open", nil
	}
	if err != nil {
		return nil, "", err
	}
	return taken, whyNot, nil
}

// sampledAnswer is the rule's answer when its unflagged lead was sampled.
func sampledAnswer(why string, r *Review, set Settings) *AutoFlag {
	return &AutoFlag{Created: true, Sampled: true, Review: r,
		Why: fmt.Sprintf("%s; picked for a QA sample (sampling.percent=%d): task %d holds outreach until an operator decides it",
			why, set.SamplePercent(), r.ID)}
}

// sampleScore is the score rule's sampling of a score it did not flag;
// the sample records the score with the review.
func (s *Store) sampleScore(ctx context.Context, leadID int64, score, threshold int, set Settings, why string, actor Actor) (*AutoFlag, string, error) {
	in := FlagInput{ReviewType: TypeProposal, Reason: ScoreSampleReason(score), Source: SourceSample, Score: &score,
		Detail: map[string]any{"rule": "sample", "sampled_rule": SampleRuleScore, "threshold": threshold,
			"sampling_percent": set.SamplePercent()}, sampleRule: SampleRuleScore}
	r, whyNot, err := s.sampleUnflagged(ctx, leadID, set, in, actor)
	if err != nil || r == nil {
		return nil, whyNot, err
	}
	return sampledAnswer(why, r, set), "", nil
}

// sampleQuality is the quality gate's sampling of findings it did not flag.
func (s *Store) sampleQuality(ctx context.Context, leadID int64, issues []QualityIssue, set Settings, why string, actor Actor) (*AutoFlag, string, error) {
	detail := map[string]any{"rule": "sample", "sampled_rule": SampleRuleQuality, "sampling_percent": set.SamplePercent()}
	if len(issues) > 0 {
		detail["issues"] = issues
	}
	in := FlagInput{ReviewType: TypeMessage, Reason: QualitySampleReason, Source: SourceSample, Detail: detail, sampleRule: SampleRuleQuality}
	r, whyNot, err := s.sampleUnflagged(ctx, leadID, set, in, actor)
	if err != nil || r == nil {
		return nil, whyNot, err
	}
	return sampledAnswer(why, r, set), "", nil
}

// withNote adds a "not sampled" note to a rule's answer.
func withNote(why, note string) string {
	if note == "" {
		return why
	}
	return strings.TrimSuffix(why, ".") + "; " + note
}
