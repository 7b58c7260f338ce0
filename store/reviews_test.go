package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"reviewq/store"
	"reviewq/store/storetest"
)

func TestFlagOpensOneReviewPerLead(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		r := storetest.FlaggedLead(t, st, "L1", store.TypeMessage)
		res, err := st.Flag(ctx, r.LeadID, store.FlagInput{ReviewType: store.TypePricing, Reason: "discount asked", Source: store.SourceManual}, store.SystemActor)
		if err != nil {
			t.Fatal(err)
		}
		if res.Created || res.Review.ID != r.ID {
			t.Fatalf("second flag made a new review: %+v", res)
		}
		if res.Review.Reason != "test reason; PRICING: discount asked" {
			t.Fatalf("reason = %q", res.Review.Reason)
		}
		lead, err := st.GetLead(ctx, r.LeadID)
		if err != nil {
			t.Fatal(err)
		}
		if !lead.RequiresHumanReview || lead.ReviewType == nil || *lead.ReviewType != store.TypeMessage || *lead.ReviewReason != res.Review.Reason {
			t.Fatalf("lead seed columns out of step: %+v", lead)
		}
		_, events, err := st.GetReview(ctx, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(events) != 2 || events[0].Kind != store.EventFlagged {
			t.Fatalf("history = %+v", events)
		}
	})
}

func TestConcurrentFlagsMakeOneReview(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		lead, _, err := st.UpsertLead(ctx, store.LeadInput{ExternalID: "race"})
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		errs := make(chan error, 20)
		for i := 0; i < 20; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				_, err := st.Flag(ctx, lead.ID, store.FlagInput{ReviewType: store.TypeAction, Reason: fmt.Sprintf("r%d", i)}, store.SystemActor)
				errs <- err
			}(i)
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatalf("flag: %v", err)
			}
		}
		var n int64
		if err := st.DB.Model(&store.Review{}).Where("lead_id = ?", lead.ID).Count(&n).Error; err != nil {
			t.Fatal(err)
		}
		if n != 1 {
			t.Fatalf("%d reviews for one lead", n)
		}
	})
}

func TestDecideExactlyOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		r := storetest.FlaggedLead(t, st, "L1", store.TypeProposal)
		var wg sync.WaitGroup
		var mu sync.Mutex
		wins, conflicts := 0, 0
		for i := 0; i < 16; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				actor := store.Actor{Type: store.ActorOperator, ID: int64(i + 1), Name: fmt.Sprintf("op%d", i)}
				_, err := st.Decide(ctx, store.DecideInput{ReviewID: r.ID, Outcome: store.OutcomeApprove, Actor: actor})
				mu.Lock()
				defer mu.Unlock()
				var ce *store.ConflictError
				switch {
				case err == nil:
					wins++
				case errors.As(err, &ce):
					conflicts++
				default:
					t.Errorf("decide: %v", err)
				}
			}(i)
		}
		wg.Wait()
		if wins != 1 || conflicts != 15 {
			t.Fatalf("wins=%d conflicts=%d", wins, conflicts)
		}
		_, events, _ := st.GetReview(ctx, r.ID)
		if len(events) != 2 || events[1].Kind != store.EventApproved {
			t.Fatalf("history = %+v", events)
		}
		lead, _ := st.GetLead(ctx, r.LeadID)
		if lead.RequiresHumanReview || lead.ReviewType != nil {
			t.Fatalf("approved lead still flagged: %+v", lead)
		}
	})
}

func TestRejectMakesLeadLostAndNeedsKnownCode(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		r := storetest.FlaggedLead(t, st, "L1", store.TypeMessage)
		actor := store.Actor{Type: store.ActorOperator, ID: 1, Name: "Ann"}
		_, err := st.Decide(ctx, store.DecideInput{ReviewID: r.ID, Outcome: store.OutcomeReject, ReasonCode: "nope", Actor: actor})
		var ve *store.ValidationError
		if !errors.As(err, &ve) || ve.Field != "reason_code" {
			t.Fatalf("unknown code: %v", err)
		}
		_, err = st.Decide(ctx, store.DecideInput{ReviewID: r.ID, Outcome: store.OutcomeReject, Actor: actor})
		if !errors.As(err, &ve) {
			t.Fatalf("missing code accepted: %v", err)
		}
		got, err := st.Decide(ctx, store.DecideInput{ReviewID: r.ID, Outcome: store.OutcomeReject, ReasonCode: "bad_data", Notes: "<b>x</b>'; DROP TABLE leads;--", Actor: actor})
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != store.StatusRejected || *got.DecidedByName != "Ann" || *got.Notes != "<b>x</b>'; DROP TABLE leads;--" {
			t.Fatalf("decided = %+v", got)
		}
		lead, _ := st.GetLead(ctx, r.LeadID)
		if lead.Status != "lost" || lead.Tags != "operator_reject" || lead.RequiresHumanReview {
			t.Fatalf("lead = %+v", lead)
		}
		_, err = st.Decide(ctx, store.DecideInput{ReviewID: r.ID, Outcome: store.OutcomeApprove, Actor: actor})
		var ce *store.ConflictError
		if !errors.As(err, &ce) || ce.DecidedBy != "Ann" || ce.Status != store.StatusRejected {
			t.Fatalf("second decision: %v", err)
		}
		if _, err := st.Decide(ctx, store.DecideInput{ReviewID: 99999, Outcome: store.OutcomeApprove, Actor: actor}); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("unknown id: %v", err)
		}
	})
}

func TestQueueKeysetPagination(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		want := map[int64]bool{}
		for i := 0; i < 25; i++ {
			typ := store.ReviewTypes[i%len(store.ReviewTypes)]
			r := storetest.FlaggedLead(t, st, fmt.Sprintf("L%02d", i), typ)
			want[r.ID] = true
		}
		seen := map[int64]bool{}
		var cur *store.Cursor
		pages := 0
		for {
			items, next, err := st.ListPending(ctx, store.QueueFilter{Limit: 10, After: cur})
			if err != nil {
				t.Fatal(err)
			}
			pages++
			for i, it := range items {
				if seen[it.ID] {
					t.Fatalf("duplicate %d", it.ID)
				}
				seen[it.ID] = true
				if i > 0 && it.FlaggedAt.Before(items[i-1].FlaggedAt) {
					t.Fatal("not oldest first")
				}
				if it.LeadName == "" {
					t.Fatal("lead fields missing")
				}
			}
			if next == nil {
				break
			}
			parsed, err := store.ParseCursor(next.Encode())
			if err != nil || parsed.ID != next.ID || !parsed.FlaggedAt.Equal(next.FlaggedAt) {
				t.Fatalf("cursor round trip: %v %+v %+v", err, parsed, next)
			}
			cur = parsed
		}
		if pages != 3 || len(seen) != 25 {
			t.Fatalf("pages=%d seen=%d", pages, len(seen))
		}
		items, _, err := st.ListPending(ctx, store.QueueFilter{ReviewType: store.TypeRetry})
		if err != nil || len(items) != 5 {
			t.Fatalf("type filter: %d %v", len(items), err)
		}
		c, err := st.CountPending(ctx)
		if err != nil || c.Total != 25 || c.ByType[store.TypeRetry] != 5 {
			t.Fatalf("counts %+v %v", c, err)
		}
	})
}
