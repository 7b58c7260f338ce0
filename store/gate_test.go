package store_test

import (
	"context"
	"testing"
	"time"

	"reviewq/store"
	"reviewq/store/storetest"
)

// messageLead creates a lead with a suggested message.
func messageLead(t *testing.T, st *store.Store, ext, subject, body string) *store.Lead {
	t.Helper()
	name := "Lead " + ext
	lead, _, err := st.UpsertLead(context.Background(), store.LeadInput{ExternalID: ext, Name: &name, MessageSubject: &subject, MessageBody: &body})
	if err != nil {
		t.Fatal(err)
	}
	return lead
}

func flagOf(t *testing.T, st *store.Store, leadID int64, typ string) *store.Review {
	t.Helper()
	res, err := st.Flag(context.Background(), leadID, store.FlagInput{ReviewType: typ, Reason: "sensitive outreach", Source: store.SourceAPI}, store.SystemActor)
	if err != nil {
		t.Fatal(err)
	}
	return res.Review
}

func decide(t *testing.T, st *store.Store, reviewID int64, outcome, code string) *store.Review {
	t.Helper()
	r, err := st.Decide(context.Background(), store.DecideInput{ReviewID: reviewID, Outcome: outcome, ReasonCode: code,
		Actor: store.Actor{Type: store.ActorOperator, ID: 7, Name: "Ana"}})
	if err != nil {
		t.Fatalf("%s review %d: %v", outcome, reviewID, err)
	}
	return r.Review
}

// wantEligibility checks the single and the batch answer (by id and by
// external id) agree on reason.
func wantEligibility(t *testing.T, st *store.Store, lead *store.Lead, reason string) store.Eligibility {
	t.Helper()
	ctx := context.Background()
	one, err := st.EligibilityOf(ctx, lead.ID)
	if err != nil {
		t.Fatal(err)
	}
	byExt, err := st.EligibilityOfExternalID(ctx, lead.ExternalID)
	if err != nil {
		t.Fatal(err)
	}
	batch, err := st.EligibilityByIDs(ctx, []int64{lead.ID})
	if err != nil {
		t.Fatal(err)
	}
	batchExt, err := st.EligibilityByExternalIDs(ctx, []string{lead.ExternalID})
	if err != nil {
		t.Fatal(err)
	}
	for i, e := range []store.Eligibility{*one, *byExt, batch[0], batchExt[0]} {
		if e.Reason != reason || e.Eligible != (reason == store.EligibleOK) || e.Message == "" {
			t.Fatalf("lead %s answer %d: %+v, want reason %s", lead.ExternalID, i, e, reason)
		}
	}
	return *one
}

func countRows(t *testing.T, st *store.Store, table, where string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := st.DB.Table(table).Where(where, args...).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

func TestApprovalIsBoundToTheMessage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		lead := messageLead(t, st, "G-1", "Quick idea", "Hi Dana, 10% off.")
		r := flagOf(t, st, lead.ID, store.TypeMessage)
		wantEligibility(t, st, lead, store.EligibleReviewOpen)
		approved := decide(t, st, r.ID, store.OutcomeApprove, "")
		if approved.DecisionFingerprint == nil || *approved.DecisionFingerprint != store.MessageFingerprint("Quick idea", ptr("Hi Dana, 10% off.")) {
			t.Fatalf("decision fingerprint: %v", approved.DecisionFingerprint)
		}
		wantEligibility(t, st, lead, store.EligibleOK)

		// An identical upsert changes nothing: no review, no event, same row.
		before, _ := st.GetLead(ctx, lead.ID)
		events := countRows(t, st, "review_events", "lead_id = ?", lead.ID)
		same := messageLead(t, st, "G-1", "Quick idea", "Hi Dana, 10% off.")
		after, _ := st.GetLead(ctx, lead.ID)
		if !after.UpdatedAt.Equal(before.UpdatedAt) || same.RequiresHumanReview {
			t.Fatalf("identical upsert wrote the lead: %v → %v", before.UpdatedAt, after.UpdatedAt)
		}
		if n := countRows(t, st, "reviews", "lead_id = ?", lead.ID); n != 1 {
			t.Fatalf("identical upsert: %d reviews", n)
		}
		if n := countRows(t, st, "review_events", "lead_id = ?", lead.ID); n != events {
			t.Fatalf("identical upsert wrote history: %d → %d events", events, n)
		}
		wantEligibility(t, st, lead, store.EligibleOK)
		// Other fields are not what was approved: a new name changes nothing.
		other := "Dana R."
		if _, _, err := st.UpsertLead(ctx, store.LeadInput{ExternalID: "G-1", Name: &other}); err != nil {
			t.Fatal(err)
		}
		wantEligibility(t, st, lead, store.EligibleOK)

		// The engine sends another body: the approval no longer stands.
		changed := messageLead(t, st, "G-1", "Quick idea", "Hi Dana, 50% off!")
		if !changed.RequiresHumanReview || changed.ReviewType == nil || *changed.ReviewType != store.TypeMessage {
			t.Fatalf("changed lead not flagged in the answer: %+v", changed)
		}
		e := wantEligibility(t, st, lead, store.EligibleChanged)
		open, err := st.OpenReviewOfLead(ctx, lead.ID)
		if err != nil {
			t.Fatal(err)
		}
		if open.Source != store.SourceChange || open.Reason != store.ChangedReason || open.ReviewType != store.TypeMessage || e.TaskID == nil || *e.TaskID != open.ID {
			t.Fatalf("change review: %+v", open)
		}
		page, _, err := st.LeadHistory(ctx, lead.ID, 0, 20)
		if err != nil {
			t.Fatal(err)
		}
		body := page[0].Changes["message_body"]
		if page[0].ID != open.ID || body.Old != "Hi Dana, 10% off." || body.New != "Hi Dana, 50% off!" || len(page[0].Changes) != 1 {
			t.Fatalf("diff: %+v", page[0])
		}

		// Approving the new text makes it eligible; going back to the old
		// text is a change again.
		decide(t, st, open.ID, store.OutcomeApprove, "")
		wantEligibility(t, st, lead, store.EligibleOK)
		messageLead(t, st, "G-1", "Quick idea", "Hi Dana, 10% off.")
		wantEligibility(t, st, lead, store.EligibleChanged)
	})
}

