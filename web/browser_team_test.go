package web_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"reviewq/store"
	"reviewq/store/storetest"
	"reviewq/web/webtest"
)

// TestBrowserTeamPane: in a real browser an operator takes a review,
// snoozes it till tomorrow 09:00 UTC, wakes it, and escalates it with a
// note; each shows in the pane and in the database.
func TestBrowserTeamPane(t *testing.T) {
	ctx := webtest.Browser(t)
	env := webtest.Start(t, store.SQLite)
	st := env.Store
	r := storetest.FlaggedLead(t, st, "team", store.TypePricing)
	op := storetest.Operator(t, st, "tess@example.com", store.RoleOperator)
	webtest.BrowserLogin(t, ctx, env.URL, op.Email, storetest.Password("operator"))
	review := func() store.Review {
		rl, _, err := st.GetReview(context.Background(), r.ID)
		if err != nil {
			t.Fatal(err)
		}
		return rl.Review
	}

	wait(ctx, t, "open the review",
		chromedp.Navigate(fmt.Sprintf("%s/dashboard/review-queue/%d", env.URL, r.ID)),
		chromedp.WaitVisible(paneOf(r.ID)+" .team"))
	wait(ctx, t, "assign to me",
		chromedp.Click(`.team form[hx-post$="/assign"] button`),
		chromedp.WaitVisible(`.team .assignee`))
	if got := review(); got.AssigneeID == nil || *got.AssigneeID != op.ID {
		t.Fatalf("assignee after 'Assign to me': %v", got.AssigneeID)
	}

	wait(ctx, t, "snooze till tomorrow",
		chromedp.Click(`details.snooze summary`),
		chromedp.Click(`details.snooze input[value="tomorrow"]`),
		chromedp.Click(`details.snooze button[type=submit]`),
		chromedp.WaitVisible(`.team-row.snoozed`))
	tomorrow := time.Now().UTC().AddDate(0, 0, 1)
	want := time.Date(tomorrow.Year(), tomorrow.Month(), tomorrow.Day(), 9, 0, 0, 0, time.UTC)
	if got := review(); got.SnoozedUntil == nil || !got.SnoozedUntil.Equal(want) || got.SnoozeReason == nil || *got.SnoozeReason != "waiting_on_customer" {
		t.Fatalf("snooze stored: %v %v, want %v waiting_on_customer", got.SnoozedUntil, got.SnoozeReason, want)
	}
	webtest.Screenshot(t, ctx, "team-snoozed")

	wait(ctx, t, "unsnooze",
		chromedp.Click(`.team-row.snoozed button`),
		chromedp.WaitVisible(`details.snooze`))
	wait(ctx, t, "escalate with a note",
		chromedp.Click(`details.escalate summary`),
		chromedp.SendKeys(`#escalate-note`, "Is a 40% discount allowed?"),
		chromedp.Click(`details.escalate button[type=submit]`),
		chromedp.WaitVisible(`.team-row.escalated`))
	if got := review(); got.EscalatedAt == nil || got.EscalationNote == nil || *got.EscalationNote != "Is a 40% discount allowed?" || got.SnoozedUntil != nil {
		t.Fatalf("escalation stored: %+v", got)
	}
	webtest.Screenshot(t, ctx, "team-escalated")
}
