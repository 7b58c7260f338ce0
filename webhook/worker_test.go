package webhook_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"reviewq/store"
	"reviewq/store/storetest"
	"reviewq/webhook"
)

// received is one request as the test's receiver got it.
type received struct {
	Header http.Header
	Body   []byte
	At     time.Time
}

// receiver is an HTTP endpoint written for the tests: it records what
// arrives and answers with status(n) for the n-th request (from 1).
type receiver struct {
	srv    *httptest.Server
	mu     sync.Mutex
	got    []received
	status func(n int) int
	// slow delays each answer; inFlight and overlap catch one message
	// being sent twice at the same time.
	slow     time.Duration
	inFlight map[string]bool
	overlap  []string
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{status: func(int) int { return http.StatusOK }, inFlight: map[string]bool{}}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		id := req.Header.Get(webhook.HeaderID)
		r.mu.Lock()
		if r.inFlight[id] {
			r.overlap = append(r.overlap, id)
		}
		r.inFlight[id] = true
		r.got = append(r.got, received{Header: req.Header.Clone(), Body: body, At: time.Now()})
		code := r.status(len(r.got))
		r.mu.Unlock()
		time.Sleep(r.slow)
		r.mu.Lock()
		delete(r.inFlight, id)
		r.mu.Unlock()
		w.WriteHeader(code)
		_, _ = w.Write([]byte("ok from the test receiver"))
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) requests() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.got)
}

func (r *receiver) setStatus(f func(n int) int) {
	r.mu.Lock()
	r.status = f
	r.mu.Unlock()
}

// testPolicy retries fast: 50 ms, then 100 ms, 200 ms, ...
var testPolicy = store.DeliveryPolicy{RetryBase: 50 * time.Millisecond, RetryMax: 400 * time.Millisecond, GiveUpAfter: time.Hour, DisableAfter: time.Hour}

func newWorker(t *testing.T, st *store.Store) *webhook.Worker {
	allow, err := webhook.ParseAllowList("127.0.0.0/8, ::1")
	if err != nil {
		t.Fatal(err)
	}
	w := webhook.NewWorker(st, allow, slog.New(slog.NewTextHandler(io.Discard, nil)))
	w.Client = webhook.NewClient(2*time.Second, allow)
	w.Policy = testPolicy
	w.BaseURL = "https://reviewq.example.com"
	return w
}

