// Package galera_test runs reviewq on a three-node MariaDB Galera cluster
// (`make test-cluster`): the same-moment race, a mixed load while a node is
// killed and rejoins, HAProxy failover and writes with two nodes left. It
// skips unless REVIEWQ_CLUSTER=1; under CI=true a cluster that cannot start
// fails it.
package galera_test

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

const pendingForRace = 300

func TestCluster(t *testing.T) {
	if os.Getenv("REVIEWQ_CLUSTER") != "1" {
		t.Skip("REVIEWQ_CLUSTER=1 runs the Galera cluster test (make test-cluster)")
	}
	inCI := os.Getenv("CI") == "true"
	for _, need := range []string{"/usr/sbin/mariadbd", "/usr/lib/galera/libgalera_smm.so", "/usr/bin/rsync"} {
		if _, err := os.Stat(need); err != nil {
			if inCI {
				t.Fatalf("%s is missing: apt-get install mariadb-server galera-4 rsync", need)
			}
			t.Skipf("%s is missing (apt-get install mariadb-server galera-4 rsync)", need)
		}
	}
	bin := os.Getenv("REVIEWQ_BIN")
	if bin == "" {
		bin = filepath.Join(t.TempDir(), "reviewq")
		if out, err := exec.Command("go", "build", "-o", bin, "../../cmd/reviewq").CombinedOutput(); err != nil {
			t.Fatalf("go build: %v\n%s", err, out)
		}
	}
	script, _ := filepath.Abs("cluster.sh")
	dir, err := os.MkdirTemp("", "reviewq-galera-")
	if err != nil {
		t.Fatal(err)
	}
	_ = os.Chmod(dir, 0o755) // the nodes run as mysql
	c := &cluster{t: t, dir: dir, script: script}
	logDir := t.TempDir()
	t.Cleanup(func() {
		if t.Failed() {
			for n := 1; n <= nodes; n++ {
				t.Logf("node %d error.log (last lines):\n%s", n, tail(filepath.Join(dir, fmt.Sprintf("node%d/error.log", n)), 8))
			}
			for _, name := range []string{"app1", "app2", "app3", "app-haproxy", "haproxy"} {
				t.Logf("%s log (last lines):\n%s", name, tail(filepath.Join(logDir, name+".log"), 8))
			}
		}
		out, _ := c.run("stop")
		t.Logf("%s", strings.TrimSpace(out))
	})
	c.must("start")

	// One database, migrated once, through node 1.
	if _, err := c.run("sql", "1", "CREATE DATABASE reviewq CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"); err != nil {
		t.Fatal(err)
	}
	nodeURL := func(n int) string { return fmt.Sprintf("mysql://root@127.0.0.1:%d/reviewq", nodePort(n)) }
	cli := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(bin, args...)
		cmd.Env = append(os.Environ(), "REVIEWQ_DATABASE_URL="+nodeURL(1))
		out, err := cmd.Output()
		if err != nil {
			var stderr string
			if ee, ok := err.(*exec.ExitError); ok {
				stderr = string(ee.Stderr)
			}
			t.Fatalf("reviewq %s: %v\n%s%s", strings.Join(args, " "), err, out, stderr)
		}
		return strings.TrimSpace(string(out))
	}
	t.Logf("%s", cli("migrate", "up"))
	t.Logf("%s", cli("seed", "--leads", "3000", "--pending", fmt.Sprint(pendingForRace)))
	token := cli("token", "create", "--name", "cluster-test", "--scopes", "queue:read,queue:write,leads:write")

	haproxyCmd := startHAProxy(t, logDir)

	dbs := map[int]*sql.DB{}
	for n := 1; n <= nodes; n++ {
		dbs[n] = c.db(n)
	}
	apps := make([]*instance, nodes)
	for n := 1; n <= nodes; n++ {
		apps[n-1] = startInstance(t, bin, fmt.Sprintf("app%d", n), nodeURL(n), firstAppPort+n-1, logDir)
	}
	var viaProxy *instance
	if haproxyCmd != nil {
		viaProxy = startInstance(t, bin, "app-haproxy", fmt.Sprintf("mysql://root@127.0.0.1:%d/reviewq", haproxyPort), proxyAppPort, logDir)
	}
	httpClient := &http.Client{Timeout: 15 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}

	var leadIDs []int64
	rows, err := dbs[1].Query("SELECT id FROM leads ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id int64
		_ = rows.Scan(&id)
		leadIDs = append(leadIDs, id)
	}
	rows.Close()

	t.Run("race", func(t *testing.T) {
		raceSameMoment(t, &apiClient{http: httpClient, token: token, tally: newTally()}, apps, dbs)
	})
	if t.Failed() && os.Getenv("REVIEWQ_CLUSTER_CONTINUE") != "1" {
		// The later phases say little when the race already failed; set
		// REVIEWQ_CLUSTER_CONTINUE=1 to run them anyway.
		t.Log("race failed: the node-kill and failover phases are skipped (REVIEWQ_CLUSTER_CONTINUE=1 runs them)")
		return
	}
	t.Run("mixed load with a node killed", func(t *testing.T) {
		mixedLoadWithNodeKill(t, c, &apiClient{http: httpClient, token: token, tally: newTally()}, apps, dbs, leadIDs)
	})
	t.Run("haproxy failover and two nodes", func(t *testing.T) {
		failoverAndTwoNodes(t, c, &apiClient{http: httpClient, token: token, tally: newTally()}, apps, viaProxy, dbs, leadIDs)
	})
}

