package store_test

import (
	"context"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"reviewq/store"
	"reviewq/store/storetest"
)

var reopener = store.Actor{Type: store.ActorOperator, ID: 8, Name: "Lena Lead"}

// ruleFixture decides, on fresh leads, flags and samples of both rules:
//
//   - score rule: 10 flags decided in the range — 6 approved, 1 rejected,
//     reopened and then approved (counts once, as approved), 2 rejected,
//     1 skipped: precision 7/10 = 0.70. An 11th approved flag was decided
//     ten days ago, outside the range.
//   - quality gate: 4 flags — 1 approved, 3 rejected: precision 0.25.
//   - score samples: 20 decided — 17 approved as they were, 1 approved with
//     an edited message, 1 rejected, 1 skipped: 3 misses of 20 = 0.15;
//     one more sample still pending.
//   - quality samples: 5 approved as they were: 0 misses of 5, too few to
//     show a miss rate.
func ruleFixture(t *testing.T, st *store.Store) {
	t.Helper()
	ctx := context.Background()
	n := 0
	fresh := func() *store.Lead {
		n++
		return messageLead(t, st, fmt.Sprintf("rq-%d", n), "Hello", "The suggested body")
	}
	scoreFlag := func() *store.Review {
		af, err := st.RecordScore(ctx, fresh().ID, 95, engine)
		if err != nil || !af.Flagged {
			t.Fatalf("score flag: %+v %v", af, err)
		}
		return af.Review
	}
	qualityFlag := func() *store.Review {
		af, err := st.RecordQuality(ctx, fresh().ID, []store.QualityIssue{{Code: "claim", Severity: "critical"}}, engine)
		if err != nil || !af.Flagged {
			t.Fatalf("quality flag: %+v %v", af, err)
		}
		return af.Review
	}
	setSetting(t, st, store.KeySamplingPercent, "100")
	scoreSample := func() *store.Review {
		af, err := st.RecordScore(ctx, fresh().ID, 60, engine)
		if err != nil || !af.Sampled {
			t.Fatalf("score sample: %+v %v", af, err)
		}
		return af.Review
	}
	qualitySample := func() *store.Review {
		af, err := st.RecordQuality(ctx, fresh().ID, []store.QualityIssue{{Code: "tone", Severity: "low"}}, engine)
		if err != nil || !af.Sampled {
			t.Fatalf("quality sample: %+v %v", af, err)
		}
		return af.Review
	}

	for i := 0; i < 6; i++ {
		decide(t, st, scoreFlag().ID, store.OutcomeApprove, "")
	}
	overturned := scoreFlag()
	decide(t, st, overturned.ID, store.OutcomeReject, "not_a_fit")
	if _, err := st.Reopen(ctx, overturned.ID, reopener, ""); err != nil {
		t.Fatal(err)
	}
	decide(t, st, overturned.ID, store.OutcomeApprove, "")
	for i := 0; i < 2; i++ {
		decide(t, st, scoreFlag().ID, store.OutcomeReject, "not_a_fit")
	}
	decide(t, st, scoreFlag().ID, store.OutcomeSkip, "needs_info")
	old := scoreFlag()
	decide(t, st, old.ID, store.OutcomeApprove, "")
	if err := st.DB.Model(&store.Review{}).Where("id = ?", old.ID).Update("decided_at", store.Now().AddDate(0, 0, -10)).Error; err != nil {
		t.Fatal(err)
	}

	decide(t, st, qualityFlag().ID, store.OutcomeApprove, "")
	for i := 0; i < 3; i++ {
		decide(t, st, qualityFlag().ID, store.OutcomeReject, "bad_data")
	}

	for i := 0; i < 17; i++ {
		decide(t, st, scoreSample().ID, store.OutcomeApprove, "")
	}
	edited := "A better body"
	if _, err := st.Decide(ctx, store.DecideInput{ReviewID: scoreSample().ID, Outcome: store.OutcomeApprove, Body: &edited,
		Actor: store.Actor{Type: store.ActorOperator, ID: 7, Name: "Ana"}}); err != nil {
		t.Fatal(err)
	}
	decide(t, st, scoreSample().ID, store.OutcomeReject, "do_not_contact")
	decide(t, st, scoreSample().ID, store.OutcomeSkip, "not_now")
	scoreSample() // pending

	for i := 0; i < 5; i++ {
		decide(t, st, qualitySample().ID, store.OutcomeApprove, "")
	}
}

