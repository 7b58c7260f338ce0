package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"time"

	_ "github.com/go-sql-driver/mysql" // creates the benchmark database when missing

	"reviewq/store"
)

const (
	benchEmail    = "bench-admin@reviewq.local"
	benchPassword = "bench-password-not-secret"
)

func loginEmail(i int) string { return fmt.Sprintf("bench-login-%03d@reviewq.local", i) }

// Run prepares the data set and the server and runs every scenario.
func Run(ctx context.Context, o Options, scale string) ([]Result, error) {
	if err := ensureDatabase(ctx, o.DatabaseURL); err != nil {
		return nil, err
	}
	st, err := store.Open(ctx, o.DatabaseURL, store.Options{})
	if err != nil {
		return nil, err
	}
	defer st.Close()
	if _, err := st.MigrateUp(ctx); err != nil {
		return nil, err
	}
	if err := prepareData(ctx, o, st); err != nil {
		return nil, err
	}
	if _, err := st.GetOperatorByEmail(ctx, benchEmail); errors.Is(err, store.ErrNotFound) {
		if _, err := st.CreateOperator(ctx, store.SystemActor, "", store.NewOperator{Email: benchEmail, Name: "Bench Admin", Role: store.RoleAdmin, Password: benchPassword}); err != nil {
			return nil, err
		}
	} else if err != nil {
		return nil, err
	}
	for i := 0; i < o.LoginAccounts; i++ {
		if _, err := st.GetOperatorByEmail(ctx, loginEmail(i)); errors.Is(err, store.ErrNotFound) {
			if _, err := st.CreateOperator(ctx, store.SystemActor, "", store.NewOperator{Email: loginEmail(i), Name: fmt.Sprintf("Bench Operator %d", i), Role: store.RoleOperator, Password: benchPassword}); err != nil {
				return nil, err
			}
		} else if err != nil {
			return nil, err
		}
	}
	_, token, err := st.CreateToken(ctx, store.SystemActor, "", "bench", store.Scopes)
	if err != nil {
		return nil, err
	}
	srv, err := startServer(ctx, o)
	if err != nil {
		return nil, err
	}
	defer srv.stop()
	sess, err := login(srv.URL)
	if err != nil {
		return nil, err
	}
	// The data set as the scenarios find it (approve then consumes pending).
	size, err := st.MeasureDataset(ctx)
	if err != nil {
		return nil, err
	}
	env := &benchEnv{o: o, st: st, srv: srv, token: token, session: sess}
	results, err := env.runScenarios(ctx)
	if err != nil {
		return nil, err
	}
	return results, report(o, scale, size, results)
}

// ensureDatabase creates the MySQL database of the URL when it is missing.
func ensureDatabase(ctx context.Context, raw string) error {
	if !strings.HasPrefix(raw, "mysql://") {
		return nil
	}
	u, err := url.Parse(raw)
	if err != nil {
		return err
	}
	name := strings.TrimPrefix(u.Path, "/")
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_') {
			return fmt.Errorf("database name %q: use a-z, 0-9 and _", name)
		}
	}
	pw, _ := u.User.Password()
	db, err := sql.Open("mysql", fmt.Sprintf("%s:%s@tcp(%s)/", u.User.Username(), pw, u.Host))
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, "CREATE DATABASE IF NOT EXISTS "+name+" CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"); err != nil {
		return fmt.Errorf("create database %s: %w", name, err)
	}
	// Debian's MariaDB starts with a 128 MiB buffer pool, far less than a
	// million leads and their indexes: every read would go to disk and the
	// benchmark would measure the disk. Raise it for this server's lifetime
	// (not persisted) when allowed, and say so.
	var pool int64
	if err := db.QueryRowContext(ctx, "SELECT @@innodb_buffer_pool_size").Scan(&pool); err == nil && pool < 1<<30 {
		if _, err := db.ExecContext(ctx, "SET GLOBAL innodb_buffer_pool_size = 2147483648"); err != nil {
			fmt.Fprintf(os.Stderr, "warning: innodb_buffer_pool_size is %d MiB and could not be raised (%v); reads will hit the disk\n", pool>>20, err)
		} else {
			fmt.Fprintf(os.Stderr, "note: raised innodb_buffer_pool_size from %d MiB to 2048 MiB until the MariaDB server restarts\n", pool>>20)
		}
	}
	return nil
}

