package store

// Reviewer quality: how often each decider's decisions stand.
//
// A decision is overturned when a lead reopens it (Reopen) and the review's
// decision as of now has another outcome. Reopened decisions stop counting
// as decisions in the daily aggregates (stats_daily.go), so the figures here
// add two sources up:
//
//   - standing decisions: the daily counters over the range's days, by
//     decider and source (primary-key day range, as RangeStats reads them);
//   - reopened decisions: the history of every review reopened since the
//     range began (the indexed 'reopened' events, few by nature: only a
//     lead reopens), read per review through the (review_id, id) index and
//     walked in order: decision events, 'undone' (that decision never
//     stood) and 'reopened' (the decision standing then was overturned or
//     confirmed by the review's decision as of now).
//
// Nothing reads all decisions of the range: the work is bounded by the
// number of reopens since the range's first day.

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"
)

// sourceSample is the review source of QA samples (the sampling helper's
// SourceSample; kept apart here so each compiles alone).
const sourceSample = "sample"

// ReviewerQuality is one decider's quality figures over a range of days.
type ReviewerQuality struct {
	ActorType string
	ActorID   int64
	Name      string
	// Standing are the decisions made in the range that still stand: what
	// the stats page counts as the decider's decisions.
	Standing int64
	// Reopened are the decisions made in the range that a lead reopened
	// since (up to now). Made() = Standing + Reopened.
	Reopened int64
	// Overturned are the Reopened decisions whose review was decided again
	// with another outcome (compared with the review's decision now);
	// Confirmed those decided again the same way. The rest of Reopened wait
	// for a new decision and count as neither.
	Overturned, Confirmed int64
	// The same over QA samples (reviews of source "sample").
	SampleStanding, SampleReopened, SampleOverturned int64
}

// Made is every decision the decider made in the range and did not undo,
// standing or reopened since: the denominator of the overturn rate.
func (q ReviewerQuality) Made() int64 { return q.Standing + q.Reopened }

// OverturnRate is Overturned / Made (0 with no decisions).
func (q ReviewerQuality) OverturnRate() float64 { return share(q.Overturned, q.Made()) }

// SampleMade is the decider's decisions on QA samples in the range.
func (q ReviewerQuality) SampleMade() int64 { return q.SampleStanding + q.SampleReopened }

// SampleAgreement is the share of the decider's decisions on QA samples
// that were not overturned: the review's decision now is still theirs (0
// with none; see SampleMade for n).
func (q ReviewerQuality) SampleAgreement() float64 {
	return share(q.SampleMade()-q.SampleOverturned, q.SampleMade())
}

// ReviewerQualityStats reads every decider's quality figures over r
// (cached briefly, as RangeStats), most decisions made first.
func (s *Store) ReviewerQualityStats(ctx context.Context, r StatsRange) ([]ReviewerQuality, error) {
	key := "quality|" + r.From.Format(time.DateOnly) + "|" + r.To.Format(time.DateOnly)
	return cachedRead(ctx, s.reads, key, func(ctx context.Context) ([]ReviewerQuality, error) { return s.reviewerQuality(ctx, r) }, slices.Clone[[]ReviewerQuality])
}

type qualityKey struct {
	Type string
	ID   int64
}

// reviewDecision is one decision event of a review's history.
type reviewDecision struct {
	who    qualityKey
	name   string
	status string
	at     time.Time
}

// qualityEventBatch is how many reviews' histories one query reads.
const qualityEventBatch = 500

