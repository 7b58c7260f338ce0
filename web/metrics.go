package web

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"log/slog"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"reviewq/store"
)

// Prometheus metrics. Each server has its own registry (tests start many).
//
// Queue and flow figures come from the database, not from in-process
// counters, so every instance reports the same cluster-wide values (use
// max(), not sum(), across instances): the queue gauges from two index-only
// queries over the pending rows, cached for queueCacheTTL; the decision and
// flag counters from the daily aggregates (store/stats_daily.go): the days
// before today are summed once per baselineTTL, today's rows on each refresh.
// HTTP and pool metrics are per instance. reviewq_queue_enabled is the
// queue.enabled setting, read with the queue figures.

const (
	queueCacheTTL = 5 * time.Second
	baselineTTL   = 10 * time.Minute
)

type metrics struct {
	reg      *prometheus.Registry
	handler  http.Handler
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

func newMetrics(st *store.Store, cfg Config, log *slog.Logger) *metrics {
	m := &metrics{reg: prometheus.NewRegistry()}
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "reviewq_http_requests_total",
		Help: "HTTP requests by method, route template, status code and reason: queue_disabled for a 503 " +
			"because the queue.enabled setting is off (a rollback, not an outage), else empty.",
	}, []string{"method", "route", "status", "reason"})
	m.duration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "reviewq_http_request_duration_seconds",
		Help:    "HTTP request latency by method and route template.",
		Buckets: []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10},
	}, []string{"method", "route"})
	build := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "reviewq_build_info",
		Help: "Build of the running binary (always 1).",
	}, []string{"version", "commit", "goversion"})
	build.WithLabelValues(orUnknown(cfg.Version), orUnknown(cfg.Commit), runtime.Version()).Set(1)
	m.reg.MustRegister(m.requests, m.duration, build,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		// go_sql_{max_open,open,in_use,idle}_connections, go_sql_wait_count_total, ...
		collectors.NewDBStatsCollector(st.SQL, "reviewq"),
		newQueueCollector(st, log),
		newWebhookCollector(st, log),
		// Per instance: how well concurrent decisions share transactions.
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "reviewq_decision_transactions_total",
			Help: "Transactions that wrote decisions on this instance (concurrent decisions share one).",
		}, func() float64 { tx, _ := st.DecisionBatches(); return float64(tx) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "reviewq_decisions_submitted_total",
			Help: "Decisions those transactions carried, refused ones included.",
		}, func() float64 { _, n := st.DecisionBatches(); return float64(n) }),
		// Conflicts (deadlocks, Galera certification failures) and unready
		// nodes: transactions run again, and those given up (answered 503).
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "reviewq_db_retries_total",
			Help: "Database transactions or statements run again after a conflict, a node not ready or a lost connection.",
		}, func() float64 { n, _ := st.TxRetries(); return float64(n) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "reviewq_db_unavailable_total",
			Help: "Database transactions given up after their retries (answered 503 with Retry-After).",
		}, func() float64 { _, n := st.TxRetries(); return float64(n) }),
	)
	m.reg.MustRegister(cfg.Collectors...)
	m.handler = promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{
		ErrorHandling: promhttp.ContinueOnError,
		ErrorLog:      slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	})
	return m
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

var knownMethods = map[string]bool{"GET": true, "HEAD": true, "POST": true, "PUT": true, "PATCH": true, "DELETE": true, "OPTIONS": true}

// httpMetrics counts every request by its route template (c.Path(), never
// the raw path, which would make a series per id) and status. It is the
// outermost middleware, so it also sees panics turned into 500s.
func (s *Server) httpMetrics(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		if err := next(c); err != nil {
			c.Error(err)
		}
		route := c.Path()
		if route == "" || (c.Response().Status == http.StatusNotFound && strings.HasSuffix(route, "*")) {
			route = "unmatched"
		}
		method := c.Request().Method
		if !knownMethods[method] {
			method = "OTHER"
		}
		why, _ := c.Get(ctxRefusal).(string)
		s.metrics.requests.WithLabelValues(method, route, strconv.Itoa(c.Response().Status), why).Inc()
		s.metrics.duration.WithLabelValues(method, route).Observe(time.Since(start).Seconds())
		return nil
	}
}

