package store_test

import (
	"context"
	"testing"
	"time"

	"reviewq/store"
	"reviewq/store/storetest"
)

// TestReadCacheServesBrieflyAndDropsOnLocalWrites: a write made through
// another instance shows after the TTL; a write through this one at once.
func TestReadCacheServesBrieflyAndDropsOnLocalWrites(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			url := storetest.URL(t, d)
			ctx := context.Background()
			cached, err := store.Open(ctx, url, store.Options{ReadCacheTTL: 300 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			defer cached.Close()
			if _, err := cached.MigrateUp(ctx); err != nil {
				t.Fatal(err)
			}
			other := storetest.OpenURL(t, url)
			storetest.FlaggedLead(t, cached, "a", store.TypeMessage)
			if c, _ := cached.CountPending(ctx); c.Total != 1 {
				t.Fatalf("count %d", c.Total)
			}
			// Another instance flags: this one still serves its cached count...
			storetest.FlaggedLead(t, other, "b", store.TypeMessage)
			if c, _ := cached.CountPending(ctx); c.Total != 1 {
				t.Fatalf("cached count %d, want the cached 1", c.Total)
			}
			if q, _ := cached.QueueStats(ctx, time.Hour, 2*time.Hour); q.TotalPending != 1 && q.TotalPending != 2 {
				t.Fatalf("queue stats %d", q.TotalPending)
			}
			// ...until the TTL passes.
			time.Sleep(350 * time.Millisecond)
			if c, _ := cached.CountPending(ctx); c.Total != 2 {
				t.Fatalf("count after TTL %d", c.Total)
			}
			// A decision through this instance is visible at once.
			r := storetest.FlaggedLead(t, other, "c", store.TypeRetry)
			time.Sleep(350 * time.Millisecond)
			if c, _ := cached.CountPending(ctx); c.Total != 3 {
				t.Fatalf("count %d", c.Total)
			}
			if _, err := cached.Decide(ctx, store.DecideInput{ReviewID: r.ID, Outcome: store.OutcomeApprove, Actor: store.SystemActor}); err != nil {
				t.Fatal(err)
			}
			if c, _ := cached.CountPending(ctx); c.Total != 2 || c.ByType[store.TypeRetry] != 0 {
				t.Fatalf("count after own decision %+v", c)
			}
		})
	}
}
