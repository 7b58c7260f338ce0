package web_test

import (
	"context"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"reviewq/store"
	"reviewq/store/storetest"
	"reviewq/web/webtest"
)

// viewCountOf is the count a page shows for the view called name ("" when
// the page does not list it).
func viewCountOf(body, name string) string {
	re := regexp.MustCompile(`(?s)class="chip view-link[^"]*"[^>]*>\s*` + regexp.QuoteMeta(name) + `\s*(?:<span class="view-shared"[^>]*>shared</span>\s*)?<span class="chip-count" id="view-count-\d+">(\d+)</span>`)
	if m := re.FindStringSubmatch(body); m != nil {
		return m[1]
	}
	return ""
}

func viewID(t *testing.T, st *store.Store, op *store.Operator, name string) int64 {
	t.Helper()
	items, err := st.ListViews(context.Background(), op.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range items {
		if it.Name == name {
			return it.ID
		}
	}
	t.Fatalf("%s has no view %q", op.Email, name)
	return 0
}

// TestSavedViewsOverHTTP: an operator saves the filter on screen as a
// view, which the bar lists with its live count; a lead shares one that
// every operator sees, while personal views stay personal; operators
// cannot share; deleting follows ownership; a post without the CSRF token
// is refused.
func TestSavedViewsOverHTTP(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			env := webtest.Start(t, d)
			storetest.FlaggedLead(t, env.Store, "P1", store.TypePricing)
			storetest.FlaggedLead(t, env.Store, "P2", store.TypePricing)
			storetest.FlaggedLead(t, env.Store, "M1", store.TypeMessage)
			ann, annOp := env.LoggedIn(t, store.RoleOperator)
			bob, bobOp := env.LoggedIn(t, store.RoleOperator)
			lead, leadOp := env.LoggedIn(t, store.RoleLead)

			// Save the filter on screen (the save form includes the filter form).
			res := ann.HTMX(http.MethodPost, "/dashboard/review-queue/views",
				webtest.Form("name", "Pricing", "type", "PRICING", "assignee", "any", "sort", "score", "q", "", "campaign", ""))
			if res.Status != http.StatusOK {
				t.Fatalf("save: %d %s", res.Status, res.Body)
			}
			mustContain(t, "save answer", res.Body, "Saved “Pricing”.", `href="/dashboard/review-queue?type=PRICING&amp;assignee=any&amp;sort=score"`)
			if got := viewCountOf(res.Body, "Pricing"); got != "2" {
				t.Fatalf("count after saving: %q, want 2\n%s", got, res.Body)
			}
			// The queue page lists it with its count, marked when it is on screen.
			page := ann.Get("/dashboard/review-queue?type=PRICING&assignee=any&sort=score").Body
			if got := viewCountOf(page, "Pricing"); got != "2" {
				t.Fatalf("queue page count: %q", got)
			}
			mustContain(t, "active view", page, `class="chip view-link active"`)
			// A new pending review of the type: the live poll carries the new count.
			storetest.FlaggedLead(t, env.Store, "P3", store.TypePricing)
			live := ann.HTMX(http.MethodGet, "/dashboard/review-queue/live", nil).Body
			id := viewID(t, env.Store, annOp, "Pricing")
			mustContain(t, "live counts", live, `id="view-count-`+itoa(id)+`" hx-swap-oob="true">3<`)

			// Refused: a duplicate name, a bad filter, an operator sharing.
			if r := ann.HTMX(http.MethodPost, "/dashboard/review-queue/views", webtest.Form("name", "Pricing", "type", "MESSAGE")); r.Status != http.StatusBadRequest ||
				!strings.Contains(r.Body, "already have a view") {
				t.Fatalf("duplicate name: %d", r.Status)
			}
			if r := ann.HTMX(http.MethodPost, "/dashboard/review-queue/views", webtest.Form("name", "Bad", "type", "NOPE")); r.Status != http.StatusBadRequest {
				t.Fatalf("bad filter: %d", r.Status)
			}
			if r := ann.HTMX(http.MethodPost, "/dashboard/review-queue/views", webtest.Form("name", "Team", "state", "escalated", "shared", "true")); r.Status != http.StatusForbidden ||
				!strings.Contains(r.Body, "only a lead or admin shares") {
				t.Fatalf("operator sharing: %d %s", r.Status, r.Body)
			}
			// The share box is offered to leads only.
			if strings.Contains(page, `name="shared"`) {
				t.Error("an operator is offered to share a view")
			}
			mustContain(t, "lead's queue", lead.Get("/dashboard/review-queue").Body, `name="shared"`, "share with the team")

			// A lead shares a view: every operator sees it; ann's stays hers.
			if r := lead.HTMX(http.MethodPost, "/dashboard/review-queue/views", webtest.Form("name", "Messages", "type", "MESSAGE", "assignee", "any", "shared", "true")); r.Status != http.StatusOK {
				t.Fatalf("lead sharing: %d %s", r.Status, r.Body)
			}
			bobPage := bob.Get("/dashboard/review-queue").Body
			if got := viewCountOf(bobPage, "Messages"); got != "1" {
				t.Fatalf("bob's count of the shared view: %q\n%s", got, bobPage)
			}
			if viewCountOf(bobPage, "Pricing") != "" {
				t.Error("bob sees ann's personal view")
			}
			if viewCountOf(lead.Get("/dashboard/review-queue").Body, "Pricing") != "" {
				t.Error("the lead sees ann's personal view")
			}

			// Deleting: bob cannot delete the shared view nor ann's; the CSRF
			// token is required; ann deletes hers, a lead the shared one.
			shared := viewID(t, env.Store, leadOp, "Messages")
			if r := bob.HTMX(http.MethodPost, "/dashboard/review-queue/views/"+itoa(shared)+"/delete", nil); r.Status != http.StatusForbidden {
				t.Fatalf("operator deleting a shared view: %d", r.Status)
			}
			if r := bob.HTMX(http.MethodPost, "/dashboard/review-queue/views/"+itoa(id)+"/delete", nil); r.Status != http.StatusNotFound {
				t.Fatalf("operator deleting another's view: %d", r.Status)
			}
			token := ann.CSRF
			ann.CSRF = ""
			if r := ann.HTMX(http.MethodPost, "/dashboard/review-queue/views/"+itoa(id)+"/delete", nil); r.Status != http.StatusForbidden {
				t.Fatalf("delete without the CSRF token: %d", r.Status)
			}
			if r := ann.HTMX(http.MethodPost, "/dashboard/review-queue/views", webtest.Form("name", "No token")); r.Status != http.StatusForbidden {
				t.Fatalf("save without the CSRF token: %d", r.Status)
			}
			ann.CSRF = token
			if r := ann.HTMX(http.MethodPost, "/dashboard/review-queue/views/"+itoa(id)+"/delete", nil); r.Status != http.StatusOK || !strings.Contains(r.Body, "View deleted.") {
				t.Fatalf("deleting one's own view: %d", r.Status)
			}
			other, _ := env.LoggedIn(t, store.RoleLead)
			if r := other.HTMX(http.MethodPost, "/dashboard/review-queue/views/"+itoa(shared)+"/delete", nil); r.Status != http.StatusOK {
				t.Fatalf("another lead deleting the shared view: %d", r.Status)
			}
			if items, _ := env.Store.ListViews(context.Background(), bobOp.ID); len(items) != 0 {
				t.Errorf("views left: %+v", items)
			}
		})
	}
}

