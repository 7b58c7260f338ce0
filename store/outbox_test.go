package store_test

import (
	"context"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"reviewq/store"
	"reviewq/store/storetest"
)

// subscribeAll adds an endpoint subscribed to every event type.
func subscribeAll(t *testing.T, st *store.Store) *store.WebhookEndpoint {
	t.Helper()
	e, secret, err := st.CreateWebhook(context.Background(), store.SystemActor, "", store.WebhookInput{
		URL: "https://hooks.example.com/reviewq", Events: store.WebhookEventTypes})
	if err != nil {
		t.Fatal(err)
	}
	if len(secret) < 30 || secret[:6] != "whsec_" {
		t.Fatalf("secret %q is not a whsec_ secret", secret)
	}
	return e
}

type eventBody struct {
	ID        string         `json:"id"`
	Type      string         `json:"type"`
	Version   int            `json:"version"`
	Timestamp time.Time      `json:"timestamp"`
	Data      map[string]any `json:"data"`
}

func events(t *testing.T, st *store.Store, types ...string) []eventBody {
	t.Helper()
	rows, err := st.OutboxEvents(context.Background(), types...)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]eventBody, len(rows))
	for i, r := range rows {
		if err := json.Unmarshal([]byte(r.Body), &out[i]); err != nil {
			t.Fatal(err)
		}
		if out[i].ID != r.MsgID || out[i].Type != r.Type || out[i].Version != store.EventVersion {
			t.Fatalf("body %s does not match its row %+v", r.Body, r)
		}
	}
	return out
}

func typesOf(evs []eventBody) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = e.Type
	}
	return out
}

func TestOutboxEventsOfEveryChange(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		subscribeAll(t, st)
		op := storetest.Operator(t, st, "ann@example.com", store.RoleLead)
		ann := store.Actor{Type: store.ActorOperator, ID: op.ID, Name: op.Name}
		r := storetest.FlaggedLead(t, st, "L1", store.TypeMessage)
		if _, err := st.Claim(ctx, r.ID, ann); err != nil {
			t.Fatal(err)
		}
		if _, err := st.Release(ctx, r.ID, ann); err != nil {
			t.Fatal(err)
		}
		if _, err := st.Reflag(ctx, store.ReflagInput{ReviewID: r.ID, ReviewType: store.TypePricing, Reason: "price", Actor: ann}); err != nil {
			t.Fatal(err)
		}
		body := "Edited body"
		if _, err := st.Decide(ctx, store.DecideInput{ReviewID: r.ID, Outcome: store.OutcomeApprove, Notes: "fine", Body: &body, Actor: ann}); err != nil {
			t.Fatal(err)
		}
		if _, err := st.Reopen(ctx, r.ID, ann, ""); err != nil {
			t.Fatal(err)
		}
		if _, err := st.Decide(ctx, store.DecideInput{ReviewID: r.ID, Outcome: store.OutcomeReject, ReasonCode: "not_a_fit", Actor: ann}); err != nil {
			t.Fatal(err)
		}
		if _, err := st.SetSetting(ctx, ann, "", store.KeyQueueEnabled, "false"); err != nil {
			t.Fatal(err)
		}
		if _, err := st.SetSetting(ctx, ann, "", store.KeyQueueEnabled, "false"); err != nil {
			t.Fatal(err)
		}
		if _, err := st.SetSetting(ctx, ann, "", store.KeyQueueEnabled, "true"); err != nil {
			t.Fatal(err)
		}
		evs := events(t, st)
		want := []string{"review.flagged", "lead.eligibility_changed", "review.claimed", "review.released", "review.reflagged",
			"review.decided", "lead.eligibility_changed", "review.reopened", "lead.eligibility_changed",
			"review.decided", "lead.eligibility_changed", "queue.disabled", "queue.enabled"}
		if got := typesOf(evs); !slices.Equal(got, want) {
			t.Fatalf("events:\n got %v\nwant %v", got, want)
		}
		approved := evs[5].Data
		if approved["outcome"] != "approve" || approved["notes"] != "fine" || approved["review_id"] != float64(r.ID) {
			t.Fatalf("review.decided: %v", approved)
		}
		by := approved["decided_by"].(map[string]any)
		if by["type"] != "operator" || by["id"] != float64(op.ID) || by["name"] != op.Name {
			t.Fatalf("decided_by is not the typed actor: %v", by)
		}
		msg, _ := approved["approved_message"].(map[string]any)
		if msg == nil || msg["body"] != body || msg["edited"] != true {
			t.Fatalf("approved_message: %v", approved["approved_message"])
		}
		if approved["lead_external_id"] != "L1" || evs[6].Data["lead_external_id"] != "L1" {
			t.Fatalf("the lead's external id is missing: %v, %v", approved, evs[6].Data)
		}
		elig := evs[6].Data
		if elig["old"].(map[string]any)["reason"] != store.EligibleReviewOpen || elig["new"].(map[string]any)["eligible"] != true {
			t.Fatalf("eligibility after approval: %v", elig)
		}
		rejected := evs[9].Data
		if rejected["reason_code"] != "not_a_fit" || rejected["approved_message"] != nil {
			t.Fatalf("review.decided of a rejection: %v", rejected)
		}
		if evs[10].Data["new"].(map[string]any)["reason"] != store.EligibleRejected {
			t.Fatalf("eligibility after rejection: %v", evs[10].Data)
		}
		seen := map[string]bool{}
		for _, e := range evs {
			if seen[e.ID] {
				t.Fatalf("message id %s used twice", e.ID)
			}
			seen[e.ID] = true
		}
	})
}

