package web_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"reviewq/store"
	"reviewq/store/storetest"
	"reviewq/web/webtest"
)

// dbProxy is a TCP proxy between the app and MariaDB that a test can cut
// (every connection dropped, new ones closed at once) and restore.
type dbProxy struct {
	ln     net.Listener
	target string
	down   atomic.Bool
	mu     sync.Mutex
	conns  map[net.Conn]bool
}

func startProxy(t *testing.T, target string) *dbProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &dbProxy{ln: ln, target: target, conns: map[net.Conn]bool{}}
	t.Cleanup(func() { ln.Close(); p.Cut() })
	go p.serve()
	return p
}

func (p *dbProxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		if p.down.Load() {
			c.Close()
			continue
		}
		go p.pipe(c)
	}
}

func (p *dbProxy) track(cs ...net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range cs {
		p.conns[c] = true
	}
}

func (p *dbProxy) pipe(client net.Conn) {
	server, err := net.DialTimeout("tcp", p.target, 3*time.Second)
	if err != nil {
		client.Close()
		return
	}
	p.track(client, server)
	go func() { _, _ = io.Copy(server, client); server.Close() }()
	_, _ = io.Copy(client, server)
	client.Close()
}

// Cut drops every connection and refuses new ones.
func (p *dbProxy) Cut() {
	p.down.Store(true)
	p.mu.Lock()
	defer p.mu.Unlock()
	for c := range p.conns {
		c.Close()
	}
	p.conns = map[net.Conn]bool{}
}

// Restore lets connections through again.
func (p *dbProxy) Restore() { p.down.Store(false) }

// viaProxy rewrites a mysql:// URL to go through the proxy, with short
// timeouts so an outage is noticed quickly.
func viaProxy(t *testing.T, raw string, p *dbProxy) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	u.Host = p.ln.Addr().String()
	u.RawQuery = "timeout=1s&readTimeout=3s&writeTimeout=3s"
	return u.String()
}

func mysqlHost(t *testing.T, raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u.Host
}

func TestDatabaseOutageAndRecovery(t *testing.T) {
	direct := storetest.URL(t, store.MySQL)
	if _, err := storetest.OpenURL(t, direct).MigrateUp(context.Background()); err != nil {
		t.Fatal(err)
	}
	proxy := startProxy(t, mysqlHost(t, direct))
	st := storetest.OpenURL(t, viaProxy(t, direct, proxy))
	env := webtest.StartStore(t, st)
	rv := storetest.FlaggedLead(t, st, "outage-1", store.TypeMessage)
	op, _ := env.LoggedIn(t, store.RoleOperator)
	tok := env.Token(t, store.ScopeQueueRead)
	api := env.NewClient(t)
	anon := env.NewClient(t)
	if r := op.Get("/dashboard/review-queue"); r.Status != http.StatusOK {
		t.Fatalf("queue before the outage: %d", r.Status)
	}

	proxy.Cut()
	r := op.Get("/dashboard/review-queue")
	if r.Status != http.StatusServiceUnavailable || !strings.Contains(r.Body, "Service unavailable") || !strings.Contains(r.Body, "the database is unavailable") ||
		r.Header.Get("Retry-After") == "" {
		t.Fatalf("page during the outage: %d %.300s", r.Status, r.Body)
	}
	r = api.JSON(http.MethodGet, "/api/v1/review-queue/stats", tok, nil)
	var e struct {
		Error struct{ Code, Message string } `json:"error"`
	}
	webtest.DecodeJSON(t, r, &e)
	if r.Status != http.StatusServiceUnavailable || e.Error.Code != "unavailable" {
		t.Fatalf("API during the outage: %d %s", r.Status, r.Body)
	}
	if r := op.HTMX(http.MethodGet, "/dashboard/review-queue/rows", nil); r.Status != http.StatusServiceUnavailable ||
		r.Header.Get("HX-Retarget") != "#flash" || !strings.Contains(r.Body, "the database is unavailable") {
		t.Fatalf("htmx during the outage: %d %q", r.Status, r.Body)
	}
	if r := anon.Get("/login"); r.Status != http.StatusOK {
		t.Fatalf("the login page needs no database: %d", r.Status)
	}
	if r := op.HTMX(http.MethodPost, fmt.Sprintf("/dashboard/review-queue/%d/approve", rv.ID), webtest.Form("version", fmt.Sprint(rv.Version))); r.Status != http.StatusServiceUnavailable {
		t.Fatalf("decision during the outage: %d", r.Status)
	}
	if r := anon.Get("/readyz"); r.Status != http.StatusServiceUnavailable {
		t.Fatalf("readyz during the outage: %d", r.Status)
	}
	if r := anon.Get("/healthz"); r.Status != http.StatusOK {
		t.Fatalf("healthz during the outage: %d", r.Status)
	}
	for _, resp := range []*webtest.Response{r} {
		for _, leak := range []string{"dial tcp", "mysql", "127.0.0.1", "connection refused", "invalid connection"} {
			if strings.Contains(resp.Body, leak) {
				t.Fatalf("the outage answer shows %q", leak)
			}
		}
	}

	// The database comes back: the same process recovers by itself.
	proxy.Restore()
	deadline := time.Now().Add(15 * time.Second)
	for {
		r := op.Get("/dashboard/review-queue")
		if r.Status == http.StatusOK && anon.Get("/readyz").Status == http.StatusOK &&
			api.JSON(http.MethodGet, "/api/v1/review-queue/stats", tok, nil).Status == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no recovery 15 s after the database returned: %d", r.Status)
		}
		time.Sleep(200 * time.Millisecond)
	}
	var after store.Review
	if err := st.DB.Where("id = ?", rv.ID).Take(&after).Error; err != nil {
		t.Fatal(err)
	}
	if after.Status != store.StatusPending || after.Version != rv.Version {
		t.Fatalf("the refused decision left a trace: %+v", after)
	}
	if r := op.HTMX(http.MethodPost, fmt.Sprintf("/dashboard/review-queue/%d/approve", rv.ID), webtest.Form("version", fmt.Sprint(rv.Version))); r.Status != http.StatusOK {
		t.Fatalf("decision after recovery: %d", r.Status)
	}
}

