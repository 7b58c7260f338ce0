package store_test

import (
	"context"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"reviewq/store"
	"reviewq/store/storetest"
)

// statsFixture writes reviews and history at chosen times, as if they had
// happened then, and rebuilds the daily aggregates from them.
type statsFixture struct {
	t   *testing.T
	st  *store.Store
	ctx context.Context
	n   int
}

func (f *statsFixture) lead(campaign string) *store.Lead {
	f.t.Helper()
	f.n++
	l, _, err := f.st.UpsertLead(f.ctx, store.LeadInput{ExternalID: fmt.Sprintf("fx-%d", f.n), Campaign: &campaign})
	if err != nil {
		f.t.Fatal(err)
	}
	return l
}

// review inserts a review flagged at flagged; decider nil leaves it pending.
func (f *statsFixture) review(typ, source, campaign string, flagged time.Time, status string, decider *store.Actor, decided time.Time, code string) *store.Review {
	f.t.Helper()
	l := f.lead(campaign)
	r := &store.Review{LeadID: l.ID, ReviewType: typ, Reason: "fixture", Source: source, Campaign: campaign,
		FlaggedAt: flagged, Status: status, Version: 1, CreatedAt: flagged, UpdatedAt: flagged}
	if status == store.StatusPending {
		r.OpenLeadID = &l.ID
	} else {
		id, name, at := decider.ID, decider.Name, decided
		r.DecidedByType, r.DecidedByID, r.DecidedByName, r.DecidedAt = &decider.Type, &id, &name, &at
		if code != "" {
			r.ReasonCode = &code
		}
	}
	if err := f.st.DB.Create(r).Error; err != nil {
		f.t.Fatal(err)
	}
	return r
}

func (f *statsFixture) event(r *store.Review, kind string, actor store.Actor, at time.Time) {
	f.t.Helper()
	id := actor.ID
	ev := &store.ReviewEvent{ReviewID: r.ID, LeadID: r.LeadID, Kind: kind, ActorType: actor.Type, ActorID: &id, ActorName: actor.Name, CreatedAt: at}
	if err := f.st.DB.Create(ev).Error; err != nil {
		f.t.Fatal(err)
	}
}

var (
	opA  = store.Actor{Type: store.ActorOperator, ID: 101, Name: "Ana"}
	opB  = store.Actor{Type: store.ActorOperator, ID: 102, Name: "Ben"}
	lead = store.Actor{Type: store.ActorOperator, ID: 103, Name: "Lee"}
)

