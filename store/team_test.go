package store_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"reviewq/store"
	"reviewq/store/storetest"
)

func teamActor(op *store.Operator) store.Actor {
	return store.Actor{Type: store.ActorOperator, ID: op.ID, Name: op.Name}
}

func teamChange(id int64, op *store.Operator) store.TeamChange {
	return store.TeamChange{ReviewID: id, Actor: teamActor(op)}
}

// listIDs is the ids of the pending reviews that pass f.
func listIDs(t *testing.T, st *store.Store, f store.QueueFilter) []int64 {
	t.Helper()
	items, _, err := st.ListPending(context.Background(), f)
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for _, it := range items {
		ids = append(ids, it.ID)
	}
	return ids
}

func has(ids []int64, id int64) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

func historyKinds(t *testing.T, st *store.Store, id int64) []string {
	t.Helper()
	_, events, err := st.GetReview(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, e := range events {
		kinds = append(kinds, e.Kind)
	}
	return kinds
}

func TestAssignRules(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		lead := storetest.Operator(t, st, "lead@example.com", store.RoleLead)
		ann := storetest.Operator(t, st, "ann@example.com", store.RoleOperator)
		bob := storetest.Operator(t, st, "bob@example.com", store.RoleOperator)
		r := storetest.FlaggedLead(t, st, "as-1", store.TypeMessage)
		other := storetest.FlaggedLead(t, st, "as-2", store.TypeMessage)

		// An operator cannot assign someone else.
		_, err := st.Assign(ctx, store.AssignInput{TeamChange: teamChange(r.ID, ann), AssigneeEmail: bob.Email})
		var fe *store.ForbiddenError
		if !errors.As(err, &fe) {
			t.Fatalf("operator assigning another: %v, want ForbiddenError", err)
		}
		// A lead assigns anyone; the review shows in that operator's filter.
		got, err := st.Assign(ctx, store.AssignInput{TeamChange: teamChange(r.ID, lead), AssigneeEmail: "BOB@example.com"})
		if err != nil {
			t.Fatal(err)
		}
		if got.AssigneeID == nil || *got.AssigneeID != bob.ID || got.Version != r.Version+1 {
			t.Fatalf("assigned review: %+v", got)
		}
		if ids := listIDs(t, st, store.QueueFilter{AssigneeID: bob.ID}); len(ids) != 1 || ids[0] != r.ID {
			t.Errorf("bob's reviews: %v, want [%d]", ids, r.ID)
		}
		if ids := listIDs(t, st, store.QueueFilter{Unassigned: true}); len(ids) != 1 || ids[0] != other.ID {
			t.Errorf("unassigned reviews: %v, want [%d]", ids, other.ID)
		}
		// Ann cannot take Bob's review (409), but takes an unassigned one.
		var ce *store.ConflictError
		if _, err := st.Assign(ctx, store.AssignInput{TeamChange: teamChange(r.ID, ann), AssigneeEmail: ann.Email}); !errors.As(err, &ce) {
			t.Errorf("taking an assigned review: %v, want ConflictError", err)
		}
		if _, err := st.Assign(ctx, store.AssignInput{TeamChange: teamChange(other.ID, ann), AssigneeEmail: ann.Email}); err != nil {
			t.Fatalf("taking an unassigned review: %v", err)
		}
		// Bob gives his back; Ann cannot clear Bob's (he has none now) nor another's.
		if _, err := st.Assign(ctx, store.AssignInput{TeamChange: teamChange(r.ID, bob)}); err != nil {
			t.Fatalf("giving back: %v", err)
		}
		if _, err := st.Assign(ctx, store.AssignInput{TeamChange: teamChange(other.ID, bob)}); !errors.As(err, &fe) {
			t.Errorf("clearing another's assignment: %v, want ForbiddenError", err)
		}
		// An unknown or inactive assignee is bad input.
		var ve *store.ValidationError
		if _, err := st.Assign(ctx, store.AssignInput{TeamChange: teamChange(r.ID, lead), AssigneeEmail: "nobody@example.com"}); !errors.As(err, &ve) {
			t.Errorf("unknown assignee: %v, want ValidationError", err)
		}
		// A stale version is a conflict.
		cur, _, _ := st.GetReview(ctx, r.ID)
		in := store.AssignInput{TeamChange: teamChange(r.ID, lead), AssigneeEmail: ann.Email}
		in.ExpectedVersion = cur.Review.Version - 1
		if _, err := st.Assign(ctx, in); !errors.As(err, &ce) {
			t.Errorf("stale version: %v, want ConflictError", err)
		}
		if kinds := historyKinds(t, st, r.ID); !containsAll(kinds, store.EventAssigned, store.EventUnassigned) {
			t.Errorf("history %v lacks assigned/unassigned", kinds)
		}
		entries, _, err := st.ListAudit(ctx, store.AuditFilter{Action: "review.assign"})
		if err != nil {
			t.Fatal(err)
		}
		if len(entries) != 3 {
			t.Errorf("audit has %d review.assign entries, want 3", len(entries))
		}
	})
}