// metricsAuthorized checks the bearer token when REVIEWQ_METRICS_TOKEN is set.
func (s *Server) metricsAuthorized(r *http.Request) bool {
	if s.cfg.MetricsToken == "" {
		return true
	}
	got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	return ok && subtle.ConstantTimeCompare([]byte(got), []byte(s.cfg.MetricsToken)) == 1
}

// ProbesHere says whether /readyz (and /metrics, unless it has its own
// address) is served on the main address: always on loopback, beyond it
// only behind REVIEWQ_METRICS_TOKEN.
func (s *Server) ProbesHere() bool {
	return !s.cfg.PrivateProbes || s.cfg.MetricsToken != ""
}

// requireMetricsToken guards /readyz like /metrics (a no-op without a token).
func (s *Server) requireMetricsToken(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if !s.metricsAuthorized(c.Request()) {
			c.Response().Header().Set("WWW-Authenticate", `Bearer realm="metrics"`)
			return c.JSON(http.StatusUnauthorized, map[string]string{"status": "unauthorized"})
		}
		return next(c)
	}
}

// metricsPage serves /metrics on the main address.
func (s *Server) metricsPage(c echo.Context) error {
	if !s.metricsAuthorized(c.Request()) {
		c.Response().Header().Set("WWW-Authenticate", `Bearer realm="metrics"`)
		return errUnauthorized
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	s.metrics.handler.ServeHTTP(c.Response(), c.Request())
	return nil
}

// MetricsHandler serves /metrics and /readyz, for the separate listen
// address (REVIEWQ_METRICS_ADDR); the bearer token, when set, is required
// for /metrics there too.
func (s *Server) MetricsHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, r *http.Request) {
		if !s.metricsAuthorized(r) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="metrics"`)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		s.metrics.handler.ServeHTTP(w, r)
	})
	// The readiness check too, without the token: this address is private
	// by where it listens, and the balancer checks it here (check port).
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		status, body := s.readiness(r.Context())
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(body)
	})
	return mux
}

// queueCollector exports the queue and flow figures from the database.
type queueCollector struct {
	st  *store.Store
	log *slog.Logger

	pending, oldestAge, decisions, flags, enabled *prometheus.Desc

	mu         sync.Mutex
	at         time.Time
	snap       *queueSnapshot
	baseDay    string // baseline covers the days before this one
	baseAt     time.Time
	baseline   []store.FlowTotal
	lastFailed time.Time
}

type queueSnapshot struct {
	pending   map[string]int64
	oldestAge float64
	totals    []store.FlowTotal
	enabled   bool
}

func newQueueCollector(st *store.Store, log *slog.Logger) *queueCollector {
	return &queueCollector{
		st: st, log: log,
		pending: prometheus.NewDesc("reviewq_pending_reviews", "Pending reviews by review type.", []string{"review_type"}, nil),
		oldestAge: prometheus.NewDesc("reviewq_oldest_pending_age_seconds",
			"Age of the oldest pending review in seconds (0 when the queue is empty).", nil, nil),
		decisions: prometheus.NewDesc("reviewq_decisions_total",
			"Decisions by outcome ("+strings.Join(store.DecidedStatuses(), ", ")+") and review type, all instances together; undone ones included (a counter never goes down).", []string{"outcome", "review_type"}, nil),
		flags: prometheus.NewDesc("reviewq_flags_total",
			"Reviews opened by flag source, all instances together.", []string{"source"}, nil),
		enabled: prometheus.NewDesc("reviewq_queue_enabled",
			"1 while the queue.enabled setting is on, 0 while the queue is switched off (the rollback).", nil, nil),
	}
}

func (q *queueCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- q.pending
	ch <- q.oldestAge
	ch <- q.decisions
	ch <- q.flags
	ch <- q.enabled
}

// snapshot returns the cached figures, refreshing them when stale. A failed
// refresh keeps serving the last figures for a minute, then none (so a
// dead database shows as missing series, not as a frozen queue).
func (q *queueCollector) snapshot() *queueSnapshot {
	q.mu.Lock()
	defer q.mu.Unlock()
	now := time.Now()
	if q.snap != nil && now.Sub(q.at) < queueCacheTTL {
		return q.snap
	}
	if now.Sub(q.lastFailed) < time.Second {
		return q.staleOrNil(now)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	snap, err := q.refresh(ctx)
	if err != nil {
		q.lastFailed = now
		q.log.Warn("metrics: reading the queue figures failed", "error", err.Error())
		return q.staleOrNil(now)
	}
	q.snap, q.at = snap, now
	return snap
}

func (q *queueCollector) staleOrNil(now time.Time) *queueSnapshot {
	if q.snap != nil && now.Sub(q.at) < time.Minute {
		return q.snap
	}
	return nil
}

func (q *queueCollector) refresh(ctx context.Context) (*queueSnapshot, error) {
	set, err := q.st.Settings(ctx)
	if err != nil {
		return nil, err
	}
	pending, err := q.st.PendingByType(ctx)
	if err != nil {
		return nil, err
	}
	oldest, err := q.st.OldestPending(ctx)
	if err != nil {
		return nil, err
	}
	now := store.Now()
	today := store.Day(now)
	if q.baseDay != today || time.Since(q.baseAt) > baselineTTL {
		yesterday := store.Day(now.AddDate(0, 0, -1))
		base, err := q.st.FlowTotals(ctx, "", yesterday)
		if err != nil {
			return nil, err
		}
		q.baseline, q.baseDay, q.baseAt = base, today, time.Now()
	}
	todays, err := q.st.FlowTotals(ctx, today, "")
	if err != nil {
		return nil, err
	}
	snap := &queueSnapshot{pending: pending, totals: append(append([]store.FlowTotal(nil), q.baseline...), todays...),
		enabled: set.QueueEnabled()}
	if oldest != nil {
		snap.oldestAge = max(now.Sub(*oldest).Seconds(), 0)
	}
	return snap, nil
}

func (q *queueCollector) Collect(ch chan<- prometheus.Metric) {
	snap := q.snapshot()
	if snap == nil {
		return
	}
	for typ, n := range snap.pending {
		ch <- prometheus.MustNewConstMetric(q.pending, prometheus.GaugeValue, float64(n), typ)
	}
	ch <- prometheus.MustNewConstMetric(q.oldestAge, prometheus.GaugeValue, snap.oldestAge)
	enabled := 0.0
	if snap.enabled {
		enabled = 1
	}
	ch <- prometheus.MustNewConstMetric(q.enabled, prometheus.GaugeValue, enabled)
	type dk struct{ outcome, typ string }
	decisions := map[dk]int64{}
	flags := map[string]int64{}
	// Every series exists from the start, so rate() and increase() see the
	// first decision of a kind as an increase from 0.
	for _, typ := range store.ReviewTypes {
		for _, o := range store.DecidedStatuses() {
			decisions[dk{o, typ}] += 0
		}
	}
	for _, src := range store.Sources {
		flags[src] += 0
	}
	for _, t := range snap.totals {
		switch {
		case t.Kind == store.StatFlagged:
			flags[t.Source] += t.N
		case strings.HasPrefix(t.Kind, store.UndoneKind("")):
			// Undone decisions were made all the same: a counter never
			// goes down (stats_daily takes them out of their outcome).
			decisions[dk{strings.TrimPrefix(t.Kind, store.UndoneKind("")), t.ReviewType}] += t.N
		default:
			decisions[dk{t.Kind, t.ReviewType}] += t.N
		}
	}
	for k, n := range decisions {
		ch <- prometheus.MustNewConstMetric(q.decisions, prometheus.CounterValue, float64(n), k.outcome, k.typ)
	}
	for src, n := range flags {
		ch <- prometheus.MustNewConstMetric(q.flags, prometheus.CounterValue, float64(n), src)
	}
}