// raceSameMoment approves every pending review through all three instances
// at the same moment.
func raceSameMoment(t *testing.T, api *apiClient, apps []*instance, dbs map[int]*sql.DB) {
	var ids []int64
	rows, err := dbs[1].Query("SELECT id FROM reviews WHERE status = 'pending' ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id int64
		_ = rows.Scan(&id)
		ids = append(ids, id)
	}
	rows.Close()
	if len(ids) != pendingForRace {
		t.Fatalf("%d pending reviews, want %d", len(ids), pendingForRace)
	}
	before := snapshotCounters(t, dbs)
	statuses := make([][]int, len(ids)) // per review, the status from each instance
	start := time.Now()
	var wg sync.WaitGroup
	sem := make(chan struct{}, 30) // 30 reviews, 90 requests, in flight
	for i, id := range ids {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			got := make([]int, len(apps))
			gate := make(chan struct{})
			var inner sync.WaitGroup
			for k, app := range apps {
				inner.Add(1)
				go func() {
					defer inner.Done()
					<-gate
					got[k] = api.do(app, "POST", fmt.Sprintf("/api/v1/review-queue/tasks/%d/approve", id), map[string]any{"notes": "race"}).status
				}()
			}
			close(gate)
			inner.Wait()
			statuses[i] = got
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	after := snapshotCounters(t, dbs)
	t.Logf("race: %d reviews x %d instances in %s: %s", len(ids), len(apps), elapsed.Round(time.Millisecond), api.tally)
	t.Logf("race: wsrep deltas: %s", before.deltas(after))

	var wrong []string
	for i, got := range statuses {
		ok, conflict := 0, 0
		for _, s := range got {
			switch s {
			case http.StatusOK:
				ok++
			case http.StatusConflict:
				conflict++
			}
		}
		if ok != 1 || conflict != len(apps)-1 {
			wrong = append(wrong, fmt.Sprintf("review %d: %v", ids[i], got))
		}
	}
	if len(wrong) > 0 {
		t.Errorf("%d of %d reviews did not get exactly one 200 and %d 409s (first: %s)", len(wrong), len(ids), len(apps)-1, strings.Join(wrong[:min(5, len(wrong))], "; "))
	}
	if n := api.tally.bad5xx(); n > 0 {
		t.Errorf("%d answers were 5xx other than 503 with Retry-After", n)
	}
	for n := 1; n <= nodes; n++ {
		var approved, events, doubled int
		err := dbs[n].QueryRow(`SELECT
			(SELECT COUNT(*) FROM reviews WHERE status = 'approved' AND notes = 'race'),
			(SELECT COUNT(*) FROM review_events e JOIN reviews r ON r.id = e.review_id WHERE r.notes = 'race' AND e.kind = 'approved'),
			(SELECT COUNT(*) FROM (SELECT review_id FROM review_events WHERE kind IN ('approved','rejected','skipped') GROUP BY review_id HAVING COUNT(*) > 1) d)`).
			Scan(&approved, &events, &doubled)
		if err != nil {
			t.Fatalf("node %d: %v", n, err)
		}
		t.Logf("race: node %d: %d approved reviews, %d approved events, %d reviews decided more than once", n, approved, events, doubled)
		if approved != len(ids) || events != len(ids) || doubled != 0 {
			t.Errorf("node %d: %d approved, %d approved events, %d doubled; want %d, %d, 0", n, approved, events, doubled, len(ids), len(ids))
		}
	}
}

// outcome is what a client was told succeeded.
type outcome struct {
	reviewID int64
	status   string // approved, rejected; "" for a flag (the review exists)
}

type taskAnswer struct {
	Task *struct {
		ID int64 `json:"id"`
	} `json:"task"`
}

type taskList struct {
	Tasks []struct {
		ID      int64 `json:"id"`
		Version int   `json:"version"`
	} `json:"tasks"`
}

// loadWorkers runs flags, decisions and reads through apps until stop is
// closed and returns what clients were told succeeded. Each answer is
// tallied; a 5xx other than 503 with Retry-After is kept as a sample.
func loadWorkers(api *apiClient, apps []*instance, leadIDs []int64, perApp int, stop <-chan struct{}) []outcome {
	var mu sync.Mutex
	var done []outcome
	var wg sync.WaitGroup
	for _, app := range apps {
		for w := 0; w < perApp; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), uint64(w)))
				for {
					select {
					case <-stop:
						return
					default:
					}
					switch p := r.IntN(10); {
					case p < 3: // an engine flags a lead (opens a review or adds to the open one)
						lead := leadIDs[r.IntN(len(leadIDs))]
						a := api.do(app, "POST", fmt.Sprintf("/api/v1/leads/%d/flag", lead), map[string]any{"review_type": "PRICING", "reason": "cluster load"})
						var ta taskAnswer
						if (a.status == 200 || a.status == 201) && json.Unmarshal(a.body, &ta) == nil && ta.Task != nil {
							mu.Lock()
							done = append(done, outcome{reviewID: ta.Task.ID})
							mu.Unlock()
						}
					case p < 7: // an operator bot reads the queue and decides one
						a := api.do(app, "GET", "/api/v1/review-queue/tasks?limit=20", nil)
						var tl taskList
						if a.status != 200 || json.Unmarshal(a.body, &tl) != nil || len(tl.Tasks) == 0 {
							continue
						}
						task := tl.Tasks[r.IntN(len(tl.Tasks))]
						verb, body, status := "approve", map[string]any{"notes": "load"}, "approved"
						if r.IntN(3) == 0 {
							verb, body, status = "reject", map[string]any{"reason_code": "not_a_fit"}, "rejected"
						}
						if a := api.do(app, "POST", fmt.Sprintf("/api/v1/review-queue/tasks/%d/%s", task.ID, verb), body); a.status == 200 {
							mu.Lock()
							done = append(done, outcome{reviewID: task.ID, status: status})
							mu.Unlock()
						}
					default: // dashboards
						if r.IntN(2) == 0 {
							api.do(app, "GET", "/api/v1/review-queue/stats", nil)
						} else {
							api.do(app, "GET", "/api/v1/review-queue/tasks?limit=50", nil)
						}
					}
				}
			}()
		}
	}
	wg.Wait()
	return done
}

