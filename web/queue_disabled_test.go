package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"reviewq/store"
	"reviewq/store/storetest"
	"reviewq/web/webtest"
)

// TestQueueOffIsNotAnOutage: with queue.enabled off the review API's 503s
// are logged at WARN with their reason, never at ERROR, and counted under
// reason="queue_disabled"; the queue_enabled gauge says 0.
func TestQueueOffIsNotAnOutage(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			st := storetest.Open(t, d)
			env, logs := webtest.StartLogging(t, st, true)
			a := newAPI(t, env)
			task := storetest.FlaggedLead(t, st, "OFF-1", store.TypeMessage)
			if _, err := st.SetSetting(context.Background(), store.SystemActor, "", store.KeyQueueEnabled, "false"); err != nil {
				t.Fatal(err)
			}
			refused := []struct{ method, route, path string }{
				{"GET", "/api/v1/review-queue/stats", "/api/v1/review-queue/stats"},
				{"GET", "/api/v1/review-queue/tasks", "/api/v1/review-queue/tasks"},
				{"POST", "/api/v1/review-queue/tasks/:id/approve", fmt.Sprintf("/api/v1/review-queue/tasks/%d/approve", task.ID)},
				{"POST", "/api/v1/leads/:id/flag", fmt.Sprintf("/api/v1/leads/%d/flag", task.LeadID)},
			}
			for _, rt := range refused {
				var body any
				if rt.method == "POST" {
					body = map[string]any{"review_type": "PRICING", "reason": "x"}
					if strings.HasSuffix(rt.route, "approve") {
						body = map[string]any{}
					}
				}
				r := a.expect(rt.method, rt.path, body, http.StatusServiceUnavailable, nil)
				if e := checkErrorShape(t, r); e.Error.Code != "queue_disabled" {
					t.Fatalf("%s: %s", rt.path, r.Body)
				}
			}
			// The outreach gate keeps answering.
			a.expect("GET", fmt.Sprintf("/api/v1/leads/%d/eligibility", task.LeadID), nil, http.StatusOK, nil)

			// The log: one WARN access line with the reason per refusal, no ERROR.
			warned := map[string]int{}
			for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
				var rec struct {
					Level  string `json:"level"`
					Msg    string `json:"msg"`
					Route  string `json:"route"`
					Status int    `json:"status"`
					Reason string `json:"reason"`
				}
				if err := json.Unmarshal([]byte(line), &rec); err != nil {
					t.Fatalf("log line is not JSON: %q", line)
				}
				if rec.Level == "ERROR" {
					t.Errorf("logged at ERROR while the queue is off: %s", line)
				}
				if rec.Status == http.StatusServiceUnavailable {
					if rec.Level != "WARN" || rec.Reason != "queue_disabled" || rec.Msg != "request" {
						t.Errorf("503 logged as %s", line)
					}
					warned[rec.Route]++
				}
			}
			for _, rt := range refused {
				if warned[rt.route] != 1 {
					t.Errorf("%s: %d WARN lines, want 1 (%v)", rt.route, warned[rt.route], warned)
				}
			}

			// The metrics: counted under reason="queue_disabled", none as a
			// plain 503; the gauge says the queue is off.
			fams := scrape(t, env.NewClient(t))
			for _, rt := range refused {
				l := map[string]string{"method": rt.method, "route": rt.route, "status": "503", "reason": "queue_disabled"}
				if v, ok := value(fams, "reviewq_http_requests_total", l); !ok || v != 1 {
					t.Errorf("%v counted %v (%v), want 1", l, v, ok)
				}
				if v, ok := value(fams, "reviewq_http_requests_total", map[string]string{"route": rt.route, "status": "503", "reason": ""}); ok {
					t.Errorf("%s: %v 503s without the reason", rt.route, v)
				}
			}
			if v, ok := value(fams, "reviewq_http_requests_total", map[string]string{"route": "/api/v1/leads/:id/eligibility", "status": "200", "reason": ""}); !ok || v != 1 {
				t.Errorf("eligibility counted %v (%v), want 1 with an empty reason", v, ok)
			}
			if v, ok := value(fams, "reviewq_queue_enabled", nil); !ok || v != 0 {
				t.Errorf("reviewq_queue_enabled = %v (%v), want 0", v, ok)
			}
		})
	}
}
