package store

import (
	"context"
	"fmt"
	"maps"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"gorm.io/gorm"
)

// Stats for ops leads: "now" figures read the pending reviews through the
// queue indexes (index-only scans of the pending rows, never decided ones);
// "over a range" figures read the daily aggregates (stats_daily.go) by
// primary-key day range, plus the indexed 'reopened' history events.

// StatsRange is a span of whole UTC days, both ends included.
type StatsRange struct {
	From, To time.Time // midnight UTC of the first and of the last day
}

// MaxStatsDays bounds a range, so one request cannot ask for years of days.
const MaxStatsDays = 366

// NewStatsRange checks and normalises a range of days.
func NewStatsRange(from, to time.Time) (StatsRange, error) {
	from, to = truncDay(from), truncDay(to)
	if to.Before(from) {
		return StatsRange{}, invalid("to", "must not be before from")
	}
	r := StatsRange{From: from, To: to}
	if r.Days() > MaxStatsDays {
		return StatsRange{}, invalid("range", "must be at most %d days", MaxStatsDays)
	}
	return r, nil
}

// LastDays is the range of n days ending with the day of now.
func LastDays(now time.Time, n int) (StatsRange, error) {
	if n < 1 || n > MaxStatsDays {
		return StatsRange{}, invalid("days", "must be from 1 to %d", MaxStatsDays)
	}
	to := truncDay(now)
	return StatsRange{From: to.AddDate(0, 0, -(n - 1)), To: to}, nil
}

func truncDay(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// Days is the number of days in the range.
func (r StatsRange) Days() int { return int(r.To.Sub(r.From)/(24*time.Hour)) + 1 }

// End is the instant just after the range.
func (r StatsRange) End() time.Time { return r.To.AddDate(0, 0, 1) }

// DayList lists the range's days as stored ("2006-01-02").
func (r StatsRange) DayList() []string {
	out := make([]string, 0, r.Days())
	for d := r.From; !d.After(r.To); d = d.AddDate(0, 0, 1) {
		out = append(out, Day(d))
	}
	return out
}

// NamedCount is a label and a count.
type NamedCount struct {
	Name string
	N    int64
}

// AgeBucket is a count of pending reviews by age.
type AgeBucket struct {
	Label string
	N     int64
}

// QueueNow is the queue as it is now.
type QueueNow struct {
	At       time.Time
	Total    int64
	ByType   []NamedCount // every review type, in display order
	BySource []NamedCount // every source
	// ByCampaign is largest first.
	ByCampaign []NamedCount
	// Oldest is the flag time of the oldest pending review; nil when empty.
	Oldest    *time.Time
	OldestAge time.Duration
	Ageing    []AgeBucket // < 1 h, 1–4 h, 4–12 h, 12–24 h, > 24 h
	// PastWarning and PastCritical count reviews at or over the SLA ages.
	PastWarning, PastCritical int64
	WarningHours              int
	CriticalHours             int
	// Escalated and Snoozed are the pending reviews waiting for a lead and
	// those snoozed now; both are in Total and in the SLA ages.
	Escalated, Snoozed int64
}

// countPendingBy counts pending reviews grouped by one of the columns
// the queue indexes lead with: an index-only scan of the pending rows.
func (s *Store) countPendingBy(ctx context.Context, col string) (map[string]int64, error) {
	switch col {
	case "review_type", "source", "campaign":
	default:
		return nil, fmt.Errorf("count pending: unknown column %q", col)
	}
	var rows []struct {
		K string
		N int64
	}
	if err := s.DB.WithContext(ctx).Table("reviews").Select(col+" AS k, COUNT(*) AS n").
		Where("status = ?", StatusPending).Group(col).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("count pending by %s: %w", col, err)
	}
	out := make(map[string]int64, len(rows))
	for _, r := range rows {
		out[r.K] = r.N
	}
	return out, nil
}

// OldestPending returns the flag time of the oldest pending review (nil when
// none): the first entry of the queue index.
func (s *Store) OldestPending(ctx context.Context) (*time.Time, error) {
	var rows []struct{ FlaggedAt time.Time }
	if err := s.DB.WithContext(ctx).Table("reviews").Select("flagged_at").Where("status = ?", StatusPending).
		Order("flagged_at, id").Limit(1).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("oldest pending: %w", err)
	}
	if len(rows) == 0 {
		return nil, nil
	}
	t := rows[0].FlaggedAt.UTC()
	return &t, nil
}