func at(day, clock string) time.Time {
	t, err := time.Parse("2006-01-02 15:04", day+" "+clock)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

const (
	d0 = "2026-03-09"
	d1 = "2026-03-10"
	d2 = "2026-03-11"
	d3 = "2026-03-12"
)

// rangeFixture is the fixed data set of the range tests. Decisions (day,
// outcome, type/source, decider, code, wait, handle):
//
//	R1 d1 approved PROPOSAL/score        Ana            30m    – (no claim: no handle time)
//	R2 d1 rejected PROPOSAL/score        Ana not_a_fit   2h   10m (Ana claimed 11:50)
//	R3 d2 skipped  MESSAGE/quality_gate  Ben not_now     2h    – (claim was Ana's)
//	R4 d2 approved MESSAGE/quality_gate  Ben            26h    – (Ben claimed, released)
//	R5 d3 rejected PRICING/manual        Ana duplicate  24h    –
//	R7 d3 approved RETRY/api             Ana             1h   30m (reopened 10:00, claimed 10:30)
//
// R6 (ACTION/api, d3) is pending. Flagged: d0 R7; d1 R1-R4; d2 R5; d3 R6.
func rangeFixture(t *testing.T, st *store.Store) {
	f := &statsFixture{t: t, st: st, ctx: context.Background()}
	f.review(store.TypeProposal, store.SourceScore, "c1", at(d1, "09:00"), store.StatusApproved, &opA, at(d1, "09:30"), "")
	r2 := f.review(store.TypeProposal, store.SourceScore, "c1", at(d1, "10:00"), store.StatusRejected, &opA, at(d1, "12:00"), "not_a_fit")
	f.event(r2, store.EventClaimed, opA, at(d1, "11:50"))
	// Decided at 01:00 UTC on d2: still d1 in New York, and counted on d2.
	r3 := f.review(store.TypeMessage, store.SourceQuality, "c2", at(d1, "23:00"), store.StatusSkipped, &opB, at(d2, "01:00"), "not_now")
	f.event(r3, store.EventClaimed, opA, at(d2, "00:00"))
	r4 := f.review(store.TypeMessage, store.SourceQuality, "c2", at(d1, "08:00"), store.StatusApproved, &opB, at(d2, "10:00"), "")
	f.event(r4, store.EventClaimed, opB, at(d2, "09:00"))
	f.event(r4, store.EventReleased, opB, at(d2, "09:10"))
	f.review(store.TypePricing, store.SourceManual, "c3", at(d2, "12:00"), store.StatusRejected, &opA, at(d3, "12:00"), "duplicate")
	f.review(store.TypeAction, store.SourceAPI, "c3", at(d3, "08:00"), store.StatusPending, nil, time.Time{}, "")
	r7 := f.review(store.TypeRetry, store.SourceAPI, "c1", at(d0, "20:00"), store.StatusApproved, &opA, at(d3, "11:00"), "")
	f.event(r7, store.EventClaimed, opA, at(d3, "08:00"))
	f.event(r7, store.EventReopened, lead, at(d3, "10:00"))
	f.event(r7, store.EventClaimed, opA, at(d3, "10:30"))
	if err := st.RebuildDailyStats(f.ctx); err != nil {
		t.Fatal(err)
	}
}

func mustRange(t *testing.T, from, to string) store.StatsRange {
	t.Helper()
	r, err := store.NewStatsRange(at(from, "00:00"), at(to, "00:00"))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func outcomesOf(groups []store.GroupOutcomes) map[string]store.Outcomes {
	m := map[string]store.Outcomes{}
	for _, g := range groups {
		m[g.Name] = g.Outcomes
	}
	return m
}

func TestStatsRangeFigures(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		rangeFixture(t, st)
		rs, err := st.RangeStats(ctx, mustRange(t, d1, d3))
		if err != nil {
			t.Fatal(err)
		}
		wantDays := []store.DayFlow{
			{Day: d1, Flagged: 4, Outcomes: store.Outcomes{store.StatusApproved: 1, store.StatusRejected: 1}},
			{Day: d2, Flagged: 1, Outcomes: store.Outcomes{store.StatusApproved: 1, store.StatusSkipped: 1}},
			{Day: d3, Flagged: 1, Outcomes: store.Outcomes{store.StatusApproved: 1, store.StatusRejected: 1}},
		}
		if !reflect.DeepEqual(rs.Days, wantDays) {
			t.Errorf("days = %+v, want %+v", rs.Days, wantDays)
		}
		if rs.Flagged != 6 || !maps.Equal(rs.Outcomes, store.Outcomes{store.StatusApproved: 3, store.StatusRejected: 2, store.StatusSkipped: 1}) {
			t.Errorf("flagged %d, outcomes %+v", rs.Flagged, rs.Outcomes)
		}
		if rs.ApprovalRate() != 0.5 {
			t.Errorf("approval rate %v", rs.ApprovalRate())
		}
		byType := outcomesOf(rs.ByType)
		wantType := map[string]store.Outcomes{
			store.TypeProposal: {store.StatusApproved: 1, store.StatusRejected: 1}, store.TypeMessage: {store.StatusApproved: 1, store.StatusSkipped: 1},
			store.TypePricing: {store.StatusRejected: 1}, store.TypeAction: {}, store.TypeRetry: {store.StatusApproved: 1},
		}
		if !reflect.DeepEqual(byType, wantType) {
			t.Errorf("by type %+v", byType)
		}
		bySource := outcomesOf(rs.BySource)
		wantSource := map[string]store.Outcomes{
			store.SourceScore: {store.StatusApproved: 1, store.StatusRejected: 1}, store.SourceQuality: {store.StatusApproved: 1, store.StatusSkipped: 1},
			store.SourceManual: {store.StatusRejected: 1}, store.SourceAPI: {store.StatusApproved: 1}, store.SourceChange: {}, store.SourceSample: {},
		}
		if !reflect.DeepEqual(bySource, wantSource) {
			t.Errorf("by source %+v", bySource)
		}
		if p := bySource[store.SourceScore].ApprovalRate(); p != 0.5 {
			t.Errorf("precision of the score rule = %v", p)
		}
		// Waits 30m 1h 2h 2h 24h 26h; handles (claimed decisions only) 10m 30m.
		wantWait := store.Durations{N: 6, Mean: 9*time.Hour + 15*time.Minute, Median: 2 * time.Hour, P90: 26 * time.Hour}
		if rs.Wait != wantWait {
			t.Errorf("wait %+v, want %+v", rs.Wait, wantWait)
		}
		wantHandle := store.Durations{N: 2, Mean: 20 * time.Minute, Median: 10 * time.Minute, P90: 30 * time.Minute}
		if rs.Handle != wantHandle {
			t.Errorf("handle %+v, want %+v", rs.Handle, wantHandle)
		}
		// 24 h exactly is within the critical age; 26 h is not.
		if rs.WithinSLA != 5 || rs.CriticalHours != 24 || fmt.Sprintf("%.4f", rs.SLACompliance()) != "0.8333" {
			t.Errorf("SLA: %d within %d h, %v", rs.WithinSLA, rs.CriticalHours, rs.SLACompliance())
		}
		if len(rs.Operators) != 2 {
			t.Fatalf("operators %+v", rs.Operators)
		}
		ana, ben := rs.Operators[0], rs.Operators[1]
		if ana.Name != "Ana" || ana.ActorID != 101 || !maps.Equal(ana.Outcomes, store.Outcomes{store.StatusApproved: 2, store.StatusRejected: 2}) ||
			ana.Handle.Median != 10*time.Minute || ana.Handle.N != 2 || ana.Wait.N != 4 {
			t.Errorf("Ana %+v", ana)
		}
		if ben.Name != "Ben" || !maps.Equal(ben.Outcomes, store.Outcomes{store.StatusApproved: 1, store.StatusSkipped: 1}) || ben.Handle != (store.Durations{}) || ben.Wait.Median != 2*time.Hour {
			t.Errorf("Ben %+v", ben)
		}
		wantRej := []store.NamedCount{{Name: "duplicate", N: 1}, {Name: "not_a_fit", N: 1}}
		if !reflect.DeepEqual(rs.Reasons[store.OutcomeReject], wantRej) || !reflect.DeepEqual(rs.Reasons[store.OutcomeSkip], []store.NamedCount{{Name: "not_now", N: 1}}) {
			t.Errorf("reasons %+v / %+v", rs.Reasons[store.OutcomeReject], rs.Reasons[store.OutcomeSkip])
		}
		if rs.Reopened != 1 {
			t.Errorf("reopened %d", rs.Reopened)
		}

		// A range given in another time zone means the UTC days it falls on:
		// 08:00 on d3 in Sydney (+11) is 21:00 on d2 UTC.
		sydney := time.FixedZone("AEDT", 11*3600)
		local := time.Date(2026, 3, 12, 8, 0, 0, 0, sydney)
		one, err := store.NewStatsRange(local, local)
		if err != nil {
			t.Fatal(err)
		}
		rs, err = st.RangeStats(ctx, one)
		if err != nil {
			t.Fatal(err)
		}
		if len(rs.Days) != 1 || rs.Days[0].Day != d2 || rs.Flagged != 1 || !maps.Equal(rs.Outcomes, store.Outcomes{store.StatusApproved: 1, store.StatusSkipped: 1}) || rs.Reopened != 0 {
			t.Errorf("one day (d2): %+v", rs)
		}
	})
}

