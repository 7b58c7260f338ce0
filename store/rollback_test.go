package store_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"reviewq/store"
	"reviewq/store/storetest"
)

type leadSeed struct {
	ID                  int64
	RequiresHumanReview bool
	ReviewType          *string
	ReviewReason        *string
}

func allReviews(t *testing.T, st *store.Store) []store.Review {
	t.Helper()
	var out []store.Review
	if err := st.DB.Order("id").Find(&out).Error; err != nil {
		t.Fatal(err)
	}
	return out
}

func allLeadSeeds(t *testing.T, st *store.Store) []leadSeed {
	t.Helper()
	var out []leadSeed
	if err := st.DB.Table("leads").Select("id, requires_human_review, review_type, review_reason").Order("id").Scan(&out).Error; err != nil {
		t.Fatal(err)
	}
	return out
}

func sameReviews(t *testing.T, got, want []store.Review) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d reviews, want %d", len(got), len(want))
	}
	for i := range got {
		if !reflect.DeepEqual(got[i], want[i]) {
			t.Fatalf("review %d differs:\n got %+v\nwant %+v", want[i].ID, got[i], want[i])
		}
	}
}

func countWhere(t *testing.T, st *store.Store, table, where string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := st.DB.Table(table).Where(where, args...).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

// rollbackFixture: seeded pending and decided reviews, one claimed review,
// and one lead an engine flagged by writing the seed columns directly.
func rollbackFixture(t *testing.T, st *store.Store) (pending int64) {
	t.Helper()
	ctx := context.Background()
	if err := st.Seed(ctx, store.SeedOptions{Leads: 40, Pending: 17, Decided: 8}); err != nil {
		t.Fatal(err)
	}
	op := storetest.Operator(t, st, "op@example.com", store.RoleOperator)
	r := storetest.FlaggedLead(t, st, "claimed-1", store.TypePricing)
	if _, err := st.Claim(ctx, r.ID, store.Actor{Type: store.ActorOperator, ID: op.ID, Name: op.Name}); err != nil {
		t.Fatal(err)
	}
	var unflagged int64
	if err := st.DB.Table("leads").Where("requires_human_review = ?", false).Select("MAX(id)").Scan(&unflagged).Error; err != nil {
		t.Fatal(err)
	}
	if err := st.DB.Exec("UPDATE leads SET requires_human_review = ?, review_type = 'RETRY', review_reason = 'set by the outreach engine' WHERE id = ?", true, unflagged).Error; err != nil {
		t.Fatal(err)
	}
	return countWhere(t, st, "reviews", "status = ?", store.StatusPending)
}

func TestFlagsClearAndRestore(t *testing.T) {
	ctx := context.Background()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		pending := rollbackFixture(t, st)
		if pending != 18 {
			t.Fatalf("fixture: %d pending reviews, want 18", pending)
		}
		if n := countWhere(t, st, "leads", "requires_human_review = ?", true); n != 19 {
			t.Fatalf("fixture: %d flagged leads, want 19", n)
		}
		beforeReviews, beforeLeads := allReviews(t, st), allLeadSeeds(t, st)
		actor := store.Actor{Type: store.ActorSystem, Name: "cli"}
		if n, err := st.CountFlagsToClear(ctx); err != nil || n.Reviews != 18 || n.Leads != 1 {
			t.Fatalf("count before clear: %+v %v", n, err)
		}

		var file bytes.Buffer
		w := store.NewFlagFileWriter(&file, st.Dialect)
		res, err := st.ClearFlags(ctx, store.ClearOptions{Actor: actor, File: "rollback.json", Write: w.Write, Batch: 5})
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if res.Reviews != 18 || res.Leads != 1 {
			t.Fatalf("cleared %+v, want 18 reviews and 1 lead without review", res)
		}
		if n := countWhere(t, st, "reviews", "status = ?", store.StatusPending); n != 0 {
			t.Fatalf("%d reviews still pending after clear", n)
		}
		if n := countWhere(t, st, "reviews", "status = ? AND open_lead_id IS NULL", store.StatusCleared); n != 18 {
			t.Fatalf("%d cleared reviews, want 18", n)
		}
		if n := countWhere(t, st, "leads", "requires_human_review = ? OR review_type IS NOT NULL OR review_reason IS NOT NULL", true); n != 0 {
			t.Fatalf("%d leads still flagged after clear", n)
		}
		if n := countWhere(t, st, "review_events", "kind = ?", store.EventCleared); n != 18 {
			t.Fatalf("%d cleared events, want 18", n)
		}
		// One audit entry per batch: 4 batches of reviews, 1 of leads.
		if n := countWhere(t, st, "audit_log", "action = ?", store.AuditFlagsClear); n != 5 {
			t.Fatalf("%d flags.clear audit entries, want 5", n)
		}
		// Decided reviews are untouched.
		if n := countWhere(t, st, "reviews", "status IN ?", []string{store.StatusApproved, store.StatusRejected, store.StatusSkipped}); n != 8 {
			t.Fatalf("%d decided reviews after clear, want 8", n)
		}
		// The queue is empty: nothing to decide.
		if _, err := st.Decide(ctx, store.DecideInput{ReviewID: beforeReviews[0].ID, Outcome: store.OutcomeApprove, Actor: actor}); err == nil {
			t.Fatal("a cleared review could still be decided")
		}

		if n, err := st.CountFlagsToClear(ctx); err != nil || n.Total() != 0 {
			t.Fatalf("count after clear: %+v %v", n, err)
		}
		// Clearing again finds nothing and writes nothing.
		var second bytes.Buffer
		w2 := store.NewFlagFileWriter(&second, st.Dialect)
		res2, err := st.ClearFlags(ctx, store.ClearOptions{Actor: actor, File: "again.json", Write: w2.Write})
		if err != nil || res2.Total() != 0 || second.Len() != 0 {
			t.Fatalf("second clear: %+v %v, wrote %d bytes", res2, err, second.Len())
		}

		// A review row lost since the clear is inserted again with its id.
		lost := beforeReviews[len(beforeReviews)-1]
		if lost.Status != store.StatusPending || lost.ClaimedBy == nil {
			t.Fatalf("fixture: last review is %s, claimed by %v", lost.Status, lost.ClaimedBy)
		}
		if err := st.DB.Exec("DELETE FROM reviews WHERE id = ?", lost.ID).Error; err != nil {
			t.Fatal(err)
		}

		saved := file.Bytes()
		rr, err := st.RestoreFlags(ctx, bytes.NewReader(saved), actor, "rollback.json")
		if err != nil {
			t.Fatal(err)
		}
		if rr.Records != 19 || rr.Restored != 19 || rr.AlreadyOpen != 0 || rr.Skipped != 0 {
			t.Fatalf("restore: %+v", rr)
		}
		sameReviews(t, allReviews(t, st), beforeReviews)
		if got := allLeadSeeds(t, st); !reflect.DeepEqual(got, beforeLeads) {
			t.Fatal("lead seed columns differ after restore")
		}
		if n := countWhere(t, st, "review_events", "kind = ?", store.EventRestored); n != 18 {
			t.Fatalf("%d restored events, want 18", n)
		}
		if n := countWhere(t, st, "audit_log", "action = ?", store.AuditFlagsRestore); n != 1 {
			t.Fatalf("%d flags.restore audit entries, want 1", n)
		}

		// Restoring twice changes nothing.
		var leadsBefore []store.Lead
		st.DB.Order("id").Find(&leadsBefore)
		rr2, err := st.RestoreFlags(ctx, bytes.NewReader(saved), actor, "rollback.json")
		if err != nil {
			t.Fatal(err)
		}
		if rr2.Restored != 0 || rr2.AlreadyOpen != 19 || rr2.Skipped != 0 {
			t.Fatalf("second restore: %+v", rr2)
		}
		var leadsAfter []store.Lead
		st.DB.Order("id").Find(&leadsAfter)
		if !reflect.DeepEqual(leadsBefore, leadsAfter) {
			t.Fatal("second restore changed leads")
		}
		sameReviews(t, allReviews(t, st), beforeReviews)
		if n := countWhere(t, st, "audit_log", "action = ?", store.AuditFlagsRestore); n != 1 {
			t.Fatalf("second restore wrote audit entries: %d", n)
		}
	})
}