func TestFailedHistoryWriteRollsTheDecisionBack(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			env := webtest.Start(t, d)
			rv := storetest.FlaggedLead(t, env.Store, "rollback-1", store.TypeMessage)
			c, _ := env.LoggedIn(t, store.RoleOperator)
			tok := env.Token(t, store.ScopeQueueWrite)
			// Every insert into the history now fails.
			var ddl string
			switch d {
			case store.MySQL:
				ddl = "CREATE TRIGGER no_history BEFORE INSERT ON review_events FOR EACH ROW SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'history write failed'"
			case store.SQLite:
				ddl = "CREATE TRIGGER no_history BEFORE INSERT ON review_events BEGIN SELECT RAISE(ABORT, 'history write failed'); END"
			}
			if err := env.Store.DB.Exec(ddl).Error; err != nil {
				t.Fatal(err)
			}
			id := fmt.Sprint(rv.ID)
			r := c.HTMX(http.MethodPost, "/dashboard/review-queue/"+id+"/approve", webtest.Form("version", fmt.Sprint(rv.Version)))
			if r.Status != http.StatusInternalServerError || strings.Contains(r.Body, "history write failed") {
				t.Fatalf("page decision with a failing history: %d %q", r.Status, r.Body)
			}
			r = env.NewClient(t).JSON(http.MethodPost, "/api/v1/review-queue/tasks/"+id+"/reject", tok, map[string]string{"reason_code": "bad_data"})
			if r.Status != http.StatusInternalServerError || strings.Contains(r.Body, "history write failed") {
				t.Fatalf("API decision with a failing history: %d %s", r.Status, r.Body)
			}
			var after store.Review
			if err := env.Store.DB.Where("id = ?", rv.ID).Take(&after).Error; err != nil {
				t.Fatal(err)
			}
			if after.Status != store.StatusPending || after.Version != rv.Version || after.DecidedAt != nil || after.OpenLeadID == nil {
				t.Fatalf("review half-decided: %+v", after)
			}
			var lead store.Lead
			if err := env.Store.DB.Where("id = ?", rv.LeadID).Take(&lead).Error; err != nil {
				t.Fatal(err)
			}
			if !lead.RequiresHumanReview || lead.Status == "lost" || strings.Contains(lead.Tags, "operator_") {
				t.Fatalf("lead changed by a rolled-back decision: %+v", lead)
			}
			// With the history working again the decision goes through.
			if err := env.Store.DB.Exec("DROP TRIGGER no_history").Error; err != nil {
				t.Fatal(err)
			}
			if r := c.HTMX(http.MethodPost, "/dashboard/review-queue/"+id+"/approve", webtest.Form("version", fmt.Sprint(rv.Version))); r.Status != http.StatusOK {
				t.Fatalf("decision after the fix: %d", r.Status)
			}
		})
	}
}

