package web_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"reviewq/store"
	"reviewq/store/storetest"
	"reviewq/web/webtest"
)

// TestBrowserAssignmentRules: an admin gives an operator a skill on the
// account page and adds a rule on /admin/assignment in a real browser; a
// new PRICING review then goes to that operator, and the review's history
// names the rule.
func TestBrowserAssignmentRules(t *testing.T) {
	ctx := webtest.Browser(t)
	env := webtest.Start(t, store.SQLite)
	admin := storetest.Operator(t, env.Store, "ada@example.com", store.RoleAdmin)
	ann := storetest.Operator(t, env.Store, "ann@example.com", store.RoleOperator)
	webtest.BrowserLogin(t, ctx, env.URL, admin.Email, storetest.Password(store.RoleAdmin))

	wait(ctx, t, "give ann a skill",
		chromedp.Navigate(fmt.Sprintf("%s/admin/operators/%d", env.URL, ann.ID)),
		chromedp.WaitVisible("#skills"),
		chromedp.SendKeys("#skills", "pricing, enterprise"),
		chromedp.Click(`form[action$="/skills"] button`),
		chromedp.WaitVisible(".flash-info"),
	)
	if sk, _ := env.Store.SkillsOf(context.Background(), []int64{ann.ID}); strings.Join(sk[ann.ID], ",") != "enterprise,pricing" {
		t.Fatalf("ann's skills: %v", sk[ann.ID])
	}
	wait(ctx, t, "add a rule",
		chromedp.Navigate(env.URL+"/admin/assignment"),
		chromedp.WaitVisible("#rule-skill"),
		chromedp.SetValue("#rule-type", store.TypePricing),
		chromedp.SendKeys("#rule-skill", "pricing"),
		chromedp.Click("#new-rule button[type=submit]"),
		chromedp.WaitVisible("tr#rule-1"),
	)
	row := jsString(ctx, t, `document.getElementById("rule-1").innerText`)
	if !strings.Contains(row, "PRICING") || !strings.Contains(row, "pricing") || !strings.Contains(row, "active") {
		t.Fatalf("the rule's row says %q", row)
	}
	webtest.Screenshot(t, ctx, "admin-assignment-rule")

	r := storetest.FlaggedLead(t, env.Store, "br-1", store.TypePricing)
	if r.AssigneeName == nil || *r.AssigneeName != ann.Name {
		t.Fatalf("the new review went to %v, want ann", r.AssigneeName)
	}
	wait(ctx, t, "the review's history",
		chromedp.Navigate(fmt.Sprintf("%s/dashboard/review-queue/%d", env.URL, r.ID)),
		chromedp.WaitVisible(paneOf(r.ID)+" li.ev-assigned"),
		chromedp.ScrollIntoView(paneOf(r.ID)+" li.ev-assigned"),
	)
	if ev := jsString(ctx, t, `document.querySelector("li.ev-assigned").innerText`); !strings.Contains(ev, "by system") ||
		!strings.Contains(ev, "auto-assigned by rule 1: PRICING, any campaign → skill pricing") {
		t.Fatalf("the history's assigned event says %q", ev)
	}
	// The pane scrolls on its own: a picture of its history alone.
	jsString(ctx, t, `document.querySelector("li.ev-assigned").scrollIntoView({block: "center"}); ""`)
	shot, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatalf("the history's picture: %v", err)
	}
	if err := os.WriteFile(filepath.Join(webtest.ArtifactsDir(t), "admin-assignment-history.png"), shot, 0o644); err != nil { // #nosec G306 -- a screenshot for people to look at
		t.Fatal(err)
	}
}
