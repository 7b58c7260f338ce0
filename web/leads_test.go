package web_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"reviewq/store"
	"reviewq/store/storetest"
	"reviewq/web/webtest"
)

func upsertTestLead(t *testing.T, st *store.Store, ext, name, email, company string) *store.Lead {
	t.Helper()
	l, _, err := st.UpsertLead(context.Background(), store.LeadInput{ExternalID: ext, Name: &name, Email: &email, Company: &company})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

var leadRowRe = regexp.MustCompile(`data-lead-id="(\d+)"`)

func TestLeadsPageSearchesEachFieldByPrefix(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			env := webtest.Start(t, d)
			op, _ := env.LoggedIn(t, store.RoleOperator)
			ana := upsertTestLead(t, env.Store, "CRM-100", "Ana Almeida", "ana@northwind.test", "Northwind Logistics")
			ben := upsertTestLead(t, env.Store, "CRM-200", "Ben Brennan", "ben@acme.test", "Acme Analytics")
			found := func(q url.Values) []string {
				t.Helper()
				r := op.Get("/dashboard/leads?" + q.Encode())
				if r.Status != http.StatusOK {
					t.Fatalf("%v: %d", q, r.Status)
				}
				var ids []string
				for _, m := range leadRowRe.FindAllStringSubmatch(r.Body, -1) {
					ids = append(ids, m[1])
				}
				return ids
			}
			id := func(l *store.Lead) string { return strconv.FormatInt(l.ID, 10) }
			for _, c := range []struct {
				q    url.Values
				want []string
			}{
				{webtest.Form("field", "name", "q", "ana"), []string{id(ana)}},
				{webtest.Form("q", "BEN"), []string{id(ben)}}, // name is the default
				{webtest.Form("field", "email", "q", "ben@"), []string{id(ben)}},
				{webtest.Form("field", "company", "q", "northwind"), []string{id(ana)}},
				{webtest.Form("field", "external_id", "q", "CRM-2"), []string{id(ben)}},
				{webtest.Form("field", "external_id", "q", "crm-2"), nil}, // a key: exact case
				{webtest.Form("field", "company", "q", "analytics"), nil}, // the start, not anywhere
				{webtest.Form("field", "external_id", "q", "CRM"), []string{id(ana), id(ben)}},
			} {
				if got := found(c.q); strings.Join(got, ",") != strings.Join(c.want, ",") {
					t.Errorf("%v: leads %v, want %v", c.q, got, c.want)
				}
			}
			// htmx gets the results alone, not the page around them.
			r := op.HTMX(http.MethodGet, "/dashboard/leads?field=name&q=ana", nil)
			if r.Status != http.StatusOK || strings.Contains(r.Body, "<html") || !strings.Contains(r.Body, `data-lead-id="`+id(ana)+`"`) {
				t.Fatalf("htmx search: %d %s", r.Status, r.Body)
			}
			// A field that is not searchable, or a cursor not made here: 400.
			for _, q := range []string{"field=industry&q=x", "q=a&after=bm9wZQ"} {
				if r := op.Get("/dashboard/leads?" + q); r.Status != http.StatusBadRequest || !strings.Contains(r.Body, "flash-error") {
					t.Errorf("%s: %d", q, r.Status)
				}
			}
		})
	}
}

// Page after page, the search lists every matching lead once.
func TestLeadsSearchPagesListEveryLeadOnce(t *testing.T) {
	env := webtest.Start(t, store.SQLite)
	op, _ := env.LoggedIn(t, store.RoleOperator)
	for i := range 120 {
		n := strconv.Itoa(i)
		upsertTestLead(t, env.Store, "P-"+n, "Pat "+n, "pat"+n+"@example.com", "Same Company")
	}
	upsertTestLead(t, env.Store, "Q-1", "Other", "other@example.com", "Other Company")
	pages, items := walkPages(t, op, "/dashboard/leads?field=company&q=same", leadRowRe, regexp.MustCompile(`id="leads-next" href="([^"]+)"`))
	if pages != 3 || len(items) != 120 {
		t.Fatalf("%d pages, %d leads; want 3 pages of 120 leads", pages, len(items))
	}
}

