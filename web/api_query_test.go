package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"reviewq/store"
	"reviewq/store/storetest"
	"reviewq/web/webtest"
)

// TestAPITaskListCampaignID: the seed's campaign_id filters like campaign;
// both with different values is a 400.
func TestAPITaskListCampaignID(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			env := webtest.Start(t, d)
			a := newAPI(t, env)
			for i, campaign := range []string{"spring", "spring", "autumn"} {
				l := pushLead(a, fmt.Sprintf("CID-%d", i), map[string]any{"campaign": campaign})
				a.expect("POST", fmt.Sprintf("/api/v1/leads/%d/flag", l.ID), map[string]any{"review_type": "MESSAGE", "reason": "check"}, http.StatusCreated, nil)
			}
			campaigns := func(query string) []string {
				t.Helper()
				var page struct {
					Tasks []struct {
						Campaign string `json:"campaign"`
					} `json:"tasks"`
				}
				a.expect("GET", "/api/v1/review-queue/tasks?"+query, nil, http.StatusOK, &page)
				var out []string
				for _, tk := range page.Tasks {
					out = append(out, tk.Campaign)
				}
				return out
			}
			if got := campaigns(""); len(got) != 3 {
				t.Fatalf("unfiltered: %v", got)
			}
			for _, q := range []string{"campaign_id=spring", "campaign=spring", "campaign=spring&campaign_id=spring"} {
				if got := campaigns(q); len(got) != 2 || got[0] != "spring" || got[1] != "spring" {
					t.Errorf("%s: campaigns %v, want the two of spring", q, got)
				}
			}
			if got := campaigns("campaign_id=autumn&limit=5"); len(got) != 1 || got[0] != "autumn" {
				t.Errorf("campaign_id=autumn: %v", got)
			}
			if got := campaigns("campaign_id=winter"); len(got) != 0 {
				t.Errorf("campaign_id=winter: %v, want none", got)
			}
			r := a.expect("GET", "/api/v1/review-queue/tasks?campaign=spring&campaign_id=autumn", nil, http.StatusBadRequest, nil)
			if e := checkErrorShape(t, r); e.Error.Code != "invalid" || !strings.Contains(e.Error.Message, "campaign and campaign_id") {
				t.Errorf("conflicting campaign filters: %s", r.Body)
			}
		})
	}
}

