package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"reviewq/store"
	"reviewq/store/storetest"
	"reviewq/web/webtest"
)

// The API: a token takes back its own decision; another token, a second
// undo and an unknown task are refused with the one error shape.
func TestAPIUndo(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			env := webtest.Start(t, d)
			r := storetest.FlaggedLead(t, env.Store, "api-undo", store.TypeRetry)
			bot, other := newAPI(t, env), newAPI(t, env)
			path := fmt.Sprintf("/api/v1/review-queue/tasks/%d", r.ID)
			bot.expect(http.MethodPost, path+"/reject", map[string]any{"reason_code": "duplicate"}, http.StatusOK, nil)
			if e := checkErrorShape(t, other.expect(http.MethodPost, path+"/undo", nil, http.StatusConflict, nil)); !strings.Contains(e.Error.Message, "who decided it") {
				t.Fatalf("another token: %q", e.Error.Message)
			}
			var task struct {
				Status  string `json:"status"`
				Version int    `json:"version"`
			}
			bot.expect(http.MethodPost, path+"/undo", nil, http.StatusOK, &task)
			if task.Status != store.StatusPending || task.Version != 3 {
				t.Fatalf("undone task: %+v", task)
			}
			// /metrics: the decision was made all the same; its counter
			// does not go down (Prometheus would read a reset).
			fams := scrape(t, env.NewClient(t))
			if v, ok := value(fams, "reviewq_decisions_total", map[string]string{"outcome": "rejected", "review_type": store.TypeRetry}); !ok || v != 1 {
				t.Fatalf("decisions_total after the undo = %v (%v), want 1", v, ok)
			}
			if e := checkErrorShape(t, bot.expect(http.MethodPost, path+"/undo", nil, http.StatusConflict, nil)); !strings.Contains(e.Error.Message, "nothing to undo") {
				t.Fatalf("second undo: %q", e.Error.Message)
			}
			bot.expect(http.MethodPost, "/api/v1/review-queue/tasks/999999/undo", nil, http.StatusNotFound, nil)
			readOnly := newAPI(t, env, store.ScopeQueueRead)
			readOnly.expect(http.MethodPost, path+"/undo", nil, http.StatusForbidden, nil)
		})
	}
}

// The page: a decision answers with the undo toast; undo answers with the
// review's pane and its row back; a refusal goes to the toast (HX-Retarget)
// and changes nothing.
func TestPageUndo(t *testing.T) {
	env := webtest.Start(t, store.SQLite)
	r1 := storetest.FlaggedLead(t, env.Store, "page-undo-1", store.TypeRetry)
	storetest.FlaggedLead(t, env.Store, "page-undo-2", store.TypeRetry)
	ann, _ := env.LoggedIn(t, store.RoleOperator)
	bob, _ := env.LoggedIn(t, store.RoleOperator)
	base := fmt.Sprintf("/dashboard/review-queue/%d", r1.ID)
	res := ann.HTMX(http.MethodPost, base+"/approve", url.Values{})
	if res.Status != http.StatusOK || !strings.Contains(res.Body, `id="undo-toast" hx-swap-oob="innerHTML"`) ||
		!strings.Contains(res.Body, "Approved Lead page-undo-1") || !strings.Contains(res.Body, base+"/undo") {
		t.Fatalf("decision: %d %s", res.Status, res.Body)
	}
	res = bob.HTMX(http.MethodPost, base+"/undo", url.Values{})
	if res.Status != http.StatusConflict || res.Header.Get("HX-Retarget") != "#undo-toast" || !strings.Contains(res.Body, "Not undone: only") {
		t.Fatalf("someone else's undo: %d %v %s", res.Status, res.Header, res.Body)
	}
	if rl, _, _ := env.Store.GetReview(context.Background(), r1.ID); rl.Review.Status != store.StatusApproved {
		t.Fatalf("refused undo changed the review: %s", rl.Review.Status)
	}
	res = ann.HTMX(http.MethodPost, base+"/undo", url.Values{})
	if res.Status != http.StatusOK || !strings.Contains(res.Body, "Undone: Lead page-undo-1 is back in the queue") ||
		!strings.Contains(res.Body, fmt.Sprintf(`id="review-%d" class="review-row" data-review-id="%d"`, r1.ID, r1.ID)) {
		t.Fatalf("undo: %d %s", res.Status, res.Body)
	}
	if rl, _, _ := env.Store.GetReview(context.Background(), r1.ID); rl.Review.Status != store.StatusPending {
		t.Fatalf("after undo: %s", rl.Review.Status)
	}
	// With undo off, a decision offers none.
	if _, err := env.Store.SetSetting(context.Background(), store.SystemActor, "", store.KeyUndoSeconds, "0"); err != nil {
		t.Fatal(err)
	}
	res = ann.HTMX(http.MethodPost, base+"/approve", url.Values{})
	if res.Status != http.StatusOK || strings.Contains(res.Body, "undo-toast") {
		t.Fatalf("decision with undo off: %d %s", res.Status, res.Body)
	}
}
