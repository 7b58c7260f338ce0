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

var whsecRe = regexp.MustCompile(`whsec_[A-Za-z0-9+/=]{20,}`)

// TestAdminWebhooks: an admin creates an endpoint (secret shown once),
// sends a test event, sees it in the delivery log, rotates, disables and
// deletes it; bad URLs are refused with the reason; everything is audited
// and nothing is open to leads.
func TestAdminWebhooks(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			env := webtest.Start(t, d)
			ctx := context.Background()
			admin, _ := env.LoggedIn(t, store.RoleAdmin)
			page := admin.Get("/admin/webhooks")
			if page.Status != 200 || !strings.Contains(page.Body, "No endpoints yet.") || !strings.Contains(page.Body, "lead.eligibility_changed") {
				t.Fatalf("webhooks page: %d", page.Status)
			}
			for _, c := range []struct{ url, want string }{
				{"http://169.254.169.254/latest/meta-data", "REVIEWQ_WEBHOOKS_ALLOW_PRIVATE"},
				{"http://10.0.0.5/hook", "REVIEWQ_WEBHOOKS_ALLOW_PRIVATE"},
				{"ftp://203.0.113.10/", "http:// or https://"},
			} {
				bad := admin.PostForm("/admin/webhooks", webtest.Form("url", c.url, "events", "review.decided"))
				if bad.Status != http.StatusBadRequest || !strings.Contains(bad.Body, c.want) || !strings.Contains(bad.Body, c.url) {
					t.Fatalf("%s: %d, want 400 saying %q", c.url, bad.Status, c.want)
				}
			}
			if bad := admin.PostForm("/admin/webhooks", webtest.Form("url", "https://203.0.113.10/hook")); bad.Status != 400 || !strings.Contains(bad.Body, "at least one event type") {
				t.Fatalf("no events: %d", bad.Status)
			}
			r := admin.PostForm("/admin/webhooks", webtest.Form("url", "https://203.0.113.10/hook", "events", "review.decided",
				"events", "lead.eligibility_changed", "description", "outreach engine"))
			secret := whsecRe.FindString(r.Body)
			if r.Status != http.StatusCreated || secret == "" || !strings.Contains(r.Body, "not shown again") {
				t.Fatalf("create: %d", r.Status)
			}
			hooks, _ := env.Store.ListWebhooks(ctx)
			if len(hooks) != 1 || hooks[0].EventTypes != "review.decided,lead.eligibility_changed" || hooks[0].Description != "outreach engine" {
				t.Fatalf("stored: %+v", hooks)
			}
			id := hooks[0].ID
			list := admin.Get("/admin/webhooks")
			if strings.Contains(list.Body, secret) || !strings.Contains(list.Body, "https://203.0.113.10/hook") || !strings.Contains(list.Body, "enabled") {
				t.Fatal("list shows the secret, or not the endpoint")
			}
			// A forged form (wrong CSRF token) changes nothing.
			if res := admin.PostForm(fmt.Sprintf("/admin/webhooks/%d/delete", id), webtest.Form("csrf", "forged")); res.Status != http.StatusForbidden {
				t.Fatalf("forged delete: %d", res.Status)
			}
			admin.Get("/admin/webhooks")
			if res := admin.PostForm(fmt.Sprintf("/admin/webhooks/%d/test", id), nil); res.Status != http.StatusSeeOther {
				t.Fatalf("test: %d", res.Status)
			}
			if m := admin.Get("/metrics"); !strings.Contains(m.Body, "reviewq_webhook_undelivered 1") ||
				!strings.Contains(m.Body, fmt.Sprintf(`reviewq_webhook_deliveries{endpoint="%d",status="pending"} 1`, id)) {
				t.Fatalf("metrics do not show the undelivered test event:\n%s", m.Body)
			}
			log := admin.Get(fmt.Sprintf("/admin/webhooks/%d", id))
			if log.Status != 200 || !strings.Contains(log.Body, "webhook.test") || !strings.Contains(log.Body, "pending") {
				t.Fatalf("delivery log: %d", log.Status)
			}
			// Redeliver: refused while pending, then a new delivery of
			// the same message once it was delivered.
			deliveries, _, err := env.Store.ListDeliveries(ctx, id, 0, 10)
			if err != nil || len(deliveries) != 1 {
				t.Fatal(err, deliveries)
			}
			redeliver := fmt.Sprintf("/admin/webhooks/deliveries/%d/redeliver", deliveries[0].ID)
			if res := admin.PostForm(redeliver, nil); res.Status != http.StatusConflict {
				t.Fatalf("redeliver a pending delivery: %d", res.Status)
			}
			if err := env.Store.DB.Exec("UPDATE webhook_deliveries SET status = ? WHERE id = ?", store.DeliveryDelivered, deliveries[0].ID).Error; err != nil {
				t.Fatal(err)
			}
			if res := admin.PostForm(redeliver, nil); res.Status != http.StatusSeeOther {
				t.Fatalf("redeliver: %d", res.Status)
			}
			again, _, _ := env.Store.ListDeliveries(ctx, id, 0, 10)
			if len(again) != 2 || again[0].MsgID != deliveries[0].MsgID || again[0].Status != store.DeliveryPending {
				t.Fatalf("after redeliver: %+v", again)
			}
			if res := admin.Get(fmt.Sprintf("/admin/webhooks/%d?before=x", id)); res.Status != 400 {
				t.Fatalf("bad cursor: %d", res.Status)
			}
			rot := admin.PostForm(fmt.Sprintf("/admin/webhooks/%d/rotate", id), nil)
			newSecret := whsecRe.FindString(rot.Body)
			if rot.Status != 200 || newSecret == "" || newSecret == secret || !strings.Contains(rot.Body, "24 hours") {
				t.Fatalf("rotate: %d", rot.Status)
			}
			if res := admin.PostForm(fmt.Sprintf("/admin/webhooks/%d/disable", id), nil); res.Status != http.StatusSeeOther {
				t.Fatalf("disable: %d", res.Status)
			}
			if e, _ := env.Store.GetWebhook(ctx, id); e.Enabled {
				t.Fatal("still enabled")
			}
			if res := admin.Get("/admin/webhooks?done=disable"); !strings.Contains(res.Body, "disabled by") {
				t.Fatal("the list does not say the endpoint is disabled")
			}
			if res := admin.PostForm(fmt.Sprintf("/admin/webhooks/%d/delete", id), nil); res.Status != http.StatusSeeOther {
				t.Fatalf("delete: %d", res.Status)
			}
			if _, err := env.Store.GetWebhook(ctx, id); err != store.ErrNotFound {
				t.Fatalf("deleted endpoint: %v", err)
			}
			var actions []string
			env.Store.DB.Table("audit_log").Where("action LIKE ?", "webhook.%").Order("id").Pluck("action", &actions)
			if strings.Join(actions, ",") != "webhook.create,webhook.test,webhook.redeliver,webhook.rotate_secret,webhook.disable,webhook.delete" {
				t.Fatalf("audit: %v", actions)
			}
			lead, _ := env.LoggedIn(t, store.RoleLead)
			if res := lead.Get("/admin/webhooks"); res.Status != 403 {
				t.Fatalf("lead on webhooks page: %d", res.Status)
			}
		})
	}
}
