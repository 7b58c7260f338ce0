package store

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
)

// Queue sort orders.
const (
	SortOldest = "oldest" // flagged_at, id (the default)
	SortScore  = "score"  // score_at_flag descending, then oldest first
)

// Age bands, relative to the SLA settings.
const (
	AgeFresh    = "fresh"    // younger than the warning age
	AgeWarning  = "warning"  // past the warning age, not yet critical
	AgeCritical = "critical" // past the critical age
)

// AgeBands lists the age bands in display order.
var AgeBands = []string{AgeFresh, AgeWarning, AgeCritical}

// Cursor is a keyset position in the queue: the last row's flag time and
// id, and for the score sort its score at flag time.
type Cursor struct {
	FlaggedAt time.Time
	ID        int64
	ByScore   bool
	Score     int
	// ByDecided marks a cursor of the decided list; FlaggedAt then holds
	// the decision time.
	ByDecided bool
}

// ErrBadCursor means a cursor was not one this server made.
var ErrBadCursor = errors.New("cursor: not a valid cursor")

// CursorOf is the cursor just after review r in the given sort.
func CursorOf(r *Review, sort string) Cursor {
	return Cursor{FlaggedAt: r.FlaggedAt, ID: r.ID, ByScore: sort == SortScore, Score: r.ScoreAtFlag}
}

// Encode makes the opaque text form of a cursor.
func (c Cursor) Encode() string {
	raw := strconv.FormatInt(c.FlaggedAt.UnixMicro(), 10) + "." + strconv.FormatInt(c.ID, 10)
	if c.ByScore {
		raw = "s" + strconv.Itoa(c.Score) + "." + raw
	}
	if c.ByDecided {
		raw = "d" + raw
	}
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
	text := string(raw)
	c := &Cursor{}
	if rest, ok := strings.CutPrefix(text, "d"); ok {
		c.ByDecided, text = true, rest
	}
	if rest, ok := strings.CutPrefix(text, "s"); ok && !c.ByDecided {
		score, tail, ok := strings.Cut(rest, ".")
		n, err := strconv.Atoi(score)
		if !ok || err != nil || n < 0 || n > 100 {
			return nil, ErrBadCursor
		}
		c.ByScore, c.Score, text = true, n, tail
	}
	ts, id, ok := strings.Cut(text, ".")
	if !ok {
		return nil, ErrBadCursor
	}
	us, err1 := strconv.ParseInt(ts, 10, 64)
	n, err2 := strconv.ParseInt(id, 10, 64)
	if err1 != nil || err2 != nil || n <= 0 || us < 0 || us > 1<<52 {
		return nil, ErrBadCursor
	}
	c.FlaggedAt, c.ID = time.UnixMicro(us).UTC(), n
	return c, nil
}

// Queue states a filter selects among pending reviews.
const (
	// StateActive ("" too): neither escalated nor snoozed — the default
	// view and "next".
	StateActive    = "active"
	StateEscalated = "escalated" // waiting for a lead
	StateSnoozed   = "snoozed"   // snoozed until a later time
	StateAll       = "all"       // every pending review
)

// QueueStates lists the states a filter accepts.
var QueueStates = []string{StateActive, StateEscalated, StateSnoozed, StateAll}

// QueueFilter selects pending reviews.
type QueueFilter struct {
	// State is StateActive ("" too), StateEscalated, StateSnoozed or StateAll.
	State string
	// AssigneeID, when not 0, keeps the reviews assigned to that operator;
	// Unassigned keeps those assigned to nobody.
	AssigneeID int64
	Unassigned bool
	// AssigneeEmail, when set, keeps the reviews assigned to the operator
	// with that email (none when there is no such operator): a lead's view
	// of one operator's share, which a saved view can hold.
	AssigneeEmail string

	ReviewType string
	Campaign   string
	Source     string
	// AgeBand is "", AgeFresh, AgeWarning or AgeCritical.
	AgeBand string
	// Search matches the start of the lead's name, email or company.
	Search string
	// Sort is SortOldest ("" too) or SortScore.
	Sort string
	// SkipClaimedFor, when not 0, leaves out reviews another operator holds
	// a live claim on (the "next" flow of operator SkipClaimedFor).
	SkipClaimedFor int64
	After          *Cursor
	Limit          int
}

