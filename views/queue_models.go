package views

// QueuePage is the review queue: the filter (with counts per type), the
// rows, the context pane and the bulk bar.
type QueuePage struct {
	Page
	Filter  QueueFilterVM
	Total   int64
	Results QueueResults
	Enabled bool
	// Pane, when not nil, is opened on load (a review's own URL).
	Pane *ReviewPane
	// Outcomes are the ways to decide (bulk bar, shortcuts).
	Outcomes  []DecisionChoice
	BulkLimit int
	LiveURL   string
	// Views is the bar of saved views above the filter.
	Views SavedViews
	// CanSplit offers leads and admins the split between operators.
	CanSplit bool
}

// DecisionChoice is one way to decide a review, as the pages offer it (one
// per store.DecisionOutcomes).
type DecisionChoice struct {
	// Name is the form value and the last segment of the decision URL.
	Name string
	Verb string
	// Key is the keyboard shortcut.
	Key          string
	TakesMessage bool
	TakesReasons bool
	// Codes are the configured reason codes.
	Codes []string
}

// QueueFilterVM is the filter form's state and choices.
type QueueFilterVM struct {
	Type     string
	Campaign string
	Source   string
	Age      string
	Search   string
	Sort     string
	// State is "", escalated or snoozed; Assignee "", me, none or an
	// operator's email.
	State    string
	Assignee string
	// Assignees are the active operators a lead may filter by (email, name).
	Assignees []Option
	Types     []TypeChip
	Sources   []string
	// AgeBands are value/label pairs (labels carry the SLA hours).
	AgeBands []Option
	Active   bool // any filter besides the sort is set
}

// Option is one choice of a select.
type Option struct {
	Value string
	Label string
}

// TypeChip is one type choice with its pending count.
type TypeChip struct {
	Value  string
	Label  string
	Count  int64
	Active bool
}

// QueueResults is what a filter change swaps: the rows and the counts.
type QueueResults struct {
	Rows QueueRows
	// Matching is the number of pending reviews passing the filter.
	Matching int64
	Total    int64
	Types    []TypeChip
	// OOB marks a partial response: counts go out of band.
	OOB bool
}

// QueueRows is one page of rows and the URL of the next page ("" at the end).
type QueueRows struct {
	Items   []QueueRow
	NextURL string
	// Empty is shown when there are no rows at all.
	Empty string
	// EmptyHint suggests what to do (clear the filter).
	EmptyHint string
	// Append marks rows sent by the live refresh for the end of the list.
	Append bool
}

// QueueRow is one pending review as a row.
type QueueRow struct {
	ID int64
	// IDText is ID in decimal, made once for the row's four uses.
	IDText string
	// OpenURL opens the review in the pane and is pushed as the page's
	// URL (with the filter), so a reload or a login's next keeps it open.
	OpenURL   string
	Version   int
	Cursor    string
	Age       string
	FlaggedAt string
	SLA       string // "", "warning" or "critical"
	Type      string
	Reason    string
	Source    string
	LeadName  string
	Company   string
	Email     string
	Campaign  string
	Score     int
	State     RowState
	// OOB: the row replaces its namesake out of band (an undone decision).
	OOB bool
	// Team is who the review is assigned to and whether it is escalated
	// or snoozed, in a few words ("" when none of these).
	Team string
}

// ResultsCount is "N matching (of M pending)"; OOB when the live refresh
// redraws it.
type ResultsCount struct {
	Matching, Total int64
	OOB             bool
}

// RowAge is the other live part of a row: how long it has waited and its
// SLA badge, redrawn by the live refresh.
type RowAge struct {
	ID        int64
	Age       string
	FlaggedAt string
	SLA       string // "", "warning" or "critical"
	OOB       bool
}

// RowState is the live part of a row: who holds a claim on it.
type RowState struct {
	ID        int64
	ClaimedBy string
	Mine      bool
	Until     string
	OOB       bool
}

// DecidedRow replaces a row after a decision, or when someone else decided
// it (Stale).
type DecidedRow struct {
	ID      int64
	Cursor  string
	Message string
	// Stale: decided by someone else, seen through the live refresh or a
	// refused decision.
	Stale bool
	OOB   bool
}

// QueueLive is the answer of the live refresh: counts, row states,
// decided rows and new arrivals, all out of band.
type QueueLive struct {
	Total int64
	// Matching is the filter's pending count ("N matching").
	Matching int64
	Types    []TypeChip
	Ages     []RowAge
	States   []RowState
	Decided  []DecidedRow
	New      QueueRows
	// Views are the saved views' counts.
	Views []ViewCount
}