func TestFlagsRestoreKeepsNewerFlagsAndReportsDamage(t *testing.T) {
	ctx := context.Background()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		a := storetest.FlaggedLead(t, st, "lead-a", store.TypeMessage)
		b := storetest.FlaggedLead(t, st, "lead-b", store.TypeProposal)
		actor := store.SystemActor
		var file bytes.Buffer
		w := store.NewFlagFileWriter(&file, st.Dialect)
		if _, err := st.ClearFlags(ctx, store.ClearOptions{Actor: actor, File: "f.json", Write: w.Write}); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		// Lead a is flagged anew after the rollback: its new review wins.
		fresh, err := st.Flag(ctx, a.LeadID, store.FlagInput{ReviewType: store.TypeAction, Reason: "new flag", Source: store.SourceAPI}, actor)
		if err != nil {
			t.Fatal(err)
		}
		// A file cut short (an interrupted clear) restores its complete
		// records and says it is damaged.
		full := file.String()
		cut := full[:strings.LastIndex(full, "\n]}")]
		rr, err := st.RestoreFlags(ctx, strings.NewReader(cut), actor, "f.json")
		if !errors.Is(err, store.ErrBadFlagFile) {
			t.Fatalf("truncated file: err %v", err)
		}
		if rr.Restored != 1 || rr.Skipped != 1 || len(rr.Problems) != 1 || !strings.Contains(rr.Problems[0], "another open review") {
			t.Fatalf("restore: %+v", rr)
		}
		open, err := st.OpenReviewOfLead(ctx, a.LeadID)
		if err != nil || open.ID != fresh.Review.ID {
			t.Fatalf("lead a's open review: %+v %v, want the new one %d", open, err, fresh.Review.ID)
		}
		lead, _ := st.GetLead(ctx, a.LeadID)
		if lead.ReviewType == nil || *lead.ReviewType != store.TypeAction {
			t.Fatalf("lead a's seed columns follow %v, want the new review", lead.ReviewType)
		}
		if open, err := st.OpenReviewOfLead(ctx, b.LeadID); err != nil || open.ID != b.ID {
			t.Fatalf("lead b not restored: %v", err)
		}
		for _, bad := range []string{"", "[]", `{"format":"other","records":[]}`, `{"records":[]}`} {
			if _, err := st.RestoreFlags(ctx, strings.NewReader(bad), actor, "x"); !errors.Is(err, store.ErrBadFlagFile) {
				t.Fatalf("file %q: err %v", bad, err)
			}
		}
	})
}

