package web_test

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"reviewq/store"
	"reviewq/store/storetest"
	"reviewq/web/webtest"
)

// saveScreenshot writes what the browser shows to path (outside the
// repository), for a person to look at.
func saveScreenshot(t *testing.T, ctx context.Context, path string) {
	t.Helper()
	buf, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatalf("screenshot %s: %v", path, err)
	}
	if err := os.WriteFile(path, buf, 0o644); err != nil { // #nosec G306 -- a screenshot for people to look at
		t.Fatal(err)
	}
}

// TestBrowserSessionEndsMidWork: the operator filters the queue and opens
// a review; the session is ended on the server; the next click in the pane
// loads the whole login page (not a login form inside the pane), and
// signing in brings the operator back to the same filtered queue with the
// same review open.
func TestBrowserSessionEndsMidWork(t *testing.T) {
	ctx := webtest.Browser(t)
	env := webtest.Start(t, store.SQLite)
	st := env.Store
	storetest.FlaggedLead(t, st, "pricing-a", store.TypePricing)
	open := storetest.FlaggedLead(t, st, "pricing-b", store.TypePricing)
	other := storetest.FlaggedLead(t, st, "message-a", store.TypeMessage)
	op := storetest.Operator(t, st, "sam@example.com", store.RoleOperator)
	webtest.BrowserLogin(t, ctx, env.URL, op.Email, storetest.Password("operator"))

	// Filter: the PRICING chip and a search; the message lead leaves the list.
	jsString(ctx, t, `(document.querySelector('#queue-filter input[name=type][value="PRICING"]').click(), "")`)
	wait(ctx, t, "type filter", chromedp.WaitNotPresent(fmt.Sprintf("#review-%d", other.ID)))
	jsString(ctx, t, `document.getElementById("q").value = ""`)
	wait(ctx, t, "search", chromedp.SendKeys("#q", "Lead pri"), chromedp.Poll[chromedp.Void](`location.search.includes("q=Lead+pri")`))
	// Open the second pricing review: its URL carries the filter. The
	// click blurs the search box, right after the search: it must not be
	// lost to the list being replaced under it.
	humanClick(ctx, t, fmt.Sprintf("#review-%d .open-review", open.ID))
	wait(ctx, t, "open review", chromedp.WaitVisible(paneOf(open.ID)))
	page := jsString(ctx, t, "location.pathname + location.search")
	if want := fmt.Sprintf("/dashboard/review-queue/%d?", open.ID); !strings.HasPrefix(page, want) || !strings.Contains(page, "type=PRICING") || !strings.Contains(page, "q=Lead+pri") {
		t.Fatalf("URL with the review open: %q", page)
	}

	// The session ends on the server (an admin revoked it, or it expired).
	if err := st.DeleteOperatorSessions(context.Background(), op.ID); err != nil {
		t.Fatal(err)
	}
	// Left alone, the page's live refresh (every 5 s) notices: it stops
	// and says so, and the page stays where it is.
	wait(ctx, t, "the live refresh notices", chromedp.WaitVisible("#flash .flash-error"))
	if msg := jsString(ctx, t, `document.getElementById("flash").innerText`); !strings.Contains(msg, "session has ended") {
		t.Fatalf("flash %q", msg)
	}
	if got := jsString(ctx, t, "location.pathname + location.search"); got != page || jsString(ctx, t, "String(!!document.querySelector('#pane form[action=\"/login\"], #email'))") != "false" {
		t.Fatalf("the live refresh moved the page to %q or fetched the login form into it", got)
	}
	saveScreenshot(t, ctx, "/tmp/reviewq-session-ended-flash.png")
	// A click in the pane: the whole page becomes the login page.
	wait(ctx, t, "claim after the session ended", chromedp.Click("#pane .claim-toggle"))
	wait(ctx, t, "the login page", chromedp.WaitVisible("#email"))
	if p := jsString(ctx, t, "location.pathname"); p != "/login" {
		t.Fatalf("after the click: %q, want the login page", p)
	}
	if title := jsString(ctx, t, "document.title"); title != "Sign in · reviewq" {
		t.Fatalf("title %q, want the login page's", title)
	}
	if inPane := jsString(ctx, t, `String(!!document.querySelector("#pane") || !!document.querySelector("#pane form[action='/login']"))`); inPane != "false" {
		t.Fatal("the login page was swapped into the pane instead of loaded whole")
	}
	next, _ := url.ParseQuery(strings.TrimPrefix(jsString(ctx, t, "location.search"), "?"))
	if next.Get("next") != page {
		t.Fatalf("next=%q, want the page the operator was on, %q", next.Get("next"), page)
	}
	saveScreenshot(t, ctx, "/tmp/reviewq-session-ended-login.png")

	// Sign in again: the same filtered queue, the same review open.
	wait(ctx, t, "sign in again",
		chromedp.SendKeys("#email", op.Email),
		chromedp.SendKeys("#password", storetest.Password("operator")),
		chromedp.Click("button[type=submit]"),
		chromedp.WaitVisible(paneOf(open.ID)))
	if got := jsString(ctx, t, "location.pathname + location.search"); got != page {
		t.Fatalf("after signing in: %q, want %q", got, page)
	}
	if got := jsString(ctx, t, `document.querySelector('#queue-filter input[name=type]:checked').value + "|" + document.getElementById("q").value`); got != "PRICING|Lead pri" {
		t.Fatalf("filter after signing in: %q", got)
	}
	if n := jsString(ctx, t, fmt.Sprintf(`String(document.querySelectorAll("#review-%d").length)`, other.ID)); n != "0" {
		t.Fatal("the filtered-out review is back in the list")
	}
	saveScreenshot(t, ctx, "/tmp/reviewq-back-after-login.png")
}
