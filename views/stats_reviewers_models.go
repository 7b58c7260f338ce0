package views

// StatsReviewers is the stats page's per-operator table: each decider's
// standing decisions, times and how often their decisions stood.
type StatsReviewers struct {
	// OutcomeHeaders head the per-outcome columns, as StatsOver's.
	OutcomeHeaders []string
	Rows           []StatsReviewerRow
}

// StatsReviewerRow is one decider's row.
type StatsReviewerRow struct {
	StatsOperatorRow
	// Made is every decision made in the range (standing or reopened
	// since); Overturned of them were reopened and decided otherwise,
	// OverturnRate = Overturned / Made ("–" with none).
	Made, Overturned int64
	OverturnRate     string
	// SampleN decisions on QA samples, SampleAgreement the share of them not
	// overturned ("–" with none).
	SampleN         int64
	SampleAgreement string
}

// StatsTeamWork are the escalation and snooze figures over the range.
type StatsTeamWork struct {
	Escalated, Decided, SentBack, Open int64
	// MedianResolve is escalation → decision or send-back ("–" when none).
	MedianResolve string
	Resolved      int64
	Snoozes       int64
	// SnoozedTime is the time reviews spent snoozed inside the range;
	// MedianSnooze the median length of the snoozes begun in it that ended.
	SnoozedTime  string
	MedianSnooze string
	Ended        int64
	// SnoozedShare is the snoozed part of the wait of the range's decisions.
	SnoozedShare string
	SnoozedWait  string
}
