package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"reviewq/store"
	"reviewq/store/storetest"
	"reviewq/web/webtest"
)

// apiClient is an engine: a token and a client without cookies.
type apiClient struct {
	t     *testing.T
	c     *webtest.Client
	token string
}

func newAPI(t *testing.T, env *webtest.Env, scopes ...string) *apiClient {
	if len(scopes) == 0 {
		scopes = store.Scopes
	}
	return &apiClient{t: t, c: env.NewClient(t), token: env.Token(t, scopes...)}
}

func (a *apiClient) do(method, path string, body any) *webtest.Response {
	a.t.Helper()
	return a.c.JSON(method, path, a.token, body)
}

// expect checks the status and, for errors, the one error shape.
func (a *apiClient) expect(method, path string, body any, status int, into any) *webtest.Response {
	a.t.Helper()
	r := a.do(method, path, body)
	if r.Status != status {
		a.t.Fatalf("%s %s: status %d, want %d: %s", method, path, r.Status, status, r.Body)
	}
	if status >= 400 {
		checkErrorShape(a.t, r)
	}
	if into != nil {
		webtest.DecodeJSON(a.t, r, into)
	}
	return r
}

type errorBody struct {
	Error struct {
		Code       string     `json:"code"`
		Message    string     `json:"message"`
		DecidedBy  string     `json:"decided_by"`
		DecidedAt  *time.Time `json:"decided_at"`
		TaskStatus string     `json:"status"`
	} `json:"error"`
}

func checkErrorShape(t *testing.T, r *webtest.Response) errorBody {
	t.Helper()
	var e errorBody
	webtest.DecodeJSON(t, r, &e)
	if e.Error.Code == "" || e.Error.Message == "" {
		t.Fatalf("error without code or message: %s", r.Body)
	}
	for _, leak := range []string{"SELECT", "sql", "gorm", "goroutine", "json: cannot", "runtime error"} {
		if strings.Contains(r.Body, leak) {
			t.Fatalf("error leaks internals (%q): %s", leak, r.Body)
		}
	}
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("error is not JSON: %s", r.Header.Get("Content-Type"))
	}
	return e
}

type leadOut struct {
	ID                  int64    `json:"id"`
	ExternalID          string   `json:"external_id"`
	Name                string   `json:"name"`
	Score               int      `json:"score"`
	Status              string   `json:"status"`
	Tags                []string `json:"tags"`
	RequiresHumanReview bool     `json:"requires_human_review"`
	ReviewType          *string  `json:"review_type"`
	ReviewReason        *string  `json:"review_reason"`
	OpenTaskID          *int64   `json:"open_task_id"`
	Message             struct {
		Subject string  `json:"subject"`
		Body    *string `json:"body"`
	} `json:"message"`
}

type taskOut struct {
	ID         int64     `json:"id"`
	LeadID     int64     `json:"lead_id"`
	ExternalID string    `json:"external_id"`
	ReviewType string    `json:"review_type"`
	Reason     string    `json:"reason"`
	Source     string    `json:"source"`
	FlaggedAt  time.Time `json:"flagged_at"`
	Status     string    `json:"status"`
	Version    int       `json:"version"`
	Decision   *struct {
		By         string     `json:"by"`
		At         *time.Time `json:"at"`
		ReasonCode *string    `json:"reason_code"`
		Notes      *string    `json:"notes"`
	} `json:"decision"`
	Lead    *leadOut `json:"lead"`
	History []struct {
		Kind   string         `json:"kind"`
		Actor  string         `json:"actor"`
		Detail map[string]any `json:"detail"`
	} `json:"history"`
}

type flagOut struct {
	Flagged bool     `json:"flagged"`
	Created bool     `json:"created"`
	Reason  string   `json:"reason"`
	Task    *taskOut `json:"task"`
}

type eligOut struct {
	LeadID     int64  `json:"lead_id"`
	ExternalID string `json:"external_id"`
	Eligible   bool   `json:"eligible"`
	Reason     string `json:"reason"`
	Message    string `json:"message"`
	TaskID     *int64 `json:"task_id"`
}

func pushLead(a *apiClient, ext string, extra map[string]any) leadOut {
	a.t.Helper()
	body := map[string]any{"external_id": ext, "name": "Lead " + ext, "email": strings.ToLower(ext) + "@example.com", "company": "Co " + ext, "campaign": "spring"}
	for k, v := range extra {
		body[k] = v
	}
	var l leadOut
	a.expect(http.MethodPost, "/api/v1/leads", body, http.StatusCreated, &l)
	return l
}

