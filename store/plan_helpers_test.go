package store_test

import (
	"fmt"
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
