package web_test

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"reviewq/store"
	"reviewq/store/storetest"
	"reviewq/web/webtest"
)

// TestBrowserAdminTokensAndSettings: an admin creates a token in the page
// and copies the secret shown once, revokes it, and changes a setting.
func TestBrowserAdminTokensAndSettings(t *testing.T) {
	ctx := webtest.Browser(t)
	env := webtest.Start(t, store.SQLite)
	admin := storetest.Operator(t, env.Store, "ada@example.com", store.RoleAdmin)
	webtest.BrowserLogin(t, ctx, env.URL, admin.Email, storetest.Password(store.RoleAdmin))

	wait(ctx, t, "create a token",
		chromedp.Navigate(env.URL+"/admin/tokens"),
		chromedp.WaitVisible("#token-name"),
		chromedp.SendKeys("#token-name", "outreach-engine"),
		chromedp.Click(`input[value="outreach:read"]`),
		chromedp.Click(".token-form button[type=submit]"),
		chromedp.WaitVisible("#new-token-secret"),
	)
	secret := jsString(ctx, t, `document.getElementById("new-token-secret").value`)
	if !strings.HasPrefix(secret, "rvq_") {
		t.Fatalf("secret shown: %q", secret)
	}
	webtest.Screenshot(t, ctx, "admin-tokens-created")
	if r := env.NewClient(t).JSON("POST", "/api/v1/outreach/eligibility", secret, map[string]any{"lead_ids": []int{1}}); r.Status != 200 {
		t.Fatalf("the copied token on the API: %d", r.Status)
	}
	// The confirmation dialog is the browser's own: accept it from DevTools.
	jsString(ctx, t, `window.confirm = function () { return true; }; ""`)
	wait(ctx, t, "revoke", chromedp.Click(`form[hx-post$="/revoke"] button`), chromedp.WaitVisible(`tr.inactive`))
	if r := env.NewClient(t).JSON("POST", "/api/v1/outreach/eligibility", secret, map[string]any{"lead_ids": []int{1}}); r.Status != 401 {
		t.Fatalf("revoked token on the API: %d", r.Status)
	}
	webtest.Screenshot(t, ctx, "admin-tokens-revoked")

	wait(ctx, t, "change the threshold",
		chromedp.Navigate(env.URL+"/admin/settings"),
		chromedp.WaitVisible("#setting-autoflag-score-threshold-value"),
		chromedp.SetValue("#setting-autoflag-score-threshold-value", "80"),
		chromedp.Click("#setting-autoflag-score-threshold button"),
		chromedp.WaitVisible("#setting-autoflag-score-threshold .setting-saved"),
	)
	wait(ctx, t, "a refused value says why",
		chromedp.SetValue("#setting-sla-warning_hours-value", "30"),
		chromedp.Click("#setting-sla-warning_hours button"),
		chromedp.WaitVisible("#setting-sla-warning_hours .setting-error"),
	)
	msg, _ := chromedp.Run(ctx, chromedp.Text("#setting-sla-warning_hours .setting-error"))
	if !strings.Contains(msg, "below the critical age") {
		t.Fatalf("refusal: %q", msg)
	}
	webtest.Screenshot(t, ctx, "admin-settings")
	set, err := env.Store.Settings(context.Background())
	if err != nil || set.Int(store.KeyScoreThreshold) != 80 || set.Int(store.KeySLAWarningHours) != 12 {
		t.Fatalf("settings after the page: threshold %d warning %d (%v)", set.Int(store.KeyScoreThreshold), set.Int(store.KeySLAWarningHours), err)
	}
}
