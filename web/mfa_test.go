package web_test

import (
	"bytes"
	"context"
	"html"
	"image/png"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"reviewq/store"
	"reviewq/store/storetest"
	"reviewq/web/webtest"
)

var (
	mfaSecretRe    = regexp.MustCompile(`<code id="mfa-secret">([A-Z2-7 ]+)</code>`)
	recoveryCodeRe = regexp.MustCompile(`<li><code>([0-9A-Z]{5}-[0-9A-Z]{5})</code></li>`)
)

func totpCode(t testing.TB, secret string, at time.Time) string {
	t.Helper()
	code, err := totp.GenerateCode(secret, at)
	if err != nil {
		t.Fatal(err)
	}
	return code
}

// wrongCode differs from code in every digit.
func wrongCode(code string) string {
	b := []byte(code)
	for i := range b {
		b[i] = '0' + (b[i]-'0'+5)%10
	}
	return string(b)
}

// enrolTOTP sets up the signed-in client's factor through the account
// page as a person would: the key read from the page, a code from it. It
// returns the secret, the time whose code confirmed it, and the recovery codes.
func enrolTOTP(t *testing.T, c *webtest.Client) (string, time.Time, []string) {
	t.Helper()
	if r := c.Get("/account/mfa"); r.Status != http.StatusOK || !strings.Contains(r.Body, "is <strong>off</strong>") {
		t.Fatalf("account mfa page before set-up: %d", r.Status)
	}
	if r := c.PostForm("/account/mfa/setup", nil); r.Status != http.StatusSeeOther {
		t.Fatalf("set-up: %d %s", r.Status, r.Body)
	}
	r := c.Get("/account/mfa")
	m := mfaSecretRe.FindStringSubmatch(r.Body)
	if r.Status != http.StatusOK || m == nil {
		t.Fatalf("no key on the set-up page: %d", r.Status)
	}
	secret := strings.ReplaceAll(m[1], " ", "")
	// The QR code is a PNG drawn by the server itself.
	qr := c.Get("/account/mfa/qr.png")
	if qr.Status != http.StatusOK || qr.Header.Get("Content-Type") != "image/png" || qr.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("qr code: %d %s", qr.Status, qr.Header.Get("Content-Type"))
	}
	if img, err := png.Decode(bytes.NewReader([]byte(qr.Body))); err != nil || img.Bounds().Dx() != 240 {
		t.Fatalf("qr code is not a 240px png: %v", err)
	}
	now := time.Now()
	if r := c.PostForm("/account/mfa/confirm", webtest.Form("code", wrongCode(totpCode(t, secret, now)))); r.Status != http.StatusBadRequest || !strings.Contains(r.Body, "Wrong code") {
		t.Fatalf("confirm with a wrong code: %d", r.Status)
	}
	r = c.PostForm("/account/mfa/confirm", webtest.Form("code", totpCode(t, secret, now)))
	if r.Status != http.StatusOK {
		t.Fatalf("confirm: %d %s", r.Status, r.Body)
	}
	var codes []string
	for _, m := range recoveryCodeRe.FindAllStringSubmatch(r.Body, -1) {
		codes = append(codes, m[1])
	}
	if len(codes) != store.RecoveryCodeCount {
		t.Fatalf("recovery codes shown: %d, want %d", len(codes), store.RecoveryCodeCount)
	}
	// Shown once: the page no longer has them.
	if r := c.Get("/account/mfa"); !strings.Contains(r.Body, "is <strong>on</strong>") || strings.Contains(r.Body, codes[0]) {
		t.Fatalf("account page after set-up: on=%v", strings.Contains(r.Body, "is <strong>on</strong>"))
	}
	return secret, now, codes
}