// TestTimeZoneOverHTTP: an operator who chose America/New_York sees a
// snooze's time in New York time with its abbreviation, and "tomorrow
// 09:00" is 09:00 in New York; an operator on the default (UTC) sees the
// same moment in UTC. API JSON stays UTC.
func TestTimeZoneOverHTTP(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			env := webtest.Start(t, d)
			r := storetest.FlaggedLead(t, env.Store, "TZ", store.TypePricing)
			ny, _ := time.LoadLocation("America/New_York")
			nyc, _ := env.LoggedIn(t, store.RoleOperator)
			utcC, utcOp := env.LoggedIn(t, store.RoleOperator)

			if res := nyc.PostForm("/account/time-zone", webtest.Form("time_zone", "Mars/Base")); res.Status != http.StatusBadRequest {
				t.Fatalf("unknown zone: %d", res.Status)
			}
			res := nyc.PostForm("/account/time-zone", webtest.Form("time_zone", "America/New_York"))
			if res.Status != http.StatusOK {
				t.Fatalf("set zone: %d", res.Status)
			}
			mustContain(t, "account page", res.Body, "times now show in America/New_York", `<option value="America/New_York" selected>`)

			// "tomorrow 09:00" where the operator is (the day read before and
			// after the request, in case midnight passes in between).
			tomorrow := func() time.Time {
				d := time.Now().In(ny).AddDate(0, 0, 1)
				return time.Date(d.Year(), d.Month(), d.Day(), 9, 0, 0, 0, ny)
			}
			mustContain(t, "snooze form", nyc.HTMX(http.MethodGet, reviewPath(r.ID, ""), nil).Body, "tomorrow 09:00 "+time.Now().In(ny).Format("MST"))
			before := tomorrow()
			pane := nyc.HTMX(http.MethodPost, reviewPath(r.ID, "snooze"), webtest.Form("preset", "tomorrow", "reason_code", "waiting_on_customer")).Body
			after := tomorrow()
			rl, _, err := env.Store.GetReview(context.Background(), r.ID)
			if err != nil {
				t.Fatal(err)
			}
			got := rl.Review.SnoozedUntil
			if got == nil || (!got.Equal(before) && !got.Equal(after)) {
				t.Fatalf("snoozed until %v, want %v (09:00 New York)", got, before)
			}
			local := got.In(ny)
			abbr, _ := local.Zone()
			if abbr != "EST" && abbr != "EDT" {
				t.Fatalf("New York abbreviation %q", abbr)
			}
			shown := local.Format("2006-01-02") + " 09:00 " + abbr
			mustContain(t, "pane after snoozing", pane, "Snoozed until "+shown, "<dt>until</dt><dd>"+shown+"</dd>")
			mustContain(t, "snoozed view (New York)", nyc.Get("/dashboard/review-queue?state=snoozed").Body, "snoozed until "+shown)
			// The same moment for an operator on the default zone.
			mustContain(t, "snoozed view (UTC)", utcC.Get("/dashboard/review-queue?state=snoozed").Body,
				"snoozed until "+got.UTC().Format("2006-01-02 15:04")+" UTC")

			// A custom time is read in the operator's zone.
			if res := nyc.HTMX(http.MethodPost, reviewPath(r.ID, "unsnooze"), nil); res.Status != http.StatusOK {
				t.Fatalf("unsnooze: %d", res.Status)
			}
			day := time.Now().In(ny).AddDate(0, 0, 2).Format("2006-01-02")
			res = nyc.HTMX(http.MethodPost, reviewPath(r.ID, "snooze"), webtest.Form("preset", "custom", "until", day+"T07:30", "reason_code", "other"))
			want, _ := time.ParseInLocation("2006-01-02T15:04", day+"T07:30", ny)
			rl, _, _ = env.Store.GetReview(context.Background(), r.ID)
			if rl.Review.SnoozedUntil == nil || !rl.Review.SnoozedUntil.Equal(want) {
				t.Fatalf("custom snooze stored %v, want %v (%d)", rl.Review.SnoozedUntil, want, res.Status)
			}
			// The history shows times in the viewer's zone too.
			mustContain(t, "history", nyc.HTMX(http.MethodGet, reviewPath(r.ID, ""), nil).Body, " "+abbr+"</time>")

			// An admin sets the other operator's zone: their pages follow.
			adminC, _ := env.LoggedIn(t, store.RoleAdmin)
			if res := adminC.PostForm("/admin/operators/"+itoa(utcOp.ID)+"/time-zone", webtest.Form("time_zone", "Asia/Tokyo")); res.Status != http.StatusSeeOther {
				t.Fatalf("admin setting a zone: %d", res.Status)
			}
			mustContain(t, "snoozed view (Tokyo)", utcC.Get("/dashboard/review-queue?state=snoozed").Body,
				"snoozed until "+want.In(mustZone(t, "Asia/Tokyo")).Format("2006-01-02 15:04")+" JST")

			// The API stays RFC 3339 UTC.
			tok := env.Token(t, store.ScopeQueueRead)
			var task struct {
				SnoozedUntil string `json:"snoozed_until"`
			}
			webtest.DecodeJSON(t, nyc.JSON(http.MethodGet, "/api/v1/review-queue/tasks/"+itoa(r.ID), tok, nil), &task)
			if task.SnoozedUntil != want.UTC().Format(time.RFC3339) {
				t.Errorf("API snoozed_until %q, want %q", task.SnoozedUntil, want.UTC().Format(time.RFC3339))
			}
		})
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func mustZone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}
