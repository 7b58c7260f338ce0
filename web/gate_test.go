package web_test

import (
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"reviewq/store"
	"reviewq/store/storetest"
	"reviewq/web/webtest"
)

type heldOut struct {
	Flagged        bool     `json:"flagged"`
	Created        bool     `json:"created"`
	Reason         string   `json:"reason"`
	HeldBack       bool     `json:"held_back"`
	HeldBackReason string   `json:"held_back_reason"`
	Task           *taskOut `json:"task"`
	DecidedTask    *taskOut `json:"decided_task"`
}

type historyOut struct {
	LeadID  int64 `json:"lead_id"`
	Reviews []struct {
		taskOut
		Changes map[string]struct {
			Old string `json:"old"`
			New string `json:"new"`
		} `json:"changes"`
	} `json:"reviews"`
	NextCursor *string `json:"next_cursor"`
}

// TestGateAsAnEngine tries the engines' sequences over HTTP: what was
// approved is what may go out, and every "no" says why.
func TestGateAsAnEngine(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			env := webtest.Start(t, d)
			a := newAPI(t, env)
			elig := func(id int64, want string) {
				t.Helper()
				var el eligOut
				a.expect(http.MethodGet, fmt.Sprintf("/api/v1/leads/%d/eligibility", id), nil, 200, &el)
				if el.Reason != want || el.Eligible != (want == "ok") {
					t.Fatalf("lead %d: %+v, want %s", id, el, want)
				}
			}
			msg := func(body string) map[string]any {
				return map[string]any{"message": map[string]any{"subject": "Quick idea", "body": body}}
			}

			// flag → approve → upsert with a changed body → not eligible.
			l := pushLead(a, "GATE-1", msg("Hi, 10% off."))
			var f flagOut
			a.expect(http.MethodPost, fmt.Sprintf("/api/v1/leads/%d/flag", l.ID), map[string]any{"review_type": "MESSAGE", "reason": "pricing"}, http.StatusCreated, &f)
			elig(l.ID, "pending_review")
			a.expect(http.MethodPost, fmt.Sprintf("/api/v1/review-queue/tasks/%d/approve", f.Task.ID), map[string]any{}, 200, nil)
			elig(l.ID, "ok")
			same := msg("Hi, 10% off.")
			same["external_id"] = "GATE-1"
			a.expect(http.MethodPost, "/api/v1/leads", same, http.StatusOK, nil)
			elig(l.ID, "ok")
			changed := msg("Hi, 50% off!")
			changed["external_id"] = "GATE-1"
			var up leadOut
			a.expect(http.MethodPost, "/api/v1/leads", changed, http.StatusOK, &up)
			if !up.RequiresHumanReview || up.ReviewReason == nil || *up.ReviewReason != "changed after approval" {
				t.Fatalf("changed lead: %+v", up)
			}
			elig(l.ID, "changed_after_approval")
			var batch struct {
				Results []eligOut `json:"results"`
			}
			a.expect(http.MethodPost, "/api/v1/outreach/eligibility", map[string]any{"external_ids": []string{"GATE-1"}}, 200, &batch)
			if batch.Results[0].Reason != "changed_after_approval" || batch.Results[0].Eligible {
				t.Fatalf("batch: %+v", batch)
			}
			var h historyOut
			a.expect(http.MethodGet, "/api/v1/leads/GATE-1/history?by=external_id", nil, 200, &h)
			if len(h.Reviews) != 2 || h.Reviews[0].Source != "change" || h.Reviews[0].Changes["message_body"].New != "Hi, 50% off!" ||
				h.Reviews[0].Changes["message_body"].Old != "Hi, 10% off." || h.Reviews[1].Status != "approved" || h.NextCursor != nil {
				t.Fatalf("history: %+v", h)
			}

			// score 97 → approve → 97 again: held back, and says why.
			s := pushLead(a, "GATE-2", nil)
			var sc heldOut
			a.expect(http.MethodPost, fmt.Sprintf("/api/v1/leads/%d/score", s.ID), map[string]any{"score": 97}, http.StatusCreated, &sc)
			a.expect(http.MethodPost, fmt.Sprintf("/api/v1/review-queue/tasks/%d/approve", sc.Task.ID), map[string]any{}, 200, nil)
			a.expect(http.MethodPost, fmt.Sprintf("/api/v1/leads/%d/score", s.ID), map[string]any{"score": 97}, http.StatusOK, &sc)
			if sc.Flagged || !sc.HeldBack || sc.HeldBackReason != "cooldown" || sc.DecidedTask == nil || !strings.Contains(sc.Reason, "cool-down") {
				t.Fatalf("score again: %+v", sc)
			}
			elig(s.ID, "ok")
			var stats map[string]any
			a.expect(http.MethodGet, "/api/v1/review-queue/stats", nil, 200, &stats)
			if stats["held_back_24h"] != float64(1) || stats["total_pending"] != float64(1) {
				t.Fatalf("stats: %v", stats)
			}
			lead, _ := env.LoggedIn(t, store.RoleLead)
			if page := lead.Get("/dashboard/stats"); page.Status != 200 || !strings.Contains(page.Body, `id="stats-held-back">1<`) {
				t.Fatalf("stats page lacks the held-back count: %d", page.Status)
			}
			// A manual flag opens at once.
			a.expect(http.MethodPost, fmt.Sprintf("/api/v1/leads/%d/flag", s.ID), map[string]any{"review_type": "ACTION", "reason": "call first", "source": "manual"}, http.StatusCreated, nil)
			elig(s.ID, "pending_review")

			// Reject → the engine resets the status → still rejected; skip.
			r := pushLead(a, "GATE-3", msg("x"))
			a.expect(http.MethodPost, fmt.Sprintf("/api/v1/leads/%d/flag", r.ID), map[string]any{"review_type": "MESSAGE", "reason": "r"}, http.StatusCreated, &f)
			a.expect(http.MethodPost, fmt.Sprintf("/api/v1/review-queue/tasks/%d/reject", f.Task.ID), map[string]any{"reason_code": "do_not_contact"}, 200, nil)
			a.expect(http.MethodPost, "/api/v1/leads", map[string]any{"external_id": "GATE-3", "status": "new"}, http.StatusOK, nil)
			elig(r.ID, "rejected")
			k := pushLead(a, "GATE-4", nil)
			a.expect(http.MethodPost, fmt.Sprintf("/api/v1/leads/%d/flag", k.ID), map[string]any{"review_type": "RETRY", "reason": "r"}, http.StatusCreated, &f)
			a.expect(http.MethodPost, fmt.Sprintf("/api/v1/review-queue/tasks/%d/skip", f.Task.ID), map[string]any{"reason_code": "not_now"}, 200, nil)
			elig(k.ID, "skipped")
			lost := pushLead(a, "GATE-5", map[string]any{"status": "lost"})
			elig(lost.ID, "lost")
			a.expect(http.MethodGet, "/api/v1/leads/999999/eligibility", nil, http.StatusNotFound, nil)

			// The history endpoint: pages, bad cursor, bad limit, unknown lead.
			a.expect(http.MethodGet, fmt.Sprintf("/api/v1/leads/%d/history?limit=1", l.ID), nil, 200, &h)
			if len(h.Reviews) != 1 || h.NextCursor == nil {
				t.Fatalf("history page 1: %+v", h)
			}
			first := h.Reviews[0].ID
			a.expect(http.MethodGet, fmt.Sprintf("/api/v1/leads/%d/history?limit=1&cursor=%s", l.ID, *h.NextCursor), nil, 200, &h)
			if len(h.Reviews) != 1 || h.Reviews[0].ID >= first || h.NextCursor != nil {
				t.Fatalf("history page 2: %+v", h)
			}
			a.expect(http.MethodGet, fmt.Sprintf("/api/v1/leads/%d/history?cursor=nope", l.ID), nil, http.StatusBadRequest, nil)
			a.expect(http.MethodGet, fmt.Sprintf("/api/v1/leads/%d/history?limit=0", l.ID), nil, http.StatusBadRequest, nil)
			a.expect(http.MethodGet, "/api/v1/leads/999999/history", nil, http.StatusNotFound, nil)
			reader := newAPI(t, env, store.ScopeOutreachRead)
			reader.expect(http.MethodGet, fmt.Sprintf("/api/v1/leads/%d/history", l.ID), nil, http.StatusForbidden, nil)
		})
	}
}

