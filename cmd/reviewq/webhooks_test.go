package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"reviewq/store"
	"reviewq/store/storetest"
	"reviewq/webhook"
)

// TestWebhooksCommands: create prints the secret alone on stdout, list
// shows the endpoint without it, test sends a signed test event now,
// disable and delete take effect; bad input is one line and exit ≠ 0.
func TestWebhooksCommands(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			u, st := opsDB(t, d, 0, 0, 0)
			ctx := context.Background()
			var got atomic.Int32
			var secret string
			var verifyErr atomic.Value
			rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body, _ := io.ReadAll(r.Body)
				if err := webhook.Verify(secret, r.Header, body, time.Now()); err != nil {
					verifyErr.Store(err)
				}
				got.Add(1)
			}))
			defer rcv.Close()
			t.Setenv("REVIEWQ_WEBHOOKS_ALLOW_PRIVATE", "127.0.0.1")
			if d == store.MySQL {
				// The signing secret is sealed with the servers' session
				// secret (SQLite keeps one beside its database): without it
				// nothing is stored in the clear.
				t.Setenv("REVIEWQ_SESSION_SECRET", "")
				code, _, errOut := opsRun(t, u, "webhooks", "create", "--url", rcv.URL+"/in", "--events", "review.decided")
				if code == 0 || !strings.Contains(errOut, "REVIEWQ_SESSION_SECRET") {
					t.Fatalf("create without the session secret: exit %d stderr %q", code, errOut)
				}
				t.Setenv("REVIEWQ_SESSION_SECRET", strings.Repeat("k", 40))
			}
			code, out, errOut := opsRun(t, u, "webhooks", "create", "--url", rcv.URL+"/in", "--events", "review.decided, lead.eligibility_changed")
			secret = strings.TrimSpace(out)
			if code != 0 || !strings.HasPrefix(secret, "whsec_") || strings.Count(out, "\n") != 1 || !strings.Contains(errOut, "shown once") {
				t.Fatalf("create: exit %d stdout %q stderr %q", code, out, errOut)
			}
			code, out, _ = opsRun(t, u, "webhooks", "list")
			if code != 0 || !strings.Contains(out, rcv.URL+"/in") || !strings.Contains(out, "review.decided,lead.eligibility_changed") ||
				strings.Contains(out, secret) || !strings.Contains(out, "enabled") {
				t.Fatalf("list: %d %q", code, out)
			}
			code, out, errOut = opsRun(t, u, "webhooks", "test", "--id", "1")
			if code != 0 || !strings.Contains(out, "delivered: HTTP 200") || got.Load() != 1 || verifyErr.Load() != nil {
				t.Fatalf("test: exit %d %q %q, %d received, verify %v", code, out, errOut, got.Load(), verifyErr.Load())
			}
			if code, _, _ := opsRun(t, u, "webhooks", "disable", "--id", "1"); code != 0 {
				t.Fatalf("disable: %d", code)
			}
			if e, err := st.GetWebhook(ctx, 1); err != nil || e.Enabled {
				t.Fatalf("disabled endpoint: %+v %v", e, err)
			}
			if code, _, _ := opsRun(t, u, "webhooks", "delete", "--id", "1"); code != 0 {
				t.Fatalf("delete: %d", code)
			}
			if _, err := st.GetWebhook(ctx, 1); err != store.ErrNotFound {
				t.Fatalf("deleted endpoint: %v", err)
			}
			audit, _, err := st.ListAudit(ctx, store.AuditFilter{Action: "webhook.*"})
			if err != nil || len(audit) != 4 {
				t.Fatalf("audit of the commands: %v %d entries", err, len(audit))
			}
			t.Setenv("REVIEWQ_WEBHOOKS_ALLOW_PRIVATE", "")
			for _, args := range [][]string{
				{"webhooks"}, {"webhooks", "create", "--url", "https://h.example.com/"},
				{"webhooks", "create", "--events", "review.decided"},
				{"webhooks", "create", "--url", "ftp://h.example.com/", "--events", "review.decided"},
				{"webhooks", "create", "--url", "https://h.example.com/", "--events", "review.nope"},
				{"webhooks", "create", "--url", "https://h.example.com/", "--events", "review.decided", "--kind", "xml"},
				{"webhooks", "create", "--url", "http://169.254.169.254/latest", "--events", "review.decided"},
				{"webhooks", "create", "--url", rcv.URL, "--events", "review.decided"},
				{"webhooks", "disable"}, {"webhooks", "delete", "--id", "99"}, {"webhooks", "test", "--id", "99"},
				{"webhooks", "burn"}, {"webhooks", "list", "extra"},
			} {
				code, out, errOut := opsRun(t, u, args...)
				if code == 0 || out != "" || strings.Count(strings.TrimSpace(errOut), "\n") > 0 || errOut == "" {
					t.Fatalf("%v: exit %d stdout %q stderr %q", args, code, out, errOut)
				}
			}
			if hooks, _ := st.ListWebhooks(ctx); len(hooks) != 0 {
				t.Fatalf("bad commands made endpoints: %d", len(hooks))
			}
		})
	}
}