func TestStatsEmptyAndSingleDecision(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		rangeFixture(t, st)
		rs, err := st.RangeStats(ctx, mustRange(t, "2026-02-01", "2026-02-07"))
		if err != nil {
			t.Fatal(err)
		}
		if len(rs.Days) != 7 || rs.Flagged != 0 || rs.Total() != 0 || rs.Wait.N != 0 || rs.Handle != (store.Durations{}) ||
			rs.SLACompliance() != 0 || rs.ApprovalRate() != 0 || len(rs.Operators) != 0 || len(rs.Reasons[store.OutcomeReject]) != 0 || rs.Reopened != 0 {
			t.Errorf("empty range: %+v", rs)
		}
		for _, d := range rs.Days {
			if d.Flagged != 0 || d.Total() != 0 {
				t.Errorf("empty day %+v", d)
			}
		}
		if rs.Days[0].Day != "2026-02-01" || rs.Days[6].Day != "2026-02-07" {
			t.Errorf("days %s..%s", rs.Days[0].Day, rs.Days[6].Day)
		}

		// A day with a single decision, 7 minutes after its flag.
		f := &statsFixture{t: t, st: st, ctx: ctx, n: 100}
		f.review(store.TypeAction, store.SourceManual, "c9", at("2026-01-05", "10:00"), store.StatusApproved, &opB, at("2026-01-05", "10:07"), "")
		if err := st.RebuildDailyStats(ctx); err != nil {
			t.Fatal(err)
		}
		rs, err = st.RangeStats(ctx, mustRange(t, "2026-01-05", "2026-01-05"))
		if err != nil {
			t.Fatal(err)
		}
		want := store.Durations{N: 1, Mean: 7 * time.Minute, Median: 7 * time.Minute, P90: 7 * time.Minute}
		// Decided without a claim: a wait, no handle time.
		if rs.Total() != 1 || rs.Of(store.StatusApproved) != 1 || rs.ApprovalRate() != 1 || rs.Wait != want || rs.Handle != (store.Durations{}) ||
			rs.SLACompliance() != 1 || len(rs.Operators) != 1 || rs.Operators[0].Name != "Ben" {
			t.Errorf("single decision: %+v", rs)
		}
	})
}