func containsAll(have []string, want ...string) bool {
	for _, w := range want {
		found := false
		for _, h := range have {
			found = found || h == w
		}
		if !found {
			return false
		}
	}
	return true
}

// TestTakeConcurrently: two operators take one unassigned review at once;
// exactly one gets it, the other a conflict.
func TestTakeConcurrently(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		ops := []*store.Operator{
			storetest.Operator(t, st, "c1@example.com", store.RoleOperator),
			storetest.Operator(t, st, "c2@example.com", store.RoleOperator),
		}
		r := storetest.FlaggedLead(t, st, "cc-1", store.TypeMessage)
		errs := make([]error, len(ops))
		var wg sync.WaitGroup
		for i, op := range ops {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = st.Assign(ctx, store.AssignInput{TeamChange: teamChange(r.ID, op), AssigneeEmail: op.Email})
			}()
		}
		wg.Wait()
		ok, conflicts := 0, 0
		for _, err := range errs {
			var ce *store.ConflictError
			switch {
			case err == nil:
				ok++
			case errors.As(err, &ce):
				conflicts++
			default:
				t.Fatalf("take: %v", err)
			}
		}
		if ok != 1 || conflicts != 1 {
			t.Errorf("%d took it and %d got a conflict, want 1 and 1", ok, conflicts)
		}
	})
}

func TestEscalationRoundTrip(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		lead := storetest.Operator(t, st, "lead@example.com", store.RoleLead)
		ann := storetest.Operator(t, st, "ann@example.com", store.RoleOperator)
		r := storetest.FlaggedLead(t, st, "esc-1", store.TypePricing)
		if _, err := st.Claim(ctx, r.ID, teamActor(ann)); err != nil {
			t.Fatal(err)
		}
		var ve *store.ValidationError
		if _, err := st.Escalate(ctx, teamChange(r.ID, ann), "  "); !errors.As(err, &ve) {
			t.Fatalf("escalate without a note: %v, want ValidationError", err)
		}
		got, err := st.Escalate(ctx, teamChange(r.ID, ann), "discount over 30%, needs a lead")
		if err != nil {
			t.Fatal(err)
		}
		if got.EscalatedAt == nil || deref(got.EscalationNote) != "discount over 30%, needs a lead" || got.ClaimedBy != nil {
			t.Fatalf("escalated review: %+v", got)
		}
		if has(listIDs(t, st, store.QueueFilter{}), r.ID) {
			t.Error("an escalated review is in the default view")
		}
		if !has(listIDs(t, st, store.QueueFilter{State: store.StateEscalated}), r.ID) {
			t.Error("the escalated review is not in the Escalated view")
		}
		if qs := queueStats(t, st); qs.Escalated != 1 || qs.TotalPending != 1 {
			t.Errorf("stats: %d escalated of %d pending, want 1 of 1", qs.Escalated, qs.TotalPending)
		}
		var ce *store.ConflictError
		if _, err := st.Escalate(ctx, teamChange(r.ID, ann), "again"); !errors.As(err, &ce) {
			t.Errorf("escalating twice: %v, want ConflictError", err)
		}
		var fe *store.ForbiddenError
		if _, err := st.SendBack(ctx, teamChange(r.ID, ann)); !errors.As(err, &fe) {
			t.Errorf("an operator sending back: %v, want ForbiddenError", err)
		}
		if _, err := st.SendBack(ctx, teamChange(r.ID, lead)); err != nil {
			t.Fatal(err)
		}
		if !has(listIDs(t, st, store.QueueFilter{}), r.ID) {
			t.Error("a review sent back is not in the default view")
		}
		// Escalated again, the lead decides it.
		if _, err := st.Escalate(ctx, teamChange(r.ID, ann), "still unsure"); err != nil {
			t.Fatal(err)
		}
		if _, err := st.Decide(ctx, store.DecideInput{ReviewID: r.ID, Outcome: "approve", Actor: teamActor(lead)}); err != nil {
			t.Fatalf("lead deciding the escalated review: %v", err)
		}
		if kinds := historyKinds(t, st, r.ID); !containsAll(kinds, store.EventEscalated, store.EventSentBack, store.EventApproved) {
			t.Errorf("history %v", kinds)
		}
	})
}

