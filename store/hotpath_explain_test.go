package store_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"reviewq/store"
	"reviewq/store/storetest"
)

// TestHotQueriesReadBoundedRows runs the hot paths — the queue's pages (each
// filter and both sorts, first page and by cursor), its counts, the API's
// stats and task, a decision, the outreach check, a token lookup — on
// MariaDB and has MariaDB's ANALYZE execute every SELECT they issue: each
// must read through an index, and the list queries must read about one
// page of reviews, not the queue or the history.
func TestHotQueriesReadBoundedRows(t *testing.T) {
	st := storetest.Open(t, store.MySQL)
	ctx := context.Background()
	const pending, decided = 1500, 1500
	if err := st.Seed(ctx, store.SeedOptions{Leads: 6000, Pending: pending, Decided: decided, Prefix: "hot"}); err != nil {
		t.Fatal(err)
	}
	// A few pending reviews escalated or snoozed, and every decided one
	// left with an old escalation and snooze: the team views must not read
	// the decided ones.
	now := store.Now()
	for _, q := range []struct {
		where string
		set   map[string]any
	}{
		// Moduli prime to the seed's five types, so every type (and source)
		// holds its share: with id % 50 all of them fell in two types, and
		// a page of one of those passed over more than the bound allows.
		{"status = 'pending' AND id % 47 = 0", map[string]any{"escalated_at": now, "escalation_note": "x"}},
		{"status = 'pending' AND id % 43 = 1", map[string]any{"snoozed_until": now.Add(time.Hour), "snooze_reason": "other"}},
		{"status <> 'pending'", map[string]any{"escalated_at": now, "snoozed_until": now.Add(time.Hour), "assignee_id": 1}},
	} {
		if err := st.DB.Model(&store.Review{}).Where(q.where).Updates(q.set).Error; err != nil {
			t.Fatal(err)
		}
	}
	for _, tbl := range []string{"leads", "reviews", "review_events", "api_tokens"} {
		if err := st.DB.Exec("ANALYZE TABLE " + tbl).Error; err != nil {
			t.Fatal(err)
		}
	}
	_, secret, err := st.CreateToken(ctx, store.SystemActor, "", "hot", store.Scopes)
	if err != nil {
		t.Fatal(err)
	}
	stmts := explainRecorder(t, st)
	mark := func() int { return len(*stmts) }
	type run struct {
		name string
		from int
		// maxReviews bounds the rows read from reviews per loop.
		maxReviews float64
		// indexOnly: reviews must be read from the index alone.
		indexOnly bool
	}
	var runs []run
	step := func(name string, maxReviews float64, fn func() error) {
		from := mark()
		if err := fn(); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		runs = append(runs, run{name: name, from: from, maxReviews: maxReviews})
	}
	// A page reads the page and one more row; the default view also reads
	// the escalated and snoozed rows it passes over (about 4.5% of pending here,
	// filtered from the row), a few more.
	page := 50.0 + 1 + 10
	var first []store.QueueItem
	step("queue, oldest first", page, func() (err error) {
		first, _, err = st.ListPending(ctx, store.QueueFilter{Limit: 50})
		return err
	})
	step("queue, next page", page, func() error {
		c := store.CursorOf(&first[len(first)-1].Review, store.SortOldest)
		_, _, err := st.ListPending(ctx, store.QueueFilter{Limit: 50, After: &c})
		return err
	})
	for _, f := range []store.QueueFilter{{ReviewType: store.TypePricing}, {Source: store.SourceQuality}, {Campaign: "eu-expansion"}} {
		f.Limit = 50
		step(fmt.Sprintf("queue filtered %+v", f), page, func() error { _, _, err := st.ListPending(ctx, f); return err })
	}
	// The team views: by assignee, escalated, snoozed (the index on each
	// column finds the few rows; the default view above leaves them out).
	for _, f := range []store.QueueFilter{{AssigneeID: 1}, {AssigneeEmail: "ann@example.com"}, {State: store.StateEscalated}, {State: store.StateSnoozed}} {
		f.Limit = 50
		step(fmt.Sprintf("queue filtered %+v", f), page, func() error { _, _, err := st.ListPending(ctx, f); return err })
	}
	step("queue, highest score first", page, func() error {
		items, next, err := st.ListPending(ctx, store.QueueFilter{Limit: 50, Sort: store.SortScore})
		if err == nil && next != nil && len(items) > 0 {
			_, _, err = st.ListPending(ctx, store.QueueFilter{Limit: 50, Sort: store.SortScore, After: next})
		}
		return err
	})
	step("queue counts", pending, func() error { _, err := st.CountPendingMatching(ctx, store.QueueFilter{}); return err })
	// The default view's counts (neither escalated nor snoozed) are the
	// sidebar's and the header's: every page load, so the index alone.
	runs[len(runs)-1].indexOnly = true
	step("API stats", pending, func() error { _, err := st.QueueStats(ctx, 12*time.Hour, 24*time.Hour); return err })
	step("task with history", 1, func() error { _, _, err := st.GetReview(ctx, first[0].ID); return err })
	// The pane's earlier reviews and the history API: the lead's reviews by
	// the (lead_id, id) index, a page of them at most.
	step("lead history", 21, func() error { _, _, err := st.LeadHistory(ctx, first[0].LeadID, 0, 20); return err })
	// Recent decisions: everyone's, and one operator's by reviews_decided_by.
	var decidedBy int64
	step("recent decisions", page, func() error {
		items, _, err := st.ListDecided(ctx, nil, 50)
		for _, it := range items {
			if it.DecidedByID != nil && it.DecidedByType != nil && *it.DecidedByType == store.ActorOperator {
				decidedBy = *it.DecidedByID
			}
		}
		return err
	})
	step("recent decisions, one operator's", page, func() error {
		_, _, err := st.ListDecidedFiltered(ctx, store.DecidedFilter{ByOperator: max(decidedBy, 1)}, nil, 50)
		return err
	})
	// Today's decisions per hour: a range of the decided_at index.
	step("decisions per hour", decided, func() error { _, err := st.HourlyDecisions(ctx, store.Now()); return err })
	runs = append(runs, run{name: "end", from: mark()})
	// The token lookup and the decision's reads are plain SQL, outside
	// GORM's callbacks: the store hands out their text.
	checkAnalyze(t, st, "token lookup", st.TokenLookupSQL(secret), 0)
	// One lead's check is this statement with "= ?" for "IN (?)".
	checkAnalyze(t, st, "eligibility", st.EligibilitySQL([]int64{first[1].LeadID}, nil), 1)
	for _, q := range st.DecisionSQL(first[3].LeadID, first[3].ID) {
		checkAnalyze(t, st, "decision", q, 1)
	}

	for i, r := range runs[:len(runs)-1] {
		qs := (*stmts)[r.from:runs[i+1].from]
		if len(qs) == 0 {
			t.Errorf("%s: no statement recorded", r.name)
		}
		for _, q := range qs {
			if !strings.Contains(q, "reviews") && !strings.Contains(q, "review_events") && !strings.Contains(q, "leads") && !strings.Contains(q, "api_tokens") {
				continue // settings
			}
			checkAnalyze(t, st, r.name, q, r.maxReviews)
			if r.indexOnly {
				checkIndexOnly(t, st, r.name, q)
			}
		}
	}
}

