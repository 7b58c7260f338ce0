package store

import (
	"context"
	"fmt"
	"math"
	"slices"
	"time"
)

// How good the automatic rules are, over a range of days, from the
// decisions on their reviews (the rows themselves, by the
// reviews_source_decided index: never the whole table):
//
//   - Precision is the approved share of the rule's decided flags (source
//     score or quality_gate): how often a flag of the rule ended in an
//     approval. A reject or skip counts against it, as in the
//     "Decisions by flag source" table.
//   - The miss rate is estimated from the QA samples of the leads the rule
//     let through (source sample, sampling.percent): a sample counts as a
//     miss unless the operator approved it as it was, so a reject, a skip
//     and an approval with an edited message are misses, since each means
//     the lead should not have gone out untouched. It comes with a 95%
//     Wilson score interval and the number of decided samples behind it.
//
// Only a review's final decision counts, on the day it was made: a
// decision that was reopened (or undone) has no decided_at any more, and
// the decision that follows counts once, by its own outcome.

// MinRuleSamples is the fewest decided samples a miss rate is shown for.
const MinRuleSamples = 10

// wilsonZ is the normal quantile of a two-sided 95% interval.
const wilsonZ = 1.959964

// RuleQuality is one automatic rule's figures over a range.
type RuleQuality struct {
	// Rule is the source of the rule's flags (score, quality_gate).
	Rule string
	// FlagsDecided are the rule's flags decided in the range; FlagsApproved
	// those approved.
	FlagsDecided, FlagsApproved int64
	// Samples are the decided QA samples of the rule's unflagged leads;
	// SampleMisses those not approved as they were, of which
	// SampleRejected, SampleSkipped and SampleEdited (approved with an
	// edited message).
	Samples, SampleMisses                       int64
	SampleRejected, SampleSkipped, SampleEdited int64
	// SamplesPending are the rule's samples waiting in the queue now.
	SamplesPending int64
}

// Precision is the approved share of the rule's decided flags (0 with none).
func (q RuleQuality) Precision() float64 { return share(q.FlagsApproved, q.FlagsDecided) }

// MissRate is the estimated share of the rule's unflagged leads an
// operator would not have let go as they were (0 with no samples).
func (q RuleQuality) MissRate() float64 { return share(q.SampleMisses, q.Samples) }

// MissInterval is the 95% Wilson score interval of the miss rate (0, 0
// with no samples).
func (q RuleQuality) MissInterval() (lo, hi float64) { return Wilson(q.SampleMisses, q.Samples) }

// EnoughSamples reports whether the miss rate rests on MinRuleSamples.
func (q RuleQuality) EnoughSamples() bool { return q.Samples >= MinRuleSamples }

// Wilson is the 95% Wilson score interval of a proportion of k in n
// (0, 0 when n is 0). Unlike p ± z·√(p(1−p)/n) it stays within [0, 1] and
// is not empty at k = 0 or k = n, which small samples often are.
func Wilson(k, n int64) (lo, hi float64) {
	if n <= 0 {
		return 0, 0
	}
	p, nf, z2 := float64(k)/float64(n), float64(n), wilsonZ*wilsonZ
	denom := 1 + z2/nf
	center := (p + z2/(2*nf)) / denom
	half := wilsonZ / denom * math.Sqrt(p*(1-p)/nf+z2/(4*nf*nf))
	lo, hi = math.Max(0, center-half), math.Min(1, center+half)
	if k == 0 {
		lo = 0 // exactly, not a rounding error above it
	}
	if k == n {
		hi = 1
	}
	return lo, hi
}

// RuleQualities are the figures of every sampled rule over a range.
type RuleQualities struct {
	Range StatsRange
	// SamplePercent is the sampling.percent in force now.
	SamplePercent int
	Rules         []RuleQuality // in SampleRules order
}