// verifyOutcomes checks, on every node given, that each success a client
// saw is in the database, and that no review was decided twice.
func verifyOutcomes(t *testing.T, label string, dbs map[int]*sql.DB, done []outcome) {
	t.Helper()
	for n, db := range dbs {
		status := map[int64]string{}
		decisions := map[int64]int{}
		rows, err := db.Query("SELECT r.id, r.status, (SELECT COUNT(*) FROM review_events e WHERE e.review_id = r.id AND e.kind IN ('approved','rejected','skipped')) FROM reviews r")
		if err != nil {
			t.Fatalf("%s: node %d: %v", label, n, err)
		}
		for rows.Next() {
			var id int64
			var s string
			var d int
			if err := rows.Scan(&id, &s, &d); err != nil {
				t.Fatal(err)
			}
			status[id], decisions[id] = s, d
		}
		rows.Close()
		missing, doubled, decided := 0, 0, 0
		for _, o := range done {
			s, ok := status[o.reviewID]
			switch {
			case !ok:
				missing++
			case o.status != "":
				decided++
				if s != o.status || decisions[o.reviewID] != 1 {
					missing++
				}
			}
		}
		for _, d := range decisions {
			if d > 1 {
				doubled++
			}
		}
		t.Logf("%s: node %d: %d successes checked (%d decisions), %d missing or different, %d reviews decided more than once", label, n, len(done), decided, missing, doubled)
		if missing > 0 || doubled > 0 {
			t.Errorf("%s: node %d: %d successes missing or different, %d reviews decided more than once", label, n, missing, doubled)
		}
	}
}