func TestOutboxNothingWithoutSubscribers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		e, _, err := st.CreateWebhook(ctx, store.SystemActor, "", store.WebhookInput{URL: "https://h.example.com/", Events: []string{"review.decided"}})
		if err != nil {
			t.Fatal(err)
		}
		r := storetest.FlaggedLead(t, st, "L1", store.TypeMessage)
		if got := events(t, st); len(got) != 0 {
			t.Fatalf("events of types nobody subscribes to: %v", typesOf(got))
		}
		if err := st.SetWebhookEnabled(ctx, store.SystemActor, "", e.ID, false); err != nil {
			t.Fatal(err)
		}
		if _, err := st.Decide(ctx, store.DecideInput{ReviewID: r.ID, Outcome: store.OutcomeApprove, Actor: store.SystemActor}); err != nil {
			t.Fatal(err)
		}
		if got := events(t, st); len(got) != 0 {
			t.Fatalf("events for a disabled endpoint: %v", typesOf(got))
		}
	})
}

// A decision whose transaction rolls back (here: its counters cannot be
// written) leaves no event, like it leaves no decision.
func TestOutboxRolledBackDecisionLeavesNoEvent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		subscribeAll(t, st)
		r := storetest.FlaggedLead(t, st, "L1", store.TypeMessage)
		before := len(events(t, st))
		if err := st.DB.Exec("ALTER TABLE stats_daily_durations RENAME TO stats_daily_durations_gone").Error; err != nil {
			t.Fatal(err)
		}
		if _, err := st.Decide(ctx, store.DecideInput{ReviewID: r.ID, Outcome: store.OutcomeApprove, Actor: store.SystemActor}); err == nil {
			t.Fatal("decision committed without its counters")
		}
		if err := st.DB.Exec("ALTER TABLE stats_daily_durations_gone RENAME TO stats_daily_durations").Error; err != nil {
			t.Fatal(err)
		}
		if got := events(t, st); len(got) != before {
			t.Fatalf("a rolled-back decision left events: %v", typesOf(got[before:]))
		}
		var deliveries int64
		if err := st.DB.Model(&store.WebhookDelivery{}).Count(&deliveries).Error; err != nil {
			t.Fatal(err)
		}
		if deliveries != int64(before) {
			t.Fatalf("%d deliveries for %d events", deliveries, before)
		}
		if _, err := st.Decide(ctx, store.DecideInput{ReviewID: r.ID, Outcome: store.OutcomeApprove, Actor: store.SystemActor}); err != nil {
			t.Fatal(err)
		}
		if got := typesOf(events(t, st, store.WebhookReviewDecided)); len(got) != 1 {
			t.Fatalf("decided events after the retry: %v", got)
		}
	})
}

func TestOutboxSLAEventsOncePerReviewAndThreshold(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		subscribeAll(t, st)
		if _, err := st.SetSetting(ctx, store.SystemActor, "", store.KeyBacklogThreshold, "1"); err != nil {
			t.Fatal(err)
		}
		old := storetest.FlaggedLead(t, st, "L1", store.TypeMessage)
		mid := storetest.FlaggedLead(t, st, "L2", store.TypeMessage)
		storetest.FlaggedLead(t, st, "L3", store.TypeMessage)
		now := store.Now()
		if err := st.DB.Exec("UPDATE reviews SET flagged_at = ? WHERE id = ?", now.Add(-30*time.Hour), old.ID).Error; err != nil {
			t.Fatal(err)
		}
		if err := st.DB.Exec("UPDATE reviews SET flagged_at = ? WHERE id = ?", now.Add(-13*time.Hour), mid.ID).Error; err != nil {
			t.Fatal(err)
		}
		for range 3 {
			if err := st.RunEventChecks(ctx); err != nil {
				t.Fatal(err)
			}
		}
		got := map[string][]float64{}
		for _, e := range events(t, st, store.WebhookSLAWarning, store.WebhookSLABreached, store.WebhookQueueBacklog, store.WebhookQueueReminder) {
			id, _ := e.Data["review_id"].(float64)
			got[e.Type] = append(got[e.Type], id)
		}
		if !slices.Equal(got["sla.warning"], []float64{float64(old.ID), float64(mid.ID)}) || !slices.Equal(got["sla.breached"], []float64{float64(old.ID)}) {
			t.Fatalf("SLA events: %v", got)
		}
		if len(got["queue.backlog"]) != 1 || len(got["queue.reminder"]) != 1 {
			t.Fatalf("backlog and reminder events: %v", got)
		}
	})
}

