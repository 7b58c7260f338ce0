package store

import (
	"context"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"
)

// readCache keeps the results of the queue's aggregate reads (counts by
// type, queue stats, the stats page's figures) for a short time, so a
// hundred operators refreshing do not each scan the pending index. Each
// instance has its own: a change made elsewhere shows within the TTL, and a
// change made through this instance's store drops the cache at once, so an
// operator always sees the effect of their own decision. Concurrent misses
// of one key share one query (singleflight).
type readCache struct {
	ttl        time.Duration
	maxEntries int
	group      singleflight.Group

	mu      sync.Mutex
	gen     uint64
	entries map[string]cacheEntry
}

type cacheEntry struct {
	at  time.Time
	gen uint64
	v   any
}

// Bounds on the caches' entries: filters with free-text search and keyset
// cursors make keys. A list page holds 50 rows (about 30 KB), so the list
// cache is kept small; when a cache is full it starts over.
const (
	maxAggregateEntries = 512
	maxListEntries      = 128
)

func newReadCache(ttl time.Duration, maxEntries int) *readCache {
	return &readCache{ttl: ttl, maxEntries: maxEntries, entries: map[string]cacheEntry{}}
}

// cachedRead returns the cached value of key or loads it. A nil cache or a
// zero TTL always loads. A cached value is shared by every caller, so each
// gets its own copy (clone copies every pointer, slice and map in V): what
// one caller changes, the next does not see.
func cachedRead[V any](ctx context.Context, c *readCache, key string, load func(context.Context) (V, error), clone func(V) V) (V, error) {
	if c == nil || c.ttl <= 0 {
		return load(ctx)
	}
	c.mu.Lock()
	e, ok := c.entries[key]
	gen := c.gen
	c.mu.Unlock()
	if ok && e.gen == gen && time.Since(e.at) < c.ttl {
		return clone(e.v.(V)), nil
	}
	v, err, _ := c.group.Do(key, func() (any, error) {
		// The load runs without the caller's cancellation: other callers
		// share its result.
		lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		v, err := load(lctx)
		if err != nil {
			return v, err
		}
		c.mu.Lock()
		if len(c.entries) >= c.maxEntries {
			c.entries = map[string]cacheEntry{}
		}
		// Stored under the generation seen before the load: if a write
		// invalidated the cache meanwhile, this result is not served.
		c.entries[key] = cacheEntry{at: time.Now(), gen: gen, v: v}
		c.mu.Unlock()
		return v, nil
	})
	if err != nil {
		var zero V
		return zero, err
	}
	return clone(v.(V)), nil
}

// pointeeArena holds copies of what pointer fields point to, in one slice
// per type: a page of 50 rows is copied in a handful of allocations. (An
// append that grows a slice leaves the earlier pointers on the old array,
// which stays valid.)
type pointeeArena struct {
	ints  []int64
	strs  []string
	times []time.Time
}

func newPointeeArena(rows int) *pointeeArena {
	return &pointeeArena{ints: make([]int64, 0, rows), strs: make([]string, 0, rows), times: make([]time.Time, 0, rows)}
}

func arenaCopy[T any](buf *[]T, p *T) *T {
	if p == nil {
		return nil
	}
	*buf = append(*buf, *p)
	return &(*buf)[len(*buf)-1]
}

func (a *pointeeArena) int(p *int64) *int64          { return arenaCopy(&a.ints, p) }
func (a *pointeeArena) str(p *string) *string        { return arenaCopy(&a.strs, p) }
func (a *pointeeArena) time(p *time.Time) *time.Time { return arenaCopy(&a.times, p) }

// clonePtr is a new pointer to a copy of *p (nil stays nil).
func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

func (c *readCache) invalidate() {
	if c == nil {
		return
	}
	c.mu.Lock()
	c.gen++
	c.entries = map[string]cacheEntry{}
	c.mu.Unlock()
}

// InvalidateReadCache drops this instance's cached aggregates and list
// pages; every write transaction of the store does it.
func (s *Store) InvalidateReadCache() {
	s.reads.invalidate()
	s.lists.invalidate()
}
