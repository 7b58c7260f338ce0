package main

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"reviewq/store"
	"reviewq/store/storetest"
	"reviewq/web/webtest"
)

// backupFixture: 30 leads (12 pending, 6 decided) and an operator whose
// password the test knows.
func backupFixture(t *testing.T, d store.Dialect) (string, *store.Store, *store.Operator) {
	t.Helper()
	u, st := opsDB(t, d, 30, 12, 6)
	op := storetest.Operator(t, st, "backup-op@example.com", store.RoleOperator)
	return u, st, op
}

// checkRestoredApp starts the real server on the restored database and does
// what an operator would after a restore: log in and see the queue.
func checkRestoredApp(t *testing.T, restored *store.Store, op *store.Operator, wantPending int) {
	t.Helper()
	if err := restored.CheckSchema(context.Background()); err != nil {
		t.Fatalf("restored schema: %v", err)
	}
	env := webtest.StartStore(t, restored)
	c := env.NewClient(t)
	c.Login(op.Email, storetest.Password(store.RoleOperator))
	r := c.Get("/dashboard/review-queue")
	if r.Status != http.StatusOK {
		t.Fatalf("queue page on the restored database: %d", r.Status)
	}
	m := regexp.MustCompile(`id="pending-count"[^>]*>(\d+)<`).FindStringSubmatch(r.Body)
	if m == nil || m[1] != fmt.Sprint(wantPending) {
		t.Fatalf("pending count on the restored queue: %v, want %d", m, wantPending)
	}
}

func TestBackupSQLiteAndRestore(t *testing.T) {
	u, st, op := backupFixture(t, store.SQLite)
	dir := t.TempDir()
	file := filepath.Join(dir, "reviewq-backup.db")

	code, out, errOut := opsRun(t, u, "backup", file)
	if code != 0 || !strings.Contains(out, "backup written to "+file) {
		t.Fatalf("backup: exit %d, %q %q", code, out, errOut)
	}
	if fi, err := os.Stat(file); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("backup file: %v", err)
	}
	// The live database changes after the backup; the copy does not.
	storetest.FlaggedLead(t, st, "after-backup", store.TypeRetry)

	code, _, errOut = opsRun(t, u, "backup", file)
	if code != 1 || !strings.Contains(errOut, "already exists") {
		t.Fatalf("second backup onto the same file: exit %d, %q", code, errOut)
	}
	if code, _, _ := opsRun(t, u, "backup"); code != 2 {
		t.Fatalf("backup without a file: exit %d", code)
	}
	if code, _, errOut := opsRun(t, u, "backup", filepath.Join(dir, "no", "such", "folder.db")); code != 1 || !strings.Contains(errOut, "does not exist") {
		t.Fatalf("backup into a missing folder: exit %d, %q", code, errOut)
	}

	// Restore as docs/operations.md says: copy the file into place.
	restoredPath := filepath.Join(t.TempDir(), "reviewq.db")
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(restoredPath, b, 0o600); err != nil {
		t.Fatal(err)
	}
	checkRestoredApp(t, storetest.OpenURL(t, "sqlite:"+restoredPath), op, 12)
}

// mysqlTool finds mariadb-dump/mysqldump (or mariadb/mysql) and the
// connection arguments for the test server.
func mysqlTool(t *testing.T, names ...string) string {
	t.Helper()
	for _, n := range names {
		if p, err := exec.LookPath(n); err == nil {
			return p
		}
	}
	if storetest.InCI() {
		t.Fatalf("none of %v is installed; CI must run the MariaDB backup test", names)
	}
	t.Skipf("MariaDB backup test skipped: none of %v is installed (apt-get install mariadb-client)", names)
	return ""
}

func mysqlArgs(t *testing.T, raw string) (args []string, db string, env []string) {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	port := u.Port()
	if port == "" {
		port = "3306"
	}
	args = []string{"--protocol=TCP", "-h", u.Hostname(), "-P", port, "-u", u.User.Username()}
	env = os.Environ()
	if pw, ok := u.User.Password(); ok {
		env = append(env, "MYSQL_PWD="+pw) // not on the command line, where ps would show it
	}
	return args, strings.TrimPrefix(u.Path, "/"), env
}

func TestBackupMariaDBWithDumpAndRestore(t *testing.T) {
	u, _, op := backupFixture(t, store.MySQL)
	dump := mysqlTool(t, "mariadb-dump", "mysqldump")
	client := mysqlTool(t, "mariadb", "mysql")

	// reviewq backup refuses MySQL and names the procedure.
	code, _, errOut := opsRun(t, u, "backup", filepath.Join(t.TempDir(), "x.db"))
	if code != 1 || !strings.Contains(errOut, "mysqldump --single-transaction") {
		t.Fatalf("backup on MySQL: exit %d, %q", code, errOut)
	}

	// The procedure of docs/operations.md.
	args, db, env := mysqlArgs(t, u)
	file := filepath.Join(t.TempDir(), "reviewq.sql")
	cmd := exec.Command(dump, append(args, "--single-transaction", "--routines", "--triggers", "--no-tablespaces", "--result-file="+file, db)...)
	cmd.Env = env
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v: %s", dump, err, out)
	}
	fresh := storetest.URL(t, store.MySQL)
	_, freshDB, _ := mysqlArgs(t, fresh)
	in, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	cmd = exec.Command(client, append(args, freshDB)...)
	cmd.Env, cmd.Stdin = env, in
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s < dump: %v: %s", client, err, out)
	}
	checkRestoredApp(t, storetest.OpenURL(t, fresh), op, 12)
}
