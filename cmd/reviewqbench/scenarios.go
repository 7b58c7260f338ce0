package main

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"reviewq/store"
)

type benchEnv struct {
	o       Options
	st      *store.Store
	srv     *server
	token   string
	session *session
}

// scenario is one measured workload. targets returns a fresh targeter for
// each run; once means each target is used once (the run ends with them).
type scenario struct {
	name    string
	targets func(ctx context.Context) (vegeta.Targeter, error)
	once    bool
	// conns, when set, replaces -c for this scenario.
	conns int
}

// Result is one row of the table.
type Result struct {
	Name     string
	Requests uint64
	RPS      float64
	P50      time.Duration
	P95      time.Duration
	P99      time.Duration
	Max      time.Duration
	Errors   uint64
	Codes    map[string]int
	PeakRSS  float64
	Note     string
}

func (e *benchEnv) header(kind string) http.Header {
	h := http.Header{}
	switch kind {
	case "token":
		h.Set("Authorization", "Bearer "+e.token)
	case "session", "htmx":
		h.Set("Cookie", e.session.Cookie)
		if kind == "htmx" {
			h.Set("HX-Request", "true")
		}
	}
	return h
}

// roundRobin cycles through fixed targets.
func roundRobin(ts []vegeta.Target) vegeta.Targeter {
	var i atomic.Uint64
	return func(t *vegeta.Target) error {
		n := i.Add(1) - 1
		*t = ts[n%uint64(len(ts))]
		return nil
	}
}

// eachOnce hands out each target once, then ends the attack.
func eachOnce(ts []vegeta.Target) vegeta.Targeter {
	var i atomic.Uint64
	return func(t *vegeta.Target) error {
		n := i.Add(1) - 1
		if n >= uint64(len(ts)) {
			return vegeta.ErrNoTargets
		}
		*t = ts[n]
		return nil
	}
}

var nextPageRe = regexp.MustCompile(`hx-get="(/dashboard/review-queue/rows\?[^"]+)"`)

func (e *benchEnv) get(path, kind string) (string, int, error) {
	req, _ := http.NewRequest(http.MethodGet, e.srv.URL+path, nil)
	req.Header = e.header(kind)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", 0, err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b), resp.StatusCode, nil
}