// runUntil runs the worker's rounds until done says so, or fails.
func runUntil(t *testing.T, w *webhook.Worker, what string, done func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !done() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		if _, err := w.RunOnce(context.Background()); err != nil {
			t.Fatal(err)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func subscribe(t *testing.T, st *store.Store, url string, kind string, events ...string) (*store.WebhookEndpoint, string) {
	t.Helper()
	e, secret, err := st.CreateWebhook(context.Background(), store.SystemActor, "", store.WebhookInput{URL: url, Events: events, Kind: kind})
	if err != nil {
		t.Fatal(err)
	}
	return e, secret
}

func TestDeliveriesAreSignedAndVerify(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		rcv := newReceiver(t)
		_, secret := subscribe(t, st, rcv.srv.URL+"/hook", "", store.WebhookReviewFlagged, store.WebhookReviewDecided)
		_, otherSecret := subscribe(t, st, "https://other.example.com/", "", store.WebhookQueueEnabled)
		r := storetest.FlaggedLead(t, st, "L1", store.TypeMessage)
		if _, err := st.Decide(ctx, store.DecideInput{ReviewID: r.ID, Outcome: store.OutcomeApprove, Actor: store.SystemActor}); err != nil {
			t.Fatal(err)
		}
		w := newWorker(t, st)
		runUntil(t, w, "two deliveries", func() bool { return len(rcv.requests()) == 2 })
		stored, err := st.OutboxEvents(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for i, req := range rcv.requests() {
			if err := webhook.Verify(secret, req.Header, req.Body, time.Now()); err != nil {
				t.Fatalf("delivery %d does not verify: %v", i, err)
			}
			if err := webhook.Verify(otherSecret, req.Header, req.Body, time.Now()); err == nil {
				t.Fatal("a delivery verifies with another endpoint's secret")
			}
			tampered := append(slices.Clone(req.Body), ' ')
			if err := webhook.Verify(secret, req.Header, tampered, time.Now()); err == nil {
				t.Fatal("a changed body verifies")
			}
			if err := webhook.Verify(secret, req.Header, req.Body, time.Now().Add(10*time.Minute)); err == nil {
				t.Fatal("a 10-minute-old delivery verifies")
			}
			if req.Header.Get(webhook.HeaderID) != stored[i].MsgID || string(req.Body) != stored[i].Body {
				t.Fatalf("delivery %d is not the stored event %s", i, stored[i].MsgID)
			}
		}
	})
}

func TestFailedDeliveryRetriesWithOneIDAndBacksOff(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		rcv := newReceiver(t)
		rcv.setStatus(func(n int) int {
			if n <= 2 {
				return http.StatusInternalServerError
			}
			return http.StatusOK
		})
		e, _ := subscribe(t, st, rcv.srv.URL, "", store.WebhookReviewFlagged)
		storetest.FlaggedLead(t, st, "L1", store.TypeMessage)
		w := newWorker(t, st)
		runUntil(t, w, "three attempts", func() bool { return len(rcv.requests()) == 3 })
		reqs := rcv.requests()
		id := reqs[0].Header.Get(webhook.HeaderID)
		for _, r := range reqs {
			if r.Header.Get(webhook.HeaderID) != id {
				t.Fatalf("retries changed the webhook-id: %s then %s", id, r.Header.Get(webhook.HeaderID))
			}
		}
		first, second := reqs[1].At.Sub(reqs[0].At), reqs[2].At.Sub(reqs[1].At)
		if first < 40*time.Millisecond || second < 80*time.Millisecond {
			t.Fatalf("no backoff: retried after %v, then %v", first, second)
		}
		log, _, err := st.ListDeliveries(ctx, e.ID, 0, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(log) != 1 || log[0].Status != store.DeliveryDelivered || log[0].Attempts != 3 || *log[0].ResponseCode != 200 ||
			log[0].Type != store.WebhookReviewFlagged || !strings.HasPrefix(log[0].ResponseSnippet, "ok from") {
			t.Fatalf("delivery log: %+v", log)
		}
		endpoint := fmt.Sprint(e.ID)
		if f, d := counterValue(t, w.Attempts, endpoint, "failed"), counterValue(t, w.Attempts, endpoint, "delivered"); f != 2 || d != 1 {
			t.Fatalf("attempts counted: %v failed, %v delivered", f, d)
		}
		got, err := st.GetWebhook(ctx, e.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Failures != 0 || got.FailingSince != nil {
			t.Fatalf("a success did not clear the failure record: %+v", got)
		}
	})
}

// A receiver down for a while gets everything afterwards, each lead's
// events (its review's and its eligibility's) in the order they happened.
func TestOutageThenEverythingInOrderPerReview(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		rcv := newReceiver(t)
		down := true
		var mu sync.Mutex
		rcv.setStatus(func(int) int {
			mu.Lock()
			defer mu.Unlock()
			if down {
				return http.StatusServiceUnavailable
			}
			return http.StatusOK
		})
		e, _ := subscribe(t, st, rcv.srv.URL, "", store.WebhookReviewFlagged, store.WebhookReviewReflagged, store.WebhookReviewDecided,
			store.WebhookEligibilityChanged)
		w := newWorker(t, st)
		var reviews []*store.Review
		for i := range 3 {
			reviews = append(reviews, storetest.FlaggedLead(t, st, fmt.Sprintf("L%d", i), store.TypeMessage))
		}
		for _, r := range reviews {
			if _, err := st.Reflag(ctx, store.ReflagInput{ReviewID: r.ID, ReviewType: store.TypePricing, Reason: "again", Actor: store.SystemActor}); err != nil {
				t.Fatal(err)
			}
			if _, err := w.RunOnce(ctx); err != nil {
				t.Fatal(err)
			}
		}
		lost := "lost"
		for i, r := range reviews {
			if _, err := st.Decide(ctx, store.DecideInput{ReviewID: r.ID, Outcome: store.OutcomeApprove, Actor: store.SystemActor}); err != nil {
				t.Fatal(err)
			}
			if _, _, err := st.UpsertLead(ctx, store.LeadInput{ExternalID: fmt.Sprintf("L%d", i), Status: &lost}); err != nil {
				t.Fatal(err)
			}
		}
		runUntil(t, w, "the endpoint marked failing", func() bool {
			got, err := st.GetWebhook(ctx, e.ID)
			return err == nil && got.Failing()
		})
		mu.Lock()
		down = false
		mu.Unlock()
		runUntil(t, w, "every event delivered", func() bool {
			stats, err := st.WebhookStats(ctx)
			return err == nil && stats.Pending == 0
		})
		delivered := map[string][]string{}
		seen := map[string]bool{}
		for _, req := range rcv.requests() {
			if req.Header.Get("Content-Type") != "application/json" {
				t.Fatal("not sent as JSON")
			}
			var ev struct {
				ID   string         `json:"id"`
				Type string         `json:"type"`
				Data map[string]any `json:"data"`
			}
			if err := json.Unmarshal(req.Body, &ev); err != nil {
				t.Fatal(err)
			}
			if !seen[ev.ID] {
				seen[ev.ID] = true
				key, what := fmt.Sprint(ev.Data["lead_id"]), ev.Type
				if cause, ok := ev.Data["cause"].(string); ok {
					what += "/" + cause
				}
				delivered[key] = append(delivered[key], what)
			}
		}
		want := []string{store.WebhookReviewFlagged, "lead.eligibility_changed/review.flagged", store.WebhookReviewReflagged,
			store.WebhookReviewDecided, "lead.eligibility_changed/review.decided", "lead.eligibility_changed/lead.updated"}
		for _, r := range reviews {
			if got := delivered[fmt.Sprint(r.LeadID)]; !slices.Equal(got, want) {
				t.Fatalf("lead %d: first deliveries in order\n%v, want\n%v", r.LeadID, got, want)
			}
		}
	})
}