func (s *Store) reviewerQuality(ctx context.Context, r StatsRange) ([]ReviewerQuality, error) {
	db := s.DB.WithContext(ctx)
	out := map[qualityKey]*ReviewerQuality{}
	get := func(k qualityKey, name string) *ReviewerQuality {
		q := out[k]
		if q == nil {
			q = &ReviewerQuality{ActorType: k.Type, ActorID: k.ID}
			out[k] = q
		}
		if name > q.Name {
			q.Name = name
		}
		return q
	}

	// Standing decisions, by decider and source.
	var standing []struct {
		ActorType string
		ActorID   int64
		Name      string
		Source    string
		N         int64
	}
	if err := db.Table("stats_daily").Where("day >= ? AND day <= ? AND kind IN ?", Day(r.From), Day(r.To), DecidedStatuses()).
		Select("actor_type, actor_id, MAX(actor_name) AS name, source, SUM(n) AS n").
		Group("actor_type, actor_id, source").Scan(&standing).Error; err != nil {
		return nil, fmt.Errorf("reviewer quality: standing decisions: %w", err)
	}
	for _, row := range standing {
		if row.N == 0 {
			continue // counted and taken back
		}
		q := get(qualityKey{row.ActorType, row.ActorID}, row.Name)
		q.Standing += row.N
		if row.Source == sourceSample {
			q.SampleStanding += row.N
		}
	}

	// Reviews reopened since the range began: their decisions in the range
	// may have been reopened.
	var reopened []int64
	if err := db.Table("review_events").Where("kind = ? AND created_at >= ?", EventReopened, r.From).
		Distinct("review_id").Pluck("review_id", &reopened).Error; err != nil {
		return nil, fmt.Errorf("reviewer quality: reopened reviews: %w", err)
	}
	slices.Sort(reopened)
	kinds := append(decisionEvents(), EventUndone, EventReopened)
	from, end := r.From, r.End()
	for start := 0; start < len(reopened); start += qualityEventBatch {
		ids := reopened[start:min(start+qualityEventBatch, len(reopened))]
		sources := map[int64]string{}
		var srcRows []struct {
			ID     int64
			Source string
		}
		if err := db.Table("reviews").Select("id, source").Where("id IN ?", ids).Scan(&srcRows).Error; err != nil {
			return nil, fmt.Errorf("reviewer quality: review sources: %w", err)
		}
		for _, row := range srcRows {
			sources[row.ID] = row.Source
		}
		events, err := s.historyOf(ctx, ids, kinds)
		if err != nil {
			return nil, fmt.Errorf("reviewer quality: %w", err)
		}
		for _, id := range ids {
			var cur *reviewDecision
			var overturnable []reviewDecision
			for _, ev := range events[id] {
				switch ev.Kind {
				case EventUndone:
					cur = nil // that decision never stood
				case EventReopened:
					if cur != nil {
						overturnable = append(overturnable, *cur)
					}
					cur = nil
				default:
					o, ok := outcomeOfEvent(ev.Kind)
					if !ok {
						continue
					}
					cur = &reviewDecision{who: qualityKey{ev.ActorType, derefID(ev.ActorID)}, name: ev.ActorName, status: o.Status, at: ev.CreatedAt}
				}
			}
			sample := sources[id] == sourceSample
			for _, d := range overturnable {
				if d.at.Before(from) || !d.at.Before(end) {
					continue
				}
				q := get(d.who, d.name)
				q.Reopened++
				over := cur != nil && cur.status != d.status
				switch {
				case over:
					q.Overturned++
				case cur != nil:
					q.Confirmed++
				}
				if sample {
					q.SampleReopened++
					if over {
						q.SampleOverturned++
					}
				}
			}
		}
	}
	res := make([]ReviewerQuality, 0, len(out))
	for _, q := range out {
		if q.Name == "" {
			q.Name = q.ActorType
		}
		res = append(res, *q)
	}
	slices.SortFunc(res, func(a, b ReviewerQuality) int {
		return cmp.Or(cmp.Compare(b.Made(), a.Made()), cmp.Compare(a.Name, b.Name), cmp.Compare(a.ActorType, b.ActorType), cmp.Compare(a.ActorID, b.ActorID))
	})
	return res, nil
}

func derefID(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}

// outcomeOfEvent finds the outcome whose decision writes the history event
// kind.
func outcomeOfEvent(kind string) (Outcome, bool) {
	for _, o := range DecisionOutcomes {
		if o.Event == kind {
			return o, true
		}
	}
	return Outcome{}, false
}

// historyEvent is a history event as the stats walks read it: the detail
// only of snoozes (their "until"); decisions' snapshots are left unread.
type historyEvent struct {
	ReviewID  int64
	Kind      string
	ActorType string
	ActorID   *int64
	ActorName string
	Detail    *string
	CreatedAt time.Time
}

// historyOf reads the events of kinds of the given reviews, each review's
// in order, through the (review_id, id) index.
func (s *Store) historyOf(ctx context.Context, reviewIDs []int64, kinds []string) (map[int64][]historyEvent, error) {
	var rows []historyEvent
	if err := s.DB.WithContext(ctx).Table("review_events").
		Select("review_id, kind, actor_type, actor_id, actor_name, CASE WHEN kind = ? THEN detail END AS detail, created_at", EventSnoozed).
		Where("review_id IN ? AND kind IN ?", reviewIDs, kinds).Order("review_id, id").Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("read history: %w", err)
	}
	out := make(map[int64][]historyEvent, len(reviewIDs))
	for _, ev := range rows {
		ev.CreatedAt = ev.CreatedAt.UTC()
		out[ev.ReviewID] = append(out[ev.ReviewID], ev)
	}
	return out, nil
}