// buildBinary builds reviewq once per test into its temp dir.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "reviewq")
	cmd := exec.Command("go", "build", "-o", bin, "reviewq/cmd/reviewq")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// instance is one `reviewq serve` process.
type instance struct {
	cmd  *exec.Cmd
	URL  string
	done chan error
	log  *strings.Builder
	mu   sync.Mutex
}

func startInstance(t *testing.T, bin, dbURL string) *instance {
	t.Helper()
	addr := webtest.FreeAddr(t)
	cmd := exec.Command(bin, "serve")
	cmd.Env = append(os.Environ(), "REVIEWQ_DATABASE_URL="+dbURL, "REVIEWQ_ADDR="+addr,
		"REVIEWQ_SESSION_SECRET="+string(webtest.Secret), "REVIEWQ_LOG_LEVEL=warn")
	stderr, _ := cmd.StderrPipe()
	cmd.Stdout = io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	in := &instance{cmd: cmd, URL: "http://" + addr, done: make(chan error, 1), log: &strings.Builder{}}
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			in.mu.Lock()
			in.log.WriteString(sc.Text() + "\n")
			in.mu.Unlock()
		}
		in.done <- cmd.Wait()
	}()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
		}
	})
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get(in.URL + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return in
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("instance on %s not ready: %v\n%s", addr, err, in.log.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func migratedMySQL(t *testing.T, bin string) (string, *store.Store) {
	t.Helper()
	dbURL := storetest.URL(t, store.MySQL)
	cmd := exec.Command(bin, "migrate", "up")
	cmd.Env = append(os.Environ(), "REVIEWQ_DATABASE_URL="+dbURL)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("reviewq migrate up: %v\n%s", err, out)
	}
	return dbURL, storetest.OpenURL(t, dbURL)
}

// decisionOutcome is what a client saw for one approve.
type decisionOutcome struct {
	id     int64
	status int
	err    error
	at     time.Time
}

func approve(client *http.Client, base, tok string, id int64) decisionOutcome {
	req, _ := http.NewRequest(http.MethodPost, fmt.Sprintf("%s/api/v1/review-queue/tasks/%d/approve", base, id), strings.NewReader(`{"notes":"load"}`))
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return decisionOutcome{id: id, err: err, at: time.Now()}
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return decisionOutcome{id: id, status: resp.StatusCode, at: time.Now()}
}

func decidedIDs(t *testing.T, st *store.Store) map[int64]bool {
	t.Helper()
	var ids []int64
	if err := st.DB.Model(&store.Review{}).Where("status <> ?", store.StatusPending).Pluck("id", &ids).Error; err != nil {
		t.Fatal(err)
	}
	out := map[int64]bool{}
	for _, id := range ids {
		out[id] = true
	}
	return out
}

func TestGracefulShutdownUnderLoad(t *testing.T) {
	storetest.MySQLURL(t)
	bin := buildBinary(t)
	dbURL, st := migratedMySQL(t, bin)
	const n = 400
	ids := make([]int64, n)
	for i := range ids {
		ids[i] = storetest.FlaggedLead(t, st, fmt.Sprintf("shutdown-%d", i), store.TypeMessage).ID
	}
	_, tok, err := st.CreateToken(context.Background(), store.SystemActor, "", "load", []string{store.ScopeQueueWrite})
	if err != nil {
		t.Fatal(err)
	}
	in := startInstance(t, bin, dbURL)
	// A fresh connection per request: after the listener closes a request
	// fails to connect, so it was never sent.
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 30 * time.Second}

	work := make(chan int64)
	results := make(chan decisionOutcome, n)
	var wg sync.WaitGroup
	var okCount atomic.Int64
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for id := range work {
				o := approve(client, in.URL, tok, id)
				if o.status == http.StatusOK {
					okCount.Add(1)
				}
				results <- o
			}
		}()
	}
	go func() {
		defer close(work)
		for _, id := range ids {
			work <- id
		}
	}()
	for okCount.Load() < 40 {
		time.Sleep(5 * time.Millisecond)
	}
	signalled := time.Now()
	if err := in.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	close(results)
	select {
	case err := <-in.done:
		if err != nil {
			t.Fatalf("serve exited with %v\n%s", err, in.log.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not exit 30 s after SIGTERM")
	}

	decided := decidedIDs(t, st)
	var ok, refused, finishedAfterSignal int
	for o := range results {
		switch {
		case o.err != nil:
			// Refused at connect, or reset while still queued in the
			// listener's backlog: either way the app never took it.
			refused++
			if decided[o.id] {
				t.Errorf("review %d: decided, but its client never got the answer (%v)", o.id, o.err)
			}
		case o.status == http.StatusOK:
			ok++
			if o.at.After(signalled) {
				finishedAfterSignal++
			}
			if !decided[o.id] {
				t.Errorf("review %d: answered 200 but not decided in the database", o.id)
			}
		default:
			t.Errorf("review %d: status %d during shutdown", o.id, o.status)
		}
	}
	if ok != len(decided) {
		t.Errorf("%d answered 200, %d decided in the database", ok, len(decided))
	}
	if refused == 0 {
		t.Errorf("no request was refused: SIGTERM came after the load (%d ok)", ok)
	}
	if finishedAfterSignal == 0 {
		t.Errorf("no request in flight at SIGTERM completed")
	}
	t.Logf("%d decisions answered and stored (%d finished after SIGTERM), %d requests refused", ok, finishedAfterSignal, refused)
	if _, err := http.Get(in.URL + "/healthz"); err == nil {
		t.Fatal("the stopped instance still answers")
	}
}

func TestThreeInstancesOneDatabase(t *testing.T) {
	storetest.MySQLURL(t)
	bin := buildBinary(t)
	dbURL, st := migratedMySQL(t, bin)
	ctx := context.Background()
	const reviews = 30
	ids := make([]int64, reviews)
	leads := make([]int64, reviews)
	for i := range ids {
		rv := storetest.FlaggedLead(t, st, fmt.Sprintf("multi-%d", i), store.TypeMessage)
		ids[i], leads[i] = rv.ID, rv.LeadID
	}
	_, tok, err := st.CreateToken(ctx, store.SystemActor, "", "engines", []string{store.ScopeQueueWrite, store.ScopeLeadsWrite})
	if err != nil {
		t.Fatal(err)
	}
	var ops []*store.Operator
	for i := 0; i < 6; i++ {
		ops = append(ops, storetest.Operator(t, st, fmt.Sprintf("multi-op-%d@example.com", i), store.RoleOperator))
	}
	insts := []*instance{startInstance(t, bin, dbURL), startInstance(t, bin, dbURL), startInstance(t, bin, dbURL)}
	client := &http.Client{Timeout: 30 * time.Second}

	// Concurrent logins at all three instances.
	jars := make([]*cookiejar.Jar, len(ops))
	var wg sync.WaitGroup
	loginErrs := make(chan error, len(ops))
	for i, op := range ops {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := (&webtest.Env{URL: insts[i%3].URL, Store: st}).NewClient(t)
			c.Get("/login")
			r := c.PostForm("/login", webtest.Form("email", op.Email, "password", storetest.Password("operator")))
			if r.Status != http.StatusSeeOther {
				loginErrs <- fmt.Errorf("login of %s at instance %d: %d", op.Email, i%3, r.Status)
			}
			jars[i] = c.HTTP.Jar.(*cookiejar.Jar)
		}()
	}
	wg.Wait()
	close(loginErrs)
	for err := range loginErrs {
		t.Fatal(err)
	}

	// Every review is approved at all three instances at once: exactly one wins.
	var mu sync.Mutex
	wins := map[int64]int{}
	for _, id := range ids {
		for _, in := range insts {
			wg.Add(1)
			go func() {
				defer wg.Done()
				o := approve(client, in.URL, tok, id)
				mu.Lock()
				defer mu.Unlock()
				switch {
				case o.err != nil:
					t.Errorf("approve %d at %s: %v", id, in.URL, o.err)
				case o.status == http.StatusOK:
					wins[id]++
				case o.status != http.StatusConflict:
					t.Errorf("approve %d at %s: status %d", id, in.URL, o.status)
				}
			}()
		}
	}
	// Meanwhile every lead is flagged again at all three: one new review each.
	flagStatus := make(chan int, reviews*3)
	for _, lead := range leads {
		for _, in := range insts {
			wg.Add(1)
			go func() {
				defer wg.Done()
				req, _ := http.NewRequest(http.MethodPost, fmt.Sprintf("%s/api/v1/leads/%d/flag", in.URL, lead),
					strings.NewReader(`{"review_type":"PRICING","reason":"multi-instance","source":"api"}`))
				req.Header.Set("Authorization", "Bearer "+tok)
				req.Header.Set("Content-Type", "application/json")
				resp, err := client.Do(req)
				if err != nil {
					t.Errorf("flag %d: %v", lead, err)
					return
				}
				resp.Body.Close()
				flagStatus <- resp.StatusCode
			}()
		}
	}
	wg.Wait()
	close(flagStatus)
	if t.Failed() {
		for i, in := range insts {
			in.mu.Lock()
			t.Logf("instance %d log:\n%s", i, in.log.String())
			in.mu.Unlock()
		}
	}
	for _, id := range ids {
		if wins[id] != 1 {
			t.Errorf("review %d: %d successful decisions", id, wins[id])
		}
	}
	var decisions []struct {
		ReviewID int64
		N        int
	}
	if err := st.DB.Model(&store.ReviewEvent{}).Select("review_id, COUNT(*) AS n").Where("kind IN ?", []string{"approved", "rejected", "skipped"}).
		Group("review_id").Scan(&decisions).Error; err != nil {
		t.Fatal(err)
	}
	if len(decisions) != reviews {
		t.Errorf("%d reviews have decision events, want %d", len(decisions), reviews)
	}
	for _, d := range decisions {
		if d.N != 1 {
			t.Errorf("review %d has %d decision events", d.ReviewID, d.N)
		}
	}
	var open []struct {
		LeadID int64
		N      int
	}
	if err := st.DB.Model(&store.Review{}).Select("lead_id, COUNT(*) AS n").Where("status = ?", store.StatusPending).Group("lead_id").Scan(&open).Error; err != nil {
		t.Fatal(err)
	}
	for _, o := range open {
		if o.N != 1 {
			t.Errorf("lead %d has %d open reviews", o.LeadID, o.N)
		}
	}
	created := 0
	for s := range flagStatus {
		if s == http.StatusCreated {
			created++
		}
	}
	// Each lead's first new flag after its approval opens a review; a flag
	// that came before the approval landed on the old one.
	if len(open) == 0 || created > reviews {
		t.Errorf("%d leads with an open review, %d flags created one", len(open), created)
	}

	// A session works on every instance; logout on one ends it on all.
	jar := jars[0]
	clients := make([]*webtest.Client, 3)
	for i, in := range insts {
		clients[i] = (&webtest.Env{URL: in.URL, Store: st}).NewClient(t)
		clients[i].HTTP.Jar = jar // cookies do not depend on the port
		if r := clients[i].Get("/dashboard/review-queue"); r.Status != http.StatusOK {
			t.Fatalf("session at instance %d: %d", i, r.Status)
		}
	}
	var stolen []*http.Cookie
	for _, ck := range jar.Cookies(mustURL(t, insts[0].URL)) {
		if ck.Name == "reviewq_session" {
			stolen = append(stolen, ck)
		}
	}
	if r := clients[1].PostForm("/logout", nil); r.Status != http.StatusSeeOther {
		t.Fatalf("logout at instance 1: %d", r.Status)
	}
	// Another copy of the logged-out cookie, kept by a thief, is dead everywhere.
	for i, in := range insts {
		if r := clients[i].Get("/dashboard/review-queue"); r.Status != http.StatusSeeOther {
			t.Errorf("session alive at instance %d after logout: %d", i, r.Status)
		}
		thief := (&webtest.Env{URL: in.URL, Store: st}).NewClient(t)
		thief.HTTP.Jar.SetCookies(mustURL(t, in.URL), stolen)
		if r := thief.Get("/dashboard/review-queue"); r.Status != http.StatusSeeOther {
			t.Errorf("a copy of the logged-out cookie works at instance %d: %d", i, r.Status)
		}
	}
	var sessions int64
	st.DB.Model(&store.Session{}).Where("operator_id = ?", ops[0].ID).Count(&sessions)
	if sessions != 0 {
		t.Errorf("%d sessions left after logout", sessions)
	}
}
