package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"reviewq/store"
)

// Worker sends due deliveries, runs the scheduled event checks and prunes
// what was delivered. reviewq serve runs one per instance; on MySQL several
// instances share the work (ClaimDeliveries takes rows FOR UPDATE SKIP
// LOCKED).
type Worker struct {
	Store  *store.Store
	Client *http.Client
	Policy store.DeliveryPolicy
	// BaseURL is the dashboard's public address, for the links of chat
	// messages ("" leaves them out).
	BaseURL string
	// Retention is how long delivered and failed deliveries are kept.
	Retention time.Duration
	// Lease is how long a claimed delivery is this worker's; over the
	// client's timeout, so a delivery is never sent twice at once.
	Lease time.Duration
	// Poll is the pause between rounds when nothing is due; CheckEvery the
	// interval of the scheduled checks and pruning.
	Poll, CheckEvery time.Duration
	Log              *slog.Logger
	// Attempts counts this instance's delivery attempts by endpoint and
	// outcome (delivered, failed): reviewq_webhook_attempts_total.
	Attempts *prometheus.CounterVec
}

// Defaults of the worker.
const (
	DefaultTimeout   = 10 * time.Second
	DefaultRetention = 7 * 24 * time.Hour
	claimBatch       = 20
)

// NewWorker is a worker with the defaults.
func NewWorker(st *store.Store, allow AllowList, log *slog.Logger) *Worker {
	return &Worker{Store: st, Client: NewClient(DefaultTimeout, allow), Policy: store.DefaultDeliveryPolicy,
		Retention: DefaultRetention, Lease: 2 * DefaultTimeout, Poll: time.Second, CheckEvery: time.Minute, Log: log,
		Attempts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "reviewq_webhook_attempts_total",
			Help: "Webhook delivery attempts of this instance by endpoint id and outcome (delivered, failed); sum across instances.",
		}, []string{"endpoint", "outcome"})}
}

// Run works until ctx ends.
func (w *Worker) Run(ctx context.Context) {
	lastCheck := time.Time{}
	for ctx.Err() == nil {
		if time.Since(lastCheck) >= w.CheckEvery {
			lastCheck = time.Now()
			if err := w.Store.RunEventChecks(ctx); err != nil && ctx.Err() == nil {
				w.Log.Warn("webhook event checks", "err", err)
			}
			if n, err := w.Store.PruneWebhooks(ctx, w.Retention); err != nil && ctx.Err() == nil {
				w.Log.Warn("webhook prune", "err", err)
			} else if n > 0 {
				w.Log.Info("webhook deliveries pruned", "deliveries", n)
			}
		}
		n, err := w.RunOnce(ctx)
		if err != nil && ctx.Err() == nil {
			w.Log.Warn("webhook deliveries", "err", err)
		}
		if n == 0 || err != nil {
			select {
			case <-ctx.Done():
			case <-time.After(w.Poll):
			}
		}
	}
}

// RunOnce claims and sends one round of due deliveries; it returns how many.
// The round's deliveries go out at once, each on its own, so all of them
// finish within one client timeout, well inside their lease (a lease that
// ran out would let another worker send the same message meanwhile). A
// round never holds two deliveries of one review to one endpoint.
func (w *Worker) RunOnce(ctx context.Context) (int, error) {
	jobs, err := w.Store.ClaimDeliveries(ctx, claimBatch, w.Lease, 0)
	if err != nil {
		return 0, err
	}
	errs := make([]error, len(jobs))
	var wg sync.WaitGroup
	for i, j := range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = w.send(ctx, j)
		}()
	}
	wg.Wait()
	return len(jobs), errors.Join(errs...)
}

// DeliverNow sends one pending delivery at once (send test event) and
// returns what happened.
func (w *Worker) DeliverNow(ctx context.Context, deliveryID int64) (*store.DeliveryResult, error) {
	jobs, err := w.Store.ClaimDeliveries(ctx, 1, w.Lease, deliveryID)
	if err != nil {
		return nil, err
	}
	if len(jobs) == 0 {
		return nil, store.ErrNotFound
	}
	res := w.attempt(ctx, jobs[0])
	if err := w.Store.FinishDelivery(ctx, jobs[0], res, w.Policy); err != nil {
		return nil, err
	}
	return &res, nil
}

