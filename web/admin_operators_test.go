package web_test

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"reviewq/store"
	"reviewq/store/storetest"
	"reviewq/web/webtest"
)

var linkRe = regexp.MustCompile(`value="(https?://[^"]+/set-password/[^"]+)"`)

// setPasswordLink finds the one-time link on an admin page.
func setPasswordLink(t *testing.T, r *webtest.Response) string {
	t.Helper()
	m := linkRe.FindStringSubmatch(r.Body)
	if m == nil {
		t.Fatalf("no set-password link on the page (%d)", r.Status)
	}
	u, err := url.Parse(html.UnescapeString(m[1]))
	if err != nil {
		t.Fatal(err)
	}
	return u.Path
}

func TestAdminCreatesAccountsWithLinkOrPassword(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			env := webtest.Start(t, d)
			admin, _ := env.LoggedIn(t, store.RoleAdmin)
			if r := admin.Get("/admin/operators"); r.Status != http.StatusOK || !strings.Contains(r.Body, "Operator accounts") {
				t.Fatalf("operators page: %d", r.Status)
			}

			// With a one-time link: the person sets the password themselves.
			r := admin.PostForm("/admin/operators", webtest.Form("name", "Nia New", "email", "nia@example.com", "role", "lead", "mode", "link"))
			if r.Status != http.StatusCreated || !strings.Contains(r.Body, "Account nia@example.com created") {
				t.Fatalf("create with link: %d", r.Status)
			}
			link := setPasswordLink(t, r)
			nia := env.NewClient(t)
			if p := nia.Get(link); p.Status != http.StatusOK || !strings.Contains(p.Body, "Set your password") || !strings.Contains(p.Body, "nia@example.com") {
				t.Fatalf("link page: %d", p.Status)
			}
			if p := nia.PostForm(link, webtest.Form("new_password", "short")); p.Status != http.StatusBadRequest || !strings.Contains(p.Body, "at least 10") {
				t.Fatalf("short password through the link: %d", p.Status)
			}
			if p := nia.PostForm(link, webtest.Form("new_password", "nia-chose-this")); p.Status != http.StatusOK || !strings.Contains(p.Body, "Your password is set") {
				t.Fatalf("set password: %d", p.Status)
			}
			if p := nia.Get(link); p.Status != http.StatusNotFound {
				t.Fatalf("used link still works: %d", p.Status)
			}
			nia.Login("nia@example.com", "nia-chose-this")

			// With an initial password.
			r = admin.PostForm("/admin/operators", webtest.Form("name", "Pat", "email", "pat@example.com", "role", "operator", "mode", "password", "password", "initial-password"))
			if r.Status != http.StatusCreated || linkRe.MatchString(r.Body) {
				t.Fatalf("create with password: %d", r.Status)
			}
			env.NewClient(t).Login("pat@example.com", "initial-password")

			// Bad input: a clear 400, the form keeps what was typed, nothing created.
			n, _ := env.Store.CountOperators(t.Context())
			r = admin.PostForm("/admin/operators", webtest.Form("name", "Dup", "email", "pat@example.com", "role", "operator", "mode", "link"))
			if r.Status != http.StatusBadRequest || !strings.Contains(r.Body, "already exists") || !strings.Contains(r.Body, `value="Dup"`) {
				t.Fatalf("duplicate email: %d", r.Status)
			}
			r = admin.PostForm("/admin/operators", webtest.Form("name", "X", "email", "x@example.com", "role", "root", "mode", "link"))
			if r.Status != http.StatusBadRequest || !strings.Contains(r.Body, "role: must be one of") {
				t.Fatalf("bad role: %d", r.Status)
			}
			if m, _ := env.Store.CountOperators(t.Context()); m != n {
				t.Fatalf("bad input created accounts: %d -> %d", n, m)
			}
		})
	}
}

