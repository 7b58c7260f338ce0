package web_test

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"reviewq/store"
	"reviewq/store/storetest"
	"reviewq/web/webtest"
)

var secretRe = regexp.MustCompile(`rvq_[A-Za-z0-9_-]{20,}`)

// TestAdminTokens: an admin creates a token (shown once), it works on the
// API, shows its last use, and stops working the moment it is revoked.
func TestAdminTokens(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			env := webtest.Start(t, d)
			admin, _ := env.LoggedIn(t, store.RoleAdmin)
			page := admin.Get("/admin/tokens")
			if page.Status != 200 || !strings.Contains(page.Body, "No tokens yet.") {
				t.Fatalf("tokens page: %d", page.Status)
			}
			// A form without scopes is shown again with the error, nothing made.
			bad := admin.HTMX(http.MethodPost, "/admin/tokens", webtest.Form("name", "scoring-engine"))
			if bad.Status != http.StatusBadRequest || !strings.Contains(bad.Body, "at least one scope") || !strings.Contains(bad.Body, `value="scoring-engine"`) {
				t.Fatalf("no scopes: %d %s", bad.Status, bad.Body)
			}
			r := admin.HTMX(http.MethodPost, "/admin/tokens", webtest.Form("name", "scoring-engine", "scopes", "leads:write", "scopes", "queue:read"))
			secret := secretRe.FindString(r.Body)
			if r.Status != http.StatusCreated || secret == "" || !strings.Contains(r.Body, "not shown again") {
				t.Fatalf("create: %d %s", r.Status, r.Body)
			}
			// The secret works, and is never shown again.
			api := env.NewClient(t)
			if res := api.JSON("POST", "/api/v1/leads", secret, map[string]any{"external_id": "T-1"}); res.Status != 201 {
				t.Fatalf("new token on the API: %d %s", res.Status, res.Body)
			}
			list := admin.Get("/admin/tokens")
			if strings.Contains(list.Body, secret) || !strings.Contains(list.Body, secret[:12]+"…") || !strings.Contains(list.Body, "leads:write") {
				t.Fatal("list shows the secret, or not the token")
			}
			if strings.Count(list.Body, "never") != 0 {
				t.Fatal("last use not shown after the token was used")
			}
			toks, _ := env.Store.ListTokens(context.Background(), 0, 10)
			if len(toks) != 1 || toks[0].TokenHash == secret || strings.Contains(toks[0].TokenHash, secret) {
				t.Fatalf("stored: %+v", toks)
			}
			// Revoke: the row says so and the token fails at once.
			rv := admin.HTMX(http.MethodPost, fmt.Sprintf("/admin/tokens/%d/revoke", toks[0].ID), nil)
			if rv.Status != 200 || !strings.Contains(rv.Body, "revoked") {
				t.Fatalf("revoke: %d %s", rv.Status, rv.Body)
			}
			if res := api.JSON("GET", "/api/v1/leads/T-1?by=external_id", secret, nil); res.Status != 401 {
				t.Fatalf("revoked token: %d", res.Status)
			}
			if res := admin.HTMX(http.MethodPost, "/admin/tokens/999999/revoke", nil); res.Status != 404 {
				t.Fatalf("unknown token: %d", res.Status)
			}
			// Both changes are in the audit log.
			var actions []string
			env.Store.DB.Table("audit_log").Where("action LIKE ?", "token.%").Order("id").Pluck("action", &actions)
			if strings.Join(actions, ",") != "token.create,token.revoke" {
				t.Fatalf("audit: %v", actions)
			}
			// Not for leads or operators.
			lead, _ := env.LoggedIn(t, store.RoleLead)
			if res := lead.Get("/admin/tokens"); res.Status != 403 {
				t.Fatalf("lead on tokens page: %d", res.Status)
			}
		})
	}
}

// TestAPILogsHoldNoToken: neither a good nor a bad token reaches the log.
func TestAPILogsHoldNoToken(t *testing.T) {
	st := storetest.Open(t, store.SQLite)
	env, logs := webtest.StartLogging(t, st, false)
	_, secret, _ := st.CreateToken(context.Background(), store.SystemActor, "", "x", []string{store.ScopeLeadsWrite})
	bogus := "rvq_" + strings.Repeat("Z", 43)
	for _, tok := range []string{secret, bogus} {
		for _, body := range []string{`{"external_id":"L-1"}`, `{"external_id":`, `{"score":"x"}`} {
			req, _ := http.NewRequest("POST", env.URL+"/api/v1/leads?token="+tok, strings.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+tok)
			req.Header.Set("Content-Type", "application/json")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
		}
	}
	out := logs.String()
	if !strings.Contains(out, "/api/v1/leads") {
		t.Fatalf("no access log written: %q", out)
	}
	if strings.Contains(out, secret) || strings.Contains(out, bogus) || strings.Contains(out, secret[4:20]) {
		t.Fatal("a token reached the log")
	}
}
