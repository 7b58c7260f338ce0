package store_test

import (
	"context"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"reviewq/store"
	"reviewq/store/storetest"
)

// BenchmarkDecideWithWebhooks measures concurrent approvals (32 at a
// time, through the group-commit writers) with no webhook endpoint and
// with one subscribed to review.decided and lead.eligibility_changed, in
// alternating rounds on one database. REVIEWQ_BENCH_MYSQL=1 adds MariaDB.
//
//	go test ./store -run '^$' -bench DecideWithWebhooks -benchtime 1x -count 3
func BenchmarkDecideWithWebhooks(b *testing.B) {
	ctx := context.Background()
	const perRound, rounds, workers = 1500, 3, 32
	for _, d := range benchDialects() {
		b.Run(string(d), func(b *testing.B) {
			st := storetest.Open(b, d)
			if err := st.Seed(ctx, store.SeedOptions{Leads: perRound * 2 * rounds, Pending: perRound * 2 * rounds}); err != nil {
				b.Fatal(err)
			}
			var ids []int64
			if err := st.DB.Model(&store.Review{}).Where("status = ?", store.StatusPending).Order("id").Pluck("id", &ids).Error; err != nil {
				b.Fatal(err)
			}
			hook, _, err := st.CreateWebhook(ctx, store.SystemActor, "", store.WebhookInput{URL: "https://hooks.example.com/",
				Events: []string{store.WebhookReviewDecided, store.WebhookEligibilityChanged}})
			if err != nil {
				b.Fatal(err)
			}
			var rate = map[bool]time.Duration{}
			b.ResetTimer()
			for round := range rounds * 2 {
				subscribed := round%2 == 1
				if err := st.SetWebhookEnabled(ctx, store.SystemActor, "", hook.ID, subscribed); err != nil {
					b.Fatal(err)
				}
				batch := ids[round*perRound : (round+1)*perRound]
				var next atomic.Int64
				var wg sync.WaitGroup
				start := time.Now()
				for range workers {
					wg.Add(1)
					go func() {
						defer wg.Done()
						for i := next.Add(1) - 1; i < int64(len(batch)); i = next.Add(1) - 1 {
							if _, err := st.Decide(ctx, store.DecideInput{ReviewID: batch[i], Outcome: store.OutcomeApprove, Actor: store.SystemActor}); err != nil {
								b.Error(err)
								return
							}
						}
					}()
				}
				wg.Wait()
				rate[subscribed] += time.Since(start)
			}
			n := float64(perRound * rounds)
			b.ReportMetric(n/rate[false].Seconds(), "decisions/s-no-endpoint")
			b.ReportMetric(n/rate[true].Seconds(), "decisions/s-subscribed")
			events, _ := st.OutboxEvents(ctx, store.WebhookReviewDecided)
			if len(events) != perRound*rounds {
				b.Fatalf("%d review.decided events for %d subscribed decisions", len(events), perRound*rounds)
			}
		})
	}
}

func benchDialects() []store.Dialect {
	ds := []store.Dialect{store.SQLite}
	if storeBenchMySQL() {
		ds = append(ds, store.MySQL)
	}
	return ds
}

func storeBenchMySQL() bool { return os.Getenv("REVIEWQ_BENCH_MYSQL") == "1" }
