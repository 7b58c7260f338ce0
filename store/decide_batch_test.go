package store_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"

	"reviewq/store"
	"reviewq/store/storetest"
)

// TestConcurrentDecisionsShareTransactionsButNotFates: decisions made at
// once share transactions (decide_batch.go), yet each gets its own answer.
// Valid ones are decided, with their history and counters; one on a review
// another operator holds, one with a stale version, one on an unknown review
// and a second decision of a review are refused alone, changing nothing.
func TestConcurrentDecisionsShareTransactionsButNotFates(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		ann := storetest.Operator(t, st, "ann@example.com", store.RoleOperator)
		bob := storetest.Operator(t, st, "bob@example.com", store.RoleOperator)
		actAnn := store.Actor{Type: store.ActorOperator, ID: ann.ID, Name: ann.Name}
		actBob := store.Actor{Type: store.ActorOperator, ID: bob.ID, Name: bob.Name}
		const n = 40
		var reviews []*store.Review
		for i := range n {
			reviews = append(reviews, storetest.FlaggedLead(t, st, fmt.Sprintf("batch-%d", i), store.TypeMessage))
		}
		// Bob holds review 0; review 1 will be decided with a stale version.
		if _, err := st.Claim(ctx, reviews[0].ID, actBob); err != nil {
			t.Fatal(err)
		}
		type call struct {
			in      store.DecideInput
			refused bool
		}
		calls := []call{
			{store.DecideInput{ReviewID: reviews[0].ID, Outcome: store.OutcomeApprove, Actor: actAnn}, true},
			{store.DecideInput{ReviewID: reviews[1].ID, Outcome: store.OutcomeApprove, Actor: actAnn, ExpectedVersion: 7}, true},
			{store.DecideInput{ReviewID: 999999999, Outcome: store.OutcomeApprove, Actor: actAnn}, true},
		}
		for i := 2; i < n; i++ {
			in := store.DecideInput{ReviewID: reviews[i].ID, Outcome: store.OutcomeApprove, Actor: actAnn, Notes: "ok"}
			if i%3 == 0 {
				in.Outcome, in.ReasonCode = store.OutcomeReject, "bad_data"
			}
			if i%5 == 0 {
				subject := fmt.Sprintf("edited %d", i)
				in.Subject = &subject
				in.Outcome, in.ReasonCode = store.OutcomeApprove, ""
			}
			calls = append(calls, call{in: in})
		}
		var wg sync.WaitGroup
		results := make([]error, len(calls))
		// Review 2 is decided twice at once: exactly one wins.
		var twice [2]error
		txBefore, decBefore := st.DecisionBatches()
		for i, c := range calls {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, results[i] = st.Decide(ctx, c.in)
			}()
		}
		for k := range twice {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, twice[k] = st.Decide(ctx, store.DecideInput{ReviewID: reviews[2].ID, Outcome: store.OutcomeSkip, ReasonCode: "not_now", Actor: actBob})
			}()
		}
		wg.Wait()
		if tx, dec := st.DecisionBatches(); dec-decBefore != int64(len(calls)+2) || tx-txBefore >= dec-decBefore {
			t.Errorf("%d decisions in %d transactions: none shared one", dec-decBefore, tx-txBefore)
		}
		for i, c := range calls {
			var ce *store.ConflictError
			switch {
			case !c.refused && results[i] != nil && c.in.ReviewID == reviews[2].ID && errors.As(results[i], &ce):
				// Lost the race on review 2 to one of Bob's skips.
			case !c.refused && results[i] != nil:
				t.Errorf("decision %d: %v", i, results[i])
			case c.refused && results[i] == nil:
				t.Errorf("decision %d on review %d accepted", i, c.in.ReviewID)
			}
		}
		if !errors.Is(results[2], store.ErrNotFound) {
			t.Errorf("unknown review: %v", results[2])
		}
		wins := 0
		for _, err := range append(twice[:], results[3]) {
			if err == nil {
				wins++
			}
		}
		if wins != 1 {
			t.Errorf("review 2 decided %d times: %v %v %v", wins, twice[0], twice[1], results[3])
		}
		// The refused ones changed nothing; the others hold their decision.
		for i, r := range reviews {
			got, _, err := st.GetReview(ctx, r.ID)
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case i < 2 && (got.Review.Status != store.StatusPending || got.Review.Version != r.Version):
				t.Errorf("refused review %d: %s v%d", i, got.Review.Status, got.Review.Version)
			case i >= 2 && got.Review.Status == store.StatusPending:
				t.Errorf("review %d still pending", i)
			case i >= 3 && i%5 == 0 && (got.Lead.MessageSubject != fmt.Sprintf("edited %d", i) || got.Review.DecisionSubject == nil):
				t.Errorf("review %d: edited subject not kept (%q)", i, got.Lead.MessageSubject)
			case i >= 3 && i%3 == 0 && i%5 != 0 && (got.Review.Status != store.StatusRejected || got.Lead.Status != "lost"):
				t.Errorf("review %d: %s, lead %s", i, got.Review.Status, got.Lead.Status)
			}
		}
		live := dump(t, st)
		if err := st.RebuildDailyStats(ctx); err != nil {
			t.Fatal(err)
		}
		if rebuilt := dump(t, st); !reflect.DeepEqual(live, rebuilt) {
			t.Fatalf("live aggregates differ from the rebuild:\nlive    %v\nrebuilt %v", live, rebuilt)
		}
	})
}
