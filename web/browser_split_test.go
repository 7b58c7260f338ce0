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

// TestBrowserSplitMorningQueue: in a real browser an ops lead splits the
// morning's queue between four operators from the bulk bar (all matching),
// sees each one's share, and the rows reload showing their assignees.
func TestBrowserSplitMorningQueue(t *testing.T) {
	ctx := webtest.Browser(t)
	env := webtest.Start(t, store.SQLite)
	st := env.Store
	for i := range 20 {
		storetest.FlaggedLead(t, st, "morning"+strconv.Itoa(i), store.TypeMessage)
	}
	lead := storetest.Operator(t, st, "olga@example.com", store.RoleLead)
	var team []*store.Operator
	for _, name := range []string{"ann", "ben", "cy", "dee"} {
		team = append(team, storetest.Operator(t, st, name+"@example.com", store.RoleOperator))
	}
	webtest.BrowserLogin(t, ctx, env.URL, lead.Email, storetest.Password("lead"))

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
		c, err := st.CountPendingMatching(context.Background(), store.QueueFilter{AssigneeID: op.ID, State: store.StateAll})
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
}
