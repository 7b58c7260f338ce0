package web_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"reviewq/store"
	"reviewq/store/storetest"
	"reviewq/web/webtest"
)

// consoleErrors collects what the browser reports as an error: console.error
// and console.assert, uncaught exceptions, and log entries of level error
// (CSP violations, failed loads such as a 404).
type consoleErrors struct {
	mu   sync.Mutex
	seen []string
}

func (c *consoleErrors) add(s string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seen = append(c.seen, s)
}

func (c *consoleErrors) all() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.seen...)
}

// listenForConsoleErrors must run before the tab's first action.
func listenForConsoleErrors(ctx context.Context, t *testing.T) *consoleErrors {
	t.Helper()
	c := &consoleErrors{}
	err := chromedp.Listen(ctx, func(ev any) {
		switch e := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			if e.Type != runtime.ConsoleAPICalledTypeError && e.Type != runtime.ConsoleAPICalledTypeAssert {
				return
			}
			var args []string
			for _, a := range e.Args {
				if a.Value != nil {
					args = append(args, string(a.Value))
				} else {
					args = append(args, a.Description)
				}
			}
			c.add("console." + string(e.Type) + ": " + strings.Join(args, " "))
		case *runtime.EventExceptionThrown:
			d := e.ExceptionDetails
			msg := d.Text
			if d.Exception != nil {
				msg += " " + d.Exception.Description
			}
			c.add(fmt.Sprintf("exception: %s (%s:%d)", msg, d.URL, d.LineNumber))
		case *cdplog.EventEntryAdded:
			if e.Entry.Level == cdplog.EntryLevelError {
				c.add(fmt.Sprintf("log %s: %s %s", e.Entry.Source, e.Entry.Text, e.Entry.URL))
			}
		}
	})
	if err != nil {
		t.Fatalf("listen to the console: %v", err)
	}
	return c
}

// dragTextareaCorner resizes a textarea the way a person does, by its
// resize handle; the browser then sets the element's style height.
func dragTextareaCorner(ctx context.Context, t *testing.T, sel string, dy float64) {
	t.Helper()
	where := jsString(ctx, t, fmt.Sprintf(`(function () {
		var el = document.querySelector(%q);
		el.scrollIntoView({ block: "center" });
		var r = el.getBoundingClientRect();
		return (r.right - 3) + " " + (r.bottom - 3);
	})()`, sel))
	var x, y float64
	if _, err := fmt.Sscan(where, &x, &y); err != nil {
		t.Fatalf("resize %s: %q", sel, where)
	}
	err := chromedp.Do(ctx,
		chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, x, y),
		chromedp.MouseEvent(input.DispatchMouseEventTypeMousePressed, x, y, chromedp.Button("left"), chromedp.ClickCount(1)),
		chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, x, y+dy/2, chromedp.Button("left")),
		chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, x, y+dy, chromedp.Button("left")),
		chromedp.MouseEvent(input.DispatchMouseEventTypeMouseReleased, x, y+dy, chromedp.Button("left"), chromedp.ClickCount(1)))
	if err != nil {
		t.Fatalf("resize %s: %v", sel, err)
	}
}