// TestAPIWholeFlow is the engines' day: push leads, flag them through each
// rule, see outreach blocked, decide through the API, see it allowed.
func TestAPIWholeFlow(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			env := webtest.Start(t, d)
			a := newAPI(t, env)

			// Leads in: 201 created, 200 updated, idempotent by external_id.
			l1 := pushLead(a, "ACME-1", map[string]any{"score": 40, "tags": []string{"inbound"}, "message": map[string]any{"subject": "Hi", "body": "Hello there"}})
			var upd leadOut
			a.expect(http.MethodPost, "/api/v1/leads", map[string]any{"external_id": "ACME-1", "company": "Acme Ltd"}, http.StatusOK, &upd)
			if upd.ID != l1.ID || upd.Name != "Lead ACME-1" || upd.Score != 40 || upd.Message.Subject != "Hi" || len(upd.Tags) != 1 {
				t.Fatalf("update lost fields: %+v", upd)
			}
			var got leadOut
			a.expect(http.MethodGet, fmt.Sprintf("/api/v1/leads/%d", l1.ID), nil, 200, &got)
			a.expect(http.MethodGet, "/api/v1/leads/ACME-1?by=external_id", nil, 200, &got)
			if got.ID != l1.ID || got.RequiresHumanReview || got.ReviewType != nil {
				t.Fatalf("lead by external id: %+v", got)
			}
			var el eligOut
			a.expect(http.MethodGet, fmt.Sprintf("/api/v1/leads/%d/eligibility", l1.ID), nil, 200, &el)
			if !el.Eligible || el.Reason != "ok" {
				t.Fatalf("fresh lead not eligible: %+v", el)
			}
			// External ids with characters that need escaping in a path.
			odd := pushLead(a, "hub/42 x?%", map[string]any{"email": "odd@example.com"})
			a.expect(http.MethodGet, "/api/v1/leads/"+url.PathEscape("hub/42 x?%")+"?by=external_id", nil, 200, &got)
			a.expect(http.MethodGet, "/api/v1/leads/"+url.PathEscape("hub/42 x?%")+"/eligibility?by=external_id", nil, 200, &el)
			if got.ID != odd.ID || el.LeadID != odd.ID || !el.Eligible {
				t.Fatalf("escaped external id: %+v %+v", got, el)
			}

			// Manual flag: 201 opens a task, 200 adds to it.
			var f1, f2 flagOut
			a.expect(http.MethodPost, fmt.Sprintf("/api/v1/leads/%d/flag", l1.ID), map[string]any{"review_type": "PRICING", "reason": "asks for a discount"}, http.StatusCreated, &f1)
			a.expect(http.MethodPost, "/api/v1/leads/ACME-1/flag?by=external_id", map[string]any{"review_type": "ACTION", "reason": "wants a call", "source": "manual"}, http.StatusOK, &f2)
			if !f1.Flagged || !f1.Created || f2.Created || f2.Task.ID != f1.Task.ID || f1.Task.Source != "api" {
				t.Fatalf("flags: %+v / %+v", f1, f2)
			}
			a.expect(http.MethodGet, fmt.Sprintf("/api/v1/leads/%d", l1.ID), nil, 200, &got)
			if !got.RequiresHumanReview || *got.ReviewType != "PRICING" || !strings.Contains(*got.ReviewReason, "wants a call") ||
				got.OpenTaskID == nil || *got.OpenTaskID != f1.Task.ID {
				t.Fatalf("lead seed columns: %+v", got)
			}
			a.expect(http.MethodGet, fmt.Sprintf("/api/v1/leads/%d/eligibility", l1.ID), nil, 200, &el)
			if el.Eligible || el.Reason != "pending_review" || el.TaskID == nil || *el.TaskID != f1.Task.ID {
				t.Fatalf("flagged lead eligible: %+v", el)
			}

			// Score rule: at the threshold nothing, over it PROPOSAL.
			l2 := pushLead(a, "ACME-2", nil)
			var s1, s2 flagOut
			a.expect(http.MethodPost, fmt.Sprintf("/api/v1/leads/%d/score", l2.ID), map[string]any{"score": 90}, 200, &s1)
			if s1.Flagged || !strings.Contains(s1.Reason, "not over the threshold 90") {
				t.Fatalf("score 90: %+v", s1)
			}
			a.expect(http.MethodPost, fmt.Sprintf("/api/v1/leads/%d/score", l2.ID), map[string]any{"score": 95}, http.StatusCreated, &s2)
			if !s2.Flagged || s2.Task.ReviewType != "PROPOSAL" || s2.Task.Reason != "High-value prospect (score=95)" || s2.Task.Source != "score" {
				t.Fatalf("score 95: %+v", s2)
			}
			a.expect(http.MethodGet, fmt.Sprintf("/api/v1/leads/%d", l2.ID), nil, 200, &got)
			if got.Score != 95 || !got.RequiresHumanReview {
				t.Fatalf("scored lead: %+v", got)
			}

			// Quality rule: low issues nothing, a high one MESSAGE with the
			// issues in the history for the operator.
			l3 := pushLead(a, "ACME-3", nil)
			var q1, q2 flagOut
			a.expect(http.MethodPost, fmt.Sprintf("/api/v1/leads/%d/quality", l3.ID), map[string]any{"issues": []map[string]any{{"code": "long_subject", "severity": "low"}}}, 200, &q1)
			if q1.Flagged || !strings.Contains(q1.Reason, "no high-severity issue") {
				t.Fatalf("low issue: %+v", q1)
			}
			a.expect(http.MethodPost, fmt.Sprintf("/api/v1/leads/%d/quality", l3.ID), map[string]any{"issues": []map[string]any{
				{"code": "long_subject", "severity": "low"}, {"code": "pricing_promise", "severity": "high", "message": "promises 50% off"}}}, http.StatusCreated, &q2)
			if !q2.Flagged || q2.Task.ReviewType != "MESSAGE" || !strings.Contains(q2.Task.Reason, "pricing_promise") || q2.Task.Source != "quality_gate" {
				t.Fatalf("high issue: %+v", q2)
			}
			var task taskOut
			a.expect(http.MethodGet, fmt.Sprintf("/api/v1/review-queue/tasks/%d", q2.Task.ID), nil, 200, &task)
			if task.Lead == nil || task.Lead.ExternalID != "ACME-3" || len(task.History) != 1 || task.History[0].Kind != "flagged" {
				t.Fatalf("task detail: %+v", task)
			}
			issues, _ := task.History[0].Detail["issues"].([]any)
			if len(issues) != 2 || !strings.Contains(fmt.Sprint(issues), "promises 50% off") {
				t.Fatalf("issues not in history: %+v", task.History[0].Detail)
			}

			// Stats: the seed's fields with the real flag time of the oldest.
			var stats struct {
				TotalPending int64            `json:"total_pending"`
				ByType       map[string]int64 `json:"by_type"`
				BySource     map[string]int64 `json:"by_source"`
				Oldest       *time.Time       `json:"oldest_task_created_at"`
				SLA          struct {
					AtRisk   int64 `json:"at_risk"`
					Breached int64 `json:"breached"`
				} `json:"sla"`
			}
			a.expect(http.MethodGet, "/api/v1/review-queue/stats", nil, 200, &stats)
			if stats.TotalPending != 3 || stats.ByType["PRICING"] != 1 || stats.ByType["PROPOSAL"] != 1 || stats.ByType["MESSAGE"] != 1 ||
				stats.ByType["RETRY"] != 0 || stats.BySource["score"] != 1 || stats.BySource["quality_gate"] != 1 || stats.BySource["api"] != 1 {
				t.Fatalf("stats: %+v", stats)
			}
			if stats.Oldest == nil || !stats.Oldest.Equal(f1.Task.FlaggedAt) {
				t.Fatalf("oldest %v, want the first flag time %v", stats.Oldest, f1.Task.FlaggedAt)
			}

			// Tasks: oldest first, filters.
			var list struct {
				Tasks      []taskOut `json:"tasks"`
				NextCursor *string   `json:"next_cursor"`
			}
			a.expect(http.MethodGet, "/api/v1/review-queue/tasks", nil, 200, &list)
			if len(list.Tasks) != 3 || list.Tasks[0].ID != f1.Task.ID || list.Tasks[2].ID != q2.Task.ID || list.NextCursor != nil || list.Tasks[0].ExternalID != "ACME-1" {
				t.Fatalf("tasks: %+v", list)
			}
			a.expect(http.MethodGet, "/api/v1/review-queue/tasks?review_type=PROPOSAL&source=score&campaign=spring", nil, 200, &list)
			if len(list.Tasks) != 1 || list.Tasks[0].ID != s2.Task.ID {
				t.Fatalf("filtered tasks: %+v", list)
			}

			// Decisions: approve clears the flag; a second decision is 409
			// naming who decided first and when.
			var dec taskOut
			a.expect(http.MethodPost, fmt.Sprintf("/api/v1/review-queue/tasks/%d/approve", f1.Task.ID), map[string]any{"notes": "fine", "message": map[string]any{"subject": "Hello again"}}, 200, &dec)
			if dec.Status != "approved" || dec.Decision == nil || dec.Decision.By != "token:test" || *dec.Decision.Notes != "fine" {
				t.Fatalf("approved task: %+v", dec)
			}
			r := a.expect(http.MethodPost, fmt.Sprintf("/api/v1/review-queue/tasks/%d/reject", f1.Task.ID), map[string]any{"reason_code": "not_a_fit"}, http.StatusConflict, nil)
			e := checkErrorShape(t, r)
			if !strings.Contains(e.Error.Message, "already approved by token:test at ") || e.Error.DecidedBy != "token:test" || e.Error.DecidedAt == nil || e.Error.TaskStatus != "approved" {
				t.Fatalf("conflict: %s", r.Body)
			}
			a.expect(http.MethodGet, fmt.Sprintf("/api/v1/leads/%d/eligibility", l1.ID), nil, 200, &el)
			if !el.Eligible {
				t.Fatalf("approved lead not eligible: %+v", el)
			}
			got = leadOut{}
			a.expect(http.MethodGet, fmt.Sprintf("/api/v1/leads/%d", l1.ID), nil, 200, &got)
			if got.RequiresHumanReview || got.ReviewType != nil || got.OpenTaskID != nil || got.Message.Subject != "Hello again" {
				t.Fatalf("approved lead: %+v", got)
			}
			a.expect(http.MethodPost, fmt.Sprintf("/api/v1/review-queue/tasks/%d/reject", s2.Task.ID), map[string]any{"reason_code": "not_a_fit", "notes": "too big"}, 200, &dec)
			a.expect(http.MethodPost, fmt.Sprintf("/api/v1/review-queue/tasks/%d/skip", q2.Task.ID), map[string]any{"reason_code": "not_now"}, 200, &dec)
			if dec.Status != "skipped" || *dec.Decision.ReasonCode != "not_now" {
				t.Fatalf("skip: %+v", dec)
			}
			a.expect(http.MethodGet, fmt.Sprintf("/api/v1/leads/%d/eligibility", l2.ID), nil, 200, &el)
			if el.Eligible || el.Reason != "rejected" {
				t.Fatalf("rejected lead: %+v", el)
			}

			// Batch eligibility, in the order asked, unknown ids answered.
			l4 := pushLead(a, "ACME-4", nil)
			a.expect(http.MethodPost, fmt.Sprintf("/api/v1/leads/%d/flag", l4.ID), map[string]any{"review_type": "RETRY", "reason": "3 bounces"}, http.StatusCreated, nil)
			var batch struct {
				Results     []eligOut `json:"results"`
				Eligible    int       `json:"eligible"`
				NotEligible int       `json:"not_eligible"`
			}
			a.expect(http.MethodPost, "/api/v1/outreach/eligibility", map[string]any{"lead_ids": []int64{l4.ID, l1.ID, 999999, l2.ID}}, 200, &batch)
			want := []string{"pending_review", "ok", "unknown_lead", "rejected"}
			if len(batch.Results) != 4 || batch.Eligible != 1 || batch.NotEligible != 3 {
				t.Fatalf("batch: %+v", batch)
			}
			for i, w := range want {
				if batch.Results[i].Reason != w || batch.Results[i].Eligible != (w == "ok") {
					t.Fatalf("batch[%d] = %+v, want %s", i, batch.Results[i], w)
				}
			}
			a.expect(http.MethodPost, "/api/v1/outreach/eligibility", map[string]any{"external_ids": []string{"ACME-1", "ACME-4", "nope"}}, 200, &batch)
			if batch.Results[0].LeadID != l1.ID || !batch.Results[0].Eligible || batch.Results[1].Eligible || batch.Results[2].Reason != "unknown_lead" {
				t.Fatalf("batch by external id: %+v", batch)
			}
		})
	}
}

