package views

// QueuePage is the review queue: filter chips with counts and the rows.
type QueuePage struct {
	Page
	Type    string
	Total   int64
	Types   []TypeChip
	Rows    QueueRows
	Enabled bool
}

// TypeChip is one filter entry with its pending count.
type TypeChip struct {
	Label  string
	URL    string
	Count  int64
	Active bool
}

// QueueRows is one page of rows and the URL of the next page ("" at the end).
type QueueRows struct {
	Items   []QueueRow
	NextURL string
	// Empty is shown when there are no rows at all.
	Empty string
}

// QueueRow is one pending review as a row.
type QueueRow struct {
	ID          int64
	Version     int
	Age         string
	FlaggedAt   string
	SLA         string // "", "warning" or "critical"
	Type        string
	Reason      string
	Source      string
	LeadName    string
	Company     string
	Email       string
	Campaign    string
	Score       int
	RejectCodes []string
	SkipCodes   []string
	ClaimedBy   string
}

// DecidedRow replaces a row after a decision, or when someone else got
// there first (Conflict).
type DecidedRow struct {
	ID       int64
	Message  string
	Conflict bool
	// Count, when not nil, refreshes the pending count out of band.
	Count *int64
}
