package store_test

import (
	"fmt"
	"strings"
	"testing"

	"reviewq/store"
)

// queryPlan runs an EXPLAIN or ANALYZE statement on MariaDB and returns its
// rows as column → text (NULL columns are left out).
func queryPlan(t *testing.T, st *store.Store, stmt string) []map[string]string {
	t.Helper()
	rows, err := st.SQL.Query(stmt)
	if err != nil {
		t.Fatalf("%s: %v", stmt, err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out []map[string]string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		plan := map[string]string{}
		for i, c := range cols {
			switch v := vals[i].(type) {
			case []byte:
				plan[c] = string(v)
			case nil:
			default:
				plan[c] = fmt.Sprint(v)
			}
		}
		out = append(out, plan)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// checkStatsPlans EXPLAINs each recorded statement that reads the reviews,
// the history or the daily stats on MariaDB: each must use an index, and
// at least `least` plans must have been checked.
func checkStatsPlans(t *testing.T, st *store.Store, stmts []string, least int) {
	t.Helper()
	checked := 0
	for _, q := range stmts {
		if !strings.Contains(q, "reviews") && !strings.Contains(q, "stats_daily") && !strings.Contains(q, "review_events") {
			continue // settings
		}
		for _, plan := range queryPlan(t, st, "EXPLAIN "+q) {
			if plan["type"] == "ALL" || plan["key"] == "" {
				t.Errorf("query without an index:\n%s\nplan: %v", q, plan)
			}
			t.Logf("%s %s %s", plan["table"], plan["type"], plan["key"])
			checked++
		}
	}
	if checked < least {
		t.Fatalf("only %d plans checked: %v", checked, stmts)
	}
}
