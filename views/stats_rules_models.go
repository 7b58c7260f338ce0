package views

// StatsRules is the stats page's "How good are the rules" table: per
// automatic rule, the precision of its flags and the miss rate its QA
// samples estimate, over the page's range.
type StatsRules struct {
	// SamplePercent is sampling.percent now (0: sampling off).
	SamplePercent int
	// MinSamples is the fewest decided samples a miss rate is shown for.
	MinSamples int
	Rows       []StatsRuleRow
}

// StatsRuleRow is one rule's figures, as text where they are rates.
type StatsRuleRow struct {
	Rule, Label   string
	FlagsDecided  int64
	FlagsApproved int64
	Precision     string // "70.0%", "–" with no decided flags
	// Samples decided, of which Misses; Pending wait in the queue now.
	Samples, Misses, Pending int64
	// MissRate and Interval ("5.2% – 36.0%") are "–" below MinSamples;
	// SampleNote then says why.
	MissRate, Interval string
	SampleNote         string
	// MissDetail splits the misses: "1 rejected, 1 skipped, 1 edited".
	MissDetail string
}
