package web_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"reviewq/store"
	"reviewq/store/storetest"
	"reviewq/web/webtest"
)

type teamTask struct {
	ID       int64 `json:"id"`
	Version  int   `json:"version"`
	Assignee *struct {
		ID   int64  `json:"id"`
		Name string `json:"name"`
	} `json:"assignee"`
	Escalated *struct {
		Note string `json:"note"`
	} `json:"escalated"`
	SnoozedUntil *time.Time `json:"snoozed_until"`
	SnoozeReason *string    `json:"snooze_reason"`
}

type teamPage struct {
	Tasks []teamTask `json:"tasks"`
}

func taskIDs(p teamPage) []int64 {
	ids := []int64{}
	for _, t := range p.Tasks {
		ids = append(ids, t.ID)
	}
	return ids
}

// TestAPITeamActions drives assignment, escalation and snooze over HTTP
// with a token and with operators' sessions, and checks the task list's
// filters, bad input and conflicts.
func TestAPITeamActions(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			env := webtest.Start(t, d)
			a := newAPI(t, env)
			opc, op := env.LoggedIn(t, store.RoleOperator)
			other := storetest.Operator(t, env.Store, "other@example.com", store.RoleOperator)
			t1 := storetest.FlaggedLead(t, env.Store, "TM-1", store.TypeMessage)
			t2 := storetest.FlaggedLead(t, env.Store, "TM-2", store.TypeMessage)
			t3 := storetest.FlaggedLead(t, env.Store, "TM-3", store.TypeMessage)
			tp := func(id int64, action string) string {
				return fmt.Sprintf("/api/v1/review-queue/tasks/%d/%s", id, action)
			}
			list := func(query string) teamPage {
				var p teamPage
				a.expect("GET", "/api/v1/review-queue/tasks"+query, nil, http.StatusOK, &p)
				return p
			}

			// A token assigns t1 to the operator; the list filters by assignee.
			var got teamTask
			a.expect("POST", tp(t1.ID, "assign"), map[string]any{"assignee": op.Email}, http.StatusOK, &got)
			if got.Assignee == nil || got.Assignee.ID != op.ID || got.Version != t1.Version+1 {
				t.Fatalf("assigned task: %+v", got)
			}
			if ids := taskIDs(list("?assignee=" + op.Email)); len(ids) != 1 || ids[0] != t1.ID {
				t.Errorf("assignee=%s: %v", op.Email, ids)
			}
			if ids := taskIDs(list("?assignee=none")); len(ids) != 2 {
				t.Errorf("assignee=none: %v, want t2 and t3", ids)
			}
			// The operator's session: assignee=me; taking someone else's is 409,
			// assigning another is 403.
			var mine teamPage
			if r := opc.JSON("GET", "/api/v1/review-queue/tasks?assignee=me", "", nil); r.Status != 200 {
				t.Fatalf("assignee=me: %d %s", r.Status, r.Body)
			} else {
				webtest.DecodeJSON(t, r, &mine)
			}
			if ids := taskIDs(mine); len(ids) != 1 || ids[0] != t1.ID {
				t.Errorf("assignee=me: %v", ids)
			}
			if r := opc.JSON("POST", tp(t2.ID, "assign"), "", map[string]any{"assignee": other.Email}); r.Status != http.StatusForbidden {
				t.Errorf("operator assigning another: %d %s", r.Status, r.Body)
			}
			if r := opc.JSON("POST", tp(t2.ID, "assign"), "", map[string]any{"assignee": op.Email}); r.Status != http.StatusOK {
				t.Errorf("operator taking an unassigned task: %d %s", r.Status, r.Body)
			}
			a.expect("POST", tp(t3.ID, "assign"), map[string]any{"assignee": other.Email}, http.StatusOK, nil)
			if r := opc.JSON("POST", tp(t3.ID, "assign"), "", map[string]any{"assignee": op.Email}); r.Status != http.StatusConflict {
				t.Errorf("operator taking another's task: %d %s", r.Status, r.Body)
			}
			// Clearing with null.
			a.expect("POST", tp(t3.ID, "assign"), map[string]any{"assignee": nil}, http.StatusOK, &got)
			if got.Assignee != nil {
				t.Errorf("cleared task still assigned: %+v", got)
			}

			// Escalate t2: out of the default list, in state=escalated with its note.
			a.expect("POST", tp(t2.ID, "escalate"), map[string]any{"note": "price looks wrong"}, http.StatusOK, &got)
			if got.Escalated == nil || got.Escalated.Note != "price looks wrong" {
				t.Fatalf("escalated task: %+v", got)
			}
			if ids := taskIDs(list("")); len(ids) != 2 || ids[0] != t1.ID || ids[1] != t3.ID {
				t.Errorf("default list with t2 escalated: %v", ids)
			}
			if p := list("?state=escalated"); len(p.Tasks) != 1 || p.Tasks[0].Escalated == nil || p.Tasks[0].Escalated.Note != "price looks wrong" {
				t.Errorf("state=escalated: %+v", p)
			}

			// Snooze t3 an hour: out of the default list, in state=snoozed.
			until := store.Now().Add(time.Hour).Truncate(time.Second)
			a.expect("POST", tp(t3.ID, "snooze"), map[string]any{"until": until.Format(time.RFC3339), "reason_code": "needs_info"}, http.StatusOK, &got)
			if got.SnoozedUntil == nil || !got.SnoozedUntil.Equal(until) || got.SnoozeReason == nil || *got.SnoozeReason != "needs_info" {
				t.Fatalf("snoozed task: %+v", got)
			}
			if ids := taskIDs(list("")); len(ids) != 1 || ids[0] != t1.ID {
				t.Errorf("default list with t3 snoozed: %v", ids)
			}
			if ids := taskIDs(list("?state=snoozed")); len(ids) != 1 || ids[0] != t3.ID {
				t.Errorf("state=snoozed: %v", ids)
			}
			a.expect("POST", tp(t3.ID, "unsnooze"), nil, http.StatusOK, &got)
			if got.SnoozedUntil != nil {
				t.Errorf("unsnoozed task: %+v", got)
			}
			a.expect("POST", tp(t3.ID, "unsnooze"), nil, http.StatusConflict, nil)

			// Bad input: a 400 naming the problem, and nothing changes.
			before, _, err := env.Store.GetReview(context.Background(), t1.ID)
			if err != nil {
				t.Fatal(err)
			}
			for _, tc := range []struct {
				name, method, path string
				body               any
				status             int
				want               string
			}{
				{"assign unknown operator", "POST", tp(t1.ID, "assign"), map[string]any{"assignee": "nobody@example.com"}, 400, "no active operator"},
				{"assign without assignee", "POST", tp(t1.ID, "assign"), map[string]any{}, 400, "assignee"},
				{"assign a number", "POST", tp(t1.ID, "assign"), `{"assignee":5}`, 400, "assignee"},
				{"assign unknown task", "POST", tp(999999, "assign"), map[string]any{"assignee": nil}, 404, "no such task"},
				{"escalate without note", "POST", tp(t1.ID, "escalate"), map[string]any{"note": " "}, 400, "note"},
				{"snooze bad time", "POST", tp(t1.ID, "snooze"), map[string]any{"until": "tomorrow", "reason_code": "other"}, 400, "RFC 3339"},
				{"snooze in the past", "POST", tp(t1.ID, "snooze"), map[string]any{"until": "2020-01-01T00:00:00Z", "reason_code": "other"}, 400, "future"},
				{"snooze too long", "POST", tp(t1.ID, "snooze"), map[string]any{"until": store.Now().Add(40 * 24 * time.Hour).Format(time.RFC3339), "reason_code": "other"}, 400, "30 days"},
				{"snooze unknown reason", "POST", tp(t1.ID, "snooze"), map[string]any{"until": until.Format(time.RFC3339), "reason_code": "lunch"}, 400, "reason_code"},
				{"stale version", "POST", tp(t1.ID, "escalate"), map[string]any{"note": "x", "version": 1}, 409, "changed"},
				{"unknown state", "GET", "/api/v1/review-queue/tasks?state=asleep", nil, 400, "state"},
				{"unknown assignee filter", "GET", "/api/v1/review-queue/tasks?assignee=nobody@example.com", nil, 400, "assignee"},
				{"me with a token", "GET", "/api/v1/review-queue/tasks?assignee=me", nil, 400, "token"},
			} {
				r := a.expect(tc.method, tc.path, tc.body, tc.status, nil)
				if !strings.Contains(r.Body, tc.want) {
					t.Errorf("%s: %s, want it to say %q", tc.name, r.Body, tc.want)
				}
			}
			after, _, err := env.Store.GetReview(context.Background(), t1.ID)
			if err != nil {
				t.Fatal(err)
			}
			if after.Review.Version != before.Review.Version || after.Review.EscalatedAt != nil || after.Review.SnoozedUntil != nil {
				t.Errorf("refused calls changed the task: %+v", after.Review)
			}
		})
	}
}