// mixedLoadWithNodeKill runs the load for REVIEWQ_CLUSTER_LOAD (default
// 60 s), SIGKILLs node 2 at a quarter and restarts it at half of it.
func mixedLoadWithNodeKill(t *testing.T, c *cluster, api *apiClient, apps []*instance, dbs map[int]*sql.DB, leadIDs []int64) {
	d := 60 * time.Second
	if v, err := time.ParseDuration(os.Getenv("REVIEWQ_CLUSTER_LOAD")); err == nil && v > 0 {
		d = v
	}
	const victim = 2
	before := snapshotCounters(t, dbs)
	stop := make(chan struct{})
	var done []outcome
	finished := make(chan struct{})
	go func() { done = loadWorkers(api, apps, leadIDs, 3, stop); close(finished) }()
	time.Sleep(d / 4)
	pre := api.tally.count(apps[victim-1].name, "503+Retry-After")
	c.must("kill", fmt.Sprint(victim))
	killedAt := time.Now()
	// The instance stays up, its node is gone: a balancer must see it not ready.
	if took, ok := waitReady(apps[victim-1], http.StatusServiceUnavailable, 10*time.Second); ok {
		t.Logf("%s /readyz answered 503 %s after its node died", apps[victim-1].name, took.Round(100*time.Millisecond))
	} else {
		t.Errorf("%s /readyz still not 503 10 s after its node died", apps[victim-1].name)
	}
	time.Sleep(time.Until(killedAt.Add(d / 4)))
	c.must("restart", fmt.Sprint(victim))
	t.Logf("node %d was down %s", victim, time.Since(killedAt).Round(100*time.Millisecond))
	downAnswers := api.tally.count(apps[victim-1].name, "503+Retry-After") - pre
	// Its pool recovers by itself once the node is Synced again.
	if took, ok := waitReady(apps[victim-1], http.StatusOK, 20*time.Second); ok {
		t.Logf("%s /readyz answered 200 again %s after its node was Synced", apps[victim-1].name, took.Round(100*time.Millisecond))
	} else {
		t.Errorf("%s /readyz not 200 20 s after its node was Synced again", apps[victim-1].name)
	}
	okBefore := api.tally.count(apps[victim-1].name, "200")
	time.Sleep(time.Until(killedAt.Add(d * 3 / 4)))
	close(stop)
	<-finished
	after := snapshotCounters(t, dbs)
	t.Logf("mixed load %s: %s", d, api.tally)
	t.Logf("mixed load: 503 with Retry-After from %s while its node was down: %d", apps[victim-1].name, downAnswers)
	if api.tally.count(apps[victim-1].name, "200") == okBefore {
		t.Errorf("%s answered no 200 after its node rejoined", apps[victim-1].name)
	}
	t.Logf("mixed load: wsrep deltas: %s", before.deltas(after))
	if n := api.tally.bad5xx(); n > 0 {
		t.Errorf("%d answers were 5xx other than 503 with Retry-After", n)
	}
	decisions := 0
	for _, o := range done {
		if o.status != "" {
			decisions++
		}
	}
	if decisions < 50 {
		t.Errorf("only %d decisions succeeded under load", decisions)
	}
	c.must("status")
	verifyOutcomes(t, "mixed load", dbs, done)
}

