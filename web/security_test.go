package web_test

import (
	"context"
	"crypto/tls"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"reviewq/store"
	"reviewq/store/storetest"
	"reviewq/web"
	"reviewq/web/webtest"
)

const wantCSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"

func checkSecurityHeaders(t *testing.T, what string, h http.Header) {
	t.Helper()
	for k, want := range map[string]string{
		"Content-Security-Policy": wantCSP, "X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin",
		"X-Frame-Options": "DENY",
	} {
		if got := h.Get(k); got != want {
			t.Errorf("%s: %s = %q, want %q", what, k, got, want)
		}
	}
}

// newServer builds a server with a config of the test's own (webtest uses
// a fixed one).
func newServer(t *testing.T, st *store.Store, cfg web.Config) *web.Server {
	t.Helper()
	cfg.SessionSecret = webtest.Secret
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	srv, err := web.New(st, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return srv
}

func TestSecurityHeadersOnEveryKindOfResponse(t *testing.T) {
	env := webtest.Start(t, store.SQLite)
	op, _ := env.LoggedIn(t, store.RoleOperator)
	anon := env.NewClient(t)
	login := anon.Get("/login")
	css := regexp.MustCompile(`/static/[^"]+\.css`).FindString(login.Body)
	big := strings.NewReader("email=" + strings.Repeat("a", 2<<20))
	bigReq, _ := http.NewRequest(http.MethodPost, env.URL+"/login", big)
	bigReq.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	bigResp, err := http.DefaultClient.Do(bigReq)
	if err != nil {
		t.Fatal(err)
	}
	bigResp.Body.Close()
	if bigResp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("2 MiB login body: %d, want 413", bigResp.StatusCode)
	}
	checkSecurityHeaders(t, "413", bigResp.Header)

	cases := map[string]*webtest.Response{
		"page":            login,
		"redirect":        anon.Get("/dashboard/review-queue"),
		"404 page":        anon.Get("/no/such/page"),
		"403 page":        op.Get("/admin/operators"),
		"405":             anon.JSON(http.MethodDelete, "/login", "", nil),
		"static file":     anon.Get(css),
		"missing static":  anon.Get("/static/0/nothing.js"),
		"api 401":         anon.JSON(http.MethodGet, "/api/v1/review-queue/stats", "", nil),
		"api 404":         anon.JSON(http.MethodGet, "/api/v1/leads/1", env.Token(t, store.ScopeQueueRead), nil),
		"api 200":         anon.JSON(http.MethodGet, "/api/v1/review-queue/reason-codes", env.Token(t, store.ScopeQueueRead), nil),
		"htmx error":      op.HTMX(http.MethodPost, "/dashboard/review-queue/999999/approve", url.Values{}),
		"probe":           anon.Get("/healthz"),
		"csrf refusal":    env.NewClient(t).PostForm("/login", webtest.Form("email", "a@b.c")),
		"login throttled": nil,
	}
	delete(cases, "login throttled")
	wantStatus := map[string]int{"page": 200, "redirect": 303, "404 page": 404, "403 page": 403, "405": 405, "static file": 200,
		"missing static": 404, "api 401": 401, "api 404": 404, "api 200": 200, "htmx error": 404, "probe": 200, "csrf refusal": 403}
	for what, r := range cases {
		if r.Status != wantStatus[what] {
			t.Errorf("%s: status %d, want %d", what, r.Status, wantStatus[what])
		}
		checkSecurityHeaders(t, what, r.Header)
		if r.Header.Get("Strict-Transport-Security") != "" {
			t.Errorf("%s: HSTS over plain http", what)
		}
		// Error answers never show internals.
		for _, leak := range []string{"goroutine", ".go:", "SQL", "sqlite", "mysql", "gorm"} {
			if r.Status >= 400 && strings.Contains(r.Body, leak) {
				t.Errorf("%s: body shows %q", what, leak)
			}
		}
	}

	// Over TLS the answer carries HSTS.
	srv := newServer(t, env.Store, web.Config{SecureCookies: true})
	ts := httptest.NewTLSServer(srv.Echo)
	defer ts.Close()
	for _, p := range []string{"/login", "/no/such/page", "/healthz"} {
		resp, err := ts.Client().Get(ts.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if !strings.HasPrefix(resp.Header.Get("Strict-Transport-Security"), "max-age=") {
			t.Errorf("TLS %s: no HSTS", p)
		}
		checkSecurityHeaders(t, "TLS "+p, resp.Header)
	}
	_ = tls.VersionTLS12
}

func TestRequestBodyLimits(t *testing.T) {
	env := webtest.Start(t, store.SQLite)
	tok := env.Token(t, store.ScopeLeadsWrite)
	c := env.NewClient(t)
	huge := `{"external_id":"x","name":"` + strings.Repeat("a", 2<<20) + `"}`
	r := c.JSON(http.MethodPost, "/api/v1/leads", tok, huge)
	if r.Status != http.StatusRequestEntityTooLarge || !strings.Contains(r.Body, `"code":"body_too_large"`) {
		t.Fatalf("2 MiB JSON: %d %.200s", r.Status, r.Body)
	}
	// Without a Content-Length (chunked) the limit holds while reading.
	req, _ := http.NewRequest(http.MethodPost, env.URL+"/api/v1/leads", io.MultiReader(strings.NewReader(huge)))
	req.ContentLength = -1
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("chunked 2 MiB JSON: %d", resp.StatusCode)
	}
	var n int64
	env.Store.DB.Model(&store.Lead{}).Count(&n)
	if n != 0 {
		t.Fatalf("a refused body created %d leads", n)
	}
}

