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

func reviewPath(id int64, action string) string {
	p := fmt.Sprintf("/dashboard/review-queue/%d", id)
	if action != "" {
		p += "/" + action
	}
	return p
}

func mustContain(t *testing.T, what, body string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(body, w) {
			t.Fatalf("%s lacks %q:\n%s", what, w, body)
		}
	}
}

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
			mustContain(t, "queue page", page.Body, "Lead A", "Company B", "C@example.com", `id="pending-count"`, `id="shortcuts"`, "3 matching")
			if strings.Index(page.Body, "Lead A") > strings.Index(page.Body, "Lead B") {
				t.Fatal("not oldest first")
			}
			if f := c.Get("/dashboard/review-queue?type=PRICING"); strings.Contains(f.Body, "Lead A") || !strings.Contains(f.Body, "Lead B") {
				t.Fatal("type filter")
			}

			// Open the first review: the pane has the lead, why it was flagged and its history.
			pane := c.HTMX(http.MethodGet, reviewPath(r1.ID, ""), nil)
			mustContain(t, "pane", pane.Body, "Lead A", "Why it was flagged", "test reason", "Score at flag", "Flagged", "by system", "Approve")

			// Approve with an edited message: the next review opens, the row and count change out of band.
			a := c.HTMX(http.MethodPost, reviewPath(r1.ID, "approve"), webtest.Form("version", "1", "subject", "Hello A", "body", "Edited body"))
			if a.Status != 200 {
				t.Fatalf("approve: %d %s", a.Status, a.Body)
			}
			mustContain(t, "approve answer", a.Body, "Approved by you", `data-review-id="`+fmt.Sprint(r2.ID)+`"`, "Next up", "Lead B")
			if !regexp.MustCompile(`id="pending-count"[^>]*hx-swap-oob="true"[^>]*>2<`).MatchString(a.Body) {
				t.Fatalf("count not refreshed: %s", a.Body)
			}
			got, _, _ := env.Store.GetReview(context.Background(), r1.ID)
			if got.Review.DecisionSubject == nil || *got.Review.DecisionSubject != "Hello A" || got.Lead.MessageSubject != "Hello A" {
				t.Fatalf("edited message not stored: %+v", got.Review)
			}
			// Reject needs a configured reason code.
			bad := c.HTMX(http.MethodPost, reviewPath(r2.ID, "reject"), webtest.Form("reason_code", "made_up"))
			if bad.Status != http.StatusBadRequest || bad.Header.Get("HX-Retarget") != "#flash" {
				t.Fatalf("unknown reason: %d %v", bad.Status, bad.Header)
			}
			rj := c.HTMX(http.MethodPost, reviewPath(r2.ID, "reject"), webtest.Form("reason_code", "not_a_fit", "notes", "wrong industry"))
			mustContain(t, "reject answer", rj.Body, "Rejected by you (not_a_fit)", "Lead C")
			sk := c.HTMX(http.MethodPost, reviewPath(r3.ID, "skip"), webtest.Form("reason_code", "not_now"))
			mustContain(t, "last decision", sk.Body, "Skipped by you (not_now)", "Nothing else waiting")
			// Deciding again: 409 naming who decided first, shown in the pane.
			again := c.HTMX(http.MethodPost, reviewPath(r1.ID, "skip"), webtest.Form("reason_code", "not_now"))
			if again.Status != http.StatusConflict || !strings.Contains(again.Body, "already approved by "+op.Name) {
				t.Fatalf("second decision: %d %s", again.Status, again.Body)
			}
			lead, _ := env.Store.GetLead(context.Background(), r2.LeadID)
			if lead.Status != "lost" || lead.Tags != "operator_reject" || lead.RequiresHumanReview {
				t.Fatalf("rejected lead: %+v", lead)
			}
			if p := c.Get("/dashboard/review-queue"); strings.Contains(p.Body, "Lead A") || !strings.Contains(p.Body, "Nothing waiting") {
				t.Fatal("decided reviews still listed")
			}
			// The decided review's own URL shows its decision and history.
			full := c.Get(reviewPath(r2.ID, ""))
			mustContain(t, "decided review page", full.Body, "Rejected by you (not_a_fit)", "wrong industry", "Rejected</strong> by "+op.Name)
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
					statuses[i] = c.HTMX(http.MethodPost, reviewPath(r.ID, "approve"), nil).Status
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