// failoverAndTwoNodes kills node 1, HAProxy's active node, while an
// instance writes through HAProxy; writes continue on a backup, and with
// two nodes left every instance whose node is up still writes.
func failoverAndTwoNodes(t *testing.T, c *cluster, api *apiClient, apps []*instance, viaProxy *instance, dbs map[int]*sql.DB, leadIDs []int64) {
	writers := append([]*instance{}, apps[1:]...)
	if viaProxy != nil {
		if port := proxiedPort(t); port != nodePort(1) {
			t.Fatalf("HAProxy sends connections to port %d, want node 1 (%d)", port, nodePort(1))
		}
		writers = append(writers, viaProxy)
	} else {
		t.Log("haproxy is not installed: the failover part is not tried")
	}
	before := snapshotCounters(t, dbs)
	stop := make(chan struct{})
	var done []outcome
	finished := make(chan struct{})
	go func() { done = loadWorkers(api, writers, leadIDs, 2, stop); close(finished) }()
	time.Sleep(3 * time.Second)
	c.must("kill", "1")
	killedAt := time.Now()
	if viaProxy != nil {
		// HAProxy marks node 1 down after two failed checks a second apart.
		for time.Since(killedAt) < 20*time.Second && proxiedPort(t) != nodePort(2) {
			time.Sleep(200 * time.Millisecond)
		}
		if port := proxiedPort(t); port != nodePort(2) {
			t.Errorf("20 s after node 1 died HAProxy sends connections to %d, want the first backup, node 2 (%d)", port, nodePort(2))
		} else {
			t.Logf("HAProxy switched to node 2 within %s", time.Since(killedAt).Round(100*time.Millisecond))
		}
	}
	time.Sleep(5 * time.Second)
	close(stop)
	<-finished
	after := snapshotCounters(t, dbs)
	t.Logf("failover load: %s", api.tally)
	t.Logf("failover: wsrep deltas: %s", before.deltas(after))
	// Now, with two nodes and the load stopped (so no other client decides
	// these reviews first): a fresh flag and a decision through every
	// instance whose node is up, and through HAProxy, succeed at once.
	c.must("status")
	twoNodes := map[int]*sql.DB{2: dbs[2], 3: dbs[3]}
	var size string
	if err := dbs[2].QueryRow("SHOW GLOBAL STATUS LIKE 'wsrep_cluster_size'").Scan(new(string), &size); err != nil || size != "2" {
		t.Errorf("cluster size %q (%v), want 2", size, err)
	}
	afterKill := newTally()
	strict := &apiClient{http: api.http, token: api.token, tally: afterKill}
	var twoNodeDone []outcome
	for i, app := range writers {
		lead := leadIDs[len(leadIDs)-1-i]
		a := strict.do(app, "POST", fmt.Sprintf("/api/v1/leads/%d/flag", lead), map[string]any{"review_type": "ACTION", "reason": "two nodes"})
		var ta taskAnswer
		if a.status != 200 && a.status != 201 || json.Unmarshal(a.body, &ta) != nil || ta.Task == nil {
			t.Errorf("two nodes: flag through %s: %d %s %v", app.name, a.status, a.body, a.err)
			continue
		}
		if a := strict.do(app, "POST", fmt.Sprintf("/api/v1/review-queue/tasks/%d/approve", ta.Task.ID), map[string]any{"notes": "two nodes"}); a.status != 200 {
			t.Errorf("two nodes: approve through %s: %d %s %v", app.name, a.status, a.body, a.err)
			continue
		}
		twoNodeDone = append(twoNodeDone, outcome{reviewID: ta.Task.ID, status: "approved"})
	}
	t.Logf("two nodes: %s", afterKill)
	if n := api.tally.bad5xx(); n > 0 {
		t.Errorf("%d answers were 5xx other than 503 with Retry-After", n)
	}
	if viaProxy != nil && api.tally.count(viaProxy.name, "200") == 0 {
		t.Errorf("no write through HAProxy succeeded")
	}
	verifyOutcomes(t, "failover and two nodes", twoNodes, append(done, twoNodeDone...))
}

