package store_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"reviewq/store"
	"reviewq/store/storetest"
)

// reviewAndLead reads both rows as a test compares them.
func reviewAndLead(t *testing.T, st *store.Store, id int64) (store.Review, store.Lead) {
	t.Helper()
	rl, _, err := st.GetReview(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return rl.Review, rl.Lead
}

func TestUndoPutsReviewLeadAndStatsBackExactly(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		ann := opActor(101, "Ann")
		// An earlier decision on the lead: its last decision is "approved".
		first := storetest.FlaggedLead(t, st, "U1", store.TypePricing)
		if _, err := st.Decide(ctx, store.DecideInput{ReviewID: first.ID, Outcome: store.OutcomeApprove, Actor: opActor(102, "Bob")}); err != nil {
			t.Fatal(err)
		}
		status := "contacted"
		if _, _, err := st.UpsertLead(ctx, store.LeadInput{ExternalID: "U1", Status: &status, Tags: []string{"vip", "q4"}}); err != nil {
			t.Fatal(err)
		}
		res, err := st.Flag(ctx, first.LeadID, store.FlagInput{ReviewType: store.TypeMessage, Reason: "check the text", Source: store.SourceAPI}, store.SystemActor)
		if err != nil || !res.Created {
			t.Fatalf("flag: %+v %v", res, err)
		}
		id := res.Review.ID
		if _, err := st.Claim(ctx, id, ann); err != nil {
			t.Fatal(err)
		}
		beforeReview, beforeLead := reviewAndLead(t, st, id)
		beforeStats := dump(t, st)
		undoneRows := 0

		for _, o := range []store.DecideInput{
			{ReviewID: id, Outcome: store.OutcomeReject, ReasonCode: "bad_data", Notes: "typo", Actor: ann},
			{ReviewID: id, Outcome: store.OutcomeApprove, Subject: ptr("New subject"), Body: ptr("New body"), Actor: ann},
		} {
			d, err := st.Decide(ctx, o)
			if err != nil {
				t.Fatal(err)
			}
			if _, l := reviewAndLead(t, st, id); l.RequiresHumanReview || deref(l.LastDecision) != d.Review.Status {
				t.Fatalf("lead after %s: %+v", o.Outcome, l)
			}
			got, err := st.Undo(ctx, id, ann)
			if err != nil {
				t.Fatalf("undo %s: %v", o.Outcome, err)
			}
			r, l := reviewAndLead(t, st, id)
			if got.Status != store.StatusPending || got.Version != r.Version {
				t.Fatalf("undo returned %+v", got)
			}
			want := beforeReview
			want.Version, want.UpdatedAt = beforeReview.Version+2, r.UpdatedAt
			if fmt.Sprintf("%+v", flat(r)) != fmt.Sprintf("%+v", flat(want)) {
				t.Fatalf("review after undoing %s:\n got %+v\nwant %+v", o.Outcome, flat(r), flat(want))
			}
			wantLead := beforeLead
			wantLead.UpdatedAt = l.UpdatedAt
			if fmt.Sprintf("%+v", flatLead(l)) != fmt.Sprintf("%+v", flatLead(wantLead)) {
				t.Fatalf("lead after undoing %s:\n got %+v\nwant %+v", o.Outcome, flatLead(l), flatLead(wantLead))
			}
			after := dump(t, st)
			if !slices.Equal(standing(after), beforeStats) {
				t.Fatalf("stats after undoing %s:\n got %v\nwant %v", o.Outcome, after, beforeStats)
			}
			// Counted apart as undone (for /metrics), under the outcome.
			undoneRows++
			if n := len(after) - len(standing(after)); n != undoneRows || !slices.ContainsFunc(after, func(l string) bool {
				return strings.Contains(l, "|"+store.UndoneKind(d.Review.Status)+"|") && strings.HasSuffix(l, "|1")
			}) {
				t.Fatalf("undone counters after undoing %s: %v", o.Outcome, after)
			}
			beforeReview.Version += 2
		}
		// History is append-only: both decisions and both undos stay.
		if k := strings.Join(eventKinds(t, st, id), " "); k != "flagged:system claimed:Ann rejected:Ann undone:Ann approved:Ann undone:Ann" {
			t.Fatalf("history %q", k)
		}
		// It is in the queue again, still Ann's, and decides like any other.
		items, _, _ := st.ListPending(ctx, store.QueueFilter{})
		if len(items) != 1 || items[0].ID != id || !ann.HoldsClaim(items[0].ClaimedBy) {
			t.Fatalf("queue after undo: %+v", items)
		}
		if _, err := st.Decide(ctx, store.DecideInput{ReviewID: id, Outcome: store.OutcomeSkip, ReasonCode: "not_now", Actor: ann}); err != nil {
			t.Fatal(err)
		}
		// The live counters equal a rebuild from the reviews: the undone
		// decisions count nowhere.
		live := standing(dump(t, st))
		if err := st.RebuildDailyStats(ctx); err != nil {
			t.Fatal(err)
		}
		if rebuilt := dump(t, st); !slices.Equal(live, rebuilt) {
			t.Fatalf("live %v\nrebuilt %v", live, rebuilt)
		}
	})
}

