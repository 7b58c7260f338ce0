package store_test

import (
	"context"
	"errors"
	"testing"

	"reviewq/store"
	"reviewq/store/storetest"
)

// TestSplitAssignSharesEvenly: a lead splits 1,000 pending reviews between
// three operators, one of whom already holds some, in requests of at most
// BulkLimit: everyone ends with the same number give or take one, each
// assignment has its history event, and a review decided meanwhile is left
// alone without taking a turn.
func TestSplitAssignSharesEvenly(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		if err := st.Seed(ctx, store.SeedOptions{Leads: 1100, Pending: 1000, Prefix: "split"}); err != nil {
			t.Fatal(err)
		}
		lead := storetest.Operator(t, st, "lead@example.com", store.RoleLead)
		ann := storetest.Operator(t, st, "ann@example.com", store.RoleOperator)
		bob := storetest.Operator(t, st, "bob@example.com", store.RoleOperator)
		cy := storetest.Operator(t, st, "cy@example.com", store.RoleOperator)
		ids, err := st.PendingIDs(ctx, 2000)
		if err != nil {
			t.Fatal(err)
		}
		if len(ids) != 1000 {
			t.Fatalf("%d pending reviews seeded, want 1000", len(ids))
		}
		// Bob already holds 10 (assigned by the lead one by one).
		for _, id := range ids[:10] {
			if _, err := st.Assign(ctx, store.AssignInput{TeamChange: teamChange(id, lead), AssigneeEmail: bob.Email}); err != nil {
				t.Fatal(err)
			}
		}
		// One review is decided before the split reaches it.
		gone := ids[500]
		if _, err := st.Decide(ctx, store.DecideInput{ReviewID: gone, Outcome: "approve", Actor: teamActor(lead)}); err != nil {
			t.Fatal(err)
		}
		// An operator may not split; nor may anyone split to nobody or to an unknown account.
		var fe *store.ForbiddenError
		if _, err := st.SplitAssign(ctx, store.SplitInput{ReviewIDs: ids[10:20], AssigneeEmails: []string{ann.Email}, Actor: teamActor(ann)}); !errors.As(err, &fe) {
			t.Fatalf("operator splitting: %v, want ForbiddenError", err)
		}
		var ve *store.ValidationError
		for _, emails := range [][]string{nil, {"nobody@example.com"}} {
			if _, err := st.SplitAssign(ctx, store.SplitInput{ReviewIDs: ids[10:20], AssigneeEmails: emails, Actor: teamActor(lead)}); !errors.As(err, &ve) {
				t.Fatalf("split to %v: %v, want ValidationError", emails, err)
			}
		}
		if n := assignedCount(t, st, ann.ID); n != 0 {
			t.Fatalf("a refused split assigned %d reviews", n)
		}
		refused := 0
		for from := 10; from < len(ids); from += store.BulkLimit {
			to := min(from+store.BulkLimit, len(ids))
			res, err := st.SplitAssign(ctx, store.SplitInput{ReviewIDs: ids[from:to],
				AssigneeEmails: []string{ann.Email, bob.Email, cy.Email, "ANN@example.com"}, Actor: teamActor(lead)})
			if err != nil {
				t.Fatal(err)
			}
			if len(res) != to-from {
				t.Fatalf("%d results for %d reviews", len(res), to-from)
			}
			for _, it := range res {
				if it.Assignee == "" {
					refused++
					if it.ReviewID != gone || it.Message == "" {
						t.Errorf("review %d refused (%q)", it.ReviewID, it.Message)
					}
				}
			}
		}
		if refused != 1 {
			t.Errorf("%d reviews refused, want the one decided", refused)
		}
		// 999 pending reviews: 333 each, by id and by email (a lead's filter).
		for _, op := range []*store.Operator{ann, bob, cy} {
			if n := assignedCount(t, st, op.ID); n != 333 {
				t.Errorf("%s holds %d pending reviews, want 333", op.Email, n)
			}
			c, err := st.CountPendingMatching(ctx, store.QueueFilter{AssigneeEmail: op.Email, State: store.StateAll})
			if err != nil || c.Total != 333 {
				t.Errorf("%s's share by email: %d, %v", op.Email, c.Total, err)
			}
		}
		if kinds := historyKinds(t, st, ids[999]); !containsAll(kinds, store.EventAssigned) {
			t.Errorf("history %v lacks the assignment", kinds)
		}
	})
}

func assignedCount(t *testing.T, st *store.Store, operatorID int64) int64 {
	t.Helper()
	c, err := st.CountPendingMatching(context.Background(), store.QueueFilter{AssigneeID: operatorID, State: store.StateAll})
	if err != nil {
		t.Fatal(err)
	}
	return c.Total
}