// TestAPIBadInput sends each kind of bad input and checks the status, the
// error shape, and that nothing changed.
func TestAPIBadInput(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			env := webtest.Start(t, d)
			a := newAPI(t, env)
			l := pushLead(a, "B-1", map[string]any{"score": 10})
			task := storetest.FlaggedLead(t, env.Store, "B-2", store.TypeMessage)
			lead := fmt.Sprintf("/api/v1/leads/%d", l.ID)
			tp := fmt.Sprintf("/api/v1/review-queue/tasks/%d", task.ID)
			big := `{"external_id":"big","name":"` + strings.Repeat("x", 2<<20) + `"}`
			for _, tc := range []struct {
				name, method, path string
				body               any
				status             int
				msg                string
			}{
				{"malformed", "POST", "/api/v1/leads", `{"external_id": "x",`, 400, "malformed JSON"},
				{"not json", "POST", "/api/v1/leads", `external_id=x`, 400, "malformed JSON"},
				{"empty", "POST", "/api/v1/leads", ``, 400, "empty"},
				{"array", "POST", "/api/v1/leads", `[]`, 400, "JSON object"},
				{"trailing", "POST", "/api/v1/leads", `{"external_id":"x"} {}`, 400, "nothing after it"},
				{"wrong type", "POST", "/api/v1/leads", `{"external_id":"x","score":"high"}`, 400, "score: must be a whole number"},
				{"wrong nested type", "POST", "/api/v1/leads", `{"external_id":"x","message":{"subject":7}}`, 400, "message.subject: must be a string"},
				{"unknown field", "POST", "/api/v1/leads", `{"external_id":"x","scroe":95}`, 400, `unknown field "scroe"`},
				{"missing external_id", "POST", "/api/v1/leads", `{"name":"x"}`, 400, "external_id: is required"},
				{"bad email", "POST", "/api/v1/leads", `{"external_id":"x","email":"not-an-email"}`, 400, "email:"},
				{"score out of range", "POST", "/api/v1/leads", `{"external_id":"x","score":101}`, 400, "score: must be from 0 to 100"},
				{"bad status", "POST", "/api/v1/leads", `{"external_id":"x","status":"won"}`, 400, "status:"},
				{"too large", "POST", "/api/v1/leads", big, 413, "too large"},
				{"score above 100", "POST", lead + "/score", `{"score":150}`, 400, "score: must be a whole number from 0 to 100"},
				{"score negative", "POST", lead + "/score", `{"score":-1}`, 400, "score:"},
				{"score fraction", "POST", lead + "/score", `{"score":95.5}`, 400, "score: must be a whole number"},
				{"score missing", "POST", lead + "/score", `{}`, 400, "score: is required"},
				{"flag bad type", "POST", lead + "/flag", `{"review_type":"URGENT","reason":"x"}`, 400, "review_type: must be one of"},
				{"flag no reason", "POST", lead + "/flag", `{"review_type":"MESSAGE"}`, 400, "reason: is required"},
				{"flag bad source", "POST", lead + "/flag", `{"review_type":"MESSAGE","reason":"x","source":"me"}`, 400, "source:"},
				{"flag unknown field", "POST", lead + "/flag", `{"review_type":"MESSAGE","reason":"x","priority":1}`, 400, "unknown field"},
				{"quality bad severity", "POST", lead + "/quality", `{"issues":[{"code":"x","severity":"huge"}]}`, 400, "issues[0].severity"},
				{"quality no issues", "POST", lead + "/quality", `{}`, 400, "issues: is required"},
				{"quality not array", "POST", lead + "/quality", `{"issues":"bad"}`, 400, "issues: must be an array"},
				{"unknown lead", "GET", "/api/v1/leads/999999", nil, 404, "no such lead"},
				{"non-numeric lead", "GET", "/api/v1/leads/abc", nil, 404, "by=external_id"},
				{"unknown external id", "GET", "/api/v1/leads/nope?by=external_id", nil, 404, "no lead with external_id"},
				{"bad by", "GET", lead + "?by=email", nil, 400, "by:"},
				{"flag unknown lead", "POST", "/api/v1/leads/999999/flag", `{"review_type":"MESSAGE","reason":"x"}`, 404, "no such lead"},
				{"score unknown lead", "POST", "/api/v1/leads/999999/score", `{"score":99}`, 404, "no such lead"},
				{"quality unknown lead", "POST", "/api/v1/leads/999999/quality", `{"issues":[{"code":"x","severity":"high"}]}`, 404, "no such lead"},
				{"eligibility unknown lead", "GET", "/api/v1/leads/999999/eligibility", nil, 404, "no such lead"},
				{"unknown task", "GET", "/api/v1/review-queue/tasks/999999", nil, 404, "no such task"},
				{"approve unknown task", "POST", "/api/v1/review-queue/tasks/999999/approve", `{}`, 404, "no such task"},
				{"unknown reason code", "POST", tp + "/reject", `{"reason_code":"because"}`, 400, `reason_code: unknown reason code "because"`},
				{"missing reason code", "POST", tp + "/skip", `{}`, 400, "reason_code: is required"},
				{"approve with reason code", "POST", tp + "/approve", `{"reason_code":"not_a_fit"}`, 400, "unknown field"},
				{"stale version", "POST", tp + "/approve", `{"version":9}`, 409, "changed since"},
				{"notes too long", "POST", tp + "/approve", `{"notes":"` + strings.Repeat("n", 5001) + `"}`, 400, "notes:"},
				{"bad cursor", "GET", "/api/v1/review-queue/tasks?cursor=%27%3B+DROP+TABLE+leads", nil, 400, "cursor"},
				{"limit too big", "GET", "/api/v1/review-queue/tasks?limit=201", nil, 400, "limit"},
				{"limit not a number", "GET", "/api/v1/review-queue/tasks?limit=ten", nil, 400, "limit"},
				{"bad filter", "GET", "/api/v1/review-queue/tasks?review_type=%3Cscript%3E", nil, 400, "review_type"},
				{"batch too big", "POST", "/api/v1/outreach/eligibility", map[string]any{"lead_ids": make([]int64, 1001)}, 400, "at most 1000"},
				{"batch empty", "POST", "/api/v1/outreach/eligibility", `{"lead_ids":[]}`, 400, "at least one"},
				{"batch both", "POST", "/api/v1/outreach/eligibility", `{"lead_ids":[1],"external_ids":["a"]}`, 400, "not both"},
				{"batch wrong type", "POST", "/api/v1/outreach/eligibility", `{"lead_ids":["a"]}`, 400, "lead_ids: must be a whole number"},
			} {
				t.Run(tc.name, func(t *testing.T) {
					a := &apiClient{t: t, c: a.c, token: a.token}
					r := a.expect(tc.method, tc.path, tc.body, tc.status, nil)
					if e := checkErrorShape(t, r); !strings.Contains(e.Error.Message, tc.msg) {
						t.Fatalf("message %q lacks %q", e.Error.Message, tc.msg)
					}
				})
			}
			// Nothing changed: one API lead untouched, the task still pending.
			ctx := context.Background()
			got, _ := env.Store.GetLead(ctx, l.ID)
			if got.Score != 10 || got.RequiresHumanReview {
				t.Fatalf("bad input changed the lead: %+v", got)
			}
			if _, err := env.Store.GetLeadByExternalID(ctx, "x"); err == nil {
				t.Fatal("a bad lead was stored")
			}
			rl, events, _ := env.Store.GetReview(ctx, task.ID)
			if rl.Review.Status != store.StatusPending || rl.Review.Version != 1 || len(events) != 1 {
				t.Fatalf("bad input changed the task: %+v", rl.Review)
			}
			// A wrong Content-Type is refused too.
			req, _ := http.NewRequest(http.MethodPost, env.URL+"/api/v1/leads", strings.NewReader(`{"external_id":"x"}`))
			req.Header.Set("Authorization", "Bearer "+a.token)
			req.Header.Set("Content-Type", "text/plain")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusUnsupportedMediaType {
				t.Fatalf("text/plain: %d", resp.StatusCode)
			}
		})
	}
}