func TestCSRFProtection(t *testing.T) {
	env := webtest.Start(t, store.SQLite)
	c, _ := env.LoggedIn(t, store.RoleAdmin)
	other, _ := env.LoggedIn(t, store.RoleAdmin)
	create := func(csrf string, hdr map[string]string) int {
		v := webtest.Form("name", "Eve", "email", "eve"+store.RandomToken(3)+"@example.com", "role", "admin", "mode", "link", "csrf", csrf)
		req, _ := http.NewRequest(http.MethodPost, env.URL+"/admin/operators", strings.NewReader(v.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for k, val := range hdr {
			req.Header.Set(k, val)
		}
		resp, err := c.HTTP.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if s := create("", nil); s != http.StatusForbidden {
		t.Errorf("no token: %d", s)
	}
	if s := create("forged", nil); s != http.StatusForbidden {
		t.Errorf("forged token: %d", s)
	}
	if s := create(other.CSRF, nil); s != http.StatusForbidden {
		t.Errorf("another session's token: %d", s)
	}
	if s := create(c.CSRF, map[string]string{"Origin": "https://evil.example"}); s != http.StatusForbidden {
		t.Errorf("cross-origin with a valid token: %d", s)
	}
	if s := create(c.CSRF, map[string]string{"Sec-Fetch-Site": "cross-site"}); s != http.StatusForbidden {
		t.Errorf("cross-site fetch with a valid token: %d", s)
	}
	// Sec-Fetch-Site: same-origin does not replace the token (echo's CSRF
	// middleware skips the check for it; ours does not).
	if s := create("", map[string]string{"Sec-Fetch-Site": "same-origin"}); s != http.StatusForbidden {
		t.Errorf("same-origin without a token: %d", s)
	}
	n, _ := env.Store.CountOperators(context.Background())
	if n != 2 {
		t.Fatalf("forged requests created accounts: %d", n)
	}
	if s := create(c.CSRF, nil); s != http.StatusCreated {
		t.Errorf("genuine form: %d", s)
	}
	// The session-authenticated API needs the header too; a Bearer token does not.
	api := env.NewClient(t)
	api.HTTP.Jar = c.HTTP.Jar
	if r := api.JSON(http.MethodPost, "/api/v1/leads", "", `{"external_id":"csrf-1"}`); r.Status != http.StatusForbidden {
		t.Errorf("session API call without the CSRF header: %d", r.Status)
	}
	if r := c.JSON(http.MethodPost, "/api/v1/leads", "", `{"external_id":"csrf-2"}`); r.Status != http.StatusCreated {
		t.Errorf("session API call with the CSRF header: %d %s", r.Status, r.Body)
	}
	if r := env.NewClient(t).JSON(http.MethodPost, "/api/v1/leads", env.Token(t, store.ScopeLeadsWrite), `{"external_id":"csrf-3"}`); r.Status != http.StatusCreated {
		t.Errorf("bearer API call: %d", r.Status)
	}
}

func sessionCookie(t *testing.T, env *webtest.Env, c *webtest.Client) *http.Cookie {
	t.Helper()
	for _, ck := range c.HTTP.Jar.Cookies(mustURL(t, env.URL)) {
		if ck.Name == "reviewq_session" {
			return ck
		}
	}
	return nil
}

func TestSessionFixation(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			env := webtest.Start(t, d)
			victim := storetest.Operator(t, env.Store, "victim@example.com", store.RoleAdmin)

			// The attacker gets a pre-login cookie and plants it in the victim's browser.
			attacker := env.NewClient(t)
			attacker.Get("/login")
			planted := sessionCookie(t, env, attacker)
			csrfBefore := attacker.CSRF
			browser := env.NewClient(t)
			browser.HTTP.Jar.SetCookies(mustURL(t, env.URL), []*http.Cookie{planted})
			browser.Login(victim.Email, storetest.Password("admin"))
			after := sessionCookie(t, env, browser)
			if after.Value == planted.Value {
				t.Fatal("the session cookie did not change at login")
			}
			if browser.CSRF == csrfBefore {
				t.Fatal("the CSRF token did not change at login")
			}
			if r := attacker.Get("/admin/operators"); r.Status != http.StatusSeeOther {
				t.Fatalf("the planted cookie is logged in: %d", r.Status)
			}

			// An attacker logged in as themselves plants their session: when
			// the victim logs in, the attacker's session is ended, not shared.
			mallory := storetest.Operator(t, env.Store, "mallory@example.com", store.RoleOperator)
			attacker.Login(mallory.Email, storetest.Password("operator"))
			planted = sessionCookie(t, env, attacker)
			browser2 := env.NewClient(t)
			browser2.HTTP.Jar.SetCookies(mustURL(t, env.URL), []*http.Cookie{planted})
			// The page the victim sees carries the planted session's token.
			browser2.CSRF = attacker.CSRF
			if r := browser2.PostForm("/login", webtest.Form("email", victim.Email, "password", storetest.Password("admin"))); r.Status != http.StatusSeeOther {
				t.Fatalf("victim's login: %d", r.Status)
			}
			browser2.Get("/dashboard/review-queue")
			if r := browser2.Get("/admin/operators"); r.Status != http.StatusOK {
				t.Fatalf("victim after login: %d", r.Status)
			}
			if r := attacker.Get("/dashboard/review-queue"); r.Status != http.StatusSeeOther {
				t.Fatalf("the attacker's planted session survived the victim's login: %d", r.Status)
			}
		})
	}
}

