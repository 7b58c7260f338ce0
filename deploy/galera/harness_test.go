package galera_test

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/go-sql-driver/mysql"
)

// Ports of the harness, all on 127.0.0.1 (cluster.sh has the nodes' own).
const (
	nodes         = 3
	firstNodePort = 13306 // node N listens on 13305+N
	firstAppPort  = 13081 // reviewq instance N (on node N) on 13080+N; 13084 goes through HAProxy
	proxyAppPort  = 13084
	haproxyPort   = 13406 // HAProxy's MySQL frontend
	sessionSecret = "cluster-test-secret-cluster-test-secret-0123"
)

func nodePort(n int) int { return firstNodePort + n - 1 }

// cluster drives deploy/galera/cluster.sh for one test run.
type cluster struct {
	t      *testing.T
	dir    string
	script string
}

func (c *cluster) run(args ...string) (string, error) {
	cmd := exec.Command(c.script, args...)
	cmd.Env = append(os.Environ(), "GALERA_DIR="+c.dir)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func (c *cluster) must(args ...string) {
	c.t.Helper()
	start := time.Now()
	out, err := c.run(args...)
	if err != nil {
		c.t.Fatalf("cluster.sh %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	c.t.Logf("cluster.sh %s (%s): %s", strings.Join(args, " "), time.Since(start).Round(100*time.Millisecond), strings.TrimSpace(out))
}

// db opens node n's reviewq database with causal reads: a query waits
// until the node has applied everything the cluster committed before it.
func (c *cluster) db(n int) *sql.DB {
	c.t.Helper()
	db, err := sql.Open("mysql", fmt.Sprintf("root@tcp(127.0.0.1:%d)/reviewq?parseTime=true&timeout=5s&wsrep_sync_wait=1", nodePort(n)))
	if err != nil {
		c.t.Fatal(err)
	}
	db.SetMaxOpenConns(2)
	c.t.Cleanup(func() { db.Close() })
	return db
}

// wsrepCounters reads the conflict counters of node n (they start at zero
// when the node starts).
func wsrepCounters(db *sql.DB) (certFailures, bfAborts int64, err error) {
	rows, err := db.Query("SHOW GLOBAL STATUS WHERE Variable_name IN ('wsrep_local_cert_failures','wsrep_local_bf_aborts')")
	if err != nil {
		return 0, 0, err
	}
	defer rows.Close()
	for rows.Next() {
		var name string
		var v int64
		if err := rows.Scan(&name, &v); err != nil {
			return 0, 0, err
		}
		if name == "wsrep_local_cert_failures" {
			certFailures = v
		} else {
			bfAborts = v
		}
	}
	return certFailures, bfAborts, rows.Err()
}

// instance is one `reviewq serve` process.
type instance struct {
	name string
	url  string
	cmd  *exec.Cmd
	log  *os.File
}

func startInstance(t *testing.T, bin, name, dbURL string, port int, logDir string) *instance {
	t.Helper()
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	logf, err := os.Create(filepath.Join(logDir, name+".log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "serve")
	cmd.Env = append(os.Environ(), "REVIEWQ_DATABASE_URL="+dbURL, "REVIEWQ_ADDR="+addr,
		"REVIEWQ_SESSION_SECRET="+sessionSecret, "REVIEWQ_LOG_LEVEL=warn")
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	in := &instance{name: name, url: "http://" + addr, cmd: cmd, log: logf}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		logf.Close()
	})
	for start := time.Now(); ; time.Sleep(100 * time.Millisecond) {
		if resp, err := http.Get(in.url + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return in
			}
		}
		if time.Since(start) > 30*time.Second {
			t.Fatalf("%s did not become ready on %s:\n%s", name, addr, tail(logf.Name(), 20))
		}
	}
}

// tail is the last lines of a log, without the noise of connections the
// test's clients dropped.
func tail(path string, lines int) string {
	b, _ := os.ReadFile(path)
	var ls []string
	for _, l := range strings.Split(strings.TrimRight(string(b), "\n"), "\n") {
		if !strings.Contains(l, "Aborted connection") && !strings.Contains(l, "level=ERROR msg=request ") {
			ls = append(ls, l)
		}
	}
	if len(ls) > lines {
		ls = ls[len(ls)-lines:]
	}
	return strings.Join(ls, "\n")
}

// apiClient calls the JSON API with one token and tallies every answer.
type apiClient struct {
	http  *http.Client
	token string
	tally *tally
}

type answer struct {
	status     int
	retryAfter string
	body       []byte
	err        error
}

func (a *apiClient) do(in *instance, method, path string, body any) answer {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, in.url+path, rd)
	req.Header.Set("Authorization", "Bearer "+a.token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := a.http.Do(req)
	if err != nil {
		a.tally.add(in.name, 0, "", err)
		return answer{err: err}
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	ans := answer{status: resp.StatusCode, retryAfter: resp.Header.Get("Retry-After"), body: b}
	a.tally.add(in.name, ans.status, ans.retryAfter, nil)
	if ans.status >= 500 && (ans.status != http.StatusServiceUnavailable || ans.retryAfter == "") {
		a.tally.note5xx(in.name, method+" "+path, ans)
	}
	return ans
}

// tally counts answers per instance and status; 503 with and without
// Retry-After apart, connection errors as status 0.
type tally struct {
	mu        sync.Mutex
	counts    map[string]map[string]int
	samples5x []string
}

func newTally() *tally { return &tally{counts: map[string]map[string]int{}} }

func (t *tally) add(inst string, status int, retryAfter string, err error) {
	key := fmt.Sprint(status)
	switch {
	case err != nil:
		key = "conn-error"
	case status == http.StatusServiceUnavailable && retryAfter != "":
		key = "503+Retry-After"
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.counts[inst] == nil {
		t.counts[inst] = map[string]int{}
	}
	t.counts[inst][key]++
}

func (t *tally) note5xx(inst, what string, a answer) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.samples5x) < 5 {
		t.samples5x = append(t.samples5x, fmt.Sprintf("%s %s -> %d (Retry-After %q) %s", inst, what, a.status, a.retryAfter, bytes.TrimSpace(a.body)))
	}
}

// bad5xx counts the 5xx answers other than 503 with Retry-After.
func (t *tally) bad5xx() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := 0
	for _, m := range t.counts {
		for k, v := range m {
			if k != "503+Retry-After" && k >= "500" && k <= "599" {
				n += v
			}
		}
	}
	return n
}

func (t *tally) count(inst, key string) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.counts[inst][key]
}

