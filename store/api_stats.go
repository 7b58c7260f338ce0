package store

import (
	"context"
	"errors"
	"fmt"
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
	// Claimed counts pending reviews with a live claim.
	Claimed int64
}

// QueueStats counts pending reviews by type and source, with SLA ages, in
// one grouped query over the pending rows (status index) and one index seek
// for the oldest.
func (s *Store) QueueStats(ctx context.Context, warning, critical time.Duration) (QueueStats, error) {
	now := Now()
	warnBefore, critBefore := now.Add(-warning), now.Add(-critical)
	var rows []struct {
		ReviewType string
		Source     string
		N          int64
		AtRisk     int64
		Breached   int64
		Claimed    int64
	}
	err := s.DB.WithContext(ctx).Table("reviews").
		Select("review_type, source, COUNT(*) AS n, "+
			"SUM(CASE WHEN flagged_at <= ? AND flagged_at > ? THEN 1 ELSE 0 END) AS at_risk, "+
			"SUM(CASE WHEN flagged_at <= ? THEN 1 ELSE 0 END) AS breached, "+
			"SUM(CASE WHEN claim_expires_at > ? THEN 1 ELSE 0 END) AS claimed", warnBefore, critBefore, critBefore, now).
		Where("status = ?", StatusPending).Group("review_type, source").Scan(&rows).Error
	if err != nil {
		return QueueStats{}, fmt.Errorf("queue stats: %w", err)
	}
	out := QueueStats{ByType: map[string]int64{}, BySource: map[string]int64{}}
	for _, t := range ReviewTypes {
		out.ByType[t] = 0
	}
	for _, src := range Sources {
		out.BySource[src] = 0
	}
	for _, r := range rows {
		out.TotalPending += r.N
		out.ByType[r.ReviewType] += r.N
		out.BySource[r.Source] += r.N
		out.AtRisk += r.AtRisk
		out.Breached += r.Breached
		out.Claimed += r.Claimed
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
