package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"reviewq/store"
	"reviewq/store/storetest"
)

func TestEligibilityAndQueueStats(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		open := storetest.FlaggedLead(t, st, "E-open", store.TypePricing)
		lost := storetest.FlaggedLead(t, st, "E-lost", store.TypeMessage)
		if _, err := st.Decide(ctx, store.DecideInput{ReviewID: lost.ID, Outcome: store.OutcomeReject, ReasonCode: "not_a_fit", Actor: store.SystemActor}); err != nil {
			t.Fatal(err)
		}
		free, _, err := st.UpsertLead(ctx, store.LeadInput{ExternalID: "E-free"})
		if err != nil {
			t.Fatal(err)
		}
		res, err := st.EligibilityByIDs(ctx, []int64{free.ID, open.LeadID, lost.LeadID, 424242})
		if err != nil {
			t.Fatal(err)
		}
		for i, want := range []string{store.EligibleOK, store.EligibleReviewOpen, store.EligibleRejected, store.EligibleUnknownLead} {
			if res[i].Reason != want || res[i].Eligible != (want == store.EligibleOK) {
				t.Fatalf("[%d] = %+v, want %s", i, res[i], want)
			}
		}
		if res[1].TaskID == nil || *res[1].TaskID != open.ID {
			t.Fatalf("open review not named: %+v", res[1])
		}
		byExt, err := st.EligibilityByExternalIDs(ctx, []string{"E-open", "E-free"})
		if err != nil || byExt[0].Eligible || !byExt[1].Eligible || byExt[1].LeadID != free.ID {
			t.Fatalf("by external id: %+v %v", byExt, err)
		}
		if _, err := st.EligibilityOf(ctx, 424242); err != store.ErrNotFound {
			t.Fatalf("unknown lead: %v", err)
		}
		if _, err := st.EligibilityByIDs(ctx, make([]int64, store.MaxEligibilityBatch+1)); err == nil {
			t.Fatal("oversized batch accepted")
		}

		// Age the open review past the critical SLA: the stats see it.
		old := store.Now().Add(-30 * time.Hour)
		if err := st.DB.Model(&store.Review{}).Where("id = ?", open.ID).Update("flagged_at", old).Error; err != nil {
			t.Fatal(err)
		}
		storetest.FlaggedLead(t, st, "E-new", store.TypePricing)
		stats, err := st.QueueStats(ctx, 12*time.Hour, 24*time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if stats.TotalPending != 2 || stats.ByType[store.TypePricing] != 2 || stats.ByType[store.TypeMessage] != 0 ||
			stats.BySource[store.SourceAPI] != 2 || stats.Breached != 1 || stats.AtRisk != 0 {
			t.Fatalf("stats: %+v", stats)
		}
		if stats.Oldest == nil || !stats.Oldest.Equal(old) {
			t.Fatalf("oldest = %v, want %v", stats.Oldest, old)
		}
	})
}

func TestScoreAndQualityRules(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		lead, _, err := st.UpsertLead(ctx, store.LeadInput{ExternalID: "R-1"})
		if err != nil {
			t.Fatal(err)
		}
		af, err := st.RecordScore(ctx, lead.ID, 91, store.SystemActor)
		if err != nil || !af.Flagged || !af.Created || af.Review.Reason != "High-value prospect (score=91)" || af.Review.ScoreAtFlag != 91 {
			t.Fatalf("score 91: %+v %v", af, err)
		}
		af, err = st.RecordQuality(ctx, lead.ID, []store.QualityIssue{{Code: "tone", Severity: "HIGH"}}, store.SystemActor)
		if err != nil || !af.Flagged || af.Created {
			t.Fatalf("quality on open review: %+v %v", af, err)
		}
		if _, err := st.RecordScore(ctx, 999999, 10, store.SystemActor); err != store.ErrNotFound {
			t.Fatalf("unknown lead: %v", err)
		}
		if _, err := st.RecordQuality(ctx, lead.ID, []store.QualityIssue{{Code: "", Severity: "high"}}, store.SystemActor); err == nil {
			t.Fatal("issue without code accepted")
		}
	})
}

// TestEligibilityUsesIndexes: the outreach hot path stays on the primary
// key and the unique indexes on MariaDB, for 1,000 ids at once.
func TestEligibilityUsesIndexes(t *testing.T) {
	st := storetest.Open(t, store.MySQL)
	if err := st.Seed(context.Background(), store.SeedOptions{Leads: 2000, Pending: 300}); err != nil {
		t.Fatal(err)
	}
	st.DB.Exec("ANALYZE TABLE leads, reviews")
	ids := make([]int64, store.MaxEligibilityBatch)
	ext := make([]string, 50)
	for i := range ids {
		ids[i] = int64(i*2 + 1)
	}
	for i := range ext {
		ext[i] = fmt.Sprintf("seed-%d", i)
	}
	for _, q := range []string{st.EligibilitySQL(ids, nil), st.EligibilitySQL(nil, ext)} {
		var plan []struct {
			Table string
			Type  string
			Key   *string
		}
		if err := st.DB.Raw("EXPLAIN " + q).Scan(&plan).Error; err != nil {
			t.Fatal(err)
		}
		// MariaDB may turn a long IN list into a derived table of the
		// constants (scanned, it is the list); the two real tables must be
		// read by key.
		tables := 0
		for _, p := range plan {
			if p.Table != "leads" && p.Table != "reviews" {
				continue
			}
			tables++
			if p.Type == "ALL" || p.Type == "index" || p.Key == nil {
				t.Errorf("%s read without an index (%s): %.120s", p.Table, p.Type, q)
			}
		}
		if tables != 2 {
			t.Fatalf("plan does not read leads and reviews once each: %+v", plan)
		}
	}
}