func TestQueueClaimsOverHTTP(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			env := webtest.Start(t, d)
			r := storetest.FlaggedLead(t, env.Store, "claimed", store.TypeMessage)
			other := storetest.FlaggedLead(t, env.Store, "other", store.TypeMessage)
			ann, annOp := env.LoggedIn(t, store.RoleOperator)
			bob, bobOp := env.LoggedIn(t, store.RoleOperator)

			cl := ann.HTMX(http.MethodPost, reviewPath(r.ID, "claim"), nil)
			mustContain(t, "claim answer", cl.Body, "Claimed by you until", "Release")
			// Bob sees who holds it, in the pane and in the list's live refresh.
			mustContain(t, "Bob's pane", bob.HTMX(http.MethodGet, reviewPath(r.ID, ""), nil).Body, "Claimed by "+annOp.Name)
			live := bob.HTMX(http.MethodGet, "/dashboard/review-queue/live?ids="+fmt.Sprint(r.ID)+","+fmt.Sprint(other.ID), nil)
			mustContain(t, "Bob's live refresh", live.Body, "Claimed by "+annOp.Name)
			// Bob's decision and claim are refused while the lease runs.
			for _, action := range []string{"approve", "claim"} {
				res := bob.HTMX(http.MethodPost, reviewPath(r.ID, action), nil)
				if res.Status != http.StatusConflict || !strings.Contains(res.Body, "claimed by "+annOp.Name) {
					t.Fatalf("Bob's %s: %d %s", action, res.Status, res.Body)
				}
			}
			// Renewal keeps it Ann's.
			if res := ann.HTMX(http.MethodPost, reviewPath(r.ID, "claim/renew"), nil); res.Status != http.StatusNoContent {
				t.Fatalf("renew: %d", res.Status)
			}
			// After Bob decides the other review, "next" skips the one Ann holds.
			nx := bob.HTMX(http.MethodPost, reviewPath(other.ID, "approve"), nil)
			mustContain(t, "Bob's next", nx.Body, "Nothing else waiting")
			// The lease expires: Bob takes it over.
			if err := env.Store.DB.Model(&store.Review{}).Where("id = ?", r.ID).Update("claim_expires_at", time.Now().UTC().Add(-time.Minute)).Error; err != nil {
				t.Fatal(err)
			}
			mustContain(t, "Bob's claim after expiry", bob.HTMX(http.MethodPost, reviewPath(r.ID, "claim"), nil).Body, "Claimed by you")
			if res := ann.HTMX(http.MethodPost, reviewPath(r.ID, "approve"), nil); res.Status != http.StatusConflict || !strings.Contains(res.Body, "claimed by "+bobOp.Name) {
				t.Fatalf("Ann after losing the claim: %d %s", res.Status, res.Body)
			}
			mustContain(t, "Bob's release", bob.HTMX(http.MethodPost, reviewPath(r.ID, "release"), nil).Body, "Nobody is working on this review")
			h := ann.HTMX(http.MethodGet, reviewPath(r.ID, ""), nil).Body
			mustContain(t, "history", h, "Claimed</strong> by "+annOp.Name, "Claimed</strong> by "+bobOp.Name, "Released</strong> by "+bobOp.Name, "took over expired claim of")
		})
	}
}

