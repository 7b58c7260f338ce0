package web_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"reviewq/store"
	"reviewq/store/storetest"
	"reviewq/web/webtest"
)

// rulesData, on fresh leads: 4 score-rule flags (3 approved, 1 rejected:
// precision 75.0%) and 10 decided QA samples of the score rule (8 approved
// as they were, 1 rejected, 1 skipped: 2 misses of 10 = 20.0%), plus one
// sample left pending; the quality gate has 2 flags, both rejected
// (precision 0.0%), and 3 decided samples (too few for a miss rate).
// It returns the pending sample.
func rulesData(t *testing.T, env *webtest.Env) *store.Review {
	t.Helper()
	ctx := context.Background()
	st := env.Store
	ana := store.Actor{Type: store.ActorOperator, ID: 77, Name: "Ana"}
	n := 0
	lead := func() int64 {
		n++
		name, subject, body := fmt.Sprintf("Rule lead %d", n), "Hello", "Body"
		l, _, err := st.UpsertLead(ctx, store.LeadInput{ExternalID: fmt.Sprintf("rl-%d", n), Name: &name, MessageSubject: &subject, MessageBody: &body})
		if err != nil {
			t.Fatal(err)
		}
		return l.ID
	}
	decide := func(r *store.Review, outcome, code string) {
		if _, err := st.Decide(ctx, store.DecideInput{ReviewID: r.ID, Outcome: outcome, ReasonCode: code, Actor: ana}); err != nil {
			t.Fatal(err)
		}
	}
	score := func(s int) *store.AutoFlag {
		af, err := st.RecordScore(ctx, lead(), s, store.SystemActor)
		if err != nil || af.Review == nil {
			t.Fatalf("score %d: %+v %v", s, af, err)
		}
		return af
	}
	quality := func(sev string) *store.AutoFlag {
		af, err := st.RecordQuality(ctx, lead(), []store.QualityIssue{{Code: "tone", Severity: sev}}, store.SystemActor)
		if err != nil || af.Review == nil {
			t.Fatalf("quality %s: %+v %v", sev, af, err)
		}
		return af
	}
	if _, err := st.SetSetting(ctx, store.SystemActor, "", store.KeySamplingPercent, "100"); err != nil {
		t.Fatal(err)
	}
	for i, o := range []string{store.OutcomeApprove, store.OutcomeApprove, store.OutcomeApprove, store.OutcomeReject} {
		af := score(95 + i)
		decide(af.Review, o, map[bool]string{true: "not_a_fit"}[o == store.OutcomeReject])
	}
	for i := 0; i < 10; i++ {
		af := score(50)
		switch i {
		case 0:
			decide(af.Review, store.OutcomeReject, "do_not_contact")
		case 1:
			decide(af.Review, store.OutcomeSkip, "needs_info")
		default:
			decide(af.Review, store.OutcomeApprove, "")
		}
	}
	for i := 0; i < 2; i++ {
		decide(quality("high").Review, store.OutcomeReject, "bad_data")
	}
	for i := 0; i < 3; i++ {
		decide(quality("low").Review, store.OutcomeApprove, "")
	}
	return score(20).Review
}

