package web

import (
	"context"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"reviewq/store"
)

// webhookCollector reports the webhook deliveries from the database (the
// same on every instance: use max() across instances): pending and failed
// deliveries by endpoint, the undelivered backlog and its oldest age, and
// endpoints failing or disabled after failing. Read at most every
// queueCacheTTL.
type webhookCollector struct {
	st  *store.Store
	log *slog.Logger

	mu   sync.Mutex
	at   time.Time
	snap *store.WebhookBacklog

	deliveries, undelivered, oldest, failing, autoOff *prometheus.Desc
}

func newWebhookCollector(st *store.Store, log *slog.Logger) *webhookCollector {
	return &webhookCollector{st: st, log: log,
		deliveries: prometheus.NewDesc("reviewq_webhook_deliveries",
			"Webhook deliveries by endpoint id and status: pending, or failed (given up, kept for the retention).",
			[]string{"endpoint", "status"}, nil),
		undelivered: prometheus.NewDesc("reviewq_webhook_undelivered",
			"Deliveries to enabled endpoints not yet delivered.", nil, nil),
		oldest: prometheus.NewDesc("reviewq_webhook_oldest_undelivered_age_seconds",
			"Age of the oldest undelivered delivery to an enabled endpoint (0 when none).", nil, nil),
		failing: prometheus.NewDesc("reviewq_webhook_endpoints_failing",
			"Enabled endpoints whose last deliveries failed (see /admin/webhooks).", nil, nil),
		autoOff: prometheus.NewDesc("reviewq_webhook_endpoints_disabled_after_failing",
			"Endpoints disabled after a day of failures.", nil, nil),
	}
}

func (w *webhookCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- w.deliveries
	ch <- w.undelivered
	ch <- w.oldest
	ch <- w.failing
	ch <- w.autoOff
}

func (w *webhookCollector) Collect(ch chan<- prometheus.Metric) {
	w.mu.Lock()
	if w.snap == nil || time.Since(w.at) >= queueCacheTTL {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		snap, err := w.st.WebhookStats(ctx)
		cancel()
		if err != nil {
			w.log.Warn("webhook metrics", "err", err)
			snap = nil
		}
		w.snap, w.at = snap, time.Now()
	}
	snap := w.snap
	w.mu.Unlock()
	if snap == nil {
		return
	}
	for _, b := range snap.ByEndpoint {
		ch <- prometheus.MustNewConstMetric(w.deliveries, prometheus.GaugeValue, float64(b.N), strconv.FormatInt(b.EndpointID, 10), b.Status)
	}
	ch <- prometheus.MustNewConstMetric(w.undelivered, prometheus.GaugeValue, float64(snap.Pending))
	ch <- prometheus.MustNewConstMetric(w.oldest, prometheus.GaugeValue, snap.OldestAge.Seconds())
	ch <- prometheus.MustNewConstMetric(w.failing, prometheus.GaugeValue, float64(snap.Failing))
	ch <- prometheus.MustNewConstMetric(w.autoOff, prometheus.GaugeValue, float64(snap.AutoOff))
}