func TestSnoozeExpires(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		ann := storetest.Operator(t, st, "ann@example.com", store.RoleOperator)
		r := storetest.FlaggedLead(t, st, "sn-1", store.TypeMessage)
		var ve *store.ValidationError
		for name, bad := range map[string]struct {
			until  time.Time
			reason string
		}{
			"past":           {store.Now().Add(-time.Minute), "needs_info"},
			"too far":        {store.Now().Add(31 * 24 * time.Hour), "needs_info"},
			"no reason":      {store.Now().Add(time.Hour), ""},
			"unknown reason": {store.Now().Add(time.Hour), "lunch"},
		} {
			if _, err := st.Snooze(ctx, teamChange(r.ID, ann), bad.until, bad.reason); !errors.As(err, &ve) {
				t.Errorf("%s: %v, want ValidationError", name, err)
			}
		}
		until := store.Now().Add(time.Hour)
		got, err := st.Snooze(ctx, teamChange(r.ID, ann), until, "waiting_on_customer")
		if err != nil {
			t.Fatal(err)
		}
		if got.SnoozedUntil == nil || !got.SnoozedUntil.Equal(until) || deref(got.SnoozeReason) != "waiting_on_customer" {
			t.Fatalf("snoozed review: %+v", got)
		}
		if has(listIDs(t, st, store.QueueFilter{}), r.ID) || has(listIDs(t, st, store.QueueFilter{SkipClaimedFor: ann.ID}), r.ID) {
			t.Error("a snoozed review is in the default view or next")
		}
		if !has(listIDs(t, st, store.QueueFilter{State: store.StateSnoozed}), r.ID) {
			t.Error("the snoozed review is not in the Snoozed view")
		}
		if qs := queueStats(t, st); qs.Snoozed != 1 {
			t.Errorf("stats: %d snoozed, want 1", qs.Snoozed)
		}
		// The clock moves past the snooze: the review is back by itself.
		if err := st.DB.Model(&store.Review{}).Where("id = ?", r.ID).Update("snoozed_until", store.Now().Add(-time.Second)).Error; err != nil {
			t.Fatal(err)
		}
		st.InvalidateReadCache()
		if !has(listIDs(t, st, store.QueueFilter{}), r.ID) {
			t.Error("a review whose snooze has passed is not back in the default view")
		}
		if has(listIDs(t, st, store.QueueFilter{State: store.StateSnoozed}), r.ID) {
			t.Error("a review whose snooze has passed is still in the Snoozed view")
		}
		if qs := queueStats(t, st); qs.Snoozed != 0 {
			t.Errorf("stats after the snooze ran out: %d snoozed, want 0", qs.Snoozed)
		}
		var ce *store.ConflictError
		if _, err := st.Unsnooze(ctx, teamChange(r.ID, ann)); !errors.As(err, &ce) {
			t.Errorf("unsnoozing a review no longer snoozed: %v, want ConflictError", err)
		}
		// Snoozed again and woken by hand.
		if _, err := st.Snooze(ctx, teamChange(r.ID, ann), store.Now().Add(2*time.Hour), "other"); err != nil {
			t.Fatal(err)
		}
		if _, err := st.Unsnooze(ctx, teamChange(r.ID, ann)); err != nil {
			t.Fatal(err)
		}
		if !has(listIDs(t, st, store.QueueFilter{}), r.ID) {
			t.Error("an unsnoozed review is not in the default view")
		}
		if kinds := historyKinds(t, st, r.ID); !containsAll(kinds, store.EventSnoozed, store.EventUnsnoozed) {
			t.Errorf("history %v", kinds)
		}
		// An escalated review is the leads' and cannot be snoozed.
		if _, err := st.Escalate(ctx, teamChange(r.ID, ann), "help"); err != nil {
			t.Fatal(err)
		}
		if _, err := st.Snooze(ctx, teamChange(r.ID, ann), store.Now().Add(time.Hour), "other"); !errors.As(err, &ce) {
			t.Errorf("snoozing an escalated review: %v, want ConflictError", err)
		}
	})
}

