package web_test

import (
	"context"
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

// TestBearerHeaderExemptsOnlyTheAPIFromCSRF: a "Bearer" header skipped the
// CSRF and origin checks on every route, the login form included.
func TestBearerHeaderExemptsOnlyTheAPIFromCSRF(t *testing.T) {
	env := webtest.Start(t, store.SQLite)
	op := storetest.Operator(t, env.Store, "victim@example.com", store.RoleOperator)
	c := env.NewClient(t)
	c.Get("/login")
	v := webtest.Form("email", op.Email, "password", storetest.Password(store.RoleOperator))
	req, _ := http.NewRequest(http.MethodPost, env.URL+"/login", strings.NewReader(v.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", "Bearer anything")
	req.Header.Set("Origin", "https://evil.example")
	resp, err := c.HTTP.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("cross-origin login without a CSRF token but with a Bearer header: %d", resp.StatusCode)
	}
	// An admin page with a Bearer header and the session cookie still needs the token.
	admin, _ := env.LoggedIn(t, store.RoleAdmin)
	f := webtest.Form("name", "Eve", "email", "eve@example.com", "role", "admin", "mode", "link")
	req, _ = http.NewRequest(http.MethodPost, env.URL+"/admin/operators", strings.NewReader(f.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", "Bearer "+env.Token(t, store.ScopeLeadsWrite))
	if resp, err = admin.HTTP.Do(req); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("admin form with a Bearer header and no CSRF token: %d", resp.StatusCode)
	}
	if _, err := env.Store.GetOperatorByEmail(context.Background(), "eve@example.com"); err == nil {
		t.Fatal("the account was created")
	}
}

// TestCSRFTokenIsNeverReadFromTheQueryString: a token in a URL leaks
// through logs, history and Referer; only the body or the header count.
func TestCSRFTokenIsNeverReadFromTheQueryString(t *testing.T) {
	env := webtest.Start(t, store.SQLite)
	admin, _ := env.LoggedIn(t, store.RoleAdmin)
	f := webtest.Form("name", "Eve", "email", "eve@example.com", "role", "operator", "mode", "link")
	req, _ := http.NewRequest(http.MethodPost, env.URL+"/admin/operators?csrf="+url.QueryEscape(admin.CSRF), strings.NewReader(f.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := admin.HTTP.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("token in the query string: %d", resp.StatusCode)
	}
	// The same token in the body works.
	if r := admin.PostForm("/admin/operators", f); r.Status != http.StatusCreated {
		t.Fatalf("token in the body: %d", r.Status)
	}
}

// TestSetPasswordLinksUseTheConfiguredBaseURL: the link an admin hands on
// was built from the request's Host header, which a proxy or an attacker
// can set ("evil.example/set-password/<secret>" would send the secret away).
func TestSetPasswordLinksUseTheConfiguredBaseURL(t *testing.T) {
	env := webtest.Start(t, store.SQLite)
	admin, _ := env.LoggedIn(t, store.RoleAdmin)
	f := webtest.Form("name", "Nia", "email", "nia@example.com", "role", "operator", "mode", "link", "csrf", admin.CSRF)
	req := httptest.NewRequest(http.MethodPost, "/admin/operators", strings.NewReader(f.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Host = "evil.example"
	req.AddCookie(sessionCookie(t, env, admin))
	rec := serve(env, req)
	body := rec.Body.Bytes()
	if rec.Code != http.StatusCreated {
		t.Fatalf("create with link: %d %s", rec.Code, regexp.MustCompile(`(?s)<main.*</main>`).Find(body))
	}
	if strings.Contains(string(body), "evil.example") || !strings.Contains(string(body), `value="`+env.URL+`/set-password/`) {
		t.Fatalf("the link does not start with the configured base URL %s", env.URL)
	}
}

// TestProbesArePrivateBeyondLoopback: a server listening beyond loopback
// served /metrics and /readyz to anyone. Now they need the metrics token on
// the main address, or are served on the metrics address only.
func TestProbesArePrivateBeyondLoopback(t *testing.T) {
	st := storetest.Open(t, store.SQLite)
	get := func(h http.Handler, path, token string) int {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Code
	}
	// Neither a token nor a metrics address: not on the main address.
	bare := newServer(t, st, web.Config{PrivateProbes: true})
	for _, p := range []string{"/metrics", "/readyz"} {
		if got := get(bare.Echo, p, ""); got != http.StatusNotFound {
			t.Errorf("%s without a token or metrics address: %d", p, got)
		}
	}
	if got := get(bare.Echo, "/healthz", ""); got != http.StatusOK {
		t.Errorf("/healthz: %d", got)
	}
	// With a token: only with the token.
	tok := newServer(t, st, web.Config{PrivateProbes: true, MetricsToken: "metrics-secret"})
	for _, p := range []string{"/metrics", "/readyz"} {
		if got := get(tok.Echo, p, ""); got != http.StatusUnauthorized {
			t.Errorf("%s without the token: %d", p, got)
		}
		if got := get(tok.Echo, p, "metrics-secret"); got != http.StatusOK {
			t.Errorf("%s with the token: %d", p, got)
		}
	}
	// With a metrics address: both are served there, neither here.
	sep := newServer(t, st, web.Config{PrivateProbes: true, MetricsAddr: "127.0.0.1:0"})
	for _, p := range []string{"/metrics", "/readyz"} {
		if got := get(sep.Echo, p, ""); got != http.StatusNotFound {
			t.Errorf("%s on the main address: %d", p, got)
		}
		if got := get(sep.MetricsHandler(), p, ""); got != http.StatusOK {
			t.Errorf("%s on the metrics address: %d", p, got)
		}
	}
	// On loopback (development) they stay open.
	if got := get(newServer(t, st, web.Config{}).Echo, "/readyz", ""); got != http.StatusOK {
		t.Errorf("/readyz on loopback: %d", got)
	}
}

// TestResponseHardeningHeaders: API answers and pages with lead data are
// never stored by a cache; every answer carries Permissions-Policy and
// Cross-Origin-Resource-Policy; a Secure session cookie has the __Host-
// prefix (no Domain, Path=/, Secure: a sibling host cannot plant it).
func TestResponseHardeningHeaders(t *testing.T) {
	env := webtest.Start(t, store.SQLite)
	storetest.FlaggedLead(t, env.Store, "H-1", store.TypePricing)
	op, _ := env.LoggedIn(t, store.RoleLead)
	tok := env.Token(t, store.ScopeQueueRead, store.ScopeLeadsWrite)
	anon := env.NewClient(t)
	for what, r := range map[string]*webtest.Response{
		"api tasks":    anon.JSON(http.MethodGet, "/api/v1/review-queue/tasks", tok, nil),
		"api lead":     anon.JSON(http.MethodGet, "/api/v1/leads/1", tok, nil),
		"api 401":      anon.JSON(http.MethodGet, "/api/v1/review-queue/stats", "", nil),
		"queue page":   op.Get("/dashboard/review-queue"),
		"review pane":  op.Get("/dashboard/review-queue/1"),
		"stats report": op.Get("/dashboard/stats/report.csv"),
	} {
		if r.Status != http.StatusOK && what != "api 401" {
			t.Errorf("%s: %d", what, r.Status)
		}
		if got := r.Header.Get("Cache-Control"); got != "no-store" {
			t.Errorf("%s: Cache-Control %q, want no-store", what, got)
		}
		if r.Header.Get("Permissions-Policy") == "" || r.Header.Get("Cross-Origin-Resource-Policy") != "same-origin" {
			t.Errorf("%s: Permissions-Policy %q, Cross-Origin-Resource-Policy %q", what, r.Header.Get("Permissions-Policy"), r.Header.Get("Cross-Origin-Resource-Policy"))
		}
	}

	srv := newServer(t, env.Store, web.Config{SecureCookies: true})
	ts := httptest.NewTLSServer(srv.Echo)
	defer ts.Close()
	resp, err := ts.Client().Get(ts.URL + "/login")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	var names []string
	for _, ck := range resp.Cookies() {
		names = append(names, ck.Name)
		if ck.Name == "__Host-reviewq_session" && (!ck.Secure || ck.Path != "/" || ck.Domain != "") {
			t.Errorf("__Host- cookie without Secure, Path=/ or with a Domain: %+v", ck)
		}
	}
	if len(names) != 1 || names[0] != "__Host-reviewq_session" {
		t.Fatalf("cookies set over TLS: %v, want __Host-reviewq_session", names)
	}
}

// TestAdminCreatesAnExpiringToken: the admin page takes a lifetime in days,
// records who created the token, and refuses a scope with spaces.
func TestAdminCreatesAnExpiringToken(t *testing.T) {
	env := webtest.Start(t, store.SQLite)
	admin, adminOp := env.LoggedIn(t, store.RoleAdmin)
	admin.Get("/admin/tokens")
	r := admin.PostForm("/admin/tokens", url.Values{"name": {"quarterly"}, "scopes": {store.ScopeQueueRead}, "expires_days": {"30"}})
	if r.Status != http.StatusCreated {
		t.Fatalf("create with expiry: %d", r.Status)
	}
	toks, err := env.Store.ListTokens(context.Background(), 0, 10)
	if err != nil || len(toks) != 1 || toks[0].ExpiresAt == nil || toks[0].CreatedByID == nil || *toks[0].CreatedByID != adminOp.ID {
		t.Fatalf("stored: %+v %v", toks, err)
	}
	if want := toks[0].ExpiresAt.Format("2006-01-02"); !strings.Contains(r.Body, want) {
		t.Fatalf("the list does not show the expiry %s", want)
	}
	for _, bad := range []url.Values{
		{"name": {"x"}, "scopes": {store.ScopeQueueRead}, "expires_days": {"soon"}},
		{"name": {"x"}, "scopes": {store.ScopeQueueRead}, "expires_days": {"0"}},
		{"name": {"x"}, "scopes": {store.ScopeQueueRead + " "}},
	} {
		if r := admin.PostForm("/admin/tokens", bad); r.Status != http.StatusBadRequest {
			t.Errorf("%v: %d", bad, r.Status)
		}
	}
	if toks, _ := env.Store.ListTokens(context.Background(), 0, 10); len(toks) != 1 {
		t.Fatalf("refused forms made tokens: %d", len(toks))
	}
}