func TestEndpointDisabledAfterFailingTooLong(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		rcv := newReceiver(t)
		rcv.setStatus(func(int) int { return http.StatusBadGateway })
		e, _ := subscribe(t, st, rcv.srv.URL, "", store.WebhookReviewFlagged)
		storetest.FlaggedLead(t, st, "L1", store.TypeMessage)
		w := newWorker(t, st)
		w.Policy.DisableAfter = 300 * time.Millisecond
		runUntil(t, w, "the endpoint disabled", func() bool {
			got, err := st.GetWebhook(ctx, e.ID)
			return err == nil && !got.Enabled
		})
		got, _ := st.GetWebhook(ctx, e.ID)
		if !strings.Contains(got.DisabledReason, "failing since") {
			t.Fatalf("disabled reason: %q", got.DisabledReason)
		}
		stats, err := st.WebhookStats(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if stats.AutoOff != 1 || stats.Pending != 0 {
			t.Fatalf("stats: %+v", stats)
		}
		audit, _, err := st.ListAudit(ctx, store.AuditFilter{Action: "webhook.disable"})
		if err != nil || len(audit) != 1 || audit[0].ActorType != store.ActorSystem {
			t.Fatalf("audit of the automatic disable: %v %+v", err, audit)
		}
		n := len(rcv.requests())
		for range 5 {
			if _, err := w.RunOnce(ctx); err != nil {
				t.Fatal(err)
			}
		}
		if len(rcv.requests()) != n {
			t.Fatal("a disabled endpoint still gets deliveries")
		}
	})
}

