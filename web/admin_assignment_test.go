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

// follow posts a form and follows its 303 to the page it names.
func follow(t *testing.T, c *webtest.Client, path string, form []string) *webtest.Response {
	t.Helper()
	res := c.PostForm(path, webtest.Form(form...))
	if res.Status != http.StatusSeeOther {
		return res
	}
	return c.Get(res.Header.Get("Location"))
}

// TestAdminAssignmentRules: over HTTP an admin gives two operators a skill
// on their account pages and adds a rule on /admin/assignment (with the
// page's CSRF token; a forged one changes nothing); new reviews then go to
// the two in turn, and the review's history names the rule. Bad input is
// refused with the reason; moving, disabling and deleting work and every
// change is in the audit log; operators and leads get 403.
func TestAdminAssignmentRules(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			env := webtest.Start(t, d)
			ctx := context.Background()
			admin, _ := env.LoggedIn(t, store.RoleAdmin)
			ann := storetest.Operator(t, env.Store, "ann@example.com", store.RoleOperator)
			bob := storetest.Operator(t, env.Store, "bob@example.com", store.RoleOperator)

			for _, op := range []*store.Operator{ann, bob} {
				admin.Get(fmt.Sprintf("/admin/operators/%d", op.ID))
				res := follow(t, admin, fmt.Sprintf("/admin/operators/%d/skills", op.ID), []string{"skills", "Pricing, enterprise"})
				if res.Status != http.StatusOK || !strings.Contains(res.Body, "Skills saved") || !strings.Contains(res.Body, `value="enterprise, pricing"`) {
					t.Fatalf("set skills of %s: %d", op.Name, res.Status)
				}
			}
			if res := admin.PostForm(fmt.Sprintf("/admin/operators/%d/skills", ann.ID), webtest.Form("skills", "no good!")); res.Status != http.StatusBadRequest ||
				!strings.Contains(res.Body, "is not a skill name") {
				t.Fatalf("a bad skill: %d", res.Status)
			}
			if list := admin.Get("/admin/operators"); !strings.Contains(list.Body, `<code class="scope-chip">pricing</code>`) {
				t.Fatal("the operators list does not show the skills")
			}

			page := admin.Get("/admin/assignment")
			if page.Status != http.StatusOK || !strings.Contains(page.Body, "No rules yet") {
				t.Fatalf("rules page: %d", page.Status)
			}
			if res := admin.PostForm("/admin/assignment", webtest.Form("csrf", "forged", "review_type", "PRICING", "skill", "pricing")); res.Status != http.StatusForbidden {
				t.Fatalf("forged create: %d, want 403", res.Status)
			}
			admin.Get("/admin/assignment")
			if res := admin.PostForm("/admin/assignment", webtest.Form("review_type", "PRICING", "campaign", "spring")); res.Status != http.StatusBadRequest ||
				!strings.Contains(res.Body, "skill: is required") || !strings.Contains(res.Body, `value="spring"`) {
				t.Fatalf("no skill: %d", res.Status)
			}
			if res := admin.PostForm("/admin/assignment", webtest.Form("review_type", "NOPE", "skill", "x")); res.Status != http.StatusBadRequest {
				t.Fatalf("unknown type: %d", res.Status)
			}
			res := follow(t, admin, "/admin/assignment", []string{"review_type", "PRICING", "skill", "pricing"})
			if res.Status != http.StatusOK || !strings.Contains(res.Body, "Rule added") || !strings.Contains(res.Body, `<code class="scope-chip">pricing</code>`) {
				t.Fatalf("create: %d", res.Status)
			}
			rules, err := env.Store.ListAssignmentRules(ctx)
			if err != nil || len(rules) != 1 || rules[0].ReviewType == nil || *rules[0].ReviewType != store.TypePricing || rules[0].Campaign != nil || !rules[0].Active {
				t.Fatalf("stored rules: %+v, %v", rules, err)
			}
			id := rules[0].ID

			// New PRICING reviews go to ann and bob in turn.
			var names []string
			var first int64
			for i := range 4 {
				r := storetest.FlaggedLead(t, env.Store, fmt.Sprintf("aa-%d", i), store.TypePricing)
				if r.AssigneeName == nil {
					t.Fatalf("review %d unassigned", i)
				}
				names = append(names, *r.AssigneeName)
				if i == 0 {
					first = r.ID
				}
			}
			if strings.Join(names, ",") != "ann,bob,ann,bob" {
				t.Errorf("assignees %v, want ann,bob,ann,bob", names)
			}
			if r := storetest.FlaggedLead(t, env.Store, "aa-msg", store.TypeMessage); r.AssigneeID != nil {
				t.Errorf("a MESSAGE review was assigned to %s", *r.AssigneeName)
			}
			pane := admin.Get(fmt.Sprintf("/dashboard/review-queue/%d", first))
			if pane.Status != http.StatusOK || !strings.Contains(pane.Body, fmt.Sprintf("auto-assigned by rule %d: PRICING, any campaign → skill pricing", id)) {
				t.Fatalf("the review's history does not name the rule: %d", pane.Status)
			}
			list := admin.Get("/admin/assignment")
			if !strings.Contains(list.Body, "last: bob") || !strings.Contains(list.Body, "<td>2</td>") {
				t.Errorf("the rules page does not show the last assignee and the two operators with the skill")
			}

			for _, step := range []struct {
				path string
				form []string
				want string
			}{
				{"move", []string{"position", "5"}, "Rule moved."},
				{"disable", nil, "Rule disabled"},
				{"enable", nil, "Rule enabled."},
				{"delete", nil, "Rule deleted"},
			} {
				res := follow(t, admin, fmt.Sprintf("/admin/assignment/%d/%s", id, step.path), step.form)
				if res.Status != http.StatusOK || !strings.Contains(res.Body, step.want) {
					t.Fatalf("%s: %d", step.path, res.Status)
				}
			}
			if rules, _ := env.Store.ListAssignmentRules(ctx); len(rules) != 0 {
				t.Fatalf("rules left after delete: %+v", rules)
			}
			audit := admin.Get("/admin/audit")
			for _, action := range []string{"operator.set_skills", "assignment_rule.create", "assignment_rule.move", "assignment_rule.disable",
				"assignment_rule.enable", "assignment_rule.delete", "review.assign"} {
				if !strings.Contains(audit.Body, action) {
					t.Errorf("the audit log lacks %s", action)
				}
			}

			// Not for operators or leads.
			for _, role := range []string{store.RoleOperator, store.RoleLead} {
				c, _ := env.LoggedIn(t, role)
				if res := c.Get("/admin/assignment"); res.Status != http.StatusForbidden {
					t.Errorf("%s GET: %d, want 403", role, res.Status)
				}
				if res := c.PostForm("/admin/assignment", webtest.Form("skill", "pricing")); res.Status != http.StatusForbidden {
					t.Errorf("%s POST: %d, want 403", role, res.Status)
				}
				if res := c.PostForm(fmt.Sprintf("/admin/operators/%d/skills", ann.ID), webtest.Form("skills", "x")); res.Status != http.StatusForbidden {
					t.Errorf("%s skills: %d, want 403", role, res.Status)
				}
			}
			if rules, _ := env.Store.ListAssignmentRules(ctx); len(rules) != 0 {
				t.Fatalf("a refused request made a rule: %+v", rules)
			}
		})
	}
}
