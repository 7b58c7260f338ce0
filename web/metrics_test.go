package web_test

import (
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"go.yaml.in/yaml/v3"

	"reviewq/store"
	"reviewq/store/storetest"
	"reviewq/web"
	"reviewq/web/webtest"
)

// scrape fetches /metrics like Prometheus and parses it with its parser.
func scrape(t *testing.T, c *webtest.Client) map[string]*dto.MetricFamily {
	t.Helper()
	r := c.Get("/metrics")
	if r.Status != http.StatusOK || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("/metrics: %d %s", r.Status, r.Header.Get("Content-Type"))
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(r.Body))
	if err != nil {
		t.Fatalf("parse /metrics: %v", err)
	}
	return fams
}

// value finds the series of family name with exactly these labels (others
// ignored) and returns its value; ok is false when there is none.
func value(fams map[string]*dto.MetricFamily, name string, labels map[string]string) (float64, bool) {
	f := fams[name]
	if f == nil {
		return 0, false
	}
next:
	for _, m := range f.GetMetric() {
		got := map[string]string{}
		for _, lp := range m.GetLabel() {
			got[lp.GetName()] = lp.GetValue()
		}
		for k, v := range labels {
			if got[k] != v {
				continue next
			}
		}
		switch {
		case m.Gauge != nil:
			return m.GetGauge().GetValue(), true
		case m.Counter != nil:
			return m.GetCounter().GetValue(), true
		case m.Histogram != nil:
			return float64(m.GetHistogram().GetSampleCount()), true
		}
		return m.GetUntyped().GetValue(), true
	}
	return 0, false
}

func TestMetricsScrape(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			env := webtest.Start(t, d)
			c, lead := env.LoggedIn(t, store.RoleLead)
			statsData(t, env, lead)
			if r := c.Get("/dashboard/stats"); r.Status != http.StatusOK {
				t.Fatal(r.Status)
			}
			token := env.Token(t, store.ScopeLeadsWrite)
			if r := env.NewClient(t).JSON(http.MethodGet, "/api/v1/leads/987654", token, nil); r.Status != http.StatusNotFound {
				t.Fatalf("unknown lead: %d", r.Status)
			}
			env.NewClient(t).Get("/no/such/page/4242")

			fams := scrape(t, env.NewClient(t))
			for labels, want := range map[string]float64{
				"RETRY": 1, "MESSAGE": 0, "PROPOSAL": 0, "PRICING": 0, "ACTION": 0,
			} {
				if v, ok := value(fams, "reviewq_pending_reviews", map[string]string{"review_type": labels}); !ok || v != want {
					t.Errorf("pending %s = %v (%v), want %v", labels, v, ok, want)
				}
			}
			if v, ok := value(fams, "reviewq_queue_enabled", nil); !ok || v != 1 {
				t.Errorf("queue enabled = %v (%v), want 1", v, ok)
			}
			if v, ok := value(fams, "reviewq_oldest_pending_age_seconds", nil); !ok || v < 0 || v > 120 {
				t.Errorf("oldest pending age %v %v", v, ok)
			}
			for _, c := range []struct {
				outcome, typ string
				want         float64
			}{
				{"approved", "PROPOSAL", 1}, {"rejected", "MESSAGE", 1}, {"skipped", "MESSAGE", 1}, {"approved", "MESSAGE", 0}, {"approved", "ACTION", 0},
			} {
				if v, ok := value(fams, "reviewq_decisions_total", map[string]string{"outcome": c.outcome, "review_type": c.typ}); !ok || v != c.want {
					t.Errorf("decisions %s %s = %v (%v), want %v", c.outcome, c.typ, v, ok, c.want)
				}
			}
			txs, _ := value(fams, "reviewq_decision_transactions_total", nil)
			if n, _ := value(fams, "reviewq_decisions_submitted_total", nil); n < 3 || txs < 1 || txs > n {
				t.Errorf("decision writers: %v decisions in %v transactions", n, txs)
			}
			if v, _ := value(fams, "reviewq_flags_total", map[string]string{"source": "api"}); v != 4 {
				t.Errorf("flags from api = %v, want 4", v)
			}
			if v, _ := value(fams, "reviewq_flags_total", map[string]string{"source": "score"}); v != 0 {
				t.Errorf("flags from score = %v, want 0", v)
			}
			// HTTP series are labelled by route template, never the raw path.
			for _, l := range []map[string]string{
				{"method": "GET", "route": "/dashboard/stats", "status": "200"},
				{"method": "GET", "route": "/api/v1/leads/:id", "status": "404"},
				{"method": "GET", "route": "unmatched", "status": "404"},
			} {
				if v, ok := value(fams, "reviewq_http_requests_total", l); !ok || v < 1 {
					t.Errorf("no request counted for %v", l)
				}
			}
			if v, ok := value(fams, "reviewq_http_request_duration_seconds", map[string]string{"route": "/dashboard/stats"}); !ok || v < 1 {
				t.Errorf("latency histogram: %v %v", v, ok)
			}
			if fams["reviewq_http_request_duration_seconds"].GetType() != dto.MetricType_HISTOGRAM {
				t.Error("latency is not a histogram")
			}
			for _, f := range fams {
				for _, m := range f.GetMetric() {
					for _, lp := range m.GetLabel() {
						if strings.Contains(lp.GetValue(), "987654") || strings.Contains(lp.GetValue(), "4242") {
							t.Errorf("raw path in label %s=%q of %s", lp.GetName(), lp.GetValue(), f.GetName())
						}
					}
				}
			}
			for _, name := range []string{"go_sql_max_open_connections", "go_sql_in_use_connections", "go_sql_idle_connections", "go_sql_wait_count_total"} {
				if _, ok := value(fams, name, map[string]string{"db_name": "reviewq"}); !ok {
					t.Errorf("%s missing", name)
				}
			}
			if v, _ := value(fams, "go_sql_max_open_connections", nil); v < 1 {
				t.Errorf("max open connections %v", v)
			}
			if v, ok := value(fams, "reviewq_build_info", map[string]string{"version": "unknown"}); !ok || v != 1 {
				t.Errorf("build info %v %v", v, ok)
			}
		})
	}
}

