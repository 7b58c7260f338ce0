package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"reviewq/store"
	"reviewq/store/storetest"
	"reviewq/web/webtest"
)

// viewports are the widths the queue is made for: a laptop, a tablet, a phone.
var viewports = []struct {
	name          string
	width, height int64
}{{"1366", 1366, 860}, {"820", 820, 1180}, {"390", 390, 844}}

// shot saves what the screen shows to /tmp (and test-artifacts/), to look at.
func shot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	buf, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	for _, dir := range []string{os.TempDir(), webtest.ArtifactsDir(t)} {
		if err := os.WriteFile(filepath.Join(dir, "reviewq-"+name+".png"), buf, 0o644); err != nil { // #nosec G306 -- screenshots for people to look at
			t.Fatal(err)
		}
	}
}

func jsBool(ctx context.Context, t *testing.T, expr string) bool {
	t.Helper()
	b, err := chromedp.Run(ctx, chromedp.Evaluate[bool](expr))
	if err != nil {
		t.Fatalf("evaluate %s: %v", expr, err)
	}
	return b
}

// dayQueue is a queue with long reasons and one review another operator
// (with a long name) holds.
func dayQueue(t *testing.T, st *store.Store, n int) []*store.Review {
	t.Helper()
	var rs []*store.Review
	for i := 0; i < n; i++ {
		r := storetest.FlaggedLead(t, st, fmt.Sprintf("day%02d", i), store.ReviewTypes[i%len(store.ReviewTypes)])
		st.DB.Model(&store.Review{}).Where("id = ?", r.ID).Updates(map[string]any{
			"flagged_at": store.Now().Add(-time.Duration(40-i) * time.Hour),
			"reason":     "The drafted follow-up mentions a discount the campaign does not offer and quotes last year's price list",
		})
		rs = append(rs, r)
	}
	olivia := storetest.Operator(t, st, "olivia.longname-ferreira@example.com", store.RoleOperator)
	if _, err := st.Claim(context.Background(), rs[1].ID, store.Actor{Type: store.ActorOperator, ID: olivia.ID, Name: olivia.Name}); err != nil {
		t.Fatal(err)
	}
	return rs
}

