package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"reviewq/store"
	"reviewq/store/storetest"
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
