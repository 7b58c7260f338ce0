package web_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"reviewq/store"
	"reviewq/store/storetest"
	"reviewq/web/webtest"
)

// TestQueueTeamActionsOverHTTP: an operator takes a review, escalates it
// with a note, a lead sees it under Escalated and sends it back; the
// operator snoozes it till tomorrow 09:00 and it leaves the queue until
// unsnoozed. Refusals show in the pane.
func TestQueueTeamActionsOverHTTP(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			env := webtest.Start(t, d)
			r := storetest.FlaggedLead(t, env.Store, "TQ", store.TypePricing)
			storetest.FlaggedLead(t, env.Store, "UX", store.TypeMessage)
			opC, op := env.LoggedIn(t, store.RoleOperator)
			leadC, _ := env.LoggedIn(t, store.RoleLead)
			other := storetest.Operator(t, env.Store, "other-op@example.com", store.RoleOperator)

			mustContain(t, "pane", opC.HTMX(http.MethodGet, reviewPath(r.ID, ""), nil).Body, "Not assigned", "Assign to me", "Escalate to a lead", "Snooze")
			mustContain(t, "take", opC.HTMX(http.MethodPost, reviewPath(r.ID, "assign"), webtest.Form("assignee", "me")).Body,
				"Assigned.", "Assigned to "+op.Name, "Clear assignment")
			mustContain(t, "my queue", opC.Get("/dashboard/review-queue?assignee=me").Body, "Lead TQ", "assigned to "+op.Name)
			// With a review assigned, "assigned to me" is the operator's default
			// view; anyone shows the rest too.
			if body := opC.Get("/dashboard/review-queue").Body; !strings.Contains(body, "Lead TQ") || strings.Contains(body, "Lead UX") {
				t.Error("the default view of an operator with an assigned review is not theirs")
			}
			mustContain(t, "anyone", opC.Get("/dashboard/review-queue?assignee=any").Body, "Lead TQ", "Lead UX")
			// An operator cannot assign another.
			if res := opC.HTMX(http.MethodPost, reviewPath(r.ID, "assign"), webtest.Form("assignee", other.Email)); res.Status != http.StatusForbidden || !strings.Contains(res.Body, "Not done") {
				t.Fatalf("operator assigning another: %d", res.Status)
			}
			// A lead's pane offers the active operators to assign to; an
			// operator's does not.
			mustContain(t, "lead's pane", leadC.HTMX(http.MethodGet, reviewPath(r.ID, ""), nil).Body,
				`<datalist id="assign-operators">`, `<option value="`+other.Email+`">`+other.Name+`</option>`)
			if strings.Contains(opC.HTMX(http.MethodGet, reviewPath(r.ID, ""), nil).Body, "assign-operators") {
				t.Error("an operator's pane offers to assign others")
			}
			// A lead reassigns by email.
			mustContain(t, "lead assigns", leadC.HTMX(http.MethodPost, reviewPath(r.ID, "assign"), webtest.Form("assignee", other.Email)).Body, "Assigned to "+other.Name)
			// Deciding someone else's review asks to confirm first.
			mustContain(t, "confirm", opC.HTMX(http.MethodGet, reviewPath(r.ID, ""), nil).Body, "This review is assigned to "+other.Name+". Approve it anyway?")

			// Escalation: a note is required; then it leaves the default view.
			if res := opC.HTMX(http.MethodPost, reviewPath(r.ID, "escalate"), webtest.Form("note", "")); res.Status != http.StatusBadRequest {
				t.Fatalf("escalate without note: %d", res.Status)
			}
			mustContain(t, "escalate", opC.HTMX(http.MethodPost, reviewPath(r.ID, "escalate"), webtest.Form("note", "discount too big?")).Body,
				"Escalated to the leads", "discount too big?")
			if strings.Contains(opC.Get("/dashboard/review-queue").Body, "Lead TQ") {
				t.Error("escalated review in the default queue")
			}
			mustContain(t, "escalated view", leadC.Get("/dashboard/review-queue?state=escalated").Body, "Lead TQ", "escalated: discount too big?")
			if res := opC.HTMX(http.MethodPost, reviewPath(r.ID, "sendback"), nil); res.Status != http.StatusForbidden {
				t.Fatalf("operator sending back: %d", res.Status)
			}
			mustContain(t, "send back", leadC.HTMX(http.MethodPost, reviewPath(r.ID, "sendback"), nil).Body, "Sent back")

			// Snooze till tomorrow 09:00 UTC.
			tomorrow := time.Now().UTC().AddDate(0, 0, 1)
			want := time.Date(tomorrow.Year(), tomorrow.Month(), tomorrow.Day(), 9, 0, 0, 0, time.UTC)
			mustContain(t, "snooze", opC.HTMX(http.MethodPost, reviewPath(r.ID, "snooze"), webtest.Form("preset", "tomorrow", "reason_code", "waiting_on_customer")).Body,
				"Snoozed until "+store.DisplayTime(want), "Unsnooze")
			if strings.Contains(opC.Get("/dashboard/review-queue").Body, "Lead TQ") {
				t.Error("snoozed review in the default queue")
			}
			mustContain(t, "snoozed view", opC.Get("/dashboard/review-queue?state=snoozed").Body, "Lead TQ", "snoozed until "+store.DisplayTime(want))
			if res := opC.HTMX(http.MethodPost, reviewPath(r.ID, "snooze"), webtest.Form("preset", "custom", "until", "yesterday", "reason_code", "other")); res.Status != http.StatusBadRequest {
				t.Fatalf("bad custom time: %d", res.Status)
			}
			mustContain(t, "unsnooze", opC.HTMX(http.MethodPost, reviewPath(r.ID, "unsnooze"), nil).Body, "Back in the queue")
			mustContain(t, "queue after unsnooze", opC.Get("/dashboard/review-queue").Body, "Lead TQ")
			mustContain(t, "history", opC.HTMX(http.MethodGet, reviewPath(r.ID, ""), nil).Body,
				"Assigned</strong>", "Escalated</strong>", "Sent back</strong>", "Snoozed</strong>", "Unsnoozed</strong>")
		})
	}
}
