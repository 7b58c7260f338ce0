package views

// StatsPage is /dashboard/stats: the queue now and the flow over a range.
type StatsPage struct {
	Page
	Range   StatsRangeForm
	Presets []StatsPreset
	// CSVURL downloads the report of the selected range.
	CSVURL string
	Now    StatsNow
	Over   StatsOver
	// Hourly is set for a one-day range: that day's decisions per hour.
	Hourly *HourlyView
	// Rules: how good each automatic rule is (precision, miss rate).
	Rules StatsRules
}

// HourlyView is one day's decisions per hour (UTC), charted and listed.
type HourlyView struct {
	Chart FlowChart
	Hours [24]int64
}

// StatsRangeForm is the selected range as the custom-range form shows it.
type StatsRangeForm struct {
	From, To string // YYYY-MM-DD
	Label    string // "7 days: 2026-03-06 – 2026-03-12 (UTC)"
	Custom   bool
	MaxDay   string // today, the latest pickable day
}

// StatsPreset is one of the range links (today, 7 days, 30 days).
type StatsPreset struct {
	Label  string
	URL    string
	Active bool
}

// StatsCount is a label with a count (and its share, where one is shown).
type StatsCount struct {
	Label string
	N     int64
	Share string
}

// StatsNow are the queue's figures at the time of the request.
type StatsNow struct {
	At           string
	Total        int64
	OldestAge    string // "" when the queue is empty
	OldestAt     string
	PastWarning  int64
	PastCritical int64
	// Escalated and Snoozed are pending reviews waiting for a lead and
	// snoozed now (included in Total).
	Escalated, Snoozed int64
	WarningHours       int
	CriticalHours      int
	ByType             []StatsCount
	BySource           []StatsCount
	ByCampaign         []StatsCount
	// MoreCampaigns counts campaigns left out of ByCampaign.
	MoreCampaigns int
	Ageing        HBarChart
}

// StatsOver are the figures over the selected range.
type StatsOver struct {
	Days    int
	Flagged int64
	Decided int64
	// OutcomeHeaders head the per-outcome columns ("Approved", ...); the
	// rows' Counts follow their order.
	OutcomeHeaders []string
	// DecidedNote counts each outcome ("3 approved · 1 rejected · ...");
	// RatesNote gives the share of each outcome that does not approve.
	DecidedNote, RatesNote string
	// FalsePositives names the outcomes that count as one: "rejected or skipped".
	FalsePositives   string
	ApprovalRate     string
	Flow             FlowChart
	FlowRows         []FlowRow
	ByType, BySource []OutcomeRow
	Wait, Handle     DurationFigures
	SLACompliance    string
	WithinSLA        int64
	CriticalHours    int
	// Reviewers is the per-operator table (stats_reviewers.templ); Team
	// the escalations and snoozes.
	Reviewers StatsReviewers
	Team      StatsTeamWork
	// Reasons are the top reason codes of each outcome that takes them.
	Reasons  []ReasonTable
	Reopened int64
	// HeldBack counts automatic flags the cool-down held back.
	HeldBack int64
}

// ReasonTable is the top reason codes of one outcome.
type ReasonTable struct {
	Title, Empty string
	Rows         []StatsCount
}

// FlowRow is one day of the inflow/outflow table.
type FlowRow struct {
	Day              string
	Flagged, Decided int64
	Counts           []int64 // per outcome, as StatsOver.OutcomeHeaders
	Balance          int64
}

// OutcomeRow is the decisions of one type or source.
type OutcomeRow struct {
	Label                           string
	Decided                         int64
	Counts                          []int64 // per outcome, as StatsOver.OutcomeHeaders
	ApprovalRate, FalsePositiveRate string
}

// DurationFigures summarise decision times as text.
type DurationFigures struct {
	N                 int64
	Median, P90, Mean string
}

// StatsOperatorRow is one decider's figures.
type StatsOperatorRow struct {
	Name         string
	Decisions    int64
	Counts       []int64 // per outcome, as StatsOver.OutcomeHeaders
	ApprovalRate string
	// MedianWait is flag → decision; MedianHandle claim → decision over the
	// Claimed decisions the operator had claimed ("–" when none).
	MedianWait   string
	MedianHandle string
	Claimed      int64
}

// FlowChart is the inflow/outflow bar chart, laid out in SVG user units.
type FlowChart struct {
	Width, Height int
	Bars          []ChartBar
	Gridlines     []ChartTick
	XLabels       []ChartLabel
	PlotLeft      int
	PlotRight     int
	Baseline      int
	Summary       string
}

// ChartBar is one rectangle with its tooltip.
type ChartBar struct {
	X, Y, W, H int
	Class      string
	Title      string
}

// ChartTick is a horizontal gridline with its value.
type ChartTick struct {
	Y     int
	Label string
}

// ChartLabel is a text label at a point.
type ChartLabel struct {
	X, Y int
	Text string
}

// HBarChart is a horizontal bar chart (ageing buckets).
type HBarChart struct {
	Width, Height int
	Rows          []HBarRow
	Summary       string
}

// HBarRow is one labelled bar.
type HBarRow struct {
	Label      string
	Value      string
	Y, H       int // top and height of the bar
	BarX, BarW int
	TextY      int // baseline of the label and value
	ValueX     int
	Class      string
}
