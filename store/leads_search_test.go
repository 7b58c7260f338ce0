package store_test

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"

	"reviewq/store"
	"reviewq/store/storetest"
)

// searchLeads are the leads of the search tests: names that tie except
// for case (the keyset's id tie-break), LIKE's and GLOB's wildcards in the
// text, and external ids differing only in case.
var searchLeads = []struct{ ext, name, email, company string }{
	{"ACME-1", "Acme Ana", "ana@acme.test", "Acme Corp"},
	{"acme-1", "acme ana", "ana2@acme.test", "ACME corp"},
	{"ACME-2", "ACME ANA", "ana3@acme.test", "acme corp"},
	{"ACME-3", "Acme Ben", "ben@acme.test", "Acme_Corp"},
	{"ACME-4", "Acme Ben", "ben2@acme.test", "Acme%Corp"},
	{"AC*ME-5", "Acme Chloé", "chloe@other.test", "Other"},
	{"AC[ME-6", "Ac_me Dan", "dan@acme.test", "AcmeX"},
	{"BOLT-1", "Bolt Eve", "eve@bolt.test", "Bolt"},
	{"BOLT-2", "bolt eve", "acme@bolt.test", "Bolt"},
	{"ZED-1", "Zed", "zed@zed.test", "Acme Corp"},
}

// allSearchPages walks every page of a search, limit leads at a time.
func allSearchPages(t *testing.T, st *store.Store, field, prefix string, limit int) []string {
	t.Helper()
	var got []string
	var after *store.LeadCursor
	for pages := 0; ; pages++ {
		if pages > 50 {
			t.Fatalf("%s %q: the pages do not end", field, prefix)
		}
		// The cursor goes through its text form, as the page's link sends it.
		hits, next, err := st.SearchLeads(context.Background(), store.LeadSearch{Field: field, Prefix: prefix, After: after, Limit: limit})
		if err != nil {
			t.Fatalf("%s %q: %v", field, prefix, err)
		}
		if len(hits) > limit {
			t.Fatalf("%s %q: %d leads on a page of %d", field, prefix, len(hits), limit)
		}
		for _, h := range hits {
			got = append(got, h.ExternalID)
		}
		if next == nil {
			return got
		}
		if after, err = store.ParseLeadCursor(next.Encode()); err != nil {
			t.Fatal(err)
		}
	}
}

func TestSearchLeadsByEachFieldAcrossPages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		for _, l := range searchLeads {
			if _, _, err := st.UpsertLead(ctx, store.LeadInput{ExternalID: l.ext, Name: &l.name, Email: &l.email, Company: &l.company}); err != nil {
				t.Fatal(err)
			}
		}
		cases := []struct {
			field, prefix string
			want          []string
		}{
			// Case-insensitive prefixes; "_" and "%" match only themselves.
			{store.LeadFieldName, "acme", []string{"ACME-1", "acme-1", "ACME-2", "ACME-3", "ACME-4", "AC*ME-5"}},
			{store.LeadFieldName, "ACME A", []string{"ACME-1", "acme-1", "ACME-2"}},
			{store.LeadFieldName, "ac_", []string{"AC[ME-6"}},
			{store.LeadFieldName, "bolt", []string{"BOLT-1", "BOLT-2"}},
			{store.LeadFieldName, "nobody", nil},
			{store.LeadFieldEmail, "ana", []string{"ACME-1", "acme-1", "ACME-2"}},
			{store.LeadFieldEmail, "acme@", []string{"BOLT-2"}},
			{store.LeadFieldCompany, "acme", []string{"ACME-1", "acme-1", "ACME-2", "ZED-1", "ACME-4", "ACME-3", "AC[ME-6"}},
			{store.LeadFieldCompany, "acme_", []string{"ACME-3"}},
			{store.LeadFieldCompany, "acme%", []string{"ACME-4"}},
			// External ids are keys: exact case, wildcards literal.
			{store.LeadFieldExternalID, "ACME-", []string{"ACME-1", "ACME-2", "ACME-3", "ACME-4"}},
			{store.LeadFieldExternalID, "acme", []string{"acme-1"}},
			{store.LeadFieldExternalID, "AC*", []string{"AC*ME-5"}},
			{store.LeadFieldExternalID, "AC[", []string{"AC[ME-6"}},
			{store.LeadFieldExternalID, "ACME-3", []string{"ACME-3"}},
		}
		for _, c := range cases {
			whole := allSearchPages(t, st, c.field, c.prefix, store.MaxLeadSearchPage)
			if !sameSet(whole, c.want) {
				t.Errorf("%s %q: got %v, want %v", c.field, c.prefix, whole, c.want)
			}
			// Every page size walks the same leads in the same order: no lead
			// twice, none missed at a page's edge (ties of case included).
			for _, limit := range []int{1, 2, 3} {
				if paged := allSearchPages(t, st, c.field, c.prefix, limit); !slices.Equal(paged, whole) {
					t.Errorf("%s %q by %d: got %v, want %v", c.field, c.prefix, limit, paged, whole)
				}
			}
		}
		// No prefix lists every lead, in the field's order.
		if all := allSearchPages(t, st, store.LeadFieldEmail, "", 4); len(all) != len(searchLeads) {
			t.Errorf("no prefix: %d leads, want %d", len(all), len(searchLeads))
		}
	})
}