// proxiedPort asks the node behind HAProxy for its port (0 when none answers).
func proxiedPort(t *testing.T) int {
	db, err := sql.Open("mysql", fmt.Sprintf("root@tcp(127.0.0.1:%d)/?timeout=2s", haproxyPort))
	if err != nil {
		return 0
	}
	defer db.Close()
	var port int
	if err := db.QueryRow("SELECT @@port").Scan(&port); err != nil {
		return 0
	}
	return port
}

// startHAProxy runs deploy/haproxy/galera.cfg with the nodes' loopback
// addresses, or returns nil when haproxy is not installed (outside CI).
func startHAProxy(t *testing.T, logDir string) *exec.Cmd {
	t.Helper()
	haproxy, err := exec.LookPath("haproxy")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("haproxy is not installed: apt-get install haproxy")
		}
		return nil
	}
	raw, err := os.ReadFile("../haproxy/galera.cfg")
	if err != nil {
		t.Fatal(err)
	}
	check, _ := filepath.Abs("../haproxy/galera-check")
	cfg := string(raw)
	for from, to := range map[string]string{
		"    bind :3306\n":                    fmt.Sprintf("    bind 127.0.0.1:%d\n", haproxyPort),
		"10.0.0.21:3306":                      fmt.Sprintf("127.0.0.1:%d", nodePort(1)),
		"10.0.0.22:3306":                      fmt.Sprintf("127.0.0.1:%d", nodePort(2)),
		"10.0.0.23:3306":                      fmt.Sprintf("127.0.0.1:%d", nodePort(3)),
		"/usr/local/lib/reviewq/galera-check": check,
		"log /dev/log local0":                 "log stderr format raw local0",
	} {
		if !strings.Contains(cfg, from) {
			t.Fatalf("deploy/haproxy/galera.cfg no longer contains %q", from)
		}
		cfg = strings.ReplaceAll(cfg, from, to)
	}
	cfgFile := filepath.Join(t.TempDir(), "haproxy.cfg")
	if err := os.WriteFile(cfgFile, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(haproxy, "-c", "-f", cfgFile).CombinedOutput(); err != nil {
		t.Fatalf("haproxy -c: %v\n%s", err, out)
	}
	logf, err := os.Create(filepath.Join(logDir, "haproxy.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(haproxy, "-db", "-f", cfgFile)
	// The check's account is clustercheck without a password (cluster.sh
	// makes it); there is no /etc/haproxy/galera-check.cnf here.
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait(); logf.Close() })
	for start := time.Now(); proxiedPort(t) != nodePort(1); time.Sleep(200 * time.Millisecond) {
		if time.Since(start) > 15*time.Second {
			t.Fatalf("HAProxy does not reach node 1 within 15 s:\n%s", tail(logf.Name(), 20))
		}
	}
	return cmd
}
