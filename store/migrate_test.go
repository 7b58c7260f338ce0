package store_test

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"reviewq/store"
	"reviewq/store/storetest"
)

func TestMigrationsUpDownBothDialects(t *testing.T) {
	ctx := context.Background()
	schemas := map[store.Dialect]map[string][]string{}
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			st := storetest.OpenURL(t, storetest.URL(t, d))
			if err := st.CheckSchema(ctx); !errors.Is(err, store.ErrStaleSchema) {
				t.Fatalf("empty database not reported stale: %v", err)
			}
			if _, err := st.MigrateUp(ctx); err != nil {
				t.Fatal(err)
			}
			if err := st.CheckSchema(ctx); err != nil {
				t.Fatalf("after up: %v", err)
			}
			up := storetest.Columns(t, st)
			for _, table := range []string{"leads", "reviews", "review_events", "operators", "sessions", "api_tokens", "settings", "audit_log"} {
				if len(up[table]) == 0 {
					t.Fatalf("table %s missing", table)
				}
			}
			for _, col := range []string{"requires_human_review", "review_type", "review_reason"} {
				if !contains(up["leads"], col) {
					t.Fatalf("leads.%s missing", col)
				}
			}
			if _, err := st.MigrateDownTo(ctx, 0); err != nil {
				t.Fatal(err)
			}
			if left := storetest.Columns(t, st); len(left) != 0 {
				t.Fatalf("tables left after down: %v", left)
			}
			if _, err := st.MigrateUp(ctx); err != nil {
				t.Fatal(err)
			}
			if again := storetest.Columns(t, st); !reflect.DeepEqual(again, up) {
				t.Fatal("schema differs after down and up")
			}
			schemas[d] = up
		})
	}
	if len(schemas) == 2 && !reflect.DeepEqual(schemas[store.SQLite], schemas[store.MySQL]) {
		t.Fatalf("dialects differ:\nsqlite %v\nmysql  %v", schemas[store.SQLite], schemas[store.MySQL])
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