func TestStatsRangeValidation(t *testing.T) {
	if _, err := store.NewStatsRange(at(d2, "00:00"), at(d1, "00:00")); err == nil {
		t.Error("to before from accepted")
	}
	if _, err := store.NewStatsRange(at("2025-01-01", "00:00"), at("2026-03-01", "00:00")); err == nil {
		t.Error("a 425-day range accepted")
	}
	if _, err := store.LastDays(time.Now(), 0); err == nil {
		t.Error("0 days accepted")
	}
	r, err := store.LastDays(at(d3, "23:59"), 7)
	if err != nil || store.Day(r.From) != "2026-03-06" || store.Day(r.To) != d3 || r.Days() != 7 {
		t.Errorf("last 7 days = %v..%v (%v)", r.From, r.To, err)
	}
}

func TestStatsQueueNow(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		now := at(d3, "12:00")
		f := &statsFixture{t: t, st: st, ctx: ctx}
		ago := func(d time.Duration) time.Time { return now.Add(-d) }
		f.review(store.TypeMessage, store.SourceQuality, "c1", ago(30*time.Minute), store.StatusPending, nil, time.Time{}, "")
		f.review(store.TypeProposal, store.SourceScore, "c1", ago(2*time.Hour), store.StatusPending, nil, time.Time{}, "")
		f.review(store.TypePricing, store.SourceManual, "c2", ago(4*time.Hour), store.StatusPending, nil, time.Time{}, "")
		f.review(store.TypePricing, store.SourceManual, "c2", ago(13*time.Hour), store.StatusPending, nil, time.Time{}, "")
		f.review(store.TypeAction, store.SourceAPI, "c3", ago(30*time.Hour), store.StatusPending, nil, time.Time{}, "")
		// Decided reviews are not in the queue, however old.
		f.review(store.TypeRetry, store.SourceAPI, "c3", ago(50*time.Hour), store.StatusApproved, &opA, ago(time.Hour), "")

		q, err := st.QueueNow(ctx, now)
		if err != nil {
			t.Fatal(err)
		}
		if q.Total != 5 {
			t.Errorf("total %d", q.Total)
		}
		wantType := []store.NamedCount{{"MESSAGE", 1}, {"PROPOSAL", 1}, {"PRICING", 2}, {"ACTION", 1}, {"RETRY", 0}}
		wantSource := []store.NamedCount{{"score", 1}, {"quality_gate", 1}, {"manual", 2}, {"api", 1}, {"change", 0}, {"sample", 0}}
		wantCampaign := []store.NamedCount{{"c1", 2}, {"c2", 2}, {"c3", 1}}
		if !reflect.DeepEqual(q.ByType, wantType) || !reflect.DeepEqual(q.BySource, wantSource) || !reflect.DeepEqual(q.ByCampaign, wantCampaign) {
			t.Errorf("by type %v, source %v, campaign %v", q.ByType, q.BySource, q.ByCampaign)
		}
		if q.Oldest == nil || !q.Oldest.Equal(ago(30*time.Hour)) || q.OldestAge != 30*time.Hour {
			t.Errorf("oldest %v age %v", q.Oldest, q.OldestAge)
		}
		// 4 h exactly is in the 4–12 h bucket.
		var ages []int64
		for _, b := range q.Ageing {
			ages = append(ages, b.N)
		}
		if !reflect.DeepEqual(ages, []int64{1, 1, 1, 1, 1}) {
			t.Errorf("ageing %v", q.Ageing)
		}
		if q.PastWarning != 2 || q.PastCritical != 1 || q.WarningHours != 12 || q.CriticalHours != 24 {
			t.Errorf("SLA: warning %d critical %d (%d/%d h)", q.PastWarning, q.PastCritical, q.WarningHours, q.CriticalHours)
		}

		// An empty queue.
		empty := storetest.Open(t, st.Dialect)
		q, err = empty.QueueNow(ctx, now)
		if err != nil {
			t.Fatal(err)
		}
		if q.Total != 0 || q.Oldest != nil || q.OldestAge != 0 || q.PastWarning != 0 || q.Ageing[0].N != 0 {
			t.Errorf("empty queue %+v", q)
		}
	})
}

