package web_test

import (
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"reviewq/store"
	"reviewq/web/webtest"
)

// TestOpenAPIMatchesRoutes keeps the served document true: every /api/v1
// route of the router is in it, and it describes no route that is not.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	env := webtest.Start(t, store.SQLite)
	r := env.NewClient(t).Get("/api/v1/openapi.json")
	if r.Status != http.StatusOK || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("openapi.json: %d %s", r.Status, r.Header.Get("Content-Type"))
	}
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	webtest.DecodeJSON(t, r, &doc)
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("not OpenAPI 3: %q", doc.OpenAPI)
	}
	documented := map[string]bool{}
	for path, ops := range doc.Paths {
		for method := range ops {
			documented[strings.ToUpper(method)+" "+path] = true
		}
	}
	param := regexp.MustCompile(`:(\w+)`)
	routed := map[string]bool{}
	for _, rt := range env.Server.Echo.Routes() {
		if !strings.HasPrefix(rt.Path, "/api/v1/") || strings.HasSuffix(rt.Path, "*") || rt.Method == "echo_route_not_found" {
			continue
		}
		routed[rt.Method+" "+param.ReplaceAllString(rt.Path, "{$1}")] = true
	}
	var missing, extra []string
	for k := range routed {
		if !documented[k] {
			missing = append(missing, k)
		}
	}
	for k := range documented {
		if !routed[k] {
			extra = append(extra, k)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	if len(missing) > 0 || len(extra) > 0 {
		t.Fatalf("openapi.json is out of step with the router:\n routes not documented: %v\n documented, no route: %v", missing, extra)
	}
	if len(routed) < 15 {
		t.Fatalf("only %d API routes found", len(routed))
	}
	// Every $ref names a component that exists.
	var whole map[string]any
	webtest.DecodeJSON(t, r, &whole)
	for _, ref := range regexp.MustCompile(`"\$ref":\s*"#/components/(\w+)/(\w+)"`).FindAllStringSubmatch(r.Body, -1) {
		comps, _ := whole["components"].(map[string]any)
		kind, _ := comps[ref[1]].(map[string]any)
		if _, ok := kind[ref[2]]; !ok {
			t.Errorf("$ref to a missing component: %s/%s", ref[1], ref[2])
		}
	}
}

// TestOpenAPIListsTheOutcomes keeps the document's spelled-out outcomes
// those of store.DecisionOutcomes: one decision path each, the task
// statuses, and the reason-code lists of the outcomes that take them.
func TestOpenAPIListsTheOutcomes(t *testing.T) {
	env := webtest.Start(t, store.SQLite)
	r := env.NewClient(t).Get("/api/v1/openapi.json")
	var doc struct {
		Paths      map[string]json.RawMessage `json:"paths"`
		Components struct {
			Schemas struct {
				Task struct {
					Properties struct {
						Status struct {
							Enum []string `json:"enum"`
						} `json:"status"`
					} `json:"properties"`
				} `json:"Task"`
				ReasonCodes struct {
					Properties map[string]json.RawMessage `json:"properties"`
				} `json:"ReasonCodes"`
			} `json:"schemas"`
		} `json:"components"`
	}
	webtest.DecodeJSON(t, r, &doc)
	const prefix = "/api/v1/review-queue/tasks/{id}/"
	var paths, wantPaths, reasons, wantReasons []string
	for p := range doc.Paths {
		// The undo and team actions are not outcomes.
		if name := strings.TrimPrefix(p, prefix); strings.HasPrefix(p, prefix) && !slices.Contains([]string{"undo", "assign", "escalate", "snooze", "unsnooze"}, name) {
			paths = append(paths, name)
		}
	}
	for k := range doc.Components.Schemas.ReasonCodes.Properties {
		if k != "required" && k != "snooze" {
			reasons = append(reasons, k)
		}
	}
	wantStatus := []string{store.StatusPending}
	for _, o := range store.DecisionOutcomes {
		wantPaths = append(wantPaths, o.Name)
		wantStatus = append(wantStatus, o.Status)
		if o.TakesReasons() {
			wantReasons = append(wantReasons, o.Name)
		}
	}
	sort.Strings(paths)
	sort.Strings(wantPaths)
	sort.Strings(reasons)
	sort.Strings(wantReasons)
	status := doc.Components.Schemas.Task.Properties.Status.Enum
	if !slices.Equal(paths, wantPaths) || !slices.Equal(status, wantStatus) || !slices.Equal(reasons, wantReasons) {
		t.Fatalf("openapi.json lists decision paths %v, task statuses %v, reason lists %v; the outcomes give %v, %v, %v",
			paths, status, reasons, wantPaths, wantStatus, wantReasons)
	}
}