// queueStats is the API's queue summary, read fresh.
func queueStats(t *testing.T, st *store.Store) store.QueueStats {
	t.Helper()
	st.InvalidateReadCache()
	qs, err := st.QueueStats(context.Background(), 12*time.Hour, 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return qs
}

// TestTeamWebhookEvents: each team action writes its event in its
// transaction, with the typed actor and what changed.
func TestTeamWebhookEvents(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		subscribeAll(t, st)
		lead := storetest.Operator(t, st, "lead@example.com", store.RoleLead)
		ann := storetest.Operator(t, st, "ann@example.com", store.RoleOperator)
		r := storetest.FlaggedLead(t, st, "wh-1", store.TypeMessage)
		if _, err := st.Assign(ctx, store.AssignInput{TeamChange: teamChange(r.ID, lead), AssigneeEmail: ann.Email}); err != nil {
			t.Fatal(err)
		}
		until := store.Now().Add(time.Hour)
		if _, err := st.Snooze(ctx, teamChange(r.ID, ann), until, "needs_info"); err != nil {
			t.Fatal(err)
		}
		if _, err := st.Unsnooze(ctx, teamChange(r.ID, ann)); err != nil {
			t.Fatal(err)
		}
		if _, err := st.Escalate(ctx, teamChange(r.ID, ann), "help"); err != nil {
			t.Fatal(err)
		}
		if _, err := st.SendBack(ctx, teamChange(r.ID, lead)); err != nil {
			t.Fatal(err)
		}
		evs := events(t, st, store.WebhookReviewAssigned, store.WebhookReviewSnoozed, store.WebhookReviewEscalated)
		want := []string{"review.assigned", "review.snoozed", "review.snoozed", "review.escalated", "review.escalated"}
		if got := typesOf(evs); !slices.Equal(got, want) {
			t.Fatalf("events:\n got %v\nwant %v", got, want)
		}
		assigned := evs[0].Data
		if a, _ := assigned["assignee"].(map[string]any); a == nil || a["email"] != ann.Email || a["id"] != float64(ann.ID) {
			t.Errorf("review.assigned assignee: %v", assigned["assignee"])
		}
		if by, _ := assigned["assigned_by"].(map[string]any); by == nil || by["type"] != "operator" || by["id"] != float64(lead.ID) {
			t.Errorf("review.assigned assigned_by: %v", assigned["assigned_by"])
		}
		if evs[1].Data["reason_code"] != "needs_info" || evs[1].Data["snoozed_until"] == nil || evs[2].Data["snoozed_until"] != nil {
			t.Errorf("review.snoozed: %v then %v", evs[1].Data, evs[2].Data)
		}
		if evs[3].Data["escalated"] != true || evs[3].Data["note"] != "help" || evs[4].Data["escalated"] != false || evs[4].Data["sent_back_by"] == nil {
			t.Errorf("review.escalated: %v then %v", evs[3].Data, evs[4].Data)
		}
	})
}

// TestSnoozeReasonsSetting: the snooze reasons come from reasons.snooze.
func TestSnoozeReasonsSetting(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		admin := storetest.Operator(t, st, "admin@example.com", store.RoleAdmin)
		r := storetest.FlaggedLead(t, st, "sr-1", store.TypeMessage)
		if _, err := st.SetSetting(ctx, teamActor(admin), "", store.KeyReasonsSnooze, "vacation, other"); err != nil {
			t.Fatal(err)
		}
		st.InvalidateReadCache()
		var ve *store.ValidationError
		if _, err := st.Snooze(ctx, teamChange(r.ID, admin), store.Now().Add(time.Hour), "needs_info"); !errors.As(err, &ve) || !strings.Contains(ve.Message, "vacation, other") {
			t.Fatalf("a code no longer listed: %v", err)
		}
		if _, err := st.Snooze(ctx, teamChange(r.ID, admin), store.Now().Add(time.Hour), "vacation"); err != nil {
			t.Fatalf("a listed code: %v", err)
		}
	})
}
