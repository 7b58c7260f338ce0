package web_test

import (
	"net/http"
	"strings"
	"testing"

	"reviewq/store"
	"reviewq/store/storetest"
	"reviewq/web/webtest"
)

func TestLoginLogoutAndRevocation(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			env := webtest.Start(t, d)
			op := storetest.Operator(t, env.Store, "ann@example.com", store.RoleOperator)

			anon := env.NewClient(t)
			if r := anon.Get("/dashboard/review-queue"); r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/login") {
				t.Fatalf("anonymous queue: %d %s", r.Status, r.Header.Get("Location"))
			}
			// Wrong password and unknown user get the same answer.
			anon.Get("/login")
			r1 := anon.PostForm("/login", webtest.Form("email", op.Email, "password", "wrong-password"))
			r2 := anon.PostForm("/login", webtest.Form("email", "nobody@example.com", "password", "wrong-password"))
			if r1.Status != http.StatusUnauthorized || r2.Status != http.StatusUnauthorized ||
				!strings.Contains(r1.Body, "Wrong email or password.") || !strings.Contains(r2.Body, "Wrong email or password.") {
				t.Fatalf("bad logins: %d %d", r1.Status, r2.Status)
			}
			// Login without the form's CSRF token is refused.
			fresh := env.NewClient(t)
			if r := fresh.PostForm("/login", webtest.Form("email", op.Email, "password", storetest.Password("operator"))); r.Status != http.StatusForbidden {
				t.Fatalf("login without csrf: %d", r.Status)
			}

			c := env.NewClient(t)
			c.Login(op.Email, storetest.Password("operator"))
			r := c.Get("/dashboard/review-queue")
			if r.Status != http.StatusOK || !strings.Contains(r.Body, "Review queue") {
				t.Fatalf("queue after login: %d", r.Status)
			}
			var cookie *http.Cookie
			for _, ck := range c.HTTP.Jar.Cookies(mustURL(t, env.URL)) {
				if ck.Name == "reviewq_session" {
					cookie = ck
				}
			}
			if cookie == nil {
				t.Fatal("no session cookie")
			}
			// A copy of the cookie (a second browser, or a thief) works until logout...
			copyClient := env.NewClient(t)
			copyClient.HTTP.Jar.SetCookies(mustURL(t, env.URL), []*http.Cookie{cookie})
			if r := copyClient.Get("/dashboard/review-queue"); r.Status != http.StatusOK {
				t.Fatalf("cookie copy before logout: %d", r.Status)
			}
			if r := c.PostForm("/logout", nil); r.Status != http.StatusSeeOther {
				t.Fatalf("logout: %d", r.Status)
			}
			// ...and is dead after it: the session is gone server-side.
			if r := copyClient.Get("/dashboard/review-queue"); r.Status != http.StatusSeeOther {
				t.Fatalf("cookie copy after logout: %d", r.Status)
			}
		})
	}
}

func TestSessionCookieFlags(t *testing.T) {
	env := webtest.Start(t, store.SQLite)
	op := storetest.Operator(t, env.Store, "bo@example.com", store.RoleOperator)
	c := env.NewClient(t)
	c.Get("/login")
	r := c.PostForm("/login", webtest.Form("email", op.Email, "password", storetest.Password("operator")))
	sc := r.Header.Get("Set-Cookie")
	if !strings.Contains(sc, "HttpOnly") || !strings.Contains(sc, "SameSite=Lax") {
		t.Fatalf("cookie flags: %s", sc)
	}
}

func TestSecurityHeadersAndStatic(t *testing.T) {
	env := webtest.Start(t, store.SQLite)
	c := env.NewClient(t)
	r := c.Get("/login")
	csp := r.Header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") || !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Fatalf("csp: %s", csp)
	}
	if r.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Fatal("nosniff missing")
	}
	if strings.Contains(r.Body, "<script>") || strings.Contains(r.Body, " style=") || strings.Contains(r.Body, " onclick=") {
		t.Fatal("inline script or style in the page")
	}
	i := strings.Index(r.Body, "/static/")
	j := strings.Index(r.Body[i:], `"`)
	asset := r.Body[i : i+j]
	a := c.Get(asset)
	if a.Status != http.StatusOK || !strings.Contains(a.Header.Get("Cache-Control"), "immutable") {
		t.Fatalf("asset %s: %d %s", asset, a.Status, a.Header.Get("Cache-Control"))
	}
}

func TestProbes(t *testing.T) {
	env := webtest.Start(t, store.SQLite)
	c := env.NewClient(t)
	if r := c.Get("/healthz"); r.Status != 200 {
		t.Fatalf("healthz %d", r.Status)
	}
	if r := c.Get("/readyz"); r.Status != 200 || !strings.Contains(r.Body, "ready") {
		t.Fatalf("readyz %d %s", r.Status, r.Body)
	}
}

func TestRoleGuardOnStaleRole(t *testing.T) {
	env := webtest.Start(t, store.SQLite)
	c, op := env.LoggedIn(t, store.RoleOperator)
	// Deactivation ends the session at once.
	if err := env.Store.DB.Model(&store.Operator{}).Where("id = ?", op.ID).Update("active", false).Error; err != nil {
		t.Fatal(err)
	}
	if r := c.Get("/dashboard/review-queue"); r.Status != http.StatusSeeOther {
		t.Fatalf("deactivated operator still in: %d", r.Status)
	}
}
