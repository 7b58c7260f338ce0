package store

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Cursor is a keyset position in the queue: the last row's flag time and id.
type Cursor struct {
	FlaggedAt time.Time
	ID        int64
}

// ErrBadCursor means a cursor was not one this server made.
var ErrBadCursor = errors.New("cursor: not a valid cursor")

// Encode makes the opaque text form of a cursor.
func (c Cursor) Encode() string {
	raw := strconv.FormatInt(c.FlaggedAt.UnixMicro(), 10) + "." + strconv.FormatInt(c.ID, 10)
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

// ParseCursor reads a cursor made by Encode.
func ParseCursor(s string) (*Cursor, error) {
	if s == "" {
		return nil, nil
	}
	if len(s) > 64 {
		return nil, ErrBadCursor
	}
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, ErrBadCursor
	}
	ts, id, ok := strings.Cut(string(raw), ".")
	if !ok {
		return nil, ErrBadCursor
	}
	us, err1 := strconv.ParseInt(ts, 10, 64)
	n, err2 := strconv.ParseInt(id, 10, 64)
	if err1 != nil || err2 != nil || n <= 0 || us < 0 || us > 1<<52 {
		return nil, ErrBadCursor
	}
	return &Cursor{FlaggedAt: time.UnixMicro(us).UTC(), ID: n}, nil
}

// QueueFilter selects pending reviews.
type QueueFilter struct {
	ReviewType string
	Campaign   string
	Source     string
	After      *Cursor
	Limit      int
}

// Validate checks the filter values.
func (f *QueueFilter) Validate() error {
	if f.ReviewType != "" && !slices.Contains(ReviewTypes, f.ReviewType) {
		return invalid("review_type", "must be one of %s", strings.Join(ReviewTypes, ", "))
	}
	if f.Source != "" && !slices.Contains(Sources, f.Source) {
		return invalid("source", "must be one of %s", strings.Join(Sources, ", "))
	}
	if len(f.Campaign) > 100 {
		return invalid("campaign", "must be at most 100 characters")
	}
	if f.Limit <= 0 {
		f.Limit = 50
	}
	if f.Limit > 200 {
		return invalid("limit", "must be at most 200")
	}
	return nil
}

// QueueItem is one row of the queue: the review and the lead fields shown.
type QueueItem struct {
	Review
	LeadExternalID string
	LeadName       string
	LeadEmail      string
	LeadCompany    string
	LeadScore      int
	LeadCampaign   string
}

// ListPending returns pending reviews oldest first, one keyset page, and
// the cursor of the next page (nil at the end).
func (s *Store) ListPending(ctx context.Context, f QueueFilter) ([]QueueItem, *Cursor, error) {
	if err := f.Validate(); err != nil {
		return nil, nil, err
	}
	q := s.DB.WithContext(ctx).Table("reviews").
		Select("reviews.*, leads.external_id AS lead_external_id, leads.name AS lead_name, leads.email AS lead_email, "+
			"leads.company AS lead_company, leads.score AS lead_score, leads.campaign AS lead_campaign").
		Joins("JOIN leads ON leads.id = reviews.lead_id").
		Where("reviews.status = ?", StatusPending)
	if f.ReviewType != "" {
		q = q.Where("reviews.review_type = ?", f.ReviewType)
	}
	if f.Source != "" {
		q = q.Where("reviews.source = ?", f.Source)
	}
	if f.Campaign != "" {
		q = q.Where("reviews.campaign = ?", f.Campaign)
	}
	if f.After != nil {
		// Spelled out rather than a row comparison so MySQL uses the index.
		q = q.Where("(reviews.flagged_at > ? OR (reviews.flagged_at = ? AND reviews.id > ?))", f.After.FlaggedAt, f.After.FlaggedAt, f.After.ID)
	}
	var items []QueueItem
	if err := q.Order("reviews.flagged_at, reviews.id").Limit(f.Limit + 1).Scan(&items).Error; err != nil {
		return nil, nil, fmt.Errorf("list queue: %w", err)
	}
	var next *Cursor
	if len(items) > f.Limit {
		items = items[:f.Limit]
		last := items[len(items)-1]
		next = &Cursor{FlaggedAt: last.FlaggedAt, ID: last.ID}
	}
	return items, next, nil
}

// PendingCounts is the size of the queue, in total and by type.
type PendingCounts struct {
	Total  int64
	ByType map[string]int64
}

// CountPending counts pending reviews by type (an index-only scan).
func (s *Store) CountPending(ctx context.Context) (PendingCounts, error) {
	var rows []struct {
		ReviewType string
		N          int64
	}
	if err := s.DB.WithContext(ctx).Table("reviews").Select("review_type, COUNT(*) AS n").
		Where("status = ?", StatusPending).Group("review_type").Scan(&rows).Error; err != nil {
		return PendingCounts{}, fmt.Errorf("count queue: %w", err)
	}
	out := PendingCounts{ByType: map[string]int64{}}
	for _, t := range ReviewTypes {
		out.ByType[t] = 0
	}
	for _, r := range rows {
		out.ByType[r.ReviewType] = r.N
		out.Total += r.N
	}
	return out, nil
}
