package web_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"reviewq/store"
	"reviewq/store/storetest"
	"reviewq/web/webtest"
)

// TestBrowserManualFlag: an operator finds a lead on the leads page by the
// start of its name, opens it, flags it by hand, and finds its review in
// the queue — the deployment plan's "test manual flagging" as clicks.
func TestBrowserManualFlag(t *testing.T) {
	ctx := webtest.Browser(t)
	env := webtest.Start(t, store.SQLite)
	st := env.Store
	storetest.FlaggedLead(t, st, "already-1", store.TypeMessage)
	lead := upsertTestLead(t, st, "CRM-4711", "Lena Lindqvist", "lena@lumen.test", "Lumen Media")
	upsertTestLead(t, st, "CRM-4712", "Liam Lindqvist", "liam@lumen.test", "Lumen Media")
	op := storetest.Operator(t, st, "sam@example.com", store.RoleOperator)
	webtest.BrowserLogin(t, ctx, env.URL, op.Email, storetest.Password("operator"))

	humanClick(ctx, t, `nav a[href="/dashboard/leads"]`)
	wait(ctx, t, "the leads page", chromedp.WaitVisible("#lead-q"))
	row := fmt.Sprintf(`tr[data-lead-id="%d"]`, lead.ID)
	wait(ctx, t, "search", chromedp.SendKeys("#lead-q", "lena"),
		chromedp.Poll[chromedp.Void](`location.search.includes("q=lena") && document.querySelectorAll("tr[data-lead-id]").length === 1`),
		chromedp.WaitVisible(row))
	saveScreenshot(t, ctx, "/tmp/reviewq-leads-search.png")

	humanClick(ctx, t, row+" a")
	wait(ctx, t, "the lead page", chromedp.WaitVisible("#manual-flag"))
	if got := jsString(ctx, t, `document.getElementById("lead-no-reviews").innerText`); !strings.Contains(got, "no review") {
		t.Fatalf("a lead never reviewed: %q", got)
	}
	jsString(ctx, t, `(document.getElementById("flag-type").value = "PRICING", "")`)
	wait(ctx, t, "reason", chromedp.SendKeys("#flag-reason", "Asked for a custom discount on the phone"))
	humanClick(ctx, t, `#manual-flag button[type="submit"]`)
	wait(ctx, t, "flagged", chromedp.WaitVisible("#lead-open-review"))
	if got := jsString(ctx, t, `document.querySelector("main .flash-info").innerText`); !strings.Contains(got, "a review is now in the queue") {
		t.Fatalf("after the flag: %q", got)
	}
	saveScreenshot(t, ctx, "/tmp/reviewq-lead-flagged.png")

	open, err := st.OpenReviewOfLead(context.Background(), lead.ID)
	if err != nil || open.Source != store.SourceManual || open.ReviewType != store.TypePricing {
		t.Fatalf("the review: %+v %v", open, err)
	}
	// The lead's review history lists it; its link opens it in the queue.
	wait(ctx, t, "history", chromedp.WaitVisible(fmt.Sprintf(`.earlier-review[data-review-id="%d"]`, open.ID)))
	humanClick(ctx, t, "#lead-open-review a")
	wait(ctx, t, "the review in the queue", chromedp.WaitVisible(paneOf(open.ID)), chromedp.WaitVisible(fmt.Sprintf("#review-%d", open.ID)))
	if got := jsString(ctx, t, `document.getElementById("review-pane").innerText`); !strings.Contains(got, "Asked for a custom discount") || !strings.Contains(got, "manual") {
		t.Fatalf("the pane: %q", got)
	}
	saveScreenshot(t, ctx, "/tmp/reviewq-lead-flag-in-queue.png")
}