func TestQueueReopenReflagAndNotesOverHTTP(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			env := webtest.Start(t, d)
			r := storetest.FlaggedLead(t, env.Store, "R", store.TypeMessage)
			opC, _ := env.LoggedIn(t, store.RoleOperator)
			leadC, leadOp := env.LoggedIn(t, store.RoleLead)

			rf := opC.HTMX(http.MethodPost, reviewPath(r.ID, "reflag"), webtest.Form("review_type", "PRICING", "reason", "wants a discount", "version", "1"))
			mustContain(t, "re-flag answer", rf.Body, "Re-flagged as PRICING", "Re-flagged</strong>", "wants a discount")
			if res := opC.HTMX(http.MethodPost, reviewPath(r.ID, "reflag"), webtest.Form("review_type", "BOGUS", "reason", "x")); res.Status != 400 {
				t.Fatalf("bad type: %d", res.Status)
			}
			mustContain(t, "note answer", opC.HTMX(http.MethodPost, reviewPath(r.ID, "notes"), webtest.Form("note", "called <b>them</b>")).Body,
				"Note added", "called &lt;b&gt;them&lt;/b&gt;")
			// A decision prepared before the re-flag is refused.
			if res := opC.HTMX(http.MethodPost, reviewPath(r.ID, "approve"), webtest.Form("version", "1")); res.Status != http.StatusConflict {
				t.Fatalf("stale approve: %d", res.Status)
			}
			opC.HTMX(http.MethodPost, reviewPath(r.ID, "reject"), webtest.Form("reason_code", "duplicate", "version", "2"))

			// The decision is listed under recent decisions.
			// The decision is the operator's, not the lead's: "mine" (the default) leaves it out.
			if strings.Contains(leadC.Get("/dashboard/review-queue/decided").Body, reviewPath(r.ID, "")) {
				t.Fatal("the lead's own decisions list someone else's")
			}
			mustContain(t, "recent decisions", leadC.Get("/dashboard/review-queue/decided?by=all").Body, "Lead R", "rejected", "duplicate", reviewPath(r.ID, ""))
			if res := leadC.Get("/dashboard/review-queue/decided?cursor=bogus"); res.Status != 400 {
				t.Fatalf("bad cursor: %d", res.Status)
			}
			// Operators cannot reopen; leads can, and the pane offers it only to them.
			if strings.Contains(opC.HTMX(http.MethodGet, reviewPath(r.ID, ""), nil).Body, "Reopen") {
				t.Fatal("operator offered reopen")
			}
			if res := opC.HTMX(http.MethodPost, reviewPath(r.ID, "reopen"), nil); res.Status != http.StatusForbidden {
				t.Fatalf("operator reopen: %d", res.Status)
			}
			ro := leadC.HTMX(http.MethodPost, reviewPath(r.ID, "reopen"), nil)
			mustContain(t, "reopen answer", ro.Body, "Reopened: the review is back in the queue", "Reopened</strong> by "+leadOp.Name, "Nobody is working")
			lead, _ := env.Store.GetLead(context.Background(), r.LeadID)
			if !lead.RequiresHumanReview || lead.Status == "lost" || *lead.ReviewType != store.TypePricing {
				t.Fatalf("lead after reopen: %+v", lead)
			}
			var n int64
			env.Store.DB.Model(&store.AuditEntry{}).Where("action = ? AND target = ?", "review.reopen", fmt.Sprintf("review:%d", r.ID)).Count(&n)
			if n != 1 {
				t.Fatalf("%d audit entries for the reopen", n)
			}
			mustContain(t, "queue after reopen", opC.Get("/dashboard/review-queue").Body, "Lead R")
		})
	}
}