func TestRotationSignsWithBothSecrets(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		rcv := newReceiver(t)
		e, oldSecret := subscribe(t, st, rcv.srv.URL, "", store.WebhookReviewFlagged)
		newSecret, err := st.RotateWebhookSecret(ctx, store.SystemActor, "", e.ID)
		if err != nil {
			t.Fatal(err)
		}
		storetest.FlaggedLead(t, st, "L1", store.TypeMessage)
		w := newWorker(t, st)
		runUntil(t, w, "a delivery", func() bool { return len(rcv.requests()) == 1 })
		req := rcv.requests()[0]
		if sigs := strings.Fields(req.Header.Get(webhook.HeaderSignature)); len(sigs) != 2 {
			t.Fatalf("signatures during the overlap: %v", sigs)
		}
		for _, s := range []string{oldSecret, newSecret} {
			if err := webhook.Verify(s, req.Header, req.Body, time.Now()); err != nil {
				t.Fatalf("does not verify with %s secret: %v", map[bool]string{true: "the old", false: "the new"}[s == oldSecret], err)
			}
		}
	})
}

func TestPrivateTargetsRefused(t *testing.T) {
	ctx := context.Background()
	var none webhook.AllowList
	for _, host := range []string{"169.254.169.254", "10.1.2.3", "127.0.0.1", "192.168.0.10", "::1", "100.64.0.1", "0.0.0.0", "fd00::1"} {
		if err := none.CheckTarget(ctx, host); err == nil {
			t.Errorf("%s is allowed", host)
		}
	}
	if err := none.CheckTarget(ctx, "8.8.8.8"); err != nil {
		t.Errorf("a public address is refused: %v", err)
	}
	if _, err := webhook.ParseAllowList("10.0.0.0/8,nonsense"); err == nil {
		t.Error("a bad allow-list is accepted")
	}
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		rcv := newReceiver(t)
		e, _ := subscribe(t, st, rcv.srv.URL, "", store.WebhookReviewFlagged)
		storetest.FlaggedLead(t, st, "L1", store.TypeMessage)
		w := newWorker(t, st)
		w.Client = webhook.NewClient(time.Second, nil)
		if _, err := w.RunOnce(ctx); err != nil {
			t.Fatal(err)
		}
		log, _, err := st.ListDeliveries(ctx, e.ID, 0, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(rcv.requests()) != 0 || len(log) != 1 || !strings.Contains(log[0].Error, "refused") {
			t.Fatalf("a loopback endpoint was reached without the allow-list: %d requests, %+v", len(rcv.requests()), log)
		}
	})
}

func TestChatEndpointGetsText(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		rcv := newReceiver(t)
		_, secret := subscribe(t, st, rcv.srv.URL, store.WebhookKindChat, store.WebhookQueueDisabled, store.WebhookSLABreached)
		if _, err := st.SetSetting(ctx, store.SystemActor, "", store.KeyQueueEnabled, "false"); err != nil {
			t.Fatal(err)
		}
		w := newWorker(t, st)
		runUntil(t, w, "a chat message", func() bool { return len(rcv.requests()) == 1 })
		req := rcv.requests()[0]
		var msg map[string]string
		if err := json.Unmarshal(req.Body, &msg); err != nil {
			t.Fatal(err)
		}
		if len(msg) != 1 || !strings.Contains(msg["text"], "switched off") || !strings.Contains(msg["text"], "https://reviewq.example.com/dashboard/review-queue") {
			t.Fatalf("chat body: %s", req.Body)
		}
		if err := webhook.Verify(secret, req.Header, req.Body, time.Now()); err != nil {
			t.Fatalf("chat message not signed: %v", err)
		}
	})
}

