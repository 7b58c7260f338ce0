package web_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"reviewq/store"
	"reviewq/store/storetest"
	"reviewq/web/webtest"
)

// viewportScreenshot saves what the operator sees (not the whole long page).
func viewportScreenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	buf, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(webtest.ArtifactsDir(t), name+".png"), buf, 0o644); err != nil {
		t.Fatal(err)
	}
}

func paneOf(id int64) string { return fmt.Sprintf(`#review-pane[data-review-id="%d"]`, id) }

func keys(ctx context.Context, t *testing.T, ks ...string) {
	t.Helper()
	for _, k := range ks {
		if err := chromedp.Do(ctx, chromedp.KeyEvent(k)); err != nil {
			t.Fatalf("key %q: %v", k, err)
		}
	}
}

func wait(ctx context.Context, t *testing.T, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if err := chromedp.Do(sctx, steps...); err != nil {
		// What the page shows, to tell why.
		state, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`location.href + " history " + history.length + " " + (document.querySelector("#flash")||{}).innerText + " | pane: " +
			((document.querySelector("#pane")||{}).innerText||"").slice(0, 300) + " | focus: " + document.activeElement.outerHTML.slice(0, 200)`))
		t.Fatalf("%s: %v\npage: %s", what, err, state)
	}
}

// humanClick clicks sel the way a person does: the button stays down for
// a moment (chromedp.Click releases it at once). A page that replaces the
// element between press and release loses such a click, as it would lose
// the person's.
func humanClick(ctx context.Context, t *testing.T, sel string) {
	t.Helper()
	where := jsString(ctx, t, fmt.Sprintf(`(function () {
		var el = document.querySelector(%q);
		if (!el) return "";
		el.scrollIntoView({ block: "nearest" });
		var r = el.getBoundingClientRect();
		return (r.left + r.width / 2) + " " + (r.top + r.height / 2);
	})()`, sel))
	var x, y float64
	if _, err := fmt.Sscan(where, &x, &y); err != nil {
		t.Fatalf("click %s: not on the page", sel)
	}
	err := chromedp.Do(ctx,
		chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, x, y),
		chromedp.MouseEvent(input.DispatchMouseEventTypeMousePressed, x, y, chromedp.Button("left"), chromedp.ClickCount(1)),
		chromedp.Sleep(150*time.Millisecond),
		chromedp.MouseEvent(input.DispatchMouseEventTypeMouseReleased, x, y, chromedp.Button("left"), chromedp.ClickCount(1)))
	if err != nil {
		t.Fatalf("click %s: %v", sel, err)
	}
}

// readPause waits out the moment after a review opens in which the pane
// ignores decision keys (app.js: a double press must not decide the next
// review unread).
func readPause() { time.Sleep(600 * time.Millisecond) }

func jsString(ctx context.Context, t *testing.T, expr string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](expr))
	if err != nil {
		t.Fatalf("evaluate %s: %v", expr, err)
	}
	return s
}