func TestAdminManagesAnAccount(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			env := webtest.Start(t, d)
			admin, adminOp := env.LoggedIn(t, store.RoleAdmin)
			worker, op := env.LoggedIn(t, store.RoleOperator)
			second := env.NewClient(t)
			second.Login(op.Email, storetest.Password("operator"))
			page := "/admin/operators/" + strconv.FormatInt(op.ID, 10)

			// Role change: effective on the operator's next request.
			if r := worker.Get("/admin/operators"); r.Status != http.StatusForbidden {
				t.Fatalf("operator on admin page: %d", r.Status)
			}
			if r := admin.PostForm(page+"/role", webtest.Form("role", "admin")); r.Status != http.StatusSeeOther {
				t.Fatalf("set role: %d", r.Status)
			}
			if r := worker.Get("/admin/operators"); r.Status != http.StatusOK {
				t.Fatalf("promoted operator on admin page: %d", r.Status)
			}
			if r := admin.PostForm(page+"/role", webtest.Form("role", "operator")); r.Status != http.StatusSeeOther {
				t.Fatalf("set role back: %d", r.Status)
			}

			// Sessions: both are listed; revoking one ends only that one.
			r := admin.Get(page)
			sessions := regexp.MustCompile(`name="session" value="([0-9a-f]{64})"`).FindAllStringSubmatch(r.Body, -1)
			if r.Status != http.StatusOK || len(sessions) != 2 {
				t.Fatalf("sessions on the account page: %d, %d listed", r.Status, len(sessions))
			}
			sid := sessions[0][1]
			if r := admin.PostForm(page+"/sessions/revoke", webtest.Form("session", sid)); r.Status != http.StatusSeeOther {
				t.Fatalf("revoke: %d", r.Status)
			}
			alive := 0
			for _, c := range []*webtest.Client{worker, second} {
				if c.Get("/dashboard/review-queue").Status == http.StatusOK {
					alive++
				}
			}
			if alive != 1 {
				t.Fatalf("%d sessions alive after revoking one of two", alive)
			}

			// Deactivation ends every session at once; reactivation lets them log in again.
			worker = env.NewClient(t)
			worker.Login(op.Email, storetest.Password("operator"))
			if r := admin.PostForm(page+"/deactivate", nil); r.Status != http.StatusSeeOther {
				t.Fatalf("deactivate: %d", r.Status)
			}
			if r := worker.Get("/dashboard/review-queue"); r.Status != http.StatusSeeOther {
				t.Fatalf("deactivated operator still in: %d", r.Status)
			}
			worker.Get("/login")
			if r := worker.PostForm("/login", webtest.Form("email", op.Email, "password", storetest.Password("operator"))); r.Status != http.StatusUnauthorized {
				t.Fatalf("deactivated login: %d", r.Status)
			}
			if r := admin.PostForm(page+"/reactivate", nil); r.Status != http.StatusSeeOther {
				t.Fatalf("reactivate: %d", r.Status)
			}
			worker.Login(op.Email, storetest.Password("operator"))

			// Reset password: the admin's password works, the old one and the old sessions do not.
			if r := admin.PostForm(page+"/password", webtest.Form("mode", "password", "password", "reset-by-admin")); r.Status != http.StatusSeeOther {
				t.Fatalf("reset: %d", r.Status)
			}
			if r := worker.Get("/dashboard/review-queue"); r.Status != http.StatusSeeOther {
				t.Fatalf("session survived a reset: %d", r.Status)
			}
			env.NewClient(t).Login(op.Email, "reset-by-admin")
			if r := admin.PostForm(page+"/password", webtest.Form("mode", "link")); r.Status != http.StatusOK {
				t.Fatalf("reset link: %d", r.Status)
			} else if p := env.NewClient(t).Get(setPasswordLink(t, r)); p.Status != http.StatusOK {
				t.Fatalf("reset link page: %d", p.Status)
			}

			// The last admin cannot demote or deactivate themselves.
			self := "/admin/operators/" + strconv.FormatInt(adminOp.ID, 10)
			if r := admin.PostForm(self+"/role", webtest.Form("role", "lead")); r.Status != http.StatusConflict || !strings.Contains(r.Body, "last active admin") {
				t.Fatalf("demote last admin: %d", r.Status)
			}
			if r := admin.PostForm(self+"/deactivate", nil); r.Status != http.StatusConflict {
				t.Fatalf("deactivate last admin: %d", r.Status)
			}
			if r := admin.Get("/admin/operators/999999"); r.Status != http.StatusNotFound {
				t.Fatalf("unknown account: %d", r.Status)
			}
			if r := admin.PostForm(page+"/role", webtest.Form("role", "root")); r.Status != http.StatusBadRequest {
				t.Fatalf("unknown role: %d", r.Status)
			}

			// Everything above is in the audit log, with old and new values.
			r = admin.Get("/admin/audit?actor=" + url.QueryEscape(adminOp.Name))
			for _, want := range []string{"operator.set_role", "role=operator", "role=admin", "operator.revoke_session", "operator.deactivate",
				"operator.reactivate", "operator.reset_password", "operator.password_link"} {
				if !strings.Contains(r.Body, want) {
					t.Errorf("audit log lacks %q", want)
				}
			}
			if strings.Contains(r.Body, "reset-by-admin") {
				t.Error("audit log shows a password")
			}
		})
	}
}

