package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"reviewq/store"
	"reviewq/store/storetest"
)

func opActor(id int64, name string) store.Actor {
	return store.Actor{Type: store.ActorOperator, ID: id, Name: name}
}

// expireClaim moves a review's claim into the past, as if the lease ran out.
func expireClaim(t *testing.T, st *store.Store, id int64) {
	t.Helper()
	if err := st.DB.Model(&store.Review{}).Where("id = ?", id).Update("claim_expires_at", store.Now().Add(-time.Second)).Error; err != nil {
		t.Fatal(err)
	}
}

func eventKinds(t *testing.T, st *store.Store, id int64) []string {
	t.Helper()
	_, events, err := st.GetReview(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, e := range events {
		kinds = append(kinds, e.Kind+":"+e.ActorName)
	}
	return kinds
}

func TestClaimLeaseRefusesOthersUntilItExpires(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		r := storetest.FlaggedLead(t, st, "C1", store.TypeMessage)
		ann, bob := opActor(101, "Ann"), opActor(102, "Bob")

		res, err := st.Claim(ctx, r.ID, ann)
		if err != nil || res.Renewed || *res.Review.ClaimedByName != "Ann" {
			t.Fatalf("claim: %+v %v", res, err)
		}
		if left := time.Until(*res.Review.ClaimExpiresAt); left < 9*time.Minute || left > 10*time.Minute+time.Second {
			t.Fatalf("lease %v, want 10 minutes", left)
		}
		// Before expiry: Bob can neither claim nor decide nor release.
		var ce *store.ConflictError
		if _, err := st.Claim(ctx, r.ID, bob); !errors.As(err, &ce) || !strings.Contains(ce.Message, "claimed by Ann") {
			t.Fatalf("Bob's claim: %v", err)
		}
		if _, err := st.Decide(ctx, store.DecideInput{ReviewID: r.ID, Outcome: store.OutcomeApprove, Actor: bob}); !errors.As(err, &ce) || !strings.Contains(ce.Message, "claimed by Ann") {
			t.Fatalf("Bob's decision: %v", err)
		}
		if _, err := st.Release(ctx, r.ID, bob); !errors.As(err, &ce) {
			t.Fatalf("Bob's release: %v", err)
		}
		// Ann renews: no new history event.
		if res, err := st.Claim(ctx, r.ID, ann); err != nil || !res.Renewed {
			t.Fatalf("renew: %+v %v", res, err)
		}
		// The lease runs out: Bob takes over, and now Ann is the one refused.
		expireClaim(t, st, r.ID)
		res, err = st.Claim(ctx, r.ID, bob)
		if err != nil || res.Renewed || *res.Review.ClaimedByName != "Bob" {
			t.Fatalf("steal after expiry: %+v %v", res, err)
		}
		if _, err := st.Decide(ctx, store.DecideInput{ReviewID: r.ID, Outcome: store.OutcomeApprove, Actor: ann}); !errors.As(err, &ce) || !strings.Contains(ce.Message, "claimed by Bob") {
			t.Fatalf("Ann's decision after losing the claim: %v", err)
		}
		if _, err := st.Release(ctx, r.ID, bob); err != nil {
			t.Fatal(err)
		}
		if _, err := st.Claim(ctx, r.ID, ann); err != nil {
			t.Fatal(err)
		}
		got, err := st.Decide(ctx, store.DecideInput{ReviewID: r.ID, Outcome: store.OutcomeApprove, Actor: ann})
		if err != nil || got.ClaimedBy != nil {
			t.Fatalf("decision by the holder: %+v %v", got, err)
		}
		want := "flagged:system claimed:Ann claimed:Bob released:Bob claimed:Ann approved:Ann"
		if k := strings.Join(eventKinds(t, st, r.ID), " "); k != want {
			t.Fatalf("history %q, want %q", k, want)
		}
		_, events, _ := st.GetReview(ctx, r.ID)
		if !strings.Contains(deref(events[2].Detail), `"took_over_expired_claim_of":"Ann"`) {
			t.Fatalf("take-over not recorded: %s", deref(events[2].Detail))
		}
		// A decided review cannot be claimed.
		if _, err := st.Claim(ctx, r.ID, bob); !errors.As(err, &ce) || ce.Status != store.StatusApproved {
			t.Fatalf("claim of decided review: %v", err)
		}
		if _, err := st.Claim(ctx, 999999, bob); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("claim of unknown review: %v", err)
		}
	})
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