// TestFlagsClearWhileEnginesFlag clears and restores while engines keep
// flagging and an operator decides (the queue left on): no error, every review that existed at the
// start is cleared, and afterwards every lead's seed columns agree with its
// open review, the invariant outreach relies on.
func TestFlagsClearWhileEnginesFlag(t *testing.T) {
	ctx := context.Background()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		if err := st.Seed(ctx, store.SeedOptions{Leads: 300, Pending: 200}); err != nil {
			t.Fatal(err)
		}
		var maxAtStart int64
		st.DB.Table("reviews").Select("MAX(id)").Scan(&maxAtStart)
		var leadIDs []int64
		st.DB.Table("leads").Order("id").Pluck("id", &leadIDs)

		stop := make(chan struct{})
		errs := make(chan error, 4)
		for w := 0; w < 3; w++ {
			go func(w int) {
				for i := 0; ; i++ {
					select {
					case <-stop:
						errs <- nil
						return
					default:
					}
					lead := leadIDs[(i*7+w*101)%len(leadIDs)]
					if _, err := st.Flag(ctx, lead, store.FlagInput{ReviewType: store.TypeRetry, Reason: "engine flag", Source: store.SourceAPI}, store.SystemActor); err != nil {
						errs <- err
						return
					}
				}
			}(w)
		}
		// And an operator deciding: a decision racing the clear either wins
		// or gets a conflict, never an error.
		var reviewIDs []int64
		st.DB.Table("reviews").Where("status = ?", store.StatusPending).Order("id DESC").Limit(50).Pluck("id", &reviewIDs)
		go func() {
			for _, id := range reviewIDs {
				select {
				case <-stop:
					errs <- nil
					return
				default:
				}
				_, err := st.Decide(ctx, store.DecideInput{ReviewID: id, Outcome: store.OutcomeApprove, Actor: store.SystemActor})
				var conflict *store.ConflictError
				if err != nil && !errors.As(err, &conflict) {
					errs <- fmt.Errorf("decide %d: %w", id, err)
					return
				}
			}
			<-stop
			errs <- nil
		}()
		var file bytes.Buffer
		w := store.NewFlagFileWriter(&file, st.Dialect)
		res, clearErr := st.ClearFlags(ctx, store.ClearOptions{Actor: store.SystemActor, File: "race.json", Write: w.Write, Batch: 20})
		_ = w.Close()
		close(stop)
		for i := 0; i < 4; i++ {
			if err := <-errs; err != nil {
				t.Fatalf("flagging during the clear: %v", err)
			}
		}
		if clearErr != nil {
			t.Fatalf("clear: %v", clearErr)
		}
		if res.Reviews < 150 {
			t.Fatalf("cleared %d reviews, want most of the 200 seeded", res.Reviews)
		}
		if n := countWhere(t, st, "reviews", "status = ? AND id <= ?", store.StatusPending, maxAtStart); n != 0 {
			t.Fatalf("%d reviews from before the clear are still pending", n)
		}
		rr, err := st.RestoreFlags(ctx, bytes.NewReader(file.Bytes()), store.SystemActor, "race.json")
		if err != nil {
			t.Fatal(err)
		}
		if rr.Restored+rr.AlreadyOpen+rr.Skipped != rr.Records || rr.Records != res.Total() {
			t.Fatalf("restore %+v does not add up to the %d cleared", rr, res.Total())
		}
		for _, p := range rr.Problems {
			if !strings.Contains(p, "another open review") && !strings.Contains(p, "flag follows that review") {
				t.Fatalf("unexpected restore problem: %s", p)
			}
		}
		// Every lead: flagged exactly when it has an open review, with its type.
		var bad int64
		err = st.DB.Raw(`SELECT COUNT(*) FROM leads l LEFT JOIN reviews r ON r.open_lead_id = l.id
			WHERE (r.id IS NULL AND l.requires_human_review = ?) OR (r.id IS NOT NULL AND (l.requires_human_review = ? OR l.review_type <> r.review_type))`,
			true, false).Scan(&bad).Error
		if err != nil {
			t.Fatal(err)
		}
		if bad != 0 {
			t.Fatalf("%d leads whose seed columns disagree with their open review", bad)
		}
	})
}