func TestOwnPasswordChange(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			env := webtest.Start(t, d)
			c, op := env.LoggedIn(t, store.RoleLead)
			other := env.NewClient(t)
			other.Login(op.Email, storetest.Password("lead"))
			if r := c.Get("/account/password"); r.Status != http.StatusOK {
				t.Fatalf("page: %d", r.Status)
			}
			if r := c.PostForm("/account/password", webtest.Form("current_password", "not-it-at-all", "new_password", "new-password-1")); r.Status != http.StatusBadRequest ||
				!strings.Contains(r.Body, "not your current password") {
				t.Fatalf("wrong current: %d", r.Status)
			}
			if r := c.PostForm("/account/password", webtest.Form("current_password", storetest.Password("lead"), "new_password", "new-password-1")); r.Status != http.StatusOK ||
				!strings.Contains(r.Body, "Your password was changed") {
				t.Fatalf("change: %d", r.Status)
			}
			if r := c.Get("/dashboard/review-queue"); r.Status != http.StatusOK {
				t.Fatalf("own session ended: %d", r.Status)
			}
			if r := other.Get("/dashboard/review-queue"); r.Status != http.StatusSeeOther {
				t.Fatalf("other session survived: %d", r.Status)
			}
			env.NewClient(t).Login(op.Email, "new-password-1")
			if r := env.NewClient(t).Get("/account/password"); r.Status != http.StatusSeeOther {
				t.Fatalf("anonymous: %d", r.Status)
			}
		})
	}
}

func TestAuditPage(t *testing.T) {
	env := webtest.Start(t, store.SQLite)
	admin, adminOp := env.LoggedIn(t, store.RoleAdmin)
	anon := env.NewClient(t)
	anon.Get("/login")
	anon.PostForm("/login", webtest.Form("email", "mallory@example.com", "password", "guess-one-two"))

	r := admin.Get("/admin/audit?action=login.failure")
	if r.Status != http.StatusOK || !strings.Contains(r.Body, "mallory@example.com") || strings.Contains(r.Body, "guess-one-two") {
		t.Fatalf("login failures: %d", r.Status)
	}
	if strings.Contains(r.Body, "<code>login.success</code>") {
		t.Fatal("action filter let other actions through")
	}
	r = admin.Get("/admin/audit?action=login.*")
	if !strings.Contains(r.Body, "<code>login.success</code>") || !strings.Contains(r.Body, adminOp.Email) {
		t.Fatal("login successes missing")
	}
	today := store.Now().Format("2006-01-02")
	if r := admin.Get("/admin/audit?from=" + today + "&to=" + today); !strings.Contains(r.Body, "mallory@example.com") {
		t.Fatal("today's entries missing from a date filter")
	}
	if r := admin.Get("/admin/audit?to=2001-01-01"); strings.Contains(r.Body, "mallory@example.com") || !strings.Contains(r.Body, "No entries match") {
		t.Fatal("date filter did not filter")
	}
	for _, bad := range []string{"from=yesterday", "before=-1", "before=abc", "from=2026-02-01&to=2026-01-01"} {
		if r := admin.Get("/admin/audit?" + bad); r.Status != http.StatusBadRequest {
			t.Errorf("%s: %d", bad, r.Status)
		}
	}
}

func TestOwnPasswordGuessingIsThrottled(t *testing.T) {
	env := webtest.Start(t, store.SQLite)
	c, _ := env.LoggedIn(t, store.RoleOperator)
	for i := 0; i < env.Store.Options().MaxAccountFailures; i++ {
		if r := c.PostForm("/account/password", webtest.Form("current_password", "guess-number-"+strconv.Itoa(i), "new_password", "whatever-new-1")); r.Status != http.StatusBadRequest {
			t.Fatalf("guess %d: %d", i, r.Status)
		}
	}
	r := c.PostForm("/account/password", webtest.Form("current_password", storetest.Password("operator"), "new_password", "whatever-new-1"))
	if r.Status != http.StatusTooManyRequests || !strings.Contains(r.Body, "Too many failed sign-ins") {
		t.Fatalf("after %d wrong guesses: %d", env.Store.Options().MaxAccountFailures, r.Status)
	}
}

func TestOperatorSessionsArePaged(t *testing.T) {
	env := webtest.Start(t, store.SQLite)
	admin, _ := env.LoggedIn(t, store.RoleAdmin)
	op := storetest.Operator(t, env.Store, "busy@example.com", store.RoleOperator)
	for i := 0; i < 60; i++ {
		if _, err := env.Store.CreateSession(t.Context(), op, "10.0.0."+strconv.Itoa(i), "ua"); err != nil {
			t.Fatal(err)
		}
	}
	sessionRe := regexp.MustCompile(`name="session" value="([0-9a-f]{64})"`)
	moreRe := regexp.MustCompile(`href="(/admin/operators/[0-9]+\?after=[^"]+)">More sessions`)
	pages, seen := walkPages(t, admin, "/admin/operators/"+strconv.FormatInt(op.ID, 10), sessionRe, moreRe)
	if pages != 2 || len(seen) != 60 {
		t.Fatalf("%d pages, %d sessions", pages, len(seen))
	}
	if r := admin.Get("/admin/operators/" + strconv.FormatInt(op.ID, 10) + "?after=garbage"); r.Status != http.StatusBadRequest {
		t.Fatalf("bad cursor: %d", r.Status)
	}
}

