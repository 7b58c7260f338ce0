package store_test

import (
	"bytes"
	"context"
	"testing"

	"reviewq/store"
	"reviewq/store/storetest"
)

// TestFlagsClearAndRestoreTellSubscribers: an engine that follows
// lead.eligibility_changed hears that each cleared lead may now be
// contacted, and that each restored one may not, exactly once per lead;
// a lead whose answer does not change is not mentioned.
func TestFlagsClearAndRestoreTellSubscribers(t *testing.T) {
	ctx := context.Background()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		subscribeAll(t, st)
		var leads []int64
		for _, ext := range []string{"RB-1", "RB-2", "RB-3"} {
			leads = append(leads, storetest.FlaggedLead(t, st, ext, store.TypePricing).LeadID)
		}
		// A lead an engine flagged by writing the seed columns itself.
		bare := messageLead(t, st, "RB-4", "s", "b")
		if err := st.DB.Exec("UPDATE leads SET requires_human_review = ?, review_type = ? WHERE id = ?", true, store.TypeAction, bare.ID).Error; err != nil {
			t.Fatal(err)
		}
		leads = append(leads, bare.ID)
		// A lead left alone: no event for it.
		messageLead(t, st, "RB-5", "s", "b")
		before := len(events(t, st, store.WebhookEligibilityChanged))

		actor := store.Actor{Type: store.ActorSystem, Name: "cli"}
		var file bytes.Buffer
		w := store.NewFlagFileWriter(&file, st.Dialect)
		if _, err := st.ClearFlags(ctx, store.ClearOptions{Actor: actor, File: "rollback.json", Write: w.Write, Batch: 2}); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		check := func(step, cause, reason string, eligible bool, evs []eventBody) {
			t.Helper()
			if len(evs) != len(leads) {
				t.Fatalf("%s: %d eligibility events, want %d", step, len(evs), len(leads))
			}
			seen := map[float64]bool{}
			for _, e := range evs {
				id, _ := e.Data["lead_id"].(float64)
				if seen[id] {
					t.Fatalf("%s: lead %v told twice", step, id)
				}
				seen[id] = true
				nw, _ := e.Data["new"].(map[string]any)
				if e.Data["cause"] != cause || nw["reason"] != reason || nw["eligible"] != eligible {
					t.Fatalf("%s: %v", step, e.Data)
				}
			}
			for _, id := range leads {
				if !seen[float64(id)] {
					t.Fatalf("%s: lead %d not told", step, id)
				}
			}
		}
		all := events(t, st, store.WebhookEligibilityChanged)
		check("clear", store.AuditFlagsClear, store.EligibleOK, true, all[before:])

		if _, err := st.RestoreFlags(ctx, bytes.NewReader(file.Bytes()), actor, "rollback.json"); err != nil {
			t.Fatal(err)
		}
		after := events(t, st, store.WebhookEligibilityChanged)
		check("restore", store.AuditFlagsRestore, store.EligibleReviewOpen, false, after[len(all):])
	})
}