func ptr(s string) *string { return &s }

func TestEditedApprovalAndChangesUnderReview(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		lead := messageLead(t, st, "G-2", "Hello", "draft")
		r := flagOf(t, st, lead.ID, store.TypeMessage)

		// The message changes while the review is open: the review's
		// version goes up, so a decision prepared on the old text is refused.
		messageLead(t, st, "G-2", "Hello", "draft two")
		if _, err := st.Decide(ctx, store.DecideInput{ReviewID: r.ID, Outcome: store.OutcomeApprove, ExpectedVersion: r.Version, Actor: store.SystemActor}); err == nil {
			t.Fatal("approval of the text before the change was accepted")
		}
		if n := countRows(t, st, "review_events", "review_id = ? AND kind = ?", r.ID, store.EventChanged); n != 1 {
			t.Fatalf("changed events: %d", n)
		}
		wantEligibility(t, st, lead, store.EligibleReviewOpen)

		// Approved with an edit: the edit is what was approved.
		edited := "final text"
		if _, err := st.Decide(ctx, store.DecideInput{ReviewID: r.ID, Outcome: store.OutcomeApprove, Body: &edited, Actor: store.SystemActor}); err != nil {
			t.Fatal(err)
		}
		messageLead(t, st, "G-2", "Hello", "final text") // what the lead now holds
		wantEligibility(t, st, lead, store.EligibleOK)
		messageLead(t, st, "G-2", "Hello", "draft two") // the engine's old draft again
		wantEligibility(t, st, lead, store.EligibleChanged)

		// Reject → the engine resets the status: still not eligible.
		open, _ := st.OpenReviewOfLead(ctx, lead.ID)
		decide(t, st, open.ID, store.OutcomeReject, "do_not_contact")
		wantEligibility(t, st, lead, store.EligibleRejected)
		status := "new"
		if _, _, err := st.UpsertLead(ctx, store.LeadInput{ExternalID: "G-2", Status: &status, MessageBody: ptr("yet another")}); err != nil {
			t.Fatal(err)
		}
		wantEligibility(t, st, lead, store.EligibleRejected)
		if n := countRows(t, st, "reviews", "lead_id = ? AND status = ?", lead.ID, store.StatusPending); n != 0 {
			t.Fatalf("a rejected lead got a change review: %d pending", n)
		}
	})
}