func TestQueueBulkOverHTTP(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			env := webtest.Start(t, d)
			var ids []int64
			for i := 0; i < 4; i++ {
				ids = append(ids, storetest.FlaggedLead(t, env.Store, fmt.Sprintf("bulk%d", i), store.TypeRetry).ID)
			}
			storetest.FlaggedLead(t, env.Store, "keep", store.TypeMessage)
			c, _ := env.LoggedIn(t, store.RoleOperator)
			bob, bobOp := env.LoggedIn(t, store.RoleOperator)

			form := url.Values{"outcome": {"reject"}, "reason_code": {"duplicate"}, "scope": {"selected"}}
			for _, id := range ids[:3] {
				form.Add("ids", fmt.Sprint(id))
			}
			pv := c.HTMX(http.MethodPost, "/dashboard/review-queue/bulk/preview", form)
			mustContain(t, "bulk preview", pv.Body, "Reject 3 reviews?", "set to lost and tagged operator_reject", "Lead bulk0", "Lead bulk2")
			// Nothing changed yet.
			if cnt, _ := env.Store.CountPending(context.Background()); cnt.Total != 5 {
				t.Fatalf("preview decided something: %d pending", cnt.Total)
			}
			// Meanwhile Bob approves one of them.
			bob.HTMX(http.MethodPost, reviewPath(ids[1], "approve"), nil)
			run := url.Values{"outcome": {"reject"}, "reason_code": {"duplicate"}, "ids": {fmt.Sprint(ids[0]), fmt.Sprint(ids[1]), fmt.Sprint(ids[2])}}
			res := c.HTMX(http.MethodPost, "/dashboard/review-queue/bulk", run)
			mustContain(t, "bulk result", res.Body, "2 done, 1 left alone", "Lead bulk1</strong>: already approved by "+bobOp.Name, "Rejected by you (duplicate), in bulk")
			for _, id := range []int64{ids[0], ids[2]} {
				_, events, _ := env.Store.GetReview(context.Background(), id)
				if len(events) != 2 || events[1].Kind != store.EventRejected {
					t.Fatalf("history of %d: %+v", id, events)
				}
			}
			// "All matching the filter": the RETRY filter holds one pending review left.
			all := c.HTMX(http.MethodPost, "/dashboard/review-queue/bulk/preview", url.Values{"outcome": {"skip"}, "reason_code": {"not_now"}, "scope": {"all"}, "type": {"RETRY"}})
			mustContain(t, "bulk preview of all matching", all.Body, "Skip 1 reviews?", "Lead bulk3")
			for _, bad := range []url.Values{
				{"outcome": {"reject"}, "scope": {"selected"}, "ids": {fmt.Sprint(ids[3])}},                            // no reason
				{"outcome": {"explode"}, "reason_code": {"duplicate"}, "ids": {fmt.Sprint(ids[3])}},                    // no such outcome
				{"outcome": {"reject"}, "reason_code": {"duplicate"}, "scope": {"selected"}},                           // nothing selected
				{"outcome": {"reject"}, "reason_code": {"duplicate"}, "scope": {"selected"}, "ids": {"1; DROP TABLE"}}, // junk id
			} {
				r := c.HTMX(http.MethodPost, "/dashboard/review-queue/bulk/preview", bad)
				if r.Status != 400 {
					t.Fatalf("bad bulk %v: %d", bad, r.Status)
				}
				// The message shows next to the bulk bar, not at the top of the page.
				if got := r.Header.Get("HX-Retarget"); got != "#bulk-dialog" {
					t.Fatalf("bad bulk %v: error goes to %q", bad, got)
				}
			}
			// Nothing selected (and no reason either): say what is missing first.
			none := c.HTMX(http.MethodPost, "/dashboard/review-queue/bulk/preview", url.Values{"outcome": {"reject"}, "scope": {"selected"}})
			mustContain(t, "bulk with nothing selected", none.Body, "Select at least one review")
			if strings.Contains(none.Body, "reason_code") {
				t.Fatalf("nothing selected talks about the reason: %s", none.Body)
			}
		})
	}
}

