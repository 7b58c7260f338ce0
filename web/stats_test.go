package web_test

import (
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"reviewq/store"
	"reviewq/store/storetest"
	"reviewq/web/webtest"
)

// statsData flags four leads and decides three of them today: approve and
// reject by the lead, skip by an operator whose name is a spreadsheet formula.
func statsData(t *testing.T, env *webtest.Env, lead *store.Operator) {
	t.Helper()
	ctx := context.Background()
	evil := storetest.Operator(t, env.Store, "evil@example.com", store.RoleOperator)
	actLead := store.Actor{Type: store.ActorOperator, ID: lead.ID, Name: lead.Name}
	actEvil := store.Actor{Type: store.ActorOperator, ID: evil.ID, Name: "=HYPERLINK(\"http://x\")"}
	r1 := storetest.FlaggedLead(t, env.Store, "s1", store.TypeProposal)
	r2 := storetest.FlaggedLead(t, env.Store, "s2", store.TypeMessage)
	r3 := storetest.FlaggedLead(t, env.Store, "s3", store.TypeMessage)
	storetest.FlaggedLead(t, env.Store, "s4", store.TypeRetry)
	for _, d := range []store.DecideInput{
		{ReviewID: r1.ID, Outcome: store.OutcomeApprove, Actor: actLead},
		{ReviewID: r2.ID, Outcome: store.OutcomeReject, ReasonCode: "bad_data", Actor: actLead},
		{ReviewID: r3.ID, Outcome: store.OutcomeSkip, ReasonCode: "not_now", Actor: actEvil},
	} {
		if _, err := env.Store.Decide(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
}

var tagText = regexp.MustCompile(`<[^>]+>`)

// textOf returns the text of the element with id, tags stripped.
func textOf(t *testing.T, body, id string) string {
	t.Helper()
	re := regexp.MustCompile(`id="` + regexp.QuoteMeta(id) + `"[^>]*>(.*?)</`)
	m := re.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no #%s in the page", id)
	}
	return strings.TrimSpace(tagText.ReplaceAllString(m[1], ""))
}

func TestStatsPageRoleGuard(t *testing.T) {
	env := webtest.Start(t, store.SQLite)
	anon := env.NewClient(t)
	if r := anon.Get("/dashboard/stats"); r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/login") {
		t.Errorf("anonymous: %d %s", r.Status, r.Header.Get("Location"))
	}
	if r := anon.Get("/dashboard/stats/report.csv?days=7"); r.Status != http.StatusSeeOther {
		t.Errorf("anonymous csv: %d", r.Status)
	}
	op, _ := env.LoggedIn(t, store.RoleOperator)
	if r := op.Get("/dashboard/stats"); r.Status != http.StatusForbidden {
		t.Errorf("operator: %d", r.Status)
	}
	if r := op.Get("/dashboard/stats/report.csv?days=7"); r.Status != http.StatusForbidden || strings.Contains(r.Body, "total_reviewed") {
		t.Errorf("operator csv: %d", r.Status)
	}
	for _, role := range []string{store.RoleLead, store.RoleAdmin} {
		c, _ := env.LoggedIn(t, role)
		if r := c.Get("/dashboard/stats"); r.Status != http.StatusOK || !strings.Contains(r.Body, "Queue now") {
			t.Errorf("%s: %d", role, r.Status)
		}
	}
}

func TestStatsPageFigures(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			env := webtest.Start(t, d)
			c, lead := env.LoggedIn(t, store.RoleLead)
			statsData(t, env, lead)
			for _, rng := range []string{"", "?range=today", "?range=30d"} {
				r := c.Get("/dashboard/stats" + rng)
				if r.Status != http.StatusOK {
					t.Fatalf("%s: %d %s", rng, r.Status, r.Body)
				}
				for id, want := range map[string]string{
					"stats-pending": "1", "stats-decided": "3", "stats-approval": "33.3%", "stats-flagged": "4",
					"stats-reopened": "0", "stats-past-critical": "0", "stats-sla": "100.0%",
				} {
					if got := textOf(t, r.Body, id); got != want {
						t.Errorf("%s #%s = %q, want %q", rng, id, got, want)
					}
				}
				if !strings.Contains(r.Body, "<svg") || !strings.Contains(r.Body, `class="bar-out"`) || strings.Contains(r.Body, "style=") {
					t.Errorf("%s: chart missing or inline style", rng)
				}
				// The ageing chart's numbers are in its table too: the one pending review is new.
				if !regexp.MustCompile(`<th scope="row">&lt; 1 h</th>\s*<td class="num">1</td>`).MatchString(r.Body) {
					t.Errorf("%s: ageing table lacks the pending review", rng)
				}
				// Today (one day) has the hourly view: three decisions this hour.
				hourly := strings.Contains(r.Body, `id="stats-hourly"`)
				if hourly != (rng == "?range=today") {
					t.Errorf("%s: hourly view shown %v", rng, hourly)
				}
				if hourly {
					hr := store.Now().UTC().Hour()
					row := fmt.Sprintf(`<th scope="row">%02d:00–%02d:00</th>\s*<td class="num">3</td>`, hr, hr+1)
					if !regexp.MustCompile(row).MatchString(r.Body) {
						t.Errorf("today: the hour's row lacks the 3 decisions")
					}
				}
				// Decided without a claim: no handle time, the wait is shown.
				if !strings.Contains(r.Body, "Median handle <span class=\"muted\">(claimed)</span>") {
					t.Errorf("%s: per-operator handle column unlabelled", rng)
				}
				// The operator's name is shown as text, never as markup.
				if !strings.Contains(r.Body, "=HYPERLINK(&#34;http://x&#34;)") {
					t.Errorf("%s: operator name not escaped in the page", rng)
				}
			}
			// A custom range without today's data.
			r := c.Get("/dashboard/stats?range=custom&from=2026-01-01&to=2026-01-31")
			if r.Status != http.StatusOK || textOf(t, r.Body, "stats-decided") != "0" || textOf(t, r.Body, "stats-approval") != "–" ||
				!strings.Contains(r.Body, "No decisions in this range.") {
				t.Errorf("empty custom range: %d", r.Status)
			}
			if !strings.Contains(r.Body, `href="/dashboard/stats/report.csv?from=2026-01-01&amp;range=custom&amp;to=2026-01-31"`) {
				t.Errorf("CSV link does not carry the custom range")
			}
		})
	}
}

