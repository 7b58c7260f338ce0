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

// TestBrowserAdminWebhooks: an admin subscribes an endpoint in the page,
// copies the secret shown once, sends a test event and deletes the
// endpoint after confirming.
func TestBrowserAdminWebhooks(t *testing.T) {
	ctx := webtest.Browser(t)
	env := webtest.Start(t, store.SQLite)
	admin := storetest.Operator(t, env.Store, "ada@example.com", store.RoleAdmin)
	webtest.BrowserLogin(t, ctx, env.URL, admin.Email, storetest.Password(store.RoleAdmin))

	wait(ctx, t, "create an endpoint",
		chromedp.Navigate(env.URL+"/admin/webhooks"),
		chromedp.WaitVisible("#webhook-url"),
		chromedp.SendKeys("#webhook-url", "https://203.0.113.10/reviewq"),
		chromedp.SendKeys("#webhook-description", "outreach engine"),
		chromedp.Click(`input[value="review.decided"]`),
		chromedp.Click(`input[value="lead.eligibility_changed"]`),
		chromedp.Click(".webhook-form button[type=submit]"),
		chromedp.WaitVisible("#new-webhook-secret"),
	)
	secret := jsString(ctx, t, `document.getElementById("new-webhook-secret").value`)
	hooks, err := env.Store.ListWebhooks(context.Background())
	// Shown once in full; the database keeps it sealed (store/seal.go).
	if !strings.HasPrefix(secret, "whsec_") || err != nil || len(hooks) != 1 || !store.IsSealed(hooks[0].Secret) ||
		strings.Contains(hooks[0].Secret, strings.TrimPrefix(secret, "whsec_")) {
		t.Fatalf("secret shown %q, stored %+v %v", secret, hooks, err)
	}
	webtest.Screenshot(t, ctx, "admin-webhooks-created")
	// The button posts and is redirected to /admin/webhooks?done=test: wait
	// for that page (its URL and its flash) before navigating on, as a
	// navigation started while the redirect is in flight is aborted.
	wait(ctx, t, "send a test event", chromedp.Click(`form[action$="/test"] button`),
		chromedp.WaitVisible(`//*[contains(@class, "flash") and contains(., "Test event queued")]`))
	if ds, _, err := env.Store.ListDeliveries(context.Background(), hooks[0].ID, 0, 10); err != nil || len(ds) == 0 {
		t.Fatalf("the test event was not queued: %v %v", ds, err)
	}
	wait(ctx, t, "the delivery log",
		chromedp.Navigate(env.URL+"/admin/webhooks/1"),
		chromedp.WaitVisible(`tr.delivery-pending`),
	)
	webtest.Screenshot(t, ctx, "admin-webhooks-deliveries")
	wait(ctx, t, "back", chromedp.Navigate(env.URL+"/admin/webhooks"), chromedp.WaitVisible("#webhook-url"))
	jsString(ctx, t, `window.confirm = function () { return true; }; ""`)
	wait(ctx, t, "delete",
		chromedp.Click(`form[action$="/delete"] button`),
		chromedp.WaitVisible(`tr.empty`),
	)
	if hooks, _ := env.Store.ListWebhooks(context.Background()); len(hooks) != 0 {
		t.Fatalf("endpoint not deleted: %+v", hooks)
	}
}