// TestQueueFiltersSearchAndPagesOverHTTP walks the filtered list page by
// page through "Load more" while another operator decides rows: the filter
// stays on every page, no row comes twice and none still pending is missed.
func TestQueueFiltersSearchAndPagesOverHTTP(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			env := webtest.Start(t, d)
			ctx := context.Background()
			var acme []int64
			for i := 0; i < 120; i++ {
				company := "Acme " + fmt.Sprint(i)
				if i%4 == 3 {
					company = "Other " + fmt.Sprint(i)
				}
				name, email, score := fmt.Sprintf("Lead %03d", i), fmt.Sprintf("l%03d@example.com", i), (i*7)%101
				lead, _, err := env.Store.UpsertLead(ctx, store.LeadInput{ExternalID: fmt.Sprint("x", i), Name: &name, Company: &company, Email: &email, Score: &score})
				if err != nil {
					t.Fatal(err)
				}
				res, err := env.Store.Flag(ctx, lead.ID, store.FlagInput{ReviewType: store.TypeMessage, Reason: "r", Source: store.SourceScore}, store.SystemActor)
				if err != nil {
					t.Fatal(err)
				}
				if i%4 != 3 {
					acme = append(acme, res.Review.ID)
				}
			}
			c, _ := env.LoggedIn(t, store.RoleOperator)
			other, _ := env.LoggedIn(t, store.RoleOperator)
			for _, sort := range []string{"oldest", "score"} {
				body := c.Get("/dashboard/review-queue?q=acme&source=score&sort=" + sort).Body
				mustContain(t, "filtered page", body, `value="acme"`, "90 matching", "of 120 pending")
				rowRe := regexp.MustCompile(`data-review-id="(\d+)"`)
				nextRe := regexp.MustCompile(`hx-get="(/dashboard/review-queue/rows[^"]+)"`)
				seen, decided := map[string]bool{}, map[string]bool{}
				lastScore := 101
				for page := 0; ; page++ {
					for _, m := range rowRe.FindAllStringSubmatch(body, -1) {
						if seen[m[1]] {
							t.Fatalf("%s: row %s twice", sort, m[1])
						}
						seen[m[1]] = true
					}
					if sort == "score" {
						for _, m := range regexp.MustCompile(`<td class="num">(\d+)</td>`).FindAllStringSubmatch(body, -1) {
							var s int
							fmt.Sscan(m[1], &s)
							if s > lastScore {
								t.Fatalf("score %d after %d", s, lastScore)
							}
							lastScore = s
						}
					}
					m := nextRe.FindStringSubmatch(body)
					if m == nil {
						break
					}
					next := strings.ReplaceAll(m[1], "&amp;", "&")
					if !strings.Contains(next, "q=acme") || !strings.Contains(next, "source=score") {
						t.Fatalf("load-more lost the filter: %s", next)
					}
					// Between pages another operator decides the last acme review not yet seen.
					for i := len(acme) - 1; i >= 0; i-- {
						id := fmt.Sprint(acme[i])
						if !seen[id] && !decided[id] {
							other.HTMX(http.MethodPost, "/dashboard/review-queue/"+id+"/approve", nil)
							decided[id] = true
							break
						}
					}
					body = c.HTMX(http.MethodGet, next, nil).Body
				}
				for _, id := range acme {
					if s := fmt.Sprint(id); !seen[s] && !decided[s] {
						t.Fatalf("%s: pending review %s never listed", sort, s)
					}
				}
				if len(seen) == 0 || len(seen)+len(decided) < 90 {
					t.Fatalf("%s: saw %d, decided %d of 90", sort, len(seen), len(decided))
				}
				for id := range decided {
					var n int64
					fmt.Sscan(id, &n)
					if _, err := env.Store.Reopen(ctx, n, store.SystemActor, ""); err != nil {
						t.Fatal(err)
					}
				}
			}
			// Age band and the URL: a filter change from the page answers the
			// results only, with the clean URL for the history.
			res := c.HTMX(http.MethodGet, "/dashboard/review-queue?type=&campaign=&source=&age=critical&q=&sort=oldest", nil)
			if res.Header.Get("HX-Push-Url") != "/dashboard/review-queue?age=critical" || strings.Contains(res.Body, "<html") {
				t.Fatalf("filter partial: push %q", res.Header.Get("HX-Push-Url"))
			}
			mustContain(t, "empty filter result", res.Body, "No pending review matches this filter", `id="count-all" hx-swap-oob="true">0<`)
		})
	}
}