func ordered(m map[string]int64, keys []string) []NamedCount {
	out := make([]NamedCount, 0, len(keys))
	for _, k := range keys {
		out = append(out, NamedCount{Name: k, N: m[k]})
	}
	// Values outside the known list (old data) still show, after the rest.
	var extra []string
	for k := range m {
		if !slices.Contains(keys, k) {
			extra = append(extra, k)
		}
	}
	sort.Strings(extra)
	for _, k := range extra {
		out = append(out, NamedCount{Name: k, N: m[k]})
	}
	return out
}

func largestFirst(m map[string]int64) []NamedCount {
	out := make([]NamedCount, 0, len(m))
	for k, n := range m {
		out = append(out, NamedCount{Name: k, N: n})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].N != out[j].N {
			return out[i].N > out[j].N
		}
		return out[i].Name < out[j].Name
	})
	return out
}

// QueueNow returns the "now" figures of the queue (cached briefly; see
// readCache); the caller gets its own copy.
func (s *Store) QueueNow(ctx context.Context, now time.Time) (*QueueNow, error) {
	return cachedRead(ctx, s.reads, "queuenow", func(ctx context.Context) (*QueueNow, error) { return s.queueNow(ctx, now) }, (*QueueNow).clone)
}

func (q *QueueNow) clone() *QueueNow {
	if q == nil {
		return nil
	}
	c := *q
	c.ByType, c.BySource, c.ByCampaign = slices.Clone(q.ByType), slices.Clone(q.BySource), slices.Clone(q.ByCampaign)
	c.Ageing, c.Oldest = slices.Clone(q.Ageing), clonePtr(q.Oldest)
	return &c
}

// queueNow reads the "now" figures of the queue at now.
func (s *Store) queueNow(ctx context.Context, now time.Time) (*QueueNow, error) {
	set, err := s.Settings(ctx)
	if err != nil {
		return nil, err
	}
	now = now.UTC()
	q := &QueueNow{At: now, WarningHours: set.Int(KeySLAWarningHours), CriticalHours: set.Int(KeySLACriticalHours)}
	byType, err := s.countPendingBy(ctx, "review_type")
	if err != nil {
		return nil, err
	}
	bySource, err := s.countPendingBy(ctx, "source")
	if err != nil {
		return nil, err
	}
	byCampaign, err := s.countPendingBy(ctx, "campaign")
	if err != nil {
		return nil, err
	}
	q.ByType, q.BySource, q.ByCampaign = ordered(byType, ReviewTypes), ordered(bySource, Sources), largestFirst(byCampaign)
	for _, n := range byType {
		q.Total += n
	}
	if q.Oldest, err = s.OldestPending(ctx); err != nil {
		return nil, err
	}
	if q.Oldest != nil {
		q.OldestAge = max(now.Sub(*q.Oldest), 0)
	}
	// One pass over the (status, flagged_at) index: a review flagged at or
	// before now-h is at least h old.
	h := func(n int) time.Time { return now.Add(-time.Duration(n) * time.Hour) }
	var ages struct{ A1, A4, A12, A24, Warn, Crit int64 }
	if err := s.DB.WithContext(ctx).Table("reviews").Select(`
		COALESCE(SUM(CASE WHEN flagged_at <= ? THEN 1 ELSE 0 END), 0) AS a1,
		COALESCE(SUM(CASE WHEN flagged_at <= ? THEN 1 ELSE 0 END), 0) AS a4,
		COALESCE(SUM(CASE WHEN flagged_at <= ? THEN 1 ELSE 0 END), 0) AS a12,
		COALESCE(SUM(CASE WHEN flagged_at <= ? THEN 1 ELSE 0 END), 0) AS a24,
		COALESCE(SUM(CASE WHEN flagged_at <= ? THEN 1 ELSE 0 END), 0) AS warn,
		COALESCE(SUM(CASE WHEN flagged_at <= ? THEN 1 ELSE 0 END), 0) AS crit`,
		h(1), h(4), h(12), h(24), h(q.WarningHours), h(q.CriticalHours)).
		Where("status = ?", StatusPending).Scan(&ages).Error; err != nil {
		return nil, fmt.Errorf("pending ages: %w", err)
	}
	// Counted from the same rows as Total could differ by a concurrent flag;
	// the youngest bucket is what is left, never negative.
	q.Ageing = []AgeBucket{
		{"< 1 h", max(q.Total-ages.A1, 0)},
		{"1–4 h", ages.A1 - ages.A4},
		{"4–12 h", ages.A4 - ages.A12},
		{"12–24 h", ages.A12 - ages.A24},
		{"> 24 h", ages.A24},
	}
	q.PastWarning, q.PastCritical = ages.Warn, ages.Crit
	if err := s.DB.WithContext(ctx).Table("reviews").Where("status = ? AND escalated_at IS NOT NULL", StatusPending).
		Count(&q.Escalated).Error; err != nil {
		return nil, fmt.Errorf("escalated reviews: %w", err)
	}
	if err := s.DB.WithContext(ctx).Table("reviews").Where("status = ? AND snoozed_until > ?", StatusPending, now).
		Count(&q.Snoozed).Error; err != nil {
		return nil, fmt.Errorf("snoozed reviews: %w", err)
	}
	return q, nil
}

