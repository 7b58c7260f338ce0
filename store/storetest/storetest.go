// Package storetest gives tests a fresh, migrated database of each dialect:
// a temporary SQLite file, or a new database on the MySQL/MariaDB server
// named by REVIEWQ_TEST_MYSQL_URL (dropped when the test ends).
package storetest

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	_ "github.com/go-sql-driver/mysql" // the admin connection that creates test databases

	"reviewq/store"
)

// InCI reports whether the tests run under CI, where every service must be
// there: a missing one fails the run instead of skipping.
func InCI() bool { return os.Getenv("CI") == "true" }

// Dialects lists the dialects a test should run on.
var Dialects = []store.Dialect{store.SQLite, store.MySQL}

var dbCounter atomic.Int64

// MySQLURL returns the server URL for tests, skipping (or failing in CI)
// when it is not set or not answering.
func MySQLURL(t testing.TB) string {
	t.Helper()
	raw := os.Getenv("REVIEWQ_TEST_MYSQL_URL")
	if raw == "" {
		if InCI() {
			t.Fatal("REVIEWQ_TEST_MYSQL_URL is not set; CI must run the MariaDB tests")
		}
		t.Skip("MariaDB tests skipped: REVIEWQ_TEST_MYSQL_URL is not set")
	}
	return raw
}

// URL returns a database URL of a fresh, empty database of dialect d.
func URL(t testing.TB, d store.Dialect) string {
	t.Helper()
	switch d {
	case store.SQLite:
		return "sqlite:" + filepath.Join(t.TempDir(), "reviewq.db")
	case store.MySQL:
		base := MySQLURL(t)
		u, err := url.Parse(base)
		if err != nil {
			t.Fatalf("REVIEWQ_TEST_MYSQL_URL: %v", err)
		}
		name := fmt.Sprintf("rq_test_%d_%d_%d", os.Getpid(), time.Now().UnixNano()%1e9, dbCounter.Add(1))
		admin := adminDB(t, u)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name+" CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"); err != nil {
			t.Fatalf("create test database: %v", err)
		}
		t.Cleanup(func() {
			_, _ = admin.ExecContext(context.Background(), "DROP DATABASE IF EXISTS "+name)
			_ = admin.Close()
		})
		u.Path = "/" + name
		return u.String()
	}
	t.Fatalf("unknown dialect %q", d)
	return ""
}