// RuleQuality reads the rules' figures over r (cached briefly like the
// other stats; see readCache); the caller gets its own copy.
func (s *Store) RuleQuality(ctx context.Context, r StatsRange) (*RuleQualities, error) {
	key := "rules|" + r.From.Format(time.DateOnly) + "|" + r.To.Format(time.DateOnly)
	return cachedRead(ctx, s.reads, key, func(ctx context.Context) (*RuleQualities, error) { return s.ruleQuality(ctx, r) }, (*RuleQualities).clone)
}

func (q *RuleQualities) clone() *RuleQualities {
	if q == nil {
		return nil
	}
	c := *q
	c.Rules = slices.Clone(q.Rules)
	return &c
}

func (s *Store) ruleQuality(ctx context.Context, r StatsRange) (*RuleQualities, error) {
	set, err := s.Settings(ctx)
	if err != nil {
		return nil, err
	}
	out := &RuleQualities{Range: r, SamplePercent: set.SamplePercent()}
	byRule := map[string]*RuleQuality{}
	for _, rule := range SampleRules {
		out.Rules = append(out.Rules, RuleQuality{Rule: rule})
	}
	for i := range out.Rules {
		byRule[out.Rules[i].Rule] = &out.Rules[i]
	}
	db := s.DB.WithContext(ctx)
	from, end := r.From, r.End()

	// The rules' own flags, decided in the range: an index-only range scan
	// per source of reviews_source_decided (source, decided_at, status).
	var flags []struct {
		Source, Status string
		N              int64
	}
	if err := db.Table("reviews").Select("source, status, COUNT(*) AS n").
		Where("source IN ? AND decided_at >= ? AND decided_at < ?", SampleRules, from, end).
		Group("source, status").Scan(&flags).Error; err != nil {
		return nil, fmt.Errorf("rule flags: %w", err)
	}
	for _, f := range flags {
		q := byRule[f.Source]
		if q == nil {
			continue
		}
		if _, decided := OutcomeOfStatus(f.Status); !decided {
			continue
		}
		q.FlagsDecided += f.N
		if o, _ := OutcomeOfStatus(f.Status); o.Approves {
			q.FlagsApproved += f.N
		}
	}

	// The samples decided in the range: the same index, then the sample
	// rows alone (their rule and whether the approval edited the message).
	var samples []struct {
		SampleRule, Status string
		Edited             int64
		N                  int64
	}
	if err := db.Table("reviews").
		Select("sample_rule, status, CASE WHEN decision_subject IS NULL AND decision_body IS NULL THEN 0 ELSE 1 END AS edited, COUNT(*) AS n").
		Where("source = ? AND decided_at >= ? AND decided_at < ?", SourceSample, from, end).
		Group("sample_rule, status, edited").Scan(&samples).Error; err != nil {
		return nil, fmt.Errorf("rule samples: %w", err)
	}
	for _, row := range samples {
		q := byRule[row.SampleRule]
		o, decided := OutcomeOfStatus(row.Status)
		if q == nil || !decided {
			continue
		}
		q.Samples += row.N
		switch {
		case o.Approves && row.Edited == 0:
			// Approved as it was: the rule was right to let it through.
		case o.Approves:
			q.SampleEdited += row.N
			q.SampleMisses += row.N
		default:
			q.SampleMisses += row.N
			if row.Status == StatusRejected {
				q.SampleRejected += row.N
			} else if row.Status == StatusSkipped {
				q.SampleSkipped += row.N
			}
		}
	}

	// The samples waiting now: the pending rows of the queue's source index.
	var pending []struct {
		SampleRule string
		N          int64
	}
	if err := db.Table("reviews").Select("sample_rule, COUNT(*) AS n").
		Where("status = ? AND source = ?", StatusPending, SourceSample).
		Group("sample_rule").Scan(&pending).Error; err != nil {
		return nil, fmt.Errorf("pending samples: %w", err)
	}
	for _, p := range pending {
		if q := byRule[p.SampleRule]; q != nil {
			q.SamplesPending += p.N
		}
	}
	return out, nil
}