// Outcomes counts decisions by outcome, keyed by the outcome's status
// (see DecisionOutcomes). A nil Outcomes counts none.
type Outcomes map[string]int64

// Of is the number of decisions that left reviews in status.
func (o Outcomes) Of(status string) int64 { return o[status] }

// Total is the number of decisions.
func (o Outcomes) Total() int64 { return o.sum(func(Outcome) bool { return true }) }

func (o Outcomes) sum(match func(Outcome) bool) int64 {
	var n int64
	for _, oc := range DecisionOutcomes {
		if match(oc) {
			n += o[oc.Status]
		}
	}
	return n
}

func share(n, of int64) float64 {
	if of == 0 {
		return 0
	}
	return float64(n) / float64(of)
}

// Rate is the share of decisions that left reviews in status (0 with no
// decisions).
func (o Outcomes) Rate(status string) float64 { return share(o[status], o.Total()) }

// ApprovalRate is the share of decisions that approved (0 with no
// decisions). For a flag source it is the precision of that automatic rule.
func (o Outcomes) ApprovalRate() float64 {
	return share(o.sum(func(oc Outcome) bool { return oc.Approves }), o.Total())
}

// FalsePositiveRate is the share of flags the operator found needless
// (rejected or skipped): the automation asked for nothing.
func (o Outcomes) FalsePositiveRate() float64 {
	return share(o.sum(func(oc Outcome) bool { return oc.FalsePositive }), o.Total())
}

func (o *Outcomes) add(kind string, n int64) {
	// A counter summing to 0 is a decision counted and taken back again
	// (undone or reopened) in different shards: nothing to show.
	if _, ok := OutcomeOfStatus(kind); !ok || n == 0 {
		return
	}
	if *o == nil {
		*o = Outcomes{}
	}
	(*o)[kind] += n
}

// DayFlow is one day's inflow (new reviews) and outflow (decisions).
type DayFlow struct {
	Day     string
	Flagged int64
	Outcomes
}

// GroupOutcomes is decisions of one group (a type, a source).
type GroupOutcomes struct {
	Name string
	Outcomes
}

// Durations summarises decision times.
type Durations struct {
	N      int64
	Mean   time.Duration
	Median time.Duration
	P90    time.Duration
}

// OperatorStats is one decider's figures.
type OperatorStats struct {
	ActorType string
	ActorID   int64
	Name      string
	Outcomes
	// Handle covers the decisions this actor had claimed; Wait all of them.
	Handle, Wait Durations
}

// RangeStats are the figures over a range of days.
type RangeStats struct {
	Range   StatsRange
	Days    []DayFlow
	Flagged int64
	Outcomes
	ByType   []GroupOutcomes
	BySource []GroupOutcomes
	// Wait is flag (or reopen) → decision; Handle is claim → decision, over
	// the decisions whose decider had claimed the review (Handle.N of them).
	Wait, Handle Durations
	// WithinSLA decisions came at most CriticalHours after the flag.
	WithinSLA     int64
	CriticalHours int
	Operators     []OperatorStats
	// Reasons are the reason codes given, largest first, by outcome name
	// (outcomes that take reason codes).
	Reasons  map[string][]NamedCount
	Reopened int64
	// HeldBack counts automatic flags held back by the cool-down.
	HeldBack int64
}

// SLACompliance is the share of decisions made within the critical age.
func (r *RangeStats) SLACompliance() float64 { return share(r.WithinSLA, r.Wait.N) }

type histBucket struct {
	LE, N, SumMS int64
}