// dump reads both aggregate tables in a stable order.
func dump(t *testing.T, st *store.Store) []string {
	t.Helper()
	var out []string
	for _, q := range []string{
		// Summed over the shards: live counters spread a key over several
		// rows, a rebuild writes one.
		"SELECT day, kind, review_type, source, actor_type, actor_id, reason_code, MAX(actor_name), SUM(n) FROM stats_daily " +
			"GROUP BY day, kind, review_type, source, actor_type, actor_id, reason_code",
		"SELECT day, metric, actor_type, actor_id, le_seconds, SUM(n), SUM(sum_ms) FROM stats_daily_durations " +
			"GROUP BY day, metric, actor_type, actor_id, le_seconds",
	} {
		rows, err := st.SQL.Query(q)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			parts := make([]string, len(vals))
			for i, v := range vals {
				if b, ok := v.([]byte); ok {
					v = string(b)
				}
				parts[i] = fmt.Sprint(v)
			}
			out = append(out, strings.Join(parts, "|"))
		}
		_ = rows.Close()
	}
	sort.Strings(out)
	return out
}

// The live path: Flag and Decide keep the aggregates in their own
// transactions, and they agree with a rebuild from the reviews table.
func TestStatsLiveCountersMatchRebuild(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		a := storetest.Operator(t, st, "ana@example.com", store.RoleOperator)
		b := storetest.Operator(t, st, "ben@example.com", store.RoleLead)
		actA := store.Actor{Type: store.ActorOperator, ID: a.ID, Name: a.Name}
		actB := store.Actor{Type: store.ActorOperator, ID: b.ID, Name: b.Name}
		r1 := storetest.FlaggedLead(t, st, "L1", store.TypeProposal)
		r2 := storetest.FlaggedLead(t, st, "L2", store.TypeMessage)
		storetest.FlaggedLead(t, st, "L3", store.TypeAction)
		r4 := storetest.FlaggedLead(t, st, "L4", store.TypePricing)
		// A second flag on an open review is no new inflow.
		if _, err := st.Flag(ctx, r4.LeadID, store.FlagInput{ReviewType: store.TypeRetry, Reason: "again", Source: store.SourceManual}, store.SystemActor); err != nil {
			t.Fatal(err)
		}
		if _, err := st.Decide(ctx, store.DecideInput{ReviewID: r1.ID, Outcome: store.OutcomeApprove, Actor: actA}); err != nil {
			t.Fatal(err)
		}
		if _, err := st.Claim(ctx, r2.ID, actB); err != nil {
			t.Fatal(err)
		}
		if _, err := st.Decide(ctx, store.DecideInput{ReviewID: r2.ID, Outcome: store.OutcomeReject, ReasonCode: "bad_data", Actor: actB}); err != nil {
			t.Fatal(err)
		}
		// A refused decision counts nothing.
		if _, err := st.Decide(ctx, store.DecideInput{ReviewID: r2.ID, Outcome: store.OutcomeApprove, Actor: actA}); err == nil {
			t.Fatal("second decision accepted")
		}
		live := dump(t, st)
		if err := st.RebuildDailyStats(ctx); err != nil {
			t.Fatal(err)
		}
		if rebuilt := dump(t, st); !reflect.DeepEqual(live, rebuilt) {
			t.Fatalf("live aggregates differ from the rebuild:\nlive    %v\nrebuilt %v", live, rebuilt)
		}

		today, err := store.LastDays(store.Now(), 1)
		if err != nil {
			t.Fatal(err)
		}
		rs, err := st.RangeStats(ctx, today)
		if err != nil {
			t.Fatal(err)
		}
		if rs.Flagged != 4 || !maps.Equal(rs.Outcomes, store.Outcomes{store.StatusApproved: 1, store.StatusRejected: 1}) || rs.Reopened != 0 {
			t.Errorf("today: flagged %d, %+v, reopened %d", rs.Flagged, rs.Outcomes, rs.Reopened)
		}
		if len(rs.Reasons[store.OutcomeReject]) != 1 || rs.Reasons[store.OutcomeReject][0] != (store.NamedCount{Name: "bad_data", N: 1}) {
			t.Errorf("reasons %v", rs.Reasons[store.OutcomeReject])
		}

		// Reopen and decide again: the reopened decision stops counting,
		// the new one counts; the reopen is counted on its own.
		if _, err := st.Reopen(ctx, r1.ID, actB, ""); err != nil {
			t.Fatal(err)
		}
		if _, err := st.Decide(ctx, store.DecideInput{ReviewID: r1.ID, Outcome: store.OutcomeSkip, ReasonCode: "not_now", Actor: actB}); err != nil {
			t.Fatal(err)
		}
		st.InvalidateReadCache()
		rs, err = st.RangeStats(ctx, today)
		if err != nil {
			t.Fatal(err)
		}
		if rs.Flagged != 4 || !maps.Equal(rs.Outcomes, store.Outcomes{store.StatusRejected: 1, store.StatusSkipped: 1}) || rs.Reopened != 1 || rs.Wait.N != 2 {
			t.Errorf("after reopen: flagged %d, %+v, reopened %d, waits %d", rs.Flagged, rs.Outcomes, rs.Reopened, rs.Wait.N)
		}
		// The live counters still agree with a rebuild from the reviews
		// table (which knows only standing decisions), the taken-back
		// counters aside.
		live = nonZero(standing(dump(t, st)))
		if err := st.RebuildDailyStats(ctx); err != nil {
			t.Fatal(err)
		}
		if rebuilt := nonZero(dump(t, st)); !reflect.DeepEqual(live, rebuilt) {
			t.Fatalf("after reopen, live aggregates differ from the rebuild:\nlive    %v\nrebuilt %v", live, rebuilt)
		}
	})
}

