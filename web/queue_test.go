package web_test

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"

	"reviewq/store"
	"reviewq/store/storetest"
	"reviewq/web/webtest"
)

func TestQueuePageAndDecisions(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			env := webtest.Start(t, d)
			r1 := storetest.FlaggedLead(t, env.Store, "A", store.TypeMessage)
			r2 := storetest.FlaggedLead(t, env.Store, "B", store.TypePricing)
			r3 := storetest.FlaggedLead(t, env.Store, "C", store.TypeRetry)
			c, op := env.LoggedIn(t, store.RoleOperator)

			page := c.Get("/dashboard/review-queue")
			if page.Status != 200 || page.Header.Get("Vary") != "HX-Request" {
				t.Fatalf("queue: %d vary=%q", page.Status, page.Header.Get("Vary"))
			}
			for _, want := range []string{"Lead A", "Company B", "C@example.com", `id="pending-count"`} {
				if !strings.Contains(page.Body, want) {
					t.Fatalf("queue page lacks %q", want)
				}
			}
			if strings.Index(page.Body, "Lead A") > strings.Index(page.Body, "Lead B") {
				t.Fatal("not oldest first")
			}
			if f := c.Get("/dashboard/review-queue?type=PRICING"); strings.Contains(f.Body, "Lead A") || !strings.Contains(f.Body, "Lead B") {
				t.Fatal("type filter")
			}

			// Approve from the row: the row is swapped and the count updated out of band.
			a := c.HTMX(http.MethodPost, fmt.Sprintf("/dashboard/review-queue/%d/approve", r1.ID), webtest.Form("version", "1"))
			if a.Status != 200 || !strings.Contains(a.Body, "Approved by you") || !regexp.MustCompile(`id="pending-count"[^>]*hx-swap-oob="true"[^>]*>2<`).MatchString(a.Body) {
				t.Fatalf("approve: %d %s", a.Status, a.Body)
			}
			// Reject needs a configured reason code.
			bad := c.HTMX(http.MethodPost, fmt.Sprintf("/dashboard/review-queue/%d/reject", r2.ID), webtest.Form("reason_code", "made_up"))
			if bad.Status != http.StatusBadRequest || bad.Header.Get("HX-Retarget") != "#flash" {
				t.Fatalf("unknown reason: %d %v", bad.Status, bad.Header)
			}
			rj := c.HTMX(http.MethodPost, fmt.Sprintf("/dashboard/review-queue/%d/reject", r2.ID), webtest.Form("reason_code", "not_a_fit"))
			if rj.Status != 200 || !strings.Contains(rj.Body, "Rejected by you (not_a_fit)") {
				t.Fatalf("reject: %d %s", rj.Status, rj.Body)
			}
			sk := c.HTMX(http.MethodPost, fmt.Sprintf("/dashboard/review-queue/%d/skip", r3.ID), webtest.Form("reason_code", "not_now"))
			if sk.Status != 200 {
				t.Fatalf("skip: %d %s", sk.Status, sk.Body)
			}
			// Deciding again: 409 naming who decided first.
			again := c.HTMX(http.MethodPost, fmt.Sprintf("/dashboard/review-queue/%d/skip", r1.ID), webtest.Form("reason_code", "not_now"))
			if again.Status != http.StatusConflict || !strings.Contains(again.Body, "already approved by "+op.Name) {
				t.Fatalf("second decision: %d %s", again.Status, again.Body)
			}
			ctx := context.Background()
			lead, _ := env.Store.GetLead(ctx, r2.LeadID)
			if lead.Status != "lost" || lead.Tags != "operator_reject" || lead.RequiresHumanReview {
				t.Fatalf("rejected lead: %+v", lead)
			}
			if p := c.Get("/dashboard/review-queue"); strings.Contains(p.Body, "Lead A") || !strings.Contains(p.Body, "Nothing waiting") {
				t.Fatal("decided reviews still listed")
			}
		})
	}
}

func TestQueueRaceExactlyOneWins(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			env := webtest.Start(t, d)
			r := storetest.FlaggedLead(t, env.Store, "race", store.TypeProposal)
			clients := make([]*webtest.Client, 8)
			for i := range clients {
				clients[i], _ = env.LoggedIn(t, store.RoleOperator)
			}
			var wg sync.WaitGroup
			statuses := make([]int, len(clients))
			for i, c := range clients {
				wg.Add(1)
				go func(i int, c *webtest.Client) {
					defer wg.Done()
					statuses[i] = c.HTMX(http.MethodPost, fmt.Sprintf("/dashboard/review-queue/%d/approve", r.ID), nil).Status
				}(i, c)
			}
			wg.Wait()
			ok, conflict := 0, 0
			for _, s := range statuses {
				switch s {
				case 200:
					ok++
				case 409:
					conflict++
				}
			}
			if ok != 1 || conflict != len(clients)-1 {
				t.Fatalf("statuses %v", statuses)
			}
			_, events, _ := env.Store.GetReview(context.Background(), r.ID)
			if len(events) != 2 {
				t.Fatalf("history has %d events", len(events))
			}
		})
	}
}

