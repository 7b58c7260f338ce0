package web_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"reviewq/store"
	"reviewq/store/storetest"
	"reviewq/web/webtest"
)

// TestBrowserSavedView: in a real browser a lead filters the queue to
// PRICING, saves it as a shared view, sees it in the views bar with its
// count, watches the count follow a new review through the live refresh,
// and opens the view from another filter.
func TestBrowserSavedView(t *testing.T) {
	ctx := webtest.Browser(t)
	env := webtest.Start(t, store.SQLite)
	st := env.Store
	for _, ext := range []string{"bv-1", "bv-2", "bv-3"} {
		storetest.FlaggedLead(t, st, ext, store.TypePricing)
	}
	storetest.FlaggedLead(t, st, "bv-m", store.TypeMessage)
	lead := storetest.Operator(t, st, "lena@example.com", store.RoleLead)
	webtest.BrowserLogin(t, ctx, env.URL, lead.Email, storetest.Password("lead"))

	wait(ctx, t, "filter to PRICING",
		chromedp.Navigate(env.URL+"/dashboard/review-queue"),
		chromedp.WaitVisible(`#saved-views`),
		chromedp.Click(`label.chip:has(input[value="PRICING"])`),
		chromedp.Poll[chromedp.Void](`location.search.includes("type=PRICING")`))
	wait(ctx, t, "save the view",
		chromedp.Click(`details.save-view summary`),
		chromedp.SendKeys(`#view-name`, "Pricing desk"),
		chromedp.Click(`#view-shared`),
		chromedp.Click(`.save-view-form button[type=submit]`),
		chromedp.WaitVisible(`.view-notice`))
	bar, err := chromedp.Run(ctx, chromedp.Text(`#saved-views`))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(bar, "Saved “Pricing desk” and shared it with the team.") || !strings.Contains(bar, "Pricing desk") {
		t.Fatalf("views bar after saving: %q", bar)
	}
	count, _ := chromedp.Run(ctx, chromedp.Text(`a.view-link.active .chip-count`))
	if count != "3" {
		t.Fatalf("the saved view's count: %q, want 3", count)
	}
	items, err := st.ListViews(ctx, lead.ID)
	if err != nil || len(items) != 1 || items[0].Query != "type=PRICING&assignee=any" || !items[0].Shared {
		t.Fatalf("stored views: %+v %v", items, err)
	}

	// A new PRICING review: the live refresh (every 5 s) updates the count.
	storetest.FlaggedLead(t, st, "bv-4", store.TypePricing)
	wait(ctx, t, "the count follows",
		chromedp.Poll[chromedp.Void](`document.querySelector("a.view-link .chip-count").textContent === "4"`))
	webtest.Screenshot(t, ctx, "saved-view-bar")

	// Another filter: the view is no longer marked as on screen; its link
	// opens it again.
	wait(ctx, t, "another filter",
		chromedp.Click(`label.chip:has(input[value="MESSAGE"])`),
		chromedp.Poll[chromedp.Void](`location.search.includes("type=MESSAGE")`),
		chromedp.WaitVisible(`a.view-link:not(.active)`))
	wait(ctx, t, "open the view",
		chromedp.Click(`a.view-link`),
		chromedp.WaitVisible(`a.view-link.active`),
		chromedp.WaitVisible(`label.chip.active:has(input[value="PRICING"])`))
	loc, _ := chromedp.Run(ctx, chromedp.Location())
	if !strings.HasSuffix(loc, "/dashboard/review-queue?type=PRICING&assignee=any") {
		t.Errorf("opened %s", loc)
	}
	viewportScreenshot(t, ctx, "saved-view-open")
}

// TestBrowserTimeZone: an operator picks America/New_York on the account
// page; the review pane then shows the history's times in New York time
// and offers "tomorrow 09:00" in it.
func TestBrowserTimeZone(t *testing.T) {
	ctx := webtest.Browser(t)
	env := webtest.Start(t, store.SQLite)
	r := storetest.FlaggedLead(t, env.Store, "tz-b", store.TypeMessage)
	op := storetest.Operator(t, env.Store, "nora@example.com", store.RoleOperator)
	webtest.BrowserLogin(t, ctx, env.URL, op.Email, storetest.Password("operator"))
	wait(ctx, t, "choose the zone",
		chromedp.Navigate(env.URL+"/account/password"),
		chromedp.WaitVisible(`#time_zone`),
		chromedp.SetValue(`#time_zone`, "America/New_York"),
		chromedp.Click(`form[action="/account/time-zone"] button[type=submit]`),
		chromedp.WaitVisible(`section[aria-labelledby="zone-heading"] .flash-info`))
	msg, err := chromedp.Run(ctx, chromedp.Text(`section[aria-labelledby="zone-heading"] .flash-info`))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(msg, "times now show in America/New_York") {
		t.Fatalf("account page after saving: %q", msg)
	}
	webtest.Screenshot(t, ctx, "account-time-zone")
	wait(ctx, t, "open the review",
		chromedp.Navigate(env.URL+"/dashboard/review-queue/"+itoa(r.ID)),
		chromedp.WaitVisible(paneOf(r.ID)+" .timeline"))
	// textContent: the snooze choices sit in a closed <details>.
	pane, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("#pane").textContent.replace(/\s+/g, " ")`))
	abbr := time.Now().In(mustZone(t, "America/New_York")).Format("MST")
	if !strings.Contains(pane, " "+abbr) || !strings.Contains(pane, "tomorrow 09:00 "+abbr) {
		t.Errorf("pane in New York time lacks %s: %q", abbr, pane)
	}
}