// TestPaneShowsTheLeadsStory opens the third review of one lead: the pane
// lists the two earlier ones, newest first, with who decided and why, and
// a review opened by a change shows the diff.
func TestPaneShowsTheLeadsStory(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		env := webtest.StartStore(t, st)
		ids := seedStory(t, st)
		c, _ := env.LoggedIn(t, store.RoleOperator)
		r := c.Get(fmt.Sprintf("/dashboard/review-queue/%d", ids[2]))
		if r.Status != 200 {
			t.Fatalf("pane: %d", r.Status)
		}
		body := r.Body
		for _, want := range []string{"Earlier reviews of this lead", "Approved just now by Ben", "Rejected 6 days ago by Ana: do_not_contact",
			"asked us to stop", "Changed after approval", "Hi, 10% off.", "Hi, 50% off!"} {
			if !strings.Contains(body, want) {
				t.Fatalf("pane lacks %q:\n%s", want, body)
			}
		}
		if strings.Index(body, "Approved just now by Ben") > strings.Index(body, "Rejected 6 days ago by Ana") {
			t.Fatal("earlier reviews not newest first")
		}
		if strings.Index(body, "Earlier reviews of this lead") > strings.Index(body, "Why it was flagged") {
			t.Fatal("earlier reviews not above the current one")
		}
	})
}