// TestRuleQualityAgainstHandFigures: precision, miss rate and its Wilson
// interval per rule, checked against figures worked out by hand.
func TestRuleQualityAgainstHandFigures(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		ruleFixture(t, st)
		// Two days: the decisions of today, whatever the time of day.
		rng, err := store.LastDays(store.Now(), 2)
		if err != nil {
			t.Fatal(err)
		}
		q, err := st.RuleQuality(ctx, rng)
		if err != nil {
			t.Fatal(err)
		}
		if q.SamplePercent != 100 || len(q.Rules) != 2 || q.Rules[0].Rule != store.SourceScore || q.Rules[1].Rule != store.SourceQuality {
			t.Fatalf("rules: %+v", q)
		}
		near := func(what string, got, want float64) {
			t.Helper()
			if math.Abs(got-want) > 0.00005 {
				t.Errorf("%s = %.5f, want %.4f", what, got, want)
			}
		}
		score, quality := q.Rules[0], q.Rules[1]
		if score.FlagsDecided != 10 || score.FlagsApproved != 7 {
			t.Errorf("score flags: %d decided, %d approved; want 10, 7", score.FlagsDecided, score.FlagsApproved)
		}
		near("score precision", score.Precision(), 0.70)
		if score.Samples != 20 || score.SampleMisses != 3 || score.SampleRejected != 1 || score.SampleSkipped != 1 ||
			score.SampleEdited != 1 || score.SamplesPending != 1 || !score.EnoughSamples() {
			t.Errorf("score samples: %+v", score)
		}
		near("score miss rate", score.MissRate(), 0.15)
		// Wilson, 3 of 20, z = 1.96 (z² = 3.8415):
		//   centre = (0.15 + 3.8415/40) / (1 + 3.8415/20) = 0.24604 / 1.19208 = 0.20640
		//   half   = 1.96 / 1.19208 · √(0.15·0.85/20 + 3.8415/1600)
		//          = 1.64419 · √(0.006375 + 0.0024009) = 1.64419 · 0.093680 = 0.15403
		//   → [0.0524, 0.3604]
		lo, hi := score.MissInterval()
		near("score miss low", math.Round(lo*1e4)/1e4, 0.0524)
		near("score miss high", math.Round(hi*1e4)/1e4, 0.3604)

		if quality.FlagsDecided != 4 || quality.FlagsApproved != 1 {
			t.Errorf("quality flags: %+v", quality)
		}
		near("quality precision", quality.Precision(), 0.25)
		if quality.Samples != 5 || quality.SampleMisses != 0 || quality.EnoughSamples() || quality.SamplesPending != 0 {
			t.Errorf("quality samples: %+v", quality)
		}
		// 0 of 5: centre = half = (3.8415/10) / (1 + 3.8415/5) = 0.38415 / 1.76830 = 0.21724 → [0, 0.4345]
		lo, hi = quality.MissInterval()
		near("quality miss low", lo, 0)
		near("quality miss high", math.Round(hi*1e4)/1e4, 0.4345)

		// A range before any of it counts nothing; the old flag alone
		// falls in a range ten days back.
		back := store.Now().AddDate(0, 0, -10)
		old, err := store.NewStatsRange(back, back)
		if err != nil {
			t.Fatal(err)
		}
		q, err = st.RuleQuality(ctx, old)
		if err != nil {
			t.Fatal(err)
		}
		if s := q.Rules[0]; s.FlagsDecided != 1 || s.FlagsApproved != 1 || s.Samples != 0 {
			t.Errorf("ten days back: %+v", s)
		}
	})
}

// TestWilsonInterval: the interval at the edges and a textbook value
// (Newcombe 1998, 81 of 263: 0.2553–0.3662).
func TestWilsonInterval(t *testing.T) {
	for _, c := range []struct {
		k, n   int64
		lo, hi float64
	}{{0, 0, 0, 0}, {0, 10, 0, 0.2775}, {10, 10, 0.7225, 1}, {81, 263, 0.2553, 0.3662}} {
		lo, hi := store.Wilson(c.k, c.n)
		if math.Abs(lo-c.lo) > 0.00006 || math.Abs(hi-c.hi) > 0.00006 {
			t.Errorf("Wilson(%d, %d) = %.4f–%.4f, want %.4f–%.4f", c.k, c.n, lo, hi, c.lo, c.hi)
		}
	}
}

// TestRuleQualityReadsThroughIndexes: on MariaDB the rule figures read the
// decided reviews of their sources in the range by index, not the table.
func TestRuleQualityReadsThroughIndexes(t *testing.T) {
	st := storetest.Open(t, store.MySQL)
	ctx := context.Background()
	const decided = 1500
	if err := st.Seed(ctx, store.SeedOptions{Leads: 5000, Pending: 1500, Decided: decided, Prefix: "rq"}); err != nil {
		t.Fatal(err)
	}
	// A slice of the decided reviews become samples, another decided long ago.
	if err := st.DB.Exec("UPDATE reviews SET source = 'sample', sample_rule = 'score' WHERE status <> 'pending' AND id % 10 = 0").Error; err != nil {
		t.Fatal(err)
	}
	if err := st.DB.Exec("UPDATE reviews SET decided_at = ? WHERE status <> 'pending' AND id % 10 = 1", time.Now().AddDate(0, -3, 0)).Error; err != nil {
		t.Fatal(err)
	}
	if err := st.DB.Exec("ANALYZE TABLE reviews").Error; err != nil {
		t.Fatal(err)
	}
	rng, err := store.LastDays(store.Now(), 30)
	if err != nil {
		t.Fatal(err)
	}
	stmts := explainRecorder(t, st)
	if _, err := st.RuleQuality(ctx, rng); err != nil {
		t.Fatal(err)
	}
	seen := 0
	for _, q := range *stmts {
		if !strings.Contains(q, "reviews") {
			continue
		}
		seen++
		// At most the decided reviews (and the pending samples: none here).
		checkAnalyze(t, st, "rule quality", q, decided)
	}
	if seen != 3 {
		t.Errorf("%d statements on reviews, want 3", seen)
	}
}
