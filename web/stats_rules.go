package web

import (
	"fmt"

	"reviewq/store"
	"reviewq/views"
)

// QA sampling on the pages: the pane's note on a sample, and the stats
// page's table of how good each automatic rule is (store/rule_quality.go).

// sampleNote tells the operator what a QA sample is and what their
// decision measures.
func sampleNote(rule *string) string {
	name := "an automatic rule"
	if rule != nil {
		name = "the " + store.SampleRuleLabel(*rule)
	}
	return "QA sample: " + name + " did not flag this lead; it was picked at random to check what the rule lets through. " +
		"Approve it unchanged if it was fine to go out as it is; reject, skip or edit it if it was not (that counts as a miss of the rule)."
}

// statsRulesView is the rules table of the stats page.
func statsRulesView(q *store.RuleQualities) views.StatsRules {
	v := views.StatsRules{SamplePercent: q.SamplePercent, MinSamples: store.MinRuleSamples}
	for _, r := range q.Rules {
		row := views.StatsRuleRow{Rule: r.Rule, Label: store.SampleRuleLabel(r.Rule), FlagsDecided: r.FlagsDecided,
			FlagsApproved: r.FlagsApproved, Precision: rateOrDash(r.Precision(), r.FlagsDecided),
			Samples: r.Samples, Misses: r.SampleMisses, Pending: r.SamplesPending, MissRate: "–", Interval: "–"}
		switch {
		case r.Samples == 0:
			row.SampleNote = "no decided samples"
		case !r.EnoughSamples():
			row.SampleNote = fmt.Sprintf("not enough samples (%d of %d)", r.Samples, store.MinRuleSamples)
		default:
			lo, hi := r.MissInterval()
			row.MissRate, row.Interval = Percent(r.MissRate()), Percent(lo)+" – "+Percent(hi)
		}
		if r.SampleMisses > 0 {
			row.MissDetail = fmt.Sprintf("%d rejected, %d skipped, %d edited", r.SampleRejected, r.SampleSkipped, r.SampleEdited)
		}
		v.Rows = append(v.Rows, row)
	}
	return v
}