func TestUndoRefusals(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		ann := opActor(101, "Ann")
		var ce *store.ConflictError
		decide := func(ext string) int64 {
			t.Helper()
			r := storetest.FlaggedLead(t, st, ext, store.TypeRetry)
			if _, err := st.Decide(ctx, store.DecideInput{ReviewID: r.ID, Outcome: store.OutcomeApprove, Actor: ann}); err != nil {
				t.Fatal(err)
			}
			return r.ID
		}
		refused := func(what string, id int64, actor store.Actor, says string) {
			t.Helper()
			before, lead := reviewAndLead(t, st, id)
			stats := dump(t, st)
			if _, err := st.Undo(ctx, id, actor); !errors.As(err, &ce) || !strings.Contains(ce.Message, says) {
				t.Fatalf("%s: %v", what, err)
			}
			after, leadAfter := reviewAndLead(t, st, id)
			if fmt.Sprint(flat(after)) != fmt.Sprint(flat(before)) || fmt.Sprint(flatLead(leadAfter)) != fmt.Sprint(flatLead(lead)) || !slices.Equal(dump(t, st), stats) {
				t.Fatalf("%s changed something", what)
			}
		}
		id := decide("N1")
		refused("another operator", id, opActor(102, "Bob"), "only Ann, who decided it")
		// A token with the operator's id is someone else (typed compare).
		refused("a token of the same id", id, store.Actor{Type: store.ActorToken, ID: 101, Name: "token:bot"}, "only Ann")

		// The lead changed after the decision.
		id = decide("N2")
		name := "Renamed"
		if _, _, err := st.UpsertLead(ctx, store.LeadInput{ExternalID: "N2", Name: &name}); err != nil {
			t.Fatal(err)
		}
		refused("after the lead changed", id, ann, "the lead changed since the decision")

		// Reopened by a lead: not decided any more.
		id = decide("N3")
		if _, err := st.Reopen(ctx, id, opActor(201, "Lena"), ""); err != nil {
			t.Fatal(err)
		}
		refused("after a reopen", id, ann, "not decided")
		// ... and decided again by someone else: that decision is Bob's.
		if _, err := st.Decide(ctx, store.DecideInput{ReviewID: id, Outcome: store.OutcomeApprove, Actor: opActor(102, "Bob")}); err != nil {
			t.Fatal(err)
		}
		refused("after a reopen and Bob's decision", id, ann, "only Bob")

		// A new flag on the lead opened another review meanwhile.
		id = decide("N7")
		if _, err := st.Flag(ctx, reviewLead(t, st, id), store.FlagInput{ReviewType: store.TypeAction, Reason: "again", Source: store.SourceAPI}, store.SystemActor); err != nil {
			t.Fatal(err)
		}
		refused("after a new flag", id, ann, "changed since the decision")
		if _, err := st.Undo(ctx, 999999, ann); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("unknown: %v", err)
		}

		// Twice: the second finds it pending.
		id = decide("N4")
		if _, err := st.Undo(ctx, id, ann); err != nil {
			t.Fatal(err)
		}
		refused("a second undo", id, ann, "not decided")

		// After the window.
		if _, err := st.SetSetting(ctx, store.SystemActor, "", store.KeyUndoSeconds, "1"); err != nil {
			t.Fatal(err)
		}
		id = decide("N5")
		time.Sleep(1100 * time.Millisecond)
		refused("after the window", id, ann, "too late to undo")
		if _, err := st.SetSetting(ctx, store.SystemActor, "", store.KeyUndoSeconds, "0"); err != nil {
			t.Fatal(err)
		}
		refused("with undo off", decide("N6"), ann, "undo is turned off")
	})
}