// passwordStep signs in with the password and expects to be asked for a code.
func passwordStep(t *testing.T, env *webtest.Env, email, password string) *webtest.Client {
	t.Helper()
	c := env.NewClient(t)
	c.Get("/login?next=%2Fdashboard%2Fstats")
	r := c.PostForm("/login", webtest.Form("email", email, "password", password, "next", "/dashboard/stats"))
	if r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/login/mfa") {
		t.Fatalf("password step: %d %s", r.Status, r.Header.Get("Location"))
	}
	// Half signed in is not signed in.
	if r := c.Get("/dashboard/review-queue"); r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/login") {
		t.Fatalf("queue before the code: %d %s", r.Status, r.Header.Get("Location"))
	}
	if r := c.HTMX(http.MethodGet, "/dashboard/review-queue/rows", nil); r.Status != http.StatusUnauthorized {
		t.Fatalf("htmx rows before the code: %d", r.Status)
	}
	if r := c.Get(r.Header.Get("Location")); r.Status != http.StatusOK || !strings.Contains(r.Body, html.EscapeString(email)) {
		t.Fatalf("code page: %d", r.Status)
	}
	return c
}

func auditActions(t *testing.T, st *store.Store, action string) []store.AuditEntry {
	t.Helper()
	entries, _, err := st.ListAudit(context.Background(), store.AuditFilter{Action: action, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	return entries
}

func TestTOTPEnrolLoginAndRecoveryCodes(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			env := webtest.Start(t, d)
			c, op := env.LoggedIn(t, store.RoleLead)
			pw := storetest.Password(store.RoleLead)
			secret, confirmedAt, codes := enrolTOTP(t, c)

			// The secret is stored sealed, not as the key the app shows.
			m, err := env.Store.GetMFA(context.Background(), op.ID)
			if err != nil || strings.Contains(m.Secret, secret) || !strings.HasPrefix(m.Secret, "v1:") {
				t.Fatalf("stored secret: %v %q", err, m.Secret)
			}

			login := passwordStep(t, env, op.Email, pw)
			// A wrong code and the code that confirmed the set-up (used) are refused.
			if r := login.PostForm("/login/mfa", webtest.Form("code", wrongCode(totpCode(t, secret, confirmedAt)), "next", "/dashboard/stats")); r.Status != http.StatusUnauthorized || !strings.Contains(r.Body, "Wrong code") {
				t.Fatalf("wrong code: %d", r.Status)
			}
			if r := login.PostForm("/login/mfa", webtest.Form("code", totpCode(t, secret, confirmedAt))); r.Status != http.StatusUnauthorized || !strings.Contains(r.Body, "used already") {
				t.Fatalf("reused code: %d", r.Status)
			}
			// The next step's code (clock drift allowed) signs in, to next.
			nextCode := totpCode(t, secret, confirmedAt.Add(30*time.Second))
			r := login.PostForm("/login/mfa", webtest.Form("code", nextCode, "next", "/dashboard/stats"))
			if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/dashboard/stats" {
				t.Fatalf("right code: %d %s", r.Status, r.Header.Get("Location"))
			}
			if r := login.Get("/dashboard/stats"); r.Status != http.StatusOK {
				t.Fatalf("stats after the code: %d", r.Status)
			}
			// The pending session died with the step: the code page sends on.
			if r := login.Get("/login/mfa"); r.Status != http.StatusSeeOther {
				t.Fatalf("code page when signed in: %d", r.Status)
			}

			// The same code in another login within its window: refused.
			again := passwordStep(t, env, op.Email, pw)
			if r := again.PostForm("/login/mfa", webtest.Form("code", nextCode)); r.Status != http.StatusUnauthorized || !strings.Contains(r.Body, "used already") {
				t.Fatalf("code replayed in a second login: %d", r.Status)
			}
			// A recovery code works once (typed in lower case, without the dash).
			rc := strings.ToLower(strings.ReplaceAll(codes[3], "-", ""))
			if r := again.PostForm("/login/mfa", webtest.Form("code", rc)); r.Status != http.StatusSeeOther {
				t.Fatalf("recovery code: %d %s", r.Status, r.Body)
			}
			if r := again.Get("/dashboard/review-queue"); r.Status != http.StatusOK {
				t.Fatalf("queue after a recovery code: %d", r.Status)
			}
			third := passwordStep(t, env, op.Email, pw)
			if r := third.PostForm("/login/mfa", webtest.Form("code", codes[3])); r.Status != http.StatusUnauthorized {
				t.Fatalf("recovery code used twice: %d", r.Status)
			}
			if r := again.Get("/account/mfa"); !strings.Contains(r.Body, "Recovery codes left: "+strconv.Itoa(store.RecoveryCodeCount-1)) {
				t.Fatal("account page does not count the spent recovery code")
			}
			if n := len(auditActions(t, env.Store, "mfa.recovery_code_used")); n != 1 {
				t.Fatalf("recovery code audit entries: %d", n)
			}
			if n := len(auditActions(t, env.Store, "mfa.enable")); n != 1 {
				t.Fatalf("mfa.enable audit entries: %d", n)
			}
		})
	}
}