// checkIndexOnly checks that q reads reviews from an index alone (EXPLAIN's
// "Using index"), never its rows.
func checkIndexOnly(t *testing.T, st *store.Store, name, q string) {
	t.Helper()
	for _, plan := range queryPlan(t, st, "EXPLAIN "+q) {
		if plan["table"] == "reviews" && !strings.Contains(plan["Extra"], "Using index") {
			t.Errorf("%s: reads rows of reviews, not the index alone (key %s, %s)\n%s", name, plan["key"], plan["Extra"], q)
		}
	}
}

// checkAnalyze executes q under ANALYZE and checks each table's access.
func checkAnalyze(t *testing.T, st *store.Store, name, q string, maxReviews float64) {
	t.Helper()
	sqlText := q
	if strings.Contains(strings.ToUpper(q), "FOR UPDATE") {
		// ANALYZE runs the statement: analyse it without taking its locks.
		sqlText = strings.Replace(q, "FOR UPDATE", "", 1)
	}
	for _, plan := range queryPlan(t, st, "ANALYZE "+sqlText) {
		table := plan["table"]
		if table == "" || strings.HasPrefix(table, "<") {
			continue // derived tables of constants, subquery results
		}
		if plan["type"] == "ALL" || plan["key"] == "" {
			t.Errorf("%s: %s read without an index (%s)\n%s", name, table, plan["type"], q)
		}
		read, _ := strconv.ParseFloat(plan["r_rows"], 64)
		if table == "reviews" && read > maxReviews {
			t.Errorf("%s: read %.0f rows of reviews (at most %.0f expected)\n%s", name, read, maxReviews, q)
		}
		t.Logf("%-28s %-14s %-8s %-24s r_rows=%s", name, table, plan["type"], plan["key"], plan["r_rows"])
	}
}