// ReviewPane is the context pane of one review.
type ReviewPane struct {
	ID          int64
	Version     int
	Status      string
	Pending     bool
	Type        string
	Reason      string
	Source      string
	ScoreAtFlag int
	FlaggedAt   string
	Age         string
	SLA         string
	Issues      []QualityIssue
	Lead        LeadDetails
	LastReply   string
	Subject     string
	Body        string
	// Claim state.
	ClaimedBy  string
	ClaimMine  bool
	ClaimUntil string
	// Team work on a pending review: the assignee's name ("" nobody),
	// whether the viewer may take it or clear it, is a lead, and the
	// escalation and snooze as shown.
	Assignee string
	CanTake  bool
	CanClear bool
	// AssignedToOther: someone else's review; deciding asks to confirm.
	AssignedToOther bool
	IsLead          bool
	// Assignees are the active operators a lead may assign to (email, name).
	Assignees      []Option
	Escalated      bool
	EscalationNote string
	EscalatedAt    string
	SnoozedUntil   string
	SnoozeReason   string
	SnoozeCodes    []string
	// Decision, when decided.
	Decision string
	// Choices.
	Outcomes       []DecisionChoice
	ReasonRequired bool
	Types          []string
	CanReopen      bool
	History        []HistoryEntry
	// Changes is what changed after the approval, for a review the change
	// opened (source change).
	Changes []FieldDiff
	// SampleNote explains a QA sample (source sample); "" for any other.
	SampleNote string
	// Earlier are the lead's other reviews, newest first (at most
	// EarlierLimit); EarlierMore links to the rest (the history API).
	Earlier     []EarlierReview
	EarlierMore string
	// Error is shown at the top of the pane (a refused action).
	Error string
	// Notice is shown at the top of the pane (e.g. what was just decided).
	Notice string
	// Oob parts sent along with the pane.
	RowUpdate *DecidedRow
	RowState  *RowState
	// RowBack puts an undone review's row back in the list, out of band.
	RowBack *QueueRow
	// Undo fills the undo toast out of band (after a decision; emptied
	// after an undo).
	Undo  *UndoToast
	Count *int64
	// TypeCounts refreshes the type choices' counts out of band.
	TypeCounts []TypeChip
}

// QualityIssue is one issue the quality gate reported.
type QualityIssue struct {
	Code     string
	Severity string
	Message  string
}

// LeadDetails is the lead as the pane shows it.
type LeadDetails struct {
	ID             int64
	ExternalID     string
	Name           string
	Email          string
	Company        string
	Industry       string
	Campaign       string
	Score          int
	Status         string
	Tags           []string
	FailedAttempts int
}

// HistoryEntry is one event of a review's history.
type HistoryEntry struct {
	Kind   string
	Label  string
	Actor  string
	At     string
	AtISO  string
	Detail []KeyValue
	Note   string
	// Changes of a "changed" event (the message, old → new).
	Changes []FieldDiff
}

// FieldDiff is one changed field: old → new.
type FieldDiff struct {
	Field string
	Old   string
	New   string
}

// EarlierReview is another review of the same lead, as the pane lists it:
// "Rejected 6 days ago by Ana: do_not_contact".
type EarlierReview struct {
	ID         int64
	Link       string
	Type       string
	Reason     string
	Source     string
	Status     string
	Summary    string
	DecidedBy  string
	DecidedAt  string
	DecidedISO string
	ReasonCode string
	Notes      string
	FlaggedAt  string
}

// KeyValue is one line of an event's detail.
type KeyValue struct {
	Key   string
	Value string
}

// QueueDone is the pane when no review is left to work.
type QueueDone struct {
	Notice     string
	RowUpdate  *DecidedRow
	Undo       *UndoToast
	Count      *int64
	TypeCounts []TypeChip
}

// BulkSelection is the reviews a bulk action or a split is about to act
// on: their ids, the first names and how many more.
type BulkSelection struct {
	IDs   []int64
	Names []string
	More  int
	// Capped is set when "all matching" held more than Limit.
	Capped   bool
	Matching int64
	Limit    int
}

// BulkPreview is the confirmation of a bulk action, before it runs.
type BulkPreview struct {
	BulkSelection
	Outcome     string
	Verb        string
	ReasonCode  string
	Notes       string
	Consequence string
}

// BulkResult lists what a bulk action did.
type BulkResult struct {
	Verb      string
	Succeeded []string
	Refused   []BulkRefusal
	Rows      []DecidedRow
	Count     int64
}

// BulkRefusal is one review a bulk action left alone, and why.
type BulkRefusal struct {
	Name   string
	Reason string
}

// DecisionsPage is the list of recent decisions (where leads reopen them).
type DecisionsPage struct {
	Page
	Rows   DecisionRows
	Filter DecisionsFilter
	// Outcomes are listed in the shortcut help.
	Outcomes []DecisionChoice
}

// DecisionRows is one page of decided reviews.
type DecisionRows struct {
	Items   []DecisionRow
	NextURL string
	// Empty says why the first page has no rows.
	Empty string
}

// DecisionsFilter is the filter form of "Recent decisions".
type DecisionsFilter struct {
	By, Outcome, Type, Day string
	// Operators are the other operators (value: id) for "by".
	Operators []Option
	Types     []string
	Statuses  []string
	MaxDay    string
}

// DecisionRow is one decided review.
type DecisionRow struct {
	ID         int64
	LeadName   string
	Company    string
	Type       string
	Status     string
	By         string
	ReasonCode string
	At         string
	AtISO      string
}

// UndoToast offers to take back the decision just made ("Approved Ana Lee —
// Undo"), for Seconds; an empty Text empties the toast.
type UndoToast struct {
	ReviewID int64
	Text     string
	Seconds  int
}