func TestStatsBadRangeIs400(t *testing.T) {
	env := webtest.Start(t, store.SQLite)
	c, _ := env.LoggedIn(t, store.RoleLead)
	for _, q := range []string{
		"/dashboard/stats?range=year",
		"/dashboard/stats?range=custom&from=2026-03-10",
		"/dashboard/stats?range=custom&from=2026-03-10&to=2026-03-01",
		"/dashboard/stats?range=custom&from=2020-01-01&to=2026-03-01",
		"/dashboard/stats?range=custom&from=yesterday&to=today",
		"/dashboard/stats/report.csv?days=0",
		"/dashboard/stats/report.csv?days=seven",
		"/dashboard/stats/report.csv?days=9999",
	} {
		r := c.Get(q)
		if r.Status != http.StatusBadRequest || strings.Contains(strings.ToLower(r.Body), "sql") {
			t.Errorf("%s: %d", q, r.Status)
		}
	}
}

func TestStatsReportCSV(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			env := webtest.Start(t, d)
			c, lead := env.LoggedIn(t, store.RoleLead)
			statsData(t, env, lead)
			r := c.Get("/dashboard/stats/report.csv?days=7")
			if r.Status != http.StatusOK || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/csv") ||
				!strings.Contains(r.Header.Get("Content-Disposition"), "attachment; filename=\"reviewq-report-") {
				t.Fatalf("csv: %d %v", r.Status, r.Header)
			}
			rows, err := csv.NewReader(strings.NewReader(r.Body)).ReadAll()
			if err != nil {
				t.Fatalf("not CSV: %v\n%s", err, r.Body)
			}
			got := map[string]string{}
			for _, row := range rows {
				if len(row) != 4 {
					t.Fatalf("row %v", row)
				}
				got[row[0]+"/"+row[1]+"/"+row[2]] = row[3]
				for _, cell := range row {
					if cell != "" && strings.ContainsRune("=+-@", rune(cell[0])) {
						t.Errorf("formula cell %q", cell)
					}
				}
			}
			for k, want := range map[string]string{
				"range//days": "7", "summary//total_reviewed": "3", "summary//approved": "1", "summary//rejected": "1",
				"summary//skipped": "1", "summary//approval_rate": "0.3333", "summary//sla_compliance": "1.0000",
				"summary//flagged": "4", "by_source/api/decided": "3", "by_source/api/false_positive_rate": "0.6667",
				"by_type/MESSAGE/false_positive_rate": "1.0000", "by_type/PROPOSAL/approval_rate": "1.0000",
				"operator/" + lead.Name + "/decisions": "2", "operator/'=HYPERLINK(\"http://x\")/decisions": "1",
				"reject_reason/bad_data/count": "1", "skip_reason/not_now/count": "1",
			} {
				if got[k] != want {
					t.Errorf("%s = %q, want %q", k, got[k], want)
				}
			}
		})
	}
}

// The stats page with demo data in a real browser, screenshotted to look at.
func TestBrowserStatsPage(t *testing.T) {
	ctx := webtest.Browser(t)
	env := webtest.Start(t, store.SQLite)
	if err := env.Store.Seed(context.Background(), store.SeedOptions{Leads: 600, Pending: 140, Decided: 400, Prefix: "demo"}); err != nil {
		t.Fatal(err)
	}
	lead := storetest.Operator(t, env.Store, "lee@example.com", store.RoleLead)
	statsData(t, env, lead)
	webtest.BrowserLogin(t, ctx, env.URL, lead.Email, storetest.Password(store.RoleLead))
	err := chromedp.Do(ctx,
		chromedp.Navigate(env.URL+"/dashboard/stats?range=30d"),
		chromedp.WaitVisible("#stats-pending"),
	)
	if err != nil {
		t.Fatal(err)
	}
	webtest.Screenshot(t, ctx, "stats")
	pending, _ := chromedp.Run(ctx, chromedp.Text("#stats-pending"))
	decided, _ := chromedp.Run(ctx, chromedp.Text("#stats-decided"))
	// Seed spreads decisions over the last 30 days and a few minutes: those
	// on the day before the range's first (UTC) day fall out of it, fewer or
	// more by the time of day, so count what the range holds.
	var inRange int64
	first := time.Now().UTC().Truncate(24*time.Hour).AddDate(0, 0, -29)
	if err := env.Store.DB.Model(&store.Review{}).Where("decided_at >= ?", first).Count(&inRange).Error; err != nil {
		t.Fatal(err)
	}
	if n, _ := strconv.Atoi(strings.TrimSpace(decided)); strings.TrimSpace(pending) != "141" || int64(n) != inRange || n < 370 || n > 403 {
		t.Errorf("pending %q decided %q, %d decided in the range", pending, decided, inRange)
	}
	// The range links work without any script.
	if err := chromedp.Do(ctx, chromedp.Click(`a.chip[href="/dashboard/stats?range=today"]`), chromedp.WaitVisible(`a.chip.active[href="/dashboard/stats?range=today"]`)); err != nil {
		t.Fatal(err)
	}
	webtest.Screenshot(t, ctx, "stats-today")
}
