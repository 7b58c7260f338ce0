package store_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"reviewq/store"
	"reviewq/store/storetest"
)

// TestCooldownAndFlagAreOneStep: the engine re-sends the same score while
// an operator approves the lead's review. Whichever comes first, the lead
// ends approved with nothing open: the score either joins the review before
// the decision or is held back by the cool-down after it — never checked
// before the decision and flagged after it, which would put the lead back
// in the queue. (The cool-down check and the flag are one transaction.)
func TestCooldownAndFlagAreOneStep(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		ana := store.Actor{Type: store.ActorOperator, ID: 7, Name: "Ana"}
		for i := range 25 {
			lead := messageLead(t, st, fmt.Sprintf("race-%d", i), "s", "b")
			af, err := st.RecordScore(ctx, lead.ID, 97, store.SystemActor)
			if err != nil || !af.Created {
				t.Fatalf("first score: %+v %v", af, err)
			}
			var wg sync.WaitGroup
			var decideErr, scoreErr error
			var again *store.AutoFlag
			wg.Add(2)
			go func() {
				defer wg.Done()
				_, decideErr = st.Decide(ctx, store.DecideInput{ReviewID: af.Review.ID, Outcome: store.OutcomeApprove, Actor: ana})
			}()
			go func() {
				defer wg.Done()
				again, scoreErr = st.RecordScore(ctx, lead.ID, 97, store.SystemActor)
			}()
			wg.Wait()
			if scoreErr != nil {
				t.Fatalf("round %d: the score: %v", i, scoreErr)
			}
			if decideErr != nil {
				// The score joined first and moved the review's version:
				// the operator is told and decides again.
				decide(t, st, af.Review.ID, store.OutcomeApprove, "")
			}
			if open := countRows(t, st, "reviews", "lead_id = ? AND status = ?", lead.ID, store.StatusPending); open != 0 {
				t.Fatalf("round %d: %d reviews open after the approval (the score answered %+v)", i, open, again)
			}
			wantEligibility(t, st, lead, store.EligibleOK)
		}
	})
}
