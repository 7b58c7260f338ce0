package web_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"reviewq/store"
	"reviewq/store/storetest"
	"reviewq/web/webtest"
)

// openFirst signs in, opens the first review with the keyboard and waits
// out the moment in which decision keys are ignored.
func openFirst(ctx context.Context, t *testing.T, baseURL, email string, id int64) {
	t.Helper()
	webtest.BrowserLogin(t, ctx, baseURL, email, storetest.Password("operator"))
	keys(ctx, t, "j", "o")
	wait(ctx, t, "open the first review", chromedp.WaitVisible(paneOf(id)))
	readPause()
}

// TestBrowserDoubleApproveThenUndo: a double a approves one lead only (the
// second press lands on the review that just opened, and is ignored), and
// z takes the approval back: the review is pending again, in the list and
// in the pane, and its history says decided then undone.
func TestBrowserDoubleApproveThenUndo(t *testing.T) {
	ctx := webtest.Browser(t)
	env := webtest.Start(t, store.SQLite)
	st := env.Store
	r1 := storetest.FlaggedLead(t, st, "alpha", store.TypeProposal)
	r2 := storetest.FlaggedLead(t, st, "beta", store.TypeMessage)
	storetest.FlaggedLead(t, st, "gamma", store.TypePricing)
	op := storetest.Operator(t, st, "una@example.com", store.RoleOperator)
	openFirst(ctx, t, env.URL, op.Email, r1.ID)

	// Twice at once, then once more 300 ms after the next review opened.
	keys(ctx, t, "a", "a")
	wait(ctx, t, "approve opens the next", chromedp.WaitVisible(paneOf(r2.ID)), chromedp.WaitVisible("#undo-toast .undo-button"))
	time.Sleep(300 * time.Millisecond)
	keys(ctx, t, "a")
	time.Sleep(700 * time.Millisecond)
	if s, _ := reviewStatus(t, st, r1.ID); s != store.StatusApproved {
		t.Fatalf("first review %s, want approved", s)
	}
	if s, _ := reviewStatus(t, st, r2.ID); s != store.StatusPending {
		t.Fatalf("the review that opened next was decided unread: %s", s)
	}
	if toast := jsString(ctx, t, `document.getElementById("undo-toast").innerText`); !strings.Contains(toast, "Approved Lead alpha") || !strings.Contains(toast, "Undo") {
		t.Fatalf("toast %q", toast)
	}
	saveScreenshot(t, ctx, "/tmp/reviewq-undo-toast.png")

	keys(ctx, t, "z")
	wait(ctx, t, "z undoes", chromedp.WaitVisible(paneOf(r1.ID)), chromedp.WaitVisible(fmt.Sprintf("#review-%d:not(.decided)", r1.ID)))
	if s, _ := reviewStatus(t, st, r1.ID); s != store.StatusPending {
		t.Fatalf("after undo: %s", s)
	}
	rl, events, err := st.GetReview(context.Background(), r1.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !rl.Lead.RequiresHumanReview || rl.Lead.LastDecision != nil {
		t.Fatalf("lead after undo: %+v", rl.Lead)
	}
	var kinds []string
	for _, e := range events {
		kinds = append(kinds, e.Kind)
	}
	if k := strings.Join(kinds, " "); !strings.HasSuffix(k, "approved undone") {
		t.Fatalf("history %q", k)
	}
	pane := jsString(ctx, t, `document.getElementById("pane").innerText`)
	if !strings.Contains(pane, "Undone: Lead alpha is back in the queue") || !strings.Contains(pane, "Undone") {
		t.Fatalf("pane after undo: %s", pane)
	}
	if toast := jsString(ctx, t, `document.getElementById("undo-toast").innerText`); strings.TrimSpace(toast) != "" {
		t.Fatalf("toast after undo: %q", toast)
	}
	if count := jsString(ctx, t, `document.getElementById("pending-count").innerText`); count != "3" {
		t.Fatalf("pending count %q", count)
	}
	saveScreenshot(t, ctx, "/tmp/reviewq-undone.png")

	// The undone review decides like any other.
	readPause()
	keys(ctx, t, "a")
	wait(ctx, t, "approve again", chromedp.WaitVisible(paneOf(r2.ID)))
	if s, _ := reviewStatus(t, st, r1.ID); s != store.StatusApproved {
		t.Fatalf("decided again: %s", s)
	}
}

// TestBrowserUndoAfterTheWindow: the toast lasts decisions.undo_seconds;
// once the window has passed the server refuses, and says so in the toast.
func TestBrowserUndoAfterTheWindow(t *testing.T) {
	ctx := webtest.Browser(t)
	env := webtest.Start(t, store.SQLite)
	st := env.Store
	r1 := storetest.FlaggedLead(t, st, "alpha", store.TypeProposal)
	r2 := storetest.FlaggedLead(t, st, "beta", store.TypeMessage)
	r3 := storetest.FlaggedLead(t, st, "gamma", store.TypePricing)
	op := storetest.Operator(t, st, "vic@example.com", store.RoleOperator)
	if _, err := st.SetSetting(context.Background(), store.SystemActor, "", store.KeyUndoSeconds, "1"); err != nil {
		t.Fatal(err)
	}
	openFirst(ctx, t, env.URL, op.Email, r1.ID)
	keys(ctx, t, "a")
	wait(ctx, t, "approve", chromedp.WaitVisible(paneOf(r2.ID)))
	// The toast goes away by itself after the window; z then does nothing.
	wait(ctx, t, "the toast goes", chromedp.WaitNotPresent("#undo-toast .undo-button"))
	keys(ctx, t, "z")
	time.Sleep(500 * time.Millisecond)
	if s, _ := reviewStatus(t, st, r1.ID); s != store.StatusApproved {
		t.Fatalf("after the window: %s", s)
	}

	// The window shrinks while a toast still shows: the server refuses.
	if _, err := st.SetSetting(context.Background(), store.SystemActor, "", store.KeyUndoSeconds, "60"); err != nil {
		t.Fatal(err)
	}
	readPause()
	keys(ctx, t, "a")
	wait(ctx, t, "approve the second", chromedp.WaitVisible(paneOf(r3.ID)), chromedp.WaitVisible("#undo-toast .undo-button"))
	if _, err := st.SetSetting(context.Background(), store.SystemActor, "", store.KeyUndoSeconds, "1"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1200 * time.Millisecond)
	keys(ctx, t, "z")
	wait(ctx, t, "refused in the toast", chromedp.WaitVisible("#undo-toast .undo-refused"))
	if msg := jsString(ctx, t, `document.getElementById("undo-toast").innerText`); !strings.Contains(msg, "Not undone: too late to undo") {
		t.Fatalf("toast %q", msg)
	}
	if s, _ := reviewStatus(t, st, r2.ID); s != store.StatusApproved {
		t.Fatalf("refused undo changed the review: %s", s)
	}
	if id := jsString(ctx, t, `document.getElementById("review-pane").getAttribute("data-review-id")`); id != fmt.Sprint(r3.ID) {
		t.Fatalf("a refused undo moved the pane to %s", id)
	}
	saveScreenshot(t, ctx, "/tmp/reviewq-undo-refused.png")
}

// TestBrowserDraftSurvivesSessionEnd: the operator edits the message, writes
// notes and picks a reason; the session ends; the next click goes to the
// login page and back, and the edits are there again. Deciding ends the
// draft.
func TestBrowserDraftSurvivesSessionEnd(t *testing.T) {
	ctx := webtest.Browser(t)
	env := webtest.Start(t, store.SQLite)
	st := env.Store
	subject, body := "Hello", "Original text."
	r1 := storetest.FlaggedLead(t, st, "alpha", store.TypeMessage)
	if _, _, err := st.UpsertLead(context.Background(), store.LeadInput{ExternalID: "alpha", MessageSubject: &subject, MessageBody: &body}); err != nil {
		t.Fatal(err)
	}
	storetest.FlaggedLead(t, st, "beta", store.TypeMessage)
	op := storetest.Operator(t, st, "wes@example.com", store.RoleOperator)
	openFirst(ctx, t, env.URL, op.Email, r1.ID)
	// The upsert after the flag moved the version on: read it from the pane.
	wait(ctx, t, "edit",
		chromedp.SendKeys("#msg-body", " Edited by hand."),
		chromedp.SendKeys("#approve-notes", "checked the tone"),
		chromedp.Click(`form.decide-reject input[name=reason_code][value="duplicate"]`),
		chromedp.SendKeys("#reject-notes", "same as #12"))
	saveScreenshot(t, ctx, "/tmp/reviewq-draft-before.png")
	const fields = `[document.getElementById("msg-body").value, document.getElementById("approve-notes").value,
		(document.querySelector("form.decide-reject input[name=reason_code]:checked")||{}).value, document.getElementById("reject-notes").value].join("|")`
	edited := jsString(ctx, t, fields)
	if !strings.Contains(edited, "Edited by hand.") || !strings.HasSuffix(edited, "|checked the tone|duplicate|same as #12") {
		t.Fatalf("edits before the session ended: %q", edited)
	}

	if err := st.DeleteOperatorSessions(context.Background(), op.ID); err != nil {
		t.Fatal(err)
	}
	wait(ctx, t, "claim after the session ended", chromedp.Click("#pane .claim-toggle"), chromedp.WaitVisible("#email"))
	wait(ctx, t, "sign in again",
		chromedp.SendKeys("#email", op.Email),
		chromedp.SendKeys("#password", storetest.Password("operator")),
		chromedp.Click("button[type=submit]"),
		chromedp.WaitVisible(paneOf(r1.ID)),
		chromedp.WaitVisible("#pane .draft-restored"))
	if got := jsString(ctx, t, fields); got != edited {
		t.Fatalf("draft after signing in again: %q", got)
	}
	saveScreenshot(t, ctx, "/tmp/reviewq-draft-restored.png")

	// Approving sends the edited message and ends the draft.
	readPause()
	wait(ctx, t, "approve", chromedp.Click("form.decide-approve button[type=submit]"), chromedp.WaitNotPresent(paneOf(r1.ID)))
	rl, _, err := st.GetReview(context.Background(), r1.ID)
	if err != nil {
		t.Fatal(err)
	}
	if rl.Review.Status != store.StatusApproved || deref(rl.Lead.MessageBody) != strings.Split(edited, "|")[0] || deref(rl.Review.Notes) != "checked the tone" {
		t.Fatalf("decision: %s %q %q", rl.Review.Status, deref(rl.Lead.MessageBody), deref(rl.Review.Notes))
	}
	if n := jsString(ctx, t, `String(Object.keys(localStorage).filter(function (k) { return k.indexOf("reviewq-draft:`+fmt.Sprint(r1.ID)+`:") === 0 }).length)`); n != "0" {
		t.Fatalf("%s drafts left after the decision", n)
	}
}

// TestBrowserNetworkBanner: with the server gone, an action shows a lasting
// banner and changes nothing; once the server is back the live refresh gets
// through and the banner goes by itself.
func TestBrowserNetworkBanner(t *testing.T) {
	ctx := webtest.Browser(t)
	env := webtest.Start(t, store.SQLite)
	st := env.Store
	r1 := storetest.FlaggedLead(t, st, "alpha", store.TypeProposal)
	r2 := storetest.FlaggedLead(t, st, "beta", store.TypeMessage)
	op := storetest.Operator(t, st, "xia@example.com", store.RoleOperator)

	// A server of our own, to stop and start again on the same address.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	serve := func(ln net.Listener) *http.Server {
		hs := &http.Server{Handler: env.Server.Echo, ReadHeaderTimeout: 5 * time.Second}
		go func() { _ = hs.Serve(ln) }()
		return hs
	}
	hs := serve(ln)
	t.Cleanup(func() { _ = hs.Close() })

	openFirst(ctx, t, "http://"+addr, op.Email, r1.ID)
	if err := hs.Close(); err != nil {
		t.Fatal(err)
	}
	keys(ctx, t, "a")
	wait(ctx, t, "the banner", chromedp.WaitVisible("#net-banner"))
	if msg := jsString(ctx, t, `document.getElementById("net-banner").innerText + "|" + document.getElementById("net-banner").getAttribute("role")`); msg != "Not saved — connection lost, retrying…|alert" {
		t.Fatalf("banner %q", msg)
	}
	if s, _ := reviewStatus(t, st, r1.ID); s != store.StatusPending {
		t.Fatalf("decided while the server was down: %s", s)
	}
	// It lasts: a further failed refresh keeps it.
	time.Sleep(6 * time.Second)
	if v := jsString(ctx, t, `String(!document.getElementById("net-banner").hidden)`); v != "true" {
		t.Fatal("the banner went while the server was still down")
	}
	saveScreenshot(t, ctx, "/tmp/reviewq-network-banner.png")

	ln, err = net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	hs = serve(ln)
	wait(ctx, t, "the banner goes once the live refresh gets through", chromedp.WaitNotVisible("#net-banner"))
	readPause()
	keys(ctx, t, "a")
	wait(ctx, t, "approve after the server is back", chromedp.WaitVisible(paneOf(r2.ID)))
	if s, _ := reviewStatus(t, st, r1.ID); s != store.StatusApproved {
		t.Fatalf("after the server came back: %s", s)
	}
	saveScreenshot(t, ctx, "/tmp/reviewq-network-back.png")
}

