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

// TestBrowserAdminEnrolsTOTP: an admin whose role requires a second factor
// signs in, is sent to set one up, scans (reads) the key from the page,
// confirms with a code, sees the recovery codes, logs out, and signs in
// again with the password and a code.
func TestBrowserAdminEnrolsTOTP(t *testing.T) {
	ctx := webtest.Browser(t)
	env := webtest.Start(t, store.SQLite)
	admin := storetest.Operator(t, env.Store, "ada@example.com", store.RoleAdmin)
	if _, err := env.Store.SetSetting(t.Context(), store.SystemActor, "", store.KeyMFARequiredRoles, "admin"); err != nil {
		t.Fatal(err)
	}
	pw := storetest.Password(store.RoleAdmin)

	// The first action starts the browser: under ctx itself, not wait's
	// shorter-lived context.
	if err := chromedp.Do(ctx, chromedp.Navigate(env.URL+"/login")); err != nil {
		t.Fatal(err)
	}
	wait(ctx, t, "password sign-in", chromedp.WaitVisible("#email"),
		chromedp.SendKeys("#email", admin.Email), chromedp.SendKeys("#password", pw),
		chromedp.Click(`form[action="/login"] button[type=submit]`),
		chromedp.WaitVisible(`form[action="/account/mfa/setup"] button`))
	if p := jsString(ctx, t, "location.pathname"); p != "/account/mfa" {
		t.Fatalf("after the password: %q, want the set-up page", p)
	}
	// Nothing else opens before the set-up.
	wait(ctx, t, "queue before set-up", chromedp.Navigate(env.URL+"/dashboard/review-queue"), chromedp.WaitVisible(`form[action="/account/mfa/setup"] button`))
	saveScreenshot(t, ctx, "/tmp/reviewq-mfa-required.png")

	wait(ctx, t, "start set-up", chromedp.Click(`form[action="/account/mfa/setup"] button`), chromedp.WaitVisible("#mfa-secret"),
		chromedp.Poll[chromedp.Void](`document.querySelector("img.mfa-qr").complete && document.querySelector("img.mfa-qr").naturalWidth === 240`))
	saveScreenshot(t, ctx, "/tmp/reviewq-mfa-setup.png")
	secret := strings.ReplaceAll(jsString(ctx, t, `document.getElementById("mfa-secret").innerText`), " ", "")
	at := time.Now()
	wait(ctx, t, "confirm", chromedp.SendKeys("#code", totpCode(t, secret, at)),
		chromedp.Click(`form[action="/account/mfa/confirm"] button`), chromedp.WaitVisible("#recovery-codes"))
	if n := jsString(ctx, t, `String(document.querySelectorAll("#recovery-codes li").length)`); n != "10" {
		t.Fatalf("recovery codes shown: %s", n)
	}
	saveScreenshot(t, ctx, "/tmp/reviewq-mfa-recovery-codes.png")
	wait(ctx, t, "the queue opens now", chromedp.Navigate(env.URL+"/dashboard/review-queue"), chromedp.WaitVisible("#pending-count"))

	wait(ctx, t, "log out", chromedp.Click(`form[action="/logout"] button`), chromedp.WaitVisible("#email"))
	wait(ctx, t, "password again", chromedp.SendKeys("#email", admin.Email), chromedp.SendKeys("#password", pw),
		chromedp.Click(`form[action="/login"] button[type=submit]`), chromedp.WaitVisible(`form[action="/login/mfa"] #code`))
	saveScreenshot(t, ctx, "/tmp/reviewq-mfa-code.png")
	// The confirming code is spent; the next step's code is accepted.
	wait(ctx, t, "code", chromedp.SendKeys("#code", totpCode(t, secret, at.Add(30*time.Second))),
		chromedp.Click(`form[action="/login/mfa"] button`), chromedp.WaitVisible("#pending-count"))
	saveScreenshot(t, ctx, "/tmp/reviewq-mfa-signed-in.png")
}

// TestBrowserSingleSignOn: "Sign in with Test IdP" on the login page goes
// to the provider and back, signed in.
func TestBrowserSingleSignOn(t *testing.T) {
	ctx := webtest.Browser(t)
	env, idp := startSSO(t, store.SQLite)
	op := storetest.Operator(t, env.Store, "sso@example.com", store.RoleOperator)
	idp.signInAs(op.Email, true)
	if err := chromedp.Do(ctx, chromedp.Navigate(env.URL+"/login")); err != nil {
		t.Fatal(err)
	}
	wait(ctx, t, "login page", chromedp.WaitVisible("#sso-login"))
	saveScreenshot(t, ctx, "/tmp/reviewq-sso-login.png")
	wait(ctx, t, "sign in with the provider", chromedp.Click("#sso-login"), chromedp.WaitVisible("#pending-count"))
	if who := jsString(ctx, t, `document.querySelector(".whoami").innerText`); !strings.Contains(who, op.Name) {
		t.Fatalf("signed in as %q", who)
	}
}
