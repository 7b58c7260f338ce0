package web_test

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"reviewq/store"
	"reviewq/store/storetest"
	"reviewq/web/webtest"
)

// reviewerData: Ana decides ten reviews, each claimed (i+1) min 30 s before
// (two of them QA samples); Lee reopens three and decides two otherwise and
// one the same way. One review is escalated and decided by Lee, one snoozed.
func reviewerData(t *testing.T, st *store.Store) (ana, lee *store.Operator) {
	t.Helper()
	ctx := context.Background()
	ana = storetest.Operator(t, st, "ana@example.com", store.RoleOperator)
	lee = storetest.Operator(t, st, "lee@example.com", store.RoleLead)
	actAna := store.Actor{Type: store.ActorOperator, ID: ana.ID, Name: ana.Name}
	actLee := store.Actor{Type: store.ActorOperator, ID: lee.ID, Name: lee.Name}
	decide := func(id int64, outcome string, a store.Actor) {
		in := store.DecideInput{ReviewID: id, Outcome: outcome, Actor: a}
		if outcome == store.OutcomeReject {
			in.ReasonCode = "bad_data"
		}
		if _, err := st.Decide(ctx, in); err != nil {
			t.Fatal(err)
		}
	}
	var ids []int64
	for i := range 10 {
		r := storetest.FlaggedLead(t, st, "rq-"+string(rune('a'+i)), store.TypeMessage)
		ids = append(ids, r.ID)
		source := store.SourceAPI
		if i == 0 || i == 3 {
			source = "sample"
		}
		if err := st.DB.Model(&store.Review{}).Where("id = ?", r.ID).
			Updates(map[string]any{"flagged_at": store.Now().Add(-time.Hour), "source": source}).Error; err != nil {
			t.Fatal(err)
		}
		if _, err := st.Claim(ctx, r.ID, actAna); err != nil {
			t.Fatal(err)
		}
		// The clock moved on since the claim.
		if err := st.DB.Model(&store.ReviewEvent{}).Where("review_id = ? AND kind = ?", r.ID, store.EventClaimed).
			Update("created_at", store.Now().Add(-(time.Duration(i+1)*time.Minute + 30*time.Second))).Error; err != nil {
			t.Fatal(err)
		}
		outcome := store.OutcomeApprove
		if i%3 == 2 {
			outcome = store.OutcomeReject
		}
		decide(r.ID, outcome, actAna)
	}
	for i := range 3 {
		if _, err := st.Reopen(ctx, ids[i], actLee, ""); err != nil {
			t.Fatal(err)
		}
		decide(ids[i], store.OutcomeReject, actLee)
	}
	esc := storetest.FlaggedLead(t, st, "rq-escalated", store.TypeMessage)
	if _, err := st.Escalate(ctx, store.TeamChange{ReviewID: esc.ID, Actor: actAna}, "is this one for us?"); err != nil {
		t.Fatal(err)
	}
	decide(esc.ID, store.OutcomeApprove, actLee)
	snz := storetest.FlaggedLead(t, st, "rq-snoozed", store.TypeMessage)
	if _, err := st.Snooze(ctx, store.TeamChange{ReviewID: snz.ID, Actor: actAna}, store.Now().Add(time.Hour), "needs_info"); err != nil {
		t.Fatal(err)
	}
	return ana, lee
}

var spaces = regexp.MustCompile(`\s+`)

// rowText is the text of the table row whose header cell is name.
func rowText(t *testing.T, body, table, name string) string {
	t.Helper()
	i := strings.Index(body, `id="`+table+`"`)
	if i < 0 {
		t.Fatalf("no #%s in the page", table)
	}
	body = body[i:]
	body = body[:strings.Index(body, "</table>")]
	for _, row := range strings.Split(body, "<tr") {
		if strings.Contains(row, `<th scope="row">`+name+`</th>`) {
			return strings.TrimSpace(spaces.ReplaceAllString(tagText.ReplaceAllString("<tr"+row, " "), " "))
		}
	}
	t.Fatalf("no row %q in #%s", name, table)
	return ""
}

// The stats page's per-operator table shows the hand-computed figures:
// Ana's 7 standing decisions (5 approved, 2 rejected), median wait 1 h 5 min
// (flagged an hour before, bucketed to 5 minutes), median handle 8 min over
// those 7 (handle times 5..11 min), overturned 2 of 10 = 20%, agreement on
// samples 1 of 2; Lee's 4 decisions, made a moment after the reopen or the
// flag (wait in the first 1-minute bucket); and the team figures.
func TestStatsPageReviewerQuality(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			env := webtest.Start(t, d)
			ana, lee := reviewerData(t, env.Store)
			c := env.NewClient(t)
			c.Login(lee.Email, storetest.Password(store.RoleLead))
			r := c.Get("/dashboard/stats?range=today")
			if r.Status != 200 {
				t.Fatalf("stats page: %d", r.Status)
			}
			// Name, decisions, approved, rejected, skipped, median wait,
			// median handle (claimed), overturned, agreement on samples.
			if got, want := rowText(t, r.Body, "stats-operators", ana.Name), "ana 7 5 2 0 1 h 5 min 8 min (7) 20.0% (2 of 10) 50.0% (n = 2)"; got != want {
				t.Errorf("Ana's row:\n got %q\nwant %q", got, want)
			}
			if got, want := rowText(t, r.Body, "stats-operators", lee.Name), "lee 4 1 3 0 1 min – 0.0% (0 of 4) 100.0% (n = 1)"; got != want {
				t.Errorf("Lee's row:\n got %q\nwant %q", got, want)
			}
			for id, want := range map[string]string{"stats-decided": "11", "stats-reopened": "3", "stats-team-escalated": "1",
				"stats-team-esc-decided": "1", "stats-team-esc-sent-back": "0", "stats-team-esc-open": "0", "stats-team-snoozes": "1"} {
				if got := textOf(t, r.Body, id); got != want {
					t.Errorf("#%s = %q, want %q", id, got, want)
				}
			}
		})
	}
}

// The same page in a real browser, screenshotted to look at.
func TestBrowserStatsReviewerTable(t *testing.T) {
	ctx := webtest.Browser(t)
	env := webtest.Start(t, store.SQLite)
	_, lee := reviewerData(t, env.Store)
	webtest.BrowserLogin(t, ctx, env.URL, lee.Email, storetest.Password(store.RoleLead))
	if err := chromedp.Do(ctx,
		chromedp.Navigate(env.URL+"/dashboard/stats?range=today"),
		chromedp.WaitVisible("#stats-operators"),
		chromedp.ScrollIntoView("#stats-operators"),
	); err != nil {
		t.Fatal(err)
	}
	text, err := chromedp.Run(ctx, chromedp.Text("#stats-operators"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text, "20.0%") || !strings.Contains(text, "2 of 10") || !strings.Contains(text, "8 min") {
		t.Errorf("the reviewer table as the browser shows it: %q", text)
	}
	viewportScreenshot(t, ctx, "stats-reviewers")
	webtest.Screenshot(t, ctx, "stats-reviewers-full")
}