func TestSendTestEventNow(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		rcv := newReceiver(t)
		e, secret := subscribe(t, st, rcv.srv.URL, "", store.WebhookReviewDecided)
		id, err := st.QueueTestEvent(ctx, store.SystemActor, "", e.ID)
		if err != nil {
			t.Fatal(err)
		}
		res, err := newWorker(t, st).DeliverNow(ctx, id)
		if err != nil || !res.OK || res.ResponseCode != 200 {
			t.Fatalf("test event: %v %+v", err, res)
		}
		reqs := rcv.requests()
		if len(reqs) != 1 || !strings.Contains(string(reqs[0].Body), `"type":"webhook.test"`) {
			t.Fatalf("test event arrived as %v", reqs)
		}
		if err := webhook.Verify(secret, reqs[0].Header, reqs[0].Body, time.Now()); err != nil {
			t.Fatal(err)
		}
	})
}

// Two instances' workers on one MariaDB: every message is sent once, and
// never by both at the same time.
func TestTwoWorkersShareDeliveriesMySQL(t *testing.T) {
	url := storetest.URL(t, store.MySQL)
	a, b := storetest.OpenURL(t, url), storetest.OpenURL(t, url)
	ctx := context.Background()
	if _, err := a.MigrateUp(ctx); err != nil {
		t.Fatal(err)
	}
	rcv := newReceiver(t)
	rcv.slow = 10 * time.Millisecond
	subscribe(t, a, rcv.srv.URL, "", store.WebhookReviewFlagged)
	const leads = 60
	for i := range leads {
		storetest.FlaggedLead(t, a, fmt.Sprintf("L%d", i), store.TypeMessage)
	}
	wa, wb := newWorker(t, a), newWorker(t, b)
	var wg sync.WaitGroup
	for _, w := range []*webhook.Worker{wa, wb} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			deadline := time.Now().Add(20 * time.Second)
			for time.Now().Before(deadline) {
				stats, err := a.WebhookStats(ctx)
				if err != nil || stats.Pending == 0 {
					return
				}
				if _, err := w.RunOnce(ctx); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	counts := map[string]int{}
	for _, r := range rcv.requests() {
		counts[r.Header.Get(webhook.HeaderID)]++
	}
	if len(counts) != leads {
		t.Fatalf("%d distinct messages arrived, want %d", len(counts), leads)
	}
	for id, n := range counts {
		if n != 1 {
			t.Fatalf("message %s sent %d times", id, n)
		}
	}
	if len(rcv.overlap) > 0 {
		t.Fatalf("sent twice at the same time: %v", rcv.overlap)
	}
}

// crashingTransport stands for an instance that dies between claiming
// deliveries and recording them: its database handle is gone, and nothing
// reaches the receiver.
type crashingTransport struct{ st *store.Store }

func (c crashingTransport) RoundTrip(*http.Request) (*http.Response, error) {
	_ = c.st.Close()
	return nil, fmt.Errorf("instance killed")
}

// Three instances on one MariaDB, one killed after it claimed deliveries:
// its leases run out and the others deliver every message, none twice and
// none twice at the same time.
func TestThreeWorkersOneKilledMySQL(t *testing.T) {
	url := storetest.URL(t, store.MySQL)
	a, b, c := storetest.OpenURL(t, url), storetest.OpenURL(t, url), storetest.OpenURL(t, url)
	ctx := context.Background()
	if _, err := a.MigrateUp(ctx); err != nil {
		t.Fatal(err)
	}
	rcv := newReceiver(t)
	rcv.slow = 5 * time.Millisecond
	subscribe(t, a, rcv.srv.URL, "", store.WebhookReviewFlagged)
	const leads = 40
	for i := range leads {
		storetest.FlaggedLead(t, a, fmt.Sprintf("L%d", i), store.TypeMessage)
	}
	killed := newWorker(t, c)
	killed.Lease = 500 * time.Millisecond
	killed.Client = &http.Client{Transport: crashingTransport{c}}
	if _, err := killed.RunOnce(ctx); err == nil {
		t.Fatal("the killed instance recorded its deliveries")
	}
	var held int64
	if err := a.DB.Model(&store.WebhookDelivery{}).Where("attempts = 1").Count(&held).Error; err != nil || held == 0 {
		t.Fatalf("the killed instance holds no leases: %d %v", held, err)
	}
	var wg sync.WaitGroup
	for _, st := range []*store.Store{a, b} {
		w := newWorker(t, st)
		w.Lease = 500 * time.Millisecond
		wg.Add(1)
		go func() {
			defer wg.Done()
			for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); {
				var left int64
				if err := a.DB.Model(&store.WebhookDelivery{}).Where("status <> ?", store.DeliveryDelivered).Count(&left).Error; err != nil || left == 0 {
					return
				}
				if _, err := w.RunOnce(ctx); err != nil {
					t.Error(err)
					return
				}
				time.Sleep(20 * time.Millisecond)
			}
		}()
	}
	wg.Wait()
	counts := map[string]int{}
	for _, r := range rcv.requests() {
		counts[r.Header.Get(webhook.HeaderID)]++
	}
	if len(counts) != leads {
		t.Fatalf("%d distinct messages arrived, want %d", len(counts), leads)
	}
	for id, n := range counts {
		if n != 1 {
			t.Fatalf("message %s sent %d times", id, n)
		}
	}
	if len(rcv.overlap) > 0 {
		t.Fatalf("sent twice at the same time: %v", rcv.overlap)
	}
}