func TestTOTPCodesAreThrottledLikePasswords(t *testing.T) {
	env := webtest.Start(t, store.SQLite)
	c, op := env.LoggedIn(t, store.RoleOperator)
	secret, at, _ := enrolTOTP(t, c)
	login := passwordStep(t, env, op.Email, storetest.Password(store.RoleOperator))
	max := env.Store.Options().MaxAccountFailures
	for i := 0; i < max; i++ {
		if r := login.PostForm("/login/mfa", webtest.Form("code", wrongCode(totpCode(t, secret, at)))); r.Status != http.StatusUnauthorized {
			t.Fatalf("wrong code %d: %d", i+1, r.Status)
		}
	}
	// Out of tries: even the right code waits.
	r := login.PostForm("/login/mfa", webtest.Form("code", totpCode(t, secret, at.Add(30*time.Second))))
	if r.Status != http.StatusTooManyRequests || r.Header.Get("Retry-After") == "" {
		t.Fatalf("code after %d failures: %d", max, r.Status)
	}
}

func TestMFARequiredForRoleAndAdminReset(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			env := webtest.Start(t, d)
			admin, adminOp := env.LoggedIn(t, store.RoleAdmin)
			lead := storetest.Operator(t, env.Store, "lee@example.com", store.RoleLead)
			opAcct := storetest.Operator(t, env.Store, "olu@example.com", store.RoleOperator)

			admin.Get("/admin/settings")
			if r := admin.PostForm("/admin/settings/auth.mfa_required_roles", webtest.Form("value", "lead, nobody")); r.Status != http.StatusBadRequest {
				t.Fatalf("unknown role accepted: %d", r.Status)
			}
			if r := admin.PostForm("/admin/settings/auth.mfa_required_roles", webtest.Form("value", "Lead")); r.Status != http.StatusSeeOther {
				t.Fatalf("set mfa_required_roles: %d %s", r.Status, r.Body)
			}

			// Another role signs in as before.
			other := env.NewClient(t)
			other.Login(opAcct.Email, storetest.Password(store.RoleOperator))

			// The lead is sent to set up right after the password, and can
			// do nothing else until it is done.
			c := env.NewClient(t)
			c.Get("/login")
			r := c.PostForm("/login", webtest.Form("email", lead.Email, "password", storetest.Password(store.RoleLead)))
			if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/account/mfa" {
				t.Fatalf("login of a lead without mfa: %d %s", r.Status, r.Header.Get("Location"))
			}
			if r := c.Get("/dashboard/stats"); r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/account/mfa" {
				t.Fatalf("stats before enrolling: %d %s", r.Status, r.Header.Get("Location"))
			}
			if r := c.HTMX(http.MethodGet, "/dashboard/review-queue/rows", nil); r.Status != http.StatusForbidden {
				t.Fatalf("htmx before enrolling: %d", r.Status)
			}
			if r := c.JSON(http.MethodGet, "/api/v1/review-queue/tasks", "", nil); r.Status != http.StatusForbidden {
				t.Fatalf("api by session before enrolling: %d", r.Status)
			}
			if r := c.Get("/account/mfa"); !strings.Contains(r.Body, "Your role requires two-factor sign-in") {
				t.Fatal("set-up page does not say the role requires it")
			}
			secret, at, _ := enrolTOTP(t, c)
			if r := c.Get("/dashboard/stats"); r.Status != http.StatusOK {
				t.Fatalf("stats after enrolling: %d", r.Status)
			}
			// Required: it cannot be turned off by its owner.
			if r := c.PostForm("/account/mfa/disable", webtest.Form("code", totpCode(t, secret, at.Add(30*time.Second)))); r.Status != http.StatusConflict {
				t.Fatalf("turning off a required factor: %d", r.Status)
			}
			// Next time the code is asked for.
			passwordStep(t, env, lead.Email, storetest.Password(store.RoleLead))

			// An admin resets it (a lost phone): audited, sessions end.
			page := admin.Get("/admin/operators/" + strconv.FormatInt(lead.ID, 10))
			if !strings.Contains(page.Body, `<p id="operator-mfa">On.`) {
				t.Fatal("operator page does not show the factor")
			}
			r = admin.PostForm("/admin/operators/"+strconv.FormatInt(lead.ID, 10)+"/mfa/reset", nil)
			if r.Status != http.StatusSeeOther || !strings.HasSuffix(r.Header.Get("Location"), "?done=mfa-reset") {
				t.Fatalf("reset: %d %s", r.Status, r.Header.Get("Location"))
			}
			if r := c.Get("/dashboard/stats"); r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/login") {
				t.Fatalf("lead's session after the reset: %d %s", r.Status, r.Header.Get("Location"))
			}
			entries := auditActions(t, env.Store, "operator.mfa_reset")
			if len(entries) != 1 || entries[0].Target != lead.Email || entries[0].ActorName != adminOp.Name {
				t.Fatalf("reset audit: %+v", entries)
			}
			if r := admin.PostForm("/admin/operators/"+strconv.FormatInt(lead.ID, 10)+"/mfa/reset", nil); r.Status != http.StatusConflict {
				t.Fatalf("second reset: %d", r.Status)
			}
			// Not an admin: no reset.
			if r := other.PostForm("/admin/operators/"+strconv.FormatInt(lead.ID, 10)+"/mfa/reset", nil); r.Status != http.StatusForbidden {
				t.Fatalf("reset by an operator: %d", r.Status)
			}
			// Signing in again starts the enrolment again.
			again := env.NewClient(t)
			again.Get("/login")
			if r := again.PostForm("/login", webtest.Form("email", lead.Email, "password", storetest.Password(store.RoleLead))); r.Header.Get("Location") != "/account/mfa" {
				t.Fatalf("login after the reset: %d %s", r.Status, r.Header.Get("Location"))
			}
		})
	}
}

func TestTOTPTurnOffWithCode(t *testing.T) {
	env := webtest.Start(t, store.SQLite)
	c, op := env.LoggedIn(t, store.RoleOperator)
	secret, at, _ := enrolTOTP(t, c)
	// A second set-up while one is on is refused (the key would change).
	if r := c.PostForm("/account/mfa/setup", nil); r.Status != http.StatusConflict {
		t.Fatalf("set-up while on: %d", r.Status)
	}
	if r := c.PostForm("/account/mfa/disable", webtest.Form("code", wrongCode(totpCode(t, secret, at)))); r.Status != http.StatusBadRequest {
		t.Fatalf("turn off with a wrong code: %d", r.Status)
	}
	if r := c.PostForm("/account/mfa/disable", webtest.Form("code", totpCode(t, secret, at.Add(30*time.Second)))); r.Status != http.StatusSeeOther {
		t.Fatalf("turn off: %d %s", r.Status, r.Body)
	}
	if on, err := env.Store.MFAEnabled(context.Background(), op.ID); err != nil || on {
		t.Fatalf("still on: %v %v", on, err)
	}
	// The password alone signs in again.
	env.NewClient(t).Login(op.Email, storetest.Password(store.RoleOperator))
}