// TestBrowserOperatorDayLaptop: at 1366×860 the list fits beside the pane
// (the Status column whole), compact rows show at least twelve leads, the
// pane's decision buttons are on screen, the open review is in the URL
// (reload keeps it), a resized textarea causes no CSP violation, the bulk
// bar and both dialogs handle focus.
func TestBrowserOperatorDayLaptop(t *testing.T) {
	ctx := webtest.Browser(t)
	env := webtest.Start(t, store.SQLite)
	rs := dayQueue(t, env.Store, 24)
	op := storetest.Operator(t, env.Store, "day@example.com", store.RoleOperator)
	webtest.BrowserLogin(t, ctx, env.URL, op.Email, storetest.Password("operator"))
	wait(ctx, t, "laptop", chromedp.EmulateViewport(1366, 860), chromedp.Reload(), chromedp.WaitVisible("#pending-count"))

	// The list does not slide under the pane; "Claimed by olivia…" shows whole.
	if !jsBool(ctx, t, `(() => { const m = document.querySelector(".queue-main"), p = document.querySelector("#pane");
		const tb = document.querySelector("table.queue").getBoundingClientRect();
		return m.scrollWidth <= m.clientWidth + 1 && tb.right <= p.getBoundingClientRect().left; })()`) {
		t.Fatal("the table is wider than its column: it slides under the pane")
	}
	claim := jsString(ctx, t, fmt.Sprintf(`document.querySelector("#review-%d-state .claim").innerText`, rs[1].ID))
	if !strings.Contains(claim, "olivia.longname-ferreira") {
		t.Fatalf("status cell shows %q", claim)
	}
	if !jsBool(ctx, t, fmt.Sprintf(`(() => { const c = document.querySelector("#review-%d-state .claim"); return c.scrollWidth <= c.clientWidth + 1 &&
		c.getBoundingClientRect().right <= document.querySelector("#pane").getBoundingClientRect().left; })()`, rs[1].ID)) {
		t.Fatal("the claim badge is clipped")
	}

	// Compact rows: one line each, at least twelve on screen; remembered.
	visibleRows := `String(Array.from(document.querySelectorAll("#queue-rows tr.review-row")).filter(r => r.getBoundingClientRect().bottom <= innerHeight).length)`
	wait(ctx, t, "compact", chromedp.Click("#density-toggle"), chromedp.WaitVisible("#queue.compact"))
	if n, _ := strconv.Atoi(jsString(ctx, t, visibleRows)); n < 12 {
		shot(t, ctx, "queue-compact-1366")
		t.Fatalf("%d rows fit on screen in compact mode, want at least 12", n)
	}
	wait(ctx, t, "compact is remembered", chromedp.Reload(), chromedp.WaitVisible("#queue.compact"))
	if p := jsString(ctx, t, `document.getElementById("density-toggle").getAttribute("aria-pressed")`); p != "true" {
		t.Fatalf("toggle aria-pressed %q", p)
	}

	// Open a review: Reject and Skip are on screen without scrolling the pane.
	wait(ctx, t, "open", chromedp.Click(fmt.Sprintf("#review-%d .open-review", rs[0].ID)), chromedp.WaitVisible(paneOf(rs[0].ID)))
	if !jsBool(ctx, t, `(() => { const bs = document.querySelectorAll("#pane .decide-bar button"); return bs.length === 3 &&
		Array.from(bs).every(b => { const r = b.getBoundingClientRect(); return r.top >= 0 && r.bottom <= innerHeight && r.height > 0; }); })()`) {
		t.Fatal("the pane's decision buttons are not all on screen")
	}
	shot(t, ctx, "queue-pane-1366")
	if u := jsString(ctx, t, "location.pathname"); u != fmt.Sprintf("/dashboard/review-queue/%d", rs[0].ID) {
		t.Fatalf("URL of the open review: %q", u)
	}

	// A resized textarea, then a decision: htmx must not settle the style
	// attribute (an inline style the CSP refuses).
	jsString(ctx, t, `window.cspViolations = []; document.addEventListener("securitypolicyviolation", e => window.cspViolations.push(e.violatedDirective + " " + e.blockedURI)); ""`)
	jsString(ctx, t, `document.getElementById("msg-body").style.height = "240px"; ""`)
	wait(ctx, t, "approve from the bar", chromedp.Click("#pane .decide-bar button.approve"), chromedp.WaitVisible(paneOf(rs[2].ID)))
	if v := jsString(ctx, t, `JSON.stringify(window.cspViolations)`); v != "[]" {
		t.Fatalf("CSP violations on a decision: %s", v)
	}
	// The next review (the held one is skipped) is in the URL; reload keeps it.
	wait(ctx, t, "reload keeps the open review", chromedp.Reload(), chromedp.WaitVisible(paneOf(rs[2].ID)))
	if u := jsString(ctx, t, "location.pathname"); u != fmt.Sprintf("/dashboard/review-queue/%d", rs[2].ID) {
		t.Fatalf("URL after a decision: %q", u)
	}
	// A decision replaces the URL (no history entry per decision): back is
	// the list as it was before the first review opened, forward the review.
	wait(ctx, t, "back", chromedp.NavigateBack(), chromedp.WaitVisible("#pending-count"), chromedp.WaitNotPresent("#review-pane"))
	wait(ctx, t, "forward", chromedp.NavigateForward(), chromedp.WaitVisible(paneOf(rs[2].ID)))

	// The bulk bar: nothing selected says so next to the bar.
	wait(ctx, t, "bulk with nothing selected", chromedp.Click("#bulk-preview"), chromedp.WaitVisible("#bulk-dialog .flash-error"))
	if msg := jsString(ctx, t, `document.getElementById("bulk-dialog").innerText`); !strings.Contains(msg, "Select at least one review") {
		t.Fatalf("bulk error: %q", msg)
	}
	if flash := jsString(ctx, t, `document.getElementById("flash").innerText`); flash != "" {
		t.Fatalf("bulk error at the top of the page: %q", flash)
	}
	// Only the chosen action's reasons are offered.
	offered := `Array.from(document.querySelectorAll("#bulk-reason-code optgroup")).filter(g => !g.hidden).map(g => g.getAttribute("data-outcome")).join(",")`
	wait(ctx, t, "skip reasons", chromedp.SetValue("#bulk-outcome", "skip"))
	jsString(ctx, t, `document.getElementById("bulk-outcome").dispatchEvent(new Event("change", {bubbles: true})); ""`)
	if got := jsString(ctx, t, offered); got != "skip" {
		t.Fatalf("reasons offered for skip: %q", got)
	}
	jsString(ctx, t, `document.getElementById("bulk-outcome").value = "approve"; document.getElementById("bulk-outcome").dispatchEvent(new Event("change", {bubbles: true})); ""`)
	if !jsBool(ctx, t, `document.getElementById("bulk-reason").hidden`) {
		t.Fatal("approve offers reason codes")
	}
	// The confirmation takes focus and gives it back.
	jsString(ctx, t, `document.getElementById("bulk-outcome").value = "reject"; document.getElementById("bulk-outcome").dispatchEvent(new Event("change", {bubbles: true})); ""`)
	wait(ctx, t, "bulk confirm",
		chromedp.Click(fmt.Sprintf("#review-%d input[type=checkbox]", rs[5].ID)),
		chromedp.SetValue("#bulk-reason-code", "duplicate"),
		chromedp.Click("#bulk-preview"), chromedp.WaitVisible("#bulk-confirm"))
	if id := jsString(ctx, t, "document.activeElement.id"); id != "bulk-confirm" {
		t.Fatalf("the bulk confirmation did not take focus (%q has it)", id)
	}
	keys(ctx, t, kb.Escape)
	wait(ctx, t, "bulk closed", chromedp.WaitNotPresent("#bulk-confirm"))
	if id := jsString(ctx, t, "document.activeElement.id"); id != "bulk-preview" {
		t.Fatalf("focus after closing the confirmation: %q", id)
	}
	// The shortcuts dialog likewise.
	wait(ctx, t, "shortcuts", chromedp.Click("#shortcuts-open"), chromedp.WaitVisible("#shortcuts"))
	if !jsBool(ctx, t, `document.getElementById("shortcuts").contains(document.activeElement)`) {
		t.Fatal("the shortcuts dialog did not take focus")
	}
	keys(ctx, t, kb.Escape)
	wait(ctx, t, "shortcuts closed", chromedp.WaitNotVisible("#shortcuts"))
	if id := jsString(ctx, t, "document.activeElement.id"); id != "shortcuts-open" {
		t.Fatalf("focus after the shortcuts dialog: %q", id)
	}
	// Reason radios are at least 24×24 px targets (their label).
	if !jsBool(ctx, t, `Array.from(document.querySelectorAll("#pane label.reason")).every(l => { const r = l.getBoundingClientRect(); return r.width >= 24 && r.height >= 24; })`) {
		t.Fatal("reason targets under 24 px")
	}
}

