package store_test

import (
	"context"
	"maps"
	"testing"
	"time"

	"reviewq/store"
	"reviewq/store/storetest"
)

// claimedAgo claims review id for actor and moves the claim's history event
// back by ago (and the flag to an hour ago): as if the clock had moved on
// since the claim.
func claimedAgo(t *testing.T, st *store.Store, id int64, actor store.Actor, ago time.Duration) {
	t.Helper()
	if err := st.DB.Model(&store.Review{}).Where("id = ?", id).Update("flagged_at", store.Now().Add(-time.Hour)).Error; err != nil {
		t.Fatal(err)
	}
	if _, err := st.Claim(context.Background(), id, actor); err != nil {
		t.Fatal(err)
	}
	if err := st.DB.Model(&store.ReviewEvent{}).Where("review_id = ? AND kind = ?", id, store.EventClaimed).
		Update("created_at", store.Now().Add(-ago)).Error; err != nil {
		t.Fatal(err)
	}
}

func decideAs(t *testing.T, st *store.Store, id int64, outcome string, actor store.Actor) {
	t.Helper()
	in := store.DecideInput{ReviewID: id, Outcome: outcome, Actor: actor}
	switch outcome {
	case store.OutcomeReject:
		in.ReasonCode = "bad_data"
	case store.OutcomeSkip:
		in.ReasonCode = "not_now"
	}
	if _, err := st.Decide(context.Background(), in); err != nil {
		t.Fatal(err)
	}
}

func actorOf(op *store.Operator) store.Actor {
	return store.Actor{Type: store.ActorOperator, ID: op.ID, Name: op.Name}
}

func today(t *testing.T) store.StatsRange {
	t.Helper()
	r, err := store.LastDays(store.Now(), 1)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func operatorRow(rs *store.RangeStats, id int64) *store.OperatorStats {
	for i := range rs.Operators {
		if rs.Operators[i].ActorID == id {
			return &rs.Operators[i]
		}
	}
	return nil
}

// A reopened decision stops counting in every stat of the range (totals,
// outcome, type, source, decider, wait and handle times); deciding again
// counts once, with the new outcome.
func TestReopenTakesTheDecisionOutOfTheStats(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		ana := actorOf(storetest.Operator(t, st, "ana@example.com", store.RoleOperator))
		lee := actorOf(storetest.Operator(t, st, "lee@example.com", store.RoleLead))
		r := storetest.FlaggedLead(t, st, "reopen-1", store.TypeProposal)
		claimedAgo(t, st, r.ID, ana, 3*time.Minute+30*time.Second)
		decideAs(t, st, r.ID, store.OutcomeApprove, ana)
		rs, err := st.RangeStats(ctx, today(t))
		if err != nil {
			t.Fatal(err)
		}
		if rs.Total() != 1 || rs.Of(store.StatusApproved) != 1 || rs.Handle.N != 1 || rs.Handle.Median != 4*time.Minute || rs.Wait.N != 1 {
			t.Fatalf("after the decision: %+v handle %+v wait %+v", rs.Outcomes, rs.Handle, rs.Wait)
		}

		if _, err := st.Reopen(ctx, r.ID, lee, ""); err != nil {
			t.Fatal(err)
		}
		st.InvalidateReadCache()
		rs, err = st.RangeStats(ctx, today(t))
		if err != nil {
			t.Fatal(err)
		}
		if rs.Total() != 0 || rs.Wait.N != 0 || rs.Handle.N != 0 || len(rs.Operators) != 0 || rs.Reopened != 1 || rs.WithinSLA != 0 {
			t.Fatalf("after the reopen: %+v handle %+v wait %+v operators %+v reopened %d", rs.Outcomes, rs.Handle, rs.Wait, rs.Operators, rs.Reopened)
		}
		for _, g := range append(rs.ByType, rs.BySource...) {
			if g.Total() != 0 {
				t.Errorf("after the reopen, %s still counts %+v", g.Name, g.Outcomes)
			}
		}

		decideAs(t, st, r.ID, store.OutcomeReject, lee)
		st.InvalidateReadCache()
		rs, err = st.RangeStats(ctx, today(t))
		if err != nil {
			t.Fatal(err)
		}
		if !maps.Equal(rs.Outcomes, store.Outcomes{store.StatusRejected: 1}) || rs.Wait.N != 1 || rs.Handle.N != 0 || rs.Reopened != 1 {
			t.Fatalf("after deciding again: %+v handle %+v wait %+v reopened %d", rs.Outcomes, rs.Handle, rs.Wait, rs.Reopened)
		}
		if len(rs.Operators) != 1 || rs.Operators[0].ActorID != lee.ID || rs.Operators[0].Total() != 1 || rs.Operators[0].ApprovalRate() != 0 {
			t.Fatalf("deciders after deciding again: %+v", rs.Operators)
		}
	})
}