func (e *benchEnv) scenarios() []scenario {
	static := func(method, path, kind string, body []byte) func(context.Context) (vegeta.Targeter, error) {
		return func(context.Context) (vegeta.Targeter, error) {
			return roundRobin([]vegeta.Target{{Method: method, URL: e.srv.URL + path, Header: e.header(kind), Body: body}}), nil
		}
	}
	batch := func(ctx context.Context) (vegeta.Targeter, error) {
		ids, err := e.st.SampleLeadIDs(ctx, 1000)
		if err != nil {
			return nil, err
		}
		body, _ := json.Marshal(map[string]any{"lead_ids": ids})
		h := e.header("token")
		h.Set("Content-Type", "application/json")
		return roundRobin([]vegeta.Target{{Method: "POST", URL: e.srv.URL + "/api/v1/outreach/eligibility", Header: h, Body: body}}), nil
	}
	return []scenario{
		{name: "queue page (50 rows, HTML)", targets: static("GET", "/dashboard/review-queue", "session", nil)},
		{name: "queue next page (htmx partial)", targets: func(context.Context) (vegeta.Targeter, error) {
			page, _, err := e.get("/dashboard/review-queue", "session")
			if err != nil {
				return nil, err
			}
			m := nextPageRe.FindStringSubmatch(page)
			if m == nil {
				return nil, fmt.Errorf("no next-page link on the queue page")
			}
			return static("GET", html.UnescapeString(m[1]), "htmx", nil)(nil)
		}},
		{name: "API tasks, limit 50", targets: static("GET", "/api/v1/review-queue/tasks?limit=50", "token", nil)},
		{name: "API stats", targets: static("GET", "/api/v1/review-queue/stats", "token", nil)},
		{name: "eligibility, single", targets: func(ctx context.Context) (vegeta.Targeter, error) {
			ids, err := e.st.SampleLeadIDs(ctx, 5000)
			if err != nil {
				return nil, err
			}
			ts := make([]vegeta.Target, len(ids))
			for i, id := range ids {
				ts[i] = vegeta.Target{Method: "GET", URL: fmt.Sprintf("%s/api/v1/leads/%d/eligibility", e.srv.URL, id), Header: e.header("token")}
			}
			return roundRobin(ts), nil
		}},
		{name: "eligibility, batch of 1,000", targets: batch},
		// A hundred batches at once keep both cores busy with a hundred
		// thousand lookups in flight, so their latency is queueing; this is
		// the latency an engine sees with a few workers.
		{name: "eligibility, batch of 1,000, 4 conns", targets: batch, conns: 4},
		{name: "approve (each task once)", once: true, targets: func(ctx context.Context) (vegeta.Targeter, error) {
			if err := e.st.TopUpPending(ctx, e.o.Pending); err != nil {
				return nil, err
			}
			ids, err := e.st.PendingIDs(ctx, e.o.Pending)
			if err != nil {
				return nil, err
			}
			h := e.header("token")
			h.Set("Content-Type", "application/json")
			ts := make([]vegeta.Target, len(ids))
			for i, id := range ids {
				ts[i] = vegeta.Target{Method: "POST", URL: fmt.Sprintf("%s/api/v1/review-queue/tasks/%d/approve", e.srv.URL, id), Header: h, Body: []byte(`{"notes":"bench"}`)}
			}
			return eachOnce(ts), nil
		}},
		// The leads page's search as htmx asks for it: a page of 50 by the
		// start of a name, an email or a company, in turn.
		{name: "leads search (htmx partial)", targets: func(context.Context) (vegeta.Targeter, error) {
			var ts []vegeta.Target
			for _, q := range []string{"field=name&q=ana", "field=email&q=ben.", "field=company&q=acme", "field=name&q=zoe+z", "field=external_id&q=bench-"} {
				ts = append(ts, vegeta.Target{Method: "GET", URL: e.srv.URL + "/dashboard/leads?" + q, Header: e.header("htmx")})
			}
			return roundRobin(ts), nil
		}},
		{name: "stats page, 30 days", targets: static("GET", "/dashboard/stats?range=30d", "session", nil)},
		{name: "login (bounded hashing)", targets: func(context.Context) (vegeta.Targeter, error) {
			jarless := &http.Client{}
			req, _ := http.NewRequest(http.MethodGet, e.srv.URL+"/login", nil)
			resp, err := jarless.Do(req)
			if err != nil {
				return nil, err
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			m := csrfInput.FindSubmatch(b)
			if m == nil {
				return nil, fmt.Errorf("no CSRF token on the login page")
			}
			var cookies []string
			for _, c := range resp.Cookies() {
				cookies = append(cookies, c.Name+"="+c.Value)
			}
			// Many people from many addresses, as in real use: one account
			// and one address would be (rightly) throttled as a guessing
			// attack. The addresses are documentation ones, sent as
			// X-Forwarded-For to a server that trusts loopback as its proxy.
			ts := make([]vegeta.Target, e.o.LoginAccounts)
			for i := range ts {
				h := http.Header{}
				h.Set("Cookie", strings.Join(cookies, "; "))
				h.Set("Content-Type", "application/x-www-form-urlencoded")
				h.Set("X-Forwarded-For", fmt.Sprintf("198.51.100.%d", i+1))
				form := url.Values{"email": {loginEmail(i)}, "password": {benchPassword}, "csrf": {html.UnescapeString(string(m[1]))}}
				ts[i] = vegeta.Target{Method: "POST", URL: e.srv.URL + "/login", Header: h, Body: []byte(form.Encode())}
			}
			return roundRobin(ts), nil
		}},
	}
}

// attack runs one scenario for d (or until its targets run out).
func (e *benchEnv) attack(ctx context.Context, sc scenario, d time.Duration) (*vegeta.Metrics, error) {
	tr, err := sc.targets(ctx)
	if err != nil {
		return nil, err
	}
	conns := e.o.Concurrency
	if sc.conns > 0 {
		conns = sc.conns
	}
	atk := vegeta.NewAttacker(
		vegeta.Workers(uint64(conns)), vegeta.MaxWorkers(uint64(conns)),
		vegeta.Connections(conns), vegeta.MaxConnections(conns),
		vegeta.KeepAlive(true), vegeta.Redirects(vegeta.NoFollow), vegeta.Timeout(30*time.Second),
	)
	var m vegeta.Metrics
	rate := vegeta.Rate{Freq: 0} // as fast as the workers go
	done := make(chan struct{})
	go func() {
		select {
		case <-ctx.Done():
			atk.Stop()
		case <-done:
		}
	}()
	for res := range atk.Attack(tr, rate, d, sc.name) {
		// A targeter that ran out ends the attack with one non-request.
		if res.Error == vegeta.ErrNoTargets.Error() {
			continue
		}
		m.Add(res)
	}
	close(done)
	m.Close()
	return &m, ctx.Err()
}

func (e *benchEnv) runScenarios(ctx context.Context) ([]Result, error) {
	var out []Result
	for _, sc := range e.scenarios() {
		if !selected(sc.name, e.o.Only) {
			continue
		}
		fmt.Fprintf(e.o.Log, "scenario: %s\n", sc.name)
		if !sc.once && e.o.Warmup > 0 {
			if _, err := e.attack(ctx, sc, e.o.Warmup); err != nil {
				return out, err
			}
		}
		d := e.o.Duration
		if sc.once {
			d = 0 // until every target was used once
		}
		var prof chan string
		if e.o.Profile != "" && strings.Contains(sc.name, e.o.Profile) {
			prof = make(chan string, 1)
			go func() { prof <- e.profile(d) }()
		}
		m, err := e.attack(ctx, sc, d)
		if err != nil {
			return out, fmt.Errorf("%s: %w", sc.name, err)
		}
		if prof != nil {
			fmt.Fprint(e.o.Log, <-prof)
		}
		r := Result{Name: sc.name, Requests: m.Requests, RPS: m.Throughput, P50: m.Latencies.P50, P95: m.Latencies.P95,
			P99: m.Latencies.P99, Max: m.Latencies.Max, Codes: m.StatusCodes, PeakRSS: e.srv.peakRSS()}
		if m.Duration > 0 {
			r.RPS = float64(m.Requests) / (m.Duration + m.Wait).Seconds()
		}
		for code, n := range m.StatusCodes {
			if code == "0" || code[0] == '4' || code[0] == '5' {
				r.Errors += uint64(n)
			}
		}
		if sc.once {
			if err := e.checkExactlyOnce(ctx, &r); err != nil {
				return out, err
			}
		}
		out = append(out, r)
	}
	return out, nil
}

// checkExactlyOnce verifies the approve scenario decided every task once.
func (e *benchEnv) checkExactlyOnce(ctx context.Context, r *Result) error {
	left, err := e.st.PendingIDs(ctx, 1)
	if err != nil {
		return err
	}
	ok := r.Codes["200"]
	r.Note = fmt.Sprintf("%d decided with 200", ok)
	if len(left) > 0 || uint64(ok) != r.Requests {
		r.Note += fmt.Sprintf("; NOT exactly once: %d requests, %d left pending", r.Requests, len(left))
	}
	return nil
}

// profile takes a CPU profile of the server for about d and returns the
// top of `go tool pprof -top`, saving the profile beside the results.
func (e *benchEnv) profile(d time.Duration) string {
	secs := max(1, int(d.Seconds())-1)
	if d == 0 {
		secs = 5
	}
	resp, err := http.Get(fmt.Sprintf("%s/debug/pprof/profile?seconds=%d", e.srv.PprofURL, secs))
	if err != nil {
		return fmt.Sprintf("profile: %v\n", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	dir := e.o.ResultsDir
	if dir == "" {
		dir = os.TempDir()
	}
	_ = os.MkdirAll(dir, 0o755)
	path := filepath.Join(dir, "cpu-"+time.Now().UTC().Format("20060102-150405")+".pprof")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		return fmt.Sprintf("profile: %v\n", err)
	}
	top, err := exec.Command("go", "tool", "pprof", "-top", "-nodecount=25", e.o.Binary, path).CombinedOutput()
	if err != nil {
		return fmt.Sprintf("profile saved to %s (pprof: %v)\n", path, err)
	}
	return fmt.Sprintf("CPU profile saved to %s\n%s\n", path, top)
}

// selected reports whether a scenario is picked by -only: empty picks all,
// else any of its comma-separated parts that the name contains.
func selected(name, only string) bool {
	if only == "" {
		return true
	}
	for _, part := range strings.Split(only, ",") {
		if part != "" && strings.Contains(name, part) {
			return true
		}
	}
	return false
}
