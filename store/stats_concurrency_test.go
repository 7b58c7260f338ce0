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

// Concurrent decisions and flags all bump the same few counter rows: none
// may fail for it, and the counters stay exact.
func TestStatsCountersUnderConcurrency(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		const n = 30
		var ids, leads []int64
		for i := 0; i < n; i++ {
			r := storetest.FlaggedLead(t, st, fmt.Sprintf("cc-%d", i), store.TypeMessage)
			ids, leads = append(ids, r.ID), append(leads, r.LeadID)
		}
		var wg sync.WaitGroup
		errs := make(chan error, n*6)
		for i := 0; i < n; i++ {
			for k := 0; k < 3; k++ {
				wg.Add(2)
				go func() {
					defer wg.Done()
					actor := store.Actor{Type: store.ActorToken, ID: int64(k + 1), Name: fmt.Sprintf("engine-%d", k)}
					_, err := st.Decide(ctx, store.DecideInput{ReviewID: ids[i], Outcome: store.OutcomeApprove, Actor: actor})
					var ce *store.ConflictError
					if err != nil && !errors.As(err, &ce) {
						errs <- fmt.Errorf("decide: %w", err)
					}
				}()
				go func() {
					defer wg.Done()
					_, err := st.Flag(ctx, leads[i], store.FlagInput{ReviewType: store.TypePricing, Reason: "again", Source: store.SourceAPI}, store.SystemActor)
					if err != nil {
						errs <- fmt.Errorf("flag: %w", err)
					}
				}()
			}
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		today, _ := store.LastDays(store.Now(), 1)
		rs, err := st.RangeStats(ctx, today)
		if err != nil {
			t.Fatal(err)
		}
		var reviews int64
		if err := st.DB.Model(&store.Review{}).Count(&reviews).Error; err != nil {
			t.Fatal(err)
		}
		if rs.Of(store.StatusApproved) != n || rs.Flagged != reviews || rs.Wait.N != n {
			t.Errorf("approved %d (want %d), flagged %d (want %d reviews), waits %d", rs.Of(store.StatusApproved), n, rs.Flagged, reviews, rs.Wait.N)
		}
	})
}