func (w *Worker) send(ctx context.Context, j store.DeliveryJob) error {
	res := w.attempt(ctx, j)
	outcome := "delivered"
	if !res.OK {
		outcome = "failed"
	}
	w.Attempts.WithLabelValues(strconv.FormatInt(j.EndpointID, 10), outcome).Inc()
	if !res.OK {
		w.Log.Info("webhook delivery failed", "delivery", j, "attempt", j.Attempt, "code", res.ResponseCode, "err", res.Error)
	}
	// Recorded even while shutting down: the attempt happened.
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	return w.Store.FinishDelivery(fctx, j, res, w.Policy)
}

// attempt makes one signed POST.
func (w *Worker) attempt(ctx context.Context, j store.DeliveryJob) store.DeliveryResult {
	body := []byte(j.Body)
	if j.Kind == store.WebhookKindChat {
		b, err := json.Marshal(map[string]string{"text": ChatText(j.Type, []byte(j.Body), w.BaseURL)})
		if err != nil {
			return store.DeliveryResult{Error: "encode chat message"}
		}
		body = b
	}
	ts := time.Now().Unix()
	sig, err := signatureHeader(j.Secrets, j.MsgID, ts, body)
	if err != nil {
		return store.DeliveryResult{Error: err.Error()}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, j.URL, bytes.NewReader(body))
	if err != nil {
		return store.DeliveryResult{Error: "bad endpoint URL"}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "reviewq-webhooks/1")
	req.Header.Set(HeaderID, j.MsgID)
	req.Header.Set(HeaderTimestamp, strconv.FormatInt(ts, 10))
	req.Header.Set(HeaderSignature, sig)
	start := time.Now()
	resp, err := w.Client.Do(req)
	if err != nil {
		return store.DeliveryResult{Latency: time.Since(start), Error: describe(err)}
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	res := store.DeliveryResult{ResponseCode: resp.StatusCode, Latency: time.Since(start), Snippet: string(answer[:min(len(answer), 200)])}
	res.OK = resp.StatusCode >= 200 && resp.StatusCode < 300
	if !res.OK {
		res.Error = "answered " + resp.Status
	}
	return res
}

// describe says why a request failed, without the URL (its query may
// carry a token).
func describe(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	switch {
	case errors.Is(err, ErrForbiddenTarget):
		return "refused: " + ErrForbiddenTarget.Error()
	case ue != nil && ue.Timeout():
		return "timed out"
	}
	return err.Error()
}

// ChatText is the one-line message a chat endpoint gets for an event.
func ChatText(typ string, body []byte, baseURL string) string {
	var ev struct {
		Data map[string]any `json:"data"`
	}
	_ = json.Unmarshal(body, &ev)
	d := ev.Data
	num := func(k string) int64 {
		f, _ := d[k].(float64)
		return int64(f)
	}
	str := func(k string) string { s, _ := d[k].(string); return s }
	hours := func(k string) string { return strconv.FormatInt(num(k)/3600, 10) + " h" }
	link := ""
	if baseURL != "" {
		link = " " + strings.TrimSuffix(baseURL, "/") + "/dashboard/review-queue"
	}
	switch typ {
	case store.WebhookQueueReminder:
		return fmt.Sprintf("Review queue: %d reviews have waited over %d h; the oldest for %s.%s",
			num("waiting_past_warning"), num("warning_hours"), hours("oldest_age_seconds"), link)
	case store.WebhookSLABreached, store.WebhookSLAWarning:
		word := "is past its SLA"
		if typ == store.WebhookSLAWarning {
			word = "is nearing its SLA"
		}
		return fmt.Sprintf("Review #%d (%s) %s: waiting %s (%s threshold %d h).%s",
			num("review_id"), str("review_type"), word, hours("age_seconds"), str("threshold"), num("threshold_hours"), link)
	case store.WebhookQueueBacklog:
		return fmt.Sprintf("Review queue backlog: %d pending reviews, over the threshold of %d.%s", num("pending"), num("threshold"), link)
	case store.WebhookQueueDisabled:
		return "The review queue was switched off (queue.enabled=false)." + link
	case store.WebhookQueueEnabled:
		return "The review queue was switched on again." + link
	case store.WebhookTest:
		return "reviewq test message: this endpoint receives reviewq notifications." + link
	}
	if id := num("review_id"); id != 0 {
		return fmt.Sprintf("reviewq: %s, review #%d.%s", typ, id, link)
	}
	return "reviewq: " + typ + "." + link
}