// TestBrowserOperatorDayTabletAndPhone: at 820 and 390 the open review is a
// full-screen sheet; after a decision the next one shows at the top without
// scrolling; the phone list does not scroll sideways.
func TestBrowserOperatorDayTabletAndPhone(t *testing.T) {
	ctx := webtest.Browser(t)
	env := webtest.Start(t, store.SQLite)
	rs := dayQueue(t, env.Store, 12)
	op := storetest.Operator(t, env.Store, "mobile@example.com", store.RoleOperator)
	webtest.BrowserLogin(t, ctx, env.URL, op.Email, storetest.Password("operator"))
	next := 0
	for _, vp := range viewports[1:] {
		wait(ctx, t, vp.name, chromedp.EmulateViewport(vp.width, vp.height), chromedp.Navigate(env.URL+"/dashboard/review-queue"), chromedp.WaitVisible("#pending-count"))
		if !jsBool(ctx, t, `document.documentElement.scrollWidth <= innerWidth`) {
			t.Fatalf("%s: the page scrolls sideways (%s px wide)", vp.name, jsString(ctx, t, "String(document.documentElement.scrollWidth)"))
		}
		shot(t, ctx, "queue-"+vp.name)
		// The first pending review nobody holds.
		for next == 1 || reviewIsDecided(t, env.Store, rs[next].ID) {
			next++
		}
		wait(ctx, t, vp.name+" open", chromedp.Click(fmt.Sprintf("#review-%d .open-review", rs[next].ID)), chromedp.WaitVisible(paneOf(rs[next].ID)))
		sheetAtTop := `(() => { const p = document.getElementById("pane").getBoundingClientRect(); return p.top === 0 && p.left === 0 && p.width === innerWidth; })()`
		if !jsBool(ctx, t, sheetAtTop) {
			t.Fatalf("%s: the open review is not a full-screen sheet", vp.name)
		}
		shot(t, ctx, "queue-pane-"+vp.name)
		decided := rs[next].ID
		next++
		if next == 1 {
			next++
		}
		wait(ctx, t, vp.name+" decide", chromedp.Click("#pane .decide-bar button.approve"), chromedp.WaitVisible(paneOf(rs[next].ID)))
		if !jsBool(ctx, t, sheetAtTop) || !jsBool(ctx, t, `document.getElementById("pane").scrollTop === 0`) {
			t.Fatalf("%s: after a decision the next review is not on screen", vp.name)
		}
		if !jsBool(ctx, t, `(() => { const h = document.getElementById("pane-title").getBoundingClientRect(); const b = document.querySelector("#pane .decide-bar button.reject").getBoundingClientRect();
			return h.top >= 0 && h.bottom <= innerHeight && b.bottom <= innerHeight; })()`) {
			t.Fatalf("%s: the next review's name or its buttons are off screen", vp.name)
		}
		if s, _ := reviewStatus(t, env.Store, decided); s != store.StatusApproved {
			t.Fatalf("%s: review %d is %s", vp.name, decided, s)
		}
		// "← List" goes back to the list, at the review's row.
		wait(ctx, t, vp.name+" close", chromedp.Click("#pane .pane-close"), chromedp.WaitVisible("#queue-rows"))
		if jsBool(ctx, t, `document.body.classList.contains("pane-sheet")`) {
			t.Fatalf("%s: the sheet did not close", vp.name)
		}
	}
}

