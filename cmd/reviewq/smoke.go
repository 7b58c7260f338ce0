package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"
)

// errSmokeFailed makes the exit code non-zero; the lines above say why.
var errSmokeFailed = errors.New("smoke test failed")

// smokeCheck is one check of the deployment plan's smoke test.
type smokeCheck struct {
	name   string
	path   string
	token  bool
	status int
	// body, if set, checks the decoded JSON answer.
	body func(map[string]any) error
}

func smokeChecks() []smokeCheck {
	hasKey := func(key string) func(map[string]any) error {
		return func(m map[string]any) error {
			if _, ok := m[key]; !ok {
				return fmt.Errorf("no %q in the answer", key)
			}
			return nil
		}
	}
	return []smokeCheck{
		{name: "health", path: "/healthz", status: http.StatusOK, body: func(m map[string]any) error {
			if m["status"] != "ok" {
				return fmt.Errorf("status is %v, want ok", m["status"])
			}
			return nil
		}},
		{name: "readiness", path: "/readyz", status: http.StatusOK, body: func(m map[string]any) error {
			if m["status"] != "ready" {
				return fmt.Errorf("status is %v (%v), want ready", m["status"], m["reason"])
			}
			return nil
		}},
		{name: "stats", path: "/api/v1/review-queue/stats", token: true, status: http.StatusOK, body: hasKey("total_pending")},
		{name: "tasks", path: "/api/v1/review-queue/tasks?limit=1", token: true, status: http.StatusOK, body: hasKey("tasks")},
		{name: "auth refused without a token", path: "/api/v1/review-queue/stats", status: http.StatusUnauthorized, body: hasKey("error")},
	}
}

// cmdSmoke runs the smoke checks against a running instance (or the load
// balancer in front of several), one PASS/FAIL line per check.
func cmdSmoke(ctx context.Context, env *Env, args []string) error {
	fs := flag.NewFlagSet("smoke", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	base := fs.String("url", "", "base URL of the instance, e.g. https://reviewq.example.com")
	token := fs.String("token", "", "API token with the queue:read scope (or set REVIEWQ_SMOKE_TOKEN)")
	timeout := fs.Duration("timeout", 10*time.Second, "time allowed for each request")
	if err := fs.Parse(args); err != nil {
		return usagef("%v", err)
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	if *token == "" {
		*token = os.Getenv("REVIEWQ_SMOKE_TOKEN")
	}
	u, err := url.Parse(*base)
	if *base == "" || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return usagef("--url must be the instance's http:// or https:// address")
	}
	if *token == "" {
		return usagef("--token (or REVIEWQ_SMOKE_TOKEN) must be an API token with the queue:read scope")
	}
	client := &http.Client{Timeout: *timeout, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse // a redirect to /login is a failure, not a page
	}}
	root := strings.TrimRight(u.String(), "/")
	failed := 0
	checks := smokeChecks()
	for _, c := range checks {
		start := time.Now()
		status, err := smokeOne(ctx, client, root, c, *token)
		took := time.Since(start).Round(time.Millisecond)
		what := fmt.Sprintf("%-30s GET %s", c.name, c.path)
		if err != nil {
			failed++
			fmt.Fprintf(env.Stdout, "FAIL  %s: %v (%s)\n", what, err, took)
			continue
		}
		fmt.Fprintf(env.Stdout, "PASS  %s -> %d (%s)\n", what, status, took)
	}
	if failed > 0 {
		fmt.Fprintf(env.Stdout, "smoke: %d of %d checks failed against %s\n", failed, len(checks), root)
		return errSmokeFailed
	}
	fmt.Fprintf(env.Stdout, "smoke: all %d checks passed against %s\n", len(checks), root)
	return nil
}

func smokeOne(ctx context.Context, client *http.Client, root string, c smokeCheck, token string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, root+c.path, nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Accept", "application/json")
	if c.token {
		req.Header.Set("Authorization", "Bearer "+token)
	} else if c.path == "/readyz" && os.Getenv("REVIEWQ_METRICS_TOKEN") != "" {
		// Beyond loopback /readyz needs the metrics token.
		req.Header.Set("Authorization", "Bearer "+os.Getenv("REVIEWQ_METRICS_TOKEN"))
	}
	resp, err := client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return 0, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return resp.StatusCode, fmt.Errorf("read answer: %w", err)
	}
	if resp.StatusCode != c.status {
		if c.path == "/readyz" && (resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusUnauthorized) {
			return resp.StatusCode, fmt.Errorf("status %d: an instance listening beyond loopback serves /readyz only with REVIEWQ_METRICS_TOKEN (set it here too) or on REVIEWQ_METRICS_ADDR", resp.StatusCode)
		}
		return resp.StatusCode, fmt.Errorf("status %d, want %d%s", resp.StatusCode, c.status, smokeErrorText(raw))
	}
	if c.body != nil {
		var m map[string]any
		if err := json.Unmarshal(raw, &m); err != nil {
			return resp.StatusCode, fmt.Errorf("answer is not a JSON object")
		}
		if err := c.body(m); err != nil {
			return resp.StatusCode, err
		}
	}
	return resp.StatusCode, nil
}

// smokeErrorText adds the API's error message, if the answer has one.
func smokeErrorText(raw []byte) string {
	var e struct {
		Error struct{ Message string } `json:"error"`
	}
	if json.Unmarshal(raw, &e) == nil && e.Error.Message != "" {
		return ": " + e.Error.Message
	}
	return ""
}