// TestAPIAuth: missing, malformed, unknown and revoked tokens are 401; a
// revoked token stops working at once; a session works same-origin.
func TestAPIAuth(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			env := webtest.Start(t, d)
			ctx := context.Background()
			tok, secret, err := env.Store.CreateToken(ctx, store.SystemActor, "", "outreach", []string{store.ScopeOutreachRead, store.ScopeQueueRead})
			if err != nil {
				t.Fatal(err)
			}
			c := env.NewClient(t)
			path := "/api/v1/review-queue/stats"
			if r := c.JSON("GET", path, secret, nil); r.Status != 200 {
				t.Fatalf("good token: %d %s", r.Status, r.Body)
			}
			for name, h := range map[string]string{
				"no header": "", "basic": "Basic dXNlcjpwdw==", "unknown": "Bearer rvq_" + strings.Repeat("a", 43),
				"not ours": "Bearer abc", "empty bearer": "Bearer ",
			} {
				req, _ := http.NewRequest("GET", env.URL+path, nil)
				if h != "" {
					req.Header.Set("Authorization", h)
				}
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode != 401 {
					t.Fatalf("%s: %d", name, resp.StatusCode)
				}
			}
			if err := env.Store.RevokeToken(ctx, store.SystemActor, "", tok.ID); err != nil {
				t.Fatal(err)
			}
			r := c.JSON("GET", path, secret, nil)
			if r.Status != 401 || strings.Contains(r.Body, secret) {
				t.Fatalf("revoked token: %d %s", r.Status, r.Body)
			}
			checkErrorShape(t, r)

			// A logged-in browser session: reads, and decides with the CSRF header.
			op, _ := env.LoggedIn(t, store.RoleOperator)
			task := storetest.FlaggedLead(t, env.Store, "S-1", store.TypeAction)
			if r := op.JSON("GET", path, "", nil); r.Status != 200 {
				t.Fatalf("session read: %d %s", r.Status, r.Body)
			}
			csrf := op.CSRF
			op.CSRF = ""
			if r := op.JSON("POST", fmt.Sprintf("/api/v1/review-queue/tasks/%d/approve", task.ID), "", map[string]any{}); r.Status != 403 {
				t.Fatalf("session write without CSRF: %d", r.Status)
			}
			op.CSRF = csrf
			if r := op.JSON("POST", fmt.Sprintf("/api/v1/review-queue/tasks/%d/approve", task.ID), "", map[string]any{}); r.Status != 200 {
				t.Fatalf("session approve: %d %s", r.Status, r.Body)
			}
			// An operator's session may not push leads (leads:write is the engines').
			if r := op.JSON("POST", "/api/v1/leads", "", map[string]any{"external_id": "z"}); r.Status != 403 {
				t.Fatalf("operator pushing leads: %d", r.Status)
			}
			if r := env.NewClient(t).JSON("GET", path, "", nil); r.Status != 401 {
				t.Fatalf("anonymous: %d", r.Status)
			}
		})
	}
}

