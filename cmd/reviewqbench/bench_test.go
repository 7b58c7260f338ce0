package main

import (
	"bytes"
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestBenchEndToEndTiny runs the real benchmark — seed, separate server
// process, login, token, every scenario — on a tiny SQLite data set. It
// checks the shape (every scenario ran without errors, approvals exactly
// once), never the speed.
func TestBenchEndToEndTiny(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the server binary")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "reviewq")
	build := exec.Command("go", "build", "-o", bin, "reviewq/cmd/reviewq")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	var out, log bytes.Buffer
	o := Options{
		DatabaseURL: "sqlite:" + filepath.Join(dir, "bench.db"), Binary: bin,
		Leads: 600, Pending: 120, Decided: 80, Concurrency: 4, LoginAccounts: 3,
		Duration: 300 * time.Millisecond, Warmup: 50 * time.Millisecond,
		ResultsDir: filepath.Join(dir, "results"), Out: &out, Log: &log,
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	results, err := Run(ctx, o, "tiny")
	if err != nil {
		t.Fatalf("bench: %v\nlog:\n%s", err, log.String())
	}
	table := out.String()
	if len(results) != len((&benchEnv{}).scenarios()) {
		t.Errorf("%d scenarios ran:\n%s", len(results), table)
	}
	for _, r := range results {
		if r.Requests == 0 || r.Errors != 0 {
			t.Errorf("%s: %d requests, %d errors (%v)", r.Name, r.Requests, r.Errors, r.Codes)
		}
		if strings.HasPrefix(r.Name, "approve") && (r.Requests != 120 || strings.Contains(r.Note, "NOT")) {
			t.Errorf("approve was not exactly once: %s", r.Note)
		}
	}
	files, _ := filepath.Glob(filepath.Join(o.ResultsDir, "*.txt"))
	if len(files) != 1 {
		t.Errorf("results file: %v", files)
	}
	t.Logf("\n%s", table)
}