func reviewIsDecided(t *testing.T, st *store.Store, id int64) bool {
	s, _ := reviewStatus(t, st, id)
	return s != store.StatusPending
}

// axeSerious runs axe-core (web/testdata, never served) on the page and
// returns its serious and critical violations. CSP is bypassed for the
// audit only: axe is injected through DevTools.
func axeSerious(ctx context.Context, t *testing.T, axe string) []string {
	t.Helper()
	if ok, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`typeof axe !== "undefined"`)); !ok {
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](axe+"; true")); err != nil {
			t.Fatalf("inject axe: %v", err)
		}
	}
	out, err := chromedp.Run(ctx, chromedp.Evaluate[string](`axe.run(document, {resultTypes: ["violations"]}).then(r => JSON.stringify(
		r.violations.filter(v => v.impact === "serious" || v.impact === "critical").map(v =>
			v.impact + " " + v.id + ": " + v.help + " @ " + v.nodes.slice(0, 4).map(n => n.target.join(" ")).join(" | "))))`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("axe.run: %v", err)
	}
	var found []string
	if err := json.Unmarshal([]byte(out), &found); err != nil {
		t.Fatal(err)
	}
	return found
}

// TestBrowserAxe audits every page at the three widths: no serious or
// critical accessibility violation.
func TestBrowserAxe(t *testing.T) {
	ctx := webtest.Browser(t)
	env := webtest.Start(t, store.SQLite)
	axe, err := os.ReadFile(filepath.Join("testdata", "axe.min.js"))
	if err != nil {
		t.Fatal(err)
	}
	rs := dayQueue(t, env.Store, 8)
	admin := storetest.Operator(t, env.Store, "audit@example.com", store.RoleAdmin)
	actor := store.Actor{Type: store.ActorOperator, ID: admin.ID, Name: admin.Name}
	if _, err := env.Store.Decide(context.Background(), store.DecideInput{ReviewID: rs[7].ID, Outcome: "approve", Actor: actor}); err != nil {
		t.Fatal(err)
	}
	bypass := chromedp.Action[chromedp.Void](func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
		_, err := cdp.Call(ctx, tg, cdppage.SetBypassCSP, cdppage.SetBypassCSPParams{Enabled: true})
		return chromedp.Void{}, err
	})
	if _, err := chromedp.Run(ctx, chromedp.Navigate(env.URL+"/login")); err != nil { // the first run starts the browser: no timeout
		t.Fatal(err)
	}
	wait(ctx, t, "bypass CSP for the audit", bypass)
	pages := []struct{ name, path, ready string }{
		{"queue", "/dashboard/review-queue", "#pending-count"},
		{"review", fmt.Sprintf("/dashboard/review-queue/%d", rs[0].ID), paneOf(rs[0].ID)},
		{"decisions", "/dashboard/review-queue/decided", "#queue-rows"},
		{"stats", "/dashboard/stats", "main h1"},
		{"operators", "/admin/operators", "main h1"},
		{"tokens", "/admin/tokens", "main h1"},
		{"settings", "/admin/settings", "main h1"},
		{"assignment", "/admin/assignment", "main h1"},
		{"audit", "/admin/audit", "main h1"},
		{"account", "/account/password", "main h1"},
	}
	var problems []string
	for _, vp := range viewports {
		wait(ctx, t, "login page "+vp.name, chromedp.EmulateViewport(vp.width, vp.height), chromedp.Navigate(env.URL+"/login"), chromedp.WaitVisible("#email"))
		for _, v := range axeSerious(ctx, t, string(axe)) {
			problems = append(problems, vp.name+" login: "+v)
		}
	}
	webtest.BrowserLogin(t, ctx, env.URL, admin.Email, storetest.Password(store.RoleAdmin))
	for _, vp := range viewports {
		for _, p := range pages {
			wait(ctx, t, p.name+" "+vp.name, chromedp.EmulateViewport(vp.width, vp.height), chromedp.Navigate(env.URL+p.path), chromedp.WaitVisible(p.ready))
			for _, v := range axeSerious(ctx, t, string(axe)) {
				problems = append(problems, vp.name+" "+p.name+": "+v)
			}
			if p.name == "stats" || p.name == "settings" {
				shot(t, ctx, p.name+"-"+vp.name)
			}
		}
	}
	if len(problems) > 0 {
		t.Fatalf("axe found %d serious or critical violations:\n%s", len(problems), strings.Join(problems, "\n"))
	}
}