// TestAPIScopes is the scope × route table: each route answers 403 to a
// token without its scope and lets each scope that is enough through.
func TestAPIScopes(t *testing.T) {
	env := webtest.Start(t, store.SQLite)
	task := storetest.FlaggedLead(t, env.Store, "SC-1", store.TypeMessage)
	lead := fmt.Sprintf("/api/v1/leads/%d", task.LeadID)
	tp := fmt.Sprintf("/api/v1/review-queue/tasks/%d", task.ID)
	routes := []struct {
		method, path string
		body         any
		allowed      []string
	}{
		{"GET", "/api/v1/review-queue/stats", nil, []string{store.ScopeQueueRead}},
		{"GET", "/api/v1/review-queue/reason-codes", nil, []string{store.ScopeQueueRead}},
		{"GET", "/api/v1/review-queue/tasks", nil, []string{store.ScopeQueueRead}},
		{"GET", tp, nil, []string{store.ScopeQueueRead}},
		{"POST", "/api/v1/leads", `{"external_id":"SC-2"}`, []string{store.ScopeLeadsWrite}},
		{"GET", lead, nil, []string{store.ScopeLeadsWrite, store.ScopeQueueRead, store.ScopeOutreachRead}},
		{"GET", lead + "/history", nil, []string{store.ScopeQueueRead}},
		{"POST", lead + "/flag", `{"review_type":"MESSAGE","reason":"scope test"}`, []string{store.ScopeLeadsWrite}},
		{"POST", lead + "/score", `{"score":5}`, []string{store.ScopeLeadsWrite}},
		{"POST", lead + "/quality", `{"issues":[]}`, []string{store.ScopeLeadsWrite}},
		{"GET", lead + "/eligibility", nil, []string{store.ScopeOutreachRead}},
		{"POST", "/api/v1/outreach/eligibility", `{"lead_ids":[1]}`, []string{store.ScopeOutreachRead}},
	}
	// The team actions: a stale version is refused, so an allowed call
	// changes nothing.
	for a, body := range map[string]string{"assign": `{"assignee":null,"version":99}`, "escalate": `{"note":"x","version":99}`,
		"snooze": `{"until":"2099-01-01T00:00:00Z","reason_code":"other","version":99}`, "unsnooze": `{"version":99}`} {
		routes = append(routes, struct {
			method, path string
			body         any
			allowed      []string
		}{"POST", tp + "/" + a, body, []string{store.ScopeQueueWrite}})
	}
	// Each outcome's route: a stale version (or a missing reason code)
	// is refused, so an allowed call changes nothing.
	for _, o := range store.DecisionOutcomes {
		routes = append(routes, struct {
			method, path string
			body         any
			allowed      []string
		}{"POST", tp + "/" + o.Name, `{"version":99}`, []string{store.ScopeQueueWrite}})
	}
	routes = append(routes, struct {
		method, path string
		body         any
		allowed      []string
	}{"POST", tp + "/undo", nil, []string{store.ScopeQueueWrite}})
	tokens := map[string]string{}
	for _, sc := range store.Scopes {
		tokens[sc] = env.Token(t, sc)
	}
	c := env.NewClient(t)
	seen := map[string]bool{}
	idRe := regexp.MustCompile(`/(leads|tasks)/\d+`)
	for _, rt := range routes {
		seen[rt.method+" "+idRe.ReplaceAllString(rt.path, "/$1/:id")] = true
		for _, sc := range store.Scopes {
			r := c.JSON(rt.method, rt.path, tokens[sc], rt.body)
			allowed := false
			for _, a := range rt.allowed {
				allowed = allowed || a == sc
			}
			if allowed && (r.Status == 401 || r.Status == 403) {
				t.Errorf("%s %s with %s: %d, want it allowed", rt.method, rt.path, sc, r.Status)
			}
			if !allowed && r.Status != 403 {
				t.Errorf("%s %s with %s: %d, want 403", rt.method, rt.path, sc, r.Status)
			}
		}
	}
	// Every API route of the router is in the table.
	for _, rt := range env.Server.Echo.Routes() {
		if !strings.HasPrefix(rt.Path, "/api/v1/") || rt.Path == "/api/v1/openapi.json" || strings.HasSuffix(rt.Path, "*") || rt.Method == "echo_route_not_found" {
			continue
		}
		if !seen[rt.Method+" "+rt.Path] {
			t.Errorf("route %s %s is missing from the scope table", rt.Method, rt.Path)
		}
	}
}