// BenchmarkFlagsClearRestore measures clear and restore per flag:
// go test -run '^$' -bench FlagsClear ./store/ (REVIEWQ_BENCH_MYSQL=1 adds MariaDB).
func BenchmarkFlagsClearRestore(b *testing.B) {
	ctx := context.Background()
	dialects := []store.Dialect{store.SQLite}
	if os.Getenv("REVIEWQ_BENCH_MYSQL") == "1" {
		dialects = append(dialects, store.MySQL)
	}
	const pending = 5000
	for _, d := range dialects {
		b.Run(string(d), func(b *testing.B) {
			st := storetest.Open(b, d)
			if err := st.Seed(ctx, store.SeedOptions{Leads: pending * 2, Pending: pending}); err != nil {
				b.Fatal(err)
			}
			var clearDur, restoreDur time.Duration
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				var file bytes.Buffer
				w := store.NewFlagFileWriter(&file, st.Dialect)
				start := time.Now()
				res, err := st.ClearFlags(ctx, store.ClearOptions{Actor: store.SystemActor, File: "bench.json", Write: w.Write})
				if err != nil || res.Reviews != pending {
					b.Fatalf("clear: %+v %v", res, err)
				}
				_ = w.Close()
				clearDur += time.Since(start)
				start = time.Now()
				rr, err := st.RestoreFlags(ctx, &file, store.SystemActor, "bench.json")
				if err != nil || rr.Restored != pending {
					b.Fatalf("restore: %+v %v", rr, err)
				}
				restoreDur += time.Since(start)
			}
			n := float64(b.N * pending)
			b.ReportMetric(float64(clearDur.Microseconds())/n, "µs/cleared")
			b.ReportMetric(float64(restoreDur.Microseconds())/n, "µs/restored")
		})
	}
}