func TestLoginThrottling(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			env := webtest.Start(t, d)
			op := storetest.Operator(t, env.Store, "target@example.com", store.RoleOperator)
			c := env.NewClient(t)
			c.Get("/login")
			for i := 0; i < store.MaxAccountFailures; i++ {
				if r := c.PostForm("/login", webtest.Form("email", op.Email, "password", "wrong-guess")); r.Status != http.StatusUnauthorized {
					t.Fatalf("failure %d: %d", i, r.Status)
				}
			}
			// Now even the right password is refused, with a clear message.
			r := c.PostForm("/login", webtest.Form("email", op.Email, "password", storetest.Password("operator")))
			if r.Status != http.StatusTooManyRequests || !strings.Contains(r.Body, "Too many failed sign-ins for this account. Try again in 15 minutes.") ||
				r.Header.Get("Retry-After") == "" {
				t.Fatalf("throttled login: %d %q", r.Status, r.Header.Get("Retry-After"))
			}
			// A second instance sees the same count: the state is in the database.
			env2 := webtest.StartStore(t, env.Store)
			c2 := env2.NewClient(t)
			c2.Get("/login")
			if r := c2.PostForm("/login", webtest.Form("email", op.Email, "password", storetest.Password("operator"))); r.Status != http.StatusTooManyRequests {
				t.Fatalf("other instance: %d", r.Status)
			}
			// Others from the same address still get in.
			other := storetest.Operator(t, env.Store, "colleague@example.com", store.RoleOperator)
			c.Login(other.Email, storetest.Password("operator"))
		})
	}
}

func TestLoginThrottlingByAddress(t *testing.T) {
	saved := store.MaxAddressFailures
	store.MaxAddressFailures = 3
	t.Cleanup(func() { store.MaxAddressFailures = saved })
	st := storetest.Open(t, store.SQLite)

	spray := func(t *testing.T, base string, xff func(i int) string) []int {
		var statuses []int
		for i := 0; i < 5; i++ {
			c := (&webtest.Env{URL: base, Store: st}).NewClient(t)
			c.Get("/login")
			v := webtest.Form("email", "user"+store.RandomToken(4)+"@example.com", "password", "wrong-guess", "csrf", c.CSRF)
			req, _ := http.NewRequest(http.MethodPost, base+"/login", strings.NewReader(v.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("X-Forwarded-For", xff(i))
			resp, err := c.HTTP.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			statuses = append(statuses, resp.StatusCode)
		}
		return statuses
	}
	// No trusted proxy: a forged X-Forwarded-For does not give new addresses.
	direct := httptest.NewServer(newServer(t, st, web.Config{}).Echo)
	defer direct.Close()
	got := spray(t, direct.URL, func(i int) string { return "203.0.113." + string(rune('1'+i)) })
	if got[3] != http.StatusTooManyRequests || got[4] != http.StatusTooManyRequests {
		t.Fatalf("spoofed X-Forwarded-For escaped the address limit: %v", got)
	}
	if err := st.DB.Where("1 = 1").Delete(&store.LoginAttempt{}).Error; err != nil {
		t.Fatal(err)
	}
	// Behind a trusted proxy its X-Forwarded-For is the client address.
	_, loopback, _ := net.ParseCIDR("127.0.0.0/8")
	proxied := httptest.NewServer(newServer(t, st, web.Config{TrustedProxies: []*net.IPNet{loopback}}).Echo)
	defer proxied.Close()
	got = spray(t, proxied.URL, func(i int) string { return "198.51.100.7" })
	if got[2] != http.StatusUnauthorized || got[3] != http.StatusTooManyRequests {
		t.Fatalf("one client behind the proxy: %v", got)
	}
	got = spray(t, proxied.URL, func(i int) string { return "198.51.100." + string(rune('1'+i)) })
	for _, s := range got {
		if s != http.StatusUnauthorized {
			t.Fatalf("distinct clients behind the proxy were throttled together: %v", got)
		}
	}
}