// summarise reads a histogram (sorted by LE) into count, mean and
// nearest-rank percentiles reported as bucket upper bounds.
func summarise(h []histBucket) Durations {
	var d Durations
	var sum int64
	for _, b := range h {
		d.N += b.N
		sum += b.SumMS
	}
	if d.N == 0 {
		return d
	}
	d.Mean = time.Duration(sum/d.N) * time.Millisecond
	d.Median, d.P90 = percentile(h, d.N, 0.5), percentile(h, d.N, 0.9)
	return d
}

func percentile(h []histBucket, n int64, p float64) time.Duration {
	rank := int64(math.Ceil(p * float64(n)))
	var cum int64
	for _, b := range h {
		cum += b.N
		if cum >= rank {
			if b.LE == overflowLE {
				return 30 * 24 * time.Hour
			}
			return time.Duration(b.LE) * time.Second
		}
	}
	return 0
}

// RangeStats reads the figures over r (cached briefly; see readCache); the
// caller gets its own copy.
func (s *Store) RangeStats(ctx context.Context, r StatsRange) (*RangeStats, error) {
	key := "range|" + r.From.Format(time.DateOnly) + "|" + r.To.Format(time.DateOnly)
	return cachedRead(ctx, s.reads, key, func(ctx context.Context) (*RangeStats, error) { return s.rangeStats(ctx, r) }, (*RangeStats).clone)
}

func (r *RangeStats) clone() *RangeStats {
	if r == nil {
		return nil
	}
	c := *r
	c.Outcomes = maps.Clone(r.Outcomes)
	c.Days, c.ByType, c.BySource, c.Operators = slices.Clone(r.Days), slices.Clone(r.ByType), slices.Clone(r.BySource), slices.Clone(r.Operators)
	// Outcomes are maps: each row gets its own.
	for i := range c.Days {
		c.Days[i].Outcomes = maps.Clone(c.Days[i].Outcomes)
	}
	for _, g := range [][]GroupOutcomes{c.ByType, c.BySource} {
		for i := range g {
			g[i].Outcomes = maps.Clone(g[i].Outcomes)
		}
	}
	for i := range c.Operators {
		c.Operators[i].Outcomes = maps.Clone(c.Operators[i].Outcomes)
	}
	if r.Reasons != nil {
		c.Reasons = make(map[string][]NamedCount, len(r.Reasons))
		for k, v := range r.Reasons {
			c.Reasons[k] = slices.Clone(v)
		}
	}
	return &c
}