// A lead updated to or from lost changes its eligibility; other updates
// and a lead under review do not.
func TestOutboxEligibilityOfLeadUpdates(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		subscribeAll(t, st)
		set := func(ext, status string) {
			t.Helper()
			if _, _, err := st.UpsertLead(ctx, store.LeadInput{ExternalID: ext, Status: &status}); err != nil {
				t.Fatal(err)
			}
		}
		set("L1", "new")
		set("L1", "contacted")
		set("L1", "lost")
		set("L1", "new")
		storetest.FlaggedLead(t, st, "L2", store.TypeMessage)
		set("L2", "lost")
		var got []string
		for _, e := range events(t, st, store.WebhookEligibilityChanged) {
			if e.Data["cause"] == "lead.updated" {
				got = append(got, e.Data["old"].(map[string]any)["reason"].(string)+">"+e.Data["new"].(map[string]any)["reason"].(string))
			}
		}
		if want := []string{"ok>" + store.EligibleLeadLost, store.EligibleLeadLost + ">ok"}; !slices.Equal(got, want) {
			t.Fatalf("eligibility changes of lead updates: %v, want %v", got, want)
		}
	})
}

// The hourly digest: once per hour while a review waits past the warning
// age, none while nothing does.
func TestOutboxReminderOnlyWhileWaiting(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		if _, _, err := st.CreateWebhook(ctx, store.SystemActor, "", store.WebhookInput{URL: "https://chat.example.com/hook",
			Events: []string{store.WebhookQueueReminder}, Kind: store.WebhookKindChat}); err != nil {
			t.Fatal(err)
		}
		r := storetest.FlaggedLead(t, st, "L1", store.TypeMessage)
		for range 2 {
			if err := st.RunEventChecks(ctx); err != nil {
				t.Fatal(err)
			}
		}
		if got := events(t, st); len(got) != 0 {
			t.Fatalf("a reminder while nothing waits past the warning age: %v", typesOf(got))
		}
		if err := st.DB.Exec("UPDATE reviews SET flagged_at = ? WHERE id = ?", store.Now().Add(-13*time.Hour), r.ID).Error; err != nil {
			t.Fatal(err)
		}
		for range 3 {
			if err := st.RunEventChecks(ctx); err != nil {
				t.Fatal(err)
			}
		}
		got := events(t, st)
		if len(got) != 1 || got[0].Data["waiting_past_warning"] != float64(1) {
			t.Fatalf("reminders in one hour: %v", got)
		}
	})
}

// TestOutboxUndone: an undone decision sends review.undone naming who undid
// it, and the lead's eligibility change back to pending_review, in the
// undo's transaction.
func TestOutboxUndone(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		subscribeAll(t, st)
		ann := store.Actor{Type: store.ActorOperator, ID: 101, Name: "Ann"}
		rv := storetest.FlaggedLead(t, st, "UNDO-EV", store.TypeMessage)
		if _, err := st.Decide(ctx, store.DecideInput{ReviewID: rv.ID, Outcome: store.OutcomeApprove, Actor: ann}); err != nil {
			t.Fatal(err)
		}
		if _, err := st.Undo(ctx, rv.ID, ann); err != nil {
			t.Fatal(err)
		}
		undone := events(t, st, store.WebhookReviewUndone)
		if len(undone) != 1 || undone[0].Data["from_status"] != store.StatusApproved ||
			undone[0].Data["undone_by"].(map[string]any)["name"] != "Ann" || undone[0].Data["status"] != store.StatusPending {
			t.Fatalf("review.undone events: %+v", undone)
		}
		elig := events(t, st, store.WebhookEligibilityChanged)
		last := elig[len(elig)-1].Data
		if last["cause"] != store.WebhookReviewUndone || last["old"].(map[string]any)["reason"] != store.EligibleOK ||
			last["new"].(map[string]any)["reason"] != store.EligibleReviewOpen {
			t.Fatalf("eligibility after the undo: %v", last)
		}
	})
}
