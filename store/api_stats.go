package store

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"time"

	"gorm.io/gorm"
)

// QueueStats is the queue's state as the API reports it.
type QueueStats struct {
	TotalPending int64
	ByType       map[string]int64
	BySource     map[string]int64
	// Oldest is the flag time of the oldest pending review (nil: none).
	Oldest *time.Time
	// AtRisk counts pending reviews past the SLA warning age but not yet
	// critical; Breached those past the critical age.
	AtRisk   int64
	Breached int64
	// HeldBack24h counts automatic flags the cool-down held back in the
	// last 24 hours (history events, by the (kind, created_at) index).
	HeldBack24h int64
	// Escalated and Snoozed count the pending reviews waiting for a lead
	// and those snoozed now (both included in TotalPending; the SLA ages
	// count them too, as their clock keeps running).
	Escalated, Snoozed int64
}

// QueueStats is the API's queue summary (cached briefly; see readCache).
func (s *Store) QueueStats(ctx context.Context, warning, critical time.Duration) (QueueStats, error) {
	key := fmt.Sprintf("qstats|%d|%d", warning, critical)
	return cachedRead(ctx, s.reads, key, func(ctx context.Context) (QueueStats, error) { return s.queueStats(ctx, warning, critical) }, QueueStats.clone)
}

func (q QueueStats) clone() QueueStats {
	q.ByType, q.BySource, q.Oldest = maps.Clone(q.ByType), maps.Clone(q.BySource), clonePtr(q.Oldest)
	return q
}

// queueStats counts pending reviews by type (with SLA ages) and by source,
// and finds the oldest. Each query reads only an index: (status,
// review_type, flagged_at), (status, source, ...) and a seek on (status,
// flagged_at), so the cost follows the pending count, never the history.
func (s *Store) queueStats(ctx context.Context, warning, critical time.Duration) (QueueStats, error) {
	now := Now()
	warnBefore, critBefore := now.Add(-warning), now.Add(-critical)
	var byType []struct {
		ReviewType string
		N          int64
		AtRisk     int64
		Breached   int64
	}
	err := s.DB.WithContext(ctx).Table("reviews").
		Select("review_type, COUNT(*) AS n, "+
			"SUM(CASE WHEN flagged_at <= ? AND flagged_at > ? THEN 1 ELSE 0 END) AS at_risk, "+
			"SUM(CASE WHEN flagged_at <= ? THEN 1 ELSE 0 END) AS breached", warnBefore, critBefore, critBefore).
		Where("status = ?", StatusPending).Group("review_type").Scan(&byType).Error
	if err != nil {
		return QueueStats{}, fmt.Errorf("queue stats by type: %w", err)
	}
	var bySource []struct {
		Source string
		N      int64
	}
	err = s.DB.WithContext(ctx).Table("reviews").Select("source, COUNT(*) AS n").
		Where("status = ?", StatusPending).Group("source").Scan(&bySource).Error
	if err != nil {
		return QueueStats{}, fmt.Errorf("queue stats by source: %w", err)
	}
	out := QueueStats{ByType: map[string]int64{}, BySource: map[string]int64{}}
	for _, t := range ReviewTypes {
		out.ByType[t] = 0
	}
	for _, src := range Sources {
		out.BySource[src] = 0
	}
	for _, r := range byType {
		out.TotalPending += r.N
		out.ByType[r.ReviewType] += r.N
		out.AtRisk += r.AtRisk
		out.Breached += r.Breached
	}
	for _, r := range bySource {
		out.BySource[r.Source] += r.N
	}
	if err := s.DB.WithContext(ctx).Table("review_events").Where("kind = ? AND created_at >= ?", EventHeldBack, now.Add(-24*time.Hour)).
		Count(&out.HeldBack24h).Error; err != nil {
		return QueueStats{}, fmt.Errorf("queue stats held back: %w", err)
	}
	if err := s.DB.WithContext(ctx).Table("reviews").Where("status = ? AND escalated_at IS NOT NULL", StatusPending).
		Count(&out.Escalated).Error; err != nil {
		return QueueStats{}, fmt.Errorf("queue stats escalated: %w", err)
	}
	if err := s.DB.WithContext(ctx).Table("reviews").Where("status = ? AND snoozed_until > ?", StatusPending, now).
		Count(&out.Snoozed).Error; err != nil {
		return QueueStats{}, fmt.Errorf("queue stats snoozed: %w", err)
	}
	var oldest Review
	err = s.DB.WithContext(ctx).Select("id, flagged_at").Where("status = ?", StatusPending).
		Order("flagged_at, id").Take(&oldest).Error
	switch {
	case errors.Is(err, gorm.ErrRecordNotFound):
	case err != nil:
		return QueueStats{}, fmt.Errorf("oldest pending review: %w", err)
	default:
		t := oldest.FlaggedAt.UTC()
		out.Oldest = &t
	}
	return out, nil
}