// rangeStats reads the figures over r from the daily aggregates.
func (s *Store) rangeStats(ctx context.Context, r StatsRange) (*RangeStats, error) {
	set, err := s.Settings(ctx)
	if err != nil {
		return nil, err
	}
	out := &RangeStats{Range: r, CriticalHours: set.Int(KeySLACriticalHours)}
	from, to := Day(r.From), Day(r.To)
	db := s.DB.WithContext(ctx)
	daily := func() *gorm.DB { return db.Table("stats_daily").Where("day >= ? AND day <= ?", from, to) }

	// Inflow and outflow per day.
	var perDay []struct {
		Day, Kind string
		N         int64
	}
	if err := daily().Select("day, kind, SUM(n) AS n").Group("day, kind").Scan(&perDay).Error; err != nil {
		return nil, fmt.Errorf("stats per day: %w", err)
	}
	idx := map[string]int{}
	for i, d := range r.DayList() {
		idx[d] = i
		out.Days = append(out.Days, DayFlow{Day: d})
	}
	for _, row := range perDay {
		i, ok := idx[row.Day]
		if !ok {
			continue
		}
		if row.Kind == StatFlagged {
			out.Days[i].Flagged += row.N
			out.Flagged += row.N
		} else {
			out.Days[i].add(row.Kind, row.N)
			out.add(row.Kind, row.N)
		}
	}

	// Outcomes by type and by source.
	group := func(col string, keys []string) ([]GroupOutcomes, error) {
		var rows []struct {
			K, Kind string
			N       int64
		}
		if err := daily().Select(col+" AS k, kind, SUM(n) AS n").Where("kind IN ?", DecidedStatuses()).
			Group(col + ", kind").Scan(&rows).Error; err != nil {
			return nil, fmt.Errorf("stats by %s: %w", col, err)
		}
		m := map[string]*Outcomes{}
		for _, k := range keys {
			m[k] = &Outcomes{}
		}
		for _, row := range rows {
			if m[row.K] == nil {
				m[row.K] = &Outcomes{}
				keys = append(keys, row.K)
			}
			m[row.K].add(row.Kind, row.N)
		}
		res := make([]GroupOutcomes, 0, len(keys))
		for _, k := range keys {
			res = append(res, GroupOutcomes{Name: k, Outcomes: *m[k]})
		}
		return res, nil
	}
	if out.ByType, err = group("review_type", slices.Clone(ReviewTypes)); err != nil {
		return nil, err
	}
	if out.BySource, err = group("source", slices.Clone(Sources)); err != nil {
		return nil, err
	}

	// Top reason codes.
	var reasons []struct {
		Kind, ReasonCode string
		N                int64
	}
	var reasonKinds []string
	byKind := map[string]map[string]int64{}
	for _, o := range DecisionOutcomes {
		if o.TakesReasons() {
			reasonKinds = append(reasonKinds, o.Status)
			byKind[o.Status] = map[string]int64{}
		}
	}
	if err := daily().Select("kind, reason_code, SUM(n) AS n").Where("kind IN ?", reasonKinds).
		Group("kind, reason_code").Scan(&reasons).Error; err != nil {
		return nil, fmt.Errorf("stats by reason: %w", err)
	}
	for _, row := range reasons {
		code := row.ReasonCode
		if code == "" {
			code = "(none)"
		}
		byKind[row.Kind][code] += row.N
	}
	out.Reasons = map[string][]NamedCount{}
	for _, o := range DecisionOutcomes {
		if o.TakesReasons() {
			out.Reasons[o.Name] = largestFirst(byKind[o.Status])
		}
	}

	// Decision times, overall and per decider.
	var hist []struct {
		Metric           string
		ActorType        string
		ActorID          int64
		LeSeconds, N, Ms int64
	}
	if err := db.Table("stats_daily_durations").Where("day >= ? AND day <= ?", from, to).
		Select("metric, actor_type, actor_id, le_seconds, SUM(n) AS n, SUM(sum_ms) AS ms").
		Group("metric, actor_type, actor_id, le_seconds").Scan(&hist).Error; err != nil {
		return nil, fmt.Errorf("stats durations: %w", err)
	}
	type actorKey struct {
		Type string
		ID   int64
	}
	overall := map[string]map[int64]*histBucket{MetricWait: {}, MetricHandle: {}}
	perActor := map[actorKey]map[int64]*histBucket{}
	perActorWait := map[actorKey]map[int64]*histBucket{}
	addTo := func(m map[int64]*histBucket, le, n, ms int64) {
		b := m[le]
		if b == nil {
			b = &histBucket{LE: le}
			m[le] = b
		}
		b.N += n
		b.SumMS += ms
	}
	for _, row := range hist {
		if overall[row.Metric] == nil {
			continue
		}
		addTo(overall[row.Metric], row.LeSeconds, row.N, row.Ms)
		k, byMetric := actorKey{row.ActorType, row.ActorID}, perActor
		if row.Metric == MetricWait {
			byMetric = perActorWait
		}
		if byMetric[k] == nil {
			byMetric[k] = map[int64]*histBucket{}
		}
		addTo(byMetric[k], row.LeSeconds, row.N, row.Ms)
	}
	sorted := func(m map[int64]*histBucket) []histBucket {
		h := make([]histBucket, 0, len(m))
		for _, b := range m {
			h = append(h, *b)
		}
		sort.Slice(h, func(i, j int) bool { return h[i].LE < h[j].LE })
		return h
	}
	waitHist := sorted(overall[MetricWait])
	out.Wait, out.Handle = summarise(waitHist), summarise(sorted(overall[MetricHandle]))
	critical := int64(out.CriticalHours) * 3600
	for _, b := range waitHist {
		if b.LE <= critical {
			out.WithinSLA += b.N
		}
	}

	// Per decider.
	var ops []struct {
		ActorType string
		ActorID   int64
		Name      string
		Kind      string
		N         int64
	}
	if err := daily().Select("actor_type, actor_id, MAX(actor_name) AS name, kind, SUM(n) AS n").
		Where("kind IN ?", DecidedStatuses()).Group("actor_type, actor_id, kind").Scan(&ops).Error; err != nil {
		return nil, fmt.Errorf("stats per operator: %w", err)
	}
	byActor := map[actorKey]*OperatorStats{}
	for _, row := range ops {
		if row.N == 0 {
			continue // counted and taken back (see Outcomes.add)
		}
		k := actorKey{row.ActorType, row.ActorID}
		o := byActor[k]
		if o == nil {
			o = &OperatorStats{ActorType: row.ActorType, ActorID: row.ActorID, Name: row.Name}
			byActor[k] = o
		}
		if row.Name > o.Name {
			o.Name = row.Name
		}
		o.add(row.Kind, row.N)
	}
	for k, o := range byActor {
		if m := perActor[k]; m != nil {
			o.Handle = summarise(sorted(m))
		}
		if m := perActorWait[k]; m != nil {
			o.Wait = summarise(sorted(m))
		}
		if o.Name == "" {
			o.Name = o.ActorType
		}
		out.Operators = append(out.Operators, *o)
	}
	sort.Slice(out.Operators, func(i, j int) bool {
		a, b := out.Operators[i], out.Operators[j]
		if a.Total() != b.Total() {
			return a.Total() > b.Total()
		}
		return a.Name < b.Name
	})

	// Reopened decisions: the history's own events, by the (kind, created_at) index.
	if err := db.Table("review_events").Where("kind = ? AND created_at >= ? AND created_at < ?", EventReopened, r.From, r.End()).
		Count(&out.Reopened).Error; err != nil {
		return nil, fmt.Errorf("stats reopened: %w", err)
	}
	if err := db.Table("review_events").Where("kind = ? AND created_at >= ? AND created_at < ?", EventHeldBack, r.From, r.End()).
		Count(&out.HeldBack).Error; err != nil {
		return nil, fmt.Errorf("stats held back: %w", err)
	}
	return out, nil
}