// Redelivery sends a delivered message again with its webhook-id; pruning
// removes what was delivered before the retention and keeps what waits.
func TestRedeliverAndPrune(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		rcv := newReceiver(t)
		e, _ := subscribe(t, st, rcv.srv.URL, "", store.WebhookReviewFlagged)
		storetest.FlaggedLead(t, st, "L1", store.TypeMessage)
		w := newWorker(t, st)
		runUntil(t, w, "a delivery", func() bool { return len(rcv.requests()) == 1 })
		log, _, err := st.ListDeliveries(ctx, e.ID, 0, 10)
		if err != nil || len(log) != 1 {
			t.Fatal(err, log)
		}
		if _, err := st.Redeliver(ctx, store.SystemActor, "", log[0].ID); err != nil {
			t.Fatal(err)
		}
		runUntil(t, w, "the redelivery", func() bool { return len(rcv.requests()) == 2 })
		reqs := rcv.requests()
		if reqs[0].Header.Get(webhook.HeaderID) != reqs[1].Header.Get(webhook.HeaderID) || string(reqs[0].Body) != string(reqs[1].Body) {
			t.Fatal("a redelivery is not the same message")
		}
		// A second, undelivered event (the endpoint is off), then
		// everything delivered is made a month old.
		if err := st.SetWebhookEnabled(ctx, store.SystemActor, "", e.ID, false); err != nil {
			t.Fatal(err)
		}
		if err := st.SetWebhookEnabled(ctx, store.SystemActor, "", e.ID, true); err != nil {
			t.Fatal(err)
		}
		storetest.FlaggedLead(t, st, "L2", store.TypeMessage)
		old := store.Now().Add(-30 * 24 * time.Hour)
		if err := st.DB.Exec("UPDATE webhook_deliveries SET delivered_at = ?, created_at = ? WHERE status = ?", old, old, store.DeliveryDelivered).Error; err != nil {
			t.Fatal(err)
		}
		if err := st.DB.Exec("UPDATE outbox_events SET created_at = ?", old).Error; err != nil {
			t.Fatal(err)
		}
		n, err := st.PruneWebhooks(ctx, 7*24*time.Hour)
		if err != nil || n != 2 {
			t.Fatalf("pruned %d deliveries (%v), want the 2 delivered", n, err)
		}
		log, _, _ = st.ListDeliveries(ctx, e.ID, 0, 10)
		events, _ := st.OutboxEvents(ctx)
		if len(log) != 1 || log[0].Status != store.DeliveryPending || len(events) != 1 || events[0].MsgID != log[0].MsgID {
			t.Fatalf("after pruning: deliveries %+v, events %d", log, len(events))
		}
	})
}

func counterValue(t *testing.T, c *prometheus.CounterVec, labels ...string) float64 {
	t.Helper()
	var m dto.Metric
	if err := c.WithLabelValues(labels...).Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetCounter().GetValue()
}
