package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"
	"testing"

	"reviewq/store"
	"reviewq/store/storetest"
)

// foundationVersion is the last migration of the first release: rolling back
// to it undoes every later migration.
const foundationVersion = 8

// tableSums is, per table, the row count and a checksum of the given
// columns of every row (independent of row order).
func tableSums(t *testing.T, st *store.Store, schema map[string][]string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for table, cols := range schema {
		rows, err := st.SQL.QueryContext(context.Background(), tableQuery(table, cols))
		if err != nil {
			t.Fatalf("read %s: %v", table, err)
		}
		var hashes []string
		names, err := rows.Columns()
		if err != nil {
			t.Fatal(err)
		}
		vals := make([]any, len(names))
		ptrs := make([]any, len(names))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			h := sha256.New()
			for _, v := range vals {
				if b, ok := v.([]byte); ok {
					v = string(b)
				}
				fmt.Fprintf(h, "%v\x00", v)
			}
			hashes = append(hashes, hex.EncodeToString(h.Sum(nil)))
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		rows.Close()
		sort.Strings(hashes)
		all := sha256.Sum256([]byte(strings.Join(hashes, "")))
		out[table] = fmt.Sprintf("%d rows, sha256 %x", len(hashes), all[:8])
	}
	return out
}

// tableQuery reads a table's rows; the daily stats counters are summed per
// key, since a migration may fold or split their rows (the shards) without
// losing a count.
func tableQuery(table string, cols []string) string {
	if !strings.HasPrefix(table, "stats_daily") {
		return "SELECT " + strings.Join(cols, ", ") + " FROM " + table
	}
	var keys, sel []string
	for _, c := range cols {
		switch c {
		case "n", "sum_ms":
			sel = append(sel, "SUM("+c+")")
		case "actor_name", "shard":
			if c == "actor_name" {
				sel = append(sel, "MAX(actor_name)")
			}
		default:
			keys = append(keys, c)
		}
	}
	return "SELECT " + strings.Join(append(keys, sel...), ", ") + " FROM " + table + " GROUP BY " + strings.Join(keys, ", ")
}