// Ten decisions by one operator, each claimed 1 min 30 s … 10 min 30 s
// before it; a lead reopens three and decides two of them otherwise and one
// the same way. Hand-computed: Ana made 10 decisions, 7 stand, 2 were
// overturned (20%); her median handle time is over the 7 that stand.
func TestReviewerQualityOverturnRateAndHandleTime(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		ana := actorOf(storetest.Operator(t, st, "ana@example.com", store.RoleOperator))
		lee := actorOf(storetest.Operator(t, st, "lee@example.com", store.RoleLead))
		var ids []int64
		for i := range 10 {
			r := storetest.FlaggedLead(t, st, "q-"+string(rune('a'+i)), store.TypeMessage)
			ids = append(ids, r.ID)
		}
		// Reviews 0 and 3 are QA samples.
		if err := st.DB.Model(&store.Review{}).Where("id IN ?", []int64{ids[0], ids[3]}).Update("source", "sample").Error; err != nil {
			t.Fatal(err)
		}
		for i, id := range ids {
			// Claimed (i+1) min 30 s ago: handle times fall in the buckets
			// of (i+2) minutes.
			claimedAgo(t, st, id, ana, time.Duration(i+1)*time.Minute+30*time.Second)
			outcome := store.OutcomeApprove
			if i%3 == 2 {
				outcome = store.OutcomeReject
			}
			decideAs(t, st, id, outcome, ana)
		}
		st.InvalidateReadCache()
		rs, err := st.RangeStats(ctx, today(t))
		if err != nil {
			t.Fatal(err)
		}
		// Median of 2..11 min, nearest rank 5: 6 min.
		if a := operatorRow(rs, ana.ID); a == nil || a.Total() != 10 || a.Handle.N != 10 || a.Handle.Median != 6*time.Minute {
			t.Fatalf("before the reopens: %+v", a)
		}
		// 0 (approved) → rejected, 1 (approved) → rejected: overturned;
		// 2 (rejected) → rejected: confirmed.
		for i, outcome := range []string{store.OutcomeReject, store.OutcomeReject, store.OutcomeReject} {
			if _, err := st.Reopen(ctx, ids[i], lee, ""); err != nil {
				t.Fatal(err)
			}
			decideAs(t, st, ids[i], outcome, lee)
		}
		st.InvalidateReadCache()
		rs, err = st.RangeStats(ctx, today(t))
		if err != nil {
			t.Fatal(err)
		}
		a := operatorRow(rs, ana.ID)
		// The 7 standing handle times are 5..11 min: nearest rank 4, 8 min.
		if a == nil || a.Total() != 7 || a.Of(store.StatusApproved) != 5 || a.Of(store.StatusRejected) != 2 ||
			a.Handle.N != 7 || a.Handle.Median != 8*time.Minute || a.Wait.N != 7 {
			t.Fatalf("Ana after the reopens: %+v", a)
		}
		if l := operatorRow(rs, lee.ID); l == nil || l.Total() != 3 || l.Of(store.StatusRejected) != 3 || l.Handle.N != 0 {
			t.Fatalf("Lee after the reopens: %+v", l)
		}
		if rs.Total() != 10 || rs.Reopened != 3 {
			t.Fatalf("range: %d decisions, %d reopened; want 10 and 3", rs.Total(), rs.Reopened)
		}

		qs, err := st.ReviewerQualityStats(ctx, today(t))
		if err != nil {
			t.Fatal(err)
		}
		if len(qs) != 2 {
			t.Fatalf("quality rows: %+v", qs)
		}
		q := qs[0]
		if q.ActorID != ana.ID || q.Made() != 10 || q.Standing != 7 || q.Reopened != 3 || q.Overturned != 2 || q.Confirmed != 1 || q.OverturnRate() != 0.2 {
			t.Errorf("Ana: %+v, overturn rate %v; want 2 of 10 = 0.2", q, q.OverturnRate())
		}
		// Samples: 0 overturned, 3 stands: 1 of 2 agree.
		if q.SampleMade() != 2 || q.SampleOverturned != 1 || q.SampleAgreement() != 0.5 {
			t.Errorf("Ana on samples: made %d, overturned %d, agreement %v; want 2, 1, 0.5", q.SampleMade(), q.SampleOverturned, q.SampleAgreement())
		}
		if l := qs[1]; l.ActorID != lee.ID || l.Made() != 3 || l.Overturned != 0 || l.SampleMade() != 1 || l.SampleAgreement() != 1 {
			t.Errorf("Lee: %+v", l)
		}

		// Reopened again and decided as Ana first had: against the review's
		// decision now, Ana's approval of review 0 stands after all; Lee's
		// rejection is overturned.
		if _, err := st.Reopen(ctx, ids[0], lee, ""); err != nil {
			t.Fatal(err)
		}
		decideAs(t, st, ids[0], store.OutcomeApprove, lee)
		// An undone decision is no decision: Lee rejects review 1 … and undoes it.
		if _, err := st.Reopen(ctx, ids[1], lee, ""); err != nil {
			t.Fatal(err)
		}
		decideAs(t, st, ids[1], store.OutcomeApprove, lee)
		if _, err := st.Undo(ctx, ids[1], lee); err != nil {
			t.Fatal(err)
		}
		st.InvalidateReadCache()
		qs, err = st.ReviewerQualityStats(ctx, today(t))
		if err != nil {
			t.Fatal(err)
		}
		got := map[int64]store.ReviewerQuality{}
		for _, q := range qs {
			got[q.ActorID] = q
		}
		// Ana: review 1 now awaits a decision (neither way), review 0
		// stands with her: 0 overturned, 2 confirmed.
		if q := got[ana.ID]; q.Made() != 10 || q.Overturned != 0 || q.Confirmed != 2 || q.SampleOverturned != 0 {
			t.Errorf("Ana after the second round: %+v", q)
		}
		// Lee made 3 + 1 (review 0 again) = 4 standing-or-reopened: the
		// first rejections of 0 and 1 were reopened, 0's overturned.
		if q := got[lee.ID]; q.Made() != 4 || q.Standing != 2 || q.Reopened != 2 || q.Overturned != 1 {
			t.Errorf("Lee after the second round: %+v", q)
		}
	})
}