// seedStory gives one lead three reviews: rejected six days ago by Ana
// (do_not_contact), approved just now by Ben, and pending since its
// approved message changed. It returns the three review ids, oldest first.
func seedStory(t testing.TB, st *store.Store) []int64 {
	t.Helper()
	ctx := t.Context()
	subject, body, name, company := "Quick idea", "Hi, 10% off.", "Dana Ruiz", "Northwind"
	lead, _, err := st.UpsertLead(ctx, store.LeadInput{ExternalID: "STORY-1", Name: &name, Company: &company, MessageSubject: &subject, MessageBody: &body})
	if err != nil {
		t.Fatal(err)
	}
	ana := store.Actor{Type: store.ActorOperator, ID: 9001, Name: "Ana"}
	ben := store.Actor{Type: store.ActorOperator, ID: 9002, Name: "Ben"}
	first, err := st.Flag(ctx, lead.ID, store.FlagInput{ReviewType: store.TypeMessage, Reason: "pricing promise", Source: store.SourceQuality}, store.SystemActor)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Decide(ctx, store.DecideInput{ReviewID: first.Review.ID, Outcome: store.OutcomeReject, ReasonCode: "do_not_contact", Notes: "asked us to stop", Actor: ana}); err != nil {
		t.Fatal(err)
	}
	if err := st.DB.Exec("UPDATE reviews SET decided_at = ?, flagged_at = ? WHERE id = ?", store.Now().Add(-6*24*time.Hour-time.Hour), store.Now().Add(-6*24*time.Hour-3*time.Hour), first.Review.ID).Error; err != nil {
		t.Fatal(err)
	}
	second, err := st.Flag(ctx, lead.ID, store.FlagInput{ReviewType: store.TypePricing, Reason: "asked for a discount", Source: store.SourceManual}, store.SystemActor)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Decide(ctx, store.DecideInput{ReviewID: second.Review.ID, Outcome: store.OutcomeApprove, Actor: ben}); err != nil {
		t.Fatal(err)
	}
	changed := "Hi, 50% off!"
	if _, _, err := st.UpsertLead(ctx, store.LeadInput{ExternalID: "STORY-1", MessageBody: &changed}); err != nil {
		t.Fatal(err)
	}
	third, err := st.OpenReviewOfLead(ctx, lead.ID)
	if err != nil {
		t.Fatal(err)
	}
	return []int64{first.Review.ID, second.Review.ID, third.ID}
}

// TestBrowserPaneShowsEarlierReviews opens, in a real browser, a lead with
// two earlier reviews: the pane lists both above the current one, and the
// current one shows what changed after the approval. The screenshot goes to
// /tmp/reviewq-lead-story.png to look at.
func TestBrowserPaneShowsEarlierReviews(t *testing.T) {
	ctx := webtest.Browser(t)
	env := webtest.Start(t, store.SQLite)
	ids := seedStory(t, env.Store)
	op := storetest.Operator(t, env.Store, "olga@example.com", store.RoleOperator)
	webtest.BrowserLogin(t, ctx, env.URL, op.Email, storetest.Password("operator"))
	wait(ctx, t, "open the changed review", chromedp.Navigate(fmt.Sprintf("%s/dashboard/review-queue/%d", env.URL, ids[2])),
		chromedp.WaitVisible(paneOf(ids[2])), chromedp.WaitVisible(".earlier-list"))
	items := jsString(ctx, t, `Array.from(document.querySelectorAll("#review-pane .earlier-review")).map(e => e.dataset.reviewId + ": " + e.querySelector(".earlier-summary").innerText.replace(/\s+/g, " ")).join("\n")`)
	lines := strings.Split(items, "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], fmt.Sprint(ids[1])+": ") || !strings.Contains(lines[0], "Approved just now by Ben") ||
		!strings.HasPrefix(lines[1], fmt.Sprint(ids[0])+": ") || !strings.Contains(lines[1], "Rejected 6 days ago by Ana: do_not_contact") {
		t.Fatalf("earlier reviews:\n%s", items)
	}
	diff := jsString(ctx, t, `document.querySelector("#review-pane dl.diff").innerText`)
	if !strings.Contains(diff, "Hi, 10% off.") || !strings.Contains(diff, "Hi, 50% off!") {
		t.Fatalf("diff: %q", diff)
	}
	buf, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile("/tmp/reviewq-lead-story.png", buf, 0o644); err != nil {
		t.Fatal(err)
	}
}
