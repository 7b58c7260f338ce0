package store_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"reviewq/store"
	"reviewq/store/storetest"
)

func setSetting(t *testing.T, st *store.Store, key, value string) {
	t.Helper()
	if _, err := st.SetSetting(context.Background(), store.SystemActor, "", key, value); err != nil {
		t.Fatalf("set %s=%s: %v", key, value, err)
	}
}

var engine = store.Actor{Type: store.ActorToken, ID: 3, Name: "scoring"}

// TestSamplingRateWithinBinomialBounds: with sampling.percent=5, 10,000
// scores under the threshold send a binomial share of their leads to the
// queue as samples, drawn by the real random source. The count has mean
// 500 and standard deviation √(10000·0.05·0.95) ≈ 21.8; ±4.5σ (403–597)
// fails by chance about once in 150,000 runs, while a rate of 4% or 6%
// (mean 400 or 600) lands outside it about half the time or more.
func TestSamplingRateWithinBinomialBounds(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		const leads = 10000
		if err := st.Seed(ctx, store.SeedOptions{Leads: leads, Prefix: "rate"}); err != nil {
			t.Fatal(err)
		}
		setSetting(t, st, store.KeySamplingPercent, "5")
		ids, err := st.SampleLeadIDs(ctx, leads)
		if err != nil || len(ids) != leads {
			t.Fatalf("lead ids: %d, %v", len(ids), err)
		}
		start := time.Now()
		var sampled, answered atomic.Int64
		var wg sync.WaitGroup
		next := atomic.Int64{}
		errs := make(chan error, 8)
		for w := 0; w < 8; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					i := next.Add(1) - 1
					if i >= leads {
						return
					}
					af, err := st.RecordScore(ctx, ids[i], 40+int(i%50), engine)
					if err != nil {
						errs <- err
						return
					}
					answered.Add(1)
					if af.Flagged {
						errs <- fmt.Errorf("lead %d: flagged under the threshold: %s", ids[i], af.Why)
						return
					}
					if af.Sampled {
						sampled.Add(1)
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		n := sampled.Load()
		inQueue := countRows(t, st, "reviews", "source = ? AND status = ?", store.SourceSample, store.StatusPending)
		t.Logf("%d scores, %d sampled (%d reviews) in %v", answered.Load(), n, inQueue, time.Since(start).Round(time.Millisecond))
		if inQueue != n {
			t.Errorf("%d answers said sampled, %d sample reviews in the queue", n, inQueue)
		}
		mean, sigma := leads*0.05, math.Sqrt(leads*0.05*0.95)
		if lo, hi := mean-4.5*sigma, mean+4.5*sigma; float64(n) < lo || float64(n) > hi {
			t.Errorf("sampled %d of %d at 5%%; the binomial bound is %.0f–%.0f", n, leads, lo, hi)
		}
		// Every sample is marked as one and says which rule it samples.
		if bad := countRows(t, st, "reviews", "source = ? AND (sample_rule IS NULL OR sample_rule <> ? OR review_type <> ? OR reason NOT LIKE ?)",
			store.SourceSample, store.SampleRuleScore, store.TypeProposal, "QA sample: not flagged by the score rule (score=%"); bad != 0 {
			t.Errorf("%d samples without their rule, type or reason", bad)
		}
	})
}