func TestEligibilityReasons(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		fresh := messageLead(t, st, "R-ok", "s", "b")
		pending := messageLead(t, st, "R-pending", "s", "b")
		flagOf(t, st, pending.ID, store.TypePricing)
		rejected := messageLead(t, st, "R-rejected", "s", "b")
		decide(t, st, flagOf(t, st, rejected.ID, store.TypeMessage).ID, store.OutcomeReject, "not_a_fit")
		skipped := messageLead(t, st, "R-skipped", "s", "b")
		decide(t, st, flagOf(t, st, skipped.ID, store.TypeMessage).ID, store.OutcomeSkip, "not_now")
		lostStatus := "lost"
		lost, _, err := st.UpsertLead(ctx, store.LeadInput{ExternalID: "R-lost", Status: &lostStatus})
		if err != nil {
			t.Fatal(err)
		}
		changed := messageLead(t, st, "R-changed", "s", "b")
		decide(t, st, flagOf(t, st, changed.ID, store.TypeMessage).ID, store.OutcomeApprove, "")
		messageLead(t, st, "R-changed", "s", "b2")
		// Approved, then the engine marks it lost: lost.
		approvedLost := messageLead(t, st, "R-approved-lost", "s", "b")
		decide(t, st, flagOf(t, st, approvedLost.ID, store.TypeProposal).ID, store.OutcomeApprove, "")
		if _, _, err := st.UpsertLead(ctx, store.LeadInput{ExternalID: "R-approved-lost", Status: &lostStatus}); err != nil {
			t.Fatal(err)
		}
		// A rejected lead flagged again and approved: ok is not right while
		// the status is lost; the later approval wins over the reject.
		cases := []struct {
			lead   *store.Lead
			reason string
		}{{fresh, store.EligibleOK}, {pending, store.EligibleReviewOpen}, {rejected, store.EligibleRejected},
			{skipped, store.EligibleSkipped}, {lost, store.EligibleLeadLost}, {changed, store.EligibleChanged}, {approvedLost, store.EligibleLeadLost}}
		ids := make([]int64, 0, len(cases)+1)
		for _, c := range cases {
			wantEligibility(t, st, c.lead, c.reason)
			ids = append(ids, c.lead.ID)
		}
		// A reopened reject no longer stands: pending, then the new decision.
		reopened := messageLead(t, st, "R-reopened", "s", "b")
		rr := flagOf(t, st, reopened.ID, store.TypeMessage)
		decide(t, st, rr.ID, store.OutcomeReject, "bad_data")
		wantEligibility(t, st, reopened, store.EligibleRejected)
		if _, err := st.Reopen(ctx, rr.ID, store.SystemActor, ""); err != nil {
			t.Fatal(err)
		}
		wantEligibility(t, st, reopened, store.EligibleReviewOpen)
		decide(t, st, rr.ID, store.OutcomeApprove, "")
		wantEligibility(t, st, reopened, store.EligibleOK)
		ids = append(ids, 987654)
		batch, err := st.EligibilityByIDs(ctx, ids)
		if err != nil {
			t.Fatal(err)
		}
		for i, c := range cases {
			if batch[i].Reason != c.reason || batch[i].LeadID != c.lead.ID {
				t.Fatalf("batch[%d] = %+v, want %s", i, batch[i], c.reason)
			}
		}
		if last := batch[len(batch)-1]; last.Reason != store.EligibleUnknownLead || last.Eligible {
			t.Fatalf("unknown lead: %+v", last)
		}
	})
}