// populate fills every table the foundation has, through the store's own
// operations.
func populate(t *testing.T, st *store.Store) {
	t.Helper()
	ctx := context.Background()
	if err := st.Seed(ctx, store.SeedOptions{Leads: 600, Pending: 150, Decided: 200}); err != nil {
		t.Fatal(err)
	}
	admin := storetest.Operator(t, st, "admin@example.com", store.RoleAdmin)
	storetest.Operator(t, st, "op@example.com", store.RoleOperator)
	if _, err := st.CreateSession(ctx, admin, "127.0.0.1", "test"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := st.CreateToken(ctx, store.SystemActor, "", "scoring", []string{store.ScopeQueueRead}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.SetSetting(ctx, store.SystemActor, "", store.KeyScoreThreshold, "85"); err != nil {
		t.Fatal(err)
	}
	// Decisions on many reviews: the daily counters spread over shards.
	var pending []int64
	st.DB.Table("reviews").Where("status = ?", store.StatusPending).Order("id").Limit(40).Pluck("id", &pending)
	for _, id := range pending {
		if _, err := st.Decide(ctx, store.DecideInput{ReviewID: id, Outcome: store.OutcomeApprove,
			Actor: store.Actor{Type: store.ActorOperator, ID: admin.ID, Name: admin.Name}}); err != nil {
			t.Fatal(err)
		}
	}
	r := storetest.FlaggedLead(t, st, "migrate-1", store.TypeAction)
	if _, err := st.Decide(ctx, store.DecideInput{ReviewID: r.ID, Outcome: store.OutcomeReject, ReasonCode: "not_a_fit",
		Notes: "checked", Actor: store.Actor{Type: store.ActorOperator, ID: admin.ID, Name: admin.Name}}); err != nil {
		t.Fatal(err)
	}
}

// TestMigrateDownAndUpKeepsData rolls a populated database back with
// `reviewq migrate down --to N`, then forward with `migrate up`, and checks
// that every table and column that exists at N holds exactly the same rows
// before the rollback, after it, and after migrating up again. Then it
// walks down one migration at a time to 0, checking the same at each step.
func TestMigrateDownAndUpKeepsData(t *testing.T) {
	ctx := context.Background()
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			// The schema at the target version, learned on an empty database.
			probe := storetest.Open(t, d)
			latest := opsLatest(t, probe)
			previous := opsPrevious(t, probe, latest)
			targets := []int64{previous, foundationVersion}
			if previous <= foundationVersion {
				targets = []int64{foundationVersion}
			}
			atVersion := map[int64]map[string][]string{}
			for _, v := range targets {
				if _, err := probe.MigrateDownTo(ctx, v); err != nil {
					t.Fatal(err)
				}
				atVersion[v] = storetest.Columns(t, probe)
			}

			u := storetest.URL(t, d)
			st := storetest.OpenURL(t, u)
			if code, _, errOut := opsRun(t, u, "migrate", "up"); code != 0 {
				t.Fatalf("migrate up: %s", errOut)
			}
			populate(t, st)
			full := storetest.Columns(t, st)
			fullBefore := tableSums(t, st, full)

			for _, v := range targets {
				kept := atVersion[v]
				before := tableSums(t, st, kept)
				code, out, errOut := opsRun(t, u, "migrate", "down", "--to", fmt.Sprint(v))
				if code != 0 || !strings.Contains(out, fmt.Sprintf("schema at version %d", v)) {
					t.Fatalf("migrate down --to %d: exit %d, %q %q", v, code, out, errOut)
				}
				if got := storetest.Columns(t, st); !equalSchemas(got, kept) {
					t.Fatalf("schema after down to %d differs from a fresh database at %d", v, v)
				}
				if after := tableSums(t, st, kept); !equalSums(before, after) {
					t.Fatalf("data changed by migrate down --to %d:\nbefore %v\nafter  %v", v, before, after)
				}
				if code, _, errOut := opsRun(t, u, "migrate", "up"); code != 0 {
					t.Fatalf("migrate up after down to %d: %s", v, errOut)
				}
				if after := tableSums(t, st, kept); !equalSums(before, after) {
					t.Fatalf("data changed by migrating up again from %d:\nbefore %v\nafter  %v", v, before, after)
				}
				if err := st.CheckSchema(ctx); err != nil {
					t.Fatal(err)
				}
			}
			// Columns added after the foundation come back empty, by design;
			// every foundation table that later migrations did not change is
			// whole again.
			fullAfter := tableSums(t, st, full)
			for table, cols := range atVersion[foundationVersion] {
				if equalList(cols, full[table]) && fullBefore[table] != fullAfter[table] {
					t.Fatalf("table %s: %s before, %s after", table, fullBefore[table], fullAfter[table])
				}
			}
			if fullBefore["leads"] == "" || !strings.HasPrefix(fullBefore["leads"], "601 rows") {
				t.Fatalf("fixture: leads %q", fullBefore["leads"])
			}

			// Every version, one `migrate down` at a time, to 0: each down
			// migration runs on a populated database and keeps what survives.
			versions := appliedVersions(t, st)
			for i := len(versions) - 1; i >= 0; i-- {
				prev := int64(0)
				if i > 0 {
					prev = versions[i-1]
				}
				kept := opsColumnsAt(t, d, prev)
				before := tableSums(t, st, kept)
				code, out, errOut := opsRun(t, u, "migrate", "down")
				if code != 0 || !strings.Contains(out, fmt.Sprintf("schema at version %d", prev)) {
					t.Fatalf("migrate down from %d: exit %d, %q %q", versions[i], code, out, errOut)
				}
				if after := tableSums(t, st, kept); !equalSums(before, after) {
					t.Fatalf("data changed by rolling back %d:\nbefore %v\nafter  %v", versions[i], before, after)
				}
			}
			if left := storetest.Columns(t, st); len(left) != 0 {
				t.Fatalf("tables left at version 0: %v", left)
			}
			if code, _, errOut := opsRun(t, u, "migrate", "up"); code != 0 {
				t.Fatalf("migrate up from 0: %s", errOut)
			}
			if got := storetest.Columns(t, st); !equalSchemas(got, full) {
				t.Fatal("schema after migrating up from 0 differs")
			}
		})
	}
}

// appliedVersions lists the applied migrations, oldest first.
func appliedVersions(t *testing.T, st *store.Store) []int64 {
	t.Helper()
	list, err := st.MigrationsStatus(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var out []int64
	for _, m := range list {
		if m.Applied {
			out = append(out, m.Version)
		}
	}
	return out
}

// schemaAt caches, per dialect and version, the schema of a fresh database
// migrated to that version.
var schemaAt = map[store.Dialect]map[int64]map[string][]string{}

// opsColumnsAt is the schema at version v.
func opsColumnsAt(t *testing.T, d store.Dialect, v int64) map[string][]string {
	t.Helper()
	if cols, ok := schemaAt[d][v]; ok {
		return cols
	}
	probe := storetest.Open(t, d)
	if _, err := probe.MigrateDownTo(context.Background(), v); err != nil {
		t.Fatal(err)
	}
	if schemaAt[d] == nil {
		schemaAt[d] = map[int64]map[string][]string{}
	}
	schemaAt[d][v] = storetest.Columns(t, probe)
	return schemaAt[d][v]
}

func opsLatest(t *testing.T, st *store.Store) int64 {
	t.Helper()
	_, latest, err := st.SchemaVersions(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return latest
}

// opsPrevious is the version of the migration before latest (the numbers
// have gaps: each piece of work takes its own range).
func opsPrevious(t *testing.T, st *store.Store, latest int64) int64 {
	t.Helper()
	list, err := st.MigrationsStatus(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var prev int64
	for _, m := range list {
		if m.Version < latest && m.Version > prev {
			prev = m.Version
		}
	}
	return prev
}

func equalList(a, b []string) bool { return strings.Join(a, ",") == strings.Join(b, ",") }

func equalSchemas(a, b map[string][]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k := range a {
		if !equalList(a[k], b[k]) {
			return false
		}
	}
	return true
}

func equalSums(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k := range a {
		if a[k] != b[k] {
			return false
		}
	}
	return true
}
