package web_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"reviewq/store"
	"reviewq/store/storetest"
	"reviewq/web/webtest"
)

// TestBrowserApproveAndReject logs in with a real browser, approves one lead
// and rejects another from their rows, and sees both leave the queue.
func TestBrowserApproveAndReject(t *testing.T) {
	ctx := webtest.Browser(t)
	env := webtest.Start(t, store.SQLite)
	r1 := storetest.FlaggedLead(t, env.Store, "alpha", store.TypeProposal)
	r2 := storetest.FlaggedLead(t, env.Store, "beta", store.TypeMessage)
	storetest.FlaggedLead(t, env.Store, "gamma", store.TypePricing)
	op := storetest.Operator(t, env.Store, "olive@example.com", store.RoleOperator)

	webtest.BrowserLogin(t, ctx, env.URL, op.Email, storetest.Password("operator"))
	webtest.Screenshot(t, ctx, "queue")
	row1, row2 := fmt.Sprintf("#review-%d", r1.ID), fmt.Sprintf("#review-%d", r2.ID)
	err := chromedp.Do(ctx,
		chromedp.Click(row1+" button.approve"),
		chromedp.WaitVisible(row1+".decided"),
		chromedp.SetValue(row2+" select[name=reason_code]", "bad_data"),
		chromedp.Click(row2+" button.reject"),
		chromedp.WaitVisible(row2+".decided"),
	)
	if err != nil {
		t.Fatalf("deciding in the browser: %v", err)
	}
	webtest.Screenshot(t, ctx, "queue-after-decisions")
	msg1, _ := chromedp.Run(ctx, chromedp.Text(row1))
	msg2, _ := chromedp.Run(ctx, chromedp.Text(row2))
	count, _ := chromedp.Run(ctx, chromedp.Text("#pending-count"))
	if !strings.Contains(msg1, "Approved by you") || !strings.Contains(msg2, "Rejected by you (bad_data)") || strings.TrimSpace(count) != "1" {
		t.Fatalf("rows say %q / %q, count %q", msg1, msg2, count)
	}
	// Reload: both are gone from the queue.
	if err := chromedp.Do(ctx, chromedp.Navigate(env.URL+"/dashboard/review-queue"), chromedp.WaitVisible("#pending-count")); err != nil {
		t.Fatal(err)
	}
	body, _ := chromedp.Run(ctx, chromedp.Text("#queue-rows"))
	if strings.Contains(body, "Lead alpha") || strings.Contains(body, "Lead beta") || !strings.Contains(body, "Lead gamma") {
		t.Fatalf("queue after reload: %q", body)
	}
}