func TestMetricsAccess(t *testing.T) {
	st := storetest.Open(t, store.SQLite)
	get := func(h http.Handler, auth string) int {
		req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Code
	}
	srv, err := web.New(st, web.Config{SessionSecret: webtest.Secret, MetricsToken: "metrics-token-123"})
	if err != nil {
		t.Fatal(err)
	}
	for auth, want := range map[string]int{
		"": http.StatusUnauthorized, "Bearer wrong": http.StatusUnauthorized, "metrics-token-123": http.StatusUnauthorized,
		"Bearer metrics-token-123": http.StatusOK,
	} {
		if got := get(srv.Echo, auth); got != want {
			t.Errorf("token %q: %d, want %d", auth, got, want)
		}
	}
	// A separate listen address: the main router has no /metrics, the
	// metrics handler has, still behind the token.
	srv, err = web.New(st, web.Config{SessionSecret: webtest.Secret, MetricsToken: "metrics-token-123", MetricsAddr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	if got := get(srv.Echo, "Bearer metrics-token-123"); got != http.StatusNotFound {
		t.Errorf("main address still serves /metrics: %d", got)
	}
	if got := get(srv.MetricsHandler(), "Bearer metrics-token-123"); got != http.StatusOK {
		t.Errorf("metrics address: %d", got)
	}
	if got := get(srv.MetricsHandler(), ""); got != http.StatusUnauthorized {
		t.Errorf("metrics address without token: %d", got)
	}
}

var metricName = regexp.MustCompile(`\b(?:reviewq|go_sql)_[a-z_]+\b`)

// The alert rules load into Prometheus (promtool, when installed; CI
// installs it) and use only metrics /metrics exports.
func TestAlertRules(t *testing.T) {
	path := filepath.Join("..", "deploy", "prometheus", "alerts.yml")
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Groups []struct {
			Rules []struct {
				Alert       string
				Expr        string
				Annotations map[string]string
			}
		}
	}
	if err := yaml.Unmarshal(raw, &file); err != nil {
		t.Fatal(err)
	}
	anchors := map[string]bool{}
	used := map[string]bool{}
	for _, g := range file.Groups {
		for _, r := range g.Rules {
			if r.Annotations["summary"] == "" {
				t.Errorf("%s: no summary", r.Alert)
			}
			link := r.Annotations["runbook_url"]
			if !strings.HasPrefix(link, "docs/operations.md#alert-") {
				t.Errorf("%s: runbook_url %q", r.Alert, link)
			}
			anchors[strings.TrimPrefix(link, "docs/operations.md#")] = true
			for _, m := range metricName.FindAllString(r.Expr, -1) {
				used[m] = true
			}
		}
	}
	for _, a := range []string{"alert-queue-backlog", "alert-oldest-pending", "alert-approval-rate", "alert-api-errors", "alert-queue-disabled", "alert-db-pool"} {
		if !anchors[a] {
			t.Errorf("no rule links to #%s", a)
		}
	}
	// Every runbook anchor has its text in the operations guide.
	guide, err := os.ReadFile(filepath.Join("..", "docs", "operations.md"))
	if err != nil {
		t.Fatal(err)
	}
	for a := range anchors {
		if !strings.Contains(string(guide), `id="`+a+`"`) {
			t.Errorf("docs/operations.md has no anchor %s", a)
		}
	}

	env := webtest.Start(t, store.SQLite)
	c, lead := env.LoggedIn(t, store.RoleLead)
	statsData(t, env, lead)
	env.NewClient(t).JSON(http.MethodGet, "/api/v1/review-queue/reason-codes", env.Token(t, store.ScopeQueueRead), nil)
	c.Get("/dashboard/stats")
	fams := scrape(t, env.NewClient(t))
	names := make([]string, 0, len(used))
	for m := range used {
		names = append(names, m)
	}
	sort.Strings(names)
	if len(names) < 5 {
		t.Fatalf("rules use only %v", names)
	}
	for _, m := range names {
		if fams[m] == nil {
			t.Errorf("the rules use %s, which /metrics does not export", m)
		}
	}

	promtool, err := exec.LookPath("promtool")
	if err != nil {
		if storetest.InCI() {
			t.Fatal("promtool is missing; CI installs Debian's prometheus package")
		}
		t.Skip("promtool not installed (apt-get install --no-install-recommends prometheus): rules not validated")
	}
	if out, err := exec.Command(promtool, "check", "rules", path).CombinedOutput(); err != nil {
		t.Fatalf("promtool check rules: %v\n%s", err, out)
	}
	tests := filepath.Join("..", "deploy", "prometheus", "alerts_test.yml")
	if out, err := exec.Command(promtool, "test", "rules", tests).CombinedOutput(); err != nil {
		t.Fatalf("promtool test rules: %v\n%s", err, out)
	}
}