// TestAPIQueueDisabled: with queue.enabled off the review endpoints answer
// 503, flag is refused, the rules record scores but flag nothing; the
// outreach gate keeps answering.
func TestAPIQueueDisabled(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			env := webtest.Start(t, d)
			a := newAPI(t, env)
			task := storetest.FlaggedLead(t, env.Store, "Q-1", store.TypeMessage)
			l := pushLead(a, "Q-2", nil)
			if _, err := env.Store.SetSetting(context.Background(), store.SystemActor, "", store.KeyQueueEnabled, "false"); err != nil {
				t.Fatal(err)
			}
			for _, rt := range []struct{ method, path, body string }{
				{"GET", "/api/v1/review-queue/stats", ""},
				{"GET", "/api/v1/review-queue/tasks", ""},
				{"GET", fmt.Sprintf("/api/v1/review-queue/tasks/%d", task.ID), ""},
				{"POST", fmt.Sprintf("/api/v1/review-queue/tasks/%d/approve", task.ID), "{}"},
				{"POST", fmt.Sprintf("/api/v1/leads/%d/flag", l.ID), `{"review_type":"MESSAGE","reason":"x"}`},
			} {
				var body any
				if rt.body != "" {
					body = rt.body
				}
				r := a.expect(rt.method, rt.path, body, http.StatusServiceUnavailable, nil)
				if e := checkErrorShape(t, r); e.Error.Code != "queue_disabled" || !strings.Contains(e.Error.Message, "queue.enabled") {
					t.Fatalf("%s: %s", rt.path, r.Body)
				}
			}
			// A token without the scope still hears that first.
			newAPI(t, env, store.ScopeLeadsWrite).expect("GET", "/api/v1/review-queue/stats", nil, http.StatusForbidden, nil)
			var f flagOut
			a.expect("POST", fmt.Sprintf("/api/v1/leads/%d/score", l.ID), map[string]any{"score": 99}, 200, &f)
			if f.Flagged || !strings.Contains(f.Reason, "queue is disabled") {
				t.Fatalf("score while disabled: %+v", f)
			}
			a.expect("POST", fmt.Sprintf("/api/v1/leads/%d/quality", l.ID), map[string]any{"issues": []map[string]string{{"code": "x", "severity": "critical"}}}, 200, &f)
			if f.Flagged || !strings.Contains(f.Reason, "queue is disabled") {
				t.Fatalf("quality while disabled: %+v", f)
			}
			var got leadOut
			a.expect("GET", fmt.Sprintf("/api/v1/leads/%d", l.ID), nil, 200, &got)
			if got.Score != 99 || got.RequiresHumanReview {
				t.Fatalf("lead while disabled: %+v", got)
			}
			var el eligOut
			a.expect("GET", fmt.Sprintf("/api/v1/leads/%d/eligibility", task.LeadID), nil, 200, &el)
			if el.Eligible {
				t.Fatal("a flagged lead became eligible because the queue is off")
			}
			if rl, _, _ := env.Store.GetReview(context.Background(), task.ID); rl.Review.Status != store.StatusPending {
				t.Fatal("decided while disabled")
			}
		})
	}
}

