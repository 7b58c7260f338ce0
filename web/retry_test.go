package web_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"reviewq/store"
	"reviewq/store/storetest"
	"reviewq/web/webtest"
)

// startMySQL runs a server on a fresh migrated MariaDB store opened with opt.
func startMySQL(t *testing.T, opt store.Options) *webtest.Env {
	t.Helper()
	return webtest.StartStore(t, storetest.OpenWith(t, store.MySQL, opt))
}

// TestConflictIsRetriedNot500: a decision that InnoDB picks as a deadlock
// victim (1213, as a Galera certification failure reports it) is run again
// and answered 200. With the retry budget at one attempt, the same conflict
// is answered 503 with Retry-After, in the API and on the page — never 500,
// never the database's words — and the review stays pending.
func TestConflictIsRetriedNot500(t *testing.T) {
	t.Run("retried", func(t *testing.T) {
		env := startMySQL(t, store.Options{})
		rv := storetest.FlaggedLead(t, env.Store, "conflict-ok", store.TypeMessage)
		tok := env.Token(t, store.ScopeQueueWrite)
		api := env.NewClient(t)
		var r *webtest.Response
		storetest.Deadlock(t, env.Store, rv.LeadID, rv.ID, func() {
			r = api.JSON(http.MethodPost, fmt.Sprintf("/api/v1/review-queue/tasks/%d/approve", rv.ID), tok, map[string]any{})
		}, nil)
		if r.Status != http.StatusOK {
			t.Fatalf("API decision after a deadlock: %d %s", r.Status, r.Body)
		}
		if retries, _ := env.Store.TxRetries(); retries == 0 {
			t.Fatal("the decision was not run again: the deadlock did not happen")
		}
	})

	t.Run("retries spent", func(t *testing.T) {
		env := startMySQL(t, store.Options{TxAttempts: 1})
		rv := storetest.FlaggedLead(t, env.Store, "conflict-503", store.TypeMessage)
		tok := env.Token(t, store.ScopeQueueWrite)
		api := env.NewClient(t)
		op, _ := env.LoggedIn(t, store.RoleOperator)

		var r *webtest.Response
		storetest.Deadlock(t, env.Store, rv.LeadID, rv.ID, func() {
			r = api.JSON(http.MethodPost, fmt.Sprintf("/api/v1/review-queue/tasks/%d/approve", rv.ID), tok, map[string]any{})
		}, nil)
		var e struct {
			Error struct{ Code, Message string } `json:"error"`
		}
		webtest.DecodeJSON(t, r, &e)
		if r.Status != http.StatusServiceUnavailable || r.Header.Get("Retry-After") != "1" || e.Error.Code != "unavailable" ||
			!strings.Contains(e.Error.Message, "try again") {
			t.Fatalf("API decision with its retries spent: %d Retry-After %q %s", r.Status, r.Header.Get("Retry-After"), r.Body)
		}
		pages := []*webtest.Response{r}

		storetest.Deadlock(t, env.Store, rv.LeadID, rv.ID, func() {
			r = op.HTMX(http.MethodPost, fmt.Sprintf("/dashboard/review-queue/%d/approve", rv.ID), webtest.Form("version", fmt.Sprint(rv.Version)))
		}, nil)
		if r.Status != http.StatusServiceUnavailable || r.Header.Get("Retry-After") != "1" || r.Header.Get("HX-Retarget") != "#flash" ||
			!strings.Contains(r.Body, "the database is busy") {
			t.Fatalf("page decision with its retries spent: %d Retry-After %q %q", r.Status, r.Header.Get("Retry-After"), r.Body)
		}
		pages = append(pages, r)
		for _, p := range pages {
			for _, leak := range []string{"Deadlock", "1213", "40001", "lock reviews"} {
				if strings.Contains(p.Body, leak) {
					t.Fatalf("the 503 shows %q: %s", leak, p.Body)
				}
			}
		}
		var after store.Review
		if err := env.Store.DB.Where("id = ?", rv.ID).Take(&after).Error; err != nil {
			t.Fatal(err)
		}
		if after.Status != store.StatusPending || after.Version != rv.Version {
			t.Fatalf("the refused decisions changed the review: %+v", after)
		}
		// Sent again, the decision goes through.
		if r := op.HTMX(http.MethodPost, fmt.Sprintf("/dashboard/review-queue/%d/approve", rv.ID), webtest.Form("version", fmt.Sprint(rv.Version))); r.Status != http.StatusOK {
			t.Fatalf("the decision sent again: %d", r.Status)
		}
	})
}

// TestReadyzOnPlainMariaDB: a MariaDB without Galera (wsrep_on OFF) is
// ready as before; the Galera checks do not apply to it.
func TestReadyzOnPlainMariaDB(t *testing.T) {
	env := webtest.Start(t, store.MySQL)
	node, err := env.Store.NodeStatus(context.Background())
	if err != nil || node.Galera || !node.Ready {
		t.Fatalf("node status of a plain MariaDB: %+v %v", node, err)
	}
	r := env.NewClient(t).Get("/readyz")
	if r.Status != http.StatusOK || !strings.Contains(r.Body, `"ready"`) {
		t.Fatalf("readyz: %d %s", r.Status, r.Body)
	}
}