func TestQueueLoadMoreKeyset(t *testing.T) {
	env := webtest.Start(t, store.SQLite)
	if err := env.Store.Seed(context.Background(), store.SeedOptions{Leads: 130, Pending: 120}); err != nil {
		t.Fatal(err)
	}
	c, _ := env.LoggedIn(t, store.RoleOperator)
	page := c.Get("/dashboard/review-queue")
	rowRe := regexp.MustCompile(`data-review-id="(\d+)"`)
	nextRe := regexp.MustCompile(`hx-get="([^"]+)"`)
	seen := map[string]bool{}
	body := page.Body
	for i := 0; ; i++ {
		for _, m := range rowRe.FindAllStringSubmatch(body, -1) {
			if seen[m[1]] {
				t.Fatalf("row %s twice", m[1])
			}
			seen[m[1]] = true
		}
		m := nextRe.FindStringSubmatch(body)
		if m == nil {
			break
		}
		if i > 5 {
			t.Fatal("too many pages")
		}
		body = c.HTMX(http.MethodGet, strings.ReplaceAll(m[1], "&amp;", "&"), nil).Body
	}
	if len(seen) != 120 {
		t.Fatalf("saw %d rows", len(seen))
	}
}

func TestBadInputChangesNothing(t *testing.T) {
	env := webtest.Start(t, store.SQLite)
	r := storetest.FlaggedLead(t, env.Store, "X", store.TypeMessage)
	c, _ := env.LoggedIn(t, store.RoleOperator)
	path := fmt.Sprintf("/dashboard/review-queue/%d/approve", r.ID)

	// Missing CSRF token.
	noCSRF := c.CSRF
	c.CSRF = ""
	if res := c.HTMX(http.MethodPost, path, nil); res.Status != http.StatusForbidden {
		t.Fatalf("no csrf: %d", res.Status)
	}
	c.CSRF = "forged" + noCSRF
	if res := c.HTMX(http.MethodPost, path, nil); res.Status != http.StatusForbidden {
		t.Fatalf("forged csrf: %d", res.Status)
	}
	c.CSRF = noCSRF
	for _, tc := range []struct {
		path   string
		form   []string
		status int
	}{
		{"/dashboard/review-queue/999999/approve", nil, 404},
		{"/dashboard/review-queue/abc/approve", nil, 404},
		{path, []string{"version", "x"}, 400},
		{path, []string{"version", "7"}, 409},
		{path, []string{"notes", strings.Repeat("n", 6000)}, 400},
	} {
		if res := c.HTMX(http.MethodPost, tc.path, webtest.Form(tc.form...)); res.Status != tc.status {
			t.Fatalf("%s %v: %d, want %d", tc.path, tc.form, res.Status, tc.status)
		}
	}
	if res := c.Get("/dashboard/review-queue?cursor=%27%3B+DROP+TABLE+leads"); res.Status != 400 || strings.Contains(res.Body, "SQL") {
		t.Fatalf("bad cursor: %d", res.Status)
	}
	if res := c.Get("/dashboard/review-queue?type=%3Cscript%3E"); res.Status != 400 || strings.Contains(res.Body, "<script>") {
		t.Fatalf("bad type: %d", res.Status)
	}
	got, _, _ := env.Store.GetReview(context.Background(), r.ID)
	if got.Review.Status != store.StatusPending || got.Review.Version != 1 {
		t.Fatalf("bad input changed the review: %+v", got.Review)
	}
}

func TestHTMLAndSQLInLeadFieldsRenderEscaped(t *testing.T) {
	env := webtest.Start(t, store.SQLite)
	ctx := context.Background()
	name := `<script>alert(1)</script>`
	company := `Robert'); DROP TABLE leads;--`
	lead, _, err := env.Store.UpsertLead(ctx, store.LeadInput{ExternalID: "xss", Name: &name, Company: &company})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := env.Store.Flag(ctx, lead.ID, store.FlagInput{ReviewType: "ACTION", Reason: `<img src=x onerror=alert(1)>`}, store.SystemActor); err != nil {
		t.Fatal(err)
	}
	c, _ := env.LoggedIn(t, store.RoleOperator)
	body := c.Get("/dashboard/review-queue").Body
	if strings.Contains(body, name) || strings.Contains(body, "<img src=x") {
		t.Fatal("markup rendered unescaped")
	}
	if !strings.Contains(body, "&lt;script&gt;alert(1)&lt;/script&gt;") || !strings.Contains(body, "Robert&#39;); DROP TABLE leads;--") {
		t.Fatal("escaped text missing")
	}
	stored, _ := env.Store.GetLead(ctx, lead.ID)
	if stored.Name != name || stored.Company != company {
		t.Fatal("not stored verbatim")
	}
}
