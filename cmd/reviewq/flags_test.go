package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"reviewq/store"
	"reviewq/store/storetest"
)

// opsRun runs one reviewq command line against the database at dbURL, as a
// shell would, and returns exit code, stdout and stderr.
func opsRun(t *testing.T, dbURL string, args ...string) (int, string, string) {
	t.Helper()
	t.Setenv("REVIEWQ_DATABASE_URL", dbURL)
	var out, errb bytes.Buffer
	code := run(context.Background(), args, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

// opsDB is a fresh migrated database of dialect d with seeded data.
func opsDB(t *testing.T, d store.Dialect, leads, pending, decided int) (string, *store.Store) {
	t.Helper()
	u := storetest.URL(t, d)
	st := storetest.OpenURL(t, u)
	if _, err := st.MigrateUp(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := st.Seed(context.Background(), store.SeedOptions{Leads: leads, Pending: pending, Decided: decided}); err != nil {
		t.Fatal(err)
	}
	return u, st
}

func opsCount(t *testing.T, st *store.Store, table, where string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := st.DB.Table(table).Where(where, args...).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

func TestFlagsCommands(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			u, st := opsDB(t, d, 50, 20, 10)
			dir := t.TempDir()
			t.Chdir(dir)

			code, out, _ := opsRun(t, u, "flags", "clear", "--dry-run")
			if code != 0 || !strings.Contains(out, "would clear 20 pending reviews and 0 lead flags") {
				t.Fatalf("dry run: %d %q", code, out)
			}
			if n := opsCount(t, st, "reviews", "status = ?", store.StatusPending); n != 20 {
				t.Fatalf("the dry run changed the queue: %d pending", n)
			}

			code, out, errOut := opsRun(t, u, "flags", "clear")
			if code != 0 {
				t.Fatalf("flags clear: exit %d: %s", code, errOut)
			}
			if !strings.Contains(out, "cleared 20 pending reviews and 0 lead flags") {
				t.Fatalf("flags clear said %q", out)
			}
			if !strings.Contains(errOut, "queue.enabled false") {
				t.Fatalf("no warning that the queue is on: %q", errOut)
			}
			files, _ := filepath.Glob(filepath.Join(dir, "reviewq-flags-*.json"))
			if len(files) != 1 || !strings.Contains(out, files[0]) {
				t.Fatalf("rollback file %v not named in %q", files, out)
			}
			if fi, err := os.Stat(files[0]); err != nil || fi.Mode().Perm() != 0o600 {
				t.Fatalf("rollback file mode: %v %v", fi.Mode(), err)
			}
			if n := opsCount(t, st, "reviews", "status = ?", store.StatusPending); n != 0 {
				t.Fatalf("%d pending after clear", n)
			}
			if n := opsCount(t, st, "audit_log", "action = ? AND actor_name LIKE ?", store.AuditFlagsClear, "cli%"); n != 1 {
				t.Fatalf("%d flags.clear audit entries by the cli", n)
			}

			// Twice: nothing to clear, no new file.
			code, out, _ = opsRun(t, u, "flags", "clear", "--out", "second.json")
			if code != 0 || !strings.Contains(out, "nothing to clear") {
				t.Fatalf("second clear: %d %q", code, out)
			}
			if _, err := os.Stat("second.json"); !os.IsNotExist(err) {
				t.Fatal("second clear wrote a file")
			}
			// An existing file is never overwritten.
			code, _, errOut = opsRun(t, u, "flags", "clear", "--out", files[0])
			if code != 2 || !strings.Contains(errOut, "already exists") {
				t.Fatalf("clear onto an existing file: %d %q", code, errOut)
			}

			code, out, errOut = opsRun(t, u, "flags", "restore", files[0])
			if code != 0 || !strings.Contains(out, "restored 20 of 20 flags (0 were open already, 0 could not be restored)") {
				t.Fatalf("restore: %d %q %q", code, out, errOut)
			}
			if n := opsCount(t, st, "reviews", "status = ?", store.StatusPending); n != 20 {
				t.Fatalf("%d pending after restore", n)
			}
			if n := opsCount(t, st, "leads", "requires_human_review = ?", true); n != 20 {
				t.Fatalf("%d flagged leads after restore", n)
			}
			code, out, _ = opsRun(t, u, "flags", "restore", files[0])
			if code != 0 || !strings.Contains(out, "restored 0 of 20 flags (20 were open already") {
				t.Fatalf("second restore: %d %q", code, out)
			}

			for _, bad := range [][]string{{"flags"}, {"flags", "restore"}, {"flags", "restore", "missing.json"}, {"flags", "wipe"},
				{"flags", "clear", "--out", "no/such/folder/f.json"}, {"flags", "clear", "extra"}} {
				if code, _, errOut := opsRun(t, u, bad...); code != 2 || errOut == "" {
					t.Fatalf("%v: exit %d, %q", bad, code, errOut)
				}
			}
			if err := os.WriteFile("junk.json", []byte(`{"hello":1}`), 0o600); err != nil {
				t.Fatal(err)
			}
			if code, _, errOut := opsRun(t, u, "flags", "restore", "junk.json"); code != 1 || !strings.Contains(errOut, "not a complete reviewq rollback file") {
				t.Fatalf("junk file: exit %d, %q", code, errOut)
			}
		})
	}
}