// TestBrowserAdminDay: a revoked token's secret leaves the screen; a refused
// setting keeps the typed value next to its error, and the next save clears
// old messages; settings fit 820 px; deactivating (yourself too) asks first;
// the audit log shows each actor's role.
func TestBrowserAdminDay(t *testing.T) {
	ctx := webtest.Browser(t)
	env := webtest.Start(t, store.SQLite)
	admin := storetest.Operator(t, env.Store, "root@example.com", store.RoleAdmin)
	lead := storetest.Operator(t, env.Store, "lena@example.com", store.RoleLead)
	webtest.BrowserLogin(t, ctx, env.URL, admin.Email, storetest.Password(store.RoleAdmin))

	jsString(ctx, t, `window.confirm = function () { return true; }; ""`)
	wait(ctx, t, "create and revoke a token",
		chromedp.Navigate(env.URL+"/admin/tokens"), chromedp.WaitVisible("#token-name"),
		chromedp.SendKeys("#token-name", "engine"), chromedp.Click(`input[value="queue:read"]`),
		chromedp.Click(".token-form button[type=submit]"), chromedp.WaitVisible("#new-token-secret"))
	jsString(ctx, t, `window.confirm = function () { return true; }; ""`)
	wait(ctx, t, "revoke", chromedp.Click(`form[hx-post$="/revoke"] button`), chromedp.WaitVisible("tr.inactive"), chromedp.WaitNotPresent("#new-token-secret"))

	wait(ctx, t, "settings at 820", chromedp.EmulateViewport(820, 1180), chromedp.Navigate(env.URL+"/admin/settings"), chromedp.WaitVisible("#setting-sla-warning_hours-value"))
	if !jsBool(ctx, t, `document.documentElement.scrollWidth <= innerWidth`) {
		t.Fatalf("settings scroll sideways at 820 (%s px)", jsString(ctx, t, "String(document.documentElement.scrollWidth)"))
	}
	wait(ctx, t, "a refused value",
		chromedp.SetValue("#setting-sla-warning_hours-value", "30"), chromedp.Click("#setting-sla-warning_hours button"),
		chromedp.WaitVisible("#setting-sla-warning_hours .setting-error"))
	if v := jsString(ctx, t, `document.getElementById("setting-sla-warning_hours-value").value`); v != "30" {
		t.Fatalf("the refused value was thrown away: field shows %q", v)
	}
	shot(t, ctx, "settings-refused-820")
	wait(ctx, t, "another save",
		chromedp.SetValue("#setting-autoflag-score-threshold-value", "75"), chromedp.Click("#setting-autoflag-score-threshold button"),
		chromedp.WaitVisible("#setting-autoflag-score-threshold .setting-saved"), chromedp.WaitNotPresent("#setting-sla-warning_hours .setting-error"))

	// Deactivating asks first; Cancel changes nothing.
	wait(ctx, t, "deactivate dialog", chromedp.EmulateViewport(1366, 860), chromedp.Navigate(fmt.Sprintf("%s/admin/operators/%d", env.URL, lead.ID)),
		chromedp.WaitVisible("#deactivate-open"), chromedp.Click("#deactivate-open"), chromedp.WaitVisible("#confirm-deactivate"))
	wait(ctx, t, "cancel", chromedp.Click("#deactivate-cancel"), chromedp.WaitNotVisible("#confirm-deactivate"))
	if op, err := env.Store.GetOperator(context.Background(), lead.ID); err != nil || !op.Active {
		t.Fatalf("cancel deactivated the account (%v)", err)
	}
	wait(ctx, t, "confirm", chromedp.Click("#deactivate-open"), chromedp.WaitVisible("#deactivate-confirm"), chromedp.Click("#deactivate-confirm"), chromedp.WaitVisible("#main"))
	// The form posts and the page reloads; #main is there before and after,
	// so wait for the account to change rather than for the page.
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		op, _ := env.Store.GetOperator(context.Background(), lead.ID)
		if !op.Active {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("confirmed deactivation did not happen")
		}
	}
	// Yourself: the dialog says what it means.
	wait(ctx, t, "own account", chromedp.Navigate(fmt.Sprintf("%s/admin/operators/%d", env.URL, admin.ID)), chromedp.Click("#deactivate-open"), chromedp.WaitVisible("#confirm-deactivate"))
	if txt := jsString(ctx, t, `document.getElementById("confirm-deactivate").innerText`); !strings.Contains(txt, "your own account") {
		t.Fatalf("self-deactivation dialog: %q", txt)
	}
	keys(ctx, t, kb.Escape)

	// The audit log names the admin's role.
	wait(ctx, t, "audit", chromedp.Navigate(env.URL+"/admin/audit"), chromedp.WaitVisible("table.audit"))
	roles := jsString(ctx, t, `Array.from(document.querySelectorAll("table.audit tbody tr td:nth-child(2) .muted")).map(s => s.innerText).join(",")`)
	if !strings.Contains(roles, "admin") || strings.Contains(roles, "operator") {
		t.Fatalf("audit roles: %s", roles)
	}
}

// TestBrowserStatsFitsAPhone: the stats page (today, with its hourly view)
// does not scroll sideways at 390 px.
func TestBrowserStatsFitsAPhone(t *testing.T) {
	ctx := webtest.Browser(t)
	env := webtest.Start(t, store.SQLite)
	lead := storetest.Operator(t, env.Store, "lee@example.com", store.RoleLead)
	statsData(t, env, lead)
	webtest.BrowserLogin(t, ctx, env.URL, lead.Email, storetest.Password(store.RoleLead))
	for _, vp := range viewports {
		wait(ctx, t, "stats "+vp.name, chromedp.EmulateViewport(vp.width, vp.height), chromedp.Navigate(env.URL+"/dashboard/stats?range=today"), chromedp.WaitVisible("#stats-hourly"))
		if !jsBool(ctx, t, `document.documentElement.scrollWidth <= innerWidth`) {
			t.Fatalf("stats at %s scroll sideways (%s px)", vp.name, jsString(ctx, t, "String(document.documentElement.scrollWidth)"))
		}
		jsString(ctx, t, `document.getElementById("stats-hourly").scrollIntoView(); ""`)
		shot(t, ctx, "stats-today-"+vp.name)
	}
}