func sameSet(a, b []string) bool {
	x, y := slices.Clone(a), slices.Clone(b)
	slices.Sort(x)
	slices.Sort(y)
	return slices.Equal(x, y)
}

func TestSearchLeadsRefusesBadInput(t *testing.T) {
	st := storetest.Open(t, store.SQLite)
	ctx := context.Background()
	for _, q := range []store.LeadSearch{
		{Field: "industry", Limit: 10},
		{Field: store.LeadFieldName, Prefix: strings.Repeat("x", 201), Limit: 10},
		{Field: store.LeadFieldName, Limit: 0},
		{Field: store.LeadFieldName, Limit: store.MaxLeadSearchPage + 1},
	} {
		if _, _, err := st.SearchLeads(ctx, q); !errors.As(err, new(*store.ValidationError)) {
			t.Errorf("%+v: got %v, want a validation error", q, err)
		}
	}
	for _, bad := range []string{"!!", "bDA6eA", "eDE6eA"} {
		if _, err := store.ParseLeadCursor(bad); err == nil {
			t.Errorf("cursor %q accepted", bad)
		}
	}
}

// On MariaDB every page of the search — each field, first page and by
// cursor — is one range read of the field's index, about one page of rows
// however many leads match.
func TestSearchLeadsReadsOnePageOfTheIndex(t *testing.T) {
	st := storetest.Open(t, store.MySQL)
	ctx := context.Background()
	if err := st.Seed(ctx, store.SeedOptions{Leads: 6000, Prefix: "srch"}); err != nil {
		t.Fatal(err)
	}
	if err := st.DB.Exec("ANALYZE TABLE leads").Error; err != nil {
		t.Fatal(err)
	}
	stmts := explainRecorder(t, st)
	const limit = 25
	index := map[string]string{store.LeadFieldName: "leads_name", store.LeadFieldEmail: "leads_email",
		store.LeadFieldCompany: "leads_company", store.LeadFieldExternalID: "leads_external_id"}
	// Prefixes that match many leads: a page must not read them all.
	prefixes := map[string]string{store.LeadFieldName: "a", store.LeadFieldEmail: "", store.LeadFieldCompany: "Acme",
		store.LeadFieldExternalID: "srch"}
	for _, field := range store.LeadSearchFields {
		from := len(*stmts)
		hits, next, err := st.SearchLeads(ctx, store.LeadSearch{Field: field, Prefix: prefixes[field], Limit: limit})
		if err != nil || len(hits) != limit || next == nil {
			t.Fatalf("%s: %d hits, next %v, %v", field, len(hits), next, err)
		}
		if _, _, err := st.SearchLeads(ctx, store.LeadSearch{Field: field, Prefix: prefixes[field], After: next, Limit: limit}); err != nil {
			t.Fatal(err)
		}
		qs := (*stmts)[from:]
		if len(qs) != 2 {
			t.Fatalf("%s: %d statements, want 2", field, len(qs))
		}
		for i, q := range qs {
			for _, plan := range queryPlan(t, st, "ANALYZE "+q) {
				read, _ := strconv.ParseFloat(plan["r_rows"], 64)
				t.Logf("%-12s page %d: %s %s key=%s r_rows=%s extra=%s", field, i+1, plan["table"], plan["type"], plan["key"], plan["r_rows"], plan["Extra"])
				if plan["key"] != index[field] || plan["type"] == "ALL" || plan["type"] == "index_merge" {
					t.Errorf("%s page %d: read by %s (%s), want the %s index\n%s", field, i+1, plan["key"], plan["type"], index[field], q)
				}
				if strings.Contains(plan["Extra"], "filesort") {
					t.Errorf("%s page %d: sorted apart from the index\n%s", field, i+1, q)
				}
				if read > limit+1 {
					t.Errorf("%s page %d: read %.0f rows for a page of %d\n%s", field, i+1, read, limit, q)
				}
			}
		}
	}
}