func TestOperatorListIsPaged(t *testing.T) {
	env := webtest.Start(t, store.SQLite)
	admin, _ := env.LoggedIn(t, store.RoleAdmin)
	now := store.Now()
	for i := 0; i < 60; i++ {
		op := store.Operator{Email: "bulk" + strconv.Itoa(i) + "@example.com", Name: "Bulk " + strconv.Itoa(i), Role: store.RoleOperator,
			PasswordHash: "unused", Active: true, CreatedAt: now, UpdatedAt: now}
		if err := env.Store.DB.Create(&op).Error; err != nil {
			t.Fatal(err)
		}
	}
	rowRe := regexp.MustCompile(`<td><a href="/admin/operators/([0-9]+)">`)
	nextRe := regexp.MustCompile(`href="(/admin/operators\?after=[0-9]+)">Next page`)
	pages, seen := walkPages(t, admin, "/admin/operators", rowRe, nextRe)
	if pages != 2 || len(seen) != 61 {
		t.Fatalf("%d pages, %d accounts", pages, len(seen))
	}
	if r := admin.Get("/admin/operators?after=-3"); r.Status != http.StatusBadRequest {
		t.Fatalf("bad position: %d", r.Status)
	}
}

func TestAuditPageIsPaged(t *testing.T) {
	env := webtest.Start(t, store.SQLite)
	admin, _ := env.LoggedIn(t, store.RoleAdmin)
	for i := 0; i < 150; i++ {
		e := store.AuditEntry{CreatedAt: store.Now(), ActorType: store.ActorSystem, ActorName: "bulk", Action: "settings.set", Target: "k" + strconv.Itoa(i)}
		if err := env.Store.DB.Create(&e).Error; err != nil {
			t.Fatal(err)
		}
	}
	targetRe := regexp.MustCompile(`<td>(k[0-9]+)</td>`)
	nextRe := regexp.MustCompile(`href="(/admin/audit\?[^"]+)">Older entries`)
	pages, seen := walkPages(t, admin, "/admin/audit?actor=bulk&action=settings.%2A", targetRe, nextRe)
	if pages != 2 || len(seen) != 150 {
		t.Fatalf("%d pages, %d entries", pages, len(seen))
	}
}

// TestBrowserAccountByLink: in Chromium an admin creates an account with a
// one-time link, the person opens the link and sets a password, and signs
// in with it.
func TestBrowserAccountByLink(t *testing.T) {
	ctx := webtest.Browser(t)
	env := webtest.Start(t, store.SQLite)
	admin := storetest.Operator(t, env.Store, "root-admin@example.com", store.RoleAdmin)
	webtest.BrowserLogin(t, ctx, env.URL, admin.Email, storetest.Password(store.RoleAdmin))
	wait(ctx, t, "create an account",
		chromedp.Navigate(env.URL+"/admin/operators"),
		chromedp.WaitVisible("#op-name"),
		chromedp.SendKeys("#op-name", "Quinn Newhire"),
		chromedp.SendKeys("#op-email", "quinn@example.com"),
		chromedp.SetValue("#op-role", "lead"),
		chromedp.Click(".admin-form button[type=submit]"),
		chromedp.WaitVisible(".copy-link"),
	)
	webtest.Screenshot(t, ctx, "admin-operator-created")
	link := jsString(ctx, t, `document.querySelector(".copy-link").value`)
	if !strings.Contains(link, "/set-password/") {
		t.Fatalf("link shown: %q", link)
	}
	wait(ctx, t, "set the password",
		chromedp.Navigate(link),
		chromedp.WaitVisible("#new_password"),
		chromedp.SendKeys("#new_password", "quinn-picked-this"),
		chromedp.Click("form.stack button[type=submit]"),
		chromedp.WaitVisible(`a[href="/login"]`),
	)
	webtest.Screenshot(t, ctx, "set-password-done")
	c := env.NewClient(t)
	c.Login("quinn@example.com", "quinn-picked-this")
	if r := c.Get("/dashboard/stats"); r.Status != http.StatusOK {
		t.Fatalf("the new lead on the stats page: %d", r.Status)
	}
}
