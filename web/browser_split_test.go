package web_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"reviewq/store"
	"reviewq/store/storetest"
	"reviewq/web/webtest"
)

// TestBrowserOpsLeadMorning is issue #18's "done when", tried in a real
// browser as an ops lead would: split the morning's queue between four
// operators from the bulk bar (all matching), look at one operator's
// share, see what was escalated and what sleeps until tomorrow, flag a
// lead by hand from the leads page, and read on the stats page how often
// each rule and each reviewer is right.
func TestBrowserOpsLeadMorning(t *testing.T) {
	ctx := webtest.Browser(t)
	env := webtest.Start(t, store.SQLite)
	st := env.Store
	bg := context.Background()
	for i := range 20 {
		storetest.FlaggedLead(t, st, "morning"+strconv.Itoa(i), store.TypeMessage)
	}
	lead := storetest.Operator(t, st, "olga@example.com", store.RoleLead)
	var team []*store.Operator
	for _, name := range []string{"ann", "ben", "cy", "dee"} {
		team = append(team, storetest.Operator(t, st, name+"@example.com", store.RoleOperator))
	}
	caller := upsertTestLead(t, st, "CRM-9001", "Petra Quist", "petra@quist.test", "Quist Freight")
	webtest.BrowserLogin(t, ctx, env.URL, lead.Email, storetest.Password("lead"))

	// 1. Split the queue between the four.
	wait(ctx, t, "open the queue",
		chromedp.Navigate(env.URL+"/dashboard/review-queue"),
		chromedp.WaitVisible(`#split-preview`))
	wait(ctx, t, "split all matching",
		chromedp.Click(`#bulk-form input[name=scope][value=all]`),
		chromedp.Click(`#split-preview`),
		chromedp.WaitVisible(`#split-confirm`))
	for _, op := range team {
		wait(ctx, t, "tick "+op.Email, chromedp.Click(`.split-operators input[value="`+op.Email+`"]`))
	}
	webtest.Screenshot(t, ctx, "split-confirm")
	wait(ctx, t, "confirm",
		chromedp.Click(`#split-confirm`),
		chromedp.WaitVisible(`.bulk-result .split-shares`))
	summary, _ := chromedp.Run(ctx, chromedp.Text(`.bulk-result`))
	if !strings.Contains(summary, "Assigned 20, 0 left alone") {
		t.Errorf("the result says %q", summary)
	}
	for _, op := range team {
		if !strings.Contains(summary, op.Name+": 5") {
			t.Errorf("the result does not give %s 5 reviews: %q", op.Name, summary)
		}
		c, err := st.CountPendingMatching(bg, store.QueueFilter{AssigneeID: op.ID, State: store.StateAll})
		if err != nil {
			t.Fatal(err)
		}
		if c.Total != 5 {
			t.Errorf("%s holds %d reviews, want 5", op.Name, c.Total)
		}
	}
	// The rows reload with their assignees.
	deadline := time.Now().Add(5 * time.Second)
	for {
		rows, _ := chromedp.Run(ctx, chromedp.Text(`#queue-results`))
		if strings.Count(rows, "assigned to ") == 20 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the rows show %d assignees, want 20", strings.Count(rows, "assigned to "))
		}
		time.Sleep(100 * time.Millisecond)
	}
	webtest.Screenshot(t, ctx, "split-done")
	wait(ctx, t, "close the result", chromedp.Click(`.bulk-result .bulk-cancel`))
	// One operator's share, from the filter.
	jsString(ctx, t, `(document.querySelector('#queue-filter select[name=assignee]').value = "ann@example.com", document.querySelector('#queue-filter select[name=assignee]').dispatchEvent(new Event("change", {bubbles: true})), "")`)
	wait(ctx, t, "ann's share", chromedp.Poll[chromedp.Void](`location.search.includes("assignee=ann") && document.querySelectorAll("tr.review-row").length === 5`))

	// 2. The team works: Ben escalates one of his, Cy snoozes one till
	// tomorrow, Ann decides two (one is reopened by the lead and decided
	// otherwise: an overturn).
	mine := func(op *store.Operator) []int64 {
		items, _, err := st.ListPending(bg, store.QueueFilter{AssigneeID: op.ID, Limit: 5})
		if err != nil || len(items) != 5 {
			t.Fatalf("%s has %d reviews (%v)", op.Name, len(items), err)
		}
		ids := make([]int64, len(items))
		for i, it := range items {
			ids[i] = it.ID
		}
		return ids
	}
	act := func(op *store.Operator) store.Actor {
		return store.Actor{Type: store.ActorOperator, ID: op.ID, Name: op.Name}
	}
	if _, err := st.Escalate(bg, store.TeamChange{ReviewID: mine(team[1])[0], Actor: act(team[1])}, "Customer asks for a 40% discount"); err != nil {
		t.Fatal(err)
	}
	tomorrow := time.Now().UTC().AddDate(0, 0, 1)
	nine := time.Date(tomorrow.Year(), tomorrow.Month(), tomorrow.Day(), 9, 0, 0, 0, time.UTC)
	if _, err := st.Snooze(bg, store.TeamChange{ReviewID: mine(team[2])[0], Actor: act(team[2])}, nine, "waiting_on_customer"); err != nil {
		t.Fatal(err)
	}
	annIDs := mine(team[0])
	for _, id := range annIDs[:2] {
		if _, err := st.Decide(bg, store.DecideInput{ReviewID: id, Outcome: store.OutcomeApprove, Actor: act(team[0])}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := st.Reopen(bg, annIDs[0], act(lead), ""); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Decide(bg, store.DecideInput{ReviewID: annIDs[0], Outcome: store.OutcomeReject, ReasonCode: "not_a_fit", Actor: act(lead)}); err != nil {
		t.Fatal(err)
	}

	// 3. What was escalated, and what sleeps until tomorrow.
	wait(ctx, t, "escalated view",
		chromedp.Navigate(env.URL+"/dashboard/review-queue?state=escalated"),
		chromedp.WaitVisible(`tr.review-row`))
	if rows, _ := chromedp.Run(ctx, chromedp.Text(`#queue-results`)); !strings.Contains(rows, "escalated: Customer asks for a 40% discount") {
		t.Errorf("the escalated view: %q", rows)
	}
	wait(ctx, t, "snoozed view",
		chromedp.Navigate(env.URL+"/dashboard/review-queue?state=snoozed"),
		chromedp.WaitVisible(`tr.review-row`))
	if rows, _ := chromedp.Run(ctx, chromedp.Text(`#queue-results`)); !strings.Contains(rows, "snoozed until") || !strings.Contains(rows, "09:00") {
		t.Errorf("the snoozed view: %q", rows)
	}
	webtest.Screenshot(t, ctx, "morning-snoozed")

	// 4. A lead phoned in: flag it by hand.
	wait(ctx, t, "leads page",
		chromedp.Navigate(env.URL+"/dashboard/leads"),
		chromedp.WaitVisible("#lead-q"))
	wait(ctx, t, "search", chromedp.SendKeys("#lead-q", "petra"),
		chromedp.Poll[chromedp.Void](`document.querySelectorAll("tr[data-lead-id]").length === 1`))
	humanClick(ctx, t, `tr[data-lead-id="`+strconv.FormatInt(caller.ID, 10)+`"] a`)
	wait(ctx, t, "the lead page", chromedp.WaitVisible("#manual-flag"))
	jsString(ctx, t, `(document.getElementById("flag-type").value = "ACTION", "")`)
	wait(ctx, t, "reason", chromedp.SendKeys("#flag-reason", "Wants a call with our CEO before any email"))
	humanClick(ctx, t, `#manual-flag button[type="submit"]`)
	wait(ctx, t, "flagged", chromedp.WaitVisible("#lead-open-review"))
	if open, err := st.OpenReviewOfLead(bg, caller.ID); err != nil || open.Source != store.SourceManual || open.ReviewType != store.TypeAction {
		t.Fatalf("the hand flag: %+v %v", open, err)
	}

	// 5. How often each rule and each reviewer is right.
	rulesData(t, env)
	wait(ctx, t, "stats",
		chromedp.Navigate(env.URL+"/dashboard/stats?range=7d"),
		chromedp.WaitVisible("#stats-rules"),
		chromedp.WaitVisible("#stats-operators"))
	rules, _ := chromedp.Run(ctx, chromedp.Text("#stats-rules"))
	if !strings.Contains(rules, "75.0%") || !strings.Contains(rules, "20.0%") {
		t.Errorf("the rules table: %q", rules)
	}
	reviewers, _ := chromedp.Run(ctx, chromedp.Text("#stats-operators"))
	// Ann made 2 decisions; one was reopened and decided otherwise.
	if !strings.Contains(reviewers, "ann") || !strings.Contains(reviewers, "50.0% (1 of 2)") {
		t.Errorf("the reviewers table: %q", reviewers)
	}
	webtest.Screenshot(t, ctx, "morning-stats")
}
