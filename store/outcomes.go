package store

import (
	"slices"
	"strings"
)

// Outcome is one way to decide a review. DecisionOutcomes is the only place
// an outcome is spelled out: validation, the lead's change, history, stats,
// metrics, the pages' buttons, keys and labels and the routes all read it.
type Outcome struct {
	// Name is the API's and the forms' word, and the last segment of the
	// decision routes: "approve".
	Name string
	// Status is the review's status after the decision; the stats_daily
	// kind and the metrics' outcome label are the same word.
	Status string
	// Event is the history event the decision writes.
	Event string
	// LeadTag is added to the lead's tags ("" none); LeadStatus becomes the
	// lead's status ("" unchanged). Reopening undoes both.
	LeadTag    string
	LeadStatus string
	// ReasonsKey is the setting listing the outcome's reason codes; ""
	// means the outcome takes no reason code.
	ReasonsKey string
	// TakesMessage: the decision may carry an edited message, which
	// becomes the lead's.
	TakesMessage bool
	// Approves: outreach may go ahead; counts toward the approval rate.
	// FalsePositive: the flag asked for nothing (the automation was wrong).
	Approves      bool
	FalsePositive bool
	// Verb and Done label buttons and notices: "Approve", "Approved".
	// Plural names a list of them: "No approvals in this range."
	Verb, Done, Plural string
	// Key is the pane's keyboard shortcut.
	Key string
	// Consequence says what a bulk action of this outcome does to the leads.
	Consequence string
}

// Decision outcomes, as the API names them.
const (
	OutcomeApprove = "approve"
	OutcomeReject  = "reject"
	OutcomeSkip    = "skip"
)

// DecisionOutcomes are the ways to decide a review, in the order pages and
// stats list them.
var DecisionOutcomes = []Outcome{
	{Name: OutcomeApprove, Status: StatusApproved, Event: EventApproved, TakesMessage: true, Approves: true,
		Verb: "Approve", Done: "Approved", Plural: "approvals", Key: "a",
		Consequence: "Each lead's flag is cleared and automated outreach may contact it with its suggested message."},
	{Name: OutcomeReject, Status: StatusRejected, Event: EventRejected, LeadTag: "operator_reject", LeadStatus: "lost",
		ReasonsKey: KeyReasonsReject, FalsePositive: true, Verb: "Reject", Done: "Rejected", Plural: "rejections", Key: "r",
		Consequence: "Each lead is set to lost and tagged operator_reject; no outreach goes to it."},
	{Name: OutcomeSkip, Status: StatusSkipped, Event: EventSkipped, LeadTag: "operator_skip", LeadStatus: "lost",
		ReasonsKey: KeyReasonsSkip, FalsePositive: true, Verb: "Skip", Done: "Skipped", Plural: "skips", Key: "s",
		Consequence: "Each lead is set to lost and tagged operator_skip; no outreach goes to it."},
}

// OutcomeNamed finds an outcome by its name ("approve").
func OutcomeNamed(name string) (Outcome, bool) {
	i := slices.IndexFunc(DecisionOutcomes, func(o Outcome) bool { return o.Name == name })
	if i < 0 {
		return Outcome{}, false
	}
	return DecisionOutcomes[i], true
}

// OutcomeOfStatus finds the outcome that leaves a review in status
// ("approved"); false for pending and cleared.
func OutcomeOfStatus(status string) (Outcome, bool) {
	i := slices.IndexFunc(DecisionOutcomes, func(o Outcome) bool { return o.Status == status })
	if i < 0 {
		return Outcome{}, false
	}
	return DecisionOutcomes[i], true
}

// OutcomeNames lists the outcomes' names: "approve, reject or skip".
func OutcomeNames() string { return outcomeNames(func(Outcome) bool { return true }) }

// outcomeNames lists the names of the outcomes that match, as prose.
func outcomeNames(match func(Outcome) bool) string {
	var names []string
	for _, o := range DecisionOutcomes {
		if match(o) {
			names = append(names, o.Name)
		}
	}
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

// DecidedStatuses are the statuses of decided reviews (the stats kinds of
// decisions).
func DecidedStatuses() []string {
	out := make([]string, len(DecisionOutcomes))
	for i, o := range DecisionOutcomes {
		out[i] = o.Status
	}
	return out
}

// decisionEvents are the history kinds a decision writes.
func decisionEvents() []string {
	out := make([]string, len(DecisionOutcomes))
	for i, o := range DecisionOutcomes {
		out[i] = o.Event
	}
	return out
}

// TakesReasons reports whether the outcome takes a reason code.
func (o Outcome) TakesReasons() bool { return o.ReasonsKey != "" }

// ChangesLead reports whether the decision changes the lead's status or tags.
func (o Outcome) ChangesLead() bool { return o.LeadTag != "" || o.LeadStatus != "" }

// ReasonCodes are the outcome's configured reason codes (none when it
// takes none).
func (s Settings) ReasonCodes(o Outcome) []string {
	if o.ReasonsKey == "" {
		return nil
	}
	return s.List(o.ReasonsKey)
}