func TestCooldownHoldsBackAutomaticFlags(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		lead := messageLead(t, st, "C-1", "s", "b")
		af, err := st.RecordScore(ctx, lead.ID, 97, store.SystemActor)
		if err != nil || !af.Flagged || !af.Created {
			t.Fatalf("first score: %+v %v", af, err)
		}
		decide(t, st, af.Review.ID, store.OutcomeApprove, "")

		// Scored 97 again the next minute: held back, recorded, still ok.
		again, err := st.RecordScore(ctx, lead.ID, 98, store.SystemActor)
		if err != nil {
			t.Fatal(err)
		}
		if again.Flagged || !again.HeldBack || again.HoldReason != store.HoldCooldown || again.DecidedReview == nil || again.DecidedReview.ID != af.Review.ID {
			t.Fatalf("score in the same band: %+v", again)
		}
		if l, _ := st.GetLead(ctx, lead.ID); l.Score != 98 {
			t.Fatalf("held-back score not recorded: %d", l.Score)
		}
		wantEligibility(t, st, lead, store.EligibleOK)
		if n := countRows(t, st, "review_events", "kind = ? AND lead_id = ?", store.EventHeldBack, lead.ID); n != 1 {
			t.Fatalf("held-back events: %d", n)
		}
		qs, err := st.QueueStats(ctx, 12*time.Hour, 24*time.Hour)
		if err != nil || qs.HeldBack24h != 1 {
			t.Fatalf("stats held back: %+v %v", qs, err)
		}

		// The quality rule: an issue the decision did not see reopens it.
		q, err := st.RecordQuality(ctx, lead.ID, []store.QualityIssue{{Code: "pricing_promise", Severity: "high"}}, store.SystemActor)
		if err != nil || !q.Flagged || !q.Created {
			t.Fatalf("new quality issue: %+v %v", q, err)
		}
		wantEligibility(t, st, lead, store.EligibleReviewOpen)
		decide(t, st, q.Review.ID, store.OutcomeApprove, "")
		q, err = st.RecordQuality(ctx, lead.ID, []store.QualityIssue{{Code: "pricing_promise", Severity: "critical"}, {Code: "typo", Severity: "low"}}, store.SystemActor)
		if err != nil || q.Flagged || !q.HeldBack {
			t.Fatalf("same quality issue: %+v %v", q, err)
		}
		q, err = st.RecordQuality(ctx, lead.ID, []store.QualityIssue{{Code: "legal_claim", Severity: "high"}}, store.SystemActor)
		if err != nil || !q.Flagged {
			t.Fatalf("another new quality issue: %+v %v", q, err)
		}
		decide(t, st, q.Review.ID, store.OutcomeApprove, "")

		// A higher score band than at the decision reopens it.
		low := messageLead(t, st, "C-2", "s", "b")
		af, err = st.RecordScore(ctx, low.ID, 92, store.SystemActor)
		if err != nil || !af.Flagged {
			t.Fatal(af, err)
		}
		decide(t, st, af.Review.ID, store.OutcomeReject, "not_a_fit")
		if af, err = st.RecordScore(ctx, low.ID, 95, store.SystemActor); err != nil || !af.HeldBack {
			t.Fatalf("same band 91–95: %+v %v", af, err)
		}
		if af, err = st.RecordScore(ctx, low.ID, 96, store.SystemActor); err != nil || !af.Flagged || af.HeldBack {
			t.Fatalf("higher band 96–100: %+v %v", af, err)
		}

		// A manual flag during the cool-down always opens a review.
		manual := messageLead(t, st, "C-3", "s", "b")
		af, _ = st.RecordScore(ctx, manual.ID, 99, store.SystemActor)
		decide(t, st, af.Review.ID, store.OutcomeApprove, "")
		res, err := st.Flag(ctx, manual.ID, store.FlagInput{ReviewType: store.TypeAction, Reason: "call first", Source: store.SourceManual}, store.SystemActor)
		if err != nil || !res.Created {
			t.Fatalf("manual flag in the cool-down: %+v %v", res, err)
		}
		decide(t, st, res.Review.ID, store.OutcomeApprove, "")

		// Past the window, the rule flags again.
		if err := st.DB.Exec("UPDATE reviews SET decided_at = ? WHERE lead_id = ?", store.Now().Add(-73*time.Hour), manual.ID).Error; err != nil {
			t.Fatal(err)
		}
		if af, err = st.RecordScore(ctx, manual.ID, 99, store.SystemActor); err != nil || !af.Flagged {
			t.Fatalf("after the cool-down: %+v %v", af, err)
		}

		// Turned off: the rule flags at once.
		off := messageLead(t, st, "C-4", "s", "b")
		af, _ = st.RecordScore(ctx, off.ID, 99, store.SystemActor)
		decide(t, st, af.Review.ID, store.OutcomeApprove, "")
		if _, err := st.SetSetting(ctx, store.SystemActor, "", store.KeyCooldownHours, "0"); err != nil {
			t.Fatal(err)
		}
		if af, err = st.RecordScore(ctx, off.ID, 99, store.SystemActor); err != nil || !af.Flagged {
			t.Fatalf("cool-down off: %+v %v", af, err)
		}
	})
}

func TestLeadHistoryPages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		lead := messageLead(t, st, "H-1", "s", "b")
		first := flagOf(t, st, lead.ID, store.TypeMessage)
		decide(t, st, first.ID, store.OutcomeReject, "do_not_contact")
		second := flagOf(t, st, lead.ID, store.TypePricing)
		decide(t, st, second.ID, store.OutcomeApprove, "")
		third := flagOf(t, st, lead.ID, store.TypeProposal)
		page, next, err := st.LeadHistory(ctx, lead.ID, 0, 2)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) != 2 || page[0].ID != third.ID || page[1].ID != second.ID || next != second.ID {
			t.Fatalf("first page: %+v next %d", page, next)
		}
		cur, err := store.ParseHistoryCursor(store.EncodeHistoryCursor(next))
		if err != nil || cur != next {
			t.Fatalf("cursor: %d %v", cur, err)
		}
		page, next, err = st.LeadHistory(ctx, lead.ID, cur, 2)
		if err != nil || len(page) != 1 || page[0].ID != first.ID || next != 0 {
			t.Fatalf("last page: %+v next %d %v", page, next, err)
		}
		if page[0].Status != store.StatusRejected || *page[0].ReasonCode != "do_not_contact" || *page[0].DecidedByName != "Ana" {
			t.Fatalf("rejected review: %+v", page[0])
		}
		for _, bad := range []string{"x", "aDA", store.EncodeHistoryCursor(1) + "%"} {
			if _, err := store.ParseHistoryCursor(bad); err != store.ErrBadCursor {
				t.Fatalf("cursor %q: %v", bad, err)
			}
		}
	})
}
