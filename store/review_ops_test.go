package store_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"reviewq/store"
	"reviewq/store/storetest"
)

func TestReopenReturnsReviewToPending(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		r := storetest.FlaggedLead(t, st, "R1", store.TypePricing)
		ann, lead := opActor(101, "Ann"), opActor(201, "Lena")
		if _, err := st.Decide(ctx, store.DecideInput{ReviewID: r.ID, Outcome: store.OutcomeReject, ReasonCode: "bad_data", Actor: ann}); err != nil {
			t.Fatal(err)
		}
		got, err := st.Reopen(ctx, r.ID, lead, "10.0.0.1")
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != store.StatusPending || got.DecidedByName != nil || got.ReasonCode != nil || got.OpenLeadID == nil || got.Version != 3 {
			t.Fatalf("reopened review: %+v", got)
		}
		l, _ := st.GetLead(ctx, r.LeadID)
		if !l.RequiresHumanReview || deref(l.ReviewType) != store.TypePricing || l.Status != "new" || strings.Contains(l.Tags, "operator_reject") {
			t.Fatalf("lead after reopen: %+v", l)
		}
		if k := strings.Join(eventKinds(t, st, r.ID), " "); k != "flagged:system rejected:Ann reopened:Lena" {
			t.Fatalf("history %q", k)
		}
		var audit store.AuditEntry
		if err := st.DB.Where("action = ?", "review.reopen").Take(&audit).Error; err != nil || audit.Target != fmt.Sprintf("review:%d", r.ID) ||
			deref(audit.OldValue) != "rejected" || audit.ActorName != "Lena" || audit.IP != "10.0.0.1" {
			t.Fatalf("audit: %+v %v", audit, err)
		}
		// It is in the queue again and can be decided again.
		items, _, _ := st.ListPending(ctx, store.QueueFilter{})
		if len(items) != 1 || items[0].ID != r.ID {
			t.Fatalf("queue after reopen: %+v", items)
		}
		var ce *store.ConflictError
		if _, err := st.Reopen(ctx, r.ID, lead, ""); !errors.As(err, &ce) {
			t.Fatalf("reopen of a pending review: %v", err)
		}
		if _, err := st.Decide(ctx, store.DecideInput{ReviewID: r.ID, Outcome: store.OutcomeApprove, Actor: ann}); err != nil {
			t.Fatal(err)
		}
		// A new flag opens a second review; the old one cannot be reopened beside it.
		res, err := st.Flag(ctx, r.LeadID, store.FlagInput{ReviewType: store.TypeRetry, Reason: "again"}, store.SystemActor)
		if err != nil || !res.Created {
			t.Fatalf("new flag: %+v %v", res, err)
		}
		if _, err := st.Reopen(ctx, r.ID, lead, ""); !errors.As(err, &ce) || !strings.Contains(ce.Message, "already has an open review") {
			t.Fatalf("reopen beside an open review: %v", err)
		}
		if _, err := st.Reopen(ctx, 999999, lead, ""); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("unknown: %v", err)
		}
	})
}

func TestReflagChangesTypeAndReasonAndStalesDecisions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		r := storetest.FlaggedLead(t, st, "F1", store.TypeMessage)
		ann := opActor(101, "Ann")
		var ve *store.ValidationError
		if _, err := st.Reflag(ctx, store.ReflagInput{ReviewID: r.ID, ReviewType: "NOPE", Reason: "x", Actor: ann}); !errors.As(err, &ve) {
			t.Fatalf("bad type: %v", err)
		}
		got, err := st.Reflag(ctx, store.ReflagInput{ReviewID: r.ID, ReviewType: "pricing", Reason: "asks for a discount", ExpectedVersion: 1, Actor: ann})
		if err != nil || got.ReviewType != store.TypePricing || got.Reason != "asks for a discount" || got.Version != 2 {
			t.Fatalf("reflag: %+v %v", got, err)
		}
		l, _ := st.GetLead(ctx, r.LeadID)
		if deref(l.ReviewType) != store.TypePricing || deref(l.ReviewReason) != "asks for a discount" {
			t.Fatalf("lead columns: %+v", l)
		}
		var n int64
		st.DB.Model(&store.Review{}).Where("lead_id = ?", r.LeadID).Count(&n)
		if n != 1 {
			t.Fatalf("%d reviews", n)
		}
		// A decision prepared on the old version is refused.
		var ce *store.ConflictError
		if _, err := st.Decide(ctx, store.DecideInput{ReviewID: r.ID, Outcome: store.OutcomeApprove, ExpectedVersion: 1, Actor: ann}); !errors.As(err, &ce) {
			t.Fatalf("stale decision: %v", err)
		}
		if _, err := st.AddNote(ctx, r.ID, "called them, they want 10%", ann); err != nil {
			t.Fatal(err)
		}
		if _, err := st.AddNote(ctx, r.ID, "   ", ann); !errors.As(err, &ve) {
			t.Fatalf("empty note: %v", err)
		}
		if _, err := st.Decide(ctx, store.DecideInput{ReviewID: r.ID, Outcome: store.OutcomeApprove, ExpectedVersion: 2, Actor: ann}); err != nil {
			t.Fatal(err)
		}
		if _, err := st.Reflag(ctx, store.ReflagInput{ReviewID: r.ID, ReviewType: "ACTION", Reason: "x", Actor: ann}); !errors.As(err, &ce) {
			t.Fatalf("reflag of decided review: %v", err)
		}
		// Notes are allowed at any time.
		if _, err := st.AddNote(ctx, r.ID, "follow-up sent", ann); err != nil {
			t.Fatal(err)
		}
		want := "flagged:system reflagged:Ann note:Ann approved:Ann note:Ann"
		if k := strings.Join(eventKinds(t, st, r.ID), " "); k != want {
			t.Fatalf("history %q, want %q", k, want)
		}
	})
}