// On MariaDB with a realistic spread of data and some reopens, escalations
// and snoozes, every query of the reviewer-quality and team figures reads
// through an index: no full table scan.
func TestReviewerQualityQueriesUseIndexes(t *testing.T) {
	st := storetest.Open(t, store.MySQL)
	ctx := context.Background()
	if err := st.Seed(ctx, store.SeedOptions{Leads: 4000, Pending: 600, Decided: 2400, Prefix: "qexplain"}); err != nil {
		t.Fatal(err)
	}
	lee := actorOf(storetest.Operator(t, st, "lee@example.com", store.RoleLead))
	var decided, pending []int64
	if err := st.DB.Model(&store.Review{}).Where("status <> ?", store.StatusPending).Order("id DESC").Limit(5).Pluck("id", &decided).Error; err != nil {
		t.Fatal(err)
	}
	if err := st.DB.Model(&store.Review{}).Where("status = ?", store.StatusPending).Order("id").Limit(10).Pluck("id", &pending).Error; err != nil {
		t.Fatal(err)
	}
	for _, id := range decided {
		if _, err := st.Reopen(ctx, id, lee, ""); err != nil {
			t.Fatal(err)
		}
	}
	for i, id := range pending {
		in := store.TeamChange{ReviewID: id, Actor: lee}
		var err error
		if i%2 == 0 {
			_, err = st.Escalate(ctx, in, "look")
		} else {
			_, err = st.Snooze(ctx, in, store.Now().Add(time.Hour), "needs_info")
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, tbl := range []string{"reviews", "review_events", "stats_daily", "stats_daily_durations"} {
		if err := st.DB.Exec("ANALYZE TABLE " + tbl).Error; err != nil {
			t.Fatal(err)
		}
	}
	stmts := explainRecorder(t, st)
	month, _ := store.LastDays(store.Now(), 30)
	qs, err := st.ReviewerQualityStats(ctx, month)
	if err != nil {
		t.Fatal(err)
	}
	tw, err := st.TeamWorkStats(ctx, month)
	if err != nil {
		t.Fatal(err)
	}
	if tw.Escalated != 5 || tw.Snoozes != 5 || len(qs) == 0 {
		t.Fatalf("figures: %+v, %d deciders", tw, len(qs))
	}
	checkStatsPlans(t, st, *stmts, 8)
}