// TestQASamplingOverHTTP: the setting on the admin page, a sample through
// the score API (not a flag, marked, holding outreach), its marker in the
// queue and the pane, and the stats page's rules table with the figures
// worked out by hand.
func TestQASamplingOverHTTP(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			env := webtest.Start(t, d)
			admin, _ := env.LoggedIn(t, store.RoleAdmin)
			if r := admin.Get("/admin/settings"); r.Status != http.StatusOK || !strings.Contains(r.Body, "sampling.percent") {
				t.Fatalf("settings page: %d, sampling.percent shown: %v", r.Status, strings.Contains(r.Body, "sampling.percent"))
			}
			pending := rulesData(t, env)

			// The score API: not flagged, sampled, 200.
			a := newAPI(t, env)
			name := "API lead"
			l, _, err := env.Store.UpsertLead(context.Background(), store.LeadInput{ExternalID: "api-sample", Name: &name})
			if err != nil {
				t.Fatal(err)
			}
			var ans struct {
				Flagged, Sampled bool
				Reason           string
				Task             struct {
					ID         int64
					Source     string
					SampleRule *string `json:"sample_rule"`
					ReviewType string  `json:"review_type"`
				}
			}
			a.expect("POST", fmt.Sprintf("/api/v1/leads/%d/score", l.ID), map[string]any{"score": 33}, http.StatusOK, &ans)
			if ans.Flagged || !ans.Sampled || ans.Task.Source != "sample" || ans.Task.SampleRule == nil || *ans.Task.SampleRule != "score" ||
				ans.Task.ReviewType != store.TypeProposal || !strings.Contains(ans.Reason, "QA sample") {
				t.Fatalf("score answer: %+v", ans)
			}
			var el struct {
				Eligible bool
				Reason   string
			}
			a.expect("GET", fmt.Sprintf("/api/v1/leads/%d/eligibility", l.ID), nil, http.StatusOK, &el)
			if el.Eligible || el.Reason != store.EligibleReviewOpen {
				t.Errorf("eligibility of a sampled lead: %+v", el)
			}
			// The API may not open samples itself.
			a.expect("POST", fmt.Sprintf("/api/v1/leads/%d/flag", l.ID), map[string]any{"review_type": "MESSAGE", "reason": "x", "source": "sample"}, http.StatusBadRequest, nil)

			// The queue row and the pane mark it.
			op, _ := env.LoggedIn(t, store.RoleOperator)
			q := op.Get("/dashboard/review-queue?source=sample")
			if q.Status != http.StatusOK || !strings.Contains(q.Body, `class="badge sample"`) || !strings.Contains(q.Body, "Rule lead") {
				t.Errorf("queue of samples: %d, marker shown: %v", q.Status, strings.Contains(q.Body, `class="badge sample"`))
			}
			p := op.Get(fmt.Sprintf("/dashboard/review-queue/%d", pending.ID))
			if p.Status != http.StatusOK || !strings.Contains(textOf(t, p.Body, "sample-note"), "the score rule did not flag this lead") {
				t.Errorf("pane of a sample: %d", p.Status)
			}

			// The stats page.
			lc, _ := env.LoggedIn(t, store.RoleLead)
			s := lc.Get("/dashboard/stats?range=7d")
			if s.Status != http.StatusOK {
				t.Fatalf("stats: %d", s.Status)
			}
			row := func(rule string) string {
				i := strings.Index(s.Body, `id="stats-rule-`+rule+`"`)
				if i < 0 {
					t.Fatalf("no row for %s", rule)
				}
				j := strings.Index(s.Body[i:], "</tr>")
				return strings.Join(strings.Fields(tagText.ReplaceAllString(s.Body[i:i+j], " ")), " ")
			}
			// Score: 4 flags, 3 approved = 75.0%; 10 samples, 2 misses =
			// 20.0%; Wilson for 2 of 10: centre (0.2 + 0.19208)/1.38415 =
			// 0.28326, half 1.41603·√(0.016 + 0.0096038) = 0.22658 →
			// 5.7% – 51.0%; 2 waiting (the fixture's and the API's).
			if got, want := row("score"), `score rule (score) 4 3 75.0% 10 2 1 rejected, 1 skipped, 0 edited 20.0% 5.7% – 51.0% 2`; !strings.HasSuffix(got, want) {
				t.Errorf("score rule row:\n%s\nwant it to end with\n%s", got, want)
			}
			if got, want := row("quality_gate"), `quality gate (quality_gate) 2 0 0.0% 3 0 not enough samples (3 of 10) 0`; !strings.HasSuffix(got, want) {
				t.Errorf("quality gate row:\n%s\nwant it to end with\n%s", got, want)
			}
			if !strings.Contains(s.Body, "Sampling is on: 100% of the unflagged leads") {
				t.Error("the sampling rate is not shown")
			}
		})
	}
}

// TestBrowserStatsRules: the stats page's rules table in a real browser,
// screenshotted to look at.
func TestBrowserStatsRules(t *testing.T) {
	ctx := webtest.Browser(t)
	env := webtest.Start(t, store.SQLite)
	rulesData(t, env)
	if _, err := env.Store.SetSetting(context.Background(), store.SystemActor, "", store.KeySamplingPercent, "5"); err != nil {
		t.Fatal(err)
	}
	lead := storetest.Operator(t, env.Store, "lee@example.com", store.RoleLead)
	webtest.BrowserLogin(t, ctx, env.URL, lead.Email, storetest.Password(store.RoleLead))
	if err := chromedp.Do(ctx, chromedp.Navigate(env.URL+"/dashboard/stats?range=7d"), chromedp.WaitVisible("#stats-rules")); err != nil {
		t.Fatal(err)
	}
	webtest.Screenshot(t, ctx, "stats-rules")
	miss, err := chromedp.Run(ctx, chromedp.Text("#stats-rule-score .rule-interval"))
	if err != nil || strings.TrimSpace(miss) != "5.7% – 51.0%" {
		t.Errorf("interval shown: %q %v", miss, err)
	}
	// The queue marks the waiting sample.
	if err := chromedp.Do(ctx, chromedp.Navigate(env.URL+"/dashboard/review-queue?source=sample"), chromedp.WaitVisible(".badge.sample")); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Click("tr.review-row .open-review"), chromedp.WaitVisible("#sample-note")); err != nil {
		t.Fatal(err)
	}
	webtest.Screenshot(t, ctx, "queue-sample")
}