// TestSamplingTakesOnlyWhatTheRulesLetThrough: sampling 0 takes none; at
// 100% every unflagged lead is sampled except one with an open review, one
// decided within the cool-down and a lost one; a lead the rule flags gets
// the flag, not a sample; a sample holds outreach; the quality gate
// samples too; nobody else may open a review with source sample.
func TestSamplingTakesOnlyWhatTheRulesLetThrough(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		samples := func() int64 { return countRows(t, st, "reviews", "source = ?", store.SourceSample) }

		// Off by default: nothing is sampled.
		for i := 0; i < 50; i++ {
			lead := messageLead(t, st, fmt.Sprintf("off-%d", i), "Hello", "Body")
			if af, err := st.RecordScore(ctx, lead.ID, 30, engine); err != nil || af.Sampled || af.Review != nil {
				t.Fatalf("sampling.percent=0: %+v %v", af, err)
			}
			if af, err := st.RecordQuality(ctx, lead.ID, []store.QualityIssue{{Code: "tone", Severity: "low"}}, engine); err != nil || af.Sampled {
				t.Fatalf("sampling.percent=0, quality: %+v %v", af, err)
			}
		}
		if n := samples(); n != 0 {
			t.Fatalf("sampling off took %d samples", n)
		}

		setSetting(t, st, store.KeySamplingPercent, "100")
		// Never flagged: sampled, marked, holding outreach.
		fresh := messageLead(t, st, "fresh", "Hello", "Body")
		af, err := st.RecordScore(ctx, fresh.ID, 72, engine)
		if err != nil || !af.Sampled || af.Flagged || af.Review == nil {
			t.Fatalf("fresh lead at 100%%: %+v %v", af, err)
		}
		r := af.Review
		if r.Source != store.SourceSample || r.SampleRule == nil || *r.SampleRule != store.SampleRuleScore ||
			r.ReviewType != store.TypeProposal || r.Reason != "QA sample: not flagged by the score rule (score=72)" || r.ScoreAtFlag != 72 {
			t.Fatalf("sample review: %+v", r)
		}
		if !strings.Contains(af.Why, "not over the threshold") || !strings.Contains(af.Why, "QA sample") {
			t.Errorf("answer: %q", af.Why)
		}
		e := wantEligibility(t, st, fresh, store.EligibleReviewOpen)
		if !strings.Contains(e.Message, "QA sample") {
			t.Errorf("eligibility of a sampled lead: %+v", e)
		}
		got, _, err := st.GetReview(ctx, r.ID)
		if err != nil || got.Review.SampleRule == nil || *got.Review.SampleRule != store.SampleRuleScore {
			t.Fatalf("read back: %+v %v", got, err)
		}

		// An open review: the score joins nothing and no sample is taken.
		open := storetest.FlaggedLead(t, st, "open", store.TypePricing)
		before := samples()
		af, err = st.RecordScore(ctx, open.LeadID, 40, engine)
		if err != nil || af.Sampled || !strings.Contains(af.Why, "not sampled: a review of the lead is open") {
			t.Fatalf("open review: %+v %v", af, err)
		}
		if got, _, _ := st.GetReview(ctx, open.ID); got.Review.Version != open.Version || got.Review.Source != store.SourceAPI {
			t.Errorf("the open review changed: %+v", got.Review)
		}

		// Decided within the cool-down: not sampled (score still recorded).
		decided := storetest.FlaggedLead(t, st, "decided", store.TypePricing)
		decide(t, st, decided.ID, store.OutcomeApprove, "")
		af, err = st.RecordScore(ctx, decided.LeadID, 41, engine)
		if err != nil || af.Sampled || !strings.Contains(af.Why, "cool-down") {
			t.Fatalf("within the cool-down: %+v %v", af, err)
		}
		if l, _ := st.GetLead(ctx, decided.LeadID); l.Score != 41 {
			t.Errorf("score not recorded: %d", l.Score)
		}
		af, err = st.RecordQuality(ctx, decided.LeadID, nil, engine)
		if err != nil || af.Sampled {
			t.Fatalf("quality within the cool-down: %+v %v", af, err)
		}
		// ... and once the cool-down is over, it may be.
		if err := st.DB.Model(&store.Review{}).Where("id = ?", decided.ID).Update("decided_at", store.Now().Add(-73*time.Hour)).Error; err != nil {
			t.Fatal(err)
		}
		if af, err = st.RecordScore(ctx, decided.LeadID, 42, engine); err != nil || !af.Sampled {
			t.Fatalf("after the cool-down: %+v %v", af, err)
		}

		// Lost: outreach will not contact it, nothing to sample.
		rejected := storetest.FlaggedLead(t, st, "rejected", store.TypePricing)
		decide(t, st, rejected.ID, store.OutcomeReject, "not_a_fit")
		if err := st.DB.Model(&store.Review{}).Where("id = ?", rejected.ID).Update("decided_at", store.Now().Add(-100*time.Hour)).Error; err != nil {
			t.Fatal(err)
		}
		if af, err = st.RecordScore(ctx, rejected.LeadID, 43, engine); err != nil || af.Sampled || !strings.Contains(af.Why, "lost") {
			t.Fatalf("lost lead: %+v %v", af, err)
		}
		if n := samples(); n != before+1 {
			t.Fatalf("samples: %d, want %d", n, before+1)
		}

		// Over the threshold: the rule's own flag, never a sample.
		high := messageLead(t, st, "high", "Hello", "Body")
		if af, err = st.RecordScore(ctx, high.ID, 95, engine); err != nil || !af.Flagged || af.Sampled || af.Review.Source != store.SourceScore {
			t.Fatalf("over the threshold: %+v %v", af, err)
		}
		// A blocking issue: the gate's flag; a mild one: a MESSAGE sample.
		gated := messageLead(t, st, "gated", "Hello", "Body")
		if af, err = st.RecordQuality(ctx, gated.ID, []store.QualityIssue{{Code: "claim", Severity: "high"}}, engine); err != nil || !af.Flagged || af.Sampled {
			t.Fatalf("blocking issue: %+v %v", af, err)
		}
		mild := messageLead(t, st, "mild", "Hello", "Body")
		af, err = st.RecordQuality(ctx, mild.ID, []store.QualityIssue{{Code: "tone", Severity: "medium"}}, engine)
		if err != nil || !af.Sampled || af.Review.ReviewType != store.TypeMessage || *af.Review.SampleRule != store.SampleRuleQuality ||
			af.Review.Reason != store.QualitySampleReason {
			t.Fatalf("quality sample: %+v %v", af, err)
		}

		// Rule switched off, or the queue: no samples of it.
		setSetting(t, st, store.KeyQualityEnabled, "false")
		setSetting(t, st, store.KeyScoreEnabled, "false")
		for _, ext := range []string{"off-rule-1", "off-rule-2"} {
			l := messageLead(t, st, ext, "Hello", "Body")
			if af, err := st.RecordQuality(ctx, l.ID, nil, engine); err != nil || af.Sampled {
				t.Fatalf("quality gate off: %+v %v", af, err)
			}
			if af, err := st.RecordScore(ctx, l.ID, 10, engine); err != nil || af.Sampled {
				t.Fatalf("score rule off: %+v %v", af, err)
			}
		}
		setSetting(t, st, store.KeyScoreEnabled, "true")
		setSetting(t, st, store.KeyQueueEnabled, "false")
		l := messageLead(t, st, "queue-off", "Hello", "Body")
		if af, err := st.RecordScore(ctx, l.ID, 10, engine); err != nil || af.Sampled {
			t.Fatalf("queue off: %+v %v", af, err)
		}
		setSetting(t, st, store.KeyQueueEnabled, "true")

		// Only reviewq opens samples.
		if _, err := st.Flag(ctx, l.ID, store.FlagInput{ReviewType: store.TypeMessage, Reason: "x", Source: store.SourceSample}, engine); !errors.As(err, new(*store.ValidationError)) {
			t.Errorf("a flag with source sample from outside: %v", err)
		}
	})
}