// FlowTotal is a sum of stats_daily over days: new reviews (kind flagged)
// or decisions (kind: the outcome's status) by type and source.
type FlowTotal struct {
	Kind, ReviewType, Source string
	N                        int64
}

// FlowTotals sums the daily counters of the days fromDay..toDay (stored
// "2006-01-02" form; "" leaves that end open). /metrics reads the days before
// today once in a while and today's rows often: a primary-key range each.
func (s *Store) FlowTotals(ctx context.Context, fromDay, toDay string) ([]FlowTotal, error) {
	q := s.DB.WithContext(ctx).Table("stats_daily")
	if fromDay != "" {
		q = q.Where("day >= ?", fromDay)
	}
	if toDay != "" {
		q = q.Where("day <= ?", toDay)
	}
	var out []FlowTotal
	if err := q.Select("kind, review_type, source, SUM(n) AS n").Group("kind, review_type, source").Scan(&out).Error; err != nil {
		return nil, fmt.Errorf("flow totals: %w", err)
	}
	return out, nil
}

// PendingByType counts pending reviews by type, every type present.
func (s *Store) PendingByType(ctx context.Context) (map[string]int64, error) {
	m, err := s.countPendingBy(ctx, "review_type")
	if err != nil {
		return nil, err
	}
	for _, t := range ReviewTypes {
		m[t] += 0
	}
	return m, nil
}

// HourlyDecisions counts the decisions of one UTC day (day's date) per
// hour, 0–23: the stats page's view of a single day. One range scan of the
// reviews_decided index; the hours are summed in the same statement so it
// reads the same on SQLite and MySQL. A decision later reopened is not
// counted (its decided_at is gone), as in the queue's own history.
func (s *Store) HourlyDecisions(ctx context.Context, day time.Time) ([24]int64, error) {
	var out [24]int64
	start := time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, time.UTC)
	cols := make([]string, 24)
	args := make([]any, 0, 48)
	for h := 0; h < 24; h++ {
		cols[h] = fmt.Sprintf("COALESCE(SUM(CASE WHEN decided_at >= ? AND decided_at < ? THEN 1 ELSE 0 END), 0) AS h%02d", h)
		args = append(args, start.Add(time.Duration(h)*time.Hour), start.Add(time.Duration(h+1)*time.Hour))
	}
	args = append(args, start, start.Add(24*time.Hour))
	row := s.DB.WithContext(ctx).Raw("SELECT "+strings.Join(cols, ", ")+" FROM reviews WHERE decided_at >= ? AND decided_at < ?", args...).Row()
	ptrs := make([]any, 24)
	for i := range out {
		ptrs[i] = &out[i]
	}
	if err := row.Scan(ptrs...); err != nil {
		return out, fmt.Errorf("hourly decisions: %w", err)
	}
	return out, nil
}