func reviewStatus(t *testing.T, st *store.Store, id int64) (string, string) {
	t.Helper()
	r, _, err := st.GetReview(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	code := ""
	if r.Review.ReasonCode != nil {
		code = *r.Review.ReasonCode
	}
	return r.Review.Status, code
}

// TestBrowserKeyboardTriage works three leads with the keyboard alone:
// j to the first row, o to open it, a to approve; the next opens by
// itself; r 2 Enter rejects with the second reason; s 1 Enter skips.
func TestBrowserKeyboardTriage(t *testing.T) {
	ctx := webtest.Browser(t)
	env := webtest.Start(t, store.SQLite)
	st := env.Store
	r1 := storetest.FlaggedLead(t, st, "alpha", store.TypeProposal)
	r2 := storetest.FlaggedLead(t, st, "beta", store.TypeMessage)
	r3 := storetest.FlaggedLead(t, st, "gamma", store.TypePricing)
	r4 := storetest.FlaggedLead(t, st, "delta", store.TypeRetry)
	// Some context for the pane: a reply, a message, a note and an older flag.
	reply, subject, body := "Sounds interesting, what does it cost?", "Your pricing question", "Hi, here are our prices…"
	if _, _, err := st.UpsertLead(context.Background(), store.LeadInput{ExternalID: "alpha", LastReplySnippet: &reply, MessageSubject: &subject, MessageBody: &body}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.AddNote(context.Background(), r1.ID, "Asked sales about the discount policy.", store.SystemActor); err != nil {
		t.Fatal(err)
	}
	st.DB.Model(&store.Review{}).Where("id = ?", r1.ID).Update("flagged_at", store.Now().Add(-30*time.Hour))
	st.DB.Model(&store.Review{}).Where("id = ?", r2.ID).Update("flagged_at", store.Now().Add(-13*time.Hour))
	op := storetest.Operator(t, st, "olive@example.com", store.RoleOperator)

	webtest.BrowserLogin(t, ctx, env.URL, op.Email, storetest.Password("operator"))
	webtest.Screenshot(t, ctx, "queue")

	keys(ctx, t, "j")
	if id := jsString(ctx, t, `document.activeElement.getAttribute("data-review-id") || ""`); id != fmt.Sprint(r1.ID) {
		t.Fatalf("j focused %q, want the first row", id)
	}
	keys(ctx, t, "o")
	wait(ctx, t, "open the first review", chromedp.WaitVisible(paneOf(r1.ID)))
	pane, _ := chromedp.Run(ctx, chromedp.Text("#pane"))
	for _, want := range []string{"Lead alpha", "Why it was flagged", "what does it cost?", "Asked sales about the discount policy.", "SLA breached"} {
		if !strings.Contains(strings.ToLower(pane), strings.ToLower(want)) {
			t.Fatalf("pane lacks %q: %s", want, pane)
		}
	}
	webtest.Screenshot(t, ctx, "open-lead")

	readPause()
	keys(ctx, t, "a")
	wait(ctx, t, "approve opens the next", chromedp.WaitVisible(paneOf(r2.ID)), chromedp.WaitVisible(fmt.Sprintf("#review-%d.decided", r1.ID)))
	readPause()
	keys(ctx, t, "r", "2", kb.Enter)
	wait(ctx, t, "reject opens the next", chromedp.WaitVisible(paneOf(r3.ID)))
	readPause()
	keys(ctx, t, "s", "1", kb.Enter)
	// The pane and the cursor are both on the review opened next.
	wait(ctx, t, "skip opens the next", chromedp.WaitVisible(paneOf(r4.ID)), chromedp.WaitVisible(fmt.Sprintf("#review-%d.current", r4.ID)))
	for _, c := range []struct {
		id           int64
		status, code string
	}{{r1.ID, store.StatusApproved, ""}, {r2.ID, store.StatusRejected, "bad_data"}, {r3.ID, store.StatusSkipped, "needs_info"}, {r4.ID, store.StatusPending, ""}} {
		if s, code := reviewStatus(t, st, c.id); s != c.status || code != c.code {
			t.Fatalf("review %d: %s %q, want %s %q", c.id, s, code, c.status, c.code)
		}
	}
	count, _ := chromedp.Run(ctx, chromedp.Text("#pending-count"))
	if strings.TrimSpace(count) != "1" {
		t.Fatalf("pending count %q", count)
	}
	// The shortcut help, and Escape closes it.
	keys(ctx, t, "?")
	wait(ctx, t, "shortcut help", chromedp.WaitVisible("#shortcuts"))
	webtest.Screenshot(t, ctx, "shortcut-help")
	keys(ctx, t, kb.Escape)
	wait(ctx, t, "help closed", chromedp.WaitNotVisible("#shortcuts"))
	// / goes to the search; typing filters the list and the URL follows.
	keys(ctx, t, "/")
	if id := jsString(ctx, t, "document.activeElement.id"); id != "q" {
		t.Fatalf("/ focused %q, not the search", id)
	}
	// DevTools sends the key's character apart from the key press, so the
	// page cannot cancel it as it does for a real key: clear it first.
	jsString(ctx, t, `document.getElementById("q").value = ""`)
	wait(ctx, t, "search", chromedp.SendKeys("#q", "delt"), chromedp.WaitNotPresent(fmt.Sprintf("#review-%d", r1.ID)))
	if u := jsString(ctx, t, "location.search"); u != "?q=delt" {
		t.Fatalf("URL after search: %q", u)
	}
	// The back button returns to the unfiltered queue, with the review that
	// was open (opening one puts it in the URL; a decision moves the URL on
	// to the review it opens next).
	wait(ctx, t, "back", chromedp.NavigateBack(), chromedp.WaitVisible(paneOf(r4.ID)), chromedp.WaitVisible(fmt.Sprintf("#review-%d", r4.ID)))
	if u, q := jsString(ctx, t, "location.pathname+location.search"), jsString(ctx, t, `document.getElementById("q").value`); u != fmt.Sprintf("/dashboard/review-queue/%d", r4.ID) || q != "" {
		t.Fatalf("after back: URL %q, search %q", u, q)
	}
}

// TestBrowserTwoOperators has two operators on the same lead: the second
// sees who claimed it, is refused when deciding it, and sees it marked
// approved when the first decides.
func TestBrowserTwoOperators(t *testing.T) {
	annCtx := webtest.Browser(t)
	bobCtx := webtest.Browser(t)
	env := webtest.Start(t, store.SQLite)
	r := storetest.FlaggedLead(t, env.Store, "shared", store.TypeMessage)
	storetest.FlaggedLead(t, env.Store, "spare", store.TypeMessage)
	ann := storetest.Operator(t, env.Store, "ann@example.com", store.RoleOperator)
	bob := storetest.Operator(t, env.Store, "bob@example.com", store.RoleOperator)
	webtest.BrowserLogin(t, annCtx, env.URL, ann.Email, storetest.Password("operator"))
	webtest.BrowserLogin(t, bobCtx, env.URL, bob.Email, storetest.Password("operator"))

	// Both open the lead; Ann claims it.
	keys(annCtx, t, "j", "o")
	wait(annCtx, t, "Ann opens", chromedp.WaitVisible(paneOf(r.ID)))
	keys(bobCtx, t, "j", "o")
	wait(bobCtx, t, "Bob opens", chromedp.WaitVisible(paneOf(r.ID)))
	keys(annCtx, t, "c")
	wait(annCtx, t, "Ann claims", chromedp.WaitVisible("#pane .claim-mine"))

	// Bob's list shows who took it (live refresh), and his approve is refused in place.
	row := fmt.Sprintf("#review-%d-state .claim", r.ID)
	wait(bobCtx, t, "Bob sees the claim", chromedp.WaitVisible(row))
	claim, _ := chromedp.Run(bobCtx, chromedp.Text(row))
	if claim != "Claimed by ann" {
		t.Fatalf("Bob's row says %q", claim)
	}
	keys(bobCtx, t, "a")
	wait(bobCtx, t, "Bob is refused", chromedp.WaitVisible("#pane .flash-error"))
	msg, _ := chromedp.Run(bobCtx, chromedp.Text("#pane .flash-error"))
	if !strings.Contains(msg, "claimed by ann") {
		t.Fatalf("Bob's refusal says %q", msg)
	}
	webtest.Screenshot(t, bobCtx, "second-operator-refused")

	// Ann approves; Bob's row is marked, not removed.
	keys(annCtx, t, "a")
	wait(annCtx, t, "Ann approves", chromedp.WaitVisible(fmt.Sprintf("#review-%d.decided", r.ID)))
	wait(bobCtx, t, "Bob sees the decision", chromedp.WaitVisible(fmt.Sprintf("#review-%d.decided.stale", r.ID)))
	marked, _ := chromedp.Run(bobCtx, chromedp.Text(fmt.Sprintf("#review-%d", r.ID)))
	if !strings.Contains(marked, "Approved by ann") {
		t.Fatalf("Bob's row says %q", marked)
	}
	if s, _ := reviewStatus(t, env.Store, r.ID); s != store.StatusApproved {
		t.Fatalf("status %s", s)
	}
}

// TestBrowserBulkReject selects two rows, confirms a bulk reject and sees
// the result and the rows marked.
func TestBrowserBulkReject(t *testing.T) {
	ctx := webtest.Browser(t)
	env := webtest.Start(t, store.SQLite)
	r1 := storetest.FlaggedLead(t, env.Store, "one", store.TypeRetry)
	r2 := storetest.FlaggedLead(t, env.Store, "two", store.TypeRetry)
	r3 := storetest.FlaggedLead(t, env.Store, "three", store.TypeRetry)
	op := storetest.Operator(t, env.Store, "bulk@example.com", store.RoleOperator)
	webtest.BrowserLogin(t, ctx, env.URL, op.Email, storetest.Password("operator"))

	// Select with the mouse and with x.
	wait(ctx, t, "select", chromedp.Click(fmt.Sprintf(`#review-%d input[type=checkbox]`, r1.ID)))
	keys(ctx, t, "j", "x") // the click made row one current; j moves to row two
	wait(ctx, t, "bulk form",
		chromedp.SetValue(`#bulk-form select[name=outcome]`, "reject"),
		chromedp.SetValue(`#bulk-form select[name=reason_code]`, "duplicate"),
		chromedp.Click("#bulk-preview"),
		chromedp.WaitVisible("#bulk-confirm"))
	confirm, _ := chromedp.Run(ctx, chromedp.Text("#bulk-dialog"))
	if !strings.Contains(confirm, "Reject 2 reviews?") || !strings.Contains(confirm, "tagged operator_reject") {
		t.Fatalf("confirmation says %q", confirm)
	}
	webtest.Screenshot(t, ctx, "bulk-confirm")
	if s, _ := reviewStatus(t, env.Store, r1.ID); s != store.StatusPending {
		t.Fatal("decided before confirmation")
	}
	wait(ctx, t, "confirm", chromedp.Click("#bulk-confirm"), chromedp.WaitVisible("#bulk-dialog .bulk-result"),
		chromedp.WaitVisible(fmt.Sprintf("#review-%d.decided", r2.ID)))
	result, _ := chromedp.Run(ctx, chromedp.Text("#bulk-dialog"))
	if !strings.Contains(result, "2 done, 0 left alone") {
		t.Fatalf("result says %q", result)
	}
	for id, want := range map[int64]string{r1.ID: store.StatusRejected, r2.ID: store.StatusRejected, r3.ID: store.StatusPending} {
		if s, _ := reviewStatus(t, env.Store, id); s != want {
			t.Fatalf("review %d: %s, want %s", id, s, want)
		}
	}
	// Both are listed under recent decisions, and open from there.
	wait(ctx, t, "recent decisions", chromedp.Navigate(env.URL+"/dashboard/review-queue/decided"), chromedp.WaitVisible("#queue-rows"))
	keys(ctx, t, "j", "o")
	wait(ctx, t, "open a decision", chromedp.WaitVisible(paneOf(r2.ID)))
	webtest.Screenshot(t, ctx, "decisions")
	// The tablet width: one column, the pane below the list.
	wait(ctx, t, "tablet", chromedp.EmulateViewport(820, 1180), chromedp.Navigate(env.URL+"/dashboard/review-queue"), chromedp.WaitVisible("#pending-count"))
	keys(ctx, t, "j", "o")
	wait(ctx, t, "tablet pane", chromedp.WaitVisible(paneOf(r3.ID)))
	webtest.Screenshot(t, ctx, "queue-tablet")
}

// TestBrowserKeyboardPagesThroughALongQueue walks past the first page with
// j alone: the next page loads by itself and the cursor carries on.
func TestBrowserKeyboardPagesThroughALongQueue(t *testing.T) {
	ctx := webtest.Browser(t)
	env := webtest.Start(t, store.SQLite)
	if err := env.Store.Seed(context.Background(), store.SeedOptions{Leads: 130, Pending: 120}); err != nil {
		t.Fatal(err)
	}
	op := storetest.Operator(t, env.Store, "long@example.com", store.RoleOperator)
	webtest.BrowserLogin(t, ctx, env.URL, op.Email, storetest.Password("operator"))
	for i := 0; i < 50; i++ {
		keys(ctx, t, "j")
	}
	wait(ctx, t, "the second page loads", chromedp.WaitVisible("#queue-rows tr.review-row:nth-child(51)"))
	keys(ctx, t, "j")
	if n := jsString(ctx, t, `String(Array.from(document.querySelectorAll("#queue-rows tr.review-row")).indexOf(document.querySelector("tr.current")) + 1)`); n != "51" {
		t.Fatalf("cursor on row %s, want 51", n)
	}
	id := jsString(ctx, t, `document.querySelector("tr.current").getAttribute("data-review-id")`)
	keys(ctx, t, "o")
	wait(ctx, t, "open on page two", chromedp.WaitVisible(`#review-pane[data-review-id="`+id+`"]`))
	viewportScreenshot(t, ctx, "queue-seeded")
	readPause()
	keys(ctx, t, "a")
	wait(ctx, t, "approve on page two", chromedp.WaitVisible("#queue-rows tr.review-row:nth-child(51).decided"), chromedp.WaitVisible("#queue-rows tr.review-row:nth-child(52).current"))
}