// prepareData reuses what the database holds and adds what is missing.
func prepareData(ctx context.Context, o Options, st *store.Store) error {
	size, err := st.MeasureDataset(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(o.Log, "data set: %d leads, %d pending, %d decided (want %d / %d / %d)\n", size.Leads, size.Pending, size.Decided, o.Leads, o.Pending, o.Decided)
	seed := func(leads, decided int) error {
		start, last := time.Now(), time.Now()
		err := st.Seed(ctx, store.SeedOptions{Leads: leads, Decided: decided, Prefix: fmt.Sprintf("bench-%d", time.Now().UnixNano()),
			Progress: func(done int) {
				if time.Since(last) > 10*time.Second {
					fmt.Fprintf(o.Log, "  seeded %d of %d leads\n", done, leads)
					last = time.Now()
				}
			}})
		if err == nil {
			fmt.Fprintf(o.Log, "seeded %d leads (%d with a decided review and its history) in %s\n", leads, decided, time.Since(start).Round(time.Second))
		}
		return err
	}
	if add := o.Leads - int(size.Leads); add > 0 {
		if err := seed(add, max(0, min(add, o.Decided-int(size.Decided)))); err != nil {
			return err
		}
		size, err = st.MeasureDataset(ctx)
		if err != nil {
			return err
		}
	}
	if add := o.Decided - int(size.Decided); add > 0 {
		if err := seed(add, add); err != nil {
			return err
		}
	}
	return st.TopUpPending(ctx, o.Pending)
}

type server struct {
	URL      string
	PprofURL string
	cmd      *exec.Cmd
}

func freePort() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// startServer runs `reviewq serve` as its own process and waits until it
// answers /readyz.
func startServer(ctx context.Context, o Options) (*server, error) {
	addr, err := freePort()
	if err != nil {
		return nil, err
	}
	secret := make([]byte, 32)
	_, _ = rand.Read(secret)
	cmd := exec.Command(o.Binary, "serve")
	pprofAddr, err := freePort()
	if err != nil {
		return nil, err
	}
	cmd.Env = append(os.Environ(), "REVIEWQ_DATABASE_URL="+o.DatabaseURL, "REVIEWQ_ADDR="+addr,
		"REVIEWQ_SESSION_SECRET="+hex.EncodeToString(secret), "REVIEWQ_LOG_LEVEL=warn", "REVIEWQ_PPROF_ADDR="+pprofAddr, "REVIEWQ_TRUSTED_PROXIES=127.0.0.1")
	cmd.Stdout, cmd.Stderr = o.Log, o.Log
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w (run make build first)", o.Binary, err)
	}
	s := &server{URL: "http://" + addr, PprofURL: "http://" + pprofAddr, cmd: cmd}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(s.URL + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return s, nil
			}
		}
		select {
		case <-ctx.Done():
			s.stop()
			return nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	s.stop()
	return nil, errors.New("the server did not become ready in 30 s")
}

func (s *server) stop() {
	if s.cmd.Process != nil {
		_ = s.cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = s.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = s.cmd.Process.Kill()
		}
	}
}

// peakRSS is the server's high-water resident set size in MB (VmHWM).
func (s *server) peakRSS() float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			var kb float64
			fmt.Sscanf(strings.TrimSpace(strings.TrimPrefix(line, "VmHWM:")), "%f", &kb)
			return kb / 1024
		}
	}
	return 0
}