// TestAPIAutoflagSettings: the phase-in switches and the threshold change
// what the rules do, and each answer says why it did not flag.
func TestAPIAutoflagSettings(t *testing.T) {
	env := webtest.Start(t, store.SQLite)
	a := newAPI(t, env)
	ctx := context.Background()
	set := func(k, v string) {
		if _, err := env.Store.SetSetting(ctx, store.SystemActor, "", k, v); err != nil {
			t.Fatal(err)
		}
	}
	l := pushLead(a, "P-1", nil)
	score := fmt.Sprintf("/api/v1/leads/%d/score", l.ID)
	quality := fmt.Sprintf("/api/v1/leads/%d/quality", l.ID)
	high := map[string]any{"issues": []map[string]string{{"code": "spam", "severity": "high"}}}
	var f flagOut
	set(store.KeyScoreEnabled, "false")
	set(store.KeyQualityEnabled, "false")
	a.expect("POST", score, map[string]any{"score": 99}, 200, &f)
	if f.Flagged || !strings.Contains(f.Reason, "autoflag.score.enabled=false") {
		t.Fatalf("score rule off: %+v", f)
	}
	a.expect("POST", quality, high, 200, &f)
	if f.Flagged || !strings.Contains(f.Reason, "autoflag.quality.enabled=false") {
		t.Fatalf("quality rule off: %+v", f)
	}
	set(store.KeyScoreEnabled, "true")
	set(store.KeyScoreThreshold, "70")
	a.expect("POST", score, map[string]any{"score": 75}, http.StatusCreated, &f)
	if !f.Flagged || f.Task.Reason != "High-value prospect (score=75)" {
		t.Fatalf("threshold 70: %+v", f)
	}
	set(store.KeyQualityEnabled, "true")
	a.expect("POST", quality, high, 200, &f)
	if !f.Flagged || f.Created || f.Task.Reason != "High-value prospect (score=75); MESSAGE: Quality gate failed: spam" {
		t.Fatalf("quality on the open review: %+v", f)
	}
}

