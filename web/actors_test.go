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

// TestTokenSharingAnOperatorsIDIsNotThem: actor ids are per type, so an API
// token whose id equals an operator's is someone else to that operator. Its
// decision is not "by you" on the pane, in the live refresh or in the
// decisions list, and the operator's claim does not let it decide.
func TestTokenSharingAnOperatorsIDIsNotThem(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			env := webtest.Start(t, d)
			ctx := context.Background()
			ann, annOp := env.LoggedIn(t, store.RoleOperator)
			var tok *store.APIToken
			var secret string
			for tok == nil || tok.ID < annOp.ID {
				var err error
				if tok, secret, err = env.Store.CreateToken(ctx, store.SystemActor, "", "engine", []string{store.ScopeQueueWrite}); err != nil {
					t.Fatal(err)
				}
			}
			if tok.ID != annOp.ID {
				t.Fatalf("token id %d, operator id %d: the test needs them equal", tok.ID, annOp.ID)
			}
			decided := storetest.FlaggedLead(t, env.Store, "T1", store.TypeMessage)
			claimed := storetest.FlaggedLead(t, env.Store, "T2", store.TypeMessage)
			api := env.NewClient(t)
			if r := api.JSON(http.MethodPost, fmt.Sprintf("/api/v1/review-queue/tasks/%d/approve", decided.ID), secret, map[string]any{}); r.Status != http.StatusOK {
				t.Fatalf("token approve: %d %s", r.Status, r.Body)
			}
			byToken := "Approved by token:engine"
			pane := ann.HTMX(http.MethodGet, reviewPath(decided.ID, ""), nil).Body
			live := ann.HTMX(http.MethodGet, fmt.Sprintf("/dashboard/review-queue/live?ids=%d", decided.ID), nil).Body
			mustContain(t, "pane", pane, byToken)
			mustContain(t, "live refresh", live, byToken, `class="review-row decided stale"`)
			list := ann.Get("/dashboard/review-queue/decided?by=all").Body
			mustContain(t, "decisions list", list, "<td>token:engine</td>")
			for what, body := range map[string]string{"pane": pane, "live refresh": live, "decisions list": list} {
				if strings.Contains(body, "by you") || strings.Contains(body, "<td>you</td>") {
					t.Errorf("%s shows the token's decision as the operator's own:\n%s", what, body)
				}
			}

			// Ann's claim is hers alone: the token with her id is refused.
			if r := ann.HTMX(http.MethodPost, reviewPath(claimed.ID, "claim"), nil); r.Status != http.StatusOK || !strings.Contains(r.Body, "claim-toggle") {
				t.Fatalf("claim: %d", r.Status)
			}
			r := api.JSON(http.MethodPost, fmt.Sprintf("/api/v1/review-queue/tasks/%d/approve", claimed.ID), secret, map[string]any{})
			if r.Status != http.StatusConflict || !strings.Contains(r.Body, "claimed by "+annOp.Name) {
				t.Fatalf("token decided through the operator's claim: %d %s", r.Status, r.Body)
			}
			if _, err := env.Store.Release(ctx, claimed.ID, store.Actor{Type: store.ActorToken, ID: tok.ID, Name: "token:engine"}); err == nil {
				t.Fatal("the token released the operator's claim")
			}
			mustContain(t, "pane of the claimed review", ann.HTMX(http.MethodGet, reviewPath(claimed.ID, ""), nil).Body, "Release")
		})
	}
}
