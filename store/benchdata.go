package store

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// DatasetSize is what a database holds, for the benchmark's "reuse the data
// set when it is already there". It counts whole tables: benchmark use only.
type DatasetSize struct {
	Leads, Pending, Decided int64
}

// MeasureDataset counts leads and reviews by state.
func (s *Store) MeasureDataset(ctx context.Context) (DatasetSize, error) {
	var d DatasetSize
	db := s.DB.WithContext(ctx)
	if err := db.Table("leads").Count(&d.Leads).Error; err != nil {
		return d, fmt.Errorf("count leads: %w", err)
	}
	if err := db.Table("reviews").Where("status = ?", StatusPending).Count(&d.Pending).Error; err != nil {
		return d, fmt.Errorf("count pending: %w", err)
	}
	if err := db.Table("reviews").Where("status IN ?", DecidedStatuses()).Count(&d.Decided).Error; err != nil {
		return d, fmt.Errorf("count decided: %w", err)
	}
	return d, nil
}

// TopUpPending opens reviews on leads that have none open and are not lost
// until n reviews are pending, in bulk (benchmarks consume pending reviews).
func (s *Store) TopUpPending(ctx context.Context, n int) error {
	size, err := s.MeasureDataset(ctx)
	if err != nil {
		return err
	}
	missing := n - int(size.Pending)
	db := s.DB.WithContext(ctx)
	var after int64
	now := Now()
	for missing > 0 {
		var leads []struct {
			ID       int64
			Score    int
			Campaign string
		}
		q := db.Table("leads").Select("id, score, campaign").
			Where("id > ? AND requires_human_review = ? AND status <> ?", after, false, "lost").Order("id").Limit(min(missing, 500))
		if err := q.Scan(&leads).Error; err != nil {
			return fmt.Errorf("top up: find leads: %w", err)
		}
		if len(leads) == 0 {
			return fmt.Errorf("top up: only %d more leads can be flagged", n-missing)
		}
		var sb strings.Builder
		sb.WriteString("INSERT INTO reviews (lead_id, open_lead_id, review_type, reason, source, campaign, score_at_flag, flagged_at, status, version, created_at, updated_at) VALUES ")
		args := make([]any, 0, len(leads)*12)
		ids := make([]int64, 0, len(leads))
		for i, l := range leads {
			if i > 0 {
				sb.WriteString(",")
			}
			sb.WriteString("(?,?,?,?,?,?,?,?,?,?,?,?)")
			typ := ReviewTypes[int(l.ID)%len(ReviewTypes)]
			flagged := now.Add(-time.Duration(i) * time.Second)
			args = append(args, l.ID, l.ID, typ, reasons[typ][0], SourceAPI, l.Campaign, l.Score, flagged, StatusPending, 1, flagged, flagged)
			ids = append(ids, l.ID)
			after = l.ID
		}
		if err := db.Exec(sb.String(), args...).Error; err != nil {
			return fmt.Errorf("top up: insert reviews: %w", err)
		}
		if err := db.Exec("UPDATE leads SET requires_human_review = ?, review_type = (SELECT review_type FROM reviews WHERE reviews.open_lead_id = leads.id), "+
			"review_reason = (SELECT reason FROM reviews WHERE reviews.open_lead_id = leads.id) WHERE id IN ?", true, ids).Error; err != nil {
			return fmt.Errorf("top up: flag leads: %w", err)
		}
		missing -= len(leads)
	}
	return nil
}

// PendingIDs returns up to limit pending review ids, oldest first.
func (s *Store) PendingIDs(ctx context.Context, limit int) ([]int64, error) {
	var ids []int64
	if err := s.DB.WithContext(ctx).Table("reviews").Where("status = ?", StatusPending).
		Order("flagged_at, id").Limit(limit).Pluck("id", &ids).Error; err != nil {
		return nil, fmt.Errorf("pending ids: %w", err)
	}
	return ids, nil
}

// SampleLeadIDs returns limit lead ids spread over the table (by id range).
func (s *Store) SampleLeadIDs(ctx context.Context, limit int) ([]int64, error) {
	var ids []int64
	if err := s.DB.WithContext(ctx).Table("leads").Order("id").Limit(limit).Pluck("id", &ids).Error; err != nil {
		return nil, fmt.Errorf("sample leads: %w", err)
	}
	return ids, nil
}
