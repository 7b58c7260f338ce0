package web_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"reviewq/store"
	"reviewq/store/storetest"
	"reviewq/web/webtest"
)

// TestAdminSettings: an admin changes a setting on the page; the row says
// who changed it, the audit log has old and new value, a bad value is
// refused with the reason and changes nothing.
func TestAdminSettings(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			env := webtest.Start(t, d)
			admin, op := env.LoggedIn(t, store.RoleAdmin)
			page := admin.Get("/admin/settings")
			if page.Status != 200 {
				t.Fatalf("settings page: %d", page.Status)
			}
			for _, k := range []string{"queue.enabled", "autoflag.score.threshold", "autoflag.quality.enabled", "autoflag.cooldown_hours", "sla.warning_hours", "reasons.reject"} {
				if !strings.Contains(page.Body, "<code>"+k+"</code>") {
					t.Fatalf("page lacks %s", k)
				}
			}
			r := admin.HTMX(http.MethodPost, "/admin/settings/autoflag.score.threshold", webtest.Form("value", "85"))
			if r.Status != 200 || !strings.Contains(r.Body, "Saved: 85") || !strings.Contains(r.Body, op.Name) || !strings.Contains(r.Body, `value="85"`) {
				t.Fatalf("set threshold: %d %s", r.Status, r.Body)
			}
			bad := admin.HTMX(http.MethodPost, "/admin/settings/autoflag.score.threshold", webtest.Form("value", "150"))
			// The refused value stays in the field to correct; the setting keeps 85.
			if bad.Status != http.StatusBadRequest || !strings.Contains(bad.Body, "from 0 to 100") || !strings.Contains(bad.Body, `value="150"`) ||
				!strings.Contains(bad.Body, "The setting stays 85.") {
				t.Fatalf("bad threshold: %d %s", bad.Status, bad.Body)
			}
			inverted := admin.HTMX(http.MethodPost, "/admin/settings/sla.warning_hours", webtest.Form("value", "48"))
			if inverted.Status != http.StatusBadRequest || !strings.Contains(inverted.Body, "must be below the critical age") {
				t.Fatalf("warning above critical: %d %s", inverted.Status, inverted.Body)
			}
			if res := admin.HTMX(http.MethodPost, "/admin/settings/no.such.key", webtest.Form("value", "1")); res.Status != 404 {
				t.Fatalf("unknown key: %d", res.Status)
			}
			// A plain form post (no JavaScript) works too.
			if res := admin.PostForm("/admin/settings/autoflag.quality.enabled", webtest.Form("value", "false")); res.Status != http.StatusSeeOther {
				t.Fatalf("plain form: %d", res.Status)
			}
			set, err := env.Store.Settings(context.Background())
			if err != nil || set.Int(store.KeyScoreThreshold) != 85 || set.Bool(store.KeyQualityEnabled) || set.Int(store.KeySLAWarningHours) != 12 {
				t.Fatalf("stored settings wrong (%v)", err)
			}
			var entries []store.AuditEntry
			env.Store.DB.Where("action = ?", "settings.set").Order("id").Find(&entries)
			if len(entries) != 2 || entries[0].Target != store.KeyScoreThreshold || *entries[0].OldValue != "90" || *entries[0].NewValue != "85" ||
				entries[0].ActorName != op.Name {
				t.Fatalf("audit: %+v", entries)
			}
			operator, _ := env.LoggedIn(t, store.RoleOperator)
			if res := operator.HTMX(http.MethodPost, "/admin/settings/queue.enabled", webtest.Form("value", "false")); res.Status != 403 {
				t.Fatalf("operator changing a setting: %d", res.Status)
			}
		})
	}
}

// TestSettingsReachEveryInstance: two servers on one MariaDB database; a
// change made through one is in effect on the other within the settings
// TTL, with no restart.
func TestSettingsReachEveryInstance(t *testing.T) {
	url := storetest.URL(t, store.MySQL)
	first := storetest.OpenURL(t, url)
	if _, err := first.MigrateUp(context.Background()); err != nil {
		t.Fatal(err)
	}
	a := webtest.StartStore(t, first)
	b := webtest.StartStore(t, storetest.OpenURL(t, url))
	token := a.Token(t, store.Scopes...)
	engine := b.NewClient(t)
	if r := engine.JSON("POST", "/api/v1/leads", token, map[string]any{"external_id": "I-1"}); r.Status != 201 {
		t.Fatalf("lead: %d", r.Status)
	}
	// Instance b has read (and cached) the settings: the queue is on.
	if r := engine.JSON("GET", "/api/v1/review-queue/stats", token, nil); r.Status != 200 {
		t.Fatalf("stats on b: %d", r.Status)
	}
	admin, _ := a.LoggedIn(t, store.RoleAdmin)
	if r := admin.HTMX(http.MethodPost, "/admin/settings/queue.enabled", webtest.Form("value", "false")); r.Status != 200 {
		t.Fatalf("switch off on a: %d %s", r.Status, r.Body)
	}
	start := time.Now()
	deadline := start.Add(b.Store.Options().SettingsTTL + 3*time.Second)
	for {
		r := engine.JSON("GET", "/api/v1/review-queue/stats", token, nil)
		if r.Status == http.StatusServiceUnavailable {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("instance b still answers %d %s after %s", r.Status, time.Since(start), r.Body)
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("instance b saw the change after %s (TTL %s)", time.Since(start).Round(time.Millisecond), b.Store.Options().SettingsTTL)
	// And with the queue off, b flags nothing.
	var f struct {
		Flagged bool   `json:"flagged"`
		Reason  string `json:"reason"`
	}
	r := engine.JSON("POST", "/api/v1/leads/I-1/score?by=external_id", token, map[string]any{"score": 99})
	webtest.DecodeJSON(t, r, &f)
	if r.Status != 200 || f.Flagged {
		t.Fatalf("score on b while off: %d %s", r.Status, r.Body)
	}
}