// TestAPIUnknownQueryParameter: every API route answers 400 naming a query
// parameter it does not read, changes nothing, and still takes the ones
// the OpenAPI document lists for it.
func TestAPIUnknownQueryParameter(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			env := webtest.Start(t, d)
			a := newAPI(t, env)
			task := storetest.FlaggedLead(t, env.Store, "UQ-1", store.TypeMessage)
			lead := pushLead(a, "UQ-2", nil)
			bodies := map[string]any{
				"/api/v1/review-queue/tasks/:id/approve": map[string]any{},
				"/api/v1/review-queue/tasks/:id/reject":  map[string]any{"reason_code": "other"},
				"/api/v1/review-queue/tasks/:id/skip":    map[string]any{"reason_code": "other"},
				"/api/v1/leads":                          map[string]any{"external_id": "UQ-3"},
				"/api/v1/leads/:id/flag":                 map[string]any{"review_type": "PRICING", "reason": "x"},
				"/api/v1/leads/:id/score":                map[string]any{"score": 99},
				"/api/v1/leads/:id/quality":              map[string]any{"issues": []map[string]string{{"code": "x", "severity": "high"}}},
				"/api/v1/outreach/eligibility":           map[string]any{"lead_ids": []int64{lead.ID}},
			}
			concrete := func(route string) string {
				id := lead.ID
				if strings.Contains(route, "/tasks/") {
					id = task.ID
				}
				return strings.Replace(route, ":id", strconv.FormatInt(id, 10), 1)
			}
			tried := 0
			for _, rt := range env.Server.Echo.Routes() {
				if !strings.HasPrefix(rt.Path, "/api/v1/") || rt.Path == "/api/v1/openapi.json" || strings.HasSuffix(rt.Path, "*") || rt.Method == "echo_route_not_found" {
					continue
				}
				tried++
				path := concrete(rt.Path) + "?campain=spring"
				r := a.expect(rt.Method, path, bodies[rt.Path], http.StatusBadRequest, nil)
				if e := checkErrorShape(t, r); e.Error.Code != "invalid" || e.Error.Message != `unknown query parameter "campain"` {
					t.Errorf("%s %s: %s", rt.Method, path, r.Body)
				}
			}
			if tried < 14 {
				t.Fatalf("only %d API routes tried", tried)
			}
			// Next to known ones, the unknown one is named.
			for _, path := range []string{
				"/api/v1/review-queue/tasks?review_type=MESSAGE&limit=5&campain=spring",
				fmt.Sprintf("/api/v1/leads/%d?by=id&campain=spring", lead.ID),
			} {
				r := a.expect("GET", path, nil, http.StatusBadRequest, nil)
				if e := checkErrorShape(t, r); e.Error.Message != `unknown query parameter "campain"` {
					t.Errorf("%s: %s", path, r.Body)
				}
			}
			// Nothing changed: no decision, flag, score or lead.
			rl, _, err := env.Store.GetReview(context.Background(), task.ID)
			if err != nil || rl.Review.Status != store.StatusPending || rl.Review.Version != task.Version {
				t.Fatalf("task after refused calls: %+v %v", rl, err)
			}
			var got leadOut
			a.expect("GET", fmt.Sprintf("/api/v1/leads/%d", lead.ID), nil, http.StatusOK, &got)
			if got.Score != 0 || got.RequiresHumanReview || got.OpenTaskID != nil {
				t.Fatalf("lead after refused calls: %+v", got)
			}
			a.expect("GET", "/api/v1/leads/UQ-3?by=external_id", nil, http.StatusNotFound, nil)

			// The parameters the OpenAPI document lists are all taken.
			var doc struct {
				Paths map[string]map[string]struct {
					Parameters []struct{ Name, In string }
				}
			}
			webtest.DecodeJSON(t, env.NewClient(t).Get("/api/v1/openapi.json"), &doc)
			documented := 0
			for p, ops := range doc.Paths {
				for method, op := range ops {
					q := url.Values{}
					for _, prm := range op.Parameters {
						if prm.In == "query" {
							q.Set(prm.Name, "x")
						}
					}
					if len(q) == 0 {
						continue
					}
					documented += len(q)
					path := concrete(strings.ReplaceAll(p, "{id}", ":id")) + "?" + q.Encode()
					r := a.do(strings.ToUpper(method), path, bodies[strings.ReplaceAll(p, "{id}", ":id")])
					if strings.Contains(r.Body, "unknown query parameter") {
						t.Errorf("%s %s: a documented parameter is refused: %s", method, path, r.Body)
					}
				}
			}
			if documented < 11 {
				t.Errorf("only %d documented query parameters found", documented)
			}

			// The seed's reads still work, and the stats keep the seed's shape.
			var stats map[string]json.RawMessage
			a.expect("GET", "/api/v1/review-queue/stats", nil, http.StatusOK, &stats)
			for _, k := range []string{"total_pending", "by_type", "oldest_task_created_at"} {
				if _, ok := stats[k]; !ok {
					t.Errorf("stats without %s: %v", k, stats)
				}
			}
			a.expect("GET", "/api/v1/leads/UQ-2?by=external_id", nil, http.StatusOK, nil)
			a.expect("GET", "/api/v1/review-queue/tasks?review_type=MESSAGE&source=api&limit=1", nil, http.StatusOK, nil)
			// An anonymous caller still learns first that it must log in.
			if r := env.NewClient(t).JSON("GET", "/api/v1/review-queue/stats?x=1", "", nil); r.Status != http.StatusUnauthorized {
				t.Errorf("anonymous with unknown parameter: %d", r.Status)
			}
			// A path that is no route stays a 404.
			a.expect("GET", "/api/v1/no-such-thing?x=1", nil, http.StatusNotFound, nil)
		})
	}
}