// Many undos of one decision racing a decision of the same review: one
// undo wins, the rest are refused, and the counters match the rows.
func TestUndoIsExactlyOnceUnderConcurrency(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		ann := opActor(101, "Ann")
		for round := range 3 {
			r := storetest.FlaggedLead(t, st, fmt.Sprintf("C%d", round), store.TypeRetry)
			if _, err := st.Decide(ctx, store.DecideInput{ReviewID: r.ID, Outcome: store.OutcomeReject, ReasonCode: "duplicate", Actor: ann}); err != nil {
				t.Fatal(err)
			}
			var wg sync.WaitGroup
			var mu sync.Mutex
			undone, decided := 0, 0
			for i := range 6 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					var err error
					if i == 3 {
						if _, err = st.Decide(ctx, store.DecideInput{ReviewID: r.ID, Outcome: store.OutcomeApprove, Actor: opActor(102, "Bob")}); err == nil {
							mu.Lock()
							decided++
							mu.Unlock()
						}
					} else if _, err = st.Undo(ctx, r.ID, ann); err == nil {
						mu.Lock()
						undone++
						mu.Unlock()
					}
					var ce *store.ConflictError
					if err != nil && !errors.As(err, &ce) {
						t.Errorf("unexpected error: %v", err)
					}
				}()
			}
			wg.Wait()
			if undone != 1 {
				t.Fatalf("round %d: %d undos succeeded", round, undone)
			}
			got, _ := reviewAndLead(t, st, r.ID)
			if (decided == 1) != (got.Status == store.StatusApproved) || (decided == 0 && got.Status != store.StatusPending) {
				t.Fatalf("round %d: decided %d, status %s", round, decided, got.Status)
			}
		}
		live := standing(dump(t, st))
		if err := st.RebuildDailyStats(ctx); err != nil {
			t.Fatal(err)
		}
		if rebuilt := dump(t, st); !slices.Equal(live, rebuilt) {
			t.Fatalf("live %v\nrebuilt %v", live, rebuilt)
		}
	})
}

func reviewLead(t *testing.T, st *store.Store, id int64) int64 {
	t.Helper()
	r, _ := reviewAndLead(t, st, id)
	return r.LeadID
}

// standing leaves out the undone_* counters: what the stats page counts.
func standing(lines []string) []string {
	return slices.DeleteFunc(slices.Clone(lines), func(l string) bool { return strings.Contains(l, "|undone_") })
}

// flat is a review's fields with the times in UTC, comparable as text.
func flat(r store.Review) []string {
	tm := func(t *time.Time) string {
		if t == nil {
			return "nil"
		}
		return t.UTC().Format(time.RFC3339Nano)
	}
	i := func(p *int64) string {
		if p == nil {
			return "nil"
		}
		return fmt.Sprint(*p)
	}
	s := func(p *string) string {
		if p == nil {
			return "nil"
		}
		return *p
	}
	return []string{r.Status, i(r.OpenLeadID), i(r.ClaimedBy), s(r.ClaimedByName), tm(r.ClaimExpiresAt), s(r.DecidedByType), i(r.DecidedByID),
		s(r.DecidedByName), tm(r.DecidedAt), s(r.ReasonCode), s(r.Notes), s(r.DecisionSubject), s(r.DecisionBody), s(r.DecisionFingerprint),
		fmt.Sprint(r.Version), r.ReviewType, r.Reason}
}

func flatLead(l store.Lead) []string {
	return []string{l.Status, l.Tags, l.MessageSubject, deref(l.MessageBody), deref(l.LastDecision), fmt.Sprint(l.RequiresHumanReview),
		deref(l.ReviewType), deref(l.ReviewReason), l.Name}
}