func TestBulkDecideReportsMixedOutcomes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		ann, bob := opActor(101, "Ann"), opActor(102, "Bob")
		var ids []int64
		for i := 0; i < 5; i++ {
			ids = append(ids, storetest.FlaggedLead(t, st, fmt.Sprintf("B%d", i), store.TypeRetry).ID)
		}
		if _, err := st.Decide(ctx, store.DecideInput{ReviewID: ids[1], Outcome: store.OutcomeApprove, Actor: bob}); err != nil {
			t.Fatal(err)
		}
		if _, err := st.Claim(ctx, ids[3], bob); err != nil {
			t.Fatal(err)
		}
		var ve *store.ValidationError
		if _, err := st.BulkDecide(ctx, store.BulkInput{ReviewIDs: ids, Outcome: store.OutcomeReject, Actor: ann}); !errors.As(err, &ve) {
			t.Fatalf("bulk reject without a reason: %v", err)
		}
		res, err := st.BulkDecide(ctx, store.BulkInput{ReviewIDs: append(ids, 999999), Outcome: store.OutcomeReject, ReasonCode: "duplicate", Actor: ann})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, it := range res {
			if it.OK {
				got = append(got, "ok")
			} else {
				got = append(got, it.Message)
			}
		}
		if len(got) != 6 || got[0] != "ok" || !strings.HasPrefix(got[1], "already approved by Bob") || got[2] != "ok" ||
			!strings.HasPrefix(got[3], "claimed by Bob") || got[4] != "ok" || got[5] != "no such review" {
			t.Fatalf("bulk outcomes %q", got)
		}
		for _, i := range []int{0, 2, 4} {
			if k := strings.Join(eventKinds(t, st, ids[i]), " "); k != "flagged:system rejected:Ann" {
				t.Fatalf("history of %d: %q", ids[i], k)
			}
		}
		if k := strings.Join(eventKinds(t, st, ids[1]), " "); k != "flagged:system approved:Bob" {
			t.Fatalf("history of the one Bob approved: %q", k)
		}
		c, _ := st.CountPending(ctx)
		if c.Total != 1 {
			t.Fatalf("pending %d, want the one Bob holds", c.Total)
		}
		if _, err := st.BulkDecide(ctx, store.BulkInput{ReviewIDs: make([]int64, store.BulkLimit+1), Outcome: store.OutcomeApprove, Actor: ann}); !errors.As(err, &ve) {
			t.Fatalf("over the cap: %v", err)
		}
	})
}

// TestReflagRespectsAnotherOperatorsClaim is the regression test for issue
// 15 finding 4: B could re-flag the review A had claimed, which made A's
// decision fail with "changed since you opened it".
func TestReflagRespectsAnotherOperatorsClaim(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		r := storetest.FlaggedLead(t, st, "RC1", store.TypeMessage)
		ann, bob := opActor(101, "Ann"), opActor(102, "Bob")
		if _, err := st.Claim(ctx, r.ID, ann); err != nil {
			t.Fatal(err)
		}
		var ce *store.ConflictError
		if _, err := st.Reflag(ctx, store.ReflagInput{ReviewID: r.ID, ReviewType: store.TypePricing, Reason: "asks for a discount", Actor: bob}); !errors.As(err, &ce) || !strings.Contains(ce.Message, "claimed by Ann") {
			t.Fatalf("Bob's re-flag of Ann's claimed review: %v", err)
		}
		// Nothing changed: Ann's decision on the version she opened goes through.
		got, _, err := st.GetReview(ctx, r.ID)
		if err != nil || got.Review.Version != r.Version || got.Review.ReviewType != store.TypeMessage {
			t.Fatalf("review after the refused re-flag: %+v %v", got, err)
		}
		// The claim holder may re-flag her own claimed review.
		if _, err := st.Reflag(ctx, store.ReflagInput{ReviewID: r.ID, ReviewType: store.TypePricing, Reason: "asks for a discount", ExpectedVersion: r.Version, Actor: ann}); err != nil {
			t.Fatalf("Ann's re-flag: %v", err)
		}
		// Once the claim has lapsed anyone may.
		expireClaim(t, st, r.ID)
		if _, err := st.Reflag(ctx, store.ReflagInput{ReviewID: r.ID, ReviewType: store.TypeAction, Reason: "call them", Actor: bob}); err != nil {
			t.Fatalf("Bob's re-flag after the claim lapsed: %v", err)
		}
	})
}