func TestQueueLiveMarksRowsDecidedElsewhere(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			env := webtest.Start(t, d)
			r1 := storetest.FlaggedLead(t, env.Store, "L1", store.TypeMessage)
			r2 := storetest.FlaggedLead(t, env.Store, "L2", store.TypeMessage)
			ann, _ := env.LoggedIn(t, store.RoleOperator)
			bob, bobOp := env.LoggedIn(t, store.RoleOperator)
			page := ann.Get("/dashboard/review-queue").Body
			last := regexp.MustCompile(`data-cursor="([^"]+)"`).FindAllStringSubmatch(page, -1)
			bob.HTMX(http.MethodPost, reviewPath(r1.ID, "approve"), nil)
			r3 := storetest.FlaggedLead(t, env.Store, "L3", store.TypeMessage)
			live := ann.HTMX(http.MethodGet, fmt.Sprintf("/dashboard/review-queue/live?ids=%d,%d&after=%s", r1.ID, r2.ID, last[len(last)-1][1]), nil)
			mustContain(t, "live refresh", live.Body, "Approved by "+bobOp.Name, `class="review-row decided stale"`,
				`id="pending-count" hx-swap-oob="true" aria-label="pending reviews">2<`, fmt.Sprintf(`id="review-%d"`, r3.ID), "beforeend:#queue-rows")
			// Ages, SLA badges and "N matching" move with the refresh too.
			mustContain(t, "live refresh", live.Body, fmt.Sprintf(`id="review-%d-age" hx-swap-oob="true"`, r2.ID),
				`id="results-summary" hx-swap-oob="true"`, "2 matching")
			if strings.Contains(live.Body, fmt.Sprintf(`id="review-%d-age"`, r1.ID)) {
				t.Fatal("a decided row got an age update")
			}
			if strings.Contains(live.Body, fmt.Sprintf(`id="review-%d" class="review-row"`, r2.ID)) {
				t.Fatal("a row nobody touched was re-sent whole")
			}
			// An empty list gets every pending review as new.
			mustContain(t, "live refresh of an empty list", ann.HTMX(http.MethodGet, "/dashboard/review-queue/live?after=start", nil).Body,
				fmt.Sprintf(`id="review-%d"`, r2.ID), fmt.Sprintf(`id="review-%d"`, r3.ID))
			if res := ann.HTMX(http.MethodGet, "/dashboard/review-queue/live?ids=1,x", nil); res.Status != 400 {
				t.Fatalf("bad ids: %d", res.Status)
			}
		})
	}
}

func TestQueuePaneShowsQualityIssuesAndReply(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			env := webtest.Start(t, d)
			ctx := context.Background()
			reply := "Please stop emailing me"
			lead, _, err := env.Store.UpsertLead(ctx, store.LeadInput{ExternalID: "q1", LastReplySnippet: &reply})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := env.Store.RecordQuality(ctx, lead.ID, []store.QualityIssue{{Code: "spammy_subject", Severity: "high", Message: "ALL CAPS subject"},
				{Code: "long_body", Severity: "low"}}, store.SystemActor); err != nil {
				t.Fatal(err)
			}
			r, err := env.Store.OpenReviewOfLead(ctx, lead.ID)
			if err != nil {
				t.Fatal(err)
			}
			c, _ := env.LoggedIn(t, store.RoleOperator)
			pane := c.HTMX(http.MethodGet, reviewPath(r.ID, ""), nil).Body
			mustContain(t, "pane", pane, "Quality issues", "spammy_subject", "ALL CAPS subject", "long_body", "sev-high", "Please stop emailing me", "quality_gate")
		})
	}
}

func TestBadInputChangesNothing(t *testing.T) {
	env := webtest.Start(t, store.SQLite)
	r := storetest.FlaggedLead(t, env.Store, "X", store.TypeMessage)
	c, _ := env.LoggedIn(t, store.RoleOperator)
	path := reviewPath(r.ID, "approve")

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
		{"/dashboard/review-queue/999999/claim", nil, 404},
		{"/dashboard/review-queue/999999/notes", []string{"note", "x"}, 404},
		{path, []string{"version", "x"}, 400},
		{path, []string{"version", "7"}, 409},
		{path, []string{"notes", strings.Repeat("n", 6000)}, 400},
		{path, []string{"sort", "sideways"}, 400},
		{reviewPath(r.ID, "notes"), []string{"note", "  "}, 400},
	} {
		if res := c.HTMX(http.MethodPost, tc.path, webtest.Form(tc.form...)); res.Status != tc.status {
			t.Fatalf("%s %v: %d, want %d", tc.path, tc.form, res.Status, tc.status)
		}
	}
	for _, q := range []string{"cursor=%27%3B+DROP+TABLE+leads", "type=%3Cscript%3E", "age=ancient", "sort=newest", "q=" + strings.Repeat("a", 101)} {
		if res := c.Get("/dashboard/review-queue?" + q); res.Status != 400 || strings.Contains(res.Body, "SQL") || strings.Contains(res.Body, "<script>") {
			t.Fatalf("%s: %d", q, res.Status)
		}
	}
	got, events, _ := env.Store.GetReview(context.Background(), r.ID)
	if got.Review.Status != store.StatusPending || got.Review.Version != 1 || len(events) != 1 {
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
	res, err := env.Store.Flag(ctx, lead.ID, store.FlagInput{ReviewType: "ACTION", Reason: `<img src=x onerror=alert(1)>`}, store.SystemActor)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := env.LoggedIn(t, store.RoleOperator)
	for _, body := range []string{c.Get("/dashboard/review-queue").Body, c.HTMX(http.MethodGet, reviewPath(res.Review.ID, ""), nil).Body,
		c.Get("/dashboard/review-queue?q=" + url.QueryEscape("<script>")).Body} {
		if strings.Contains(body, name) || strings.Contains(body, "<img src=x") {
			t.Fatal("markup rendered unescaped")
		}
		if !strings.Contains(body, "&lt;script&gt;alert(1)&lt;/script&gt;") {
			t.Fatal("escaped text missing")
		}
	}
	if !strings.Contains(c.Get("/dashboard/review-queue").Body, "Robert&#39;); DROP TABLE leads;--") {
		t.Fatal("escaped company missing")
	}
	stored, _ := env.Store.GetLead(ctx, lead.ID)
	if stored.Name != name || stored.Company != company {
		t.Fatal("not stored verbatim")
	}
}