// TestBrowserShortcutsOff: an operator turns single-key shortcuts off on
// the account page; keys then do nothing in the queue, buttons still work.
func TestBrowserShortcutsOff(t *testing.T) {
	ctx := webtest.Browser(t)
	env := webtest.Start(t, store.SQLite)
	st := env.Store
	r1 := storetest.FlaggedLead(t, st, "alpha", store.TypeProposal)
	r2 := storetest.FlaggedLead(t, st, "beta", store.TypeMessage)
	op := storetest.Operator(t, st, "yan@example.com", store.RoleOperator)
	webtest.BrowserLogin(t, ctx, env.URL, op.Email, storetest.Password("operator"))
	wait(ctx, t, "turn shortcuts off",
		chromedp.Navigate(env.URL+"/account/password"),
		chromedp.WaitVisible(`input[name=shortcuts][value=off]`),
		chromedp.Click(`input[name=shortcuts][value=off]`),
		chromedp.Click(`form[action="/account/shortcuts"] button[type=submit]`),
		chromedp.WaitVisible(`#shortcuts-heading ~ .flash`))
	if msg := jsString(ctx, t, `document.querySelector("#shortcuts-heading ~ .flash").innerText + "|" + document.body.getAttribute("data-shortcuts")`); msg != "Saved: single-key shortcuts are off.|off" {
		t.Fatalf("after saving: %q", msg)
	}
	saveScreenshot(t, ctx, "/tmp/reviewq-shortcuts-setting.png")

	wait(ctx, t, "the queue", chromedp.Navigate(env.URL+"/dashboard/review-queue"), chromedp.WaitVisible("#pending-count"))
	keys(ctx, t, "j", "o", "?")
	time.Sleep(700 * time.Millisecond)
	if got := jsString(ctx, t, `String(document.querySelectorAll("tr.current").length) + "|" + String(!!document.getElementById("review-pane")) + "|" + String(document.getElementById("shortcuts").open)`); got != "0|false|false" {
		t.Fatalf("keys acted with shortcuts off: %q", got)
	}
	wait(ctx, t, "open with the mouse", chromedp.Click(fmt.Sprintf("#review-%d .open-review", r1.ID)), chromedp.WaitVisible(paneOf(r1.ID)))
	readPause()
	keys(ctx, t, "a")
	time.Sleep(700 * time.Millisecond)
	if s, _ := reviewStatus(t, st, r1.ID); s != store.StatusPending {
		t.Fatalf("a decided with shortcuts off: %s", s)
	}
	// Typing in a field is unaffected, and the buttons decide.
	wait(ctx, t, "notes", chromedp.SendKeys("#approve-notes", "ok as is"))
	if v := jsString(ctx, t, `document.getElementById("approve-notes").value`); v != "ok as is" {
		t.Fatalf("typing with shortcuts off: %q", v)
	}
	wait(ctx, t, "approve by button", chromedp.Click("form.decide-approve button[type=submit]"), chromedp.WaitVisible(paneOf(r2.ID)))
	if s, _ := reviewStatus(t, st, r1.ID); s != store.StatusApproved {
		t.Fatalf("button: %s", s)
	}
}
