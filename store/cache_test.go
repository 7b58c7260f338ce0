package store_test

import (
	"context"
	"testing"
	"time"

	"reviewq/store"
	"reviewq/store/storetest"
)

// cachedAndOther opens two instances on one fresh database: the first with
// a 300 ms read cache, the other without.
func cachedAndOther(t *testing.T, d store.Dialect) (cached, other *store.Store) {
	t.Helper()
	url := storetest.URL(t, d)
	ctx := context.Background()
	cached, err := store.Open(ctx, url, store.Options{ReadCacheTTL: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cached.Close() })
	if _, err := cached.MigrateUp(ctx); err != nil {
		t.Fatal(err)
	}
	return cached, storetest.OpenURL(t, url)
}

// TestReadCacheServesBrieflyAndDropsOnLocalWrites: a write made through
// another instance shows after the TTL; a write through this one at once.
func TestReadCacheServesBrieflyAndDropsOnLocalWrites(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			ctx := context.Background()
			cached, other := cachedAndOther(t, d)
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

// TestSharedListPages: the queue's shared pages come from the cache within
// the TTL, show another instance's flag after it, and show this instance's
// decision at once; the "next" flow (SkipClaimedFor) always reads fresh.
func TestSharedListPages(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			ctx := context.Background()
			cached, other := cachedAndOther(t, d)
			first := storetest.FlaggedLead(t, cached, "a", store.TypeMessage)
			ids := func(f store.QueueFilter) []int64 {
				t.Helper()
				items, _, err := cached.ListPendingShared(ctx, f)
				if err != nil {
					t.Fatal(err)
				}
				var out []int64
				for _, it := range items {
					out = append(out, it.ID)
				}
				return out
			}
			if got := ids(store.QueueFilter{}); len(got) != 1 || got[0] != first.ID {
				t.Fatalf("first page %v", got)
			}
			second := storetest.FlaggedLead(t, other, "b", store.TypeMessage)
			if got := ids(store.QueueFilter{}); len(got) != 1 {
				t.Fatalf("within the TTL the cached page %v, want 1 row", got)
			}
			// Another key (a filter), and the "next" flow, read fresh.
			if got := ids(store.QueueFilter{ReviewType: store.TypeMessage}); len(got) != 2 {
				t.Fatalf("filtered page %v, want 2 rows", got)
			}
			if got := ids(store.QueueFilter{SkipClaimedFor: 1}); len(got) != 2 {
				t.Fatalf("next-flow page %v, want 2 rows", got)
			}
			time.Sleep(350 * time.Millisecond)
			if got := ids(store.QueueFilter{}); len(got) != 2 {
				t.Fatalf("after the TTL %v, want 2 rows", got)
			}
			if _, err := cached.Decide(ctx, store.DecideInput{ReviewID: second.ID, Outcome: store.OutcomeApprove, Actor: store.SystemActor}); err != nil {
				t.Fatal(err)
			}
			if got := ids(store.QueueFilter{}); len(got) != 1 || got[0] != first.ID {
				t.Fatalf("after this instance's decision %v, want only %d", got, first.ID)
			}
		})
	}
}