// explainRecorder collects every SELECT a store call runs.
func explainRecorder(t *testing.T, st *store.Store) *[]string {
	var stmts []string
	rec := func(db *gorm.DB) {
		if db.Statement.SQL.Len() > 0 {
			stmts = append(stmts, db.Dialector.Explain(db.Statement.SQL.String(), db.Statement.Vars...))
		}
	}
	if err := st.DB.Callback().Query().After("gorm:query").Register("stats_test:record", rec); err != nil {
		t.Fatal(err)
	}
	if err := st.DB.Callback().Row().After("gorm:row").Register("stats_test:record", rec); err != nil {
		t.Fatal(err)
	}
	return &stmts
}

// On MariaDB with a realistic spread of data, every query of the stats page
// reads through an index: no full table scan.
func TestStatsQueriesUseIndexes(t *testing.T) {
	st := storetest.Open(t, store.MySQL)
	ctx := context.Background()
	if err := st.Seed(ctx, store.SeedOptions{Leads: 4000, Pending: 600, Decided: 2400, Prefix: "explain"}); err != nil {
		t.Fatal(err)
	}
	for _, tbl := range []string{"reviews", "review_events", "stats_daily", "stats_daily_durations"} {
		if err := st.DB.Exec("ANALYZE TABLE " + tbl).Error; err != nil {
			t.Fatal(err)
		}
	}
	stmts := explainRecorder(t, st)
	if _, err := st.QueueNow(ctx, store.Now()); err != nil {
		t.Fatal(err)
	}
	week, _ := store.LastDays(store.Now(), 7)
	if _, err := st.RangeStats(ctx, week); err != nil {
		t.Fatal(err)
	}
	// What /metrics refreshes every few seconds (the baseline of all days
	// before today is read every 10 minutes and is the whole small table).
	if _, err := st.PendingByType(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := st.OldestPending(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := st.FlowTotals(ctx, store.Day(store.Now()), ""); err != nil {
		t.Fatal(err)
	}
	checkStatsPlans(t, st, *stmts, 10)
}

func TestHourlyDecisions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		rangeFixture(t, st)
		// d2: R3 decided at 01:00 (the hour 01:00–02:00), R4 at 10:00.
		hours, err := st.HourlyDecisions(context.Background(), at(d2, "15:00"))
		if err != nil {
			t.Fatal(err)
		}
		var want [24]int64
		want[1], want[10] = 1, 1
		if hours != want {
			t.Errorf("d2 per hour %v, want %v", hours, want)
		}
		if hours, _ := st.HourlyDecisions(context.Background(), at("2026-02-01", "00:00")); hours != ([24]int64{}) {
			t.Errorf("an empty day: %v", hours)
		}
	})
}

// nonZero leaves out the counter lines that sum to 0 (a decision counted in
// one shard and taken back in another): a rebuild writes none.
func nonZero(lines []string) []string {
	return slices.DeleteFunc(slices.Clone(lines), func(l string) bool {
		f := strings.Split(l, "|")
		// A daily line ends with n; a durations line with n, sum_ms.
		return (len(f) == 9 && f[8] == "0") || (len(f) == 7 && f[5] == "0")
	})
}