// TestAPIConcurrentFlags: many engines flag one lead at once; one review.
func TestAPIConcurrentFlags(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			env := webtest.Start(t, d)
			a := newAPI(t, env)
			l := pushLead(a, "RACE", nil)
			const n = 16
			statuses := make([]int, n)
			var wg sync.WaitGroup
			for i := 0; i < n; i++ {
				wg.Add(1)
				go func(i int) {
					defer wg.Done()
					statuses[i] = a.c.JSON("POST", fmt.Sprintf("/api/v1/leads/%d/flag", l.ID), a.token,
						map[string]any{"review_type": "ACTION", "reason": fmt.Sprintf("engine %d", i)}).Status
				}(i)
			}
			wg.Wait()
			created, added := 0, 0
			for _, s := range statuses {
				switch s {
				case 201:
					created++
				case 200:
					added++
				}
			}
			if created != 1 || added != n-1 {
				t.Fatalf("statuses %v", statuses)
			}
			var list struct {
				Tasks []taskOut `json:"tasks"`
			}
			a.expect("GET", "/api/v1/review-queue/tasks", nil, 200, &list)
			if len(list.Tasks) != 1 {
				t.Fatalf("%d open tasks", len(list.Tasks))
			}
			var task taskOut
			a.expect("GET", fmt.Sprintf("/api/v1/review-queue/tasks/%d", list.Tasks[0].ID), nil, 200, &task)
			if len(task.History) != n {
				t.Fatalf("history has %d flag events, want %d", len(task.History), n)
			}
		})
	}
}

// TestAPIConcurrentApprovals: many approvals of one task; one decision,
// the others 409 naming the winner.
func TestAPIConcurrentApprovals(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			env := webtest.Start(t, d)
			task := storetest.FlaggedLead(t, env.Store, "RACE-2", store.TypeProposal)
			const n = 10
			clients := make([]*apiClient, n)
			for i := range clients {
				clients[i] = newAPI(t, env, store.ScopeQueueWrite)
			}
			res := make([]*webtest.Response, n)
			var wg sync.WaitGroup
			for i, a := range clients {
				wg.Add(1)
				go func(i int, a *apiClient) {
					defer wg.Done()
					res[i] = a.c.JSON("POST", fmt.Sprintf("/api/v1/review-queue/tasks/%d/approve", task.ID), a.token, map[string]any{"notes": fmt.Sprint(i)})
				}(i, a)
			}
			wg.Wait()
			ok := 0
			for _, r := range res {
				switch r.Status {
				case 200:
					ok++
				case 409:
					if !strings.Contains(r.Body, "already approved by token:test") {
						t.Fatalf("409 without the winner: %s", r.Body)
					}
				default:
					t.Fatalf("status %d: %s", r.Status, r.Body)
				}
			}
			if ok != 1 {
				t.Fatalf("%d approvals succeeded", ok)
			}
			_, events, _ := env.Store.GetReview(context.Background(), task.ID)
			if len(events) != 2 {
				t.Fatalf("history has %d events", len(events))
			}
		})
	}
}

// TestAPITasksKeyset walks every page with the opaque cursor.
func TestAPITasksKeyset(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			env := webtest.Start(t, d)
			if err := env.Store.Seed(context.Background(), store.SeedOptions{Leads: 140, Pending: 125}); err != nil {
				t.Fatal(err)
			}
			a := newAPI(t, env, store.ScopeQueueRead)
			seen := map[int64]bool{}
			var last time.Time
			path := "/api/v1/review-queue/tasks?limit=50"
			pages := 0
			for {
				var page struct {
					Tasks      []taskOut `json:"tasks"`
					NextCursor *string   `json:"next_cursor"`
				}
				a.expect("GET", path, nil, 200, &page)
				pages++
				for _, tk := range page.Tasks {
					if seen[tk.ID] || tk.FlaggedAt.Before(last) || tk.Status != "pending" {
						t.Fatalf("task %d twice or out of order", tk.ID)
					}
					seen[tk.ID], last = true, tk.FlaggedAt
				}
				if page.NextCursor == nil {
					break
				}
				path = "/api/v1/review-queue/tasks?limit=50&cursor=" + *page.NextCursor
			}
			if len(seen) != 125 || pages != 3 {
				t.Fatalf("saw %d tasks in %d pages", len(seen), pages)
			}
		})
	}
}

// TestQualityIssuesReachTheOperator: the issues a quality gate sends are in
// the review the operator opens.
func TestQualityIssuesReachTheOperator(t *testing.T) {
	env := webtest.Start(t, store.SQLite)
	a := newAPI(t, env)
	l := pushLead(a, "QI-1", nil)
	var f flagOut
	a.expect("POST", fmt.Sprintf("/api/v1/leads/%d/quality", l.ID), map[string]any{"issues": []map[string]string{
		{"code": "pricing_promise", "severity": "high", "message": "promises a 50% discount"}}}, http.StatusCreated, &f)
	op, _ := env.LoggedIn(t, store.RoleOperator)
	r := op.Get(fmt.Sprintf("/dashboard/review-queue/%d", f.Task.ID))
	if r.Status != 200 || !strings.Contains(r.Body, "pricing_promise") || !strings.Contains(r.Body, "promises a 50% discount") {
		t.Fatalf("review page: %d, issues missing", r.Status)
	}
}