func (t *tally) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	var insts []string
	total := 0
	for i, m := range t.counts {
		insts = append(insts, i)
		for _, v := range m {
			total += v
		}
	}
	sort.Strings(insts)
	var b strings.Builder
	fmt.Fprintf(&b, "%d requests", total)
	for _, i := range insts {
		var keys []string
		for k := range t.counts[i] {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		fmt.Fprintf(&b, "\n    %s:", i)
		for _, k := range keys {
			fmt.Fprintf(&b, " %s=%d", k, t.counts[i][k])
		}
	}
	for _, s := range t.samples5x {
		fmt.Fprintf(&b, "\n    5xx sample: %s", s)
	}
	return b.String()
}

// counterDeltas reports wsrep_local_cert_failures and wsrep_local_bf_aborts
// per node since the snapshot taken by the returned function's creator.
type counterSnapshot map[int][2]int64

func snapshotCounters(t *testing.T, dbs map[int]*sql.DB) counterSnapshot {
	t.Helper()
	s := counterSnapshot{}
	for n, db := range dbs {
		c, b, err := wsrepCounters(db)
		if err != nil {
			t.Logf("node %d: wsrep counters: %v", n, err)
			continue
		}
		s[n] = [2]int64{c, b}
	}
	return s
}

func (before counterSnapshot) deltas(after counterSnapshot) string {
	var b strings.Builder
	for n := 1; n <= nodes; n++ {
		a, ok1 := after[n]
		s, ok2 := before[n]
		switch {
		case !ok1:
			fmt.Fprintf(&b, " node%d: down", n)
		case !ok2 || a[0] < s[0] || a[1] < s[1]:
			// restarted in between: its counters began again at zero
			fmt.Fprintf(&b, " node%d: cert_failures %d, bf_aborts %d (since its restart)", n, a[0], a[1])
		default:
			fmt.Fprintf(&b, " node%d: cert_failures +%d, bf_aborts +%d", n, a[0]-s[0], a[1]-s[1])
		}
	}
	return strings.TrimSpace(b.String())
}

// waitReady waits until the instance's /readyz answers want.
func waitReady(in *instance, want int, limit time.Duration) (time.Duration, bool) {
	start := time.Now()
	for time.Since(start) < limit {
		if resp, err := http.Get(in.url + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == want {
				return time.Since(start), true
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return limit, false
}
