package web_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"reviewq/store"
	"reviewq/store/storetest"
	"reviewq/web/webtest"
)

// TestSplitQueueOverHTTP: a lead splits the whole waiting queue between two
// operators from the bulk bar; each gets half, the rows reload with their
// assignees, and an operator is offered no split and refused one.
func TestSplitQueueOverHTTP(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			env := webtest.Start(t, d)
			for i := range 8 {
				storetest.FlaggedLead(t, env.Store, "SP"+strconv.Itoa(i), store.TypePricing)
			}
			leadC, _ := env.LoggedIn(t, store.RoleLead)
			opC, _ := env.LoggedIn(t, store.RoleOperator)
			ann := storetest.Operator(t, env.Store, "ann@example.com", store.RoleOperator)
			bob := storetest.Operator(t, env.Store, "bob@example.com", store.RoleOperator)

			mustContain(t, "lead's queue", leadC.Get("/dashboard/review-queue").Body, "Split between operators…")
			if strings.Contains(opC.Get("/dashboard/review-queue").Body, "Split between operators") {
				t.Error("an operator is offered the split")
			}
			preview := leadC.HTMX(http.MethodPost, "/dashboard/review-queue/bulk/split/preview", webtest.Form("scope", "all"))
			mustContain(t, "preview", preview.Body, "Split 8 reviews between operators", ann.Name, bob.Email)
			if res := leadC.HTMX(http.MethodPost, "/dashboard/review-queue/bulk/split/preview", webtest.Form("scope", "selected")); res.Status != http.StatusBadRequest {
				t.Errorf("preview with nothing selected: %d, want 400", res.Status)
			}
			// The confirmation carries the ids; the lead checks Ann and Bob.
			form := url.Values{"assignees": {ann.Email, bob.Email}}
			for _, id := range hiddenIDs(preview.Body) {
				form.Add("ids", id)
			}
			if len(form["ids"]) != 8 {
				t.Fatalf("the confirmation holds %d ids, want 8", len(form["ids"]))
			}
			if res := opC.HTMX(http.MethodPost, "/dashboard/review-queue/bulk/split", form); res.Status != http.StatusForbidden {
				t.Errorf("an operator splitting: %d, want 403", res.Status)
			}
			if res := leadC.HTMX(http.MethodPost, "/dashboard/review-queue/bulk/split", url.Values{"ids": form["ids"]}); res.Status != http.StatusBadRequest || !strings.Contains(res.Body, "choose at least one operator") {
				t.Errorf("a split to nobody: %d %q", res.Status, res.Body)
			}
			done := leadC.HTMX(http.MethodPost, "/dashboard/review-queue/bulk/split", form)
			mustContain(t, "split", done.Body, "Assigned 8, 0 left alone", ann.Name+"</strong>: 4", bob.Name+"</strong>: 4")
			if done.Header.Get("HX-Trigger") != "rq-queue-changed" {
				t.Errorf("HX-Trigger %q: the queue would not reload", done.Header.Get("HX-Trigger"))
			}
			body := leadC.Get("/dashboard/review-queue").Body
			for _, op := range []*store.Operator{ann, bob} {
				if n := strings.Count(body, "assigned to "+op.Name); n != 4 {
					t.Errorf("the queue shows %d of %s's reviews, want 4", n, op.Name)
				}
				// A lead looks at one operator's share: the filter offers each
				// active operator, and the list holds theirs only.
				mustContain(t, "filter choice", body, `<option value="`+op.Email+`">`+op.Name+`</option>`)
				share := leadC.Get("/dashboard/review-queue?assignee=" + url.QueryEscape(op.Email))
				if share.Status != http.StatusOK || strings.Count(share.Body, "assigned to ") != 4 || strings.Count(share.Body, "assigned to "+op.Name) != 4 {
					t.Errorf("%s's share: %d, %d rows assigned", op.Name, share.Status, strings.Count(share.Body, "assigned to "))
				}
			}
			if strings.Contains(opC.Get("/dashboard/review-queue").Body, `<optgroup label="to an operator">`) {
				t.Error("an operator is offered others' shares in the filter")
			}
			if res := leadC.Get("/dashboard/review-queue?assignee=nobody%40example.com"); res.Status != http.StatusOK || strings.Contains(res.Body, "assigned to ") {
				t.Errorf("an unknown operator's share: %d", res.Status)
			}
			if res := leadC.Get("/dashboard/review-queue?assignee=bogus"); res.Status != http.StatusBadRequest {
				t.Errorf("assignee=bogus: %d, want 400", res.Status)
			}
		})
	}
}

// hiddenIDs is the values of the hidden "ids" inputs of a form.
func hiddenIDs(body string) []string {
	var out []string
	for _, part := range strings.Split(body, `name="ids" value="`)[1:] {
		out = append(out, part[:strings.IndexByte(part, '"')])
	}
	return out
}