// TestRecentDecisionsFilters: mine by default, then by operator, outcome,
// type and day; bad values are 400.
func TestRecentDecisionsFilters(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			env := webtest.Start(t, d)
			ann, annOp := env.LoggedIn(t, store.RoleOperator)
			bob, bobOp := env.LoggedIn(t, store.RoleOperator)
			var annIDs []int64
			for i := 0; i < 3; i++ {
				r := storetest.FlaggedLead(t, env.Store, fmt.Sprintf("A%d", i), store.TypeMessage)
				ann.HTMX(http.MethodPost, reviewPath(r.ID, "approve"), nil)
				annIDs = append(annIDs, r.ID)
			}
			rb := storetest.FlaggedLead(t, env.Store, "B0", store.TypeRetry)
			bob.HTMX(http.MethodPost, reviewPath(rb.ID, "reject"), webtest.Form("reason_code", "duplicate"))
			has := func(body string, id int64) bool { return strings.Contains(body, fmt.Sprintf(`id="review-%d"`, id)) }

			mine := ann.Get("/dashboard/review-queue/decided").Body
			if !has(mine, annIDs[0]) || has(mine, rb.ID) {
				t.Fatal("the default is not the operator's own decisions")
			}
			mustContain(t, "filter form", mine, `<option value="mine" selected>me</option>`, fmt.Sprintf(`<option value="%d">%s</option>`, bobOp.ID, bobOp.Name))
			if body := ann.Get(fmt.Sprintf("/dashboard/review-queue/decided?by=%d", bobOp.ID)).Body; !has(body, rb.ID) || has(body, annIDs[0]) {
				t.Fatal("by another operator")
			}
			if body := ann.Get("/dashboard/review-queue/decided?by=all&outcome=rejected").Body; !has(body, rb.ID) || has(body, annIDs[0]) {
				t.Fatal("by outcome")
			}
			if body := ann.Get("/dashboard/review-queue/decided?by=all&type=MESSAGE").Body; has(body, rb.ID) || !has(body, annIDs[2]) {
				t.Fatal("by type")
			}
			today := store.Day(store.Now())
			if body := ann.Get("/dashboard/review-queue/decided?by=all&day=" + today).Body; !has(body, rb.ID) {
				t.Fatal("by day (today)")
			}
			if body := ann.Get("/dashboard/review-queue/decided?by=all&day=2020-01-01").Body; has(body, rb.ID) || !strings.Contains(body, "No decision matches this filter.") {
				t.Fatal("by day (long ago)")
			}
			// Anyone may look at another operator's decisions.
			if body := bob.Get(fmt.Sprintf("/dashboard/review-queue/decided?by=%d", annOp.ID)).Body; !has(body, annIDs[1]) || has(body, rb.ID) {
				t.Fatal("another operator's list, seen by Bob")
			}
			for _, bad := range []string{"by=nobody", "by=-1", "outcome=exploded", "type=BOGUS", "day=yesterday"} {
				if r := ann.Get("/dashboard/review-queue/decided?" + bad); r.Status != http.StatusBadRequest {
					t.Fatalf("%s: %d", bad, r.Status)
				}
			}
		})
	}
}