// Validate checks the filter values.
func (f *QueueFilter) Validate() error {
	if f.State == "" {
		f.State = StateActive
	}
	if !slices.Contains(QueueStates, f.State) {
		return invalid("state", "must be one of %s", strings.Join(QueueStates, ", "))
	}
	if (f.AssigneeID != 0 && f.Unassigned) || (f.AssigneeEmail != "" && (f.AssigneeID != 0 || f.Unassigned)) {
		return invalid("assignee", "give one assignee, or none")
	}
	if len(f.AssigneeEmail) > 254 || (f.AssigneeEmail != "" && !strings.Contains(f.AssigneeEmail, "@")) {
		return invalid("assignee", "must be me, none or an operator's email")
	}
	if f.ReviewType != "" && !slices.Contains(ReviewTypes, f.ReviewType) {
		return invalid("review_type", "must be one of %s", strings.Join(ReviewTypes, ", "))
	}
	if f.Source != "" && !slices.Contains(Sources, f.Source) {
		return invalid("source", "must be one of %s", strings.Join(Sources, ", "))
	}
	if len(f.Campaign) > 100 {
		return invalid("campaign", "must be at most 100 characters")
	}
	if f.AgeBand != "" && !slices.Contains(AgeBands, f.AgeBand) {
		return invalid("age", "must be one of %s", strings.Join(AgeBands, ", "))
	}
	f.Search = strings.TrimSpace(f.Search)
	if utf8.RuneCountInString(f.Search) > 100 {
		return invalid("q", "must be at most 100 characters")
	}
	if f.Sort == "" {
		f.Sort = SortOldest
	}
	if f.Sort != SortOldest && f.Sort != SortScore {
		return invalid("sort", "must be oldest or score")
	}
	if f.After != nil && (f.After.ByScore != (f.Sort == SortScore) || f.After.ByDecided) {
		return invalid("cursor", "belongs to another sort order; start from the first page")
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

// likePrefix escapes LIKE's wildcards (with '!', an escape character that
// means the same in SQLite and MySQL whatever the sql_mode) and appends %.
func likePrefix(s string) string {
	r := strings.NewReplacer("!", "!!", "%", "!%", "_", "!_")
	return r.Replace(s) + "%"
}

// pendingQuery applies every filter except type and cursor.
func (s *Store) pendingQuery(ctx context.Context, f QueueFilter, set Settings) *gorm.DB {
	q := s.DB.WithContext(ctx).Table("reviews").Where("reviews.status = ?", StatusPending)
	if f.Source != "" {
		q = q.Where("reviews.source = ?", f.Source)
	}
	if f.Campaign != "" {
		q = q.Where("reviews.campaign = ?", f.Campaign)
	}
	now := Now()
	switch f.AgeBand {
	case AgeFresh:
		q = q.Where("reviews.flagged_at > ?", now.Add(-set.SLAWarning()))
	case AgeWarning:
		q = q.Where("reviews.flagged_at <= ? AND reviews.flagged_at > ?", now.Add(-set.SLAWarning()), now.Add(-set.SLACritical()))
	case AgeCritical:
		q = q.Where("reviews.flagged_at <= ?", now.Add(-set.SLACritical()))
	}
	if f.Search != "" {
		// A prefix match, so the indexes on leads.name/email/company serve it
		// (LIKE '%x%' would scan every lead). Case-insensitive: MySQL's
		// _ci collation, and SQLite's LIKE with NOCASE indexes.
		p := likePrefix(f.Search)
		q = q.Where("reviews.lead_id IN (SELECT id FROM leads WHERE name LIKE ? ESCAPE '!' OR email LIKE ? ESCAPE '!' OR company LIKE ? ESCAPE '!')", p, p, p)
	}
	// A snooze whose time has passed is over: the review is back by itself.
	switch f.State {
	case StateActive, "":
		q = q.Where("reviews.escalated_at IS NULL AND (reviews.snoozed_until IS NULL OR reviews.snoozed_until <= ?)", now)
	case StateEscalated:
		q = q.Where("reviews.escalated_at IS NOT NULL")
	case StateSnoozed:
		q = q.Where("reviews.snoozed_until > ?", now)
	}
	switch {
	case f.AssigneeID != 0:
		q = q.Where("reviews.assignee_id = ?", f.AssigneeID)
	case f.Unassigned:
		q = q.Where("reviews.assignee_id IS NULL")
	case f.AssigneeEmail != "":
		// The operators' unique email index finds the one id; then the
		// reviews_assignee range, as for an id.
		q = q.Where("reviews.assignee_id = (SELECT id FROM operators WHERE email = ?)", f.AssigneeEmail)
	}
	if f.SkipClaimedFor != 0 {
		q = q.Where("(reviews.claimed_by IS NULL OR reviews.claimed_by = ? OR reviews.claim_expires_at IS NULL OR reviews.claim_expires_at <= ?)", f.SkipClaimedFor, now)
	}
	return q
}

// listPage is one cached page of ListPendingShared.
type listPage struct {
	items []QueueItem
	next  *Cursor
}

// ListPendingShared is ListPending for the pages many readers load alike —
// the queue's pages and the API's task list — answered from this instance's
// read cache when the same page was read within its TTL (about a second in
// the server). A write through this instance drops the cache at once, so an
// operator sees their own decisions; other instances' writes show within
// the TTL, as the live refresh shows them anyway. Deciding stays exact: a
// row decided elsewhere meanwhile gets a conflict naming who decided it.
// The "next" flow, bulk actions and the live refresh read fresh. Each
// caller gets its own copy of the items.
func (s *Store) ListPendingShared(ctx context.Context, f QueueFilter) ([]QueueItem, *Cursor, error) {
	if err := f.Validate(); err != nil {
		return nil, nil, err
	}
	if f.SkipClaimedFor != 0 {
		return s.listPending(ctx, f)
	}
	after := ""
	if f.After != nil {
		after = f.After.Encode()
	}
	key := fmt.Sprintf("list|%q|%q|%q|%q|%q|%q|%q|%d|%q|%d|%t|%q", f.ReviewType, f.Source, f.Campaign, f.AgeBand, f.Search, f.Sort, after, f.Limit,
		f.State, f.AssigneeID, f.Unassigned, f.AssigneeEmail)
	p, err := cachedRead(ctx, s.lists, key, func(ctx context.Context) (listPage, error) {
		items, next, err := s.listPending(ctx, f)
		return listPage{items: items, next: next}, err
	}, listPage.clone)
	return p.items, p.next, err
}

// clone copies the page's items, down to their pointer fields.
func (p listPage) clone() listPage {
	items := slices.Clone(p.items)
	arena := newPointeeArena(len(items))
	for i := range items {
		items[i].Review.clonePointees(arena)
	}
	return listPage{items: items, next: clonePtr(p.next)}
}

// ListPending returns pending reviews in the filter's sort order, one keyset
// page, and the cursor of the next page (nil at the end).
func (s *Store) ListPending(ctx context.Context, f QueueFilter) ([]QueueItem, *Cursor, error) {
	if err := f.Validate(); err != nil {
		return nil, nil, err
	}
	return s.listPending(ctx, f)
}

// listPending is ListPending for a validated filter.
func (s *Store) listPending(ctx context.Context, f QueueFilter) ([]QueueItem, *Cursor, error) {
	set, err := s.Settings(ctx)
	if err != nil {
		return nil, nil, err
	}
	q := s.pendingQuery(ctx, f, set).
		Select(queueItemColumns).
		Joins("JOIN leads ON leads.id = reviews.lead_id")
	if f.ReviewType != "" {
		q = q.Where("reviews.review_type = ?", f.ReviewType)
	}
	// Keyset conditions are spelled out rather than row comparisons so
	// MySQL uses the index.
	if f.Sort == SortScore {
		if a := f.After; a != nil {
			q = q.Where("(reviews.score_at_flag < ? OR (reviews.score_at_flag = ? AND (reviews.flagged_at > ? OR (reviews.flagged_at = ? AND reviews.id > ?))))",
				a.Score, a.Score, a.FlaggedAt, a.FlaggedAt, a.ID)
		}
		q = q.Order("reviews.score_at_flag DESC, reviews.flagged_at, reviews.id")
	} else {
		if a := f.After; a != nil {
			q = q.Where("(reviews.flagged_at > ? OR (reviews.flagged_at = ? AND reviews.id > ?))", a.FlaggedAt, a.FlaggedAt, a.ID)
		}
		q = q.Order("reviews.flagged_at, reviews.id")
	}
	items, err := scanQueueItems(q.Limit(f.Limit+1), f.Limit+1)
	if err != nil {
		return nil, nil, fmt.Errorf("list queue: %w", err)
	}
	var next *Cursor
	if len(items) > f.Limit {
		items = items[:f.Limit]
		c := CursorOf(&items[len(items)-1].Review, f.Sort)
		next = &c
	}
	return items, next, nil
}

// PendingCounts is the size of the queue, in total and by type.
type PendingCounts struct {
	Total  int64
	ByType map[string]int64
}

// CountPending counts pending reviews by type (an index-only scan), snoozed
// and escalated ones included.
func (s *Store) CountPending(ctx context.Context) (PendingCounts, error) {
	return s.CountPendingMatching(ctx, QueueFilter{State: StateAll})
}

// CountPendingMatching counts the pending reviews that pass the filter, by
// type (cached briefly; see readCache).
func (s *Store) CountPendingMatching(ctx context.Context, f QueueFilter) (PendingCounts, error) {
	key := fmt.Sprintf("count|%q|%q|%q|%q|%d|%q|%d|%t|%q", f.Source, f.Campaign, f.AgeBand, f.Search, f.SkipClaimedFor, f.State, f.AssigneeID, f.Unassigned, f.AssigneeEmail)
	return cachedRead(ctx, s.reads, key, func(ctx context.Context) (PendingCounts, error) { return s.countPendingMatching(ctx, f) }, PendingCounts.clone)
}

func (c PendingCounts) clone() PendingCounts {
	c.ByType = maps.Clone(c.ByType)
	return c
}

// countPendingMatching counts the pending reviews that pass the filter,
// by type; the filter's own type, cursor and limit are ignored, so the
// counts can label the type choices.
func (s *Store) countPendingMatching(ctx context.Context, f QueueFilter) (PendingCounts, error) {
	f.ReviewType, f.After, f.Limit = "", nil, 0
	if err := f.Validate(); err != nil {
		return PendingCounts{}, err
	}
	set, err := s.Settings(ctx)
	if err != nil {
		return PendingCounts{}, err
	}
	var rows []struct {
		ReviewType string
		N          int64
	}
	if err := s.pendingQuery(ctx, f, set).Select("reviews.review_type, COUNT(*) AS n").
		Group("reviews.review_type").Scan(&rows).Error; err != nil {
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

// ReviewState is what the live queue needs to know of a row it shows.
type ReviewState struct {
	ID             int64
	Status         string
	Version        int
	DecidedByType  *string
	DecidedByID    *int64
	DecidedByName  *string
	ClaimedBy      *int64
	ClaimedByName  *string
	ClaimExpiresAt *time.Time
	LeadName       string
	// FlaggedAt lets the refresh redraw the row's age and SLA badge.
	FlaggedAt time.Time
}

// ReviewStates returns the current state of up to 500 reviews by id (a
// primary-key lookup), for the live refresh of rows on screen.
func (s *Store) ReviewStates(ctx context.Context, ids []int64) ([]ReviewState, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	if len(ids) > 500 {
		return nil, invalid("ids", "at most 500 at once")
	}
	var out []ReviewState
	if err := s.DB.WithContext(ctx).Table("reviews").
		Select("reviews.id, reviews.status, reviews.version, reviews.decided_by_type, reviews.decided_by_id, reviews.decided_by_name, reviews.claimed_by, "+
			"reviews.claimed_by_name, reviews.claim_expires_at, reviews.flagged_at, leads.name AS lead_name").
		Joins("JOIN leads ON leads.id = reviews.lead_id").Where("reviews.id IN ?", ids).Order("reviews.id").Scan(&out).Error; err != nil {
		return nil, fmt.Errorf("review states: %w", err)
	}
	return out, nil
}

// QueueItemsByID returns the reviews with the given ids (at most
// BulkLimit; pending or not) with their lead fields, in id order.
func (s *Store) QueueItemsByID(ctx context.Context, ids []int64) ([]QueueItem, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	if len(ids) > BulkLimit {
		return nil, invalid("ids", "at most %d at once", BulkLimit)
	}
	items, err := scanQueueItems(s.DB.WithContext(ctx).Table("reviews").Select(queueItemColumns).
		Joins("JOIN leads ON leads.id = reviews.lead_id").Where("reviews.id IN ?", ids).Order("reviews.id"), len(ids))
	if err != nil {
		return nil, fmt.Errorf("queue items: %w", err)
	}
	return items, nil
}

// DecidedFilter narrows the recent decisions. Zero fields match anything.
type DecidedFilter struct {
	// ByOperator is the deciding operator's id ("mine" is the caller's).
	ByOperator int64
	// Status is a decided status (approved, rejected, skipped).
	Status     string
	ReviewType string
	// Day, when not zero, keeps the decisions of that UTC day.
	Day time.Time
}

// Validate refuses values the queue does not know.
func (f DecidedFilter) Validate() error {
	if f.Status != "" && !slices.Contains(DecidedStatuses(), f.Status) {
		return invalid("outcome", "must be one of %s", strings.Join(DecidedStatuses(), ", "))
	}
	if f.ReviewType != "" && !slices.Contains(ReviewTypes, f.ReviewType) {
		return invalid("type", "must be one of %s", strings.Join(ReviewTypes, ", "))
	}
	if f.ByOperator < 0 {
		return invalid("by", "not an operator")
	}
	return nil
}

// ListDecided returns decided reviews, latest decision first, one keyset
// page (on the decided_at index), and the cursor of the next page.
func (s *Store) ListDecided(ctx context.Context, after *Cursor, limit int) ([]QueueItem, *Cursor, error) {
	return s.ListDecidedFiltered(ctx, DecidedFilter{}, after, limit)
}

// ListDecidedFiltered is ListDecided narrowed by f. One operator's
// decisions read the reviews_decided_by index (operator, decided_at, id) in
// the same keyset order.
func (s *Store) ListDecidedFiltered(ctx context.Context, f DecidedFilter, after *Cursor, limit int) ([]QueueItem, *Cursor, error) {
	if err := f.Validate(); err != nil {
		return nil, nil, err
	}
	if after != nil && !after.ByDecided {
		return nil, nil, invalid("cursor", "belongs to another list; start from the first page")
	}
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	q := s.DB.WithContext(ctx).Table("reviews").
		Select(queueItemColumns).
		Joins("JOIN leads ON leads.id = reviews.lead_id").Where("reviews.decided_at IS NOT NULL")
	if f.ByOperator != 0 {
		q = q.Where("reviews.decided_by_type = ? AND reviews.decided_by_id = ?", ActorOperator, f.ByOperator)
	}
	if f.Status != "" {
		q = q.Where("reviews.status = ?", f.Status)
	}
	if f.ReviewType != "" {
		q = q.Where("reviews.review_type = ?", f.ReviewType)
	}
	if !f.Day.IsZero() {
		start := time.Date(f.Day.Year(), f.Day.Month(), f.Day.Day(), 0, 0, 0, 0, time.UTC)
		q = q.Where("reviews.decided_at >= ? AND reviews.decided_at < ?", start, start.AddDate(0, 0, 1))
	}
	if after != nil {
		q = q.Where("(reviews.decided_at < ? OR (reviews.decided_at = ? AND reviews.id < ?))", after.FlaggedAt, after.FlaggedAt, after.ID)
	}
	items, err := scanQueueItems(q.Order("reviews.decided_at DESC, reviews.id DESC").Limit(limit+1), limit+1)
	if err != nil {
		return nil, nil, fmt.Errorf("list decided: %w", err)
	}
	var next *Cursor
	if len(items) > limit {
		items = items[:limit]
		last := items[len(items)-1]
		next = &Cursor{FlaggedAt: *last.DecidedAt, ID: last.ID, ByDecided: true}
	}
	return items, next, nil
}