func TestManualFlagFromTheLeadPage(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			env := webtest.Start(t, d)
			ctx := context.Background()
			op, me := env.LoggedIn(t, store.RoleOperator)
			lead := upsertTestLead(t, env.Store, "M-1", "Mia Moreau", "mia@example.com", "Meridian")
			path := "/dashboard/leads/" + strconv.FormatInt(lead.ID, 10)
			if r := op.Get(path); r.Status != http.StatusOK || !strings.Contains(r.Body, "Mia Moreau") || !strings.Contains(r.Body, "no review") {
				t.Fatalf("lead page: %d", r.Status)
			}

			// Bad input: 400 with the reason on the page, and nothing flagged.
			for _, f := range []url.Values{webtest.Form("review_type", "NOPE", "reason", "x"), webtest.Form("review_type", "PRICING", "reason", "  ")} {
				r := op.PostForm(path+"/flag", f)
				if r.Status != http.StatusBadRequest || !strings.Contains(r.Body, "flash-error") {
					t.Fatalf("%v: %d", f, r.Status)
				}
			}
			// Without the form's CSRF token: 403, nothing flagged.
			raw, err := op.HTTP.PostForm(env.URL+path+"/flag", webtest.Form("review_type", "PRICING", "reason", "forged"))
			if err != nil {
				t.Fatal(err)
			}
			raw.Body.Close()
			if raw.StatusCode != http.StatusForbidden {
				t.Fatalf("no CSRF token: %d", raw.StatusCode)
			}
			if _, err := env.Store.OpenReviewOfLead(ctx, lead.ID); err != store.ErrNotFound {
				t.Fatalf("refused flags opened a review: %v", err)
			}

			// The flag: a review with source manual, its event by this operator.
			op.Get(path)
			r := op.PostForm(path+"/flag", webtest.Form("review_type", "pricing", "reason", "Asked for a custom discount on the phone"))
			if r.Status != http.StatusSeeOther || r.Header.Get("Location") != path+"?done=opened" {
				t.Fatalf("flag: %d %s", r.Status, r.Header.Get("Location"))
			}
			open, err := env.Store.OpenReviewOfLead(ctx, lead.ID)
			if err != nil {
				t.Fatal(err)
			}
			if open.Source != store.SourceManual || open.ReviewType != store.TypePricing || open.Reason != "Asked for a custom discount on the phone" {
				t.Fatalf("review: %+v", open)
			}
			_, events, err := env.Store.GetReview(ctx, open.ID)
			if err != nil || len(events) != 1 || events[0].Kind != store.EventFlagged || events[0].ActorName != me.Name ||
				events[0].Detail == nil || !strings.Contains(*events[0].Detail, `"source":"manual"`) {
				t.Fatalf("events: %+v %v", events, err)
			}
			page := op.Get(path + "?done=opened")
			if !strings.Contains(page.Body, "a review is now in the queue") || !strings.Contains(page.Body, `href="/dashboard/review-queue/`+strconv.FormatInt(open.ID, 10)+`"`) {
				t.Fatalf("lead page after the flag: %s", page.Body)
			}

			// The score rule flags the lead and a person decides; scored high
			// again at once, the rule's cool-down holds its flag back, but a
			// flag by hand still opens a review.
			decide := func(id int64) {
				t.Helper()
				if _, err := env.Store.Decide(ctx, store.DecideInput{ReviewID: id, Outcome: store.OutcomeApprove,
					Actor: store.Actor{Type: store.ActorOperator, ID: me.ID, Name: me.Name}}); err != nil {
					t.Fatal(err)
				}
			}
			decide(open.ID)
			scored, err := env.Store.RecordScore(ctx, lead.ID, 97, store.SystemActor)
			if err != nil || !scored.Created {
				t.Fatalf("score: %+v %v", scored, err)
			}
			decide(scored.Review.ID)
			if af, err := env.Store.RecordScore(ctx, lead.ID, 98, store.SystemActor); err != nil || af.Flagged || !af.HeldBack {
				t.Fatalf("score after the decision: %+v %v", af, err)
			}
			op.Get(path)
			if r := op.PostForm(path+"/flag", webtest.Form("review_type", "MESSAGE", "reason", "Check the new message")); r.Status != http.StatusSeeOther {
				t.Fatalf("flag in the cool-down: %d", r.Status)
			}
			again, err := env.Store.OpenReviewOfLead(ctx, lead.ID)
			if err != nil || again.ID == scored.Review.ID || again.Source != store.SourceManual {
				t.Fatalf("flag in the cool-down: %+v %v", again, err)
			}
			// The lead page lists both reviews; the queue has the new one.
			page = op.Get(path)
			if n := strings.Count(page.Body, `class="earlier-review`); n != 3 {
				t.Fatalf("lead page lists %d reviews, want 3", n)
			}
			if q := op.Get("/dashboard/review-queue"); !strings.Contains(q.Body, "Mia Moreau") {
				t.Fatal("the flagged lead is not in the queue")
			}
		})
	}
}