// TestBrowserTriageRunHasNoConsoleErrors: a whole triage run at 1366×860 —
// open, claim, resize and edit the message, approve, reject, skip, undo, a
// note, recent decisions, reload, and the stats page as a lead — leaves
// nothing in the browser's console at level error: no CSP violation (htmx
// settling a resized textarea's style), no 404, no exception.
func TestBrowserTriageRunHasNoConsoleErrors(t *testing.T) {
	ctx := webtest.Browser(t)
	errs := listenForConsoleErrors(ctx, t)
	env := webtest.Start(t, store.SQLite)
	st := env.Store
	r1 := storetest.FlaggedLead(t, st, "alpha", store.TypeMessage)
	r2 := storetest.FlaggedLead(t, st, "beta", store.TypeMessage)
	r3 := storetest.FlaggedLead(t, st, "gamma", store.TypePricing)
	r4 := storetest.FlaggedLead(t, st, "delta", store.TypeRetry)
	for _, ext := range []string{"alpha", "beta"} {
		subject, body := "Hello "+ext, "A first draft for "+ext+"."
		if _, _, err := st.UpsertLead(context.Background(), store.LeadInput{ExternalID: ext, MessageSubject: &subject, MessageBody: &body}); err != nil {
			t.Fatal(err)
		}
	}
	op := storetest.Operator(t, st, "cora@example.com", store.RoleOperator)
	lead := storetest.Operator(t, st, "lena@example.com", store.RoleLead)

	webtest.BrowserLogin(t, ctx, env.URL, op.Email, storetest.Password("operator"))
	wait(ctx, t, "laptop", chromedp.EmulateViewport(1366, 860), chromedp.Reload(), chromedp.WaitVisible("#pending-count"))

	// Open with the keyboard, claim, resize the message and edit it.
	keys(ctx, t, "j", "o")
	wait(ctx, t, "open the first review", chromedp.WaitVisible(paneOf(r1.ID)))
	keys(ctx, t, "c")
	wait(ctx, t, "claim", chromedp.WaitVisible("#pane .claim-mine"))
	before := jsString(ctx, t, `String(document.getElementById("msg-body").offsetHeight)`)
	dragTextareaCorner(ctx, t, "#msg-body", 120)
	if h := jsString(ctx, t, `document.getElementById("msg-body").style.height`); h == "" {
		t.Fatalf("the drag did not resize the message (height %s px before)", before)
	}
	wait(ctx, t, "edit the message", chromedp.SendKeys("#msg-body", " Edited by hand."))
	// Out of the field, so that a is a shortcut again.
	jsString(ctx, t, `document.activeElement.blur(); ""`)
	readPause()
	keys(ctx, t, "a")
	wait(ctx, t, "approve opens the next", chromedp.WaitVisible(paneOf(r2.ID)), chromedp.WaitVisible(fmt.Sprintf("#review-%d.decided", r1.ID)))
	rl, _, err := st.GetReview(context.Background(), r1.ID)
	if err != nil {
		t.Fatal(err)
	}
	if rl.Review.Status != store.StatusApproved || !strings.Contains(deref(rl.Lead.MessageBody), "Edited by hand.") {
		t.Fatalf("approve: %s with message %q", rl.Review.Status, deref(rl.Lead.MessageBody))
	}

	// A resized textarea again (by script this time), then a reject.
	jsString(ctx, t, `document.getElementById("msg-body").style.height = "260px"; ""`)
	readPause()
	keys(ctx, t, "r", "1", kb.Enter)
	wait(ctx, t, "reject opens the next", chromedp.WaitVisible(paneOf(r3.ID)))
	readPause()
	keys(ctx, t, "s", "1", kb.Enter)
	// The toast of the skip (the reject's may still show until it comes).
	wait(ctx, t, "skip opens the next", chromedp.WaitVisible(paneOf(r4.ID)),
		chromedp.WaitVisible(fmt.Sprintf(`#undo-toast .undo-toast-body[data-review-id="%d"] .undo-button`, r3.ID)))
	readPause()
	keys(ctx, t, "z")
	wait(ctx, t, "undo the skip", chromedp.WaitVisible(paneOf(r3.ID)), chromedp.WaitVisible(fmt.Sprintf("#review-%d:not(.decided)", r3.ID)))
	if s, _ := reviewStatus(t, st, r3.ID); s != store.StatusPending {
		t.Fatalf("after undo: %s", s)
	}

	// A note on the review that came back.
	wait(ctx, t, "add a note",
		chromedp.SendKeys("#note-text", "Called them, waiting for the price list."),
		chromedp.Click("#pane .note-form button[type=submit]"),
		chromedp.WaitVisible(paneOf(r3.ID)+" .ev-note"))
	if h := jsString(ctx, t, `document.querySelector("#pane .timeline").innerText`); !strings.Contains(h, "waiting for the price list") {
		t.Fatalf("history after the note: %s", h)
	}

	// Reload: the open review is in the URL.
	wait(ctx, t, "reload", chromedp.Reload(), chromedp.WaitVisible(paneOf(r3.ID)))

	// Recent decisions, and open one from there.
	wait(ctx, t, "recent decisions", chromedp.Click(`a[href="/dashboard/review-queue/decided"]`), chromedp.WaitVisible("#queue-rows"))
	keys(ctx, t, "j", "o")
	wait(ctx, t, "open a decision", chromedp.WaitVisible("#review-pane"))

	// The stats page as a lead.
	wait(ctx, t, "log out", chromedp.Click(`form[action="/logout"] button`), chromedp.WaitVisible("#email"))
	webtest.BrowserLogin(t, ctx, env.URL, lead.Email, storetest.Password("lead"))
	wait(ctx, t, "stats", chromedp.Click(`a[href="/dashboard/stats"]`), chromedp.WaitVisible("#stats-pending"), chromedp.WaitVisible("svg.chart"))

	// Late reports (a failed load, a log entry) arrive after the page shows.
	time.Sleep(time.Second)
	if seen := errs.all(); len(seen) > 0 {
		t.Fatalf("%d console errors in a triage run:\n%s", len(seen), strings.Join(seen, "\n"))
	}
}