func adminDB(t testing.TB, u *url.URL) *sql.DB {
	t.Helper()
	pw, _ := u.User.Password()
	dsn := fmt.Sprintf("%s:%s@tcp(%s)/?parseTime=true&timeout=3s", u.User.Username(), pw, u.Host)
	db, err := sql.Open("mysql", dsn)
	if err != nil {
		t.Fatalf("mysql: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := db.PingContext(ctx); err != nil {
		_ = db.Close()
		if InCI() {
			t.Fatalf("MariaDB at %s is unreachable in CI: %v", u.Host, err)
		}
		t.Skipf("MariaDB tests skipped: %s is not answering (%v)", u.Host, err)
	}
	return db
}

// Open returns a fresh migrated store of dialect d, closed when the test ends.
func Open(t testing.TB, d store.Dialect) *store.Store {
	t.Helper()
	return OpenWith(t, d, store.Options{})
}

// OpenWith is Open with options (lifetimes, limits) other than the defaults.
func OpenWith(t testing.TB, d store.Dialect, opt store.Options) *store.Store {
	t.Helper()
	st := OpenURLWith(t, URL(t, d), opt)
	if _, err := st.MigrateUp(context.Background()); err != nil {
		t.Fatalf("migrate up: %v", err)
	}
	return st
}

// OpenURL opens (without migrating) the database at raw.
func OpenURL(t testing.TB, raw string) *store.Store {
	t.Helper()
	return OpenURLWith(t, raw, store.Options{})
}

// SecretKey is the key material test stores seal secrets with, as the
// server's REVIEWQ_SESSION_SECRET does.
var SecretKey = []byte("test-key-material-of-at-least-32-bytes")

// OpenURLWith is OpenURL with options (and SecretKey unless given).
func OpenURLWith(t testing.TB, raw string, opt store.Options) *store.Store {
	t.Helper()
	if opt.SecretKey == nil {
		opt.SecretKey = SecretKey
	}
	st, err := store.Open(context.Background(), raw, opt)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}

// Each runs fn as a subtest once per dialect.
func Each(t *testing.T, fn func(t *testing.T, st *store.Store)) {
	for _, d := range Dialects {
		t.Run(string(d), func(t *testing.T) {
			fn(t, Open(t, d))
		})
	}
}

// Operator creates an account with a known password ("password-" + role).
func Operator(t testing.TB, st *store.Store, email, role string) *store.Operator {
	t.Helper()
	op, err := st.CreateOperator(context.Background(), store.SystemActor, "", store.NewOperator{
		Email: email, Name: strings.Split(email, "@")[0], Role: role, Password: Password(role)})
	if err != nil {
		t.Fatalf("create operator: %v", err)
	}
	return op
}

// Password is the password Operator gives an account of role.
func Password(role string) string { return "password-" + role }

// FlaggedLead creates a lead and flags it, returning the open review.
func FlaggedLead(t testing.TB, st *store.Store, ext, typ string) *store.Review {
	t.Helper()
	ctx := context.Background()
	name, company, email := "Lead "+ext, "Company "+ext, ext+"@example.com"
	score := 50
	lead, _, err := st.UpsertLead(ctx, store.LeadInput{ExternalID: ext, Name: &name, Company: &company, Email: &email, Score: &score})
	if err != nil {
		t.Fatalf("upsert lead: %v", err)
	}
	res, err := st.Flag(ctx, lead.ID, store.FlagInput{ReviewType: typ, Reason: "test reason", Source: store.SourceAPI}, store.SystemActor)
	if err != nil {
		t.Fatalf("flag: %v", err)
	}
	return res.Review
}

// Columns lists each table's columns, sorted, as the database describes
// them (goose's own table left out): the schema a migration left.
func Columns(t testing.TB, st *store.Store) map[string][]string {
	t.Helper()
	var rows []struct{ T, C string }
	var err error
	switch st.Dialect {
	case store.SQLite:
		err = st.DB.Raw(`SELECT m.name AS t, p.name AS c FROM sqlite_master m JOIN pragma_table_info(m.name) p
			WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name <> 'goose_db_version'`).Scan(&rows).Error
	case store.MySQL:
		err = st.DB.Raw(`SELECT table_name AS t, column_name AS c FROM information_schema.columns
			WHERE table_schema = DATABASE() AND table_name <> 'goose_db_version'`).Scan(&rows).Error
	}
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	for _, r := range rows {
		out[strings.ToLower(r.T)] = append(out[strings.ToLower(r.T)], strings.ToLower(r.C))
	}
	for k := range out {
		sort.Strings(out[k])
	}
	return out
}

// Deadlock makes InnoDB pick the transaction that run starts as a deadlock
// victim (error 1213), on MySQL: a second connection locks the review, waits
// until run's transaction locked the lead (and so waits for the review),
// then asks for the lead. Having written more rows (its ballast), the second
// connection survives; the victim's transaction is rolled back. The second
// connection then runs then (if not nil) with the lead and review locked,
// and commits. Deadlock returns when run returned.
func Deadlock(t testing.TB, st *store.Store, leadID, reviewID int64, run func(), then func(tx *sql.Tx)) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var dbName string
	if err := st.SQL.QueryRowContext(ctx, "SELECT DATABASE()").Scan(&dbName); err != nil {
		t.Fatal(err)
	}
	if _, err := st.SQL.ExecContext(ctx, "CREATE TABLE IF NOT EXISTS deadlock_ballast (id INT AUTO_INCREMENT PRIMARY KEY, v INT)"); err != nil {
		t.Fatal(err)
	}
	tx, err := st.SQL.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback() }()
	for range 20 {
		if _, err := tx.ExecContext(ctx, "INSERT INTO deadlock_ballast (v) VALUES (1), (2), (3), (4), (5)"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := tx.ExecContext(ctx, "SELECT id FROM reviews WHERE id = ? FOR UPDATE", reviewID); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer close(done); run() }()
	// Wait until run's transaction holds the lead (and so waits for the
	// review, or is about to): a try to lock the lead without waiting fails.
	for deadline := time.Now().Add(10 * time.Second); ; {
		if _, err := st.SQL.ExecContext(ctx, "SELECT id FROM leads WHERE id = ? FOR UPDATE NOWAIT", leadID); err != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the transaction under test never locked the lead")
		}
		select {
		case <-done:
			t.Fatal("the code under test returned before it locked the lead")
		case <-time.After(5 * time.Millisecond):
		}
	}
	if _, err := tx.ExecContext(ctx, "SELECT id FROM leads WHERE id = ? FOR UPDATE", leadID); err != nil {
		t.Fatalf("the ballasted transaction was the deadlock victim: %v", err)
	}
	if then != nil {
		then(tx)
	}
	if _, err := tx.ExecContext(ctx, "DELETE FROM deadlock_ballast"); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	<-done
}
